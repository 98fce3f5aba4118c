/*
 * cmd_erlang.c — `tierline erlang`: analytic Erlang C / Erlang A figures.
 *
 *   tierline erlang --rate 200/h --aht 180s [--agents N] [--patience 60s]
 *                   [--sl 20s] [--target 80%/20s[,abandon<5%]] [--json]
 *
 * With --agents: the figures for that many agents.  Without: the fewest
 * agents meeting --target (default 80% within the --sl threshold, 20s) and
 * a table of counts around it.  The service level shown is measured at --sl
 * (default: the target's threshold).
 *
 * Exit status: 0 figures printed; 1 the target cannot be met (no count up to
 * ERLANG_MAX_AGENTS meets it, or --agents with an explicit --target that the
 * count misses); 2 bad usage or values.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "tierline/dist.h"
#include "tierline/erlang.h"

#define ERR(...) do { fprintf(stderr, "tierline erlang: " __VA_ARGS__); fputc('\n', stderr); } while (0)

typedef struct opts {
	const char *rate_s, *aht_s, *patience_s, *sl_s, *target_s;
	double rate, aht, patience, sl, target_time;
	erlang_target target;
	bool has_target_time;
	int agents;          /* 0: search */
	bool json;
} opts;

/* "80%" or "12.5%" -> 0.80 / 0.125. */
static int parse_percent(const char *s, double *frac)
{
	const char *p = s;
	int digits = 0, dot = 0;
	while (isdigit((unsigned char)*p) || (*p == '.' && !dot)) {
		if (*p == '.') dot = 1; else digits++;
		p++;
	}
	if (!digits || *p != '%' || p[1] != '\0' || p - s > 20)
		return -1;
	*frac = strtod(s, NULL) / 100.0;
	return *frac <= 1.0 ? 0 : -1;
}

/* "80%/20s", "80%/20s,abandon<5%", "abandon<5%"; spaces are ignored. */
static int parse_target(opts *o, const char *text)
{
	char buf[128];
	size_t n = 0;
	for (const char *p = text; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (n + 1 >= sizeof buf) {
			ERR("--target: too long");
			return -1;
		}
		buf[n++] = *p;
	}
	buf[n] = '\0';
	if (n == 0) {
		ERR("--target: empty; expected e.g. 80%%/20s or 80%%/20s,abandon<5%%");
		return -1;
	}
	o->target.sl = 0;
	o->target.max_abandon = -1;
	bool have_sl = false;
	for (char *part = buf, *next; part; part = next) {
		next = strchr(part, ',');
		if (next)
			*next++ = '\0';
		if (strncmp(part, "abandon", 7) == 0) {
			const char *v = part + 7;
			if (strncmp(v, "<=", 2) == 0) v += 2;
			else if (*v == '<') v++;
			else {
				ERR("--target: '%s': expected abandon<5%%", part);
				return -1;
			}
			if (parse_percent(v, &o->target.max_abandon) != 0) {
				ERR("--target: '%s': abandonment limit must be a percentage like 5%%", part);
				return -1;
			}
			continue;
		}
		char *slash = strchr(part, '/');
		if (!slash) {
			ERR("--target: '%s': expected SHARE/TIME like 80%%/20s, or abandon<5%%", part);
			return -1;
		}
		*slash = '\0';
		double frac, ms;
		char err[160];
		if (parse_percent(part, &frac) != 0 || frac <= 0) {
			ERR("--target: '%s': service level must be a percentage like 80%%", part);
			return -1;
		}
		if (dist_parse_duration(slash + 1, &ms, err, sizeof err) != 0) {
			ERR("--target: %s", err);
			return -1;
		}
		if (have_sl) {
			ERR("--target: more than one service-level goal");
			return -1;
		}
		have_sl = true;
		o->target.sl = frac;
		o->target_time = ms / 1000.0;
		o->has_target_time = true;
	}
	if (!have_sl && o->target.max_abandon < 0) {
		ERR("--target: no goal; expected e.g. 80%%/20s or abandon<5%%");
		return -1;
	}
	if (!have_sl && o->patience_s == NULL) {
		/* An abandonment goal alone needs patience; checked later. */
	}
	return 0;
}

