/*
 * replay_db.c — stored calls played against a (changed) flow, and the
 * streaming reader of a run's calls (`replay FLOW --from DB [--run ID]`).
 *
 * The player rebuilds the caller's and the agents' side of a stored call
 * (replay.h says exactly how) on a fresh virtual clock per call, and keeps
 * the new call's path and outcome.  The order at one instant matters, so it
 * mirrors how the simulator produced the call:
 *   - caller band (SCHED_PRI_CALLER): keys, the agent side of stored legs
 *     (answer, outcome, abandon, asking for a supervisor) — an answered leg
 *     was answered before its max_wait fired at the same instant;
 *   - timer band: the engine's timers;
 *   - late band (REPLAY_PRI_LATE): the caller's hang-up at the stored end,
 *     so a call the flow ends itself at that instant ends the same way, and
 *     the check that a timed-out leg was timed out by the flow.
 * An answer at the instant of entry (wait 0) is delivered right after the
 * event that enqueued the call, before anything else, as the simulator's
 * ACD does.
 *
 * The reader is one prepared statement over the run's rowid range of
 * `calls`; the packed JSON columns (keys, visits, legs; times relative to
 * arrival) are unpacked into arrays it reuses, so a run streams without
 * holding more than one call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sqlite3.h>
#include "tierline/replay.h"
#include "tierline/sched.h"
#include "tierline/store.h"

/* ---- the player ------------------------------------------------------------ */

enum {
	EV_PLACED = 1,
	EV_KEY,           /* payload: key */
	EV_END,           /* the stored call's end */
	EV_FINAL,         /* one hour later: hang up whatever happens */
	EV_ANSWER,        /* payload: leg index */
	EV_LEG_END,       /* payload: leg index */
	EV_TIMER          /* payload: timer arg */
};

#define EV_ARG(kind, pay) ((uint64_t)(kind) << 56 | ((uint64_t)(pay) & 0x00ffffffffffffffULL))
#define EV_KIND(a) ((int)((a) >> 56))
#define EV_PAY(a) ((a) & 0x00ffffffffffffffULL)

struct replay_stored {
	const flow *f;
	const rec_call *rc;
	const call_sink *extra;
	sched *sc;
	call c;
	call_sink sink;
	sched_id tid[CALL_NTIMERS];
	sched_id leg_ev;
	int nleg;                    /* legs the new call has entered */
	bool past_end;               /* the stored call's end has passed */
	bool answer_now, hangup_now;
	int *path; int npath, cpath;
	bool oom;
	call_outcome outcome;
	int64_t end;
};

replay_stored *replay_stored_new(const flow *f)
{
	replay_stored *p = calloc(1, sizeof *p);
	if (p)
		p->f = f;
	return p;
}

void replay_stored_free(replay_stored *p)
{
	if (!p)
		return;
	free(p->path);
	free(p);
}

static void on_event(sched *s, int64_t now, void *ctx, uint64_t arg);

static void cancel_leg(replay_stored *p)
{
	if (p->leg_ev) {
		sched_cancel(p->sc, p->leg_ev);
		p->leg_ev = 0;
	}
}

static bool in_missing_leg(const replay_stored *p)
{
	return (p->c.state == CALL_QUEUED || p->c.state == CALL_TALKING) &&
	       p->nleg > p->rc->nlegs;
}

