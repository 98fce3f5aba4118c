/* test_scenario.c — scen_load: every construct, defaults, profiles, answer
 * lookup, every error and warning the checker makes, and garbage input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tierline/scenario.h"

/* Like tests/scenarios/flows/small.flow, without a prompt folder. */
static const char small_flow[] =
	"flow small { languages en es fr }\n"
	"line main \"1-555-0100\" { start lang_menu }\n"
	"line night \"1-555-0101\" { start main_menu; hours office; closed -> night_q }\n"
	"hours office { mon-fri 08:00-18:00 }\n"
	"menu lang_menu { prompt p; option 1 -> main_menu; option 2 -> spanish }\n"
	"set spanish { lang es; next -> main_menu }\n"
	"menu main_menu {\n"
	"  prompt p\n"
	"  option 1 -> receipt\n"
	"  option 0 -> desk\n"
	"  option 42 -> info\n"
	"  option * -> lang_menu\n"
	"  option # -> back\n"
	"  failure -> desk\n"
	"}\n"
	"play info { prompt p; next -> hangup }\n"
	"input receipt { prompt p; digits 4..6; store receipt; next -> desk; failure -> desk }\n"
	"queue desk { tier 1; escalate -> desk2; request -> sr }\n"
	"queue desk2 { tier 2; max_wait 10m -> bye }\n"
	"queue night_q { tier 1 }\n"
	"queue orphan { tier 1 }\n"
	"request sr { type \"test\"; office main_office; due 1d; next -> bye }\n"
	"offices { office main_office \"Main Office\" { receipt \"1\" } }\n"
	"play bye { prompt p; next -> hangup }\n";

static flow *F;

static int setup(void **state)
{
	diag_list dl;
	diag_init(&dl);
	int r = flow_load_string("small.flow", small_flow, sizeof small_flow - 1, &F, &dl);
	if (r != 0)
		diag_print(&dl, stderr);
	diag_free(&dl);
	return r;
}

static int teardown(void **state)
{
	flow_free(F);
	return 0;
}

static const char every[] =
	"# every construct\n"
	"scenario every {\n"
	"  start 2026-11-30 07:00\n"
	"  length 14h\n"
	"  interval 15m\n"
	"  seed 42\n"
	"  warmup 30m\n"
	"  arrivals main { rate 200/h }\n"
	"  arrivals night {\n"
	"    profile 00:00 0.05/s, 08:00 3/m, 18:00 20/h\n"
	"  }\n"
	"  lang es 25%\n"
	"  lang fr 5%\n"
	"  caller {\n"
	"    think exp(2s)\n"
	"    bargein 30%\n"
	"    patience lognormal(3m, 1m)\n"
	"    redial 20% after exp(30m)\n"
	"    supervisor 5% after uniform(1m, 3m)\n"
	"    menu lang_menu { 1 70%; 2 30% }\n"
	"    menu lang_menu lang es { 2 95%; 1 5% }\n"
	"    menu main_menu {\n"
	"      # a comment, not the key '#'\n"
	"      1 40%; 0 20%; 42 10%; * 5%; # 5%\n"
	"      noinput 10%; nomatch 5%; hangup 5%\n"
	"    }\n"
	"    input receipt { valid 80%; short 5%; long 5%; noinput 5%; hangup 5%\n"
	"                    prefix \"12\" 60%, \"34\" 40% }\n"
	"  }\n"
	"  agents desk {\n"
	"    staff 07:00 4, 09:00 10, 17:00 3\n"
	"    speaks en 100%, es 30%\n"
	"    handle gamma(6m, 3m)\n"
	"    wrapup 30s\n"
	"    outcome resolved 70%, escalate 20%, request 10%\n"
	"  }\n"
	"  agents desk2 { staff 2; handle erlang(3, 12m); wrapup const(1m); outcome resolved 100% }\n"
	"  agents night_q { staff 1; handle 5m }\n"
	"}\n";

