/*
 * test_sim.c — the simulator against queueing theory, with honest statistics.
 *
 * Each case runs R independent replications (separate random streams) of a
 * line that goes straight to a queue (no IVR time) and compares the mean of
 * each figure over replications with the analytic value (erlang.h).  The
 * standard error comes from the spread between replications, so correlation
 * inside a run is accounted for; a figure passes when it lies within 3
 * standard errors.  Each case also bounds the standard error, so a test
 * cannot pass merely by being noisy.  Run lengths are chosen to keep the
 * whole file to a few seconds; tighter, longer runs belong in bench/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tierline/erlang.h"
#include "tierline/scenario.h"
#include "tierline/sim.h"
#include "tierline/stats.h"

typedef struct world {
	flow *f;
	scenario *s;
} world;

static void load(world *w, const char *flow_text, const char *scen_text)
{
	diag_list dl;
	diag_init(&dl);
	int rc = flow_load_string("test.flow", flow_text, strlen(flow_text), &w->f, &dl);
	if (rc != 0)
		diag_print(&dl, stderr);
	assert_int_equal(rc, 0);
	rc = scen_load_string("test.scenario", scen_text, strlen(scen_text), w->f, &w->s, &dl);
	if (rc != 0)
		diag_print(&dl, stderr);
	assert_int_equal(rc, 0);
	diag_free(&dl);
}

static void unload(world *w)
{
	scen_free(w->s);
	flow_free(w->f);
}

enum { M_PWAIT, M_ASA, M_SL, M_PAB, M_OCC, M_N };

/* Run R replications; per figure, the mean and its standard error. */
static void replicate(world *w, int R, int queue, stats_ci ci[M_N])
{
	double *v[M_N];
	for (int k = 0; k < M_N; k++)
		v[k] = calloc((size_t)R, sizeof(double));
	for (int rep = 0; rep < R; rep++) {
		sim_options o;
		memset(&o, 0, sizeof o);
		o.replication = (uint64_t)rep;
		sim_result *r = NULL;
		char err[256];
		int rc = sim_run(w->f, w->s, &o, &r, err, sizeof err);
		if (rc != 0)
			fprintf(stderr, "sim_run: %s\n", err);
		assert_int_equal(rc, 0);
		const acd_figures *t = &r->queues[queue].total;
		assert_true(t->offered > 0);
		v[M_PWAIT][rep] = sim_p_wait(t);
		v[M_ASA][rep] = sim_asa_s(t);
		v[M_SL][rep] = sim_service_level(t);
		v[M_PAB][rep] = sim_abandon_rate(t);
		v[M_OCC][rep] = sim_occupancy(t);
		sim_result_free(r);
	}
	for (int k = 0; k < M_N; k++) {
		assert_int_equal(stats_ci_from_values(v[k], (size_t)R, &ci[k]), 0);
		free(v[k]);
	}
}

static void expect_near(const char *what, const stats_ci *ci, double want, double max_se)
{
	double z = ci->se > 0 ? (ci->mean - want) / ci->se : (ci->mean == want ? 0 : INFINITY);
	printf("  %-10s sim %.5f ± %.5f (se)  theory %.5f  z = %+.2f\n", what, ci->mean,
	       ci->se, want, z);
	assert_true(ci->se <= max_se);
	assert_true(fabs(z) <= 3.0);
}

static const char *const mmc_flow =
	"flow mmc { languages en }\n"
	"line main \"1\" { start q }\n"
	"queue q { tier 1 }\n";

/* Erlang C: 100 calls per 30 min, AHT 180 s, 13 agents. */
static void test_mmc_small(void **state)
{
	(void)state;
	world w;
	load(&w, mmc_flow,
	     "scenario s {\n start 2026-11-30 00:00\n length 72h\n warmup 1h\n seed 11\n"
	     " arrivals main { rate 200/h }\n"
	     " agents q { staff 13; handle exp(180s); outcome resolved 100% }\n}\n");
	stats_ci ci[M_N];
	replicate(&w, 20, 0, ci);
	erlang_model m = { 200.0 / 3600.0, 180.0, 0, 20.0 };
	erlang_figures e;
	assert_int_equal(erlang_eval(&m, 13, &e), 0);
	assert_true(fabs(e.p_wait - 0.28527) < 1e-4);
	expect_near("p_wait", &ci[M_PWAIT], e.p_wait, 0.01);
	expect_near("asa", &ci[M_ASA], e.asa, 1.0);
	expect_near("sl(20s)", &ci[M_SL], e.service_level, 0.01);
	expect_near("occupancy", &ci[M_OCC], e.occupancy, 0.01);
	unload(&w);
}

