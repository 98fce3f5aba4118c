/*
 * sched.h — the scheduler interface: now, at, cancel.  Two clocks.
 *
 * The engine never reads a clock.  Drivers (simulator, replay, console,
 * server) own a scheduler and feed fired timers back to calls as events.
 *
 *  - sched_virtual: ordered by (time, priority, seq), jumping from event to
 *    event: a calendar queue of 512-ms buckets for the next 35 minutes,
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
 * call.  Only for a scheduler made by sched_virtual_new (asserted in a
 * build with TIERLINE_DEBUG_INVARIANTS, such as the sanitizer build; the
 * others trust the caller, the checks costing a few % of a simulation).
 * `fn` may be NULL for timers consumed with sched_virtual_next.
 * sched_virtual_now and sched_virtual_at are inline (below). */
static inline int64_t  sched_virtual_now(sched *s);
static inline sched_id sched_virtual_at(sched *s, int64_t when, int pri, sched_fn fn, void *ctx,
                                        uint64_t arg);
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
static inline bool sched_virtual_next(sched *s, int64_t until, int64_t *now, uint64_t *arg);
/* A timer in the clock's side slot: ordered and fired exactly as
 * sched_virtual_at's (same key, seq taken now), but kept in one slot of
 * its own, checked before every pop, instead of the ring: a driver's one
 * recurring stream (the simulator's next arrival, always pending, one
 * push and pop a call) costs a few stores and one compare a pop.  It
 * cannot be cancelled.  When the slot is taken, the timer is scheduled as
 * sched_virtual_at would.  false only when out of memory. */
static inline bool sched_virtual_at_side(sched *s, int64_t when, int pri, sched_fn fn, void *ctx,
                                         uint64_t arg);
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

/* ---- the virtual clock's fast paths (sched_virtual.c's internals) --------------
 *
 * The simulator calls sched_virtual_at and sched_virtual_next once or
 * twice per event, and their common cases — a timer into an empty ring
 * bucket or after its tail, a pop of the current bucket's head — are a few
 * dozen instructions, so a call (argument set-up, saved registers) and the
 * checks of the general path were a third of them.  They are inlined here;
 * everything else is the out-of-line sched_virtual_*_() below.  The
 * structures are sched_virtual.c's (the comments there say how they work):
 * nothing else may read or write them. */

#define SCHED_V_BUCKET_BITS 9                      /* 512-ms buckets */
#define SCHED_V_RING_BITS 12                       /* 4096 buckets: 35 min ahead */
#define SCHED_V_NBUCKETS (1u << SCHED_V_RING_BITS)
#define SCHED_V_NWORDS (SCHED_V_NBUCKETS / 64)     /* bitmap: one bit per bucket */
#define SCHED_V_NIL 0xffffffffu                    /* end of a list; a free node's `where` */
#define SCHED_V_SEQ_BITS 56                        /* order = pri << 56 | seq */

/* One per pending timer, indexed by the id's low half; 64 bytes, so that
 * indexing is a shift. */
struct sched_vnode_ {
	uint32_t next, prev;         /* list links; next = free list link */
	uint32_t where;              /* ring slot, or N_FREE / N_FRONT / N_FAR / N_DEAD */
	uint32_t pad1_;
	int64_t when;
	uint64_t order;              /* pri << SCHED_V_SEQ_BITS | seq */
	sched_fn fn;
	void *ctx;
	uint64_t arg;
	uint64_t pad2_;
};

/* A bucket's list: head the first (smallest) entry, SCHED_V_NIL when
 * empty; tail the last, meaningful only when not empty. */
struct sched_vlist_ {
	uint32_t head, tail;
};

struct sched_ventry_;                /* a heap entry */
struct sched_vheap_ {
	struct sched_ventry_ *e;
	uint32_t n, cap;             /* entries, live + dead */
	uint32_t dead;
};

