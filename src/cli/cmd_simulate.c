/*
 * cmd_simulate.c — `tierline simulate FLOW SCENARIO`: run the scenario on the
 * virtual clock and print its figures (human table or --json), storing every
 * call and interval in SQLite unless --no-db.
 *
 * With --replications N the scenario runs N times on independent random
 * streams; each figure is then the mean over replications with its 95%
 * confidence half-width (Student t, N-1 degrees of freedom).  Replications
 * are the honest way to put an error bar on a day: calls within one day are
 * strongly correlated, so their iid variance would be far too small.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "tierline/flow.h"
#include "tierline/lex.h"
#include "tierline/scenario.h"
#include "tierline/sim.h"
#include "tierline/stats.h"
#include "tierline/store.h"

typedef struct sim_cli {
	const char *flow_path, *scen_path, *db_path, *report;
	bool no_db, json, has_seed;
	uint64_t seed;
	int64_t calls;
	int replications;
	int64_t sl_ms;
	bool progress;
	double t0;
	double shown;         /* when the progress line was last written (s after t0) */
	int rep, reps;               /* the replication running, of how many */
} sim_cli;

/* Figures of one queue, the unit that replications average. */
enum { F_OFFERED, F_ANSWERED, F_ABANDONED, F_TIMED_OUT, F_SL, F_ASA, F_P90, F_P95,
       F_PWAIT, F_ABANDON_RATE, F_AHT, F_OCC, F_MEAN_WAIT, F_WITHIN, F_N };
static const char *const fig_names[F_N] = {
	"offered", "answered", "abandoned", "timed_out", "service_level", "asa",
	"wait_p90", "wait_p95", "p_wait", "abandon_rate", "aht", "occupancy", "wait_mean",
	"answered_within"
};

static void queue_figs(const sim_queue_result *q, double out[F_N])
{
	const acd_figures *t = &q->total;
	out[F_OFFERED] = (double)t->offered;
	out[F_ANSWERED] = (double)t->answered;
	out[F_ABANDONED] = (double)t->abandoned;
	out[F_TIMED_OUT] = (double)t->timed_out;
	out[F_SL] = sim_service_level(t);
	out[F_ASA] = sim_asa_s(t);
	/* Percentiles of nothing are undefined (null), not 0. */
	out[F_P90] = t->answered ? (double)q->wait_p90_ms / 1000.0 : NAN;
	out[F_P95] = t->answered ? (double)q->wait_p95_ms / 1000.0 : NAN;
	out[F_PWAIT] = sim_p_wait(t);
	out[F_ABANDON_RATE] = sim_abandon_rate(t);
	out[F_AHT] = sim_aht_s(t);
	out[F_OCC] = sim_occupancy(t);
	/* Mean time in queue of legs that left it answered, abandoned or
	 * timed out (store.h defines wait_mean the same way). */
	int64_t n = t->answered + t->abandoned + t->timed_out;
	out[F_MEAN_WAIT] = n > 0 ? (double)(t->wait_sum_ms + t->abandon_wait_sum_ms +
	                                    t->timeout_wait_sum_ms) / 1000.0 / (double)n : NAN;
	out[F_WITHIN] = (double)t->answered_within;
}

/* The row of all queues: their counts added up (all), and the percentiles
 * of their waits pooled (not a mix of the queues' percentiles). */
static sim_queue_result all_queues(const sim_result *r, const acd_figures *all)
{
	sim_queue_result tq = { .name = "(all)", .total = *all,
	                        .wait_p90_ms = r->wait_p90_ms, .wait_p95_ms = r->wait_p95_ms };
	return tq;
}

/* An interval's percentile in seconds; undefined (NaN) without answered legs. */
static double iv_pct(const acd_figures *iv, const int64_t *ms, int i)
{
	return iv->answered > 0 && ms ? (double)ms[i] / 1000.0 : NAN;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_cb(void *ctx, double done)
{
	sim_cli *c = ctx;
	double el = now_s() - c->t0;
	/* Nothing for a run under a second; then ten updates a second at most
	 * (the simulator calls every 2^16 events, hundreds of times a second,
	 * and a terminal over ssh would spend more on the line than we do). */
	if (el < 1.0 || el - c->shown < 0.1)
		return;
	c->shown = el;
	/* one line for the whole run: replication k of N is (k + done) / N */
	double all = ((double)c->rep + done) / (double)(c->reps > 0 ? c->reps : 1);
	if (c->reps > 1)
		fprintf(stderr, "\rsimulating: %5.1f%%  replication %d of %d  (%.1f s)", all * 100.0,
		        c->rep + 1, c->reps, el);
	else
		fprintf(stderr, "\rsimulating: %5.1f%%  (%.1f s)", all * 100.0, el);
	fflush(stderr);
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jint(int64_t v)
{
	return json_integer((json_int_t)v);
}

static int parse_args(int argc, char **argv, sim_cli *c)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "no-db", no_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'c' },
		{ "replications", required_argument, NULL, 'r' },
		{ "sl", required_argument, NULL, 'l' },
		{ "report", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	memset(c, 0, sizeof *c);
	c->db_path = "tierline.db";
	bool db_given = false;
	c->replications = 1;
	c->sl_ms = 20000;
	optind = 1;
	opterr = 0;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->db_path = optarg; db_given = true; break;
		case 'n': c->no_db = true; break;
		case 'j': c->json = true; break;
		case 'o': c->report = optarg; break;
		case 's':
			errno = 0;
			c->seed = strtoull(optarg, &end, 10);
			/* Seeds are printed as JSON integers: keep them within int64. */
			if (*optarg == '\0' || *end || *optarg == '-' || errno == ERANGE ||
			    c->seed > (uint64_t)INT64_MAX) {
				fprintf(stderr, "tierline simulate: --seed: '%s' is not a whole number "
				        "from 0 to %lld\n", optarg, (long long)INT64_MAX);
				return 2;
			}
			c->has_seed = true;
			break;
		case 'c':
			errno = 0;
			c->calls = strtoll(optarg, &end, 10);
			/* Capped like the scenario's own arrivals: a run holds its
			 * calls in memory, and 10^14 calls would look like a hang. */
			if (*optarg == '\0' || *end || errno == ERANGE || c->calls <= 0 ||
			    c->calls > SCEN_MAX_CALLS) {
				fprintf(stderr, "tierline simulate: --calls: '%s' is not a whole number "
				        "from 1 to %lld\n", optarg, SCEN_MAX_CALLS);
				return 2;
			}
			break;
		case 'r': {
			long n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || n < 1 || n > 100000) {
				fprintf(stderr, "tierline simulate: --replications: '%s' is not a number from 1 to 100000\n", optarg);
				return 2;
			}
			c->replications = (int)n;
			break;
		}
		case 'l':
			if (lex_parse_duration(optarg, strlen(optarg), &c->sl_ms) != 0) {
				fprintf(stderr, "tierline simulate: --sl: '%s' is not a duration (e.g. 20s)\n", optarg);
				return 2;
			}
			if (c->sl_ms <= 0) {
				fprintf(stderr, "tierline simulate: --sl: the threshold must be above 0 (e.g. 20s)\n");
				return 2;
			}
			break;
		case 'h':
			cli_help("simulate");
			return -1;
		default:
			fprintf(stderr, "tierline simulate: unknown or incomplete option '%s'\n", argv[optind - 1]);
			cli_usage(stderr, "simulate");
			return 2;
		}
	}
	if (c->no_db && db_given) {
		fprintf(stderr, "tierline simulate: --db and --no-db exclude each other\n");
		return 2;
	}
	if (c->report && c->no_db) {
		fprintf(stderr, "tierline simulate: --report draws the stored records; it cannot go with --no-db\n");
		return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "tierline simulate: need FLOW and SCENARIO\n");
		cli_usage(stderr, "simulate");
		return 2;
	}
	if (c->report && cli_check_writable("simulate", c->report) != 0)
		return 2;
	c->flow_path = argv[optind];
	c->scen_path = argv[optind + 1];
	return 0;
}

