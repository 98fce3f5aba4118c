/*
 * sim.c — the discrete-event simulator (see sim.h).
 *
 * Event flow.  Every scheduled event carries a packed 64-bit argument: what
 * it is, which call slot, the slot's incarnation (so an event left over from
 * a call that ended is recognised after the slot was reused) and a small
 * payload.  Calls live in a pool of slots; nothing is allocated per call once
 * the pool has grown to the peak number of concurrent calls.
 *
 * Re-entrancy.  The call state machine reports actions through a sink while
 * call_handle runs.  Actions that concern the ACD are passed to it at once
 * (it never calls back), but assignments it produces are not delivered to
 * the (other) call inside the sink: they go to a small FIFO drained after
 * the outer call_handle returns, at the same virtual instant.  That keeps
 * every call_handle un-nested and the ACD and calls in step: no event can
 * slip between an ACD assignment and the call hearing of it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/sim.h"
#include "tierline/recorder.h"
#include "tierline/rng.h"
#include "tierline/sched.h"
#include "tierline/store.h"

/* Event kinds (4 bits). */
enum {
	EV_ARRIVAL = 1,   /* payload: line */
	EV_TIMER,         /* payload: timer slot << 16 | gen & 0xffff */
	EV_KEY,           /* payload: key */
	EV_HANGUP,
	EV_PATIENCE,      /* caller gives up waiting (leg checked by incarnation + leg no) */
	EV_ASK_SUP,
	EV_DONE,          /* payload: agent outcome */
	EV_WRAPUP,        /* payload: agent (slot field unused) */
	EV_STAFF,         /* payload: queue */
	EV_REDIAL         /* payload: index in sim.redial */
};

static inline uint64_t ev_pack(int kind, uint32_t slot, uint16_t inc, uint32_t payload)
{
	return (uint64_t)kind << 60 | (uint64_t)(slot & 0xffffff) << 36 |
	       (uint64_t)inc << 20 | (payload & 0xfffff);
}
#define EV_KIND(a)  ((int)((a) >> 60))
#define EV_SLOT(a)  ((uint32_t)(((a) >> 36) & 0xffffff))
#define EV_INC(a)   ((uint16_t)((a) >> 20))
#define EV_PAY(a)   ((uint32_t)((a) & 0xfffff))

#define RUN_UNKNOWN INT64_MIN

/* Random streams of the run, one per purpose (common random numbers).
 * What a caller does (choices, keys, think, barge-in, patience, supervisor
 * request, redial) comes from the call's own stream instead (call_rng),
 * and each answered leg's handle time, outcome and wrap-up from the leg's
 * (service_rng): a shared stream is drawn in event order, and once
 * staffing changes when a call is answered it changes which draw each
 * later caller gets.  The RS_ numbers those purposes had are kept unused,
 * so the remaining streams keep their numbers. */
enum {
	RS_ARRIVAL, RS_LANG, RS_CHOICE_, RS_THINK_, RS_BARGE_, RS_PATIENCE_, RS_REDIAL_,
	RS_HANDLE_, RS_OUTCOME_, RS_WRAPUP_, RS_KEYS_, RS_ROSTER, RS_ACD, RS_ASKSUP_, RS_N
};

/* The driver's fields come first: every action reads them, and with the
 * 736-byte call in front they sat on a cache line of their own (a miss per
 * action on a large pool). */
typedef struct sim_slot {
	recorder *rec;        /* when storing */
	uint16_t inc;
	int next_free;
	/* From patience to run_t: set afresh for each call by place_call, with
	 * one zero fill (keep them together). */
	sched_id patience, asksup;
	sched_id timer[CALL_NTIMERS];   /* live scheduler entry of each call timer */
	uint16_t tiers_seen;  /* bit per tier reached */
	bool live;
	bool counted;
	bool rc_ready;        /* rc seeded (call_rng) */
	uint8_t answers;      /* legs answered so far (service_rng) */
	/* The caller's turns at a menu or input, by the call's try_no: the
	 * try whose first prompt had its barge-in draw, and the try the
	 * caller has decided (keys scheduled).  See act_turn. */
	uint32_t barge_try, decided_try;
	/* Patience and supervisor-request times drawn at enqueue, pushed only
	 * once the call is still waiting after the ACD had its say (most
	 * calls are answered at once, and their timers would only be
	 * cancelled). */
	bool qt_pending;
	uint8_t leg_no;       /* legs so far, for stale patience events (counted
	                         only when queue_draws: no such event else) */
	/* The ACD answered this call's enqueue at once (act_enqueue): agent
	 * ans_agent at ans_t (below), delivered by `delivered`. */
	bool answer;
	/* Keys of an input run held back from the scheduler (see
	 * press_input_hold): nbuf of them from buf_keys[buf_i], the next at
	 * buf_t, buf_gap apart. */
	uint8_t nbuf, buf_i;
	/* The caller's own pending events (keys, hang-up) of this call: how
	 * many, and while they are one run, when the next one falls
	 * (RUN_UNKNOWN when runs overlap).  See skip_ivr_timer. */
	uint16_t npend;
	int64_t run_t, run_gap;
	int ans_agent;        /* when answer (not cleared per call) */
	int64_t wrap_ms;      /* the answered leg's wrap-up, drawn with its handle time */
	int64_t ans_t;
	int64_t pat_at, ask_at;
	int32_t buf_gap;
	int64_t buf_t;
	char buf_keys[CALL_MAX_DIGITS + 2];
	/* The caller's own stream, seeded from `who` on first use: choices,
	 * keys, think, barge-in, and at each enqueue patience and the
	 * supervisor request, drawn whether or not the call waits, so what
	 * the caller does in the IVR after a queue leg does not depend on
	 * how long the leg was. */
	uint64_t who;         /* arrivals block << 40 | its call number; a
	                         redial's is hashed from its first call's */
	rng rc;
	call c;
} sim_slot;

/* An arrivals block: the exact time of its last call, and its rate
 * between two of its profile's changes. */
typedef struct arr_seg {
	double t;                 /* exact time of the block's last call */
	int64_t from, change;     /* the rate is valid for from <= t < change */
	double rate;
	double lo, hi;            /* from and change as doubles (next_arrival) */
	uint64_t n;               /* calls placed by the block so far */
} arr_seg;

typedef struct deferred {
	uint32_t slot;
	int agent;
	int64_t t;
} deferred;

typedef struct sim {
	const flow *f;
	const scenario *s;
	const sim_options *o;
	sched *clock;
	acd *a;
	rng r[RS_N];
	sim_slot *slots; int nslots, cslots, free_head;
	deferred *dq; int dq_head, dq_len, dq_cap;
	arr_seg *arr_seg;     /* each block's last call and current rate */
	sim_result *res;
	int64_t t_start, t_end, t_stop;
	int64_t live;
	bool arrivals_done;
	char err[256];
	bool failed;
	uint64_t events;
	call_sink sink;       /* on_action; skips what it ignores unless recording */
	call_sink held_sink;  /* for held keys: only the recorder (hand_held_keys) */
	const scen_answer **ans;   /* scen_answer_for of node * nlangs + lang */
	int nlangs;
	/* Every queue's agents end a talk with one outcome for sure (share 1):
	 * that outcome, else -1 (draw it).  See act_answered. */
	int fixed_outcome;
	/* Read per call or per event, kept here rather than behind m->o, m->s
	 * and m->f. */
	int64_t t_counted;        /* calls placed from here on are counted */
	int64_t calls;            /* o->calls */
	void (*progress)(void *ctx, double done);
	const scen_agents **ag_of; /* agents_for of each queue */
	/* The caller may give up or ask for a supervisor while queued: each
	 * enqueue draws patience and the supervisor request (act_enqueue). */
	bool queue_draws;
	uint16_t *tier_bit;       /* tiers_seen bit of each queue (0: none) */
	/* For the callers' own streams: rng_seed_hash of the seed, and the
	 * replication times an odd constant (entity_rng). */
	uint64_t seed_h, rep_mix;
	/* Redials not placed yet (an event's payload holds only the index):
	 * who calls again, on which line, in which language.  Free entries
	 * are chained through line. */
	struct redial { uint64_t who; int line, lang; } *redial;
	int nredial, credial, redial_free;
} sim;

static void sim_fail(sim *m, const char *what, const char *detail)
{
	if (m->failed)
		return;
	m->failed = true;
	snprintf(m->err, sizeof m->err, "%s: %s", what, detail);
	sched_stop(m->clock);
}

/* ---- call slots ---------------------------------------------------------- */

static int slot_alloc(sim *m)
{
	if (m->free_head < 0) {
		if (m->nslots == m->cslots) {
			int cap = m->cslots ? m->cslots * 2 : 256;
			sim_slot *p = realloc(m->slots, (size_t)cap * sizeof *p);
			if (!p)
				return -1;
			m->slots = p;
			m->cslots = cap;
		}
		sim_slot *sl = &m->slots[m->nslots];
		memset(sl, 0, sizeof *sl);
		sl->next_free = -1;
		if (m->o->db) {
			sl->rec = malloc(sizeof *sl->rec);
			if (!sl->rec)
				return -1;
			recorder_init(sl->rec, m->f);
		}
		return m->nslots++;
	}
	int i = m->free_head;
	m->free_head = m->slots[i].next_free;
	return i;
}

static void slot_release(sim *m, int i)
{
	sim_slot *sl = &m->slots[i];
	sl->live = false;
	sl->inc++;
	sl->next_free = m->free_head;
	m->free_head = i;
	m->live--;
}

/* ---- scheduling helpers ---------------------------------------------------- */

/* The simulator owns a virtual clock and pulls its events (sim_run's loop),
 * so it schedules through the direct calls, with no callback. */
static sched_id at_caller(sim *m, int64_t t, uint64_t arg)
{
	return sched_virtual_at(m->clock, t, SCHED_PRI_CALLER, NULL, NULL, arg);
}

/* An arrival: one is always pending, and it is the commonest push of an
 * M/M/c run, so it goes into the clock's side slot (sched.h) when free,
 * in the same order as any caller event. */
