/* test_acd_ref.c — the ACD against a frozen copy of itself (acd_ref/).
 *
 * The hot-path rework of src/acd (direct call-id table, incremental interval
 * figures, counted zero waits, ...) must not change one output, leg or
 * figure.  The copy in tests/unit/acd_ref/ is the ACD as it was before that
 * work, renamed ref_acd_*; these tests drive both with the same random
 * operations — staffing, arrivals in several queues and languages, every
 * strategy, abandons, talking ends with and without wrap-up, agent_done,
 * wrap-up ends, bad calls, same-instant events, interval boundaries, dense
 * and sparse call ids, small pools that must grow — and require the same
 * return codes, diagnostics, outputs, legs, agents, queues, intervals,
 * totals and quantiles.  A second test does the same for the stats module
 * alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "tierline/acd.h"
#include "tierline/rng.h"
#include "acd_ref/acd_ref.h"
#include "acd_ref/acd.c"
#include "acd_ref/acd_stats.c"

/* ---- comparing ------------------------------------------------------------ */

#define SAME(x, y, what) do { \
		long long x_ = (long long)(x), y_ = (long long)(y); \
		if (x_ != y_) \
			fail_msg("step %ld: %s: %lld (new) != %lld (ref)", tr_step, what, x_, y_); \
	} while (0)

static long tr_step;                 /* for messages; tests run one at a time */

static void same_leg(const acd_leg *x, const acd_leg *y)
{
	SAME(x->call, y->call, "leg.call");
	SAME(x->queue, y->queue, "leg.queue");
	SAME(x->tier, y->tier, "leg.tier");
	SAME(x->lang, y->lang, "leg.lang");
	SAME(x->state, y->state, "leg.state");
	SAME(x->entered, y->entered, "leg.entered");
	SAME(x->answered, y->answered, "leg.answered");
	SAME(x->ended, y->ended, "leg.ended");
	SAME(x->agent, y->agent, "leg.agent");
	SAME(x->result, y->result, "leg.result");
	SAME(x->found_free, y->found_free, "leg.found_free");
	SAME(x->entry_position, y->entry_position, "leg.entry_position");
	SAME(x->position, y->position, "leg.position");
	SAME(x->expected_wait_ms, y->expected_wait_ms, "leg.expected_wait_ms");
	SAME(x->wait_ms, y->wait_ms, "leg.wait_ms");
	SAME(x->talk_ms, y->talk_ms, "leg.talk_ms");
}

static void same_fig(const acd_figures *x, const acd_figures *y)
{
	SAME(x->start, y->start, "fig.start");
	SAME(x->length_ms, y->length_ms, "fig.length_ms");
	SAME(x->offered, y->offered, "fig.offered");
	SAME(x->answered, y->answered, "fig.answered");
	SAME(x->abandoned, y->abandoned, "fig.abandoned");
	SAME(x->timed_out, y->timed_out, "fig.timed_out");
	SAME(x->asked_supervisor, y->asked_supervisor, "fig.asked_supervisor");
	SAME(x->answered_within, y->answered_within, "fig.answered_within");
	SAME(x->found_free, y->found_free, "fig.found_free");
	SAME(x->wait_sum_ms, y->wait_sum_ms, "fig.wait_sum_ms");
	SAME(x->wait_max_ms, y->wait_max_ms, "fig.wait_max_ms");
	SAME(x->abandon_wait_sum_ms, y->abandon_wait_sum_ms, "fig.abandon_wait_sum_ms");
	SAME(x->timeout_wait_sum_ms, y->timeout_wait_sum_ms, "fig.timeout_wait_sum_ms");
	SAME(x->handled, y->handled, "fig.handled");
	SAME(x->handle_sum_ms, y->handle_sum_ms, "fig.handle_sum_ms");
	SAME(x->wrapup_sum_ms, y->wrapup_sum_ms, "fig.wrapup_sum_ms");
	SAME(x->agents, y->agents, "fig.agents");
	SAME(x->staffed_ms, y->staffed_ms, "fig.staffed_ms");
	SAME(x->busy_ms, y->busy_ms, "fig.busy_ms");
}

/* ---- the paired driver ---------------------------------------------------- */

#define NCALLS 96
#define MAXAG 64

