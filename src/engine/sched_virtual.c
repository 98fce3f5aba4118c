/*
 * sched_virtual.c — the virtual clock: a calendar of coarse buckets for the
 * near future between a small sorted front and a far heap.
 *
 * Order: (when, pri, seq), exactly.  seq is a counter bumped by every
 * sched_at, so two timers at the same instant and priority fire in the
 * order they were scheduled; pri lets a driver put caller events before
 * engine timers at the same instant (sched.h).  Together they make a run
 * deterministic.
 *
 * Time is cut into buckets of BUCKET_MS (2^BUCKET_BITS ms); `curb` is the
 * current bucket.  A pending timer lives in exactly one of three places:
 *
 *   front  every timer before the end of the current bucket (including
 *          any scheduled at `now` after the bucket moved past it), ordered
 *          on the full key: an array sorted in descending order while it
 *          holds at most FRONT_SORTED entries (the next timer is the last
 *          one), else a 4-ary min-heap until it runs dry;
 *   ring   NBUCKETS unsorted doubly linked lists, one per bucket, for the
 *          buckets curb+1 .. curb+NBUCKETS-1 (17.5 minutes ahead, so
 *          IVR timers, patience and handling times nearly all fit);
 *   far    a 4-ary min-heap on the full key, for everything later.
 *
 * So front < ring < far, and the next timer is always the front's top.
 * When the front runs dry the current bucket moves to the next non-empty
 * one (a find-first-set over a two-level bitmap) and its list is poured
 * into the front and sorted; timers of the far heap that the window now
 * covers move into the ring.  Because the front orders by the full key,
 * the order a bucket's timers arrive in does not matter: no FIFO argument
 * is needed, and ties (same ms, same priority) still fire in seq order.
 *
 * Why coarse buckets: both workloads are sparse in time (the M/M/c bench
 * has ~100 timers spread over a minute, a USCIS day ~15 events a second),
 * so 1-ms buckets would put every timer on its own cache line; 256-ms
 * buckets keep the ring's heads (16 KB) and bitmap in L1, and the front
 * holds a handful of entries.  (Measured with callgrind: 256 ms took the
 * fewest instructions on both workloads; 128 ms up to 1.4% more, 512 ms
 * up to 0.6% more.)  A sched_at is an O(1) list insert; a pop is a
 * decrement plus, every few pops, a bitmap scan and a tiny insertion sort.
 *
 * Why a sorted array and not a heap for the front: with 2-4 timers per
 * bucket a heap's sifting is all overhead, while popping the last entry of
 * a descending array costs nothing and sorting a few entries by insertion
 * little.  Past FRONT_SORTED entries (crowded instants) insertion would
 * move too much, so the array is reversed, which makes a valid heap.
 *
 * The hot paths — sched_virtual_at into the ring, sched_virtual_next from
 * a sorted front — are leaf functions; everything else (a new node, the
 * current bucket, the far heap, a new bucket, a cancelled top, a heap
 * front) is a tail call to a function of its own, so the common path keeps
 * to a few registers (sched_virtual_next's saves none).
 *
 * Cancel.  A ring timer is unlinked at once, so the IVR's cancelled
 * timeouts (seconds ahead) never cost a pop.  A heap timer is cancelled
 * lazily: its node is marked dead and dropped when it reaches the root or
 * migrates, or by a purge when a heap's dead outnumber its live (memory
 * within 2x the live).
 *
 * Ids: node index + 1 in the low 32 bits, the node's generation in the
 * high; the generation changes when the timer fires or is cancelled and a
 * node is reused only after it left every structure, so an id of a fired
 * or cancelled timer is harmless and 0 is never an id.
 *
 * Memory: the ring's heads and bitmap are part of the struct; nodes and
 * heaps grow by doubling and never shrink, so after the peak nothing is
 * allocated.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/sched.h"

#ifndef BUCKET_BITS
#define BUCKET_BITS 8                /* 256-ms buckets */
#endif
#ifndef RING_BITS
#define RING_BITS 12                 /* 4096 buckets: 1049 s (17.5 min) ahead */
#endif
#define NBUCKETS (1u << RING_BITS)
#define NWORDS (NBUCKETS / 64)       /* bitmap: one bit per bucket */
_Static_assert(NWORDS >= 1 && NWORDS <= 64, "the summary is a single word");

/* Node states other than "in ring bucket b" (b < NBUCKETS). */
#define N_FREE 0xffffffffu
#define N_FRONT 0xfffffffeu
#define N_FAR 0xfffffffdu
#define N_DEAD 0xfffffffcu           /* cancelled, still in a heap */