static inline void at_arrival(sim *m, int64_t t, uint64_t arg)
{
	sched_virtual_at_side(m->clock, t, SCHED_PRI_CALLER, NULL, NULL, arg);
}

/* The same, inline where a call a push was measured: the caller's one-key
 * answer (press1) and the call timers (act_timer_push). */
static inline __attribute__((always_inline)) sched_id at_caller_inl(sim *m, int64_t t,
                                                                    uint64_t arg)
{
	return sched_virtual_at(m->clock, t, SCHED_PRI_CALLER, NULL, NULL, arg);
}

static sched_id at_timer(sim *m, int64_t t, uint64_t arg)
{
	return sched_virtual_at(m->clock, t, SCHED_PRI_TIMER, NULL, NULL, arg);
}

static inline __attribute__((always_inline)) sched_id at_timer_inl(sim *m, int64_t t,
                                                                   uint64_t arg)
{
	return sched_virtual_at(m->clock, t, SCHED_PRI_TIMER, NULL, NULL, arg);
}

/* Cancel a pending entry, if any, and forget it. */
static void unschedule(sim *m, sched_id *id)
{
	if (*id) {
		sched_virtual_cancel(m->clock, *id);
		*id = 0;
	}
}

/* ---- caller behaviour ---------------------------------------------------- */

static const char *const dtmf_keys = "0123456789*#";

static bool keys_prefix_of_option(const flow_menu *mn, const char *k, size_t n)
{
	for (int i = 0; i < mn->noptions; i++)
		if (mn->options[i].nkeys >= n && memcmp(mn->options[i].keys, k, n) == 0)
			return true;
	return false;
}

/* Note n caller events from t, `gap` apart, as pending for the call. */
static void pend(sim_slot *sl, int64_t t, size_t n, int64_t gap, bool known)
{
	if (n == 0)
		return;
	if (sl->npend == 0 && known) {
		sl->run_t = t;
		sl->run_gap = gap;
	} else {
		sl->run_t = RUN_UNKNOWN;
	}
	sl->npend = (uint16_t)(sl->npend + n > 65535 ? 65535 : sl->npend + n);
}

/* Schedule the keys of string k, one every `gap` ms from t. */
static void press(sim *m, int slot, int64_t t, const char *k, size_t n, int64_t gap)
{
	sim_slot *sl = &m->slots[slot];
	bool dtmf = n < 256;
	for (size_t i = 0; i < n; i++)
		dtmf = dtmf && flow_is_dtmf(k[i]);
	pend(sl, t, n, gap, dtmf);
	for (size_t i = 0; i < n; i++)
		at_caller(m, t + (int64_t)i * gap,
		          ev_pack(EV_KEY, (uint32_t)slot, sl->inc, (unsigned char)k[i]));
}

/* press of one key. */
static void press1(sim *m, int slot, int64_t t, char k)
{
	sim_slot *sl = &m->slots[slot];
	pend(sl, t, 1, 300, flow_is_dtmf(k));
	at_caller_inl(m, t, ev_pack(EV_KEY, (uint32_t)slot, sl->inc, (unsigned char)k));
}

/* The keys of an input run, of which the first `hold` are not scheduled
 * but held in the slot and handed to the call (each with its own time, in
 * order) just before its next scheduled event, which is key `hold` of the
 * run.  press_input_hold says when that is exact. */
static void press_held(sim *m, int slot, int64_t t, const char *k, int n, int64_t gap,
                       int hold)
{
	sim_slot *sl = &m->slots[slot];
	pend(sl, t, (size_t)n, gap, true);
	memcpy(sl->buf_keys, k, (size_t)hold);
	sl->buf_i = 0;
	sl->nbuf = (uint8_t)hold;
	sl->buf_t = t;
	sl->buf_gap = (int32_t)gap;
	for (int i = hold; i < n; i++)
		at_caller(m, t + (int64_t)i * gap,
		          ev_pack(EV_KEY, (uint32_t)slot, sl->inc, (unsigned char)k[i]));
}

/* How many leading keys of an input run may be held back from the
 * scheduler without changing anything (0: none).
 *
 * A held key must have no effect outside its call, and nothing may happen
 * to the call between it and the moment it is handed over.  Both hold for
 * the keys of a run that starts a fresh try of an input when:
 *  - the caller has no other pending event (npend 0) and the run's first
 *    key comes no later than the IVR timer about to be armed (t_ivr, the
 *    prompt end when barging in, else the no-input timeout): skip_ivr_timer
 *    then drops that timer, so the first key is the call's next event, and
 *    it is heard (listening, or barging into the input's first prompt);
 *  - the key is a DTMF digit, not the terminator, and leaves fewer digits
 *    than the input's maximum: call.c's input_key then only appends it,
 *    listens again and re-arms the inter-digit timer, which skip_ivr_timer
 *    drops too as the next key comes within the inter-digit time (gap <=
 *    interdigit_ms).  No random draw, no ACD, no other call, no scheduler
 *    entry: only the call's own state (and its recorder) changes;
 *  - the last key of the run is always scheduled, at its own place in the
 *    push order, so the event that completes or ends the input (and every
 *    later key) keeps its seq; held keys are handed over when it fires;
 *  - the run ends before the simulation could stop (no --calls, whose stop
 *    time moves, and every key by t_stop): the loop only stops with no
 *    call live or nothing due by t_stop, so every held key is handed over
 *    before anything is read at the end.
 * Between a held key's time and its hand-over, nothing reads the call:
 * other calls and the ACD never look at a call in the IVR. */
static int press_input_hold(const sim *m, const sim_slot *sl, const flow_input *in,
                            const char *k, int n, int64_t t0, int64_t gap, int64_t t_ivr)
{
	if (m->calls > 0 || sl->npend != 0 || n < 2 || t0 > t_ivr ||
	    gap > (int64_t)in->l.interdigit_ms || t0 + (int64_t)n * gap > m->t_stop)
		return 0;
	for (int i = 0; i < n; i++)
		if (!flow_is_dtmf(k[i]))
			return 0;   /* press would not note the run as one */
	int max = in->max_digits > 0 && in->max_digits < CALL_MAX_DIGITS ? in->max_digits
	                                                                 : CALL_MAX_DIGITS;
	int hold = 0;
	while (hold < n - 1 && hold + 1 < max && !(in->terminator && k[hold] == in->terminator))
		hold++;
	return hold;
}

/* dist_sample_ms with its commonest kind inline: the same expression, so
 * the same double (exp(...) handling times, think times). */
static inline double sample_ms(const dist *d, rng *r)
{
	if (d->kind == DIST_EXP)
		return -d->p1 * log(rng_uniform(r));
	return dist_sample_ms(d, r);
}

/* A stream of the call's own: the hashed run seed, the caller (who), the
 * replication and which of the call's streams (kind), into rng_seed_key.
 * Odd multipliers keep distinct identities apart; splitmix64 does the
 * mixing. */
static inline uint64_t entity_key(const sim *m, const sim_slot *sl, uint64_t kind)
{
	uint64_t id = sl->who ^ m->rep_mix ^ kind;
	return m->seed_h ^ id * 0xd1342543de82ef95ULL;
}

static inline void entity_rng(const sim *m, const sim_slot *sl, uint64_t kind, rng *r)
{
	rng_seed_key(r, entity_key(m, sl, kind));
}

/* The stream of one answered leg of a call: its handle time, the agent's
 * outcome and the wrap-up, drawn when the leg is answered.  Drawn from a
 * stream shared by all calls in answer order, a change of staffing would
 * hand the same caller another caller's handle time; from the leg's own,
 * each caller's talk is the same under any staffing that answers it
 * (common random numbers for the service too: two staffings differ only
 * by what the staffing does, so `staff` compares them with less noise). */
static inline uint64_t service_key(const sim *m, sim_slot *sl)
{
	return entity_key(m, sl, 0x9b1f3c55d2e4a701ULL ^ (uint64_t)++sl->answers << 56);
}

static inline void service_rng(const sim *m, sim_slot *sl, rng *r)
{
	rng_seed_key(r, service_key(m, sl));
}

/* Out of line: once a call at most, from several callers. */
static __attribute__((noinline)) void seed_call_rng(const sim *m, sim_slot *sl)
{
	entity_rng(m, sl, 0x3c79ac492ba7b653ULL, &sl->rc);
	sl->rc_ready = true;
}

static inline rng *call_rng(const sim *m, sim_slot *sl)
{
	if (!sl->rc_ready)
		seed_call_rng(m, sl);
	return &sl->rc;
}

static int64_t think_ms(sim *m, sim_slot *sl)
{
	const scen_caller *cl = &m->s->caller;
	return cl->has_think ? dist_round_ms(sample_ms(&cl->think, call_rng(m, sl))) : 0;
}

/* Draw an index from shares (they add up to 1; the last takes the rest). */
static int draw_share(rng *r, const scen_choice *ch, int n)
{
	double u = rng_uniform(r), acc = 0;
	for (int i = 0; i < n; i++) {
		acc += ch[i].share;
		if (u < acc)
			return i;
	}
	return n - 1;
}

/* The caller acts at a menu: t0 is when keys may start. */
/* scen_answer_for, from the table made at the start (a call's language is
 * always one of the flow's). */
static inline const scen_answer *answer_for(const sim *m, int node, int lang)
{
	if (lang < 0 || lang >= m->nlangs)
		return scen_answer_for(m->s, node, lang);
	return m->ans[node * m->nlangs + lang];
}

