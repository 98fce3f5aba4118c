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
 * whose "none" is -1.  Copying it (the head only) compiles to a few
 * 16-byte stores of constants; a memset of the same bytes was a rep stos. */
static const call blank = {
	.node = -1, .queue = -1, .agent = -1, .state = CALL_IDLE,
	.miss_prompt = -1, .cur_prompt = -1, .queue_node = -1,
	.hop_t = INT64_MIN,
};

void call_init(call *c, const flow *f, uint64_t id, int line, int lang)
{
	/* Everything but the tail from digits on (the key buffer, the menu
	 * stack and the variable table: 592 of the 728 bytes, last in the
	 * struct).  None of it is read before it is written: digits only up
	 * to ndigits (digits[0] is its terminator), stack only below depth,
	 * a variable only when its var_set bit is set (call_get_var checks the
	 * bit; set and input write the value before they read it). */
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

/* For small helpers on every call's path (arm, play, on_key): gcc's own
 * choice left them out of line, and their call overhead (frame, spills of
 * run and call) measured more than their bodies (callgrind). */
#define INLINE inline __attribute__((always_inline))

typedef struct run {
	call *c;
	const call_sink *sink;        /* never NULL; fn never NULL unless skip is ~0 */
} run;

/* Stands in for a missing sink (or one without fn): it skips every kind,
 * so wants() needs no NULL tests. */
static const call_sink no_sink = { NULL, NULL, ~0u };

/* Every field is stored explicitly (no memset): a zero-fill followed by
 * field stores defeats store forwarding and was the single largest cost
 * of call_handle in bench_engine.  The stores follow call_action's order,
 * which call.h arranged so that gcc merges them: t..agent are copied from
 * the same run of struct call with 8-byte moves, and the defaults come in
 * (-1, 0) pairs that are one 8-byte constant each.  Padding bytes are
 * left unspecified. */
static inline call_action act(const call *c, call_act_kind k)
{
	call_action a;
	a.t = c->t_now;
	a.node = c->node;
	a.lang = c->lang;
	a.line = c->line;
	a.queue = c->queue;
	a.agent = c->agent;
	a.kind = k;
	a.prompt = -1;
	a.ms = 0;
	a.var = -1;
	a.gen = 0;
	a.office = -1;
	a.count = 0;
	a.target = FLOW_T_NONE;
	a.miss = 0;
	a.at = 0;
	a.str = NULL;
	a.leg = CALL_LEG_RESOLVED;
	a.outcome = CALL_OUT_NONE;
	a.slot = 0;
	a.referred = false;
	a.key = 0;
	return a;
}

static inline bool wants(const run *r, call_act_kind k)
{
	return !(r->sink->skip & (1u << k));
}

/* Callers on hot paths test wants() before building the action, so a kind
 * the sink skips costs one test; emit checks again for the others. */
static inline void emit(run *r, const call_action *a)
{
	if (wants(r, a->kind))
		r->sink->fn(r->sink->ctx, r->c, a);
}

static INLINE void arm(run *r, int slot, int64_t at)
{
	call *c = r->c;
	c->gen[slot]++;
	c->armed |= (uint8_t)(1u << slot);
	call_action a = act(c, CALL_ACT_TIMER);
	a.slot = (uint8_t)slot;
	a.gen = c->gen[slot];
	a.at = at;
	emit(r, &a);
}

static void disarm_armed(run *r, int slot);

/* Most disarms find nothing armed: test inline, act out of line. */
static inline void disarm(run *r, int slot)
{
	if (r->c->armed & (1u << slot))
		disarm_armed(r, slot);
}

static void disarm_armed(run *r, int slot)
{
	call *c = r->c;
	c->armed &= (uint8_t)~(1u << slot);
	c->gen[slot]++;          /* a late delivery of the old timer is stale */
	call_action a = act(c, CALL_ACT_CANCEL);
	a.slot = (uint8_t)slot;
	emit(r, &a);
}

static void ignored(run *r, const char *why)
{
	call_action a = act(r->c, CALL_ACT_IGNORED);
	a.str = why;
	emit(r, &a);
}

/* ---- ending ------------------------------------------------------------ */

/* The outcome: the first of call-script.md's list that holds. */
static call_outcome decide(const call *c)
{
	if (c->loop_failed)
		return CALL_OUT_FAILED;
	if (c->abandoned_queue)
		return CALL_OUT_ABANDONED_QUEUE;
	if (c->referred)
		return CALL_OUT_REFERRED;
	if (c->requested)
		return CALL_OUT_REQUEST_FILED;
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

static void finish(run *r, const char *reason)
{
	call *c = r->c;
	if (c->armed)
		for (int s = 0; s < CALL_NTIMERS; s++)
			disarm(r, s);
	c->outcome = decide(c);
	c->end_reason = reason;
	c->state = CALL_ENDED;
	c->cur_prompt = -1;
	call_action a = act(c, CALL_ACT_END);
	a.outcome = c->outcome;
	a.str = reason;
	emit(r, &a);
}

/* ---- prompts ----------------------------------------------------------- */

static const flow_listen *listen_of(const call *c)
{
	const flow_node *n = &c->f->nodes[c->node];
	return n->kind == FLOW_MENU ? &n->u.menu.l : &n->u.input.l;
}

static bool node_listens(const call *c)
{
	if (c->node < 0)
		return false;
	flow_node_kind k = c->f->nodes[c->node].kind;
	return k == FLOW_MENU || k == FLOW_INPUT;
}

/* flow_prompt_ms, inlined: every prompt played asks it. */
static inline uint32_t prompt_ms(const flow *f, int prompt, int lang)
{
	if (prompt < 0 || prompt >= f->nprompts)
		return 0;
	if (lang < 0 || lang >= f->nlangs)
		lang = 0;
	return f->prompts[prompt].ms[lang];
}

static INLINE void play(run *r, int prompt)
{
	call *c = r->c;
	uint32_t ms = prompt_ms(c->f, prompt, c->lang);
	c->cur_prompt = prompt;
	call_action a = act(c, CALL_ACT_PLAY);
	a.prompt = prompt;
	a.ms = ms;
	emit(r, &a);
	arm(r, CALL_TIMER_IVR, c->t_now + ms);
}

/* The list a menu/input is playing: prompt (0) or reprompt (2). */
static void cur_list(const call *c, const int **list, int *n)
{
	const flow_listen *L = listen_of(c);
	if (c->playing_reprompt == 2 && L->nreprompts > 0) {
		*list = L->reprompts;
		*n = L->nreprompts;
	} else {
		*list = L->prompts;
		*n = L->nprompts;
	}
}

/* Play the next prompt of the list, or start listening when it is done. */
static void next_prompt(run *r)
{
	call *c = r->c;
	const int *list;
	int n;
	cur_list(c, &list, &n);
	if (c->prompt_i < n) {
		c->state = CALL_PROMPTING;
		play(r, list[c->prompt_i++]);
		return;
	}
	const flow_listen *L = listen_of(c);
	c->state = CALL_LISTENING;
	c->cur_prompt = -1;
	call_action a = act(c, CALL_ACT_LISTEN);
	a.ms = L->timeout_ms;
	emit(r, &a);
	arm(r, CALL_TIMER_IVR, c->t_now + L->timeout_ms);
}

/* Start a try of the current menu/input: the miss prompt (if any), then
 * prompt on the first try and reprompt (or prompt) on later ones. */
static void start_try(run *r, int miss_prompt)
{
	call *c = r->c;
	c->ndigits = 0;
	c->digits[0] = 0;
	c->prompt_i = 0;
	if (miss_prompt >= 0) {
		c->playing_reprompt = 1;
		c->miss_prompt = miss_prompt;
		c->state = CALL_PROMPTING;
		play(r, miss_prompt);
		return;
	}
	c->miss_prompt = -1;
	c->playing_reprompt = c->misses > 0 ? 2 : 0;
	next_prompt(r);
}

/* ---- moving between nodes ---------------------------------------------- */

static void go(run *r, int target);

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
		v = cd->arg >= 0 && cd->arg < f->nhours && flow_hours_open(&f->hours[cd->arg], c->t_now);
		break;
	case FLOW_COND_LANG:
		v = c->lang == cd->arg;
		break;
	case FLOW_COND_VAR: {
		const char *val = call_get_var(c, cd->arg);
		const char *s = cd->str ? cd->str : "";
		if (val)
			v = cd->equals ? strcmp(val, s) == 0 : strncmp(val, s, strlen(s)) == 0;
		break;
	}
	case FLOW_COND_LINE:
		v = c->line == cd->arg;
		break;
	}
	return cd->negate ? !v : v;
}

