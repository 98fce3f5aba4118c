/*
 * cmd_report.c — `tierline report`: the figures of a stored run, side by
 * side comparisons, a self-contained HTML page, and exports.
 *
 *   tierline report DB [--run ID] [--json] [--compare ID1 ID2]
 *                   [--html out.html] [--target 80%] [--queue-log FILE]
 *                   [--cdr FILE] [--csv DIR]
 *
 * Without --run the latest run is used (a warning says so when it is still
 * incomplete).  Every figure comes from store_figures() (SQL over the
 * database; store.h defines each one).  Exit status: 0 done; 2 bad usage, a
 * database that cannot be read, no such run, or an export that cannot be
 * written.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "tierline/store.h"
#include "tierline/util.h"

#define ERR(...) do { fprintf(stderr, "tierline report: " __VA_ARGS__); fputc('\n', stderr); } while (0)

typedef struct ropts {
	const char *db;
	int64_t run, cmp_a, cmp_b;
	bool json, compare;
	const char *html, *qlog, *cdr, *csv;
	double target;
} ropts;

static int parse_id(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end || end == s || x <= 0)
		return -1;
	*v = x;
	return 0;
}

static int parse_args(int argc, char **argv, ropts *o)
{
	memset(o, 0, sizeof *o);
	o->target = 0.8;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED() do { if (!v) { ERR("%s needs a value", a); return 2; } i++; } while (0)
		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--run") == 0) {
			NEED();
			if (parse_id(v, &o->run)) { ERR("--run: '%s' is not a run id", v); return 2; }
		} else if (strcmp(a, "--compare") == 0) {
			if (i + 2 >= argc || parse_id(argv[i + 1], &o->cmp_a) ||
			    parse_id(argv[i + 2], &o->cmp_b)) {
				ERR("--compare needs two run ids");
				return 2;
			}
			o->compare = true;
			i += 2;
		} else if (strcmp(a, "--html") == 0) {
			NEED(); o->html = v;
		} else if (strcmp(a, "--queue-log") == 0) {
			NEED(); o->qlog = v;
		} else if (strcmp(a, "--cdr") == 0) {
			NEED(); o->cdr = v;
		} else if (strcmp(a, "--csv") == 0) {
			NEED(); o->csv = v;
		} else if (strcmp(a, "--target") == 0) {
			NEED();
			char *end;
			double t = strtod(v, &end);
			if (end == v || (*end && strcmp(end, "%") != 0) || t <= 0 || t > 100) {
				ERR("--target: '%s' is not a percentage like 80%%", v);
				return 2;
			}
			o->target = t / 100.0;
		} else if (a[0] == '-' && a[1]) {
			ERR("unknown option '%s'", a);
			return 2;
		} else if (!o->db) {
			o->db = a;
		} else {
			ERR("unexpected argument '%s'", a);
			return 2;
		}
#undef NEED
	}
	if (!o->db) {
		ERR("no database given");
		cli_usage(stderr, "report");
		return 2;
	}
	if (o->compare && o->run) {
		ERR("--run and --compare do not go together");
		return 2;
	}
	return 0;
}

/* ---- text ---------------------------------------------------------------- */

static void fmt_t(int64_t ms, char *out, size_t n)
{
	util_fmt_local(ms, false, out, n);
}

static void print_run_head(FILE *out, const store_run_info *ri)
{
	fprintf(out, "run %lld: %s %s, seed %llu, %lld calls stored, %s\n", (long long)ri->id,
	        ri->mode, ri->flow_path[0] ? ri->flow_path : "(no flow)",
	        (unsigned long long)ri->seed, (long long)ri->ncalls,
	        ri->complete ? "complete" : "INCOMPLETE (the writer stopped before finishing)");
	if (ri->scenario[0])
		fprintf(out, "  scenario %s\n", ri->scenario);
	fprintf(out, "  started %s UTC%s%s%s, service level threshold %.0fs, interval %lldm\n",
	        ri->started, ri->finished[0] ? ", finished " : "", ri->finished,
	        ri->finished[0] ? " UTC" : "", (double)ri->sl_threshold_ms / 1000.0, (long long)(ri->interval_ms / 60000));
}

/* "12.3%" / "4.5s", or "-" when the figure is undefined (den == 0). */
static const char *fig(char *b, size_t n, double v, int64_t den, bool pct, const char *fmt)
{
	if (den <= 0 || !isfinite(v))
		return "-";
	snprintf(b, n, fmt, pct ? 100 * v : v);
	return b;
}

/* A queue's (or an interval's) ratio figures, in the order of the JSON,
 * each with the count it is a ratio of: undefined ("-" in the tables, null
 * in JSON) when that count is 0, as for a queue nobody reached, where 0.0%
 * service level would read as a failure.  The tables leave out wait_mean
 * (label NULL). */
enum { QF_SL, QF_ASA, QF_WAIT_MEAN, QF_P90, QF_P95, QF_P_WAIT, QF_ABANDON, QF_AHT, QF_OCC, QF_N };
enum { QF_SHOWN = QF_N - 1 };   /* in the tables: all but wait_mean */

