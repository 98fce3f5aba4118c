/*
 * sched_real.c — the real-time clock: libevent timers on an event_base the
 * driver owns (the console and the server also watch sockets on it).
 *
 * `now` is local ms like the virtual clock's: the wall clock is converted
 * once, at creation (util_now_local_ms), and from then on time advances with
 * the monotonic clock, so a call's timers are not bent by a wall-clock step
 * (NTP, DST) in the middle of a call.
 *
 * Each timer lives in a slot holding its own `struct event`; slots are
 * allocated once and reused, ids carry the slot's generation so a stale id
 * (fired or cancelled) never cancels a newer timer.  The priority argument is
 * ignored: two real events do not share an instant in any meaningful way.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include "tierline/sched.h"
#include "tierline/util.h"

typedef struct rsched rsched;

typedef struct rslot {
	rsched *s;
	struct event *ev;
	uint32_t idx, gen;
	bool live;
	sched_fn fn;
	void *ctx;
	uint64_t arg;
	int64_t when;                /* local ms it is due */
} rslot;

struct rsched {
	sched base;
	struct event_base *eb;
	int64_t offset;              /* local ms = monotonic ms + offset */
	rslot **slots;
	uint32_t nslots, cap;
	uint32_t *freel;
	uint32_t nfree;
	uint32_t live;
	struct event *until_ev;
	bool stopped;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t r_now(sched *s)
{
	return mono_ms() + ((rsched *)s)->offset;
}

static struct timeval tv_after(int64_t ms);

static void fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rslot *sl = arg;
	rsched *s = sl->s;
	/* libevent measures from its cached loop time, which can be a little
	 * behind ours, so a timer may come early: wait out the rest, so that
	 * no timer ever fires before the instant it was set for. */
	int64_t now = r_now(&s->base);
	if (now < sl->when) {
		struct timeval tv = tv_after(sl->when - now);
		if (evtimer_add(sl->ev, &tv) == 0)
			return;
	}
	sched_fn fn = sl->fn;
	void *ctx = sl->ctx;
	uint64_t a = sl->arg;
	int64_t t = now > sl->when ? now : sl->when;
	sl->live = false;
	sl->gen++;
	s->live--;
	s->freel[s->nfree++] = sl->idx;
	fn(&s->base, t, ctx, a);
}

static struct timeval tv_after(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

static rslot *new_slot(rsched *s)
{
	if (s->nfree > 0)
		return s->slots[s->freel[--s->nfree]];
	if (s->nslots == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		rslot **slots = realloc(s->slots, cap * sizeof *slots);
		if (!slots)
			return NULL;
		s->slots = slots;
		uint32_t *fl = realloc(s->freel, cap * sizeof *fl);
		if (!fl)
			return NULL;
		s->freel = fl;
		s->cap = cap;
	}
	rslot *sl = calloc(1, sizeof *sl);
	if (!sl)
		return NULL;
	sl->ev = evtimer_new(s->eb, fire, sl);
	if (!sl->ev) {
		free(sl);
		return NULL;
	}
	sl->s = s;
	sl->idx = s->nslots;
	sl->gen = 1;
	s->slots[s->nslots++] = sl;
	return sl;
}

static sched_id r_at(sched *b, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg)
{
	(void)pri;
	rsched *s = (rsched *)b;
	rslot *sl = new_slot(s);
	if (!sl)
		return 0;
	sl->fn = fn;
	sl->ctx = ctx;
	sl->arg = arg;
	sl->when = when;
	struct timeval tv = tv_after(when - r_now(b));
	if (evtimer_add(sl->ev, &tv) != 0) {
		s->freel[s->nfree++] = sl->idx;
		return 0;
	}
	sl->live = true;
	s->live++;
	return ((uint64_t)sl->gen << 32) | (uint64_t)(sl->idx + 1);
}

static bool r_cancel(sched *b, sched_id id)
{
	rsched *s = (rsched *)b;
	uint32_t i = (uint32_t)id;
	if (i == 0 || i > s->nslots)
		return false;
	rslot *sl = s->slots[i - 1];
	if (!sl->live || sl->gen != (uint32_t)(id >> 32))
		return false;
	evtimer_del(sl->ev);
	sl->live = false;
	sl->gen++;
	s->live--;
	s->freel[s->nfree++] = sl->idx;
	return true;
}

static void until_fired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rsched *s = arg;
	s->stopped = true;
	event_base_loopbreak(s->eb);
}

static int r_run(sched *b, int64_t until)
{
	rsched *s = (rsched *)b;
	s->stopped = false;
	if (until != SCHED_FOREVER) {
		if (!s->until_ev) {
			s->until_ev = evtimer_new(s->eb, until_fired, s);
			if (!s->until_ev)
				return -1;
		}
		struct timeval tv = tv_after(until - r_now(b));
		evtimer_add(s->until_ev, &tv);
	}
	int rc = event_base_dispatch(s->eb);
	if (s->until_ev)
		evtimer_del(s->until_ev);
	if (rc < 0)
		return -1;
	return s->stopped ? 1 : 0;
}

static void r_stop(sched *b)
{
	rsched *s = (rsched *)b;
	s->stopped = true;
	event_base_loopbreak(s->eb);
}

static void r_destroy(sched *b)
{
	rsched *s = (rsched *)b;
	for (uint32_t i = 0; i < s->nslots; i++) {
		event_free(s->slots[i]->ev);
		free(s->slots[i]);
	}
	if (s->until_ev)
		event_free(s->until_ev);
	free(s->slots);
	free(s->freel);
	free(s);
}

static const sched_ops rops = {
	.now = r_now, .at = r_at, .cancel = r_cancel, .run = r_run,
	.stop = r_stop, .destroy = r_destroy,
};

sched *sched_real_new(struct event_base *base, const char *tz)
{
	if (!base)
		return NULL;
	rsched *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->base.ops = &rops;
	s->eb = base;
	s->offset = util_now_local_ms(tz) - mono_ms();
	return &s->base;
}
