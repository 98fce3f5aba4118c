/*
 * bench_engine.c — how fast the call state machine runs, and how small a
 * live call is.
 *
 *   build/bench/bench_engine [million events, default 40] [engine|virtual|sched]
 *
 * 1. Engine only: calls run one after another through call_handle with a
 *    three-slot timer table as the only driver (no heap), a synthetic caller
 *    pressing random keys at random times, agents answering and finishing
 *    with random outcomes.  Events per CPU second through call_handle.
 * 2. Virtual clock: the same callers, many calls live at once (Poisson
 *    arrivals), every timer and caller event going through sched_virtual.
 *    Events per CPU second including the heap, and the peak live calls.
 * 3. Bytes per live call: sizeof(call), the bench driver's per-call state,
 *    and the heap's share at the peak.
 * 4. The virtual clock alone (hold model, see bench_hold): N = 100, 1000,
 *    10000 pending, an M/M/c-like and an IVR-like mix of delays, through
 *    the vtable with callbacks ("hold") and through the direct calls and
 *    the pull loop sched_virtual_next ("pull").
 *
 * Targets (issue 3): >= 10 million events/s on one core; < 1 KB per call in
 * the IVR.  This program prints the figures and asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tierline/call.h"
#include "tierline/sched.h"
#include "tierline/flow.h"

static const char *FLOW_TEXT =
	"flow bench {\n languages en es\n}\n"
	"hours live { mon-sun 00:00-24:00 }\n"
	"offices { office vsc \"V\" { receipt \"322\" }\n office intl \"I\" { refer \"+1\" }\n default vsc }\n"
	"line main \"1\" { start lang }\n"
	"menu lang { prompt p_lang; option 1 -> main; option 2 -> es; timeout 3s }\n"
	"set es { lang es; var intent \"es\"; next -> main }\n"
	"menu main { prompt p_main; prompt p_main2; reprompt p_short; option 1 -> status; option 2 -> forms\n"
	"  option 0 -> live; option 9 -> repeat; option * -> back; option 12 -> forms\n"
	"  noinput -> prompt p_sorry; nomatch -> prompt p_sorry; nomatch 2 -> prompt p_louder\n"
	"  failure -> live }\n"
	"input status { prompt p_receipt; digits 3..13; store receipt; next -> chk; failure -> live }\n"
	"route chk { when var receipt prefix \"322\" -> vsc_info; when lang es -> live; else -> forms }\n"
	"play vsc_info { prompt p_info; next -> main }\n"
	"menu forms { prompt p_forms; option 1 -> form_info; option * -> back; option 0 -> top }\n"
	"play form_info { prompt p_info; next -> back }\n"
	"route live { when open live -> tier1; else -> hangup }\n"
	"queue tier1 { tier 1; max_wait 10m -> vm; announce every 60s; escalate -> tier2\n"
	"  supervisor -> sup; request -> sr }\n"
	"queue tier2 { tier 2; supervisor -> sup; request -> sr }\n"
	"queue sup { tier 3 }\n"
	"request sr { type \"case\"; office by receipt; due 15d; next -> bye }\n"
	"play bye { prompt p_short; next -> hangup }\n"
	"play vm { prompt p_short; next -> hangup }\n";

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_s = 0x9E3779B97F4A7C15ull;
static inline uint64_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}
static inline int64_t rnd_ms(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* What the synthetic caller / agent does next, given the call's state. */
static call_event next_caller_event(const call *c, int64_t t, int *nevents)
{
	static const char keys[] = "1111200099*#3221";
	call_event ev;
	(*nevents)++;
	if (*nevents > 300)
		return call_ev(CALL_EV_HANGUP, t);
	switch (c->state) {
	case CALL_QUEUED: {
		uint64_t r = rnd() % 100;
		if (r < 90)
			return call_ev_answer(t, (int)(rnd() % 50));
		if (r < 93)
			return call_ev(CALL_EV_ASK_SUPERVISOR, t);
		return call_ev(CALL_EV_HANGUP, t);
	}
	case CALL_TALKING: {
		uint64_t r = rnd() % 100;
		call_agent_outcome o = r < 60 ? CALL_AGENT_RESOLVED : r < 80 ? CALL_AGENT_ESCALATE
		                     : r < 90 ? CALL_AGENT_REQUEST : CALL_AGENT_SUPERVISOR;
		return call_ev_done(t, o);
	}
	default:
		if (rnd() % 200 == 0)
			return call_ev(CALL_EV_HANGUP, t);
		ev = call_ev_key(t, keys[rnd() % (sizeof keys - 1)]);
		return ev;
	}
}

