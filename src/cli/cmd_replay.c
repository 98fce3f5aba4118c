/*
 * cmd_replay.c — `tierline replay`: call scripts and recorded audio against
 * a flow, with their expectations checked.
 *
 *   replay FLOW FILE.call|FILE.wav... [--line L] [--scenario S] [--db DB] [--trace]
 *   replay FLOW --from DB [--run ID] [--json]
 *
 * Per script: the trace (with --trace), the failed expectations, then one
 * summary line (PASS / FAIL / INVALID).  Exit status: the highest of the
 * scripts' (0 every expectation held, 1 some failed, 2 invalid input).
 * With --db every replayed call is stored as one run (mode "replay").
 *
 * --from: the calls of a stored run against FLOW; which changed path or
 * outcome, call by call and in total.  Exit 0 nothing changed, 1 something
 * did (a regression test), 2 bad input.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "cli.h"
#include "tierline/flow.h"
#include "tierline/recorder.h"
#include "tierline/replay.h"
#include "tierline/scenario.h"
#include "tierline/script.h"
#include "tierline/store.h"
#include "tierline/dtmf.h"

/* --db: one run, one recorder reused for every script. */
typedef struct db_out {
	store *db;
	const char *path;
	int64_t run_id;
	recorder rec;
	uint64_t seq;
	bool failed;
} db_out;

static void db_sink(void *ctx, const struct call *c, const call_action *a)
{
	db_out *d = ctx;
	recorder_on_action(&d->rec, c, a);
	/* Answered at the instant of entry: an agent was free. */
	if (a->kind == CALL_ACT_ANSWERED) {
		rec_leg *l = recorder_last_leg(&d->rec);
		if (l && l->entered == a->t)
			l->found_free = true;
	}
}

