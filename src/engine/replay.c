/*
 * replay.c — the replay driver: one call script, one call, a virtual clock.
 *
 * Ordering is the whole game here.  Every script event (each key of a press
 * separately, agent lines, hang-ups) is put on the virtual scheduler before
 * the call is placed, in the caller priority band (SCHED_PRI_CALLER), so:
 *   - at one instant script events fire before the engine's timers
 *     (call-script.md), whatever order they were scheduled in;
 *   - among themselves they fire in script order (insertion order).
 * The call's timers are scheduled as the machine asks for them and cancelled
 * when it supersedes or cancels them, so only live timers fire.
 *
 * The driver watches the actions (visits, prompts, queues, requests, the
 * end) to check the expectations afterwards, and writes the trace when asked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/replay.h"
#include <math.h>
#include "tierline/recorder.h"
#include "tierline/rng.h"
#include "tierline/scenario.h"
#include "tierline/sched.h"

typedef struct failure {
	int line;
	int seq;
	char *msg;
} failure;

typedef struct req_seen {
	int office;
	bool referred;
} req_seen;

typedef struct rp {
	const flow *f;
	const script *s;
	const replay_opts *o;
	replay_result *r;
	sched *sc;
	call c;
	call_sink sink;
	int64_t t0;
	sched_id tid[CALL_NTIMERS];
	sched_id auto_hangup, last_hangup;
	int agent_pending;           /* agent lines not delivered yet */
	int nlegs;
	bool in_agent_line;          /* an agent line is being delivered */
	/* --scenario: simulated agents (use_scen: the script has no `answer`) */
	bool use_scen;
	bool answer_now;             /* answer after the current event returns */
	sched_id scen_ev;            /* pending scenario answer / agent outcome */
	int scen_leg;                /* legs entered so far (stale-event check) */
	rng r_handle, r_outcome;
	const char *ignored_why;     /* CALL_ACT_IGNORED seen during it */
	/* what happened */
	int64_t *visit_t;            /* first visit per node, -1 */
	int64_t *prompt_t;           /* first start per prompt, -1 */
	bool *queued;                /* per queue index */
	int *path; int npath, cappath;
	req_seen *reqs; int nreqs, capreqs;
	failure *fails; int nfails, capfails;
} rp;

static const char *slot_name(int slot)
{
	switch (slot) {
	case CALL_TIMER_IVR: return "ivr";
	case CALL_TIMER_MAXWAIT: return "max-wait";
	case CALL_TIMER_ANNOUNCE: return "announce";
	default: return "?";
	}
}

void replay_fmt_offset(int64_t ms, char *out, size_t n)
{
	char t[24];
	script_fmt_secs(ms < 0 ? 0 : ms, t, sizeof t);
	snprintf(out, n, "%ss", t);
}

static const char *node_nm(const flow *f, int n)
{
	return n >= 0 && n < f->nnodes ? f->nodes[n].name : flow_target_name(f, n);
}

static const char *queue_nm(const flow *f, int q)
{
	if (q < 0 || q >= f->nqueues)
		return "?";
	return node_nm(f, f->queue_nodes[q]);
}

static const char *office_nm(const flow *f, int o)
{
	return o >= 0 && o < f->noffices ? f->offices[o].name : "(none)";
}

/* ---- trace and failures -------------------------------------------------- */

