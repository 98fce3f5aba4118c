/*
 * staff.h — the fewest agents per queue and interval that meet targets.
 *
 * The search simulates, not just computes: Erlang C/A give the starting
 * point for each interval (from the load a first simulation measures), then
 * the simulator — with the same seed every time, so only staffing changes
 * between runs (common random numbers) — checks every interval of every
 * targeted queue.  Intervals that miss get agents; then a trimming phase
 * takes agents away wherever the targets still hold.  Escalation makes the
 * queues depend on each other (Tier 2's load is what Tier 1 passes on), which
 * is why every check is a whole-day simulation of every queue together.
 *
 * Targets: "tier1 80%/20s, abandon<5%" — comma-separated; each is
 * `[QUEUE] SL%/DURATION` or `[QUEUE] abandon<P%`.  A target without a queue
 * name continues the last named queue ("tier1 80%/20s, abandon<5%" is all
 * about tier1); before any queue is named it applies to every queue
 * ("80%/20s, abandon<5%, tier2 70%/60s").  Queues with no target keep the scenario's
 * staffing.  Every service-level target must use the same threshold.
 */
#ifndef TIERLINE_STAFF_H
#define TIERLINE_STAFF_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/flow.h"
#include "tierline/scenario.h"
#include "tierline/sim.h"

typedef struct staff_target {
	int queue;                   /* flow queue index, -1 = every queue */
	double sl;                   /* 0..1; < 0 none */
	int64_t sl_ms;
	double max_abandon;          /* 0..1; < 0 none */
} staff_target;

typedef struct staff_goal {      /* per queue, after merging targets */
	bool targeted;
	double sl;                   /* < 0 none */
	double max_abandon;          /* < 0 none */
} staff_goal;

typedef struct staff_plan {
	int nqueues, nintervals;
	int64_t interval_ms, start;
	int64_t sl_ms;
	staff_goal *goals;           /* per queue */
	int *agents;                 /* [q * nintervals + i] */
	bool met;                    /* every targeted interval meets its goals */
	int replications;            /* runs pooled per check (o->replication, default 3) */
	int simulations;             /* how many runs the search took */
	sim_result *result;          /* the final run with this staffing */
} staff_plan;

/* Parse targets against a flow.  Returns 0, or -1 with a message. */
int  staff_parse_targets(const char *text, const flow *f, staff_target **out, int *n,
                         char *err, size_t errlen);

/* Search.  o supplies the seed; o->replication, when > 0, is the number of
 * replications pooled for every check (default 3).  Returns 0 (see
 * plan->met), or -1 with a message. */
int  staff_search(const flow *f, const scenario *s, const staff_target *t, int nt,
                  const sim_options *o, staff_plan **out, char *err, size_t errlen);
void staff_plan_free(staff_plan *p);

/* Does interval i of queue q meet its goal in r?  Intervals without calls do. */
bool staff_interval_ok(const staff_plan *p, const sim_result *r, int q, int i);

#endif