static int parse_duration_opt(const char *name, const char *v, double *sec, bool positive)
{
	double ms;
	char err[160];
	if (dist_parse_duration(v, &ms, err, sizeof err) != 0) {
		ERR("%s: %s", name, err);
		return -1;
	}
	if (positive && !(ms > 0)) {
		ERR("%s: must be more than zero, got '%s'", name, v);
		return -1;
	}
	*sec = ms / 1000.0;
	return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
	memset(o, 0, sizeof *o);
	const char *agents_s = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		}
		static const char *const names[] = { "--rate", "--aht", "--agents",
			"--patience", "--sl", "--target" };
		const char **slot[] = { &o->rate_s, &o->aht_s, &agents_s,
			&o->patience_s, &o->sl_s, &o->target_s };
		int which = -1;
		const char *val = NULL;
		for (int k = 0; k < 6; k++) {
			size_t len = strlen(names[k]);
			if (strncmp(a, names[k], len) == 0 && (a[len] == '\0' || a[len] == '=')) {
				which = k;
				val = a[len] == '=' ? a + len + 1 : NULL;
				break;
			}
		}
		if (which < 0) {
			if (a[0] == '-')
				ERR("unknown option '%s'", a);
			else
				ERR("unexpected argument '%s'", a);
			cli_usage(stderr, "erlang");
			return -1;
		}
		if (!val) {
			if (i + 1 >= argc) {
				ERR("%s needs a value", names[which]);
				return -1;
			}
			val = argv[++i];
		}
		*slot[which] = val;
	}
	if (!o->rate_s) {
		ERR("--rate is required (e.g. --rate 200/h)");
		return -1;
	}
	if (!o->aht_s) {
		ERR("--aht is required (e.g. --aht 180s)");
		return -1;
	}
	char err[160];
	if (dist_parse_rate(o->rate_s, &o->rate, err, sizeof err) != 0) {
		ERR("--rate: %s", err);
		return -1;
	}
	if (!(o->rate > 0)) {
		ERR("--rate: must be more than zero, got '%s'", o->rate_s);
		return -1;
	}
	if (parse_duration_opt("--aht", o->aht_s, &o->aht, true) != 0)
		return -1;
	if (o->patience_s && parse_duration_opt("--patience", o->patience_s, &o->patience, true) != 0)
		return -1;
	if (o->sl_s && parse_duration_opt("--sl", o->sl_s, &o->sl, false) != 0)
		return -1;
	if (agents_s) {
		char *end;
		errno = 0;
		long n = strtol(agents_s, &end, 10);
		if (!isdigit((unsigned char)agents_s[0]) || *end || errno || n < 1 ||
		    n > ERLANG_MAX_AGENTS) {
			ERR("--agents: expected a whole number from 1 to %d, got '%s'",
			    ERLANG_MAX_AGENTS, agents_s);
			return -1;
		}
		o->agents = (int)n;
	}
	o->target.sl = 0.80;
	o->target.max_abandon = -1;
	if (o->target_s && parse_target(o, o->target_s) != 0)
		return -1;
	if (o->target.max_abandon >= 0 && !o->patience_s) {
		ERR("--target: an abandonment goal needs --patience (without it nobody abandons)");
		return -1;
	}
	/* Thresholds: --sl for the figures shown, the target's own for the goal;
	 * each defaults to the other, then to 20 s. */
	if (!o->sl_s)
		o->sl = o->has_target_time ? o->target_time : 20.0;
	if (!o->has_target_time)
		o->target_time = o->sl;
	if (o->rate * o->aht >= 1e7) {
		ERR("traffic of %.3g Erlangs is beyond this calculator (under 10 million)",
		    o->rate * o->aht);
		return -1;
	}
	return 0;
}

/* ---- output -------------------------------------------------------------- */

static void fmt_secs(char *out, size_t n, double s)
{
	if (s == floor(s))
		snprintf(out, n, "%.0fs", s);
	else
		snprintf(out, n, "%gs", s);
}

static void fmt_pct(char *out, size_t n, double f)
{
	snprintf(out, n, "%.2f%%", 100.0 * f);
}

static void json_num(const char *key, double v, bool comma)
{
	if (isfinite(v))
		printf("\"%s\": %.10g", key, v);
	else
		printf("\"%s\": null", key);
	if (comma)
		fputs(", ", stdout);
}

static void json_figures(const erlang_figures *f, bool patience)
{
	json_num("traffic", f->traffic, true);
	printf("\"agents\": %d, ", f->agents);
	json_num("p_wait", f->p_wait, true);
	json_num("asa", f->asa, true);
	json_num("service_level", f->service_level, true);
	json_num("occupancy", f->occupancy, patience);
	if (patience)
		json_num("p_abandon", f->p_abandon, false);
}

static void human_figures(const opts *o, const erlang_figures *f)
{
	char sl[32], pct[32];
	fmt_secs(sl, sizeof sl, o->sl);
	printf("%-16s %.4g Erlangs (%s at %s)\n", "traffic", f->traffic, o->rate_s, o->aht_s);
	printf("%-16s %d\n", "agents", f->agents);
	/* Erlang B: the same traffic and agents with no queue at all (callers
	 * who find every agent busy are lost), the classic trunk figure. */
	fmt_pct(pct, sizeof pct, erlang_b(f->traffic, f->agents));
	printf("%-16s %s (Erlang B: share lost if nobody could wait)\n", "P(block)", pct);
	if (!f->stable) {
		printf("%-16s unstable: %d agents cannot carry %.4g Erlangs; the queue grows without bound\n",
		       "load", f->agents, f->traffic);
		printf("%-16s 100%%\n%-16s unstable (infinite)\n%-16s 0%%\n%-16s 100%%\n",
		       "P(wait)", "ASA", "service level", "occupancy");
		return;
	}
	fmt_pct(pct, sizeof pct, f->p_wait);
	printf("%-16s %s\n", "P(wait)", pct);
	printf("%-16s %.2f s%s\n", "ASA", f->asa,
	       o->patience_s ? " (answered calls)" : "");
	fmt_pct(pct, sizeof pct, f->service_level);
	printf("%-16s %s %s within %s\n", "service level", pct,
	       o->patience_s ? "of offered calls answered" : "answered", sl);
	fmt_pct(pct, sizeof pct, f->occupancy);
	printf("%-16s %s\n", "occupancy", pct);
	if (o->patience_s) {
		fmt_pct(pct, sizeof pct, f->p_abandon);
		printf("%-16s %s (mean patience %s)\n", "P(abandon)", pct, o->patience_s);
	}
}