static const struct {
	const char *key;        /* JSON */
	const char *label;      /* --compare */
	bool pct;               /* a share, shown as % (else seconds) */
} qf_def[QF_N] = {
	{ "service_level", "service level", true }, { "asa", "ASA", false },
	{ "wait_mean", NULL, false }, { "wait_p90", "wait p90", false },
	{ "wait_p95", "wait p95", false }, { "p_wait", "p_wait", true },
	{ "abandon_rate", "abandon rate", true }, { "aht", "AHT", false },
	{ "occupancy", "occupancy", true },
};

typedef struct qf { double v; int64_t den; } qf;

static void qf_values(const store_qfig *q, qf f[QF_N])
{
	int64_t settled = q->answered + q->abandoned;
	const qf all[QF_N] = {
		[QF_SL] = { q->service_level, settled }, [QF_ASA] = { q->asa, q->answered },
		[QF_WAIT_MEAN] = { q->wait_mean, q->left_n }, [QF_P90] = { q->wait_p90, q->answered },
		[QF_P95] = { q->wait_p95, q->answered }, [QF_P_WAIT] = { q->p_wait, q->offered },
		[QF_ABANDON] = { q->abandon_rate, settled }, [QF_AHT] = { q->aht, q->answered },
		[QF_OCC] = { q->occupancy, q->staffed_ms },
	};
	memcpy(f, all, sizeof all);
}

/* A queue row's figures as text in table order (SL, ASA, p90, p95, p_wait,
 * abandon rate, AHT, occupancy), "-" where undefined.  spaced: "4.5 s"
 * (HTML) rather than "4.5s" (the text table). */
static void qfigs(const store_qfig *q, bool spaced, char b[QF_SHOWN][24],
                  const char *v[QF_SHOWN])
{
	qf x[QF_N];
	qf_values(q, x);
	const char *s1 = spaced ? "%.1f s" : "%.1fs", *s0 = spaced ? "%.0f s" : "%.0fs";
	for (int k = 0, i = 0; k < QF_N; k++) {
		if (!qf_def[k].label)
			continue;
		assert(i < QF_SHOWN);     /* a new labelled figure: grow QF_SHOWN */
		const char *fmt = qf_def[k].pct ? "%.1f%%" : k == QF_AHT ? s0 : s1;
		v[i] = fig(b[i], 24, x[k].v, x[k].den, qf_def[k].pct, fmt);
		i++;
	}
}

