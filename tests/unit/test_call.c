/*
 * test_call.c — the call state machine, rule by rule, on small flows.
 *
 * Each case is a flow (text, loaded with flow_load_string), a line, a start
 * time, and a tiny caller/agent script; a driver runs the call to its end
 * on the virtual clock (caller events before timers at the same instant, as
 * call-script.md wants) and the case checks the outcome, the nodes visited
 * in order, and lines that must (or must not) be in the trace.
 *
 * Prompt durations come from a prompt folder written at setup: 0.4 s per
 * word, so greet = 2 s, short = 0.8 s, sorry = 1.2 s, louder = 1.6 s,
 * info = 4 s, hold = 2 s; in Spanish greet lasts 4 s.
 *
 * Script words (times in seconds from the call's start):
 *   @S      cursor = S            +S     cursor += S
 *   kKEYS   keys 200 ms apart from the cursor (cursor ends on the last)
 *   ans[N]  agent N (default 1) answers     res esc sup req  agent outcome
 *   ask     caller asks for a supervisor    hup  caller hangs up
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "tierline/call.h"
#include "tierline/sched.h"
#include "tierline/recorder.h"
#include "tierline/flow.h"

static char g_dir[256];

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int setup_prompts(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/tierline-test-call-XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	char p[512];
	snprintf(p, sizeof p, "%s/p", g_dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/p/en", g_dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/p/es", g_dir);
	mkdir(p, 0755);
	const char *en =
		"greet: w w w w w\n"
		"short: w w\n"
		"sorry: w w w\n"
		"louder: w w w w\n"
		"info: w w w w w w w w w w\n"
		"hold: w w w w w\n";
	const char *es =
		"greet: w w w w w w w w w w\n"
		"short: w w\n"
		"sorry: w w w\n"
		"louder: w w w w\n"
		"info: w w w w w w w w w w\n"
		"hold: w w w w w\n";
	snprintf(p, sizeof p, "%s/p/en/prompts.txt", g_dir);
	write_file(p, en);
	snprintf(p, sizeof p, "%s/p/es/prompts.txt", g_dir);
	write_file(p, es);
	return 0;
}

static int teardown_prompts(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define HDR "flow t {\n languages en es\n prompts \"p\"\n}\n"

static flow *load(const char *body)
{
	size_t n = strlen(HDR) + strlen(body) + 1;
	char *text = malloc(n);
	assert_non_null(text);
	snprintf(text, n, "%s%s", HDR, body);
	char path[512];
	snprintf(path, sizeof path, "%s/t.flow", g_dir);
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	int rc = flow_load_string(path, text, strlen(text), &f, &dl);
	if (rc != 0) {
		diag_print(&dl, stderr);
		fprintf(stderr, "flow:\n%s\n", text);
	}
	free(text);
	diag_free(&dl);
	assert_int_equal(rc, 0);
	assert_non_null(f);
	return f;
}

/* ---- the driver ---------------------------------------------------------- */

enum { EV_PLACED, EV_KEY, EV_ANS, EV_DONE, EV_ASK, EV_HUP };

typedef struct sev {
	int kind;
	int64_t t;
	char key;
	int agent;
	call_agent_outcome out;
} sev;

typedef struct drv {
	sched *s;
	const flow *f;
	call c;
	call_sink sink;
	recorder rec;
	sched_id tid[CALL_NTIMERS];
	sev evs[256];
	int nevs;
	char trace[1 << 16];
	size_t ntrace;
	call_action acts[1024];
	int nacts;
	int live_timers;             /* armed - fired - cancelled, per the actions */
} drv;

static void on_timer(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	(void)s;
	drv *d = ctx;
	int slot = call_timer_arg_slot(arg);
	d->tid[slot] = 0;
	call_event ev = call_ev_timer(now, slot, call_timer_arg_gen(arg));
	call_handle(&d->c, &ev, &d->sink);
}

static void sink_fn(void *ctx, const struct call *c, const call_action *a)
{
	drv *d = ctx;
	if (d->nacts < (int)(sizeof d->acts / sizeof d->acts[0]))
		d->acts[d->nacts++] = *a;
	recorder_on_action(&d->rec, c, a);
	char line[400];
	size_t n = call_trace_line(d->f, c->t_start, a, false, line, sizeof line);
	if (n && d->ntrace + n + 2 < sizeof d->trace) {
		memcpy(d->trace + d->ntrace, line, n);
		d->ntrace += n;
		d->trace[d->ntrace++] = '\n';
		d->trace[d->ntrace] = 0;
	}
	if (a->kind == CALL_ACT_TIMER) {
		if (d->tid[a->slot])
			sched_cancel(d->s, d->tid[a->slot]);
		d->tid[a->slot] = sched_at(d->s, a->at, on_timer, d, call_timer_arg(a->slot, a->gen));
	} else if (a->kind == CALL_ACT_CANCEL) {
		if (d->tid[a->slot])
			sched_cancel(d->s, d->tid[a->slot]);
		d->tid[a->slot] = 0;
	}
}

/* Script events through call_place / call_answer / call_agent_done
 * instead of call_handle (test_direct_entries). */
static bool g_direct;

static void on_script(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	(void)s;
	drv *d = ctx;
	const sev *e = &d->evs[arg];
	if (g_direct) {
		switch (e->kind) {
		case EV_PLACED: call_place(&d->c, now, &d->sink); return;
		case EV_ANS: call_answer(&d->c, now, e->agent, &d->sink); return;
		case EV_DONE: call_agent_done(&d->c, now, e->out, &d->sink); return;
		default: break;
		}
	}
	call_event ev;
	switch (e->kind) {
	case EV_PLACED: ev = call_ev(CALL_EV_PLACED, now); break;
	case EV_KEY: ev = call_ev_key(now, e->key); break;
	case EV_ANS: ev = call_ev_answer(now, e->agent); break;
	case EV_DONE: ev = call_ev_done(now, e->out); break;
	case EV_ASK: ev = call_ev(CALL_EV_ASK_SUPERVISOR, now); break;
	default: ev = call_ev(CALL_EV_HANGUP, now); break;
	}
	call_handle(&d->c, &ev, &d->sink);
}

static void add_ev(drv *d, int kind, int64_t t, char key, int agent, call_agent_outcome o)
{
	assert_true(d->nevs < 256);
	sev *e = &d->evs[d->nevs++];
	e->kind = kind;
	e->t = t;
	e->key = key;
	e->agent = agent;
	e->out = o;
}

static void parse_script(drv *d, int64_t t0, const char *script)
{
	int64_t cur = t0;
	add_ev(d, EV_PLACED, t0, 0, -1, 0);
	const char *p = script ? script : "";
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		char w[64];
		size_t n = strcspn(p, " ");
		assert_true(n < sizeof w);
		memcpy(w, p, n);
		w[n] = 0;
		p += n;
		if (w[0] == '@')
			cur = t0 + (int64_t)(atof(w + 1) * 1000 + 0.5);
		else if (w[0] == '+')
			cur += (int64_t)(atof(w + 1) * 1000 + 0.5);
		else if (w[0] == 'k') {
			for (size_t i = 1; i < n; i++) {
				if (i > 1)
					cur += 200;
				add_ev(d, EV_KEY, cur, w[i], -1, 0);
			}
		} else if (strncmp(w, "ans", 3) == 0)
			add_ev(d, EV_ANS, cur, 0, w[3] ? atoi(w + 3) : 1, 0);
		else if (strcmp(w, "res") == 0)
			add_ev(d, EV_DONE, cur, 0, -1, CALL_AGENT_RESOLVED);
		else if (strcmp(w, "esc") == 0)
			add_ev(d, EV_DONE, cur, 0, -1, CALL_AGENT_ESCALATE);
		else if (strcmp(w, "sup") == 0)
			add_ev(d, EV_DONE, cur, 0, -1, CALL_AGENT_SUPERVISOR);
		else if (strcmp(w, "req") == 0)
			add_ev(d, EV_DONE, cur, 0, -1, CALL_AGENT_REQUEST);
		else if (strcmp(w, "ask") == 0)
			add_ev(d, EV_ASK, cur, 0, -1, 0);
		else if (strcmp(w, "hup") == 0)
			add_ev(d, EV_HUP, cur, 0, -1, 0);
		else
			fail_msg("bad script word '%s'", w);
	}
}

