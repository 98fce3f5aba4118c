/*
 * serve.c — the live engine behind an HTTP API (see serve.h, docs/serve.md).
 *
 * Structure: `srv` owns the event_base, the real-time scheduler, the evhttp
 * server, the ACD, the optional store and the table of calls; `scall` is one
 * call (the engine's `call` plus what the API shows: trace lines, prompts,
 * keys).  Everything runs on the event loop's one thread.
 *
 * The driver rules of acd.h hold: the action sink only calls acd_*; ACD
 * outputs are drained by pump() from the top level (an HTTP handler or a
 * timer callback) after call_handle has returned, so no call is re-entered.
 * Every time handed to a call or the ACD goes through srv.last_t, which never
 * moves back, because libevent may run timers late and a request may arrive
 * between a timer's due time and its dispatch.
 *
 * Memory: calls are allocated when placed and freed when they fall out of the
 * ring of ended calls kept for GET (keep_ended); their timers are cancelled
 * at the end, so no scheduler entry ever points at a freed call.  The table
 * of calls is indexed by id (ids are dense from 1), one pointer per call ever
 * placed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include "tierline/acd.h"
#include "tierline/dist.h"
#include "tierline/recorder.h"
#include "tierline/rng.h"
#include "tierline/scenario.h"
#include "tierline/sched.h"
#include "tierline/script.h"
#include "tierline/serve.h"
#include "tierline/call_timers.h"
#include "tierline/store.h"

#define SRV_MAX_EVENTS 4096      /* trace lines kept per call */
#define SRV_MAX_PROMPTS 1024     /* prompts kept per call */
#define SRV_MAX_KEYS_KEPT 1024   /* keys kept per call */
#define SRV_MAX_KEYS_REQ 64      /* keys in one request */
#define SRV_EVENTS_PAGE 1000     /* events returned by one GET */

typedef struct srv srv;

typedef struct sevent {
	int64_t t;                   /* local ms */
	uint8_t kind;                /* call_act_kind */
	uint32_t off;                /* trace text in scall.txt */
} sevent;

typedef struct scall {
	srv *s;
	call c;
	call_sink sink;
	recorder *rec;               /* while live, when recording */
	call_timers tm;
	int64_t last_timer_t;        /* last timer delivered, -1 */
	sched_id done_id;            /* scenario agent finishes */
	int64_t t0, t_end;
	int64_t entered;             /* current queue leg's entry */
	int agent;                   /* ACD agent talking, -1 */
	bool finalized;
	const char *ignored;         /* reason of an IGNORED action in the last delivery */
	sevent *evs; int nevs, capevs;
	int64_t dropped;             /* trace lines not kept (cap) */
	buf txt;
	int *prompts; int nprompts, capprompts;
	buf keys;
} scall;

struct srv {
	const flow *f;
	const serve_opts *o;
	const scenario *scen;
	struct event_base *base;
	sched *sc;
	struct evhttp *http;
	acd *a;
	rng r_handle, r_outcome, r_wrapup;
	scall **calls; uint64_t ncalls, capcalls;
	uint64_t *ring; int ring_n, ring_head, ring_cap;
	int64_t last_t;
	int64_t *calls_total;        /* [line * CALL_OUT_COUNT + outcome] */
	int64_t active;
	int64_t http_codes[600];
	store *db; int64_t run_id;
	char db_err[256];
	bool db_failed;
	struct event *sig[2];
	struct event *flush_ev;
	bool stopping;
	size_t max_body;
};

/* ---- small helpers ------------------------------------------------------- */

static const char *node_nm(const flow *f, int n)
{
	return n >= 0 && n < f->nnodes ? f->nodes[n].name : NULL;
}

static const char *queue_nm(const flow *f, int q)
{
	return q >= 0 && q < f->nqueues ? f->nodes[f->queue_nodes[q]].name : NULL;
}

static void *grow(void *p, int *cap, int n, size_t size)
{
	if (n < *cap)
		return p;
	int nc = *cap ? *cap * 2 : 16;
	void *q = realloc(p, (size_t)nc * size);
	if (!q)
		return NULL;
	*cap = nc;
	return q;
}

static void warn(srv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(srv *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s->o->on_warning)
		s->o->on_warning(s->o->ctx, msg);
}

/* The server's time: the wall clock, never earlier than anything given out. */
static int64_t now_t(srv *s)
{
	int64_t t = sched_now(s->sc);
	if (t < s->last_t)
		t = s->last_t;
	s->last_t = t;
	return t;
}

static bool external_queue(const srv *s, int q)
{
	return !s->scen || q < 0 || q >= s->f->nqueues || s->scen->agents_of_queue[q] < 0;
}

static const scen_agents *agents_for(const srv *s, int q)
{
	if (external_queue(s, q))
		return NULL;
	return &s->scen->agents[s->scen->agents_of_queue[q]];
}

static scall *find_call(const srv *s, uint64_t id)
{
	if (id == 0 || id > s->ncalls)
		return NULL;
	return s->calls[id - 1];
}

static void acd_warn(srv *s, int rc, const char *what)
{
	if (rc != ACD_OK)
		warn(s, "%s: %s", what, acd_errmsg(s->a)[0] ? acd_errmsg(s->a) : acd_strerror(rc));
}

/* ---- calls: delivery ------------------------------------------------------ */

static void finalize(scall *sc);
static void pump(srv *s);

static void deliver(scall *sc, call_event ev)
{
	srv *s = sc->s;
	if (ev.t < s->last_t)
		ev.t = s->last_t;
	s->last_t = ev.t;
	sc->ignored = NULL;
	call_handle(&sc->c, &ev, &sc->sink);
	if (call_ended(&sc->c) && !sc->finalized)
		finalize(sc);
}

static void fire_timer(scall *sc, int slot)
{
	call_timer *tm = &sc->tm.tm[slot];
	tm->armed = false;
	tm->id = 0;
	int64_t at = tm->at < sc->s->last_t ? sc->s->last_t : tm->at;
	sc->last_timer_t = at;
	deliver(sc, call_ev_timer(at, slot, tm->gen));
}

static void timer_cb(sched *sch, int64_t now, void *ctx, uint64_t arg)
{
	(void)sch;
	(void)now;
	scall *sc = ctx;
	int slot = call_timer_arg_slot(arg);
	if (slot < 0 || slot >= CALL_NTIMERS)
		return;
	call_timer *tm = &sc->tm.tm[slot];
	if (!tm->armed || tm->gen != call_timer_arg_gen(arg) || call_ended(&sc->c)) {
		tm->id = 0;
		return;
	}
	srv *s = sc->s;
	fire_timer(sc, slot);
	pump(s);
}

/* Deliver, in (at, arming) order, every armed timer of the call due strictly
 * before t: the call must be where its clock says before a caller acts. */
