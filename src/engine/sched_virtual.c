/*
 * sched_virtual.c — the virtual clock: a binary min-heap that jumps from
 * timer to timer.
 *
 * Key: (when, pri, seq).  seq is a counter bumped by every sched_at, so two
 * timers at the same instant and priority fire in the order they were
 * scheduled; pri lets a driver put caller events before engine timers at the
 * same instant (sched.h).  Together they make a run deterministic.
 *
 * Cancel is exact, not lazy: an id names a slot in a handle table that knows
 * the entry's heap position, so cancel removes the entry in O(log n) and the
 * heap never fills with dead timers.  Handle generations make ids of fired or
 * cancelled timers harmless.  The heap, handle table and free list only grow
 * (doubling), so after the heap reached its peak size nothing is allocated.
 */
#include <stdlib.h>
#include <string.h>
#include "tierline/sched.h"

typedef struct ventry {
	int64_t when;
	uint64_t order;              /* pri << 56 | seq */
	sched_fn fn;
	void *ctx;
	uint64_t arg;
	uint32_t h;                  /* handle index */
} ventry;

typedef struct vhandle {
	uint32_t pos;                /* heap index; VFREE when not pending */
	uint32_t gen;
} vhandle;

#define VFREE UINT32_MAX
#define SEQ_BITS 56

typedef struct vsched {
	sched base;
	int64_t now;
	ventry *heap;
	uint32_t n, cap;
	vhandle *hs;
	uint32_t nh;                 /* handles ever created (== cap of hs used) */
	uint32_t *freeh;             /* free handle indexes */
	uint32_t nfree;
	uint64_t seq, fired;
	bool stopped;
} vsched;

static inline bool before(const ventry *a, const ventry *b)
{
	return a->when < b->when || (a->when == b->when && a->order < b->order);
}

static inline void place(vsched *v, uint32_t i, const ventry *e)
{
	v->heap[i] = *e;
	v->hs[e->h].pos = i;
}

static void sift_up(vsched *v, uint32_t i)
{
	ventry e = v->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!before(&e, &v->heap[p]))
			break;
		place(v, i, &v->heap[p]);
		i = p;
	}
	place(v, i, &e);
}

static void sift_down(vsched *v, uint32_t i)
{
	ventry e = v->heap[i];
	for (;;) {
		uint32_t l = 2 * i + 1;
		if (l >= v->n)
			break;
		uint32_t m = l;
		if (l + 1 < v->n && before(&v->heap[l + 1], &v->heap[l]))
			m = l + 1;
		if (!before(&v->heap[m], &e))
			break;
		place(v, i, &v->heap[m]);
		i = m;
	}
	place(v, i, &e);
}

/* Take the entry at heap index i out; its handle is released. */
static void remove_at(vsched *v, uint32_t i)
{
	uint32_t h = v->heap[i].h;
	v->hs[h].pos = VFREE;
	v->hs[h].gen++;
	v->freeh[v->nfree++] = h;
	v->n--;
	if (i == v->n)
		return;
	place(v, i, &v->heap[v->n]);
	if (i > 0 && before(&v->heap[i], &v->heap[(i - 1) / 2]))
		sift_up(v, i);
	else
		sift_down(v, i);
}

static int64_t v_now(sched *s)
{
	return ((vsched *)s)->now;
}

static bool grow(vsched *v)
{
	uint32_t cap = v->cap ? v->cap * 2 : 64;
	ventry *heap = realloc(v->heap, cap * sizeof *heap);
	if (!heap)
		return false;
	v->heap = heap;
	vhandle *hs = realloc(v->hs, cap * sizeof *hs);
	if (!hs)
		return false;
	v->hs = hs;
	uint32_t *fh = realloc(v->freeh, cap * sizeof *fh);
	if (!fh)
		return false;
	v->freeh = fh;
	v->cap = cap;
	return true;
}

static sched_id v_at(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg)
{
	vsched *v = (vsched *)s;
	if (v->n == v->cap && !grow(v))
		return 0;
	uint32_t h;
	if (v->nfree > 0) {
		h = v->freeh[--v->nfree];
	} else {
		h = v->nh++;
		v->hs[h].gen = 1;
	}
	if (pri < 0)
		pri = 0;
	if (pri >= SCHED_NPRI)
		pri = SCHED_NPRI - 1;
	ventry e = {
		.when = when < v->now ? v->now : when,
		.order = ((uint64_t)pri << SEQ_BITS) | (v->seq++ & ((1ull << SEQ_BITS) - 1)),
		.fn = fn, .ctx = ctx, .arg = arg, .h = h,
	};
	v->heap[v->n] = e;
	v->hs[h].pos = v->n;
	v->n++;
	sift_up(v, v->n - 1);
	return ((uint64_t)v->hs[h].gen << 32) | (uint64_t)(h + 1);
}

static bool v_cancel(sched *s, sched_id id)
{
	vsched *v = (vsched *)s;
	uint32_t h = (uint32_t)id;
	if (h == 0 || h > v->nh)
		return false;
	h--;
	if (v->hs[h].gen != (uint32_t)(id >> 32) || v->hs[h].pos == VFREE)
		return false;
	remove_at(v, v->hs[h].pos);
	return true;
}

static int v_run(sched *s, int64_t until)
{
	vsched *v = (vsched *)s;
	v->stopped = false;
	while (v->n > 0 && !v->stopped) {
		if (v->heap[0].when > until)
			break;
		ventry e = v->heap[0];
		remove_at(v, 0);
		if (e.when > v->now)
			v->now = e.when;
		v->fired++;
		e.fn(s, v->now, e.ctx, e.arg);
	}
	if (v->stopped)
		return 1;
	if (until != SCHED_FOREVER && until > v->now)
		v->now = until;
	return v->n > 0 ? 1 : 0;
}

static void v_stop(sched *s)
{
	((vsched *)s)->stopped = true;
}

static void v_destroy(sched *s)
{
	vsched *v = (vsched *)s;
	free(v->heap);
	free(v->hs);
	free(v->freeh);
	free(v);
}

static const sched_ops vops = {
	.now = v_now, .at = v_at, .cancel = v_cancel, .run = v_run,
	.stop = v_stop, .destroy = v_destroy,
};

sched *sched_virtual_new(int64_t start)
{
	vsched *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->base.ops = &vops;
	v->now = start;
	if (!grow(v)) {
		v_destroy(&v->base);
		return NULL;
	}
	return &v->base;
}

uint64_t sched_virtual_pending(sched *s)
{
	return s && s->ops == &vops ? ((vsched *)s)->n : 0;
}

uint64_t sched_virtual_fired(sched *s)
{
	return s && s->ops == &vops ? ((vsched *)s)->fired : 0;
}

size_t sched_virtual_bytes(sched *s)
{
	if (!s || s->ops != &vops)
		return 0;
	vsched *v = (vsched *)s;
	return sizeof *v + v->cap * (sizeof(ventry) + sizeof(vhandle) + sizeof(uint32_t));
}
