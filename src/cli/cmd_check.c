/* cmd_check.c — `tierline check FLOW [SCENARIO] [--strict] [--json]`.
 *
 * Exit 0 when the flow (and the scenario, when given) is valid (warnings
 * allowed), 1 when either has errors (or warnings with --strict), 2 for bad
 * usage or a file that cannot be read.  Diagnostics of both files go to
 * stderr, or as one JSON array to stdout with --json; the one-line summary
 * of each valid file goes to stdout.  A scenario is checked only against a
 * flow without errors (its names are resolved in that flow).
 */
#include <stdio.h>
#include <string.h>
#include "tierline/flow.h"
#include "tierline/scenario.h"
#include "cli.h"

int cmd_check(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("check");
		return 0;
	}
	const char *path = NULL, *scen_path = NULL;
	bool strict = false, json = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--strict") == 0) {
			strict = true;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "tierline check: unknown option '%s'\n", a);
			cli_usage(stderr, "check");
			return 2;
		} else if (!path) {
			path = a;
		} else if (!scen_path) {
			scen_path = a;
		} else {
			fprintf(stderr, "tierline check: too many arguments ('%s')\n", a);
			cli_usage(stderr, "check");
			return 2;
		}
	}
	if (!path) {
		cli_usage(stderr, "check");
		return 2;
	}

	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	scenario *sc = NULL;
	int r = flow_load(path, &f, &dl);
	int flow_warnings = dl.nwarnings;
	int rs = 0;
	if (r == 0 && scen_path)
		rs = scen_load(scen_path, f, &sc, &dl);
	diag_sort(&dl);
	if (json)
		diag_print_json(&dl, stdout);
	else
		diag_print(&dl, stderr);

	int status;
	if (r == 2 || rs == 2) {
		status = 2;
	} else if (r != 0 || rs != 0) {
		if (!json)
			fprintf(stderr, "%s: %d error%s, %d warning%s\n",
			        r != 0 || !scen_path ? path : scen_path, dl.nerrors,
			        dl.nerrors == 1 ? "" : "s", dl.nwarnings, dl.nwarnings == 1 ? "" : "s");
		status = 1;
	} else if (strict && dl.nwarnings > 0) {
		if (!json)
			fprintf(stderr, "%s: %d warning%s (--strict makes them errors)\n",
			        scen_path ? scen_path : path,
			        dl.nwarnings, dl.nwarnings == 1 ? "" : "s");
		status = 1;
	} else {
		if (!json) {
			printf("%s: ok (%d line%s, %d node%s, %d queue%s, %d office%s, %d prompt%s; "
			       "%d warning%s)\n", path,
			       f->nlines, f->nlines == 1 ? "" : "s",
			       f->nnodes, f->nnodes == 1 ? "" : "s",
			       f->nqueues, f->nqueues == 1 ? "" : "s",
			       f->noffices, f->noffices == 1 ? "" : "s",
			       f->nprompts, f->nprompts == 1 ? "" : "s",
			       flow_warnings, flow_warnings == 1 ? "" : "s");
			if (sc) {
				int w = dl.nwarnings - flow_warnings;
				printf("%s: ok (%d arrival block%s, %d agents block%s, %d answer block%s; "
				       "%d warning%s)\n", scen_path,
				       sc->narrivals, sc->narrivals == 1 ? "" : "s",
				       sc->nagents, sc->nagents == 1 ? "" : "s",
				       sc->caller.nanswers, sc->caller.nanswers == 1 ? "" : "s",
				       w, w == 1 ? "" : "s");
			}
		}
		status = 0;
	}
	scen_free(sc);
	flow_free(f);
	diag_free(&dl);
	return status;
}
