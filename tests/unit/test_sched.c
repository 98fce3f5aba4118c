/* test_sched.c — the virtual heap clock and the libevent real clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>
#include "tierline/sched.h"
#include "tierline/util.h"

typedef struct log {
	uint64_t args[20000];
	int64_t times[20000];
	int n;
	sched_id again;              /* cancel target from inside a callback */
	int stop_at;                 /* stop after this many */
} log_t;

static void rec(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	log_t *l = ctx;
	l->args[l->n] = arg;
	l->times[l->n] = now;
	l->n++;
	if (l->stop_at && l->n == l->stop_at)
		sched_stop(s);
}

static void test_virtual_order(void **state)
{
	(void)state;
	sched *s = sched_virtual_new(1000);
	assert_non_null(s);
	static log_t l;
	memset(&l, 0, sizeof l);
	assert_int_equal(sched_now(s), 1000);
	sched_at(s, 3000, rec, &l, 1);
	sched_at(s, 2000, rec, &l, 2);
	sched_at(s, 2000, rec, &l, 3);         /* same instant: insertion order */
	sched_at_pri(s, 2000, SCHED_PRI_CALLER, rec, &l, 4);   /* caller first */
	sched_at(s, 500, rec, &l, 5);          /* in the past: fires at now */
	assert_int_equal(sched_virtual_pending(s), 5);
	assert_int_equal(sched_run(s, SCHED_FOREVER), 0);
	assert_int_equal(l.n, 5);
	uint64_t want[] = { 5, 4, 2, 3, 1 };
	int64_t wt[] = { 1000, 2000, 2000, 2000, 3000 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(l.args[i], want[i]);
		assert_int_equal(l.times[i], wt[i]);
	}
	assert_int_equal(sched_now(s), 3000);
	assert_int_equal(sched_virtual_fired(s), 5);
	sched_destroy(s);
}

static void test_virtual_cancel(void **state)
{
	(void)state;
	sched *s = sched_virtual_new(0);
	static log_t l;
	memset(&l, 0, sizeof l);
	sched_id a = sched_at(s, 10, rec, &l, 1);
	sched_id b = sched_at(s, 20, rec, &l, 2);
	sched_id c = sched_at(s, 30, rec, &l, 3);
	assert_true(a && b && c && a != b && b != c);
	assert_true(sched_cancel(s, b));
	assert_false(sched_cancel(s, b));      /* twice */
	assert_false(sched_cancel(s, 0));
	assert_false(sched_cancel(s, 12345678));
	assert_int_equal(sched_virtual_pending(s), 2);
	/* a new timer reuses b's slot; b's id must not cancel it */
	sched_id d = sched_at(s, 25, rec, &l, 4);
	assert_false(sched_cancel(s, b));
	assert_true(d != b);
	sched_run(s, SCHED_FOREVER);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.args[0], 1);
	assert_int_equal(l.args[1], 4);
	assert_int_equal(l.args[2], 3);
	assert_false(sched_cancel(s, a));      /* fired */
	sched_destroy(s);
}

static void test_virtual_until_and_stop(void **state)
{
	(void)state;
	sched *s = sched_virtual_new(0);
	static log_t l;
	memset(&l, 0, sizeof l);
	for (int i = 1; i <= 10; i++)
		sched_at(s, i * 100, rec, &l, (uint64_t)i);
	assert_int_equal(sched_run(s, 450), 1);
	assert_int_equal(l.n, 4);
	assert_int_equal(sched_now(s), 450);
	l.stop_at = 6;
	assert_int_equal(sched_run(s, SCHED_FOREVER), 1);
	assert_int_equal(l.n, 6);
	assert_int_equal(sched_now(s), 600);
	l.stop_at = 0;
	assert_int_equal(sched_run(s, 5000), 0);
	assert_int_equal(l.n, 10);
	assert_int_equal(sched_now(s), 5000);    /* ran until `until` */
	assert_int_equal(sched_run(s, SCHED_FOREVER), 0);
	sched_destroy(s);
	sched_destroy(NULL);
}

/* A chain: each firing schedules the next, the way calls re-arm timers. */
typedef struct chain {
	int left;
	int64_t step;
	uint64_t count;
} chain;

static void chain_fn(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	chain *c = ctx;
	c->count++;
	if (--c->left > 0)
		sched_at(s, now + c->step, chain_fn, c, arg);
}

static void test_virtual_no_growth(void **state)
{
	(void)state;
	sched *s = sched_virtual_new(0);
	chain cs[500];
	for (int i = 0; i < 500; i++) {
		cs[i] = (chain){ .left = 200, .step = 7 + i % 13, .count = 0 };
		sched_at(s, i, chain_fn, &cs[i], 0);
	}
	size_t bytes = sched_virtual_bytes(s);
	sched_run(s, SCHED_FOREVER);
	assert_int_equal(sched_virtual_bytes(s), bytes);
	assert_int_equal(sched_virtual_fired(s), 500 * 200);
	sched_destroy(s);
}

