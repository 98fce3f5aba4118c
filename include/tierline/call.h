/*
 * call.h — the per-call state machine: events in, actions out.
 *
 * This is the one piece of code that runs every call in every mode (console,
 * replay, simulator, server).  It knows nothing of clocks, sockets, SQL or
 * randomness: a driver delivers call_events (each stamped with the time it
 * happens) and receives call_actions through a sink callback.  It never
 * allocates, never does I/O and never reads a clock: a call is a fixed-size
 * struct the driver embeds or pools.  docs/engine.md tells the whole story.
 *
 * Timers: the machine asks for timers with CALL_ACT_TIMER (slot, gen, at).
 * A slot holds at most one live timer; arming it again supersedes the old
 * one by bumping its generation, so a driver may deliver a stale CALL_EV_TIMER
 * (its gen no longer matches) and the machine ignores it.  Cancelling a
 * timer in the scheduler (CALL_ACT_CANCEL, or a superseding CALL_ACT_TIMER)
 * is therefore an optimisation, not a correctness requirement.  Prompt
 * playback is a timer too: the machine knows each prompt's duration from the
 * flow, so "prompt finished" is the CALL_TIMER_IVR firing.
 *
 * Ordering: events must be fed in time order.  When a caller event (key,
 * hang-up, ask-supervisor) and a timer fall on the same millisecond the
 * caller event goes first (call-script.md); with sched_virtual a driver gets
 * that by scheduling caller events with SCHED_PRI_CALLER (see sched.h).
 *
 * Queues: CALL_ACT_ENQUEUE hands the call to a queue (the ACD decides when an
 * agent answers: CALL_EV_AGENT_ANSWER, then CALL_EV_AGENT_DONE with the
 * agent's outcome).  CALL_ACT_LEG_END tells the ACD a leg is over for any
 * reason (answered and finished, abandoned, max_wait, supervisor request,
 * caller hung up while talking), so it can release the agent or the slot.
 */
#ifndef TIERLINE_CALL_H
#define TIERLINE_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/flow.h"

struct call;

/* Outcomes, in the precedence order of call-script.md: a finished call's
 * outcome is the first of these that holds. */
typedef enum call_outcome {
	CALL_OUT_NONE = 0,            /* still running */
	CALL_OUT_ABANDONED_QUEUE,
	CALL_OUT_REFERRED,
	CALL_OUT_REQUEST_FILED,
	CALL_OUT_RESOLVED_TIER1,      /* + (tier - 1), tiers 1..CALL_MAX_TIER */
	CALL_OUT_RESOLVED_TIER9 = CALL_OUT_RESOLVED_TIER1 + 8,
	CALL_OUT_AFTER_HOURS,
	CALL_OUT_FAILED,
	CALL_OUT_SELF_SERVICE,
	CALL_OUT_ABANDONED_IVR,
	CALL_OUT_COUNT
} call_outcome;
#define CALL_MAX_TIER 9

const char  *call_outcome_name(call_outcome o);      /* "resolved-tier2"; "none" */
call_outcome call_outcome_parse(const char *s);      /* CALL_OUT_NONE if unknown */
/* CALL_OUT_RESOLVED_TIER1 + tier - 1 (tier clamped to 1..CALL_MAX_TIER). */
call_outcome call_outcome_resolved(int tier);
/* Tier of a resolved-tierN outcome, else 0. */
int          call_outcome_tier(call_outcome o);

/* What an agent did with a call. */
typedef enum call_agent_outcome {
	CALL_AGENT_RESOLVED, CALL_AGENT_ESCALATE, CALL_AGENT_SUPERVISOR,
	CALL_AGENT_REQUEST, CALL_AGENT_NOUTCOMES
} call_agent_outcome;
/* "resolved", "escalate", "supervisor", "request" (the call-script words). */
const char *call_agent_outcome_name(call_agent_outcome o);
/* -1 when unknown. */
int         call_agent_outcome_parse(const char *s);