/* When the caller / agent acts next, relative to now. */
static int64_t next_caller_delay(const call *c)
{
	switch (c->state) {
	case CALL_QUEUED: return rnd_ms(1000, 300000);
	case CALL_TALKING: return rnd_ms(30000, 600000);
	default: return rnd_ms(150, 4000);
	}
}

/* ---- 1. engine only ------------------------------------------------------ */

typedef struct slots {
	int64_t at[CALL_NTIMERS];
	uint32_t gen[CALL_NTIMERS];
	uint8_t live;
} slots;

static void slots_sink(void *ctx, const struct call *c, const call_action *a)
{
	(void)c;
	slots *s = ctx;
	if (a->kind == CALL_ACT_TIMER) {
		s->at[a->slot] = a->at;
		s->gen[a->slot] = a->gen;
		s->live |= (uint8_t)(1u << a->slot);
	} else if (a->kind == CALL_ACT_CANCEL) {
		s->live &= (uint8_t)~(1u << a->slot);
	}
}

static void bench_engine_only(const flow *f, uint64_t target_events)
{
	call c;
	slots sl;
	call_sink sink = { slots_sink, &sl, 0 };
	uint64_t events = 0, calls = 0, outcomes[CALL_OUT_COUNT] = { 0 };
	int64_t t = 0;
	double t0 = cpu_now();
	while (events < target_events) {
		memset(&sl, 0, sizeof sl);
		call_init(&c, f, calls, 0, -1);
		call_event ev = call_ev(CALL_EV_PLACED, t);
		call_handle(&c, &ev, &sink);
		events++;
		int nev = 0;
		int64_t caller_at = t + next_caller_delay(&c);
		while (!call_ended(&c)) {
			int s = -1;
			for (int i = 0; i < CALL_NTIMERS; i++)
				if ((sl.live & (1u << i)) && (s < 0 || sl.at[i] < sl.at[s]))
					s = i;
			if (s >= 0 && sl.at[s] < caller_at) {
				t = sl.at[s];
				sl.live &= (uint8_t)~(1u << s);
				ev = call_ev_timer(t, s, sl.gen[s]);
			} else {
				t = caller_at;
				ev = next_caller_event(&c, t, &nev);
			}
			call_handle(&c, &ev, &sink);
			events++;
			if (!(s >= 0 && ev.kind == CALL_EV_TIMER))
				caller_at = t + next_caller_delay(&c);
		}
		outcomes[c.outcome]++;
		calls++;
	}
	double dt = cpu_now() - t0;
	printf("engine only:    %llu events, %llu calls in %.3f s CPU = %.1f M events/s (%.0f ns/event)\n",
	       (unsigned long long)events, (unsigned long long)calls, dt, events / dt / 1e6,
	       dt * 1e9 / (double)events);
	printf("                outcomes:");
	for (int o = 1; o < CALL_OUT_COUNT; o++)
		if (outcomes[o])
			printf(" %s %.1f%%", call_outcome_name((call_outcome)o), 100.0 * outcomes[o] / calls);
	printf("\n");
}

/* ---- 2. virtual clock ---------------------------------------------------- */

typedef struct bcall {
	call c;
	sched_id tid[CALL_NTIMERS];
	sched_id caller;
	int nev;
	struct bench *b;
	struct bcall *next_free;
} bcall;

typedef struct bench {
	sched *s;
	const flow *f;
	call_sink sink;
	bcall *pool;
	bcall *free_list;
	uint64_t events, calls, live, peak_live, target;
	size_t peak_heap, peak_heap_used;
	int64_t mean_gap;
} bench;

