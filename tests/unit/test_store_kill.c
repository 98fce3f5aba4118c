/* test_store_kill.c — durability: a writer process killed with SIGKILL at
 * many moments leaves a database that opens, passes integrity_check and
 * foreign_key_check, keeps every earlier run intact (same figures), and
 * shows the interrupted run as incomplete with whole batches only.
 *
 * Also a helper for the end-to-end tests (not run by the suite):
 *   test_store_kill --make DB N [SEED] [--incomplete]
 * writes one synthetic run of N calls into DB and prints its id. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "tierline/store.h"
#include "test_store_synth.h"

#define BATCH 500
#define RUN_CALLS 1000

static char dir[256], db[300];

static int64_t q1(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	int rc = sqlite3_step(st);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999;
	sqlite3_finalize(st);
	return v;
}

static int make_run(const char *path, int n, uint64_t seed, bool complete, int batch,
                    int64_t *id_out)
{
	store *s;
	char err[512];
	if (store_open(path, &s, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	store_set_batch(s, batch);
	rec_run run = synth_run(seed);
	int64_t id;
	synth_call sc;
	if (store_run_begin(s, &run, &id) != STORE_OK)
		goto fail;
	for (int i = 0; i < n; i++) {
		synth_make(seed, (uint64_t)i, &sc);
		if (store_call(s, id, &sc.c) != STORE_OK)
			goto fail;
	}
	for (int q = 0; q < 3; q++)
		for (int k = 0; k < 28; k++) {
			rec_interval iv;
			synth_interval(seed, q, k, &iv);
			if (store_interval(s, id, &iv) != STORE_OK)
				goto fail;
		}
	if (complete && store_run_finish(s, id, true) != STORE_OK)
		goto fail;
	if (!complete && store_flush(s) != STORE_OK)
		goto fail;
	if (id_out)
		*id_out = id;
	store_close(s);
	return 0;
fail:
	fprintf(stderr, "%s\n", store_errmsg(s));
	store_close(s);
	return 2;
}

/* Child bodies: never return normally before being killed. */
static void child_one_long_run(uint64_t seed)
{
	make_run(db, 5000000, seed, true, BATCH, NULL);
	_exit(3);
}

static void child_many_runs(uint64_t seed)
{
	for (uint64_t k = 0; k < 100000; k++)
		if (make_run(db, RUN_CALLS, seed + k, true, BATCH, NULL) != 0)
			_exit(4);
	_exit(3);
}