static void act_menu(sim *m, int slot, int node, const flow_node *nd, int64_t t0)
{
	const flow_menu *mn = &nd->u.menu;
	sim_slot *sl = &m->slots[slot];
	const scen_answer *ans = answer_for(m, node, sl->c.lang);
	rng *rc = call_rng(m, sl);
	if (!ans || ans->nchoices == 0) {
		if (mn->noptions == 0)
			return;
		const flow_option *op = &mn->options[rng_below(rc, (uint64_t)mn->noptions)];
		press(m, slot, t0, op->keys, op->nkeys, 300);
		return;
	}
	const scen_choice *ch = &ans->choices[draw_share(rc, ans->choices, ans->nchoices)];
	switch (ch->kind) {
	case SCEN_OPTION:
		if (ch->keys[0] && !ch->keys[1])
			press1(m, slot, t0, ch->keys[0]);   /* most options are one key */
		else
			press(m, slot, t0, ch->keys, strlen(ch->keys), 300);
		break;
	case SCEN_NOMATCH: {
		/* A key that starts no option; if every key starts one, a run
		 * that continues none. */
		char k[3] = { 0 };
		int start = (int)rng_below(rc, 12);
		for (int i = 0; i < 12; i++) {
			k[0] = dtmf_keys[(start + i) % 12];
			if (!keys_prefix_of_option(mn, k, 1)) {
				press(m, slot, t0, k, 1, 300);
				return;
			}
		}
		for (int i = 0; i < 12; i++)
			for (int j = 0; j < 12; j++) {
				k[0] = dtmf_keys[i];
				k[1] = dtmf_keys[j];
				if (!keys_prefix_of_option(mn, k, 2)) {
					press(m, slot, t0, k, 2, 300);
					return;
				}
			}
		break;
	}
	case SCEN_HANGUP:
		pend(sl, t0, 1, 0, true);
		at_caller(m, t0, ev_pack(EV_HANGUP, (uint32_t)slot, sl->inc, 0));
		break;
	default:   /* noinput, and input kinds that make no sense here */
		break;
	}
}

static void act_input(sim *m, int slot, int node, const flow_node *nd, int64_t t0,
                      int64_t t_ivr)
{
	const flow_input *in = &nd->u.input;
	sim_slot *sl = &m->slots[slot];
	const scen_answer *ans = answer_for(m, node, sl->c.lang);
	rng *rc = call_rng(m, sl), *rk = rc;
	scen_choice_kind kind = SCEN_VALID;
	if (ans && ans->nchoices > 0)
		kind = ans->choices[draw_share(rc, ans->choices, ans->nchoices)].kind;
	char k[CALL_MAX_DIGITS + 2];
	int n = 0;
	switch (kind) {
	case SCEN_NOINPUT:
		return;
	case SCEN_HANGUP:
		pend(sl, t0, 1, 0, true);
		at_caller(m, t0, ev_pack(EV_HANGUP, (uint32_t)slot, sl->inc, 0));
		return;
	case SCEN_SHORT: {
		int maxn = in->min_digits - 1;
		n = maxn > 0 ? 1 + (int)rng_below(rk, (uint64_t)maxn) : 0;
		break;
	}
	case SCEN_LONG:
		n = in->max_digits + 1;
		break;
	default: {
		int span = in->max_digits - in->min_digits + 1;
		n = in->min_digits + (span > 0 ? (int)rng_below(rk, (uint64_t)span) : 0);
		break;
	}
	}
	if (n > CALL_MAX_DIGITS)
		n = CALL_MAX_DIGITS;
	int i = 0;
	if (kind == SCEN_VALID && ans && ans->nprefixes > 0) {
		double u = rng_uniform(rc), acc = 0;
		const char *pre = ans->prefixes[ans->nprefixes - 1].prefix;
		for (int j = 0; j < ans->nprefixes; j++) {
			acc += ans->prefixes[j].share;
			if (u < acc) {
				pre = ans->prefixes[j].prefix;
				break;
			}
		}
		/* A valid entry starts with its whole prefix: lengthen a
		 * draw shorter than the prefix (within the input's maximum). */
		int plen = (int)strlen(pre);
		if (n < plen)
			n = plen < in->max_digits ? plen : in->max_digits;
		if (n > CALL_MAX_DIGITS)
			n = CALL_MAX_DIGITS;
		for (; pre[i] && i < n; i++)
			k[i] = pre[i];
	}
	for (; i < n; i++)
		k[i] = (char)('0' + rng_below(rk, 10));
	if (n < in->max_digits && in->terminator)
		k[n++] = in->terminator;
	int hold = press_input_hold(m, sl, in, k, n, t0, 250, t_ivr);
	if (hold > 0)
		press_held(m, slot, t0, k, n, 250, hold);
	else
		press(m, slot, t0, k, (size_t)n, 250);
}

/* Does the caller barge into this try's prompts?  (caller_decide's first
 * draw when prompting, asked by act_turn before the call.) */
static inline bool barges_in(sim *m, sim_slot *sl, const flow_listen *l)
{
	return l->bargein && m->s->caller.bargein > 0 &&
	       rng_chance(call_rng(m, sl), m->s->caller.bargein);
}

/* A menu or input is about to be heard: decide what this caller does.
 * barging: the caller barges into the prompt starting at t, prompt_ms long
 * (act_turn drew that); else the prompts are over and the caller thinks
 * from t.  t_ivr: when the IVR timer armed right after this action falls
 * (prompt end or no-input timeout).  Six arguments: all in registers. */
static void caller_decide(sim *m, int slot, int node, int64_t t, int64_t t_ivr, bool barging)
{
	const flow_node *nd = &m->f->nodes[node];
	int64_t t0;
	if (barging) {
		/* When in the prompt: prompt_ms is t_ivr - t (the prompt's end). */
		int64_t prompt_ms = t_ivr - t;
		t0 = t + 1 + (int64_t)(rng_uniform(call_rng(m, &m->slots[slot])) *
		                       (uint32_t)(prompt_ms > 1 ? prompt_ms - 1 : 0));
	} else {
		t0 = t + think_ms(m, &m->slots[slot]);
	}
	m->slots[slot].decided_try = m->slots[slot].c.try_no;
	if (nd->kind == FLOW_MENU)
		act_menu(m, slot, node, nd, t0);
	else
		act_input(m, slot, node, nd, t0, t_ivr);
}

/* ---- the sink: actions of a call ----------------------------------------- */

static const scen_agents *agents_for(const sim *m, int queue)
{
	if (m->ag_of)
		return m->ag_of[queue];
	int i = m->s->agents_of_queue[queue];
	return i >= 0 ? &m->s->agents[i] : NULL;
}

static void drain_acd_out(sim *m, const acd_out *out, int n)
{
	for (int i = 0; i < n; i++) {
		const acd_out *o = &out[i];
		switch (o->kind) {
		case ACD_OUT_ASSIGN: {
			if (m->dq_len == m->dq_cap) {
				int cap = m->dq_cap ? m->dq_cap * 2 : 64;   /* a power of two: index by mask */
				deferred *p = malloc((size_t)cap * sizeof *p);
				if (!p) {
					sim_fail(m, "out of memory", "deferred queue");
					return;
				}
				for (int k = 0; k < m->dq_len; k++)
					p[k] = m->dq[(m->dq_head + k) & (m->dq_cap - 1)];
				free(m->dq);
				m->dq = p;
				m->dq_cap = cap;
				m->dq_head = 0;
			}
			deferred *d = &m->dq[(m->dq_head + m->dq_len++) & (m->dq_cap - 1)];
			d->slot = (uint32_t)o->call;
			d->agent = o->agent;
			d->t = o->t;
			break;
		}
		case ACD_OUT_WRAPUP:
			at_timer(m, o->at, ev_pack(EV_WRAPUP, 0, 0, (uint32_t)o->agent));
			break;
		default:
			break;
		}
	}
}

/* Half the ACD's calls produce nothing, and most others one assignment:
 * handle both inline, before paying a frame. */
static inline void drain_acd(sim *m)
{
	/* Read in place: nothing below calls into the ACD, so the array stays
	 * valid (acd.h). */
	int n;
	const acd_out *out = acd_take(m->a, &n);
	if (n == 1 && out->kind == ACD_OUT_ASSIGN && m->dq_len < m->dq_cap) {
		/* The usual output: one assignment, and room for it. */
		deferred *d = &m->dq[(m->dq_head + m->dq_len++) & (m->dq_cap - 1)];
		d->slot = (uint32_t)out->call;
		d->agent = out->agent;
		d->t = out->t;
	} else if (n > 0) {
		drain_acd_out(m, out, n);
	}
}

static void acd_check(sim *m, int rc, const char *what)
{
	if (rc != ACD_OK)
		sim_fail(m, what, acd_errmsg(m->a)[0] ? acd_errmsg(m->a) : acd_strerror(rc));
}

/* The caller's patience and supervisor request only run while queued. */
static void cancel_queue_timers(sim *m, sim_slot *sl)
{
	sl->qt_pending = false;
	if ((sl->patience | sl->asksup) == 0)    /* (most calls: neither pushed) */
		return;
	unschedule(m, &sl->patience);
	unschedule(m, &sl->asksup);
}

/* An IVR timer (prompt end, no-input or inter-digit timeout) armed while the
 * call listens, or plays a prompt it lets the caller barge into, is never
 * pushed when the caller's next own event (a key or the hang-up) comes no
 * later: that event is heard and whatever it leads to re-arms or disarms
 * the slot (call.c: every path after a heard key waits again, enqueues or
 * ends), and a caller event goes first at the same instant.  So the timer
 * could only have been cancelled.  Not pushing it leaves the order of
 * every other event as it was (their seqs keep their order), so outputs
 * are identical; the heap just holds fewer dead entries.  Typing a receipt
 * number no longer costs a push and a cancel per key. */
static inline bool skip_ivr_timer(const sim *m, const sim_slot *sl, int64_t at)
{
	if (sl->npend == 0 || sl->run_t == RUN_UNKNOWN || sl->run_t > at)
		return false;
	const call *c = &sl->c;
	if (c->state == CALL_LISTENING)
		return true;
	if (c->state != CALL_PROMPTING || c->node < 0)
		return false;
	const flow_node *nd = c->nd;
	if (nd->kind == FLOW_MENU)
		return nd->u.menu.l.bargein;
	if (nd->kind == FLOW_INPUT)
		return nd->u.input.l.bargein;
	return false;
}

/* A call that ended, into the records (out of line: it copies a big struct). */
static __attribute__((noinline)) void store_ended(sim *m, const sim_slot *sl)
{
	const rec_call *rc = recorder_result(sl->rec);
	rec_call copy = *rc;
	copy.counted = sl->counted;
	if (store_call(m->o->db, m->o->run_id, &copy) != 0)
		sim_fail(m, "store", store_errmsg(m->o->db));
}

