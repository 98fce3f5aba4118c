/*
 * acd.h — queues and agents (the ACD), independent of any clock or driver.
 *
 * The idea.  The ACD is a passive bookkeeping machine, like the call state
 * machine: a driver (simulator on virtual time, replay, console, server)
 * tells it what happened and when, and it answers with what must happen
 * next.  It never reads a clock, never does I/O, keeps no global state and
 * never calls back into the driver: every answer is appended to an output
 * queue the driver drains with acd_poll().  Times are int64 local ms (util.h)
 * and must never go backwards between calls (ACD_E_TIME otherwise).
 *
 * What it holds:
 *  - one queue per flow queue (flow->queue_nodes), each a FIFO of waiting
 *    legs (an intrusive doubly linked list over a pool of leg slots, so an
 *    abandoning caller leaves from the middle in O(1)), plus one FIFO per
 *    language so an agent finds the oldest call it may take in O(languages);
 *  - agents: each belongs to one queue, speaks a set of languages (bitmask
 *    over the flow's languages), and is off-shift, idle, talking or in
 *    wrap-up; counters of calls answered, talk, busy (talk + wrap-up) and
 *    staffed time;
 *  - per-leg facts the driver needs for its records (entered, answered,
 *    ended, agent, result, found_free), and per-queue, per-interval figures
 *    (acd_figures below) with an exact wait recorder for p90/p95.
 *
 * Calls are named by the driver's own 64-bit call id, so the driver keeps no
 * ACD handle: ids below max(65536, 8 x the leg pool) index a table directly
 * (a driver numbering calls densely, like the simulator's slots, pays one
 * load), others go through a hash map.  A call has at most one live leg;
 * an escalation is a new leg (a new acd_enqueue after the old leg ended).
 *
 * Routing.  When a call enters a queue and idle agents who can take it exist
 * (with `skill lang`: who speak the caller's language), the queue's strategy
 * picks one: longest-idle (default), round-robin (rrmemory: the next roster
 * position after the last agent picked, wrapping), fewest-calls (fewest
 * answered since the agent's shift began), least-talk-time (least talk time
 * since shift began), random (uniform, through the rng given in acd_config),
 * top-down (lowest roster position).  Ties go to the longest-idle agent.
 * Otherwise the call waits.  When an agent becomes free (shift start, end of
 * talk without wrap-up, end of wrap-up) it takes the OLDEST waiting call it
 * can take — with skills that may not be the head of the queue (a Spanish
 * call at the head waits for a Spanish speaker while an English call behind
 * it is served).  So the ACD keeps: no idle agent ever coexists with a
 * waiting call it could take.
 *
 * The driver contract (who calls what, in which order):
 *
 *   setup   acd_new_from_flow(flow, &cfg, &acd, err, n)   (or acd_new)
 *           acd_add_agent(acd, q, langs, &id)  ... the roster, in order
 *           acd_set_wrapup(acd, q, ms)
 *   staff   acd_set_staff(acd, q, n, t)        at every staffing change
 *   call    CALL_ACT_ENQUEUE(queue)       -> acd_enqueue(acd, q, call, lang, t, &leg)
 *           CALL_ACT_ANNOUNCE             -> acd_leg_get(acd, call, t, &leg):
 *                                            leg.position, leg.expected_wait_ms
 *           CALL_ACT_LEG_END(queue, leg)  -> acd_end(acd, call, t, result,
 *                                            ACD_WRAPUP_DEFAULT, &leg)
 *                (waiting: ABANDONED / TIMEOUT / ASKED_SUPERVISOR;
 *                 talking: RESOLVED / ESCALATED / SUPERVISOR / REQUEST /
 *                 HANGUP_TALKING / ASKED_SUPERVISOR — the agent then goes
 *                 to wrap-up)
 *   timers  wrap-up end (ACD_OUT_WRAPUP)  -> acd_wrapup_end(acd, agent, at)
 *   after EVERY call above, drain:  while (acd_poll(acd, &o)) { ... }
 *           — from the top level, once call_handle has returned (the sink
 *           only calls acd_*; answering a call from inside another call's
 *           sink would re-enter the engine), and before any other event of
 *           the same instant (else a same-instant hang-up would reach the
 *           engine before the answer the ACD already gave).
 *           ACD_OUT_ASSIGN   agent o.agent takes call o.call at o.t: deliver
 *                            call_ev_answer(o.t, o.agent) to that call, draw
 *                            its handle time, schedule CALL_EV_AGENT_DONE.
 *                            (If the call refuses it — it ended at the same
 *                            instant — call acd_end(..., HANGUP_TALKING).)
 *           ACD_OUT_WRAPUP   schedule acd_wrapup_end(acd, o.agent, o.at).
 *           ACD_OUT_SHIFT_ON / ACD_OUT_SHIFT_OFF   for the record only.
 *   end     acd_advance(acd, t_end) so agent time reaches the end, then
 *           acd_queue_figures / acd_interval_figures / acd_wait_quantile.
 *
 * Example (queue 0, one agent, wrap-up 30 s):
 *   acd_set_staff(a, 0, 1, 0)          -> SHIFT_ON agent 0
 *   acd_enqueue(a, 0, 7, 0, 1000, .)   -> ASSIGN agent 0 call 7 t=1000 (found_free)
 *   acd_enqueue(a, 0, 8, 0, 2000, .)   -> (nothing: call 8 waits, position 1)
 *   acd_end(a, 7, 61000, RESOLVED, -1) -> WRAPUP agent 0 at=91000
 *   acd_end(a, 8, 70000, ABANDONED,-1) -> (nothing: call 8 left the queue)
 *   acd_wrapup_end(a, 0, 91000)        -> (agent 0 idle)
 *   acd_set_staff(a, 0, 0, 100000)     -> SHIFT_OFF agent 0
 *
 * Staffing.  acd_set_staff(q, n) sets the number of agents on duty.  Raising
 * it first keeps agents who were about to leave, then brings off-shift
 * agents on in roster order (adding agents that speak the queue's default
 * languages when the roster is too short); each new agent may take a waiting
 * call at once.  Lowering it sends idle agents off at once (highest roster
 * position first), then marks busy ones to leave after their call and
 * wrap-up (a shift change lets a busy agent finish).
 *
 * Queue hours, closed and max_wait are the call state machine's business,
 * not the ACD's.
 *
 * Invariants (acd_check_invariants; after every mutating call when built
 * with TIERLINE_DEBUG_INVARIANTS, which then returns ACD_E_INVARIANT):
 * per queue offered = answered + abandoned + timed_out + asked_supervisor +
 * waiting; an agent holds at most one call and its call is talking to it;
 * busy time <= staffed time; no call in two queues; no idle agent beside a
 * waiting call it could take; the lists, counts and map agree.
 *
 * Memory: pools (leg slots, map, outputs, agents, interval bins, waits) grow
 * geometrically and are never shrunk, so a steady state allocates nothing.
 * acd_config.reserve_legs pre-sizes the pool.
 */
