/* test_replay_db.c — stored calls played against a flow (replay_db.c): the
 * round trip (a call recorded and played back takes the same path to the
 * same outcome), the rules for legs, the stored end and missing legs, lines
 * and languages the flow lacks, and the streaming reader over a store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "tierline/recorder.h"
#include "tierline/replay.h"
#include "tierline/store.h"

static const char *FLOW =
	"flow t { languages en es }\n"
	"line main \"1\" { start m }\n"
	"menu m { prompt hello; timeout 2s; tries 1; option 1 -> info; option 0 -> q;"
	" option 2 -> acct; option 5 -> slow; failure -> bye }\n"
	"input acct { prompt acct_p; digits 3; store acct; next -> info; failure -> bye }\n"
	"play info { prompt info_text; next -> hangup }\n"
	"play bye { prompt bye_text; next -> hangup }\n"
	"queue q { tier 1; escalate -> q2; supervisor -> q2 }\n"
	"queue q2 { tier 2; max_wait 1m -> bye }\n"
	"queue slow { tier 1 }\n";

/* The same tree with edits: option 1 goes to the queue, a play before q,
 * q2 without max_wait. */
static const char *FLOW2 =
	"flow t { languages en }\n"
	"line main \"1\" { start m }\n"
	"menu m { prompt hello; timeout 2s; tries 1; option 1 -> q; option 0 -> pre;"
	" option 2 -> acct; option 5 -> slow; failure -> bye }\n"
	"input acct { prompt acct_p; digits 3; store acct; next -> info; failure -> bye }\n"
	"play pre { prompt info_text; next -> q }\n"
	"play info { prompt info_text; next -> hangup }\n"
	"play bye { prompt bye_text; next -> hangup }\n"
	"queue q { tier 1; escalate -> q2; supervisor -> q2 }\n"
	"queue q2 { tier 2 }\n"
	"queue slow { tier 1 }\n";

static flow *F, *F2;

static flow *load(const char *text)
{
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	if (flow_load_string("t.flow", text, strlen(text), &f, &dl) != 0)
		diag_print(&dl, stderr);
	diag_free(&dl);
	return f;
}

static int setup(void **st)
{
	(void)st;
	F = load(FLOW);
	F2 = load(FLOW2);
	return F && F2 ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	flow_free(F);
	flow_free(F2);
	return 0;
}

/* Replay a script on F with a recorder; *rec holds the record afterwards. */
static call_outcome record(const char *text, recorder *rec)
{
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	assert_int_equal(script_parse("t.call", text, strlen(text), &s, &dl), 0);
	if (script_check(s, F, NULL, &dl) != 0)
		diag_print(&dl, stderr);
	assert_int_equal(dl.nerrors, 0);
	diag_free(&dl);
	recorder_init(rec, F);
	recorder_begin(rec, 7);
	replay_opts o = { 0 };
	o.extra = recorder_sink(rec);
	replay_result r;
	assert_int_equal(replay_run(F, s, &o, &r), 0);
	assert_true(recorder_done(rec));
	call_outcome out = r.outcome;
	replay_result_free(&r);
	script_free(s);
	return out;
}

static const char *SCRIPTS[] = {
	"call main\n1 press 1\n",                                   /* self-service */
	"call main\n",                                              /* no input: failure */
	"call main\n0.5 hangup\n",                                  /* abandoned-ivr */
	"call main\n1 press 0\n+20s answer\n+3m resolved\n",        /* resolved-tier1 */
	"call main\n1 press 0\n+20s answer\n+1m escalate\n+10s answer\n+2m resolved\n",
	"call main\n1 press 0\n+20s answer\n+1m escalate\n",        /* q2 max_wait -> bye */
	"call main\n1 press 0\n+45s hangup\n",                      /* abandoned-queue */
	"call main\n1 press 0\n+5s supervisor\n+10s answer\n+1m resolved\n",
	"call main\n1 press 0\n+5s answer\n+30s hangup\n",          /* hangup talking */
	"call main lang es var acct \"123\"\n1 press 2\n+500ms press 456\n",
	"call main\n0.3 press 1\n0.5 press 9\n",                    /* keys during play */
};