static void fmt_pct(char *b, size_t n, double v)
{
	if (isfinite(v))
		snprintf(b, n, "%.1f%%", v * 100.0);
	else
		snprintf(b, n, "-");
}

static void fmt_s(char *b, size_t n, double v)
{
	if (isfinite(v))
		snprintf(b, n, "%.1f", v);
	else
		snprintf(b, n, "-");
}

/* The interval as people write it: "30 min", or "45 s" when not whole minutes. */
static const char *fmt_interval(char *b, size_t n, int64_t ms)
{
	if (ms % 60000 == 0)
		snprintf(b, n, "%" PRId64 " min", ms / 60000);
	else
		snprintf(b, n, "%g s", (double)ms / 1000.0);
	return b;
}

static void print_queue_row(FILE *out, const char *name, int tier, const double f[F_N],
                            const double hw[F_N])
{
	char sl[16], asa[16], wm[16], p90[16], p95[16], pw[16], ab[16], aht[16], occ[16];
	fmt_pct(sl, sizeof sl, f[F_SL]);
	fmt_s(asa, sizeof asa, f[F_ASA]);
	fmt_s(wm, sizeof wm, f[F_MEAN_WAIT]);
	fmt_s(p90, sizeof p90, f[F_P90]);
	fmt_s(p95, sizeof p95, f[F_P95]);
	fmt_pct(pw, sizeof pw, f[F_PWAIT]);
	fmt_pct(ab, sizeof ab, f[F_ABANDON_RATE]);
	fmt_s(aht, sizeof aht, f[F_AHT]);
	fmt_pct(occ, sizeof occ, f[F_OCC]);
	fprintf(out, "%-18s %4d %8.0f %8.0f %8.0f %7.0f %7s %7s %7s %7s %7s %7s %7s %7s %6s\n",
	        name, tier, f[F_OFFERED], f[F_ANSWERED], f[F_ABANDONED], f[F_WITHIN], sl, asa, wm,
	        p90, p95, pw, ab, aht, occ);
	if (hw) {
		fmt_pct(sl, sizeof sl, hw[F_SL]);
		fmt_s(asa, sizeof asa, hw[F_ASA]);
		fmt_s(wm, sizeof wm, hw[F_MEAN_WAIT]);
		fmt_s(p90, sizeof p90, hw[F_P90]);
		fmt_s(p95, sizeof p95, hw[F_P95]);
		fmt_pct(pw, sizeof pw, hw[F_PWAIT]);
		fmt_pct(ab, sizeof ab, hw[F_ABANDON_RATE]);
		fmt_s(aht, sizeof aht, hw[F_AHT]);
		fmt_pct(occ, sizeof occ, hw[F_OCC]);
		fprintf(out, "%-18s %4s %8.0f %8.0f %8.0f %7.0f %7s %7s %7s %7s %7s %7s %7s %7s %6s\n",
		        "  ± 95%", "", hw[F_OFFERED], hw[F_ANSWERED], hw[F_ABANDONED], hw[F_WITHIN],
		        sl, asa, wm, p90, p95, pw, ab, aht, occ);
	}
}

static const char *const queue_header =
	"queue              tier  offered answered abandon  within      SL     ASA    wait     p90     p95  p_wait  abandn     AHT    occ\n";