/* One per pending timer, indexed by the id's low half.  Padded to 64
 * bytes: indexing is then a shift, on every path. */
typedef struct vnode {
	uint32_t next, prev;         /* ring list; next = free list link */
	uint32_t gen;                /* bumped when the timer fires or is cancelled */
	uint32_t where;              /* ring bucket, or N_FREE / N_FRONT / N_FAR / N_DEAD */
	int64_t when;
	uint64_t order;              /* pri << 56 | seq */
	sched_fn fn;
	void *ctx;
	uint64_t arg;
	uint64_t pad_;
} vnode;
_Static_assert(sizeof(vnode) == 64, "a node is 64 bytes");

/* Heap entries hold only the key and a node index (24 bytes), so sifting
 * moves little memory. */
typedef struct ventry {
	int64_t when;
	uint64_t order;
	uint32_t h;
} ventry;

typedef struct vheap {
	ventry *e;
	uint32_t n, cap;             /* entries, live + dead */
	uint32_t dead;
} vheap;

#define SEQ_BITS 56

typedef struct vsched {
	sched base;
	int64_t now;
	uint64_t curb;               /* current bucket, of ubucket() */
	/* seq counts every sched_at that succeeded, so the pending count is
	 * seq - fired - cancelled and the hot paths keep no `live` counter */
	uint64_t seq, fired, cancelled;
	bool stopped;
	bool fheap;                  /* the front is a heap, not a sorted array */
	vheap front, far;
	vnode *nodes;
	uint32_t nnodes, capnodes;
	uint32_t freen;              /* free list head, N_FREE when empty */
	uint64_t summary;            /* bit w: bits[w] != 0 */
	uint64_t bits[NWORDS];       /* bit b: bucket b's list is not empty */
	uint32_t head[NBUCKETS];     /* meaningful only where the bit is set */
} vsched;

static const sched_ops vops;

/* Bucket number, monotonic in `when` over all of int64 (sign bit flipped,
 * so negative times need no floor division). */