static void test_round_trip(void **st)
{
	(void)st;
	replay_stored *p = replay_stored_new(F);
	assert_non_null(p);
	for (size_t i = 0; i < sizeof SCRIPTS / sizeof *SCRIPTS; i++) {
		recorder rec;
		call_outcome want = record(SCRIPTS[i], &rec);
		const rec_call *rc = recorder_result(&rec);
		replay_stored_result r;
		assert_int_equal(replay_stored_play(p, rc, NULL, &r), 0);
		assert_int_equal(r.status, REPLAY_STORED_OK);
		if (r.outcome != want || !replay_path_equal(F, rc, r.path, r.npath))
			fail_msg("script %zu: outcome %s, want %s", i, call_outcome_name(r.outcome),
			         call_outcome_name(want));
		assert_int_equal(r.end, rc->end);
		recorder_free(&rec);
	}
	replay_stored_free(p);
}

/* A hand-made stored call. */
static rec_key KEYS[4];
static rec_visit VISITS[4];
static rec_leg LEGS[3];

static rec_call base_call(void)
{
	rec_call c;
	memset(&c, 0, sizeof c);
	c.seq = 1;
	c.line = "main";
	c.arrival = SCRIPT_DEFAULT_START;
	c.counted = true;
	c.keys = KEYS;
	c.visits = VISITS;
	c.legs = LEGS;
	return c;
}

/* Leg i of the new call gets stored leg i's wait, talk time and result,
 * relative to its own entry (here 3 s later, after the new `pre` play). */
static void test_legs_relative(void **st)
{
	(void)st;
	int64_t t0 = SCRIPT_DEFAULT_START;
	rec_call c = base_call();
	KEYS[0] = (rec_key){ t0 + 1000, '0' };
	c.nkeys = 1;
	LEGS[0] = (rec_leg){ "q", 1, t0 + 1000, t0 + 31000, t0 + 91000, 0, "escalated", false };
	LEGS[1] = (rec_leg){ "q2", 2, t0 + 91000, t0 + 101000, t0 + 221000, 1, "resolved", false };
	c.nlegs = 2;
	c.end = t0 + 221000;
	c.outcome = "resolved-tier2";
	replay_stored *p = replay_stored_new(F2);
	replay_stored_result r;
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.outcome, CALL_OUT_RESOLVED_TIER1 + 1);
	uint32_t pre = flow_prompt_ms(F2, flow_find_prompt(F2, "info_text"), 0);
	assert_int_equal(r.end, t0 + 221000 + pre);
	assert_int_equal(r.npath, 4);   /* m pre q q2 */
	assert_string_equal(F2->nodes[r.path[1]].name, "pre");
	replay_stored_free(p);
}

/* A leg the stored call did not have: the caller leaves at the stored end. */
static void test_missing_leg(void **st)
{
	(void)st;
	int64_t t0 = SCRIPT_DEFAULT_START;
	rec_call c = base_call();
	KEYS[0] = (rec_key){ t0 + 1000, '1' };
	c.nkeys = 1;
	c.end = t0 + 9000;
	c.outcome = "self-service";
	replay_stored *p = replay_stored_new(F2);
	replay_stored_result r;
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.outcome, CALL_OUT_ABANDONED_QUEUE);
	assert_int_equal(r.end, t0 + 9000);
	/* At the stored end while still in the IVR: the caller hangs up there. */
	c.end = t0 + 500;
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.outcome, CALL_OUT_ABANDONED_IVR);
	assert_int_equal(r.end, t0 + 500);
	/* A new leg entered after the stored end is abandoned at once: the
	 * stored leg (escalated at its end) runs 1 s later behind `pre`, and
	 * the escalation's leg into q2 has no stored counterpart. */
	KEYS[0] = (rec_key){ t0 + 1000, '0' };
	LEGS[0] = (rec_leg){ "q", 1, t0 + 1000, t0 + 1000, t0 + 5000, 0, "escalated", true };
	c.nlegs = 1;
	c.end = t0 + 5000;
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.outcome, CALL_OUT_ABANDONED_QUEUE);
	assert_int_equal(r.end, t0 + 6000);
	replay_stored_free(p);
}

/* A stored timeout in a queue that no longer has max_wait: the caller hangs
 * up after the stored wait. */
static void test_timeout_without_max_wait(void **st)
{
	(void)st;
	int64_t t0 = SCRIPT_DEFAULT_START;
	rec_call c = base_call();
	KEYS[0] = (rec_key){ t0 + 1000, '5' };
	c.nkeys = 1;
	LEGS[0] = (rec_leg){ "slow", 1, t0 + 1000, -1, t0 + 61000, -1, "timeout", false };
	c.nlegs = 1;
	c.end = t0 + 63000;
	c.outcome = "self-service";
	replay_stored *p = replay_stored_new(F2);
	replay_stored_result r;
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.outcome, CALL_OUT_ABANDONED_QUEUE);
	assert_int_equal(r.end, t0 + 61000);
	replay_stored_free(p);
}

