/* test_replay.c — the replay driver (replay.c): ordering, the caller's
 * patience, agent lines, expectations, determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tierline/replay.h"

static const char *FLOW =
	"flow t { languages en }\n"
	"line main \"1\" { start m }\n"
	"menu m { prompt hello; timeout 2s; tries 1; option 1 -> info; option 0 -> q;"
	" option 5 -> slow; failure -> bye }\n"
	"play info { prompt info_text; next -> hangup }\n"
	"play bye { prompt bye_text; next -> hangup }\n"
	"queue q { tier 1; escalate -> q2; supervisor -> q2 }\n"
	"queue q2 { tier 2; max_wait 1m -> bye }\n"
	"queue slow { tier 1 }\n";

static flow *F;

static int setup(void **st)
{
	(void)st;
	diag_list dl;
	diag_init(&dl);
	int rc = flow_load_string("t.flow", FLOW, strlen(FLOW), &F, &dl);
	if (rc != 0)
		diag_print(&dl, stderr);
	diag_free(&dl);
	return rc;
}

static int teardown(void **st)
{
	(void)st;
	flow_free(F);
	return 0;
}

/* Replay text; returns the result (caller frees). */
static replay_result run(const char *text, bool trace)
{
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	assert_int_equal(script_parse("t.call", text, strlen(text), &s, &dl), 0);
	if (script_check(s, F, NULL, &dl) != 0)
		diag_print(&dl, stderr);
	assert_int_equal(dl.nerrors, 0);
	diag_free(&dl);
	replay_opts o = { 0 };
	o.trace = trace;
	replay_result r;
	assert_int_equal(replay_run(F, s, &o, &r), 0);
	script_free(s);
	return r;
}

/* The menu prompt "hello" has no text: it lasts 1 s; the timeout is 2 s, so the
 * menu gives up at 3.000.  A key at exactly 3.000 comes before that timer. */
static void test_caller_before_timer(void **st)
{
	(void)st;
	replay_result r = run("call main\n3 press 1\nexpect visit info\n", true);
	if (r.status)
		fprintf(stderr, "%s%s", r.failures.p, r.trace.p);
	assert_int_equal(r.status, 0);
	replay_result_free(&r);
	r = run("call main\n3.001 press 1\nexpect visit bye\nexpect outcome failed\n", false);
	assert_int_equal(r.status, 0);
	replay_result_free(&r);
}

/* A queue with no max_wait and no later agent line: the caller hangs up at the
 * later of the queue entry and the last line's time. */
static void test_nothing_will_answer(void **st)
{
	(void)st;
	replay_result r = run("call main\n0.5 press 0\n+20s press 1\nexpect outcome abandoned-queue\n", false);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.end - r.start, 20500);
	replay_result_free(&r);
	/* queue with max_wait: no early hang-up, max_wait -> bye */
	r = run("call main\n0.5 press 0\n+1s answer\n+1s escalate\nexpect visit bye\n"
	        "expect outcome self-service\n", false);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.end - r.start, 2500 + 60000 + 1000);
	replay_result_free(&r);
}

/* Talking with no more agent lines: the caller hangs up at the last line. */
static void test_talking_forever(void **st)
{
	(void)st;
	replay_result r = run("call main\n0.5 press 0\n+1s answer\n+1m press 5\n"
	                      "expect outcome resolved-tier1\n", false);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.end - r.start, 61500);
	replay_result_free(&r);
}

static void test_agent_line_failures(void **st)
{
	(void)st;
	replay_result r = run("call main\n0.5 answer\n0.6 resolved\n0.7 press 0\n1 resolved\n"
	                      "2 supervisor\n3 answer\n4 resolved\n5 resolved\n"
	                      "expect outcome resolved-tier2\n", false);
	assert_int_equal(r.status, 1);
	assert_int_equal(r.nfailed, 3);
	assert_string_equal(r.failures.p,
		"t.call:2: expected the call waiting in a queue for 'answer', got the call in the IVR at m\n"
		"t.call:3: expected the call talking to an agent for 'resolved', got the call in the IVR at m\n"
		"t.call:5: expected the call talking to an agent for 'resolved', got the call waiting in queue q\n");
	replay_result_free(&r);
}

static void test_expectation_messages(void **st)
{
	(void)st;
	replay_result r = run("call main\n0.5 press 1\n"
	                      "expect visit q\nexpect never info\nexpect queue q\n"
	                      "expect outcome failed\nexpect prompt bye_text\nexpect never prompt info_text\n",
	                      false);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.failures.p,
		"t.call:3: expected visit q, got path m > info\n"
		"t.call:4: expected never info, got a visit at 0.5s\n"
		"t.call:5: expected queue q, got no queue\n"
		"t.call:6: expected outcome failed, got self-service\n"
		"t.call:7: expected prompt bye_text, got it never played\n"
		"t.call:8: expected never prompt info_text, got it played at 0.5s\n");
	replay_result_free(&r);
}

static void test_deterministic_and_ignored(void **st)
{
	(void)st;
	const char *text = "call main\n0.5 press 1\n+10s press 1\n+1s answer\n";
	replay_result a = run(text, true), b = run(text, true);
	assert_string_equal(a.trace.p, b.trace.p);
	assert_non_null(strstr(a.trace.p, "> press 1 (line 3) ignored: the call has ended"));
	assert_non_null(strstr(a.trace.p, "> answer (line 4) ignored: the call has ended"));
	assert_int_equal(a.status, 0);
	replay_result_free(&a);
	replay_result_free(&b);
}

static void test_patience(void **st)
{
	(void)st;
	/* A later agent line, however late, is what the caller waits for: no
	 * early hang-up in a queue without max_wait. */
	replay_result r = run("call main\n0.5 press 5\n+2h answer\n+1s resolved\n"
	                      "expect outcome resolved-tier1\n", false);
	assert_int_equal(r.status, 0);
	replay_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caller_before_timer),
		cmocka_unit_test(test_nothing_will_answer),
		cmocka_unit_test(test_talking_forever),
		cmocka_unit_test(test_agent_line_failures),
		cmocka_unit_test(test_expectation_messages),
		cmocka_unit_test(test_deterministic_and_ignored),
		cmocka_unit_test(test_patience),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
