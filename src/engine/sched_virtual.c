/*
 * sched_virtual.c — the virtual clock: a calendar of coarse buckets, each a
 * sorted list, with a far heap beyond.
 *
 * Order: (when, pri, seq), exactly.  seq is a counter bumped by every
 * sched_at, so two timers at the same instant and priority fire in the
 * order they were scheduled; pri lets a driver put caller events before
 * engine timers at the same instant (sched.h).  Together they make a run
 * deterministic.
 *
 * Time is cut into buckets of BUCKET_MS (2^BUCKET_BITS ms); `curb` is the
 * current bucket and `cslot` its slot in the ring.  A pending timer lives in
 * exactly one of three places:
 *
 *   ring   NBUCKETS doubly linked lists, one per bucket, for the current
 *          bucket and the next NBUCKETS-1 (35 minutes ahead, so IVR
 *          timers, patience and handling times nearly all fit), each kept
 *          sorted on the full key as timers are scheduled.  The current
 *          bucket's list also takes every timer before the bucket's end
 *          (including any scheduled at `now` after the bucket moved past
 *          it);
 *   front  a 4-ary min-heap standing in for the current bucket's list when
 *          that bucket is crowded (below), until it runs dry;
 *   far    a 4-ary min-heap on the full key, for everything later.
 *
 * So current bucket < later buckets < far, and the next timer is the head
 * of the current list (or the front's root).  A pop unlinks that head; when
 * the current bucket is empty it moves to the next non-empty one (a
 * find-first-set over a two-level bitmap of the other buckets), and far
 * timers the window now covers move into the ring.  Every list orders by
 * the full key, so the order timers arrive in does not matter: ties (same
 * ms, same priority) still fire in seq order.
 *
 * Why lists sorted as timers come, and not a bucket sorted when it becomes
 * current (as before): both workloads put a few timers in a bucket (USCIS
 * ~4, M/M/c under 1), and most go into an empty list, after its tail (a
 * burst at one instant, a delay after an earlier one) or before its head,
 * each one comparison; copying every timer into a sorted array when its
 * bucket came up cost ~60 instructions a timer.  A pop is then an unlink,
 * and moving to the next bucket a bitmap scan.
 *
 * Crowded buckets: a timer that goes between head and tail walks from the
 * head, past at most WALK entries.  A ring bucket whose walk would go
 * further is marked unsorted (`uns`), takes its timers at the tail from
 * then on, and is made a heap (Floyd) when it becomes current; the current
 * bucket's list is poured into the front heap (a sorted list, in order, is
 * already a heap) when its walk would go further.  So a sched_at is
 * O(WALK) at worst, a pop O(log n).
 *
 * Why coarse buckets: both workloads are sparse in time (the M/M/c bench
 * has ~100 timers spread over a minute, a USCIS day ~15 events a second),
 * so 1-ms buckets would put every timer on its own cache line; 512-ms
 * buckets keep the bitmap in L1 and each list short.  (Measured with
 * callgrind: 256 ms was best until the simulator's arrivals moved to the
 * side slot; since then 512 ms takes the fewest instructions on both
 * workloads, 128, 256 and 1024 ms more.)
 *
 * The hot paths — sched_virtual_at into an empty ring bucket or after its
 * tail, sched_virtual_next from the current list — are inline in sched.h
 * (the structures are declared there), so the simulator makes no call for
 * them; everything else (a new node, a walk, the current bucket, the far
 * heap, a new bucket, the front heap) is a call to a function of its own
 * here (sched_virtual_*_), so the common paths keep to a few registers.
 * Checking that a sched is a virtual one is for debug builds only
 * (TIERLINE_DEBUG_INVARIANTS).
 *
 * Cancel.  A list timer is unlinked at once, so the IVR's cancelled
 * timeouts (seconds ahead) never cost a pop.  A heap timer is cancelled
 * lazily: its node is marked dead and dropped when it reaches the root or
 * migrates, or by a purge when a heap's dead outnumber its live (memory
 * within 2x the live).
 *
 * Ids: node index + 1 in the low 32 bits, the low 32 bits of the timer's
 * seq in the high.  A node is reused only after it left every structure,
 * and then with another seq, so an id of a fired or cancelled timer is
 * harmless (until 2^32 more timers are scheduled, and then only if they
 * land on the same node at the same seq mod 2^32), and 0 is never an id.
 *
 * Memory: the ring's lists and bitmaps are part of the struct; nodes and
 * heaps grow by doubling and never shrink, so after the peak nothing is
 * allocated.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/sched.h"

/* The sizes are sched.h's, whose inline fast paths share the structures. */
#define BUCKET_BITS SCHED_V_BUCKET_BITS  /* 512-ms buckets */
#define RING_BITS SCHED_V_RING_BITS      /* 4096 buckets: 2097 s (35 min) ahead */
#define NBUCKETS SCHED_V_NBUCKETS
#define NWORDS SCHED_V_NWORDS
_Static_assert(NWORDS >= 1 && NWORDS <= 64, "the summary is a single word");

