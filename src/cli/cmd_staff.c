/*
 * cmd_staff.c — `tierline staff FLOW SCENARIO --target '...'`: the fewest
 * agents per queue and interval that meet the targets (see staff.h).
 * Exit 0 when every targeted interval meets its goal, 1 when the search
 * could not reach it, 2 for bad usage or input.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "tierline/scenario.h"
#include "tierline/staff.h"
#include "tierline/store.h"

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static const acd_figures *find_iv(const staff_plan *p, const sim_queue_result *qr, int i)
{
	int64_t start = p->start + (int64_t)i * p->interval_ms;
	for (int k = 0; k < qr->nintervals; k++)
		if (qr->intervals[k].start == start)
			return &qr->intervals[k];
	return NULL;
}

static double scenario_agent_hours(const scenario *s, const staff_plan *p, int q)
{
	int k = s->agents_of_queue[q];
	if (k < 0)
		return 0;
	double h = 0;
	for (int i = 0; i < p->nintervals; i++)
		h += llround(scen_profile_at(&s->agents[k].staff, p->start + (int64_t)i * p->interval_ms)) *
		     (double)p->interval_ms / 3600000.0;
	return h;
}

int cmd_staff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'o' },
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "replications", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *target = NULL, *report = NULL, *db_path = "tierline.db";
	bool json = false, has_seed = false;
	uint64_t seed = 0;
	long reps = 3;
	optind = 1;
	opterr = 0;
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': target = optarg; break;
		case 'o': report = optarg; break;
		case 'd': db_path = optarg; break;
		case 'j': json = true; break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-') {
				fprintf(stderr, "tierline staff: --seed: '%s' is not a whole number\n", optarg);
				return 2;
			}
			has_seed = true;
			break;
		case 'r':
			reps = strtol(optarg, &end, 10);
			if (!*optarg || *end || reps < 1 || reps > 1000) {
				fprintf(stderr, "tierline staff: --replications: '%s' is not a number from 1 to 1000\n", optarg);
				return 2;
			}
			break;
		case 'h':
			cli_help("staff");
			return 0;
		default:
			fprintf(stderr, "tierline staff: unknown or incomplete option '%s'\n", argv[optind - 1]);
			cli_usage(stderr, "staff");
			return 2;
		}
	}
	if (argc - optind != 2 || !target) {
		fprintf(stderr, "tierline staff: need FLOW, SCENARIO and --target\n");
		cli_usage(stderr, "staff");
		return 2;
	}
	if (report && cli_check_writable("staff", report) != 0)
		return 2;
	const char *flow_path = argv[optind], *scen_path = argv[optind + 1];
	flow *f = NULL;
	scenario *s = NULL;
	int rc = cli_load_flow_scenario(flow_path, scen_path, &f, &s);
	if (rc != 0)
		return rc;
	char err[512];
	staff_target *t = NULL;
	int nt = 0;
	if (staff_parse_targets(target, f, &t, &nt, err, sizeof err) != 0) {
		fprintf(stderr, "tierline staff: --target: %s\n", err);
		scen_free(s);
		flow_free(f);
		return 2;
	}
	/* Without patience nobody abandons, so an abandonment goal holds
	 * for any staffing that answers calls at all: say so. */
	for (int k = 0; k < nt; k++)
		if (t[k].max_abandon >= 0 && !s->caller.has_patience) {
			fprintf(stderr, "tierline staff: warning: the scenario's callers have no "
			        "'patience', so nobody abandons and the abandonment target "
			        "constrains nothing\n");
			break;
		}
	sim_options o;
	memset(&o, 0, sizeof o);
	o.seed = seed;
	o.has_seed = has_seed;
	o.replication = (uint64_t)reps;
	staff_plan *p = NULL;
	if (staff_search(f, s, t, nt, &o, &p, err, sizeof err) != 0) {
		fprintf(stderr, "tierline staff: %s\n", err);
		free(t);
		scen_free(s);
		flow_free(f);
		return 2;
	}
	const sim_result *r = p->result;
	int out_rc = 0;
	if (json) {
		json_t *root = json_object(), *qs = json_object();
		json_object_set_new(root, "met", json_boolean(p->met));
		json_object_set_new(root, "simulations", json_integer(p->simulations));
		json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
		json_object_set_new(root, "sl_threshold", json_real((double)p->sl_ms / 1000.0));
		for (int q = 0; q < p->nqueues; q++) {
			if (!p->goals[q].targeted)
				continue;
			json_t *qo = json_object(), *arr = json_array();
			double hours = 0;
			for (int i = 0; i < p->nintervals; i++) {
				const acd_figures *iv = find_iv(p, &r->queues[q], i);
				char st[32];
				util_fmt_local(p->start + (int64_t)i * p->interval_ms, false, st, sizeof st);
				int a = p->agents[q * p->nintervals + i];
				hours += a * (double)p->interval_ms / 3600000.0;
				json_t *io = json_object();
				json_object_set_new(io, "start", json_string(st));
				json_object_set_new(io, "agents", json_integer(a));
				json_object_set_new(io, "offered", json_real(iv ? (double)iv->offered / p->replications : 0.0));
				json_object_set_new(io, "service_level", iv ? jnum(sim_service_level(iv)) : json_null());
				json_object_set_new(io, "abandon_rate", iv ? jnum(sim_abandon_rate(iv)) : json_null());
				json_object_set_new(io, "occupancy", iv ? jnum(sim_occupancy(iv)) : json_null());
				json_object_set_new(io, "met", json_boolean(staff_interval_ok(p, r, q, i)));
				json_array_append_new(arr, io);
			}
			json_object_set_new(qo, "agent_hours", json_real(hours));
			json_object_set_new(qo, "scenario_agent_hours", json_real(scenario_agent_hours(s, p, q)));
			json_object_set_new(qo, "service_level", jnum(sim_service_level(&r->queues[q].total)));
			json_object_set_new(qo, "abandon_rate", jnum(sim_abandon_rate(&r->queues[q].total)));
			json_object_set_new(qo, "intervals", arr);
			json_object_set_new(qs, r->queues[q].name, qo);
		}
		json_object_set_new(root, "queues", qs);
		out_rc = cli_print_json("staff", root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		                                          JSON_REAL_PRECISION(6));
		json_decref(root);
	} else {
		printf("tierline staff: %s with %s, target '%s'\n", flow_path, scen_path, target);
		printf("%s after %d simulations (seed %" PRIu64 ", %d replications pooled per check,\n"
		       "the same random numbers in every check)\n\n",
		       p->met ? "every targeted interval meets its goal" : "NOT MET: some intervals miss their goal",
		       p->simulations, r->seed, p->replications);
		for (int q = 0; q < p->nqueues; q++) {
			if (!p->goals[q].targeted)
				continue;
			const staff_goal *g = &p->goals[q];
			printf("%s:", r->queues[q].name);
			if (g->sl >= 0)
				printf(" service level %.0f%% within %gs", g->sl * 100, (double)p->sl_ms / 1000.0);
			if (g->max_abandon >= 0)
				printf("%s abandonment below %.1f%%", g->sl >= 0 ? "," : "", g->max_abandon * 100);
			printf("\n  start              agents offered      SL  abandn    occ   (offered: mean per day)\n");
			double hours = 0;
			for (int i = 0; i < p->nintervals; i++) {
				const acd_figures *iv = find_iv(p, &r->queues[q], i);
				char st[32], sl[16] = "-", ab[16] = "-", occ[16] = "-";
				util_fmt_local(p->start + (int64_t)i * p->interval_ms, false, st, sizeof st);
				int a = p->agents[q * p->nintervals + i];
				hours += a * (double)p->interval_ms / 3600000.0;
				if (iv && isfinite(sim_service_level(iv)))
					snprintf(sl, sizeof sl, "%.1f%%", sim_service_level(iv) * 100);
				if (iv && isfinite(sim_abandon_rate(iv)))
					snprintf(ab, sizeof ab, "%.1f%%", sim_abandon_rate(iv) * 100);
				if (iv && isfinite(sim_occupancy(iv)))
					snprintf(occ, sizeof occ, "%.1f%%", sim_occupancy(iv) * 100);
				printf("  %-18s %6d %7.1f %7s %7s %6s%s\n", st, a,
				       iv ? (double)iv->offered / p->replications : 0.0,
				       sl, ab, occ, staff_interval_ok(p, r, q, i) ? "" : "  MISS");
			}
			printf("  agent-hours %.1f (the scenario staffs %.1f)\n\n", hours,
			       scenario_agent_hours(s, p, q));
		}
	}
	int status = out_rc ? out_rc : p->met ? 0 : 1;
	if (report) {
		/* Store the final run so the report draws it. */
		store *db = NULL;
		if (store_open(db_path, &db, err, sizeof err) != 0) {
			fprintf(stderr, "tierline staff: %s\n", err);
			status = 2;
		} else {
			rec_run rr;
			memset(&rr, 0, sizeof rr);
			rr.mode = "staff";
			rr.flow_path = flow_path;
			rr.timezone = f->timezone;
			rr.scenario = scen_path;
			rr.seed = r->seed;
			rr.options = target;
			rr.sim_start = s->start + s->warmup_ms;   /* counted period, as the ACD */
			rr.sim_end = s->start + s->length_ms;
			rr.sl_threshold_ms = p->sl_ms;
			rr.interval_ms = s->interval_ms;
			int64_t run_id = 0;
			int *rows[1024];
			for (int q = 0; q < p->nqueues && q < 1024; q++)
				rows[q] = p->goals[q].targeted ? &p->agents[q * p->nintervals] : NULL;
			o.staff = rows;
			o.staff_nintervals = p->nintervals;
			o.sl_ms = p->sl_ms;
			o.replication = 0;
			sim_result *fr = NULL;
			if (store_run_begin(db, &rr, &run_id) == 0) {
				o.db = db;
				o.run_id = run_id;
				if (sim_run(f, s, &o, &fr, err, sizeof err) == 0) {
					sim_store_intervals(db, run_id, fr, s->interval_ms);
					store_run_finish(db, run_id, true);
				}
				sim_result_free(fr);
			}
			store_close(db);
			char runbuf[32];
			snprintf(runbuf, sizeof runbuf, "%" PRId64, run_id);
			char *rargv[] = { "report", (char *)db_path, "--run", runbuf, "--html",
			                  (char *)report, NULL };
			int rs = cmd_report(6, rargv);
			if (rs != 0)
				status = rs;
		}
	}
	staff_plan_free(p);
	free(t);
	scen_free(s);
	flow_free(f);
	return status;
}
