/* test_acd.c — queues, agents, strategies, skills, staffing, legs, figures,
 * invariants (and a long randomized run checking them after every event). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "tierline/acd.h"
#include "tierline/rng.h"

#define S 1000LL
#define MIN (60 * S)

/* ---- helpers ------------------------------------------------------------- */

static char errbuf[256];

#define OK(expr) do { \
		int rc_ = (expr); \
		if (rc_ != ACD_OK) \
			fail_msg("%s -> %s", #expr, acd_strerror(rc_)); \
	} while (0)

/* One queue, n agents on the roster (langs[i] or all), nlangs languages. */
static acd *mk(flow_strategy st, bool skill, int nlangs, int n, const uint32_t *langs,
               int64_t wrapup)
{
	acd_config cfg = {0};
	cfg.nlangs = nlangs;
	cfg.seed = 42;
	cfg.stats_start = 0;
	cfg.interval_ms = 30 * MIN;
	acd_queue_cfg q = {0};
	q.name = "tier1";
	q.tier = 1;
	q.strategy = st;
	q.skill_lang = skill;
	q.wrapup_ms = wrapup;
	acd *a;
	int rc = acd_new(&cfg, &q, 1, &a, errbuf, sizeof errbuf);
	if (rc)
		fail_msg("acd_new: %s", errbuf);
	for (int i = 0; i < n; i++)
		OK(acd_add_agent(a, 0, langs ? langs[i] : 0, NULL));
	return a;
}

/* Drain outputs; return the number, copying up to max of them. */
static int drain(acd *a, acd_out *outs, int max)
{
	acd_out o;
	int n = 0;
	while (acd_poll(a, &o)) {
		if (n < max && outs)
			outs[n] = o;
		n++;
	}
	return n;
}

/* Enqueue and return the agent assigned at once, or -1. */
static int enq(acd *a, uint64_t cid, int lang, int64_t t)
{
	OK(acd_enqueue(a, 0, cid, lang, t, NULL));
	acd_out o[8];
	int n = drain(a, o, 8);
	for (int i = 0; i < n; i++)
		if (o[i].kind == ACD_OUT_ASSIGN) {
			assert_int_equal(o[i].call, cid);
			return o[i].agent;
		}
	return -1;
}

/* End a talking call with no wrap-up; return the call the agent took next
 * (or 0 when it went idle). */
static uint64_t done(acd *a, uint64_t cid, int64_t t)
{
	OK(acd_end(a, cid, t, CALL_LEG_RESOLVED, 0, NULL));
	acd_out o[8];
	int n = drain(a, o, 8);
	for (int i = 0; i < n; i++)
		if (o[i].kind == ACD_OUT_ASSIGN)
			return o[i].call;
	return 0;
}

static void inv(const acd *a)
{
	char e[256];
	if (acd_check_invariants(a, e, sizeof e) != ACD_OK)
		fail_msg("invariant: %s", e);
}

static void staff(acd *a, int n, int64_t t)
{
	OK(acd_set_staff(a, 0, n, t));
}

/* ---- strategies ---------------------------------------------------------- */

static void test_longest_idle(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 1, 3, NULL, 0);
	staff(a, 3, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 1 * S), 0);   /* all idle since 0: roster order */
	assert_int_equal(enq(a, 2, 0, 2 * S), 1);
	assert_int_equal(enq(a, 3, 0, 3 * S), 2);
	/* they become idle in the order 2, 0, 1 */
	assert_int_equal(done(a, 3, 10 * S), 0);
	assert_int_equal(done(a, 1, 20 * S), 0);
	assert_int_equal(done(a, 2, 30 * S), 0);
	assert_int_equal(enq(a, 4, 0, 40 * S), 2);
	assert_int_equal(enq(a, 5, 0, 41 * S), 0);
	assert_int_equal(enq(a, 6, 0, 42 * S), 1);
	assert_int_equal(enq(a, 7, 0, 43 * S), -1);
	inv(a);
	acd_free(a);
}

static void test_round_robin(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_ROUND_ROBIN, false, 1, 4, NULL, 0);
	staff(a, 4, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 1 * S), 0);
	assert_int_equal(enq(a, 2, 0, 2 * S), 1);
	/* agent 0 frees: idle are 2, 3, 0 (0 idle most recently); rrmemory
	 * resumes after agent 1 -> 2, then 3, then wraps to 0 */
	assert_int_equal(done(a, 1, 3 * S), 0);
	assert_int_equal(enq(a, 3, 0, 4 * S), 2);
	assert_int_equal(enq(a, 4, 0, 5 * S), 3);
	assert_int_equal(enq(a, 5, 0, 6 * S), 0);
	/* 1 and 3 free (in that order); last picked 0 -> 1 */
	assert_int_equal(done(a, 2, 7 * S), 0);
	assert_int_equal(done(a, 4, 8 * S), 0);
	assert_int_equal(enq(a, 6, 0, 9 * S), 1);
	assert_int_equal(enq(a, 7, 0, 10 * S), 3);
	inv(a);
	acd_free(a);
}

static void test_fewest_calls(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_FEWEST_CALLS, false, 1, 3, NULL, 0);
	staff(a, 3, 0);
	drain(a, NULL, 0);
	/* give agent 0 two calls and agent 1 one call */
	assert_int_equal(enq(a, 1, 0, 1 * S), 0);
	assert_int_equal(done(a, 1, 2 * S), 0);
	assert_int_equal(enq(a, 2, 0, 3 * S), 1);    /* 1 and 2 have 0 calls: 1 idle longer */
	assert_int_equal(done(a, 2, 4 * S), 0);
	assert_int_equal(enq(a, 3, 0, 5 * S), 2);
	assert_int_equal(done(a, 3, 6 * S), 0);
	assert_int_equal(enq(a, 4, 0, 7 * S), 0);    /* all at 1: longest idle is 0 */
	assert_int_equal(done(a, 4, 8 * S), 0);
	/* counts 0:2, 1:1, 2:1; longest idle 1 */
	assert_int_equal(enq(a, 5, 0, 9 * S), 1);
	assert_int_equal(enq(a, 6, 0, 10 * S), 2);
	assert_int_equal(enq(a, 7, 0, 11 * S), 0);
	inv(a);
	acd_free(a);
}

static void test_least_talk_time(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LEAST_TALK_TIME, false, 1, 3, NULL, 0);
	staff(a, 3, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 0), 0);
	assert_int_equal(enq(a, 2, 0, 0), 1);
	assert_int_equal(enq(a, 3, 0, 0), 2);
	/* talk times 0: 50 s, 1: 10 s, 2: 30 s */
	assert_int_equal(done(a, 2, 10 * S), 0);
	assert_int_equal(done(a, 3, 30 * S), 0);
	assert_int_equal(done(a, 1, 50 * S), 0);
	assert_int_equal(enq(a, 4, 0, 60 * S), 1);
	assert_int_equal(enq(a, 5, 0, 61 * S), 2);
	assert_int_equal(enq(a, 6, 0, 62 * S), 0);
	acd_agent_info ai;
	OK(acd_agent_get(a, 0, 62 * S, &ai));
	assert_int_equal(ai.talk_ms, 50 * S);
	assert_int_equal(ai.calls, 2);
	inv(a);
	acd_free(a);
}

static void test_top_down(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_TOP_DOWN, false, 1, 3, NULL, 0);
	staff(a, 3, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 0), 0);
	assert_int_equal(enq(a, 2, 0, 0), 1);
	assert_int_equal(enq(a, 3, 0, 0), 2);
	assert_int_equal(done(a, 3, 1 * S), 0);      /* idle: 2 */
	assert_int_equal(done(a, 2, 2 * S), 0);      /* idle: 2, 1 */
	assert_int_equal(done(a, 1, 3 * S), 0);      /* idle: 2, 1, 0 */
	assert_int_equal(enq(a, 4, 0, 4 * S), 0);
	assert_int_equal(enq(a, 5, 0, 5 * S), 1);
	assert_int_equal(enq(a, 6, 0, 6 * S), 2);
	acd_free(a);
}

