/*
 * call.h — the per-call state machine: events in, actions out.
 *
 * This is the one piece of code that runs every call in every mode (console,
 * replay, simulator, server).  It knows nothing of clocks, sockets, SQL or
 * randomness: a driver delivers call_events (each stamped with the time it
 * happens) and receives call_actions through a sink callback.  It never
 * allocates: a call is a fixed-size struct the driver embeds or pools.
 *
 * Timers: the machine asks for timers with CALL_ACT_TIMER (slot, gen, at).
 * A slot holds at most one live timer; arming it again supersedes the old
 * one by bumping its generation, so a driver may deliver a stale CALL_EV_TIMER
 * (its gen no longer matches) and the machine ignores it.  Cancelling a
 * queue-side timer in the scheduler is therefore an optimisation, not a
 * correctness requirement.  Prompt playback is a timer too: the machine knows
 * each prompt's duration from the flow, so "prompt finished" is the
 * CALL_TIMER_IVR firing.
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

/* Outcomes, in the precedence order of call-script.md. */
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

const char  *call_outcome_name(call_outcome o);      /* "resolved-tier2" */
call_outcome call_outcome_parse(const char *s);      /* CALL_OUT_NONE if unknown */

/* What an agent did with a call. */
typedef enum call_agent_outcome {
	CALL_AGENT_RESOLVED, CALL_AGENT_ESCALATE, CALL_AGENT_SUPERVISOR,
	CALL_AGENT_REQUEST, CALL_AGENT_NOUTCOMES
} call_agent_outcome;
const char *call_agent_outcome_name(call_agent_outcome o);

/* How a queue leg ended. */
typedef enum call_leg_result {
	CALL_LEG_RESOLVED, CALL_LEG_ESCALATED, CALL_LEG_SUPERVISOR, CALL_LEG_REQUEST,
	CALL_LEG_ABANDONED,           /* caller hung up while waiting */
	CALL_LEG_TIMEOUT,             /* max_wait fired */
	CALL_LEG_ASKED_SUPERVISOR,    /* caller asked for a supervisor while waiting */
	CALL_LEG_HANGUP_TALKING,      /* caller hung up while talking */
	CALL_LEG_NRESULTS
} call_leg_result;
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

typedef enum call_act_kind {
	CALL_ACT_VISIT,               /* node: entered a node */
	CALL_ACT_PLAY,                /* prompt, lang, ms: a prompt starts */
	CALL_ACT_STOP_PROMPT,         /* prompt cut off by barge-in */
	CALL_ACT_LISTEN,              /* node: menu/input listening after its prompts (timeout armed) */
	CALL_ACT_KEY_IGNORED,         /* key: discarded (not listening) */
	CALL_ACT_MISS,                /* node, miss (0 noinput, 1 nomatch), count */
	CALL_ACT_TIMER,               /* slot, gen, at */
	CALL_ACT_CANCEL,              /* slot */
	CALL_ACT_SET_VAR,             /* var, str */
	CALL_ACT_ENQUEUE,             /* queue, node */
	CALL_ACT_ANSWERED,            /* queue, agent */
	CALL_ACT_LEG_END,             /* queue, agent (-1 if none), leg result */
	CALL_ACT_ANNOUNCE,            /* queue: time for a position / wait announcement */
	CALL_ACT_REQUEST,             /* node (request node), office, referred */
	CALL_ACT_END                  /* outcome */
} call_act_kind;

typedef struct call_action {
	call_act_kind kind;
	int64_t t;                    /* when it happens (the event's time) */
	int node;
	int prompt, lang;
	uint32_t ms;
	uint8_t slot;
	uint32_t gen;
	int64_t at;
	int queue, agent;
	int var;
	const char *str;
	int office;
	bool referred;
	int miss, count;
	char key;
	call_leg_result leg;
	call_outcome outcome;
} call_action;

typedef void (*call_sink_fn)(void *ctx, const struct call *c, const call_action *a);
typedef struct call_sink {
	call_sink_fn fn;
	void *ctx;
} call_sink;

#define CALL_MAX_VARS 12
#define CALL_VAR_LEN 32           /* longest stored value, incl. NUL */
#define CALL_MAX_STACK 12         /* menu nesting, as FreeSWITCH */
#define CALL_MAX_DIGITS 32        /* keys collected by one menu or input */

typedef enum call_state {
	CALL_IDLE, CALL_PROMPTING, CALL_LISTENING, CALL_PLAYING, CALL_QUEUED,
	CALL_TALKING, CALL_ENDED
} call_state;

/* The state of one call.  Plain data; the machine owns its meaning. */
typedef struct call {
	const flow *f;
	uint64_t id;
	int line, lang, node;
	call_state state;
	int prompt_i;                 /* position in the current prompt list */
	uint8_t playing_reprompt;     /* which list is playing: 0 prompt, 1 miss prompt, 2 reprompt */
	int miss_prompt;              /* miss prompt being played, -1 none */
	uint8_t misses, noinputs, nomatches;
	uint8_t ndigits;
	char digits[CALL_MAX_DIGITS + 1];
	int16_t stack[CALL_MAX_STACK];
	uint8_t depth;
	uint32_t gen[CALL_NTIMERS];
	int queue, agent, tier;       /* current leg: queue index, agent (-1) */
	int64_t t_start, t_now;
	/* outcome bookkeeping */
	uint8_t played_any, after_hours, failed, queue_after_fail, requested,
	        referred, abandoned_queue, reached_hangup;
	int resolved_tier;
	call_outcome outcome;
	char vars[CALL_MAX_VARS][CALL_VAR_LEN];
	uint16_t var_set;             /* bit i: vars[i] has a value */
} call;

/* Prepare a call on `line` (language -1 = the line's default). */
void call_init(call *c, const flow *f, uint64_t id, int line, int lang);
/* Set a variable before placing (call script `var`, replay from DB). */
int  call_set_var(call *c, int var, const char *value);
const char *call_get_var(const call *c, int var);   /* NULL when unset */

/* Feed one event.  Actions are delivered to sink in order. */
void call_handle(call *c, const call_event *ev, const call_sink *sink);

static inline bool call_ended(const call *c) { return c->state == CALL_ENDED; }

#endif