/* Entries a sched_at may walk past in a list before the bucket counts as
 * crowded (see the top). */
#ifndef WALK
#define WALK 16
#endif

/* Node states other than "in the list of ring slot b" (b < NBUCKETS). */
#define N_FREE SCHED_V_NIL
#define N_FRONT 0xfffffffeu
#define N_FAR 0xfffffffdu
#define N_DEAD 0xfffffffcu           /* cancelled, still in a heap */
#define NIL N_FREE                   /* end of a list, an empty list */

/* One per pending timer, indexed by the id's low half (sched.h). */
typedef struct sched_vnode_ vnode;
_Static_assert(sizeof(vnode) == 64, "a node is 64 bytes");

/* Heap entries hold only the key and a node index (24 bytes), so sifting
 * moves little memory. */
typedef struct sched_ventry_ {
	int64_t when;
	uint64_t order;
	uint32_t h;
} ventry;

typedef struct sched_vheap_ vheap;

/* A bucket's list: head is the first (smallest) entry, NIL when empty;
 * tail the last, meaningful only when not empty.  A node's next is the one
 * after it (NIL at the tail), its prev the one before it (not kept up to
 * date at the head, where it is never read). */
typedef struct sched_vlist_ vlist;

#define SEQ_BITS SCHED_V_SEQ_BITS

/* The clock; its fields are described in sched.h, whose inline fast paths
 * use them. */
typedef struct sched_virtual_ vsched;

static const sched_ops vops;

/* Bucket number, monotonic in `when` over all of int64 (sign bit flipped,
 * so negative times need no floor division). */
static inline uint64_t ubucket(int64_t when)
{
	return ((uint64_t)when ^ (1ull << 63)) >> BUCKET_BITS;
}

/* The current slot is b: pslot follows it unless stopped. */
static inline void set_cslot(vsched *v, uint32_t b)
{
	v->cslot = b;
	v->pslot = v->stopped ? NBUCKETS : b;
}

static inline void set_stopped(vsched *v, bool stopped)
{
	v->stopped = stopped;
	v->pslot = stopped ? NBUCKETS : v->cslot;
}

/* ---- nodes ------------------------------------------------------------------------ */

/* The front heap grows with the node table, so that it always has room
 * for every timer: pouring a bucket into it (during a pop) then never
 * allocates, and running out of memory shows only in sched_at. */
static bool grow_nodes(vsched *v)
{
	uint32_t cap = v->capnodes ? v->capnodes * 2 : 64;
	ventry *e = realloc(v->front.e, cap * sizeof *e);
	if (!e)
		return false;
	v->front.e = e;
	v->front.cap = cap;
	vnode *ns = realloc(v->nodes, cap * sizeof *ns);
	if (!ns)
		return false;
	v->nodes = ns;
	v->capnodes = cap;
	return true;
}

/* The node can be reused (its id is spent: a new timer has another seq). */
static inline void node_free(vsched *v, uint32_t h)
{
	vnode *n = &v->nodes[h];
	n->where = N_FREE;
	n->next = v->freen;
	v->freen = h;
}

/* a is before the key (when, order) */
static inline bool node_before(const vnode *a, int64_t when, uint64_t order)
{
	return a->when < when || (a->when == when && a->order < order);
}

/* ---- lists and the ring ------------------------------------------------------------ */

static inline bool bit_test(const uint64_t *bm, uint32_t b)
{
	return (bm[b >> 6] >> (b & 63)) & 1;
}

static inline void ring_clear_bit(vsched *v, uint32_t b)
{
	if ((v->bits[b >> 6] &= ~(1ull << (b & 63))) == 0)
		v->summary &= ~(1ull << (b >> 6));
}

/* First non-empty bucket at or after p (no wrap); NBUCKETS when none. */
static inline uint32_t ring_next(const vsched *v, uint32_t p)
{
	uint32_t w = p >> 6;
	uint64_t m = v->bits[w] & (~0ull << (p & 63));
	if (!m) {
		if (w + 1 >= NWORDS)
			return NBUCKETS;
		uint64_t s = v->summary & (~0ull << (w + 1));
		if (!s)
			return NBUCKETS;
		w = (uint32_t)__builtin_ctzll(s);
		m = v->bits[w];
	}
	return (w << 6) | (uint32_t)__builtin_ctzll(m);
}

