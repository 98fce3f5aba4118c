/*
 * sched.h — the scheduler interface: now, at, cancel.  Two clocks.
 *
 * The engine never reads a clock.  Drivers (simulator, replay, console,
 * server) own a scheduler and feed fired timers back to calls as events.
 *
 *  - sched_virtual: ordered by (time, priority, seq), jumping from event to
 *    event: a calendar queue of 256-ms buckets for the next 17.5 minutes,
 *    the current bucket kept sorted, and a 4-ary min-heap beyond (see
 *    sched_virtual.c).  Ties fire in insertion order (seq), which makes
 *    runs deterministic.  No allocation after it has grown to its peak.
 *    Besides the vtable it has a direct API (below) for the simulator's
 *    hot loop.
 *  - sched_real: libevent's event_base with timer events, for `call` and
 *    `serve`; `now` is the wall clock converted to local ms.
 *
 * Both dispatch through the same callback type, so driver code is shared.
 *
 * Same-instant order: call-script.md wants caller events at the same instant
 * as a timer to run before the timer, whatever order they were scheduled in.
 * The virtual heap's key is therefore (time, priority, seq): sched_at uses
 * SCHED_PRI_TIMER, and a driver schedules caller events (keys, hang-ups,
 * agent lines of a script) with sched_at_pri(..., SCHED_PRI_CALLER, ...).
 * Within one priority, ties fire in insertion order.  The real clock ignores
 * the priority (two real events never share an instant meaningfully).
 */
#ifndef TIERLINE_SCHED_H
#define TIERLINE_SCHED_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sched sched;
typedef uint64_t sched_id;            /* 0 is never a valid id */

/* A fired timer: what was given to sched_at, and the time it fires at. */
typedef void (*sched_fn)(sched *s, int64_t now, void *ctx, uint64_t arg);

enum {
	SCHED_PRI_CALLER = 0,          /* caller / script events: first at an instant */
	SCHED_PRI_TIMER = 1,           /* engine timers (sched_at's default) */
	SCHED_NPRI = 4
};
#define SCHED_FOREVER INT64_MAX     /* `until` for "no time limit" */

typedef struct sched_ops {
	int64_t  (*now)(sched *s);
	/* Schedule fn at `when` (a time in the past fires as soon as possible).
	 * Returns an id for cancel; 0 only when out of memory. */
	sched_id (*at)(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg);
	/* true when the timer was pending and is now cancelled; false for an
	 * unknown, fired or already cancelled id. */
	bool     (*cancel)(sched *s, sched_id id);
	/* Dispatch timers until none is left (returns 0), sched_stop was called
	 * or (virtual) the next timer is later than `until` (returns 1); -1 on
	 * error.  Unless stopped, the virtual clock then stands at `until`
	 * (when that is not SCHED_FOREVER and is later than the last timer).
	 * The real clock stops at `until` too (wall local ms). */
	int      (*run)(sched *s, int64_t until);
	void     (*stop)(sched *s);
	void     (*destroy)(sched *s);
} sched_ops;

struct sched {
	const sched_ops *ops;
};

static inline int64_t  sched_now(sched *s) { return s->ops->now(s); }
static inline sched_id sched_at(sched *s, int64_t when, sched_fn fn, void *ctx, uint64_t arg)
{ return s->ops->at(s, when, SCHED_PRI_TIMER, fn, ctx, arg); }
static inline sched_id sched_at_pri(sched *s, int64_t when, int pri, sched_fn fn, void *ctx,
                                    uint64_t arg)
{ return s->ops->at(s, when, pri, fn, ctx, arg); }
static inline bool     sched_cancel(sched *s, sched_id id) { return s->ops->cancel(s, id); }
static inline int      sched_run(sched *s, int64_t until) { return s->ops->run(s, until); }
static inline void     sched_stop(sched *s) { s->ops->stop(s); }
static inline void     sched_destroy(sched *s) { if (s) s->ops->destroy(s); }

/* Virtual clock starting at local-ms `start`.  NULL when out of memory. */
sched *sched_virtual_new(int64_t start);

/* Direct calls for a driver that owns a virtual clock (the simulator): the
 * same as sched_now / sched_at_pri / sched_cancel, without the indirect
 * call.  Only for a scheduler made by sched_virtual_new (asserted).
 * `fn` may be NULL for timers consumed with sched_virtual_next. */
int64_t  sched_virtual_now(sched *s);
sched_id sched_virtual_at(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg);
bool     sched_virtual_cancel(sched *s, sched_id id);

/* Pull instead of push: take the next timer due at or before `until`,
 * move the clock to it and return true with *now = its time and *arg = its
 * arg (its fn and ctx are ignored; the driver dispatches on arg itself).
 * The id is spent as if it had fired.  Returns false when
 *  - no timer is due by `until`: the clock then stands at `until` (unless
 *    SCHED_FOREVER or earlier than now), as after sched_run; timers beyond
 *    it stay pending (sched_virtual_pending tells whether any are left);
 *  - sched_stop was called since the previous sched_virtual_next: the flag
 *    is cleared, the clock stays at the last timer taken.
 * The order is sched_run's, so this loop dispatches exactly like it:
 *
 *     int64_t now; uint64_t arg;
 *     while (sched_virtual_next(s, until, &now, &arg))
 *             handle(now, arg);      // may sched_virtual_at / _cancel / sched_stop
 */
bool     sched_virtual_next(sched *s, int64_t until, int64_t *now, uint64_t *arg);
/* Number of pending (not cancelled) timers. */
uint64_t sched_virtual_pending(sched *s);
/* Timers dispatched so far. */
uint64_t sched_virtual_fired(sched *s);
/* Bytes allocated (wheel, timer table, heap), and the part of them the
 * timers now pending use, without the wheel's fixed slot tables (for the
 * bench). */
size_t   sched_virtual_bytes(sched *s);
size_t   sched_virtual_bytes_used(sched *s);

struct event_base;
/* Real-time clock on an existing event_base; `tz` converts wall time to
 * local ms (see util_now_local_ms). */
sched *sched_real_new(struct event_base *base, const char *tz);

#endif