static void on_caller(sched *s, int64_t now, void *ctx, uint64_t arg);

static void release(bench *b, bcall *k)
{
	for (int i = 0; i < CALL_NTIMERS; i++)
		if (k->tid[i])
			sched_cancel(b->s, k->tid[i]);
	if (k->caller)
		sched_cancel(b->s, k->caller);
	k->next_free = b->free_list;
	b->free_list = k;
	b->live--;
}

static void on_timer(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	bcall *k = ctx;
	int slot = call_timer_arg_slot(arg);
	k->tid[slot] = 0;
	call_event ev = call_ev_timer(now, slot, call_timer_arg_gen(arg));
	call_handle(&k->c, &ev, &k->b->sink);
	k->b->events++;
	if (call_ended(&k->c))
		release(k->b, k);
	(void)s;
}

static void vsink(void *ctx, const struct call *c, const call_action *a)
{
	bench *b = ctx;
	bcall *k = (bcall *)(void *)c;      /* call is the first member */
	if (a->kind == CALL_ACT_TIMER) {
		if (k->tid[a->slot])
			sched_cancel(b->s, k->tid[a->slot]);
		k->tid[a->slot] = sched_at(b->s, a->at, on_timer, k, call_timer_arg(a->slot, a->gen));
	} else if (a->kind == CALL_ACT_CANCEL) {
		if (k->tid[a->slot])
			sched_cancel(b->s, k->tid[a->slot]);
		k->tid[a->slot] = 0;
	}
}

static void schedule_caller(bench *b, bcall *k, int64_t now)
{
	k->caller = sched_at_pri(b->s, now + next_caller_delay(&k->c), SCHED_PRI_CALLER, on_caller, k, 0);
}

static void on_caller(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	(void)arg;
	bcall *k = ctx;
	bench *b = k->b;
	k->caller = 0;
	call_event ev = next_caller_event(&k->c, now, &k->nev);
	call_handle(&k->c, &ev, &b->sink);
	b->events++;
	if (call_ended(&k->c))
		release(b, k);
	else
		schedule_caller(b, k, now);
	(void)s;
}

static void on_arrival(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	(void)arg;
	bench *b = ctx;
	if (b->events < b->target) {
		/* exponential gaps via a cheap inverse: -ln(u) ~ table-free approx */
		double u = (double)(rnd() >> 11) / 9007199254740992.0;
		double gap = -__builtin_log(u > 1e-12 ? u : 1e-12) * (double)b->mean_gap;
		sched_at_pri(s, now + (int64_t)gap, SCHED_PRI_CALLER, on_arrival, b, 0);
	}
	bcall *k = b->free_list;
	if (!k)
		return;                      /* pool exhausted: drop the arrival */
	b->free_list = k->next_free;
	memset(k->tid, 0, sizeof k->tid);
	k->caller = 0;
	k->nev = 0;
	k->b = b;
	call_init(&k->c, b->f, b->calls++, 0, -1);
	b->live++;
	if (b->live > b->peak_live)
		b->peak_live = b->live;
	call_event ev = call_ev(CALL_EV_PLACED, now);
	call_handle(&k->c, &ev, &b->sink);
	b->events++;
	if (call_ended(&k->c))
		release(b, k);
	else
		schedule_caller(b, k, now);
	size_t hb = sched_virtual_bytes(s), hu = sched_virtual_bytes_used(s);
	if (hb > b->peak_heap)
		b->peak_heap = hb;
	if (hu > b->peak_heap_used)
		b->peak_heap_used = hu;
}