#define T_MON_NOON (util_days_from_civil(2026, 1, 5) * UTIL_MS_PER_DAY + 12 * 3600000LL)

/* "2026-01-05 17:00:00" (seconds optional, ".mmm" optional) */
static int64_t parse_at(const char *s)
{
	if (!s)
		return T_MON_NOON;
	int y, m, dd, hh = 0, mi = 0;
	double sec = 0;
	int n = sscanf(s, "%d-%d-%d %d:%d:%lf", &y, &m, &dd, &hh, &mi, &sec);
	assert_true(n >= 5);
	return util_days_from_civil(y, m, dd) * UTIL_MS_PER_DAY + hh * 3600000LL + mi * 60000LL +
	       (int64_t)(sec * 1000 + 0.5);
}

static drv *run_call(const flow *f, const char *line, const char *at, const char *vars,
                     const char *script)
{
	drv *d = calloc(1, sizeof *d);
	assert_non_null(d);
	d->f = f;
	int64_t t0 = parse_at(at);
	d->s = sched_virtual_new(t0);
	assert_non_null(d->s);
	d->sink.fn = sink_fn;
	d->sink.ctx = d;
	recorder_init(&d->rec, f);
	int li = flow_find_line(f, line ? line : "main");
	assert_true(li >= 0);
	call_init(&d->c, f, 1, li, -1);
	/* vars: "name=value,name=value" */
	if (vars) {
		char vb[256];
		snprintf(vb, sizeof vb, "%s", vars);
		for (char *tok = strtok(vb, ","); tok; tok = strtok(NULL, ",")) {
			char *eq = strchr(tok, '=');
			assert_non_null(eq);
			*eq = 0;
			int v = flow_find_var(f, tok);
			assert_true(v >= 0);
			assert_int_equal(call_set_var(&d->c, v, eq + 1), 0);
		}
	}
	parse_script(d, t0, script);
	for (int i = 0; i < d->nevs; i++)
		sched_at_pri(d->s, d->evs[i].t, SCHED_PRI_CALLER, on_script, d, (uint64_t)i);
	sched_run(d->s, t0 + 4 * 3600000LL);
	if (!call_ended(&d->c)) {
		call_event ev = call_ev(CALL_EV_HANGUP, sched_now(d->s));
		call_handle(&d->c, &ev, &d->sink);
	}
	return d;
}

static void free_drv(drv *d)
{
	recorder_free(&d->rec);
	sched_destroy(d->s);
	free(d);
}

static void path_of(drv *d, char *out, size_t n)
{
	const rec_call *rc = recorder_result(&d->rec);
	size_t len = 0;
	out[0] = 0;
	for (int i = 0; i < rc->nvisits; i++)
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", i ? " " : "",
		                        rc->visits[i].node);
}

/* ---- the table ------------------------------------------------------------ */

typedef struct tcase {
	const char *name;
	const char *flow;
	const char *line;            /* default "main" */
	const char *at;              /* default Monday 2026-01-05 12:00 */
	const char *vars;
	const char *script;
	const char *outcome;
	const char *path;            /* visited nodes in order, NULL = not checked */
	const char *has;             /* '|'-separated trace lines (substrings) */
	const char *hasnt;
} tcase;

/* A menu, an announcement and a queue. */
#define F_BASIC \
	"line main \"1\" { start main }\n" \
	"menu main { prompt greet; option 1 -> info; option 0 -> q1; option 2 -> bye\n" \
	"  noinput -> prompt sorry; nomatch -> prompt sorry }\n" \
	"play info { prompt info; next -> hangup }\n" \
	"play bye { prompt short; next -> main }\n" \
	"queue q1 { tier 1 }\n"

#define F_NOBARGE \
	"line main \"1\" { start main }\n" \
	"menu main { prompt greet; prompt short; bargein off; option 1 -> info }\n" \
	"play info { prompt info; next -> hangup }\n"

#define F_MULTI \
	"line main \"1\" { start main }\n" \
	"menu main { prompt greet; option 1 -> a; option 12 -> b; option 3 -> c; option 45 -> c\n" \
	"  interdigit 3s; nomatch -> prompt sorry }\n" \
	"play a { prompt short; next -> hangup }\n" \
	"play b { prompt short; next -> hangup }\n" \
	"play c { prompt short; next -> hangup }\n"

#define F_ESC \
	"line main \"1\" { start m }\n" \
	"menu m { prompt greet; reprompt short; tries 5; noinput tries 3; nomatch tries 2\n" \
	"  noinput -> prompt sorry; noinput 2 -> prompt louder; nomatch -> prompt sorry\n" \
	"  failure noinput -> fni; failure nomatch -> fnm; failure -> hangup\n" \
	"  option 1 -> ok }\n" \
	"play ok { prompt info; next -> hangup }\n" \
	"play fni { prompt short; next -> hangup }\n" \
	"play fnm { prompt short; next -> hangup }\n"

#define F_TRIES \
	"line main \"1\" { start m }\n" \
	"menu m { prompt greet; tries 3; noinput -> prompt sorry; nomatch -> prompt louder\n" \
	"  failure nomatch -> fnm; failure -> fall; option 1 -> fall }\n" \
	"play fall { prompt short; next -> hangup }\n" \
	"play fnm { prompt short; next -> hangup }\n"

#define F_NAV \
	"line main \"1\" { start main }\n" \
	"menu main { prompt greet; reprompt short; tries 2; option 1 -> sub; option 9 -> repeat\n" \
	"  option * -> back; option 0 -> top; nomatch -> prompt sorry }\n" \
	"menu sub { prompt short; option 1 -> sub2; option * -> back; option 9 -> repeat; option 0 -> top\n" \
	"  option 8 -> main }\n" \
	"menu sub2 { prompt sorry; option * -> back; option 0 -> top; option 5 -> info }\n" \
	"play info { prompt info; next -> back }\n"

#define F_INPUT \
	"line main \"1\" { start rc }\n" \
	"input rc { prompt greet; digits 3..5; terminator #; timeout 5s; interdigit 3s; tries 2\n" \
	"  store receipt; next -> chk; failure -> hangup; nomatch -> prompt sorry }\n" \
	"route chk { when var receipt prefix \"322\" -> vsc; else -> other }\n" \
	"play vsc { prompt info; next -> hangup }\n" \
	"play other { prompt short; next -> hangup }\n"

#define F_SETROUTE \
	"line main \"1\" { start s }\n" \
	"line tty \"2\" { start r; channel tty }\n" \
	"set s { lang es; var intent \"status\"; next -> r }\n" \
	"route r { when line tty -> a; when lang es -> b; else -> c }\n" \
	"menu a { prompt greet; option 1 -> c }\n" \
	"menu b { prompt greet; option 1 -> c }\n" \
	"play c { prompt short; next -> hangup }\n"

#define F_HOURS \
	"hours biz { mon-fri 09:00-17:00; closed 2026-01-06 }\n" \
	"line main \"1\" { start main; hours biz; closed -> shut }\n" \
	"line any \"2\" { start main }\n" \
	"menu main { prompt greet; option 1 -> r; option 2 -> q; option 3 -> shut }\n" \
	"route r { when open biz -> q; else -> shut }\n" \
	"queue q { tier 1; hours biz; closed -> shut }\n" \
	"play shut { prompt info; next -> hangup }\n"

#define F_QUEUE \
	"offices {\n office vsc \"V\" { receipt \"322\" }\n office intl \"I\" { refer \"+1-202\" }\n" \
	" default vsc\n}\n" \
	"line main \"1\" { start main }\n" \
	"menu main { prompt greet; option 1 -> q1; option 2 -> q2; tries 1; failure -> q1 }\n" \
	"queue q1 { tier 1; max_wait 60s -> vm; announce every 20s; escalate -> q2\n" \
	"  supervisor -> q3; request -> sr }\n" \
	"queue q2 { tier 2 }\n" \
	"queue q3 { tier 3 }\n" \
	"play vm { prompt info; next -> hangup }\n" \
	"request sr { type \"case\"; office by receipt; due 15d; next -> done }\n" \
	"play done { prompt short; next -> q2 }\n"

#define F_LOOP \
	"line main \"1\" { start main }\n" \
	"menu main { prompt greet; option 1 -> a }\n" \
	"set a { var x \"1\"; next -> b }\n" \
	"route b { when var x prefix \"1\" -> a; else -> main }\n"

