/*
 * sched.h — the scheduler interface: now, at, cancel.  Two clocks.
 *
 * The engine never reads a clock.  Drivers (simulator, replay, console,
 * server) own a scheduler and feed fired timers back to calls as events.
 *
 *  - sched_virtual: a binary min-heap of (time, seq) that jumps from event to
 *    event.  Ties fire in insertion order (seq), which makes runs
 *    deterministic.  No allocation after the heap has grown to its peak.
 *  - sched_real: libevent's event_base with timer events, for `call` and
 *    `serve`; `now` is the wall clock converted to local ms.
 *
 * Both dispatch through the same callback type, so driver code is shared.
 */
#ifndef TIERLINE_SCHED_H
#define TIERLINE_SCHED_H

#include <stdint.h>
#include <stdbool.h>

typedef struct sched sched;
typedef uint64_t sched_id;            /* 0 is never a valid id */

/* A fired timer: what was given to sched_at, and the time it fires at. */
typedef void (*sched_fn)(sched *s, int64_t now, void *ctx, uint64_t arg);

typedef struct sched_ops {
	int64_t  (*now)(sched *s);
	sched_id (*at)(sched *s, int64_t when, sched_fn fn, void *ctx, uint64_t arg);
	bool     (*cancel)(sched *s, sched_id id);
	/* Run until no timer is left, or until sched_stop / `until` (virtual). */
	int      (*run)(sched *s, int64_t until);
	void     (*stop)(sched *s);
	void     (*destroy)(sched *s);
} sched_ops;

struct sched {
	const sched_ops *ops;
};

static inline int64_t  sched_now(sched *s) { return s->ops->now(s); }
static inline sched_id sched_at(sched *s, int64_t when, sched_fn fn, void *ctx, uint64_t arg)
{ return s->ops->at(s, when, fn, ctx, arg); }
static inline bool     sched_cancel(sched *s, sched_id id) { return s->ops->cancel(s, id); }
static inline int      sched_run(sched *s, int64_t until) { return s->ops->run(s, until); }
static inline void     sched_stop(sched *s) { s->ops->stop(s); }
static inline void     sched_destroy(sched *s) { if (s) s->ops->destroy(s); }

/* Virtual clock starting at local-ms `start`.  NULL when out of memory. */
sched *sched_virtual_new(int64_t start);
/* Number of pending (not cancelled) timers. */
uint64_t sched_virtual_pending(sched *s);

struct event_base;
/* Real-time clock on an existing event_base; `tz` converts wall time to
 * local ms (see util_now_local_ms). */
sched *sched_real_new(struct event_base *base, const char *tz);

#endif