static void trace(rp *p, int64_t t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void trace(rp *p, int64_t t, const char *fmt, ...)
{
	if (!p->o->trace)
		return;
	char line[512];
	int64_t dt = t - p->t0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	buf_printf(&p->r->trace, "%5lld.%03lld %s\n", (long long)(dt / 1000), (long long)(dt % 1000), line);
}

static void fail(rp *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(rp *p, int line, const char *fmt, ...)
{
	if (p->nfails == p->capfails) {
		p->capfails = p->capfails ? p->capfails * 2 : 8;
		p->fails = realloc(p->fails, sizeof *p->fails * (size_t)p->capfails);
		if (!p->fails)
			abort();
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = malloc((size_t)n + 1);
	if (!msg)
		abort();
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->fails[p->nfails].line = line;
	p->fails[p->nfails].seq = p->nfails;
	p->fails[p->nfails].msg = msg;
	p->nfails++;
}

/* ---- the sink ------------------------------------------------------------ */

static void timer_cb(sched *s, int64_t now, void *ctx, uint64_t arg);
static void auto_hangup_cb(sched *s, int64_t now, void *ctx, uint64_t arg);

static void maybe_auto_hangup(rp *p, int64_t now)
{
	/* Nothing more can happen without the script: the caller hangs up at the
	 * later of now and the last line's time. */
	if (p->agent_pending > 0 || p->auto_hangup)
		return;
	int64_t last = p->t0 + script_last_t(p->s);
	int64_t when = now > last ? now : last;
	p->auto_hangup = sched_at_pri(p->sc, when, SCHED_PRI_CALLER, auto_hangup_cb, p, 0);
}

static void scen_answer_cb(sched *s, int64_t now, void *ctx, uint64_t arg);
static void scen_done_cb(sched *s, int64_t now, void *ctx, uint64_t arg);

static const scen_agents *scen_agents_for(const rp *p, int queue)
{
	const scenario *sc = p->o->scen;
	if (!sc || !sc->agents_of_queue || queue < 0 || queue >= p->f->nqueues)
		return NULL;
	int i = sc->agents_of_queue[queue];
	return i >= 0 && i < sc->nagents ? &sc->agents[i] : NULL;
}

/* When the first agent of the queue is on duty at or after t: with one call
 * the ACD answers at once whenever staff > 0, so this is the wait.  -1 when
 * the queue is never staffed (within a week of changes). */
static int64_t scen_staffed_at(const scen_agents *ag, int64_t t)
{
	for (int guard = 0; guard < 7 * 1440 + 2; guard++) {
		if (llround(scen_profile_at(&ag->staff, t)) >= 1)
			return t;
		int64_t next = scen_profile_next(&ag->staff, t);
		if (next == INT64_MAX || next <= t)
			return -1;
		t = next;
	}
	return -1;
}

/* The simulated agent side of a leg that was just entered; true when an
 * answer is coming. */
static bool scen_enqueue(rp *p, const call_action *a)
{
	p->scen_leg++;
	if (!p->use_scen)
		return false;
	const scen_agents *ag = scen_agents_for(p, a->queue);
	if (!ag)
		return false;
	int64_t at = scen_staffed_at(ag, a->t);
	if (at < 0)
		return false;
	if (at == a->t)
		p->answer_now = true;
	else
		p->scen_ev = sched_at(p->sc, at, scen_answer_cb, p, (uint64_t)p->scen_leg);
	return true;
}

/* An agent answered: draw the talk time and outcome (as the simulator does). */
static bool scen_answered(rp *p, const call_action *a)
{
	if (!p->use_scen)
		return false;
	const scen_agents *ag = scen_agents_for(p, a->queue);
	if (!ag)
		return false;
	int64_t handle = dist_round_ms(dist_sample_ms(&ag->handle, &p->r_handle));
	if (handle < 0)
		handle = 0;
	call_agent_outcome out = scen_draw_outcome(ag, &p->r_outcome);
	p->scen_ev = sched_at(p->sc, a->t + handle, scen_done_cb, p,
	                      (uint64_t)p->scen_leg << 8 | (uint64_t)out);
	return true;
}

static void on_action(void *ctx, const call *c, const call_action *a)
{
	rp *p = ctx;
	const flow *f = p->f;
	if (p->o->trace) {
		char line[512];
		if (call_trace_line(f, p->t0, a, true, line, sizeof line))
			buf_printf(&p->r->trace, "%s\n", line);
	}
	switch (a->kind) {
	case CALL_ACT_VISIT:
		if (a->node >= 0 && a->node < f->nnodes) {
			if (p->visit_t[a->node] < 0)
				p->visit_t[a->node] = a->t;
			if (p->npath == p->cappath) {
				p->cappath = p->cappath ? p->cappath * 2 : 32;
				p->path = realloc(p->path, sizeof *p->path * (size_t)p->cappath);
				if (!p->path)
					abort();
			}
			p->path[p->npath++] = a->node;
		}
		break;
	case CALL_ACT_PLAY:
		if (a->prompt >= 0 && a->prompt < f->nprompts && p->prompt_t[a->prompt] < 0)
			p->prompt_t[a->prompt] = a->t;
		break;
	case CALL_ACT_ANNOUNCE:
		if (a->prompt >= 0 && a->prompt < f->nprompts && p->prompt_t[a->prompt] < 0)
			p->prompt_t[a->prompt] = a->t;
		break;
	case CALL_ACT_TIMER:
		if (a->slot < CALL_NTIMERS) {
			if (p->tid[a->slot])
				sched_cancel(p->sc, p->tid[a->slot]);
			p->tid[a->slot] = sched_at(p->sc, a->at, timer_cb, p,
			                           call_timer_arg(a->slot, a->gen));
		}
		break;
	case CALL_ACT_CANCEL:
		if (a->slot < CALL_NTIMERS && p->tid[a->slot]) {
			sched_cancel(p->sc, p->tid[a->slot]);
			p->tid[a->slot] = 0;
		}
		break;
	case CALL_ACT_ENQUEUE:
		if (a->queue >= 0 && a->queue < f->nqueues) {
			p->queued[a->queue] = true;
			int qn = f->queue_nodes[a->queue];
			if (!scen_enqueue(p, a) && qn >= 0 && qn < f->nnodes &&
			    f->nodes[qn].u.queue.max_wait_ms == 0)
				maybe_auto_hangup(p, a->t);
		}
		break;
	case CALL_ACT_ANSWERED:
		if (!scen_answered(p, a))
			maybe_auto_hangup(p, a->t);
		break;
	case CALL_ACT_LEG_END:
		p->answer_now = false;
		if (p->scen_ev) {
			sched_cancel(p->sc, p->scen_ev);
			p->scen_ev = 0;
		}
		if (p->auto_hangup) {
			sched_cancel(p->sc, p->auto_hangup);
			p->auto_hangup = 0;
		}
		break;
	case CALL_ACT_REQUEST:
		if (p->nreqs == p->capreqs) {
			p->capreqs = p->capreqs ? p->capreqs * 2 : 4;
			p->reqs = realloc(p->reqs, sizeof *p->reqs * (size_t)p->capreqs);
			if (!p->reqs)
				abort();
		}
		p->reqs[p->nreqs].office = a->office;
		p->reqs[p->nreqs].referred = a->referred;
		p->nreqs++;
		break;
	case CALL_ACT_IGNORED:
		if (p->in_agent_line && !p->ignored_why)
			p->ignored_why = a->str ? a->str : "ignored";
		break;
	case CALL_ACT_END:
		p->r->outcome = a->outcome;
		p->r->end = a->t;
		p->r->final_node = c->node;
		for (int i = 0; i < CALL_NTIMERS; i++)
			if (p->tid[i]) {
				sched_cancel(p->sc, p->tid[i]);
				p->tid[i] = 0;
			}
		if (p->auto_hangup)
			sched_cancel(p->sc, p->auto_hangup);
		if (p->last_hangup)
			sched_cancel(p->sc, p->last_hangup);
		if (p->scen_ev)
			sched_cancel(p->sc, p->scen_ev);
		p->auto_hangup = p->last_hangup = p->scen_ev = 0;
		p->answer_now = false;
		break;
	default:
		break;
	}
	if (p->o->extra.fn)
		p->o->extra.fn(p->o->extra.ctx, c, a);
}

/* ---- delivering events --------------------------------------------------- */

static void deliver(rp *p, const call_event *ev)
{
	call_handle(&p->c, ev, &p->sink);
	/* A simulated agent who was free answers at the instant of the entry,
	 * before any other event (as the simulator's ACD does); never from
	 * inside the sink. */
	while (p->answer_now && !call_ended(&p->c)) {
		p->answer_now = false;
		if (p->c.state != CALL_QUEUED)
			break;
		trace(p, ev->t, "> answer (scenario)");
		call_event aev = call_ev_answer(ev->t, p->nlegs++);
		call_handle(&p->c, &aev, &p->sink);
	}
	p->answer_now = false;
}

static void scen_answer_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	rp *p = ctx;
	p->scen_ev = 0;
	if (call_ended(&p->c) || p->c.state != CALL_QUEUED || arg != (uint64_t)p->scen_leg)
		return;
	trace(p, now, "> answer (scenario: the queue is staffed)");
	call_event ev = call_ev_answer(now, p->nlegs++);
	deliver(p, &ev);
}

static void scen_done_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	rp *p = ctx;
	p->scen_ev = 0;
	if (call_ended(&p->c) || p->c.state != CALL_TALKING || (arg >> 8) != (uint64_t)p->scen_leg)
		return;
	call_agent_outcome o = (call_agent_outcome)(arg & 0xff);
	trace(p, now, "> %s (scenario)", call_agent_outcome_name(o));
	call_event ev = call_ev_done(now, o);
	deliver(p, &ev);
}

static void timer_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	rp *p = ctx;
	int slot = call_timer_arg_slot(arg);
	uint32_t gen = call_timer_arg_gen(arg);
	if (slot >= 0 && slot < CALL_NTIMERS)
		p->tid[slot] = 0;
	if (call_ended(&p->c))
		return;
	trace(p, now, "> timer %s #%u", slot_name(slot), gen);
	call_event ev = call_ev_timer(now, slot, gen);
	deliver(p, &ev);
}

