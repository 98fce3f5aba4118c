/*
 * sim.h — the discrete-event simulator: a scenario's day on the virtual clock.
 *
 * The simulator is only a driver.  Calls run through the same call state
 * machine as every other mode (call.h); queues and agents are the ACD
 * (acd.h); time is the virtual scheduler (sched.h).  What the simulator adds
 * is behaviour: arrivals, caller choices, think time, barge-in, patience,
 * redial, handle and wrap-up times and agent outcomes, all drawn from the
 * scenario with one random stream per purpose (common random numbers: a
 * change of staffing does not change which keys callers press).
 *
 * Figures are kept by the ACD (per queue and interval) and by the driver (IVR
 * outcomes, requests per office, transfers per tier).  When a store is given,
 * every call and interval is also written as records, from which the same
 * figures can be recomputed by SQL (store_figures).
 */
#ifndef TIERLINE_SIM_H
#define TIERLINE_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/acd.h"
#include "tierline/call.h"
#include "tierline/flow.h"
#include "tierline/scenario.h"

struct store;

typedef struct sim_options {
	uint64_t seed;               /* used when has_seed, else the scenario's */
	bool has_seed;
	uint64_t replication;        /* 0..N-1: independent streams per replication */
	int64_t calls;               /* >0: stop arrivals after this many calls
	                                (instead of at the scenario's end) */
	int64_t sl_ms;               /* service-level threshold; 0 = 20 s */
	int64_t drain_ms;            /* after arrivals stop, run on at most this
	                                long (0 = 4 h); calls still waiting then are
	                                left out of the figures */
	struct store *db;            /* NULL: no records */
	int64_t run_id;              /* the store's run (store_run_begin) */
	/* Staffing overrides (for `staff`): when non-NULL, staff[q][i] agents
	 * are on duty in queue q during interval i (overrides the scenario). */
	int **staff;
	int staff_nintervals;
	/* Without `calls`, the run fails once it has placed this many calls,
	 * redials included (0 = SCEN_MAX_CALLS): a redial storm would
	 * otherwise run for hours.  Tests lower it. */
	int64_t max_calls;
	/* Called about every 2^16 events with the fraction done (0..1). */
	void (*progress)(void *ctx, double done);
	void *progress_ctx;
} sim_options;

typedef struct sim_queue_result {
	const char *name;
	int tier;
	acd_figures total;
	int64_t wait_p90_ms, wait_p95_ms;
	int nintervals;
	acd_figures *intervals;
	/* [nintervals]: the p90/p95 waits of the answered legs that entered
	 * in interval i (0 when none); NULL when no intervals. */
	int64_t *interval_p90_ms, *interval_p95_ms;
} sim_queue_result;

typedef struct sim_result {
	uint64_t seed;
	int64_t start, end;          /* local ms: the counted period */
	int64_t sl_ms;
	int64_t calls;               /* counted calls (arrived after warm-up) */
	int64_t arrivals;            /* all calls placed, redials included */
	int64_t redials;
	int64_t unfinished;          /* counted calls still running when the run stopped */
	int64_t outcomes[CALL_OUT_COUNT];
	int64_t transfers[CALL_MAX_TIER + 1];   /* counted calls that reached tier N */
	int noffices;
	int64_t *requests;           /* per office */
	int64_t referred;            /* requests referred (refer offices) */
	int nqueues;
	sim_queue_result *queues;
	int64_t wait_p90_ms, wait_p95_ms;   /* answered waits of every queue pooled */
	uint64_t events;             /* scheduler events dispatched */
} sim_result;

/* Run one replication.  Returns 0, or -1 with a message in err. */
int  sim_run(const flow *f, const scenario *s, const sim_options *o,
             sim_result **out, char *err, size_t errlen);
void sim_result_free(sim_result *r);

/* The random stream (rng_seed's) of a purpose (0..31) in a replication
 * (below 2^32): purpose * 0x10000 + replication below 0x10000, as it has
 * always been; the higher bits of the replication go above bit 32, so no
 * two (purpose, replication) pairs share a stream. */
static inline uint64_t sim_stream(int purpose, uint64_t replication)
{
	return (uint64_t)purpose * 0x10000 + (replication & 0xffff) +
	       ((replication >> 16) << 32);
}

/* Add replication b's counts to a (outcomes, requests, transfers, per-queue
 * and per-interval counts matched by start).  Ratios of the pooled counts
 * then estimate expected figures; quantiles are not pooled (a's stay). */
void sim_result_pool(sim_result *a, const sim_result *b);
/* Add b's counts and times to a (wait_max: the larger; agents: a's). */
void sim_figures_add(acd_figures *a, const acd_figures *b);

/* Write every queue's interval figures of r to the store's run. */
int  sim_store_intervals(struct store *db, int64_t run_id, const sim_result *r,
                         int64_t interval_ms);

/* Derived figures (NaN when undefined, e.g. no calls). */
double sim_service_level(const acd_figures *q);   /* within / (answered + abandoned) */
double sim_abandon_rate(const acd_figures *q);    /* abandoned / (answered + abandoned) */
double sim_asa_s(const acd_figures *q);           /* mean wait of answered, s */
double sim_p_wait(const acd_figures *q);          /* share that found no agent free */
double sim_aht_s(const acd_figures *q);           /* talk + wrap-up of handled, s */
double sim_occupancy(const acd_figures *q);       /* busy / staffed */
double sim_containment(const sim_result *r);      /* self-service / calls */

#endif