/* Human output of one run. */
static void print_human(const sim_cli *c, const flow *f, const scenario *s,
                        const sim_result *r, int64_t run_id)
{
	char a[32], b[32];
	util_fmt_local(r->start, false, a, sizeof a);
	util_fmt_local(r->end, false, b, sizeof b);
	printf("tierline simulate: %s with %s (seed %" PRIu64 "", c->flow_path, c->scen_path, r->seed);
	if (run_id > 0)
		printf(", run %" PRId64 " in %s", run_id, c->db_path);
	printf(")\n");
	char ivb[32];
	printf("period %s to %s, interval %s, service level = answered within %gs / (answered + abandoned)\n",
	       a, b, fmt_interval(ivb, sizeof ivb, s->interval_ms), (double)r->sl_ms / 1000.0);
	printf("calls %" PRId64 " (placed %" PRId64 ", redials %" PRId64 ", still running at the end %" PRId64 ")\n\n",
	       r->calls, r->arrivals, r->redials, r->unfinished);
	printf("%s", queue_header);
	acd_figures all;
	memset(&all, 0, sizeof all);
	for (int q = 0; q < r->nqueues; q++) {
		double fg[F_N];
		queue_figs(&r->queues[q], fg);
		print_queue_row(stdout, r->queues[q].name, r->queues[q].tier, fg, NULL);
		sim_figures_add(&all, &r->queues[q].total);
	}
	if (r->nqueues > 1) {
		/* All queues pooled (counts added, never ratios averaged; the
		 * percentiles of the pooled waits). */
		sim_queue_result tq = all_queues(r, &all);
		double fg[F_N];
		queue_figs(&tq, fg);
		print_queue_row(stdout, "(all)", 0, fg, NULL);
	}
	printf("\nIVR: containment %.1f%% (self-service / calls)\n",
	       isfinite(sim_containment(r)) ? sim_containment(r) * 100 : 0.0);
	const char *sep = " ";
	printf("outcomes:");
	for (int o = 1; o < CALL_OUT_COUNT; o++)
		if (r->outcomes[o]) {
			printf("%s%s %" PRId64, sep, call_outcome_name((call_outcome)o), r->outcomes[o]);
			sep = ", ";
		}
	printf("%s\ntransfers:", sep[0] == ' ' ? " none" : "");
	sep = " ";
	for (int t = 1; t <= CALL_MAX_TIER; t++)
		if (r->transfers[t]) {
			printf("%stier%d %" PRId64, sep, t, r->transfers[t]);
			sep = ", ";
		}
	printf("%s\nservice requests:", sep[0] == ' ' ? " none" : "");
	sep = " ";
	for (int o = 0; o < r->noffices; o++)
		if (r->requests[o]) {
			printf("%s%s %" PRId64, sep, f->offices[o].name, r->requests[o]);
			sep = ", ";
		}
	if (sep[0] == ' ')
		printf(" none\n");
	else
		printf(" (referred %" PRId64 ")\n", r->referred);

	for (int q = 0; q < r->nqueues; q++) {
		const sim_queue_result *qr = &r->queues[q];
		if (qr->total.offered == 0 && qr->nintervals == 0)
			continue;
		printf("\n%s by interval:\n  start              offered answered abandon  within      SL     ASA"
		       "    wait     p90     p95  p_wait  abandn     AHT  agents    occ\n", qr->name);
		for (int i = 0; i < qr->nintervals; i++) {
			const acd_figures *iv = &qr->intervals[i];
			if (iv->start >= r->end && iv->offered == 0)
				continue;   /* the drain after the period, with nothing in it */
			char st[32], sl[16], asa[16], wm[16], p90[16], p95[16], pw[16], ab[16], aht[16],
			     occ[16];
			int64_t left = iv->answered + iv->abandoned + iv->timed_out;
			util_fmt_local(iv->start, false, st, sizeof st);
			fmt_pct(sl, sizeof sl, sim_service_level(iv));
			fmt_s(asa, sizeof asa, sim_asa_s(iv));
			fmt_s(wm, sizeof wm, left > 0 ? (double)(iv->wait_sum_ms + iv->abandon_wait_sum_ms +
			      iv->timeout_wait_sum_ms) / 1000.0 / (double)left : NAN);
			fmt_s(p90, sizeof p90, iv_pct(iv, qr->interval_p90_ms, i));
			fmt_s(p95, sizeof p95, iv_pct(iv, qr->interval_p95_ms, i));
			fmt_pct(pw, sizeof pw, sim_p_wait(iv));
			fmt_pct(ab, sizeof ab, sim_abandon_rate(iv));
			fmt_s(aht, sizeof aht, sim_aht_s(iv));
			fmt_pct(occ, sizeof occ, sim_occupancy(iv));
			printf("  %-18s %7" PRId64 " %8" PRId64 " %7" PRId64 " %7" PRId64
			       " %7s %7s %7s %7s %7s %7s %7s %7s %7d %6s\n",
			       st, iv->offered, iv->answered, iv->abandoned, iv->answered_within, sl, asa,
			       wm, p90, p95, pw, ab, aht, iv->agents, occ);
		}
	}
}

static json_t *queue_json(const double f[F_N], const double *hw)
{
	json_t *o = json_object();
	for (int i = 0; i < F_N; i++) {
		if (i == F_WITHIN && !hw)
			continue;   /* one run: the caller places it (after "tier") */
		if (i <= F_TIMED_OUT && !hw)
			json_object_set_new(o, fig_names[i], jint((int64_t)llround(f[i])));
		else
			json_object_set_new(o, fig_names[i], jnum(f[i]));
		if (hw) {
			char k[64];
			snprintf(k, sizeof k, "%s_hw", fig_names[i]);
			json_object_set_new(o, k, jnum(hw[i]));
		}
	}
	return o;
}

