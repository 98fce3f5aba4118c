/*
 * acd.c — queues, agents and routing (see acd.h for the idea and contract).
 *
 * Data layout, all in growable arrays addressed by int index:
 *  - legs[]: a pool of leg slots.  A waiting slot sits on two intrusive
 *    doubly linked lists: its queue's FIFO (prev/next) and its queue's
 *    per-language FIFO (lprev/lnext).  Free slots are chained through next.
 *  - ids: the driver's call id to its live slot; it is what makes "no call
 *    in two queues" checkable at enqueue time.  Small ids (the simulator's
 *    call slots, dense and reused) index a table directly (dval, one load);
 *    others go to a hash map (open addressing, linear probing,
 *    backward-shift deletion).  An id below dcap is never in the hash map.
 *  - agents[]: every agent of every queue; idle ones sit on their queue's
 *    idle list in the order they became idle (head = longest idle), and
 *    idle_by_lang[] counts idle agents able to take each language, so a call
 *    nobody idle can take is known in O(1).
 *  - out[]: the output queue drained by acd_poll.
 * Every allocation a mutation needs is made before the state changes, so an
 * ACD_E_NOMEM leaves the ACD as it was.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/acd.h"
#include "tierline/rng.h"
#include "acd_stats.h"

enum { SLOT_FREE = 0, SLOT_WAIT = 1, SLOT_TALK = 2 };

/* The helpers of the per-call path (enqueue, assign, end, free an agent)
 * are a few instructions each; called out of line, their prologues, spills
 * and reloads cost as much as their work (the simulator makes ~5 million
 * such calls a second), so they are forced inline. */
#define HOT static inline __attribute__((always_inline))

typedef struct leg_slot {
	uint64_t call;
	uint64_t seq;                /* enqueue order: smaller is older */
	int64_t entered, answered;
	int32_t prev, next;          /* queue FIFO; next chains the free list */
	int32_t lprev, lnext;        /* per-language FIFO */
	int32_t queue, agent;
	int32_t entry_pos;
	int16_t lang;
	uint8_t state;
	bool found_free;
} leg_slot;

typedef struct agent {
	int32_t queue, qpos;
	uint32_t langs;              /* as given (0 -> all) */
	uint32_t emask;              /* languages it may take: all without `skill lang` */
	uint8_t state;               /* acd_agent_state */
	bool leaving;
	int32_t iprev, inext;        /* idle list */
	int32_t leg;                 /* slot while talking (else stale: not read) */
	int64_t since;               /* start of the current talk or wrap-up */
	int64_t shift_start, idle_since, wrap_until;
	/* Totals only: the per-shift figures are the totals less their value
	 * at the shift's start (calls_base, talk_base), and busy time is talk
	 * plus wrap-up (wbusy), so the end of a call adds to one counter, not
	 * three. */
	int64_t calls, calls_base, talk, talk_base, wbusy, staffed;
	char pad_[16];               /* 128 bytes: an agent id indexes by a shift */
} agent;
_Static_assert(sizeof(agent) == 128, "agent: adjust pad_ to keep 128 bytes");

typedef struct queue {
	acd_queue_cfg cfg;
	int32_t head, tail;
	int nwait;
	/* per-language FIFOs, kept only when not anylang (else each would be
	 * the queue's own FIFO, or empty) */
	int32_t lhead[ACD_MAX_LANGS], ltail[ACD_MAX_LANGS];
	int lwait[ACD_MAX_LANGS];
	int32_t ihead, itail;
	int nidle;
	int idle_by_lang[ACD_MAX_LANGS];
	int32_t *roster;
	int nroster, caproster;
	/* agents talking = on_shift - nidle - wrapup (q_talking): every agent
	 * on shift is idle, talking or in wrap-up, so that count is not kept */
	int on_shift, on_duty, wrapup;
	int rr_last;                 /* roster position of the last agent to take a call */
	bool li;                     /* longest-idle: acd_enqueue's fast path applies */
	bool fast;                   /* longest-idle and anylang: acd_end's fast path
	                                applies too, and enqueue's takes the idle head */
	bool anylang;                /* every agent takes every call (no `skill lang`, or
	                                one language): idle_by_lang is not kept, every
	                                entry would be nidle (idle_for) */
	int64_t aht;                 /* moving average of talk + wrap-up, -1 unknown */
	/* ended_talking is answered - talking: every answered leg talks or ended */
	int64_t offered, answered, abandoned, timed_out, asked_sup;
	acd_stats st;                /* by value: one cache line less a call */
	char pad_[32];               /* 512 bytes: a queue index scales by a shift */
} queue;
_Static_assert(sizeof(queue) == 512, "queue: adjust pad_ to keep 512 bytes");

struct acd {
	int nlangs;
	uint32_t allmask;
	queue *q;
	int nq;
	agent *ag;
	int nag, capag;
	leg_slot *legs;
	int32_t caplegs, freelist;
	int32_t *dval;               /* call id < dcap -> slot, -1 = none */
	size_t dcap;                 /* (the ids it holds are counted only by the
	                                invariant check: not kept up per call) */
	uint64_t *mkey;              /* the hash map, for ids >= dcap */
	int32_t *mval;               /* -1 = empty */
	size_t mcap, mcount;
	acd_out *out;
	int outhead, outn, outcap;
	uint64_t seq;
	int64_t now;
	bool have_now;
	struct rng *rng;
	struct rng own_rng;
	char err[200];
};

/* ---- errors ------------------------------------------------------------- */

const char *acd_strerror(int err)
{
	switch (err) {
	case ACD_OK: return "ok";
	case ACD_E_NOMEM: return "out of memory";
	case ACD_E_ARG: return "bad argument";
	case ACD_E_NOTFOUND: return "no such call in any queue";
	case ACD_E_STATE: return "not possible in this state";
	case ACD_E_DUP: return "call already in a queue";
	case ACD_E_TIME: return "time went backwards";
	case ACD_E_INVARIANT: return "invariant broken";
	}
	return "unknown error";
}

const char *acd_errmsg(const acd *a) { return a->err; }

static int fail(acd *a, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(acd *a, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->err, sizeof a->err, fmt, ap);
	va_end(ap);
	return code;
}

/* Local names: the ACD does not link the engine for call_leg_result_name(). */
static const char *result_name(call_leg_result r)
{
	static const char *const names[] = {
		"resolved", "escalated", "supervisor", "request", "abandoned",
		"timeout", "asked-supervisor", "hangup-talking"
	};
	return (r >= 0 && r < CALL_LEG_NRESULTS) ? names[r] : "?";
}

const char *acd_agent_state_name(acd_agent_state s)
{
	switch (s) {
	case ACD_AGENT_OFF: return "off";
	case ACD_AGENT_IDLE: return "idle";
	case ACD_AGENT_TALKING: return "talking";
	case ACD_AGENT_WRAPUP: return "wrapup";
	}
	return "?";
}

/* ---- creation ----------------------------------------------------------- */

int acd_queue_cfg_from_flow(const flow *f, int qi, acd_queue_cfg *q)
{
	if (!f || qi < 0 || qi >= f->nqueues)
		return ACD_E_ARG;
	int node = f->queue_nodes[qi];
	if (node < 0 || node >= f->nnodes || f->nodes[node].kind != FLOW_QUEUE)
		return ACD_E_ARG;
	const flow_queue *fq = &f->nodes[node].u.queue;
	memset(q, 0, sizeof *q);
	q->name = f->nodes[node].name;
	q->tier = fq->tier;
	q->strategy = fq->strategy;
	q->skill_lang = fq->skill_lang;
	q->wrapup_ms = 0;
	q->default_langs = 0;
	return ACD_OK;
}

static int grow(void **p, int *cap, int need, size_t elem, int first)
{
	if (need <= *cap)
		return ACD_OK;
	int c = *cap ? *cap : first;
	while (c < need) {
		if (c > INT_MAX / 2)
			return ACD_E_NOMEM;
		c *= 2;
	}
	void *np = realloc(*p, (size_t)c * elem);
	if (!np)
		return ACD_E_NOMEM;
	*p = np;
	*cap = c;
	return ACD_OK;
}

static int legs_reserve(acd *a, int need)
{
	if (need <= a->caplegs)
		return ACD_OK;
	int old = a->caplegs;
	int cap = old;
	int rc = grow((void **)&a->legs, &cap, need, sizeof *a->legs, 64);
	if (rc)
		return rc;
	/* chain the new slots onto the free list, lowest index first */
	for (int i = cap - 1; i >= old; i--) {
		memset(&a->legs[i], 0, sizeof a->legs[i]);
		a->legs[i].state = SLOT_FREE;
		a->legs[i].next = a->freelist;
		a->freelist = i;
	}
	a->caplegs = cap;
	return ACD_OK;
}

static size_t map_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (size_t)k;
}

static int map_rehash(acd *a, size_t cap)
{
	uint64_t *nk = malloc(cap * sizeof *nk);
	int32_t *nv = malloc(cap * sizeof *nv);
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return ACD_E_NOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		nv[i] = -1;
	for (size_t i = 0; i < a->mcap; i++) {
		if (a->mval[i] < 0)
			continue;
		size_t j = map_hash(a->mkey[i]) & (cap - 1);
		while (nv[j] >= 0)
			j = (j + 1) & (cap - 1);
		nk[j] = a->mkey[i];
		nv[j] = a->mval[i];
	}
	free(a->mkey);
	free(a->mval);
	a->mkey = nk;
	a->mval = nv;
	a->mcap = cap;
	return ACD_OK;
}

