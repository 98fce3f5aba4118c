/*
 * call.c — the per-call state machine (see call.h and docs/engine.md).
 *
 * One call_handle() takes one event, moves the call through as many nodes as
 * take no time (set, route, request, closed edges, empty play nodes) and
 * stops at the first node that waits: a prompt playing, a menu or input
 * listening, a queue.  Everything the outside world must do is told through
 * the sink, in order.  No allocation, no I/O, no clock reads: the same event
 * sequence gives the same action sequence, byte for byte.
 *
 * Invariants (asserted in tests, documented here):
 *  - state CALL_PROMPTING / CALL_PLAYING: the IVR timer is armed for the end
 *    of cur_prompt.  CALL_LISTENING: the IVR timer is armed for the no-input
 *    timeout (ndigits == 0) or the inter-digit timeout (ndigits > 0).
 *  - state CALL_QUEUED: queue/queue_node describe the leg, agent == -1;
 *    CALL_TALKING: agent >= 0 and no queue-side timer is armed.
 *  - after CALL_ACT_END nothing is emitted and no timer is armed.
 */
#include <stddef.h>
#include <string.h>
#include "tierline/call.h"

/* ---- names ------------------------------------------------------------- */

static const char *const outcome_names[CALL_OUT_COUNT] = {
	[CALL_OUT_NONE] = "none",
	[CALL_OUT_ABANDONED_QUEUE] = "abandoned-queue",
	[CALL_OUT_REFERRED] = "referred",
	[CALL_OUT_REQUEST_FILED] = "request-filed",
	[CALL_OUT_RESOLVED_TIER1 + 0] = "resolved-tier1",
	[CALL_OUT_RESOLVED_TIER1 + 1] = "resolved-tier2",
	[CALL_OUT_RESOLVED_TIER1 + 2] = "resolved-tier3",
	[CALL_OUT_RESOLVED_TIER1 + 3] = "resolved-tier4",
	[CALL_OUT_RESOLVED_TIER1 + 4] = "resolved-tier5",
	[CALL_OUT_RESOLVED_TIER1 + 5] = "resolved-tier6",
	[CALL_OUT_RESOLVED_TIER1 + 6] = "resolved-tier7",
	[CALL_OUT_RESOLVED_TIER1 + 7] = "resolved-tier8",
	[CALL_OUT_RESOLVED_TIER1 + 8] = "resolved-tier9",
	[CALL_OUT_AFTER_HOURS] = "after-hours",
	[CALL_OUT_FAILED] = "failed",
	[CALL_OUT_SELF_SERVICE] = "self-service",
	[CALL_OUT_ABANDONED_IVR] = "abandoned-ivr",
};

const char *call_outcome_name(call_outcome o)
{
	if ((int)o < 0 || o >= CALL_OUT_COUNT)
		return "none";
	return outcome_names[o];
}

call_outcome call_outcome_parse(const char *s)
{
	if (!s)
		return CALL_OUT_NONE;
	for (int o = CALL_OUT_NONE + 1; o < CALL_OUT_COUNT; o++)
		if (strcmp(s, outcome_names[o]) == 0)
			return (call_outcome)o;
	return CALL_OUT_NONE;
}

call_outcome call_outcome_resolved(int tier)
{
	if (tier < 1)
		tier = 1;
	if (tier > CALL_MAX_TIER)
		tier = CALL_MAX_TIER;
	return (call_outcome)(CALL_OUT_RESOLVED_TIER1 + tier - 1);
}

int call_outcome_tier(call_outcome o)
{
	if (o >= CALL_OUT_RESOLVED_TIER1 && o <= CALL_OUT_RESOLVED_TIER9)
		return (int)(o - CALL_OUT_RESOLVED_TIER1) + 1;
	return 0;
}

static const char *const agent_names[CALL_AGENT_NOUTCOMES] = {
	"resolved", "escalate", "supervisor", "request"
};

const char *call_agent_outcome_name(call_agent_outcome o)
{
	if ((int)o < 0 || o >= CALL_AGENT_NOUTCOMES)
		return "?";
	return agent_names[o];
}

int call_agent_outcome_parse(const char *s)
{
	for (int i = 0; s && i < CALL_AGENT_NOUTCOMES; i++)
		if (strcmp(s, agent_names[i]) == 0)
			return i;
	return -1;
}

const char *call_leg_result_name(call_leg_result r)
{
	static const char *const names[CALL_LEG_NRESULTS] = {
		"resolved", "escalated", "supervisor", "request", "abandoned",
		"timeout", "asked-supervisor", "hangup-talking"
	};
	if ((int)r < 0 || r >= CALL_LEG_NRESULTS)
		return "?";
	return names[r];
}

const char *call_act_name(call_act_kind k)
{
	static const char *const names[CALL_ACT_NKINDS] = {
		"visit", "play", "stop-prompt", "listen", "key-ignored", "miss",
		"timer", "cancel", "set-var", "enqueue", "answered", "leg-end",
		"announce", "request", "end", "start", "key", "option",
		"input-done", "failure", "closed", "ignored"
	};
	if ((int)k < 0 || k >= CALL_ACT_NKINDS)
		return "?";
	return names[k];
}

const char *call_state_name(call_state s)
{
	static const char *const names[] = {
		"idle", "prompting", "listening", "playing", "queued", "talking", "ended"
	};
	if ((int)s < 0 || s > CALL_ENDED)
		return "?";
	return names[s];
}

/* ---- variables --------------------------------------------------------- */

/* A fresh call before call_init's arguments: zeros but for the fields
 * whose "none" is -1, and the action's defaults (call.h: act holds them
 * between actions).  Copying it (the head only) compiles to a few 16-byte
 * stores of constants; a memset of the same bytes was a rep stos. */