typedef struct pair {
	acd *a;
	ref_acd *r;
	int nq, nlangs;
	uint64_t id[NCALLS];         /* the driver's call id of call slot i */
	uint8_t st[NCALLS];          /* 0 free, 1 waiting, 2 talking */
	int agent_of[NCALLS];
	int64_t wrap_at[MAXAG];      /* -1: not in wrap-up */
	int64_t t;
	uint64_t x;
	bool sparse;                 /* some ids far beyond the live count */
	int64_t grid0, len;          /* interval boundaries: grid0 + k len */
} pair;

/* The next interval boundary after t: events exactly there (the
 * `agents` of an interval are those after the changes at its first
 * instant) are rare with random times, so the driver jumps to them. */
static int64_t next_boundary(int64_t grid0, int64_t len, int64_t t)
{
	int64_t k = (t - grid0) / len;
	if (grid0 + k * len <= t)
		k++;
	return grid0 + k * len;
}

static uint64_t rnd(pair *p, uint64_t n) { return rng_splitmix64(&p->x) % n; }

/* Same return codes (and diagnostics when failing) from both. */
static void same_rc(pair *p, int rc, int rr, const char *what)
{
	if (rc != rr)
		fail_msg("step %ld: %s: %s (new) != %s (ref); new says \"%s\", ref \"%s\"",
		         tr_step, what, acd_strerror(rc), acd_strerror(rr),
		         acd_errmsg(p->a), ref_acd_errmsg(p->r));
	if (rc != ACD_OK && strcmp(acd_errmsg(p->a), ref_acd_errmsg(p->r)) != 0)
		fail_msg("step %ld: %s: \"%s\" (new) != \"%s\" (ref)", tr_step, what,
		         acd_errmsg(p->a), ref_acd_errmsg(p->r));
}

static int slot_of(const pair *p, uint64_t id)
{
	for (int i = 0; i < NCALLS; i++)
		if (p->id[i] == id)
			return i;
	return -1;
}

/* Drain both output queues, requiring the same outputs, and follow them.
 * Every other step reads the ACD's outputs in place with acd_take (the
 * reference only has acd_poll): both ways must see the same outputs. */
static void drain_pair(pair *p)
{
	SAME(acd_pending(p->a), ref_acd_pending(p->r), "pending");
	acd_out o = { 0 }, q = { 0 };
	bool take = tr_step & 1;
	int ntake = 0, k = 0;
	const acd_out *taken = take ? acd_take(p->a, &ntake) : NULL;
	if (take)
		SAME(acd_pending(p->a), 0, "pending after take");
	for (;;) {
		bool x, y = ref_acd_poll(p->r, &q);
		if (take) {
			x = k < ntake;
			if (x)
				o = taken[k++];
		} else {
			x = acd_poll(p->a, &o);
		}
		SAME(x, y, "poll");
		if (!x)
			break;
		SAME(o.kind, q.kind, "out.kind");
		SAME(o.t, q.t, "out.t");
		SAME(o.queue, q.queue, "out.queue");
		SAME(o.agent, q.agent, "out.agent");
		SAME(o.call, q.call, "out.call");
		SAME(o.wait_ms, q.wait_ms, "out.wait_ms");
		SAME(o.at, q.at, "out.at");
		if (o.kind == ACD_OUT_ASSIGN) {
			int s = slot_of(p, o.call);
			assert_true(s >= 0 && p->st[s] == 1);
			p->st[s] = 2;
			p->agent_of[s] = o.agent;
		} else if (o.kind == ACD_OUT_WRAPUP) {
			assert_true(o.agent >= 0 && o.agent < MAXAG);
			p->wrap_at[o.agent] = o.at;
		}
	}
}

static void check_inv(const pair *p)
{
	char e[256];
	if (acd_check_invariants(p->a, e, sizeof e) != ACD_OK)
		fail_msg("step %ld: invariant: %s", tr_step, e);
}

