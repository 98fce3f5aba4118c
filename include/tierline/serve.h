/*
 * serve.h — the live engine behind an HTTP API (`tierline serve`).
 *
 * One process, one libevent event_base: an evhttp server and the real-time
 * scheduler (sched_real) share it, so every call, timer, queue and request
 * runs on one thread and nothing needs a lock.  Each call is the same
 * `call` state machine that simulate and replay drive; queues and agents are
 * the ACD (acd.h).  docs/serve.md describes the API.
 *
 * Agents: a queue whose agents the scenario describes (`agents Q { ... }`)
 * is staffed from it — the staff in force at the current local time, handle
 * time, wrap-up and outcome drawn with seeded streams.  Any other queue (all
 * of them without --scenario) has external agents: the API answers a call
 * (POST /calls/ID/answer brings one agent on duty, who takes the call at the
 * head of the queue) and finishes it (POST /calls/ID/done).
 *
 * Time: events are stamped with the wall clock in the flow's time zone, never
 * earlier than any event already given to a call or the ACD (one monotonic
 * server time), and a caller event first delivers the call's timers that are
 * already due (as the console does), so the engine sees a consistent order.
 *
 * serve_run() returns when SIGINT or SIGTERM arrives: it stops accepting,
 * hangs up the live calls, writes them, marks the run complete and frees
 * everything.  It never prints: the caller learns the bound address through
 * on_listening and diagnostics through err.
 */
#ifndef TIERLINE_SERVE_H
#define TIERLINE_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "tierline/flow.h"

struct scenario;

#define SERVE_MAX_BODY_DEFAULT (64 * 1024)
#define SERVE_KEEP_ENDED_DEFAULT 1000
#define SERVE_MAX_LIVE_DEFAULT 10000

typedef struct serve_opts {
	const char *host;            /* address to bind ("127.0.0.1") */
	int port;                    /* 0: any free port (reported by on_listening) */
	const char *flow_path;       /* for the run record */
	const struct scenario *scen; /* NULL: every queue has external agents */
	const char *scenario_path;   /* for the run record */
	uint64_t seed;               /* handle times, outcomes, wrap-ups */
	const char *db_path;         /* NULL: no database */
	const char *options_json;    /* command line as JSON, for the run record */
	size_t max_body;             /* request body limit; 0 = SERVE_MAX_BODY_DEFAULT */
	int keep_ended;              /* ended calls kept for GET; 0 = default */
	int max_live;                /* live calls accepted at once; 0 = default */
	int http_timeout_s;          /* idle/slow connection timeout; 0 = 10 */
	/* Called once the socket is bound, before serving. */
	void (*on_listening)(void *ctx, const char *host, int port);
	/* Called for problems met while serving (database write failures). */
	void (*on_warning)(void *ctx, const char *msg);
	void *ctx;
} serve_opts;

/* Serve until SIGINT/SIGTERM.  Returns 0 after a clean shutdown, 1 when the
 * database reported an error while serving (message in err), 2 when the
 * server could not start (bind, database, libevent; message in err). */
int serve_run(const flow *f, const serve_opts *o, char *err, size_t errlen);

/* Parse "HOST:PORT" (or ":PORT", or "[v6]:PORT") into host (NUL-terminated)
 * and port.  Returns 0, or -1 when malformed or the port is out of 0..65535. */
int serve_parse_listen(const char *s, char *host, size_t hostlen, int *port);

#endif