static void flush_timers(scall *sc, int64_t t)
{
	for (;;) {
		if (call_ended(&sc->c))
			return;
		int best = call_timers_next_due(&sc->tm, t);
		if (best < 0)
			return;
		if (sc->tm.tm[best].id)
			sched_cancel(sc->s->sc, sc->tm.tm[best].id);
		fire_timer(sc, best);
		pump(sc->s);
	}
}

/* A caller (or external agent) event now: stamp it after the call's last
 * timer, deliver the timers due before it. */
static int64_t stamp(scall *sc)
{
	srv *s = sc->s;
	int64_t t = now_t(s);
	if (sc->last_timer_t >= 0 && t <= sc->last_timer_t)
		t = sc->last_timer_t + 1;
	if (t > s->last_t)
		s->last_t = t;
	flush_timers(sc, t);
	return t > s->last_t ? t : s->last_t;
}

static void done_cb(sched *sch, int64_t now, void *ctx, uint64_t arg)
{
	(void)sch;
	(void)now;
	scall *sc = ctx;
	sc->done_id = 0;
	if (sc->c.state != CALL_TALKING)
		return;
	srv *s = sc->s;
	deliver(sc, call_ev_done(now_t(s), (call_agent_outcome)arg));
	pump(s);
}

static void wrapup_cb(sched *sch, int64_t now, void *ctx, uint64_t arg)
{
	(void)sch;
	(void)now;
	srv *s = ctx;
	acd_warn(s, acd_wrapup_end(s->a, (int)arg, now_t(s)), "acd_wrapup_end");
	pump(s);
}

static void cancel_all(scall *sc)
{
	call_timers_cancel_all(&sc->tm, sc->s->sc);
	if (sc->done_id)
		sched_cancel(sc->s->sc, sc->done_id);
	sc->done_id = 0;
}

/* Drain the ACD's answers (acd.h: from the top level only). */
static void pump(srv *s)
{
	acd_out o;
	while (acd_poll(s->a, &o)) {
		switch (o.kind) {
		case ACD_OUT_ASSIGN: {
			scall *sc = find_call(s, o.call);
			int64_t t = o.t < s->last_t ? s->last_t : o.t;
			if (!sc || sc->c.state != CALL_QUEUED) {
				acd_warn(s, acd_end(s->a, o.call, t, CALL_LEG_HANGUP_TALKING, 0, NULL),
				         "acd_end");
				break;
			}
			deliver(sc, call_ev_answer(t, o.agent));
			break;
		}
		case ACD_OUT_WRAPUP:
			if (!sched_at(s->sc, o.at, wrapup_cb, s, (uint64_t)o.agent))
				warn(s, "cannot schedule the wrap-up of agent %d", o.agent);
			break;
		default:
			break;
		}
	}
}

/* ---- calls: the action sink ------------------------------------------------ */

static void push_line(scall *sc, const call_action *a, const char *line, size_t n);

static void push_event(scall *sc, const call_action *a)
{
	char line[512];
	size_t n = call_trace_line(sc->s->f, sc->t0, a, false, line, sizeof line);
	if (n == 0)
		return;
	push_line(sc, a, line, n);
}

static void push_line(scall *sc, const call_action *a, const char *line, size_t n)
{
	if (sc->nevs >= SRV_MAX_EVENTS) {
		sc->dropped++;
		return;
	}
	sevent *e = grow(sc->evs, &sc->capevs, sc->nevs, sizeof *sc->evs);
	if (!e) {
		sc->dropped++;
		return;
	}
	sc->evs = e;
	e = &sc->evs[sc->nevs++];
	e->t = a->t;
	e->kind = (uint8_t)a->kind;
	e->off = (uint32_t)sc->txt.len;
	buf_putn(&sc->txt, line, n);
	buf_putc(&sc->txt, '\0');
}

