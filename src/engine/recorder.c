/*
 * recorder.c — a call's actions into a rec_call (and into trace lines).
 *
 * The arrays grow by doubling and are never shrunk; recorder_begin() only
 * resets counts, so recording the n-th call of a run allocates nothing once
 * the buffers have reached the size of the longest call so far.  Names are
 * the flow's interned strings (they outlive the record); only the initial
 * variables need text of our own, kept in a reusable buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/recorder.h"

void recorder_init(recorder *r, const flow *f)
{
	memset(r, 0, sizeof *r);
	r->f = f;
	recorder_begin(r, 0);
}

void recorder_free(recorder *r)
{
	free(r->keys);
	free(r->visits);
	free(r->legs);
	free(r->requests);
	free(r->vars);
	memset(r, 0, sizeof *r);
}

void recorder_begin(recorder *r, uint64_t seq)
{
	memset(&r->rc, 0, sizeof r->rc);
	r->rc.seq = seq;
	r->rc.counted = true;
	r->rc.arrival = r->rc.end = -1;
	r->nkeys = r->nvisits = r->nlegs = r->nrequests = 0;
	r->nvars_txt = 0;
	r->started = r->done = r->oom = false;
}

/* Make room for one more element; false (and oom set) when out of memory. */
static bool room(recorder *r, void **p, int n, int *cap, size_t size)
{
	if (n < *cap)
		return true;
	int nc = *cap ? *cap * 2 : 16;
	void *np = realloc(*p, (size_t)nc * size);
	if (!np) {
		r->oom = true;
		return false;
	}
	*p = np;
	*cap = nc;
	return true;
}

#define PUSH(r, arr, n, cap) \
	(room((r), (void **)&(r)->arr, (r)->n, &(r)->cap, sizeof *(r)->arr) ? &(r)->arr[(r)->n++] : NULL)

static void txt_putn(recorder *r, const char *s, size_t n)
{
	if (r->nvars_txt + n + 1 > r->cvars_txt) {
		size_t nc = r->cvars_txt ? r->cvars_txt : 128;
		while (nc < r->nvars_txt + n + 1)
			nc *= 2;
		char *np = realloc(r->vars, nc);
		if (!np) {
			r->oom = true;
			return;
		}
		r->vars = np;
		r->cvars_txt = nc;
	}
	memcpy(r->vars + r->nvars_txt, s, n);
	r->nvars_txt += n;
	r->vars[r->nvars_txt] = 0;
}

static void txt_json_str(recorder *r, const char *s)
{
	txt_putn(r, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			txt_putn(r, esc, 2);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", ch);
			txt_putn(r, esc, 6);
		} else {
			txt_putn(r, s, 1);
		}
	}
	txt_putn(r, "\"", 1);
}

/* Initial variables as a JSON object, or NULL when none is set. */
static void record_vars(recorder *r, const call *c)
{
	const flow *f = r->f;
	if (!c->var_set || !f)
		return;
	txt_putn(r, "{", 1);
	bool first = true;
	for (int v = 0; v < f->nvars && v < CALL_MAX_VARS; v++) {
		const char *val = call_get_var(c, v);
		if (!val)
			continue;
		if (!first)
			txt_putn(r, ",", 1);
		first = false;
		txt_json_str(r, f->vars[v]);
		txt_putn(r, ":", 1);
		txt_json_str(r, val);
	}
	txt_putn(r, "}", 1);
	if (!r->oom)
		r->rc.vars = r->vars;
}

static const char *node_name(const flow *f, int node)
{
	return f && node >= 0 && node < f->nnodes ? f->nodes[node].name : NULL;
}

static const char *queue_name(const flow *f, int q)
{
	return f && q >= 0 && q < f->nqueues ? node_name(f, f->queue_nodes[q]) : NULL;
}