static void bench_virtual(const flow *f, uint64_t target_events)
{
	enum { POOL = 50000 };
	bench b;
	memset(&b, 0, sizeof b);
	b.f = f;
	b.s = sched_virtual_new(0);
	b.sink.fn = vsink;
	b.sink.ctx = &b;
	b.target = target_events;
	b.mean_gap = 50;                 /* 20 arrivals per second */
	b.pool = calloc(POOL, sizeof *b.pool);
	if (!b.s || !b.pool) {
		printf("virtual clock: out of memory\n");
		free(b.pool);
		sched_destroy(b.s);
		return;
	}
	for (int i = POOL - 1; i >= 0; i--) {
		b.pool[i].next_free = b.free_list;
		b.free_list = &b.pool[i];
	}
	sched_at_pri(b.s, 0, SCHED_PRI_CALLER, on_arrival, &b, 0);
	double t0 = cpu_now();
	sched_run(b.s, SCHED_FOREVER);
	double dt = cpu_now() - t0;
	printf("virtual clock:  %llu events, %llu calls in %.3f s CPU = %.1f M events/s "
	       "(%.2f simulated days, peak %llu live calls)\n",
	       (unsigned long long)b.events, (unsigned long long)b.calls, dt, b.events / dt / 1e6,
	       (double)sched_now(b.s) / 86400000.0, (unsigned long long)b.peak_live);
	size_t per_heap = b.peak_live ? b.peak_heap / b.peak_live : 0;
	size_t per_used = b.peak_live ? b.peak_heap_used / b.peak_live : 0;
	printf("bytes per live call: sizeof(call) %zu + bench driver %zu (call embedded, 4 timer ids)"
	       " + heap entries in use %zu = %zu bytes (heap allocated incl. doubling slack: %zu => %zu)\n",
	       sizeof(call), sizeof(bcall) - sizeof(call), per_used, sizeof(bcall) + per_used,
	       per_heap, sizeof(bcall) + per_heap);
	free(b.pool);
	sched_destroy(b.s);
}

/* ---- 3. the scheduler alone: hold model ------------------------------------ */

/* The classic priority-queue benchmark: N timers pending; each firing
 * schedules one more at now + a random delay, so N stays put.  Two mixes:
 *  - "mmc": delays exp(mean) with mean = N * 120 ms (so the M/M/c bench's
 *    ~100 pending have its exp(10.8 s)-like spread), caller priority;
 *  - "ivr": the USCIS day's shape: 40% key presses 300 ms ahead, 30% prompt
 *    ends 1-5 s, 20% timeouts 5-10 s of which 70% are cancelled before they
 *    fire (a replacement is scheduled so N stays put), 10% exp(5 min)
 *    (patience, handle times); both priorities, many same-ms ties.
 * Events per CPU second, cancelled timers not counted as events. */
typedef struct hold {
	uint64_t left, events, cancels;
	int ivr;
	int64_t mean;
	sched_id pend[64];               /* recent timeouts, some cancelled */
	unsigned npend;
} hold;

static inline double rnd_exp(double mean)
{
	double u = (double)(rnd() >> 11) / 9007199254740992.0;
	return -__builtin_log(u > 1e-12 ? u : 1e-12) * mean;
}

static int64_t hold_delay(hold *h, int *pri, bool *timeout)
{
	*timeout = false;
	*pri = SCHED_PRI_CALLER;
	if (!h->ivr)
		return (int64_t)rnd_exp((double)h->mean);
	uint64_t r = rnd() % 100;
	if (r < 40)
		return 300;
	if (r < 70) {
		*pri = SCHED_PRI_TIMER;
		return rnd_ms(1000, 5000);
	}
	if (r < 90) {
		*pri = SCHED_PRI_TIMER;
		*timeout = true;
		return rnd_ms(5000, 10000);
	}
	return (int64_t)rnd_exp(300000.0);
}

static void hold_fn(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	hold *h = ctx;
	(void)arg;
	h->events++;
	if (h->left == 0)
		return;
	h->left--;
	for (;;) {
		int pri = 0;
		bool to = false;
		int64_t d = hold_delay(h, &pri, &to);
		sched_id id = sched_at_pri(s, now + d, pri, hold_fn, h, 0);
		if (!to)
			break;
		if (rnd() % 10 >= 7)
			break;
		/* this timeout is cancelled later: keep N by scheduling another */
		unsigned k = h->npend++ & 63;
		if (h->pend[k] && sched_cancel(s, h->pend[k]))
			h->cancels++;
		h->pend[k] = id;
	}
}

