/*
 * staff.c — staffing search (see staff.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/erlang.h"
#include "tierline/lex.h"
#include "tierline/staff.h"

#define STAFF_MAX_ROUNDS 60
#define STAFF_MAX_AGENTS 20000

static const char *skip_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static int parse_pct(const char **pp, double *v)
{
	char *end;
	double x = strtod(*pp, &end);
	if (end == *pp || *end != '%' || x < 0 || x > 100)
		return -1;
	*v = x / 100.0;
	*pp = end + 1;
	return 0;
}

int staff_parse_targets(const char *text, const flow *f, staff_target **out, int *n,
                        char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	int cap = 8;
	staff_target *t = malloc((size_t)cap * sizeof *t);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *p = text;
	int64_t sl_ms = -1;
	int last_queue = -1;   /* a target without a queue name continues the last one */
	for (;;) {
		p = skip_ws(p);
		if (!*p)
			break;
		staff_target cur = { -1, -1, 0, -1 };
		/* optional queue name */
		const char *w = p;
		while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
			p++;
		size_t wl = (size_t)(p - w);
		char word[128];
		if (wl >= sizeof word)
			wl = sizeof word - 1;
		memcpy(word, w, wl);
		word[wl] = '\0';
		bool is_abandon = strcmp(word, "abandon") == 0;
		if (wl > 0 && !is_abandon && !isdigit((unsigned char)word[0])) {
			cur.queue = flow_find_queue(f, word);
			if (cur.queue < 0) {
				const char *names[256];
				int nn = 0;
				for (int q = 0; q < f->nqueues && nn < 256; q++)
					names[nn++] = f->nodes[f->queue_nodes[q]].name;
				const char *s = diag_suggest(word, names, nn);
				snprintf(err, errlen, "unknown queue '%s'%s%s%s", word,
				         s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
				free(t);
				return -1;
			}
			p = skip_ws(p);
			w = p;
			while (*p && isalpha((unsigned char)*p))
				p++;
			is_abandon = (size_t)(p - w) == 7 && strncmp(w, "abandon", 7) == 0;
			if (!is_abandon)
				p = w;
		} else if (!is_abandon) {
			p = w;
		}
		if (cur.queue >= 0)
			last_queue = cur.queue;
		else
			cur.queue = last_queue;
		p = skip_ws(p);
		if (is_abandon) {
			if (*p != '<') {
				snprintf(err, errlen, "expected '<' after 'abandon' (e.g. abandon<5%%)");
				free(t);
				return -1;
			}
			p = skip_ws(p + 1);
			if (parse_pct(&p, &cur.max_abandon) != 0) {
				snprintf(err, errlen, "expected a percentage after 'abandon<' (e.g. 5%%)");
				free(t);
				return -1;
			}
		} else {
			if (parse_pct(&p, &cur.sl) != 0 || *p != '/') {
				snprintf(err, errlen, "expected a service level like 80%%/20s near '%.20s'", w);
				free(t);
				return -1;
			}
			p++;
			const char *d = p;
			while (*p && *p != ',' && !isspace((unsigned char)*p))
				p++;
			if (lex_parse_duration(d, (size_t)(p - d), &cur.sl_ms) != 0) {
				snprintf(err, errlen, "'%.*s' is not a duration (e.g. 20s)", (int)(p - d), d);
				free(t);
				return -1;
			}
			/* Like simulate --sl: "answered within 0s" is not a level. */
			if (cur.sl_ms <= 0) {
				snprintf(err, errlen, "the service-level threshold must be above 0, "
				         "got '%.*s' (e.g. 20s)", (int)(p - d), d);
				free(t);
				return -1;
			}
			if (sl_ms >= 0 && sl_ms != cur.sl_ms) {
				snprintf(err, errlen, "every service-level target must use the same threshold");
				free(t);
				return -1;
			}
			sl_ms = cur.sl_ms;
		}
		if (*n == cap) {
			cap *= 2;
			staff_target *q = realloc(t, (size_t)cap * sizeof *q);
			if (!q) {
				free(t);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			t = q;
		}
		t[(*n)++] = cur;
		p = skip_ws(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p) {
			snprintf(err, errlen, "unexpected '%.20s' in targets", p);
			free(t);
			return -1;
		}
	}
	if (*n == 0) {
		snprintf(err, errlen, "no targets given (e.g. 'tier1 80%%/20s, abandon<5%%')");
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

bool staff_interval_ok(const staff_plan *p, const sim_result *r, int q, int i)
{
	const staff_goal *g = &p->goals[q];
	if (!g->targeted)
		return true;
	const sim_queue_result *qr = &r->queues[q];
	/* Intervals by index from the plan's start. */
	int64_t start = p->start + (int64_t)i * p->interval_ms;
	for (int k = 0; k < qr->nintervals; k++) {
		const acd_figures *iv = &qr->intervals[k];
		if (iv->start != start)
			continue;
		/* No answered or abandoned call: fine when nobody came, but
		 * calls offered that nobody answered (0 agents, callers who
		 * never give up) miss every goal rather than meet it. */
		if (iv->answered + iv->abandoned == 0)
			return iv->offered == 0;
		if (g->sl >= 0 && sim_service_level(iv) < g->sl - 1e-12)
			return false;
		if (g->max_abandon >= 0 && sim_abandon_rate(iv) > g->max_abandon + 1e-12)
			return false;
		return true;
	}
	return true;
}

static int run(const flow *f, const scenario *s, const sim_options *base, staff_plan *p,
               sim_result **r, char *err, size_t errlen)
{
	sim_options o = *base;
	o.db = NULL;
	o.sl_ms = p->sl_ms;
	int *rows[1024];
	if (p->nqueues > 1024) {
		snprintf(err, errlen, "too many queues");
		return -1;
	}
	for (int q = 0; q < p->nqueues; q++)
		rows[q] = p->goals[q].targeted ? &p->agents[q * p->nintervals] : NULL;
	o.staff = base->staff ? base->staff : rows;
	o.staff_nintervals = p->nintervals;
	*r = NULL;
	for (int rep = 0; rep < p->replications; rep++) {
		sim_result *one = NULL;
		o.replication = (uint64_t)rep;
		p->simulations++;
		if (sim_run(f, s, &o, &one, err, errlen) != 0) {
			sim_result_free(*r);
			*r = NULL;
			return -1;
		}
		if (!*r) {
			*r = one;
		} else {
			sim_result_pool(*r, one);
			sim_result_free(one);
		}
	}
	return 0;
}

static bool all_ok(const staff_plan *p, const sim_result *r)
{
	for (int q = 0; q < p->nqueues; q++)
		for (int i = 0; i < p->nintervals; i++)
			if (!staff_interval_ok(p, r, q, i))
				return false;
	return true;
}

/* Offered legs of queue q in interval i of run r. */
static const acd_figures *interval_of(const staff_plan *p, const sim_result *r, int q, int i)
{
	int64_t start = p->start + (int64_t)i * p->interval_ms;
	const sim_queue_result *qr = &r->queues[q];
	for (int k = 0; k < qr->nintervals; k++)
		if (qr->intervals[k].start == start)
			return &qr->intervals[k];
	return NULL;
}

int staff_search(const flow *f, const scenario *s, const staff_target *t, int nt,
                 const sim_options *o, staff_plan **out, char *err, size_t errlen)
{
	*out = NULL;
	staff_plan *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->nqueues = f->nqueues;
	p->interval_ms = s->interval_ms;
	p->start = s->start;
	p->nintervals = (int)((s->length_ms + s->interval_ms - 1) / s->interval_ms);
	if (p->nintervals < 1)
		p->nintervals = 1;
	p->sl_ms = 20000;
	p->replications = o->replication > 0 ? (int)o->replication : 3;
	p->goals = calloc((size_t)(p->nqueues ? p->nqueues : 1), sizeof *p->goals);
	p->agents = calloc((size_t)(p->nqueues ? p->nqueues : 1) * (size_t)p->nintervals, sizeof *p->agents);
	size_t ncells = (size_t)(p->nqueues ? p->nqueues : 1) * (size_t)p->nintervals;
	bool *tight = calloc(ncells, sizeof *tight);
	bool *dec = calloc(ncells, sizeof *dec);
	if (!p->goals || !p->agents || !tight || !dec) {
		free(tight);
		free(dec);
		staff_plan_free(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int q = 0; q < p->nqueues; q++) {
		p->goals[q].sl = -1;
		p->goals[q].max_abandon = -1;
	}
	for (int k = 0; k < nt; k++) {
		if (t[k].sl >= 0)
			p->sl_ms = t[k].sl_ms;
		for (int q = 0; q < p->nqueues; q++) {
			if (t[k].queue >= 0 && t[k].queue != q)
				continue;
			if (t[k].queue < 0 && s->agents_of_queue[q] < 0)
				continue;   /* a queue nobody staffs is not reachable */
			p->goals[q].targeted = true;
			if (t[k].sl >= 0)
				p->goals[q].sl = t[k].sl;
			if (t[k].max_abandon >= 0)
				p->goals[q].max_abandon = t[k].max_abandon;
		}
	}

	/* 1. Measure the load with the scenario's own staffing. */
	sim_result *r = NULL;
	sim_options base = *o;
	base.staff = NULL;
	for (int q = 0; q < p->nqueues; q++)
		p->goals[q].targeted = false;   /* run() staffs only targeted queues */
	if (run(f, s, &base, p, &r, err, errlen) != 0)
		goto fail;
	for (int k = 0; k < nt; k++)
		for (int q = 0; q < p->nqueues; q++)
			if ((t[k].queue < 0 && s->agents_of_queue[q] >= 0) || t[k].queue == q)
				p->goals[q].targeted = true;

	/* 2. Erlang C/A per interval as the starting point. */
	double patience_s = 0;
	if (s->caller.has_patience)
		patience_s = dist_mean(&s->caller.patience) / 1000.0;
	for (int q = 0; q < p->nqueues; q++) {
		if (!p->goals[q].targeted)
			continue;
		const scen_agents *ag = s->agents_of_queue[q] >= 0 ? &s->agents[s->agents_of_queue[q]] : NULL;
		double aht = ag ? dist_mean(&ag->handle) / 1000.0 : 180.0;
		if (ag && ag->has_wrapup)
			aht += dist_mean(&ag->wrapup) / 1000.0;
		for (int i = 0; i < p->nintervals; i++) {
			const acd_figures *iv = interval_of(p, r, q, i);
			int n = 0;
			if (iv && iv->offered > 0) {
				double offered = (double)iv->offered / p->replications;
				erlang_model m = { offered / ((double)p->interval_ms / 1000.0),
				                   aht > 0 ? aht : 1.0, patience_s, (double)p->sl_ms / 1000.0 };
				erlang_target et = { p->goals[q].sl, p->goals[q].max_abandon };
				if (erlang_staff(&m, &et, &n, NULL) != 0)
					n = (int)ceil(m.rate * m.aht) + 1;
			}
			if (n > STAFF_MAX_AGENTS)
				n = STAFF_MAX_AGENTS;
			p->agents[q * p->nintervals + i] = n;
		}
	}
	sim_result_free(r);
	r = NULL;

	/* 3. Add agents where an interval misses, until every one meets. */
	for (int round = 0; round < STAFF_MAX_ROUNDS; round++) {
		if (run(f, s, o, p, &r, err, errlen) != 0)
			goto fail;
		bool changed = false;
		for (int q = 0; q < p->nqueues; q++)
			for (int i = 0; i < p->nintervals; i++)
				if (!staff_interval_ok(p, r, q, i)) {
					int *a = &p->agents[q * p->nintervals + i];
					if (*a < STAFF_MAX_AGENTS) {
						*a += *a < 20 ? 1 : (int)ceil(*a * 0.03);
						if (*a > STAFF_MAX_AGENTS)
							*a = STAFF_MAX_AGENTS;
						changed = true;
					}
				}
		p->met = all_ok(p, r);
		if (p->met || !changed)
			break;
		sim_result_free(r);
		r = NULL;
	}

	/* 4. Trim: take `step` agents from every interval not known to be
	 * tight (step starts at a tenth of its agents); where an interval then
	 * misses (it, or the one before it, whose backlog flows into it, gave
	 * agents) those cells get their agents back and halve their step; a
	 * cell whose one-agent step fails is tight.  Every round is checked
	 * with a full simulation, so the plan kept always meets the goals. */
	if (p->met) {
		int *step = calloc(ncells, sizeof *step);
		if (!step) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (size_t k = 0; k < ncells; k++)
			step[k] = p->agents[k] / 10 > 1 ? p->agents[k] / 10 : 1;
		for (int round = 0; round < STAFF_MAX_ROUNDS; round++) {
			int tried = 0;
			for (int q = 0; q < p->nqueues; q++)
				for (int i = 0; i < p->nintervals; i++) {
					int k = q * p->nintervals + i;
					dec[k] = false;
					if (!p->goals[q].targeted || tight[k] || p->agents[k] == 0)
						continue;
					int d = step[k] < p->agents[k] ? step[k] : p->agents[k];
					p->agents[k] -= d;
					dec[k] = true;
					step[k] = d;
					tried++;
				}
			if (tried == 0)
				break;
			sim_result *r2 = NULL;
			if (run(f, s, o, p, &r2, err, errlen) != 0) {
				free(step);
				goto fail;
			}
			if (all_ok(p, r2)) {
				sim_result_free(r);
				r = r2;
				continue;
			}
			/* Give back where it hurt: to the interval that misses if
			 * it gave agents, else to the one before it (whose
			 * backlog flows in). */
			for (int q = 0; q < p->nqueues; q++)
				for (int i = 0; i < p->nintervals; i++) {
					if (staff_interval_ok(p, r2, q, i))
						continue;
					bool self_gave = dec[q * p->nintervals + i];
					for (int j = i; j >= 0 && j >= i - 1; j--) {
						int k = q * p->nintervals + j;
						if (!dec[k] || (j < i && self_gave))
							continue;
						p->agents[k] += step[k];
						dec[k] = false;
						if (step[k] == 1)
							tight[k] = true;
						else
							step[k] /= 2;
					}
				}
			sim_result_free(r2);
			r2 = NULL;
			if (run(f, s, o, p, &r2, err, errlen) != 0) {
				free(step);
				goto fail;
			}
			if (all_ok(p, r2)) {
				sim_result_free(r);
				r = r2;
				continue;
			}
			/* The harm reached further: give back the whole round. */
			sim_result_free(r2);
			for (size_t k = 0; k < ncells; k++)
				if (dec[k]) {
					p->agents[k] += step[k];
					if (step[k] == 1)
						tight[k] = true;
					else
						step[k] /= 2;
				}
		}
		free(step);
		sim_result_free(r);
		r = NULL;
		if (run(f, s, o, p, &r, err, errlen) != 0)
			goto fail;
		p->met = all_ok(p, r);
	}
	p->result = r;
	free(tight);
	free(dec);
	*out = p;
	return 0;
fail:
	sim_result_free(r);
	free(tight);
	free(dec);
	staff_plan_free(p);
	return -1;
}

void staff_plan_free(staff_plan *p)
{
	if (!p)
		return;
	sim_result_free(p->result);
	free(p->goals);
	free(p->agents);
	free(p);
}