/* Room for one more key at a load factor of at most 1/2. */
static int map_reserve(acd *a)
{
	if ((a->mcount + 1) * 2 <= a->mcap)
		return ACD_OK;
	return map_rehash(a, a->mcap ? a->mcap * 2 : 128);
}

static int32_t map_get(const acd *a, uint64_t k)
{
	if (a->mcount == 0)
		return -1;
	size_t j = map_hash(k) & (a->mcap - 1);
	while (a->mval[j] >= 0) {
		if (a->mkey[j] == k)
			return a->mval[j];
		j = (j + 1) & (a->mcap - 1);
	}
	return -1;
}

static void map_put(acd *a, uint64_t k, int32_t v)
{
	size_t j = map_hash(k) & (a->mcap - 1);
	while (a->mval[j] >= 0)
		j = (j + 1) & (a->mcap - 1);
	a->mkey[j] = k;
	a->mval[j] = v;
	a->mcount++;
}

static void map_del(acd *a, uint64_t k)
{
	size_t m = a->mcap - 1;
	size_t j = map_hash(k) & m;
	while (a->mval[j] >= 0 && a->mkey[j] != k)
		j = (j + 1) & m;
	if (a->mval[j] < 0)
		return;
	/* backward-shift deletion keeps probe chains unbroken without tombstones */
	size_t i = j;
	for (;;) {
		a->mval[i] = -1;
		size_t n = i;
		for (;;) {
			n = (n + 1) & m;
			if (a->mval[n] < 0) {
				a->mcount--;
				return;
			}
			size_t h = map_hash(a->mkey[n]) & m;
			/* can the entry at n move to the hole at i? yes unless its home
			 * h lies cyclically in (i, n] */
			bool stays = (i <= n) ? (i < h && h <= n) : (i < h || h <= n);
			if (!stays)
				break;
		}
		a->mkey[i] = a->mkey[n];
		a->mval[i] = a->mval[n];
		i = n;
	}
}

/* Ids up to this bound may use the direct table: a driver numbering its
 * calls densely (by slot, like the simulator) stays below a few times its
 * live legs; one numbering them by a counter or at random quickly passes it
 * and uses the hash map, so the table stays small (4 bytes an id). */
#define ID_DIRECT_MIN 65536u

static size_t id_direct_limit(const acd *a)
{
	size_t lim = (size_t)a->caplegs * 8;
	return lim > ID_DIRECT_MIN ? lim : ID_DIRECT_MIN;
}

HOT int32_t id_get(const acd *a, uint64_t k)
{
	if (k < a->dcap)
		return a->dval[k];
	return map_get(a, k);
}

/* Grow the direct table to cover id k, moving the hash map's ids below the
 * new size into it (so that an id is always in exactly one place). */
static int id_grow(acd *a, uint64_t k)
{
	size_t cap = a->dcap ? a->dcap : 256;
	while (cap <= k)
		cap *= 2;
	int32_t *nd = realloc(a->dval, cap * sizeof *nd);
	if (!nd)
		return ACD_E_NOMEM;
	for (size_t i = a->dcap; i < cap; i++)
		nd[i] = -1;
	size_t old = a->dcap;
	a->dval = nd;
	a->dcap = cap;
	/* live legs name their ids: no walk of a map that deletion reshuffles */
	for (int32_t s = 0; s < a->caplegs; s++) {
		const leg_slot *L = &a->legs[s];
		if (L->state != SLOT_FREE && L->call >= old && L->call < cap) {
			map_del(a, L->call);
			nd[L->call] = s;
		}
	}
	return ACD_OK;
}

/* Room to add id k (before any change: the add itself cannot fail). */
static int id_reserve(acd *a, uint64_t k)
{
	if (k < a->dcap)
		return ACD_OK;
	if (k < id_direct_limit(a))
		return id_grow(a, k);
	return map_reserve(a);
}

HOT void id_put(acd *a, uint64_t k, int32_t v)
{
	if (k < a->dcap) {
		a->dval[k] = v;
	} else {
		map_put(a, k, v);
	}
}

HOT void id_del(acd *a, uint64_t k)
{
	if (k < a->dcap) {
		a->dval[k] = -1;
	} else {
		map_del(a, k);
	}
}

HOT int out_reserve(acd *a, int k)
{
	if (a->outhead == a->outn)
		a->outhead = a->outn = 0;
	if (a->outn + k <= a->outcap)
		return ACD_OK;
	return grow((void **)&a->out, &a->outcap, a->outn + k, sizeof *a->out, 32);
}


HOT acd_out *out_push(acd *a, acd_out_kind kind, int64_t t, int q, int ag)
{
	/* capacity was reserved by the caller */
	acd_out *o = &a->out[a->outn++];
	*o = (acd_out){ .kind = kind, .t = t, .queue = q, .agent = ag };
	return o;
}

void acd_free(acd *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->nq; i++) {
		free(a->q[i].roster);
		acd_stats_fini(&a->q[i].st);
	}
	free(a->q);
	free(a->ag);
	free(a->legs);
	free(a->dval);
	free(a->mkey);
	free(a->mval);
	free(a->out);
	free(a);
}

int acd_new(const acd_config *cfg, const acd_queue_cfg *queues, int nqueues,
            acd **out, char *err, size_t errlen)
{
	acd_config def = {0};
	if (!cfg)
		cfg = &def;
	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	int nl = cfg->nlangs ? cfg->nlangs : 1;
	if (nl < 1 || nl > ACD_MAX_LANGS || nqueues < 0 || (nqueues > 0 && !queues)) {
		if (err)
			snprintf(err, errlen, "acd: %d languages, %d queues", nl, nqueues);
		return ACD_E_ARG;
	}
	for (int i = 0; i < nqueues; i++) {
		if (queues[i].strategy < FLOW_STRAT_LONGEST_IDLE
		    || queues[i].strategy > FLOW_STRAT_TOP_DOWN || queues[i].wrapup_ms < 0) {
			if (err)
				snprintf(err, errlen, "acd: queue %d: bad strategy or wrap-up", i);
			return ACD_E_ARG;
		}
	}
	acd *a = calloc(1, sizeof *a);
	if (!a)
		goto oom;
	a->nlangs = nl;
	a->allmask = (nl >= 32) ? 0xffffffffu : ((1u << nl) - 1);
	a->freelist = -1;
	a->rng = cfg->rng;
	if (!a->rng) {
		/* an own stream, seeded like rng_seed but without needing rng.c */
		uint64_t x = cfg->seed ^ 0x6163645f72616e64ULL;   /* "acd_rand" */
		for (int i = 0; i < 4; i++)
			a->own_rng.s[i] = rng_splitmix64(&x);
		a->rng = &a->own_rng;
	}
	a->nq = nqueues;
	if (nqueues) {
		a->q = calloc((size_t)nqueues, sizeof *a->q);
		if (!a->q)
			goto oom;
	}
	int64_t start = cfg->stats_start;
	if (start == 0 && cfg->interval_ms == 0)
		start = ACD_START_AUTO;
	for (int i = 0; i < nqueues; i++) {
		queue *q = &a->q[i];
		q->cfg = queues[i];
		if (!q->cfg.name)
			q->cfg.name = "";
		q->cfg.default_langs &= a->allmask;
		q->head = q->tail = q->ihead = q->itail = -1;
		for (int l = 0; l < ACD_MAX_LANGS; l++)
			q->lhead[l] = q->ltail[l] = -1;
		q->rr_last = -1;
		q->aht = -1;
		q->li = q->cfg.strategy == FLOW_STRAT_LONGEST_IDLE;
		q->anylang = !q->cfg.skill_lang || nl == 1;
		q->fast = q->li && q->anylang;
		int rc = acd_stats_init(&q->st, start, cfg->interval_ms, cfg->sl_ms);
		if (rc == ACD_E_ARG) {
			if (err)
				snprintf(err, errlen, "acd: bad interval or service-level threshold");
			acd_free(a);
			return rc;
		}
		if (rc)
			goto oom;
	}
	if (legs_reserve(a, cfg->reserve_legs > 0 ? cfg->reserve_legs : 64))
		goto oom;
	if (map_rehash(a, 128) || out_reserve(a, 32))
		goto oom;
	while (a->mcap < (size_t)a->caplegs * 2)
		if (map_rehash(a, a->mcap * 2))
			goto oom;
	*out = a;
	return ACD_OK;
oom:
	acd_free(a);
	if (err)
		snprintf(err, errlen, "acd: out of memory");
	return ACD_E_NOMEM;
}

int acd_new_from_flow(const flow *f, const acd_config *cfg, acd **out,
                      char *err, size_t errlen)
{
	*out = NULL;
	if (!f) {
		if (err)
			snprintf(err, errlen, "acd: no flow");
		return ACD_E_ARG;
	}
	acd_config c = {0};
	if (cfg)
		c = *cfg;
	c.nlangs = f->nlangs > 0 ? f->nlangs : 1;
	acd_queue_cfg *qs = NULL;
	if (f->nqueues > 0) {
		qs = calloc((size_t)f->nqueues, sizeof *qs);
		if (!qs) {
			if (err)
				snprintf(err, errlen, "acd: out of memory");
			return ACD_E_NOMEM;
		}
	}
	for (int i = 0; i < f->nqueues; i++) {
		if (acd_queue_cfg_from_flow(f, i, &qs[i])) {
			if (err)
				snprintf(err, errlen, "acd: queue %d is not a queue node", i);
			free(qs);
			return ACD_E_ARG;
		}
	}
	int rc = acd_new(&c, qs, f->nqueues, out, err, errlen);
	free(qs);
	return rc;
}

