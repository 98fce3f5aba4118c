/* test_erlang.c — Erlang B, C, A against published values and identities. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>
#include "tierline/erlang.h"

#define NEAR(a, b, tol) do { double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.10g, want %.10g (tol %g)", #a, a_, b_, (double)(tol)); \
} while (0)

static void test_erlang_b_exact(void **state)
{
	(void)state;
	/* Exact rational values (computed with A^c/c! / sum A^k/k! in fractions). */
	NEAR(erlang_b(1, 2), 0.2, 1e-14);
	NEAR(erlang_b(2, 3), 0.2105263158, 1e-10);
	NEAR(erlang_b(0.5, 1), 1.0 / 3.0, 1e-14);
	NEAR(erlang_b(5, 10), 0.01838457034, 1e-11);
	NEAR(erlang_b(10, 10), 0.2145823431, 1e-10);
	NEAR(erlang_b(10, 15), 0.03649694547, 1e-11);
	NEAR(erlang_b(20, 30), 0.00845749834, 1e-11);
	NEAR(erlang_b(50, 60), 0.02166847306, 1e-11);
	NEAR(erlang_b(100, 110), 0.02746344845, 1e-11);
	NEAR(erlang_b(3, 0), 1.0, 0);
	NEAR(erlang_b(0, 5), 0.0, 0);
}

static void test_erlang_b_tables(void **state)
{
	(void)state;
	/* Classic Erlang B table entries (traffic carried at a grade of service):
	 * 10 lines at 1% -> 4.46 E, 30 lines at 2% -> 21.93 E,
	 * 100 lines at 1% -> 84.06 E, 5 lines at 5% -> 2.22 E. */
	NEAR(erlang_b(4.46, 10), 0.01, 0.0003);
	NEAR(erlang_b(21.93, 30), 0.02, 0.0003);
	NEAR(erlang_b(84.06, 100), 0.01, 0.0003);
	NEAR(erlang_b(2.22, 5), 0.05, 0.0005);
	/* Stable where factorials overflow: thousands of lines. */
	double b = erlang_b(4800, 5000);
	assert_true(b > 0 && b < 0.01 && isfinite(b));
	assert_true(erlang_b(1e-6, 100000) >= 0);
}

static void test_erlang_c_reference(void **state)
{
	(void)state;
	/* 100 calls per 30 min, AHT 180 s, 13 agents. */
	erlang_model m = { 100.0 / 1800.0, 180, 0, 20 };
	erlang_figures f;
	assert_int_equal(erlang_eval(&m, 13, &f), 0);
	NEAR(f.traffic, 10.0, 1e-12);
	NEAR(f.p_wait, 0.28527, 0.000005);
	NEAR(f.asa, 17.116, 0.0005);
	NEAR(f.service_level, 0.79559, 0.000005);
	NEAR(f.occupancy, 10.0 / 13.0, 1e-12);
	NEAR(f.p_abandon, 0.0, 0);
	assert_true(f.stable);
	NEAR(erlang_c(10, 13), f.p_wait, 1e-15);
	NEAR(erlang_c_asa(10, 13, 180), f.asa, 1e-12);
	NEAR(erlang_c_service_level(10, 13, 180, 20), f.service_level, 1e-15);

	/* 600 Erlangs (2 calls/s, AHT 300 s), 615 agents. */
	erlang_model big = { 2, 300, 0, 20 };
	assert_int_equal(erlang_eval(&big, 615, &f), 0);
	NEAR(f.traffic, 600, 1e-9);
	NEAR(f.p_wait, 0.43044, 0.000005);
	NEAR(f.service_level, 0.84165, 0.000005);
}

static void test_erlang_c_unstable(void **state)
{
	(void)state;
	erlang_model m = { 100.0 / 1800.0, 180, 0, 20 };
	erlang_figures f;
	for (int c = 1; c <= 10; c++) {
		assert_int_equal(erlang_eval(&m, c, &f), 0);
		assert_false(f.stable);
		NEAR(f.p_wait, 1.0, 0);
		assert_true(isinf(f.asa));
		NEAR(f.service_level, 0.0, 0);
		NEAR(f.occupancy, 1.0, 0);
	}
	assert_int_equal(erlang_eval(&m, 11, &f), 0);
	assert_true(f.stable);
}