void recorder_on_action_slow(recorder *r, const call *c, const call_action *a)
{
	const flow *f = r->f;
	switch (a->kind) {
	case CALL_ACT_START:
		r->started = true;
		r->rc.arrival = a->t;
		r->rc.line = f && a->line >= 0 && a->line < f->nlines ? f->lines[a->line].name : NULL;
		r->rc.lang = f && a->lang >= 0 && a->lang < f->nlangs ? f->langs[a->lang] : NULL;
		record_vars(r, c);
		break;
	case CALL_ACT_KEY:
	case CALL_ACT_KEY_IGNORED: {
		rec_key *k = PUSH(r, keys, nkeys, ckeys);
		if (k) {
			k->t = a->t;
			k->key = a->key;
		}
		break;
	}
	case CALL_ACT_VISIT: {
		rec_visit *v = PUSH(r, visits, nvisits, cvisits);
		if (v) {
			v->node = node_name(f, a->node);
			v->t = a->t;
		}
		break;
	}
	case CALL_ACT_ENQUEUE: {
		rec_leg *l = PUSH(r, legs, nlegs, clegs);
		if (l) {
			memset(l, 0, sizeof *l);
			l->queue = queue_name(f, a->queue);
			l->tier = f && a->node >= 0 && a->node < f->nnodes ? f->nodes[a->node].u.queue.tier : 0;
			l->entered = a->t;
			l->answered = -1;
			l->ended = -1;
			l->agent = -1;
		}
		break;
	}
	case CALL_ACT_ANSWERED:
		if (r->nlegs > 0) {
			rec_leg *l = &r->legs[r->nlegs - 1];
			l->answered = a->t;
			l->agent = a->agent;
		}
		break;
	case CALL_ACT_LEG_END:
		if (r->nlegs > 0) {
			rec_leg *l = &r->legs[r->nlegs - 1];
			l->ended = a->t;
			if (a->agent >= 0)
				l->agent = a->agent;
			l->result = call_leg_result_name(a->leg);
		}
		break;
	case CALL_ACT_REQUEST: {
		rec_request *q = PUSH(r, requests, nrequests, crequests);
		if (q) {
			q->type = a->str;
			q->office = f && a->office >= 0 && a->office < f->noffices
				? f->offices[a->office].name : NULL;
			q->created = a->t;
			q->due = a->at;
			q->status = a->referred ? "referred" : "open";
		}
		break;
	}
	case CALL_ACT_END:
		r->done = true;
		r->rc.end = a->t;
		r->rc.outcome = call_outcome_name(a->outcome);
		r->rc.final_node = node_name(f, a->node);
		break;
	default:
		break;
	}
}

void recorder_sink_fn(void *ctx, const struct call *c, const call_action *a)
{
	recorder_on_action(ctx, c, a);
}

const rec_call *recorder_result(recorder *r)
{
	r->rc.keys = r->keys;
	r->rc.nkeys = r->nkeys;
	r->rc.visits = r->visits;
	r->rc.nvisits = r->nvisits;
	r->rc.legs = r->legs;
	r->rc.nlegs = r->nlegs;
	r->rc.requests = r->requests;
	r->rc.nrequests = r->nrequests;
	return &r->rc;
}

rec_leg *recorder_last_leg(recorder *r)
{
	return r->nlegs > 0 ? &r->legs[r->nlegs - 1] : NULL;
}

size_t recorder_bytes(const recorder *r)
{
	return sizeof *r + (size_t)r->ckeys * sizeof *r->keys +
	       (size_t)r->cvisits * sizeof *r->visits + (size_t)r->clegs * sizeof *r->legs +
	       (size_t)r->crequests * sizeof *r->requests + r->cvars_txt;
}

/* ---- trace ------------------------------------------------------------- */

/* "6.8s", "5s", "0.25s", "15d" for long request deadlines is not needed:
 * durations here are prompt and timer lengths. */
static void fmt_secs(char *out, size_t n, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	int64_t s = ms / 1000, frac = ms % 1000;
	if (frac == 0) {
		snprintf(out, n, "%llds", (long long)s);
		return;
	}
	char f[4];
	snprintf(f, sizeof f, "%03d", (int)frac);
	int len = 3;
	while (len > 1 && f[len - 1] == '0')
		f[--len] = 0;
	snprintf(out, n, "%lld.%ss", (long long)s, f);
}

static const char *nm(const char *s)
{
	return s ? s : "?";
}

static const char *target_nm(const flow *f, int target)
{
	if (target >= 0)
		return nm(node_name(f, target));
	switch (target) {
	case FLOW_T_HANGUP: return "hangup";
	case FLOW_T_REPEAT: return "repeat";
	case FLOW_T_BACK: return "back";
	case FLOW_T_TOP: return "top";
	default: return "hangup";
	}
}

static const char *prompt_nm(const flow *f, int p)
{
	return f && p >= 0 && p < f->nprompts ? f->prompts[p].id : "?";
}

static const char *lang_nm(const flow *f, int l)
{
	return f && l >= 0 && l < f->nlangs ? f->langs[l] : "?";
}

/* A span as the flow language writes it: 15d, 1d2h, 1h30m, 5s, 250ms. */
static void fmt_span(int64_t ms, char *out, size_t n)
{
	static const struct { int64_t ms; const char *unit; } units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" }
	};
	size_t len = 0;
	out[0] = '\0';
	if (ms <= 0) {
		snprintf(out, n, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0] && len + 1 < n; i++) {
		if (ms < units[i].ms)
			continue;
		int w = snprintf(out + len, n - len, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
		if (w < 0)
			break;
		len += (size_t)w;
		ms %= units[i].ms;
	}
}

