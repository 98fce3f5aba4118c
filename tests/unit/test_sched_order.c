/*
 * test_sched_order.c — the virtual clock against a reference model.
 *
 * The model is the definition of the order: a sorted array of pending
 * timers keyed (when, pri, seq), where `when` is clamped to the clock at
 * scheduling time, pri to 0..SCHED_NPRI-1 and seq counts every sched_at.
 * Millions of random operations (sched_at with ties, both priorities and
 * out-of-range ones, times in the past, at the bucket edges, minutes,
 * hours and INT64_MAX ahead; cancels of pending, fired, cancelled and
 * unknown ids; run(until) with stops and callbacks that schedule and
 * cancel; the pull API sched_virtual_next; side-slot timers) are applied
 * to both, in lock
 * step: every firing must be the model's first timer, and after every run
 * the clock, return value and counters must be the model's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tierline/sched.h"

/* ---- reference model --------------------------------------------------------- */

typedef struct mtimer {
	int64_t when;
	int pri;
	uint64_t seq;
} mtimer;

enum { ST_PENDING = 1, ST_FIRED, ST_CANCELLED };

/* What the test remembers of a recent timer, to cancel it by id. */
typedef struct minfo {
	uint64_t seq;
	sched_id id;
	mtimer key;
	int state;
} minfo;

#define NINFO 4096                   /* ring of the most recent timers */

typedef struct model {
	mtimer *p;                   /* pending, sorted ascending */
	size_t n, cap;
	int64_t now;
	uint64_t seq, fired;
	minfo info[NINFO];
	/* the scheduler under test, and how the test drives it */
	sched *s;
	uint64_t rng;
	bool direct;                 /* sched_virtual_at/_cancel instead of the vtable */
	int64_t until;
	bool stopped;
	bool draining;               /* fewer new timers, so the drain ends */
	bool dense;                  /* most timers within two seconds: crowded buckets */
	uint64_t ops;
} model;

static uint64_t rnd(model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static int key_cmp(const mtimer *a, const mtimer *b)
{
	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	if (a->pri != b->pri)
		return a->pri < b->pri ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

/* First index whose key is >= k. */
static size_t m_lower(const model *m, const mtimer *k)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&m->p[mid], k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void m_insert(model *m, const mtimer *k)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->p = realloc(m->p, m->cap * sizeof *m->p);
		assert_non_null(m->p);
	}
	size_t i = m_lower(m, k);
	memmove(&m->p[i + 1], &m->p[i], (m->n - i) * sizeof *m->p);
	m->p[i] = *k;
	m->n++;
}

static void m_remove(model *m, const mtimer *k)
{
	size_t i = m_lower(m, k);
	assert_true(i < m->n && key_cmp(&m->p[i], k) == 0);
	memmove(&m->p[i], &m->p[i + 1], (m->n - i - 1) * sizeof *m->p);
	m->n--;
}

/* ---- random operations, applied to both ------------------------------------- */

static void on_fire(sched *s, int64_t now, void *ctx, uint64_t arg);

/* now + d without overflow: the clock may have reached INT64_MAX. */
static int64_t plus(int64_t now, int64_t d)
{
	return now > INT64_MAX - d ? INT64_MAX : now + d;
}

static int64_t pick_when(model *m)
{
	int64_t now = m->now;
	uint64_t r = rnd(m) % 100;
	/* crowded buckets: many timers per bucket and in the current one, so
	 * the clock's small sorted front overflows into a heap and back */
	if (m->dense && r < 70)
		return plus(now, (int64_t)(rnd(m) % (r < 20 ? 130 : 2000)));
	if (r < 8)
		return now - (int64_t)(rnd(m) % 5000);                 /* the past */
	if (r < 16)
		return now;
	if (r < 30) {
		/* ties, and the edges of the scheduler's buckets */
		static const int64_t d[] = { 0, 1, 2, 63, 64, 65, 127, 128, 129, 255, 256, 1000 };
		return plus(now, d[rnd(m) % (sizeof d / sizeof d[0])]);
	}
	if (r < 60)
		return plus(now, (int64_t)(rnd(m) % 3000));                 /* keys, prompts */
	if (r < 80)
		return plus(now, (int64_t)(rnd(m) % 600000));               /* minutes */
	if (r < 90)
		return plus(now, ((int64_t)SCHED_V_NBUCKETS << SCHED_V_BUCKET_BITS) - 1000 +
		                 (int64_t)(rnd(m) % 2000));                /* the ring's end */
	if (r < 99)
		return plus(now, (int64_t)(rnd(m) % 100000000));            /* hours, days */
	return INT64_MAX - (int64_t)(rnd(m) % 3);                  /* the end of time */
}