static void on_action(void *ctx, const call *c, const call_action *a)
{
	replay_stored *p = ctx;
	switch (a->kind) {
	case CALL_ACT_VISIT:
		if (a->node >= 0) {
			if (p->npath == p->cpath) {
				int nc = p->cpath ? p->cpath * 2 : 64;
				int *np = realloc(p->path, (size_t)nc * sizeof *np);
				if (!np) {
					p->oom = true;
					break;
				}
				p->path = np;
				p->cpath = nc;
			}
			p->path[p->npath++] = a->node;
		}
		break;
	case CALL_ACT_TIMER:
		if (a->slot < CALL_NTIMERS) {
			if (p->tid[a->slot])
				sched_cancel(p->sc, p->tid[a->slot]);
			p->tid[a->slot] = sched_at(p->sc, a->at, on_event, p,
			                           EV_ARG(EV_TIMER, call_timer_arg(a->slot, a->gen)));
		}
		break;
	case CALL_ACT_CANCEL:
		if (a->slot < CALL_NTIMERS && p->tid[a->slot]) {
			sched_cancel(p->sc, p->tid[a->slot]);
			p->tid[a->slot] = 0;
		}
		break;
	case CALL_ACT_ENQUEUE: {
		int i = p->nleg++;
		cancel_leg(p);
		if (i >= p->rc->nlegs) {
			/* A leg the stored call did not have: nobody answers it; the
			 * caller leaves at the stored end (now, if that has passed). */
			if (p->past_end)
				p->hangup_now = true;
			break;
		}
		const rec_leg *l = &p->rc->legs[i];
		if (l->answered >= 0) {
			int64_t wait = l->answered - l->entered;
			if (wait <= 0)
				p->answer_now = true;
			else
				p->leg_ev = sched_at_pri(p->sc, a->t + wait, SCHED_PRI_CALLER, on_event, p,
				                         EV_ARG(EV_ANSWER, i));
		} else {
			int64_t wait = l->ended - l->entered;
			if (wait < 0)
				wait = 0;
			bool timeout = l->result && strcmp(l->result, "timeout") == 0;
			p->leg_ev = sched_at_pri(p->sc, a->t + wait,
			                         timeout ? REPLAY_PRI_LATE : SCHED_PRI_CALLER,
			                         on_event, p, EV_ARG(EV_LEG_END, i));
		}
		break;
	}
	case CALL_ACT_ANSWERED: {
		int i = p->nleg - 1;
		cancel_leg(p);
		if (i < 0 || i >= p->rc->nlegs)
			break;
		const rec_leg *l = &p->rc->legs[i];
		int64_t talk = l->answered >= 0 && l->ended >= l->answered ? l->ended - l->answered : 0;
		p->leg_ev = sched_at_pri(p->sc, a->t + talk, SCHED_PRI_CALLER, on_event, p,
		                         EV_ARG(EV_LEG_END, i));
		break;
	}
	case CALL_ACT_LEG_END:
		cancel_leg(p);
		p->answer_now = false;
		break;
	case CALL_ACT_END:
		p->outcome = a->outcome;
		p->end = a->t;
		for (int i = 0; i < CALL_NTIMERS; i++)
			if (p->tid[i]) {
				sched_cancel(p->sc, p->tid[i]);
				p->tid[i] = 0;
			}
		cancel_leg(p);
		/* Nothing more can happen: stop the clock (the end and final
		 * hang-ups left on it are not needed). */
		sched_stop(p->sc);
		break;
	default:
		break;
	}
	if (p->extra && p->extra->fn)
		p->extra->fn(p->extra->ctx, c, a);
}

static void deliver(replay_stored *p, const call_event *ev)
{
	call_handle(&p->c, ev, &p->sink);
	for (int guard = 0; guard < 64 && !call_ended(&p->c); guard++) {
		call_event e2;
		if (p->answer_now && p->c.state == CALL_QUEUED) {
			p->answer_now = false;
			e2 = call_ev_answer(ev->t, p->nleg - 1);
		} else if (p->hangup_now ||
		           (p->past_end && (call_in_ivr(&p->c) || in_missing_leg(p)))) {
			/* Past the stored end, a caller back in the IVR or in a new
			 * leg hangs up at once. */
			p->hangup_now = false;
			e2 = call_ev(CALL_EV_HANGUP, ev->t);
		} else {
			break;
		}
		call_handle(&p->c, &e2, &p->sink);
	}
	p->answer_now = p->hangup_now = false;
}

static call_event leg_end_event(const rec_leg *l, bool talking, int64_t t)
{
	const char *r = l->result ? l->result : "";
	if (talking) {
		if (strcmp(r, "resolved") == 0)
			return call_ev_done(t, CALL_AGENT_RESOLVED);
		if (strcmp(r, "escalated") == 0)
			return call_ev_done(t, CALL_AGENT_ESCALATE);
		if (strcmp(r, "supervisor") == 0)
			return call_ev_done(t, CALL_AGENT_SUPERVISOR);
		if (strcmp(r, "request") == 0)
			return call_ev_done(t, CALL_AGENT_REQUEST);
	}
	if (strcmp(r, "asked-supervisor") == 0)
		return call_ev(CALL_EV_ASK_SUPERVISOR, t);
	/* abandoned, hangup-talking, timeout (the flow's max_wait did not end
	 * it), anything unknown: the caller hangs up. */
	return call_ev(CALL_EV_HANGUP, t);
}