size_t call_trace_line(const flow *f, int64_t t0, const call_action *a, bool timers,
                       char *out, size_t n)
{
	if (!out || n == 0)
		return 0;
	out[0] = 0;
	if (!timers && (a->kind == CALL_ACT_TIMER || a->kind == CALL_ACT_CANCEL))
		return 0;
	int64_t dt = a->t - t0;
	if (dt < 0)
		dt = 0;
	char d[32], body[256];
	const char *node = nm(node_name(f, a->node));
	switch (a->kind) {
	case CALL_ACT_START:
		snprintf(body, sizeof body, "call %s (%s)",
		         f && a->line >= 0 && a->line < f->nlines ? f->lines[a->line].name : "?",
		         lang_nm(f, a->lang));
		break;
	case CALL_ACT_VISIT:
		snprintf(body, sizeof body, "visit %s (%s)", node,
		         f && a->node >= 0 && a->node < f->nnodes ? flow_kind_name(f->nodes[a->node].kind) : "?");
		break;
	case CALL_ACT_PLAY:
		fmt_secs(d, sizeof d, a->ms);
		snprintf(body, sizeof body, "play %s (%s, %s)", prompt_nm(f, a->prompt), lang_nm(f, a->lang), d);
		break;
	case CALL_ACT_STOP_PROMPT:
		snprintf(body, sizeof body, "stop %s (barge-in)", prompt_nm(f, a->prompt));
		break;
	case CALL_ACT_LISTEN:
		fmt_secs(d, sizeof d, a->ms);
		snprintf(body, sizeof body, "listen %s (timeout %s)", node, d);
		break;
	case CALL_ACT_KEY:
		snprintf(body, sizeof body, "key %c", a->key);
		break;
	case CALL_ACT_KEY_IGNORED:
		snprintf(body, sizeof body, "key %c ignored", a->key ? a->key : '?');
		break;
	case CALL_ACT_MISS:
		snprintf(body, sizeof body, "%s %d at %s", a->miss == 0 ? "no-input" : "no-match",
		         a->count, node);
		break;
	case CALL_ACT_FAILURE:
		snprintf(body, sizeof body, "failure (%s) at %s", a->miss == 0 ? "no-input" : "no-match", node);
		break;
	case CALL_ACT_OPTION:
		snprintf(body, sizeof body, "option %s -> %s", nm(a->str), target_nm(f, a->target));
		break;
	case CALL_ACT_INPUT_DONE:
		snprintf(body, sizeof body, "input %s \"%s\"", node, nm(a->str));
		break;
	case CALL_ACT_SET_VAR:
		snprintf(body, sizeof body, "set %s \"%s\"",
		         f && a->var >= 0 && a->var < f->nvars ? f->vars[a->var] : "?", nm(a->str));
		break;
	case CALL_ACT_TIMER:
		fmt_secs(d, sizeof d, a->at - a->t);
		snprintf(body, sizeof body, "timer %d #%u in %s", a->slot, a->gen, d);
		break;
	case CALL_ACT_CANCEL:
		snprintf(body, sizeof body, "cancel timer %d", a->slot);
		break;
	case CALL_ACT_ENQUEUE:
		snprintf(body, sizeof body, "enqueue %s", nm(queue_name(f, a->queue)));
		break;
	case CALL_ACT_ANSWERED:
		snprintf(body, sizeof body, "answered %s by agent %d", nm(queue_name(f, a->queue)), a->agent);
		break;
	case CALL_ACT_LEG_END:
		if (a->agent >= 0)
			snprintf(body, sizeof body, "leg-end %s %s (agent %d)", nm(queue_name(f, a->queue)),
			         call_leg_result_name(a->leg), a->agent);
		else
			snprintf(body, sizeof body, "leg-end %s %s", nm(queue_name(f, a->queue)),
			         call_leg_result_name(a->leg));
		break;
	case CALL_ACT_ANNOUNCE:
		snprintf(body, sizeof body, "announce %s", nm(queue_name(f, a->queue)));
		break;
	case CALL_ACT_REQUEST: {
		const char *office = f && a->office >= 0 && a->office < f->noffices
			? f->offices[a->office].name : "none";
		if (a->referred)
			snprintf(body, sizeof body, "request %s referred to %s", nm(a->str), office);
		else {
			char due[48];
			fmt_span(a->at - a->t, due, sizeof due);
			if (a->at > a->t)
				snprintf(body, sizeof body, "request %s filed with %s (due %s)", nm(a->str),
				         office, due);
			else
				snprintf(body, sizeof body, "request %s filed with %s (no due time)",
				         nm(a->str), office);
		}
		break;
	}
	case CALL_ACT_CLOSED:
		snprintf(body, sizeof body, "closed %s -> %s", a->node >= 0 ? node : "line",
		         target_nm(f, a->target));
		break;
	case CALL_ACT_IGNORED:
		snprintf(body, sizeof body, "ignored: %s", nm(a->str));
		break;
	case CALL_ACT_END:
		if (a->str)
			snprintf(body, sizeof body, "end %s at %s (%s)", call_outcome_name(a->outcome),
			         a->node >= 0 ? node : "-", a->str);
		else
			snprintf(body, sizeof body, "end %s at %s", call_outcome_name(a->outcome),
			         a->node >= 0 ? node : "-");
		break;
	default:
		snprintf(body, sizeof body, "%s", call_act_name(a->kind));
		break;
	}
	int len = snprintf(out, n, "%5lld.%03lld %s", (long long)(dt / 1000), (long long)(dt % 1000), body);
	if (len < 0)
		return 0;
	return (size_t)len < n ? (size_t)len : n - 1;
}