#ifndef TIERLINE_ACD_H
#define TIERLINE_ACD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tierline/flow.h"
#include "tierline/call.h"
#include "tierline/record.h"

typedef struct acd acd;
struct rng;                      /* rng.h: a seeded xoshiro256** stream */

/* Errors are values: 0 is success, others are negative. */
typedef enum acd_err {
	ACD_OK = 0,
	ACD_E_NOMEM = -1,        /* out of memory (the ACD is unchanged) */
	ACD_E_ARG = -2,          /* bad argument: queue/agent/lang out of range, ... */
	ACD_E_NOTFOUND = -3,     /* no live leg for that call id */
	ACD_E_STATE = -4,        /* not possible in the current state (e.g. a waiting
	                            leg ending as RESOLVED, wrap-up end of a talking agent) */
	ACD_E_DUP = -5,          /* the call already has a live leg */
	ACD_E_TIME = -6,         /* t earlier than a time already seen */
	ACD_E_INVARIANT = -7     /* an invariant does not hold (debug builds) */
} acd_err;
const char *acd_strerror(int err);
/* The diagnostic of the last failed call on this ACD ("" if none). */
const char *acd_errmsg(const acd *a);

#define ACD_MAX_LANGS FLOW_MAX_LANGS
#define ACD_ALL_LANGS 0xffu               /* every language */
#define ACD_WRAPUP_DEFAULT (-1)           /* acd_end: the queue's wrap-up */
#define ACD_EWT_UNKNOWN (-1)              /* no estimate possible */
#define ACD_START_AUTO INT64_MIN          /* stats start: first time seen */