static void compare_state(pair *p)
{
	SAME(acd_nagents(p->a), ref_acd_nagents(p->r), "nagents");
	for (int g = 0; g < acd_nagents(p->a); g++) {
		acd_agent_info x, y;
		SAME(acd_agent_get(p->a, g, p->t, &x), ref_acd_agent_get(p->r, g, p->t, &y), "agent_get");
		SAME(x.id, y.id, "agent.id");
		SAME(x.queue, y.queue, "agent.queue");
		SAME(x.roster_pos, y.roster_pos, "agent.roster_pos");
		SAME(x.langs, y.langs, "agent.langs");
		SAME(x.state, y.state, "agent.state");
		SAME(x.leaving, y.leaving, "agent.leaving");
		SAME(x.call, y.call, "agent.call");
		SAME(x.idle_since, y.idle_since, "agent.idle_since");
		SAME(x.wrapup_until, y.wrapup_until, "agent.wrapup_until");
		SAME(x.calls, y.calls, "agent.calls");
		SAME(x.calls_shift, y.calls_shift, "agent.calls_shift");
		SAME(x.talk_ms, y.talk_ms, "agent.talk_ms");
		SAME(x.talk_shift_ms, y.talk_shift_ms, "agent.talk_shift_ms");
		SAME(x.busy_ms, y.busy_ms, "agent.busy_ms");
		SAME(x.staffed_ms, y.staffed_ms, "agent.staffed_ms");
	}
	for (int q = 0; q < p->nq; q++) {
		acd_queue_info x, y;
		SAME(acd_queue_get(p->a, q, &x), ref_acd_queue_get(p->r, q, &y), "queue_get");
		SAME(x.roster, y.roster, "queue.roster");
		SAME(x.on_shift, y.on_shift, "queue.on_shift");
		SAME(x.on_duty, y.on_duty, "queue.on_duty");
		SAME(x.idle, y.idle, "queue.idle");
		SAME(x.talking, y.talking, "queue.talking");
		SAME(x.wrapup, y.wrapup, "queue.wrapup");
		SAME(x.waiting, y.waiting, "queue.waiting");
		SAME(x.offered, y.offered, "queue.offered");
		SAME(x.answered, y.answered, "queue.answered");
		SAME(x.abandoned, y.abandoned, "queue.abandoned");
		SAME(x.timed_out, y.timed_out, "queue.timed_out");
		SAME(x.asked_supervisor, y.asked_supervisor, "queue.asked_supervisor");
		SAME(x.ended_talking, y.ended_talking, "queue.ended_talking");
		SAME(x.aht_ms, y.aht_ms, "queue.aht_ms");
	}
}

static void compare_figures(pair *p)
{
	for (int q = 0; q < p->nq; q++) {
		acd_figures x, y;
		SAME(acd_queue_figures(p->a, q, &x), ref_acd_queue_figures(p->r, q, &y), "queue_figures");
		same_fig(&x, &y);
		int n = acd_nintervals(p->a, q);
		SAME(n, ref_acd_nintervals(p->r, q), "nintervals");
		for (int i = -1; i <= n; i++) {
			memset(&x, 0, sizeof x);
			memset(&y, 0, sizeof y);
			SAME(acd_interval_figures(p->a, q, i, &x), ref_acd_interval_figures(p->r, q, i, &y),
			     "interval_figures");
			same_fig(&x, &y);
		}
		static const double ps[] = { 1e-9, 0.01, 0.25, 0.5, 0.9, 0.95, 0.999, 1.0, 0, 1.5 };
		for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
			int64_t u = -7, v = -7;
			SAME(acd_wait_quantile(p->a, q, ps[k], &u), ref_acd_wait_quantile(p->r, q, ps[k], &v),
			     "quantile rc");
			SAME(u, v, "quantile");
		}
	}
}

static const call_leg_result wait_res[] = {
	CALL_LEG_ABANDONED, CALL_LEG_TIMEOUT, CALL_LEG_ASKED_SUPERVISOR
};
static const call_leg_result talk_res[] = {
	CALL_LEG_RESOLVED, CALL_LEG_ESCALATED, CALL_LEG_SUPERVISOR, CALL_LEG_REQUEST,
	CALL_LEG_HANGUP_TALKING, CALL_LEG_ASKED_SUPERVISOR
};