/* Randomized: heap order against a brute-force reference, with cancels. */
static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_virtual_random(void **state)
{
	(void)state;
	enum { N = 5000 };
	sched *s = sched_virtual_new(0);
	static log_t l;
	memset(&l, 0, sizeof l);
	static sched_id ids[N];
	static int64_t when[N];
	static int pri[N];
	static bool dead[N];
	for (int i = 0; i < N; i++) {
		when[i] = (int64_t)(rnd() % 1000);
		pri[i] = (int)(rnd() % 2);
		ids[i] = sched_at_pri(s, when[i], pri[i], rec, &l, (uint64_t)i);
		dead[i] = false;
	}
	int alive = N;
	for (int i = 0; i < N / 3; i++) {
		int k = (int)(rnd() % N);
		bool ok = sched_cancel(s, ids[k]);
		assert_int_equal(ok, !dead[k]);
		if (!dead[k])
			alive--;
		dead[k] = true;
	}
	assert_int_equal(sched_virtual_pending(s), alive);
	sched_run(s, SCHED_FOREVER);
	assert_int_equal(l.n, alive);
	for (int i = 1; i < l.n; i++) {
		uint64_t a = l.args[i - 1], b = l.args[i];
		assert_false(dead[b]);
		bool ordered = when[a] < when[b] ||
		               (when[a] == when[b] && (pri[a] < pri[b] || (pri[a] == pri[b] && a < b)));
		assert_true(ordered);
	}
	sched_destroy(s);
}

/* Many cancels: the purge keeps the heap small and the order intact. */
static void test_virtual_purge(void **state)
{
	(void)state;
	enum { N = 4000 };
	sched *s = sched_virtual_new(0);
	static log_t l;
	memset(&l, 0, sizeof l);
	static sched_id ids[N];
	static int64_t when[N];
	for (int i = 0; i < N; i++) {
		when[i] = (int64_t)(rnd() % 500);
		ids[i] = sched_at(s, when[i], rec, &l, (uint64_t)i);
	}
	size_t full = sched_virtual_bytes_used(s);
	for (int i = 0; i < N; i++)
		if (i % 10 != 0)
			assert_true(sched_cancel(s, ids[i]));
	assert_int_equal(sched_virtual_pending(s), N / 10);
	assert_true(sched_virtual_bytes_used(s) < full / 2);
	for (int i = 0; i < N; i++)
		assert_int_equal(sched_cancel(s, ids[i]), i % 10 == 0);
	/* all cancelled now; schedule a few more and run */
	for (int i = 0; i < 10; i++)
		sched_at(s, 1000 - i, rec, &l, (uint64_t)(N + i));
	assert_int_equal(sched_run(s, SCHED_FOREVER), 0);
	assert_int_equal(l.n, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(l.args[i], (uint64_t)(N + 9 - i));
	sched_destroy(s);
}

/* ---- real clock ------------------------------------------------------------ */

static void test_real_timers(void **state)
{
	(void)state;
	struct event_base *eb = event_base_new();
	assert_non_null(eb);
	sched *s = sched_real_new(eb, "UTC");
	assert_non_null(s);
	static log_t l;
	memset(&l, 0, sizeof l);
	int64_t t0 = sched_now(s);
	sched_at(s, t0 + 30, rec, &l, 3);
	sched_at(s, t0 + 5, rec, &l, 1);
	sched_id x = sched_at(s, t0 + 10, rec, &l, 9);
	sched_at(s, t0 + 15, rec, &l, 2);
	assert_true(sched_cancel(s, x));
	assert_false(sched_cancel(s, x));
	assert_int_equal(sched_run(s, SCHED_FOREVER), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.args[0], 1);
	assert_int_equal(l.args[1], 2);
	assert_int_equal(l.args[2], 3);
	assert_true(l.times[0] >= t0 + 3);      /* libevent rounds to its own ms */
	assert_true(l.times[2] >= t0 + 28);
	assert_true(l.times[2] < t0 + 10000);   /* generous: CI machines stall */
	/* now is local ms: close to util's idea of the wall clock */
	int64_t wall = util_now_local_ms("UTC");
	int64_t now = sched_now(s);
	assert_true(now - wall < 5000 && wall - now < 5000);

	/* until: a timer beyond it stays pending */
	memset(&l, 0, sizeof l);
	t0 = sched_now(s);
	sched_id far = sched_at(s, t0 + 60000, rec, &l, 7);
	sched_at(s, t0 + 5, rec, &l, 6);
	assert_int_equal(sched_run(s, t0 + 25), 1);
	assert_int_equal(l.n, 1);
	assert_true(sched_now(s) < t0 + 4000);
	assert_true(sched_cancel(s, far));
	/* stop from a callback */
	memset(&l, 0, sizeof l);
	l.stop_at = 1;
	t0 = sched_now(s);
	sched_at(s, t0 + 5, rec, &l, 1);
	far = sched_at(s, t0 + 60000, rec, &l, 2);
	assert_int_equal(sched_run(s, SCHED_FOREVER), 1);
	assert_int_equal(l.n, 1);
	assert_true(sched_cancel(s, far));
	sched_destroy(s);
	event_base_free(eb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtual_order),
		cmocka_unit_test(test_virtual_cancel),
		cmocka_unit_test(test_virtual_until_and_stop),
		cmocka_unit_test(test_virtual_no_growth),
		cmocka_unit_test(test_virtual_random),
		cmocka_unit_test(test_virtual_purge),
		cmocka_unit_test(test_real_timers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