static void test_random(void **state)
{
	(void)state;
	int count[4] = {0};
	rng r1, r2;
	uint64_t x = 7;
	for (int i = 0; i < 4; i++)
		r1.s[i] = rng_splitmix64(&x);
	r1.has_spare = false;
	r2 = r1;
	acd_config cfg = {0};
	cfg.nlangs = 1;
	cfg.rng = &r1;
	acd_queue_cfg q = {.name = "q", .tier = 1, .strategy = FLOW_STRAT_RANDOM};
	acd *a, *b;
	OK(acd_new(&cfg, &q, 1, &a, NULL, 0));
	cfg.rng = &r2;
	OK(acd_new(&cfg, &q, 1, &b, NULL, 0));
	acd *both[2] = { a, b };
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 4; i++)
			OK(acd_add_agent(both[k], 0, 0, NULL));
		OK(acd_set_staff(both[k], 0, 4, 0));
		drain(both[k], NULL, 0);
	}
	for (int i = 0; i < 4000; i++) {
		int ga = enq(a, (uint64_t)i + 1, 0, i * S);
		int gb = enq(b, (uint64_t)i + 1, 0, i * S);
		assert_int_equal(ga, gb);                /* same stream, same picks */
		assert_true(ga >= 0 && ga < 4);
		count[ga]++;
		done(a, (uint64_t)i + 1, i * S + 1);
		done(b, (uint64_t)i + 1, i * S + 1);
	}
	for (int i = 0; i < 4; i++)
		assert_true(count[i] > 850 && count[i] < 1150);   /* 1000 +- ~5 sd */
	inv(a);
	acd_free(a);
	acd_free(b);
}

/* ---- skills -------------------------------------------------------------- */

static void test_skills(void **state)
{
	(void)state;
	/* agent 0 speaks English (lang 0), agent 1 English and Spanish (lang 1) */
	uint32_t langs[2] = { 1u << 0, (1u << 0) | (1u << 1) };
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, true, 2, 2, langs, 0);
	staff(a, 2, 0);
	drain(a, NULL, 0);
	/* a Spanish call goes to the Spanish speaker even though 0 is idle longer */
	assert_int_equal(enq(a, 1, 1, 1 * S), 1);
	/* another Spanish call waits although agent 0 is idle */
	assert_int_equal(enq(a, 2, 1, 2 * S), -1);
	inv(a);
	/* an English call behind it is served at once by agent 0 */
	assert_int_equal(enq(a, 3, 0, 3 * S), 0);
	/* an English call waits behind the Spanish one... */
	assert_int_equal(enq(a, 4, 0, 4 * S), -1);
	int pos;
	OK(acd_position(a, 2, &pos));
	assert_int_equal(pos, 1);
	OK(acd_position(a, 4, &pos));
	assert_int_equal(pos, 2);
	/* acd_found_free: the same fact as acd_leg_get's, without the walk */
	bool ff = false;
	OK(acd_found_free(a, 3, &ff));
	assert_true(ff);                  /* served at once */
	OK(acd_found_free(a, 4, &ff));
	assert_false(ff);                 /* waiting */
	OK(acd_found_free(a, 2, &ff));
	assert_false(ff);                 /* waited although agent 0 was idle */
	acd_leg got;
	OK(acd_leg_get(a, 2, 4 * S, &got));
	assert_false(got.found_free);
	OK(acd_leg_get(a, 3, 4 * S, &got));
	assert_true(got.found_free);
	assert_int_equal(acd_found_free(a, 99, &ff), ACD_E_NOTFOUND);
	/* ...and agent 0, who cannot take the head, serves it first */
	assert_int_equal(done(a, 3, 5 * S), 4);
	/* agent 1 takes the oldest call it can: the Spanish one */
	assert_int_equal(done(a, 1, 6 * S), 2);
	acd_leg leg;
	OK(acd_end(a, 2, 7 * S, CALL_LEG_RESOLVED, 0, &leg));
	assert_int_equal(leg.agent, 1);
	assert_int_equal(leg.wait_ms, 4 * S);
	assert_false(leg.found_free);
	/* the bilingual agent takes the oldest of an English and a Spanish call */
	assert_int_equal(done(a, 4, 8 * S), 0);          /* both idle now */
	assert_int_equal(enq(a, 10, 0, 9 * S), 1);       /* longest idle: 1 (since 7) */
	assert_int_equal(enq(a, 11, 0, 10 * S), 0);
	assert_int_equal(enq(a, 12, 0, 11 * S), -1);     /* English, older */
	assert_int_equal(enq(a, 13, 1, 12 * S), -1);     /* Spanish */
	assert_int_equal(done(a, 10, 13 * S), 12);       /* agent 1 takes the older */
	assert_int_equal(done(a, 11, 14 * S), 0);        /* agent 0 cannot take 13 */
	inv(a);
	acd_free(a);
}

static void test_no_skill_ignores_language(void **state)
{
	(void)state;
	uint32_t langs[1] = { 1u << 0 };
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 2, 1, langs, 0);
	staff(a, 1, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 1, 1 * S), 0);    /* Spanish, but no `skill lang` */
	assert_int_equal(acd_enqueue(a, 0, 2, 2, 2 * S, NULL), ACD_E_ARG);   /* lang 2 of 2 */
	acd_free(a);
}

/* ---- staffing ------------------------------------------------------------ */