static void qrow(FILE *out, int w, const char *name, const store_qfig *q)
{
	char b[QF_SHOWN][24];
	const char *v[QF_SHOWN];
	qfigs(q, false, b, v);
	fprintf(out, "%-*s %8lld %8lld %9lld %7lld %7s %8s %7s %7s %7s %7s %7s %7s\n",
	        w, name, (long long)q->offered, (long long)q->answered, (long long)q->abandoned,
	        (long long)q->timed_out, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
}

static void print_counts(FILE *out, const char *title, const store_count *c, int n)
{
	fprintf(out, "%s:", title);
	if (!n)
		fputs(" none", out);
	for (int i = 0; i < n; i++)
		fprintf(out, "%s %s %lld", i ? "," : "", c[i].name[0] ? c[i].name : "(none)",
		        (long long)c[i].n);
	fputc('\n', out);
}

static void print_text(FILE *out, const store_run_info *ri, const store_figs *f)
{
	print_run_head(out, ri);
	fputc('\n', out);
	/* The name column fits the longest queue name (adoptions_queue). */
	int w = 12;
	for (int i = 0; i < f->nqueues; i++)
		if ((int)strlen(f->queues[i].queue) > w)
			w = (int)strlen(f->queues[i].queue);
	fprintf(out, "%-*s %8s %8s %9s %7s %7s %8s %7s %7s %7s %7s %7s %7s\n", w, "queue", "offered",
	        "answered", "abandoned", "timeout", "SL", "ASA", "p90", "p95", "p_wait", "aband",
	        "AHT", "occ");
	for (int i = 0; i < f->nqueues; i++)
		qrow(out, w, f->queues[i].queue, &f->queues[i]);
	if (f->nqueues != 1)
		qrow(out, w, "(all)", &f->total);
	fprintf(out, "\nIVR: %lld counted calls, containment %.1f%% (%lld self-service)\n",
	        (long long)f->calls, 100 * f->containment, (long long)f->contained);
	print_counts(out, "outcomes", f->outcomes, f->noutcomes);
	print_counts(out, "transfers", f->transfers, f->ntransfers);
	print_counts(out, "requests", f->requests, f->nrequests);
	if (!f->nintervals)
		return;
	fprintf(out, "\n%-*s %-16s %8s %8s %9s %7s %8s %7s %7s %7s %7s\n", w, "queue", "interval",
	        "offered", "answered", "abandoned", "SL", "ASA", "p90", "p95", "agents", "occ");
	for (int i = 0; i < f->nintervals; i++) {
		const store_qfig *q = &f->intervals[i];
		char t[32];
		fmt_t(q->start, t, sizeof t);
		char b[QF_SHOWN][24];
		const char *v[QF_SHOWN];
		qfigs(q, false, b, v);
		fprintf(out, "%-*s %-16s %8lld %8lld %9lld %7s %8s %7s %7s %7lld %7s\n", w, q->queue, t,
		        (long long)q->offered, (long long)q->answered, (long long)q->abandoned,
		        v[0], v[1], v[2], v[3], (long long)q->agents, v[7]);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

/* A ratio whose denominator is empty is undefined: null, not 0 (a queue
 * nobody reached has no service level, and simulate prints null too). */
static json_t *ratio_json(double v, int64_t den)
{
	return den > 0 && isfinite(v) ? json_real(v) : json_null();
}

static json_t *qjson(const store_qfig *q)
{
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I}",
	                      "offered", (json_int_t)q->offered, "answered", (json_int_t)q->answered,
	                      "abandoned", (json_int_t)q->abandoned, "timed_out", (json_int_t)q->timed_out,
	                      "answered_within", (json_int_t)q->answered_within);
	qf x[QF_N];
	qf_values(q, x);
	for (int k = 0; k < QF_N; k++)
		json_object_set_new(o, qf_def[k].key, ratio_json(x[k].v, x[k].den));
	json_object_set_new(o, "agents", json_integer((json_int_t)q->agents));
	return o;
}

static json_t *counts_json(const store_count *c, int n)
{
	json_t *o = json_object();
	for (int i = 0; i < n; i++)
		json_object_set_new(o, c[i].name, json_integer(c[i].n));
	return o;
}

static json_t *figs_json(const store_run_info *ri, const store_figs *f)
{
	json_t *queues = json_object();
	for (int i = 0; i < f->nqueues; i++)
		json_object_set_new(queues, f->queues[i].queue, qjson(&f->queues[i]));
	json_t *ivs = json_array();
	for (int i = 0; i < f->nintervals; i++) {
		char t[32];
		fmt_t(f->intervals[i].start, t, sizeof t);
		json_t *o = qjson(&f->intervals[i]);
		json_object_set_new(o, "queue", json_string(f->intervals[i].queue));
		json_object_set_new(o, "start", json_string(t));
		json_array_append_new(ivs, o);
	}
	return json_pack("{s:I,s:s,s:s,s:I,s:b,s:I,s:I,s:o,s:o,s:{s:f,s:I,s:o,s:o,s:o},s:o}",
	                 "run", (json_int_t)ri->id, "mode", ri->mode, "flow", ri->flow_path,
	                 "seed", (json_int_t)ri->seed, "complete", ri->complete,
	                 "calls", (json_int_t)f->calls, "sl_threshold_ms", (json_int_t)f->sl_threshold_ms,
	                 "queues", queues, "total", qjson(&f->total),
	                 "ivr", "containment", f->containment, "contained", (json_int_t)f->contained,
	                 "outcomes", counts_json(f->outcomes, f->noutcomes),
	                 "transfers", counts_json(f->transfers, f->ntransfers),
	                 "requests", counts_json(f->requests, f->nrequests),
	                 "intervals", ivs);
}

static int dump_json(json_t *j)
{
	int rc = cli_print_json("report", j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	                                     JSON_REAL_PRECISION(10));
	json_decref(j);
	return rc;
}

/* ---- compare ------------------------------------------------------------- */

static const store_qfig *find_queue(const store_figs *f, const char *name)
{
	for (int i = 0; i < f->nqueues; i++)
		if (strcmp(f->queues[i].queue, name) == 0)
			return &f->queues[i];
	return NULL;
}

/* One cell of a compared figure: "-" when the figure is a ratio of nothing
 * in that run (den 0). */
static void cmp_cell(char *b, size_t n, double v, int64_t den, int d, double k, const char *unit)
{
	if (den > 0)
		snprintf(b, n, "%12.*f%-3s", d, k * v, unit);
	else
		snprintf(b, n, "%12s%-3s", "-", "");
}

/* One compared figure: A, B and B - A.  A figure a run has no data for (a
 * queue that run never reached) is "-", and so is the difference: 0%
 * against 100% would read as a change. */
static void cmp_fig(const char *what, double a, int64_t den_a, double b, int64_t den_b, bool pct,
                    const char *unit)
{
	double k = pct ? 100.0 : 1.0;
	int d = pct ? 1 : (unit[0] ? 2 : 0);
	char sa[48], sb[48], sd[48];
	cmp_cell(sa, sizeof sa, a, den_a, d, k, unit);
	cmp_cell(sb, sizeof sb, b, den_b, d, k, unit);
	if (den_a > 0 && den_b > 0)
		snprintf(sd, sizeof sd, "%+12.*f%s", d, k * (b - a), pct ? " pt" : unit);
	else
		snprintf(sd, sizeof sd, "%12s", "-");
	printf("  %-16s %s %s %s\n", what, sa, sb, sd);
}

static void cmp_line(const char *what, double a, double b, bool pct, const char *unit)
{
	cmp_fig(what, a, 1, b, 1, pct, unit);
}

static void cmp_queue(const char *name, const store_qfig *a, const store_qfig *b)
{
	static const store_qfig zero;
	if (!a) a = &zero;
	if (!b) b = &zero;
	printf("%s\n", name);
	cmp_line("offered", (double)a->offered, (double)b->offered, false, "");
	cmp_line("answered", (double)a->answered, (double)b->answered, false, "");
	cmp_line("abandoned", (double)a->abandoned, (double)b->abandoned, false, "");
	qf xa[QF_N], xb[QF_N];
	qf_values(a, xa);
	qf_values(b, xb);
	for (int k = 0; k < QF_N; k++)
		if (qf_def[k].label)
			cmp_fig(qf_def[k].label, xa[k].v, xa[k].den, xb[k].v, xb[k].den, qf_def[k].pct,
			        qf_def[k].pct ? "%" : "s");
}

static int64_t count_of(const store_count *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return c[i].n;
	return 0;
}

static void cmp_counts(const char *title, const store_count *a, int na, const store_count *b,
                       int nb)
{
	printf("%s\n", title);
	for (int i = 0; i < na; i++)
		printf("  %-16s %12lld %12lld %+12lld\n", a[i].name, (long long)a[i].n,
		       (long long)count_of(b, nb, a[i].name),
		       (long long)(count_of(b, nb, a[i].name) - a[i].n));
	for (int i = 0; i < nb; i++)
		if (!count_of(a, na, b[i].name))
			printf("  %-16s %12d %12lld %+12lld\n", b[i].name, 0, (long long)b[i].n,
			       (long long)b[i].n);
}

static void print_compare(const store_run_info *ra, const store_figs *a, const store_run_info *rb,
                          const store_figs *b)
{
	printf("A: ");
	print_run_head(stdout, ra);
	printf("B: ");
	print_run_head(stdout, rb);
	if (strcmp(ra->flow_sha256, rb->flow_sha256) != 0)
		printf("note: the runs used different flow files (SHA-256 differs)\n");
	printf("\n%-18s %12s %12s %12s\n", "", "A", "B", "B - A");
	for (int i = 0; i < a->nqueues; i++)
		cmp_queue(a->queues[i].queue, &a->queues[i], find_queue(b, a->queues[i].queue));
	for (int i = 0; i < b->nqueues; i++)
		if (!find_queue(a, b->queues[i].queue))
			cmp_queue(b->queues[i].queue, NULL, &b->queues[i]);
	cmp_queue("(all queues)", &a->total, &b->total);
	printf("IVR\n");
	cmp_line("calls", (double)a->calls, (double)b->calls, false, "");
	cmp_line("containment", a->containment, b->containment, true, "%");
	cmp_counts("outcomes", a->outcomes, a->noutcomes, b->outcomes, b->noutcomes);
	cmp_counts("transfers", a->transfers, a->ntransfers, b->transfers, b->ntransfers);
	cmp_counts("requests", a->requests, a->nrequests, b->requests, b->nrequests);
}

/* ---- HTML ---------------------------------------------------------------- */

static void html_esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

#define CW 640
#define CH 220
#define PL 48
#define PR 12
#define PT 24
#define PB 36

typedef struct series {
	const char *name, *color;
	const double *v;
	bool bars, dashed;
} series;

/* One chart: bars and/or lines over the intervals of one queue. */
static void svg_chart(FILE *out, const char *title, const store_qfig *iv, int n, const series *s,
                      int ns, double ymax_fixed, bool pct)
{
	double ymax = ymax_fixed;
	if (ymax <= 0) {
		for (int k = 0; k < ns; k++)
			for (int i = 0; i < n; i++)
				if (s[k].v[i] > ymax)
					ymax = s[k].v[i];
		if (ymax <= 0)
			ymax = 1;
		double mag = pow(10, floor(log10(ymax)));
		ymax = ceil(ymax / mag * 1.1) * mag;
	}
	double pw = CW - PL - PR, ph = CH - PT - PB, slot = pw / (n ? n : 1);
	fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">"
	        "<title>", CW, CH, CW, CH);
	html_esc(out, title);
	fprintf(out, "</title><text x=\"%d\" y=\"16\" class=\"ct\">", PL);
	html_esc(out, title);
	fputs("</text>", out);
	for (int g = 0; g <= 4; g++) {
		double y = PT + ph - ph * g / 4.0;
		fprintf(out, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
		        "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%.*f%s</text>",
		        PL, PL + pw, y, y, PL - 4, y + 4, pct ? 0 : (ymax < 4 ? 1 : 0),
		        (pct ? 100 : 1) * ymax * g / 4.0, pct ? "%" : "");
	}
	int step = n > 12 ? (n + 11) / 12 : 1;
	for (int i = 0; i < n; i += step) {
		char t[32];
		util_fmt_local(iv[i].start, false, t, sizeof t);
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%s</text>",
		        PL + slot * (i + 0.5), CH - PB + 14, t + 11);
	}
	int nbars = 0;
	for (int k = 0; k < ns; k++)
		nbars += s[k].bars;
	int bi = 0;
	for (int k = 0; k < ns; k++) {
		if (s[k].bars) {
			double bw = slot * 0.8 / nbars;
			for (int i = 0; i < n; i++) {
				double h = ph * (s[k].v[i] / ymax);
				if (h > ph) h = ph;
				fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
				        "<title>%s %.4g</title></rect>", PL + slot * i + slot * 0.1 + bw * bi,
				        PT + ph - h, bw, h, s[k].color, s[k].name, (pct ? 100 : 1) * s[k].v[i]);
			}
			bi++;
		} else {
			/* Intervals without calls have no service level: the line
			 * breaks there (a NaN value) instead of diving to zero. */
			bool open = false;
			for (int i = 0; i < n; i++) {
				if (!isfinite(s[k].v[i])) {
					if (open)
						fputs("\"/>", out);
					open = false;
					continue;
				}
				double y = s[k].v[i] / ymax;
				if (y > 1) y = 1;
				bool alone = (i == 0 || !isfinite(s[k].v[i - 1])) &&
				             (i == n - 1 || !isfinite(s[k].v[i + 1]));
				if (alone) {
					fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
					        PL + slot * (i + 0.5), PT + ph - ph * y, s[k].color);
					continue;
				}
				if (!open)
					fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
					        s[k].color, s[k].dashed ? " stroke-dasharray=\"6 4\"" : "");
				open = true;
				fprintf(out, "%.1f,%.1f ", PL + slot * (i + 0.5), PT + ph - ph * y);
			}
			if (open)
				fputs("\"/>", out);
		}
	}
	double lx = PL + pw;
	for (int k = ns - 1; k >= 0; k--) {
		lx -= 8 + 7 * strlen(s[k].name) + 14;
		fprintf(out, "<rect x=\"%.1f\" y=\"7\" width=\"10\" height=\"10\" fill=\"%s\"/>"
		        "<text x=\"%.1f\" y=\"16\" class=\"ax\">%s</text>", lx, s[k].color, lx + 14,
		        s[k].name);
	}
	fputs("</svg>\n", out);
}