static const call blank = {
	.act = {
		.node = -1, .queue = -1, .agent = -1,
		.prompt = -1, .var = -1, .office = -1, .target = FLOW_T_NONE,
	},
	.state = CALL_IDLE,
	.miss_prompt = -1, .cur_prompt = -1, .queue_node = -1,
	.hop_t = INT64_MIN,
};

void call_init(call *c, const flow *f, uint64_t id, int line, int lang)
{
	/* Everything but the tail from digits on (the key buffer, the menu
	 * stack and the variable table, last in the struct).  None of it is
	 * read before it is written: digits only up to ndigits (digits[0] is
	 * its terminator), stack only below depth, a variable only when its
	 * var_set bit is set (call_get_var checks the bit; set and input write
	 * the value before they read it). */
	memcpy(c, &blank, offsetof(call, digits));
	c->digits[0] = 0;
	c->f = f;
	c->id = id;
	c->line = line;
	if (lang < 0 || !f || lang >= f->nlangs)
		lang = (f && line >= 0 && line < f->nlines) ? f->lines[line].lang : 0;
	c->lang = lang;
}

int call_set_var(call *c, int var, const char *value)
{
	if (var < 0 || var >= CALL_MAX_VARS)
		return -1;
	if (!value) {
		c->var_set &= (uint16_t)~(1u << var);
		c->vars[var][0] = 0;
		return 0;
	}
	size_t n = strlen(value);
	int rc = 0;
	if (n >= CALL_VAR_LEN) {
		n = CALL_VAR_LEN - 1;
		rc = 1;
	}
	memcpy(c->vars[var], value, n);
	c->vars[var][n] = 0;
	c->var_set |= (uint16_t)(1u << var);
	return rc;
}

const char *call_get_var(const call *c, int var)
{
	if (var < 0 || var >= CALL_MAX_VARS || !(c->var_set & (1u << var)))
		return NULL;
	return c->vars[var];
}

/* ---- emitting ---------------------------------------------------------- */

/* For small helpers on every call's path (arm, play, emitting): gcc's own
 * choice left some out of line, and their call overhead (frame, spills)
 * measured more than their bodies (callgrind). */
#define INLINE inline __attribute__((always_inline))

/* Every helper below takes the call and the sink as two arguments (they
 * stay in registers; a struct of both behind a pointer was reloaded after
 * every sink call). */

/* Stands in for a missing sink (or one without fn): it skips every kind,
 * so wants() needs no NULL tests. */
static const call_sink no_sink = { NULL, NULL, ~0u };

static INLINE bool wants(const call_sink *s, call_act_kind k)
{
	return !(s->skip & (1u << k));
}

/* Deliver the call's action as kind k.  c->act's t..agent are the call's
 * own fields, so they are current; the caller has stored the kind's own
 * fields and stores their defaults back after (call.h: between actions
 * every field past agent holds its default).  A kind the sink skips costs
 * the caller one test and no stores. */
static INLINE void send(call *c, const call_sink *s, call_act_kind k)
{
	c->act.kind = k;
	s->fn(s->ctx, c, &c->act);
}

/* A kind with no fields of its own (visit, start, enqueue, answered). */
static INLINE void emit0(call *c, const call_sink *s, call_act_kind k)
{
	if (wants(s, k))
		send(c, s, k);
}

static INLINE void emit_str(call *c, const call_sink *s, call_act_kind k, const char *str)
{
	if (wants(s, k)) {
		c->act.str = str;
		send(c, s, k);
		c->act.str = NULL;
	}
}

static INLINE void arm(call *c, const call_sink *s, int slot, int64_t at)
{
	c->gen[slot]++;
	c->armed |= (uint8_t)(1u << slot);
	if (wants(s, CALL_ACT_TIMER)) {
		call_action *a = &c->act;
		a->slot = (uint8_t)slot;
		a->gen = c->gen[slot];
		a->at = at;
		send(c, s, CALL_ACT_TIMER);
		a->slot = 0;
		a->gen = 0;
		a->at = 0;
	}
}

static void disarm_armed(call *c, const call_sink *s, int slot);

/* Most disarms find nothing armed: test inline, act out of line. */
static INLINE void disarm(call *c, const call_sink *s, int slot)
{
	if (c->armed & (1u << slot))
		disarm_armed(c, s, slot);
}

static void disarm_armed(call *c, const call_sink *s, int slot)
{
	c->armed &= (uint8_t)~(1u << slot);
	c->gen[slot]++;          /* a late delivery of the old timer is stale */
	if (wants(s, CALL_ACT_CANCEL)) {
		c->act.slot = (uint8_t)slot;
		send(c, s, CALL_ACT_CANCEL);
		c->act.slot = 0;
	}
}

static void ignored(call *c, const call_sink *s, const char *why)
{
	emit_str(c, s, CALL_ACT_IGNORED, why);
}

/* ---- ending ------------------------------------------------------------ */

/* The outcome: the first of call-script.md's list that holds. */
_Static_assert(offsetof(call, abandoned_queue) == offsetof(call, loop_failed) + 1 &&
               offsetof(call, referred) == offsetof(call, loop_failed) + 2 &&
               offsetof(call, requested) == offsetof(call, loop_failed) + 3,
               "decide() reads the four first flags as one word");
