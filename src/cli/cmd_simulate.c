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
} sim_cli;

/* Figures of one queue, the unit that replications average. */
enum { F_OFFERED, F_ANSWERED, F_ABANDONED, F_TIMED_OUT, F_SL, F_ASA, F_P90, F_P95,
       F_PWAIT, F_ABANDON_RATE, F_AHT, F_OCC, F_MEAN_WAIT, F_N };
static const char *const fig_names[F_N] = {
	"offered", "answered", "abandoned", "timed_out", "service_level", "asa",
	"wait_p90", "wait_p95", "p_wait", "abandon_rate", "aht", "occupancy", "wait_mean"
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
	if (el < 1.0)
		return;
	fprintf(stderr, "\rsimulating: %5.1f%%  (%.1f s)", done * 100.0, el);
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
	c->replications = 1;
	c->sl_ms = 20000;
	optind = 1;
	opterr = 0;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c->db_path = optarg; break;
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
			c->calls = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end || c->calls <= 0) {
				fprintf(stderr, "tierline simulate: --calls: '%s' is not a positive whole number\n", optarg);
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
			cli_usage(stdout, "simulate");
			return -1;
		default:
			fprintf(stderr, "tierline simulate: unknown or incomplete option '%s'\n", argv[optind - 1]);
			cli_usage(stderr, "simulate");
			return 2;
		}
	}
	if (c->no_db && c->db_path && strcmp(c->db_path, "tierline.db") != 0) {
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

static void print_queue_row(FILE *out, const char *name, int tier, const double f[F_N],
                            const double hw[F_N])
{
	char sl[16], asa[16], p90[16], p95[16], pw[16], ab[16], aht[16], occ[16];
	fmt_pct(sl, sizeof sl, f[F_SL]);
	fmt_s(asa, sizeof asa, f[F_ASA]);
	fmt_s(p90, sizeof p90, f[F_P90]);
	fmt_s(p95, sizeof p95, f[F_P95]);
	fmt_pct(pw, sizeof pw, f[F_PWAIT]);
	fmt_pct(ab, sizeof ab, f[F_ABANDON_RATE]);
	fmt_s(aht, sizeof aht, f[F_AHT]);
	fmt_pct(occ, sizeof occ, f[F_OCC]);
	fprintf(out, "%-18s %4d %8.0f %8.0f %8.0f %7s %7s %7s %7s %7s %7s %7s %6s\n",
	        name, tier, f[F_OFFERED], f[F_ANSWERED], f[F_ABANDONED], sl, asa, p90, p95,
	        pw, ab, aht, occ);
	if (hw) {
		char a[16], b[16], d[16], e[16];
		fmt_pct(a, sizeof a, hw[F_SL]);
		fmt_s(b, sizeof b, hw[F_ASA]);
		fmt_pct(d, sizeof d, hw[F_ABANDON_RATE]);
		fmt_pct(e, sizeof e, hw[F_OCC]);
		fprintf(out, "%-18s %4s %8.0f %8.0f %8.0f %7s %7s %7s %7s %7s %7s %7s %6s\n",
		        "  ± 95%", "", hw[F_OFFERED], hw[F_ANSWERED], hw[F_ABANDONED], a, b,
		        "", "", "", d, "", e);
	}
}

static const char *const queue_header =
	"queue              tier  offered answered abandon      SL     ASA     p90     p95  p_wait  abandn     AHT    occ\n";

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
	printf("period %s to %s, interval %" PRId64 " min, service level = answered within %gs / (answered + abandoned)\n",
	       a, b, s->interval_ms / 60000, (double)r->sl_ms / 1000.0);
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
		/* All queues pooled (counts added, never ratios averaged); the
		 * percentiles of the pooled waits are in `report`. */
		sim_queue_result tq = { "(all)", 0, all, 0, 0, 0, NULL };
		double fg[F_N];
		queue_figs(&tq, fg);
		fg[F_P90] = fg[F_P95] = NAN;
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
		printf("\n%s by interval:\n  start              offered answered abandon      SL     ASA  agents    occ\n",
		       qr->name);
		for (int i = 0; i < qr->nintervals; i++) {
			const acd_figures *iv = &qr->intervals[i];
			if (iv->start >= r->end && iv->offered == 0)
				continue;   /* the drain after the period, with nothing in it */
			char st[32], sl[16], asa[16], occ[16];
			util_fmt_local(iv->start, false, st, sizeof st);
			fmt_pct(sl, sizeof sl, sim_service_level(iv));
			fmt_s(asa, sizeof asa, sim_asa_s(iv));
			fmt_pct(occ, sizeof occ, sim_occupancy(iv));
			printf("  %-18s %7" PRId64 " %8" PRId64 " %7" PRId64 " %7s %7s %7d %6s\n",
			       st, iv->offered, iv->answered, iv->abandoned, sl, asa, iv->agents, occ);
		}
	}
}