static void test_shift_changes(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_TOP_DOWN, false, 1, 0, NULL, 30 * S);
	acd_out o[16];
	/* three calls wait with nobody on duty */
	assert_int_equal(enq(a, 1, 0, 1 * S), -1);
	assert_int_equal(enq(a, 2, 0, 2 * S), -1);
	assert_int_equal(enq(a, 3, 0, 3 * S), -1);
	/* two agents come on (the roster grows): each takes a call at once */
	staff(a, 2, 10 * S);
	int n = drain(a, o, 16);
	assert_int_equal(n, 4);
	assert_int_equal(o[0].kind, ACD_OUT_SHIFT_ON);
	assert_int_equal(o[1].kind, ACD_OUT_ASSIGN);
	assert_int_equal(o[1].agent, 0);
	assert_int_equal(o[1].call, 1);
	assert_int_equal(o[1].wait_ms, 9 * S);
	assert_int_equal(o[3].kind, ACD_OUT_ASSIGN);
	assert_int_equal(o[3].agent, 1);
	assert_int_equal(o[3].call, 2);
	assert_int_equal(acd_nagents(a), 2);
	/* a third agent takes the third call; then staff drops to 1 while all
	 * three talk: agents 2 and 1 (highest positions) will leave */
	staff(a, 3, 11 * S);
	drain(a, NULL, 0);
	staff(a, 1, 12 * S);
	assert_int_equal(drain(a, NULL, 0), 0);      /* nobody is cut off */
	acd_queue_info qi;
	OK(acd_queue_get(a, 0, &qi));
	assert_int_equal(qi.on_shift, 3);
	assert_int_equal(qi.on_duty, 1);
	acd_agent_info ai;
	OK(acd_agent_get(a, 2, 12 * S, &ai));
	assert_true(ai.leaving);
	assert_int_equal(ai.state, ACD_AGENT_TALKING);
	/* agent 2 finishes: wrap-up first, then off */
	OK(acd_end(a, 3, 20 * S, CALL_LEG_RESOLVED, ACD_WRAPUP_DEFAULT, NULL));
	n = drain(a, o, 16);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, ACD_OUT_WRAPUP);
	assert_int_equal(o[0].at, 50 * S);
	assert_int_equal(acd_wrapup_end(a, 2, 49 * S), ACD_E_STATE);
	OK(acd_wrapup_end(a, 2, 50 * S));
	n = drain(a, o, 16);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, ACD_OUT_SHIFT_OFF);
	assert_int_equal(o[0].agent, 2);
	OK(acd_agent_get(a, 2, 60 * S, &ai));
	assert_int_equal(ai.state, ACD_AGENT_OFF);
	assert_int_equal(ai.staffed_ms, 39 * S);     /* 11 s .. 50 s */
	assert_int_equal(ai.busy_ms, 39 * S);        /* talked 11..20, wrapped 20..50 */
	/* raising staff again keeps agent 1 (leaving) rather than calling 2 back */
	staff(a, 2, 60 * S);
	assert_int_equal(drain(a, NULL, 0), 0);
	OK(acd_agent_get(a, 1, 60 * S, &ai));
	assert_false(ai.leaving);
	/* agent 0 finishes with no wrap-up and becomes idle; staff to 1: the idle
	 * one (0) leaves at once, though it has the lower position */
	OK(acd_end(a, 1, 61 * S, CALL_LEG_ESCALATED, 0, NULL));
	drain(a, NULL, 0);
	staff(a, 1, 62 * S);
	n = drain(a, o, 16);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, ACD_OUT_SHIFT_OFF);
	assert_int_equal(o[0].agent, 0);
	/* to zero: agent 1 is still talking, so it leaves after the call */
	staff(a, 0, 63 * S);
	assert_int_equal(drain(a, NULL, 0), 0);
	OK(acd_end(a, 2, 70 * S, CALL_LEG_HANGUP_TALKING, 0, NULL));
	n = drain(a, o, 16);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, ACD_OUT_SHIFT_OFF);
	assert_int_equal(o[0].agent, 1);
	OK(acd_queue_get(a, 0, &qi));
	assert_int_equal(qi.on_shift, 0);
	assert_int_equal(qi.offered, 3);
	assert_int_equal(qi.answered, 3);
	/* a call now waits; a leaving agent in wrap-up never takes it */
	assert_int_equal(enq(a, 4, 0, 71 * S), -1);
	inv(a);
	acd_free(a);
}

static void test_leaving_in_wrapup_not_assigned(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 1, 1, NULL, 10 * S);
	staff(a, 1, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 0), 0);
	OK(acd_end(a, 1, 5 * S, CALL_LEG_RESOLVED, ACD_WRAPUP_DEFAULT, NULL));
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 2, 0, 6 * S), -1);
	staff(a, 0, 7 * S);
	acd_out o[4];
	OK(acd_wrapup_end(a, 0, 15 * S));
	assert_int_equal(drain(a, o, 4), 1);
	assert_int_equal(o[0].kind, ACD_OUT_SHIFT_OFF);
	int pos;
	OK(acd_position(a, 2, &pos));
	assert_int_equal(pos, 1);
	inv(a);
	acd_free(a);
}

/* ---- waiting, abandonment, positions, estimates -------------------------- */

static void test_abandon_middle(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 1, 1, NULL, 0);
	for (uint64_t c = 1; c <= 5; c++)
		assert_int_equal(enq(a, c, 0, (int64_t)c * S), -1);
	acd_leg leg;
	OK(acd_end(a, 3, 10 * S, CALL_LEG_ABANDONED, ACD_WRAPUP_DEFAULT, &leg));
	assert_int_equal(leg.result, CALL_LEG_ABANDONED);
	assert_int_equal(leg.wait_ms, 7 * S);
	assert_int_equal(leg.answered, -1);
	assert_int_equal(leg.agent, -1);
	assert_int_equal(leg.entry_position, 3);
	int pos;
	uint64_t want[4] = { 1, 2, 4, 5 };
	for (int i = 0; i < 4; i++) {
		OK(acd_position(a, want[i], &pos));
		assert_int_equal(pos, i + 1);
	}
	assert_int_equal(acd_end(a, 3, 11 * S, CALL_LEG_ABANDONED, 0, NULL), ACD_E_NOTFOUND);
	OK(acd_end(a, 1, 11 * S, CALL_LEG_TIMEOUT, 0, NULL));            /* head */
	OK(acd_end(a, 5, 12 * S, CALL_LEG_ASKED_SUPERVISOR, 0, NULL));   /* tail */
	inv(a);
	/* an agent comes: it takes 2, then 4 */
	staff(a, 1, 20 * S);
	acd_out o[4];
	assert_int_equal(drain(a, o, 4), 2);
	assert_int_equal(o[1].call, 2);
	assert_int_equal(done(a, 2, 30 * S), 4);
	acd_queue_info qi;
	OK(acd_queue_get(a, 0, &qi));
	assert_int_equal(qi.offered, 5);
	assert_int_equal(qi.answered, 2);
	assert_int_equal(qi.abandoned, 1);
	assert_int_equal(qi.timed_out, 1);
	assert_int_equal(qi.asked_supervisor, 1);
	assert_int_equal(qi.waiting, 0);
	/* the escalation is a new leg of the same call */
	OK(acd_end(a, 4, 40 * S, CALL_LEG_ESCALATED, 0, &leg));
	assert_int_equal(leg.result, CALL_LEG_ESCALATED);
	assert_int_equal(leg.talk_ms, 10 * S);
	assert_int_equal(enq(a, 4, 0, 41 * S), 0);
	inv(a);
	acd_free(a);
}

static void test_positions_estimates(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 1, 2, NULL, 0);
	staff(a, 2, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 0), 0);
	assert_int_equal(enq(a, 2, 0, 0), 1);
	assert_int_equal(enq(a, 3, 0, 1 * S), -1);
	acd_leg leg;
	OK(acd_leg_get(a, 3, 5 * S, &leg));
	assert_int_equal(leg.position, 1);
	assert_int_equal(leg.state, ACD_LEG_WAITING);
	assert_int_equal(leg.expected_wait_ms, ACD_EWT_UNKNOWN);    /* no history yet */
	assert_int_equal(leg.wait_ms, 4 * S);
	/* one call handled in 120 s (+ 0 wrap-up): AHT 120 s */
	assert_int_equal(done(a, 1, 120 * S), 3);
	for (uint64_t c = 4; c <= 7; c++)
		assert_int_equal(enq(a, c, 0, 121 * S), -1);
	for (uint64_t c = 4; c <= 7; c++) {
		OK(acd_leg_get(a, c, 130 * S, &leg));
		assert_int_equal(leg.position, (int)(c - 3));
		/* (k + 1) x 120 s / 2 agents */
		assert_int_equal(leg.expected_wait_ms, (int64_t)(c - 3) * 60 * S);
	}
	/* the estimate follows the moving average (1/8 weight) */
	assert_int_equal(done(a, 2, 200 * S), 4);   /* handled 200 s */
	acd_queue_info qi;
	OK(acd_queue_get(a, 0, &qi));
	assert_int_equal(qi.aht_ms, 120 * S + (80 * S) / 8);
	OK(acd_leg_get(a, 5, 200 * S, &leg));
	assert_int_equal(leg.position, 1);
	assert_int_equal(leg.expected_wait_ms, qi.aht_ms / 2);
	/* with nobody on duty there is no estimate */
	staff(a, 0, 201 * S);
	OK(acd_leg_get(a, 5, 202 * S, &leg));
	assert_int_equal(leg.expected_wait_ms, ACD_EWT_UNKNOWN);
	acd_free(a);
}