#define F_FIXED \
	"offices {\n office vsc \"V\" { receipt \"322\" }\n office intl \"I\" { refer \"+1-202\" }\n}\n" \
	"line main \"1\" { start main }\n" \
	"menu main { prompt greet; option 1 -> r1; option 2 -> r2 }\n" \
	"request r1 { type \"a\"; office intl; due 1d; next -> hangup }\n" \
	"request r2 { type \"b\"; office vsc; due 2d; next -> hangup }\n"

#define F_INPUT2 \
	"line main \"1\" { start rc }\n" \
	"input rc { prompt greet; digits 3..3; store receipt; next -> m2 }\n" \
	"menu m2 { prompt info; option 1 -> ok }\n" \
	"play ok { prompt short; next -> hangup }\n"

static const tcase cases[] = {
	{ "keys-after-input-go-to-listening-menu", F_INPUT2, 0, 0, 0, "@2.5 k3221", "self-service", "rc m2 ok",
	  "    2.900 input rc \"322\"|    2.900 play info|    3.100 stop info (barge-in)|    3.100 option 1 -> ok",
	  0 },
	/* ---- basic menu, outcomes of the IVR ---- */
	{ "hangup-during-greeting", F_BASIC, 0, 0, 0, "@0.5 hup", "abandoned-ivr", "main",
	  "    0.000 call main (en)|    0.000 visit main (menu)|    0.000 play greet (en, 2s)|"
	  "    0.500 end abandoned-ivr at main", 0 },
	{ "option-after-prompt", F_BASIC, 0, 0, 0, "@2.5 k1", "self-service", "main info",
	  "    2.000 listen main (timeout 5s)|    2.500 key 1|    2.500 option 1 -> info|"
	  "    2.500 play info (en, 4s)|    6.500 end self-service at info", "stop greet" },
	{ "bargein-on-stops-prompt", F_BASIC, 0, 0, 0, "@1 k1", "self-service", "main info",
	  "    1.000 key 1|    1.000 stop greet (barge-in)|    1.000 option 1 -> info", "listen main" },
	{ "bargein-off-discards", F_NOBARGE, 0, 0, 0, "@1 k1 @2.5 k1 @3.0 k1", "self-service", "main info",
	  "    1.000 key 1 ignored|    2.000 play short (en, 0.8s)|    2.500 key 1 ignored|"
	  "    2.800 listen main (timeout 5s)|    3.000 key 1|    3.000 option 1 -> info", "stop" },
	{ "play-node-uninterruptible", F_BASIC, 0, 0, 0, "@2.5 k1 @3 k0 @4 k2", "self-service", "main info",
	  "    3.000 key 0 ignored|    4.000 key 2 ignored|    6.500 end self-service at info", 0 },
	{ "hangup-during-play-counts", F_BASIC, 0, 0, 0, "@2.5 k1 @3 hup", "self-service", "main info",
	  "    3.000 end self-service at info", 0 },
	{ "flow-reaches-hangup-is-self-service", F_BASIC, 0, 0, 0, "@2.5 k1", "self-service", 0, 0, 0 },
	{ "play-next-menu-then-hangup-in-ivr", F_BASIC, 0, 0, 0, "@2.5 k2 @4 hup", "self-service",
	  "main bye main", "    3.300 visit main (menu)", 0 },
	{ "noinput-three-times-fails", F_BASIC, 0, 0, 0, "", "failed", "main",
	  "    7.000 no-input 1 at main|    7.000 play sorry (en, 1.2s)|    8.200 play greet (en, 2s)|"
	  "   15.200 no-input 2 at main|   23.400 no-input 3 at main|"
	  "   23.400 failure (no-input) at main|   23.400 end failed at main", "   23.400 play sorry" },
	{ "nomatch-at-once", F_BASIC, 0, 0, 0, "@2.5 k7 @6 k1", "self-service", "main info",
	  "    2.500 no-match 1 at main|    2.500 play sorry (en, 1.2s)|    3.700 play greet|"
	  "    6.000 option 1 -> info", 0 },
	{ "key-during-miss-prompt-bargein", F_BASIC, 0, 0, 0, "@2.5 k7 @3 k1", "self-service", "main info",
	  "    3.000 stop sorry (barge-in)|    3.000 option 1 -> info", 0 },
	{ "caller-before-timer-same-instant", F_BASIC, 0, 0, 0, "@7 k1", "self-service", "main info",
	  "    7.000 option 1 -> info", "no-input" },
	/* ---- queue basics ---- */
	{ "abandon-queue", F_BASIC, 0, 0, 0, "@2.5 k0 @30 hup", "abandoned-queue", "main q1",
	  "    2.500 enqueue q1|   30.000 leg-end q1 abandoned|   30.000 end abandoned-queue at q1", 0 },
	{ "resolved-tier1", F_BASIC, 0, 0, 0, "@2.5 k0 @10 ans4 @70 res", "resolved-tier1", "main q1",
	  "   10.000 answered q1 by agent 4|   70.000 leg-end q1 resolved (agent 4)|"
	  "   70.000 end resolved-tier1 at q1", 0 },
	{ "hangup-talking-is-resolved", F_BASIC, 0, 0, 0, "@2.5 k0 @10 ans @20 hup", "resolved-tier1", 0,
	  "   20.000 leg-end q1 hangup-talking (agent 1)", 0 },
	{ "keys-in-queue-ignored", F_BASIC, 0, 0, 0, "@2.5 k0 @5 k1 @6 hup", "abandoned-queue", 0,
	  "    5.000 key 1 ignored", 0 },
	/* ---- multi-key options ---- */
	{ "prefix-waits-interdigit", F_MULTI, 0, 0, 0, "@2.5 k1", "self-service", "main a",
	  "    2.500 key 1|    5.500 option 1 -> a", "    2.500 option" },
	{ "longer-option-at-once", F_MULTI, 0, 0, 0, "@2.5 k12", "self-service", "main b",
	  "    2.700 option 12 -> b", 0 },
	{ "no-prefix-is-nomatch-at-once", F_MULTI, 0, 0, 0, "@2.5 k15 @9 hup", "abandoned-ivr", "main",
	  "    2.700 no-match 1 at main|    2.700 play sorry", 0 },
	{ "unique-key-at-once", F_MULTI, 0, 0, 0, "@0.5 k3", "self-service", "main c",
	  "    0.500 option 3 -> c", 0 },
	{ "interdigit-partial-is-nomatch", F_MULTI, 0, 0, 0, "@2.5 k4 @9 hup", "abandoned-ivr", "main",
	  "    5.500 no-match 1 at main", 0 },
	{ "two-keys-of-long-option", F_MULTI, 0, 0, 0, "@2.5 k4 +2.9 k5", "self-service", "main c",
	  "    5.400 option 45 -> c", 0 },
	/* ---- escalating prompts, per-kind tries, failure routes ---- */
	{ "escalating-noinput", F_ESC, 0, 0, 0, "", "failed", "m fni",
	  "    7.000 no-input 1 at m|    7.000 play sorry|    8.200 play short|"
	  "   14.000 no-input 2 at m|   14.000 play louder (en, 1.6s)|   15.600 play short|"
	  "   21.400 no-input 3 at m|   21.400 failure (no-input) at m|   21.400 visit fni (play)|"
	  "   22.200 end failed at fni", 0 },
	{ "nomatch-tries-own-route", F_ESC, 0, 0, 0, "@2.5 k7 @4 k8", "failed", "m fnm",
	  "    2.500 no-match 1 at m|    2.500 play sorry|    4.000 no-match 2 at m|"
	  "    4.000 failure (no-match) at m|    4.000 visit fnm (play)", "    4.000 play sorry" },
	{ "reprompt-on-later-try", F_ESC, 0, 0, 0, "@2.5 k7 @4.5 k1", "self-service", "m ok",
	  "    3.700 play short (en, 0.8s)|    4.500 option 1 -> ok", 0 },
	{ "tries-cap-both-kinds", F_TRIES, 0, 0, 0, "@2.5 k7 @11 k8", "failed", "m fall",
	  "    2.500 no-match 1 at m|    2.500 play louder|    4.100 play greet|"
	  "   11.000 no-match 2 at m|   11.000 play louder|   19.600 no-input 1 at m|"
	  "   19.600 failure (no-input) at m|   19.600 visit fall (play)", 0 },
	{ "tries-cap-nomatch-route", F_TRIES, 0, 0, 0, "@2.5 k7 @4 k7 @6 k7", "failed", "m fnm",
	  "    6.000 no-match 3 at m|    6.000 failure (no-match) at m|    6.000 visit fnm (play)", 0 },
	/* ---- back / top / repeat / stack ---- */
	{ "back-walks-the-stack", F_NAV, 0, 0, 0, "@2.5 k1 @3.5 k1 @5 k* @6 k* @7 k* @8 hup", "abandoned-ivr",
	  "main sub sub2 sub main", "    7.000 option * -> back|    7.000 play greet (en, 2s)", 0 },
	{ "repeat-same-try", F_NAV, 0, 0, 0, "@2.5 k7 @4.5 k9 @5 hup", "abandoned-ivr", "main",
	  "    2.500 no-match 1 at main|    3.700 play short|    4.500 option 9 -> repeat|"
	  "    4.500 play short (en, 0.8s)", "no-match 2" },
	{ "repeat-drops-keys-counts-no-miss", F_NAV, 0, 0, 0,
	  "@2.5 k9 @5 k9 @7.5 k9 @10 k1 @11 hup", "abandoned-ivr", "main sub",
	  "    2.500 play greet (en, 2s)|    5.000 play greet|    7.500 play greet", "no-match|no-input" },
	{ "top-clears-stack", F_NAV, 0, 0, 0, "@2.5 k1 @3.5 k1 @5 k0 @7.5 k* @10 hup", "abandoned-ivr",
	  "main sub sub2 main", "    5.000 option 0 -> top|    7.500 option * -> back|    7.500 play greet", 0 },
	{ "play-next-back-returns-to-menu", F_NAV, 0, 0, 0, "@2.5 k1 @3.5 k1 @5 k5 @10.5 hup", "self-service",
	  "main sub sub2 info sub2", "    9.000 visit sub2 (menu)", 0 },
	{ "entering-menu-resets-counts", F_NAV, 0, 0, 0,
	  "@2.5 k7 @4.5 k1 @5.5 k8 @8 k7 @10 hup", "abandoned-ivr", "main sub main",
	  "    8.000 no-match 1 at main", "failure" },
	{ "loop-forward-cuts-stack", F_NAV, 0, 0, 0, "@2.5 k1 @3.5 k8 @6 k* @9 hup", "abandoned-ivr",
	  "main sub main", "    6.000 option * -> back|    6.000 play greet", 0 },
	/* ---- inputs ---- */
	{ "input-terminator", F_INPUT, 0, 0, 0, "@2.5 k3221#", "self-service", "rc chk vsc",
	  "    3.300 key #|    3.300 set receipt \"3221\"|    3.300 input rc \"3221\"", 0 },
	{ "input-max-completes-extra-key-discarded", F_INPUT, 0, 0, 0, "@2.5 k322119", "self-service",
	  "rc chk vsc", "    3.300 input rc \"32211\"|    3.500 key 9 ignored", 0 },
	{ "input-too-short-terminator", F_INPUT, 0, 0, 0, "@2.5 k32# @10 hup", "abandoned-ivr", "rc",
	  "    2.900 no-match 1 at rc|    2.900 play sorry", "set receipt" },
	{ "input-interdigit-complete", F_INPUT, 0, 0, 0, "@2.5 k922", "self-service", "rc chk other",
	  "    5.900 input rc \"922\"", 0 },
	{ "input-interdigit-short", F_INPUT, 0, 0, 0, "@2.5 k32 @8 hup", "abandoned-ivr", "rc",
	  "    5.700 no-match 1 at rc", "input rc" },
	{ "input-timeout-noinput", F_INPUT, 0, 0, 0, "", "failed", "rc",
	  "    7.000 no-input 1 at rc|    9.000 listen rc|   14.000 no-input 2 at rc|   14.000 failure", 0 },
	{ "input-terminator-alone-nomatch", F_INPUT, 0, 0, 0, "@2.5 k# @3 hup", "abandoned-ivr", "rc",
	  "    2.500 no-match 1 at rc", 0 },
	{ "input-var-only-on-completion", F_INPUT, 0, 0, 0, "@2.5 k32 @3 hup", "abandoned-ivr", "rc",
	  0, "set receipt" },
	{ "input-bargein", F_INPUT, 0, 0, 0, "@1 k322#", "self-service", "rc chk vsc",
	  "    1.000 stop greet (barge-in)|    1.600 input rc \"322\"", 0 },
	/* ---- set / route / lang / line ---- */
	{ "set-lang-route-lang", F_SETROUTE, 0, 0, 0, "@4.5 k1", "self-service", "s r b c",
	  "    0.000 set intent \"status\"|    0.000 play greet (es, 4s)|    4.500 option 1 -> c", 0 },
	{ "route-line", F_SETROUTE, "tty", 0, 0, "@2.5 k1", "self-service", "r a c",
	  "    0.000 call tty (en)|    0.000 play greet (en, 2s)", 0 },
	/* ---- hours ---- */
	{ "line-open", F_HOURS, 0, "2026-01-05 16:59:59.999", 0, "@2.5 k3", "self-service", "main shut", 0, 0 },
	{ "line-closed-at-end-half-open", F_HOURS, 0, "2026-01-05 17:00:00", 0, "", "after-hours", "shut",
	  "    0.000 closed line -> shut", 0 },
	{ "line-closed-before-start", F_HOURS, 0, "2026-01-05 08:59", 0, "", "after-hours", "shut", 0, 0 },
	{ "line-closed-date", F_HOURS, 0, "2026-01-06 12:00", 0, "", "after-hours", "shut", 0, 0 },
	{ "line-closed-weekend", F_HOURS, 0, "2026-01-10 12:00", 0, "", "after-hours", "shut", 0, 0 },
	{ "line-closed-hangup-early", F_HOURS, 0, "2026-01-10 12:00", 0, "@1 hup", "after-hours", "shut", 0, 0 },
	{ "same-node-other-way-not-after-hours", F_HOURS, 0, 0, 0, "@2.5 k3", "self-service", "main shut", 0, 0 },
	{ "route-open-checked-at-entry", F_HOURS, 0, "2026-01-05 16:59:50", 0, "@12 k1", "self-service",
	  "main r shut", 0, "closed" },
	{ "route-open-then-queue", F_HOURS, 0, "2026-01-05 16:59:00", 0, "@2.5 k1 @5 hup", "abandoned-queue",
	  "main r q", 0, 0 },
	{ "queue-closed-edge", F_HOURS, "any", "2026-01-05 18:00", 0, "@2.5 k2", "after-hours", "main q shut",
	  "    2.500 closed q -> shut", "enqueue" },
	{ "queue-closed-at-arrival-not-entry-of-call", F_HOURS, "any", "2026-01-05 16:59:58", 0, "@2.5 k2",
	  "after-hours", "main q shut", 0, 0 },
	/* ---- queue: max_wait, announce, agent outcomes, supervisor ---- */
	{ "max-wait-and-announce", F_QUEUE, 0, 0, 0, "@2.5 k1", "self-service", "main q1 vm",
	  "   22.500 announce q1|   42.500 announce q1|   62.500 leg-end q1 timeout|   62.500 visit vm (play)",
	  "   62.500 announce" },
	{ "answer-cancels-max-wait", F_QUEUE, 0, 0, 0, "@2.5 k1 @30 ans @200 res", "resolved-tier1", "main q1",
	  "   22.500 announce q1|   30.000 answered q1 by agent 1|  200.000 end resolved-tier1", "leg-end q1 timeout" },
	{ "escalate-to-tier2", F_QUEUE, 0, 0, 0, "@2.5 k1 @10 ans1 @20 esc @30 ans2 @40 res", "resolved-tier2",
	  "main q1 q2", "   20.000 leg-end q1 escalated (agent 1)|   40.000 leg-end q2 resolved (agent 2)", 0 },
	{ "agent-supervisor", F_QUEUE, 0, 0, 0, "@2.5 k1 @10 ans @20 sup @30 ans9 @40 res", "resolved-tier3",
	  "main q1 q3", "   20.000 leg-end q1 supervisor (agent 1)", 0 },
	{ "agent-request-filed", F_QUEUE, 0, 0, "receipt=3229999", "@2.5 k1 @10 ans @20 req @30 ans @40 res",
	  "request-filed", "main q1 sr done q2",
	  "   20.000 request case filed with vsc (due 15d)|   20.800 enqueue q2", 0 },
	{ "agent-request-default-office", F_QUEUE, 0, 0, 0, "@2.5 k1 @10 ans @20 req @30 ans @40 res", "request-filed",
	  "main q1 sr done q2", "   20.000 request case filed with vsc", 0 },
	{ "escalate-no-target-resolves", F_QUEUE, 0, 0, 0, "@2.5 k2 @10 ans5 @20 esc", "resolved-tier2",
	  "main q2", "   20.000 leg-end q2 escalated (agent 5)|   20.000 end resolved-tier2 at q2", 0 },
	{ "supervisor-no-target-resolves", F_QUEUE, 0, 0, 0, "@2.5 k2 @10 ans @20 sup", "resolved-tier2", 0, 0, 0 },
	{ "request-no-target-resolves", F_QUEUE, 0, 0, 0, "@2.5 k2 @10 ans @20 req", "resolved-tier2", 0, 0,
	  "request case" },
	{ "ask-supervisor-waiting", F_QUEUE, 0, 0, 0, "@2.5 k1 @5 ask @10 ans @20 res", "resolved-tier3",
	  "main q1 q3", "    5.000 leg-end q1 asked-supervisor|    5.000 enqueue q3", "announce" },
	{ "ask-supervisor-talking", F_QUEUE, 0, 0, 0, "@2.5 k1 @5 ans @8 ask @10 ans @20 res", "resolved-tier3",
	  "main q1 q3", "    8.000 leg-end q1 asked-supervisor (agent 1)", 0 },
	{ "ask-supervisor-no-target-keeps-waiting", F_QUEUE, 0, 0, 0, "@2.5 k2 @5 ask @10 ans @20 res",
	  "resolved-tier2", "main q2", "    5.000 ignored: queue has no supervisor target", 0 },
	{ "ask-supervisor-in-ivr-ignored", F_QUEUE, 0, 0, 0, "@1 ask @2 hup", "abandoned-ivr", "main",
	  "    1.000 ignored: supervisor request outside a queue", 0 },
	{ "agent-events-outside-leg-ignored", F_QUEUE, 0, 0, 0, "@1 ans @1.5 res @2 hup", "abandoned-ivr", 0,
	  "    1.000 ignored: agent answer|    1.500 ignored: agent outcome", 0 },
	{ "abandon-after-request-beats-request", F_QUEUE, 0, 0, 0, "@2.5 k1 @10 ans @20 req @30 hup",
	  "abandoned-queue", "main q1 sr done q2", 0, 0 },
	{ "failure-into-queue-not-failed", F_QUEUE, 0, 0, 0, "@2.5 k7 @5 ans @9 hup", "resolved-tier1",
	  "main q1", "    2.500 failure (no-match) at main", 0 },
	{ "failure-into-queue-abandon", F_QUEUE, 0, 0, 0, "@2.5 k7 @9 hup", "abandoned-queue", "main q1", 0, 0 },
	/* ---- requests: fixed office, refer ---- */
	{ "request-fixed-refer", F_FIXED, 0, 0, 0, "@2.5 k1", "referred", "main r1",
	  "    2.500 request a referred to intl", 0 },
	{ "request-fixed-office", F_FIXED, 0, 0, 0, "@2.5 k2", "request-filed", "main r2",
	  "    2.500 request b filed with vsc (due 2d)", 0 },
	/* ---- zero-time loop guard ---- */
	{ "zero-time-loop-guard", F_LOOP, 0, 0, 0, "@2.5 k1", "failed", 0,
	  "    2.500 end failed at", 0 },
};