/* One random operation on both. */
static void step(pair *p)
{
	int k = (int)rnd(p, 1000);
	int c = (int)rnd(p, NCALLS);
	acd_leg lx, ly;
	bool want = rnd(p, 3) == 0;
	int rc, rr;
	if (k < 40) {
		int q = (int)rnd(p, (uint64_t)p->nq + (k == 0));   /* sometimes a bad queue */
		int n = (int)rnd(p, 14);
		rc = acd_set_staff(p->a, q, n, p->t);
		rr = ref_acd_set_staff(p->r, q, n, p->t);
		same_rc(p, rc, rr, "set_staff");
	} else if (k < 450) {
		if (p->st[c] != 0)
			return;
		int q = (int)rnd(p, (uint64_t)p->nq);
		int lang = (int)rnd(p, (uint64_t)p->nlangs + 1) - 1;
		if (k == 41)
			lang = p->nlangs;                   /* out of range */
		rc = acd_enqueue(p->a, q, p->id[c], lang, p->t, want ? &lx : NULL);
		rr = ref_acd_enqueue(p->r, q, p->id[c], lang, p->t, want ? &ly : NULL);
		same_rc(p, rc, rr, "enqueue");
		if (rc == ACD_OK) {
			p->st[c] = 1;
			if (want)
				same_leg(&lx, &ly);
		}
	} else if (k < 560) {
		if (p->st[c] != 1)
			return;
		call_leg_result r = wait_res[rnd(p, 3)];
		if (k < 455)
			r = CALL_LEG_RESOLVED;                  /* wrong for a waiting leg */
		rc = acd_end(p->a, p->id[c], p->t, r, ACD_WRAPUP_DEFAULT, want ? &lx : NULL);
		rr = ref_acd_end(p->r, p->id[c], p->t, r, ACD_WRAPUP_DEFAULT, want ? &ly : NULL);
		same_rc(p, rc, rr, "end waiting");
		if (rc == ACD_OK) {
			p->st[c] = 0;
			if (want)
				same_leg(&lx, &ly);
		}
	} else if (k < 860) {
		if (p->st[c] != 2)
			return;
		call_leg_result r = talk_res[rnd(p, 6)];
		if (k < 565)
			r = CALL_LEG_ABANDONED;                 /* wrong for a talking leg */
		int64_t w = rnd(p, 2) ? ACD_WRAPUP_DEFAULT : (int64_t)rnd(p, 4) * 700;
		if (k == 566)
			w = -5;
		if (k % 4 == 0) {
			int g = p->agent_of[c];
			rc = acd_agent_done(p->a, g, p->t, r, w, want ? &lx : NULL);
			rr = ref_acd_agent_done(p->r, g, p->t, r, w, want ? &ly : NULL);
		} else {
			rc = acd_end(p->a, p->id[c], p->t, r, w, want ? &lx : NULL);
			rr = ref_acd_end(p->r, p->id[c], p->t, r, w, want ? &ly : NULL);
		}
		same_rc(p, rc, rr, "end talking");
		if (rc == ACD_OK) {
			p->st[c] = 0;
			if (want)
				same_leg(&lx, &ly);
		}
	} else if (k < 940) {
		/* a due wrap-up ends (sometimes one that is not due: ACD_E_STATE) */
		int g = (int)rnd(p, MAXAG);
		if (p->wrap_at[g] < 0 || (p->wrap_at[g] > p->t && k != 860))
			return;
		rc = acd_wrapup_end(p->a, g, p->t);
		rr = ref_acd_wrapup_end(p->r, g, p->t);
		same_rc(p, rc, rr, "wrapup_end");
		if (rc == ACD_OK)
			p->wrap_at[g] = -1;
	} else if (k < 955) {
		rc = acd_advance(p->a, p->t);
		rr = ref_acd_advance(p->r, p->t);
		same_rc(p, rc, rr, "advance");
	} else if (k < 975) {
		int pa = -9, pb = -9;
		SAME(acd_position(p->a, p->id[c], &pa), ref_acd_position(p->r, p->id[c], &pb), "position rc");
		SAME(pa, pb, "position");
		if (p->st[c] != 0) {
			SAME(acd_leg_get(p->a, p->id[c], p->t, &lx), ref_acd_leg_get(p->r, p->id[c], p->t, &ly),
			     "leg_get");
			same_leg(&lx, &ly);
		}
	} else if (k < 985) {
		/* bad calls: a second leg, an unknown call, time going backwards */
		int which = (int)rnd(p, 3);
		if (which == 0 && p->st[c] != 0) {
			rc = acd_enqueue(p->a, 0, p->id[c], 0, p->t, NULL);
			rr = ref_acd_enqueue(p->r, 0, p->id[c], 0, p->t, NULL);
			same_rc(p, rc, rr, "dup enqueue");
		} else if (which == 1 && p->st[c] == 0) {
			rc = acd_end(p->a, p->id[c], p->t, CALL_LEG_ABANDONED, 0, NULL);
			rr = ref_acd_end(p->r, p->id[c], p->t, CALL_LEG_ABANDONED, 0, NULL);
			same_rc(p, rc, rr, "end unknown");
		} else if (which == 2 && p->t > 0 && p->st[c] == 0) {
			rc = acd_enqueue(p->a, 0, p->id[c], 0, p->t - 1, NULL);
			rr = ref_acd_enqueue(p->r, 0, p->id[c], 0, p->t - 1, NULL);
			same_rc(p, rc, rr, "enqueue in the past");
			if (rc == ACD_OK)
				p->st[c] = 1;
		}
	} else if (k < 990) {
		int q = (int)rnd(p, (uint64_t)p->nq);
		int64_t w = (int64_t)rnd(p, 3) * 1500;
		same_rc(p, acd_set_wrapup(p->a, q, w), ref_acd_set_wrapup(p->r, q, w), "set_wrapup");
	} else {
		compare_state(p);
	}
	drain_pair(p);
	check_inv(p);
}