static void test_erlang_a_reference(void **state)
{
	(void)state;
	/* Same load, 11 agents, mean patience 60 s. */
	erlang_model m = { 100.0 / 1800.0, 180, 60, 20 };
	erlang_figures f;
	assert_int_equal(erlang_eval(&m, 11, &f), 0);
	NEAR(f.p_abandon, 0.11178, 0.000005);
	NEAR(f.asa, 5.2294, 0.00005);
	NEAR(f.service_level, 0.79652, 0.000005);
	assert_true(f.stable);
	/* Little's law on abandonment: P(ab) = theta E[Q] / lambda. */
	NEAR(f.p_abandon, (1.0 / 60) * f.mean_queue / m.rate, 1e-12);
	/* Carried load: occupancy = lambda (1 - P(ab)) AHT / n. */
	NEAR(f.occupancy, m.rate * (1 - f.p_abandon) * 180 / 11, 1e-12);
}

static void test_erlang_a_limits(void **state)
{
	(void)state;
	erlang_figures a, c;
	/* Very patient callers: Erlang A tends to Erlang C. */
	erlang_model mc = { 100.0 / 1800.0, 180, 0, 20 };
	erlang_model ma = { 100.0 / 1800.0, 180, 1e8, 20 };
	assert_int_equal(erlang_eval(&mc, 13, &c), 0);
	assert_int_equal(erlang_eval(&ma, 13, &a), 0);
	NEAR(a.p_wait, c.p_wait, 1e-5);
	NEAR(a.asa, c.asa, 1e-3);
	NEAR(a.service_level, c.service_level, 1e-5);
	/* Very impatient callers: every caller who waits abandons at once, so
	 * P(abandon) tends to Erlang B (the M/M/n/n loss system). */
	erlang_model mi = { 100.0 / 1800.0, 180, 1e-7, 20 };
	assert_int_equal(erlang_eval(&mi, 11, &a), 0);
	NEAR(a.p_abandon, erlang_b(10, 11), 1e-6);
	/* SL over time: t = 0 answers only those who did not wait; t -> inf
	 * answers everybody who does not abandon. */
	erlang_model m0 = { 100.0 / 1800.0, 180, 60, 0 };
	assert_int_equal(erlang_eval(&m0, 11, &a), 0);
	NEAR(a.service_level, 1 - a.p_wait, 1e-12);
	erlang_model mt = { 100.0 / 1800.0, 180, 60, 36000 };
	assert_int_equal(erlang_eval(&mt, 11, &a), 0);
	NEAR(a.service_level, 1 - a.p_abandon, 1e-9);
	/* Overloaded but with patience: a finite answer, not "unstable". */
	assert_int_equal(erlang_eval(&mt, 5, &a), 0);
	assert_true(a.stable && a.p_abandon > 0.4 && a.p_abandon < 1);
}

static void test_erlang_a_monotone(void **state)
{
	(void)state;
	erlang_model m = { 2, 300, 120, 20 };
	erlang_figures prev, f;
	assert_int_equal(erlang_eval(&m, 560, &prev), 0);
	for (int n = 561; n <= 640; n++) {
		assert_int_equal(erlang_eval(&m, n, &f), 0);
		assert_true(f.service_level >= prev.service_level - 1e-12);
		assert_true(f.p_abandon <= prev.p_abandon + 1e-12);
		assert_true(f.p_wait <= prev.p_wait + 1e-12);
		prev = f;
	}
}