static int pick_pri(model *m)
{
	uint64_t r = rnd(m) % 100;
	if (r < 45)
		return SCHED_PRI_CALLER;
	if (r < 90)
		return SCHED_PRI_TIMER;
	if (r < 96)
		return (int)(rnd(m) % SCHED_NPRI);
	return r < 98 ? -3 : SCHED_NPRI + 5;                       /* clamped */
}

static void op_at(model *m)
{
	int64_t when = pick_when(m);
	int pri = pick_pri(m);
	uint64_t seq = m->seq++;
	sched_id id;
	if (m->direct && rnd(m) % 5 == 0) {
		/* the side slot (or a plain timer when it is taken): no id,
		 * so the test never expects a cancel of it to succeed */
		assert_true(sched_virtual_at_side(m->s, when, pri, on_fire, m, seq));
		id = 0;
	} else {
		id = m->direct ? sched_virtual_at(m->s, when, pri, on_fire, m, seq)
		               : sched_at_pri(m->s, when, pri, on_fire, m, seq);
		assert_true(id != 0);
	}
	mtimer k = { .when = when < m->now ? m->now : when,
	             .pri = pri < 0 ? 0 : pri >= SCHED_NPRI ? SCHED_NPRI - 1 : pri, .seq = seq };
	m_insert(m, &k);
	minfo *in = &m->info[seq % NINFO];
	*in = (minfo){ .seq = seq, .id = id, .key = k, .state = id ? ST_PENDING : ST_FIRED };
}

static void op_cancel(model *m)
{
	uint64_t r = rnd(m) % 100;
	sched_id id;
	bool want = false;
	minfo *in = NULL;
	if (r < 3) {
		id = 0;
	} else if (r < 6) {
		id = rnd(m) | (1ull << 63);        /* a generation no timer reaches */
	} else {
		if (m->seq == 0)
			return;
		uint64_t back = rnd(m) % (m->seq < NINFO ? m->seq : NINFO);
		in = &m->info[(m->seq - 1 - back) % NINFO];
		id = in->id;
		want = in->state == ST_PENDING;
	}
	bool got = m->direct ? sched_virtual_cancel(m->s, id) : sched_cancel(m->s, id);
	assert_int_equal(got, want);
	if (want) {
		m_remove(m, &in->key);
		in->state = ST_CANCELLED;
	}
}

/* A firing (from sched_run's callback or sched_virtual_next): it must be
 * the model's first timer, due by `until`. */
static void check_fire(model *m, int64_t now, uint64_t arg)
{
	assert_true(m->n > 0);
	mtimer first = m->p[0];
	assert_int_equal(arg, first.seq);
	assert_int_equal(now, first.when);
	assert_true(first.when <= m->until);
	memmove(&m->p[0], &m->p[1], (m->n - 1) * sizeof *m->p);
	m->n--;
	if (first.when > m->now)
		m->now = first.when;
	m->fired++;
	minfo *in = &m->info[arg % NINFO];
	if (in->seq == arg)
		in->state = ST_FIRED;
	/* what a driver does on an event: schedule, cancel, now and then stop */
	uint64_t r = rnd(m) % 100;
	int k = r < 35 ? 1 : r < 50 ? 2 : r < 53 ? 3 : 0;           /* 0.74 a firing */
	if (m->draining)
		k = r < 30;
	for (int i = 0; i < k; i++)
		op_at(m);
	if (rnd(m) % 4 == 0)
		op_cancel(m);
	if (rnd(m) % 300 == 0) {
		sched_stop(m->s);
		m->stopped = true;
	}
	m->ops++;
}

static void on_fire(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	model *m = ctx;
	assert_ptr_equal(s, m->s);
	assert_int_equal(sched_now(s), now);
	check_fire(m, now, arg);
}

