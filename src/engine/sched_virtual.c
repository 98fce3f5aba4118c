/*
 * sched_virtual.c — the virtual clock: a 4-ary min-heap that jumps from
 * timer to timer.
 *
 * Key: (when, pri, seq).  seq is a counter bumped by every sched_at, so two
 * timers at the same instant and priority fire in the order they were
 * scheduled; pri lets a driver put caller events before engine timers at the
 * same instant (sched.h).  Together they make a run deterministic.
 *
 * Cancel is lazy: an id names a handle (slot index + generation); cancel
 * marks the handle dead in O(1) and the dead entry is dropped when it
 * reaches the root (O(log n), like any pop), or earlier by a purge when the
 * dead outnumber the live (amortised O(1), memory within 2x the live).  A handle is reused only after
 * its entry left the heap, and its generation changes when it fires or is
 * cancelled, so ids of fired or cancelled timers are harmless.  (Exact
 * removal by index was measured too: keeping every entry's heap position
 * up to date costs a scattered write per sift step and was slower.)
 * The heap, handle table and free list only grow (doubling), so after the
 * heap reached its peak size nothing is allocated.
 */
#include <stdlib.h>
#include <string.h>
#include "tierline/sched.h"

/* Heap entries hold only the key and a handle index (24 bytes), so sifting
 * moves little memory; what to call lives in the handle. */
/* Heap entries hold only the key and a handle index (24 bytes), so sifting
 * moves little memory and touches nothing else; what to call lives in the
 * handle, read once when the entry is popped. */
typedef struct ventry {
	int64_t when;
	uint64_t order;              /* pri << 56 | seq */
	uint32_t h;                  /* handle index */
} ventry;

typedef struct vhandle {
	uint32_t gen;                /* bumped when the timer fires or is cancelled */
	bool dead;                   /* cancelled, still in the heap */
	sched_fn fn;
	void *ctx;
	uint64_t arg;
} vhandle;

#define SEQ_BITS 56

typedef struct vsched {
	sched base;
	int64_t now;
	ventry *heap;
	uint32_t n, cap;             /* entries in the heap (live + dead) */
	vhandle *hs;
	uint32_t nh;                 /* handles ever created */
	uint32_t *freeh;             /* free handle indexes */
	uint32_t nfree;
	uint64_t live;               /* pending, not cancelled */
	uint64_t dead;               /* cancelled, still in the heap */
	uint64_t seq, fired;
	bool stopped;
} vsched;

/* Branch-free on purpose: which child is smaller is a coin toss the branch
 * predictor loses half the time, at every level of every pop. */
static inline unsigned __int128 key128(const ventry *e)
{
	/* (when, order) as one unsigned 128-bit number: when's sign bit
	 * flipped so that unsigned order is signed order.  The comparison is
	 * then a cmp/sbb pair, no branch and no flag juggling. */
	return (unsigned __int128)((uint64_t)e->when ^ (1ull << 63)) << 64 | e->order;
}

static inline bool before(const ventry *a, const ventry *b)
{
	return key128(a) < key128(b);
}

/* A 4-ary heap: children of i are 4i+1 .. 4i+4.  Half the levels of a
 * binary heap, so a pop walks half as many (cache-missing) levels; the
 * extra comparisons per level are cheap, branch-free and on adjacent
 * entries.  The order is exactly the binary heap's: keys are unique
 * (seq), so any valid heap pops them in the same order. */
#define ARITY 4

/* The smallest of the children of i (there is at least one, l < n). */
static inline uint32_t min_child(const ventry *h, uint32_t l, uint32_t n)
{
	uint32_t m = l;
	if (l + 3 < n) {
		uint32_t a = l + (uint32_t)before(&h[l + 1], &h[l]);
		uint32_t b = l + 2 + (uint32_t)before(&h[l + 3], &h[l + 2]);
		m = before(&h[b], &h[a]) ? b : a;
	} else {
		for (uint32_t c = l + 1; c < n; c++)
			if (before(&h[c], &h[m]))
				m = c;
	}
	return m;
}

static void sift_up(vsched *v, uint32_t i)
{
	ventry e = v->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / ARITY;
		if (!before(&e, &v->heap[p]))
			break;
		v->heap[i] = v->heap[p];
		i = p;
	}
	v->heap[i] = e;
}