static void test_estimate_with_skills(void **state)
{
	(void)state;
	uint32_t langs[3] = { 1, 1, 3 };    /* two English-only, one bilingual */
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, true, 2, 3, langs, 0);
	staff(a, 3, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 0), 0);
	assert_int_equal(done(a, 1, 90 * S), 0);    /* AHT 90 s */
	assert_int_equal(enq(a, 2, 0, 91 * S), 1);
	assert_int_equal(enq(a, 3, 0, 91 * S), 2);
	assert_int_equal(enq(a, 4, 0, 91 * S), 0);
	assert_int_equal(enq(a, 5, 0, 92 * S), -1);  /* English */
	assert_int_equal(enq(a, 6, 1, 92 * S), -1);  /* Spanish: one agent */
	assert_int_equal(enq(a, 7, 1, 92 * S), -1);
	acd_leg leg;
	OK(acd_leg_get(a, 7, 93 * S, &leg));
	assert_int_equal(leg.position, 3);
	assert_int_equal(leg.expected_wait_ms, 2 * 90 * S);   /* 1 Spanish ahead, 1 agent */
	OK(acd_leg_get(a, 5, 93 * S, &leg));
	assert_int_equal(leg.expected_wait_ms, 90 * S / 3);
	acd_free(a);
}

static void test_wrapup_delays_next_call(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 1, 1, NULL, 30 * S);
	staff(a, 1, 0);
	drain(a, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 0), 0);
	acd_out o[4];
	OK(acd_end(a, 1, 60 * S, CALL_LEG_RESOLVED, ACD_WRAPUP_DEFAULT, NULL));
	assert_int_equal(drain(a, o, 4), 1);
	assert_int_equal(o[0].kind, ACD_OUT_WRAPUP);
	assert_int_equal(o[0].at, 90 * S);
	assert_int_equal(enq(a, 2, 0, 70 * S), -1);   /* agent in wrap-up */
	OK(acd_wrapup_end(a, 0, 90 * S));
	assert_int_equal(drain(a, o, 4), 1);
	assert_int_equal(o[0].kind, ACD_OUT_ASSIGN);
	assert_int_equal(o[0].call, 2);
	assert_int_equal(o[0].t, 90 * S);
	assert_int_equal(o[0].wait_ms, 20 * S);
	/* a per-call wrap-up overrides the queue's */
	OK(acd_end(a, 2, 100 * S, CALL_LEG_REQUEST, 5 * S, NULL));
	assert_int_equal(drain(a, o, 4), 1);
	assert_int_equal(o[0].at, 105 * S);
	acd_agent_info ai;
	OK(acd_agent_get(a, 0, 110 * S, &ai));
	assert_int_equal(ai.state, ACD_AGENT_WRAPUP);
	assert_int_equal(ai.busy_ms, 60 * S + 30 * S + 10 * S + 10 * S);
	assert_int_equal(ai.staffed_ms, 110 * S);
	OK(acd_wrapup_end(a, 0, 110 * S));   /* a late timer is fine */
	OK(acd_agent_get(a, 0, 110 * S, &ai));
	assert_int_equal(ai.state, ACD_AGENT_IDLE);
	assert_int_equal(ai.busy_ms, 60 * S + 30 * S + 10 * S + 10 * S);
	acd_free(a);
}

static void test_leg_facts_and_agent_done(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 1, 1, NULL, 0);
	staff(a, 1, 0);
	drain(a, NULL, 0);
	acd_leg leg;
	OK(acd_enqueue(a, 0, 99, -1, 5 * S, &leg));
	assert_true(leg.found_free);
	assert_int_equal(leg.state, ACD_LEG_TALKING);
	assert_int_equal(leg.answered, 5 * S);
	assert_int_equal(leg.entry_position, 0);
	assert_int_equal(leg.tier, 1);
	drain(a, NULL, 0);
	assert_int_equal(acd_agent_done(a, 0, 6 * S, CALL_LEG_ABANDONED, 0, NULL), ACD_E_STATE);
	assert_int_equal(acd_agent_done(a, 0, 6 * S, CALL_LEG_TIMEOUT, 0, NULL), ACD_E_STATE);
	OK(acd_agent_done(a, 0, 65 * S, CALL_LEG_SUPERVISOR, 0, &leg));
	assert_int_equal(leg.call, 99);
	assert_int_equal(leg.entered, 5 * S);
	assert_int_equal(leg.answered, 5 * S);
	assert_int_equal(leg.ended, 65 * S);
	assert_int_equal(leg.talk_ms, 60 * S);
	assert_int_equal(leg.wait_ms, 0);
	assert_int_equal(leg.agent, 0);
	assert_int_equal(leg.result, CALL_LEG_SUPERVISOR);
	assert_int_equal(leg.state, ACD_LEG_ENDED);
	assert_int_equal(acd_agent_done(a, 0, 66 * S, CALL_LEG_RESOLVED, 0, NULL), ACD_E_STATE);
	acd_free(a);
}

static void test_errors(void **state)
{
	(void)state;
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 2, 1, NULL, 0);
	assert_int_equal(enq(a, 1, 0, 10 * S), -1);
	assert_int_equal(acd_enqueue(a, 0, 1, 0, 11 * S, NULL), ACD_E_DUP);
	assert_string_not_equal(acd_errmsg(a), "");
	assert_int_equal(acd_enqueue(a, 1, 2, 0, 11 * S, NULL), ACD_E_ARG);
	assert_int_equal(acd_enqueue(a, 0, 2, 0, 9 * S, NULL), ACD_E_TIME);
	assert_int_equal(acd_end(a, 1, 12 * S, CALL_LEG_RESOLVED, 0, NULL), ACD_E_STATE);
	assert_int_equal(acd_end(a, 1, 12 * S, CALL_LEG_ABANDONED, -5, NULL), ACD_E_ARG);
	assert_int_equal(acd_end(a, 7, 12 * S, CALL_LEG_ABANDONED, 0, NULL), ACD_E_NOTFOUND);
	assert_int_equal(acd_set_staff(a, 0, -1, 12 * S), ACD_E_ARG);
	assert_int_equal(acd_set_staff(a, 3, 1, 12 * S), ACD_E_ARG);
	assert_int_equal(acd_add_agent(a, 0, 0x10, NULL), ACD_E_ARG);
	assert_int_equal(acd_wrapup_end(a, 0, 12 * S), ACD_E_STATE);
	assert_int_equal(acd_wrapup_end(a, 5, 12 * S), ACD_E_ARG);
	assert_int_equal(acd_set_wrapup(a, 0, -1), ACD_E_ARG);
	acd_agent_info ai;
	assert_int_equal(acd_agent_get(a, 5, 0, &ai), ACD_E_ARG);
	int64_t ms;
	assert_int_equal(acd_wait_quantile(a, 0, 0.0, &ms), ACD_E_ARG);
	assert_string_equal(acd_strerror(ACD_E_DUP), "call already in a queue");
	inv(a);
	acd_free(a);
	/* bad configurations */
	acd_config cfg = {0};
	cfg.nlangs = 9;
	assert_int_equal(acd_new(&cfg, NULL, 0, &a, errbuf, sizeof errbuf), ACD_E_ARG);
	assert_null(a);
	acd_queue_cfg q = {0};
	q.strategy = (flow_strategy)99;
	assert_int_equal(acd_new(NULL, &q, 1, &a, errbuf, sizeof errbuf), ACD_E_ARG);
	assert_int_equal(acd_new_from_flow(NULL, NULL, &a, errbuf, sizeof errbuf), ACD_E_ARG);
}