static void auto_hangup_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	rp *p = ctx;
	p->auto_hangup = 0;
	if (call_ended(&p->c))
		return;
	trace(p, now, "> hangup (%s)", p->c.state == CALL_TALKING ?
	      "the script has no more agent lines" : "nothing will answer the queue");
	call_event ev = call_ev(CALL_EV_HANGUP, now);
	deliver(p, &ev);
}

static void last_hangup_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	rp *p = ctx;
	p->last_hangup = 0;
	if (call_ended(&p->c))
		return;
	trace(p, now, "> hangup (one hour after the last line)");
	call_event ev = call_ev(CALL_EV_HANGUP, now);
	deliver(p, &ev);
}

static void placed_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	rp *p = ctx;
	trace(p, now, "> placed");
	call_event ev = call_ev(CALL_EV_PLACED, now);
	deliver(p, &ev);
}

static const char *state_desc(rp *p, char *out, size_t n)
{
	const call *c = &p->c;
	switch (c->state) {
	case CALL_IDLE: snprintf(out, n, "a call not placed yet"); break;
	case CALL_QUEUED: snprintf(out, n, "the call waiting in queue %s", queue_nm(p->f, c->queue)); break;
	case CALL_TALKING: snprintf(out, n, "the call talking to an agent of %s", queue_nm(p->f, c->queue)); break;
	case CALL_ENDED: snprintf(out, n, "the call ended"); break;
	default: snprintf(out, n, "the call in the IVR at %s", node_nm(p->f, c->node)); break;
	}
	return out;
}