static int run_case(const tcase *tc)
{
	flow *f = load(tc->flow);
	drv *d = run_call(f, tc->line, tc->at, tc->vars, tc->script);
	char path[1024];
	path_of(d, path, sizeof path);
	/* Whatever happened, no timer is live once the call ended. */
	bool ok = call_ended(&d->c) && strcmp(call_outcome_name(d->c.outcome), tc->outcome) == 0 &&
	          (!tc->path || strcmp(path, tc->path) == 0) && !d->c.armed &&
	          sched_virtual_pending(d->s) == 0;
	const char *lists[2] = { tc->has, tc->hasnt };
	for (int k = 0; k < 2; k++) {
		const char *p = lists[k];
		while (p && *p) {
			size_t n = strcspn(p, "|");
			char sub[256];
			snprintf(sub, sizeof sub, "%.*s", (int)n, p);
			bool found = strstr(d->trace, sub) != NULL;
			if (found != (k == 0)) {
				fprintf(stderr, "case %s: %s '%s'\n", tc->name, k == 0 ? "missing" : "unexpected", sub);
				ok = false;
			}
			p += n;
			if (*p == '|')
				p++;
		}
	}
	if (!ok)
		fprintf(stderr, "case %s: outcome %s (want %s), path '%s' (want '%s'), pending %llu\ntrace:\n%s\n",
		        tc->name, call_outcome_name(d->c.outcome), tc->outcome, path,
		        tc->path ? tc->path : "-", (unsigned long long)sched_virtual_pending(d->s), d->trace);
	free_drv(d);
	flow_free(f);
	return ok ? 0 : 1;
}