int acd_nqueues(const acd *a) { return a->nq; }
int acd_nagents(const acd *a) { return a->nag; }

int acd_find_queue(const acd *a, const char *name)
{
	for (int i = 0; name && i < a->nq; i++)
		if (strcmp(a->q[i].cfg.name, name) == 0)
			return i;
	return -1;
}

const char *acd_queue_name(const acd *a, int qi)
{
	return (qi >= 0 && qi < a->nq) ? a->q[qi].cfg.name : NULL;
}

/* ---- time --------------------------------------------------------------- */

static int take_time_slow(acd *a, int64_t t)
{
	if (a->have_now && t < a->now)
		return fail(a, ACD_E_TIME, "time %lld is before %lld",
		            (long long)t, (long long)a->now);
	if (!a->have_now) {
		/* the first time seen starts every queue's figures together */
		for (int i = 0; i < a->nq; i++)
			acd_stats_advance(&a->q[i].st, t);
	}
	a->now = t;
	a->have_now = true;
	return ACD_OK;
}

/* Every mutation starts here; nearly always time just moves on. */
static inline int take_time(acd *a, int64_t t)
{
	if (a->have_now && t >= a->now) {
		a->now = t;
		return ACD_OK;
	}
	return take_time_slow(a, t);
}

/* Tell the stats module a queue's agent counts (after a change at t). */
HOT void q_sync(acd *a, int qi, int64_t t)
{
	queue *q = &a->q[qi];
	acd_stats_agents_inl(&q->st, t, q->on_shift, q->on_shift - q->nidle, q->on_duty);
}

/* Agents of q talking (see the queue struct). */
static inline int q_talking(const queue *q)
{
	return q->on_shift - q->nidle - q->wrapup;
}

/* Idle agents of q able to take language l. */
static inline int idle_for(const queue *q, int l)
{
	return q->anylang ? q->nidle : q->idle_by_lang[l];
}

/* Signed division by 8, truncating like `/` (spelt out: the compiler made
 * an idiv of it in acd_end). */
static inline int64_t div8(int64_t x)
{
	return (x + (int64_t)((uint64_t)(x >> 63) >> 61)) >> 3;
}

#ifdef TIERLINE_DEBUG_INVARIANTS
#define CHECKED(a, rc) do { \
		int rc_ = (rc); \
		if (rc_ == ACD_OK) \
			rc_ = acd_check_invariants((a), (a)->err, sizeof (a)->err); \
		return rc_; \
	} while (0)
#else
#define CHECKED(a, rc) return (rc)
#endif

/* ---- lists -------------------------------------------------------------- */

/* The list helpers take the agent's (or leg's) queue and agent when the
 * caller has them: recomputing &a->q[g->queue] is a multiply and a reload
 * the compiler cannot drop after the stores in between. */
HOT void idle_push_q(acd *a, queue *q, agent *g, int id, int64_t t)
{
	g->state = ACD_AGENT_IDLE;
	g->idle_since = t;
	g->inext = -1;
	g->iprev = q->itail;
	if (q->itail >= 0)
		a->ag[q->itail].inext = id;
	else
		q->ihead = id;
	q->itail = id;
	q->nidle++;
	if (q->anylang)
		return;
	if (g->emask == 1u)                            /* one language: no loop */
		q->idle_by_lang[0]++;
	else
		for (uint32_t m = g->emask; m; m &= m - 1)     /* emask has no bit >= nlangs */
			q->idle_by_lang[__builtin_ctz(m)]++;
}

/* idle_push_q and the removal of the idle head on an anylang queue (the
 * fast paths: no per-language counts, the head has no predecessor). */
HOT void idle_append_any(acd *a, queue *q, agent *g, int id, int64_t t)
{
	g->state = ACD_AGENT_IDLE;
	g->idle_since = t;
	g->inext = -1;
	int32_t tail = q->itail;     /* (iprev: not kept on a fast queue) */
	if (tail >= 0)
		a->ag[tail].inext = id;
	else
		q->ihead = id;
	q->itail = id;
	q->nidle++;
}

HOT void idle_pop_head_any(acd *a, queue *q, agent *g)
{
	/* On a fast queue only: the new head's iprev is left stale (see
	 * idle_remove_q) */
	int32_t next = g->inext;
	q->ihead = next;
	if (next < 0)
		q->itail = -1;
	q->nidle--;
}

HOT void idle_push(acd *a, int id, int64_t t)
{
	agent *g = &a->ag[id];
	idle_push_q(a, &a->q[g->queue], g, id, t);
}

HOT void idle_remove_q(acd *a, queue *q, agent *g)
{
	if (q->fast) {
		/* A fast queue's fast paths pop the head without fixing the next
		 * agent's iprev (idle_pop_head_any), so iprev is not to be
		 * trusted there: find the predecessor (rare: the head is what
		 * longest-idle takes; the middle leaves only at staffing cuts). */
		int32_t prev = -1;
		for (int32_t i = q->ihead; &a->ag[i] != g; i = a->ag[i].inext)
			prev = i;
		if (prev >= 0)
			a->ag[prev].inext = g->inext;
		else
			q->ihead = g->inext;
		if (g->inext < 0)
			q->itail = prev;
		q->nidle--;              /* fast implies anylang: no per-language counts */
		return;
	}
	if (g->iprev >= 0)
		a->ag[g->iprev].inext = g->inext;
	else
		q->ihead = g->inext;
	if (g->inext >= 0)
		a->ag[g->inext].iprev = g->iprev;
	else
		q->itail = g->iprev;
	/* iprev/inext of an agent off the idle list are never read */
	q->nidle--;
	if (q->anylang)
		return;
	if (g->emask == 1u)
		q->idle_by_lang[0]--;
	else
		for (uint32_t m = g->emask; m; m &= m - 1)
			q->idle_by_lang[__builtin_ctz(m)]--;
}

HOT void idle_remove(acd *a, int id)
{
	agent *g = &a->ag[id];
	idle_remove_q(a, &a->q[g->queue], g);
}

HOT void wait_push(acd *a, int32_t s)
{
	leg_slot *L = &a->legs[s];
	queue *q = &a->q[L->queue];
	int l = L->lang;
	L->next = -1;
	L->prev = q->tail;
	if (q->tail >= 0)
		a->legs[q->tail].next = s;
	else
		q->head = s;
	q->tail = s;
	q->nwait++;
	if (q->anylang)
		return;                  /* the language list would be the queue's */
	L->lnext = -1;
	L->lprev = q->ltail[l];
	if (q->ltail[l] >= 0)
		a->legs[q->ltail[l]].lnext = s;
	else
		q->lhead[l] = s;
	q->ltail[l] = s;
	q->lwait[l]++;
}

HOT void wait_remove_q(acd *a, queue *q, leg_slot *L)
{
	int l = L->lang;
	if (L->prev >= 0)
		a->legs[L->prev].next = L->next;
	else
		q->head = L->next;
	if (L->next >= 0)
		a->legs[L->next].prev = L->prev;
	else
		q->tail = L->prev;
	q->nwait--;
	if (q->anylang)
		return;
	if (L->lprev >= 0)
		a->legs[L->lprev].lnext = L->lnext;
	else
		q->lhead[l] = L->lnext;
	if (L->lnext >= 0)
		a->legs[L->lnext].lprev = L->lprev;
	else
		q->ltail[l] = L->lprev;
	/* the links of a leg off the lists are never read (a free slot's
	 * next is set when it is freed) */
	q->lwait[l]--;
}

HOT void wait_remove(acd *a, int32_t s)
{
	leg_slot *L = &a->legs[s];
	wait_remove_q(a, &a->q[L->queue], L);
}

HOT int32_t slot_alloc(acd *a)
{
	int32_t s = a->freelist;         /* reserved by the caller */
	a->freelist = a->legs[s].next;
	return s;
}

HOT void slot_free(acd *a, int32_t s)
{
	/* only state and next of a free slot are ever read (acd_enqueue
	 * clears the slot when it takes it) */
	a->legs[s].state = SLOT_FREE;
	a->legs[s].next = a->freelist;
	a->freelist = s;
}

/* ---- routing ------------------------------------------------------------ */

/* Pick an idle agent of q able to take language l, by the queue's strategy;
 * -1 when none. */