static void check_state(model *m)
{
	assert_int_equal(sched_now(m->s), m->now);
	assert_int_equal(sched_virtual_now(m->s), m->now);
	assert_int_equal(sched_virtual_pending(m->s), m->n);
	assert_int_equal(sched_virtual_fired(m->s), m->fired);
	assert_true(sched_virtual_bytes_used(m->s) <= sched_virtual_bytes(m->s));
}

static int64_t pick_until(model *m)
{
	uint64_t r = rnd(m) % 100;
	if (r < 5)
		return m->now - 1 - (int64_t)(rnd(m) % 1000);         /* before the clock */
	if (r < 15)
		return m->now;
	if (r < 60)
		return plus(m->now, (int64_t)(rnd(m) % 2000));
	if (r < 85)
		return plus(m->now, (int64_t)(rnd(m) % 120000));
	if (r < 99)
		return plus(m->now, (int64_t)(rnd(m) % 30000000));
	return SCHED_FOREVER;
}

/* One run(until), through sched_run or the sched_virtual_next loop. */
static void op_run(model *m, int64_t until, bool pull)
{
	m->until = until;
	m->stopped = false;
	int rc = -2;
	if (pull) {
		int64_t now;
		uint64_t arg;
		while (sched_virtual_next(m->s, until, &now, &arg)) {
			assert_int_equal(sched_virtual_now(m->s), now);
			check_fire(m, now, arg);
		}
	} else {
		rc = sched_run(m->s, until);
	}
	if (m->stopped) {
		assert_true(pull || rc == 1);
	} else {
		/* nothing due is left, and the clock stands at until */
		assert_true(m->n == 0 || m->p[0].when > until);
		if (until != SCHED_FOREVER && until > m->now)
			m->now = until;
		assert_true(pull || rc == (m->n > 0 ? 1 : 0));
	}
	check_state(m);
}

static void run_rounds(uint64_t seed, uint64_t total_ops)
{
	static model m;
	memset(&m, 0, sizeof m);
	m.rng = seed;
	uint64_t rounds = 0;
	while (m.ops < total_ops) {
		/* a fresh clock, sometimes at a negative or odd start */
		int64_t start = (int64_t)(rnd(&m) % 4000000000ull) - 1000000000;
		m.s = sched_virtual_new(start);
		assert_non_null(m.s);
		m.now = start;
		m.n = 0;
		m.fired = 0;
		m.direct = rnd(&m) % 2;
		m.dense = rnd(&m) % 3 == 0;
		/* ids of the last clock mean nothing to this one */
		memset(m.info, 0, sizeof m.info);
		uint64_t len = 1000 + rnd(&m) % 20000;
		for (uint64_t i = 0; i < len; i++) {
			uint64_t r = rnd(&m) % 100;
			if (r < 50 || m.n < 8)
				op_at(&m);
			else if (r < 75)
				op_cancel(&m);
			else
				op_run(&m, pick_until(&m), rnd(&m) % 2);
			m.ops++;
		}
		check_state(&m);
		/* drain, stopping now and then */
		m.draining = true;
		while (m.n > 0)
			op_run(&m, SCHED_FOREVER, rnd(&m) % 2);
		m.draining = false;
		assert_int_equal(sched_run(m.s, SCHED_FOREVER), 0);
		check_state(&m);
		sched_destroy(m.s);
		rounds++;
	}
	free(m.p);
	m.p = NULL;
	m.cap = 0;
	printf("  %llu operations in %llu rounds, %llu timers\n", (unsigned long long)m.ops,
	       (unsigned long long)rounds, (unsigned long long)m.seq);
}

static void test_order_random(void **state)
{
	(void)state;
	run_rounds(0x2545F4914F6CDD1Dull, 3000000);
}

static void test_order_random_other_seed(void **state)
{
	(void)state;
	run_rounds(0x9E3779B97F4A7C15ull, 1000000);
}

/* ---- targeted cases ----------------------------------------------------------- */

typedef struct rec {
	uint64_t arg[64];
	int64_t at[64];
	int n;
} rec;

static void rec_fn(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	(void)s;
	rec *r = ctx;
	r->arg[r->n] = arg;
	r->at[r->n] = now;
	r->n++;
}

/* Timers scheduled far ahead and then, once the clock is near, at the same
 * instant directly: the far ones were scheduled first, so they fire first
 * within a priority, whatever path each took. */