static void test_table(void **state)
{
	(void)state;
	int failed = 0;
	size_t n = sizeof cases / sizeof cases[0];
	for (size_t i = 0; i < n; i++)
		failed += run_case(&cases[i]);
	if (failed)
		fail_msg("%d of %zu cases failed", failed, n);
}

/* ---- direct tests ---------------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	for (int o = CALL_OUT_NONE + 1; o < CALL_OUT_COUNT; o++)
		assert_int_equal(call_outcome_parse(call_outcome_name((call_outcome)o)), o);
	assert_string_equal(call_outcome_name(CALL_OUT_RESOLVED_TIER1 + 1), "resolved-tier2");
	assert_string_equal(call_outcome_name(CALL_OUT_ABANDONED_QUEUE), "abandoned-queue");
	assert_string_equal(call_outcome_name(CALL_OUT_AFTER_HOURS), "after-hours");
	assert_int_equal(call_outcome_parse("resolved-tier10"), CALL_OUT_NONE);
	assert_int_equal(call_outcome_parse(NULL), CALL_OUT_NONE);
	assert_int_equal(call_outcome_parse("none"), CALL_OUT_NONE);
	assert_int_equal(call_outcome_resolved(3), CALL_OUT_RESOLVED_TIER1 + 2);
	assert_int_equal(call_outcome_tier(call_outcome_resolved(3)), 3);
	assert_int_equal(call_outcome_tier(CALL_OUT_FAILED), 0);
	for (int a = 0; a < CALL_AGENT_NOUTCOMES; a++)
		assert_int_equal(call_agent_outcome_parse(call_agent_outcome_name((call_agent_outcome)a)), a);
	assert_int_equal(call_agent_outcome_parse("bogus"), -1);
	assert_string_equal(call_leg_result_name(CALL_LEG_ASKED_SUPERVISOR), "asked-supervisor");
	assert_string_equal(call_leg_result_name(CALL_LEG_TIMEOUT), "timeout");
	assert_string_equal(call_leg_result_name(CALL_LEG_NRESULTS), "?");
	for (int k = 0; k < CALL_ACT_NKINDS; k++)
		assert_string_not_equal(call_act_name((call_act_kind)k), "?");
	assert_true(sizeof(call) < 1024);
}

static void test_vars(void **state)
{
	(void)state;
	flow *f = load(F_INPUT);
	call c;
	call_init(&c, f, 7, 0, -1);
	int v = flow_find_var(f, "receipt");
	assert_true(v >= 0);
	assert_null(call_get_var(&c, v));
	assert_int_equal(call_set_var(&c, v, "322"), 0);
	assert_string_equal(call_get_var(&c, v), "322");
	char longv[100];
	memset(longv, '7', sizeof longv - 1);
	longv[sizeof longv - 1] = 0;
	assert_int_equal(call_set_var(&c, v, longv), 1);
	assert_int_equal(strlen(call_get_var(&c, v)), CALL_VAR_LEN - 1);
	assert_int_equal(call_set_var(&c, -1, "x"), -1);
	assert_int_equal(call_set_var(&c, CALL_MAX_VARS, "x"), -1);
	assert_null(call_get_var(&c, CALL_MAX_VARS));
	assert_int_equal(call_set_var(&c, v, NULL), 0);
	assert_null(call_get_var(&c, v));
	flow_free(f);
}

typedef struct cap {
	call_action a[256];
	int n;
} cap;

static void cap_fn(void *ctx, const struct call *c, const call_action *a)
{
	(void)c;
	cap *k = ctx;
	if (k->n < 256)
		k->a[k->n++] = *a;
}

static const call_action *last_of(const cap *k, call_act_kind kind)
{
	for (int i = k->n - 1; i >= 0; i--)
		if (k->a[i].kind == kind)
			return &k->a[i];
	return NULL;
}

static void test_stale_timers(void **state)
{
	(void)state;
	flow *f = load(F_BASIC);
	call c;
	cap k = { .n = 0 };
	call_sink s = { cap_fn, &k, 0 };
	call_init(&c, f, 1, 0, -1);
	call_event ev = call_ev(CALL_EV_PLACED, 0);
	call_handle(&c, &ev, &s);
	const call_action *t = last_of(&k, CALL_ACT_TIMER);
	assert_non_null(t);
	assert_int_equal(t->slot, CALL_TIMER_IVR);
	assert_int_equal(t->at, 2000);
	uint32_t g1 = t->gen;
	/* barge in: the greeting's end timer is superseded */
	ev = call_ev_key(1000, '1');
	call_handle(&c, &ev, &s);
	assert_int_equal(c.state, CALL_PLAYING);
	t = last_of(&k, CALL_ACT_TIMER);
	assert_int_equal(t->at, 5000);
	uint32_t g2 = t->gen;
	assert_true(g2 != g1);
	int n = k.n;
	ev = call_ev_timer(2000, CALL_TIMER_IVR, g1);       /* stale */
	call_handle(&c, &ev, &s);
	assert_int_equal(k.n, n);
	ev = call_ev_timer(2000, CALL_TIMER_MAXWAIT, 0);    /* never armed */
	call_handle(&c, &ev, &s);
	ev = call_ev_timer(2000, 9, g2);                    /* no such slot */
	call_handle(&c, &ev, &s);
	assert_int_equal(k.n, n);
	assert_int_equal(c.state, CALL_PLAYING);
	ev = call_ev_timer(5000, CALL_TIMER_IVR, g2);       /* live */
	call_handle(&c, &ev, &s);
	assert_true(call_ended(&c));
	assert_int_equal(c.outcome, CALL_OUT_SELF_SERVICE);
	/* the same timer again, and anything after the end: nothing */
	n = k.n;
	call_handle(&c, &ev, &s);
	ev = call_ev(CALL_EV_HANGUP, 6000);
	call_handle(&c, &ev, &s);
	ev = call_ev_key(6000, '1');
	call_handle(&c, &ev, &s);
	assert_int_equal(k.n, n);
	/* a sink-less call runs too */
	call_init(&c, f, 2, 0, -1);
	ev = call_ev(CALL_EV_PLACED, 0);
	call_handle(&c, &ev, NULL);
	ev = call_ev(CALL_EV_HANGUP, 10);
	call_handle(&c, &ev, NULL);
	assert_int_equal(c.outcome, CALL_OUT_ABANDONED_IVR);
	flow_free(f);
}