/* Erlang A: the same load, 11 agents, patience exp(60 s). */
static void test_mmc_abandon(void **state)
{
	(void)state;
	world w;
	load(&w, mmc_flow,
	     "scenario s {\n start 2026-11-30 00:00\n length 48h\n warmup 1h\n seed 12\n"
	     " arrivals main { rate 200/h }\n"
	     " caller { patience exp(60s) }\n"
	     " agents q { staff 11; handle exp(180s); outcome resolved 100% }\n}\n");
	stats_ci ci[M_N];
	replicate(&w, 12, 0, ci);
	erlang_model m = { 200.0 / 3600.0, 180.0, 60.0, 20.0 };
	erlang_figures e;
	assert_int_equal(erlang_eval(&m, 11, &e), 0);
	assert_true(fabs(e.p_abandon - 0.11178) < 1e-4);
	expect_near("p_wait", &ci[M_PWAIT], e.p_wait, 0.01);
	expect_near("p_abandon", &ci[M_PAB], e.p_abandon, 0.01);
	expect_near("asa", &ci[M_ASA], e.asa, 0.5);
	expect_near("sl(20s)", &ci[M_SL], e.service_level, 0.01);
	expect_near("occupancy", &ci[M_OCC], e.occupancy, 0.01);
	unload(&w);
}

/* A single server near its limit: 30 calls/h, AHT 100 s (rho 0.83). */
static void test_mm1(void **state)
{
	(void)state;
	world w;
	load(&w, mmc_flow,
	     "scenario s {\n start 2026-11-30 00:00\n length 200h\n warmup 2h\n seed 13\n"
	     " arrivals main { rate 30/h }\n"
	     " agents q { staff 1; handle exp(100s); outcome resolved 100% }\n}\n");
	stats_ci ci[M_N];
	replicate(&w, 20, 0, ci);
	erlang_model m = { 30.0 / 3600.0, 100.0, 0, 20.0 };
	erlang_figures e;
	assert_int_equal(erlang_eval(&m, 1, &e), 0);
	expect_near("p_wait", &ci[M_PWAIT], e.p_wait, 0.02);
	expect_near("asa", &ci[M_ASA], e.asa, 60.0);
	expect_near("sl(20s)", &ci[M_SL], e.service_level, 0.03);
	unload(&w);
}

/* Large: 600 Erlangs (2 calls/s, AHT 300 s) on 615 agents. */
static void test_mmc_large(void **state)
{
	(void)state;
	world w;
	load(&w, mmc_flow,
	     "scenario s {\n start 2026-11-30 00:00\n length 8h\n warmup 1h\n seed 14\n"
	     " arrivals main { rate 2/s }\n"
	     " agents q { staff 615; handle exp(300s); outcome resolved 100% }\n}\n");
	stats_ci ci[M_N];
	replicate(&w, 10, 0, ci);
	erlang_model m = { 2.0, 300.0, 0, 20.0 };
	erlang_figures e;
	assert_int_equal(erlang_eval(&m, 615, &e), 0);
	assert_true(fabs(e.p_wait - 0.43044) < 1e-4);
	expect_near("p_wait", &ci[M_PWAIT], e.p_wait, 0.05);
	expect_near("sl(20s)", &ci[M_SL], e.service_level, 0.05);
	unload(&w);
}

/* Tandem: Tier 1 escalates 30% to Tier 2 (no abandonment).  By Burke's
 * theorem Tier 1's departures are Poisson, so Tier 2 is M/M/c at 0.3 lambda. */
static void test_tandem(void **state)
{
	(void)state;
	world w;
	load(&w,
	     "flow tandem { languages en }\n"
	     "line main \"1\" { start t1 }\n"
	     "queue t1 { tier 1; escalate -> t2 }\n"
	     "queue t2 { tier 2 }\n",
	     "scenario s {\n start 2026-11-30 00:00\n length 72h\n warmup 1h\n seed 15\n"
	     " arrivals main { rate 200/h }\n"
	     " agents t1 { staff 13; handle exp(180s); outcome resolved 70%, escalate 30% }\n"
	     " agents t2 { staff 7; handle exp(300s); outcome resolved 100% }\n}\n");
	stats_ci ci[M_N];
	replicate(&w, 20, 1, ci);
	erlang_model m = { 0.3 * 200.0 / 3600.0, 300.0, 0, 20.0 };
	erlang_figures e;
	assert_int_equal(erlang_eval(&m, 7, &e), 0);
	expect_near("t2 p_wait", &ci[M_PWAIT], e.p_wait, 0.02);
	expect_near("t2 asa", &ci[M_ASA], e.asa, 5.0);
	expect_near("t2 sl(20s)", &ci[M_SL], e.service_level, 0.02);
	unload(&w);
}

