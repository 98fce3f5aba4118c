/* test_script.c — the call-script parser and checker (script.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tierline/script.h"
#include "tierline/call.h"

static script *parse_ok(const char *text)
{
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	int rc = script_parse("t.call", text, strlen(text), &s, &dl);
	if (rc != 0)
		diag_print(&dl, stderr);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	diag_free(&dl);
	return s;
}

/* Parse text expecting an error; return the first diagnostic as
 * "LINE:COL: message" in out. */
static void parse_err(const char *text, char *out, size_t n)
{
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	int rc = script_parse("t.call", text, strlen(text), &s, &dl);
	assert_int_equal(rc, 2);
	assert_null(s);
	assert_true(dl.n > 0);
	snprintf(out, n, "%d:%d: %s", dl.items[0].line, dl.items[0].col, dl.items[0].message);
	diag_free(&dl);
}

static void test_minimal(void **st)
{
	(void)st;
	script *s = parse_ok("call main\n");
	assert_string_equal(s->line_name, "main");
	assert_int_equal(s->nsteps, 0);
	assert_int_equal(s->start, SCRIPT_DEFAULT_START);
	assert_false(s->has_at);
	/* Monday 2026-01-05 12:00 */
	assert_int_equal(util_weekday(s->start), 0);
	assert_int_equal(util_yyyymmdd(s->start), 20260105);
	assert_int_equal(util_minute_of_day(s->start), 12 * 60);
	script_free(s);
}

static void test_times_and_keys(void **st)
{
	(void)st;
	script *s = parse_ok(
		"# case status\n"
		"call main lang es var receipt \"322 \\\"x\\\"\"  # trailing comment\n"
		"+1s press 1\n"
		"12.5 press 3221234567890#   # the # key, then a comment\n"
		"+8s press 0\n"
		"+1m30s answer\n"
		"+250ms press *# every 150ms\n"
		"200 hangup\n");
	assert_string_equal(s->lang, "es");
	assert_int_equal(s->nvars, 1);
	assert_string_equal(s->vars[0].name, "receipt");
	assert_string_equal(s->vars[0].value, "322 \"x\"");
	assert_int_equal(s->nsteps, 6);
	assert_int_equal(s->steps[0].t, 1000);
	assert_string_equal(s->steps[0].keys, "1");
	assert_int_equal(s->steps[1].t, 12500);
	assert_string_equal(s->steps[1].keys, "3221234567890#");
	assert_int_equal(s->steps[1].every_ms, SCRIPT_KEY_GAP_MS);
	assert_int_equal(s->steps[2].t, 20500);
	assert_int_equal(s->steps[3].kind, SCRIPT_ANSWER);
	assert_int_equal(s->steps[3].t, 110500);
	assert_int_equal(s->steps[4].t, 110750);
	assert_string_equal(s->steps[4].keys, "*#");
	assert_int_equal(s->steps[4].every_ms, 150);
	assert_int_equal(s->steps[5].kind, SCRIPT_HANGUP);
	assert_int_equal(s->steps[5].t, 200000);
	assert_int_equal(s->steps[5].line, 8);
	assert_int_equal(script_last_t(s), 200000);
	script_free(s);
}

static void test_at(void **st)
{
	(void)st;
	script *s = parse_ok("call military at 2026-11-30 10:00\n+1s press 0\n");
	assert_true(s->has_at);
	assert_int_equal(util_yyyymmdd(s->start), 20261130);
	assert_int_equal(util_minute_of_day(s->start), 600);
	script_free(s);
	int64_t ms;
	assert_int_equal(script_parse_datetime("2026-02-28 23:59:30", &ms), 0);
	assert_int_equal(util_yyyymmdd(ms), 20260228);
	assert_int_equal(script_parse_datetime("2026-02-29 10:00", &ms), -1);
	assert_int_equal(script_parse_datetime("2028-02-29 10:00", &ms), 0);
	assert_int_equal(script_parse_datetime("2026-01-05 24:00", &ms), -1);
}

static void test_expectations(void **st)
{
	(void)st;
	script *s = parse_ok(
		"call main\n"
		"expect visit case_status\n"
		"expect never tier2\n"
		"expect queue tier1\n"
		"expect outcome request-filed\n"
		"expect request office vsc\n"
		"expect var receipt \"322\"\n"
		"expect prompt main_menu\n"
		"expect never prompt goodbye\n");
	assert_int_equal(s->nexpects, 8);
	const script_expect_kind k[] = { SCRIPT_EXP_VISIT, SCRIPT_EXP_NEVER, SCRIPT_EXP_QUEUE,
		SCRIPT_EXP_OUTCOME, SCRIPT_EXP_OFFICE, SCRIPT_EXP_VAR, SCRIPT_EXP_PROMPT,
		SCRIPT_EXP_NEVER_PROMPT };
	const char *names[] = { "case_status", "tier2", "tier1", "request-filed", "vsc",
		"receipt", "main_menu", "goodbye" };
	for (int i = 0; i < 8; i++) {
		assert_int_equal(s->expects[i].kind, k[i]);
		assert_string_equal(s->expects[i].name, names[i]);
		assert_int_equal(s->expects[i].line, i + 2);
	}
	assert_string_equal(s->expects[5].value, "322");
	script_free(s);
}