/* Two calls in the same state compare equal (the head up to the digits,
 * which call_init leaves uncleared past ndigits, and the digits). */
static void assert_same_call(const call *a, const call *b)
{
	assert_memory_equal(a, b, offsetof(call, digits));
	assert_string_equal(a->digits, b->digits);
}

/* Two calls of one flow placed at 0, each with its sink: the one takes a
 * run of keys through call_keys, the other key by key, and they must end
 * up the same. */
static void twin_calls(flow *f, call *a, const call_sink *sa, call *b, const call_sink *sb)
{
	call_init(a, f, 1, 0, -1);
	call_init(b, f, 1, 0, -1);
	call_event ev = call_ev(CALL_EV_PLACED, 0);
	call_handle(a, &ev, sa);
	call_handle(b, &ev, sb);
}

/* call_keys: a run that only adds digits to an input, taken in one step
 * by a sink that wants none of its actions, leaves the call as key-by-key
 * call_handle does; anything else (a terminator, the input's maximum, a
 * sink that wants the actions) goes key by key. */
static void test_call_keys(void **state)
{
	(void)state;
	flow *f = load(F_INPUT);
	call_sink quiet = { cap_fn, NULL, ~0u };
	static const struct { int64_t t0; const char *keys; } runs[] = {
		{ 500, "1234" },     /* barging into the prompt: one step */
		{ 3000, "322" },     /* listening: one step */
		{ 500, "12#" },      /* a terminator: key by key */
		{ 500, "12345" },    /* reaches the maximum: key by key */
		{ 500, "1A" },       /* A is DTMF: one step */
	};
	for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
		call a, b;
		call_event ev;
		twin_calls(f, &a, &quiet, &b, &quiet);
		if (runs[r].t0 >= 2000) {   /* the greeting is over: listening */
			ev = call_ev_timer(2000, CALL_TIMER_IVR, a.gen[CALL_TIMER_IVR]);
			call_handle(&a, &ev, &quiet);
			call_handle(&b, &ev, &quiet);
			assert_int_equal(a.state, CALL_LISTENING);
		}
		int n = (int)strlen(runs[r].keys);
		call_keys(&a, runs[r].keys, n, runs[r].t0, 250, &quiet);
		for (int i = 0; i < n; i++) {
			ev = call_ev_key(runs[r].t0 + 250 * i, runs[r].keys[i]);
			call_handle(&b, &ev, &quiet);
		}
		assert_same_call(&a, &b);
		/* and the rest of the call goes the same way */
		ev = call_ev_key(runs[r].t0 + 250 * n, '#');
		call_handle(&a, &ev, &quiet);
		call_handle(&b, &ev, &quiet);
		ev = call_ev(CALL_EV_HANGUP, 20000);
		call_handle(&a, &ev, &quiet);
		call_handle(&b, &ev, &quiet);
		assert_same_call(&a, &b);
	}
	/* A sink that wants the keys gets every action, as call_handle gives. */
	cap ka = { .n = 0 }, kb = { .n = 0 };
	call_sink sa = { cap_fn, &ka, 0 }, sb = { cap_fn, &kb, 0 };
	call a, b;
	call_event ev;
	twin_calls(f, &a, &sa, &b, &sb);
	call_keys(&a, "1234", 4, 500, 250, &sa);
	for (int i = 0; i < 4; i++) {
		ev = call_ev_key(500 + 250 * i, "1234"[i]);
		call_handle(&b, &ev, &sb);
	}
	assert_int_equal(ka.n, kb.n);
	assert_non_null(last_of(&ka, CALL_ACT_STOP_PROMPT));
	assert_same_call(&a, &b);
	flow_free(f);
}

static void test_cancel_on_leave(void **state)
{
	(void)state;
	/* Every action stream keeps at most one live timer per slot, and the
	 * call ends with none: replay the actions and count. */
	flow *f = load(F_QUEUE);
	call c;
	cap k = { .n = 0 };
	call_sink s = { cap_fn, &k, 0 };
	call_init(&c, f, 1, 0, -1);
	call_event ev = call_ev(CALL_EV_PLACED, 0);
	call_handle(&c, &ev, &s);
	ev = call_ev_key(500, '1');
	call_handle(&c, &ev, &s);
	assert_int_equal(c.state, CALL_QUEUED);
	assert_int_equal(c.armed, (1u << CALL_TIMER_MAXWAIT) | (1u << CALL_TIMER_ANNOUNCE));
	ev = call_ev_answer(1000, 3);
	call_handle(&c, &ev, &s);
	assert_int_equal(c.armed, 0);
	ev = call_ev_done(2000, CALL_AGENT_RESOLVED);
	call_handle(&c, &ev, &s);
	bool live[CALL_NTIMERS] = { false };
	for (int i = 0; i < k.n; i++) {
		if (k.a[i].kind == CALL_ACT_TIMER)
			live[k.a[i].slot] = true;
		else if (k.a[i].kind == CALL_ACT_CANCEL) {
			assert_true(live[k.a[i].slot]);
			live[k.a[i].slot] = false;
		}
	}
	/* the IVR timer fired (not cancelled) only if it was not cancelled */
	assert_false(live[CALL_TIMER_MAXWAIT]);
	assert_false(live[CALL_TIMER_ANNOUNCE]);
	assert_int_equal(c.outcome, CALL_OUT_RESOLVED_TIER1);
	assert_int_equal(k.a[k.n - 1].kind, CALL_ACT_END);
	flow_free(f);
}