static void on_event(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	replay_stored *p = ctx;
	(void)s;
	uint64_t pay = EV_PAY(arg);
	call_event ev;
	switch (EV_KIND(arg)) {
	case EV_PLACED:
		ev = call_ev(CALL_EV_PLACED, now);
		break;
	case EV_KEY:
		ev = call_ev_key(now, (char)pay);
		break;
	case EV_END:
		p->past_end = true;
		if (!call_in_ivr(&p->c) && !in_missing_leg(p))
			return;
		ev = call_ev(CALL_EV_HANGUP, now);
		break;
	case EV_FINAL:
		ev = call_ev(CALL_EV_HANGUP, now);
		break;
	case EV_ANSWER:
		p->leg_ev = 0;
		if (p->c.state != CALL_QUEUED || (int)pay != p->nleg - 1)
			return;
		ev = call_ev_answer(now, (int)pay);
		break;
	case EV_LEG_END: {
		p->leg_ev = 0;
		if ((int)pay != p->nleg - 1 || (int)pay >= p->rc->nlegs)
			return;
		bool talking = p->c.state == CALL_TALKING;
		if (!talking && p->c.state != CALL_QUEUED)
			return;
		ev = leg_end_event(&p->rc->legs[pay], talking, now);
		break;
	}
	case EV_TIMER: {
		int slot = call_timer_arg_slot(pay);
		if (slot >= 0 && slot < CALL_NTIMERS)
			p->tid[slot] = 0;
		ev = call_ev_timer(now, slot, call_timer_arg_gen(pay));
		break;
	}
	default:
		return;
	}
	if (call_ended(&p->c))
		return;
	deliver(p, &ev);
}

static void set_vars(replay_stored *p, const char *vars)
{
	if (!vars || !*vars)
		return;
	json_t *o = json_loads(vars, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	/* Object order is the recorder's (the flow's variable order); set them
	 * in that order so truncation rules apply the same way. */
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		int idx = flow_find_var(p->f, k);
		if (idx >= 0 && json_is_string(v))
			call_set_var(&p->c, idx, json_string_value(v));
	}
	json_decref(o);
}

int replay_stored_play(replay_stored *p, const rec_call *rc, const call_sink *extra,
                       replay_stored_result *out)
{
	memset(out, 0, sizeof *out);
	p->rc = rc;
	p->extra = extra;
	p->npath = 0;
	p->nleg = 0;
	p->past_end = p->answer_now = p->hangup_now = false;
	p->oom = false;
	p->outcome = CALL_OUT_NONE;
	p->end = rc->arrival;
	p->leg_ev = 0;
	memset(p->tid, 0, sizeof p->tid);
	int line = rc->line ? flow_find_line(p->f, rc->line) : -1;
	if (line < 0) {
		out->status = REPLAY_STORED_NO_LINE;
		return 0;
	}
	int lang = -1;
	if (rc->lang && *rc->lang) {
		lang = flow_find_lang(p->f, rc->lang);
		if (lang < 0) {
			out->status = REPLAY_STORED_NO_LANG;
			return 0;
		}
	}
	p->sc = sched_virtual_new(rc->arrival);
	if (!p->sc)
		return -1;
	p->sink.fn = on_action;
	p->sink.ctx = p;
	call_init(&p->c, p->f, rc->seq, line, lang);
	set_vars(p, rc->vars);

	int64_t end = rc->end > rc->arrival ? rc->end : rc->arrival;
	bool ok = sched_at_pri(p->sc, rc->arrival, SCHED_PRI_CALLER, on_event, p, EV_ARG(EV_PLACED, 0));
	for (int i = 0; i < rc->nkeys && ok; i++)
		ok = sched_at_pri(p->sc, rc->keys[i].t < rc->arrival ? rc->arrival : rc->keys[i].t,
		                  SCHED_PRI_CALLER, on_event, p,
		                  EV_ARG(EV_KEY, (unsigned char)rc->keys[i].key)) != 0;
	/* The stored caller hung up in the IVR before any play: first at that
	 * instant; otherwise after the flow's own timers. */
	bool abandoned_ivr = rc->outcome && strcmp(rc->outcome, "abandoned-ivr") == 0;
	ok = ok && sched_at_pri(p->sc, end, abandoned_ivr ? SCHED_PRI_CALLER : REPLAY_PRI_LATE,
	                        on_event, p, EV_ARG(EV_END, 0));
	ok = ok && sched_at_pri(p->sc, end + REPLAY_HANGUP_AFTER_MS, REPLAY_PRI_LATE, on_event, p,
	                        EV_ARG(EV_FINAL, 0));
	if (ok)
		sched_run(p->sc, SCHED_FOREVER);
	sched_destroy(p->sc);
	p->sc = NULL;
	if (!ok || p->oom)
		return -1;
	out->status = REPLAY_STORED_OK;
	out->outcome = p->outcome;
	out->end = p->end;
	out->path = p->path;
	out->npath = p->npath;
	return 0;
}