static void on_action(void *ctx, const call *c, const call_action *a)
{
	scall *sc = ctx;
	srv *s = sc->s;
	if (sc->rec)
		recorder_on_action(sc->rec, c, a);
	push_event(sc, a);
	switch (a->kind) {
	case CALL_ACT_TIMER:
		call_timers_arm(&sc->tm, s->sc, a->slot, a->at, a->gen, a->at, timer_cb, sc);
		break;
	case CALL_ACT_CANCEL:
		call_timers_cancel(&sc->tm, s->sc, a->slot);
		break;
	case CALL_ACT_PLAY:
		if (sc->nprompts < SRV_MAX_PROMPTS) {
			int *p = grow(sc->prompts, &sc->capprompts, sc->nprompts, sizeof *sc->prompts);
			if (p) {
				sc->prompts = p;
				sc->prompts[sc->nprompts++] = a->prompt;
			}
		}
		break;
	case CALL_ACT_ANNOUNCE: {
		/* What the caller hears: the position and the ACD's estimate. */
		acd_leg leg;
		if (acd_leg_get(s->a, c->id, a->t, &leg) == ACD_OK) {
			char line[160];
			int n;
			if (leg.expected_wait_ms >= 0)
				n = snprintf(line, sizeof line, "  position %d in %s, expected wait %llds",
				             leg.position, acd_queue_name(s->a, a->queue),
				             (long long)((leg.expected_wait_ms + 999) / 1000));
			else
				n = snprintf(line, sizeof line, "  position %d in %s, expected wait unknown",
				             leg.position, acd_queue_name(s->a, a->queue));
			if (n > 0)
				push_line(sc, a, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
		}
		if (a->prompt >= 0 && sc->nprompts < SRV_MAX_PROMPTS) {
			int *p = grow(sc->prompts, &sc->capprompts, sc->nprompts, sizeof *sc->prompts);
			if (p) {
				sc->prompts = p;
				sc->prompts[sc->nprompts++] = a->prompt;
			}
		}
		break;
	}
	case CALL_ACT_ENQUEUE: {
		sc->entered = a->t;
		acd_leg leg;
		int rc = acd_enqueue(s->a, a->queue, c->id, c->lang, a->t, &leg);
		acd_warn(s, rc, "acd_enqueue");
		if (rc == ACD_OK && sc->rec) {
			rec_leg *rl = recorder_last_leg(sc->rec);
			if (rl)
				rl->found_free = leg.found_free;
		}
		break;
	}
	case CALL_ACT_ANSWERED: {
		sc->agent = a->agent;
		const scen_agents *ag = agents_for(s, a->queue);
		if (ag) {
			int64_t handle = dist_round_ms(dist_sample_ms(&ag->handle, &s->r_handle));
			call_agent_outcome out = scen_draw_outcome(ag, &s->r_outcome);
			sc->done_id = sched_at(s->sc, a->t + handle, done_cb, sc, (uint64_t)out);
		}
		break;
	}
	case CALL_ACT_LEG_END: {
		if (sc->done_id) {
			sched_cancel(s->sc, sc->done_id);
			sc->done_id = 0;
		}
		int64_t wrap = 0;
		const scen_agents *ag = agents_for(s, a->queue);
		if (a->agent >= 0 && ag && ag->has_wrapup)
			wrap = dist_round_ms(dist_sample_ms(&ag->wrapup, &s->r_wrapup));
		if (a->agent >= 0 && !ag) {
			/* An external agent leaves when its call is over, so it does
			 * not take the next waiting call by itself. */
			acd_queue_info qi;
			if (acd_queue_get(s->a, a->queue, &qi) == ACD_OK && qi.on_duty > 0)
				acd_warn(s, acd_set_staff(s->a, a->queue, qi.on_duty - 1, a->t),
				         "acd_set_staff");
		}
		acd_warn(s, acd_end(s->a, c->id, a->t, a->leg, wrap, NULL), "acd_end");
		if (a->agent >= 0 && !ag) {
			/* The ACD marks the highest roster position to leave, which may
			 * be another agent still talking; then this one is idle now
			 * (nothing waited for it): send it off too. */
			acd_agent_info ai;
			acd_queue_info qi;
			if (acd_agent_get(s->a, a->agent, a->t, &ai) == ACD_OK &&
			    ai.state == ACD_AGENT_IDLE &&
			    acd_queue_get(s->a, a->queue, &qi) == ACD_OK && qi.on_duty > 0)
				acd_warn(s, acd_set_staff(s->a, a->queue, qi.on_duty - 1, a->t),
				         "acd_set_staff");
		}
		sc->agent = -1;
		break;
	}
	case CALL_ACT_IGNORED:
		sc->ignored = a->str ? a->str : "ignored";
		break;
	case CALL_ACT_END:
		sc->t_end = a->t;
		if (c->line >= 0 && c->line < s->f->nlines && a->outcome < CALL_OUT_COUNT)
			s->calls_total[(size_t)c->line * CALL_OUT_COUNT + a->outcome]++;
		break;
	default:
		break;
	}
}

/* ---- calls: life cycle ----------------------------------------------------- */

static void free_call(srv *s, scall *sc)
{
	cancel_all(sc);
	if (sc->rec) {
		recorder_free(sc->rec);
		free(sc->rec);
	}
	free(sc->evs);
	buf_free(&sc->txt);
	free(sc->prompts);
	buf_free(&sc->keys);
	s->calls[sc->c.id - 1] = NULL;
	free(sc);
}

static void finalize(scall *sc)
{
	srv *s = sc->s;
	sc->finalized = true;
	cancel_all(sc);
	s->active--;
	if (sc->rec) {
		if (s->db && !s->db_failed) {
			if (store_call(s->db, s->run_id, recorder_result(sc->rec)) != STORE_OK) {
				s->db_failed = true;
				snprintf(s->db_err, sizeof s->db_err, "%s", store_errmsg(s->db));
				warn(s, "database: %s", s->db_err);
			}
		}
		recorder_free(sc->rec);
		free(sc->rec);
		sc->rec = NULL;
	}
	/* Keep it for GET; the oldest ended call makes room (never this one:
	 * it is the newest in the ring). */
	if (s->ring_n == s->ring_cap) {
		uint64_t old = s->ring[s->ring_head];
		s->ring_head = (s->ring_head + 1) % s->ring_cap;
		s->ring_n--;
		scall *oc = find_call(s, old);
		if (oc)
			free_call(s, oc);
	}
	s->ring[(s->ring_head + s->ring_n) % s->ring_cap] = sc->c.id;
	s->ring_n++;
}

static scall *new_call(srv *s, int line, int lang)
{
	if (s->ncalls == s->capcalls) {
		uint64_t cap = s->capcalls ? s->capcalls * 2 : 256;
		scall **p = realloc(s->calls, cap * sizeof *p);
		if (!p)
			return NULL;
		s->calls = p;
		s->capcalls = cap;
	}
	scall *sc = calloc(1, sizeof *sc);
	if (!sc)
		return NULL;
	if (s->db) {
		sc->rec = malloc(sizeof *sc->rec);
		if (!sc->rec) {
			free(sc);
			return NULL;
		}
		recorder_init(sc->rec, s->f);
		recorder_begin(sc->rec, s->ncalls + 1);
	}
	sc->s = s;
	sc->sink.fn = on_action;
	sc->sink.ctx = sc;
	sc->last_timer_t = -1;
	sc->agent = -1;
	sc->entered = -1;
	buf_init(&sc->txt);
	buf_init(&sc->keys);
	s->calls[s->ncalls++] = sc;
	call_init(&sc->c, s->f, s->ncalls, line, lang);
	s->active++;
	return sc;
}

/* ---- HTTP plumbing ------------------------------------------------------- */

static const char *reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static void reply_text(srv *s, struct evhttp_request *req, int code, const char *ctype,
                       const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	struct evbuffer *b = evbuffer_new();
	if (b)
		evbuffer_add(b, body, len);
	if (code >= 100 && code < 600)
		s->http_codes[code]++;
	evhttp_send_reply(req, code, reason(code), b);
	if (b)
		evbuffer_free(b);
}

/* Steals j. */
static void reply_json(srv *s, struct evhttp_request *req, int code, json_t *j)
{
	char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!txt) {
		static const char oom[] = "{\"error\":\"out of memory\"}\n";
		reply_text(s, req, 500, "application/json", oom, sizeof oom - 1);
		return;
	}
	size_t n = strlen(txt);
	char *t2 = realloc(txt, n + 2);
	if (t2) {
		txt = t2;
		txt[n++] = '\n';
		txt[n] = '\0';
	}
	reply_text(s, req, code, "application/json", txt, n);
	free(txt);
}

static void reply_err(srv *s, struct evhttp_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void reply_err(srv *s, struct evhttp_request *req, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	reply_json(s, req, code, json_pack("{s:s}", "error", msg));
}

static void reply_method(srv *s, struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	reply_err(s, req, 405, "method not allowed here (allowed: %s)", allow);
}

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "?";
	}
}

/* The request body as a JSON object.  Returns 0 with *out (NULL when the
 * body is empty and `optional`), or replies with the error and returns -1. */
static int read_body(srv *s, struct evhttp_request *req, bool optional, json_t **out)
{
	*out = NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = in ? evbuffer_get_length(in) : 0;
	if (len > s->max_body) {
		reply_err(s, req, 413, "request body of %zu bytes is larger than the limit of %zu",
		          len, s->max_body);
		return -1;
	}
	if (len == 0) {
		if (optional)
			return 0;
		reply_err(s, req, 400, "a JSON object body is required");
		return -1;
	}
	char *b = malloc(len);
	if (!b) {
		reply_err(s, req, 500, "out of memory");
		return -1;
	}
	evbuffer_copyout(in, b, len);
	json_error_t je;
	json_t *j = json_loadb(b, len, JSON_REJECT_DUPLICATES, &je);
	free(b);
	if (!j) {
		reply_err(s, req, 400, "malformed JSON at line %d column %d: %s", je.line, je.column,
		          je.text);
		return -1;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		reply_err(s, req, 400, "the body must be a JSON object");
		return -1;
	}
	*out = j;
	return 0;
}