/* The slot a call of the sink lives in (every call_handle is on a slot's
 * call): one subtraction instead of loading the pool and scaling the id. */
static inline sim_slot *slot_of(const call *c)
{
	return (sim_slot *)((char *)(uintptr_t)c - offsetof(sim_slot, c));
}

/* The sink: one small handler per kind behind a dispatcher that only
 * tail-calls, so the frequent tiny kinds (timers, cancels) do not
 * pay the register saves and stack frame the queue handlers need. */
#define ACT_FN static __attribute__((noinline)) void

/* Push a call timer's entry (the slot has none). */
ACT_FN act_timer_push(sim *m, const call *c, const call_action *a)
{
	sim_slot *sl = slot_of(c);
	uint64_t arg = ev_pack(EV_TIMER, (uint32_t)c->id, sl->inc,
	                      (uint32_t)a->slot << 16 | (a->gen & 0xffff));
	sl->timer[a->slot] = at_timer_inl(m, a->at, arg);
}

/* Is an agent's answer to this call waiting in the deferred queue?  Then
 * the call is answered at this instant, right after the call_handle now
 * running (drain_deferred_slow), and the answer disarms its max_wait and
 * announcement timers.  An assignment in the queue can only be for the
 * leg the call's enqueue has just opened (the queue is drained after
 * every event, and a call has one leg at a time), which arms those two
 * timers last, so neither can fire: like an IVR timer skip_ivr_timer
 * drops, leaving it out of the clock keeps every other event's place.
 * Nearly every leg of a USCIS day is answered at once (both timers were
 * pushed and cancelled 28,000 times a day).  The queue holds a handful
 * of entries at most. */
static inline bool answered_now(const sim *m, const call *c)
{
	for (int k = 0; k < m->dq_len; k++)
		if (m->dq[(m->dq_head + k) & (m->dq_cap - 1)].slot == (uint32_t)c->id)
			return true;
	return false;
}

/* A timer that need not be pushed: an IVR timer the caller's own next
 * event supersedes, or a queue timer an answer at this instant disarms. */
static inline bool skip_timer(const sim *m, const sim_slot *sl, const call_action *a)
{
	if (a->slot == CALL_TIMER_IVR)
		return skip_ivr_timer(m, sl, a->at);
	/* (an answer at once is held in the slot, else it is deferred) */
	return sl->answer || (m->dq_len > 0 && answered_now(m, &sl->c));
}

/* A timer re-armed while its slot still has an entry (rare: most entries
 * have fired or were never pushed). */
ACT_FN act_timer(sim *m, const call *c, const call_action *a)
{
	sim_slot *sl = slot_of(c);
	/* A re-armed slot supersedes its old entry: cancel it so the heap
	 * does not fill with timers the call would ignore anyway. */
	unschedule(m, &sl->timer[a->slot]);
	if (skip_timer(m, sl, a))
		return;
	act_timer_push(m, c, a);
}

/* The caller's turn at a menu or input comes with the IVR timers the
 * machine arms as a try is heard: at the try's first prompt (PROMPTING)
 * the barge-in draw, and when its prompts are over (LISTENING with no key:
 * the no-input timeout; the inter-digit timeout always follows a key) the
 * decision of a caller who did not barge in.  Each is once per try
 * (call.h: try_no).  Taking them from the TIMER action rather than from
 * PLAY and LISTEN (which the machine emits just before it, at the same
 * instant, with the same end: PLAY's t + ms and LISTEN's t + timeout are
 * the timer's `at`) lets the sink skip PLAY, LISTEN, VISIT, MISS and
 * OPTION: three actions fewer a try.  The draws and pushes come in the
 * same order as before: the keys first, then the timer (which
 * skip_ivr_timer may drop because of them).
 *
 * A caller whose keys (or hang-up) are still to come has no turn: a caller
 * who thought past the no-input timeout presses what they decided anyway,
 * into the next try's prompts (a barge-in, or discarded when the menu has
 * bargein off) or while it listens, and does not decide a second time on
 * top of it (that gave two interleaved entries). */
static inline bool caller_turn(const sim_slot *sl, const call *c)
{
	return sl->npend == 0 &&
	       ((c->state == CALL_PROMPTING && sl->barge_try != c->try_no) ||
	        (c->state == CALL_LISTENING && c->ndigits == 0 && sl->decided_try != c->try_no));
}

ACT_FN act_turn(sim *m, const call *c, const call_action *a)
{
	sim_slot *sl = slot_of(c);
	int slot = (int)c->id;
	if (c->state == CALL_PROMPTING) {
		/* Barge-in is one draw a try, at its first prompt: `bargein 30%`
		 * is the share of callers who press during the prompts, so a
		 * caller who did not barge into the first prompt waits for the
		 * end (a draw per prompt would make it 51% for a menu of two
		 * prompts).  Most callers do not barge in: draw that here
		 * (caller_decide's first draw) and decide only for those who do;
		 * the others decide when the prompts are over. */
		const flow_node *nd = c->nd;
		sl->barge_try = c->try_no;
		if (barges_in(m, sl, nd->kind == FLOW_MENU ? &nd->u.menu.l : &nd->u.input.l))
			caller_decide(m, slot, c->node, a->t, a->at, true);
	} else {
		caller_decide(m, slot, c->node, a->t, a->at, false);
	}
	if (sl->timer[CALL_TIMER_IVR] == 0) {
		if (!skip_ivr_timer(m, sl, a->at))
			act_timer_push(m, c, a);
	} else {
		act_timer(m, c, a);
	}
}

/* Every TIMER action, out of the dispatcher (which then only tail-calls).
 * Nearly every timer finds its slot without an entry: then a timer
 * skip_timer drops needs nothing (every key of a run re-arms one), and
 * any other is one push, in a function that saves fewer registers than
 * act_timer's cancel path. */
ACT_FN act_arm(sim *m, const call *c, const call_action *a)
{
	sim_slot *sl = slot_of(c);
	if (a->slot == CALL_TIMER_IVR && caller_turn(sl, c)) {
		act_turn(m, c, a);
		return;
	}
	if (sl->timer[a->slot] == 0) {
		if (skip_timer(m, sl, a))
			return;
		act_timer_push(m, c, a);
	} else {
		act_timer(m, c, a);
	}
}

ACT_FN act_cancel(sim *m, const call *c, const call_action *a)
{
	sim_slot *sl = slot_of(c);
	unschedule(m, &sl->timer[a->slot]);
}

ACT_FN act_enqueue(sim *m, const call *c, const call_action *a)
{
	sim_slot *sl = slot_of(c);
	sl->tiers_seen |= m->tier_bit[a->queue];
	int rc = acd_enqueue(m->a, a->queue, c->id, c->lang, a->t, NULL);
	acd_check(m, rc, "acd_enqueue");
	if (sl->rec && rc == ACD_OK) {
		/* The record keeps found_free only: asked by itself, since the
		 * whole acd_leg costs a position walk for a waiting leg and the
		 * slow enqueue (~1,060 instructions a USCIS leg, callgrind). */
		rec_leg *rl = recorder_last_leg(sl->rec);
		bool ff;
		if (rl && acd_found_free(m->a, c->id, &ff) == ACD_OK)
			rl->found_free = ff;
	}
	if (m->queue_draws) {
		/* (else qt_pending stays false, and pat_at, ask_at unread; so is
		 * leg_no, which only tells the patience and supervisor events
		 * pushed for one leg from those of the next) */
		sl->leg_no++;
		const scen_caller *cl = &m->s->caller;
		sl->pat_at = sl->ask_at = -1;
		/* Drawn at every enqueue, waiting or not: the caller's stream
		 * then stands at the same place after the leg under any
		 * staffing. */
		rng *rq = call_rng(m, sl);
		if (cl->has_patience)
			sl->pat_at = a->t + dist_round_ms(dist_sample_ms(&cl->patience, rq));
		if (cl->ask_supervisor > 0 && rng_chance(rq, cl->ask_supervisor))
			sl->ask_at = a->t + dist_round_ms(dist_sample_ms(&cl->ask_after, rq));
		sl->qt_pending = sl->pat_at >= 0 || sl->ask_at >= 0;
	}
	/* Most calls are answered at once: one assignment, of this call, with
	 * nothing deferred before it.  It is held in the slot rather than the
	 * deferred FIFO, which it would have been first and only in (no ACD
	 * call follows an enqueue in the same event: the call waits). */
	int n;
	const acd_out *out = acd_take(m->a, &n);
	if (n == 1 && out->kind == ACD_OUT_ASSIGN && out->call == c->id && m->dq_len == 0) {
		sl->answer = true;
		sl->ans_agent = out->agent;
		sl->ans_t = out->t;
	} else if (n > 0) {
		drain_acd_out(m, out, n);
	}
}

ACT_FN act_answered(sim *m, const call *c, const call_action *a)
{
	int slot = (int)c->id;
	sim_slot *sl = slot_of(c);
	cancel_queue_timers(m, sl);
	const scen_agents *ag = m->ag_of[a->queue];   /* (set before any event) */
	int64_t handle = 60000;
	call_agent_outcome out = CALL_AGENT_RESOLVED;
	if (ag && ag->handle.kind == DIST_EXP && m->fixed_outcome >= 0 && !ag->has_wrapup) {
		/* One draw (M/M/c): the leg stream's first uniform without
		 * seeding the stream, the same double (rng_first_uniform_key). */
		handle = dist_round_ms(-ag->handle.p1 * log(rng_first_uniform_key(service_key(m, sl))));
		out = (call_agent_outcome)m->fixed_outcome;
	} else if (ag) {
		rng r;
		service_rng(m, sl, &r);
		handle = dist_round_ms(sample_ms(&ag->handle, &r));
		out = m->fixed_outcome >= 0 ? (call_agent_outcome)m->fixed_outcome
		                            : scen_draw_outcome(ag, &r);
		if (ag->has_wrapup)
			sl->wrap_ms = dist_round_ms(dist_sample_ms(&ag->wrapup, &r));
	}
	at_timer_inl(m, a->t + handle, ev_pack(EV_DONE, (uint32_t)slot, sl->inc, out));
}