static void run_pair(uint64_t seed, long steps)
{
	pair *p = calloc(1, sizeof *p);
	assert_non_null(p);
	p->x = seed;
	p->nq = 1 + (int)rnd(p, 3);
	p->nlangs = 1 + (int)rnd(p, 3);
	acd_config cfg = { 0 };
	cfg.nlangs = p->nlangs;
	cfg.seed = seed;
	static const int64_t starts[] = { 0, ACD_START_AUTO, 7 * 60000 + 123, -3600000 };
	static const int64_t lens[] = { 0, 60000, 5 * 60000, 17000 };
	cfg.stats_start = starts[rnd(p, 4)];
	cfg.interval_ms = lens[rnd(p, 4)];
	p->len = cfg.interval_ms ? cfg.interval_ms : 30 * 60000;
	/* an automatic start is a multiple of the interval */
	p->grid0 = (cfg.stats_start == ACD_START_AUTO || (cfg.stats_start == 0 && cfg.interval_ms == 0))
	         ? 0 : cfg.stats_start;
	cfg.sl_ms = rnd(p, 2) ? 0 : 5000;
	cfg.reserve_legs = (int)rnd(p, 5);
	acd_queue_cfg qs[3];
	for (int q = 0; q < p->nq; q++) {
		memset(&qs[q], 0, sizeof qs[q]);
		qs[q].name = q == 0 ? "tier1" : q == 1 ? "tier2" : "sup";
		qs[q].tier = q + 1;
		qs[q].strategy = (flow_strategy)rnd(p, FLOW_STRAT_TOP_DOWN + 1);
		qs[q].skill_lang = rnd(p, 2);
		qs[q].wrapup_ms = (int64_t)rnd(p, 3) * 1000;
		qs[q].default_langs = (uint32_t)rnd(p, 4);
	}
	char e1[200], e2[200];
	assert_int_equal(acd_new(&cfg, qs, p->nq, &p->a, e1, sizeof e1), ACD_OK);
	assert_int_equal(ref_acd_new(&cfg, qs, p->nq, &p->r, e2, sizeof e2), ACD_OK);
	/* a roster per queue with random languages (0 = all) */
	for (int q = 0; q < p->nq; q++) {
		int n = (int)rnd(p, 12);
		for (int i = 0; i < n && acd_nagents(p->a) < MAXAG - 16; i++) {
			uint32_t m = (uint32_t)rnd(p, 1u << p->nlangs);
			int g1, g2;
			same_rc(p, acd_add_agent(p->a, q, m, &g1), ref_acd_add_agent(p->r, q, m, &g2),
			        "add_agent");
			SAME(g1, g2, "agent id");
		}
	}
	/* ids: dense like the simulator's slots, or some sparse */
	p->sparse = rnd(p, 2);
	for (int i = 0; i < NCALLS; i++) {
		p->id[i] = (uint64_t)i;
		if (p->sparse && rnd(p, 3) == 0)
			p->id[i] = rng_splitmix64(&p->x) | (1ull << 40);
	}
	for (int g = 0; g < MAXAG; g++)
		p->wrap_at[g] = -1;
	p->t = (int64_t)rnd(p, 3) * 90000;
	for (tr_step = 0; tr_step < steps; tr_step++) {
		/* mostly small steps, same instants, now and then a long gap */
		int dt = (int)rnd(p, 100);
		p->t += dt < 30 ? 0 : dt < 92 ? (int64_t)rnd(p, 3000) : (int64_t)rnd(p, 2000000);
		if (dt >= 97)
			p->t = next_boundary(p->grid0, p->len, p->t);
		step(p);
		if (acd_nagents(p->a) >= MAXAG - 16) {
			/* keep within MAXAG: set_staff adds agents past the roster */
			for (int q = 0; q < p->nq; q++) {
				same_rc(p, acd_set_staff(p->a, q, 2, p->t), ref_acd_set_staff(p->r, q, 2, p->t),
				        "trim");
				drain_pair(p);
			}
		}
		if (tr_step % 997 == 0)
			compare_figures(p);
	}
	p->t += 12345;
	same_rc(p, acd_advance(p->a, p->t), ref_acd_advance(p->r, p->t), "final advance");
	compare_state(p);
	compare_figures(p);
	acd_free(p->a);
	ref_acd_free(p->r);
	free(p);
}