static scenario *load(const char *text, diag_list *dl, int *rc)
{
	scenario *s = NULL;
	*rc = scen_load_string("t.scenario", text, strlen(text), F, &s, dl);
	return s;
}

static scenario *load_ok(const char *text)
{
	diag_list dl;
	diag_init(&dl);
	int rc;
	scenario *s = load(text, &dl, &rc);
	if (rc != 0 || dl.n != 0)
		diag_print(&dl, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(dl.n, 0);
	assert_non_null(s);
	diag_free(&dl);
	return s;
}

static const scen_choice *choice(const scen_answer *a, scen_choice_kind k, const char *keys)
{
	for (int i = 0; i < a->nchoices; i++)
		if (a->choices[i].kind == k && (!keys || strcmp(a->choices[i].keys, keys) == 0))
			return &a->choices[i];
	return NULL;
}

#define H (3600000.0)
#define NEAR(a, b) assert_true(dabs((double)(a) - (double)(b)) < 1e-9 * (1 + dabs((double)(b))))
static double dabs(double x) { return x < 0 ? -x : x; }

static void test_every_construct(void **state)
{
	scenario *s = load_ok(every);
	assert_string_equal(s->name, "every");
	assert_int_equal(s->start, util_days_from_civil(2026, 11, 30) * UTIL_MS_PER_DAY + 7 * 3600000LL);
	assert_int_equal(s->length_ms, 14 * 3600000LL);
	assert_int_equal(s->interval_ms, 15 * 60000LL);
	assert_int_equal(s->seed, 42);
	assert_true(s->has_seed);
	assert_int_equal(s->warmup_ms, 30 * 60000LL);

	assert_int_equal(s->narrivals, 2);
	assert_int_equal(s->arrivals[0].line, flow_find_line(F, "main"));
	assert_int_equal(s->arrivals[0].rate.nsteps, 1);
	NEAR(s->arrivals[0].rate.steps[0].value, 200.0 / H);
	const scen_profile *pr = &s->arrivals[1].rate;
	assert_int_equal(pr->nsteps, 3);
	assert_int_equal(pr->steps[1].minute, 8 * 60);
	NEAR(pr->steps[0].value, 0.05 / 1000.0);
	NEAR(pr->steps[1].value, 3.0 / 60000.0);
	NEAR(pr->steps[2].value, 20.0 / H);

	NEAR(s->lang_share[0], 0.70);
	NEAR(s->lang_share[1], 0.25);
	NEAR(s->lang_share[2], 0.05);

	const scen_caller *c = &s->caller;
	assert_true(c->has_think);
	assert_int_equal(c->think.kind, DIST_EXP);
	NEAR(dist_mean(&c->think), 2000);
	NEAR(c->bargein, 0.30);
	assert_true(c->has_patience);
	assert_int_equal(c->patience.kind, DIST_LOGNORMAL);
	NEAR(c->redial, 0.20);
	NEAR(dist_mean(&c->redial_after), 30 * 60000.0);
	NEAR(c->ask_supervisor, 0.05);
	assert_int_equal(c->ask_after.kind, DIST_UNIFORM);
	assert_int_equal(c->nanswers, 4);

	int mm = flow_find_node(F, "main_menu");
	const scen_answer *a = scen_answer_for(s, mm, 0);
	assert_non_null(a);
	assert_int_equal(a->nchoices, 8);
	NEAR(choice(a, SCEN_OPTION, "42")->share, 0.10);
	NEAR(choice(a, SCEN_OPTION, "*")->share, 0.05);
	NEAR(choice(a, SCEN_OPTION, "#")->share, 0.05);
	NEAR(choice(a, SCEN_NOINPUT, NULL)->share, 0.10);
	NEAR(choice(a, SCEN_NOMATCH, NULL)->share, 0.05);
	NEAR(choice(a, SCEN_HANGUP, NULL)->share, 0.05);

	int rc_ = flow_find_node(F, "receipt");
	a = scen_answer_for(s, rc_, 1);
	assert_non_null(a);
	assert_int_equal(a->nchoices, 5);
	NEAR(choice(a, SCEN_LONG, NULL)->share, 0.05);
	NEAR(choice(a, SCEN_VALID, NULL)->share, 0.80);
	assert_int_equal(a->nprefixes, 2);
	assert_string_equal(a->prefixes[1].prefix, "34");
	NEAR(a->prefixes[1].share, 0.40);

	assert_int_equal(s->nagents, 3);
	int qd = flow_find_queue(F, "desk");
	const scen_agents *ag = &s->agents[s->agents_of_queue[qd]];
	assert_int_equal(ag->queue, qd);
	assert_int_equal(ag->staff.nsteps, 3);
	NEAR(ag->staff.steps[1].value, 10);
	NEAR(ag->speaks[0], 1.0);
	NEAR(ag->speaks[1], 0.30);
	assert_true(ag->speaks[2] < 0);
	assert_int_equal(ag->handle.kind, DIST_GAMMA);
	assert_true(ag->has_wrapup);
	NEAR(dist_mean(&ag->wrapup), 30000);
	NEAR(ag->outcome[CALL_AGENT_RESOLVED], 0.70);
	NEAR(ag->outcome[CALL_AGENT_ESCALATE], 0.20);
	NEAR(ag->outcome[CALL_AGENT_SUPERVISOR], 0.0);
	NEAR(ag->outcome[CALL_AGENT_REQUEST], 0.10);
	ag = &s->agents[s->agents_of_queue[flow_find_queue(F, "desk2")]];
	assert_int_equal(ag->handle.kind, DIST_ERLANG);
	NEAR(ag->handle.p1, 3);
	assert_int_equal(ag->wrapup.kind, DIST_CONST);
	ag = &s->agents[s->agents_of_queue[flow_find_queue(F, "night_q")]];
	assert_int_equal(ag->handle.kind, DIST_CONST);    /* bare duration */
	NEAR(ag->handle.p1, 300000);
	assert_int_equal(s->agents_of_queue[flow_find_queue(F, "orphan")], -1);
	scen_free(s);
}

static const char minimal[] =
	"scenario m {\n"
	"  start 2026-11-30 07:00; length 1h\n"
	"  arrivals main { rate 100/h }\n"
	"  agents desk { staff 2; handle 5m }\n"
	"  agents desk2 { staff 1; handle 5m }\n"
	"  agents night_q { staff 1; handle 5m }\n"
	"}\n";

static void test_defaults(void **state)
{
	scenario *s = load_ok(minimal);
	assert_int_equal(s->interval_ms, 30 * 60000LL);
	assert_int_equal(s->seed, 1);
	assert_false(s->has_seed);
	assert_int_equal(s->warmup_ms, 0);
	NEAR(s->lang_share[0], 1.0);
	NEAR(s->lang_share[1], 0.0);
	assert_false(s->caller.has_think);
	assert_false(s->caller.has_patience);
	NEAR(s->caller.bargein, 0);
	NEAR(s->caller.redial, 0);
	NEAR(s->caller.ask_supervisor, 0);
	for (int i = 0; i < s->nagents; i++) {
		NEAR(s->agents[i].outcome[CALL_AGENT_RESOLVED], 1.0);
		assert_false(s->agents[i].has_wrapup);
		for (int l = 0; l < FLOW_MAX_LANGS; l++)
			assert_true(s->agents[i].speaks[l] < 0);
	}
	/* No answer blocks: menus are answered uniformly. */
	assert_null(scen_answer_for(s, flow_find_node(F, "main_menu"), 0));
	assert_null(scen_answer_for(s, -1, 0));
	assert_null(scen_answer_for(s, F->nnodes, 0));
	scen_free(s);
}

static void test_answer_for_language(void **state)
{
	scenario *s = load_ok(every);
	int lm = flow_find_node(F, "lang_menu");
	const scen_answer *all = scen_answer_for(s, lm, 0);
	const scen_answer *es = scen_answer_for(s, lm, 1);
	const scen_answer *fr = scen_answer_for(s, lm, 2);
	assert_non_null(all);
	assert_non_null(es);
	assert_int_equal(all->lang, -1);
	assert_int_equal(es->lang, 1);
	assert_ptr_equal(fr, all);      /* no fr block: the general one */
	assert_ptr_equal(scen_answer_for(s, lm, -1), all);
	NEAR(choice(es, SCEN_OPTION, "2")->share, 0.95);
	scen_free(s);
}

static void test_profiles(void **state)
{
	scen_step st[] = { { 7 * 60, 1 }, { 9 * 60, 2 }, { 17 * 60, 3 } };
	scen_profile p = { st, 3 };
	int64_t day = util_days_from_civil(2026, 11, 30) * UTIL_MS_PER_DAY;
	int64_t m = 60000;
	NEAR(scen_profile_at(&p, day + 7 * 60 * m), 1);
	NEAR(scen_profile_at(&p, day + 9 * 60 * m - 1), 1);
	NEAR(scen_profile_at(&p, day + 9 * 60 * m), 2);
	NEAR(scen_profile_at(&p, day + 23 * 60 * m), 3);
	NEAR(scen_profile_at(&p, day + 3 * 60 * m), 3);    /* carried over from yesterday */
	assert_int_equal(scen_profile_next(&p, day), day + 7 * 60 * m);
	assert_int_equal(scen_profile_next(&p, day + 7 * 60 * m), day + 9 * 60 * m);
	assert_int_equal(scen_profile_next(&p, day + 20 * 60 * m), day + UTIL_MS_PER_DAY + 7 * 60 * m);
	scen_step one[] = { { 0, 5 } };
	scen_profile q = { one, 1 };
	NEAR(scen_profile_at(&q, day + 123456), 5);
	assert_int_equal(scen_profile_next(&q, day), INT64_MAX);
	/* Before 1970 (negative local ms) still finds the time of day. */
	NEAR(scen_profile_at(&p, -UTIL_MS_PER_DAY + 8 * 60 * m), 1);
}

/* ---- errors: each snippet inside a valid frame, with the code it gives ---- */
typedef struct bad_case {
	const char *body;      /* statements added to the minimal scenario */
	const char *code;      /* expected diagnostic code */
	const char *text;      /* a piece of its message */
} bad_case;

static const bad_case bad_cases[] = {
	{ "interval 30m $", "bad-char", "'$'" },
	{ "interval 3x", "bad-duration", "3x" },
	{ "interval 30", "missing-unit", "no unit" },
	{ "interval 10%", "percent-not-duration", "percent" },
	{ "caller { think 2 }", "missing-unit", "'2' after 'think'" },
	{ "caller { patience exp(3) }", "bad-distribution", "bare number" },
	{ "caller { think expo(2s) }", "bad-distribution", "did you mean 'exp'" },
	{ "caller { think exp(2s }", "syntax", "missing its ')'" },
	{ "caller { think lognormal(2s) }", "bad-distribution", "2 arguments" },
	{ "caller { think gamma(2s, 0s) }", "bad-distribution", "" },
	{ "caller { bargein 120% }", "percent-range", "over 100%" },
	{ "caller { bargein 30 }", "missing-percent", "needs a '%'" },
	{ "caller { redial 20% exp(3m) }", "syntax", "'after'" },
	{ "caller { think 1s; think 2s }", "duplicate-statement", "given twice" },
	{ "caller { patiense exp(3m) }", "unknown-keyword", "did you mean 'patience'" },
	{ "caller { think 1s\n", "unbalanced-braces", "never closed" },
	{ "arrivals nigth { rate 5/h }", "unknown-line", "did you mean 'night'" },
	{ "arrivals main { rate 5/h }", "duplicate-block", "second 'arrivals main'" },
	{ "arrivals night { rate 5 }", "missing-unit", "5/h" },
	{ "arrivals night { rate 5/x }", "bad-rate", "units are" },
	{ "arrivals night { }", "missing-rate", "needs 'rate' or 'profile'" },
	{ "arrivals night { rate 1/h; profile 07:00 1/h }", "duplicate-statement", "one 'rate'" },
	{ "arrivals night { rat 1/h }", "unknown-keyword", "did you mean 'rate'" },
	{ "arrivals night { profile 08:00 10/h, 07:00 5/h }", "profile-order", "must increase" },
	{ "arrivals night { profile 24:00 10/h }", "bad-clock", "24:00" },
	{ "caller { menu main_mnu { 1 100% } }", "unknown-node", "did you mean 'main_menu'" },
	{ "caller { input reciept { valid 100% } }", "unknown-node", "did you mean 'receipt'" },
	{ "caller { menu receipt { 1 100% } }", "wrong-kind", "is an input, not a menu" },
	{ "caller { input main_menu { valid 100% } }", "wrong-kind", "is a menu, not an input" },
	{ "caller { menu desk { 1 100% } }", "wrong-kind", "queue node" },
	{ "caller { menu main_menu { 7 50%; 1 50% } }", "unknown-option", "no option '7'" },
	{ "caller { menu main_menu { 1x 50%; 1 50% } }", "bad-key", "not a key string" },
	{ "caller { menu main_menu { 1 50%; 1 50% } }", "duplicate-share", "given twice" },
	{ "caller { menu main_menu { noinptu 100% } }", "unknown-keyword", "did you mean 'noinput'" },
	{ "caller { menu lang_menu { 1 60%; 2 30% } }", "shares-sum", "90%" },
	{ "caller { menu lang_menu { 1 99.98%; 2 0.005% } }", "shares-sum", "99.985%" },
	{ "caller { menu lang_menu { } }", "empty-block", "no shares" },
	{ "caller { menu lang_menu lang de { 1 100% } }", "unknown-lang", "de" },
	{ "caller { menu lang_menu { 1 100% }; menu lang_menu { 2 100% } }", "duplicate-block",
	  "second 'menu lang_menu'" },
	{ "caller { input receipt { valid 90%; nomatch 10% } }", "unknown-keyword", "'short'" },
	{ "caller { input receipt { valid 100%; prefix \"12\" 50%, \"34\" 40% } }", "shares-sum",
	  "prefix shares" },
	{ "caller { input receipt { valid 100%; prefix \"1#\" 100% } }", "bad-prefix", "terminator" },
	{ "caller { input receipt { valid 100%; prefix \"1234567\" 100% } }", "bad-prefix",
	  "6 keys at most" },
	{ "caller { input receipt { valid 100%; prefix 12 100% } }", "syntax", "prefix string" },
	{ "caller { }\ncaller { }", "duplicate-block", "second 'caller'" },
	{ "lang ez 20%", "unknown-lang", "did you mean 'en'" },
	{ "lang es 60%\nlang fr 50%", "shares-sum", "110%" },
	{ "lang es 20%\nlang es 10%", "duplicate-lang", "twice" },
	{ "lang en 70%, es 20%", "shares-sum", "90%" },
	{ "agents dsk { staff 1; handle 5m }", "unknown-queue", "did you mean 'desk'" },
	{ "agents desk { staff 1; handle 5m }", "duplicate-block", "second 'agents desk'" },
	{ "agents orphan { handle 5m }", "missing-staff", "no 'staff'" },
	{ "agents orphan { staff 1 }", "missing-handle", "no 'handle'" },
	{ "agents orphan { staff 1.5; handle 5m }", "bad-number", "whole number" },
	{ "agents orphan { staff 08:00 2, 08:00 3; handle 5m }", "profile-order", "must increase" },
	{ "agents orphan { staff 1; handle 5m; outcome resolved 70%, escalate 20% }",
	  "shares-sum", "90%" },
	{ "agents orphan { staff 1; handle 5m; outcome resolvd 100% }", "unknown-outcome",
	  "did you mean 'resolved'" },
	{ "agents orphan { staff 1; handle 5m; outcome resolved 50%, resolved 50% }",
	  "duplicate-share", "twice" },
	{ "agents orphan { staff 1; handle 5m; speaks es 30%, es 20% }", "duplicate-share",
	  "twice" },
	{ "agents orphan { staff 1; handle 5m; speaks de 30% }", "unknown-lang", "de" },
	{ "agents orphan { staff 1; handle 5m; wrapp 1s }", "unknown-keyword",
	  "did you mean 'wrapup'" },
	{ "agents orphan { staff 1; handle 5m\nagents x { }", "unknown-keyword",
	  "is a '}' missing" },
	{ "lenght 2h", "unknown-keyword", "did you mean 'length'" },
	{ "length 2h", "duplicate-statement", "given twice" },
	{ "seed x", "bad-number", "whole number" },
};

static bool has_diag(const diag_list *dl, diag_severity sev, const char *code, const char *text)
{
	for (int i = 0; i < dl->n; i++)
		if (dl->items[i].severity == sev && strcmp(dl->items[i].code, code) == 0 &&
		    strstr(dl->items[i].message, text) && dl->items[i].line > 0)
			return true;
	return false;
}

static char *with_body(const char *body)
{
	static const char head[] =
		"scenario m {\n"
		"  start 2026-11-30 07:00; length 1h\n"
		"  arrivals main { rate 100/h }\n"
		"  agents desk { staff 2; handle 5m }\n"
		"  agents desk2 { staff 1; handle 5m }\n"
		"  agents night_q { staff 1; handle 5m }\n";
	size_t n = strlen(head) + strlen(body) + 8;
	char *t = malloc(n);
	assert_non_null(t);
	snprintf(t, n, "%s%s\n}\n", head, body);
	return t;
}

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const bad_case *c = &bad_cases[i];
		char *text = with_body(c->body);
		diag_list dl;
		diag_init(&dl);
		int rc;
		scenario *s = load(text, &dl, &rc);
		if (rc != 1 || !has_diag(&dl, DIAG_ERROR, c->code, c->text)) {
			fprintf(stderr, "case %zu: %s\n", i, c->body);
			diag_print(&dl, stderr);
		}
		assert_int_equal(rc, 1);
		assert_null(s);
		assert_true(has_diag(&dl, DIAG_ERROR, c->code, c->text));
		diag_free(&dl);
		free(text);
	}
}