static inline uint64_t ubucket(int64_t when)
{
	return ((uint64_t)when ^ (1ull << 63)) >> BUCKET_BITS;
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

/* The id is spent (gen changes) and the node can be reused. */
static inline void node_free(vsched *v, uint32_t h)
{
	vnode *n = &v->nodes[h];
	n->gen++;
	n->where = N_FREE;
	n->next = v->freen;
	v->freen = h;
}

/* ---- ring --------------------------------------------------------------------------- */

static inline void ring_push(vsched *v, uint32_t b, uint32_t h)
{
	vnode *n = &v->nodes[h];
	n->where = b;
	n->prev = N_FREE;
	uint64_t bit = 1ull << (b & 63);
	if (v->bits[b >> 6] & bit) {
		n->next = v->head[b];
		v->nodes[n->next].prev = h;
	} else {
		n->next = N_FREE;
		v->bits[b >> 6] |= bit;
		v->summary |= 1ull << (b >> 6);
	}
	v->head[b] = h;
}

static inline void ring_clear_bit(vsched *v, uint32_t b)
{
	if ((v->bits[b >> 6] &= ~(1ull << (b & 63))) == 0)
		v->summary &= ~(1ull << (b >> 6));
}

static inline void ring_unlink(vsched *v, uint32_t h)
{
	vnode *n = &v->nodes[h];
	uint32_t b = n->where;
	if (n->prev == N_FREE) {
		v->head[b] = n->next;
		if (n->next == N_FREE)
			ring_clear_bit(v, b);
		else
			v->nodes[n->next].prev = N_FREE;
	} else {
		v->nodes[n->prev].next = n->next;
		if (n->next != N_FREE)
			v->nodes[n->next].prev = n->prev;
	}
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

/* ---- the front ---------------------------------------------------------------- */

/* Most buckets hold one or two timers (both workloads), where a heap's
 * sifting is all overhead.  So the front starts as an array sorted in
 * descending key order: the next timer is the last entry (a pop is a
 * decrement), and an insert walks from the end.  Pouring a bucket's list
 * (newest first) puts same-instant ties in place without moving anything.
 * Past FRONT_SORTED entries an insert would move too much, so the array is
 * reversed — ascending order is a valid heap — and the front stays a heap
 * until it runs dry.  Either way it pops in key order, and keys are unique,
 * so the order is the same. */
#ifndef FRONT_SORTED
#define FRONT_SORTED 16
#endif
/* a sorted front is never purged (that needs more than 64 dead entries) */
_Static_assert(FRONT_SORTED >= 1 && FRONT_SORTED <= 64, "sorted front fits under the purge");

static inline void front_to_heap(vsched *v)
{
	ventry *e = v->front.e;
	for (uint32_t i = 0, j = v->front.n - 1; i < j; i++, j--) {
		ventry t = e[i];
		e[i] = e[j];
		e[j] = t;
	}
	v->fheap = true;
}

/* Insert into a sorted front that has room (n < FRONT_SORTED). */
static inline void front_insert_sorted(vheap *f, ventry k)
{
	uint32_t i = f->n;
	while (i > 0 && before(&f->e[i - 1], &k)) {
		f->e[i] = f->e[i - 1];
		i--;
	}
	f->e[i] = k;
	f->n++;
}

static inline void front_put(vsched *v, const vnode *n, uint32_t h)
{
	ventry k = { .when = n->when, .order = n->order, .h = h };
	vheap *f = &v->front;
	if (!v->fheap) {
		if (f->n < FRONT_SORTED) {
			front_insert_sorted(f, k);
			return;
		}
		front_to_heap(v);
	}
	f->e[f->n] = k;
	sift_up(f->e, f->n++);
}

/* ---- the clock ------------------------------------------------------------------ */

/* Into the front, the ring or the far heap, by its bucket.  Only the far
 * heap may have to grow (false when out of memory): the front has room for
 * every node (grow_nodes). */
static bool place(vsched *v, uint32_t h)
{
	vnode *n = &v->nodes[h];
	uint64_t ub = ubucket(n->when);
	uint64_t d = ub - v->curb;
	/* d - 1 wraps for d == 0 and for a bucket before curb (d "negative") */
	if (d - 1 < NBUCKETS - 1) {
		ring_push(v, (uint32_t)(ub & (NBUCKETS - 1)), h);
		return true;
	}
	if (d == 0 || d > (UINT64_MAX >> 1)) {
		n->where = N_FRONT;
		front_put(v, n, h);
		return true;
	}
	n->where = N_FAR;
	return heap_push(&v->far, n, h);
}

/* The node is off the free list and placed: spend a seq, make the id. */
static inline sched_id take_id(vsched *v, uint32_t h)
{
	v->seq++;
	return ((uint64_t)v->nodes[h].gen << 32) | (uint64_t)(h + 1);
}

/* sched_virtual_at's general case, for a node it has filled in: the far
 * heap or a front that is a heap or full. */
static __attribute__((noinline)) sched_id at_place(vsched *v, uint32_t h)
{
	if (!place(v, h)) {
		/* back on the free list; its generation is unspent */
		vnode *n = &v->nodes[h];
		n->where = N_FREE;
		n->next = v->freen;
		v->freen = h;
		return 0;
	}
	return take_id(v, h);
}

/* sched_virtual_at for a timer within the current bucket (such as one at
 * `now`), in its filled-in node: a small sorted front takes it by
 * insertion.  Apart so that the ring's path needs few registers. */
static __attribute__((noinline)) sched_id at_front(vsched *v, uint32_t h)
{
	if (v->fheap || v->front.n >= FRONT_SORTED)
		return at_place(v, h);
	vnode *n = &v->nodes[h];
	n->where = N_FRONT;
	front_insert_sorted(&v->front, (ventry){ .when = n->when, .order = n->order, .h = h });
	return take_id(v, h);
}

/* The free list is empty: put a node off the end of the table (growing
 * it) on it, and start again. */
static __attribute__((noinline)) sched_id at_grow(vsched *v, int64_t when, int pri, sched_fn fn,
                                                  void *ctx, uint64_t arg)
{
	if (v->nnodes == v->capnodes && !grow_nodes(v))
		return 0;
	uint32_t h = v->nnodes++;
	v->nodes[h].gen = 1;
	v->nodes[h].where = N_FREE;
	v->nodes[h].next = N_FREE;
	v->freen = h;
	return sched_virtual_at(&v->base, when, pri, fn, ctx, arg);
}

/* The common case — a bucket of the ring, 17.5 minutes ahead — is a leaf
 * function of a few dozen instructions; the rest are tail calls. */
sched_id sched_virtual_at(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg)
{
	assert(s->ops == &vops);
	vsched *v = (vsched *)s;
	uint32_t h = v->freen;
	if (h == N_FREE)
		return at_grow(v, when, pri, fn, ctx, arg);
	if ((unsigned)pri >= SCHED_NPRI)
		pri = pri < 0 ? 0 : SCHED_NPRI - 1;
	if (when < v->now)
		when = v->now;
	vnode *n = &v->nodes[h];
	v->freen = n->next;                  /* before ring_push reuses `next` */
	n->when = when;
	n->order = ((uint64_t)pri << SEQ_BITS) | (v->seq & ((1ull << SEQ_BITS) - 1));
	n->fn = fn;
	n->ctx = ctx;
	n->arg = arg;
	uint64_t ub = ubucket(when);
	uint64_t d = ub - v->curb;
	/* d - 1 wraps for the current bucket (d == 0) and any before it */
	if (d - 1 >= NBUCKETS - 1)
		return d == 0 || d > (UINT64_MAX >> 1) ? at_front(v, h) : at_place(v, h);
	ring_push(v, (uint32_t)(ub & (NBUCKETS - 1)), h);
	return take_id(v, h);
}

bool sched_virtual_cancel(sched *s, sched_id id)
{
	assert(s->ops == &vops);
	vsched *v = (vsched *)s;
	uint32_t h = (uint32_t)id - 1;
	if ((uint32_t)id == 0 || h >= v->nnodes)
		return false;
	vnode *n = &v->nodes[h];
	if (n->gen != (uint32_t)(id >> 32))
		return false;
	if (n->where < NBUCKETS) {
		ring_unlink(v, h);
		node_free(v, h);
	} else if (n->where == N_FRONT || n->where == N_FAR) {
		/* lazy: dropped at the root, when migrating or by a purge */
		vheap *hp = n->where == N_FRONT ? &v->front : &v->far;
		n->where = N_DEAD;
		n->gen++;
		hp->dead++;
		if (hp->dead > 64 && hp->dead > hp->n - hp->dead)
			heap_purge(v, hp, hp == &v->far || v->fheap);
	} else {
		return false;
	}
	v->cancelled++;
	return true;
}

/* Move the far timers the window now covers into the ring (or the front). */
static __attribute__((noinline)) void migrate_far(vsched *v)
{
	/* far timers are all at or after curb (they were beyond the old window
	 * and the ring's were before them), so ub - curb cannot wrap */
	while (v->far.n > 0 && ubucket(v->far.e[0].when) - v->curb < NBUCKETS) {
		ventry e = heap_pop(&v->far);
		if (v->nodes[e.h].where == N_DEAD) {
			v->far.dead--;
			node_free(v, e.h);
		} else {
			place(v, e.h);                /* front or ring: no allocation */
		}
	}
}

/* The front is empty: move the current bucket to the next one holding a
 * timer, pour that bucket into the front, and move the far timers the
 * window now covers into the ring (or the front).  Never allocates; false
 * when no timer is left anywhere.  Moving past `now` is harmless: a later
 * sched_at before the current bucket's end goes to the front, which orders
 * by the full key. */
static __attribute__((noinline)) bool advance(vsched *v)
{
	v->fheap = false;                    /* an empty front starts sorted again */
	if (v->summary) {
		uint32_t cb = (uint32_t)(v->curb & (NBUCKETS - 1));
		uint32_t b = ring_next(v, (cb + 1) & (NBUCKETS - 1));
		if (b == NBUCKETS)
			b = ring_next(v, 0);          /* wrapped round the ring */
		v->curb += (b - cb) & (NBUCKETS - 1);
		uint32_t h = v->head[b];
		ring_clear_bit(v, b);
		/* Sorted by insertion as it pours; the list is newest first, so
		 * same-instant ties land in place.  Past FRONT_SORTED the rest is
		 * appended and the whole made a heap (Floyd: any order will do). */
		ventry *e = v->front.e;
		uint32_t k = 0;
		do {
			vnode *n = &v->nodes[h];
			n->where = N_FRONT;
			ventry x = { .when = n->when, .order = n->order, .h = h };
			uint32_t j = k++;
			if (j < FRONT_SORTED)
				while (j > 0 && before(&e[j - 1], &x)) {
					e[j] = e[j - 1];
					j--;
				}
			e[j] = x;
			h = n->next;
		} while (h != N_FREE);
		v->front.n = k;
		if (k > FRONT_SORTED) {
			for (uint32_t i = (k - 2) / ARITY + 1; i-- > 0;)
				sift_down(e, k, i);
			v->fheap = true;
		}
	} else {
		if (!heap_clean_top(v, &v->far))
			return false;
		v->curb = ubucket(v->far.e[0].when);
	}
	if (v->far.n > 0)
		migrate_far(v);
	return true;
}

/* Take the next timer if it is due at or before `until`: its node index,
 * with the clock moved to its instant.  The node is not freed yet. */
static inline bool take(vsched *v, int64_t until, uint32_t *out)
{
	for (;;) {
		vheap *f = &v->front;
		if (f->n == 0) {
			if (!advance(v))
				return false;
			continue;
		}
		const ventry *top = v->fheap ? &f->e[0] : &f->e[f->n - 1];
		uint32_t h = top->h;
		int64_t when = top->when;
		if (v->nodes[h].where == N_DEAD) {
			/* cancelled while in the front */
			if (v->fheap)
				heap_pop(f);
			else
				f->n--;
			f->dead--;
			node_free(v, h);
			continue;
		}
		if (when > until)
			return false;
		if (v->fheap)
			heap_pop(f);
		else
			f->n--;
		v->now = when;       /* no pending timer is before now (see sched_virtual_at) */
		v->fired++;
		*out = h;
		return true;
	}
}

/* Pop the top of a sorted front of nf > 0 entries when it is live and due
 * by `until`, as sched_virtual_next; false (nothing changed) otherwise. */
static inline bool pop_sorted(vsched *v, uint32_t nf, int64_t until, int64_t *now,
                              uint64_t *arg)
{
	const ventry *top = &v->front.e[nf - 1];
	uint32_t h = top->h;
	int64_t when = top->when;
	vnode *n = &v->nodes[h];
	if (n->where == N_DEAD || when > until)
		return false;
	v->front.n = nf - 1;
	v->now = when;               /* no pending timer is before now */
	v->fired++;
	*arg = n->arg;
	*now = when;
	node_free(v, h);
	return true;
}

/* sched_virtual_next's general case: stopped, an empty front (the next
 * bucket), a heap, a cancelled timer on top, or no timer due. */
static __attribute__((noinline)) bool next_slow(vsched *v, int64_t until, int64_t *now,
                                                uint64_t *arg)
{
	uint32_t h;
	if (v->stopped) {
		v->stopped = false;
		return false;
	}
	if (v->front.n == 0 && advance(v) && !v->fheap && v->front.n > 0 &&
	    pop_sorted(v, v->front.n, until, now, arg))
		return true;
	if (!take(v, until, &h)) {
		if (until != SCHED_FOREVER && until > v->now)
			v->now = until;
		return false;
	}
	*arg = v->nodes[h].arg;
	node_free(v, h);
	*now = v->now;
	return true;
}

/* The common case — a sorted front holding a live timer due by `until` —
 * is a leaf function; the rest is a tail call. */
bool sched_virtual_next(sched *s, int64_t until, int64_t *now, uint64_t *arg)
{
	assert(s->ops == &vops);
	vsched *v = (vsched *)s;
	uint32_t nf = v->front.n;
	if (nf == 0 || v->fheap || v->stopped || !pop_sorted(v, nf, until, now, arg))
		return next_slow(v, until, now, arg);
	return true;
}

int64_t sched_virtual_now(sched *s)
{
	assert(s->ops == &vops);
	return ((vsched *)s)->now;
}

static int64_t v_now(sched *s)
{
	return ((vsched *)s)->now;
}

static sched_id v_at(sched *s, int64_t when, int pri, sched_fn fn, void *ctx, uint64_t arg)
{
	return sched_virtual_at(s, when, pri, fn, ctx, arg);
}

static bool v_cancel(sched *s, sched_id id)
{
	return sched_virtual_cancel(s, id);
}

static int v_run(sched *s, int64_t until)
{
	vsched *v = (vsched *)s;
	v->stopped = false;
	uint32_t h;
	while (!v->stopped && take(v, until, &h)) {
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
		v->stopped = false;          /* spent: a later sched_virtual_next runs on */
		return 1;
	}
	if (until != SCHED_FOREVER && until > v->now)
		v->now = until;
	return v->seq - v->fired - v->cancelled > 0 ? 1 : 0;
}

static void v_stop(sched *s)
{
	((vsched *)s)->stopped = true;
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
	/* head[] needs no initialising (read only where the bit is set), but
	 * calloc of the whole struct is simplest and costs nothing hot */
	vsched *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->base.ops = &vops;
	v->now = start;
	v->curb = ubucket(start);
	v->freen = N_FREE;
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
	/* timers pending or dead in a heap: their nodes and heap entries */
	return sizeof *v + (v->seq - v->fired - v->cancelled + v->front.dead + v->far.dead) * sizeof(vnode) +
	       (v->front.n + v->far.n) * sizeof(ventry);
}