static void test_from_flow(void **state)
{
	(void)state;
	flow f;
	memset(&f, 0, sizeof f);
	flow_node nodes[3];
	memset(nodes, 0, sizeof nodes);
	nodes[0].name = "menu";
	nodes[0].kind = FLOW_MENU;
	nodes[1].name = "tier1";
	nodes[1].kind = FLOW_QUEUE;
	nodes[1].u.queue.index = 0;
	nodes[1].u.queue.tier = 1;
	nodes[1].u.queue.strategy = FLOW_STRAT_TOP_DOWN;
	nodes[1].u.queue.skill_lang = true;
	nodes[2].name = "tier2";
	nodes[2].kind = FLOW_QUEUE;
	nodes[2].u.queue.index = 1;
	nodes[2].u.queue.tier = 2;
	int qn[2] = { 1, 2 };
	f.nodes = nodes;
	f.nnodes = 3;
	f.queue_nodes = qn;
	f.nqueues = 2;
	f.nlangs = 2;
	acd *a;
	OK(acd_new_from_flow(&f, NULL, &a, errbuf, sizeof errbuf));
	assert_int_equal(acd_nqueues(a), 2);
	assert_int_equal(acd_find_queue(a, "tier2"), 1);
	assert_int_equal(acd_find_queue(a, "nope"), -1);
	assert_string_equal(acd_queue_name(a, 0), "tier1");
	acd_queue_info qi;
	OK(acd_queue_get(a, 0, &qi));
	assert_int_equal(qi.strategy, FLOW_STRAT_TOP_DOWN);
	assert_true(qi.skill_lang);
	OK(acd_queue_get(a, 1, &qi));
	assert_int_equal(qi.tier, 2);
	OK(acd_enqueue(a, 1, 5, 1, 0, NULL));       /* Spanish is language 1 */
	assert_int_equal(acd_enqueue(a, 0, 5, 1, 0, NULL), ACD_E_DUP);   /* not in two queues */
	acd_free(a);
	qn[1] = 0;                                   /* not a queue node */
	assert_int_equal(acd_new_from_flow(&f, NULL, &a, errbuf, sizeof errbuf), ACD_E_ARG);
}

/* ---- figures ------------------------------------------------------------- */

static void test_figures(void **state)
{
	(void)state;
	/* intervals of 30 min from 0; threshold 20 s */
	acd *a = mk(FLOW_STRAT_LONGEST_IDLE, false, 1, 2, NULL, 10 * S);
	staff(a, 1, 0);
	drain(a, NULL, 0);
	/* interval 0: 3 offered: one answered at once, one after 30 s, one abandons */
	assert_int_equal(enq(a, 1, 0, 60 * S), 0);
	assert_int_equal(enq(a, 2, 0, 70 * S), -1);
	assert_int_equal(enq(a, 3, 0, 80 * S), -1);
	OK(acd_end(a, 3, 90 * S, CALL_LEG_ABANDONED, 0, NULL));
	OK(acd_end(a, 1, 90 * S, CALL_LEG_RESOLVED, 0, NULL));   /* takes 2 at 90 s */
	drain(a, NULL, 0);
	/* call 2 talks across the boundary at 30 min; a second agent comes at
	 * exactly 30 min */
	staff(a, 2, 30 * MIN);
	drain(a, NULL, 0);
	OK(acd_end(a, 2, 31 * MIN, CALL_LEG_RESOLVED, ACD_WRAPUP_DEFAULT, NULL));
	drain(a, NULL, 0);
	OK(acd_wrapup_end(a, 0, 31 * MIN + 10 * S));
	drain(a, NULL, 0);
	/* interval 1: 1 offered, answered at once */
	assert_int_equal(enq(a, 4, 0, 40 * MIN), 1);
	OK(acd_end(a, 4, 41 * MIN, CALL_LEG_RESOLVED, 0, NULL));
	drain(a, NULL, 0);
	OK(acd_advance(a, 60 * MIN));
	assert_int_equal(acd_nintervals(a, 0), 2);
	acd_figures f0, f1, tot;
	OK(acd_interval_figures(a, 0, 0, &f0));
	OK(acd_interval_figures(a, 0, 1, &f1));
	OK(acd_queue_figures(a, 0, &tot));
	assert_int_equal(f0.start, 0);
	assert_int_equal(f0.length_ms, 30 * MIN);
	assert_int_equal(f0.offered, 3);
	assert_int_equal(f0.answered, 2);
	assert_int_equal(f0.abandoned, 1);
	assert_int_equal(f0.answered_within, 2);     /* 0 s and 20 s: within is <= */
	assert_int_equal(f0.found_free, 1);
	assert_int_equal(f0.wait_sum_ms, 20 * S);
	assert_int_equal(f0.wait_max_ms, 20 * S);
	assert_int_equal(f0.abandon_wait_sum_ms, 10 * S);
	/* call 1 talked 30 s, call 2 from 90 s to 31 min: both count in interval 0 */
	assert_int_equal(f0.handled, 2);
	assert_int_equal(f0.handle_sum_ms, 30 * S + (31 * MIN - 90 * S));
	assert_int_equal(f0.wrapup_sum_ms, 10 * S);
	assert_int_equal(f0.agents, 1);
	assert_int_equal(f0.staffed_ms, 30 * MIN);
	assert_int_equal(f0.busy_ms, 30 * S + (30 * MIN - 90 * S));
	assert_int_equal(f1.start, 30 * MIN);
	assert_int_equal(f1.agents, 2);              /* the change at the boundary counts */
	assert_int_equal(f1.offered, 1);
	assert_int_equal(f1.answered_within, 1);
	assert_int_equal(f1.staffed_ms, 2 * 30 * MIN);
	assert_int_equal(f1.busy_ms, 1 * MIN + 10 * S + 1 * MIN);
	assert_int_equal(tot.offered, 4);
	assert_int_equal(tot.answered, 3);
	assert_int_equal(tot.staffed_ms, f0.staffed_ms + f1.staffed_ms);
	assert_int_equal(tot.busy_ms, f0.busy_ms + f1.busy_ms);
	assert_int_equal(tot.length_ms, 60 * MIN);
	/* agent counters agree with the integral */
	acd_agent_info a0, a1;
	OK(acd_agent_get(a, 0, 60 * MIN, &a0));
	OK(acd_agent_get(a, 1, 60 * MIN, &a1));
	assert_int_equal(a0.staffed_ms + a1.staffed_ms, tot.staffed_ms);
	assert_int_equal(a0.busy_ms + a1.busy_ms, tot.busy_ms);
	rec_interval r;
	acd_figures_to_rec(a, 0, &f1, &r);
	assert_string_equal(r.queue, "tier1");
	assert_int_equal(r.agents, 2);
	assert_int_equal(r.staffed_ms, f1.staffed_ms);
	/* waits of answered calls: 0, 20 s, 0 */
	int64_t ms;
	OK(acd_wait_quantile(a, 0, 0.5, &ms));
	assert_int_equal(ms, 0);
	OK(acd_wait_quantile(a, 0, 0.9, &ms));
	assert_int_equal(ms, 20 * S);
	/* per interval: 0 and 20 s in the first (call 2 entered in it, though
	 * answered and ended later), 0 in the second; one queue pooled is the
	 * queue */
	OK(acd_interval_wait_quantile(a, 0, 0, 0.5, &ms));
	assert_int_equal(ms, 0);
	OK(acd_interval_wait_quantile(a, 0, 0, 0.9, &ms));
	assert_int_equal(ms, 20 * S);
	OK(acd_interval_wait_quantile(a, 0, 1, 0.95, &ms));
	assert_int_equal(ms, 0);
	OK(acd_wait_quantile_all(a, 0.9, &ms));
	assert_int_equal(ms, 20 * S);
	assert_int_equal(acd_interval_wait_quantile(a, 0, 2, 0.9, &ms), ACD_E_ARG);
	assert_int_equal(acd_interval_wait_quantile(a, 1, 0, 0.9, &ms), ACD_E_ARG);
	assert_int_equal(acd_interval_wait_quantile(a, 0, 0, 0.0, &ms), ACD_E_ARG);
	assert_int_equal(acd_wait_quantile_all(a, 1.5, &ms), ACD_E_ARG);
	acd_free(a);
}