static json_t *run_json(const flow *f, const sim_result *r, int64_t run_id)
{
	json_t *root = json_object();
	json_object_set_new(root, "run", run_id > 0 ? jint(run_id) : json_null());
	json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
	json_object_set_new(root, "calls", jint(r->calls));
	json_object_set_new(root, "placed", jint(r->arrivals));
	json_object_set_new(root, "redials", jint(r->redials));
	json_object_set_new(root, "unfinished", jint(r->unfinished));
	json_object_set_new(root, "sl_threshold", json_real((double)r->sl_ms / 1000.0));
	json_t *qs = json_object();
	for (int q = 0; q < r->nqueues; q++) {
		double fg[F_N];
		queue_figs(&r->queues[q], fg);
		json_t *qo = queue_json(fg, NULL);
		json_object_set_new(qo, "tier", json_integer(r->queues[q].tier));
		json_object_set_new(qo, "answered_within", jint(r->queues[q].total.answered_within));
		json_object_set_new(qs, r->queues[q].name, qo);
	}
	json_object_set_new(root, "queues", qs);
	acd_figures all;
	memset(&all, 0, sizeof all);
	for (int q = 0; q < r->nqueues; q++)
		sim_figures_add(&all, &r->queues[q].total);
	sim_queue_result tq = all_queues(r, &all);
	double tf[F_N];
	queue_figs(&tq, tf);
	json_t *to = queue_json(tf, NULL);
	json_object_set_new(to, "answered_within", jint(all.answered_within));
	json_object_set_new(root, "total", to);
	json_t *ivr = json_object();
	json_object_set_new(ivr, "containment", jnum(sim_containment(r)));
	json_t *oc = json_object();
	for (int o = 1; o < CALL_OUT_COUNT; o++)
		if (r->outcomes[o])
			json_object_set_new(oc, call_outcome_name((call_outcome)o), jint(r->outcomes[o]));
	json_object_set_new(ivr, "outcomes", oc);
	json_t *tr = json_object();
	for (int t = 1; t <= CALL_MAX_TIER; t++)
		if (r->transfers[t]) {
			char k[16];
			snprintf(k, sizeof k, "tier%d", t);
			json_object_set_new(tr, k, jint(r->transfers[t]));
		}
	json_object_set_new(ivr, "transfers", tr);
	json_t *rq = json_object();
	for (int o = 0; o < r->noffices; o++)
		if (r->requests[o])
			json_object_set_new(rq, f->offices[o].name, jint(r->requests[o]));
	json_object_set_new(ivr, "requests", rq);
	json_object_set_new(ivr, "referred", jint(r->referred));
	json_object_set_new(root, "ivr", ivr);
	json_t *ivs = json_array();
	for (int q = 0; q < r->nqueues; q++) {
		const sim_queue_result *qr = &r->queues[q];
		for (int i = 0; i < qr->nintervals; i++) {
			const acd_figures *iv = &qr->intervals[i];
			if (iv->start >= r->end && iv->offered == 0)
				continue;
			char st[32];
			util_fmt_local(iv->start, false, st, sizeof st);
			json_t *o = json_object();
			json_object_set_new(o, "queue", json_string(qr->name));
			json_object_set_new(o, "start", json_string(st));
			json_object_set_new(o, "offered", jint(iv->offered));
			json_object_set_new(o, "answered", jint(iv->answered));
			json_object_set_new(o, "abandoned", jint(iv->abandoned));
			json_object_set_new(o, "answered_within", jint(iv->answered_within));
			json_object_set_new(o, "timed_out", jint(iv->timed_out));
			json_object_set_new(o, "service_level", jnum(sim_service_level(iv)));
			json_object_set_new(o, "asa", jnum(sim_asa_s(iv)));
			int64_t left = iv->answered + iv->abandoned + iv->timed_out;
			json_object_set_new(o, "wait_mean", jnum(left > 0 ? (double)(iv->wait_sum_ms +
			                    iv->abandon_wait_sum_ms + iv->timeout_wait_sum_ms) / 1000.0 /
			                    (double)left : NAN));
			json_object_set_new(o, "wait_p90", jnum(iv_pct(iv, qr->interval_p90_ms, i)));
			json_object_set_new(o, "wait_p95", jnum(iv_pct(iv, qr->interval_p95_ms, i)));
			json_object_set_new(o, "p_wait", jnum(sim_p_wait(iv)));
			json_object_set_new(o, "abandon_rate", jnum(sim_abandon_rate(iv)));
			json_object_set_new(o, "aht", jnum(sim_aht_s(iv)));
			json_object_set_new(o, "agents", json_integer(iv->agents));
			json_object_set_new(o, "occupancy", jnum(sim_occupancy(iv)));
			json_array_append_new(ivs, o);
		}
	}
	json_object_set_new(root, "intervals", ivs);
	return root;
}

/* ---- replications ---------------------------------------------------------
 * Queue and total figures: the mean over replications of each one's figure
 * (a replication's day holds thousands of calls, so its ratios are well
 * defined) with the Student-t half-width of those k values.  Counts of the
 * IVR and per interval: means per replication.  Interval ratios: pooled
 * (sum over replications of the numerator / of the denominator), since a
 * half hour with few calls has undefined or very noisy ratios in one
 * replication, with the ratio estimator's half-width (stats_rsum).  An
 * interval's percentiles cannot be pooled that way (they are not ratios of
 * sums): like the queue figures, the mean over the replications in which
 * the interval has answered legs, with the half-width of those values.
 * Every figure gets its half-width; nothing but five sums per figure is
 * kept, so memory does not grow with the number of replications beyond one
 * row of queue figures per replication. */
enum { IC_OFFERED, IC_ANSWERED, IC_ABANDONED, IC_WITHIN, IC_TIMED_OUT, IC_N };
static const char *const ic_names[IC_N] = {
	"offered", "answered", "abandoned", "answered_within", "timed_out"
};
enum { IR_SL, IR_ASA, IR_WAIT_MEAN, IR_PWAIT, IR_ABANDON_RATE, IR_AHT, IR_OCC, IR_N };
static const char *const ir_names[IR_N] = {
	"service_level", "asa", "wait_mean", "p_wait", "abandon_rate", "aht", "occupancy"
};

enum { IP_P90, IP_P95, IP_N };
static const char *const ip_names[IP_N] = { "wait_p90", "wait_p95" };

typedef struct rep_iv {
	int64_t start;
	int agents;
	stats_rsum c[IC_N], r[IR_N];
	stats_rsum p[IP_N];          /* percentiles (s), one value a replication */
	int np;                      /* replications that gave them (answered > 0) */
} rep_iv;

typedef struct rep_ivs {
	rep_iv *v;
	int n, cap;
} rep_ivs;

enum { RS_CALLS, RS_PLACED, RS_REDIALS, RS_UNFINISHED, RS_REFERRED, RS_N };

typedef struct rep_acc {
	int R, nq;                   /* replications; queues (+1 row: all pooled) */
	double (*qf)[F_N];           /* [rep][nq + 1] figures */
	double *contain;             /* [rep] */
	stats_rsum scal[RS_N];
	stats_rsum outcomes[CALL_OUT_COUNT], transfers[CALL_MAX_TIER + 1];
	stats_rsum *requests;        /* [office] */
	rep_ivs *ivs;                /* [queue] */
} rep_acc;