ACT_FN act_leg_end(sim *m, const call *c, const call_action *a)
{
	int64_t wrap = 0;
	if (a->agent < 0) {
		/* A waiting leg.  A talking one (an agent) was answered, and
		 * act_answered cancelled its queue timers then; none is pushed
		 * after (push_queue_timers: only for a queued call). */
		cancel_queue_timers(m, slot_of(c));
	} else {
		const scen_agents *ag = m->ag_of[a->queue];
		if (ag && ag->has_wrapup)
			wrap = slot_of(c)->wrap_ms;    /* drawn with the handle time */
	}
	int rc = acd_end(m->a, c->id, a->t, a->leg, wrap, NULL);
	acd_check(m, rc, "acd_end");
	drain_acd(m);
}

ACT_FN act_request(sim *m, const call *c, const call_action *a)
{
	const sim_slot *sl = slot_of(c);
	if (sl->counted && a->office >= 0 && a->office < m->res->noffices) {
		m->res->requests[a->office]++;
		if (a->referred)
			m->res->referred++;
	}
}

/* An entry for a pending redial, or -1 (the run failed: more redials
 * pending at once than an event payload can index). */
static int redial_alloc(sim *m)
{
	if (m->redial_free >= 0) {
		int i = m->redial_free;
		m->redial_free = m->redial[i].line;
		return i;
	}
	if (m->nredial == m->credial) {
		int cap = m->credial ? 2 * m->credial : 64;
		void *p = cap <= 0x100000 ? realloc(m->redial, (size_t)cap * sizeof *m->redial) : NULL;
		if (!p) {
			sim_fail(m, "too many redials",
			         "over a million callers waiting to call again at once");
			return -1;
		}
		m->redial = p;
		m->credial = cap;
	}
	return m->nredial++;
}

ACT_FN act_end(sim *m, const call *c, const call_action *a)
{
	sim_slot *sl = slot_of(c);
	sim_result *r = m->res;
	if (sl->counted) {
		r->outcomes[a->outcome]++;
		for (unsigned ts = sl->tiers_seen; ts; ts &= ts - 1)
			r->transfers[__builtin_ctz(ts)]++;
	}
	if (a->outcome == CALL_OUT_ABANDONED_QUEUE && m->s->caller.redial > 0 &&
	    !m->arrivals_done && rng_chance(call_rng(m, sl), m->s->caller.redial)) {
		int64_t when = a->t + dist_round_ms(dist_sample_ms(&m->s->caller.redial_after,
		                                                   call_rng(m, sl)));
		if (when < m->t_stop) {
			/* The same caller calling again: its streams follow from
			 * the first call's, so it does the same under any staffing
			 * that has it abandon at the same moment. */
			int i = redial_alloc(m);
			if (i >= 0) {
				uint64_t x = sl->who;
				m->redial[i].who = rng_splitmix64(&x);
				m->redial[i].line = c->line;
				m->redial[i].lang = c->lang;
				at_caller(m, when, ev_pack(EV_REDIAL, 0, 0, (uint32_t)i));
			}
		}
	}
	if (sl->rec && m->o->db)
		store_ended(m, sl);
}

static void on_action(void *ctx, const call *c, const call_action *a)
{
	sim *m = ctx;
	switch (a->kind) {
	case CALL_ACT_TIMER:    act_arm(m, c, a); break;
	case CALL_ACT_CANCEL:
		/* Most cancels find no entry (a barge-in or typed key disarms a
		 * timer skip_ivr_timer never pushed): test before the call. */
		if (slot_of(c)->timer[a->slot])
			act_cancel(m, c, a);
		break;
	case CALL_ACT_ENQUEUE:  act_enqueue(m, c, a); break;
	case CALL_ACT_ANSWERED: act_answered(m, c, a); break;
	case CALL_ACT_LEG_END:  act_leg_end(m, c, a); break;
	case CALL_ACT_REQUEST:  act_request(m, c, a); break;
	case CALL_ACT_END:      act_end(m, c, a); break;
	default:                break;
	}
}

/* The sink of held keys when recording: the recorder alone. */
static void on_held_rec(void *ctx, const call *c, const call_action *a)
{
	(void)ctx;
	recorder_on_action(slot_of(c)->rec, c, a);
}

/* The sink when recording: the recorder sees each action it records first
 * (RECORDER_KINDS; prompts, timers and retries, most of an IVR call's
 * actions, would only pass through its switch). */
static void on_action_rec(void *ctx, const call *c, const call_action *a)
{
	if (RECORDER_KINDS >> a->kind & 1)
		recorder_on_action(slot_of(c)->rec, c, a);
	on_action(ctx, c, a);
}

/* ---- events ---------------------------------------------------------------- */

static __attribute__((noinline)) void drain_deferred_slow(sim *m)
{
	while (m->dq_len > 0 && !m->failed) {
		deferred d = m->dq[m->dq_head];
		m->dq_head = (m->dq_head + 1) & (m->dq_cap - 1);
		m->dq_len--;
		sim_slot *sl = &m->slots[d.slot];
		if (!sl->live || sl->c.state != CALL_QUEUED) {
			/* Cannot happen with synchronous delivery; be safe anyway. */
			acd_end(m->a, d.slot, d.t, CALL_LEG_HANGUP_TALKING, 0, NULL);
			drain_acd(m);
			continue;
		}
		call_answer(&sl->c, d.t, d.agent, &m->sink);
	}
}

/* Push the patience and supervisor timers of a call still waiting once the
 * ACD's answers were delivered.  Only caller-priority events are pushed
 * later than before, and nothing pushed in between is one (answers push
 * agent-done timers), so the order of events is unchanged. */
static void push_queue_timers(sim *m, int slot)
{
	sim_slot *sl = &m->slots[slot];
	sl->qt_pending = false;
	if (!sl->live || sl->c.state != CALL_QUEUED)
		return;
	if (sl->pat_at >= 0)
		sl->patience = at_caller(m, sl->pat_at,
		                         ev_pack(EV_PATIENCE, (uint32_t)slot, sl->inc, sl->leg_no));
	if (sl->ask_at >= 0)
		sl->asksup = at_caller(m, sl->ask_at,
		                       ev_pack(EV_ASK_SUP, (uint32_t)slot, sl->inc, sl->leg_no));
}

/* Most events defer nothing: test before paying a call. */
static inline void drain_deferred(sim *m)
{
	if (m->dq_len > 0)
		drain_deferred_slow(m);
}

/* What follows each event a call was given: the answers it led the ACD to
 * (to other calls, or to this one), its queue timers, its slot if it
 * ended.  Inline wherever a call is given an event. */
static inline __attribute__((always_inline)) void delivered(sim *m, int slot)
{
	sim_slot *sl = &m->slots[slot];
	if (sl->answer && !m->failed) {
		/* drain_deferred_slow's first and only entry, had it been one */
		sl->answer = false;
		call_answer(&sl->c, sl->ans_t, sl->ans_agent, &m->sink);
	}
	drain_deferred(m);
	if (sl->qt_pending)
		push_queue_timers(m, slot);
	if (sl->live && call_ended(&sl->c))
		slot_release(m, slot);
}

/* Inline in on_event (every event but an arrival and an agent's end). */
static inline __attribute__((always_inline)) void deliver(sim *m, int slot,
                                                          const call_event *ev)
{
	call_handle(&m->slots[slot].c, ev, &m->sink);
	delivered(m, slot);
}

static int pick_lang(sim *m)
{
	/* One language: every draw would give 0, and RS_LANG feeds nothing
	 * else, so not drawing changes no output. */
	if (m->f->nlangs <= 1)
		return 0;
	double u = rng_uniform(&m->r[RS_LANG]), acc = 0;
	for (int i = 1; i < m->f->nlangs; i++) {
		acc += m->s->lang_share[i];
		if (u < acc)
			return i;
	}
	return 0;
}

static void place_call(sim *m, int line, int lang, int64_t t, uint64_t who, bool redial)
{
	/* The check caps the scenario's own arrivals, but redials come on
	 * top: callers who abandon at once and redial at once (staff 0,
	 * patience 0s, redial 100%) would call again and again until the
	 * run's end, hundreds of millions of calls.  Without --calls (which
	 * bounds the run itself) stop at the same cap. */
	int64_t cap = m->o->max_calls > 0 ? m->o->max_calls : SCEN_MAX_CALLS;
	if (m->calls == 0 && m->res->arrivals >= cap) {
		char msg[160];
		snprintf(msg, sizeof msg, "the run placed %lld calls (redials included), the most "
		         "one run takes: check 'redial', 'patience' and the staffing", (long long)cap);
		sim_fail(m, "too many calls", msg);
		return;
	}
	int slot = slot_alloc(m);
	if (slot < 0) {
		sim_fail(m, "out of memory", "call pool");
		return;
	}
	sim_slot *sl = &m->slots[slot];
	recorder *rec = sl->rec;
	call_init(&sl->c, m->f, (uint64_t)slot, line, lang);
	memset(&sl->patience, 0, offsetof(sim_slot, run_t) - offsetof(sim_slot, patience));
	sl->who = who;
	sl->live = true;
	sl->counted = t >= m->t_counted;
	sl->run_t = RUN_UNKNOWN;
	m->live++;
	sim_result *r = m->res;
	r->arrivals++;
	if (redial)
		r->redials++;
	r->calls += sl->counted;
	if (rec)
		recorder_begin(rec, (uint64_t)r->arrivals);
	/* --calls N counts the calls the figures count (placed after the
	 * warm-up), redials included, so a run reports exactly N calls. */
	if (m->calls > 0 && r->calls >= m->calls) {
		m->arrivals_done = true;
		m->t_stop = t + (m->o->drain_ms > 0 ? m->o->drain_ms : 4 * 3600000LL);
	}
	call_place(&sl->c, t, &m->sink);
	delivered(m, slot);
}

/* ceil of a time in ms as an integer, without the libm call: the
 * conversion truncates towards zero, exactly for any double below 2^63 in
 * magnitude (beyond 2^52 every double is an integer already), and one
 * compare corrects it when it went down. */
static inline int64_t ceil_ms(double x)
{
	int64_t i = (int64_t)x;
	return (double)i < x ? i + 1 : i;
}

