/*
 * cmd_call.c — `tierline call FLOW [--line L] [--lang X] [--record FILE.call]
 * [--at 'DATE TIME']`: one live call in the terminal (src/live/console.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "tierline/console.h"
#include "tierline/flow.h"
#include "tierline/script.h"

int cmd_call(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("call");
		console_help(stdout);
		fputs("\nWith keys piped in (not a terminal), each character is a key and newlines are\n"
		      "ignored; at the end of the input the caller presses nothing more and the call\n"
		      "runs on until it ends by itself (a call left waiting for an agent hangs up).\n"
		      "See docs/console.md.\n", stdout);
		return 0;
	}
	const char *flow_path = NULL, *line = NULL, *lang = NULL, *rec = NULL, *at = NULL;
	const cli_opt opts[] = {
		{ "--line", &line }, { "--lang", &lang }, { "--record", &rec }, { "--at", &at },
	};
	if (cli_parse_valued("call", argc, argv, opts, 4, &flow_path))
		return 2;
	if (!flow_path)
		return cli_usage_err("call", "missing FLOW", NULL);
	console_opts o = { 0 };
	o.line = line;
	o.lang = lang;
	o.in_fd = STDIN_FILENO;
	o.out = stdout;
	o.raw = isatty(STDIN_FILENO);
	o.record = rec != NULL;
	o.record_path = rec;
	if (at) {
		if (script_parse_datetime(at, &o.at) != 0) {
			fprintf(stderr, "tierline call: --at '%s': expected 'YYYY-MM-DD HH:MM[:SS]'\n", at);
			return 2;
		}
		o.has_at = true;
	}
	FILE *rf = NULL;
	if (rec) {
		/* Open it now: a path we cannot write should stop us before the call. */
		rf = fopen(rec, "w");
		if (!rf) {
			fprintf(stderr, "tierline call: cannot write %s: %s\n", rec, strerror(errno));
			return 2;
		}
	}
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	int rc = flow_load(flow_path, &f, &dl);
	if (rc != 0) {
		diag_sort(&dl);
		diag_print(&dl, stderr);
		if (dl.nerrors == 0)
			fprintf(stderr, "tierline call: cannot load %s\n", flow_path);
		diag_free(&dl);
		if (rf) {
			fclose(rf);
			remove(rec);
		}
		return 2;
	}
	diag_free(&dl);
	console_result r;
	char err[256];
	rc = console_run(f, &o, &r, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "tierline call: %s\n", err);
		if (rf) {
			fclose(rf);
			remove(rec);
		}
	} else {
		printf("outcome: %s\n", call_outcome_name(r.outcome));
		if (rf) {
			fputs(r.script.p ? r.script.p : "", rf);
			if (fclose(rf) != 0) {
				fprintf(stderr, "tierline call: cannot write %s: %s\n", rec, strerror(errno));
				rc = 2;
			} else {
				printf("recorded: %s (replay it: tierline replay %s %s)\n", rec, flow_path, rec);
			}
		}
	}
	console_result_free(&r);
	flow_free(f);
	return rc;
}