bool replay_path_equal(const flow *f, const rec_call *rc, const int *path, int npath)
{
	if (rc->nvisits != npath)
		return false;
	for (int i = 0; i < npath; i++) {
		const char *a = rc->visits[i].node;
		if (!a || path[i] < 0 || path[i] >= f->nnodes || strcmp(a, f->nodes[path[i]].name) != 0)
			return false;
	}
	return true;
}

/* ---- the reader ------------------------------------------------------------ */

struct replay_reader {
	sqlite3_stmt *st;
	rec_call rc;
	json_t *jkeys, *jvisits, *jlegs;
	rec_key *keys; int ckeys;
	rec_visit *visits; int cvisits;
	rec_leg *legs; int clegs;
	int64_t run;
};

int replay_latest_complete_run(store *db, int64_t *run_id)
{
	sqlite3 *h = store_sqlite(db);
	sqlite3_stmt *st = NULL;
	*run_id = 0;
	if (sqlite3_prepare_v2(h, "SELECT max(id) FROM runs WHERE complete = 1", -1, &st, NULL) != SQLITE_OK)
		return STORE_ERROR;
	int rc = sqlite3_step(st);
	int out = STORE_NOTFOUND;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*run_id = sqlite3_column_int64(st, 0);
		out = STORE_OK;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		out = STORE_ERROR;
	}
	sqlite3_finalize(st);
	return out;
}