/* Optional string member: 0 (absent: *v NULL), 1 present, -1 wrong type (replied). */
static int get_str(srv *s, struct evhttp_request *req, json_t *body, const char *key,
                   const char **v)
{
	*v = NULL;
	json_t *m = body ? json_object_get(body, key) : NULL;
	if (!m || json_is_null(m))
		return 0;
	if (!json_is_string(m)) {
		reply_err(s, req, 400, "'%s' must be a string", key);
		return -1;
	}
	*v = json_string_value(m);
	if (strlen(*v) != json_string_length(m)) {
		reply_err(s, req, 400, "'%s' must not contain NUL characters", key);
		return -1;
	}
	return 1;
}

/* ---- JSON views ----------------------------------------------------------- */

static json_t *call_json(srv *s, scall *sc, bool detail)
{
	const flow *f = s->f;
	call *c = &sc->c;
	json_t *j = json_object();
	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_integer((json_int_t)c->id));
	json_object_set_new(j, "line", json_string(c->line >= 0 && c->line < f->nlines ?
	                                            f->lines[c->line].name : "?"));
	json_object_set_new(j, "state", json_string(call_state_name(c->state)));
	const char *nd = node_nm(f, c->node);
	json_object_set_new(j, "node", nd ? json_string(nd) : json_null());
	json_object_set_new(j, "language", c->lang >= 0 && c->lang < f->nlangs ?
	                    json_string(f->langs[c->lang]) : json_null());
	bool in_queue = c->state == CALL_QUEUED || c->state == CALL_TALKING;
	const char *qn = in_queue ? queue_nm(f, c->queue) : NULL;
	json_object_set_new(j, "queue", qn ? json_string(qn) : json_null());
	if (c->state == CALL_QUEUED) {
		int pos = 0;
		if (acd_position(s->a, c->id, &pos) == ACD_OK)
			json_object_set_new(j, "position", json_integer(pos));
		json_object_set_new(j, "waiting_ms", json_integer((json_int_t)(now_t(s) - sc->entered)));
	}
	if (c->state == CALL_TALKING)
		json_object_set_new(j, "agent", json_integer(sc->agent));
	json_object_set_new(j, "outcome", call_ended(c) ?
	                    json_string(call_outcome_name(c->outcome)) : json_null());
	if (!detail)
		return j;
	char when[40];
	util_fmt_local(sc->t0, true, when, sizeof when);
	json_object_set_new(j, "started", json_string(when));
	int64_t end = call_ended(c) ? sc->t_end : now_t(s);
	json_object_set_new(j, "duration_ms", json_integer((json_int_t)(end - sc->t0)));
	if (call_ended(c) && c->end_reason)
		json_object_set_new(j, "end_reason", json_string(c->end_reason));
	json_t *vars = json_object();
	for (int v = 0; v < f->nvars && v < CALL_MAX_VARS; v++) {
		const char *val = call_get_var(c, v);
		if (val)
			json_object_set_new(vars, f->vars[v], json_string(val));
	}
	json_object_set_new(j, "variables", vars);
	json_t *pr = json_array();
	for (int i = 0; i < sc->nprompts; i++) {
		int p = sc->prompts[i];
		json_array_append_new(pr, p >= 0 && p < f->nprompts ? json_string(f->prompts[p].id) :
		                      json_null());
	}
	json_object_set_new(j, "prompts", pr);
	json_object_set_new(j, "keys", json_stringn(sc->keys.p ? sc->keys.p : "", sc->keys.len));
	json_object_set_new(j, "events", json_integer((json_int_t)(sc->nevs + sc->dropped)));
	return j;
}

static void reply_call(srv *s, struct evhttp_request *req, int code, scall *sc)
{
	reply_json(s, req, code, call_json(s, sc, true));
}

/* ---- handlers ------------------------------------------------------------- */

static void h_create(srv *s, struct evhttp_request *req)
{
	const flow *f = s->f;
	json_t *body;
	if (read_body(s, req, true, &body) != 0)
		return;
	const char *line_s, *lang_s;
	if (get_str(s, req, body, "line", &line_s) < 0 || get_str(s, req, body, "lang", &lang_s) < 0)
		goto out;
	int line;
	if (line_s) {
		line = flow_find_line(f, line_s);
		if (line < 0) {
			reply_err(s, req, 400, "unknown line '%.100s'", line_s);
			goto out;
		}
	} else {
		line = flow_find_line(f, "main");
		if (line < 0)
			line = 0;
	}
	if (f->nlines == 0) {
		reply_err(s, req, 400, "the flow has no line to call");
		goto out;
	}
	int lang = -1;
	if (lang_s) {
		lang = flow_find_lang(f, lang_s);
		if (lang < 0) {
			reply_err(s, req, 400, "unknown language '%.100s'", lang_s);
			goto out;
		}
	}
	json_t *vars = body ? json_object_get(body, "vars") : NULL;
	if (vars && !json_is_null(vars)) {
		if (!json_is_object(vars)) {
			reply_err(s, req, 400, "'vars' must be an object of strings");
			goto out;
		}
		const char *k;
		json_t *v;
		json_object_foreach(vars, k, v) {
			int vi = flow_find_var(f, k);
			if (vi < 0 || vi >= CALL_MAX_VARS) {
				reply_err(s, req, 400, "unknown variable '%.100s'", k);
				goto out;
			}
			if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
				reply_err(s, req, 400, "variable '%.100s' must be a string", k);
				goto out;
			}
			if (json_string_length(v) >= CALL_VAR_LEN) {
				reply_err(s, req, 400, "variable '%.100s' is longer than %d bytes", k,
				          CALL_VAR_LEN - 1);
				goto out;
			}
		}
	}
	if (s->active >= (s->o->max_live > 0 ? s->o->max_live : SERVE_MAX_LIVE_DEFAULT)) {
		reply_err(s, req, 503, "too many live calls (%" PRId64 ")", s->active);
		goto out;
	}
	scall *sc = new_call(s, line, lang);
	if (!sc) {
		reply_err(s, req, 500, "out of memory");
		goto out;
	}
	if (vars && json_is_object(vars)) {
		const char *k;
		json_t *v;
		json_object_foreach(vars, k, v)
			call_set_var(&sc->c, flow_find_var(f, k), json_string_value(v));
	}
	sc->t0 = now_t(s);
	deliver(sc, call_ev(CALL_EV_PLACED, sc->t0));
	pump(s);
	reply_call(s, req, 201, sc);