static void html_queue_charts(FILE *out, const store_figs *f, const char *queue, double target)
{
	int first = -1, n = 0;
	for (int i = 0; i < f->nintervals; i++)
		if (strcmp(f->intervals[i].queue, queue) == 0) {
			if (first < 0)
				first = i;
			n++;
		}
	if (!n)
		return;
	const store_qfig *iv = &f->intervals[first];
	double *v = calloc((size_t)n * 10, sizeof *v);
	if (!v)
		return;
	double *off = v, *ans = v + n, *sl = v + 2 * n, *tg = v + 3 * n, *staff = v + 4 * n,
	       *busy = v + 5 * n, *ab = v + 6 * n, *asa = v + 7 * n, *p90 = v + 8 * n,
	       *p95 = v + 9 * n;
	for (int i = 0; i < n; i++) {
		off[i] = (double)iv[i].offered;
		ans[i] = (double)iv[i].answered;
		bool calls = iv[i].answered + iv[i].abandoned > 0;
		sl[i] = calls ? iv[i].service_level : NAN;
		tg[i] = target;
		double len = iv[i].length_ms > 0 ? (double)iv[i].length_ms : 1;
		staff[i] = (double)iv[i].staffed_ms / len;
		busy[i] = (double)iv[i].busy_ms / len;
		ab[i] = calls ? iv[i].abandon_rate : NAN;
		/* The tail of the wait, beside its mean: a half hour can meet its
		 * service level while one caller in twenty waits minutes. */
		asa[i] = iv[i].answered ? iv[i].asa : NAN;
		p90[i] = calls ? iv[i].wait_p90 : NAN;
		p95[i] = calls ? iv[i].wait_p95 : NAN;
	}
	fputs("<h3>", out);
	html_esc(out, queue);
	fputs("</h3><div class=\"charts\">\n", out);
	series s1[] = { { "offered", "#7aa6d6", off, true, false },
	                { "answered", "#2f6db5", ans, true, false } };
	svg_chart(out, "Offered and answered per interval", iv, n, s1, 2, 0, false);
	series s2[] = { { "service level", "#2b8a3e", sl, false, false },
	                { "target", "#c92a2a", tg, false, true } };
	svg_chart(out, "Service level per interval", iv, n, s2, 2, 1.0, true);
	series s3[] = { { "staffed", "#adb5bd", staff, true, false },
	                { "busy", "#e67700", busy, true, false } };
	svg_chart(out, "Agents staffed vs busy (average over the interval)", iv, n, s3, 2, 0, false);
	series s4[] = { { "abandonment", "#c2255c", ab, false, false } };
	svg_chart(out, "Abandonment per interval", iv, n, s4, 1, 0, true);
	series s5[] = { { "ASA", "#2f6db5", asa, false, false },
	                { "p90", "#e67700", p90, false, false },
	                { "p95", "#c92a2a", p95, false, true } };
	svg_chart(out, "Wait per interval, seconds: ASA, p90, p95", iv, n, s5, 3, 0,
	          false);
	fputs("</div>\n", out);
	free(v);
}

