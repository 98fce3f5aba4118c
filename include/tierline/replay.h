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
#include "tierline/record.h"
#include "tierline/script.h"
#include "tierline/util.h"

#define REPLAY_HANGUP_AFTER_MS 3600000LL   /* the caller's patience after the last line */

struct scenario;

typedef struct replay_opts {
	bool trace;                  /* fill replay_result.trace */
	/* Called with every action the call emits (e.g. a recorder for --db);
	 * may be NULL. */
	call_sink extra;
	/* --scenario: simulated agents answer the call's queue legs when the
	 * script has no `answer` line (a script with one is answered by its own
	 * lines only).  The agent answers as soon as the queue is staffed (the
	 * staff profile at the entry time, else its next rise), draws its handle
	 * time and outcome from the queue's `agents` block with an rng seeded
	 * from the scenario's seed (fresh per script: deterministic).  NULL: no
	 * simulated agents. */
	const struct scenario *scen;
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

/* ---- replaying stored calls: `replay FLOW --from DB [--run ID]` ----------
 *
 * A stored call (rec_call, as the store keeps it: times in local ms) is
 * played against a flow, usually an edited version of the one that made it:
 *   - the call is placed on its line, in its language, with its initial
 *     variables, at its arrival time;
 *   - the caller presses every stored key at its stored time (caller band);
 *   - queue legs are played by position: leg i of the new call gets the
 *     agent side of stored leg i relative to its own entry: answered after
 *     the stored wait, ended after the stored talk time with the stored
 *     result (an agent outcome, or the caller hanging up / asking for a
 *     supervisor); an unanswered stored leg ends as it did after its wait
 *     (abandoned: the caller hangs up; asked-supervisor: asks; timeout: the
 *     flow's max_wait, else the caller hangs up then);
 *   - at the stored call's end the caller hangs up if the call is still in
 *     the IVR or in a leg the stored call did not have (a new leg entered
 *     after that time is abandoned at once).  That hang-up comes after the
 *     engine's timers of the same instant, except for a stored
 *     `abandoned-ivr` call, whose caller hung up first;
 *   - in any case the caller hangs up one hour after the stored end.
 * Played against the flow that made it, a call takes the same path to the
 * same outcome (the test suite checks it on simulated runs). */

#define REPLAY_PRI_LATE 2            /* scheduler band after the engine's timers */

typedef enum replay_stored_status {
	REPLAY_STORED_OK = 0,        /* played */
	REPLAY_STORED_NO_LINE,       /* its line is not in the flow: not played */
	REPLAY_STORED_NO_LANG        /* its language is not in the flow: not played */
} replay_stored_status;

typedef struct replay_stored_result {
	replay_stored_status status;
	call_outcome outcome;        /* of the new call */
	int64_t end;                 /* local ms */
	const int *path; int npath;  /* node indexes visited, in order (valid until
	                                the next play or free) */
} replay_stored_result;

typedef struct replay_stored replay_stored;   /* reusable player: buffers kept */

replay_stored *replay_stored_new(const flow *f);
void replay_stored_free(replay_stored *p);
/* Play one stored call; extra (may be NULL) receives every action.
 * Returns 0, or -1 when out of memory. */
int  replay_stored_play(replay_stored *p, const rec_call *rc, const call_sink *extra,
                        replay_stored_result *out);

/* Does the stored path (rc->visits) equal the new one (node names)? */
bool replay_path_equal(const flow *f, const rec_call *rc, const int *path, int npath);

/* ---- reading a run's calls (streamed, one prepared statement) ------------ */
struct store;
typedef struct replay_reader replay_reader;
/* Start reading the calls of run_id in seq order.  Returns 0, or -1 with a
 * message in err. */
int  replay_reader_open(struct store *db, int64_t run_id, replay_reader **out,
                        char *err, size_t errlen);
/* The next call: 1 (and *rc, valid until the next call), 0 at the end, -1 on
 * error (message in err: an unreadable row names its call). */
int  replay_reader_next(replay_reader *r, const rec_call **rc, char *err, size_t errlen);
void replay_reader_free(replay_reader *r);
/* The id of the latest complete run: 0 and *run_id, STORE_NOTFOUND (<0) when
 * there is none, other store_status on error. */
int  replay_latest_complete_run(struct store *db, int64_t *run_id);

#endif
