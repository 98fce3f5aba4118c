/*
 * cmd_replay.c — `tierline replay`: call scripts and recorded audio against
 * a flow, with their expectations checked.
 *
 *   replay FLOW FILE.call|FILE.wav... [--line L] [--scenario S] [--db DB] [--trace]
 *   replay FLOW --from DB [--run ID]
 *
 * Per script: the trace (with --trace), the failed expectations, then one
 * summary line (PASS / FAIL / INVALID).  Exit status: the highest of the
 * scripts' (0 every expectation held, 1 some failed, 2 invalid input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli.h"
#include "tierline/flow.h"
#include "tierline/replay.h"
#include "tierline/script.h"
#include "tierline/dtmf.h"

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

static int replay_one(const flow *f, const char *path, const char *line, bool trace)
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
	replay_result r;
	if (replay_run(f, s, &o, &r) != 0) {
		fprintf(stderr, "tierline replay: %s: out of memory\n", path);
		script_free(s);
		return 2;
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

int cmd_replay(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "replay");
		fputs("\noptions:\n"
		      "  --line L       the line to call (overrides the scripts' `call` line; needed for WAV)\n"
		      "  --trace        print every event and action with its time (deterministic)\n"
		      "  --scenario S   let simulated agents answer queued calls (needs the simulator)\n"
		      "  --db DB        store the replayed calls (needs the record store)\n"
		      "  --from DB      replay the calls stored in DB (--run ID picks a run)\n"
		      "\nexit status: 0 every expectation held, 1 some failed, 2 invalid script, flow or usage\n"
		      "See docs/call-scripts.md.\n", stdout);
		return 0;
	}
	const char *flow_path = NULL, *line = NULL, *scenario = NULL, *db = NULL, *from = NULL,
	           *run = NULL;
	bool trace = false;
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	int nfiles = 0;
	if (!files)
		return 2;
	int st = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (strcmp(a, "--trace") == 0) {
			trace = true;
			continue;
		} else if (strcmp(a, "--line") == 0) {
			dst = &line;
		} else if (strcmp(a, "--scenario") == 0) {
			dst = &scenario;
		} else if (strcmp(a, "--db") == 0) {
			dst = &db;
		} else if (strcmp(a, "--from") == 0) {
			dst = &from;
		} else if (strcmp(a, "--run") == 0) {
			dst = &run;
		} else if (a[0] == '-' && a[1] != '\0') {
			usage_err("unknown option", a);
			free(files);
			return 2;
		} else if (!flow_path) {
			flow_path = a;
			continue;
		} else {
			files[nfiles++] = a;
			continue;
		}
		if (i + 1 >= argc) {
			usage_err("missing value after", a);
			free(files);
			return 2;
		}
		*dst = argv[++i];
	}
	if (!flow_path) {
		usage_err("missing FLOW", NULL);
		free(files);
		return 2;
	}
	if (from || run) {
		fprintf(stderr, "tierline replay: --from/--run (replaying stored calls) are not built yet: "
		        "they arrive with the record store and simulator work (issue 6)\n");
		free(files);
		return 2;
	}
	if (scenario) {
		fprintf(stderr, "tierline replay: --scenario (simulated agents answering queued calls) "
		        "needs the simulator, which is not built yet; write `answer` and agent "
		        "lines in the script instead\n");
		free(files);
		return 2;
	}
	if (db) {
		fprintf(stderr, "tierline replay: --db (storing replayed calls) is not built yet: "
		        "storing arrives with the record store (issue 6)\n");
		free(files);
		return 2;
	}
	if (nfiles == 0) {
		usage_err("no call script or WAV file given", NULL);
		free(files);
		return 2;
	}
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	int rc = flow_load(flow_path, &f, &dl);
	if (rc != 0) {
		diag_sort(&dl);
		diag_print(&dl, stderr);
		if (dl.nerrors == 0)
			fprintf(stderr, "tierline replay: cannot load %s\n", flow_path);
		diag_free(&dl);
		free(files);
		return 2;
	}
	diag_free(&dl);
	for (int i = 0; i < nfiles; i++) {
		int r = replay_one(f, files[i], line, trace);
		if (r > st)
			st = r;
	}
	flow_free(f);
	free(files);
	return st;
}