static void test_same_as_reference(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++)
		run_pair(seed, 6000);
}

/* The simulator's shape: one longest-idle queue, dense ids, long run, no leg
 * facts (acd_enqueue's and acd_end's fast paths).  A talking call ends when
 * picked with odds 1 in end_odds: 4 keeps the queue overloaded (calls wait,
 * a freed agent takes the next), 1 leaves agents idle (an arriving call
 * takes the idle head, a freed agent goes idle).  With nlangs > 1 the queue
 * has `skill lang` and agents speak one or two languages, so the longest
 * idle agent may not speak the caller's. */
static void run_mmc_pair(int nagents, int nlangs, int end_odds, uint64_t seed)
{
	acd_config cfg = { 0 };
	cfg.nlangs = nlangs;
	cfg.stats_start = 0;
	cfg.interval_ms = 30 * 60000;
	acd_queue_cfg q = { .name = "agents", .tier = 1, .strategy = FLOW_STRAT_LONGEST_IDLE,
	                    .skill_lang = nlangs > 1 };
	pair *p = calloc(1, sizeof *p);
	assert_non_null(p);
	p->nq = 1;
	p->nlangs = nlangs;
	p->x = seed;
	assert_int_equal(acd_new(&cfg, &q, 1, &p->a, NULL, 0), ACD_OK);
	assert_int_equal(ref_acd_new(&cfg, &q, 1, &p->r, NULL, 0), ACD_OK);
	for (int i = 0; i < nagents; i++) {
		uint32_t langs = nlangs > 1 ? (uint32_t)(i % 3) + 1 : 0;
		acd_add_agent(p->a, 0, langs, NULL);
		ref_acd_add_agent(p->r, 0, langs, NULL);
	}
	for (int i = 0; i < NCALLS; i++)
		p->id[i] = (uint64_t)i;
	for (int g = 0; g < MAXAG; g++)
		p->wrap_at[g] = -1;
	same_rc(p, acd_set_staff(p->a, 0, nagents, 0), ref_acd_set_staff(p->r, 0, nagents, 0),
	        "staff");
	drain_pair(p);
	for (tr_step = 0; tr_step < 200000; tr_step++) {
		p->t += (int64_t)rnd(p, 700);
		int c = (int)rnd(p, NCALLS);
		int rc = ACD_OK, rr = ACD_OK;
		if (p->st[c] == 0) {
			int lang = nlangs > 1 ? (int)rnd(p, (uint64_t)nlangs) : 0;
			rc = acd_enqueue(p->a, 0, p->id[c], lang, p->t, NULL);
			rr = ref_acd_enqueue(p->r, 0, p->id[c], lang, p->t, NULL);
			p->st[c] = 1;
		} else if (p->st[c] == 2 && rnd(p, (uint64_t)end_odds) == 0) {
			rc = acd_end(p->a, p->id[c], p->t, CALL_LEG_RESOLVED, 0, NULL);
			rr = ref_acd_end(p->r, p->id[c], p->t, CALL_LEG_RESOLVED, 0, NULL);
			p->st[c] = 0;
		}
		same_rc(p, rc, rr, "mmc op");
		drain_pair(p);
		if (tr_step % 20011 == 0)
			compare_figures(p);
	}
	same_rc(p, acd_advance(p->a, p->t), ref_acd_advance(p->r, p->t), "advance");
	compare_state(p);
	compare_figures(p);
	check_inv(p);
	acd_free(p->a);
	ref_acd_free(p->r);
	free(p);
}