static int pick_agent(acd *a, queue *q, int l)
{
	if (idle_for(q, l) == 0)
		return -1;
	uint32_t bit = 1u << l;
	int best = -1;
	switch (q->cfg.strategy) {
	case FLOW_STRAT_LONGEST_IDLE:
		for (int i = q->ihead; i >= 0; i = a->ag[i].inext)
			if (a->ag[i].emask & bit)
				return i;
		break;
	case FLOW_STRAT_TOP_DOWN:
		for (int i = q->ihead; i >= 0; i = a->ag[i].inext)
			if ((a->ag[i].emask & bit) && (best < 0 || a->ag[i].qpos < a->ag[best].qpos))
				best = i;
		break;
	case FLOW_STRAT_ROUND_ROBIN: {
		/* the next roster position after the last one, wrapping */
		int n = q->nroster, bestd = INT_MAX;
		for (int i = q->ihead; i >= 0; i = a->ag[i].inext) {
			if (!(a->ag[i].emask & bit))
				continue;
			int d = ((a->ag[i].qpos - q->rr_last - 1) % n + n) % n;
			if (d < bestd) {
				bestd = d;
				best = i;
			}
		}
		break;
	}
	case FLOW_STRAT_FEWEST_CALLS:
		for (int i = q->ihead; i >= 0; i = a->ag[i].inext)
			if ((a->ag[i].emask & bit)
			    && (best < 0 || a->ag[i].calls - a->ag[i].calls_base
			                    < a->ag[best].calls - a->ag[best].calls_base))
				best = i;
		break;
	case FLOW_STRAT_LEAST_TALK_TIME:
		for (int i = q->ihead; i >= 0; i = a->ag[i].inext)
			if ((a->ag[i].emask & bit)
			    && (best < 0 || a->ag[i].talk - a->ag[i].talk_base
			                    < a->ag[best].talk - a->ag[best].talk_base))
				best = i;
		break;
	case FLOW_STRAT_RANDOM: {
		uint64_t k = rng_below(a->rng, (uint64_t)idle_for(q, l));
		for (int i = q->ihead; i >= 0; i = a->ag[i].inext)
			if ((a->ag[i].emask & bit) && k-- == 0)
				return i;
		break;
	}
	}
	return best;
}

/* The oldest waiting call agent g may take; -1 when none. */
HOT int32_t oldest_for(const acd *a, const queue *q, const agent *g)
{
	if (q->anylang)
		return q->head;
	int32_t best = -1;
	for (int l = 0; l < a->nlangs; l++) {
		int32_t s = q->lhead[l];
		if (s >= 0 && (g->emask & (1u << l))
		    && (best < 0 || a->legs[s].seq < a->legs[best].seq))
			best = s;
	}
	return best;
}

/* The agent and queue side of agent g starting to talk to slot s at t
 * (shared by assign_q and enqueue's fast path).  rr_last only matters to
 * round-robin queues; the fast paths (longest-idle) leave it. */
HOT void start_talk(queue *q, agent *g, int32_t s, int64_t t)
{
	g->state = ACD_AGENT_TALKING;
	g->leg = s;
	g->since = t;
	g->calls++;
	q->answered++;
}

/* The agent and queue side of agent g finishing a talk of `talk` ms
 * (shared by end_slot and acd_end's fast path). */
HOT void stop_talk(queue *q, agent *g, int64_t talk)
{
	g->talk += talk;
	/* g->leg is read only while the agent talks: not reset */
}

/* The ASSIGN output (room was reserved by the caller). */
HOT void out_assign(acd *a, int qi, int id, uint64_t call_id, int64_t t, int64_t wait_ms)
{
	/* field by field: a compound literal is built on the stack and copied */
	acd_out *o = &a->out[a->outn++];
	o->kind = ACD_OUT_ASSIGN;
	o->t = t;
	o->queue = qi;
	o->agent = id;
	o->call = call_id;
	o->wait_ms = wait_ms;
	o->at = 0;
}

/* Agent id (not idle, not waiting-listed) starts talking to slot s at t. */
HOT void assign_q(acd *a, queue *q, agent *g, int id, leg_slot *L, int32_t s, int64_t t)
{
	L->state = SLOT_TALK;
	L->answered = t;
	L->agent = id;
	start_talk(q, g, s, t);
	q->rr_last = g->qpos;
	acd_stats_answer_inl(&q->st, L->entered, t - L->entered);
	out_assign(a, g->queue, id, L->call, t, t - L->entered);
}

HOT void assign(acd *a, int id, int32_t s, int64_t t)
{
	agent *g = &a->ag[id];
	assign_q(a, &a->q[g->queue], g, id, &a->legs[s], s, t);
}

/* Agent id goes off shift at t (from idle, or from the end of its work). */
static void go_off(acd *a, int id, int64_t t)
{
	agent *g = &a->ag[id];
	queue *q = &a->q[g->queue];
	if (g->state == ACD_AGENT_IDLE)
		idle_remove(a, id);
	if (!g->leaving)
		q->on_duty--;
	g->leaving = false;
	g->state = ACD_AGENT_OFF;
	g->staffed += t - g->shift_start;
	q->on_shift--;
	out_push(a, ACD_OUT_SHIFT_OFF, t, g->queue, id);
}

/* Agent id (on shift, holding nothing) is free at t: off if its shift is
 * over, else the oldest call it can take, else idle. */
HOT void agent_free(acd *a, int id, int64_t t)
{
	agent *g = &a->ag[id];
	queue *q = &a->q[g->queue];
	if (g->leaving) {
		go_off(a, id, t);
		return;
	}
	int32_t s = oldest_for(a, q, g);
	if (s >= 0) {
		wait_remove(a, s);
		assign(a, id, s, t);
		return;
	}
	idle_push(a, id, t);
}

/* ---- roster and staffing ----------------------------------------------- */

static int add_agent(acd *a, int qi, uint32_t langs)
{
	queue *q = &a->q[qi];
	if (grow((void **)&a->ag, &a->capag, a->nag + 1, sizeof *a->ag, 16)
	    || grow((void **)&q->roster, &q->caproster, q->nroster + 1, sizeof *q->roster, 16))
		return -1;
	int id = a->nag++;
	agent *g = &a->ag[id];
	memset(g, 0, sizeof *g);
	g->queue = qi;
	g->qpos = q->nroster;
	g->langs = langs ? (langs & a->allmask) : a->allmask;
	g->emask = q->cfg.skill_lang ? g->langs : a->allmask;
	g->state = ACD_AGENT_OFF;
	g->iprev = g->inext = -1;
	g->leg = -1;
	q->roster[q->nroster++] = id;
	return id;
}

int acd_add_agent(acd *a, int qi, uint32_t langs, int *out)
{
	if (qi < 0 || qi >= a->nq)
		return fail(a, ACD_E_ARG, "no queue %d", qi);
	if (langs & ~a->allmask)
		return fail(a, ACD_E_ARG, "language mask 0x%x beyond %d languages",
		            langs, a->nlangs);
	int id = add_agent(a, qi, langs);
	if (id < 0)
		return fail(a, ACD_E_NOMEM, "out of memory adding an agent");
	if (out)
		*out = id;
	CHECKED(a, ACD_OK);
}

int acd_set_wrapup(acd *a, int qi, int64_t ms)
{
	if (qi < 0 || qi >= a->nq || ms < 0)
		return fail(a, ACD_E_ARG, "bad queue %d or wrap-up %lld", qi, (long long)ms);
	a->q[qi].cfg.wrapup_ms = ms;
	return ACD_OK;
}

int acd_set_staff(acd *a, int qi, int n, int64_t t)
{
	if (qi < 0 || qi >= a->nq || n < 0)
		return fail(a, ACD_E_ARG, "bad queue %d or staff %d", qi, n);
	int rc = take_time(a, t);
	if (rc)
		return rc;
	queue *q = &a->q[qi];
	if (n > q->on_duty) {
		int more = n - q->on_duty;
		int have = q->nroster - q->on_shift;   /* off-shift agents */
		int leaving = q->on_shift - q->on_duty;
		int add = more - leaving - have;
		if (add > 0) {
			/* grow everything first so that failure changes nothing */
			if (grow((void **)&a->ag, &a->capag, a->nag + add, sizeof *a->ag, 16)
			    || grow((void **)&q->roster, &q->caproster, q->nroster + add,
			            sizeof *q->roster, 16))
				return fail(a, ACD_E_NOMEM, "out of memory adding agents");
		}
		if (out_reserve(a, 2 * more))
			return fail(a, ACD_E_NOMEM, "out of memory");
		acd_stats_advance_inl(&q->st, t);
		for (int i = 0; i < add; i++)
			add_agent(a, qi, q->cfg.default_langs);   /* cannot fail now */
		/* keep agents who were about to leave, lowest roster position first */
		for (int p = 0; p < q->nroster && more > 0; p++) {
			agent *g = &a->ag[q->roster[p]];
			if (g->state != ACD_AGENT_OFF && g->leaving) {
				g->leaving = false;
				q->on_duty++;
				more--;
			}
		}
		for (int p = 0; p < q->nroster && more > 0; p++) {
			int id = q->roster[p];
			agent *g = &a->ag[id];
			if (g->state != ACD_AGENT_OFF)
				continue;
			g->shift_start = t;
			g->calls_base = g->calls;
			g->talk_base = g->talk;
			g->leaving = false;
			q->on_shift++;
			q->on_duty++;
			more--;
			out_push(a, ACD_OUT_SHIFT_ON, t, qi, id);
			agent_free(a, id, t);
		}
	} else if (n < q->on_duty) {
		int fewer = q->on_duty - n;
		if (out_reserve(a, fewer))
			return fail(a, ACD_E_NOMEM, "out of memory");
		acd_stats_advance_inl(&q->st, t);
		/* idle agents leave at once, highest roster position first */
		for (int p = q->nroster - 1; p >= 0 && fewer > 0; p--) {
			int id = q->roster[p];
			if (a->ag[id].state == ACD_AGENT_IDLE) {
				go_off(a, id, t);
				fewer--;
			}
		}
		/* busy ones finish their call and wrap-up first */
		for (int p = q->nroster - 1; p >= 0 && fewer > 0; p--) {
			agent *g = &a->ag[q->roster[p]];
			if ((g->state == ACD_AGENT_TALKING || g->state == ACD_AGENT_WRAPUP)
			    && !g->leaving) {
				g->leaving = true;
				q->on_duty--;
				fewer--;
			}
		}
	}
	q_sync(a, qi, t);
	CHECKED(a, ACD_OK);
}