/* After an agent line (acted on or refused), the call may now be stuck in
 * the way maybe_auto_hangup describes: waiting with nobody left to answer
 * (no more agent lines, no scenario, no max_wait) or talking with nobody
 * left to finish it. */
static void recheck_stuck(rp *p, int64_t now)
{
	const call *c = &p->c;
	if (p->o->scen || call_ended(c))
		return;
	if (c->state == CALL_QUEUED) {
		int qn = c->queue >= 0 && c->queue < p->f->nqueues ? p->f->queue_nodes[c->queue] : -1;
		if (qn >= 0 && p->f->nodes[qn].u.queue.max_wait_ms == 0)
			maybe_auto_hangup(p, now);
	} else if (c->state == CALL_TALKING) {
		maybe_auto_hangup(p, now);
	}
}

static void agent_line_do(rp *p, const script_step *st, int64_t now);

static void agent_line(rp *p, const script_step *st, int64_t now)
{
	agent_line_do(p, st, now);
	recheck_stuck(p, now);
}

static void agent_line_do(rp *p, const script_step *st, int64_t now)
{
	call *c = &p->c;
	const char *word = script_step_name(st->kind);
	char sd[160];
	call_event ev;
	bool ok;
	p->agent_pending--;
	if (st->kind == SCRIPT_ANSWER) {
		ok = c->state == CALL_QUEUED;
		if (!ok) {
			trace(p, now, "> %s (line %d) fails: not waiting in a queue", word, st->line);
			fail(p, st->line, "expected the call waiting in a queue for 'answer', got %s",
			     state_desc(p, sd, sizeof sd));
			return;
		}
		ev = call_ev_answer(now, p->nlegs++);
	} else if (st->kind == SCRIPT_SUPERVISOR && c->state == CALL_QUEUED) {
		ev = call_ev(CALL_EV_ASK_SUPERVISOR, now);
	} else {
		ok = c->state == CALL_TALKING;
		if (!ok) {
			trace(p, now, "> %s (line %d) fails: no agent is talking", word, st->line);
			fail(p, st->line, "expected the call talking to an agent for '%s', got %s",
			     word, state_desc(p, sd, sizeof sd));
			return;
		}
		call_agent_outcome o = st->kind == SCRIPT_RESOLVED ? CALL_AGENT_RESOLVED :
		                       st->kind == SCRIPT_ESCALATE ? CALL_AGENT_ESCALATE :
		                       st->kind == SCRIPT_SUPERVISOR ? CALL_AGENT_SUPERVISOR :
		                       CALL_AGENT_REQUEST;
		ev = call_ev_done(now, o);
	}
	trace(p, now, "> %s (line %d)", word, st->line);
	p->in_agent_line = true;
	p->ignored_why = NULL;
	deliver(p, &ev);
	p->in_agent_line = false;
	if (p->ignored_why)
		fail(p, st->line, "expected '%s' to act on the call, got it ignored (%s)", word,
		     p->ignored_why);
}