typedef enum acd_agent_state {
	ACD_AGENT_OFF, ACD_AGENT_IDLE, ACD_AGENT_TALKING, ACD_AGENT_WRAPUP
} acd_agent_state;
const char *acd_agent_state_name(acd_agent_state s);

typedef enum acd_leg_state {
	ACD_LEG_WAITING, ACD_LEG_TALKING, ACD_LEG_ENDED
} acd_leg_state;

/* ---- configuration ------------------------------------------------------- */

typedef struct acd_queue_cfg {
	const char *name;            /* borrowed; must outlive the ACD (flow node name) */
	int tier;
	flow_strategy strategy;
	bool skill_lang;
	int64_t wrapup_ms;           /* default wrap-up after each call (0 = none) */
	uint32_t default_langs;      /* languages of agents acd_set_staff adds itself;
	                                0 = all */
} acd_queue_cfg;

typedef struct acd_config {
	int nlangs;                  /* languages 0..nlangs-1 (acd_new_from_flow: the flow's) */
	struct rng *rng;             /* borrowed, for `random`; NULL: an own stream from seed */
	uint64_t seed;
	int64_t stats_start;         /* first interval starts here; ACD_START_AUTO (or 0
	                                with interval_ms 0): the first time seen, floored
	                                to a multiple of the interval */
	int64_t interval_ms;         /* 0 = 30 min */
	int64_t sl_ms;               /* service-level threshold; 0 = 20 s */
	int reserve_legs;            /* pre-size the leg pool (0 = 64) */
} acd_config;

/* Fill *q from flow queue `queue` (name = the queue node's name, wrap-up 0). */
int acd_queue_cfg_from_flow(const flow *f, int queue, acd_queue_cfg *q);

/* Create an ACD.  cfg may be NULL (defaults).  On failure *out is NULL and
 * err (if given) holds a message. */
int  acd_new(const acd_config *cfg, const acd_queue_cfg *queues, int nqueues,
             acd **out, char *err, size_t errlen);
int  acd_new_from_flow(const flow *f, const acd_config *cfg, acd **out,
                       char *err, size_t errlen);
void acd_free(acd *a);

int  acd_nqueues(const acd *a);
int  acd_nagents(const acd *a);
int  acd_find_queue(const acd *a, const char *name);     /* index or -1 */
const char *acd_queue_name(const acd *a, int queue);

/* ---- roster and staffing ------------------------------------------------- */

/* Add an off-shift agent to queue's roster; langs is a bitmask over the
 * languages (0 = all).  *agent (may be NULL) gets its id: ids are global,
 * dense, in order of creation; the roster position is the order within the
 * queue (top-down and round-robin use it). */
int acd_add_agent(acd *a, int queue, uint32_t langs, int *agent);
/* Default wrap-up of a queue (the scenario's `wrapup`). */
int acd_set_wrapup(acd *a, int queue, int64_t ms);
/* Set the number of agents on duty in queue at t (see the top). */
int acd_set_staff(acd *a, int queue, int n, int64_t t);

/* ---- calls -------------------------------------------------------------- */

/* What the ACD knows about one leg. */
typedef struct acd_leg {
	uint64_t call;
	int queue, tier, lang;
	acd_leg_state state;
	int64_t entered;
	int64_t answered;            /* -1 when never */
	int64_t ended;               /* -1 while live */
	int agent;                   /* -1 when none */
	call_leg_result result;      /* valid when ended */
	bool found_free;             /* an agent who could take it was idle on arrival */
	int entry_position;          /* 1-based position on arrival (0 when answered at once) */
	int position;                /* acd_leg_get: current 1-based position while waiting, else 0 */
	int64_t expected_wait_ms;    /* acd_leg_get: estimate while waiting, or ACD_EWT_UNKNOWN */
	int64_t wait_ms;             /* answered - entered, or ended - entered if never answered;
	                                so far (t - entered) while waiting */
	int64_t talk_ms;             /* ended - answered when answered and ended */
} acd_leg;

/* Call `call` (language lang; -1 = 0) enters queue at t (CALL_ACT_ENQUEUE).
 * If an eligible agent is idle the strategy picks one and ACD_OUT_ASSIGN is
 * queued at t; else the call waits.  *leg (may be NULL) gets its facts. */
int acd_enqueue(acd *a, int queue, uint64_t call_id, int lang, int64_t t, acd_leg *leg);