out:
	json_decref(body);
}

static void h_list(srv *s, struct evhttp_request *req)
{
	json_t *arr = json_array();
	for (uint64_t i = 0; i < s->ncalls; i++) {
		scall *sc = s->calls[i];
		if (sc && !call_ended(&sc->c))
			json_array_append_new(arr, call_json(s, sc, false));
	}
	reply_json(s, req, 200, json_pack("{s:I,s:o}", "active", (json_int_t)s->active, "calls", arr));
}

static void h_keys(srv *s, struct evhttp_request *req, scall *sc)
{
	json_t *body;
	if (read_body(s, req, false, &body) != 0)
		return;
	const char *keys;
	int r = get_str(s, req, body, "keys", &keys);
	if (r < 0)
		goto out;
	if (r == 0 || !keys[0]) {
		reply_err(s, req, 400, "'keys' is required: a string of DTMF keys (0-9 * # A-D)");
		goto out;
	}
	size_t n = strlen(keys);
	if (n > SRV_MAX_KEYS_REQ) {
		reply_err(s, req, 400, "at most %d keys per request", SRV_MAX_KEYS_REQ);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!flow_is_dtmf(keys[i])) {
			unsigned char ch = (unsigned char)keys[i];
			if (ch >= 0x20 && ch < 0x7f)
				reply_err(s, req, 400, "'%c' is not a DTMF key (0-9 * # A-D)", ch);
			else
				reply_err(s, req, 400, "byte 0x%02x is not a DTMF key (0-9 * # A-D)", ch);
			goto out;
		}
	if (call_ended(&sc->c)) {
		reply_err(s, req, 409, "call %" PRIu64 " has ended", sc->c.id);
		goto out;
	}
	for (size_t i = 0; i < n && !call_ended(&sc->c); i++) {
		int64_t t = stamp(sc);
		if (call_ended(&sc->c))
			break;
		if (sc->keys.len < SRV_MAX_KEYS_KEPT)
			buf_putc(&sc->keys, keys[i]);
		deliver(sc, call_ev_key(t, keys[i]));
		pump(s);
	}
	reply_call(s, req, 200, sc);
out:
	json_decref(body);
}

static void h_hangup(srv *s, struct evhttp_request *req, scall *sc)
{
	if (call_ended(&sc->c)) {
		reply_err(s, req, 409, "call %" PRIu64 " has ended", sc->c.id);
		return;
	}
	int64_t t = stamp(sc);
	if (!call_ended(&sc->c)) {
		deliver(sc, call_ev(CALL_EV_HANGUP, t));
		pump(s);
	}
	reply_call(s, req, 200, sc);
}

static void h_supervisor(srv *s, struct evhttp_request *req, scall *sc)
{
	if (call_ended(&sc->c)) {
		reply_err(s, req, 409, "call %" PRIu64 " has ended", sc->c.id);
		return;
	}
	int64_t t = stamp(sc);
	if (sc->c.state != CALL_QUEUED && sc->c.state != CALL_TALKING) {
		reply_err(s, req, 409, "call %" PRIu64 " is %s, not in a queue: a supervisor is asked "
		          "for while waiting or talking", sc->c.id, call_state_name(sc->c.state));
		return;
	}
	deliver(sc, call_ev(CALL_EV_ASK_SUPERVISOR, t));
	const char *ign = sc->ignored;
	pump(s);
	if (ign) {
		reply_err(s, req, 409, "%s", ign);
		return;
	}
	reply_call(s, req, 200, sc);
}

static void h_answer(srv *s, struct evhttp_request *req, scall *sc)
{
	json_t *body;
	if (read_body(s, req, true, &body) != 0)
		return;
	json_t *ag = body ? json_object_get(body, "agent") : NULL;
	if (ag && !json_is_null(ag) && !json_is_string(ag) && !json_is_integer(ag)) {
		reply_err(s, req, 400, "'agent' must be a name or a number");
		goto out;
	}
	if (call_ended(&sc->c)) {
		reply_err(s, req, 409, "call %" PRIu64 " has ended", sc->c.id);
		goto out;
	}
	int64_t t = stamp(sc);
	if (sc->c.state != CALL_QUEUED) {
		reply_err(s, req, 409, "call %" PRIu64 " is %s, not waiting in a queue", sc->c.id,
		          call_state_name(sc->c.state));
		goto out;
	}
	int q = sc->c.queue;
	if (!external_queue(s, q)) {
		reply_err(s, req, 409, "the agents of queue %s come from the scenario", queue_nm(s->f, q));
		goto out;
	}
	int pos = 0;
	acd_position(s->a, sc->c.id, &pos);
	if (pos != 1) {
		reply_err(s, req, 409, "call %" PRIu64 " is at position %d in %s: answer the calls "
		          "ahead of it first", sc->c.id, pos, queue_nm(s->f, q));
		goto out;
	}
	acd_queue_info qi;
	if (acd_queue_get(s->a, q, &qi) != ACD_OK) {
		reply_err(s, req, 500, "queue %d: %s", q, acd_errmsg(s->a));
		goto out;
	}
	/* One more agent on duty: the ACD gives it the head of the queue. */
	int rc = acd_set_staff(s->a, q, qi.on_duty + 1, t);
	if (rc != ACD_OK) {
		reply_err(s, req, 500, "acd: %s", acd_errmsg(s->a));
		goto out;
	}
	pump(s);
	if (sc->c.state != CALL_TALKING) {
		reply_err(s, req, 409, "no agent could take call %" PRIu64, sc->c.id);
		goto out;
	}
	reply_call(s, req, 200, sc);
out:
	json_decref(body);
}

static void h_done(srv *s, struct evhttp_request *req, scall *sc)
{
	json_t *body;
	if (read_body(s, req, false, &body) != 0)
		return;
	const char *os;
	int r = get_str(s, req, body, "outcome", &os);
	if (r < 0)
		goto out;
	int oc = r > 0 ? call_agent_outcome_parse(os) : -1;
	if (oc < 0) {
		reply_err(s, req, 400, "'outcome' must be one of resolved, escalate, supervisor, request");
		goto out;
	}
	if (call_ended(&sc->c)) {
		reply_err(s, req, 409, "call %" PRIu64 " has ended", sc->c.id);
		goto out;
	}
	int64_t t = stamp(sc);
	if (sc->c.state != CALL_TALKING) {
		reply_err(s, req, 409, "call %" PRIu64 " is %s: no agent is talking to it", sc->c.id,
		          call_state_name(sc->c.state));
		goto out;
	}
	if (!external_queue(s, sc->c.queue)) {
		reply_err(s, req, 409, "the agents of queue %s come from the scenario",
		          queue_nm(s->f, sc->c.queue));
		goto out;
	}
	deliver(sc, call_ev_done(t, (call_agent_outcome)oc));
	pump(s);
	reply_call(s, req, 200, sc);
out:
	json_decref(body);
}