/* h (when and order set) as the only entry of the empty list l. */
static inline void list_first(vnode *ns, vlist *l, uint32_t h)
{
	ns[h].next = NIL;
	l->head = l->tail = h;
}

/* h after the tail of the non-empty list l. */
static inline void list_append(vnode *ns, vlist *l, uint32_t h)
{
	ns[h].prev = l->tail;
	ns[h].next = NIL;
	ns[l->tail].next = h;
	l->tail = h;
}

/* h before the head of the non-empty list l. */
static inline void list_prepend(vnode *ns, vlist *l, uint32_t h)
{
	ns[h].next = l->head;
	ns[l->head].prev = h;
	l->head = h;
}

/* h into the sorted list l, whose head is before it and tail after it:
 * walked to from the head, past at most WALK entries; false (nothing
 * linked) when it would have to walk further (a crowded bucket).  On
 * pointers, few live values: it runs without saving registers. */
static inline bool list_walk(vnode *ns, const vlist *l, uint32_t h)
{
	vnode *n = &ns[h];
	vnode *p = &ns[l->head];
	for (unsigned k = 0; k < WALK; k++) {
		uint32_t x = p->next;        /* never NIL: the tail is after h */
		vnode *q = &ns[x];
		if (!node_before(q, n->when, n->order)) {
			n->prev = q->prev;   /* p's index */
			n->next = x;
			p->next = h;
			q->prev = h;
			return true;
		}
		p = q;
	}
	return false;
}

/* A crowded ring bucket: marked unsorted, it takes h at its tail. */
static __attribute__((noinline)) void ring_crowded(vsched *v, uint32_t b, uint32_t h)
{
	v->uns[b >> 6] |= 1ull << (b & 63);
	list_append(v->nodes, &v->list[b], h);
}

/* h when it does not go after the tail of slot b's list: before the head,
 * or walked to.  Inlined into the two functions that call it, both apart
 * from the common paths so that those save no registers for it. */
static inline __attribute__((always_inline)) void ring_insert_(vsched *v, uint32_t b, uint32_t h)
{
	vnode *ns = v->nodes;
	vlist *l = &v->list[b];
	if (!node_before(&ns[l->head], ns[h].when, ns[h].order))
		list_prepend(ns, l, h);
	else if (bit_test(v->uns, b) || !list_walk(ns, l, h))
		ring_crowded(v, b, h);
}

/* ring_push's (sched_virtual_at has sched_virtual_insert_). */
static __attribute__((noinline)) void ring_insert(vsched *v, uint32_t b, uint32_t h)
{
	ring_insert_(v, b, h);
}

/* Node h (when and order set) into the list of ring slot b, not the
 * current one. */
static inline void ring_push(vsched *v, uint32_t b, uint32_t h)
{
	vnode *ns = v->nodes;
	vnode *n = &ns[h];
	vlist *l = &v->list[b];
	n->where = b;
	if (l->head == NIL) {
		list_first(ns, l, h);
		v->bits[b >> 6] |= 1ull << (b & 63);
		v->summary |= 1ull << (b >> 6);
	} else if (node_before(&ns[l->tail], n->when, n->order)) {
		list_append(ns, l, h);
	} else {
		ring_insert(v, b, h);
	}
}

/* h, pending in a list, out of it. */
static inline void list_unlink(vsched *v, uint32_t h)
{
	vnode *ns = v->nodes;
	vnode *n = &ns[h];
	uint32_t b = n->where;
	vlist *l = &v->list[b];
	if (l->head == h) {
		l->head = n->next;
		if (n->next == NIL) {
			/* (the current slot's bit is clear already) */
			ring_clear_bit(v, b);
			v->uns[b >> 6] &= ~(1ull << (b & 63));
		}
	} else {
		ns[n->prev].next = n->next;
		if (n->next != NIL)
			ns[n->next].prev = n->prev;
		else
			l->tail = n->prev;
	}
}

/* ---- heaps (front and far) ----------------------------------------------------------- */

/* Branch-free on purpose: which child is smaller is a coin toss the branch
 * predictor loses half the time, at every level of every pop.  (when,
 * order) compare as one unsigned 128-bit number, when's sign bit flipped. */
static inline unsigned __int128 key128(const ventry *e)
{
	return (unsigned __int128)((uint64_t)e->when ^ (1ull << 63)) << 64 | e->order;
}

static inline bool before(const ventry *a, const ventry *b)
{
	return key128(a) < key128(b);
}

/* 4-ary: children of i are 4i+1 .. 4i+4.  Keys are unique (seq), so any
 * valid heap pops them in the same order. */