/* Same seed, same inputs: the same figures, bit for bit; a different
 * staffing does not change the arrivals (common random numbers). */
static void test_determinism_and_crn(void **state)
{
	(void)state;
	world w;
	load(&w, mmc_flow,
	     "scenario s {\n start 2026-11-30 08:00\n length 8h\n seed 5\n"
	     " arrivals main { profile 08:00 100/h, 12:00 300/h, 14:00 150/h }\n"
	     " caller { patience exp(2m); redial 30% after exp(10m) }\n"
	     " agents q { staff 08:00 3, 12:00 8, 14:00 5; handle lognormal(3m, 2m); wrapup 20s;"
	     " outcome resolved 100% }\n}\n");
	sim_options o;
	memset(&o, 0, sizeof o);
	sim_result *a = NULL, *b = NULL;
	char err[256];
	assert_int_equal(sim_run(w.f, w.s, &o, &a, err, sizeof err), 0);
	assert_int_equal(sim_run(w.f, w.s, &o, &b, err, sizeof err), 0);
	assert_int_equal(a->calls, b->calls);
	assert_int_equal(a->events, b->events);
	assert_memory_equal(&a->queues[0].total, &b->queues[0].total, sizeof(acd_figures));
	assert_true(a->queues[0].total.abandoned > 0);
	assert_true(a->redials > 0);
	/* Profile: about 4*100 + 2*300 + 2*150 = 1300 first calls. */
	assert_true(a->calls - a->redials > 1150 && a->calls - a->redials < 1450);
	/* Intervals are 30 min: 16 of them for 8 hours (plus any drain). */
	assert_true(a->queues[0].nintervals >= 16);
	assert_int_equal(a->queues[0].intervals[0].agents, 3);
	assert_int_equal(a->queues[0].intervals[8].agents, 8);
	/* The counts of all intervals pool to the total. */
	int64_t off = 0, ans = 0;
	for (int i = 0; i < a->queues[0].nintervals; i++) {
		off += a->queues[0].intervals[i].offered;
		ans += a->queues[0].intervals[i].answered;
	}
	assert_int_equal(off, a->queues[0].total.offered);
	assert_int_equal(ans, a->queues[0].total.answered);
	sim_result_free(a);
	sim_result_free(b);

	/* Twice the agents: the same first-time arrivals. */
	int *staff[1];
	int more[64];
	for (int i = 0; i < 64; i++)
		more[i] = 20;
	staff[0] = more;
	o.staff = staff;
	o.staff_nintervals = 64;
	sim_result *c = NULL;
	assert_int_equal(sim_run(w.f, w.s, &o, &c, err, sizeof err), 0);
	sim_options o2;
	memset(&o2, 0, sizeof o2);
	assert_int_equal(sim_run(w.f, w.s, &o2, &a, err, sizeof err), 0);
	assert_int_equal(c->calls - c->redials, a->calls - a->redials);
	assert_true(c->queues[0].total.abandoned < a->queues[0].total.abandoned);
	sim_result_free(a);
	sim_result_free(c);
	unload(&w);
}

/* Every (purpose, replication) pair has a stream of its own, up to the
 * 100,000 replications simulate takes: with purpose * 0x10000 + replication
 * replication 65536 reused replication 0's streams, each for another
 * purpose.  Below 65536 the ids are what they always were (outputs kept). */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_stream_ids_distinct(void **state)
{
	(void)state;
	assert_true(sim_stream(3, 7) == 3 * 0x10000 + 7);
	enum { P = 32, R = 3 * 65536 + 5 };
	uint64_t *ids = malloc(sizeof *ids * P * R);
	assert_non_null(ids);
	size_t n = 0;
	for (int p = 0; p < P; p++)
		for (uint64_t r = 0; r < R; r++)
			ids[n++] = sim_stream(p, r);
	qsort(ids, n, sizeof *ids, cmp_u64);
	for (size_t i = 1; i < n; i++)
		assert_true(ids[i] != ids[i - 1]);
	free(ids);
}