static call_outcome decide(const call *c)
{
	uint32_t first4;                     /* loop_failed..requested, see call.h */
	memcpy(&first4, &c->loop_failed, sizeof first4);
	if (!first4)
		goto rest;
	if (c->loop_failed)
		return CALL_OUT_FAILED;
	if (c->abandoned_queue)
		return CALL_OUT_ABANDONED_QUEUE;
	if (c->referred)
		return CALL_OUT_REFERRED;
	if (c->requested)
		return CALL_OUT_REQUEST_FILED;
rest:
	if (c->resolved_tier > 0)
		return call_outcome_resolved(c->resolved_tier);
	if (c->after_hours)
		return CALL_OUT_AFTER_HOURS;
	if (c->failed)
		return CALL_OUT_FAILED;
	if (c->played_any || c->reached_hangup)
		return CALL_OUT_SELF_SERVICE;
	return CALL_OUT_ABANDONED_IVR;
}

static void finish_armed(call *c, const call_sink *s, const char *reason);

/* The end.  With no timer armed (the common case) everything here is
 * stores and the sink's END as a tail call, so it needs no frame; the
 * cancels of armed timers go first, out of line. */
static void finish(call *c, const call_sink *s, const char *reason)
{
	if (c->armed) {
		finish_armed(c, s, reason);
		return;
	}
	c->outcome = decide(c);
	c->end_reason = reason;
	c->state = CALL_ENDED;
	c->cur_prompt = -1;
	if (wants(s, CALL_ACT_END)) {
		/* No action follows END: its fields need not be put back. */
		c->act.outcome = c->outcome;
		c->act.str = reason;
		send(c, s, CALL_ACT_END);
	}
}

static __attribute__((noinline)) void finish_armed(call *c, const call_sink *s,
                                                   const char *reason)
{
	for (int i = 0; i < CALL_NTIMERS; i++)
		disarm(c, s, i);
	finish(c, s, reason);
}

/* ---- prompts ----------------------------------------------------------- */

/* Menus and inputs keep what they share (flow_listen) first, so one
 * address serves both kinds: no test of the kind. */
_Static_assert(offsetof(flow_menu, l) == 0 && offsetof(flow_input, l) == 0,
               "flow_listen first in flow_menu and flow_input");

/* The current node (a menu or input wherever this is asked: the call is
 * prompting or listening), kept as a pointer beside its index. */
static INLINE const flow_node *node_of(const call *c)
{
	return c->nd;
}

/* The listen settings of the current node (a menu or input). */
static INLINE const flow_listen *listen_of(const call *c)
{
	return &node_of(c)->u.menu.l;
}

static bool node_listens(const call *c)
{
	if (c->node < 0)
		return false;
	flow_node_kind k = node_of(c)->kind;
	return k == FLOW_MENU || k == FLOW_INPUT;
}

/* flow_prompt_ms, inlined: every prompt played asks it. */
/* flow_prompt_ms, inlined: every prompt played asks it.  One unsigned
 * compare tests both ends of each range. */
static INLINE uint32_t prompt_ms(const flow *f, int prompt, int lang)
{
	if ((unsigned)prompt >= (unsigned)f->nprompts)
		return 0;
	return f->prompts[prompt].ms[(unsigned)lang < (unsigned)f->nlangs ? lang : 0];
}

static INLINE void play(call *c, const call_sink *s, int prompt)
{
	uint32_t ms = prompt_ms(c->f, prompt, c->lang);
	c->cur_prompt = prompt;
	if (wants(s, CALL_ACT_PLAY)) {
		c->act.prompt = prompt;
		c->act.ms = ms;
		send(c, s, CALL_ACT_PLAY);
		c->act.prompt = -1;
		c->act.ms = 0;
	}
	arm(c, s, CALL_TIMER_IVR, c->t_now + ms);
}

/* Play the next prompt of the list (prompt, or reprompt when
 * playing_reprompt is 2 and there is one), or start listening when it is
 * done. */
static void next_prompt(call *c, const call_sink *s)
{
	const flow_listen *L = listen_of(c);
	const int *list = L->prompts;
	int n = L->nprompts;
	if (c->playing_reprompt == 2 && L->nreprompts > 0) {
		list = L->reprompts;
		n = L->nreprompts;
	}
	if (c->prompt_i < n) {
		c->state = CALL_PROMPTING;
		play(c, s, list[c->prompt_i++]);
		return;
	}
	c->state = CALL_LISTENING;
	c->cur_prompt = -1;
	if (wants(s, CALL_ACT_LISTEN)) {
		c->act.ms = L->timeout_ms;
		send(c, s, CALL_ACT_LISTEN);
		c->act.ms = 0;
	}
	arm(c, s, CALL_TIMER_IVR, c->t_now + L->timeout_ms);
}

/* Start a try of the current menu/input: the miss prompt (if any), then
 * prompt on the first try and reprompt (or prompt) on later ones. */
static void start_try(call *c, const call_sink *s, int miss_prompt)
{
	c->try_no++;
	c->ndigits = 0;
	c->digits[0] = 0;
	c->prompt_i = 0;
	if (miss_prompt >= 0) {
		c->playing_reprompt = 1;
		c->miss_prompt = miss_prompt;
		c->state = CALL_PROMPTING;
		play(c, s, miss_prompt);
		return;
	}
	c->miss_prompt = -1;
	c->playing_reprompt = c->misses > 0 ? 2 : 0;
	next_prompt(c, s);
}

/* ---- moving between nodes ---------------------------------------------- */

static void go(call *c, const call_sink *s, int target);