static json_t *queue_json(const double f[F_N], const double *hw)
{
	json_t *o = json_object();
	for (int i = 0; i < F_N; i++) {
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
	sim_queue_result tq = { "(all)", 0, all, 0, 0, 0, NULL };
	double tf[F_N];
	queue_figs(&tq, tf);
	tf[F_P90] = tf[F_P95] = NAN;   /* percentiles of pooled waits: see report */
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
		fprintf(stderr, "tierline simulate: %s: %s\n", c.db_path, err);
		scen_free(s);
		flow_free(f);
		return 2;
	}
	c.progress = isatty(STDERR_FILENO) && !c.json;
	c.t0 = now_s();

	int R = c.replications;
	double (*qf)[F_N] = calloc((size_t)R * (size_t)(f->nqueues ? f->nqueues : 1), sizeof *qf);
	double *contain = calloc((size_t)R, sizeof *contain);
	int64_t calls_total = 0;
	sim_result *first = NULL;
	int64_t first_run = 0;
	int status = 0;
	char sha[65] = "";
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
				fprintf(stderr, "tierline simulate: %s: %s\n", c.db_path, store_errmsg(db));
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
				fprintf(stderr, "tierline simulate: %s: %s\n", c.db_path, store_errmsg(db));
				status = 2;
			}
		}
		for (int q = 0; q < r->nqueues; q++)
			queue_figs(&r->queues[q], qf[(size_t)rep * (size_t)f->nqueues + (size_t)q]);
		contain[rep] = sim_containment(r);
		calls_total += r->calls;
		if (!first) {
			first = r;
			first_run = run_id;
		} else {
			/* Replications pool into the first: counts add up, and
			 * per-interval ratios come from the pooled counts. */
			sim_result_pool(first, r);
			sim_result_free(r);
		}
	}
	if (c.progress && now_s() - c.t0 >= 1.0)
		fprintf(stderr, "\r%60s\r", "");

	if (status == 0 && first) {
		if (R == 1) {
			if (c.json) {
				json_t *j = run_json(f, first, first_run);
				json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
				fputc('\n', stdout);
				json_decref(j);
			} else {
				print_human(&c, f, s, first, first_run);
			}
		} else {
			/* Means and 95% half-widths over replications. */
			double *vals = calloc((size_t)R, sizeof *vals);
			json_t *root = json_object(), *qs = json_object();
			if (!c.json) {
				printf("tierline simulate: %s with %s, %d replications (mean ± 95%% half-width)\n\n%s",
				       c.flow_path, c.scen_path, R, queue_header);
			}
			for (int q = 0; q < f->nqueues; q++) {
				double mean[F_N], hw[F_N];
				for (int k = 0; k < F_N; k++) {
					int n = 0;
					for (int rep = 0; rep < R; rep++) {
						double v = qf[(size_t)rep * (size_t)f->nqueues + (size_t)q][k];
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
				if (c.json)
					json_object_set_new(qs, first->queues[q].name, queue_json(mean, hw));
				else
					print_queue_row(stdout, first->queues[q].name, first->queues[q].tier, mean, hw);
			}
			stats_ci cc;
			int n = 0;
			for (int rep = 0; rep < R; rep++)
				if (isfinite(contain[rep]))
					vals[n++] = contain[rep];
			bool okc = n >= 2 && stats_ci_from_values(vals, (size_t)n, &cc) == 0;
			if (c.json) {
				json_object_set_new(root, "run", first_run > 0 ? jint(first_run) : json_null());
				json_object_set_new(root, "replications", json_integer(R));
				json_object_set_new(root, "seed", json_integer((json_int_t)first->seed));
				json_object_set_new(root, "first_run", first_run > 0 ? jint(first_run) : json_null());
				json_object_set_new(root, "calls", json_real((double)calls_total / R));
				json_object_set_new(root, "calls_total", jint(calls_total));
				json_object_set_new(root, "queues", qs);
				json_t *ivr = json_object();
				json_object_set_new(ivr, "containment", okc ? jnum(cc.mean) : json_null());
				json_object_set_new(ivr, "containment_hw", okc ? jnum(cc.half) : json_null());
				json_t *oc = json_object(), *rq = json_object(), *tr = json_object();
				for (int o = 1; o < CALL_OUT_COUNT; o++)
					if (first->outcomes[o])
						json_object_set_new(oc, call_outcome_name((call_outcome)o),
						                    json_real((double)first->outcomes[o] / R));
				for (int t = 1; t <= CALL_MAX_TIER; t++)
					if (first->transfers[t]) {
						char k[16];
						snprintf(k, sizeof k, "tier%d", t);
						json_object_set_new(tr, k, json_real((double)first->transfers[t] / R));
					}
				for (int o = 0; o < first->noffices; o++)
					if (first->requests[o])
						json_object_set_new(rq, f->offices[o].name,
						                    json_real((double)first->requests[o] / R));
				json_object_set_new(ivr, "outcomes", oc);
				json_object_set_new(ivr, "transfers", tr);
				json_object_set_new(ivr, "requests", rq);
				json_object_set_new(root, "ivr", ivr);
				/* Intervals: counts are means per replication, ratios
				 * come from the pooled counts. */
				json_t *ivs = json_array();
				for (int q = 0; q < first->nqueues; q++) {
					const sim_queue_result *qr = &first->queues[q];
					for (int i = 0; i < qr->nintervals; i++) {
						const acd_figures *iv = &qr->intervals[i];
						if (iv->start >= first->end && iv->offered == 0)
							continue;
						char ts[32];
						util_fmt_local(iv->start, false, ts, sizeof ts);
						json_t *o = json_object();
						json_object_set_new(o, "queue", json_string(qr->name));
						json_object_set_new(o, "start", json_string(ts));
						json_object_set_new(o, "offered", json_real((double)iv->offered / R));
						json_object_set_new(o, "answered", json_real((double)iv->answered / R));
						json_object_set_new(o, "abandoned", json_real((double)iv->abandoned / R));
						json_object_set_new(o, "service_level", jnum(sim_service_level(iv)));
						json_object_set_new(o, "asa", jnum(sim_asa_s(iv)));
						json_object_set_new(o, "abandon_rate", jnum(sim_abandon_rate(iv)));
						json_object_set_new(o, "agents", json_integer(iv->agents));
						json_object_set_new(o, "occupancy", jnum(sim_occupancy(iv)));
						json_array_append_new(ivs, o);
					}
				}
				json_object_set_new(root, "intervals", ivs);
				json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
				fputc('\n', stdout);
			} else {
				printf("\ncalls %.1f a replication (%" PRId64 " in all)\n", (double)calls_total / R,
				       calls_total);
				if (okc)
					printf("IVR containment %.2f%% ± %.2f%%\n", cc.mean * 100, cc.half * 100);
				if (db)
					printf("runs %" PRId64 "..%" PRId64 " stored in %s\n", first_run,
					       first_run + R - 1, c.db_path);
			}
			json_decref(root);
			free(vals);
		}
	}
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
	free(qf);
	free(contain);
	if (db && store_close(db) != 0 && status == 0)
		status = 2;
	scen_free(s);
	flow_free(f);
	return status;
}
