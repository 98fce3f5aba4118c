/*
 * commands.c — the table of subcommands and shared usage helpers.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "tierline/flow.h"
#include "tierline/scenario.h"

const cli_command cli_commands[] = {
	{ "check", "check FLOW [SCENARIO] [--strict] [--json]",
	  "parse and validate a flow (and a scenario against it); compiler-style diagnostics", cmd_check },
	{ "graph", "graph FLOW [-o out.svg|out.dot] [--coverage DB [--run ID]]",
	  "draw the menu tree as Graphviz DOT (SVG when dot is installed)", cmd_graph },
	{ "call", "call FLOW [--line L] [--lang X] [--record FILE.call]",
	  "a live call in the terminal: prompts as text, keys from the keyboard", cmd_call },
	{ "replay", "replay FLOW FILE.call|FILE.wav... [--line L] [--scenario S] [--db DB] [--trace]\n"
	            "       tierline replay FLOW --from DB [--run ID] [--json]",
	  "replay call scripts or recorded audio and check their expectations", cmd_replay },
	{ "simulate", "simulate FLOW SCENARIO [--db DB | --no-db] [--seed N] [--calls N] [--replications N] [--sl 20s] [--report out.html] [--json]",
	  "discrete-event simulation of a scenario: per-queue, per-interval figures", cmd_simulate },
	{ "staff", "staff FLOW SCENARIO --target 'tier1 80%/20s, abandon<5%' [--replications N] [--seed N] [--json] [--report out.html]",
	  "the fewest agents per queue and interval that meet the targets", cmd_staff },
	{ "erlang", "erlang --rate 200/h --aht 180s [--agents N] [--patience 60s] [--sl 20s] [--target 80%/20s] [--json]",
	  "analytic Erlang B/C (and Erlang A with --patience) figures", cmd_erlang },
	{ "serve", "serve FLOW [--scenario S] [--listen 127.0.0.1:8080] [--db DB]",
	  "the live engine: HTTP API to place calls and send keys, /metrics", cmd_serve },
	{ "report", "report DB [--run ID] [--compare ID1 ID2] [--html out.html] [--queue-log FILE] [--cdr FILE] [--csv DIR]",
	  "figures and exports from a stored database", cmd_report },
	{ "dtmf", "dtmf detect FILE.wav [--json]\n"
	          "       tierline dtmf gen KEYS FILE.wav [--tone 100ms] [--gap 100ms] [--level -10] [--lead 500ms] [--noise -40] [--seed N]",
	  "DTMF keys and their times in audio; audio for a key string", cmd_dtmf },
	{ NULL, NULL, NULL, NULL }
};

const cli_command *cli_find(const char *name)
{
	for (const cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cli_usage(FILE *out, const char *name)
{
	const cli_command *c = cli_find(name);
	if (!c)
		return;
	fprintf(out, "usage: tierline %s\n\n%s\n", c->usage, c->summary);
}

int cli_not_built(const char *name, int issue)
{
	fprintf(stderr, "tierline %s: not built yet in this version (tracked as issue %d)\n",
	        name, issue);
	return 2;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int cli_usage_err(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "tierline %s: %s%s%s\n", cmd, msg, arg ? " " : "", arg ? arg : "");
	cli_usage(stderr, cmd);
	return 2;
}

int cli_check_writable(const char *cmd, const char *path)
{
	struct stat st;
	const char *why = NULL;
	if (!*path) {
		why = "empty file name";
	} else if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			why = "it is a folder";
		else if (access(path, W_OK) != 0)
			why = strerror(errno);
	} else if (errno != ENOENT) {
		why = strerror(errno);
	} else {
		/* The file is to be made: its folder must take it. */
		char *dup = strdup(path);
		if (!dup)
			why = "out of memory";
		else if (access(dirname(dup), W_OK) != 0)
			why = strerror(errno);
		free(dup);
	}
	if (!why)
		return 0;
	fprintf(stderr, "tierline %s: cannot write %s: %s\n", cmd, path, why);
	return 2;
}

int cli_print_json(const char *cmd, const json_t *j, size_t flags)
{
	char *txt = j ? json_dumps(j, flags) : NULL;
	if (!txt) {
		fprintf(stderr, "tierline %s: out of memory\n", cmd);
		return 2;
	}
	fputs(txt, stdout);
	fputc('\n', stdout);
	free(txt);
	return 0;
}

int cli_parse_valued(const char *cmd, int argc, char **argv, const cli_opt *opts, int nopts,
                     const char **positional)
{
	bool have = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		for (int k = 0; k < nopts && !dst; k++)
			if (strcmp(a, opts[k].name) == 0)
				dst = opts[k].dst;
		if (!dst) {
			if (a[0] == '-' && a[1] != '\0')
				return cli_usage_err(cmd, "unknown option", a);
			if (have)
				return cli_usage_err(cmd, "unexpected argument", a);
			*positional = a;
			have = true;
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage_err(cmd, "missing value after", a);
		*dst = argv[++i];
	}
	return 0;
}

int cli_load_flow_scenario(const char *flow_path, const char *scen_path, flow **f,
                           scenario **s)
{
	diag_list dl;
	diag_init(&dl);
	*f = NULL;
	*s = NULL;
	int rc = flow_load(flow_path, f, &dl);
	if (rc == 0)
		rc = scen_load(scen_path, *f, s, &dl);
	diag_sort(&dl);
	diag_print(&dl, stderr);
	diag_free(&dl);
	if (rc != 0) {
		flow_free(*f);
		*f = NULL;
		return rc == 2 ? 2 : 1;
	}
	return 0;
}