static void test_order_far_then_near_ties(void **state)
{
	(void)state;
	sched *s = sched_virtual_new(0);
	rec r = { .n = 0 };
	int64_t t = 3600000;                                        /* an hour ahead */
	sched_at(s, t, rec_fn, &r, 1);
	sched_at_pri(s, t, SCHED_PRI_CALLER, rec_fn, &r, 2);
	sched_at(s, t, rec_fn, &r, 3);
	assert_int_equal(sched_run(s, t - 10), 1);                  /* clock 10 ms before */
	assert_int_equal(sched_now(s), t - 10);
	sched_at(s, t, rec_fn, &r, 4);
	sched_at_pri(s, t, SCHED_PRI_CALLER, rec_fn, &r, 5);
	sched_at(s, t - 500, rec_fn, &r, 6);                        /* past: fires at now */
	assert_int_equal(sched_run(s, SCHED_FOREVER), 0);
	uint64_t want[] = { 6, 2, 5, 1, 3, 4 };
	int64_t wat[] = { t - 10, t, t, t, t, t };
	assert_int_equal(r.n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(r.arg[i], want[i]);
		assert_int_equal(r.at[i], wat[i]);
	}
	sched_destroy(s);
}

/* The pull loop: the same order as sched_run, stop ends it, the clock
 * stands at until when nothing is due. */
static void test_next_loop(void **state)
{
	(void)state;
	sched *s = sched_virtual_new(1000);
	for (uint64_t i = 0; i < 10; i++)
		assert_true(sched_virtual_at(s, 1000 + (int64_t)(i % 3) * 100, (int)(i % 2), NULL, NULL,
		                             i) != 0);
	sched_id far = sched_virtual_at(s, 10000000, SCHED_PRI_TIMER, NULL, NULL, 99);
	int64_t now;
	uint64_t arg;
	/* timer i is at 1000 + (i % 3) * 100 with priority i % 2: by time,
	 * then priority, then scheduling order */
	uint64_t want[] = { 0, 6, 3, 9, 4, 1, 7, 2, 8, 5 };
	for (int i = 0; i < 10; i++) {
		assert_true(sched_virtual_next(s, 5000, &now, &arg));
		assert_int_equal(arg, want[i]);
		assert_int_equal(now, 1000 + (int64_t)(arg % 3) * 100);
		if (i == 4) {
			sched_stop(s);
			assert_false(sched_virtual_next(s, 5000, &now, &arg));   /* stopped */
			assert_int_equal(sched_virtual_now(s), 1100);
		}
	}
	assert_false(sched_virtual_next(s, 5000, &now, &arg));
	assert_int_equal(sched_virtual_now(s), 5000);                 /* stands at until */
	assert_int_equal(sched_virtual_pending(s), 1);
	assert_true(sched_virtual_cancel(s, far));
	assert_false(sched_virtual_cancel(s, far));
	assert_false(sched_virtual_next(s, SCHED_FOREVER, &now, &arg));
	assert_int_equal(sched_virtual_now(s), 5000);
	assert_int_equal(sched_virtual_fired(s), 10);
	sched_destroy(s);
}

/* Cancelling most far-future timers keeps memory bounded (the far heap's
 * purge) and the rest in order. */
static void test_far_cancel_purge(void **state)
{
	(void)state;
	enum { N = 5000 };
	sched *s = sched_virtual_new(0);
	static sched_id ids[N];
	static rec r;
	memset(&r, 0, sizeof r);
	for (int i = 0; i < N; i++)
		ids[i] = sched_at(s, 86400000 + (N - i) * 1000LL, rec_fn, &r, (uint64_t)i);
	size_t full = sched_virtual_bytes_used(s);
	for (int i = 0; i < N; i++)
		if (i % 100 != 0)
			assert_true(sched_cancel(s, ids[i]));
	assert_int_equal(sched_virtual_pending(s), N / 100);
	assert_true(sched_virtual_bytes_used(s) < full / 2);
	assert_int_equal(sched_run(s, SCHED_FOREVER), 0);
	assert_int_equal(r.n, N / 100);
	for (int i = 0; i < r.n; i++)
		assert_int_equal(r.arg[i], (uint64_t)(N - 100 - i * 100));
	sched_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_far_then_near_ties),
		cmocka_unit_test(test_next_loop),
		cmocka_unit_test(test_far_cancel_purge),
		cmocka_unit_test(test_order_random),
		cmocka_unit_test(test_order_random_other_seed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