int replay_reader_open(store *db, int64_t run_id, replay_reader **out, char *err, size_t errlen)
{
	*out = NULL;
	replay_reader *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sqlite3 *h = store_sqlite(db);
	/* The run's calls are one rowid range (store: id = run << 32 | seq). */
	const char *sql =
		"SELECT seq, line, lang, vars, arrival, ended, outcome, final_node, counted,"
		" keys, visits, legs FROM calls"
		" WHERE id BETWEEN (?1 << 32) AND (?1 << 32) + 4294967295 ORDER BY id";
	if (sqlite3_prepare_v2(h, sql, -1, &r->st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the calls: %s", sqlite3_errmsg(h));
		free(r);
		return -1;
	}
	sqlite3_bind_int64(r->st, 1, run_id);
	r->run = run_id;
	*out = r;
	return 0;
}

static void drop_json(replay_reader *r)
{
	json_decref(r->jkeys);
	json_decref(r->jvisits);
	json_decref(r->jlegs);
	r->jkeys = r->jvisits = r->jlegs = NULL;
}

static bool grow(void **p, int *cap, int n, size_t size)
{
	if (n <= *cap)
		return true;
	int nc = *cap ? *cap : 16;
	while (nc < n)
		nc *= 2;
	void *np = realloc(*p, (size_t)nc * size);
	if (!np)
		return false;
	*p = np;
	*cap = nc;
	return true;
}

static json_t *load_array(sqlite3_stmt *st, int col)
{
	const char *txt = (const char *)sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);
	if (!txt)
		return json_array();
	json_t *j = json_loadb(txt, (size_t)n, JSON_DISABLE_EOF_CHECK, NULL);
	if (j && !json_is_array(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int64_t jint(const json_t *j, int64_t dflt)
{
	if (json_is_integer(j))
		return (int64_t)json_integer_value(j);
	if (json_is_real(j))
		return (int64_t)json_real_value(j);
	return dflt;
}

/* Unpack one row; false when a packed column is malformed. */
static bool unpack(replay_reader *r)
{
	sqlite3_stmt *st = r->st;
	rec_call *c = &r->rc;
	memset(c, 0, sizeof *c);
	c->seq = (uint64_t)sqlite3_column_int64(st, 0);
	c->line = (const char *)sqlite3_column_text(st, 1);
	c->lang = (const char *)sqlite3_column_text(st, 2);
	c->vars = (const char *)sqlite3_column_text(st, 3);
	c->arrival = sqlite3_column_int64(st, 4);
	c->end = sqlite3_column_int64(st, 5);
	c->outcome = (const char *)sqlite3_column_text(st, 6);
	c->final_node = (const char *)sqlite3_column_text(st, 7);
	c->counted = sqlite3_column_int(st, 8) != 0;
	r->jkeys = load_array(st, 9);
	r->jvisits = load_array(st, 10);
	r->jlegs = load_array(st, 11);
	if (!r->jkeys || !r->jvisits || !r->jlegs)
		return false;

	int nk = (int)json_array_size(r->jkeys) / 2;
	if (!grow((void **)&r->keys, &r->ckeys, nk, sizeof *r->keys))
		return false;
	for (int i = 0; i < nk; i++) {
		const char *k = json_string_value(json_array_get(r->jkeys, (size_t)i * 2));
		json_t *t = json_array_get(r->jkeys, (size_t)i * 2 + 1);
		if (!k || !json_is_number(t))
			return false;
		r->keys[i].key = k[0];
		r->keys[i].t = c->arrival + jint(t, 0);
	}
	c->keys = r->keys;
	c->nkeys = nk;

	int nv = (int)json_array_size(r->jvisits) / 2;
	if (!grow((void **)&r->visits, &r->cvisits, nv, sizeof *r->visits))
		return false;
	for (int i = 0; i < nv; i++) {
		const char *n = json_string_value(json_array_get(r->jvisits, (size_t)i * 2));
		json_t *t = json_array_get(r->jvisits, (size_t)i * 2 + 1);
		if (!n || !json_is_number(t))
			return false;
		r->visits[i].node = n;
		r->visits[i].t = c->arrival + jint(t, 0);
	}
	c->visits = r->visits;
	c->nvisits = nv;

	int nl = (int)json_array_size(r->jlegs);
	if (!grow((void **)&r->legs, &r->clegs, nl, sizeof *r->legs))
		return false;
	for (int i = 0; i < nl; i++) {
		json_t *l = json_array_get(r->jlegs, (size_t)i);
		if (!json_is_array(l) || json_array_size(l) < 7)
			return false;
		rec_leg *g = &r->legs[i];
		memset(g, 0, sizeof *g);
		g->queue = json_string_value(json_array_get(l, 0));
		g->tier = (int)jint(json_array_get(l, 1), 0);
		json_t *je = json_array_get(l, 2), *ja = json_array_get(l, 3), *jx = json_array_get(l, 4);
		if (!json_is_number(je))
			return false;
		g->entered = c->arrival + jint(je, 0);
		g->answered = json_is_number(ja) ? c->arrival + jint(ja, 0) : -1;
		g->ended = json_is_number(jx) ? c->arrival + jint(jx, 0) : c->end;
		g->agent = (int)jint(json_array_get(l, 5), -1);
		g->result = json_string_value(json_array_get(l, 6));
		g->found_free = jint(json_array_get(l, 7), 0) != 0;
	}
	c->legs = r->legs;
	c->nlegs = nl;
	return true;
}

int replay_reader_next(replay_reader *r, const rec_call **rc, char *err, size_t errlen)
{
	drop_json(r);
	*rc = NULL;
	int s = sqlite3_step(r->st);
	if (s == SQLITE_DONE)
		return 0;
	if (s != SQLITE_ROW) {
		snprintf(err, errlen, "cannot read the calls of run %lld: %s", (long long)r->run,
		         sqlite3_errmsg(sqlite3_db_handle(r->st)));
		return -1;
	}
	if (!unpack(r)) {
		snprintf(err, errlen, "call %lld of run %lld: malformed keys, visits or legs",
		         (long long)sqlite3_column_int64(r->st, 0), (long long)r->run);
		return -1;
	}
	*rc = &r->rc;
	return 1;
}

void replay_reader_free(replay_reader *r)
{
	if (!r)
		return;
	drop_json(r);
	sqlite3_finalize(r->st);
	free(r->keys);
	free(r->visits);
	free(r->legs);
	free(r);
}