/* How a queue leg ended. */
typedef enum call_leg_result {
	CALL_LEG_RESOLVED, CALL_LEG_ESCALATED, CALL_LEG_SUPERVISOR, CALL_LEG_REQUEST,
	CALL_LEG_ABANDONED,           /* caller hung up while waiting */
	CALL_LEG_TIMEOUT,             /* max_wait fired */
	CALL_LEG_ASKED_SUPERVISOR,    /* caller asked for a supervisor (waiting or talking) */
	CALL_LEG_HANGUP_TALKING,      /* caller hung up while talking */
	CALL_LEG_NRESULTS
} call_leg_result;
/* "resolved", "escalated", "supervisor", "request", "abandoned", "timeout",
 * "asked-supervisor", "hangup-talking". */
const char *call_leg_result_name(call_leg_result r);

typedef enum call_timer_slot {
	CALL_TIMER_IVR,               /* prompt end / timeout / interdigit */
	CALL_TIMER_MAXWAIT,
	CALL_TIMER_ANNOUNCE,
	CALL_NTIMERS
} call_timer_slot;

typedef enum call_ev_kind {
	CALL_EV_PLACED,               /* line, lang set in call_init */
	CALL_EV_KEY,                  /* key */
	CALL_EV_TIMER,                /* slot, gen */
	CALL_EV_AGENT_ANSWER,         /* agent */
	CALL_EV_AGENT_DONE,           /* outcome */
	CALL_EV_ASK_SUPERVISOR,       /* caller asks for a supervisor (waiting or talking) */
	CALL_EV_HANGUP                /* caller hangs up */
} call_ev_kind;

typedef struct call_event {
	call_ev_kind kind;
	int64_t t;                    /* local ms; never earlier than the previous event */
	char key;
	uint8_t slot;
	uint32_t gen;
	int agent;
	call_agent_outcome outcome;
} call_event;

/* Event constructors, for drivers and tests. */
static inline call_event call_ev(call_ev_kind k, int64_t t)
{ call_event e = {0}; e.kind = k; e.t = t; e.agent = -1; return e; }
static inline call_event call_ev_key(int64_t t, char key)
{ call_event e = call_ev(CALL_EV_KEY, t); e.key = key; return e; }
static inline call_event call_ev_timer(int64_t t, int slot, uint32_t gen)
{ call_event e = call_ev(CALL_EV_TIMER, t); e.slot = (uint8_t)slot; e.gen = gen; return e; }
static inline call_event call_ev_answer(int64_t t, int agent)
{ call_event e = call_ev(CALL_EV_AGENT_ANSWER, t); e.agent = agent; return e; }
static inline call_event call_ev_done(int64_t t, call_agent_outcome o)
{ call_event e = call_ev(CALL_EV_AGENT_DONE, t); e.outcome = o; return e; }

/* A timer's (slot, gen) packed into one scheduler argument, and back. */
static inline uint64_t call_timer_arg(int slot, uint32_t gen)
{ return ((uint64_t)(uint8_t)slot << 32) | gen; }
static inline int call_timer_arg_slot(uint64_t arg) { return (int)(arg >> 32); }
static inline uint32_t call_timer_arg_gen(uint64_t arg) { return (uint32_t)arg; }

/* Actions.  Every action carries t (the time of the event that caused it)
 * and node (the call's current node when it was emitted, -1 before the
 * first node); the other fields used by each kind are listed.  An action
 * (part of the call itself, and any `str` in it, which may point into the
 * call) is valid only during the sink call: copy what you keep.  A sink must
 * not feed events to the same call from inside the callback. */