static void test_errors(void **st)
{
	(void)st;
	char m[512];
	parse_err("call main\n10 press 1\n5 press 2\n", m, sizeof m);
	assert_string_equal(m, "3:1: time goes back: 5s is before the previous line's 10s");
	parse_err("call main\n+1s press 12x4\n", m, sizeof m);
	assert_string_equal(m, "2:13: 'x' is not a DTMF key (keys are 0-9 * # A B C D)");
	parse_err("call main\n+1s presss 1\n", m, sizeof m);
	assert_string_equal(m, "2:5: unknown action 'presss' (did you mean 'press'?)");
	parse_err("call main\nexpcet visit main\n", m, sizeof m);
	assert_string_equal(m, "2:1: unknown line 'expcet' (did you mean 'expect'?)");
	parse_err("call main\n+5 press 1\n", m, sizeof m);
	assert_string_equal(m, "2:1: missing unit in '+5' (write +5s, or a bare number for seconds from the start)");
	parse_err("call main\npress 1\n", m, sizeof m);
	assert_string_equal(m, "2:1: 'press' needs a time first (+DUR after the previous line, or seconds from the start)");
	parse_err("+1s press 1\n", m, sizeof m);
	assert_string_equal(m, "1:1: a call script starts with 'call LINE'");
	parse_err("# nothing\n\n", m, sizeof m);
	assert_string_equal(m, "2:1: empty call script (it starts with 'call LINE')");
	parse_err("call main\ncall tty\n", m, sizeof m);
	assert_string_equal(m, "2:1: only one 'call' line per script");
	parse_err("call main var x\n", m, sizeof m);
	assert_string_equal(m, "1:17: expected a \"value\" after 'var x'");
	parse_err("call main\nexpect var x \"unterminated\n", m, sizeof m);
	assert_string_equal(m, "2:14: unterminated string");
	parse_err("call main\nexpect sometimes main\n", m, sizeof m);
	assert_string_equal(m, "2:8: unknown expectation 'sometimes' (visit, never, queue, outcome, request office, var, prompt)");
	parse_err("call main\nexpect visit main extra\n", m, sizeof m);
	assert_string_equal(m, "2:19: unexpected 'extra' after the expectation");
	parse_err("call main at 2026-13-01 10:00\n", m, sizeof m);
	assert_string_equal(m, "1:14: bad date (YYYY-MM-DD)");
	parse_err("call main\n1.2345 press 1\n", m, sizeof m);
	assert_true(strncmp(m, "2:1: bad time '1.2345'", 22) == 0);
	parse_err("call main\n+1s press 1 every 2\n", m, sizeof m);
	assert_string_equal(m, "2:19: bad duration '2': missing unit (ms, s, m, h or d)");
	parse_err("call main\n+1s hangup now\n", m, sizeof m);
	assert_string_equal(m, "2:12: unexpected 'now' after hangup");
	parse_err("call main\n+1s press\n", m, sizeof m);
	assert_string_equal(m, "2:11: expected keys after 'press'");
}

static void test_nul(void **st)
{
	(void)st;
	const char text[] = "call main\n+1s press 1\0 2\n";
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	assert_int_equal(script_parse("t.call", text, sizeof text - 1, &s, &dl), 2);
	assert_string_equal(dl.items[0].message, "NUL byte in a call script");
	assert_int_equal(dl.items[0].line, 2);
	assert_int_equal(dl.items[0].col, 12);
	diag_free(&dl);
}