#define ARITY 4

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

static void sift_up(ventry *h, uint32_t i)
{
	ventry e = h[i];
	while (i > 0) {
		uint32_t p = (i - 1) / ARITY;
		if (!before(&e, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

static void sift_down(ventry *h, uint32_t n, uint32_t i)
{
	ventry e = h[i];
	for (;;) {
		uint32_t l = ARITY * i + 1;
		if (l >= n)
			break;
		uint32_t m = min_child(h, l, n);
		if (!before(&h[m], &e))
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = e;
}

/* Pop the root.  Floyd's trick: walk the hole down to a leaf taking the
 * smallest child, put the last entry there and sift it up — it rarely
 * climbs, since it came from the bottom. */
static ventry heap_pop(vheap *hp)
{
	ventry *h = hp->e;
	ventry top = h[0];
	uint32_t n = --hp->n;
	if (n == 0)
		return top;
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
	sift_up(h, i);
	return top;
}

static inline void heap_put(vheap *hp, const vnode *n, uint32_t h)
{
	hp->e[hp->n] = (ventry){ .when = n->when, .order = n->order, .h = h };
	sift_up(hp->e, hp->n++);
}

static bool heap_push(vheap *hp, const vnode *n, uint32_t h)
{
	if (hp->n == hp->cap) {
		uint32_t cap = hp->cap ? hp->cap * 2 : 64;
		ventry *e = realloc(hp->e, cap * sizeof *e);
		if (!e)
			return false;
		hp->e = e;
		hp->cap = cap;
	}
	heap_put(hp, n, h);
	return true;
}

/* Drop every dead entry and rebuild the heap (O(n)) when the dead outnumber
 * the live: memory within twice the live, amortised O(1) per cancel.  Keys
 * are unique (seq), so any valid heap pops them in the same order. */
static void heap_purge(vsched *v, vheap *hp, bool heapify)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < hp->n; i++) {
		if (v->nodes[hp->e[i].h].where == N_DEAD)
			node_free(v, hp->e[i].h);
		else
			hp->e[j++] = hp->e[i];
	}
	hp->n = j;
	hp->dead = 0;
	if (heapify && hp->n > 1)
		for (uint32_t i = (hp->n - 2) / ARITY + 1; i-- > 0;)
			sift_down(hp->e, hp->n, i);
}

/* Drop the dead entries at the root; false when the heap is then empty. */
static inline bool heap_clean_top(vsched *v, vheap *hp)
{
	while (hp->n > 0) {
		uint32_t h = hp->e[0].h;
		if (v->nodes[h].where != N_DEAD)
			return true;
		heap_pop(hp);
		hp->dead--;
		node_free(v, h);
	}
	return false;
}

/* far_at after the far heap changed. */
static inline void far_sync(vsched *v)
{
	uint64_t ub = v->far.n ? ubucket(v->far.e[0].when) : UINT64_MAX;
	v->far_at = ub < NBUCKETS - 1 ? 0 : ub - (NBUCKETS - 1);
}

/* ---- the current bucket -------------------------------------------------------- */

/* Pour the current bucket's list into the (empty) front heap and make the
 * front the current bucket.  A sorted list, in order, is already a heap;
 * an unsorted one is made one (Floyd). */
static void front_from_list(vsched *v, bool sorted)
{
	ventry *e = v->front.e;
	uint32_t k = 0;
	for (uint32_t h = v->list[v->cslot].head; h != NIL;) {
		vnode *n = &v->nodes[h];
		n->where = N_FRONT;
		e[k++] = (ventry){ .when = n->when, .order = n->order, .h = h };
		h = n->next;
	}
	v->list[v->cslot].head = NIL;
	v->front.n = k;
	if (!sorted && k > 1)
		for (uint32_t i = (k - 2) / ARITY + 1; i-- > 0;)
			sift_down(e, k, i);
	v->fheap = true;
}

/* Node h (when and order set) into the current bucket: its sorted list,
 * or the front heap once that list is crowded.  Never allocates (the front
 * has room for every node). */
static inline __attribute__((always_inline)) void cur_put(vsched *v, uint32_t h)
{
	vnode *ns = v->nodes;
	vnode *n = &ns[h];
	if (!v->fheap) {
		vlist *l = &v->list[v->cslot];
		n->where = v->cslot;
		if (l->head == NIL) {
			list_first(ns, l, h);
			return;
		}
		if (node_before(&ns[l->tail], n->when, n->order)) {
			list_append(ns, l, h);
			return;
		}
		if (!node_before(&ns[l->head], n->when, n->order)) {
			list_prepend(ns, l, h);
			return;
		}
		if (list_walk(ns, l, h))
			return;
		front_from_list(v, true);
	}
	n->where = N_FRONT;
	heap_put(&v->front, n, h);
}

/* ---- scheduling ------------------------------------------------------------------ */

/* The id of the timer in node h: its seq's low half (order's) over h + 1.
 * Made from the node at the end, so that sched_virtual_at keeps no
 * register for it. */
static inline sched_id make_id(const vnode *n, uint32_t h)
{
	return (n->order << 32) | (uint64_t)(h + 1);
}

/* sched_virtual_at for a timer beyond the ring: the far heap, which may
 * have to grow.  On failure the seq taken is given back. */
static __attribute__((noinline)) sched_id at_far(vsched *v, uint32_t h)
{
	vnode *n = &v->nodes[h];
	n->where = N_FAR;
	if (!heap_push(&v->far, n, h)) {
		node_free(v, h);
		v->seq--;
		return 0;
	}
	far_sync(v);
	return make_id(n, h);
}

/* sched_virtual_at for a timer within the current bucket (such as one at
 * `now`).  Apart so that the ring's path needs few registers. */
static __attribute__((noinline)) sched_id at_cur(vsched *v, uint32_t h)
{
	cur_put(v, h);
	return make_id(&v->nodes[h], h);
}

/* sched_virtual_at (sched.h's inline one too) for a timer before the tail
 * of ring slot b's list (`where` set). */
sched_id sched_virtual_insert_(sched *s, uint32_t b, uint32_t h)
{
	vsched *v = (vsched *)s;
	ring_insert_(v, b, h);
	return make_id(&v->nodes[h], h);
}

/* The free list is empty: put a node off the end of the table (growing
 * it) on it, and start again. */
static __attribute__((noinline)) sched_id at_grow(vsched *v, int64_t when, int pri, sched_fn fn,
                                                  void *ctx, uint64_t arg)
{
	if (v->nnodes == v->capnodes && !grow_nodes(v))
		return 0;
	node_free(v, v->nnodes++);
	return sched_virtual_at_(&v->base, when, pri, fn, ctx, arg);
}

/* Scheduler checks only in a debug build: the simulator's hot loop calls
 * the direct API millions of times (sched.h). */
#ifdef TIERLINE_DEBUG_INVARIANTS
#define CHECK_VIRTUAL(s) assert((s)->ops == &vops)
#else
#define CHECK_VIRTUAL(s) ((void)(s))
#endif

void sched_virtual_check_(sched *s)
{
	assert(s->ops == &vops);
	(void)s;
}

/* sched_virtual_at in general (the inline one's way out for a new node or
 * a priority out of range; the vtable's).  The common case — an empty
 * bucket of the ring, 35 minutes ahead, or after its tail — is a leaf
 * function of a few dozen instructions; the rest are calls. */
sched_id sched_virtual_at_(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg)
{
	CHECK_VIRTUAL(s);
	vsched *v = (vsched *)s;
	uint32_t h = v->freen;
	if (h == N_FREE)
		return at_grow(v, when, pri, fn, ctx, arg);
	vnode *n = &v->nodes[h];
	/* stored first: their registers are then free for the rest */
	n->fn = fn;
	n->ctx = ctx;
	n->arg = arg;
	v->freen = n->next;                  /* before ring_push reuses `next` */
	if ((unsigned)pri >= SCHED_NPRI)
		pri = pri < 0 ? 0 : SCHED_NPRI - 1;
	if (when < v->now)
		when = v->now;
	uint64_t seq = v->seq++;
	n->when = when;
	/* seq < 2^56: it would take years of sched_at at 1 GHz to reach */
	n->order = ((uint64_t)pri << SEQ_BITS) | seq;
	uint64_t ub = ubucket(when);
	uint64_t d = ub - v->curb;
	/* d - 1 wraps for the current bucket (d == 0) and any before it */
	if (d - 1 >= NBUCKETS - 1)
		return d == 0 || d > (UINT64_MAX >> 1) ? at_cur(v, h) : at_far(v, h);
	/* ring_push, with its walk a tail call */
	uint32_t b = (uint32_t)(ub & (NBUCKETS - 1));
	vlist *l = &v->list[b];
	n->where = b;
	if (l->head == NIL) {
		list_first(v->nodes, l, h);
		v->bits[b >> 6] |= 1ull << (b & 63);
		v->summary |= 1ull << (b >> 6);
	} else if (node_before(&v->nodes[l->tail], n->when, n->order)) {
		list_append(v->nodes, l, h);
	} else {
		return sched_virtual_insert_(s, b, h);
	}
	return make_id(n, h);
}

/* The inline sched_virtual_at's way out, once node h is filled in (when,
 * order, fn, ctx, arg; off the free list; seq taken), for a timer outside
 * the ring: d, its bucket's distance from the current one, is 0 or wrapped
 * for the current bucket, else beyond the ring (the far heap).  (Its other
 * way out is sched_virtual_insert_.) */
sched_id sched_virtual_outside_(sched *s, uint64_t d, uint32_t h)
{
	vsched *v = (vsched *)s;
	return d == 0 || d > (UINT64_MAX >> 1) ? at_cur(v, h) : at_far(v, h);
}

/* sched_virtual_cancel of a timer in a heap (apart, so that the list's
 * path saves no registers): lazy, dropped at the root, when migrating or
 * by a purge. */
static __attribute__((noinline)) bool cancel_heap(vsched *v, vnode *n)
{
	vheap *hp = n->where == N_FRONT ? &v->front : &v->far;
	n->where = N_DEAD;
	hp->dead++;
	if (hp->dead > 64 && hp->dead > hp->n - hp->dead) {
		heap_purge(v, hp, true);
		far_sync(v);
	}
	v->cancelled++;
	return true;
}

bool sched_virtual_cancel(sched *s, sched_id id)
{
	CHECK_VIRTUAL(s);
	vsched *v = (vsched *)s;
	uint32_t h = (uint32_t)id - 1;
	if ((uint32_t)id == 0 || h >= v->nnodes)
		return false;
	vnode *n = &v->nodes[h];
	/* a free or dead node is no pending timer; a live one is this id's
	 * only while its seq is the id's */
	if (n->where == N_FREE || n->where == N_DEAD || (uint32_t)n->order != (uint32_t)(id >> 32))
		return false;
	if (n->where >= NBUCKETS)
		return cancel_heap(v, n);
	list_unlink(v, h);
	node_free(v, h);
	v->cancelled++;
	return true;
}

/* ---- taking timers ---------------------------------------------------------------- */

/* Move the far timers the window now covers into the ring or the current
 * bucket.  Never allocates. */
static void migrate_far(vsched *v)
{
	/* far timers are all at or after curb (they were beyond the old window
	 * and the ring's were before them), so ub - curb cannot wrap */
	uint64_t ub;
	while (v->far.n > 0 && (ub = ubucket(v->far.e[0].when)) - v->curb < NBUCKETS) {
		ventry e = heap_pop(&v->far);
		if (v->nodes[e.h].where == N_DEAD) {
			v->far.dead--;
			node_free(v, e.h);
		} else if (ub == v->curb) {
			cur_put(v, e.h);
		} else {
			ring_push(v, (uint32_t)(ub & (NBUCKETS - 1)), e.h);
		}
	}
	far_sync(v);
}

/* The current bucket is empty and the ring is not (summary != 0): move to
 * the ring's next non-empty bucket. */
static inline void ring_advance(vsched *v)
{
	uint32_t cb = v->cslot;
	uint32_t b = ring_next(v, (cb + 1) & (NBUCKETS - 1));
	if (b == NBUCKETS)
		b = ring_next(v, 0);          /* wrapped round the ring */
	v->curb += (b - cb) & (NBUCKETS - 1);
	set_cslot(v, b);
	ring_clear_bit(v, b);
}

/* After the current bucket moved: whether it is unsorted or far timers
 * entered the window (advance_fix's work). */
static inline bool advance_needs_fix(const vsched *v)
{
	return v->curb >= v->far_at || bit_test(v->uns, v->cslot);
}

/* Make an unsorted new current bucket the front heap, and move the far
 * timers the window now covers into the ring. */
static __attribute__((noinline)) void advance_fix(vsched *v)
{
	uint32_t b = v->cslot;
	if (bit_test(v->uns, b)) {
		v->uns[b >> 6] &= ~(1ull << (b & 63));
		front_from_list(v, false);
	}
	if (v->curb >= v->far_at)
		migrate_far(v);
}

/* The current bucket is empty (its list, or the front heap): move it to
 * the next bucket holding a timer, and move the far timers the window now
 * covers into the ring (or the new current bucket).  Never allocates;
 * false when no timer is left anywhere.  Moving past `now` is harmless: a
 * later sched_at before the current bucket's end goes to the current
 * bucket, which orders by the full key. */
static __attribute__((noinline)) bool advance(vsched *v)
{
	v->fheap = false;
	v->front.n = 0;                      /* (empty already: dead entries are dropped at the root) */
	if (v->summary) {
		ring_advance(v);
	} else {
		bool any = heap_clean_top(v, &v->far);
		far_sync(v);
		if (!any)
			return false;
		v->curb = ubucket(v->far.e[0].when);
		set_cslot(v, (uint32_t)(v->curb & (NBUCKETS - 1)));
	}
	if (advance_needs_fix(v))
		advance_fix(v);
	return true;
}

/* take's index for the side timer (not a node). */
#define SIDE_H 0xfffffffbu

static inline bool side_pending(const vsched *v)
{
	return v->side_order != UINT64_MAX;
}

/* Take the next timer if it is due at or before `until`: its node index
 * (SIDE_H for the side timer, which the caller clears), with the clock
 * moved to its instant.  The node is not freed yet.  The side timer is
 * compared with the next timer once that is found: moving the current
 * bucket past the side timer's instant on the way is harmless (see
 * advance). */
static inline bool take(vsched *v, int64_t until, uint32_t *out)
{
	for (;;) {
		uint32_t h;
		if (v->fheap) {
			vheap *f = &v->front;
			if (f->n == 0) {
				if (!advance(v))
					goto side;
				continue;
			}
			h = f->e[0].h;
			if (v->nodes[h].where == N_DEAD) {
				/* cancelled while in the front */
				heap_pop(f);
				f->dead--;
				node_free(v, h);
				continue;
			}
			if (sched_virtual_side_before_(v, f->e[0].when, f->e[0].order))
				goto side;
			if (f->e[0].when > until)
				return false;
			heap_pop(f);
		} else {
			vlist *l = &v->list[v->cslot];
			h = l->head;
			if (h == NIL) {
				if (!advance(v))
					goto side;
				continue;
			}
			if (sched_virtual_side_before_(v, v->nodes[h].when, v->nodes[h].order))
				goto side;
			if (v->nodes[h].when > until)
				return false;
			l->head = v->nodes[h].next;
		}
		v->now = v->nodes[h].when;   /* no pending timer is before now (see sched_virtual_at) */
		v->fired++;
		*out = h;
		return true;
	}
side:
	/* (no timer is left but perhaps the side one, or it is the first) */
	if (!side_pending(v) || v->side_when > until)
		return false;
	v->now = v->side_when;
	v->fired++;
	*out = SIDE_H;
	return true;
}

/* Clear the side slot once take returned it. */
static inline void side_clear(vsched *v)
{
	v->side_when = INT64_MAX;
	v->side_order = UINT64_MAX;
}

/* sched_virtual_next's general case: stopped, the front heap, the ring
 * empty (the far heap's next bucket), or no timer due. */
static __attribute__((noinline)) bool next_slow(vsched *v, int64_t until, int64_t *now,
                                                uint64_t *arg)
{
	uint32_t h;
	if (v->stopped) {
		set_stopped(v, false);
		return false;
	}
	if (!take(v, until, &h)) {
		if (until != SCHED_FOREVER && until > v->now)
			v->now = until;
		return false;
	}
	if (h == SIDE_H) {
		*arg = v->side_arg;
		side_clear(v);
	} else {
		*arg = v->nodes[h].arg;
		node_free(v, h);
	}
	*now = v->now;
	return true;
}

/* sched_virtual_next_bucket_'s new bucket is unsorted or far timers
 * entered the window (apart, so that it makes no call but tail calls). */
static __attribute__((noinline)) bool next_fix(vsched *v, int64_t until, int64_t *now,
                                               uint64_t *arg)
{
	advance_fix(v);
	return sched_virtual_next_(&v->base, until, now, arg);
}

/* sched_virtual_next (sched.h's inline one too) when the current list is
 * empty or the clock stopped: the common case — the ring's next bucket in
 * the same bitmap word — here, popping its head; the rest in next_slow. */
bool sched_virtual_next_bucket_(sched *s, int64_t until, int64_t *now, uint64_t *arg)
{
	vsched *v = (vsched *)s;
	if (v->stopped || v->fheap)
		return next_slow(v, until, now, arg);
	uint32_t cb = v->cslot;
	uint32_t p = (cb + 1) & (NBUCKETS - 1);
	uint32_t w = p >> 6;
	uint64_t m = v->bits[w] & (~0ull << (p & 63));
	if (!m)
		return next_slow(v, until, now, arg);
	uint32_t b = (w << 6) | (uint32_t)__builtin_ctzll(m);
	v->curb += (b - cb) & (NBUCKETS - 1);
	v->cslot = v->pslot = b;             /* (not stopped) */
	if ((v->bits[w] ^= m & -m) == 0)      /* m's lowest bit is b's */
		v->summary &= ~(1ull << w);
	if (advance_needs_fix(v))
		return next_fix(v, until, now, arg);
	/* the fast path's pop, on a list known not to be empty */
	vlist *l = &v->list[b];
	uint32_t h = l->head;
	vnode *n = &v->nodes[h];
	int64_t when = n->when;
	if (sched_virtual_side_before_(v, when, n->order)) {
		/* (the side timer is first: moving the bucket on was harmless) */
		if (v->side_when <= until)
			return sched_virtual_take_side_(v, now, arg);
		return next_slow(v, until, now, arg);
	}
	if (when > until)
		return next_slow(v, until, now, arg);
	l->head = n->next;
	v->now = when;
	v->fired++;
	*arg = n->arg;
	*now = when;
	node_free(v, h);
	return true;
}

/* sched_virtual_next in general (the inline one's way out, and
 * next_fix's): the head of the current list if due (as the inline one),
 * else a new bucket (sched_virtual_next_bucket_) or the rest (next_slow).
 * (With the front heap current, the current list is empty.) */
bool sched_virtual_next_(sched *s, int64_t until, int64_t *now, uint64_t *arg)
{
	CHECK_VIRTUAL(s);
	vsched *v = (vsched *)s;
	vlist *l = &v->list[v->pslot];
	uint32_t h = l->head;
	if (h == NIL)
		return sched_virtual_next_bucket_(s, until, now, arg);
	vnode *n = &v->nodes[h];
	int64_t when = n->when;
	if (when > until)
		return next_slow(v, until, now, arg);
	if (v->side_when <= when && sched_virtual_side_before_(v, when, n->order))
		return sched_virtual_take_side_(v, now, arg);
	l->head = n->next;
	v->now = when;               /* no pending timer is before now */
	v->fired++;
	*arg = n->arg;
	*now = when;
	node_free(v, h);
	return true;
}

static int64_t v_now(sched *s)
{
	return ((vsched *)s)->now;
}

static sched_id v_at(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg)
{
	return sched_virtual_at_(s, when, pri, fn, ctx, arg);
}

static bool v_cancel(sched *s, sched_id id)
{
	return sched_virtual_cancel(s, id);
}

static int v_run(sched *s, int64_t until)
{
	vsched *v = (vsched *)s;
	set_stopped(v, false);
	uint32_t h;
	while (!v->stopped && take(v, until, &h)) {
		if (h == SIDE_H) {
			sched_fn fn = v->side_fn;
			void *ctx = v->side_ctx;
			uint64_t arg = v->side_arg;
			side_clear(v);
			if (fn)
				fn(s, v->now, ctx, arg);
			continue;
		}
		vnode *n = &v->nodes[h];
		/* copy first: the callback may reuse the node or grow the table */
		sched_fn fn = n->fn;
		void *ctx = n->ctx;
		uint64_t arg = n->arg;
		node_free(v, h);
		if (fn)
			fn(s, v->now, ctx, arg);
	}
	if (v->stopped) {
		set_stopped(v, false);       /* spent: a later sched_virtual_next runs on */
		return 1;
	}
	if (until != SCHED_FOREVER && until > v->now)
		v->now = until;
	return v->seq - v->fired - v->cancelled > 0 ? 1 : 0;
}

static void v_stop(sched *s)
{
	set_stopped((vsched *)s, true);
}

static void v_destroy(sched *s)
{
	vsched *v = (vsched *)s;
	free(v->nodes);
	free(v->front.e);
	free(v->far.e);
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
	v->curb = ubucket(start);
	set_cslot(v, (uint32_t)(v->curb & (NBUCKETS - 1)));
	v->freen = N_FREE;
	v->far_at = UINT64_MAX;
	side_clear(v);
	for (uint32_t b = 0; b <= NBUCKETS; b++)
		v->list[b].head = NIL;               /* every list empty */
	if (!grow_nodes(v)) {
		v_destroy(&v->base);
		return NULL;
	}
	return &v->base;
}

uint64_t sched_virtual_pending(sched *s)
{
	if (!s || s->ops != &vops)
		return 0;
	vsched *v = (vsched *)s;
	return v->seq - v->fired - v->cancelled;
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
	return sizeof *v + v->capnodes * sizeof(vnode) + (v->front.cap + v->far.cap) * sizeof(ventry);
}

size_t sched_virtual_bytes_used(sched *s)
{
	if (!s || s->ops != &vops)
		return 0;
	vsched *v = (vsched *)s;
	/* timers pending or dead in a heap: their nodes and heap entries (the
	 * side timer has none) */
	return sizeof *v + (v->seq - v->fired - v->cancelled - side_pending(v) + v->front.dead +
	                    v->far.dead) * sizeof(vnode) +
	       (v->front.n + v->far.n) * sizeof(ventry);
}