struct sched_virtual_ {
	sched base;
	int64_t now;
	uint64_t curb;               /* current bucket, of ubucket() */
	uint32_t cslot;              /* its ring slot: curb mod NBUCKETS */
	/* the slot sched_virtual_next pops from: cslot, or while stopped
	 * NBUCKETS, a list always empty, so that its fast path tests one thing */
	uint32_t pslot;
	bool stopped;
	bool fheap;                  /* the current bucket is the front heap (its list is empty) */
	/* seq counts every sched_at that succeeded, so the pending count is
	 * seq - fired - cancelled and the hot paths keep no `live` counter */
	uint64_t seq, fired, cancelled;
	struct sched_vheap_ front, far;
	struct sched_vnode_ *nodes;
	uint32_t nnodes, capnodes;
	uint32_t freen;              /* free list head, N_FREE when empty */
	/* far timers enter the window when curb reaches far_at: the far top's
	 * bucket - (NBUCKETS - 1), UINT64_MAX when the far heap is empty
	 * (far_sync), so a new bucket compares once */
	uint64_t far_at;
	uint64_t summary;            /* bit w: bits[w] != 0 */
	uint64_t bits[SCHED_V_NWORDS]; /* bit b: slot b is not current and its list is not empty */
	uint64_t uns[SCHED_V_NWORDS];  /* bit b: slot b's list may be unsorted (crowded) */
	/* the side slot (sched_virtual_at_side): its key, (INT64_MAX,
	 * UINT64_MAX) when empty, which is after every timer's */
	int64_t side_when;
	uint64_t side_order;
	uint64_t side_arg;
	sched_fn side_fn;
	void *side_ctx;
	/* + the stopped clock's empty one (pslot) */
	struct sched_vlist_ list[SCHED_V_NBUCKETS + 1];
};

/* The general paths, for the inline ones only. */
sched_id sched_virtual_at_(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg);
sched_id sched_virtual_outside_(sched *s, uint64_t d, uint32_t h);
sched_id sched_virtual_insert_(sched *s, uint32_t b, uint32_t h);
bool     sched_virtual_next_(sched *s, int64_t until, int64_t *now, uint64_t *arg);
bool     sched_virtual_next_bucket_(sched *s, int64_t until, int64_t *now, uint64_t *arg);
void     sched_virtual_check_(sched *s);

static inline int64_t sched_virtual_now(sched *s)
{
#ifdef TIERLINE_DEBUG_INVARIANTS
	sched_virtual_check_(s);
#endif
	return ((struct sched_virtual_ *)s)->now;
}

/* Inline: a timer into an empty ring bucket or after its tail.  A timer
 * before a bucket's tail (sched_virtual_insert_), in the current bucket
 * or beyond the ring (sched_virtual_outside_) goes out of line with its
 * node filled in; a new node or a priority out of range to
 * sched_virtual_at_.  (A constant pri, as the simulator passes, makes its
 * test and shift free.)  Always inlined: GCC otherwise made an
 * out-of-line copy of it, which was the call again. */