static void bench_hold(uint64_t target, int n, int ivr)
{
	hold h = { .left = target, .ivr = ivr, .mean = (int64_t)n * 120 };
	sched *s = sched_virtual_new(0);
	if (!s) {
		printf("sched hold: out of memory\n");
		return;
	}
	for (int i = 0; i < n; i++) {
		int pri = 0;
		bool to = false;
		sched_at_pri(s, hold_delay(&h, &pri, &to), pri, hold_fn, &h, 0);
	}
	double t0 = cpu_now();
	sched_run(s, SCHED_FOREVER);
	double dt = cpu_now() - t0;
	printf("sched hold %-3s N=%-6d %llu events (%llu cancels) in %.3f s CPU = %.1f M events/s (%.1f ns/event)\n",
	       ivr ? "ivr" : "mmc", n, (unsigned long long)h.events, (unsigned long long)h.cancels, dt,
	       (double)h.events / dt / 1e6, dt * 1e9 / (double)h.events);
	sched_destroy(s);
}

/* The same hold model through the direct calls and the pull loop
 * (sched_virtual_at / sched_virtual_cancel / sched_virtual_next): what a
 * driver that switches on arg itself gets, without the vtable and the
 * per-event callback. */
static void bench_hold_pull(uint64_t target, int n, int ivr)
{
	hold h = { .left = target, .ivr = ivr, .mean = (int64_t)n * 120 };
	sched *s = sched_virtual_new(0);
	if (!s) {
		printf("sched hold: out of memory\n");
		return;
	}
	for (int i = 0; i < n; i++) {
		int pri = 0;
		bool to = false;
		sched_virtual_at(s, hold_delay(&h, &pri, &to), pri, NULL, NULL, 0);
	}
	double t0 = cpu_now();
	int64_t now;
	uint64_t arg;
	while (sched_virtual_next(s, SCHED_FOREVER, &now, &arg)) {
		h.events++;
		if (h.left == 0)
			continue;
		h.left--;
		for (;;) {
			int pri = 0;
			bool to = false;
			int64_t d = hold_delay(&h, &pri, &to);
			sched_id id = sched_virtual_at(s, now + d, pri, NULL, NULL, 0);
			if (!to || rnd() % 10 >= 7)
				break;
			unsigned k = h.npend++ & 63;
			if (h.pend[k] && sched_virtual_cancel(s, h.pend[k]))
				h.cancels++;
			h.pend[k] = id;
		}
	}
	double dt = cpu_now() - t0;
	printf("sched pull %-3s N=%-6d %llu events (%llu cancels) in %.3f s CPU = %.1f M events/s (%.1f ns/event)\n",
	       ivr ? "ivr" : "mmc", n, (unsigned long long)h.events, (unsigned long long)h.cancels, dt,
	       (double)h.events / dt / 1e6, dt * 1e9 / (double)h.events);
	sched_destroy(s);
}

int main(int argc, char **argv)
{
	double m = argc > 1 ? atof(argv[1]) : 40;
	if (m <= 0)
		m = 40;
	uint64_t target = (uint64_t)(m * 1e6);
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	if (flow_load_string("bench.flow", FLOW_TEXT, strlen(FLOW_TEXT), &f, &dl) != 0) {
		diag_print(&dl, stderr);
		diag_free(&dl);
		return 1;
	}
	diag_free(&dl);
	printf("bench_engine: sizeof(call) = %zu bytes, sizeof(call_action) = %zu\n",
	       sizeof(call), sizeof(call_action));
	const char *only = argc > 2 ? argv[2] : "";
	if (strcmp(only, "virtual") != 0 && strcmp(only, "sched") != 0)
		bench_engine_only(f, target);
	if (strcmp(only, "engine") != 0 && strcmp(only, "sched") != 0)
		bench_virtual(f, target / 2);
	if (strcmp(only, "engine") != 0 && strcmp(only, "virtual") != 0)
		for (int ivr = 0; ivr < 2; ivr++)
			for (int n = 100; n <= 10000; n *= 10) {
				bench_hold(target, n, ivr);
				bench_hold_pull(target, n, ivr);
			}
	flow_free(f);
	return 0;
}
