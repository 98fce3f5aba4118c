/*
 * console.h — one live call in the terminal (`tierline call`).
 *
 * The call runs on libevent with the real-time scheduler: prompts are shown
 * as their text when they start, keys are read as they are typed (raw mode
 * when the input is a terminal) or piped, timeouts are real.  With no agents
 * in console mode the person at the keyboard is also the agent (docs/console.md).
 *
 * The console can record the call as a call script that `replay` reproduces
 * exactly.  For that, caller events are stamped so that the order the console
 * used is the order replay will use: before a key is handed to the call,
 * every timer already due strictly before it is delivered first, and a key is
 * never stamped on the same millisecond as a timer that already fired (at one
 * instant, replay puts caller events before timers).
 *
 * This module writes what the caller sees to opts.out and touches the
 * terminal; it never exits the process.  The terminal mode is restored on
 * every way out, including SIGINT/SIGTERM/SIGHUP (a clean hang-up) and fatal
 * signals (restore, then the default action).
 */
#ifndef TIERLINE_CONSOLE_H
#define TIERLINE_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "tierline/call.h"
#include "tierline/flow.h"
#include "tierline/util.h"

typedef struct console_opts {
	const char *line;          /* NULL: "main" when the flow has it, else its first line */
	const char *lang;          /* NULL: the line's default language */
	bool has_at;               /* place the call at local time `at` ... */
	int64_t at;                /* ... (local ms); else now, in the flow's time zone */
	int in_fd;                 /* where keys come from (0) */
	FILE *out;                 /* what the caller sees (stdout) */
	bool raw;                  /* in_fd is a terminal: read keys without Enter */
	bool record;               /* build the call as a call script */
	const char *record_path;   /* written into the script's header comment */
} console_opts;

typedef struct console_result {
	call_outcome outcome;
	buf script;                /* the recorded call script (opts.record) */
} console_result;

/* Run one call to its end.  Returns 0, or 2 with a message in err (unknown
 * line or language, no terminal, libevent failure). */
int  console_run(const flow *f, const console_opts *o, console_result *r,
                 char *err, size_t errlen);
void console_result_free(console_result *r);

/* The keys the console understands, for --help and the banner. */
void console_help(FILE *out);

#endif