/* next_arrival from t on (guard passes made), looking the rate up again
 * wherever t has left the segment it was valid for. */
static __attribute__((noinline)) int64_t next_arrival_slow(sim *m, int i, double t, int guard)
{
	const scen_arrivals *ar = &m->s->arrivals[i];
	arr_seg *sg = &m->arr_seg[i];
	for (; guard < 100000; guard++) {
		int64_t ti = (int64_t)floor(t);
		/* The rate holds from where it was looked up to the next change,
		 * and time only moves forward: look it up again only past that. */
		if (ti < sg->from || ti >= sg->change) {
			sg->from = ti;
			sg->rate = scen_profile_at(&ar->rate, ti);
			sg->change = scen_profile_next(&ar->rate, ti);
			sg->lo = (double)sg->from;
			sg->hi = (double)sg->change;
		}
		double rate = sg->rate;
		int64_t change = sg->change;
		if (rate > 0) {
			double gap = -log(rng_uniform(&m->r[RS_ARRIVAL])) / rate;   /* rng_exp1 */
			if (t + gap < (double)change) {
				sg->t = t + gap;
				return ceil_ms(t + gap);
			}
		}
		if (change == INT64_MAX)
			return INT64_MAX;
		t = (double)change;
	}
	return INT64_MAX;
}

/* Next arrival on a line after t: piecewise-constant Poisson, exact by
 * restarting at each rate change (memorylessness).  The exact arrival
 * instant is kept as a double per arrivals block and only the event is
 * rounded up to the millisecond: rounding each gap would lose about half
 * a millisecond per call, a visible shortfall at thousands of calls a
 * minute.
 *
 * Inline, the slow path's first pass when t is still in the rate's
 * segment (nearly always): floor(t) is in [from, change) exactly when t
 * is in [lo, hi), both ends being integers (below 2^53, or change's
 * INT64_MAX, which no time reaches), so no floor is taken. */
static inline int64_t next_arrival(sim *m, int i)
{
	arr_seg *sg = &m->arr_seg[i];
	double t = sg->t;
	if (!(t >= sg->lo && t < sg->hi && sg->rate > 0))
		return next_arrival_slow(m, i, t, 0);
	double gap = -log(rng_uniform(&m->r[RS_ARRIVAL])) / sg->rate;   /* rng_exp1 */
	if (t + gap < sg->hi) {
		sg->t = t + gap;
		return ceil_ms(t + gap);
	}
	if (sg->change == INT64_MAX)
		return INT64_MAX;
	return next_arrival_slow(m, i, (double)sg->change, 1);
}

static void set_staff(sim *m, int q, int64_t t)
{
	const scen_agents *ag = agents_for(m, q);
	int n = 0;
	if (m->o->staff && m->o->staff[q]) {
		int64_t iv = m->s->interval_ms;
		int64_t i = (t - m->t_start) / iv;
		if (i < 0) i = 0;
		if (i >= m->o->staff_nintervals) i = m->o->staff_nintervals - 1;
		n = m->o->staff[q][i];
	} else if (ag) {
		n = (int)llround(scen_profile_at(&ag->staff, t));
	}
	acd_check(m, acd_set_staff(m->a, q, n, t), "acd_set_staff");
	drain_acd(m);
	drain_deferred(m);
}

static int64_t next_staff_change(sim *m, int q, int64_t t)
{
	if (m->o->staff && m->o->staff[q]) {
		int64_t iv = m->s->interval_ms;
		int64_t i = (t - m->t_start) / iv + 1;
		return m->t_start + i * iv;
	}
	const scen_agents *ag = agents_for(m, q);
	return ag ? scen_profile_next(&ag->staff, t) : INT64_MAX;
}

/* One more event simulated (held keys count as the events they were). */
static inline void count_event(sim *m, int64_t now)
{
	m->events++;
	if (m->progress && (m->events & 0xffff) == 0) {
		double done;
		if (m->calls > 0) {
			/* --calls N: the period has no end (t_end is INT64_MAX
			 * until the count is reached), so the share of the time
			 * stayed at 0.0%; the share of the calls is the progress
			 * (1 once arrivals stop: they stop at the count) */
			done = fmin(1.0, (double)m->res->calls / (double)m->calls);
		} else {
			double span = (double)(m->t_end - m->t_start);
			done = span > 0 ? fmin(1.0, (double)(now - m->t_start) / span) : 0;
		}
		m->o->progress(m->o->progress_ctx, done);
	}
}

/* The caller's next pending event (a key or the hang-up) is being handled. */
static inline void pend_next(sim_slot *sl)
{
	if (sl->npend > 0 && --sl->npend > 0 && sl->run_t != RUN_UNKNOWN)
		sl->run_t += sl->run_gap;
	else if (sl->npend == 0)
		sl->run_t = RUN_UNKNOWN;
}

/* Hand the call its held keys (press_input_hold), each at its own time, as
 * the scheduled key events would have been: they come before the call's
 * next scheduled event, which is firing now.  Each only changes the call
 * (nothing to drain, no queue timers, the call goes on), so the machine
 * alone is enough, with a sink that leaves out on_action: a held key's
 * actions are KEY (and STOP_PROMPT for a barge-in), which on_action
 * ignores, and the inter-digit TIMER, for which act_timer would cancel
 * nothing (the slot's entry was dropped when the run was pressed) and
 * skip_ivr_timer would drop the new one.  Without records that sink takes
 * nothing, and call_keys takes the run in one step. */
static __attribute__((noinline)) void hand_held_keys(sim *m, sim_slot *sl)
{
	int n = sl->nbuf;
	int64_t t0 = sl->buf_t, gap = sl->buf_gap;
	if (m->progress || sl->npend <= n) {
		for (int i = 0; i < n; i++) {
			count_event(m, t0 + (int64_t)i * gap);
			pend_next(sl);
		}
	} else {
		/* What the loop above does when nothing shows progress and the
		 * run's last key is still pending (it always is: it is the event
		 * firing now): n events, n pending events fewer, the run's next
		 * one n gaps on. */
		m->events += (uint64_t)n;
		sl->npend = (uint16_t)(sl->npend - n);
		if (sl->run_t != RUN_UNKNOWN)
			sl->run_t += (int64_t)n * sl->run_gap;
	}
	/* -DSIM_CHECK_HELD: abort when the held keys find or leave the call
	 * otherwise than press_input_hold's argument says (a debug aid). */
#ifdef SIM_CHECK_HELD
	int nd0 = sl->c.ndigits;
	if (sl->c.node < 0 || m->f->nodes[sl->c.node].kind != FLOW_INPUT ||
	    !(sl->c.state == CALL_LISTENING || sl->c.state == CALL_PROMPTING) || sl->c.t_now > t0)
		abort();
#endif
	call_keys(&sl->c, sl->buf_keys + sl->buf_i, n, t0, gap, &m->held_sink);
#ifdef SIM_CHECK_HELD
	if (sl->c.state != CALL_LISTENING || sl->c.ndigits != nd0 + n || sl->timer[0] ||
	    m->dq_len || sl->qt_pending || sl->npend == 0 || sl->c.t_now != t0 + (n - 1) * gap)
		abort();
#endif
	sl->nbuf = 0;
	sl->buf_i = (uint8_t)(sl->buf_i + n);
	sl->buf_t = t0 + (int64_t)n * gap;
}

/* The live slot a call event is for, with its held keys handed over
 * first; NULL when the event is left over from a call that has ended. */
static inline __attribute__((always_inline))
sim_slot *event_slot(sim *m, uint32_t slot, uint64_t arg)
{
	if (slot >= (uint32_t)m->nslots)
		return NULL;
	sim_slot *sl = &m->slots[slot];
	if (!sl->live || sl->inc != EV_INC(arg))
		return NULL;
	if (sl->nbuf > 0)
		hand_held_keys(m, sl);
	return sl;
}

/* After a call event: the period is over and every call has ended, so
 * nothing is left to simulate (what remains in the heap is staffing and
 * wrap-up). */
static inline void stop_if_over(sim *m, int64_t now)
{
	if ((m->arrivals_done && now >= m->t_stop) ||
	    ((m->arrivals_done || now >= m->t_end) && m->live == 0))
		sched_stop(m->clock);
}

static void on_event(sim *m, int64_t now, uint64_t arg)
{
	if (m->failed)
		return;
	count_event(m, now);
	int kind = EV_KIND(arg);
	uint32_t slot = EV_SLOT(arg);
	uint32_t pay = EV_PAY(arg);
	switch (kind) {
	case EV_ARRIVAL: {
		const scen_arrivals *ar = &m->s->arrivals[pay];
		if (m->arrivals_done)
			return;
		place_call(m, ar->line, pick_lang(m), now, (uint64_t)pay << 40 | m->arr_seg[pay].n++,
		           false);
		if (m->arrivals_done)
			return;
		int64_t next = next_arrival(m, (int)pay);
		if (next < m->t_end)
			at_arrival(m, next, ev_pack(EV_ARRIVAL, 0, 0, pay));
		return;
	}
	case EV_REDIAL: {
		struct redial rd = m->redial[pay];
		m->redial[pay].line = m->redial_free;
		m->redial_free = (int)pay;
		if (!m->arrivals_done && now < m->t_stop)
			place_call(m, rd.line, rd.lang, now, rd.who, true);
		return;
	}
	case EV_WRAPUP:
		acd_check(m, acd_wrapup_end(m->a, (int)pay, now), "acd_wrapup_end");
		drain_acd(m);
		drain_deferred(m);
		return;
	case EV_STAFF: {
		/* With --calls the period has no end (t_end is INT64_MAX until the
		 * count is reached), so staffing changes must stop with the drain,
		 * or the daily profile would keep the clock running for ever. */
		if (m->arrivals_done && now >= m->t_stop) {
			sched_stop(m->clock);
			return;
		}
		int q = (int)pay;
		set_staff(m, q, now);
		int64_t next = next_staff_change(m, q, now);
		if (next < m->t_end && (!m->arrivals_done || next < m->t_stop))
			at_timer(m, next, ev_pack(EV_STAFF, 0, 0, pay));
		return;
	}
	case EV_DONE: {
		/* The commonest call event, handled here rather than by a
		 * second switch on the kind below: no event to build. */
		sim_slot *sl = event_slot(m, slot, arg);
		if (!sl || sl->c.state != CALL_TALKING)
			return;
		call_agent_done(&sl->c, now, (call_agent_outcome)pay, &m->sink);
		delivered(m, (int)slot);
		stop_if_over(m, now);
		return;
	}
	default:
		break;
	}
	sim_slot *sl = event_slot(m, slot, arg);
	if (!sl)
		return;
	call_event ev;
	switch (kind) {
	case EV_TIMER: {
		int ts = (int)(pay >> 16);
		sl->timer[ts] = 0;
		uint32_t gen = (sl->c.gen[ts] & ~0xffffu) | (pay & 0xffff);
		ev = call_ev_timer(now, ts, gen);
		break;
	}
	case EV_KEY:
	case EV_HANGUP:
		/* The next of the caller's pending events, if one run. */
		pend_next(sl);
		ev = kind == EV_KEY ? call_ev_key(now, (char)pay) : call_ev(CALL_EV_HANGUP, now);
		break;
	case EV_PATIENCE:
		if (sl->c.state != CALL_QUEUED || pay != sl->leg_no)
			return;
		sl->patience = 0;
		ev = call_ev(CALL_EV_HANGUP, now);
		break;
	case EV_ASK_SUP:
		if (sl->c.state != CALL_QUEUED || pay != sl->leg_no)
			return;
		sl->asksup = 0;
		ev = call_ev(CALL_EV_ASK_SUPERVISOR, now);
		break;
	default:
		return;
	}
	deliver(m, (int)slot, &ev);
	stop_if_over(m, now);
}