static void h_events(srv *s, struct evhttp_request *req, scall *sc, const char *query)
{
	int64_t since = 0;
	if (query && *query) {
		struct evkeyvalq q;
		if (evhttp_parse_query_str(query, &q) != 0) {
			reply_err(s, req, 400, "malformed query string");
			return;
		}
		const char *v = evhttp_find_header(&q, "since");
		bool bad = false;
		if (v) {
			char *end;
			errno = 0;
			long long x = strtoll(v, &end, 10);
			bad = !*v || *end || errno || x < 0;
			since = x;
		}
		evhttp_clear_headers(&q);
		if (bad) {
			reply_err(s, req, 400, "'since' must be a non-negative integer");
			return;
		}
	}
	json_t *arr = json_array();
	int64_t first = since < sc->nevs ? since : sc->nevs;
	int64_t last = first + SRV_EVENTS_PAGE < sc->nevs ? first + SRV_EVENTS_PAGE : sc->nevs;
	for (int64_t i = first; i < last; i++) {
		const sevent *e = &sc->evs[i];
		json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:s}", "i", (json_int_t)i,
		                      "t_ms", (json_int_t)(e->t - sc->t0),
		                      "kind", call_act_name((call_act_kind)e->kind),
		                      "line", sc->txt.p + e->off));
	}
	json_t *j = json_pack("{s:I,s:I,s:b,s:o}", "id", (json_int_t)sc->c.id, "next",
	                      (json_int_t)last, "ended", call_ended(&sc->c), "events", arr);
	if (j && sc->dropped)
		json_object_set_new(j, "dropped", json_integer((json_int_t)sc->dropped));
	reply_json(s, req, 200, j);
}

static int64_t longest_wait(srv *s, int q, int64_t now)
{
	int64_t w = 0;
	for (uint64_t i = 0; i < s->ncalls; i++) {
		scall *sc = s->calls[i];
		if (sc && sc->c.state == CALL_QUEUED && sc->c.queue == q && now - sc->entered > w)
			w = now - sc->entered;
	}
	return w;
}

static void h_queues(srv *s, struct evhttp_request *req)
{
	int64_t now = now_t(s);
	json_t *arr = json_array();
	for (int q = 0; q < acd_nqueues(s->a); q++) {
		acd_queue_info qi;
		if (acd_queue_get(s->a, q, &qi) != ACD_OK)
			continue;
		json_t *j = json_pack("{s:s,s:i,s:s,s:i,s:{s:i,s:i,s:i,s:i},s:I,s:I,s:I,s:I,s:I,s:I}",
		                      "name", qi.name ? qi.name : "?", "tier", qi.tier,
		                      "agents_from", external_queue(s, q) ? "api" : "scenario",
		                      "waiting", qi.waiting,
		                      "agents", "on_duty", qi.on_duty, "idle", qi.idle,
		                      "talking", qi.talking, "wrapup", qi.wrapup,
		                      "offered", (json_int_t)qi.offered,
		                      "answered", (json_int_t)qi.answered,
		                      "abandoned", (json_int_t)qi.abandoned,
		                      "timed_out", (json_int_t)qi.timed_out,
		                      "asked_supervisor", (json_int_t)qi.asked_supervisor,
		                      "longest_wait_ms", (json_int_t)longest_wait(s, q, now));
		json_array_append_new(arr, j);
	}
	reply_json(s, req, 200, json_pack("{s:o}", "queues", arr));
}

/* Prometheus label values: backslash, quote and newline escaped. */
static void label(buf *b, const char *v)
{
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_putc(b, '\\');
		if (*p == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		buf_putc(b, *p);
	}
}

static void metric_head(buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void h_metrics(srv *s, struct evhttp_request *req)
{
	const flow *f = s->f;
	buf b;
	buf_init(&b);
	/* Count this request before rendering, so the figure includes it. */
	s->http_codes[200]++;
	metric_head(&b, "tierline_calls_total", "counter", "Calls ended, by line and outcome.");
	for (int l = 0; l < f->nlines; l++)
		for (int o = 0; o < CALL_OUT_COUNT; o++) {
			int64_t n = s->calls_total[(size_t)l * CALL_OUT_COUNT + o];
			if (!n)
				continue;
			buf_puts(&b, "tierline_calls_total{line=\"");
			label(&b, f->lines[l].name);
			buf_puts(&b, "\",outcome=\"");
			label(&b, call_outcome_name((call_outcome)o));
			buf_printf(&b, "\"} %" PRId64 "\n", n);
		}
	metric_head(&b, "tierline_calls_active", "gauge", "Calls in progress.");
	buf_printf(&b, "tierline_calls_active %" PRId64 "\n", s->active);
	static const struct { const char *name, *type, *help; } qm[] = {
		{ "tierline_queue_waiting", "gauge", "Calls waiting in the queue." },
		{ "tierline_queue_offered_total", "counter", "Calls that entered the queue." },
		{ "tierline_queue_answered_total", "counter", "Calls an agent answered." },
		{ "tierline_queue_abandoned_total", "counter", "Callers who hung up while waiting." },
		{ "tierline_queue_longest_wait_seconds", "gauge", "Wait of the oldest waiting call." },
	};
	int nq = acd_nqueues(s->a);
	int64_t now = now_t(s);
	for (size_t m = 0; m < sizeof qm / sizeof *qm; m++) {
		metric_head(&b, qm[m].name, qm[m].type, qm[m].help);
		for (int q = 0; q < nq; q++) {
			acd_queue_info qi;
			if (acd_queue_get(s->a, q, &qi) != ACD_OK)
				continue;
			buf_printf(&b, "%s{queue=\"", qm[m].name);
			label(&b, qi.name);
			buf_puts(&b, "\"} ");
			switch (m) {
			case 0: buf_printf(&b, "%d\n", qi.waiting); break;
			case 1: buf_printf(&b, "%" PRId64 "\n", qi.offered); break;
			case 2: buf_printf(&b, "%" PRId64 "\n", qi.answered); break;
			case 3: buf_printf(&b, "%" PRId64 "\n", qi.abandoned); break;
			default: {
				int64_t w = longest_wait(s, q, now);
				buf_printf(&b, "%" PRId64 ".%03" PRId64 "\n", w / 1000, w % 1000);
			}
			}
		}
	}
	metric_head(&b, "tierline_agents", "gauge", "Agents on duty, by queue and state.");
	for (int q = 0; q < nq; q++) {
		acd_queue_info qi;
		if (acd_queue_get(s->a, q, &qi) != ACD_OK)
			continue;
		const char *st[] = { "idle", "talking", "wrapup" };
		int v[] = { qi.idle, qi.talking, qi.wrapup };
		for (int i = 0; i < 3; i++) {
			buf_puts(&b, "tierline_agents{queue=\"");
			label(&b, qi.name);
			buf_printf(&b, "\",state=\"%s\"} %d\n", st[i], v[i]);
		}
	}
	metric_head(&b, "tierline_http_requests_total", "counter", "HTTP responses, by status code.");
	for (int c = 100; c < 600; c++)
		if (s->http_codes[c])
			buf_printf(&b, "tierline_http_requests_total{code=\"%d\"} %" PRId64 "\n", c,
			           s->http_codes[c]);
	s->http_codes[200]--;        /* reply_text counts it again */
	reply_text(s, req, 200, "text/plain; version=0.0.4; charset=utf-8", b.p ? b.p : "", b.len);
	buf_free(&b);
}

/* "/calls/123/keys" -> segments. */
static int split_path(const char *path, char seg[4][24])
{
	int n = 0;
	const char *p = path;
	if (*p != '/')
		return -1;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (n == 4 || len >= 24)
			return -1;
		memcpy(seg[n], p, len);
		seg[n][len] = '\0';
		n++;
		p += len;
	}
	return n;
}