static void push_menu(call *c, int node)
{
	/* Re-entering a menu already on the stack going forward cuts the stack
	 * back to it: loops (option 0 -> main) keep the stack bounded, and
	 * `back` from there goes where the caller would expect. */
	for (int i = 0; i < c->depth; i++)
		if (c->stack[i] == node) {
			c->depth = (uint8_t)(i + 1);
			return;
		}
	if (c->depth == CALL_MAX_STACK) {
		memmove(c->stack, c->stack + 1, (CALL_MAX_STACK - 1) * sizeof c->stack[0]);
		c->depth--;
	}
	c->stack[c->depth++] = (int16_t)node;
}

static void reset_counts(call *c)
{
	c->misses = c->noinputs = c->nomatches = 0;
	c->ndigits = 0;
	c->digits[0] = 0;
}

static bool route_cond(const call *c, const flow_cond *cd)
{
	const flow *f = c->f;
	bool v = false;
	switch (cd->kind) {
	case FLOW_COND_OPEN:
		v = (unsigned)cd->arg < (unsigned)f->nhours && flow_hours_open(&f->hours[cd->arg], c->t_now);
		break;
	case FLOW_COND_LANG:
		v = c->lang == cd->arg;
		break;
	case FLOW_COND_VAR: {
		const char *val = call_get_var(c, cd->arg);
		const char *str = cd->str ? cd->str : "";
		if (val)
			v = cd->equals ? strcmp(val, str) == 0 : strncmp(val, str, strlen(str)) == 0;
		break;
	}
	case FLOW_COND_LINE:
		v = c->line == cd->arg;
		break;
	}
	return cd->negate ? !v : v;
}

/* Leaving a queue leg: stop its timers and tell the ACD. */
static INLINE void end_leg(call *c, const call_sink *s, call_leg_result res)
{
	if (c->armed & (1u << CALL_TIMER_MAXWAIT | 1u << CALL_TIMER_ANNOUNCE)) {
		disarm(c, s, CALL_TIMER_MAXWAIT);
		disarm(c, s, CALL_TIMER_ANNOUNCE);
	}
	if (wants(s, CALL_ACT_LEG_END)) {
		c->act.leg = res;
		send(c, s, CALL_ACT_LEG_END);
		c->act.leg = CALL_LEG_RESOLVED;
	}
	c->queue = -1;
	c->agent = -1;
}

/* Count one node entry at this instant; false when the zero-time loop guard
 * ended the call. */
static INLINE bool hop(call *c, const call_sink *s)
{
	if (c->hop_t != c->t_now) {
		c->hop_t = c->t_now;
		c->hops = 0;
	}
	if (++c->hops <= CALL_MAX_HOPS)
		return true;
	c->loop_failed = 1;
	finish(c, s, "zero-time loop: too many nodes entered at one instant");
	return false;
}

/* A queue node reached and open: the call waits there. */
static void enqueue(call *c, const call_sink *s, int target, const flow_queue *q)
{
	if (c->failed) {
		c->failed = 0;          /* "no queue was entered after that" */
		c->queue_after_fail = 1;
	}
	disarm(c, s, CALL_TIMER_IVR);
	c->queue = q->index;
	c->tier = q->tier;
	c->agent = -1;
	c->queue_node = target;
	c->state = CALL_QUEUED;
	emit0(c, s, CALL_ACT_ENQUEUE);
	if (q->max_wait_ms)
		arm(c, s, CALL_TIMER_MAXWAIT, c->t_now + q->max_wait_ms);
	if (q->announce_ms)
		arm(c, s, CALL_TIMER_ANNOUNCE, c->t_now + q->announce_ms);
}

/* A set node: language, then the variables in order. */
static void apply_set(call *c, const call_sink *s, const flow_set *st)
{
	const flow *f = c->f;
	if (st->lang >= 0 && st->lang < f->nlangs)
		c->lang = st->lang;
	for (int i = 0; i < st->nassigns; i++) {
		int var = st->assigns[i].var;
		if (call_set_var(c, var, st->assigns[i].value) < 0) {
			ignored(c, s, "variable table full");
			continue;
		}
		if (wants(s, CALL_ACT_SET_VAR)) {
			c->act.var = var;
			c->act.str = c->vars[var];
			send(c, s, CALL_ACT_SET_VAR);
			c->act.var = -1;
			c->act.str = NULL;
		}
	}
}

/* A request node: file (or refer) it. */
static void file_request(call *c, const call_sink *s, const flow_request *rq)
{
	const flow *f = c->f;
	int office = rq->mode == FLOW_OFFICE_BY_VAR
		? flow_office_for(f, call_get_var(c, rq->arg)) : rq->arg;
	bool ref = office >= 0 && office < f->noffices && f->offices[office].refer;
	c->requested = 1;
	if (ref)
		c->referred = 1;
	if (wants(s, CALL_ACT_REQUEST)) {
		call_action *a = &c->act;
		a->office = office;
		a->referred = ref;
		a->at = c->t_now + (int64_t)rq->due_ms;
		a->str = rq->type;
		send(c, s, CALL_ACT_REQUEST);
		a->office = -1;
		a->referred = false;
		a->at = 0;
		a->str = NULL;
	}
}