/* Quantiles per interval and pooled, on hand-computable waits.  Intervals
 * of 10 s from 0; waits in whole seconds. */
static void test_interval_quantiles(void **state)
{
	(void)state;
	acd_stats *s, *s2;
	OK(acd_stats_new(0, 10 * S, 20 * S, &s));
	/* interval 0: waits 0..9 s, answered out of order and interleaved
	 * with interval 1's (2 s, 0, 0, 5 s): groups must not mix */
	static const int w0[10] = { 7, 0, 9, 3, 1, 8, 2, 6, 4, 5 };
	static const int w1[4] = { 2, 0, 0, 5 };
	for (int i = 0; i < 10; i++) {
		acd_stats_offer(s, 1 * S, false);
		acd_stats_answer(s, 1 * S, w0[i] * S);
		if (i < 4) {
			acd_stats_offer(s, 12 * S, false);
			acd_stats_answer(s, 12 * S, w1[i] * S);
		}
	}
	/* interval 2: offered, abandoned, nothing answered */
	acd_stats_offer(s, 25 * S, false);
	acd_stats_leave(s, 25 * S, CALL_LEG_ABANDONED, 3 * S);
	assert_int_equal(acd_stats_nintervals(s), 3);
	/* 10 waits: p90 is the 9th (ceil(0.9 x 10)) = 8 s, p95 the 10th = 9 s */
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.90), 8 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.95), 9 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.50), 4 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.10), 0);
	/* 0, 0, 2, 5: p90 the 4th (ceil 3.6), p50 the 2nd, p75 the 3rd */
	assert_int_equal(acd_stats_interval_quantile(s, 1, 0.90), 5 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 1, 0.50), 0);
	assert_int_equal(acd_stats_interval_quantile(s, 1, 0.75), 2 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 2, 0.90), 0);      /* none */
	assert_int_equal(acd_stats_interval_quantile(s, 3, 0.90), 0);      /* no such */
	/* the queue's 14 waits 0,0,0,1,2,2,3,4,5,5,6,7,8,9: p90 the 13th
	 * (ceil 12.6), p95 the 14th */
	assert_int_equal(acd_stats_quantile(s, 0.90), 8 * S);
	assert_int_equal(acd_stats_quantile(s, 0.95), 9 * S);
	/* a later wait in interval 0 is seen at the next query */
	acd_stats_offer(s, 2 * S, false);
	acd_stats_answer(s, 2 * S, 60 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.95), 60 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.90), 9 * S);  /* 10th of 11 */
	assert_int_equal(acd_stats_interval_quantile(s, 1, 0.90), 5 * S);
	/* pooled with a second queue holding 100 s twice and a zero: 18 waits
	 * 0 x4, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9, 60, 100, 100:
	 * p90 the 17th (ceil 16.2) = 100 s, p50 the 9th = 4 s, p20 the 4th = 0 */
	OK(acd_stats_new(0, 10 * S, 20 * S, &s2));
	acd_stats_offer(s2, 30 * S, false);
	acd_stats_answer(s2, 30 * S, 100 * S);
	acd_stats_offer(s2, 31 * S, true);
	acd_stats_answer(s2, 31 * S, 0);
	acd_stats_offer(s2, 32 * S, false);
	acd_stats_answer(s2, 32 * S, 100 * S);
	acd_stats *both[2] = { s, s2 };
	assert_int_equal(acd_stats_quantile_pooled(both, 2, 0.90), 100 * S);
	assert_int_equal(acd_stats_quantile_pooled(both, 2, 0.85), 60 * S);   /* 16th (15.3) */
	assert_int_equal(acd_stats_quantile_pooled(both, 2, 0.50), 4 * S);
	assert_int_equal(acd_stats_quantile_pooled(both, 2, 0.20), 0);
	assert_int_equal(acd_stats_quantile_pooled(both, 2, 0.25), 1 * S);   /* 5th (4.5) */
	/* one module pooled is that module, at every rank */
	for (int k = 1; k <= 20; k++)
		assert_int_equal(acd_stats_quantile_pooled(both, 1, k / 20.0),
		                 acd_stats_quantile(s, k / 20.0));
	assert_int_equal(acd_stats_quantile_pooled(both, 0, 0.9), 0);
	assert_int_equal(acd_stats_status(s), ACD_OK);
	acd_stats_free(s2);
	acd_stats_free(s);
	/* negative waits (only through this API) sort before the zeros */
	OK(acd_stats_new(0, 10 * S, 20 * S, &s));
	acd_stats_answer(s, 1 * S, 2 * S);
	acd_stats_answer(s, 1 * S, 0);
	acd_stats_answer(s, 1 * S, -3 * S);
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.30), -3 * S);   /* 1st */
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.50), 0);        /* 2nd */
	assert_int_equal(acd_stats_interval_quantile(s, 0, 0.90), 2 * S);
	acd_stats *one[1] = { s };
	assert_int_equal(acd_stats_quantile_pooled(one, 1, 0.30), -3 * S);
	assert_int_equal(acd_stats_quantile_pooled(one, 1, 0.50), 0);
	assert_int_equal(acd_stats_quantile(s, 0.50), 0);
	acd_stats_free(s);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Every sort the quantiles may use (counting, comparison, radix with one
 * and two passes) against a brute force per interval: waits drawn from a
 * small LCG, in 7 intervals, answered in a scrambled order. */
static void test_interval_quantiles_brute(void **state)
{
	(void)state;
	static const struct { size_t n; int64_t range; } cases[] = {
		{ 3000, 2000 },            /* counting sort */
		{ 1500, 1000000 },         /* few, spread: comparison sort */
		{ 9000, 60000 },           /* radix, one pass */
		{ 9000, 20000000 },        /* radix, two passes */
	};
	static const double ps[] = { 0.5, 0.9, 0.95, 0.99, 1.0 };
	enum { NB = 7 };
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		acd_stats *s;
		OK(acd_stats_new(0, 1000, 1, &s));
		size_t n = cases[c].n;
		long long *by[NB];
		size_t nb[NB] = { 0 };
		for (int b = 0; b < NB; b++)
			by[b] = malloc(n * sizeof *by[b]);
		long long *all = malloc(n * sizeof *all);
		uint64_t x = 12345 + c;
		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			int b = (int)((x >> 33) % NB);
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			/* a zero now and then (counted apart) */
			int64_t w = (x >> 40) % 8 == 0 ? 0 : (int64_t)((x >> 20) % (uint64_t)cases[c].range) + 1;
			acd_stats_offer(s, b * 1000 + 5, w == 0);
			acd_stats_answer(s, b * 1000 + 5, w);
			by[b][nb[b]++] = w;
			all[i] = w;
		}
		for (int b = 0; b < NB; b++) {
			qsort(by[b], nb[b], sizeof *by[b], cmp_ll);
			for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
				size_t r = (size_t)ceil(ps[k] * (double)nb[b] - 1e-9);
				assert_int_equal(acd_stats_interval_quantile(s, b, ps[k]), by[b][r - 1]);
			}
		}
		qsort(all, n, sizeof *all, cmp_ll);
		acd_stats *one[1] = { s };
		for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
			size_t r = (size_t)ceil(ps[k] * (double)n - 1e-9);
			assert_int_equal(acd_stats_quantile(s, ps[k]), all[r - 1]);
			assert_int_equal(acd_stats_quantile_pooled(one, 1, ps[k]), all[r - 1]);
		}
		assert_int_equal(acd_stats_status(s), ACD_OK);
		for (int b = 0; b < NB; b++)
			free(by[b]);
		free(all);
		acd_stats_free(s);
	}
}