static void test_durations(void **st)
{
	(void)st;
	int64_t ms;
	char e[128];
	assert_int_equal(script_parse_duration("1h30m", 5, &ms, e, sizeof e), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(script_parse_duration("250ms", 5, &ms, e, sizeof e), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(script_parse_duration("1.5s", 4, &ms, e, sizeof e), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(script_parse_duration("2d", 2, &ms, e, sizeof e), 0);
	assert_int_equal(ms, 2 * 86400000LL);
	assert_int_equal(script_parse_duration("5", 1, &ms, e, sizeof e), -1);
	assert_int_equal(script_parse_duration("5x", 2, &ms, e, sizeof e), -1);
	assert_int_equal(script_parse_duration("0.5ms", 5, &ms, e, sizeof e), -1);
	assert_int_equal(script_parse_duration("99999999999h", 12, &ms, e, sizeof e), -1);
	assert_int_equal(script_parse_duration("31d", 3, &ms, e, sizeof e), -1);
}

static void test_write_roundtrip(void **st)
{
	(void)st;
	const char *text =
		"call main lang es var receipt \"a\\\"b\" at 2026-11-30 10:00:05\n"
		"1.25 press 12# every 50ms\n"
		"2 press 3\n"
		"2 press 45 every 0ms\n"
		"62.005 answer\n"
		"100 supervisor\n"
		"3600 hangup\n"
		"expect outcome resolved-tier1\n"
		"expect var receipt \"x y\"\n"
		"expect never prompt p\n"
		"expect request office vsc\n";
	script *s = parse_ok(text);
	buf b;
	buf_init(&b);
	script_write(s, &b);
	assert_string_equal(b.p, text);
	script *s2 = parse_ok(b.p);
	assert_int_equal(s2->nsteps, s->nsteps);
	for (int i = 0; i < s->nsteps; i++) {
		assert_int_equal(s2->steps[i].t, s->steps[i].t);
		assert_string_equal(s2->steps[i].keys, s->steps[i].keys);
	}
	assert_int_equal(s2->start, s->start);
	buf_free(&b);
	script_free(s);
	script_free(s2);
}

static void test_fmt_secs(void **st)
{
	(void)st;
	char b[32];
	script_fmt_secs(0, b, sizeof b);
	assert_string_equal(b, "0");
	script_fmt_secs(12500, b, sizeof b);
	assert_string_equal(b, "12.5");
	script_fmt_secs(205, b, sizeof b);
	assert_string_equal(b, "0.205");
	script_fmt_secs(1050, b, sizeof b);
	assert_string_equal(b, "1.05");
}

/* A flow to check names against. */
static const char *FLOW =
	"flow t { languages en es }\n"
	"line main \"1\" { start m }\n"
	"menu m { prompt hello; option 1 -> q; option 2 -> sr; option 3 -> info }\n"
	"play info { prompt info_text; next -> hangup }\n"
	"input acct { prompt hello; digits 1..3; store receipt; next -> q }\n"
	"queue q { tier 1; request -> sr }\n"
	"request sr { type \"x\"; office by receipt; due 1d; next -> hangup }\n"
	"offices { office vsc \"V\" { receipt \"322\" }; default vsc }\n";

static flow *load_flow(void)
{
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	int rc = flow_load_string("t.flow", FLOW, strlen(FLOW), &f, &dl);
	if (rc != 0)
		diag_print(&dl, stderr);
	assert_int_equal(rc, 0);
	diag_free(&dl);
	return f;
}

static void check_err(flow *f, const char *text, const char *line_override, const char *want)
{
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	assert_int_equal(script_parse("t.call", text, strlen(text), &s, &dl), 0);
	assert_int_equal(script_check(s, f, line_override, &dl), 2);
	char m[512];
	snprintf(m, sizeof m, "%d:%d: %s", dl.items[0].line, dl.items[0].col, dl.items[0].message);
	assert_string_equal(m, want);
	diag_free(&dl);
	script_free(s);
}

static void test_check(void **st)
{
	(void)st;
	flow *f = load_flow();
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	const char *ok = "call main lang es var receipt \"322\"\n"
	                 "expect visit info\nexpect queue q\nexpect outcome resolved-tier1\n"
	                 "expect request office vsc\nexpect prompt info_text\nexpect var receipt \"3\"\n";
	assert_int_equal(script_parse("t.call", ok, strlen(ok), &s, &dl), 0);
	assert_int_equal(script_check(s, f, NULL, &dl), 0);
	assert_int_equal(s->line, 0);
	assert_int_equal(s->lang_idx, 1);
	assert_int_equal(s->expects[2].idx, CALL_OUT_RESOLVED_TIER1);
	script_free(s);
	diag_free(&dl);

	check_err(f, "call mian\n", NULL, "1:6: unknown line 'mian' (did you mean 'main'?)");
	check_err(f, "call main lang fr\n", NULL, "1:16: unknown language 'fr'");
	check_err(f, "call main var reciept \"1\"\n", NULL,
	          "1:15: unknown variable 'reciept' (did you mean 'receipt'?)");
	check_err(f, "call main\nexpect visit infoo\n", NULL,
	          "2:14: unknown node 'infoo' (did you mean 'info'?)");
	check_err(f, "call main\nexpect queue qq\n", NULL, "2:14: unknown queue 'qq' (did you mean 'q'?)");
	check_err(f, "call main\nexpect outcome resolved-tier2\n", NULL,
	          "2:16: outcome 'resolved-tier2' cannot happen: no queue of tier 2 in the flow");
	check_err(f, "call main\nexpect outcome self-servic\n", NULL,
	          "2:16: unknown outcome 'self-servic' (did you mean 'self-service'?)");
	check_err(f, "call main\nexpect request office vsx\n", NULL,
	          "2:23: unknown office 'vsx' (did you mean 'vsc'?)");
	check_err(f, "call main\nexpect never prompt helo\n", NULL,
	          "2:21: unknown prompt 'helo' (did you mean 'hello'?)");
	check_err(f, "call main\n", "mani", "0:0: --line: unknown line 'mani' (did you mean 'main'?)");
	flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_times_and_keys),
		cmocka_unit_test(test_at),
		cmocka_unit_test(test_expectations),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_fmt_secs),
		cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