static void sift_down(vsched *v, uint32_t i)
{
	ventry e = v->heap[i];
	for (;;) {
		uint32_t l = ARITY * i + 1;
		if (l >= v->n)
			break;
		uint32_t m = min_child(v->heap, l, v->n);
		if (!before(&v->heap[m], &e))
			break;
		v->heap[i] = v->heap[m];
		i = m;
	}
	v->heap[i] = e;
}

/* Drop every dead entry and rebuild the heap (O(n)).  Run when the dead
 * outnumber the live, so memory stays within twice the live timers and the
 * cost is amortised O(1) per cancel.  The firing order does not change:
 * keys are unique, so any valid heap pops them in the same order. */
static void purge(vsched *v)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < v->n; i++) {
		if (v->hs[v->heap[i].h].dead)
			v->freeh[v->nfree++] = v->heap[i].h;
		else
			v->heap[j++] = v->heap[i];
	}
	v->n = j;
	v->dead = 0;
	if (v->n > 1)
		for (uint32_t i = (v->n - 2) / ARITY + 1; i-- > 0;)
			sift_down(v, i);
}

/* Pop the root; its handle goes back to the free list.  Floyd's trick: walk
 * the hole down to a leaf taking the smallest child, put the last entry
 * there and sift it up — it rarely climbs, since it came from the bottom. */
static ventry pop(vsched *v)
{
	ventry top = v->heap[0];
	v->freeh[v->nfree++] = top.h;
	uint32_t n = --v->n;
	if (n == 0)
		return top;
	ventry *h = v->heap;
	uint32_t i = 0;
	for (;;) {
		uint32_t l = ARITY * i + 1;
		if (l >= n)
			break;
		uint32_t m = min_child(h, l, n);
		h[i] = h[m];
		i = m;
	}
	h[i] = h[n];
	sift_up(v, i);
	return top;
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
	vhandle *hd = &v->hs[h];
	hd->dead = false;
	hd->fn = fn;
	hd->ctx = ctx;
	hd->arg = arg;
	ventry e = {
		.when = when < v->now ? v->now : when,
		.order = ((uint64_t)pri << SEQ_BITS) | (v->seq++ & ((1ull << SEQ_BITS) - 1)),
		.h = h,
	};
	v->heap[v->n++] = e;
	sift_up(v, v->n - 1);
	v->live++;
	return ((uint64_t)hd->gen << 32) | (uint64_t)(h + 1);
}

/* Lazy: the entry stays in the heap, marked dead, and is dropped when it
 * reaches the root.  O(1) here, O(log n) when popped; no heap position has
 * to be tracked, which keeps every sift free of scattered writes. */
static bool v_cancel(sched *s, sched_id id)
{
	vsched *v = (vsched *)s;
	uint32_t h = (uint32_t)id;
	if (h == 0 || h > v->nh)
		return false;
	vhandle *hd = &v->hs[h - 1];
	if (hd->gen != (uint32_t)(id >> 32) || hd->dead)
		return false;
	hd->dead = true;
	hd->gen++;
	v->live--;
	if (++v->dead > 64 && v->dead > v->live)
		purge(v);
	return true;
}

static int v_run(sched *s, int64_t until)
{
	vsched *v = (vsched *)s;
	v->stopped = false;
	while (v->n > 0 && !v->stopped) {
		if (v->heap[0].when > until) {
			/* dead entries at the root do not count as pending work */
			if (v->hs[v->heap[0].h].dead) {
				pop(v);
				v->dead--;
				continue;
			}
			break;
		}
		ventry e = pop(v);
		vhandle *hd = &v->hs[e.h];
		if (hd->dead) {
			v->dead--;
			continue;
		}
		hd->gen++;                   /* the id is spent */
		v->live--;
		if (e.when > v->now)
			v->now = e.when;
		v->fired++;
		hd->fn(s, v->now, hd->ctx, hd->arg);
	}
	if (v->stopped)
		return 1;
	if (until != SCHED_FOREVER && until > v->now)
		v->now = until;
	return v->live > 0 ? 1 : 0;
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
	return s && s->ops == &vops ? ((vsched *)s)->live : 0;
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

size_t sched_virtual_bytes_used(sched *s)
{
	if (!s || s->ops != &vops)
		return 0;
	vsched *v = (vsched *)s;
	return sizeof *v + v->n * (sizeof(ventry) + sizeof(vhandle) + sizeof(uint32_t));
}