/* arg: step index << 16 | key index */
static void step_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	rp *p = ctx;
	int si = (int)(arg >> 16), ki = (int)(arg & 0xffff);
	const script_step *st = &p->s->steps[si];
	if (call_ended(&p->c)) {
		if (st->kind == SCRIPT_PRESS)
			trace(p, now, "> press %c (line %d) ignored: the call has ended", st->keys[ki], st->line);
		else
			trace(p, now, "> %s (line %d) ignored: the call has ended",
			      script_step_name(st->kind), st->line);
		return;
	}
	switch (st->kind) {
	case SCRIPT_PRESS: {
		if (st->line > 0)
			trace(p, now, "> press %c (line %d)", st->keys[ki], st->line);
		else
			trace(p, now, "> press %c", st->keys[ki]);
		call_event ev = call_ev_key(now, st->keys[ki]);
		deliver(p, &ev);
		break;
	}
	case SCRIPT_HANGUP: {
		trace(p, now, "> hangup (line %d)", st->line);
		call_event ev = call_ev(CALL_EV_HANGUP, now);
		deliver(p, &ev);
		break;
	}
	default:
		agent_line(p, st, now);
		break;
	}
}

/* ---- expectations ------------------------------------------------------- */

static void path_desc(rp *p, buf *b)
{
	if (p->npath == 0) {
		buf_puts(b, "no node visited");
		return;
	}
	buf_puts(b, "path ");
	for (int i = 0; i < p->npath; i++) {
		if (p->npath > 16 && i == 7) {
			buf_puts(b, " > ...");
			i = p->npath - 8;
			continue;
		}
		if (i)
			buf_puts(b, " > ");
		buf_puts(b, node_nm(p->f, p->path[i]));
	}
}