static inline __attribute__((always_inline)) sched_id sched_virtual_at(sched *s, int64_t when, int pri, sched_fn fn, void *ctx,
                                        uint64_t arg)
{
#ifdef TIERLINE_DEBUG_INVARIANTS
	sched_virtual_check_(s);
#endif
	struct sched_virtual_ *v = (struct sched_virtual_ *)s;
	uint32_t h = v->freen;
	if (h == SCHED_V_NIL || (unsigned)pri >= SCHED_NPRI)
		return sched_virtual_at_(s, when, pri, fn, ctx, arg);
	struct sched_vnode_ *ns = v->nodes;
	struct sched_vnode_ *n = &ns[h];
	n->fn = fn;
	n->ctx = ctx;
	n->arg = arg;
	v->freen = n->next;
	if (when < v->now)
		when = v->now;
	uint64_t order = ((uint64_t)pri << SCHED_V_SEQ_BITS) | v->seq++;
	n->when = when;
	n->order = order;
	/* the bucket: monotonic over all of int64, sign bit flipped */
	uint64_t ub = ((uint64_t)when ^ (1ull << 63)) >> SCHED_V_BUCKET_BITS;
	uint64_t d = ub - v->curb;
	/* d - 1 wraps for the current bucket (d == 0) and any before it */
	if (d - 1 >= SCHED_V_NBUCKETS - 1)
		return sched_virtual_outside_(s, d, h);
	uint32_t b = (uint32_t)(ub & (SCHED_V_NBUCKETS - 1));
	struct sched_vlist_ *l = &v->list[b];
	n->where = b;
	if (l->head == SCHED_V_NIL) {
		n->next = SCHED_V_NIL;
		l->head = l->tail = h;
		v->bits[b >> 6] |= 1ull << (b & 63);
		v->summary |= 1ull << (b >> 6);
	} else {
		struct sched_vnode_ *t = &ns[l->tail];
		if (!(t->when < when || (t->when == when && t->order < order)))
			return sched_virtual_insert_(s, b, h);
		n->prev = l->tail;
		n->next = SCHED_V_NIL;
		t->next = h;
		l->tail = h;
	}
	return (order << 32) | (uint64_t)(h + 1);
}

static inline bool sched_virtual_at_side(sched *s, int64_t when, int pri, sched_fn fn, void *ctx,
                                         uint64_t arg)
{
	struct sched_virtual_ *v = (struct sched_virtual_ *)s;
	if (v->side_order != UINT64_MAX || (unsigned)pri >= SCHED_NPRI)
		return sched_virtual_at(s, when, pri, fn, ctx, arg) != 0;
	v->side_when = when < v->now ? v->now : when;
	v->side_order = ((uint64_t)pri << SCHED_V_SEQ_BITS) | v->seq++;
	v->side_arg = arg;
	v->side_fn = fn;
	v->side_ctx = ctx;
	return true;
}

/* The side timer is before the timer keyed (when, order). */
static inline bool sched_virtual_side_before_(const struct sched_virtual_ *v, int64_t when,
                                              uint64_t order)
{
	return v->side_when < when || (v->side_when == when && v->side_order < order);
}

/* Take the side timer (due, and before every other). */
static inline bool sched_virtual_take_side_(struct sched_virtual_ *v, int64_t *now, uint64_t *arg)
{
	int64_t when = v->side_when;
	v->now = when;
	v->fired++;
	*arg = v->side_arg;
	*now = when;
	v->side_when = INT64_MAX;
	v->side_order = UINT64_MAX;
	return true;
}

/* Inline: the head of the current bucket's list (or the side timer before
 * it), due by `until`.  An empty list (a new bucket, or stopped) is
 * sched_virtual_next_bucket_'s, a head not due sched_virtual_next_'s. */
static inline __attribute__((always_inline)) bool sched_virtual_next(sched *s, int64_t until, int64_t *now, uint64_t *arg)
{
#ifdef TIERLINE_DEBUG_INVARIANTS
	sched_virtual_check_(s);
#endif
	struct sched_virtual_ *v = (struct sched_virtual_ *)s;
	struct sched_vlist_ *l = &v->list[v->pslot];
	uint32_t h = l->head;
	if (h == SCHED_V_NIL)
		return sched_virtual_next_bucket_(s, until, now, arg);
	struct sched_vnode_ *n = &v->nodes[h];
	int64_t when = n->when;
	if (when > until)
		return sched_virtual_next_(s, until, now, arg);
	if (v->side_when <= when && sched_virtual_side_before_(v, when, n->order))
		return sched_virtual_take_side_(v, now, arg);
	l->head = n->next;
	v->now = when;               /* no pending timer is before now */
	v->fired++;
	*arg = n->arg;
	*now = when;
	n->where = SCHED_V_NIL;      /* node_free */
	n->next = v->freen;
	v->freen = h;
	return true;
}

#endif