static void test_same_as_reference_mmc(void **state)
{
	(void)state;
	run_mmc_pair(20, 1, 4, 77);      /* overloaded: the original case */
	run_mmc_pair(60, 1, 1, 78);      /* agents often idle */
	run_mmc_pair(60, 2, 1, 79);      /* skills: the idle head may not fit */
}

/* The stats module on its own, including what the ACD never does: events
 * entering before the current interval, far ahead, before the start, and
 * negative waits. */
static void test_stats_same_as_reference(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		uint64_t x = seed * 7919;
		static const int64_t starts[] = { 0, ACD_START_AUTO, 60000, -7000 };
		int64_t start = starts[rng_splitmix64(&x) % 4];
		int64_t len = (int64_t)(rng_splitmix64(&x) % 3) * 10000;
		acd_stats *s;
		ref_acd_stats *r;
		assert_int_equal(acd_stats_new(start, len, 3000, &s), ACD_OK);
		assert_int_equal(ref_acd_stats_new(start, len, 3000, &r), ACD_OK);
		int64_t t = (int64_t)(rng_splitmix64(&x) % 50000) - 20000;
		for (tr_step = 0; tr_step < 5000; tr_step++) {
			int k = (int)(rng_splitmix64(&x) % 100);
			int dt = (int)(rng_splitmix64(&x) % 100);
			t += dt < 40 ? 0 : dt < 94 ? (int64_t)(rng_splitmix64(&x) % 4000)
			                           : (int64_t)(rng_splitmix64(&x) % 200000);
			if (dt >= 97 && start != ACD_START_AUTO)
				t = next_boundary(start, len ? len : 30 * 60000, t);
			int64_t back = (int64_t)(rng_splitmix64(&x) % 40000);
			int64_t ent = rng_splitmix64(&x) % 4 ? t : t - back;
			int64_t w = (int64_t)(rng_splitmix64(&x) % 9000) - (k == 0 ? 10000 : 0);
			if (rng_splitmix64(&x) % 3 == 0)
				w = k == 1 ? -w : 0;
			if (k < 20) {
				bool ff = rng_splitmix64(&x) % 2;
				acd_stats_offer(s, ent, ff);
				ref_acd_stats_offer(r, ent, ff);
			} else if (k < 45) {
				acd_stats_answer(s, ent, w);
				ref_acd_stats_answer(r, ent, w);
			} else if (k < 55) {
				call_leg_result res = (call_leg_result)(rng_splitmix64(&x) % CALL_LEG_NRESULTS);
				acd_stats_leave(s, ent, res, w);
				ref_acd_stats_leave(r, ent, res, w);
			} else if (k < 65) {
				acd_stats_handled(s, ent, w, w / 3);
				ref_acd_stats_handled(r, ent, w, w / 3);
			} else if (k < 85) {
				int64_t at = rng_splitmix64(&x) % 10 ? t : t - back;   /* sometimes late */
				int a1 = (int)(rng_splitmix64(&x) % 9), a2 = (int)(rng_splitmix64(&x) % 9);
				int a3 = (int)(rng_splitmix64(&x) % 9);
				acd_stats_agents(s, at, a1, a2, a3);
				ref_acd_stats_agents(r, at, a1, a2, a3);
			} else if (k < 95) {
				acd_stats_advance(s, t);
				ref_acd_stats_advance(r, t);
			} else {
				double pq = (double)(rng_splitmix64(&x) % 1001) / 1000.0;
				SAME(acd_stats_quantile(s, pq), ref_acd_stats_quantile(r, pq), "stats quantile");
			}
			SAME(acd_stats_status(s), ref_acd_stats_status(r), "stats status");
			SAME(acd_stats_nintervals(s), ref_acd_stats_nintervals(r), "stats nintervals");
			if (tr_step % 101 == 0 || tr_step == 4999) {
				acd_figures f, g;
				acd_stats_total(s, &f);
				ref_acd_stats_total(r, &g);
				same_fig(&f, &g);
				for (int i = -1; i <= acd_stats_nintervals(s); i++) {
					acd_stats_interval(s, i, &f);
					ref_acd_stats_interval(r, i, &g);
					same_fig(&f, &g);
				}
			}
		}
		acd_stats_free(s);
		ref_acd_stats_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_reference),
		cmocka_unit_test(test_same_as_reference_mmc),
		cmocka_unit_test(test_stats_same_as_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