/* |x - n p| within 4 binomial standard deviations. */
static void expect_share(const char *what, int64_t x, int64_t n, double p)
{
	double sd = sqrt((double)n * p * (1 - p));
	printf("  %-14s %lld of %lld, expected %.1f ± %.1f\n", what, (long long)x, (long long)n,
	       n * p, sd);
	assert_true(fabs((double)x - (double)n * p) <= 4 * sd + 1);
}

/* Caller behaviour: menu shares (and their retry after a no-input),
 * failure after the last try, patience only while queued. */
static void test_caller_shares(void **state)
{
	(void)state;
	world w;
	load(&w,
	     "flow t { languages en }\n"
	     "line main \"1\" { start m }\n"
	     "menu m { prompt p; option 1 -> a; option 2 -> q; timeout 2s; tries 2 }\n"
	     "play a { prompt p; next -> hangup }\n"
	     "queue q { tier 1 }\n",
	     "scenario s {\n start 2026-11-30 08:00\n length 10h\n seed 21\n"
	     " arrivals main { rate 600/h }\n"
	     " caller { think exp(200ms); patience exp(30s); menu m { 1 60%; 2 30%; noinput 10% } }\n"
	     " agents q { staff 2; handle exp(5m) }\n}\n");
	sim_options o;
	memset(&o, 0, sizeof o);
	sim_result *r = NULL;
	char err[256];
	assert_int_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
	int64_t n = r->calls;
	assert_true(n > 5500 && n < 6500);
	/* A caller who pressed nothing chooses again on the retry. */
	expect_share("self-service", r->outcomes[CALL_OUT_SELF_SERVICE], n, 0.6 + 0.1 * 0.6);
	expect_share("failed", r->outcomes[CALL_OUT_FAILED], n, 0.1 * 0.1);
	int64_t queued = r->outcomes[CALL_OUT_ABANDONED_QUEUE] + r->outcomes[CALL_OUT_RESOLVED_TIER1];
	expect_share("queued", queued, n, 0.3 + 0.1 * 0.3);
	assert_int_equal(queued, r->queues[0].total.offered);
	/* Two agents for ~200 calls an hour of 5 minutes: most queued callers
	 * run out of patience, and only there. */
	assert_true(r->outcomes[CALL_OUT_ABANDONED_QUEUE] > r->outcomes[CALL_OUT_RESOLVED_TIER1]);
	assert_int_equal(r->outcomes[CALL_OUT_ABANDONED_IVR], 0);
	assert_int_equal(r->queues[0].total.abandoned, r->outcomes[CALL_OUT_ABANDONED_QUEUE]);
	sim_result_free(r);
	unload(&w);
}

/* Typed inputs: the leading keys of a run are held out of the scheduler and
 * handed to the call before its next event (sim.c, press_input_hold).  Every
 * valid entry must still complete the input (digits up to the maximum, or a
 * terminator), with or without barge-in, and every short one must still
 * miss at the terminator until the input fails. */
static void test_input_runs(void **state)
{
	(void)state;
	static const char *const fl =
	     "flow t { languages en }\n"
	     "line main \"1\" { start r }\n"
	     "input r { prompt p; digits 4..6; terminator #; timeout 10s; interdigit 5s; tries 2;"
	     " next -> q; failure -> hangup }\n"
	     "queue q { tier 1 }\n";
	for (int k = 0; k < 2; k++) {
		char sc[512];
		snprintf(sc, sizeof sc,
		         "scenario s {\n start 2026-11-30 08:00\n length 4h\n seed 5\n"
		         " arrivals main { rate 300/h }\n"
		         " caller { think exp(300ms); bargein 50%%; input r { %s 100%% } }\n"
		         " agents q { staff 50; handle exp(1m) }\n}\n", k ? "short" : "valid");
		world w;
		load(&w, fl, sc);
		sim_options o;
		memset(&o, 0, sizeof o);
		sim_result *r = NULL;
		char err[256];
		assert_int_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
		int64_t n = r->calls;
		assert_true(n > 1000);
		assert_int_equal(r->unfinished, 0);
		if (k == 0) {
			assert_int_equal(r->queues[0].total.offered, n);
			assert_int_equal(r->outcomes[CALL_OUT_RESOLVED_TIER1], n);
		} else {
			assert_int_equal(r->queues[0].total.offered, 0);
			assert_int_equal(r->outcomes[CALL_OUT_FAILED], n);
		}
		sim_result_free(r);
		unload(&w);
	}
}

