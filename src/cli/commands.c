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
	  "parse and validate a flow (and a scenario against it); compiler-style diagnostics", cmd_check,
	  "\n"
	  "options:\n"
	  "  --strict   warnings fail the check too (exit 1)\n"
	  "  --json     the diagnostics as one JSON array on stdout (file, line, column,\n"
	  "             severity, code, message) instead of lines on stderr\n"
	  "\n"
	  "With SCENARIO, the scenario is read against the flow: every queue the flow\n"
	  "can reach has agents, every menu share names a real option, shares add up.\n"
	  "exit status: 0 no errors, 1 errors (or warnings with --strict), 2 a file\n"
	  "could not be read or bad usage.  See docs/diagnostics.md.\n" },
	{ "graph", "graph FLOW [-o out.svg|out.dot] [--coverage DB [--run ID]]",
	  "draw the menu tree as Graphviz DOT (SVG when dot is installed)", cmd_graph,
	  "\n"
	  "options:\n"
	  "  -o FILE        write FILE instead of DOT on stdout: .dot (or .gv) as DOT,\n"
	  "                 .svg through Graphviz `dot -Tsvg` (exit 2 without dot)\n"
	  "  --coverage DB  label each node and edge with how many stored calls of a\n"
	  "                 run visited or took it (what none did is grey)\n"
	  "  --run ID       with --coverage: the run (default: the latest)\n"
	  "See docs/flow-language.md.\n" },
	{ "call", "call FLOW [--line L] [--lang X] [--record FILE.call]",
	  "a live call in the terminal: prompts as text, keys from the keyboard", cmd_call,
	  "\n"
	  "options:\n"
	  "  --line L            the line to call (default: main, else the flow's first line)\n"
	  "  --lang X            start in language X (default: the line's)\n"
	  "  --record FILE.call  write the call as a call script that `replay` reproduces\n"
	  "  --at 'DATE TIME'    place the call at that local time (e.g. '2026-11-30 10:00')\n"
	  "\n" },
	{ "replay", "replay FLOW FILE.call|FILE.wav... [--line L] [--scenario S] [--db DB] [--trace]\n"
	            "       tierline replay FLOW --from DB [--run ID] [--json]",
	  "replay call scripts or recorded audio and check their expectations", cmd_replay,
	  "\n"
	  "options:\n"
	  "  --line L       the line to call (overrides the scripts' `call` line; needed for WAV)\n"
	  "  --trace        print every event and action with its time (deterministic)\n"
	  "  --scenario S   simulated agents answer queued calls of scripts without `answer` lines\n"
	  "  --db DB        store the replayed calls as one run (mode \"replay\"); off by default\n"
	  "  --from DB      replay the calls stored in DB against FLOW and report what changed\n"
	  "  --run ID       with --from: the run to replay (default: the latest complete run)\n"
	  "  --json         with --from: one JSON document on stdout\n"
	  "\nexit status: 0 every expectation held (--from: nothing changed), 1 some failed\n"
	  "(--from: some call's path or outcome changed), 2 invalid script, flow, database or usage\n"
	  "See docs/call-scripts.md.\n" },
	{ "simulate", "simulate FLOW SCENARIO [--db DB | --no-db] [--seed N] [--calls N] [--replications N] [--sl 20s] [--report out.html] [--json]",
	  "discrete-event simulation of a scenario: per-queue, per-interval figures", cmd_simulate,
	  "\n"
	  "options:\n"
	  "  --db DB            store every call, queue leg, request and interval in DB,\n"
	  "                     a run per replication (default tierline.db)\n"
	  "  --no-db            store nothing (fastest)\n"
	  "  --seed N           override the scenario's seed\n"
	  "  --calls N          stop arrivals after N counted calls (1 to 10000000)\n"
	  "                     instead of at the end of the scenario's length\n"
	  "  --replications N   N independent runs; every figure is their mean with its\n"
	  "                     95% confidence half-width\n"
	  "  --sl 20s           the service-level threshold (default 20s)\n"
	  "  --report out.html  write the HTML report of the stored run (needs --db)\n"
	  "  --json             one JSON document on stdout instead of the tables\n"
	  "\n"
	  "Same flow, scenario and seed: byte-identical output.  A progress line shows\n"
	  "on stderr when a run takes over a second and stderr is a terminal.\n"
	  "exit status: 0 done, 1 the flow or scenario has errors, 2 bad usage or a file\n"
	  "that could not be read.  See docs/simulate.md.\n" },
	{ "staff", "staff FLOW SCENARIO --target 'tier1 80%/20s, abandon<5%' [--replications N] [--seed N] [--json] [--report out.html]",
	  "the fewest agents per queue and interval that meet the targets", cmd_staff,
	  "\n"
	  "options:\n"
	  "  --target T         the goals (required), comma-separated, each\n"
	  "                     '[QUEUE] SL%/DURATION' or '[QUEUE] abandon<P%'; a goal\n"
	  "                     without a queue continues the last one named, and before\n"
	  "                     any name applies to every queue the scenario staffs\n"
	  "  --replications N   independent days pooled in every check (default 3)\n"
	  "  --seed N           override the scenario's seed\n"
	  "  --json             the plan as one JSON document on stdout\n"
	  "  --report out.html  store the final plan's run in --db, write its HTML report\n"
	  "  --db DB            where --report stores that run (default tierline.db)\n"
	  "\n"
	  "Queues without a goal keep the scenario's staffing.\n"
	  "exit status: 0 every targeted interval meets its goal, 1 the search could\n"
	  "not get there (or the inputs have errors), 2 bad usage or a file that\n"
	  "could not be read.  See docs/simulate.md.\n" },
	{ "erlang", "erlang --rate 200/h --aht 180s [--agents N] [--patience 60s] [--sl 20s] [--target 80%/20s] [--json]",
	  "analytic Erlang B/C (and Erlang A with --patience) figures", cmd_erlang,
	  "\n"
	  "options:\n"
	  "  --rate R       arrivals: 200/h, 3/m, 0.05/s, 100/30m (required)\n"
	  "  --aht D        average handle time: 180s, 3m (required)\n"
	  "  --agents N     the figures for N agents; without it, the fewest agents that\n"
	  "                 meet --target and a table from 3 below to 3 above them\n"
	  "  --patience D   mean patience: Erlang A (M/M/n+M), callers abandon\n"
	  "  --sl D         the service-level threshold shown (default: the target's,\n"
	  "                 else 20s)\n"
	  "  --target T     the goal, 80%/20s by default, optionally ',abandon<5%';\n"
	  "                 with --agents, exit 1 when N does not meet it\n"
	  "  --json         one JSON object on stdout\n"
	  "\n"
	  "The text output also gives P(block), Erlang B: the same load with no queue.\n"
	  "See docs/erlang.md.\n" },
	{ "serve", "serve FLOW [--scenario S] [--listen 127.0.0.1:8080] [--db DB]",
	  "the live engine: HTTP API to place calls and send keys, /metrics", cmd_serve,
	  "\n"
	  "options:\n"
	  "  --scenario S        agents of the queues the scenario staffs come from it\n"
	  "                      (staff at the current local time, handle time and\n"
	  "                      outcomes drawn from it); other queues are answered\n"
	  "                      through the API\n"
	  "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080; port 0\n"
	  "                      picks a free port); prints 'listening on HOST:PORT'\n"
	  "  --db DB             store every finished call in a run (mode serve)\n"
	  "  --seed N            seed for handle times and outcomes (default: the\n"
	  "                      scenario's)\n"
	  "\nAPI: POST /calls, GET /calls, GET /calls/ID, POST /calls/ID/{keys,hangup,\n"
	  "supervisor,answer,done}, GET /calls/ID/events?since=K, GET /queues,\n"
	  "GET /metrics, GET /healthz.  SIGINT/SIGTERM: hang up live calls, complete\n"
	  "the run, exit 0.  See docs/serve.md.\n" },
	{ "report", "report DB [--run ID] [--compare ID1 ID2] [--html out.html] [--queue-log FILE] [--cdr FILE] [--csv DIR]",
	  "figures and exports from a stored database", cmd_report,
	  "\n"
	  "options:\n"
	  "  --run ID            the run to report (default: the latest)\n"
	  "  --json              one JSON document instead of the tables\n"
	  "  --compare ID1 ID2   two runs side by side with differences (B - A)\n"
	  "  --html FILE         a self-contained page with charts and the IVR flow\n"
	  "  --target P          service-level target drawn in the HTML (default 80%)\n"
	  "  --queue-log FILE    Asterisk queue_log lines\n"
	  "  --cdr FILE          Asterisk CDR CSV (cdr_csv column order)\n"
	  "  --csv DIR           one CSV per table of the run (RFC 4180)\n"
	  "docs/database.md describes the schema, the figures and the export formats.\n" },
	{ "dtmf", "dtmf detect FILE.wav [--json]\n"
	          "       tierline dtmf gen KEYS FILE.wav [--tone 100ms] [--gap 100ms] [--level -10] [--lead 500ms] [--noise -40] [--seed N]",
	  "DTMF keys and their times in audio; audio for a key string", cmd_dtmf,
	  "\n"
	  "detect:\n"
	  "  --json          the keys as a JSON array (key, start and duration in s)\n"
	  "                  instead of lines 'START KEY DURATION'\n"
	  "gen:\n"
	  "  --tone 100ms    each key's tone (default 100ms)\n"
	  "  --gap 100ms     silence after each key (default 100ms)\n"
	  "  --level -10     each tone's level in dBm0 (default -10)\n"
	  "  --lead 500ms    silence before the first key (default none)\n"
	  "  --noise -40     white noise of this power in dBm0 (default none)\n"
	  "  --seed N        the noise's seed\n"
	  "  KEYS are 0-9 * # A-D (a-d too); ',' 'w' 'W' insert 500 ms of silence.\n"
	  "See docs/dtmf.md.\n" },
	{ NULL, NULL, NULL, NULL, NULL }
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

void cli_help(const char *name)
{
	const cli_command *c = cli_find(name);
	if (!c)
		return;
	cli_usage(stdout, name);
	if (c->details)
		fputs(c->details, stdout);
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