/* The leg of `call` is over at t (CALL_ACT_LEG_END).  A waiting leg leaves
 * the queue (result ABANDONED, TIMEOUT or ASKED_SUPERVISOR); a talking leg
 * releases its agent into wrap-up of wrapup_ms (ACD_WRAPUP_DEFAULT: the
 * queue's), with result RESOLVED / ESCALATED / SUPERVISOR / REQUEST /
 * HANGUP_TALKING / ASKED_SUPERVISOR (the caller asked the agent for one).  *leg (may be NULL) gets the finished leg's facts; the
 * slot is then reused.  May queue WRAPUP, SHIFT_OFF and ASSIGN outputs. */
int acd_end(acd *a, uint64_t call_id, int64_t t, call_leg_result result,
            int64_t wrapup_ms, acd_leg *leg);
/* The same, naming the agent instead of the call ("agent A finished"). */
int acd_agent_done(acd *a, int agent, int64_t t, call_leg_result result,
                   int64_t wrapup_ms, acd_leg *leg);

/* The wrap-up announced by ACD_OUT_WRAPUP is over: the agent becomes idle
 * (and may take a waiting call) or, if its shift ended, goes off.  t must be
 * at least the announced time. */
int acd_wrapup_end(acd *a, int agent, int64_t t);

/* Facts of a live leg at t (position and expected wait included). */
int acd_leg_get(const acd *a, uint64_t call_id, int64_t t, acd_leg *leg);

/* Whether the live leg of call_id found an agent free when it entered
 * (acd_leg's found_free) in O(1), without the position walk acd_leg_get
 * pays for a waiting leg.  ACD_E_NOTFOUND when the call has no live leg. */
int acd_found_free(const acd *a, uint64_t call_id, bool *found_free);

/* Bring time accounting (agent staffed/busy time, intervals) up to t. */
int acd_advance(acd *a, int64_t t);

/* ---- outputs ------------------------------------------------------------ */

typedef enum acd_out_kind {
	ACD_OUT_ASSIGN,              /* agent takes call at t */
	ACD_OUT_WRAPUP,              /* agent in wrap-up until at: call acd_wrapup_end then */
	ACD_OUT_SHIFT_ON,            /* agent came on shift at t */
	ACD_OUT_SHIFT_OFF            /* agent went off shift at t */
} acd_out_kind;

typedef struct acd_out {
	acd_out_kind kind;
	int64_t t;
	int queue, agent;
	uint64_t call;               /* ASSIGN */
	int64_t wait_ms;             /* ASSIGN: how long the call waited */
	int64_t at;                  /* WRAPUP: when it ends */
} acd_out;

/* Take the oldest pending output; false when none is left. */
bool acd_poll(acd *a, acd_out *out);
int  acd_pending(const acd *a);
/* Take every pending output at once, read in place (no copy per output):
 * returns them oldest first with *n their number (0: none).  They count as
 * taken (acd_poll and acd_pending no longer see them); the array stays
 * valid until the next call that changes the ACD. */
const acd_out *acd_take(acd *a, int *n);

/* ---- inspection ---------------------------------------------------------- */

typedef struct acd_agent_info {
	int id, queue, roster_pos;
	uint32_t langs;
	acd_agent_state state;
	bool leaving;                /* on shift, will go off after its call */
	uint64_t call;               /* while talking */
	int64_t idle_since;          /* while idle */
	int64_t wrapup_until;        /* while in wrap-up */
	int64_t calls, calls_shift;  /* answered: total, since the shift began */
	int64_t talk_ms, talk_shift_ms;
	int64_t busy_ms;             /* talk + wrap-up, up to t */
	int64_t staffed_ms;          /* on shift, up to t */
} acd_agent_info;
int acd_agent_get(const acd *a, int agent, int64_t t, acd_agent_info *out);

typedef struct acd_queue_info {
	const char *name;
	int tier;
	flow_strategy strategy;
	bool skill_lang;
	int roster, on_shift, on_duty, idle, talking, wrapup;  /* agents */
	int waiting;                 /* calls */
	/* raw counters since creation (the conservation invariant uses these) */
	int64_t offered, answered, abandoned, timed_out, asked_supervisor;
	int64_t ended_talking;       /* answered legs that ended */
	int64_t aht_ms;              /* moving average of talk + wrap-up, -1 unknown */
} acd_queue_info;
int acd_queue_get(const acd *a, int queue, acd_queue_info *out);