/* ---- calls -------------------------------------------------------------- */

static void leg_fill(const acd *a, int32_t s, int64_t t, acd_leg *out);

/* The general acd_enqueue: every check, every strategy, leg facts. */
static __attribute__((noinline))
int enqueue_slow(acd *a, int qi, uint64_t call_id, int lang, int64_t t, acd_leg *leg)
{
	if (qi < 0 || qi >= a->nq)
		return fail(a, ACD_E_ARG, "no queue %d", qi);
	if (lang < 0)
		lang = 0;
	if (lang >= a->nlangs)
		return fail(a, ACD_E_ARG, "language %d beyond %d languages", lang, a->nlangs);
	if (id_get(a, call_id) >= 0)
		return fail(a, ACD_E_DUP, "call %llu already has a live leg",
		            (unsigned long long)call_id);
	int rc = take_time(a, t);
	if (rc)
		return rc;
	if ((a->freelist < 0 && legs_reserve(a, a->caplegs * 2))
	    || id_reserve(a, call_id) || out_reserve(a, 1))
		return fail(a, ACD_E_NOMEM, "out of memory enqueueing a call");
	queue *q = &a->q[qi];
	acd_stats_advance_inl(&q->st, t);
	int32_t s = slot_alloc(a);
	leg_slot *L = &a->legs[s];
	*L = (leg_slot){ .call = call_id, .seq = a->seq++, .entered = t, .answered = -1,
	                 .prev = -1, .next = -1, .lprev = -1, .lnext = -1,
	                 .queue = qi, .agent = -1, .lang = (int16_t)lang };
	id_put(a, call_id, s);
	q->offered++;
	int id = pick_agent(a, q, lang);
	L->found_free = id >= 0;
	acd_stats_offer_inl(&q->st, t, L->found_free);
	if (id >= 0) {
		idle_remove(a, id);
		assign(a, id, s, t);
		L->entry_pos = 0;
	} else {
		L->state = SLOT_WAIT;
		wait_push(a, s);
		L->entry_pos = q->nwait;
	}
	q_sync(a, qi, t);
	if (leg)
		leg_fill(a, s, t, leg);
	CHECKED(a, ACD_OK);
}

/* acd_enqueue on a longest-idle queue when nothing can fail and no leg
 * facts are wanted (the caller checked): the same changes as enqueue_slow,
 * with the strategy, the id table, the free list and the figures each
 * reduced to the one case that applies.  On a `fast` queue every idle agent
 * can take the call, so an idle agent exists iff ihead >= 0 and the
 * strategy takes the head.
 *
 * The figures: t is in the open bin (the caller checked t < o_hi; o_lo <=
 * acc_t <= now <= t), so advancing is setting acc_t, the leg is offered
 * there, and a busy count changed at t adds o_hi - t to its busy time
 * (acd_stats.h).  q_sync is reduced to what moved: every mutation ends
 * with q_sync of the queue it changed, so on entry the figures' staffed,
 * busy and on-duty counts equal the queue's, and the fast paths change only
 * the busy count (no agent comes or goes), which touches neither the
 * bin's `agents` nor max_agents. */
/* enqueue_fast's two outcomes: idle agent id takes the call at once, or
 * it waits.  `fast` is a constant at each use, so that a fast queue's path
 * tests nothing twice. */
HOT void enq_answer(acd *a, queue *q, int qi, uint64_t call_id, int lang, int64_t t,
                    int32_t s, leg_slot *L, acd_bin *b, int id, bool fast)
{
	acd_stats *st = &q->st;
	agent *g = &a->ag[id];
	/* A talking leg's seq and list links are never read (only waiting
	 * legs are ordered and listed), so they are not written. */
	L->call = call_id;
	L->entered = t;
	L->answered = t;
	L->queue = qi;
	L->agent = id;
	L->entry_pos = 0;
	L->lang = (int16_t)lang;
	L->state = SLOT_TALK;
	L->found_free = true;
	if (fast)
		idle_pop_head_any(a, q, g);
	else
		idle_remove_q(a, q, g);
	start_talk(q, g, s, t);
	/* offered, found free, answered with wait 0 (a zero wait, within any
	 * threshold: sl > 0; the wait sum and maximum do not move): the bin's
	 * ff counts all of that at once */
	b->ff++;
	b->f.busy_ms += st->o_hi - t;
	st->busy++;
	out_assign(a, qi, id, call_id, t, 0);
}

HOT void enq_wait(acd *a, queue *q, int qi, uint64_t call_id, int lang, int64_t t,
                  int32_t s, leg_slot *L, acd_bin *b)
{
	b->f.offered++;
	/* field by field: a compound literal zeroes the slot first (the links
	 * are set by wait_push) */
	L->call = call_id;
	L->seq = a->seq++;
	L->entered = t;
	L->answered = -1;
	L->queue = qi;
	L->agent = -1;
	L->lang = (int16_t)lang;
	L->state = SLOT_WAIT;
	L->found_free = false;
	wait_push(a, s);
	L->entry_pos = q->nwait;
}

HOT int enqueue_fast(acd *a, queue *q, int qi, uint64_t call_id, int lang, int64_t t,
                     int32_t *dv)
{
	a->now = t;
	acd_stats *st = &q->st;
	st->acc_t = t;
	acd_bin *b = &st->bins[st->o_i];
	int32_t s = a->freelist;
	leg_slot *L = &a->legs[s];
	a->freelist = L->next;
	*dv = s;
	q->offered++;
	/* pick_agent's longest-idle case */
	if (q->fast) {
		int id = q->ihead;
		if (id >= 0)
			enq_answer(a, q, qi, call_id, lang, t, s, L, b, id, true);
		else
			enq_wait(a, q, qi, call_id, lang, t, s, L, b);
	} else if (q->idle_by_lang[lang] == 0) {
		enq_wait(a, q, qi, call_id, lang, t, s, L, b);
	} else {
		uint32_t bit = 1u << lang;
		int id = q->ihead;
		while (!(a->ag[id].emask & bit))
			id = a->ag[id].inext;
		enq_answer(a, q, qi, call_id, lang, t, s, L, b, id, false);
	}
	CHECKED(a, ACD_OK);
}

int acd_enqueue(acd *a, int qi, uint64_t call_id, int lang, int64_t t, acd_leg *leg)
{
	/* The fast path when every check of enqueue_slow would pass and the
	 * id is in the direct table: one test each.  The queue's kind first, so
	 * that other queues pay two tests for it.  An open bin (t < o_hi) means
	 * the ACD has seen a time (have_now): only a mutation advances it. */
	if ((unsigned)qi < (unsigned)a->nq) {
		queue *q = &a->q[qi];
		if (q->li && !leg && (unsigned)lang < (unsigned)a->nlangs && call_id < a->dcap) {
			int32_t *dv = &a->dval[call_id];
			if (*dv < 0 && a->freelist >= 0 && t >= a->now && t < q->st.o_hi
			    && a->outn < a->outcap)
				return enqueue_fast(a, q, qi, call_id, lang, t, dv);
		}
	}
	return enqueue_slow(a, qi, call_id, lang, t, leg);
}

static bool waiting_result(call_leg_result r)
{
	return r == CALL_LEG_ABANDONED || r == CALL_LEG_TIMEOUT
	    || r == CALL_LEG_ASKED_SUPERVISOR;
}

static bool talking_result(call_leg_result r)
{
	/* ASKED_SUPERVISOR too: the engine ends a talking leg that way when the
	 * caller asks the agent for a supervisor */
	return r == CALL_LEG_RESOLVED || r == CALL_LEG_ESCALATED
	    || r == CALL_LEG_SUPERVISOR || r == CALL_LEG_REQUEST
	    || r == CALL_LEG_HANGUP_TALKING || r == CALL_LEG_ASKED_SUPERVISOR;
}

