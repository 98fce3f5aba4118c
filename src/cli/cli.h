/*
 * cli.h — the subcommands.  One file per command (src/cli/cmd_NAME.c), as in
 * tmux.  Each returns the process exit status: 0 ok, 1 the work found a
 * problem, 2 bad usage or unreadable input.  Only src/cli/ prints for people
 * or decides exit codes.
 */
#ifndef TIERLINE_CLI_H
#define TIERLINE_CLI_H

#include <stdio.h>

typedef struct cli_command {
	const char *name;
	const char *usage;      /* one line, after "tierline " */
	const char *summary;
	int (*run)(int argc, char **argv);   /* argv[0] is the command name */
	const char *details;    /* options and notes for --help (cli_help) */
} cli_command;

int cmd_check(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_staff(int argc, char **argv);
int cmd_erlang(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dtmf(int argc, char **argv);

extern const cli_command cli_commands[];
const cli_command *cli_find(const char *name);

/* Print "usage: tierline USAGE" and the summary for a command. */
void cli_usage(FILE *out, const char *name);
/* For subcommands whose issue has not landed yet: says so plainly, exit 2. */
int cli_not_built(const char *name, int issue);
struct flow;
struct scenario;
/* Load a flow and a scenario checked against it, printing every diagnostic
 * to stderr.  Returns 0, or the exit status: 1 invalid, 2 unreadable (then
 * nothing is left to free). */
int cli_load_flow_scenario(const char *flow_path, const char *scen_path,
                           struct flow **f, struct scenario **s);

/* --help on stdout: usage, summary and the command's details. */
void cli_help(const char *name);
/* True when argv[1..] contains -h or --help. */
int cli_wants_help(int argc, char **argv);

/* Print "tierline CMD: MSG[ ARG]" and CMD's usage to stderr; returns 2. */
int cli_usage_err(const char *cmd, const char *msg, const char *arg);

/* Whether an output file given on the command line (--report FILE) can be
 * written: its folder exists and is writable, and the file itself, when it
 * exists, is a writable regular file.  Asked before the work, so a long run
 * does not end in "cannot write".  Prints "tierline CMD: cannot write
 * PATH: why" and returns 2, else 0; creates nothing. */
int cli_check_writable(const char *cmd, const char *path);

struct json_t;
/* Print a JSON document and a newline on stdout.  It is rendered into one
 * string first: json_dumpf writes token by token through stdio, and one
 * string saves a USCIS day's `simulate --json` (90 kB) 2.5 M of its 387 M
 * instructions; small, but free.  A NULL document (a failed allocation
 * while building it) or no memory to render it prints "tierline CMD: out
 * of memory" to stderr instead and returns 2; else 0. */
int cli_print_json(const char *cmd, const struct json_t *j, size_t flags);

/* An option that takes a value: `--name VALUE` stores VALUE in *dst. */
typedef struct cli_opt {
	const char *name;
	const char **dst;
} cli_opt;
/* Parse argv (argv[0] the command) for a command whose options all take a
 * value and which takes one positional argument, stored in *positional
 * (left as it was when absent).  On misuse prints "tierline CMD: ..." and
 * the usage to stderr and returns 2; else 0. */
int cli_parse_valued(const char *cmd, int argc, char **argv, const cli_opt *opts, int nopts,
                     const char **positional);

#endif