static void test_loop_guard_reason(void **state)
{
	(void)state;
	flow *f = load(F_LOOP);
	drv *d = run_call(f, NULL, NULL, NULL, "@2.5 k1");
	assert_true(call_ended(&d->c));
	assert_int_equal(d->c.outcome, CALL_OUT_FAILED);
	assert_non_null(d->c.end_reason);
	assert_non_null(strstr(d->c.end_reason, "zero-time loop"));
	assert_non_null(strstr(d->trace, "zero-time loop"));
	assert_true(d->c.hops > CALL_MAX_HOPS);
	free_drv(d);
	flow_free(f);
}

static void test_recorder(void **state)
{
	(void)state;
	flow *f = load(F_QUEUE);
	drv *d = run_call(f, NULL, NULL, "receipt=322123", "@1 k9 @2.5 k1 @10 ans4 @20 req @30 ans2 @40 res");
	const rec_call *rc = recorder_result(&d->rec);
	int64_t t0 = T_MON_NOON;
	assert_true(recorder_done(&d->rec));
	assert_string_equal(rc->line, "main");
	assert_string_equal(rc->lang, "en");
	assert_string_equal(rc->vars, "{\"receipt\":\"322123\"}");
	assert_int_equal(rc->arrival, t0);
	assert_int_equal(rc->end, t0 + 40000);
	assert_string_equal(rc->outcome, "request-filed");
	assert_string_equal(rc->final_node, "q2");
	assert_int_equal(rc->nkeys, 2);
	assert_int_equal(rc->keys[0].t, t0 + 1000);
	assert_int_equal(rc->keys[0].key, '9');
	assert_int_equal(rc->keys[1].key, '1');
	assert_int_equal(rc->nlegs, 2);
	assert_string_equal(rc->legs[0].queue, "q1");
	assert_int_equal(rc->legs[0].tier, 1);
	assert_int_equal(rc->legs[0].entered, t0 + 1000);   /* k9: no-match, failure -> q1 */
	assert_int_equal(rc->legs[0].answered, t0 + 10000);
	assert_int_equal(rc->legs[0].ended, t0 + 20000);
	assert_int_equal(rc->legs[0].agent, 4);
	assert_string_equal(rc->legs[0].result, "request");
	assert_string_equal(rc->legs[1].queue, "q2");
	assert_int_equal(rc->legs[1].tier, 2);
	assert_int_equal(rc->legs[1].agent, 2);
	assert_string_equal(rc->legs[1].result, "resolved");
	assert_int_equal(rc->nrequests, 1);
	assert_string_equal(rc->requests[0].type, "case");
	assert_string_equal(rc->requests[0].office, "vsc");
	assert_string_equal(rc->requests[0].status, "open");
	assert_int_equal(rc->requests[0].created, t0 + 20000);
	assert_int_equal(rc->requests[0].due, t0 + 20000 + 15 * UTIL_MS_PER_DAY);
	assert_true(rc->nvisits >= 5);
	assert_string_equal(rc->visits[0].node, "main");
	/* reuse: a second call records into the same buffers */
	int ck = d->rec.ckeys, cv = d->rec.cvisits;
	recorder_begin(&d->rec, 2);
	call_init(&d->c, f, 2, 0, -1);
	call_event ev = call_ev(CALL_EV_PLACED, t0);
	call_handle(&d->c, &ev, &d->sink);
	ev = call_ev(CALL_EV_HANGUP, t0 + 100);
	call_handle(&d->c, &ev, &d->sink);
	rc = recorder_result(&d->rec);
	assert_int_equal(rc->seq, 2);
	assert_null(rc->vars);
	assert_int_equal(rc->nlegs, 0);
	assert_string_equal(rc->outcome, "abandoned-ivr");
	assert_int_equal(d->rec.ckeys, ck);
	assert_int_equal(d->rec.cvisits, cv);
	assert_true(recorder_bytes(&d->rec) > sizeof(recorder));
	free_drv(d);
	flow_free(f);
}

static void test_deterministic_trace(void **state)
{
	(void)state;
	flow *f = load(F_QUEUE);
	const char *script = "@0.3 k7 @2.5 k1 @10 ans @20 esc @25 ask @70 ans3 @90 hup";
	drv *a = run_call(f, NULL, NULL, NULL, script);
	drv *b = run_call(f, NULL, NULL, NULL, script);
	assert_string_equal(a->trace, b->trace);
	assert_int_equal(a->nacts, b->nacts);
	for (int i = 0; i < a->nacts; i++) {
		const call_action *x = &a->acts[i], *y = &b->acts[i];
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->t, y->t);
		assert_int_equal(x->node, y->node);
		assert_int_equal(x->at, y->at);
		assert_int_equal(x->gen, y->gen);
		assert_int_equal(x->outcome, y->outcome);
	}
	free_drv(a);
	free_drv(b);
	flow_free(f);
}

/* call_place, call_answer and call_agent_done do what call_handle does
 * with the same event: every case's trace, with timers and cancels, and
 * actions are the same either way. */
static void test_direct_entries(void **state)
{
	(void)state;
	size_t n = sizeof cases / sizeof cases[0];
	for (size_t i = 0; i < n; i++) {
		flow *f = load(cases[i].flow);
		g_direct = false;
		drv *a = run_call(f, cases[i].line, cases[i].at, cases[i].vars, cases[i].script);
		g_direct = true;
		drv *b = run_call(f, cases[i].line, cases[i].at, cases[i].vars, cases[i].script);
		g_direct = false;
		assert_string_equal(a->trace, b->trace);
		assert_int_equal(a->nacts, b->nacts);
		for (int j = 0; j < a->nacts; j++) {
			/* field by field: str may point into each drv's own call */
			call_action x = a->acts[j], y = b->acts[j];
			assert_true((x.str == NULL) == (y.str == NULL));
			if (x.str)
				assert_string_equal(x.str, y.str);
			x.str = y.str = NULL;
			assert_int_equal(x.kind, y.kind);
			assert_int_equal(x.t, y.t);
			assert_int_equal(x.node, y.node);
			assert_int_equal(x.queue, y.queue);
			assert_int_equal(x.agent, y.agent);
			assert_int_equal(x.at, y.at);
			assert_int_equal(x.gen, y.gen);
			assert_int_equal(x.leg, y.leg);
			assert_int_equal(x.outcome, y.outcome);
		}
		free_drv(a);
		free_drv(b);
		flow_free(f);
	}
}

/* Which of an action's own fields (past t..agent and kind) each kind sets;
 * every other one must hold its default (call.h: the action lives in the
 * call and its fields are put back after each one). */
enum { A_PROMPT = 1, A_MS = 2, A_VAR = 4, A_GEN = 8, A_OFFICE = 16, A_COUNT = 32,
       A_TARGET = 64, A_MISS = 128, A_AT = 256, A_STR = 512, A_LEG = 1024,
       A_OUTCOME = 2048, A_SLOT = 4096, A_REFERRED = 8192, A_KEY = 16384 };

static unsigned own_fields(call_act_kind k)
{
	switch (k) {
	case CALL_ACT_PLAY: case CALL_ACT_ANNOUNCE: return A_PROMPT | A_MS;
	case CALL_ACT_STOP_PROMPT: return A_PROMPT;
	case CALL_ACT_LISTEN: return A_MS;
	case CALL_ACT_KEY: case CALL_ACT_KEY_IGNORED: return A_KEY;
	case CALL_ACT_MISS: case CALL_ACT_FAILURE: return A_MISS | A_COUNT;
	case CALL_ACT_TIMER: return A_SLOT | A_GEN | A_AT;
	case CALL_ACT_CANCEL: return A_SLOT;
	case CALL_ACT_SET_VAR: return A_VAR | A_STR;
	case CALL_ACT_LEG_END: return A_LEG;
	case CALL_ACT_REQUEST: return A_OFFICE | A_REFERRED | A_AT | A_STR;
	case CALL_ACT_END: return A_OUTCOME | A_STR;
	case CALL_ACT_OPTION: return A_STR | A_TARGET;
	case CALL_ACT_INPUT_DONE: case CALL_ACT_IGNORED: return A_STR;
	case CALL_ACT_CLOSED: return A_TARGET;
	default: return 0;
	}
}