typedef enum call_act_kind {
	CALL_ACT_VISIT,               /* node: entered a node (every node, also set/route/request
	                                 that take no time; not for `repeat`) */
	CALL_ACT_PLAY,                /* prompt, lang, ms: a prompt starts (menu, input, play) */
	CALL_ACT_STOP_PROMPT,         /* prompt: the playing prompt was cut off by barge-in */
	CALL_ACT_LISTEN,              /* node, ms: menu/input prompts done, listening; the
	                                 no-input timeout (ms) is armed */
	CALL_ACT_KEY_IGNORED,         /* key: discarded (play node, queue, bargein off, not
	                                 placed yet) */
	CALL_ACT_MISS,                /* node, miss (0 noinput, 1 nomatch), count (of that kind):
	                                 emitted for every miss, also the one that fails */
	CALL_ACT_TIMER,               /* slot, gen, at: arm the slot's timer (supersedes the
	                                 slot's previous one); deliver CALL_EV_TIMER at `at` */
	CALL_ACT_CANCEL,              /* slot: the slot's live timer is no longer wanted */
	CALL_ACT_SET_VAR,             /* var, str: variable set (set node, input completed) */
	CALL_ACT_ENQUEUE,             /* queue, node: the call waits in queue (index) */
	CALL_ACT_ANSWERED,            /* queue, agent: an agent answered the leg */
	CALL_ACT_LEG_END,             /* queue, agent (-1 if none), leg: the leg is over */
	CALL_ACT_ANNOUNCE,            /* queue, prompt (-1 if none), lang: time for a
	                                 position / expected-wait announcement */
	CALL_ACT_REQUEST,             /* node (request node), office (-1 none), referred, at
	                                 (due time): a service request is filed/referred */
	CALL_ACT_END,                 /* outcome, str (reason when forced, else NULL): the call
	                                 is over; no action follows */
	/* added by issue 3 */
	CALL_ACT_START,               /* line, lang: the call was placed (first action) */
	CALL_ACT_KEY,                 /* key: a key was heard by the listening menu/input (a
	                                 key is reported once: KEY or KEY_IGNORED) */
	CALL_ACT_OPTION,              /* node, str (keys), target: a menu option was taken */
	CALL_ACT_INPUT_DONE,          /* node, str (keys): an input completed */
	CALL_ACT_FAILURE,             /* node, miss: menu/input ran out of tries of that kind */
	CALL_ACT_CLOSED,              /* node (queue node, or -1 for the line), target: took
	                                 a `closed` edge because hours were shut */
	CALL_ACT_IGNORED,             /* str: an event that does not apply in this state
	                                 (agent event with no leg, supervisor request with no
	                                 supervisor target, variable table full) */
	CALL_ACT_NKINDS
} call_act_kind;

typedef struct call_action {
	/* t..agent come first and in this order: struct call overlays them
	 * with its own t_now..agent (see there).  Code names fields; nothing
	 * else depends on the order. */
	int64_t t;                    /* when it happens (the event's time) */
	int node;
	int lang, line;
	int queue, agent;
	call_act_kind kind;
	int prompt;                   /* default -1 */
	uint32_t ms;
	int var;                      /* default -1 */
	uint32_t gen;
	int office;                   /* default -1 */
	int count;
	int target;                   /* node index or FLOW_T_*; default FLOW_T_NONE */
	int miss;
	int64_t at;
	const char *str;
	call_leg_result leg;
	call_outcome outcome;
	uint8_t slot;
	bool referred;
	char key;
} call_action;

const char *call_act_name(call_act_kind k);          /* "visit", "play", ... */

typedef void (*call_sink_fn)(void *ctx, const struct call *c, const call_action *a);
typedef struct call_sink {
	call_sink_fn fn;
	void *ctx;
	/* Bit (1u << kind) set: the sink does not want that kind, and the
	 * machine does not build or deliver it (the simulator without records
	 * skips the actions it ignores; zero, the default, delivers all). */
	uint32_t skip;
} call_sink;

#define CALL_MAX_VARS 16          /* variables with a higher index cannot be stored */
#define CALL_VAR_LEN 33           /* longest stored value, incl. NUL (CALL_MAX_DIGITS keys fit) */
#define CALL_MAX_STACK 12         /* menu nesting, as FreeSWITCH */
#define CALL_MAX_DIGITS 32        /* keys collected by one menu or input */
#define CALL_MAX_HOPS 128         /* node entries in one instant before the
                                     zero-time loop guard fails the call */

typedef enum call_state {
	CALL_IDLE,                    /* initialised, not placed */
	CALL_PROMPTING,               /* menu/input playing its prompts */
	CALL_LISTENING,               /* menu/input waiting for (more) keys */
	CALL_PLAYING,                 /* play node */
	CALL_QUEUED,                  /* waiting for an agent */
	CALL_TALKING,                 /* an agent answered */
	CALL_ENDED
} call_state;
const char *call_state_name(call_state s);