static void check_expectations(rp *p)
{
	const flow *f = p->f;
	const script *s = p->s;
	char tb[40];
	for (int i = 0; i < s->nexpects; i++) {
		const script_expect *e = &s->expects[i];
		switch (e->kind) {
		case SCRIPT_EXP_VISIT:
			if (e->idx >= 0 && p->visit_t[e->idx] < 0) {
				buf b;
				buf_init(&b);
				path_desc(p, &b);
				fail(p, e->line, "expected visit %s, got %s", e->name, b.p);
				buf_free(&b);
			}
			break;
		case SCRIPT_EXP_NEVER:
			if (e->idx >= 0 && p->visit_t[e->idx] >= 0) {
				replay_fmt_offset(p->visit_t[e->idx] - p->t0, tb, sizeof tb);
				fail(p, e->line, "expected never %s, got a visit at %s", e->name, tb);
			}
			break;
		case SCRIPT_EXP_QUEUE:
			if (e->idx >= 0 && !p->queued[e->idx]) {
				buf b;
				buf_init(&b);
				for (int q = 0; q < f->nqueues; q++)
					if (p->queued[q])
						buf_printf(&b, "%s%s", b.len ? ", " : "", queue_nm(f, q));
				if (b.len)
					fail(p, e->line, "expected queue %s, got queue %s", e->name, b.p);
				else
					fail(p, e->line, "expected queue %s, got no queue", e->name);
				buf_free(&b);
			}
			break;
		case SCRIPT_EXP_OUTCOME:
			if ((call_outcome)e->idx != p->r->outcome)
				fail(p, e->line, "expected outcome %s, got %s", e->name,
				     call_outcome_name(p->r->outcome));
			break;
		case SCRIPT_EXP_OFFICE: {
			bool found = false;
			for (int k = 0; k < p->nreqs; k++)
				if (p->reqs[k].office == e->idx)
					found = true;
			if (!found) {
				if (p->nreqs == 0)
					fail(p, e->line, "expected request office %s, got no request", e->name);
				else
					fail(p, e->line, "expected request office %s, got office %s", e->name,
					     office_nm(f, p->reqs[p->nreqs - 1].office));
			}
			break;
		}
		case SCRIPT_EXP_VAR: {
			const char *v = e->idx >= 0 ? call_get_var(&p->c, e->idx) : NULL;
			for (int k = 0; e->idx < 0 && k < p->s->nvars; k++)
				if (strcmp(p->s->vars[k].name, e->name) == 0)
					v = p->s->vars[k].value;   /* set by the script, unknown to the flow */
			if (!v)
				fail(p, e->line, "expected var %s \"%s\", got it unset", e->name, e->value);
			else if (strcmp(v, e->value) != 0)
				fail(p, e->line, "expected var %s \"%s\", got \"%s\"", e->name, e->value, v);
			break;
		}
		case SCRIPT_EXP_PROMPT:
			if (e->idx >= 0 && p->prompt_t[e->idx] < 0)
				fail(p, e->line, "expected prompt %s, got it never played", e->name);
			break;
		case SCRIPT_EXP_NEVER_PROMPT:
			if (e->idx >= 0 && p->prompt_t[e->idx] >= 0) {
				replay_fmt_offset(p->prompt_t[e->idx] - p->t0, tb, sizeof tb);
				fail(p, e->line, "expected never prompt %s, got it played at %s", e->name, tb);
			}
			break;
		}
	}
}