static void test_action_defaults(void **state)
{
	(void)state;
	size_t n = sizeof cases / sizeof cases[0];
	long checked = 0;
	for (size_t i = 0; i < n; i++) {
		flow *f = load(cases[i].flow);
		drv *d = run_call(f, cases[i].line, cases[i].at, cases[i].vars, cases[i].script);
		for (int j = 0; j < d->nacts; j++) {
			const call_action *a = &d->acts[j];
			unsigned own = own_fields(a->kind);
			if (!(own & A_PROMPT)) assert_int_equal(a->prompt, -1);
			if (!(own & A_MS)) assert_int_equal(a->ms, 0);
			if (!(own & A_VAR)) assert_int_equal(a->var, -1);
			if (!(own & A_GEN)) assert_int_equal(a->gen, 0);
			if (!(own & A_OFFICE)) assert_int_equal(a->office, -1);
			if (!(own & A_COUNT)) assert_int_equal(a->count, 0);
			if (!(own & A_TARGET)) assert_int_equal(a->target, FLOW_T_NONE);
			if (!(own & A_MISS)) assert_int_equal(a->miss, 0);
			if (!(own & A_AT)) assert_int_equal(a->at, 0);
			if (!(own & A_STR)) assert_null(a->str);
			if (!(own & A_LEG)) assert_int_equal(a->leg, CALL_LEG_RESOLVED);
			if (!(own & A_OUTCOME)) assert_int_equal(a->outcome, CALL_OUT_NONE);
			if (!(own & A_SLOT)) assert_int_equal(a->slot, 0);
			if (!(own & A_REFERRED)) assert_false(a->referred);
			if (!(own & A_KEY)) assert_int_equal(a->key, 0);
			checked++;
		}
		free_drv(d);
		flow_free(f);
	}
	assert_true(checked > 1000);
}

static void test_trace_format(void **state)
{
	(void)state;
	flow *f = load(F_BASIC);
	call_action a;
	memset(&a, 0, sizeof a);
	a.kind = CALL_ACT_PLAY;
	a.t = 12400;
	a.prompt = flow_find_prompt(f, "greet");
	a.lang = 0;
	a.ms = 6800;
	a.node = -1;
	char out[128];
	size_t n = call_trace_line(f, 0, &a, false, out, sizeof out);
	assert_string_equal(out, "   12.400 play greet (en, 6.8s)");
	assert_int_equal(n, strlen(out));
	a.ms = 250;
	call_trace_line(f, 0, &a, false, out, sizeof out);
	assert_string_equal(out, "   12.400 play greet (en, 0.25s)");
	a.kind = CALL_ACT_TIMER;
	assert_int_equal(call_trace_line(f, 0, &a, false, out, sizeof out), 0);
	assert_true(call_trace_line(f, 0, &a, true, out, sizeof out) > 0);
	/* truncation stays NUL-terminated */
	a.kind = CALL_ACT_PLAY;
	n = call_trace_line(f, 0, &a, false, out, 8);
	assert_int_equal(n, 7);
	assert_int_equal(strlen(out), 7);
	flow_free(f);
}

static void test_edges(void **state)
{
	(void)state;
	flow *f = load(F_BASIC);
	call c;
	cap k = { .n = 0 };
	call_sink s = { cap_fn, &k, 0 };
	/* hang-up and keys before the call is placed */
	call_init(&c, f, 1, 0, -1);
	call_event ev = call_ev_key(0, '1');
	call_handle(&c, &ev, &s);
	assert_int_equal(k.a[0].kind, CALL_ACT_KEY_IGNORED);
	ev = call_ev(CALL_EV_HANGUP, 0);
	call_handle(&c, &ev, &s);
	assert_true(call_ended(&c));
	assert_int_equal(c.outcome, CALL_OUT_ABANDONED_IVR);
	/* placed twice; a time going back; a key that is no DTMF key */
	k.n = 0;
	call_init(&c, f, 2, 0, -1);
	ev = call_ev(CALL_EV_PLACED, 1000);
	call_handle(&c, &ev, &s);
	ev = call_ev(CALL_EV_PLACED, 1000);
	call_handle(&c, &ev, &s);
	assert_int_equal(k.a[k.n - 1].kind, CALL_ACT_IGNORED);
	ev = call_ev_key(500, 'x');
	call_handle(&c, &ev, &s);
	assert_int_equal(k.a[k.n - 1].kind, CALL_ACT_KEY_IGNORED);
	assert_int_equal(k.a[k.n - 1].t, 1000);
	assert_int_equal(c.state, CALL_PROMPTING);
	/* an unknown event kind */
	ev = call_ev((call_ev_kind)99, 1200);
	call_handle(&c, &ev, &s);
	assert_int_equal(k.a[k.n - 1].kind, CALL_ACT_IGNORED);
	/* a line that does not exist */
	call_init(&c, f, 3, 42, -1);
	ev = call_ev(CALL_EV_PLACED, 0);
	call_handle(&c, &ev, &s);
	assert_true(call_ended(&c));
	assert_int_equal(c.outcome, CALL_OUT_FAILED);
	assert_non_null(c.end_reason);
	flow_free(f);
}

/* 14 menus in a chain, each `1` forward and `*` back: the stack keeps the
 * last 12 and back walks them. */
static void test_deep_stack(void **state)
{
	(void)state;
	char text[4096];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof text - n, "line main \"1\" { start m0 }\n");
	for (int i = 0; i < 14; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
		                      "menu m%d { prompt short; option 1 -> m%d; option * -> back }\n",
		                      i, i < 13 ? i + 1 : i);
	flow *f = load(text);
	char script[256];
	size_t sn = 0;
	double t = 1;
	for (int i = 0; i < 13; i++, t += 1)
		sn += (size_t)snprintf(script + sn, sizeof script - sn, "@%g k1 ", t);
	for (int i = 0; i < 13; i++, t += 1)
		sn += (size_t)snprintf(script + sn, sizeof script - sn, "@%g k* ", t);
	snprintf(script + sn, sizeof script - sn, "@%g hup", t);
	drv *d = run_call(f, NULL, NULL, NULL, script);
	char path[1024];
	path_of(d, path, sizeof path);
	/* forward m0..m13 (14 menus: m0 and m1 fall off the bottom of the
	 * 12-deep stack), then back 11 times: m12 .. m2, and the remaining
	 * two `*` presses act as repeat. */
	const char *want = "m0 m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 "
	                   "m12 m11 m10 m9 m8 m7 m6 m5 m4 m3 m2";
	if (strcmp(path, want) != 0)
		fprintf(stderr, "path: %s\ntrace:\n%s\n", path, d->trace);
	assert_string_equal(path, want);
	assert_int_equal(d->c.depth, 1);
	assert_int_equal(d->c.outcome, CALL_OUT_ABANDONED_IVR);
	free_drv(d);
	flow_free(f);
}

static void test_recorder_vars_json(void **state)
{
	(void)state;
	flow *f = load(F_INPUT);
	recorder r;
	recorder_init(&r, f);
	call c;
	call_init(&c, f, 1, 0, -1);
	call_set_var(&c, flow_find_var(f, "receipt"), "a\"b\\c\n");
	call_sink s = recorder_sink(&r);
	call_event ev = call_ev(CALL_EV_PLACED, 5);
	call_handle(&c, &ev, &s);
	ev = call_ev(CALL_EV_HANGUP, 6);
	call_handle(&c, &ev, &s);
	const rec_call *rc = recorder_result(&r);
	assert_string_equal(rc->vars, "{\"receipt\":\"a\\\"b\\\\c\\u000a\"}");
	assert_int_equal(rc->arrival, 5);
	assert_int_equal(rc->end, 6);
	assert_string_equal(rc->final_node, "rc");
	assert_false(r.oom);
	recorder_free(&r);
	flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_stale_timers),
		cmocka_unit_test(test_call_keys),
		cmocka_unit_test(test_cancel_on_leave),
		cmocka_unit_test(test_loop_guard_reason),
		cmocka_unit_test(test_recorder),
		cmocka_unit_test(test_deterministic_trace),
		cmocka_unit_test(test_direct_entries),
		cmocka_unit_test(test_action_defaults),
		cmocka_unit_test(test_trace_format),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_deep_stack),
		cmocka_unit_test(test_recorder_vars_json),
	};
	return cmocka_run_group_tests(tests, setup_prompts, teardown_prompts);
}