static void test_erlang_a_crosscheck(void **state)
{
	(void)state;
	/* Answered-within-t shares computed independently by uniformizing the
	 * tagged caller's position chain (an earlier implementation); the
	 * incomplete-beta form must agree to 1e-9. */
	struct { double rate, aht, pat, t; int n; double sl, asa; } c[] = {
		{ 100.0 / 1800, 180, 60, 20, 11, 0.796522711477, 5.2294015777 },
		{ 2, 300, 300, 20, 600, 0.933486959230, 4.8391853337 },
		{ 2, 300, 120, 20, 580, 0.939404744594, 4.9583972067 },
		{ 100.0 / 1800, 180, 600, 60, 9, 0.395844177235, 86.4924106622 },
		{ 25, 180, 90, 20, 4500, 0.993032744720, 0.6231106024 },
		{ 100.0 / 1800, 180, 5, 7, 10, 0.786779504416, 0.2639458055 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		erlang_model m = { c[i].rate, c[i].aht, c[i].pat, c[i].t };
		erlang_figures f;
		assert_int_equal(erlang_eval(&m, c[i].n, &f), 0);
		NEAR(f.service_level, c[i].sl, 1e-9);
		NEAR(f.asa, c[i].asa, 1e-8);
	}
}

static void test_erlang_large(void **state)
{
	(void)state;
	/* Thousands of agents: finite, sane, and quick. */
	erlang_model m = { 25, 180, 90, 20 };     /* 4500 Erlangs */
	erlang_figures f;
	assert_int_equal(erlang_eval(&m, 4500, &f), 0);
	assert_true(f.p_wait > 0 && f.p_wait < 1);
	assert_true(f.p_abandon > 0 && f.p_abandon < 0.05);
	assert_true(f.service_level > 0 && f.service_level < 1);
	assert_true(isfinite(f.asa));
	erlang_model c = { 25, 180, 0, 20 };
	assert_int_equal(erlang_eval(&c, 4600, &f), 0);
	/* Halfin-Whitt: beta = 100/sqrt(4500) = 1.49 gives P(wait) ~ 0.09. */
	assert_true(f.p_wait > 0.05 && f.p_wait < 0.15);
}

static void test_erlang_staff(void **state)
{
	(void)state;
	erlang_model m = { 100.0 / 1800.0, 180, 0, 20 };
	erlang_target t = { 0.80, -1 };
	erlang_figures f;
	int n = 0;
	assert_int_equal(erlang_staff(&m, &t, &n, &f), 0);
	assert_int_equal(n, 14);        /* 13 gives 79.56% */
	assert_true(f.service_level >= 0.80);
	/* The big reference: 615 gives 84.2%, so the fewest is below. */
	erlang_model big = { 2, 300, 0, 20 };
	assert_int_equal(erlang_staff(&big, &t, &n, &f), 0);
	erlang_figures g;
	assert_int_equal(erlang_eval(&big, n - 1, &g), 0);
	assert_true(f.service_level >= 0.8 && g.service_level < 0.8);
	assert_true(n <= 615);
	/* Abandonment target with patience. */
	erlang_model a = { 100.0 / 1800.0, 180, 60, 20 };
	erlang_target ta = { 0.80, 0.05 };
	assert_int_equal(erlang_staff(&a, &ta, &n, &f), 0);
	assert_int_equal(erlang_eval(&a, n - 1, &g), 0);
	assert_true(erlang_meets(&f, &ta));
	assert_false(erlang_meets(&g, &ta));
	/* An impossible target: no count meets it. */
	erlang_model huge = { 1000, 180, 0, 20 };    /* 180000 Erlangs */
	assert_int_equal(erlang_staff(&huge, &t, &n, NULL), -1);
}

static void test_erlang_bad_input(void **state)
{
	(void)state;
	erlang_figures f;
	erlang_model bad[] = {
		{ 0, 180, 0, 20 }, { -1, 180, 0, 20 }, { NAN, 180, 0, 20 },
		{ 1, 0, 0, 20 }, { 1, INFINITY, 0, 20 }, { 1, 180, -5, 20 },
		{ 1, 180, 0, -1 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(erlang_eval(&bad[i], 10, &f), -1);
	erlang_model ok = { 1, 5, 0, 20 };
	assert_int_equal(erlang_eval(&ok, 0, &f), -1);
	assert_int_equal(erlang_eval(&ok, ERLANG_MAX_AGENTS + 1, &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erlang_b_exact),
		cmocka_unit_test(test_erlang_b_tables),
		cmocka_unit_test(test_erlang_c_reference),
		cmocka_unit_test(test_erlang_c_unstable),
		cmocka_unit_test(test_erlang_a_reference),
		cmocka_unit_test(test_erlang_a_limits),
		cmocka_unit_test(test_erlang_a_monotone),
		cmocka_unit_test(test_erlang_a_crosscheck),
		cmocka_unit_test(test_erlang_large),
		cmocka_unit_test(test_erlang_staff),
		cmocka_unit_test(test_erlang_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