static void usage_err(const char *msg, const char *arg)
{
	fprintf(stderr, "tierline replay: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
	cli_usage(stderr, "replay");
}

static bool is_wav(const char *path)
{
	size_t n = strlen(path);
	return n > 4 && strcasecmp(path + n - 4, ".wav") == 0;
}

/* A script from the DTMF keys in a recording: one press per key, at its onset. */
static int script_from_wav(const char *path, const char *line, script **out)
{
	dtmf_hit *hits = NULL;
	int nhits = 0;
	char err[256];
	*out = NULL;
	if (!line) {
		fprintf(stderr, "tierline replay: %s: recorded audio needs --line NAME\n", path);
		return 2;
	}
	if (dtmf_detect_file(path, &hits, &nhits, err, sizeof err) != 0) {
		fprintf(stderr, "%s: error: %s\n", path, err);
		return 2;
	}
	script *s = script_new(path, line, SCRIPT_DEFAULT_START, false);
	for (int i = 0; i < nhits; i++) {
		script_step *st = script_add_step(s, SCRIPT_PRESS, hits[i].on_ms);
		st->keys[0] = hits[i].key;
		st->keys[1] = '\0';
		st->nkeys = 1;
	}
	free(hits);
	*out = s;
	return 0;
}

static int replay_one(const flow *f, const char *path, const char *line, bool trace,
                      const scenario *scen, db_out *d)
{
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	int rc = is_wav(path) ? script_from_wav(path, line, &s) : script_load(path, &s, &dl);
	if (rc == 0)
		rc = script_check(s, f, line, &dl);
	if (rc != 0) {
		diag_sort(&dl);
		diag_print(&dl, stderr);
		diag_free(&dl);
		script_free(s);
		printf("INVALID %s\n", path);
		return 2;
	}
	diag_free(&dl);
	replay_opts o = { 0 };
	o.trace = trace;
	o.scen = scen;
	if (d && !d->failed) {
		recorder_begin(&d->rec, ++d->seq);
		o.extra.fn = db_sink;
		o.extra.ctx = d;
	}
	replay_result r;
	if (replay_run(f, s, &o, &r) != 0) {
		fprintf(stderr, "tierline replay: %s: out of memory\n", path);
		script_free(s);
		return 2;
	}
	if (o.extra.fn) {
		if (!recorder_done(&d->rec) || d->rec.oom) {
			fprintf(stderr, "tierline replay: %s: the call could not be recorded\n", path);
			d->failed = true;
		} else if (store_call(d->db, d->run_id, recorder_result(&d->rec)) != 0) {
			fprintf(stderr, "tierline replay: %s\n", store_errmsg(d->db));
			d->failed = true;
		}
	}
	if (trace && r.trace.p)
		fputs(r.trace.p, stdout);
	if (r.failures.p)
		fputs(r.failures.p, stdout);
	if (r.status == 0)
		printf("PASS %s\n", path);
	else
		printf("FAIL %s (%d expectation%s failed)\n", path, r.nfailed, r.nfailed == 1 ? "" : "s");
	int st = r.status;
	replay_result_free(&r);
	script_free(s);
	return st;
}

/* ---- --from: stored calls against FLOW --------------------------------------- */

#define NOUT (CALL_OUT_COUNT + 1)      /* + 1: a stored label this binary does not know */

static int out_index(const char *name)
{
	call_outcome o = name ? call_outcome_parse(name) : CALL_OUT_NONE;
	return o == CALL_OUT_NONE ? CALL_OUT_COUNT : (int)o;
}

static const char *out_label(int i)
{
	return i == CALL_OUT_COUNT ? "(unknown)" : call_outcome_name((call_outcome)i);
}

static void path_old(const rec_call *rc, buf *b)
{
	if (rc->nvisits == 0)
		buf_puts(b, "(none)");
	for (int i = 0; i < rc->nvisits; i++) {
		if (i)
			buf_putc(b, '>');
		buf_puts(b, rc->visits[i].node ? rc->visits[i].node : "?");
	}
}

static void path_new(const flow *f, const replay_stored_result *r, buf *b)
{
	if (r->npath == 0)
		buf_puts(b, "(none)");
	for (int i = 0; i < r->npath; i++) {
		if (i)
			buf_putc(b, '>');
		buf_puts(b, f->nodes[r->path[i]].name);
	}
}

typedef struct trans { int from, to; int64_t n; } trans;

static int cmp_trans(const void *a, const void *b)
{
	const trans *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	int c = strcmp(out_label(x->from), out_label(y->from));
	return c ? c : strcmp(out_label(x->to), out_label(y->to));
}

static json_t *jpath_old(const rec_call *rc)
{
	json_t *a = json_array();
	for (int i = 0; i < rc->nvisits; i++)
		json_array_append_new(a, json_string(rc->visits[i].node ? rc->visits[i].node : "?"));
	return a;
}

static json_t *jpath_new(const flow *f, const replay_stored_result *r)
{
	json_t *a = json_array();
	for (int i = 0; i < r->npath; i++)
		json_array_append_new(a, json_string(f->nodes[r->path[i]].name));
	return a;
}

static int load_flow(const char *path, flow **f);

static int replay_from(const char *flow_path, const char *db_path, int64_t run_id, bool json)
{
	char err[512];
	store *db = NULL;
	if (store_open_flags(db_path, STORE_READONLY_OPEN, STORE_BUSY_MS_DEFAULT, &db,
	                     err, sizeof err) != 0) {
		fprintf(stderr, "tierline replay: %s\n", err);
		return 2;
	}
	int rc;
	if (run_id <= 0) {
		rc = replay_latest_complete_run(db, &run_id);
		if (rc != 0) {
			if (rc == STORE_NOTFOUND)
				fprintf(stderr, "tierline replay: %s: no complete run to replay\n", db_path);
			else
				fprintf(stderr, "tierline replay: %s\n", store_errmsg(db));
			store_close(db);
			return 2;
		}
	}
	store_run_info ri;
	rc = store_run_get(db, run_id, &ri);
	if (rc != 0) {
		if (rc == STORE_NOTFOUND)
			fprintf(stderr, "tierline replay: %s: no run %lld\n", db_path, (long long)run_id);
		else
			fprintf(stderr, "tierline replay: %s\n", store_errmsg(db));
		store_close(db);
		return 2;
	}
	if (!ri.complete)
		fprintf(stderr, "tierline replay: warning: run %lld is incomplete (its writer did not "
		        "finish); replaying the calls it stored\n", (long long)run_id);
	flow *f = NULL;
	if (load_flow(flow_path, &f) != 0) {
		store_close(db);
		return 2;
	}
	replay_reader *rd = NULL;
	replay_stored *pl = replay_stored_new(f);
	if (!pl || replay_reader_open(db, run_id, &rd, err, sizeof err) != 0) {
		fprintf(stderr, "tierline replay: %s: %s\n", db_path, pl ? err : "out of memory");
		replay_stored_free(pl);
		flow_free(f);
		store_close(db);
		return 2;
	}
	int64_t ncalls = 0, same = 0, path_changed = 0, out_changed = 0, skipped = 0;
	int64_t *tm = calloc((size_t)NOUT * NOUT, sizeof *tm);
	json_t *jchanges = json ? json_array() : NULL, *jskipped = json ? json_array() : NULL;
	buf a, b;
	buf_init(&a);
	buf_init(&b);
	int st = 0;
	const rec_call *c;
	while ((rc = replay_reader_next(rd, &c, err, sizeof err)) == 1) {
		replay_stored_result r;
		if (replay_stored_play(pl, c, NULL, &r) != 0) {
			snprintf(err, sizeof err, "call %llu: out of memory", (unsigned long long)c->seq);
			rc = -1;
			break;
		}
		ncalls++;
		if (r.status != REPLAY_STORED_OK) {
			char why[256];
			if (r.status == REPLAY_STORED_NO_LINE)
				snprintf(why, sizeof why, "line %s is not in the flow", c->line ? c->line : "(none)");
			else
				snprintf(why, sizeof why, "language %s is not in the flow", c->lang);
			skipped++;
			if (json)
				json_array_append_new(jskipped, json_pack("{s:I,s:s}", "call", (json_int_t)c->seq,
				                                          "reason", why));
			else
				printf("call %llu: %s (not replayed)\n", (unsigned long long)c->seq, why);
			continue;
		}
		int from = out_index(c->outcome), to = (int)r.outcome;
		bool oc = from != to;
		bool pc = !replay_path_equal(f, c, r.path, r.npath);
		if (!oc && !pc) {
			same++;
			continue;
		}
		if (oc) {
			out_changed++;
			tm[from * NOUT + to]++;
		} else {
			path_changed++;
		}
		if (json) {
			json_t *o = json_pack("{s:I,s:s,s:s,s:b,s:b}", "call", (json_int_t)c->seq,
			                      "old_outcome", out_label(from), "new_outcome", out_label(to),
			                      "outcome_changed", oc, "path_changed", pc);
			json_object_set_new(o, "old_path", jpath_old(c));
			json_object_set_new(o, "new_path", jpath_new(f, &r));
			json_array_append_new(jchanges, o);
			continue;
		}
		a.len = 0;
		b.len = 0;
		if (a.p)
			a.p[0] = 0;
		if (b.p)
			b.p[0] = 0;
		path_old(c, &a);
		path_new(f, &r, &b);
		printf("call %llu: ", (unsigned long long)c->seq);
		if (oc)
			printf("outcome %s -> %s; ", out_label(from), out_label(to));
		if (pc)
			printf("path %s -> %s\n", a.p, b.p);
		else
			printf("path %s (same)\n", a.p);
	}
	buf_free(&a);
	buf_free(&b);
	if (rc < 0) {
		fprintf(stderr, "tierline replay: %s: %s\n", db_path, err);
		st = 2;
	}
	/* The outcome transitions, most frequent first. */
	trans *tr = calloc((size_t)NOUT * NOUT, sizeof *tr);
	int ntr = 0;
	for (int i = 0; tm && tr && i < NOUT; i++)
		for (int j = 0; j < NOUT; j++)
			if (tm[i * NOUT + j]) {
				tr[ntr].from = i;
				tr[ntr].to = j;
				tr[ntr].n = tm[i * NOUT + j];
				ntr++;
			}
	if (ntr > 1)
		qsort(tr, (size_t)ntr, sizeof *tr, cmp_trans);
	if (st == 0) {
		if (json) {
			json_t *jt = json_array();
			for (int i = 0; i < ntr; i++)
				json_array_append_new(jt, json_pack("{s:s,s:s,s:I}", "from", out_label(tr[i].from),
				                                     "to", out_label(tr[i].to), "n", (json_int_t)tr[i].n));
			json_t *doc = json_pack("{s:I,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I}",
			                        "run", (json_int_t)run_id, "run_mode", ri.mode,
			                        "run_flow", ri.flow_path, "flow", flow_path,
			                        "run_complete", ri.complete,
			                        "calls", (json_int_t)ncalls, "same", (json_int_t)same,
			                        "path_changed", (json_int_t)path_changed,
			                        "outcome_changed", (json_int_t)out_changed,
			                        "skipped", (json_int_t)skipped);
			json_object_set_new(doc, "transitions", jt);
			json_object_set_new(doc, "changes", jchanges);
			json_object_set_new(doc, "skipped_calls", jskipped);
			jchanges = jskipped = NULL;
			char *txt = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			if (txt)
				puts(txt);
			free(txt);
			json_decref(doc);
		} else {
			printf("run %lld (%s of %s) against %s: %lld calls, %lld same, %lld path changed, "
			       "%lld outcome changed",
			       (long long)run_id, ri.mode, ri.flow_path[0] ? ri.flow_path : "?", flow_path,
			       (long long)ncalls, (long long)same, (long long)path_changed,
			       (long long)out_changed);
			if (skipped)
				printf(", %lld not replayed", (long long)skipped);
			printf("\n");
			if (ntr) {
				printf("outcome transitions (old -> new: calls):\n");
				for (int i = 0; i < ntr; i++)
					printf("  %s -> %s: %lld\n", out_label(tr[i].from), out_label(tr[i].to),
					       (long long)tr[i].n);
			}
		}
		st = (path_changed || out_changed || skipped) ? 1 : 0;
	}
	json_decref(jchanges);
	json_decref(jskipped);
	free(tr);
	free(tm);
	replay_reader_free(rd);
	replay_stored_free(pl);
	flow_free(f);
	store_close(db);
	return st;
}

/* Load FLOW with diagnostics; 0 or 2. */
static int load_flow(const char *path, flow **f)
{
	diag_list dl;
	diag_init(&dl);
	int rc = flow_load(path, f, &dl);
	if (rc != 0) {
		diag_sort(&dl);
		diag_print(&dl, stderr);
		if (dl.nerrors == 0)
			fprintf(stderr, "tierline replay: cannot load %s\n", path);
		diag_free(&dl);
		return 2;
	}
	diag_free(&dl);
	return 0;
}

static char *options_json(const char *line, const char *scen_path, int nfiles)
{
	json_t *o = json_object();
	json_object_set_new(o, "scripts", json_integer(nfiles));
	if (line)
		json_object_set_new(o, "line", json_string(line));
	if (scen_path)
		json_object_set_new(o, "scenario", json_string(scen_path));
	char *txt = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return txt;
}

static int replay_scripts(const char *flow_path, const char **files, int nfiles,
                          const char *line, bool trace, const char *scen_path,
                          const char *db_path)
{
	flow *f = NULL;
	if (load_flow(flow_path, &f) != 0)
		return 2;
	scenario *scen = NULL;
	if (scen_path) {
		diag_list dl;
		diag_init(&dl);
		int rc = scen_load(scen_path, f, &scen, &dl);
		if (rc != 0 || dl.nerrors) {
			diag_sort(&dl);
			diag_print(&dl, stderr);
			diag_free(&dl);
			scen_free(scen);
			flow_free(f);
			return 2;
		}
		diag_sort(&dl);
		diag_print(&dl, stderr);   /* warnings */
		diag_free(&dl);
	}
	db_out d;
	memset(&d, 0, sizeof d);
	db_out *dp = NULL;
	if (db_path) {
		char err[512];
		d.path = db_path;
		if (store_open(db_path, &d.db, err, sizeof err) != 0) {
			fprintf(stderr, "tierline replay: %s\n", err);
			scen_free(scen);
			flow_free(f);
			return 2;
		}
		char sha[65] = "";
		store_sha256_file(flow_path, sha);
		char *opts = options_json(line, scen_path, nfiles);
		rec_run rr;
		memset(&rr, 0, sizeof rr);
		rr.mode = "replay";
		rr.flow_path = flow_path;
		rr.flow_sha256 = sha;
		rr.timezone = f->timezone;
		rr.scenario = scen_path;
		rr.seed = scen ? scen->seed : 0;
		rr.options = opts;
		int rc = store_run_begin(d.db, &rr, &d.run_id);
		free(opts);
		if (rc != 0) {
			fprintf(stderr, "tierline replay: %s\n", store_errmsg(d.db));
			store_close(d.db);
			scen_free(scen);
			flow_free(f);
			return 2;
		}
		recorder_init(&d.rec, f);
		dp = &d;
	}
	int st = 0;
	for (int i = 0; i < nfiles; i++) {
		int r = replay_one(f, files[i], line, trace, scen, dp);
		if (r > st)
			st = r;
	}
	if (dp) {
		if (!d.failed && store_run_finish(d.db, d.run_id, true) != 0) {
			fprintf(stderr, "tierline replay: %s\n", store_errmsg(d.db));
			d.failed = true;
		}
		if (store_close(d.db) != 0)
			d.failed = true;
		recorder_free(&d.rec);
		if (d.failed)
			st = 2;
	}
	scen_free(scen);
	flow_free(f);
	return st;
}

int cmd_replay(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("replay");
		return 0;
	}
	const char *flow_path = NULL, *line = NULL, *scen_arg = NULL, *db = NULL, *from = NULL,
	           *run = NULL;
	bool trace = false, json = false;
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	int nfiles = 0;
	if (!files)
		return 2;
	int st = 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (strcmp(a, "--trace") == 0) {
			trace = true;
			continue;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
			continue;
		} else if (strcmp(a, "--line") == 0) {
			dst = &line;
		} else if (strcmp(a, "--scenario") == 0) {
			dst = &scen_arg;
		} else if (strcmp(a, "--db") == 0) {
			dst = &db;
		} else if (strcmp(a, "--from") == 0) {
			dst = &from;
		} else if (strcmp(a, "--run") == 0) {
			dst = &run;
		} else if (a[0] == '-' && a[1] != '\0') {
			usage_err("unknown option", a);
			goto out;
		} else if (!flow_path) {
			flow_path = a;
			continue;
		} else {
			files[nfiles++] = a;
			continue;
		}
		if (i + 1 >= argc) {
			usage_err("missing value after", a);
			goto out;
		}
		*dst = argv[++i];
	}
	if (!flow_path) {
		usage_err("missing FLOW", NULL);
		goto out;
	}
	if (from || run) {
		if (!from) {
			usage_err("--run needs --from DB", NULL);
			goto out;
		}
		if (nfiles || line || scen_arg || db || trace) {
			usage_err("--from takes only FLOW, --run ID and --json", NULL);
			goto out;
		}
		int64_t run_id = 0;
		if (run) {
			char *end = NULL;
			long long v = strtoll(run, &end, 10);
			if (!end || *end || end == run || v <= 0) {
				usage_err("--run wants a positive run id, not", run);
				goto out;
			}
			run_id = v;
		}
		st = replay_from(flow_path, from, run_id, json);
		goto out;
	}
	if (json) {
		usage_err("--json goes with --from", NULL);
		goto out;
	}
	if (nfiles == 0) {
		usage_err("no call script or WAV file given", NULL);
		goto out;
	}
	st = replay_scripts(flow_path, files, nfiles, line, trace, scen_arg, db);
out:
	free(files);
	return st;
}