static void test_quantiles_and_warmup(void **state)
{
	(void)state;
	acd_stats *s;
	OK(acd_stats_new(100 * S, 10 * S, 5 * S, &s));
	acd_stats_offer(s, 50 * S, false);           /* warm-up: not counted */
	acd_stats_answer(s, 50 * S, 999 * S);
	for (int i = 10; i >= 1; i--) {
		acd_stats_offer(s, 100 * S, false);
		acd_stats_answer(s, 100 * S, i * S);
	}
	acd_figures t;
	acd_stats_total(s, &t);
	assert_int_equal(t.offered, 10);
	assert_int_equal(t.answered_within, 5);
	assert_int_equal(acd_stats_quantile(s, 0.9), 9 * S);    /* nearest rank 9 */
	assert_int_equal(acd_stats_quantile(s, 0.95), 10 * S);
	assert_int_equal(acd_stats_quantile(s, 0.1), 1 * S);
	assert_int_equal(acd_stats_quantile(s, 1.0), 10 * S);
	/* agent time before start is clipped; split at boundaries */
	acd_stats_agents(s, 95 * S, 2, 1, 2);
	acd_stats_advance(s, 125 * S);
	assert_int_equal(acd_stats_nintervals(s), 3);
	acd_figures b;
	acd_stats_interval(s, 0, &b);
	assert_int_equal(b.staffed_ms, 20 * S);
	assert_int_equal(b.busy_ms, 10 * S);
	acd_stats_interval(s, 2, &b);
	assert_int_equal(b.staffed_ms, 10 * S);
	assert_int_equal(b.start, 120 * S);
	assert_int_equal(acd_stats_status(s), ACD_OK);
	acd_stats_free(s);
	/* an automatic start is floored to the interval */
	OK(acd_stats_new(ACD_START_AUTO, 10 * S, 0, &s));
	acd_stats_offer(s, 37 * S, true);
	acd_stats_interval(s, 0, &b);
	assert_int_equal(b.start, 30 * S);
	assert_int_equal(b.found_free, 1);
	acd_stats_free(s);
	/* a start far before the events is refused, not allocated */
	OK(acd_stats_new(0, 1000, 0, &s));
	acd_stats_offer(s, 1800000000000LL, false);
	assert_int_equal(acd_stats_status(s), ACD_E_ARG);
	assert_int_equal(acd_stats_nintervals(s), 0);
	acd_stats_free(s);
	/* an ACD with a zero config starts its grid at the first time it sees,
	 * floored to 30 minutes, for every queue alike */
	acd_queue_cfg qs[2] = { { .name = "a" }, { .name = "b" } };
	acd *a;
	OK(acd_new(NULL, qs, 2, &a, NULL, 0));
	int64_t t0 = 1800000000000LL + 7 * MIN;
	OK(acd_set_staff(a, 1, 1, t0));
	OK(acd_enqueue(a, 0, 1, 0, t0 + 1 * MIN, NULL));
	OK(acd_advance(a, t0 + 40 * MIN));
	acd_figures fa, fb;
	OK(acd_interval_figures(a, 0, 0, &fa));
	OK(acd_interval_figures(a, 1, 0, &fb));
	assert_int_equal(fa.start, 1800000000000LL - 1800000000000LL % (30 * MIN));
	assert_int_equal(fb.start, fa.start);
	assert_int_equal(fa.offered, 1);
	assert_int_equal(fb.staffed_ms, fa.start + 30 * MIN - t0);
	assert_int_equal(acd_nintervals(a, 0), 2);
	acd_free(a);
}

/* ---- the randomized run --------------------------------------------------- */

/* A driver that keeps its own view of every call and agent, performs random
 * operations (staffing, arrivals, abandonments, time-outs, completions,
 * wrap-up ends, escalations) and checks, after every one, the ACD's
 * invariants and that its outputs make sense to a driver. */
enum { NQ = 3, NCALLS = 400, NAG = 80 };
typedef struct drv {
	acd *a;
	int call_state[NCALLS];      /* 0 none, 1 waiting, 2 talking */
	int call_queue[NCALLS];
	int call_agent[NCALLS];
	int ag_call[NAG];            /* call held, -1 */
	int64_t ag_wrap[NAG];        /* wrap-up end announced, -1 */
	int ag_queue[NAG];
	int nag;
	int64_t t;
	int64_t ended, offered;
} drv;

static void drv_drain(drv *d)
{
	acd_out o;
	while (acd_poll(d->a, &o)) {
		assert_true(o.t == d->t);
		switch (o.kind) {
		case ACD_OUT_ASSIGN: {
			int c = (int)o.call;
			assert_int_equal(d->call_state[c], 1);
			assert_int_equal(d->call_queue[c], o.queue);
			assert_int_equal(d->ag_call[o.agent], -1);
			assert_int_equal(d->ag_wrap[o.agent], -1);
			assert_int_equal(d->ag_queue[o.agent], o.queue);
			d->call_state[c] = 2;
			d->call_agent[c] = o.agent;
			d->ag_call[o.agent] = c;
			break;
		}
		case ACD_OUT_WRAPUP:
			assert_int_equal(d->ag_wrap[o.agent], -1);
			assert_true(o.at > o.t);
			d->ag_wrap[o.agent] = o.at;
			break;
		case ACD_OUT_SHIFT_ON:
		case ACD_OUT_SHIFT_OFF:
			assert_int_equal(d->ag_call[o.agent], -1);
			assert_int_equal(d->ag_wrap[o.agent], -1);
			break;
		}
	}
}