/* Enter `target` and keep going through nodes that take no time. */
static void go(call *c, const call_sink *s, int target)
{
	const flow *f = c->f;
	bool forward = true;

	/* The IVR timer is not cancelled here: every node that waits in the IVR
	 * re-arms it (superseding the old one), a queue disarms it, and the end
	 * disarms everything.  One action saved on every move. */
	/* No node this loop goes on from ends the call (only hop and the
	 * cases that return do), and a sink may not feed the call events:
	 * the call is live on every pass, so only the loop guard is asked. */
	for (;;) {
		if (!hop(c, s))
			return;
		if (target < 0) switch (target) {    /* built-in targets; each counts a hop */
		case FLOW_T_NONE:
		case FLOW_T_HANGUP:
			c->reached_hangup = 1;
			finish(c, s, NULL);
			return;
		case FLOW_T_TOP:
			c->depth = 0;
			forward = true;
			target = f->lines[c->line].start;
			continue;
		case FLOW_T_BACK:
			if (node_listens(c) && node_of(c)->kind == FLOW_MENU &&
			    c->depth > 0 && c->stack[c->depth - 1] == c->node) {
				/* From a menu: the one before it. */
				if (c->depth >= 2) {
					c->depth--;
					forward = false;
					target = c->stack[c->depth - 1];
					continue;
				}
				target = FLOW_T_REPEAT;      /* none before: acts as repeat */
				continue;
			}
			/* From any other node: the menu the caller came from. */
			if (c->depth > 0) {
				forward = false;
				target = c->stack[c->depth - 1];
				continue;
			}
			target = FLOW_T_REPEAT;
			continue;
		case FLOW_T_REPEAT:
			if (node_listens(c)) {
				start_try(c, s, -1);
				return;
			}
			/* Outside a menu/input: the menu the caller is in, else the top. */
			if (c->depth > 0) {
				forward = false;
				target = c->stack[c->depth - 1];
			} else {
				target = FLOW_T_TOP;
			}
			continue;
		default:
			break;
		}
		if (target < 0 || target >= f->nnodes) {
			c->loop_failed = 1;
			finish(c, s, "invalid target");
			return;
		}

		const flow_node *n = &f->nodes[target];
		c->node = target;           /* the visit */
		c->nd = n;
		c->cur_prompt = -1;
		emit0(c, s, CALL_ACT_VISIT);
		switch (n->kind) {
		case FLOW_MENU:
			if (forward)
				push_menu(c, target);
			reset_counts(c);
			start_try(c, s, -1);
			return;
		case FLOW_INPUT:
			reset_counts(c);
			start_try(c, s, -1);
			return;
		case FLOW_PLAY:
			c->played_any = 1;   /* a hang-up during it counts as passed */
			c->prompt_i = 0;
			if (n->u.play.nprompts > 0) {
				c->state = CALL_PLAYING;
				c->prompt_i = 1;
				play(c, s, n->u.play.prompts[0]);
				return;
			}
			target = n->u.play.next;
			break;
		case FLOW_SET:
			apply_set(c, s, &n->u.set);
			target = n->u.set.next;
			break;
		case FLOW_ROUTE: {
			const flow_route *rt = &n->u.route;
			target = rt->otherwise;
			for (int i = 0; i < rt->nconds; i++)
				if (route_cond(c, &rt->conds[i])) {
					target = rt->conds[i].target;
					break;
				}
			break;
		}
		case FLOW_QUEUE: {
			const flow_queue *q = &n->u.queue;
			if ((unsigned)q->hours < (unsigned)f->nhours &&
			    !flow_hours_open(&f->hours[q->hours], c->t_now)) {
				c->after_hours = 1;
				if (wants(s, CALL_ACT_CLOSED)) {
					c->act.target = q->closed;
					send(c, s, CALL_ACT_CLOSED);
					c->act.target = FLOW_T_NONE;
				}
				target = q->closed;
				break;
			}
			enqueue(c, s, target, q);
			return;
		}
		case FLOW_REQUEST:
			file_request(c, s, &n->u.request);
			target = n->u.request.next;
			break;
		default:
			c->loop_failed = 1;
			finish(c, s, "unknown node kind");
			return;
		}
		forward = true;
	}
}

/* ---- menus and inputs -------------------------------------------------- */

static void miss(call *c, const call_sink *s, int kind)
{
	const flow_listen *L = listen_of(c);
	c->misses++;
	int count = kind == 0 ? ++c->noinputs : ++c->nomatches;
	int kind_tries = kind == 0 ? L->noinput_tries : L->nomatch_tries;
	bool fails = (L->tries > 0 && c->misses >= L->tries) ||
	             (kind_tries > 0 && count >= kind_tries);
	call_action *a = &c->act;
	a->miss = kind;             /* MISS and FAILURE both carry them */
	a->count = count;
	if (wants(s, CALL_ACT_MISS))
		send(c, s, CALL_ACT_MISS);
	if (fails) {
		c->failed = 1;
		if (wants(s, CALL_ACT_FAILURE))
			send(c, s, CALL_ACT_FAILURE);
	}
	a->miss = 0;
	a->count = 0;

	if (fails) {
		int kt = kind == 0 ? L->failure_noinput : L->failure_nomatch;
		int target = kt != FLOW_T_NONE ? kt : L->failure;
		go(c, s, target == FLOW_T_NONE ? FLOW_T_HANGUP : target);
		return;
	}
	/* VoiceXML: the highest count not above the counter wins. */
	const flow_miss_prompt *mp = kind == 0 ? L->noinput : L->nomatch;
	int nmp = kind == 0 ? L->nnoinput : L->nnomatch;
	int best = -1, best_count = 0;
	for (int i = 0; i < nmp; i++) {
		int k = mp[i].count > 0 ? mp[i].count : 1;
		if (k <= count && k >= best_count) {
			best = mp[i].prompt;
			best_count = k;
		}
	}
	start_try(c, s, best);
}

static void take_option(call *c, const call_sink *s, const flow_option *o)
{
	if (wants(s, CALL_ACT_OPTION)) {
		c->act.str = o->keys;
		c->act.target = o->target;
		send(c, s, CALL_ACT_OPTION);
		c->act.str = NULL;
		c->act.target = FLOW_T_NONE;
	}
	go(c, s, o->target);
}