/* An input whose `next -> repeat` starts it again is a new try, and the
 * caller decides again (until 2026-11-28 the simulated caller stayed
 * silent after the first entry until the no-input timeout).  Half the
 * tries end in a hang-up and the others in an entry that starts the input
 * again, so every caller hangs up in the end; none reaches the queue
 * behind the input's failure. */
static void test_input_repeat_decides(void **state)
{
	(void)state;
	world w;
	load(&w,
	     "flow t { languages en }\n"
	     "line main \"1\" { start r }\n"
	     "input r { prompt p; digits 2; timeout 5s; tries 1; store v; next -> repeat;"
	     " failure -> q }\n"
	     "queue q { tier 1 }\n",
	     "scenario s {\n start 2026-11-30 08:00\n length 2h\n seed 3\n"
	     " arrivals main { rate 600/h }\n"
	     " caller { think const(1s); input r { valid 50%; hangup 50% } }\n"
	     " agents q { staff 50; handle exp(1m) }\n}\n");
	sim_options o;
	memset(&o, 0, sizeof o);
	sim_result *r = NULL;
	char err[256];
	assert_int_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
	assert_true(r->calls > 1000);
	assert_int_equal(r->unfinished, 0);
	assert_int_equal(r->queues[0].total.offered, 0);
	assert_int_equal(r->outcomes[CALL_OUT_ABANDONED_IVR], r->calls);
	sim_result_free(r);
	unload(&w);
}

/* `bargein 30%` is the share of callers who press during a try's prompts:
 * one draw a try, not one a prompt (with two prompts that would be 51%).
 * Callers who wait for the end think 5 s, past the 1-s timeout, and the
 * menu has one try, so only the barging callers reach the queue. */
static void test_bargein_share(void **state)
{
	(void)state;
	world w;
	load(&w,
	     "flow t { languages en }\n"
	     "line main \"1\" { start m }\n"
	     "menu m { prompt a b; timeout 1s; tries 1; option 1 -> q; failure -> hangup }\n"
	     "queue q { tier 1 }\n",
	     "scenario s {\n start 2026-11-30 08:00\n length 8h\n seed 9\n"
	     " arrivals main { rate 1000/h }\n"
	     " caller { think const(5s); bargein 30%; menu m { 1 100% } }\n"
	     " agents q { staff 100; handle exp(1m) }\n}\n");
	sim_options o;
	memset(&o, 0, sizeof o);
	sim_result *r = NULL;
	char err[256];
	assert_int_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
	double n = (double)r->calls, share = (double)r->queues[0].total.offered / n;
	/* 8,000 calls: the standard error of the share is 0.5 points. */
	assert_true(n > 7000);
	assert_true(fabs(share - 0.30) < 0.025);
	sim_result_free(r);
	unload(&w);
}

/* Staffing changes at local times; agents on a call when their shift ends
 * finish it first, so busy time stays within staffed time. */
/* Callers who abandon at once and redial at once, with nobody on duty,
 * call again and again until the period ends; the run stops at the
 * call cap with an error instead of running for hours (a 14-hour day
 * at 1000/h went on for hundreds of millions of calls). */
static void test_redial_storm_capped(void **state)
{
	(void)state;
	world w;
	load(&w,
	     "flow t { languages en }\n"
	     "line main \"1\" { start q }\n"
	     "queue q { tier 1 }\n",
	     "scenario s {\n"
	     "  start 2026-11-30 07:00\n"
	     "  length 14h\n"
	     "  arrivals main { rate 1000/h }\n"
	     "  caller { patience 0s; redial 100% after 0s }\n"
	     "  agents q { staff 0; handle 3m }\n"
	     "}\n");
	sim_options o;
	memset(&o, 0, sizeof o);
	o.max_calls = 20000;
	sim_result *r = NULL;
	char err[256] = "";
	assert_int_not_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
	assert_null(r);
	assert_non_null(strstr(err, "too many calls"));
	/* --calls bounds the run itself: no cap then. */
	o.calls = 30000;
	assert_int_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
	assert_int_equal(r->calls, 30000);
	sim_result_free(r);
	unload(&w);
}

/* The progress callback sees the run go from 0 to 1, with --calls too
 * (the period has no end then: the share of the time stayed at 0). */
struct prog { int n; double first, last; bool monotone; };

static void prog_cb(void *ctx, double done)
{
	struct prog *p = ctx;
	if (p->n == 0)
		p->first = done;
	else if (done < p->last)
		p->monotone = false;
	p->last = done;
	p->n++;
}

