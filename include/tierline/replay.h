/*
 * replay.h — play one call script against a flow, on the virtual clock.
 *
 * The driver schedules every line of the script (each key of a `press`
 * separately) on a virtual scheduler in the caller priority band, so at any
 * instant script events come before the engine's timers, then places the
 * call and lets the scheduler jump from event to event.  Agent lines act on
 * the call's current queue leg.  When the call reaches a point where nothing
 * more can happen without the script (waiting in a queue without max_wait,
 * or talking, with no agent line left), the caller hangs up at the later of
 * that moment and the last line's time; in any case one hour after the last
 * line.  Expectations are checked against the finished call.
 *
 * Nothing here prints: the trace and the failure messages are returned as
 * text for the CLI.  The run is deterministic: the same flow and script give
 * the same trace byte for byte.
 */
#ifndef TIERLINE_REPLAY_H
#define TIERLINE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/call.h"
#include "tierline/flow.h"
#include "tierline/script.h"
#include "tierline/util.h"

#define REPLAY_HANGUP_AFTER_MS 3600000LL   /* the caller's patience after the last line */

typedef struct replay_opts {
	bool trace;                  /* fill replay_result.trace */
	/* Called with every action the call emits (e.g. a recorder for --db);
	 * may be NULL. */
	call_sink extra;
} replay_opts;

typedef struct replay_result {
	int status;                  /* 0 every expectation held, 1 some failed */
	int nfailed;                 /* failed expectations (agent lines included) */
	buf trace;                   /* the trace (opts.trace), one event a line */
	buf failures;                /* "FILE:LINE: expected ..., got ...\n" lines */
	call_outcome outcome;
	int64_t start, end;          /* local ms */
	int final_node;              /* -1 when none */
} replay_result;

/* Run script s (already checked against f with script_check) on flow f.
 * Returns 0 when the run completed (see r->status), -1 when out of memory. */
int  replay_run(const flow *f, const script *s, const replay_opts *o, replay_result *r);
void replay_result_free(replay_result *r);

/* An offset since the call's start for messages: "62.345s". */
void replay_fmt_offset(int64_t ms, char *out, size_t n);

#endif