static void input_done(call *c, const call_sink *s, const flow_input *in)
{
	if (in->store >= 0) {
		if (call_set_var(c, in->store, c->digits) < 0) {
			ignored(c, s, "variable table full");
		} else if (wants(s, CALL_ACT_SET_VAR)) {
			c->act.var = in->store;
			c->act.str = c->vars[in->store];
			send(c, s, CALL_ACT_SET_VAR);
			c->act.var = -1;
			c->act.str = NULL;
		}
	}
	emit_str(c, s, CALL_ACT_INPUT_DONE, c->digits);
	go(c, s, in->next);
}

/* More keys may come: wait `interdigit` for the next one. */
static INLINE void listen_more(call *c, const call_sink *s, const flow_listen *L)
{
	c->state = CALL_LISTENING;
	c->cur_prompt = -1;
	arm(c, s, CALL_TIMER_IVR, c->t_now + L->interdigit_ms);
}

/* The first n keys of an option are k (n is a handful at most: an inline
 * loop beats a memcmp call here). */
static inline bool keys_eq(const char *a, const char *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static void menu_key(call *c, const call_sink *s, const flow_menu *m)
{
	const flow_option *exact = NULL;
	bool longer = false;
	if (c->ndigits == 1) {
		/* The first key of a try, by far the most common: the parser's
		 * table says what the scans below would decide (flow.h). */
		char k = c->digits[0];
		unsigned ki = (unsigned)(k - FLOW_KEY_FIRST);
		if (m->first_key && ki < FLOW_KEY_SPAN) {
			int e = m->first_key[ki];
			if (e >= 0)
				take_option(c, s, &m->options[e]);
			else if (e == FLOW_KEY_NOMATCH)
				miss(c, s, 1);
			else
				listen_more(c, s, &m->l);
			return;
		}
		/* Without a table: one compare per option (the same test as
		 * below with ndigits == 1). */
		if (m->max_keys == 1) {
			/* Every option is one key, no two alike (flow check): the
			 * first that matches is exact with nothing longer. */
			for (int i = 0; i < m->noptions; i++)
				if (m->options[i].keys[0] == k) {
					take_option(c, s, &m->options[i]);
					return;
				}
			miss(c, s, 1);
			return;
		}
		for (int i = 0; i < m->noptions; i++) {
			const flow_option *o = &m->options[i];
			if (o->keys[0] == k && o->nkeys >= 1) {
				if (o->nkeys == 1)
					exact = o;
				else
					longer = true;
			}
		}
	} else for (int i = 0; i < m->noptions; i++) {
		const flow_option *o = &m->options[i];
		if (o->nkeys >= c->ndigits && keys_eq(o->keys, c->digits, c->ndigits)) {
			if (o->nkeys == c->ndigits)
				exact = o;
			else
				longer = true;
		}
	}
	if (exact && !longer)
		take_option(c, s, exact);
	else if (!exact && !longer)
		miss(c, s, 1);
	else
		listen_more(c, s, &m->l);
}

static void menu_interdigit(call *c, const call_sink *s)
{
	const flow_menu *m = &node_of(c)->u.menu;
	for (int i = 0; i < m->noptions; i++) {
		const flow_option *o = &m->options[i];
		if (o->nkeys == c->ndigits && keys_eq(o->keys, c->digits, c->ndigits)) {
			take_option(c, s, o);
			return;
		}
	}
	miss(c, s, 1);
}

static INLINE int input_max(const flow_input *in)
{
	return in->max_digits > 0 && in->max_digits < CALL_MAX_DIGITS ? in->max_digits
	                                                              : CALL_MAX_DIGITS;
}

/* A key heard by an input: the commonest event of an IVR call (receipt
 * numbers), so it is kept to the digit, one test and the re-armed
 * inter-digit timer. */
static INLINE void input_key(call *c, const call_sink *s, const flow_input *in, char key)
{
	if (in->terminator && key == in->terminator) {
		if (c->ndigits >= in->min_digits)
			input_done(c, s, in);
		else
			miss(c, s, 1);
		return;
	}
	unsigned nd = c->ndigits;
	c->digits[nd] = key;
	c->digits[nd + 1] = 0;
	c->ndigits = (uint8_t)(nd + 1);
	if ((int)nd + 1 >= input_max(in))
		input_done(c, s, in);
	else
		listen_more(c, s, &in->l);
}

static void input_interdigit(call *c, const call_sink *s)
{
	const flow_input *in = &node_of(c)->u.input;
	if (c->ndigits >= in->min_digits)
		input_done(c, s, in);
	else
		miss(c, s, 1);
}

static __attribute__((noinline)) void key_ignored(call *c, const call_sink *s, char key)
{
	if (wants(s, CALL_ACT_KEY_IGNORED)) {
		c->act.key = key;
		send(c, s, CALL_ACT_KEY_IGNORED);
		c->act.key = 0;
	}
}

static void on_key(call *c, const call_sink *s, char key)
{
	/* Heard only by a listening menu/input, or one playing its prompts
	 * with barge-in; both states mean the node is a menu or input. */
	if ((c->state != CALL_LISTENING &&
	     (c->state != CALL_PROMPTING || !listen_of(c)->bargein)) || !flow_is_dtmf(key)) {
		key_ignored(c, s, key);
		return;
	}
	const flow_node *n = node_of(c);
	if (wants(s, CALL_ACT_KEY)) {
		c->act.key = key;
		send(c, s, CALL_ACT_KEY);
		c->act.key = 0;
	}
	if (c->state == CALL_PROMPTING) {
		if (wants(s, CALL_ACT_STOP_PROMPT)) {
			c->act.prompt = c->cur_prompt;
			send(c, s, CALL_ACT_STOP_PROMPT);
			c->act.prompt = -1;
		}
		c->cur_prompt = -1;
		/* no disarm: whatever the key leads to re-arms or disarms the slot */
		c->state = CALL_LISTENING;
	}
	if (n->kind == FLOW_INPUT) {
		input_key(c, s, &n->u.input, key);
		return;
	}
	if (c->ndigits >= CALL_MAX_DIGITS) {     /* cannot prefix any option */
		miss(c, s, 1);
		return;
	}
	c->digits[c->ndigits++] = key;
	c->digits[c->ndigits] = 0;
	menu_key(c, s, &n->u.menu);
}

/* ---- timers ------------------------------------------------------------ */

static void on_ivr_timer(call *c, const call_sink *s)
{
	switch (c->state) {
	case CALL_PROMPTING:
		c->cur_prompt = -1;
		if (c->playing_reprompt == 1) {     /* miss prompt done: reprompt */
			c->playing_reprompt = 2;
			c->miss_prompt = -1;
			c->prompt_i = 0;
		}
		next_prompt(c, s);
		break;
	case CALL_PLAYING: {
		const flow_play *p = &node_of(c)->u.play;
		c->cur_prompt = -1;
		if (c->prompt_i < p->nprompts)
			play(c, s, p->prompts[c->prompt_i++]);
		else
			go(c, s, p->next);
		break;
	}
	case CALL_LISTENING:
		if (c->ndigits == 0)
			miss(c, s, 0);
		else if (node_of(c)->kind == FLOW_MENU)
			menu_interdigit(c, s);
		else
			input_interdigit(c, s);
		break;
	default:
		break;
	}
}

static const flow_queue *cur_queue(const call *c)
{
	return &c->f->nodes[c->queue_node].u.queue;
}

static void on_announce(call *c, const call_sink *s)
{
	const flow_queue *q = cur_queue(c);
	if (wants(s, CALL_ACT_ANNOUNCE)) {
		c->act.prompt = q->announce_prompt;
		if (q->announce_prompt >= 0)
			c->act.ms = flow_prompt_ms(c->f, q->announce_prompt, c->lang);
		send(c, s, CALL_ACT_ANNOUNCE);
		c->act.prompt = -1;
		c->act.ms = 0;
	}
	arm(c, s, CALL_TIMER_ANNOUNCE, c->t_now + q->announce_ms);
}

static void on_timer(call *c, const call_sink *s, const call_event *ev)
{
	int slot = ev->slot;
	if (slot >= CALL_NTIMERS || !(c->armed & (1u << slot)) || ev->gen != c->gen[slot])
		return;                              /* stale: superseded or cancelled */
	c->armed &= (uint8_t)~(1u << slot);
	switch (slot) {
	case CALL_TIMER_IVR:
		on_ivr_timer(c, s);
		break;
	case CALL_TIMER_MAXWAIT:
		if (c->state == CALL_QUEUED) {
			int target = cur_queue(c)->max_wait_target;
			end_leg(c, s, CALL_LEG_TIMEOUT);
			go(c, s, target);
		}
		break;
	case CALL_TIMER_ANNOUNCE:
		if (c->state == CALL_QUEUED)
			on_announce(c, s);
		break;
	}
}

/* ---- queue events ------------------------------------------------------ */

static void on_answer(call *c, const call_sink *s, int agent)
{
	if (c->state != CALL_QUEUED) {
		ignored(c, s, "agent answer while not waiting in a queue");
		return;
	}
	if (c->armed & (1u << CALL_TIMER_MAXWAIT | 1u << CALL_TIMER_ANNOUNCE)) {
		disarm(c, s, CALL_TIMER_MAXWAIT);
		disarm(c, s, CALL_TIMER_ANNOUNCE);
	}
	c->agent = agent;
	c->state = CALL_TALKING;
	emit0(c, s, CALL_ACT_ANSWERED);
}

static void on_done(call *c, const call_sink *s, call_agent_outcome o)
{
	if (c->state != CALL_TALKING) {
		ignored(c, s, "agent outcome while no agent is talking");
		return;
	}
	if (o == CALL_AGENT_RESOLVED || (unsigned)o >= CALL_AGENT_NOUTCOMES) {
		/* The agent finished the call (call-script.md). */
		end_leg(c, s, CALL_LEG_RESOLVED);
		c->resolved_tier = c->tier > 0 ? c->tier : 1;
		finish(c, s, NULL);
		return;
	}
	const flow_queue *q = cur_queue(c);
	int target;
	call_leg_result res;
	switch (o) {
	case CALL_AGENT_ESCALATE: target = q->escalate; res = CALL_LEG_ESCALATED; break;
	case CALL_AGENT_SUPERVISOR: target = q->supervisor; res = CALL_LEG_SUPERVISOR; break;
	case CALL_AGENT_REQUEST:
	default: target = q->request; res = CALL_LEG_REQUEST; break;
	}
	end_leg(c, s, res);
	if (target == FLOW_T_NONE) {
		/* An outcome the queue has no target for: the agent finished the
		 * call (call-script.md). */
		c->resolved_tier = c->tier > 0 ? c->tier : 1;
		finish(c, s, NULL);
		return;
	}
	go(c, s, target);
}

static void on_ask_supervisor(call *c, const call_sink *s)
{
	if (c->state != CALL_QUEUED && c->state != CALL_TALKING) {
		ignored(c, s, "supervisor request outside a queue");
		return;
	}
	int target = cur_queue(c)->supervisor;
	if (target == FLOW_T_NONE) {
		ignored(c, s, "queue has no supervisor target");
		return;
	}
	end_leg(c, s, CALL_LEG_ASKED_SUPERVISOR);
	go(c, s, target);
}

static void on_hangup(call *c, const call_sink *s)
{
	switch (c->state) {
	case CALL_QUEUED:
		c->abandoned_queue = 1;
		end_leg(c, s, CALL_LEG_ABANDONED);
		break;
	case CALL_TALKING:
		c->resolved_tier = c->tier > 0 ? c->tier : 1;
		end_leg(c, s, CALL_LEG_HANGUP_TALKING);
		break;
	default:
		break;
	}
	finish(c, s, NULL);
}

static void on_placed(call *c, const call_sink *s)
{
	const flow *f = c->f;
	if (c->state != CALL_IDLE) {
		ignored(c, s, "call already placed");
		return;
	}
	c->t_start = c->t_now;
	if (!f || (unsigned)c->line >= (unsigned)f->nlines) {
		c->loop_failed = 1;
		finish(c, s, "no such line");
		return;
	}
	const flow_line *ln = &f->lines[c->line];
	emit0(c, s, CALL_ACT_START);
	if ((unsigned)ln->hours < (unsigned)f->nhours &&
	    !flow_hours_open(&f->hours[ln->hours], c->t_now)) {
		c->after_hours = 1;
		if (wants(s, CALL_ACT_CLOSED)) {
			c->act.target = ln->closed;
			send(c, s, CALL_ACT_CLOSED);
			c->act.target = FLOW_T_NONE;
		}
		go(c, s, ln->closed);
		return;
	}
	go(c, s, ln->start);
}

/* Does each of the n keys only add a digit to the current input?  (What
 * on_key and input_key would do with each: heard, a digit that is no
 * terminator, short of the maximum, so input_key appends it and
 * listen_more re-arms.) */
static bool keys_append_only(const call *c, const char *k, int n)
{
	if (c->state != CALL_LISTENING &&
	    (c->state != CALL_PROMPTING || !listen_of(c)->bargein))
		return false;
	const flow_node *nd = node_of(c);
	if (nd->kind != FLOW_INPUT)
		return false;
	const flow_input *in = &nd->u.input;
	if ((int)c->ndigits + n >= input_max(in))
		return false;
	for (int i = 0; i < n; i++)
		if (!flow_is_dtmf(k[i]) || (in->terminator && k[i] == in->terminator))
			return false;
	return true;
}

void call_keys(call *c, const char *k, int n, int64_t t0, int64_t gap, const call_sink *s)
{
	const uint32_t quiet = 1u << CALL_ACT_KEY | 1u << CALL_ACT_STOP_PROMPT |
	                       1u << CALL_ACT_TIMER;
	if (!s || !s->fn)
		s = &no_sink;
	if (n > 0 && gap >= 0 && (s->skip & quiet) == quiet && keys_append_only(c, k, n)) {
		/* What n rounds of on_key -> input_key -> listen_more leave,
		 * none of them emitting anything: the digits, the state, the
		 * IVR slot armed n generations on, the time of the last key. */
		int64_t t = t0 + (int64_t)(n - 1) * gap;
		if (t > c->t_now)
			c->t_now = t;
		memcpy(c->digits + c->ndigits, k, (size_t)n);
		c->ndigits = (uint8_t)(c->ndigits + n);
		c->digits[c->ndigits] = 0;
		c->state = CALL_LISTENING;
		c->cur_prompt = -1;
		c->gen[CALL_TIMER_IVR] += (uint32_t)n;
		c->armed |= 1u << CALL_TIMER_IVR;
		return;
	}
	for (int i = 0; i < n; i++) {
		call_event ev = call_ev_key(t0 + (int64_t)i * gap, k[i]);
		call_handle(c, &ev, s);
	}
}

/* What every event does first: nothing after the end, a missing sink
 * stands for one that skips everything, and time never goes back.  False
 * when the call has ended. */
static INLINE bool event_begin(call *c, int64_t t, const call_sink **s)
{
	if (c->state == CALL_ENDED)
		return false;
	if (!*s || !(*s)->fn)
		*s = &no_sink;
	if (t > c->t_now || c->state == CALL_IDLE)
		c->t_now = t;
	return true;
}

/* The events of a queue call's life, one entry each (call.h): the same as
 * call_handle with the event built, without building it or switching on
 * its kind. */
void call_place(call *c, int64_t t, const call_sink *s)
{
	if (event_begin(c, t, &s))
		on_placed(c, s);
}

void call_answer(call *c, int64_t t, int agent, const call_sink *s)
{
	if (event_begin(c, t, &s))
		on_answer(c, s, agent);
}

void call_agent_done(call *c, int64_t t, call_agent_outcome o, const call_sink *s)
{
	if (event_begin(c, t, &s))
		on_done(c, s, o);
}

void call_handle(call *c, const call_event *ev, const call_sink *s)
{
	if (!event_begin(c, ev->t, &s))
		return;
	switch (ev->kind) {
	case CALL_EV_PLACED:
		on_placed(c, s);
		break;
	case CALL_EV_KEY:
		on_key(c, s, ev->key);
		break;
	case CALL_EV_TIMER:
		on_timer(c, s, ev);
		break;
	case CALL_EV_AGENT_ANSWER:
		on_answer(c, s, ev->agent);
		break;
	case CALL_EV_AGENT_DONE:
		on_done(c, s, ev->outcome);
		break;
	case CALL_EV_ASK_SUPERVISOR:
		on_ask_supervisor(c, s);
		break;
	case CALL_EV_HANGUP:
		on_hangup(c, s);
		break;
	default:
		ignored(c, s, "unknown event");
		break;
	}
}