/* The state of one call.  Plain data; the machine owns its meaning. */
typedef struct call {
	const flow *f;
	const flow_node *nd;          /* &f->nodes[node]; NULL before the first node */
	/* The action being emitted lives in the call, and its first fields
	 * are the call's own t_now..agent (the union): an action is the call's
	 * current time, node, language, line and leg plus the few fields of
	 * its kind, so emitting one stores the kind and those fields, passes
	 * &act to the sink and puts them back to their defaults (call.c,
	 * send()), instead of building all 96 bytes each time.  Between
	 * actions every field of act past agent holds its default.  Read the
	 * call's fields by their names; act is the machine's. */
	union {
		call_action act;
		struct {
			int64_t t_now;
			int node, lang, line;
			int queue, agent;     /* current leg: queue index, agent (-1) */
		};
	};
	call_state state;
	uint8_t armed;                /* bit per slot: a live timer */
	uint8_t playing_reprompt;     /* which list is playing: 0 prompt, 1 miss prompt, 2 reprompt */
	uint8_t misses, noinputs, nomatches;
	uint8_t ndigits;
	uint16_t hops;
	uint32_t gen[CALL_NTIMERS];
	int prompt_i;                 /* position in the current prompt list */
	/* Tries of menus and inputs started so far (each entry, retry or
	 * repeat; wraps).  For drivers that act once per try, as the
	 * simulated caller does: a try's IVR timers all see the same value.
	 * (Sits in what was padding before hop_t.) */
	uint32_t try_no;
	int64_t hop_t;                /* zero-time loop guard: instant being counted */
	int miss_prompt;              /* miss prompt being played, -1 none */
	int cur_prompt;               /* prompt playing now (PROMPTING / PLAYING), -1 none */
	int tier;                     /* current leg's queue tier */
	int queue_node;               /* node of the current leg's queue, -1 */
	uint64_t id;
	int64_t t_start;
	/* outcome bookkeeping */
	/* The first four decide the outcome before any other (call.c,
	 * decide()); they share one aligned word so none set is one test. */
	uint8_t loop_failed, abandoned_queue, referred, requested;
	uint8_t played_any, after_hours, failed, queue_after_fail, reached_hangup;
	uint8_t depth;
	uint16_t var_set;             /* bit i: vars[i] has a value */
	int resolved_tier;
	call_outcome outcome;
	const char *end_reason;       /* static text when the machine forced the end */
	/* Last, from digits on: call_init does not clear them (see there). */
	char digits[CALL_MAX_DIGITS + 1];
	int16_t stack[CALL_MAX_STACK];
	char vars[CALL_MAX_VARS][CALL_VAR_LEN];
} call;

/* Prepare a call on `line` (language -1 = the line's default). */
void call_init(call *c, const flow *f, uint64_t id, int line, int lang);
/* Set a variable before placing (call script `var`, replay from DB).
 * Returns 0, 1 when the value was truncated to CALL_VAR_LEN-1 bytes, -1 when
 * var is not a variable index below CALL_MAX_VARS. */
int  call_set_var(call *c, int var, const char *value);
const char *call_get_var(const call *c, int var);   /* NULL when unset */

/* Feed one event.  Actions are delivered to sink in order.  Events after
 * the call ended are ignored (nothing is emitted). */
void call_handle(call *c, const call_event *ev, const call_sink *sink);
/* call_handle of CALL_EV_PLACED, CALL_EV_AGENT_ANSWER and CALL_EV_AGENT_DONE
 * at time t, without an event to build (the simulator's commonest three). */
void call_place(call *c, int64_t t, const call_sink *sink);
void call_answer(call *c, int64_t t, int agent, const call_sink *sink);
void call_agent_done(call *c, int64_t t, call_agent_outcome o, const call_sink *sink);

/* Feed n keys, key i at t0 + i * gap (gap >= 0): the same as call_handle
 * of each as a CALL_EV_KEY, in order.  When the sink takes none of KEY,
 * STOP_PROMPT and TIMER and every key only adds a digit to an input (the
 * input hears it, it is a DTMF key but not the terminator, and the digits
 * stay fewer than the input's maximum: each key would only append itself
 * and re-arm the inter-digit timer) the run is taken in one step with the
 * same result; otherwise key by key.  For the simulator's held keys. */
void call_keys(call *c, const char *k, int n, int64_t t0, int64_t gap, const call_sink *sink);

static inline bool call_ended(const call *c) { return c->state == CALL_ENDED; }
/* In the IVR (placed, not in a queue, not ended). */
static inline bool call_in_ivr(const call *c)
{ return c->state == CALL_PROMPTING || c->state == CALL_LISTENING || c->state == CALL_PLAYING; }

#endif