/* ---- setup and figures ------------------------------------------------------- */

/* The outcome every talk ends with when no draw is needed: each queue's
 * agents (or the default, resolved, for a queue without) give one outcome
 * a share of 1, so scen_draw_outcome returns it whatever u (< 1) it draws,
 * and all give the same one: the draw is skipped (a leg's wrap-up then
 * comes one draw earlier in its stream, for every leg alike).  -1 when
 * any group needs the draw. */
static int fixed_outcome(const sim *m)
{
	int fixed = -1;
	for (int q = 0; q < m->f->nqueues; q++) {
		const scen_agents *ag = agents_for(m, q);
		int o = CALL_AGENT_RESOLVED;
		if (ag) {
			o = -1;
			for (int i = 0; i < CALL_AGENT_NOUTCOMES; i++)
				if (ag->outcome[i] != 0) {
					if (o >= 0 || ag->outcome[i] < 1.0)
						return -1;
					o = i;
				}
			if (o < 0)
				return -1;
		}
		if (fixed >= 0 && o != fixed)
			return -1;
		fixed = o;
	}
	return fixed;
}

static int build_roster(sim *m, char *err, size_t errlen)
{
	const flow *f = m->f;
	for (int q = 0; q < f->nqueues; q++) {
		const scen_agents *ag = agents_for(m, q);
		int maxn = 0;
		if (m->o->staff && m->o->staff[q]) {
			for (int i = 0; i < m->o->staff_nintervals; i++)
				if (m->o->staff[q][i] > maxn)
					maxn = m->o->staff[q][i];
		} else {
			maxn = scen_agents_peak(ag);
		}
		for (int i = 0; i < maxn; i++) {
			if (acd_add_agent(m->a, q, scen_agent_langs(ag, f->nlangs, i), NULL) != ACD_OK) {
				snprintf(err, errlen, "cannot add agents: %s", acd_errmsg(m->a));
				return -1;
			}
		}
	}
	return 0;
}

/* Calls still running when the run stops are stored too (outcome
 * "unfinished"), so every leg the figures count is in the records. */
static int store_unfinished(sim *m)
{
	int64_t now = sched_now(m->clock);
	for (int i = 0; i < m->nslots; i++) {
		sim_slot *sl = &m->slots[i];
		if (!sl->live || !sl->rec)
			continue;
		rec_call copy = *recorder_result(sl->rec);
		copy.outcome = "unfinished";
		copy.end = now;
		copy.counted = sl->counted;
		if (store_call(m->o->db, m->o->run_id, &copy) != 0) {
			snprintf(m->err, sizeof m->err, "store: %s", store_errmsg(m->o->db));
			return -1;
		}
	}
	return 0;
}

/* The wait percentiles of the queues, of each interval and of all queues
 * pooled.  Out of line: inlined with collect into sim_run it changed the
 * code of the event loop there (0.5 instructions a call more on M/M/c,
 * measured). */
static __attribute__((noinline)) int collect_waits(sim *m)
{
	sim_result *r = m->res;
	for (int q = 0; q < r->nqueues; q++) {
		sim_queue_result *qr = &r->queues[q];
		/* a quantile fails only when memory to order the waits cannot
		 * be had */
		if (acd_wait_quantile(m->a, q, 0.90, &qr->wait_p90_ms) != ACD_OK ||
		    acd_wait_quantile(m->a, q, 0.95, &qr->wait_p95_ms) != ACD_OK)
			return -1;
		if (qr->nintervals == 0)
			continue;
		qr->interval_p90_ms = calloc((size_t)qr->nintervals, sizeof *qr->interval_p90_ms);
		qr->interval_p95_ms = calloc((size_t)qr->nintervals, sizeof *qr->interval_p95_ms);
		if (!qr->interval_p90_ms || !qr->interval_p95_ms)
			return -1;
		for (int i = 0; i < qr->nintervals; i++)
			if (acd_interval_wait_quantile(m->a, q, i, 0.90, &qr->interval_p90_ms[i]) != ACD_OK ||
			    acd_interval_wait_quantile(m->a, q, i, 0.95, &qr->interval_p95_ms[i]) != ACD_OK)
				return -1;
	}
	if (acd_wait_quantile_all(m->a, 0.90, &r->wait_p90_ms) != ACD_OK ||
	    acd_wait_quantile_all(m->a, 0.95, &r->wait_p95_ms) != ACD_OK)
		return -1;
	return 0;
}

static int collect(sim *m)
{
	sim_result *r = m->res;
	acd_advance(m->a, sched_now(m->clock));
	r->nqueues = m->f->nqueues;
	r->queues = calloc((size_t)(r->nqueues ? r->nqueues : 1), sizeof *r->queues);
	if (!r->queues)
		return -1;
	for (int q = 0; q < r->nqueues; q++) {
		sim_queue_result *qr = &r->queues[q];
		qr->name = acd_queue_name(m->a, q);
		qr->tier = m->f->nodes[m->f->queue_nodes[q]].u.queue.tier;
		/* The ACD keeps at most ACD_STATS_MAX_INTERVALS intervals a
		 * queue and flags the rest rather than grow without bound; a
		 * run that long (say --calls at a tiny rate with 1-minute
		 * intervals) must fail, not report queues short of calls. */
		if (acd_queue_figures(m->a, q, &qr->total) != ACD_OK) {
			snprintf(m->err, sizeof m->err, "queue '%s': the run spans more intervals "
			         "than the figures can hold (use a longer 'interval' or fewer "
			         "--calls)", qr->name);
			return -2;
		}
		qr->nintervals = acd_nintervals(m->a, q);
		if (qr->nintervals > 0) {
			qr->intervals = calloc((size_t)qr->nintervals, sizeof *qr->intervals);
			if (!qr->intervals)
				return -1;
			for (int i = 0; i < qr->nintervals; i++)
				acd_interval_figures(m->a, q, i, &qr->intervals[i]);
		}
	}
	if (collect_waits(m) != 0)
		return -1;
	/* Occupancy is about the period: agents kept on after its end only
	 * to let calls in progress finish are not staffing, so agent time in
	 * intervals that start at or after the end is dropped (from totals
	 * too).  Calls that entered a queue then still count where they
	 * entered. */
	for (int q = 0; q < r->nqueues; q++) {
		sim_queue_result *qr = &r->queues[q];
		for (int i = 0; i < qr->nintervals; i++) {
			acd_figures *iv = &qr->intervals[i];
			if (iv->start < r->end)
				continue;
			qr->total.staffed_ms -= iv->staffed_ms;
			qr->total.busy_ms -= iv->busy_ms;
			iv->staffed_ms = iv->busy_ms = 0;
		}
	}
	for (int i = 0; i < m->nslots; i++) {
		const sim_slot *sl = &m->slots[i];
		if (!sl->live || !sl->counted)
			continue;
		r->unfinished++;
		/* Still running, but it did reach these tiers (as stored). */
		for (int t = 1; t <= CALL_MAX_TIER; t++)
			if (sl->tiers_seen & (1u << t))
				r->transfers[t]++;
	}
	r->events = m->events;
	return 0;
}