static void test_header_errors(void **state)
{
	static const struct { const char *text, *code; } cases[] = {
		{ "scenario m {\n  arrivals main { rate 1/h }\n}\n", "missing-start" },
		{ "scenario m {\n  start 2026-11-30 07:00\n}\n", "missing-length" },
		{ "start 2026-11-30 07:00\n", "syntax" },
		{ "", "missing-header" },
		{ "scenario a { start 2026-11-30 07:00; length 1h }\nscenario b { }\n",
		  "duplicate-header" },
		{ "scenario m { start 2026-11-30 07:00; length 1h }\n", "missing-agents" },
		{ "scenario m { start 2026-11-30 07:00; length 1h }\nextra\n", "syntax" },
		{ "scenario m { start 2026-11-30 24:00; length 1h }\n", "bad-clock" },
		{ "scenario m { start 2026-02-30 07:00; length 1h }\n", "bad-date" },
		{ "scenario m { start 07:00; length 1h }\n", "syntax" },
		{ "scenario m { start 2026-11-30 07:00; length 0s }\n", "bad-duration" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		diag_list dl;
		diag_init(&dl);
		int rc;
		scenario *s = load(cases[i].text, &dl, &rc);
		bool found = false;
		for (int k = 0; k < dl.n; k++)
			if (strcmp(dl.items[k].code, cases[i].code) == 0)
				found = true;
		if (!found || rc != 1) {
			fprintf(stderr, "header case %zu\n", i);
			diag_print(&dl, stderr);
		}
		assert_int_equal(rc, 1);
		assert_null(s);
		assert_true(found);
		diag_free(&dl);
	}
}

/* Every queue the flow can reach needs agents, and it is named. */
static void test_missing_agents_named(void **state)
{
	static const char text[] =
		"scenario m {\n"
		"  start 2026-11-30 07:00; length 1h\n"
		"  agents desk { staff 2; handle 5m }\n"
		"}\n";
	diag_list dl;
	diag_init(&dl);
	int rc;
	scenario *s = load(text, &dl, &rc);
	assert_int_equal(rc, 1);
	assert_null(s);
	/* desk2 via desk's escalate target, night_q via the night line's closed exit. */
	assert_true(has_diag(&dl, DIAG_ERROR, "missing-agents", "'desk2'"));
	assert_true(has_diag(&dl, DIAG_ERROR, "missing-agents", "'night_q'"));
	assert_false(has_diag(&dl, DIAG_ERROR, "missing-agents", "'orphan'"));
	assert_int_equal(dl.nerrors, 2);
	assert_int_equal(dl.items[0].line, 1);     /* at the scenario header */
	diag_free(&dl);
}

static void test_warnings(void **state)
{
	char *text = with_body(
		"  arrivals night { profile 07:00 0/h, 12:00 0/h }\n"
		"  agents orphan { staff 1; handle 5m; outcome resolved 90%, supervisor 5%, request 5% }\n"
		"  warmup 2h\n");
	diag_list dl;
	diag_init(&dl);
	int rc;
	scenario *s = load(text, &dl, &rc);
	if (rc != 0)
		diag_print(&dl, stderr);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	assert_int_equal(dl.nerrors, 0);
	assert_true(has_diag(&dl, DIAG_WARNING, "zero-arrivals", "'night'"));
	assert_true(has_diag(&dl, DIAG_WARNING, "unreachable-queue", "'orphan'"));
	assert_true(has_diag(&dl, DIAG_WARNING, "outcome-no-target", "'supervisor'"));
	assert_true(has_diag(&dl, DIAG_WARNING, "outcome-no-target", "'request'"));
	assert_true(has_diag(&dl, DIAG_WARNING, "warmup-too-long", "whole run"));
	assert_int_equal(dl.nwarnings, 5);
	/* The warnings do not stop the scenario from loading. */
	assert_int_equal(s->agents_of_queue[flow_find_queue(F, "orphan")], 3);
	scen_free(s);
	diag_free(&dl);
	free(text);
}

/* The shares' tolerance is 0.01 percentage points. */
static void test_share_tolerance(void **state)
{
	char *text = with_body("caller { menu lang_menu { 1 33.333%; 2 66.666% } }");
	scenario *s = load_ok(text);
	scen_free(s);
	free(text);
}

static void test_unreadable_file(void **state)
{
	diag_list dl;
	diag_init(&dl);
	scenario *s = (scenario *)1;
	assert_int_equal(scen_load("/nonexistent/x.scenario", F, &s, &dl), 2);
	assert_null(s);
	assert_int_equal(dl.nerrors, 1);
	diag_free(&dl);
}

/* Mutations of a good scenario: never a crash, a hang or a leak (ASan). */
static void test_garbage(void **state)
{
	size_t n = sizeof every - 1;
	char *text = malloc(n + 1);
	assert_non_null(text);
	uint64_t x = 88172645463325252ULL;
	static const char junk[] = "{}()/%;,#*\"\n\t -.:0123456789abcxyz\x80\xff";
	for (int round = 0; round < 3000; round++) {
		memcpy(text, every, n + 1);
		int edits = 1 + round % 8;
		for (int e = 0; e < edits; e++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			size_t at = (size_t)(x % n);
			text[at] = junk[(x >> 32) % (sizeof junk - 1)];
		}
		size_t len = round % 5 == 0 ? (size_t)((x >> 16) % n) : n;
		diag_list dl;
		diag_init(&dl);
		scenario *s = NULL;
		int rc = scen_load_string("g.scenario", text, len, F, &s, &dl);
		assert_true(rc == 0 || rc == 1);
		assert_true((rc == 0) == (s != NULL));
		scen_free(s);
		diag_free(&dl);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_construct),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_answer_for_language),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_missing_agents_named),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_share_tolerance),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