/* The general end of a leg (out of line: acd_end's fast path stays small). */
static __attribute__((noinline))
int end_slot(acd *a, int32_t s, int64_t t, call_leg_result r,
             int64_t wrapup_ms, acd_leg *leg)
{
	leg_slot *L = &a->legs[s];
	queue *q = &a->q[L->queue];
	int qi = L->queue;
	if (L->state == SLOT_WAIT && !waiting_result(r))
		return fail(a, ACD_E_STATE, "call %llu is waiting: it cannot end as %s",
		            (unsigned long long)L->call, result_name(r));
	if (L->state == SLOT_TALK && !talking_result(r))
		return fail(a, ACD_E_STATE, "call %llu is talking: it cannot end as %s",
		            (unsigned long long)L->call, result_name(r));
	if (wrapup_ms == ACD_WRAPUP_DEFAULT)
		wrapup_ms = q->cfg.wrapup_ms;
	if (wrapup_ms < 0)
		return fail(a, ACD_E_ARG, "negative wrap-up %lld", (long long)wrapup_ms);
	if (L->state == SLOT_TALK && t < L->answered)
		return fail(a, ACD_E_TIME, "call %llu ends before it was answered",
		            (unsigned long long)L->call);
	int rc = take_time(a, t);
	if (rc)
		return rc;
	if (out_reserve(a, 2))
		return fail(a, ACD_E_NOMEM, "out of memory");
	acd_stats_advance_inl(&q->st, t);
	/* The leg's facts only when asked: for a waiting leg they cost a walk
	 * of the queue (position, expected wait) and of the roster. */
	acd_leg info;
	if (leg) {
		leg_fill(a, s, t, &info);
		info.ended = t;
		info.result = r;
		info.state = ACD_LEG_ENDED;
		info.position = 0;
		info.expected_wait_ms = ACD_EWT_UNKNOWN;
	}
	if (L->state == SLOT_WAIT) {
		wait_remove(a, s);
		switch (r) {
		case CALL_LEG_ABANDONED: q->abandoned++; break;
		case CALL_LEG_TIMEOUT: q->timed_out++; break;
		default: q->asked_sup++; break;
		}
		if (leg)
			info.wait_ms = t - L->entered;
		acd_stats_leave(&q->st, L->entered, r, t - L->entered);
	} else {
		int id = L->agent;
		agent *g = &a->ag[id];
		int64_t talk = t - L->answered;
		if (leg)
			info.talk_ms = talk;
		stop_talk(q, g, talk);
		int64_t cycle = talk + wrapup_ms;
		q->aht = q->aht < 0 ? cycle : q->aht + div8(cycle - q->aht);
		acd_stats_handled_inl(&q->st, L->entered, talk, wrapup_ms);
		if (wrapup_ms > 0) {
			g->state = ACD_AGENT_WRAPUP;
			g->since = t;
			g->wrap_until = t + wrapup_ms;
			q->wrapup++;
			out_push(a, ACD_OUT_WRAPUP, t, qi, id)->at = g->wrap_until;
		} else {
			agent_free(a, id, t);
		}
	}
	id_del(a, L->call);
	slot_free(a, s);
	q_sync(a, qi, t);
	if (leg)
		*leg = info;
	CHECKED(a, ACD_OK);
}

/* The agent of a fast end takes the oldest waiting call.  Out of line: the
 * call's figures may take the stats module's slow paths (it may have
 * entered in an earlier interval), and inlined they cost the common case
 * (the agent goes idle) spills and reloads: ~7 instructions a call more on
 * M/M/c, measured. */
static __attribute__((noinline))
int take_waiting(acd *a, queue *q, agent *g, int id, int32_t h, int64_t t)
{
	/* wait_remove_q of the head of a fast (so anylang: no language lists)
	 * queue: nothing before it to relink */
	leg_slot *W = &a->legs[h];
	int32_t next = W->next;
	q->head = next;
	if (next >= 0)
		a->legs[next].prev = -1;
	else
		q->tail = -1;
	q->nwait--;
	/* assign_q, with the answer's figures in the open bin when the call
	 * entered in it (t < o_hi: the caller checked) and its wait is stored
	 * without growing: acd_stats_answer_inl's common case */
	acd_stats *st = &q->st;
	int64_t wait = t - W->entered;
	if (W->entered >= st->o_lo && wait > 0 && st->nwaits < st->capwaits) {
		W->state = SLOT_TALK;
		W->answered = t;
		W->agent = id;
		start_talk(q, g, h, t);
		acd_figures *b = &st->bins[st->o_i].f;
		st->wbin[st->nwaits] = st->o_i;
		st->waits[st->nwaits++] = wait;
		b->answered++;
		b->answered_within += wait <= st->sl;
		b->wait_sum_ms += wait;
		if (wait > b->wait_max_ms)
			b->wait_max_ms = wait;
		out_assign(a, g->queue, id, W->call, t, wait);
	} else {
		assign_q(a, q, g, id, W, h, t);
	}
	CHECKED(a, ACD_OK);
}

/* end_slot of a talking leg on a `fast` queue, without wrap-up, whose agent
 * stays on duty, when nothing can fail and no leg facts are wanted (the
 * caller checked, and that t and the leg's entry are in the open bin, so
 * its handled figures go there): the agent takes the oldest waiting call
 * (the queue's head: every agent takes every call) or becomes idle.  The
 * figures as in enqueue_fast; taking a call leaves the busy count as it
 * was. */
HOT int end_talk_fast(acd *a, int32_t s, leg_slot *L, queue *q, int64_t t)
{
	a->now = t;
	acd_stats *st = &q->st;
	st->acc_t = t;
	acd_figures *b = &st->bins[st->o_i].f;
	int id = L->agent;
	agent *g = &a->ag[id];
	int64_t talk = t - L->answered;
	stop_talk(q, g, talk);
	int64_t aht = q->aht;
	q->aht = aht < 0 ? talk : aht + div8(talk - aht);
	b->handled++;                /* acd_stats_handled_inl in the open bin */
	b->handle_sum_ms += talk;    /* (and wrapup_sum_ms += 0) */
	a->dval[L->call] = -1;       /* id_del: the caller found it in the table */
	slot_free(a, s);
	int32_t h = q->head;
	if (h >= 0)                  /* a tail call: nothing is live across it */
		return take_waiting(a, q, g, id, h, t);
	idle_append_any(a, q, g, id, t);
	st->busy--;                  /* q_sync: the one count that moved (enqueue_fast) */
	b->busy_ms -= st->o_hi - t;
	CHECKED(a, ACD_OK);
}

/* The results a talking leg may end with (talking_result), as a mask. */
#define TALK_RESULTS ((1u << CALL_LEG_RESOLVED) | (1u << CALL_LEG_ESCALATED) \
	| (1u << CALL_LEG_SUPERVISOR) | (1u << CALL_LEG_REQUEST) \
	| (1u << CALL_LEG_HANGUP_TALKING) | (1u << CALL_LEG_ASKED_SUPERVISOR))

/* acd_end of an id in the hash map (or of no live leg): out of line, so
 * that acd_end's tests are not preceded by a call (map_get) that every
 * argument must survive. */
static __attribute__((noinline))
int end_mapped(acd *a, uint64_t call_id, int64_t t, call_leg_result r,
               int64_t wrapup_ms, acd_leg *leg)
{
	int32_t s = map_get(a, call_id);
	if (s < 0)
		return fail(a, ACD_E_NOTFOUND, "call %llu has no live leg",
		            (unsigned long long)call_id);
	return end_slot(a, s, t, r, wrapup_ms, leg);
}

int acd_end(acd *a, uint64_t call_id, int64_t t, call_leg_result r,
            int64_t wrapup_ms, acd_leg *leg)
{
	if (call_id >= a->dcap)
		return end_mapped(a, call_id, t, r, wrapup_ms, leg);
	int32_t s = a->dval[call_id];    /* id_get's direct case */
	if (s < 0)
		return end_mapped(a, call_id, t, r, wrapup_ms, leg);   /* the error */
	/* The fast path when every check of end_slot would pass (t >= now >=
	 * answered; a live leg means have_now) and the agent simply becomes
	 * free again.  The queue's kind first (other queues pay two tests). */
	leg_slot *L = &a->legs[s];
	queue *q = &a->q[L->queue];
	if (q->fast && L->state == SLOT_TALK && !leg && t >= a->now
	    && (unsigned)r < 32 && ((1u << r) & TALK_RESULTS)
	    && (wrapup_ms == 0 || (wrapup_ms == ACD_WRAPUP_DEFAULT && q->cfg.wrapup_ms == 0))
	    && !a->ag[L->agent].leaving && t < q->st.o_hi
	    && L->entered >= q->st.o_lo && a->outn < a->outcap)
		return end_talk_fast(a, s, L, q, t);
	return end_slot(a, s, t, r, wrapup_ms, leg);
}

int acd_agent_done(acd *a, int id, int64_t t, call_leg_result r,
                   int64_t wrapup_ms, acd_leg *leg)
{
	if (id < 0 || id >= a->nag)
		return fail(a, ACD_E_ARG, "no agent %d", id);
	if (a->ag[id].state != ACD_AGENT_TALKING)
		return fail(a, ACD_E_STATE, "agent %d is %s, not talking", id,
		            acd_agent_state_name(a->ag[id].state));
	return end_slot(a, a->ag[id].leg, t, r, wrapup_ms, leg);
}

int acd_wrapup_end(acd *a, int id, int64_t t)
{
	if (id < 0 || id >= a->nag)
		return fail(a, ACD_E_ARG, "no agent %d", id);
	agent *g = &a->ag[id];
	if (g->state != ACD_AGENT_WRAPUP)
		return fail(a, ACD_E_STATE, "agent %d is %s, not in wrap-up", id,
		            acd_agent_state_name(g->state));
	if (t < g->wrap_until)
		return fail(a, ACD_E_STATE, "agent %d wraps up until %lld, not %lld", id,
		            (long long)g->wrap_until, (long long)t);
	int rc = take_time(a, t);
	if (rc)
		return rc;
	if (out_reserve(a, 1))
		return fail(a, ACD_E_NOMEM, "out of memory");
	queue *q = &a->q[g->queue];
	acd_stats_advance_inl(&q->st, t);
	g->wbusy += t - g->since;
	q->wrapup--;
	agent_free(a, id, t);
	q_sync(a, g->queue, t);
	CHECKED(a, ACD_OK);
}

int acd_advance(acd *a, int64_t t)
{
	int rc = take_time(a, t);
	if (rc)
		return rc;
	for (int i = 0; i < a->nq; i++)
		acd_stats_advance(&a->q[i].st, t);
	return ACD_OK;
}