static int rep_acc_init(rep_acc *a, const flow *f, int R)
{
	memset(a, 0, sizeof *a);
	a->R = R;
	a->nq = f->nqueues;
	if (R < 2)
		return 0;
	a->qf = calloc((size_t)R * (size_t)(a->nq + 1), sizeof *a->qf);
	a->contain = calloc((size_t)R, sizeof *a->contain);
	a->requests = calloc((size_t)(f->noffices > 0 ? f->noffices : 1), sizeof *a->requests);
	a->ivs = calloc((size_t)(a->nq > 0 ? a->nq : 1), sizeof *a->ivs);
	return a->qf && a->contain && a->requests && a->ivs ? 0 : -1;
}

static void rep_acc_free(rep_acc *a)
{
	for (int q = 0; a->ivs && q < a->nq; q++)
		free(a->ivs[q].v);
	free(a->ivs);
	free(a->qf);
	free(a->contain);
	free(a->requests);
	memset(a, 0, sizeof *a);
}

/* The cell of queue q's interval starting at `start` (kept in order of
 * start; replications see nearly the same intervals, in order). */
static rep_iv *rep_cell(rep_ivs *v, int64_t start, int agents)
{
	int i = v->n;
	while (i > 0 && v->v[i - 1].start > start)
		i--;
	if (i > 0 && v->v[i - 1].start == start)
		return &v->v[i - 1];
	if (v->n == v->cap) {
		int cap = v->cap ? 2 * v->cap : 64;
		rep_iv *nv = realloc(v->v, (size_t)cap * sizeof *nv);
		if (!nv)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	memmove(&v->v[i + 1], &v->v[i], (size_t)(v->n - i) * sizeof *v->v);
	v->n++;
	memset(&v->v[i], 0, sizeof v->v[i]);
	v->v[i].start = start;
	v->v[i].agents = agents;
	return &v->v[i];
}

static int rep_acc_add(rep_acc *a, const sim_result *r, int rep)
{
	acd_figures all;
	memset(&all, 0, sizeof all);
	for (int q = 0; q < a->nq && q < r->nqueues; q++) {
		queue_figs(&r->queues[q], a->qf[(size_t)rep * (size_t)(a->nq + 1) + (size_t)q]);
		sim_figures_add(&all, &r->queues[q].total);
	}
	sim_queue_result tq = all_queues(r, &all);
	double *tf = a->qf[(size_t)rep * (size_t)(a->nq + 1) + (size_t)a->nq];
	queue_figs(&tq, tf);
	a->contain[rep] = sim_containment(r);
	const int64_t sc[RS_N] = { r->calls, r->arrivals, r->redials, r->unfinished, r->referred };
	for (int k = 0; k < RS_N; k++)
		stats_rsum_add(&a->scal[k], (double)sc[k], 1);
	for (int o = 0; o < CALL_OUT_COUNT; o++)
		stats_rsum_add(&a->outcomes[o], (double)r->outcomes[o], 1);
	for (int t = 0; t <= CALL_MAX_TIER; t++)
		stats_rsum_add(&a->transfers[t], (double)r->transfers[t], 1);
	for (int o = 0; o < r->noffices; o++)
		stats_rsum_add(&a->requests[o], (double)r->requests[o], 1);
	for (int q = 0; q < a->nq && q < r->nqueues; q++) {
		const sim_queue_result *qr = &r->queues[q];
		for (int i = 0; i < qr->nintervals; i++) {
			const acd_figures *iv = &qr->intervals[i];
			if (iv->start >= r->end && iv->offered == 0)
				continue;   /* the drain after the period, with nothing in it */
			rep_iv *c = rep_cell(&a->ivs[q], iv->start, iv->agents);
			if (!c)
				return -1;
			const double cnt[IC_N] = { (double)iv->offered, (double)iv->answered,
			                           (double)iv->abandoned, (double)iv->answered_within,
			                           (double)iv->timed_out };
			for (int k = 0; k < IC_N; k++)
				stats_rsum_add(&c->c[k], cnt[k], 1);
			double ab = (double)(iv->answered + iv->abandoned);
			stats_rsum_add(&c->r[IR_SL], (double)iv->answered_within, ab);
			stats_rsum_add(&c->r[IR_ASA], (double)iv->wait_sum_ms / 1000.0, (double)iv->answered);
			stats_rsum_add(&c->r[IR_WAIT_MEAN], (double)(iv->wait_sum_ms + iv->abandon_wait_sum_ms +
			               iv->timeout_wait_sum_ms) / 1000.0,
			               (double)(iv->answered + iv->abandoned + iv->timed_out));
			stats_rsum_add(&c->r[IR_PWAIT], (double)(iv->offered - iv->found_free),
			               (double)iv->offered);
			stats_rsum_add(&c->r[IR_ABANDON_RATE], (double)iv->abandoned, ab);
			stats_rsum_add(&c->r[IR_AHT], (double)iv->handle_sum_ms / 1000.0, (double)iv->handled);
			stats_rsum_add(&c->r[IR_OCC], (double)iv->busy_ms, (double)iv->staffed_ms);
			if (iv->answered > 0) {
				stats_rsum_add(&c->p[IP_P90], iv_pct(iv, qr->interval_p90_ms, i), 1);
				stats_rsum_add(&c->p[IP_P95], iv_pct(iv, qr->interval_p95_ms, i), 1);
				c->np++;
			}
		}
	}
	return 0;
}

/* Mean and half-width of row `row` (a queue, or nq: all) figure by figure. */
static void rep_queue_ci(const rep_acc *a, int row, double mean[F_N], double hw[F_N])
{
	double *vals = malloc((size_t)a->R * sizeof *vals);
	for (int k = 0; k < F_N; k++) {
		int n = 0;
		for (int rep = 0; vals && rep < a->R; rep++) {
			double v = a->qf[(size_t)rep * (size_t)(a->nq + 1) + (size_t)row][k];
			if (isfinite(v))
				vals[n++] = v;
		}
		stats_ci ci;
		if (n >= 2 && stats_ci_from_values(vals, (size_t)n, &ci) == 0) {
			mean[k] = ci.mean;
			hw[k] = ci.half;
		} else {
			mean[k] = n == 1 ? vals[0] : NAN;
			hw[k] = NAN;
		}
	}
	free(vals);
}

static stats_ci rep_mean(const stats_rsum *s, int R)
{
	stats_ci ci;
	stats_rsum_mean_ci(s, (uint64_t)R, &ci);
	return ci;
}

static stats_ci rep_ratio(const stats_rsum *s, int R)
{
	stats_ci ci;
	stats_rsum_ratio_ci(s, (uint64_t)R, &ci);
	return ci;
}

/* An interval's percentile: the mean of the np replications that have
 * one (undefined when none; no half-width from one). */
static stats_ci rep_pct(const rep_iv *c, int k)
{
	stats_ci ci = { NAN, NAN, NAN, 0 };
	if (c->np > 0)
		stats_rsum_mean_ci(&c->p[k], (uint64_t)c->np, &ci);
	return ci;
}

static stats_ci rep_containment(const rep_acc *a)
{
	double *vals = malloc((size_t)a->R * sizeof *vals);
	int n = 0;
	for (int rep = 0; vals && rep < a->R; rep++)
		if (isfinite(a->contain[rep]))
			vals[n++] = a->contain[rep];
	stats_ci cc = { NAN, NAN, NAN, 0 };
	if (n >= 2)
		stats_ci_from_values(vals, (size_t)n, &cc);
	else if (n == 1)
		cc.mean = vals[0];
	free(vals);
	return cc;
}

static void jset_ci(json_t *o, const char *name, stats_ci ci)
{
	char k[64];
	snprintf(k, sizeof k, "%s_hw", name);
	json_object_set_new(o, name, jnum(ci.mean));
	json_object_set_new(o, k, jnum(ci.half));
}

/* A count map (outcomes, transfers, requests) and its half-widths. */
static void jset_counts(json_t *ivr, const char *name, json_t *m, json_t *mh)
{
	char k[64];
	snprintf(k, sizeof k, "%s_hw", name);
	json_object_set_new(ivr, name, m);
	json_object_set_new(ivr, k, mh);
}

static json_t *reps_json(const rep_acc *a, const flow *f, const sim_result *first, int64_t first_run)
{
	int R = a->R;
	json_t *root = json_object();
	json_object_set_new(root, "run", first_run > 0 ? jint(first_run) : json_null());
	json_object_set_new(root, "replications", json_integer(R));
	json_object_set_new(root, "seed", json_integer((json_int_t)first->seed));
	json_object_set_new(root, "first_run", first_run > 0 ? jint(first_run) : json_null());
	jset_ci(root, "calls", rep_mean(&a->scal[RS_CALLS], R));
	json_object_set_new(root, "calls_total", jint((int64_t)llround(a->scal[RS_CALLS].a)));
	jset_ci(root, "placed", rep_mean(&a->scal[RS_PLACED], R));
	jset_ci(root, "redials", rep_mean(&a->scal[RS_REDIALS], R));
	jset_ci(root, "unfinished", rep_mean(&a->scal[RS_UNFINISHED], R));
	json_object_set_new(root, "sl_threshold", json_real((double)first->sl_ms / 1000.0));
	json_t *qs = json_object();
	for (int q = 0; q < a->nq; q++) {
		double mean[F_N], hw[F_N];
		rep_queue_ci(a, q, mean, hw);
		json_t *qo = queue_json(mean, hw);
		json_object_set_new(qo, "tier", json_integer(first->queues[q].tier));
		json_object_set_new(qs, first->queues[q].name, qo);
	}
	json_object_set_new(root, "queues", qs);
	double tm[F_N], th[F_N];
	rep_queue_ci(a, a->nq, tm, th);
	json_object_set_new(root, "total", queue_json(tm, th));

	json_t *ivr = json_object();
	jset_ci(ivr, "containment", rep_containment(a));
	json_t *m = json_object(), *mh = json_object();
	for (int o = 1; o < CALL_OUT_COUNT; o++)
		if (a->outcomes[o].a > 0) {
			stats_ci ci = rep_mean(&a->outcomes[o], R);
			json_object_set_new(m, call_outcome_name((call_outcome)o), jnum(ci.mean));
			json_object_set_new(mh, call_outcome_name((call_outcome)o), jnum(ci.half));
		}
	jset_counts(ivr, "outcomes", m, mh);
	m = json_object();
	mh = json_object();
	for (int t = 1; t <= CALL_MAX_TIER; t++)
		if (a->transfers[t].a > 0) {
			char k[16];
			snprintf(k, sizeof k, "tier%d", t);
			stats_ci ci = rep_mean(&a->transfers[t], R);
			json_object_set_new(m, k, jnum(ci.mean));
			json_object_set_new(mh, k, jnum(ci.half));
		}
	jset_counts(ivr, "transfers", m, mh);
	m = json_object();
	mh = json_object();
	for (int o = 0; o < f->noffices; o++)
		if (a->requests[o].a > 0) {
			stats_ci ci = rep_mean(&a->requests[o], R);
			json_object_set_new(m, f->offices[o].name, jnum(ci.mean));
			json_object_set_new(mh, f->offices[o].name, jnum(ci.half));
		}
	jset_counts(ivr, "requests", m, mh);
	jset_ci(ivr, "referred", rep_mean(&a->scal[RS_REFERRED], R));
	json_object_set_new(root, "ivr", ivr);

	json_t *ivs = json_array();
	for (int q = 0; q < a->nq; q++) {
		for (int i = 0; i < a->ivs[q].n; i++) {
			const rep_iv *c = &a->ivs[q].v[i];
			char ts[32];
			util_fmt_local(c->start, false, ts, sizeof ts);
			json_t *o = json_object();
			json_object_set_new(o, "queue", json_string(first->queues[q].name));
			json_object_set_new(o, "start", json_string(ts));
			for (int k = 0; k < IC_N; k++)
				jset_ci(o, ic_names[k], rep_mean(&c->c[k], R));
			for (int k = 0; k < IR_N; k++) {
				jset_ci(o, ir_names[k], rep_ratio(&c->r[k], R));
				if (k == IR_WAIT_MEAN)   /* where a single run has them */
					for (int j = 0; j < IP_N; j++)
						jset_ci(o, ip_names[j], rep_pct(c, j));
			}
			json_object_set_new(o, "agents", json_integer(c->agents));
			json_array_append_new(ivs, o);
		}
	}
	json_object_set_new(root, "intervals", ivs);
	return root;
}

static void fmt_pm(char *b, size_t n, stats_ci ci, bool pct, int prec)
{
	double k = pct ? 100.0 : 1.0;
	const char *u = pct ? "%" : "";
	if (!isfinite(ci.mean))
		snprintf(b, n, "-");
	else if (!isfinite(ci.half))
		snprintf(b, n, "%.*f%s", prec, ci.mean * k, u);
	else
		snprintf(b, n, "%.*f%s ± %.*f%s", prec, ci.mean * k, u, prec, ci.half * k, u);
}

static void print_pm_list(const char *label, const stats_rsum *v, int n, int R,
                          const char *(*name)(const flow *, int), const flow *f)
{
	printf("%s:", label);
	const char *sep = " ";
	for (int i = 0; i < n; i++)
		if (v[i].a > 0) {
			char b[64];
			fmt_pm(b, sizeof b, rep_mean(&v[i], R), false, 1);
			printf("%s%s %s", sep, name(f, i), b);
			sep = ", ";
		}
	printf("%s\n", sep[0] == ' ' ? " none" : "");
}

static const char *outcome_label(const flow *f, int i)
{
	(void)f;
	return call_outcome_name((call_outcome)i);
}

static const char *tier_label(const flow *f, int i)
{
	(void)f;
	static const char *const t[] = { "tier0", "tier1", "tier2", "tier3", "tier4", "tier5",
	                                 "tier6", "tier7", "tier8", "tier9" };
	return i >= 0 && i < (int)(sizeof t / sizeof *t) ? t[i] : "tier?";
}

static const char *office_label(const flow *f, int i)
{
	return f->offices[i].name;
}

static void reps_human(const sim_cli *c, const rep_acc *a, const flow *f, const scenario *s,
                       const sim_result *first, int64_t first_run, bool stored)
{
	int R = a->R;
	char t0[32], t1[32], b[64], b2[64], b3[64], b4[64];
	util_fmt_local(first->start, false, t0, sizeof t0);
	util_fmt_local(first->end, false, t1, sizeof t1);
	printf("tierline simulate: %s with %s (seed %" PRIu64 "), %d replications (mean ± 95%% half-width)\n",
	       c->flow_path, c->scen_path, first->seed, R);
	printf("period %s to %s, interval %s, service level = answered within %gs / (answered + abandoned)\n",
	       t0, t1, fmt_interval(b, sizeof b, s->interval_ms), (double)first->sl_ms / 1000.0);
	fmt_pm(b, sizeof b, rep_mean(&a->scal[RS_CALLS], R), false, 1);
	fmt_pm(b2, sizeof b2, rep_mean(&a->scal[RS_PLACED], R), false, 1);
	fmt_pm(b3, sizeof b3, rep_mean(&a->scal[RS_REDIALS], R), false, 1);
	fmt_pm(b4, sizeof b4, rep_mean(&a->scal[RS_UNFINISHED], R), false, 1);
	printf("calls %s a replication, %.0f in all (placed %s, redials %s, still running at the end %s)\n\n",
	       b, a->scal[RS_CALLS].a, b2, b3, b4);
	printf("%s", queue_header);
	for (int q = 0; q < a->nq; q++) {
		double mean[F_N], hw[F_N];
		rep_queue_ci(a, q, mean, hw);
		print_queue_row(stdout, first->queues[q].name, first->queues[q].tier, mean, hw);
	}
	if (a->nq > 1) {
		double mean[F_N], hw[F_N];
		rep_queue_ci(a, a->nq, mean, hw);
		print_queue_row(stdout, "(all)", 0, mean, hw);
	}
	fmt_pm(b, sizeof b, rep_containment(a), true, 1);
	printf("\nIVR: containment %s (self-service / calls)\n", b);
	print_pm_list("outcomes", a->outcomes, CALL_OUT_COUNT, R, outcome_label, f);
	print_pm_list("transfers", a->transfers, CALL_MAX_TIER + 1, R, tier_label, f);
	print_pm_list("service requests", a->requests, f->noffices, R, office_label, f);
	if (a->scal[RS_REFERRED].a > 0) {
		fmt_pm(b, sizeof b, rep_mean(&a->scal[RS_REFERRED], R), false, 1);
		printf("referred requests: %s\n", b);
	}
	for (int q = 0; q < a->nq; q++) {
		if (a->ivs[q].n == 0)
			continue;
		printf("\n%s by interval (mean ± 95%% half-width; ratios of the pooled counts):\n",
		       first->queues[q].name);
		/* each figure below holds a two-byte "±" that shows as one column */
		printf("  %-16s %15s %14s %15s %15s %15s %14s %15s %7s %15s\n", "start", "offered",
		       "SL", "ASA", "p90", "p95", "abandn", "AHT", "agents", "occ");
		for (int i = 0; i < a->ivs[q].n; i++) {
			const rep_iv *cv = &a->ivs[q].v[i];
			char st[32], off[40], sl[40], asa[40], p90[40], p95[40], ab[40], aht[40], occ[40];
			util_fmt_local(cv->start, false, st, sizeof st);
			fmt_pm(off, sizeof off, rep_mean(&cv->c[IC_OFFERED], R), false, 1);
			fmt_pm(sl, sizeof sl, rep_ratio(&cv->r[IR_SL], R), true, 1);
			fmt_pm(asa, sizeof asa, rep_ratio(&cv->r[IR_ASA], R), false, 1);
			fmt_pm(p90, sizeof p90, rep_pct(cv, IP_P90), false, 1);
			fmt_pm(p95, sizeof p95, rep_pct(cv, IP_P95), false, 1);
			fmt_pm(ab, sizeof ab, rep_ratio(&cv->r[IR_ABANDON_RATE], R), true, 1);
			fmt_pm(aht, sizeof aht, rep_ratio(&cv->r[IR_AHT], R), false, 1);
			fmt_pm(occ, sizeof occ, rep_ratio(&cv->r[IR_OCC], R), true, 1);
			printf("  %-16s %16s %15s %16s %16s %16s %15s %16s %7d %16s\n", st, off, sl, asa, p90,
			       p95, ab, aht, cv->agents, occ);
		}
	}
	if (stored)
		printf("\nruns %" PRId64 "..%" PRId64 " stored in %s\n", first_run, first_run + R - 1,
		       c->db_path);
}

int cmd_simulate(int argc, char **argv)
{
	sim_cli c;
	int st = parse_args(argc, argv, &c);
	if (st != 0)
		return st < 0 ? 0 : st;

	flow *f = NULL;
	scenario *s = NULL;
	int rc = cli_load_flow_scenario(c.flow_path, c.scen_path, &f, &s);
	if (rc != 0)
		return rc;
	store *db = NULL;

	char err[512];
	if (!c.no_db && store_open(c.db_path, &db, err, sizeof err) != 0) {
		fprintf(stderr, "tierline simulate: %s\n", err);
		scen_free(s);
		flow_free(f);
		return 2;
	}
	/* The progress line goes to stderr, so it never mixes with the table
	 * or the JSON on stdout: it depends only on stderr being a terminal. */
	c.progress = isatty(STDERR_FILENO);
	c.t0 = now_s();

	int R = c.replications;
	rep_acc acc;
	int status = 0;
	if (rep_acc_init(&acc, f, R) != 0) {
		fprintf(stderr, "tierline simulate: out of memory\n");
		scen_free(s);
		flow_free(f);
		store_close(db);
		return 2;
	}
	sim_result *first = NULL;
	int64_t first_run = 0;
	char sha[65] = "";
	if (db)    /* stored with the run only; 0.8 M instructions for uscis.flow */
		store_sha256_file(c.flow_path, sha);
	char opts[256];
	snprintf(opts, sizeof opts, "{\"calls\": %" PRId64 ", \"replications\": %d, \"sl_ms\": %" PRId64 "}",
	         c.calls, R, c.sl_ms);
	for (int rep = 0; rep < R && status == 0; rep++) {
		sim_options o;
		memset(&o, 0, sizeof o);
		o.seed = c.seed;
		o.has_seed = c.has_seed;
		o.replication = (uint64_t)rep;
		o.calls = c.calls;
		o.sl_ms = c.sl_ms;
		c.rep = rep;
		c.reps = R;
		if (c.progress) {
			o.progress = progress_cb;
			o.progress_ctx = &c;
		}
		int64_t run_id = 0;
		if (db) {
			rec_run rr;
			memset(&rr, 0, sizeof rr);
			rr.mode = "simulate";
			rr.flow_path = c.flow_path;
			rr.flow_sha256 = sha;
			rr.timezone = f->timezone;
			rr.scenario = c.scen_path;
			rr.seed = c.has_seed ? c.seed : s->seed;
			rr.options = opts;
			rr.sim_start = s->start + s->warmup_ms;   /* counted period, as the ACD */
			rr.sim_end = s->start + s->length_ms;
			rr.sl_threshold_ms = c.sl_ms;
			rr.interval_ms = s->interval_ms;
			if (store_run_begin(db, &rr, &run_id) != 0) {
				fprintf(stderr, "tierline simulate: %s\n", store_errmsg(db));
				status = 2;
				break;
			}
			o.db = db;
			o.run_id = run_id;
		}
		sim_result *r = NULL;
		if (sim_run(f, s, &o, &r, err, sizeof err) != 0) {
			fprintf(stderr, "%stierline simulate: %s\n", c.progress ? "\n" : "", err);
			status = 2;
			break;
		}
		if (db) {
			if (sim_store_intervals(db, run_id, r, s->interval_ms) != 0 ||
			    store_run_finish(db, run_id, true) != 0) {
				fprintf(stderr, "tierline simulate: %s\n", store_errmsg(db));
				status = 2;
			}
		}
		if (R > 1 && rep_acc_add(&acc, r, rep) != 0) {
			fprintf(stderr, "tierline simulate: out of memory\n");
			status = 2;
		}
		if (!first) {
			first = r;
			first_run = run_id;
		} else {
			sim_result_free(r);
		}
	}
	if (c.progress && now_s() - c.t0 >= 1.0)
		fprintf(stderr, "\r%78s\r", "");

	if (status == 0 && first) {
		if (c.json) {
			json_t *j = R == 1 ? run_json(f, first, first_run)
			                   : reps_json(&acc, f, first, first_run);
			status = cli_print_json("simulate", j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			                                       JSON_REAL_PRECISION(6));
			json_decref(j);
		} else if (R == 1) {
			print_human(&c, f, s, first, first_run);
		} else {
			reps_human(&c, &acc, f, s, first, first_run, db != NULL);
		}
	}
	rep_acc_free(&acc);
	if (status == 0 && c.report) {
		if (!db) {
			fprintf(stderr, "tierline simulate: --report needs the records (drop --no-db)\n");
			status = 2;
		} else {
			store_close(db);
			db = NULL;
			char runbuf[32];
			snprintf(runbuf, sizeof runbuf, "%" PRId64, first_run);
			char *rargv[] = { "report", (char *)c.db_path, "--run", runbuf, "--html",
			                  (char *)c.report, NULL };
			FILE *saved = stdout;
			(void)saved;
			int rs = cmd_report(6, rargv);
			if (rs != 0)
				status = rs;
		}
	}
	sim_result_free(first);
	if (db && store_close(db) != 0 && status == 0)
		status = 2;
	scen_free(s);
	flow_free(f);
	return status;
}