static bool parse_id(const char *s, uint64_t *id)
{
	if (!*s || strlen(s) > 19)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	*id = strtoull(s, NULL, 10);
	return true;
}

static void on_request(struct evhttp_request *req, void *ctx)
{
	srv *s = ctx;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	bool get = m == EVHTTP_REQ_GET, post = m == EVHTTP_REQ_POST;
	if (s->stopping) {
		reply_err(s, req, 503, "shutting down");
		return;
	}
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const char *query = u ? evhttp_uri_get_query(u) : NULL;
	char seg[4][24];
	int n = path ? split_path(path, seg) : -1;
	if (n < 0)
		goto notfound;
	if (n == 1 && strcmp(seg[0], "healthz") == 0) {
		if (!get && m != EVHTTP_REQ_HEAD)
			{ reply_method(s, req, "GET"); return; }
		reply_text(s, req, 200, "text/plain; charset=utf-8", "ok\n", 3);
		return;
	}
	if (n == 1 && strcmp(seg[0], "metrics") == 0) {
		if (!get)
			{ reply_method(s, req, "GET"); return; }
		h_metrics(s, req);
		return;
	}
	if (n == 1 && strcmp(seg[0], "queues") == 0) {
		if (!get)
			{ reply_method(s, req, "GET"); return; }
		h_queues(s, req);
		return;
	}
	if (n >= 1 && strcmp(seg[0], "calls") == 0) {
		if (n == 1) {
			if (get)
				h_list(s, req);
			else if (post)
				h_create(s, req);
			else
				reply_method(s, req, "GET, POST");
			return;
		}
		uint64_t id;
		if (n > 3 || !parse_id(seg[1], &id))
			goto notfound;
		const char *what = n == 3 ? seg[2] : "";
		static const char *const posts[] = { "keys", "hangup", "supervisor", "answer", "done" };
		bool is_post = false, known = n == 2 || strcmp(what, "events") == 0;
		for (size_t i = 0; i < sizeof posts / sizeof *posts; i++)
			if (strcmp(what, posts[i]) == 0)
				known = is_post = true;
		if (!known)
			goto notfound;
		if (is_post && !post)
			{ reply_method(s, req, "POST"); return; }
		if (!is_post && !get)
			{ reply_method(s, req, "GET"); return; }
		scall *sc = find_call(s, id);
		if (!sc) {
			reply_err(s, req, 404, "no call %s (unknown, or ended long ago)", seg[1]);
			return;
		}
		if (n == 2)
			reply_call(s, req, 200, sc);
		else if (strcmp(what, "events") == 0)
			h_events(s, req, sc, query);
		else if (strcmp(what, "keys") == 0)
			h_keys(s, req, sc);
		else if (strcmp(what, "hangup") == 0)
			h_hangup(s, req, sc);
		else if (strcmp(what, "supervisor") == 0)
			h_supervisor(s, req, sc);
		else if (strcmp(what, "answer") == 0)
			h_answer(s, req, sc);
		else
			h_done(s, req, sc);
		return;
	}
notfound:
	reply_err(s, req, 404, "no such resource: %s %.200s", method_name(m), path ? path : "?");
}

/* ---- staffing from the scenario ------------------------------------------ */

static void staff_cb(sched *sch, int64_t now, void *ctx, uint64_t arg);

static void staff_now(srv *s, int q)
{
	const scen_agents *ag = agents_for(s, q);
	if (!ag)
		return;
	int64_t t = now_t(s);
	int n = (int)llround(scen_profile_at(&ag->staff, t));
	acd_warn(s, acd_set_staff(s->a, q, n < 0 ? 0 : n, t), "acd_set_staff");
	int64_t next = scen_profile_next(&ag->staff, t);
	if (next != INT64_MAX && next > t)
		sched_at(s->sc, next, staff_cb, s, (uint64_t)q);
}

static void staff_cb(sched *sch, int64_t now, void *ctx, uint64_t arg)
{
	(void)sch;
	(void)now;
	srv *s = ctx;
	staff_now(s, (int)arg);
	pump(s);
}

static int build_roster(srv *s, char *err, size_t errlen)
{
	const flow *f = s->f;
	for (int q = 0; q < f->nqueues; q++) {
		const scen_agents *ag = agents_for(s, q);
		if (!ag)
			continue;
		/* The roster the simulator builds (scenario.h). */
		int maxn = scen_agents_peak(ag);
		for (int i = 0; i < maxn; i++) {
			if (acd_add_agent(s->a, q, scen_agent_langs(ag, f->nlangs, i), NULL) != ACD_OK) {
				snprintf(err, errlen, "cannot add agents: %s", acd_errmsg(s->a));
				return -1;
			}
		}
		acd_set_wrapup(s->a, q, 0);   /* drawn per leg */
	}
	return 0;
}

/* ---- shutdown and the database ------------------------------------------- */

static void signal_cb(evutil_socket_t sig, short what, void *ctx)
{
	(void)sig;
	(void)what;
	srv *s = ctx;
	s->stopping = true;
	event_base_loopbreak(s->base);
}

static void flush_cb(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	srv *s = ctx;
	if (s->db && !s->db_failed && store_flush(s->db) != STORE_OK) {
		s->db_failed = true;
		snprintf(s->db_err, sizeof s->db_err, "%s", store_errmsg(s->db));
		warn(s, "database: %s", s->db_err);
	}
}