static void test_random_operations(void **state)
{
	(void)state;
	drv *d = calloc(1, sizeof *d);
	assert_non_null(d);
	acd_config cfg = {0};
	cfg.nlangs = 3;
	cfg.seed = 2026;
	cfg.stats_start = 0;
	cfg.interval_ms = 5 * MIN;
	cfg.reserve_legs = 4;                        /* make the pool grow */
	acd_queue_cfg qs[NQ] = {
		{ .name = "tier1", .tier = 1, .strategy = FLOW_STRAT_LONGEST_IDLE,
		  .skill_lang = true, .wrapup_ms = 20 * S },
		{ .name = "tier2", .tier = 2, .strategy = FLOW_STRAT_ROUND_ROBIN,
		  .skill_lang = true, .wrapup_ms = 0, .default_langs = 1 },
		{ .name = "sup", .tier = 3, .strategy = FLOW_STRAT_RANDOM,
		  .skill_lang = false, .wrapup_ms = 5 * S },
	};
	OK(acd_new(&cfg, qs, NQ, &d->a, errbuf, sizeof errbuf));
	uint64_t x = 12345;
	for (int i = 0; i < NCALLS; i++)
		d->call_agent[i] = -1;
	for (int i = 0; i < NAG; i++) {
		d->ag_call[i] = -1;
		d->ag_wrap[i] = -1;
	}
	/* a roster: 20 agents for each queue, random languages */
	for (int q = 0; q < NQ; q++)
		for (int i = 0; i < 20; i++) {
			uint32_t m = (uint32_t)(rng_splitmix64(&x) % 7) + 1;
			int id;
			OK(acd_add_agent(d->a, q, m, &id));
			d->ag_queue[id] = q;
		}
	d->nag = acd_nagents(d->a);
	assert_int_equal(d->nag, 60);
	const call_leg_result talk_res[] = {
		CALL_LEG_RESOLVED, CALL_LEG_ESCALATED, CALL_LEG_SUPERVISOR,
		CALL_LEG_REQUEST, CALL_LEG_HANGUP_TALKING, CALL_LEG_ASKED_SUPERVISOR
	};
	const call_leg_result wait_res[] = {
		CALL_LEG_ABANDONED, CALL_LEG_TIMEOUT, CALL_LEG_ASKED_SUPERVISOR
	};
	int nops = 30000;
	for (int op = 0; op < nops; op++) {
		d->t += (int64_t)(rng_splitmix64(&x) % 4000);
		int k = (int)(rng_splitmix64(&x) % 100);
		int c = (int)(rng_splitmix64(&x) % NCALLS);
		int rc = ACD_OK;
		if (k < 4) {
			int q = (int)(rng_splitmix64(&x) % NQ);
			int n = (int)(rng_splitmix64(&x) % 23);   /* may exceed the roster of 20 */
			rc = acd_set_staff(d->a, q, n, d->t);
			/* agents added by the ACD (before their outputs are read) */
			for (int i = d->nag; i < acd_nagents(d->a); i++) {
				acd_agent_info ai;
				OK(acd_agent_get(d->a, i, d->t, &ai));
				d->ag_queue[i] = ai.queue;
				d->ag_call[i] = -1;
				d->ag_wrap[i] = -1;
			}
			d->nag = acd_nagents(d->a);
			assert_true(d->nag <= NAG);
		} else if (k < 40) {
			if (d->call_state[c] == 0) {
				int q = (int)(rng_splitmix64(&x) % NQ);
				int lang = (int)(rng_splitmix64(&x) % 3);
				d->call_state[c] = 1;
				d->call_queue[c] = q;
				d->offered++;
				rc = acd_enqueue(d->a, q, (uint64_t)c, lang, d->t, NULL);
			} else {
				/* a call never sits in two queues */
				assert_int_equal(acd_enqueue(d->a, 0, (uint64_t)c, 0, d->t, NULL),
				                 ACD_E_DUP);
			}
		} else if (k < 55) {
			if (d->call_state[c] == 1) {
				acd_leg leg;
				call_leg_result r = wait_res[rng_splitmix64(&x) % 3];
				rc = acd_end(d->a, (uint64_t)c, d->t, r, ACD_WRAPUP_DEFAULT, &leg);
				assert_int_equal(leg.result, r);
				assert_int_equal(leg.agent, -1);
				d->call_state[c] = 0;
				d->ended++;
			}
		} else if (k < 85) {
			if (d->call_state[c] == 2) {
				acd_leg leg;
				call_leg_result r = talk_res[rng_splitmix64(&x) % 6];
				int g = d->call_agent[c];
				int64_t w = (rng_splitmix64(&x) % 3 == 0)
				          ? ACD_WRAPUP_DEFAULT : (int64_t)(rng_splitmix64(&x) % 3) * S;
				d->call_state[c] = 0;
				d->ag_call[g] = -1;
				d->call_agent[c] = -1;
				d->ended++;
				if (k < 70)
					rc = acd_end(d->a, (uint64_t)c, d->t, r, w, &leg);
				else
					rc = acd_agent_done(d->a, g, d->t, r, w, &leg);
				assert_int_equal(leg.agent, g);
				assert_true(leg.answered >= leg.entered);
			}
		} else {
			/* wrap-up timers that are due */
			for (int g = 0; g < d->nag && rc == ACD_OK; g++) {
				if (d->ag_wrap[g] >= 0 && d->ag_wrap[g] <= d->t) {
					d->ag_wrap[g] = -1;
					rc = acd_wrapup_end(d->a, g, d->t);
					drv_drain(d);
				}
			}
		}
		if (rc != ACD_OK)
			fail_msg("op %d: %s: %s", op, acd_strerror(rc), acd_errmsg(d->a));
		drv_drain(d);
		inv(d->a);
		/* conservation from the driver's side too */
		int64_t waiting = 0;
		for (int i = 0; i < NCALLS; i++)
			waiting += d->call_state[i] == 1;
		int64_t qwait = 0, qoff = 0;
		for (int q = 0; q < NQ; q++) {
			acd_queue_info qi;
			OK(acd_queue_get(d->a, q, &qi));
			qwait += qi.waiting;
			qoff += qi.offered;
		}
		assert_int_equal(qwait, waiting);
		assert_int_equal(qoff, d->offered);
	}
	OK(acd_advance(d->a, d->t + 1));
	/* figures add up over intervals, and occupancy is a share */
	for (int q = 0; q < NQ; q++) {
		acd_figures tot, f, sum;
		memset(&sum, 0, sizeof sum);
		OK(acd_queue_figures(d->a, q, &tot));
		for (int i = 0; i < acd_nintervals(d->a, q); i++) {
			OK(acd_interval_figures(d->a, q, i, &f));
			sum.offered += f.offered;
			sum.answered += f.answered;
			sum.staffed_ms += f.staffed_ms;
			sum.busy_ms += f.busy_ms;
			assert_true(f.busy_ms <= f.staffed_ms);
		}
		assert_int_equal(sum.offered, tot.offered);
		assert_int_equal(sum.answered, tot.answered);
		assert_int_equal(sum.staffed_ms, tot.staffed_ms);
		assert_int_equal(sum.busy_ms, tot.busy_ms);
		assert_true(tot.offered > 1000);
		/* the integral equals the agents' own counters */
		int64_t st = 0, bz = 0;
		for (int g = 0; g < acd_nagents(d->a); g++) {
			acd_agent_info ai;
			OK(acd_agent_get(d->a, g, d->t + 1, &ai));
			if (ai.queue == q) {
				st += ai.staffed_ms;
				bz += ai.busy_ms;
			}
		}
		assert_int_equal(st, tot.staffed_ms);
		assert_int_equal(bz, tot.busy_ms);
		int64_t p90, p95;
		OK(acd_wait_quantile(d->a, q, 0.90, &p90));
		OK(acd_wait_quantile(d->a, q, 0.95, &p95));
		assert_true(p90 <= p95 && p95 <= tot.wait_max_ms);
		/* an interval's percentiles are within its own waits */
		for (int i = 0; i < acd_nintervals(d->a, q); i++) {
			acd_figures fi;
			OK(acd_interval_figures(d->a, q, i, &fi));
			OK(acd_interval_wait_quantile(d->a, q, i, 0.90, &p90));
			OK(acd_interval_wait_quantile(d->a, q, i, 0.95, &p95));
			assert_true(0 <= p90 && p90 <= p95 && p95 <= fi.wait_max_ms);
			if (fi.answered == 0)
				assert_int_equal(p95, 0);
		}
	}
	/* all queues pooled: within the queues' extremes */
	int64_t all90, lo = INT64_MAX, hi = 0;
	OK(acd_wait_quantile_all(d->a, 0.90, &all90));
	for (int q = 0; q < NQ; q++) {
		int64_t v;
		OK(acd_wait_quantile(d->a, q, 0.90, &v));
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	assert_true(lo <= all90 && all90 <= hi);
	acd_free(d->a);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_idle),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_fewest_calls),
		cmocka_unit_test(test_least_talk_time),
		cmocka_unit_test(test_top_down),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_skills),
		cmocka_unit_test(test_no_skill_ignores_language),
		cmocka_unit_test(test_shift_changes),
		cmocka_unit_test(test_leaving_in_wrapup_not_assigned),
		cmocka_unit_test(test_abandon_middle),
		cmocka_unit_test(test_positions_estimates),
		cmocka_unit_test(test_estimate_with_skills),
		cmocka_unit_test(test_wrapup_delays_next_call),
		cmocka_unit_test(test_leg_facts_and_agent_done),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_from_flow),
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_quantiles_and_warmup),
		cmocka_unit_test(test_interval_quantiles),
		cmocka_unit_test(test_interval_quantiles_brute),
		cmocka_unit_test(test_random_operations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