/* Position (1-based) of a waiting call; 0 when talking; error if unknown. */
int acd_position(const acd *a, uint64_t call_id, int *pos);

/* ---- figures ------------------------------------------------------------- *
 * Legs are counted in the interval in which they ENTERED the queue (offered,
 * answered, abandoned, waits, talk time all follow the leg), so each
 * interval's counts are consistent; agent time is split exactly at interval
 * boundaries.  Legs entering before stats_start (warm-up) are not counted.
 * Service level = answered_within / (answered + abandoned). */
typedef struct acd_figures {
	int64_t start, length_ms;
	int64_t offered, answered, abandoned, timed_out, asked_supervisor;
	int64_t answered_within;     /* wait <= sl threshold */
	int64_t found_free;          /* offered legs that found an agent idle (1 - p_wait) */
	int64_t wait_sum_ms, wait_max_ms;      /* waits of answered legs */
	int64_t abandon_wait_sum_ms;           /* waits of abandoned legs */
	int64_t timeout_wait_sum_ms;           /* waits of legs that max_wait ended */
	int64_t handled, handle_sum_ms;        /* answered legs that ended; their talk time */
	int64_t wrapup_sum_ms;
	int agents;                  /* on duty at the interval's start (after changes
	                                made at that instant) */
	int64_t staffed_ms, busy_ms; /* agent time in the interval */
} acd_figures;

/* Totals of a queue (whole run so far; start = stats start). */
int acd_queue_figures(const acd *a, int queue, acd_figures *out);
/* Number of intervals touched so far, and one of them. */
int acd_nintervals(const acd *a, int queue);
int acd_interval_figures(const acd *a, int queue, int i, acd_figures *out);
/* Copy figures into a store record (queue name borrowed from the ACD). */
void acd_figures_to_rec(const acd *a, int queue, const acd_figures *f,
                        rec_interval *out);
/* Exact p-quantile (0 < p <= 1, nearest rank: the smallest recorded wait w
 * with at least p of waits <= w) of the waits of answered legs; 0 when none.
 * The first query after a change orders a copy of the recorder (not const):
 * O(waits), and ACD_E_NOMEM if that memory cannot be had. */
int acd_wait_quantile(acd *a, int queue, double p, int64_t *ms);
/* The same over the answered legs that entered the queue in interval i
 * (the legs acd_interval_figures counts there); 0 when none. */
int acd_interval_wait_quantile(acd *a, int queue, int i, double p, int64_t *ms);
/* The same over the answered legs of every queue pooled; 0 when none. */
int acd_wait_quantile_all(acd *a, double p, int64_t *ms);

/* ---- the stats module (src/acd/acd_stats.c), usable on its own --------- */

typedef struct acd_stats acd_stats;
int  acd_stats_new(int64_t start, int64_t interval_ms, int64_t sl_ms, acd_stats **out);
void acd_stats_free(acd_stats *s);
void acd_stats_offer(acd_stats *s, int64_t entered, bool found_free);
void acd_stats_answer(acd_stats *s, int64_t entered, int64_t wait_ms);
void acd_stats_leave(acd_stats *s, int64_t entered, call_leg_result r, int64_t wait_ms);
void acd_stats_handled(acd_stats *s, int64_t entered, int64_t talk_ms, int64_t wrapup_ms);
/* Agent counts change at t: staffed, busy (talk + wrap-up) and on duty. */
void acd_stats_agents(acd_stats *s, int64_t t, int staffed, int busy, int on_duty);
void acd_stats_advance(acd_stats *s, int64_t t);
/* Errors from growing memory are sticky: reported here (ACD_E_NOMEM). */
int  acd_stats_status(const acd_stats *s);
int  acd_stats_nintervals(const acd_stats *s);
void acd_stats_interval(const acd_stats *s, int i, acd_figures *out);
void acd_stats_total(const acd_stats *s, acd_figures *out);
int64_t acd_stats_quantile(acd_stats *s, double p);
int64_t acd_stats_interval_quantile(acd_stats *s, int i, double p);
/* Over the waits of nv stats modules pooled (e.g. the queues' total). */
int64_t acd_stats_quantile_pooled(acd_stats *const *v, int nv, double p);

/* ---- invariants ---------------------------------------------------------- */

/* ACD_OK, or ACD_E_INVARIANT with the first broken invariant in err. */
int acd_check_invariants(const acd *a, char *err, size_t errlen);

#endif