static void check_db(const store_figs *first_figs, int64_t first_id)
{
	store *s;
	char err[512];
	/* a writer open: recovers the WAL the dead writer left */
	if (store_open(db, &s, err, sizeof err) != STORE_OK)
		fail_msg("reopen after kill: %s", err);
	sqlite3 *h = store_sqlite(s);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	assert_int_equal(q1(h, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* the first run is whole and its figures unchanged */
	store_figs f;
	assert_int_equal(store_figures(s, first_id, &f), STORE_OK);
	char why[256];
	if (!store_figures_equal(first_figs, &f, 0.0, why, sizeof why))
		fail_msg("first run changed after a kill: %s", why);
	store_figures_free(&f);
	/* complete runs have all their calls; incomplete ones whole batches */
	assert_int_equal(q1(h, "SELECT count(*) FROM runs WHERE complete AND "
	                       "calls != (SELECT count(*) FROM calls WHERE run = runs.id)"), 0);
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE NOT complete AND "
	         "(SELECT count(*) FROM calls WHERE run = runs.id) %% %d != 0", BATCH);
	assert_int_equal(q1(h, sql), 0);
	store_close(s);
}

static void kill_rounds(void (*child)(uint64_t), int rounds, uint64_t seed0, int *incomplete_seen)
{
	unlink(db);
	int64_t first;
	assert_int_equal(make_run(db, 2000, 1, true, BATCH, &first), 0);
	store *s;
	char err[512];
	assert_int_equal(store_open(db, &s, err, sizeof err), STORE_OK);
	store_figs f1;
	assert_int_equal(store_figures(s, first, &f1), STORE_OK);
	store_close(s);

	uint64_t r = seed0;
	for (int k = 0; k < rounds; k++) {
		r = synth_mix(r);
		/* from "before it opened" to a few hundred ms in */
		long us = k == 0 ? 0 : (long)(r % 300000);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			child(100 + (uint64_t)k * 1000);
		if (us)
			usleep((useconds_t)us);
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		check_db(&f1, first);
	}
	assert_int_equal(store_open(db, &s, err, sizeof err), STORE_OK);
	*incomplete_seen = (int)q1(store_sqlite(s), "SELECT count(*) FROM runs WHERE NOT complete");
	/* and the database takes a new complete run afterwards */
	store_close(s);
	int64_t id;
	assert_int_equal(make_run(db, 700, 9, true, 100, &id), 0);
	assert_int_equal(store_open(db, &s, err, sizeof err), STORE_OK);
	store_run_info ri;
	assert_int_equal(store_run_get(s, 0, &ri), STORE_OK);
	assert_int_equal(ri.id, id);
	assert_true(ri.complete);
	assert_int_equal(ri.ncalls, 700);
	store_close(s);
	store_figures_free(&f1);
}

static void test_kill_one_long_run(void **state)
{
	(void)state;
	int inc;
	kill_rounds(child_one_long_run, 10, 42, &inc);
	/* every killed child that got as far as run_begin left an incomplete run */
	assert_true(inc >= 5);
}

/* Kill a many-runs writer the moment a run of its is seen in progress (its
 * row is committed, incomplete, before any call): random delays alone can
 * land every kill between runs on a fast or a loaded machine. */
static int kill_mid_run(uint64_t seed)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_many_runs(seed);
	sqlite3 *h = NULL;
	for (int i = 0; i < 5000; i++) {   /* at most about 5 s */
		if (!h && sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			sqlite3_close(h);
			h = NULL;
		}
		if (h) {
			sqlite3_busy_timeout(h, 50);
			sqlite3_stmt *st;
			bool busy = false;
			if (sqlite3_prepare_v2(h, "SELECT count(*) FROM runs WHERE NOT complete", -1, &st,
			                       NULL) == SQLITE_OK) {
				busy = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
				sqlite3_finalize(st);
			}
			if (busy)
				break;
		}
		usleep(1000);
	}
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	sqlite3_close(h);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

static void test_kill_between_runs(void **state)
{
	(void)state;
	int inc;
	kill_rounds(child_many_runs, 10, 4242, &inc);
	/* The random rounds may all have landed between runs: make sure one
	 * kill interrupts a run, and that it too leaves a sound database. */
	for (int k = 0; k < 20 && inc < 1; k++) {
		int64_t first = 1;
		store_figs f1;
		store *s;
		char err[512];
		assert_int_equal(store_open(db, &s, err, sizeof err), STORE_OK);
		assert_int_equal(store_figures(s, first, &f1), STORE_OK);
		store_close(s);
		assert_true(kill_mid_run(90000 + (uint64_t)k * 1000));
		check_db(&f1, first);
		store_figures_free(&f1);
		assert_int_equal(store_open(db, &s, err, sizeof err), STORE_OK);
		inc = (int)q1(store_sqlite(s), "SELECT count(*) FROM runs WHERE NOT complete");
		store_close(s);
	}
	assert_true(inc >= 1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/tierline-kill-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof db, "%s/kill.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--make") == 0) {
		bool incomplete = argc >= 6 && strcmp(argv[5], "--incomplete") == 0;
		int64_t id;
		int r = make_run(argv[2], atoi(argv[3]), argc >= 5 ? strtoull(argv[4], NULL, 10) : 1,
		                 !incomplete, 5000, &id);
		if (r == 0)
			printf("%lld\n", (long long)id);
		return r;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_one_long_run),
		cmocka_unit_test(test_kill_between_runs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