/* ---- outputs ------------------------------------------------------------ */

bool acd_poll(acd *a, acd_out *out)
{
	if (a->outhead >= a->outn) {
		a->outhead = a->outn = 0;
		return false;
	}
	*out = a->out[a->outhead++];
	if (a->outhead == a->outn)
		a->outhead = a->outn = 0;    /* see acd_take */
	return true;
}

int acd_pending(const acd *a) { return a->outn - a->outhead; }

/* The queue starts over once empty (here and in acd_poll), so that
 * outhead == outn only when both are 0 and the fast paths check room with
 * one compare; the array is not touched, so the outputs taken stay
 * readable until the next mutation writes over them. */
const acd_out *acd_take(acd *a, int *n)
{
	if (a->outhead == 0) {       /* nothing polled: the common case */
		*n = a->outn;
		a->outn = 0;
		return a->out;
	}
	const acd_out *o = a->out + a->outhead;
	*n = a->outn - a->outhead;
	a->outhead = a->outn = 0;
	return o;
}

/* ---- inspection --------------------------------------------------------- */

static int on_duty_for_lang(const acd *a, const queue *q, int l)
{
	int n = 0;
	for (int p = 0; p < q->nroster; p++) {
		const agent *g = &a->ag[q->roster[p]];
		if (g->state != ACD_AGENT_OFF && !g->leaving && (g->emask & (1u << l)))
			n++;
	}
	return n;
}

/* Expected wait of a waiting slot: (k + 1) x AHT / n, where k is the number
 * of calls ahead that compete for the same agents (same language with
 * `skill lang`, else all) and n the agents on duty who can take it.  With
 * exponential handle times that is the mean time for k + 1 departures from
 * n busy servers. */
static int64_t ewt(const acd *a, int32_t s)
{
	const leg_slot *L = &a->legs[s];
	const queue *q = &a->q[L->queue];
	if (q->aht < 0)
		return ACD_EWT_UNKNOWN;
	int n = on_duty_for_lang(a, q, L->lang);
	if (n == 0)
		return ACD_EWT_UNKNOWN;
	int64_t k = 0;
	if (!q->anylang)                 /* (anylang: the queue is the language's list) */
		for (int32_t i = L->lprev; i >= 0; i = a->legs[i].lprev)
			k++;
	else
		for (int32_t i = L->prev; i >= 0; i = a->legs[i].prev)
			k++;
	return (k + 1) * q->aht / n;
}

static int position_of(const acd *a, int32_t s)
{
	int pos = 1;
	for (int32_t i = a->legs[s].prev; i >= 0; i = a->legs[i].prev)
		pos++;
	return pos;
}

static void leg_fill(const acd *a, int32_t s, int64_t t, acd_leg *out)
{
	const leg_slot *L = &a->legs[s];
	memset(out, 0, sizeof *out);
	out->call = L->call;
	out->queue = L->queue;
	out->tier = a->q[L->queue].cfg.tier;
	out->lang = L->lang;
	out->entered = L->entered;
	out->answered = L->answered;
	out->ended = -1;
	out->agent = L->agent;
	out->result = CALL_LEG_NRESULTS;
	out->found_free = L->found_free;
	out->entry_position = L->entry_pos;
	if (L->state == SLOT_WAIT) {
		out->state = ACD_LEG_WAITING;
		const queue *q = &a->q[L->queue];
		if (L->next < 0 && !q->cfg.skill_lang && q->aht >= 0) {
			/* The newest call (acd_enqueue's case): its position is the
			 * queue length, the calls ahead are all the others, and
			 * without `skill lang` everybody on duty can take it — the
			 * same figures as the walks below, in O(1). */
			out->position = q->nwait;
			out->expected_wait_ms = q->on_duty > 0
				? (int64_t)q->nwait * q->aht / q->on_duty : ACD_EWT_UNKNOWN;
		} else {
			out->position = position_of(a, s);
			out->expected_wait_ms = ewt(a, s);
		}
		out->wait_ms = t - L->entered;
	} else {
		out->state = ACD_LEG_TALKING;
		out->expected_wait_ms = ACD_EWT_UNKNOWN;
		out->wait_ms = L->answered - L->entered;
	}
}

int acd_leg_get(const acd *a, uint64_t call_id, int64_t t, acd_leg *leg)
{
	int32_t s = id_get(a, call_id);
	if (s < 0)
		return ACD_E_NOTFOUND;
	if (t < a->legs[s].entered)
		return ACD_E_TIME;
	leg_fill(a, s, t, leg);
	return ACD_OK;
}

int acd_found_free(const acd *a, uint64_t call_id, bool *found_free)
{
	int32_t s = id_get(a, call_id);
	if (s < 0)
		return ACD_E_NOTFOUND;
	*found_free = a->legs[s].found_free;
	return ACD_OK;
}

int acd_position(const acd *a, uint64_t call_id, int *pos)
{
	int32_t s = id_get(a, call_id);
	if (s < 0)
		return ACD_E_NOTFOUND;
	*pos = a->legs[s].state == SLOT_WAIT ? position_of(a, s) : 0;
	return ACD_OK;
}

/* Agent counters up to t, open periods included. */
static void agent_totals(const agent *g, int64_t t, int64_t *busy, int64_t *staffed,
                         int64_t *talk, int64_t *talk_shift)
{
	int64_t b = g->talk + g->wbusy, st = g->staffed, tk = g->talk;
	int64_t ts = g->talk - g->talk_base;
	if (g->state != ACD_AGENT_OFF && t > g->shift_start)
		st += t - g->shift_start;
	if ((g->state == ACD_AGENT_TALKING || g->state == ACD_AGENT_WRAPUP) && t > g->since)
		b += t - g->since;
	if (g->state == ACD_AGENT_TALKING && t > g->since) {
		tk += t - g->since;
		ts += t - g->since;
	}
	*busy = b;
	*staffed = st;
	*talk = tk;
	*talk_shift = ts;
}

int acd_agent_get(const acd *a, int id, int64_t t, acd_agent_info *out)
{
	if (id < 0 || id >= a->nag)
		return ACD_E_ARG;
	const agent *g = &a->ag[id];
	memset(out, 0, sizeof *out);
	out->id = id;
	out->queue = g->queue;
	out->roster_pos = g->qpos;
	out->langs = g->langs;
	out->state = (acd_agent_state)g->state;
	out->leaving = g->leaving;
	out->call = g->state == ACD_AGENT_TALKING ? a->legs[g->leg].call : 0;
	out->idle_since = g->state == ACD_AGENT_IDLE ? g->idle_since : -1;
	out->wrapup_until = g->state == ACD_AGENT_WRAPUP ? g->wrap_until : -1;
	out->calls = g->calls;
	out->calls_shift = g->calls - g->calls_base;
	agent_totals(g, t, &out->busy_ms, &out->staffed_ms, &out->talk_ms, &out->talk_shift_ms);
	return ACD_OK;
}

int acd_queue_get(const acd *a, int qi, acd_queue_info *out)
{
	if (qi < 0 || qi >= a->nq)
		return ACD_E_ARG;
	const queue *q = &a->q[qi];
	memset(out, 0, sizeof *out);
	out->name = q->cfg.name;
	out->tier = q->cfg.tier;
	out->strategy = q->cfg.strategy;
	out->skill_lang = q->cfg.skill_lang;
	out->roster = q->nroster;
	out->on_shift = q->on_shift;
	out->on_duty = q->on_duty;
	out->idle = q->nidle;
	out->talking = q_talking(q);
	out->wrapup = q->wrapup;
	out->waiting = q->nwait;
	out->offered = q->offered;
	out->answered = q->answered;
	out->abandoned = q->abandoned;
	out->timed_out = q->timed_out;
	out->asked_supervisor = q->asked_sup;
	out->ended_talking = q->answered - q_talking(q);
	out->aht_ms = q->aht;
	return ACD_OK;
}

/* ---- figures ------------------------------------------------------------ */

int acd_queue_figures(const acd *a, int qi, acd_figures *out)
{
	if (qi < 0 || qi >= a->nq)
		return ACD_E_ARG;
	acd_stats_total(&a->q[qi].st, out);
	return acd_stats_status(&a->q[qi].st);
}

int acd_nintervals(const acd *a, int qi)
{
	if (qi < 0 || qi >= a->nq)
		return 0;
	return acd_stats_nintervals(&a->q[qi].st);
}

int acd_interval_figures(const acd *a, int qi, int i, acd_figures *out)
{
	if (qi < 0 || qi >= a->nq || i < 0 || i >= acd_stats_nintervals(&a->q[qi].st))
		return ACD_E_ARG;
	acd_stats_interval(&a->q[qi].st, i, out);
	return acd_stats_status(&a->q[qi].st);
}

void acd_figures_to_rec(const acd *a, int qi, const acd_figures *f, rec_interval *r)
{
	memset(r, 0, sizeof *r);
	r->queue = acd_queue_name(a, qi);
	r->start = f->start;
	r->length_ms = f->length_ms;
	r->offered = f->offered;
	r->answered = f->answered;
	r->abandoned = f->abandoned;
	r->timed_out = f->timed_out;
	r->answered_within = f->answered_within;
	r->wait_sum_ms = f->wait_sum_ms;
	r->wait_max_ms = f->wait_max_ms;
	r->handle_sum_ms = f->handle_sum_ms;
	r->agents = f->agents;
	r->staffed_ms = f->staffed_ms;
	r->busy_ms = f->busy_ms;
}