int sim_run(const flow *f, const scenario *s, const sim_options *o,
            sim_result **out, char *err, size_t errlen)
{
	*out = NULL;
	sim m;
	memset(&m, 0, sizeof m);
	m.f = f;
	m.s = s;
	m.o = o;
	m.free_head = -1;
	m.t_start = s->start;
	m.t_end = s->start + s->length_ms;
	m.t_stop = INT64_MAX;
	m.sink.fn = o->db ? on_action_rec : on_action;
	m.sink.ctx = &m;
	m.held_sink.fn = on_held_rec;   /* without records: every kind skipped */
	m.held_sink.ctx = &m;
	/* Held keys, when recording, go to the recorder alone. */
	m.held_sink.skip = o->db ? ~RECORDER_KINDS : ~0u;
	/* The sink delivers only what on_action reads and, when recording,
	 * what the recorder reads (the caller's turn comes from TIMER, so
	 * prompts, listens, visits and retries reach nobody without records). */
	uint32_t reads = 1u << CALL_ACT_TIMER | 1u << CALL_ACT_CANCEL | 1u << CALL_ACT_ENQUEUE |
	                 1u << CALL_ACT_ANSWERED | 1u << CALL_ACT_LEG_END |
	                 1u << CALL_ACT_REQUEST | 1u << CALL_ACT_END;
	if (o->db)
		reads |= RECORDER_KINDS;
	m.sink.skip = ~reads;
	uint64_t seed = o->has_seed ? o->seed : s->seed;
	for (int i = 0; i < RS_N; i++)
		rng_seed(&m.r[i], seed, sim_stream(i, o->replication));
	m.seed_h = rng_seed_hash(seed);
	m.rep_mix = o->replication * 0xd6e8feb86659fd93ULL;
	m.redial_free = -1;

	sim_result *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m.res = r;
	r->seed = seed;
	r->start = s->start + s->warmup_ms;
	r->end = m.t_end;
	r->sl_ms = o->sl_ms > 0 ? o->sl_ms : 20000;
	r->noffices = f->noffices;
	r->requests = calloc((size_t)(f->noffices ? f->noffices : 1), sizeof *r->requests);
	m.clock = sched_virtual_new(s->start);
	acd_config cfg = { 0 };
	cfg.nlangs = f->nlangs;
	cfg.rng = &m.r[RS_ACD];
	cfg.stats_start = s->start + s->warmup_ms;
	cfg.interval_ms = s->interval_ms;
	cfg.sl_ms = r->sl_ms;
	cfg.reserve_legs = 1024;
	int rc = -1;
	if (!r->requests || !m.clock) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (acd_new_from_flow(f, &cfg, &m.a, err, errlen) != ACD_OK)
		goto done;
	for (int q = 0; q < f->nqueues; q++) {
		const scen_agents *ag = agents_for(&m, q);
		if (ag && ag->has_wrapup)
			acd_set_wrapup(m.a, q, 0);   /* drawn per call in LEG_END */
	}
	if (build_roster(&m, err, errlen) != 0)
		goto done;
	m.t_counted = s->start + s->warmup_ms;
	m.calls = o->calls;
	m.progress = o->progress;
	const scen_agents **ag_of = malloc(((size_t)f->nqueues + 1) * sizeof *ag_of);
	m.tier_bit = malloc(((size_t)f->nqueues + 1) * sizeof *m.tier_bit);
	if (!ag_of || !m.tier_bit) {
		free(ag_of);
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (int q = 0; q < f->nqueues; q++) {
		int tier = f->nodes[f->queue_nodes[q]].u.queue.tier;
		m.tier_bit[q] = tier >= 1 && tier <= CALL_MAX_TIER ? (uint16_t)(1u << tier) : 0;
		ag_of[q] = agents_for(&m, q);   /* from the scenario: m.ag_of is still NULL */
	}
	m.ag_of = ag_of;
	m.nlangs = f->nlangs > 0 ? f->nlangs : 1;
	m.ans = malloc(((size_t)f->nnodes * (size_t)m.nlangs + 1) * sizeof *m.ans);
	if (!m.ans) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (int n = 0; n < f->nnodes; n++)
		for (int l = 0; l < m.nlangs; l++)
			m.ans[n * m.nlangs + l] = scen_answer_for(s, n, l);
	m.fixed_outcome = fixed_outcome(&m);
	m.queue_draws = s->caller.has_patience || s->caller.ask_supervisor > 0;
	for (int q = 0; q < f->nqueues; q++)
		at_timer(&m, s->start, ev_pack(EV_STAFF, 0, 0, (uint32_t)q));
	m.arr_seg = calloc((size_t)(s->narrivals ? s->narrivals : 1), sizeof *m.arr_seg);
	if (!m.arr_seg) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (int i = 0; i < s->narrivals; i++) {
		m.arr_seg[i].t = (double)s->start;
		int64_t t = next_arrival(&m, i);
		if (t < m.t_end || (o->calls > 0 && t != INT64_MAX))
			at_arrival(&m, t, ev_pack(EV_ARRIVAL, 0, 0, (uint32_t)i));
	}
	if (o->calls > 0)
		m.t_end = INT64_MAX;   /* arrivals run on until the count is reached */
	else
		m.t_stop = m.t_end + (o->drain_ms > 0 ? o->drain_ms : 4 * 3600000LL);
	int64_t now;
	uint64_t arg;
	while (sched_virtual_next(m.clock, m.t_stop, &now, &arg))
		on_event(&m, now, arg);
	if (o->calls > 0)
		m.t_end = sched_now(m.clock);
	r->end = m.t_end;
	if (m.failed) {
		snprintf(err, errlen, "%s", m.err);
		goto done;
	}
	if (o->db && store_unfinished(&m) != 0) {
		snprintf(err, errlen, "%s", m.err);
		goto done;
	}
	int crc = collect(&m);
	if (crc != 0) {
		snprintf(err, errlen, "%s", crc == -2 ? m.err : "out of memory");
		goto done;
	}
	rc = 0;
done:
	if (rc == 0) {
		*out = r;
	} else {
		sim_result_free(r);
	}
	for (int i = 0; i < m.nslots; i++)
		if (m.slots[i].rec) {
			recorder_free(m.slots[i].rec);
			free(m.slots[i].rec);
		}
	free(m.slots);
	free(m.dq);
	free(m.arr_seg);
	free(m.redial);
	free(m.ans);
	free(m.ag_of);
	free(m.tier_bit);
	acd_free(m.a);
	sched_destroy(m.clock);
	return rc;
}

void sim_result_free(sim_result *r)
{
	if (!r)
		return;
	if (r->queues)
		for (int q = 0; q < r->nqueues; q++) {
			free(r->queues[q].intervals);
			free(r->queues[q].interval_p90_ms);
			free(r->queues[q].interval_p95_ms);
		}
	free(r->queues);
	free(r->requests);
	free(r);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

double sim_service_level(const acd_figures *q)
{
	return ratio((double)q->answered_within, (double)(q->answered + q->abandoned));
}

double sim_abandon_rate(const acd_figures *q)
{
	return ratio((double)q->abandoned, (double)(q->answered + q->abandoned));
}

double sim_asa_s(const acd_figures *q)
{
	return ratio((double)q->wait_sum_ms / 1000.0, (double)q->answered);
}

double sim_p_wait(const acd_figures *q)
{
	return ratio((double)(q->offered - q->found_free), (double)q->offered);
}

double sim_aht_s(const acd_figures *q)
{
	return ratio((double)q->handle_sum_ms / 1000.0, (double)q->handled);
}

double sim_occupancy(const acd_figures *q)
{
	return ratio((double)q->busy_ms, (double)q->staffed_ms);
}

double sim_containment(const sim_result *r)
{
	return ratio((double)r->outcomes[CALL_OUT_SELF_SERVICE], (double)r->calls);
}

int sim_store_intervals(struct store *db, int64_t run_id, const sim_result *r,
                        int64_t interval_ms)
{
	for (int q = 0; q < r->nqueues; q++) {
		const sim_queue_result *qr = &r->queues[q];
		for (int i = 0; i < qr->nintervals; i++) {
			const acd_figures *iv = &qr->intervals[i];
			if (iv->start >= r->end && iv->offered == 0 && iv->staffed_ms == 0 &&
			    iv->busy_ms == 0)
				continue;   /* the drain after the period, with nothing in it */
			rec_interval ri;
			memset(&ri, 0, sizeof ri);
			ri.queue = qr->name;
			ri.start = iv->start;
			ri.length_ms = iv->length_ms ? iv->length_ms : interval_ms;
			ri.offered = iv->offered;
			ri.answered = iv->answered;
			ri.abandoned = iv->abandoned;
			ri.timed_out = iv->timed_out;
			ri.answered_within = iv->answered_within;
			ri.wait_sum_ms = iv->wait_sum_ms;
			ri.wait_max_ms = iv->wait_max_ms;
			ri.handle_sum_ms = iv->handle_sum_ms;
			ri.agents = iv->agents;
			ri.staffed_ms = iv->staffed_ms;
			ri.busy_ms = iv->busy_ms;
			if (store_interval(db, run_id, &ri) != 0)
				return -1;
		}
	}
	return 0;
}

/* Pool b's counts into a (same queue, same interval start). */
void sim_figures_add(acd_figures *a, const acd_figures *b)
{
	a->offered += b->offered;
	a->answered += b->answered;
	a->abandoned += b->abandoned;
	a->timed_out += b->timed_out;
	a->asked_supervisor += b->asked_supervisor;
	a->answered_within += b->answered_within;
	a->found_free += b->found_free;
	a->wait_sum_ms += b->wait_sum_ms;
	if (b->wait_max_ms > a->wait_max_ms)
		a->wait_max_ms = b->wait_max_ms;
	a->abandon_wait_sum_ms += b->abandon_wait_sum_ms;
	a->timeout_wait_sum_ms += b->timeout_wait_sum_ms;
	a->handled += b->handled;
	a->handle_sum_ms += b->handle_sum_ms;
	a->wrapup_sum_ms += b->wrapup_sum_ms;
	a->staffed_ms += b->staffed_ms;
	a->busy_ms += b->busy_ms;
}

/* Pool replication b into a: per-interval service levels are then ratios of
 * pooled counts (never averages of ratios), an estimate of the expected
 * figure rather than one noisy sample day. */
void sim_result_pool(sim_result *a, const sim_result *b)
{
	a->calls += b->calls;
	a->arrivals += b->arrivals;
	a->redials += b->redials;
	a->unfinished += b->unfinished;
	a->referred += b->referred;
	a->events += b->events;
	for (int o = 0; o < CALL_OUT_COUNT; o++)
		a->outcomes[o] += b->outcomes[o];
	for (int t = 0; t <= CALL_MAX_TIER; t++)
		a->transfers[t] += b->transfers[t];
	for (int o = 0; o < a->noffices && o < b->noffices; o++)
		a->requests[o] += b->requests[o];
	for (int q = 0; q < a->nqueues && q < b->nqueues; q++) {
		sim_queue_result *qa = &a->queues[q];
		const sim_queue_result *qb = &b->queues[q];
		sim_figures_add(&qa->total, &qb->total);
		for (int i = 0; i < qb->nintervals; i++)
			for (int k = 0; k < qa->nintervals; k++)
				if (qa->intervals[k].start == qb->intervals[i].start) {
					sim_figures_add(&qa->intervals[k], &qb->intervals[i]);
					break;
				}
	}
}