static void fmt_target(const opts *o, char *out, size_t n)
{
	char t[32];
	fmt_secs(t, sizeof t, o->target_time);
	int k = 0;
	if (o->target.sl > 0)
		k = snprintf(out, n, "%g%% answered within %s", 100 * o->target.sl, t);
	if (o->target.max_abandon >= 0 && k >= 0 && (size_t)k < n)
		snprintf(out + k, n - (size_t)k, "%sP(abandon) <= %g%%", k ? ", " : "",
		         100 * o->target.max_abandon);
}

static void human_row(const opts *o, const erlang_figures *f, bool mark)
{
	if (!f->stable) {
		printf("%s %6d  %s\n", mark ? ">" : " ", f->agents, "unstable");
		return;
	}
	printf("%s %6d  %7.2f%%  %8.2f  %8.2f%%  %8.2f%%", mark ? ">" : " ", f->agents,
	       100 * f->p_wait, f->asa, 100 * f->service_level, 100 * f->occupancy);
	if (o->patience_s)
		printf("  %9.2f%%", 100 * f->p_abandon);
	putchar('\n');
}

int cmd_erlang(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("erlang");
		return 0;
	}
	opts o;
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	erlang_model shown = { o.rate, o.aht, o.patience_s ? o.patience : 0, o.sl };
	erlang_model goal = shown;
	goal.sl_time = o.target_time;
	erlang_figures f, g;
	char target[96];
	fmt_target(&o, target, sizeof target);

	if (o.agents > 0) {
		int rc = erlang_eval(&shown, o.agents, &f);
		if (rc == 0)
			rc = erlang_eval(&goal, o.agents, &g);
		if (rc == ERLANG_TOO_LARGE) {
			ERR("%d agents for %.4g Erlangs with patience %s: the queue would hold about "
			    "%.3g callers, too many to sum exactly (waits near %.3g s)",
			    o.agents, o.rate * o.aht, o.patience_s,
			    (o.rate - o.agents / o.aht) * o.patience,
			    (o.rate * o.aht / o.agents - 1) * o.patience);
			return 2;
		}
		if (rc != 0) {
			ERR("cannot evaluate this model");
			return 2;
		}
		bool met = erlang_meets(&g, &o.target);
		if (o.json) {
			putchar('{');
			json_figures(&f, o.patience_s != NULL);
			puts("}");
		} else {
			human_figures(&o, &f);
			if (o.target_s)
				printf("%-16s %s: %s\n", "target", target, met ? "met" : "NOT met");
		}
		return (o.target_s && !met) ? 1 : 0;
	}

	int best;
	if (erlang_staff(&goal, &o.target, &best, NULL) != 0) {
		ERR("no count up to %d agents meets the target (%s)", ERLANG_MAX_AGENTS, target);
		return 1;
	}
	if (erlang_eval(&shown, best, &f) != 0) {
		ERR("cannot evaluate this model");
		return 2;
	}
	int lo = best - 3, hi = best + 3;
	if (lo < 1)
		lo = 1;
	if (hi > ERLANG_MAX_AGENTS)
		hi = ERLANG_MAX_AGENTS;
	if (o.json) {
		putchar('{');
		json_figures(&f, o.patience_s != NULL);
		fputs(", \"table\": [", stdout);
		for (int n = lo; n <= hi; n++) {
			erlang_figures r;
			if (erlang_eval(&shown, n, &r) != 0)
				continue;
			fputs(n > lo ? ", {" : "{", stdout);
			json_figures(&r, o.patience_s != NULL);
			putchar('}');
		}
		puts("]}");
		return 0;
	}
	char sl[32];
	fmt_secs(sl, sizeof sl, o.sl);
	printf("target: %s\n", target);
	printf("fewest agents meeting it: %d\n\n", best);
	human_figures(&o, &f);
	printf("\n  %6s  %8s  %8s  %9s  %9s", "agents", "P(wait)", "ASA (s)", "SL", "occupancy");
	if (o.patience_s)
		printf("  %10s", "P(abandon)");
	printf("\n");
	for (int n = lo; n <= hi; n++) {
		erlang_figures r;
		if (erlang_eval(&shown, n, &r) == 0)
			human_row(&o, &r, n == best);
	}
	printf("\n(SL: share of %s answered within %s)\n",
	       o.patience_s ? "offered calls" : "calls", sl);
	return 0;
}
