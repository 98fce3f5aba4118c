/*
 * erlang.h — analytic queue figures: Erlang B, Erlang C (M/M/c) and Erlang A
 * (M/M/n+M: exponential patience), and the fewest agents meeting a target.
 *
 * They give `tierline erlang` its answers and the simulator its reference:
 * a scenario with Poisson arrivals, exponential handle times and patience,
 * one queue and constant staff must reproduce these figures within its
 * confidence interval.
 *
 * Units: rates in calls per second, times (AHT, patience, the service-level
 * threshold, ASA) in seconds; traffic in Erlangs (A = rate * AHT).
 *
 * Numerics (docs/erlang.md): no factorials or powers.  Erlang B by the
 * recursion B_k = A B_{k-1} / (k + A B_{k-1}), stable for any size; Erlang C
 * from B.  Erlang A from the exact birth-death chain (death rates n mu + k
 * theta above n agents) summed in log space around its mode and truncated
 * where the tail is below 1e-18 of the mode; the answered-within-t share as
 * a sum of regularized incomplete beta functions (negative-binomial tails),
 * one per queue length, in one O(K) pass.
 * Exact to ~1e-12 for thousands of agents.
 */
#ifndef TIERLINE_ERLANG_H
#define TIERLINE_ERLANG_H

#include <stdbool.h>

/* Blocking probability of M/M/c/c with traffic A Erlangs (A >= 0, c >= 0). */
double erlang_b(double traffic, int agents);

/* Erlang C probability of waiting; 1 when agents <= traffic (unstable). */
double erlang_c(double traffic, int agents);

typedef struct erlang_model {
	double rate;         /* arrivals per second, > 0 */
	double aht;          /* mean handle time, s, > 0 */
	double patience;     /* mean patience, s; 0 = callers never abandon (Erlang C) */
	double sl_time;      /* service-level threshold, s (e.g. 20) */
} erlang_model;

typedef struct erlang_figures {
	double traffic;      /* Erlangs: rate * aht */
	int agents;
	bool stable;         /* false: Erlang C with agents <= traffic */
	double p_wait;       /* P(an arriving caller finds every agent busy) */
	double p_abandon;    /* P(an arriving caller abandons); 0 for Erlang C */
	double asa;          /* s: mean wait of answered calls; INFINITY if unstable */
	double service_level;/* answered within sl_time / offered (Erlang A counts
	                        abandons in the denominator; for Erlang C it is
	                        P(wait <= sl_time)); 0 if unstable */
	double occupancy;    /* carried load / agents: rate (1 - p_abandon) aht / agents, <= 1 */
	double mean_queue;   /* E[number waiting]; INFINITY if unstable */
} erlang_figures;

/* Figures for `agents` agents (>= 1).  Returns 0; -1 when the model is out
 * of range (non-finite or non-positive rate/aht, negative patience or
 * threshold, traffic of 10 million Erlangs or more, agents < 1 or >
 * ERLANG_MAX_AGENTS); ERLANG_TOO_LARGE for Erlang A when the typical queue
 * would exceed ERLANG_A_MAX_QUEUE waiting callers (fewer agents than the
 * traffic and very long patience: waits of about (A/n - 1) x patience),
 * which the exact chain would take too long to sum. */
#define ERLANG_MAX_AGENTS  100000
#define ERLANG_A_MAX_QUEUE 5000000
#define ERLANG_TOO_LARGE   (-2)
int erlang_eval(const erlang_model *m, int agents, erlang_figures *out);

/* Erlang C pieces, for callers that want one figure (s, Erlangs). */
double erlang_c_asa(double traffic, int agents, double aht);
double erlang_c_service_level(double traffic, int agents, double aht, double t);

/* A staffing target: service level >= sl (fraction) within the model's
 * sl_time, and, when max_abandon >= 0, P(abandon) <= max_abandon. */
typedef struct erlang_target {
	double sl;           /* e.g. 0.80; <= 0 means no service-level goal */
	double max_abandon;  /* e.g. 0.05; < 0 means none */
} erlang_target;

bool erlang_meets(const erlang_figures *f, const erlang_target *t);

/* The fewest agents (1..ERLANG_MAX_AGENTS) meeting the target; both figures
 * improve monotonically with agents, so an exponential then binary search
 * (counts whose Erlang A queue is too large to sum count as not meeting it).
 * Returns 0 and fills *agents (and *fig when not NULL), or -1 when no count
 * up to the limit meets it or the model is out of range. */
int erlang_staff(const erlang_model *m, const erlang_target *t,
                 int *agents, erlang_figures *fig);

#endif