static int open_db(srv *s, char *err, size_t errlen)
{
	const serve_opts *o = s->o;
	if (store_open(o->db_path, &s->db, err, errlen) != STORE_OK)
		return -1;
	char sha[65] = "";
	if (o->flow_path && store_sha256_file(o->flow_path, sha) != 0)
		sha[0] = '\0';
	rec_run run = { 0 };
	run.mode = "serve";
	run.flow_path = o->flow_path ? o->flow_path : s->f->path;
	run.flow_sha256 = sha[0] ? sha : NULL;
	run.timezone = s->f->timezone;
	run.scenario = o->scenario_path;
	run.seed = o->seed;
	run.options = o->options_json;
	run.sim_start = now_t(s);
	run.sl_threshold_ms = 20000;
	run.interval_ms = s->scen ? s->scen->interval_ms : 0;
	if (store_run_begin(s->db, &run, &s->run_id) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(s->db));
		return -1;
	}
	return 0;
}

/* ---- the run -------------------------------------------------------------- */

int serve_parse_listen(const char *str, char *host, size_t hostlen, int *port)
{
	if (!str || !*str || hostlen == 0)
		return -1;
	const char *colon;
	const char *h = str;
	size_t hl;
	if (*str == '[') {
		const char *rb = strchr(str, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = str + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(str, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - str);
		if (memchr(str, ':', hl))
			return -1;       /* bare IPv6: use [addr]:port */
	}
	const char *p = colon + 1;
	if (!*p || strlen(p) > 5)
		return -1;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return -1;
	long v = strtol(p, NULL, 10);
	if (v > 65535)
		return -1;
	if (hl == 0) {
		h = "127.0.0.1";
		hl = strlen(h);
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)v;
	return 0;
}

static int bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

int serve_run(const flow *f, const serve_opts *o, char *err, size_t errlen)
{
	srv S;
	srv *s = &S;
	memset(s, 0, sizeof *s);
	s->f = f;
	s->o = o;
	s->scen = o->scen;
	s->max_body = o->max_body ? o->max_body : SERVE_MAX_BODY_DEFAULT;
	s->ring_cap = o->keep_ended > 0 ? o->keep_ended : SERVE_KEEP_ENDED_DEFAULT;
	int rc = 2;
	err[0] = '\0';

	s->ring = calloc((size_t)s->ring_cap, sizeof *s->ring);
	s->calls_total = calloc((size_t)(f->nlines > 0 ? f->nlines : 1) * CALL_OUT_COUNT,
	                        sizeof *s->calls_total);
	if (!s->ring || !s->calls_total) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rng_seed(&s->r_handle, o->seed, rng_stream_id("serve/handle"));
	rng_seed(&s->r_outcome, o->seed, rng_stream_id("serve/outcome"));
	rng_seed(&s->r_wrapup, o->seed, rng_stream_id("serve/wrapup"));

	s->base = event_base_new();
	if (!s->base) {
		snprintf(err, errlen, "libevent: cannot create an event base");
		goto out;
	}
	s->sc = sched_real_new(s->base, f->timezone ? f->timezone : "UTC");
	if (!s->sc) {
		snprintf(err, errlen, "cannot start the real-time clock");
		goto out;
	}
	acd_config cfg = { 0 };
	cfg.seed = o->seed;
	cfg.stats_start = ACD_START_AUTO;
	if (acd_new_from_flow(f, &cfg, &s->a, err, errlen) != ACD_OK)
		goto out;
	if (s->scen && build_roster(s, err, errlen) != 0)
		goto out;
	if (o->db_path && open_db(s, err, errlen) != 0)
		goto out;

	s->http = evhttp_new(s->base);
	if (!s->http) {
		snprintf(err, errlen, "libevent: cannot create the HTTP server");
		goto out;
	}
	/* Bodies above our limit get our JSON 413; libevent's own limit is a
	 * backstop well above it, so a client cannot make us buffer megabytes. */
	evhttp_set_max_body_size(s->http, (ev_ssize_t)(s->max_body * 4 + 4096));
	evhttp_set_max_headers_size(s->http, 16 * 1024);
	evhttp_set_timeout(s->http, o->http_timeout_s > 0 ? o->http_timeout_s : 10);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                           EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	                           EVHTTP_REQ_PATCH);
	evhttp_set_gencb(s->http, on_request, s);
	const char *host = o->host ? o->host : "127.0.0.1";
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, host,
	                                                                (ev_uint16_t)o->port);
	if (!bs) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, o->port, strerror(errno));
		goto out;
	}
	static const int sigs[2] = { SIGINT, SIGTERM };
	for (int i = 0; i < 2; i++) {
		s->sig[i] = evsignal_new(s->base, sigs[i], signal_cb, s);
		if (!s->sig[i] || event_add(s->sig[i], NULL) != 0) {
			snprintf(err, errlen, "libevent: cannot watch signals");
			goto out;
		}
	}
	if (s->db) {
		s->flush_ev = event_new(s->base, -1, EV_PERSIST, flush_cb, s);
		struct timeval one = { 1, 0 };
		if (!s->flush_ev || event_add(s->flush_ev, &one) != 0) {
			snprintf(err, errlen, "libevent: cannot start the database flush timer");
			goto out;
		}
	}
	if (s->scen)
		for (int q = 0; q < f->nqueues; q++)
			staff_now(s, q);
	pump(s);
	if (o->on_listening)
		o->on_listening(o->ctx, host, bound_port(bs));

	if (event_base_dispatch(s->base) < 0) {
		snprintf(err, errlen, "libevent: the event loop failed");
		goto out;
	}
	/* Shutdown: stop accepting, hang up what is live, write it down. */
	evhttp_free(s->http);
	s->http = NULL;
	for (uint64_t i = 0; i < s->ncalls; i++) {
		scall *sc = s->calls[i];
		if (!sc || call_ended(&sc->c))
			continue;
		int64_t t = stamp(sc);
		if (!call_ended(&sc->c))
			deliver(sc, call_ev(CALL_EV_HANGUP, t));
		pump(s);
	}
	rc = 0;
	if (s->db) {
		if (s->db_failed) {
			snprintf(err, errlen, "database: %s", s->db_err);
			rc = 1;
		} else if (store_run_finish(s->db, s->run_id, true) != STORE_OK) {
			snprintf(err, errlen, "database: %s", store_errmsg(s->db));
			rc = 1;
		}
	}
out:
	if (s->http)
		evhttp_free(s->http);
	for (uint64_t i = 0; i < s->ncalls; i++)
		if (s->calls[i])
			free_call(s, s->calls[i]);
	free(s->calls);
	for (int i = 0; i < 2; i++)
		if (s->sig[i])
			event_free(s->sig[i]);
	if (s->flush_ev)
		event_free(s->flush_ev);
	if (s->db && store_close(s->db) != STORE_OK && rc == 0) {
		snprintf(err, errlen, "database: cannot close %s", o->db_path);
		rc = 1;
	}
	acd_free(s->a);
	sched_destroy(s->sc);
	if (s->base)
		event_base_free(s->base);
	free(s->ring);
	free(s->calls_total);
	return rc;
}