/* Leaving a queue leg: stop its timers and tell the ACD. */
static void end_leg(run *r, call_leg_result res)
{
	call *c = r->c;
	disarm(r, CALL_TIMER_MAXWAIT);
	disarm(r, CALL_TIMER_ANNOUNCE);
	call_action a = act(c, CALL_ACT_LEG_END);
	a.leg = res;
	emit(r, &a);
	c->queue = -1;
	c->agent = -1;
}

/* Count one node entry at this instant; false when the zero-time loop guard
 * ended the call. */
static bool hop(run *r)
{
	call *c = r->c;
	if (c->hop_t != c->t_now) {
		c->hop_t = c->t_now;
		c->hops = 0;
	}
	if (++c->hops <= CALL_MAX_HOPS)
		return true;
	c->loop_failed = 1;
	finish(r, "zero-time loop: too many nodes entered at one instant");
	return false;
}

static void visit(run *r, int node)
{
	call *c = r->c;
	c->node = node;
	c->cur_prompt = -1;
	call_action a = act(c, CALL_ACT_VISIT);
	emit(r, &a);
}

/* Enter `target` and keep going through nodes that take no time. */
static void go(run *r, int target)
{
	call *c = r->c;
	const flow *f = c->f;
	bool forward = true;

	/* The IVR timer is not cancelled here: every node that waits in the IVR
	 * re-arms it (superseding the old one), a queue disarms it, and the end
	 * disarms everything.  One action saved on every move. */
	for (;;) {
		if (c->state == CALL_ENDED || !hop(r))
			return;
		switch (target) {
		case FLOW_T_NONE:
		case FLOW_T_HANGUP:
			c->reached_hangup = 1;
			finish(r, NULL);
			return;
		case FLOW_T_TOP:
			c->depth = 0;
			forward = true;
			target = f->lines[c->line].start;
			continue;
		case FLOW_T_BACK:
			if (node_listens(c) && f->nodes[c->node].kind == FLOW_MENU &&
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
				start_try(r, -1);
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
			finish(r, "invalid target");
			return;
		}

		const flow_node *n = &f->nodes[target];
		visit(r, target);
		switch (n->kind) {
		case FLOW_MENU:
			if (forward)
				push_menu(c, target);
			reset_counts(c);
			start_try(r, -1);
			return;
		case FLOW_INPUT:
			reset_counts(c);
			start_try(r, -1);
			return;
		case FLOW_PLAY:
			c->played_any = 1;   /* a hang-up during it counts as passed */
			c->prompt_i = 0;
			if (n->u.play.nprompts > 0) {
				c->state = CALL_PLAYING;
				play(r, n->u.play.prompts[c->prompt_i++]);
				return;
			}
			target = n->u.play.next;
			break;
		case FLOW_SET: {
			const flow_set *s = &n->u.set;
			if (s->lang >= 0 && s->lang < f->nlangs)
				c->lang = s->lang;
			for (int i = 0; i < s->nassigns; i++) {
				if (call_set_var(c, s->assigns[i].var, s->assigns[i].value) < 0) {
					ignored(r, "variable table full");
					continue;
				}
				call_action a = act(c, CALL_ACT_SET_VAR);
				a.var = s->assigns[i].var;
				a.str = c->vars[a.var];
				emit(r, &a);
			}
			target = s->next;
			break;
		}
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
			if (q->hours >= 0 && q->hours < f->nhours &&
			    !flow_hours_open(&f->hours[q->hours], c->t_now)) {
				c->after_hours = 1;
				call_action a = act(c, CALL_ACT_CLOSED);
				a.target = q->closed;
				emit(r, &a);
				target = q->closed;
				break;
			}
			if (c->failed) {
				c->failed = 0;          /* "no queue was entered after that" */
				c->queue_after_fail = 1;
			}
			disarm(r, CALL_TIMER_IVR);
			c->queue = q->index;
			c->tier = q->tier;
			c->agent = -1;
			c->queue_node = target;
			c->state = CALL_QUEUED;
			call_action a = act(c, CALL_ACT_ENQUEUE);
			emit(r, &a);
			if (q->max_wait_ms)
				arm(r, CALL_TIMER_MAXWAIT, c->t_now + q->max_wait_ms);
			if (q->announce_ms)
				arm(r, CALL_TIMER_ANNOUNCE, c->t_now + q->announce_ms);
			return;
		}
		case FLOW_REQUEST: {
			const flow_request *rq = &n->u.request;
			int office = rq->mode == FLOW_OFFICE_BY_VAR
				? flow_office_for(f, call_get_var(c, rq->arg)) : rq->arg;
			bool ref = office >= 0 && office < f->noffices && f->offices[office].refer;
			c->requested = 1;
			if (ref)
				c->referred = 1;
			call_action a = act(c, CALL_ACT_REQUEST);
			a.office = office;
			a.referred = ref;
			a.at = c->t_now + (int64_t)rq->due_ms;
			a.str = rq->type;
			emit(r, &a);
			target = rq->next;
			break;
		}
		default:
			c->loop_failed = 1;
			finish(r, "unknown node kind");
			return;
		}
		forward = true;
	}
}