/* ACD_OK, or the error a quantile query itself raised (ACD_E_NOMEM: the
 * ordered copy of the waits could not be had); an older sticky error is
 * the figures' to report. */
static int query_status(const acd_stats *st, int was)
{
	int now = acd_stats_status(st);
	return now != was ? now : ACD_OK;
}

int acd_wait_quantile(acd *a, int qi, double p, int64_t *ms)
{
	if (qi < 0 || qi >= a->nq || !(p > 0) || p > 1)
		return ACD_E_ARG;
	int was = acd_stats_status(&a->q[qi].st);
	*ms = acd_stats_quantile(&a->q[qi].st, p);
	return query_status(&a->q[qi].st, was);
}

int acd_interval_wait_quantile(acd *a, int qi, int i, double p, int64_t *ms)
{
	if (qi < 0 || qi >= a->nq || i < 0 || i >= acd_stats_nintervals(&a->q[qi].st) ||
	    !(p > 0) || p > 1)
		return ACD_E_ARG;
	int was = acd_stats_status(&a->q[qi].st);
	*ms = acd_stats_interval_quantile(&a->q[qi].st, i, p);
	return query_status(&a->q[qi].st, was);
}

int acd_wait_quantile_all(acd *a, double p, int64_t *ms)
{
	if (!(p > 0) || p > 1)
		return ACD_E_ARG;
	acd_stats **v = malloc((size_t)(a->nq > 0 ? a->nq : 1) * sizeof *v);
	int *was = malloc((size_t)(a->nq > 0 ? a->nq : 1) * sizeof *was);
	if (!v || !was) {
		free(v);
		free(was);
		return ACD_E_NOMEM;
	}
	for (int i = 0; i < a->nq; i++) {
		v[i] = &a->q[i].st;
		was[i] = acd_stats_status(v[i]);
	}
	*ms = acd_stats_quantile_pooled(v, a->nq, p);
	int rc = ACD_OK;
	for (int i = 0; i < a->nq && rc == ACD_OK; i++)
		rc = query_status(v[i], was[i]);
	free(v);
	free(was);
	return rc;
}

/* ---- invariants --------------------------------------------------------- */

#define BROKEN(...) do { \
		if (err && errlen) \
			snprintf(err, errlen, __VA_ARGS__); \
		return ACD_E_INVARIANT; \
	} while (0)

int acd_check_invariants(const acd *a, char *err, size_t errlen)
{
	int total_wait = 0, total_talk = 0;
	for (int qi = 0; qi < a->nq; qi++) {
		const queue *q = &a->q[qi];
		const char *qn = q->cfg.name;
		if (q->offered != q->answered + q->abandoned + q->timed_out + q->asked_sup + q->nwait)
			BROKEN("queue %s: offered %lld != answered %lld + abandoned %lld + timed out %lld"
			       " + supervisor %lld + waiting %d", qn, (long long)q->offered,
			       (long long)q->answered, (long long)q->abandoned,
			       (long long)q->timed_out, (long long)q->asked_sup, q->nwait);
		/* the FIFO */
		int n = 0;
		int32_t prev = -1;
		for (int32_t s = q->head; s >= 0; s = a->legs[s].next) {
			const leg_slot *L = &a->legs[s];
			if (s >= a->caplegs || L->state != SLOT_WAIT || L->queue != qi || L->prev != prev)
				BROKEN("queue %s: waiting list broken at slot %d", qn, s);
			if (prev >= 0 && a->legs[prev].seq >= L->seq)
				BROKEN("queue %s: waiting list out of order at slot %d", qn, s);
			prev = s;
			if (++n > a->caplegs)
				BROKEN("queue %s: waiting list loops", qn);
		}
		if (n != q->nwait || prev != q->tail)
			BROKEN("queue %s: %d calls on the list, %d counted", qn, n, q->nwait);
		int nl = 0;
		for (int l = 0; l < ACD_MAX_LANGS; l++) {
			int m = 0;
			int32_t lp = -1;
			for (int32_t s = q->lhead[l]; s >= 0; s = a->legs[s].lnext) {
				const leg_slot *L = &a->legs[s];
				if (L->state != SLOT_WAIT || L->queue != qi || L->lang != l || L->lprev != lp)
					BROKEN("queue %s: language %d list broken at slot %d", qn, l, s);
				lp = s;
				if (++m > a->caplegs)
					BROKEN("queue %s: language list loops", qn);
			}
			if (m != q->lwait[l] || lp != q->ltail[l])
				BROKEN("queue %s: language %d: %d listed, %d counted", qn, l, m, q->lwait[l]);
			nl += m;
		}
		if (nl != (q->anylang ? 0 : q->nwait))
			BROKEN("queue %s: language lists hold %d, queue %d", qn, nl, q->nwait);
		total_wait += q->nwait;
		/* the idle list */
		int idle_by[ACD_MAX_LANGS] = {0};
		int ni = 0;
		int32_t ip = -1;
		for (int32_t i = q->ihead; i >= 0; i = a->ag[i].inext) {
			const agent *g = &a->ag[i];
			if (g->state != ACD_AGENT_IDLE || g->queue != qi || g->leaving
			    || (!q->fast && g->iprev != ip))     /* see idle_remove_q */
				BROKEN("queue %s: idle list broken at agent %d", qn, i);
			if (ip >= 0 && a->ag[ip].idle_since > g->idle_since)
				BROKEN("queue %s: idle list out of order at agent %d", qn, i);
			for (int l = 0; l < a->nlangs; l++)
				if (g->emask & (1u << l))
					idle_by[l]++;
			ip = i;
			if (++ni > a->nag)
				BROKEN("queue %s: idle list loops", qn);
		}
		if (ni != q->nidle || ip != q->itail)
			BROKEN("queue %s: %d idle listed, %d counted", qn, ni, q->nidle);
		for (int l = 0; l < a->nlangs; l++) {
			if (idle_by[l] != idle_for(q, l))
				BROKEN("queue %s: idle agents for language %d: %d, counted %d",
				       qn, l, idle_by[l], idle_for(q, l));
			if (idle_by[l] > 0 && (q->anylang ? q->nwait : q->lwait[l]) > 0)
				BROKEN("queue %s: an agent is idle while a language-%d call waits",
				       qn, l);
		}
		/* the roster */
		int on = 0, duty = 0, talk = 0, wrap = 0, idle = 0;
		for (int p = 0; p < q->nroster; p++) {
			int id = q->roster[p];
			const agent *g = &a->ag[id];
			if (g->queue != qi || g->qpos != p)
				BROKEN("queue %s: roster position %d holds agent %d of another place",
				       qn, p, id);
			if (g->state != ACD_AGENT_OFF) {
				on++;
				duty += !g->leaving;
			} else if (g->leaving) {
				BROKEN("agent %d is off shift and leaving", id);
			}
			talk += g->state == ACD_AGENT_TALKING;
			wrap += g->state == ACD_AGENT_WRAPUP;
			idle += g->state == ACD_AGENT_IDLE;
			if (g->state == ACD_AGENT_TALKING) {
				if (g->leg < 0 || g->leg >= a->caplegs || a->legs[g->leg].state != SLOT_TALK
				    || a->legs[g->leg].agent != id)
					BROKEN("agent %d talks but holds no talking call", id);
			}
			int64_t b, st, tk, ts;
			agent_totals(g, a->now, &b, &st, &tk, &ts);
			if (b > st)
				BROKEN("agent %d: busy %lld ms > staffed %lld ms", id,
				       (long long)b, (long long)st);
		}
		if (on != q->on_shift || duty != q->on_duty || talk != q_talking(q)
		    || wrap != q->wrapup || idle != q->nidle)
			BROKEN("queue %s: agent counts disagree (on %d/%d duty %d/%d talk %d/%d"
			       " wrap %d/%d idle %d/%d)", qn, on, q->on_shift, duty, q->on_duty,
			       talk, q_talking(q), wrap, q->wrapup, idle, q->nidle);
		total_talk += talk;
	}
	/* slots and the map: every live slot is the one its call maps to, so no
	 * call has two legs (in one queue or two) */
	int live = 0, talking = 0;
	for (int32_t s = 0; s < a->caplegs; s++) {
		const leg_slot *L = &a->legs[s];
		if (L->state == SLOT_FREE)
			continue;
		live++;
		if (id_get(a, L->call) != s)
			BROKEN("call %llu: slot %d is not the one its id maps to (two legs?)",
			       (unsigned long long)L->call, s);
		if (L->state == SLOT_TALK) {
			talking++;
			if (L->agent < 0 || L->agent >= a->nag || a->ag[L->agent].leg != s)
				BROKEN("call %llu talks to agent %d, who does not hold it",
				       (unsigned long long)L->call, L->agent);
		}
	}
	size_t dcount = 0;
	for (size_t i = 0; i < a->dcap; i++)
		dcount += a->dval[i] >= 0;
	if ((size_t)live != dcount + a->mcount
	    || live != total_wait + total_talk || talking != total_talk)
		BROKEN("live legs: %d slots, %zu + %zu mapped, %d waiting + %d talking",
		       live, dcount, a->mcount, total_wait, total_talk);
	if (err && errlen)
		err[0] = 0;
	return ACD_OK;
}