static void test_line_and_lang(void **st)
{
	(void)st;
	rec_call c = base_call();
	c.end = c.arrival + 1000;
	c.outcome = "abandoned-ivr";
	replay_stored *p = replay_stored_new(F2);
	replay_stored_result r;
	c.line = "night";
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.status, REPLAY_STORED_NO_LINE);
	c.line = NULL;
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.status, REPLAY_STORED_NO_LINE);
	c.line = "main";
	c.lang = "es";   /* F2 has only en */
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.status, REPLAY_STORED_NO_LANG);
	c.lang = "en";
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	assert_int_equal(r.status, REPLAY_STORED_OK);
	assert_int_equal(r.outcome, CALL_OUT_ABANDONED_IVR);
	/* Garbage variables are ignored, not fatal. */
	c.vars = "{\"acct\": 5, \"nope\": \"x\"";
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	c.vars = "{\"acct\": \"1234567890123456789012345678901234567890\", \"nope\": \"x\"}";
	assert_int_equal(replay_stored_play(p, &c, NULL, &r), 0);
	replay_stored_free(p);
}

static void test_path_equal(void **st)
{
	(void)st;
	rec_call c = base_call();
	int path[2] = { flow_find_node(F, "m"), flow_find_node(F, "info") };
	VISITS[0] = (rec_visit){ "m", 0 };
	VISITS[1] = (rec_visit){ "info", 0 };
	c.nvisits = 2;
	assert_true(replay_path_equal(F, &c, path, 2));
	assert_false(replay_path_equal(F, &c, path, 1));
	VISITS[1].node = "bye";
	assert_false(replay_path_equal(F, &c, path, 2));
	VISITS[1].node = NULL;
	assert_false(replay_path_equal(F, &c, path, 2));
}

/* Store every round-trip call, read them back through the reader, and play
 * them: the same paths and outcomes. */
static void test_reader(void **st)
{
	(void)st;
	char path[] = "/tmp/test_replay_db_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	store *db = NULL;
	char err[256];
	assert_int_equal(store_open(path, &db, err, sizeof err), 0);
	int64_t none = 0;
	assert_int_equal(replay_latest_complete_run(db, &none), STORE_NOTFOUND);
	rec_run run;
	memset(&run, 0, sizeof run);
	run.mode = "replay";
	int64_t id = 0;
	assert_int_equal(store_run_begin(db, &run, &id), 0);
	size_t n = sizeof SCRIPTS / sizeof *SCRIPTS;
	call_outcome *want = calloc(n, sizeof *want);
	for (size_t i = 0; i < n; i++) {
		recorder rec;
		want[i] = record(SCRIPTS[i], &rec);
		rec_call rc = *recorder_result(&rec);
		rc.seq = i + 1;
		assert_int_equal(store_call(db, id, &rc), 0);
		recorder_free(&rec);
	}
	assert_int_equal(store_run_finish(db, id, true), 0);
	int64_t latest = 0;
	assert_int_equal(replay_latest_complete_run(db, &latest), 0);
	assert_int_equal(latest, id);

	replay_reader *rd = NULL;
	assert_int_equal(replay_reader_open(db, id, &rd, err, sizeof err), 0);
	replay_stored *p = replay_stored_new(F);
	const rec_call *c;
	size_t got = 0;
	int rc;
	while ((rc = replay_reader_next(rd, &c, err, sizeof err)) == 1) {
		assert_int_equal(c->seq, got + 1);
		replay_stored_result r;
		assert_int_equal(replay_stored_play(p, c, NULL, &r), 0);
		assert_int_equal(r.status, REPLAY_STORED_OK);
		assert_int_equal(r.outcome, want[got]);
		assert_string_equal(c->outcome, call_outcome_name(want[got]));
		assert_true(replay_path_equal(F, c, r.path, r.npath));
		assert_int_equal(r.end, c->end);
		got++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(got, n);
	replay_reader_free(rd);
	/* A run without calls reads as empty. */
	assert_int_equal(replay_reader_open(db, id + 5, &rd, err, sizeof err), 0);
	assert_int_equal(replay_reader_next(rd, &c, err, sizeof err), 0);
	replay_reader_free(rd);
	replay_stored_free(p);
	free(want);
	store_close(db);
	unlink(path);
	char side[64];
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_legs_relative),
		cmocka_unit_test(test_missing_leg),
		cmocka_unit_test(test_timeout_without_max_wait),
		cmocka_unit_test(test_line_and_lang),
		cmocka_unit_test(test_path_equal),
		cmocka_unit_test(test_reader),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