/* ---- menus and inputs -------------------------------------------------- */

static void miss(run *r, int kind)
{
	call *c = r->c;
	const flow_listen *L = listen_of(c);
	c->misses++;
	int count = kind == 0 ? ++c->noinputs : ++c->nomatches;
	call_action a = act(c, CALL_ACT_MISS);
	a.miss = kind;
	a.count = count;
	emit(r, &a);

	int kind_tries = kind == 0 ? L->noinput_tries : L->nomatch_tries;
	if ((L->tries > 0 && c->misses >= L->tries) || (kind_tries > 0 && count >= kind_tries)) {
		c->failed = 1;
		call_action fa = act(c, CALL_ACT_FAILURE);
		fa.miss = kind;
		fa.count = count;
		emit(r, &fa);
		int kt = kind == 0 ? L->failure_noinput : L->failure_nomatch;
		int target = kt != FLOW_T_NONE ? kt : L->failure;
		go(r, target == FLOW_T_NONE ? FLOW_T_HANGUP : target);
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
	start_try(r, best);
}

static void take_option(run *r, const flow_option *o)
{
	call_action a = act(r->c, CALL_ACT_OPTION);
	a.str = o->keys;
	a.target = o->target;
	emit(r, &a);
	go(r, o->target);
}

static void input_done(run *r)
{
	call *c = r->c;
	const flow_input *in = &c->f->nodes[c->node].u.input;
	if (in->store >= 0) {
		if (call_set_var(c, in->store, c->digits) < 0) {
			ignored(r, "variable table full");
		} else {
			call_action a = act(c, CALL_ACT_SET_VAR);
			a.var = in->store;
			a.str = c->vars[in->store];
			emit(r, &a);
		}
	}
	if (wants(r, CALL_ACT_INPUT_DONE)) {
		call_action a = act(c, CALL_ACT_INPUT_DONE);
		a.str = c->digits;
		emit(r, &a);
	}
	go(r, in->next);
}

static void listen_more(run *r)
{
	call *c = r->c;
	c->state = CALL_LISTENING;
	c->cur_prompt = -1;
	arm(r, CALL_TIMER_IVR, c->t_now + listen_of(c)->interdigit_ms);
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

static void menu_key(run *r)
{
	call *c = r->c;
	const flow_menu *m = &c->f->nodes[c->node].u.menu;
	const flow_option *exact = NULL;
	bool longer = false;
	if (c->ndigits == 1) {
		/* The first key of a try, by far the most common: one compare per
		 * option (the same test as below with ndigits == 1). */
		char k = c->digits[0];
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
		take_option(r, exact);
	else if (!exact && !longer)
		miss(r, 1);
	else
		listen_more(r);
}

static void menu_interdigit(run *r)
{
	call *c = r->c;
	const flow_menu *m = &c->f->nodes[c->node].u.menu;
	for (int i = 0; i < m->noptions; i++) {
		const flow_option *o = &m->options[i];
		if (o->nkeys == c->ndigits && keys_eq(o->keys, c->digits, c->ndigits)) {
			take_option(r, o);
			return;
		}
	}
	miss(r, 1);
}

static int input_max(const flow_input *in)
{
	return in->max_digits > 0 && in->max_digits < CALL_MAX_DIGITS ? in->max_digits
	                                                              : CALL_MAX_DIGITS;
}

static void input_key(run *r, char key)
{
	call *c = r->c;
	const flow_input *in = &c->f->nodes[c->node].u.input;
	if (in->terminator && key == in->terminator) {
		if (c->ndigits >= in->min_digits)
			input_done(r);
		else
			miss(r, 1);
		return;
	}
	c->digits[c->ndigits++] = key;
	c->digits[c->ndigits] = 0;
	if (c->ndigits >= input_max(in))
		input_done(r);
	else
		listen_more(r);
}

static void input_interdigit(run *r)
{
	call *c = r->c;
	const flow_input *in = &c->f->nodes[c->node].u.input;
	if (c->ndigits >= in->min_digits)
		input_done(r);
	else
		miss(r, 1);
}

/* 0-9 * # A-D, as one bit test per key instead of a chain of ranges. */
/* Inlined into call_handle: keys are the commonest event of an IVR call. */
static INLINE void on_key(run *r, char key)
{
	call *c = r->c;
	bool hear = false;
	if (c->state == CALL_LISTENING)
		hear = true;
	else if (c->state == CALL_PROMPTING && listen_of(c)->bargein)
		hear = true;
	if (!hear || !flow_is_dtmf(key)) {
		call_action a = act(c, CALL_ACT_KEY_IGNORED);
		a.key = key;
		emit(r, &a);
		return;
	}
	if (wants(r, CALL_ACT_KEY)) {
		call_action a = act(c, CALL_ACT_KEY);
		a.key = key;
		emit(r, &a);
	}
	if (c->state == CALL_PROMPTING) {
		if (wants(r, CALL_ACT_STOP_PROMPT)) {
			call_action s = act(c, CALL_ACT_STOP_PROMPT);
			s.prompt = c->cur_prompt;
			emit(r, &s);
		}
		c->cur_prompt = -1;
		/* no disarm: whatever the key leads to re-arms or disarms the slot */
		c->state = CALL_LISTENING;
	}
	if (c->f->nodes[c->node].kind == FLOW_INPUT) {
		input_key(r, key);
		return;
	}
	if (c->ndigits >= CALL_MAX_DIGITS) {     /* cannot prefix any option */
		miss(r, 1);
		return;
	}
	c->digits[c->ndigits++] = key;
	c->digits[c->ndigits] = 0;
	menu_key(r);
}

/* ---- timers ------------------------------------------------------------ */

static void on_ivr_timer(run *r)
{
	call *c = r->c;
	switch (c->state) {
	case CALL_PROMPTING:
		c->cur_prompt = -1;
		if (c->playing_reprompt == 1) {     /* miss prompt done: reprompt */
			c->playing_reprompt = 2;
			c->miss_prompt = -1;
			c->prompt_i = 0;
		}
		next_prompt(r);
		break;
	case CALL_PLAYING: {
		const flow_play *p = &c->f->nodes[c->node].u.play;
		c->cur_prompt = -1;
		if (c->prompt_i < p->nprompts)
			play(r, p->prompts[c->prompt_i++]);
		else
			go(r, p->next);
		break;
	}
	case CALL_LISTENING:
		if (c->ndigits == 0)
			miss(r, 0);
		else if (c->f->nodes[c->node].kind == FLOW_MENU)
			menu_interdigit(r);
		else
			input_interdigit(r);
		break;
	default:
		break;
	}
}

static const flow_queue *cur_queue(const call *c)
{
	return &c->f->nodes[c->queue_node].u.queue;
}

static void on_timer(run *r, const call_event *ev)
{
	call *c = r->c;
	int slot = ev->slot;
	if (slot >= CALL_NTIMERS || !(c->armed & (1u << slot)) || ev->gen != c->gen[slot])
		return;                              /* stale: superseded or cancelled */
	c->armed &= (uint8_t)~(1u << slot);
	switch (slot) {
	case CALL_TIMER_IVR:
		on_ivr_timer(r);
		break;
	case CALL_TIMER_MAXWAIT:
		if (c->state == CALL_QUEUED) {
			int target = cur_queue(c)->max_wait_target;
			end_leg(r, CALL_LEG_TIMEOUT);
			go(r, target);
		}
		break;
	case CALL_TIMER_ANNOUNCE:
		if (c->state == CALL_QUEUED) {
			const flow_queue *q = cur_queue(c);
			call_action a = act(c, CALL_ACT_ANNOUNCE);
			a.prompt = q->announce_prompt;
			if (q->announce_prompt >= 0)
				a.ms = flow_prompt_ms(c->f, q->announce_prompt, c->lang);
			emit(r, &a);
			arm(r, CALL_TIMER_ANNOUNCE, c->t_now + q->announce_ms);
		}
		break;
	}
}

/* ---- queue events ------------------------------------------------------ */

static void on_answer(run *r, int agent)
{
	call *c = r->c;
	if (c->state != CALL_QUEUED) {
		ignored(r, "agent answer while not waiting in a queue");
		return;
	}
	disarm(r, CALL_TIMER_MAXWAIT);
	disarm(r, CALL_TIMER_ANNOUNCE);
	c->agent = agent;
	c->state = CALL_TALKING;
	call_action a = act(c, CALL_ACT_ANSWERED);
	emit(r, &a);
}

static void on_done(run *r, call_agent_outcome o)
{
	call *c = r->c;
	if (c->state != CALL_TALKING) {
		ignored(r, "agent outcome while no agent is talking");
		return;
	}
	const flow_queue *q = cur_queue(c);
	int target;
	call_leg_result res;
	switch (o) {
	case CALL_AGENT_ESCALATE: target = q->escalate; res = CALL_LEG_ESCALATED; break;
	case CALL_AGENT_SUPERVISOR: target = q->supervisor; res = CALL_LEG_SUPERVISOR; break;
	case CALL_AGENT_REQUEST: target = q->request; res = CALL_LEG_REQUEST; break;
	case CALL_AGENT_RESOLVED:
	default: target = FLOW_T_NONE; res = CALL_LEG_RESOLVED; break;
	}
	end_leg(r, res);
	if (target == FLOW_T_NONE) {
		/* Resolved, or an outcome the queue has no target for: the agent
		 * finished the call (call-script.md). */
		c->resolved_tier = c->tier > 0 ? c->tier : 1;
		finish(r, NULL);
		return;
	}
	go(r, target);
}

static void on_ask_supervisor(run *r)
{
	call *c = r->c;
	if (c->state != CALL_QUEUED && c->state != CALL_TALKING) {
		ignored(r, "supervisor request outside a queue");
		return;
	}
	int target = cur_queue(c)->supervisor;
	if (target == FLOW_T_NONE) {
		ignored(r, "queue has no supervisor target");
		return;
	}
	end_leg(r, CALL_LEG_ASKED_SUPERVISOR);
	go(r, target);
}

static void on_hangup(run *r)
{
	call *c = r->c;
	switch (c->state) {
	case CALL_QUEUED:
		c->abandoned_queue = 1;
		end_leg(r, CALL_LEG_ABANDONED);
		break;
	case CALL_TALKING:
		c->resolved_tier = c->tier > 0 ? c->tier : 1;
		end_leg(r, CALL_LEG_HANGUP_TALKING);
		break;
	default:
		break;
	}
	finish(r, NULL);
}

static void on_placed(run *r)
{
	call *c = r->c;
	const flow *f = c->f;
	if (c->state != CALL_IDLE) {
		ignored(r, "call already placed");
		return;
	}
	c->t_start = c->t_now;
	if (!f || c->line < 0 || c->line >= f->nlines) {
		c->loop_failed = 1;
		finish(r, "no such line");
		return;
	}
	const flow_line *ln = &f->lines[c->line];
	if (wants(r, CALL_ACT_START)) {
		call_action a = act(c, CALL_ACT_START);
		emit(r, &a);
	}
	if (ln->hours >= 0 && ln->hours < f->nhours &&
	    !flow_hours_open(&f->hours[ln->hours], c->t_now)) {
		c->after_hours = 1;
		call_action ca = act(c, CALL_ACT_CLOSED);
		ca.target = ln->closed;
		emit(r, &ca);
		go(r, ln->closed);
		return;
	}
	go(r, ln->start);
}

void call_handle(call *c, const call_event *ev, const call_sink *sink)
{
	if (c->state == CALL_ENDED)
		return;
	if (!sink || !sink->fn)
		sink = &no_sink;
	run r = { c, sink };
	if (ev->t > c->t_now || c->state == CALL_IDLE)
		c->t_now = ev->t;            /* time never goes back */
	switch (ev->kind) {
	case CALL_EV_PLACED:
		on_placed(&r);
		break;
	case CALL_EV_KEY:
		on_key(&r, ev->key);
		break;
	case CALL_EV_TIMER:
		on_timer(&r, ev);
		break;
	case CALL_EV_AGENT_ANSWER:
		on_answer(&r, ev->agent);
		break;
	case CALL_EV_AGENT_DONE:
		on_done(&r, ev->outcome);
		break;
	case CALL_EV_ASK_SUPERVISOR:
		on_ask_supervisor(&r);
		break;
	case CALL_EV_HANGUP:
		on_hangup(&r);
		break;
	default:
		ignored(&r, "unknown event");
		break;
	}
}