/* Index of a node name in the sorted coverage list, or -1. */
static int node_idx(const store_cov *cv, const char *name)
{
	int lo = 0, hi = cv->nnodes - 1;
	while (lo <= hi) {
		int m = (lo + hi) / 2, c = strcmp(cv->nodes[m].node, name);
		if (!c)
			return m;
		if (c < 0)
			lo = m + 1;
		else
			hi = m - 1;
	}
	return -1;
}

/* The IVR paths: nodes in columns by their first depth from the entry node
 * (breadth first over the heaviest transitions), bands as wide as the
 * transition counts.  Edges back to an earlier or the same column (retries,
 * returns to a menu) are thin dashed arcs. */
static void html_sankey(FILE *out, const store_cov *cv)
{
	int n = cv->nnodes;
	if (!n) {
		fputs("<p>No node visits were stored for this run.</p>\n", out);
		return;
	}
	int *depth = malloc(sizeof(int) * (size_t)n), *queue = malloc(sizeof(int) * (size_t)n);
	double *y = calloc((size_t)n, sizeof(double)), *h = calloc((size_t)n, sizeof(double));
	double *outoff = calloc((size_t)n, sizeof(double)), *inoff = calloc((size_t)n, sizeof(double));
	if (!depth || !queue || !y || !h || !outoff || !inoff)
		goto done;
	/* entry: the node with the most visits not explained by incoming edges */
	int root = 0;
	int64_t best = -1;
	for (int i = 0; i < n; i++) {
		int64_t in = 0;
		for (int e = 0; e < cv->nedges; e++)
			if (strcmp(cv->edges[e].to, cv->nodes[i].node) == 0 &&
			    strcmp(cv->edges[e].from, cv->nodes[i].node) != 0)
				in += cv->edges[e].n;
		if (cv->nodes[i].visits - in > best) {
			best = cv->nodes[i].visits - in;
			root = i;
		}
		depth[i] = -1;
	}
	int qh = 0, qt = 0, maxd = 0;
	depth[root] = 0;
	queue[qt++] = root;
	while (qh < qt) {
		int u = queue[qh++];
		for (int e = 0; e < cv->nedges; e++) {
			if (strcmp(cv->edges[e].from, cv->nodes[u].node) != 0)
				continue;
			int t = node_idx(cv, cv->edges[e].to);
			if (t >= 0 && depth[t] < 0) {
				depth[t] = depth[u] + 1;
				if (depth[t] > maxd)
					maxd = depth[t];
				queue[qt++] = t;
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (depth[i] < 0)
			depth[i] = 0;
	/* column heights; scale so the fullest column fits */
	const double W = 960, H = 520, NW = 14, GAP = 14, TOP = 20;
	double colsum[64] = { 0 };
	int colcnt[64] = { 0 };
	if (maxd > 63)
		maxd = 63;
	for (int i = 0; i < n; i++) {
		if (depth[i] > 63)
			depth[i] = 63;
		colsum[depth[i]] += (double)cv->nodes[i].visits;
		colcnt[depth[i]]++;
	}
	double scale = 1e300;
	for (int d = 0; d <= maxd; d++)
		if (colsum[d] > 0) {
			double sc = (H - TOP - GAP * colcnt[d]) / colsum[d];
			if (sc < scale)
				scale = sc;
		}
	double cy[64];
	for (int d = 0; d <= maxd; d++)
		cy[d] = TOP;
	for (int pass = 0; pass < n; pass++) {
		/* place by visits, heaviest first within a column */
		int pick = -1;
		for (int i = 0; i < n; i++)
			if (h[i] == 0 && (pick < 0 || cv->nodes[i].visits > cv->nodes[pick].visits))
				pick = i;
		if (pick < 0)
			break;
		h[pick] = (double)cv->nodes[pick].visits * scale;
		if (h[pick] < 1)
			h[pick] = 1;
		y[pick] = cy[depth[pick]];
		cy[depth[pick]] += h[pick] + GAP;
	}
	double colw = maxd ? (W - 200 - NW) / maxd : 0;
	fprintf(out, "<svg class=\"sankey\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
	        "role=\"img\"><title>IVR paths</title>\n", W, H + 20, W, H + 20);
	for (int e = 0; e < cv->nedges; e++) {
		int a = node_idx(cv, cv->edges[e].from), b = node_idx(cv, cv->edges[e].to);
		if (a < 0 || b < 0)
			continue;
		double w = (double)cv->edges[e].n * scale;
		double x1 = 20 + depth[a] * colw + NW, x2 = 20 + depth[b] * colw;
		fputs("<path", out);
		if (depth[b] > depth[a]) {
			double y1 = y[a] + outoff[a] + w / 2, y2 = y[b] + inoff[b] + w / 2;
			outoff[a] += w;
			inoff[b] += w;
			double mx = (x1 + x2) / 2;
			fprintf(out, " class=\"link\" stroke-width=\"%.2f\" d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\"",
			        w < 1 ? 1 : w, x1, y1, mx, y1, mx, y2, x2, y2);
		} else {
			double y1 = y[a] + h[a] / 2, y2 = y[b] + h[b] / 2;
			fprintf(out, " class=\"back\" d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\"",
			        x1 - NW / 2, y1, x1 + 30, y1 + 40, x2 - 30, y2 + 40, x2 + NW / 2, y2);
		}
		fputs("><title>", out);
		html_esc(out, cv->edges[e].from);
		fputs(" \xe2\x86\x92 ", out);
		html_esc(out, cv->edges[e].to);
		fprintf(out, ": %lld</title></path>\n", (long long)cv->edges[e].n);
	}
	for (int i = 0; i < n; i++) {
		double x = 20 + depth[i] * colw;
		fprintf(out, "<rect class=\"node\" x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\"><title>",
		        x, y[i], NW, h[i]);
		html_esc(out, cv->nodes[i].node);
		fprintf(out, ": %lld visits by %lld calls</title></rect><text x=\"%.1f\" y=\"%.1f\" class=\"nl\">",
		        (long long)cv->nodes[i].visits, (long long)cv->nodes[i].calls, x + NW + 4,
		        y[i] + h[i] / 2 + 4);
		html_esc(out, cv->nodes[i].node);
		fprintf(out, " (%lld)</text>\n", (long long)cv->nodes[i].visits);
	}
	fputs("</svg>\n", out);
done:
	free(depth);
	free(queue);
	free(y);
	free(h);
	free(outoff);
	free(inoff);
}

static void html_counts(FILE *out, const char *title, const store_count *c, int n)
{
	fprintf(out, "<table class=\"small\"><tr><th>%s</th><th>calls</th></tr>", title);
	for (int i = 0; i < n; i++) {
		fputs("<tr><td>", out);
		html_esc(out, c[i].name[0] ? c[i].name : "(none)");
		fprintf(out, "</td><td>%lld</td></tr>", (long long)c[i].n);
	}
	fputs("</table>\n", out);
}

static int write_html(const char *path, const store_run_info *ri, const store_figs *f,
                      const store_cov *cv, double target)
{
	FILE *out = fopen(path, "w");
	if (!out) {
		ERR("cannot write %s: %s", path, strerror(errno));
		return 2;
	}
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	        "<title>tierline run %lld</title>\n<style>\n"
	        "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#212529;max-width:1400px}\n"
	        "h1{font-size:20px}h2{font-size:17px;margin-top:28px}h3{font-size:15px}\n"
	        "table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;border-bottom:1px solid #dee2e6;text-align:right}\n"
	        "td:first-child,th:first-child{text-align:left}.small{display:inline-table;margin-right:24px;vertical-align:top}\n"
	        ".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #e9ecef;background:#fff}\n"
	        ".ct{font-size:13px;font-weight:600}.ax{font-size:10px;fill:#495057}.grid{stroke:#e9ecef}\n"
	        ".link{fill:none;stroke:#4dabf7;stroke-opacity:.45}.link:hover{stroke-opacity:.8}\n"
	        ".back{fill:none;stroke:#868e96;stroke-dasharray:4 3;stroke-width:1}\n"
	        ".node{fill:#1c7ed6}.nl{font-size:11px}.warn{color:#c92a2a;font-weight:600}\n"
	        "</style></head><body>\n", (long long)ri->id);
	fprintf(out, "<h1>tierline run %lld: %s</h1>\n<p>", (long long)ri->id, ri->mode);
	html_esc(out, ri->flow_path);
	if (ri->scenario[0]) {
		fputs(" with ", out);
		html_esc(out, ri->scenario);
	}
	fprintf(out, ", seed %llu, started %s UTC; %lld counted calls; service level threshold %.0f s, "
	        "target %.0f%%.</p>\n", (unsigned long long)ri->seed, ri->started, (long long)f->calls,
	        (double)f->sl_threshold_ms / 1000.0, 100 * target);
	if (!ri->complete)
		fputs("<p class=\"warn\">This run is incomplete: its writer stopped before finishing.</p>\n", out);
	fputs("<h2>Queues</h2><table><tr><th>queue</th><th>offered</th><th>answered</th><th>abandoned</th>"
	      "<th>SL</th><th>ASA</th><th>p90 wait</th><th>p95 wait</th><th>p_wait</th><th>abandon</th>"
	      "<th>AHT</th><th>occupancy</th></tr>\n", out);
	for (int i = 0; i <= f->nqueues; i++) {
		const store_qfig *q = i < f->nqueues ? &f->queues[i] : &f->total;
		fputs("<tr><td>", out);
		html_esc(out, i < f->nqueues ? q->queue : "(all)");
		char b[QF_SHOWN][24];
		const char *v[QF_SHOWN];
		qfigs(q, true, b, v);
		fprintf(out, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%s</td><td>%s</td>"
		        "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
		        (long long)q->offered, (long long)q->answered, (long long)q->abandoned,
		        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
	}
	fputs("</table>\n<h2>IVR</h2>\n", out);
	fprintf(out, "<p>Containment %.1f%% (%lld of %lld calls ended in self-service).</p>\n",
	        100 * f->containment, (long long)f->contained, (long long)f->calls);
	html_counts(out, "outcome", f->outcomes, f->noutcomes);
	html_counts(out, "transfers to", f->transfers, f->ntransfers);
	html_counts(out, "requests to office", f->requests, f->nrequests);
	fputs("<h2>Intervals</h2>\n", out);
	for (int i = 0; i < f->nqueues; i++)
		html_queue_charts(out, f, f->queues[i].queue, target);
	fputs("<h2>IVR paths</h2><p>Node visits and transitions between consecutive nodes "
	      "(hover for counts; dashed arcs go back to an earlier column).</p>\n", out);
	html_sankey(out, cv);
	fputs("</body></html>\n", out);
	int bad = ferror(out);
	if (fclose(out) != 0 || bad) {
		ERR("cannot write %s: %s", path, strerror(errno ? errno : EIO));
		return 2;
	}
	return 0;
}

/* ---- main ------------------------------------------------------------------ */

static FILE *open_out(const char *path)
{
	if (strcmp(path, "-") == 0)
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		ERR("cannot write %s: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	if (f == stdout)
		return fflush(f) == 0 ? 0 : 2;
	if (fclose(f) != 0) {
		ERR("cannot write %s: %s", path, strerror(errno));
		return 2;
	}
	return 0;
}

static int load(store *s, int64_t id, store_run_info *ri, store_figs *f)
{
	if (store_run_get(s, id, ri) != STORE_OK || store_figures(s, ri->id, f) != STORE_OK) {
		ERR("%s", store_errmsg(s));
		return 2;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("report");
		return 0;
	}
	ropts o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	store *s;
	char err[1600];
	if (store_open_flags(o.db, STORE_READONLY_OPEN, 0, &s, err, sizeof err) != STORE_OK) {
		ERR("%s", err);
		return 2;
	}
	store_run_info ri, rb;
	store_figs f, fb;
	if (o.compare) {
		rc = load(s, o.cmp_a, &ri, &f);
		if (!rc && (rc = load(s, o.cmp_b, &rb, &fb)) != 0)
			store_figures_free(&f);
		if (!rc) {
			if (o.json) {
				json_t *j = json_pack("{s:o,s:o}", "a", figs_json(&ri, &f), "b", figs_json(&rb, &fb));
				rc = dump_json(j);
			} else {
				print_compare(&ri, &f, &rb, &fb);
			}
			store_figures_free(&f);
			store_figures_free(&fb);
		}
		store_close(s);
		return rc;
	}
	if ((rc = load(s, o.run, &ri, &f))) {
		store_close(s);
		return rc;
	}
	if (!o.run && !ri.complete)
		fprintf(stderr, "tierline report: warning: run %lld, the latest, is incomplete\n",
		        (long long)ri.id);
	bool exports = o.html || o.qlog || o.cdr || o.csv;
	if (o.html) {
		store_cov cv;
		if (store_coverage(s, ri.id, &cv) != STORE_OK) {
			ERR("%s", store_errmsg(s));
			rc = 2;
		} else {
			rc = write_html(o.html, &ri, &f, &cv, o.target);
			store_coverage_free(&cv);
		}
	}
	if (!rc && o.qlog) {
		FILE *out = open_out(o.qlog);
		if (!out)
			rc = 2;
		else if (store_export_queue_log(s, ri.id, out) != STORE_OK) {
			ERR("%s", store_errmsg(s));
			close_out(out, o.qlog);
			rc = 2;
		} else {
			rc = close_out(out, o.qlog);
		}
	}
	if (!rc && o.cdr) {
		FILE *out = open_out(o.cdr);
		if (!out)
			rc = 2;
		else if (store_export_cdr(s, ri.id, out) != STORE_OK) {
			ERR("%s", store_errmsg(s));
			close_out(out, o.cdr);
			rc = 2;
		} else {
			rc = close_out(out, o.cdr);
		}
	}
	if (!rc && o.csv && store_export_csv(s, ri.id, o.csv) != STORE_OK) {
		ERR("%s", store_errmsg(s));
		rc = 2;
	}
	/* The figures go to stdout unless an export took stdout's place. */
	bool stdout_taken = (o.qlog && strcmp(o.qlog, "-") == 0) || (o.cdr && strcmp(o.cdr, "-") == 0);
	if (!rc && !stdout_taken && (o.json || !exports)) {
		if (o.json)
			rc = dump_json(figs_json(&ri, &f));
		else
			print_text(stdout, &ri, &f);
	}
	store_figures_free(&f);
	store_close(s);
	return rc;
}
