/*
 * record.h — the plain structs the engine produces and the store writes.
 *
 * The engine (through a recorder attached to a call's action sink) fills one
 * rec_call per finished call; the simulator fills rec_interval rows per queue
 * and interval.  The writer (store.h) copies them into SQLite at once, so the
 * arrays here may be reused by the producer right after store_* returns.
 * Times are local ms (see util.h); names are the flow's, so a database can be
 * read without the flow file that produced it.
 *
 * Strings may be NULL where noted; every pointer only needs to stay valid for
 * the duration of the store_* call that receives the struct.
 */
#ifndef TIERLINE_RECORD_H
#define TIERLINE_RECORD_H

#include <stdint.h>
#include <stdbool.h>

typedef struct rec_run {
	const char *mode;            /* "simulate", "replay", "call", "serve" */
	const char *flow_path;
	const char *flow_sha256;     /* hex of the main flow file's bytes */
	const char *timezone;        /* the flow's time zone (local times), or NULL */
	const char *scenario;        /* path or NULL */
	uint64_t seed;
	const char *options;         /* command line options as text (JSON) */
	int64_t sim_start, sim_end;  /* local ms of the simulated period, 0 if n/a */
	int64_t sl_threshold_ms;     /* service-level threshold used for figures */
	int64_t interval_ms;         /* report interval; 0 = 30 min (scenario default) */
} rec_run;

typedef struct rec_key {
	int64_t t;                   /* local ms */
	char key;
} rec_key;

typedef struct rec_visit {
	const char *node;
	int64_t t;
} rec_visit;

typedef struct rec_leg {
	const char *queue;
	int tier;
	int64_t entered, answered, ended;   /* answered = -1 when never */
	int agent;                   /* -1 when none */
	const char *result;          /* call_leg_result_name(); the store's figures
	                                read "abandoned" and "timeout" (see store.h) */
	bool found_free;             /* an agent was free when the call arrived */
} rec_leg;

typedef struct rec_request {
	const char *type;
	const char *office;
	int64_t created, due;
	const char *status;          /* "open" or "referred" */
} rec_request;

typedef struct rec_call {
	uint64_t seq;                /* call number within the run */
	const char *line;
	const char *lang;
	const char *vars;            /* initial variables as JSON object text, or NULL */
	int64_t arrival, end;
	const char *outcome;         /* call_outcome_name() */
	const char *final_node;
	bool counted;                /* false for warm-up calls */
	const rec_key *keys; int nkeys;
	const rec_visit *visits; int nvisits;
	const rec_leg *legs; int nlegs;
	const rec_request *requests; int nrequests;
} rec_call;

typedef struct rec_interval {
	const char *queue;
	int64_t start;               /* local ms */
	int64_t length_ms;
	int64_t offered, answered, abandoned, timed_out, answered_within;
	int64_t wait_sum_ms, wait_max_ms;   /* waits of answered calls */
	int64_t handle_sum_ms;       /* talk time of calls answered in the interval */
	int agents;                  /* staffed at the start of the interval */
	int64_t staffed_ms, busy_ms; /* agent time in the interval */
} rec_interval;

#endif