static void test_progress(void **state)
{
	(void)state;
	world w;
	load(&w, mmc_flow,
	     "scenario s {\n start 2026-11-30 08:00\n length 4h\n seed 5\n"
	     " arrivals main { rate 12000/h }\n"
	     " agents q { staff 230; handle exp(60s) }\n}\n");
	for (int with_calls = 0; with_calls < 2; with_calls++) {
		sim_options o;
		memset(&o, 0, sizeof o);
		struct prog p = { 0, 0, 0, true };
		o.progress = prog_cb;
		o.progress_ctx = &p;
		if (with_calls)
			o.calls = 45000;
		sim_result *r = NULL;
		char err[256] = "";
		assert_int_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
		/* an update every 65,536 events: one or more for ~48,000 or
		 * 45,000 calls of two events or more each, when well past a
		 * tenth of the run (with --calls the share of the time was
		 * ~1e-11: the period had no end) */
		assert_true(p.n >= 1);
		assert_true(p.monotone);
		assert_true(p.first > 0.1 && p.first < 1.0);
		assert_true(p.last <= 1.0);
		sim_result_free(r);
	}
	unload(&w);
}

static void test_staffing_schedule(void **state)
{
	(void)state;
	world w;
	load(&w, mmc_flow,
	     "scenario s {\n start 2026-11-30 08:00\n length 4h\n seed 22\n"
	     " arrivals main { rate 120/h }\n"
	     " agents q { staff 08:00 10, 10:00 2, 11:00 0; handle exp(10m) }\n}\n");
	sim_options o;
	memset(&o, 0, sizeof o);
	sim_result *r = NULL;
	char err[256];
	assert_int_equal(sim_run(w.f, w.s, &o, &r, err, sizeof err), 0);
	const sim_queue_result *q = &r->queues[0];
	assert_true(q->nintervals >= 8);
	assert_int_equal(q->intervals[0].agents, 10);
	assert_int_equal(q->intervals[4].agents, 2);
	assert_int_equal(q->intervals[6].agents, 0);
	for (int i = 0; i < q->nintervals; i++)
		assert_true(q->intervals[i].busy_ms <= q->intervals[i].staffed_ms);
	/* After 11:00 nobody new is on duty, yet the calls of 10:xx finish:
	 * busy time after 11:00 is non-zero only in the first half hour or so. */
	assert_true(q->intervals[6].busy_ms > 0);
	/* No patience: nobody abandons; calls offered after 11:00 wait on. */
	assert_int_equal(q->total.abandoned, 0);
	assert_true(r->unfinished > 0);
	/* Wait percentiles per interval: the waits of the legs that entered
	 * in it (overloaded: none that entered after 09:30 is ever answered, so
	 * 0 there, printed as null); one queue's
	 * pooled percentiles are its own. */
	assert_non_null(q->interval_p90_ms);
	assert_non_null(q->interval_p95_ms);
	int with = 0;
	for (int i = 0; i < q->nintervals; i++) {
		const acd_figures *iv = &q->intervals[i];
		assert_true(q->interval_p90_ms[i] <= q->interval_p95_ms[i]);
		assert_true(q->interval_p95_ms[i] <= iv->wait_max_ms);
		if (iv->answered == 0)
			assert_int_equal(q->interval_p95_ms[i], 0);
		else
			with++;
	}
	assert_int_equal(with, 3);
	assert_true(q->interval_p90_ms[2] > q->interval_p90_ms[0]);   /* the queue grows */
	assert_int_equal(q->intervals[3].answered, 0);
	assert_int_equal(q->interval_p90_ms[3], 0);
	assert_int_equal(r->wait_p90_ms, q->wait_p90_ms);
	assert_int_equal(r->wait_p95_ms, q->wait_p95_ms);
	sim_result_free(r);
	unload(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmc_small),
		cmocka_unit_test(test_bargein_share),
		cmocka_unit_test(test_mmc_abandon),
		cmocka_unit_test(test_mm1),
		cmocka_unit_test(test_mmc_large),
		cmocka_unit_test(test_tandem),
		cmocka_unit_test(test_determinism_and_crn),
		cmocka_unit_test(test_stream_ids_distinct),
		cmocka_unit_test(test_caller_shares),
		cmocka_unit_test(test_input_runs),
		cmocka_unit_test(test_input_repeat_decides),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_staffing_schedule),
		cmocka_unit_test(test_redial_storm_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