static int cmp_fail(const void *a, const void *b)
{
	const failure *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- the run ------------------------------------------------------------ */

int replay_run(const flow *f, const script *s, const replay_opts *o, replay_result *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->trace);
	buf_init(&r->failures);
	r->final_node = -1;
	rp p;
	memset(&p, 0, sizeof p);
	p.f = f;
	p.s = s;
	p.o = o;
	p.r = r;
	p.t0 = s->start;
	r->start = s->start;
	p.sc = sched_virtual_new(p.t0);
	if (!p.sc)
		return -1;
	size_t nn = (size_t)(f->nnodes > 0 ? f->nnodes : 0) + 1;
	size_t np = (size_t)(f->nprompts > 0 ? f->nprompts : 0) + 1;
	size_t nq = (size_t)(f->nqueues > 0 ? f->nqueues : 0) + 1;
	p.visit_t = malloc(sizeof *p.visit_t * nn);
	p.prompt_t = malloc(sizeof *p.prompt_t * np);
	p.queued = calloc(nq, sizeof *p.queued);
	if (!p.visit_t || !p.prompt_t || !p.queued)
		abort();
	for (int i = 0; i < f->nnodes; i++)
		p.visit_t[i] = -1;
	for (int i = 0; i < f->nprompts; i++)
		p.prompt_t[i] = -1;
	p.sink.fn = on_action;
	p.sink.ctx = &p;
	if (o->scen) {
		p.use_scen = true;
		for (int i = 0; i < s->nsteps; i++)
			if (s->steps[i].kind == SCRIPT_ANSWER)
				p.use_scen = false;
		rng_seed(&p.r_handle, o->scen->seed, rng_stream_id("replay/handle"));
		rng_seed(&p.r_outcome, o->scen->seed, rng_stream_id("replay/outcome"));
	}

	call_init(&p.c, f, 1, s->line, s->lang_idx);
	for (int i = 0; i < s->nvars; i++)
		if (s->vars[i].idx >= 0)
			call_set_var(&p.c, s->vars[i].idx, s->vars[i].value);

	if (o->trace) {
		char tb[32];
		util_fmt_local(p.t0, p.t0 % 60000 != 0, tb, sizeof tb);
		buf_printf(&r->trace, "# %s: line %s, start %s\n", s->path,
		           s->line >= 0 && s->line < f->nlines ? f->lines[s->line].name : "?", tb);
	}
	/* Placed first, then every script event in script order, all in the
	 * caller band; then the caller's patience. */
	sched_at_pri(p.sc, p.t0, SCHED_PRI_CALLER, placed_cb, &p, 0);
	for (int i = 0; i < s->nsteps; i++) {
		const script_step *st = &s->steps[i];
		if (st->kind == SCRIPT_PRESS) {
			for (int k = 0; k < st->nkeys; k++)
				sched_at_pri(p.sc, p.t0 + st->t + (int64_t)k * st->every_ms,
				             SCHED_PRI_CALLER, step_cb, &p, ((uint64_t)i << 16) | (uint64_t)k);
		} else {
			if (st->kind != SCRIPT_HANGUP)
				p.agent_pending++;
			sched_at_pri(p.sc, p.t0 + st->t, SCHED_PRI_CALLER, step_cb, &p, (uint64_t)i << 16);
		}
	}
	p.last_hangup = sched_at_pri(p.sc, p.t0 + script_last_t(s) + REPLAY_HANGUP_AFTER_MS,
	                             SCHED_PRI_CALLER, last_hangup_cb, &p, 0);
	sched_run(p.sc, SCHED_FOREVER);
	if (!call_ended(&p.c)) {
		/* Cannot happen (the last hang-up ends every call); say so rather
		 * than check expectations against a running call. */
		fail(&p, 0, "expected the call to end, got it still running");
	}

	check_expectations(&p);
	if (p.nfails > 1)
		qsort(p.fails, (size_t)p.nfails, sizeof *p.fails, cmp_fail);
	for (int i = 0; i < p.nfails; i++) {
		if (p.fails[i].line > 0)
			buf_printf(&r->failures, "%s:%d: %s\n", s->path, p.fails[i].line, p.fails[i].msg);
		else
			buf_printf(&r->failures, "%s: %s\n", s->path, p.fails[i].msg);
		free(p.fails[i].msg);
	}
	r->nfailed = p.nfails;
	r->status = p.nfails ? 1 : 0;
	free(p.fails);
	free(p.visit_t);
	free(p.prompt_t);
	free(p.queued);
	free(p.path);
	free(p.reqs);
	sched_destroy(p.sc);
	return 0;
}

void replay_result_free(replay_result *r)
{
	buf_free(&r->trace);
	buf_free(&r->failures);
}
