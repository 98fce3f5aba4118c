/* test_dist.c — every distribution: moments against theory within a few
 * standard errors, Kolmogorov-Smirnov against dist_cdf, determinism; the
 * special functions; the text parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "tierline/dist.h"

#define NEAR(a, b, tol) do { double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.10g, want %.10g (tol %g)", #a, a_, b_, (double)(tol)); \
} while (0)

enum { N = 200000 };
static double xs[N];

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Draw N samples; check mean and variance within 5 standard errors (the
 * variance's standard error estimated from the sample's 4th moment), and the
 * KS statistic below the 1% critical value 1.628/sqrt(N). */
static void check_dist(const dist *d, uint64_t seed)
{
	char name[64];
	dist_format(d, name, sizeof name);
	rng r;
	rng_seed(&r, seed, rng_stream_id(name));
	double sum = 0;
	for (int i = 0; i < N; i++) {
		xs[i] = dist_sample_ms(d, &r);
		assert_true(xs[i] >= 0 && isfinite(xs[i]));
		sum += xs[i];
	}
	double mean = sum / N, m2 = 0, m4 = 0;
	for (int i = 0; i < N; i++) {
		double e = xs[i] - mean;
		m2 += e * e;
		m4 += e * e * e * e;
	}
	m2 /= N - 1;
	m4 /= N;
	double se_mean = sqrt(dist_var(d) / N);
	double se_var = sqrt(fmax(m4 - m2 * m2, 0) / N);
	if (fabs(mean - dist_mean(d)) > 5 * se_mean)
		fail_msg("%s: mean %.6g, theory %.6g, se %.3g", name, mean, dist_mean(d), se_mean);
	if (fabs(m2 - dist_var(d)) > 5 * se_var)
		fail_msg("%s: var %.6g, theory %.6g, se %.3g", name, m2, dist_var(d), se_var);
	qsort(xs, N, sizeof xs[0], cmp_double);
	double D = 0;
	for (int i = 0; i < N; i++) {
		double F = dist_cdf(d, xs[i]);
		double a = F - (double)i / N, b = (double)(i + 1) / N - F;
		if (a > D) D = a;
		if (b > D) D = b;
	}
	double crit = 1.628 / sqrt((double)N);
	if (!(D < crit))
		fail_msg("%s: KS D = %.5f >= %.5f (1%% critical)", name, D, crit);
}

static dist make(dist_kind k, double p1, double p2);
static void check_make(dist_kind k, double p1, double p2, uint64_t seed);

static dist make(dist_kind k, double p1, double p2)
{
	dist d;
	char err[128];
	if (dist_init(&d, k, p1, p2, err, sizeof err) != 0)
		fail_msg("dist_init: %s", err);
	return d;
}

static void check_make(dist_kind k, double p1, double p2, uint64_t seed)
{
	dist d = make(k, p1, p2);
	check_dist(&d, seed);
}

static void test_dist_exp(void **state)
{
	(void)state;
	dist d = make(DIST_EXP, 2000, 0);
	NEAR(dist_mean(&d), 2000, 0);
	NEAR(dist_var(&d), 4e6, 0);
	check_dist(&d, 1);
	check_dist(&d, 2);
}

static void test_dist_lognormal(void **state)
{
	(void)state;
	dist d = make(DIST_LOGNORMAL, 360000, 180000);   /* lognormal(6m, 3m) */
	/* mu, sigma from mean and sd: sigma^2 = ln(1 + cv^2). */
	NEAR(d.b * d.b, log(1.25), 1e-15);
	NEAR(d.a, log(360000) - 0.5 * log(1.25), 1e-12);
	check_dist(&d, 1);
	check_make(DIST_LOGNORMAL, 1000, 3000, 3);  /* cv 3: heavy tail */
}

static void test_dist_gamma(void **state)
{
	(void)state;
	check_make(DIST_GAMMA, 300000, 100000, 1);  /* shape 9 */
	check_make(DIST_GAMMA, 5000, 5000, 2);      /* shape 1 */
	check_make(DIST_GAMMA, 1000, 2000, 3);      /* shape 0.25 */
	check_make(DIST_GAMMA, 1000, 1500, 4);      /* shape 0.44 */
}

static void test_dist_erlang(void **state)
{
	(void)state;
	dist d = make(DIST_ERLANG, 3, 90000);
	NEAR(dist_var(&d), 90000.0 * 90000 / 3, 1e-6);
	check_dist(&d, 1);
	check_make(DIST_ERLANG, 1, 4000, 2);
	check_make(DIST_ERLANG, 16, 4000, 3);
	check_make(DIST_ERLANG, 40, 4000, 4);       /* gamma path */
}

static void test_dist_uniform_const(void **state)
{
	(void)state;
	check_make(DIST_UNIFORM, 1000, 4000, 1);
	dist c = make(DIST_CONST, 30000, 0);
	rng r;
	rng_seed(&r, 1, 1);
	for (int i = 0; i < 100; i++)
		assert_true(dist_sample_ms(&c, &r) == 30000);
	NEAR(dist_var(&c), 0, 0);
	NEAR(dist_cdf(&c, 29999.9), 0, 0);
	NEAR(dist_cdf(&c, 30000), 1, 0);
	dist u0 = make(DIST_UNIFORM, 500, 500);
	assert_true(dist_sample_ms(&u0, &r) == 500);
}

static void test_dist_deterministic(void **state)
{
	(void)state;
	dist ds[] = { make(DIST_EXP, 2000, 0), make(DIST_LOGNORMAL, 6000, 3000),
	              make(DIST_GAMMA, 1000, 2000), make(DIST_ERLANG, 30, 100) };
	for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
		rng a, b, c;
		rng_seed(&a, 11, 4);
		rng_seed(&b, 11, 4);
		rng_seed(&c, 11, 5);
		int same_c = 0;
		for (int i = 0; i < 1000; i++) {
			double x = dist_sample_ms(&ds[k], &a);
			assert_true(x == dist_sample_ms(&ds[k], &b));
			same_c += x == dist_sample_ms(&ds[k], &c);
		}
		assert_true(same_c < 5);
	}
	assert_true(dist_round_ms(1499.5) == 1500);
	assert_true(dist_round_ms(-3) == 0);
}

static void test_dist_special(void **state)
{
	(void)state;
	NEAR(dist_gamma_p(1, 2), 1 - exp(-2), 1e-14);
	NEAR(dist_gamma_p(0.5, 2), erf(sqrt(2)), 1e-14);
	NEAR(dist_gamma_p(3, 2), 1 - exp(-2) * 5, 1e-14);
	NEAR(dist_gamma_p(3, 20), 1 - exp(-20) * (1 + 20 + 200), 1e-14);
	NEAR(dist_gamma_p(100, 100), 0.5132987982791486, 1e-12);
	NEAR(dist_gamma_p(2, 0), 0, 0);
	/* I_x(a, b) for whole a, b is a binomial tail: P(Bin(a+b-1, x) >= a). */
	NEAR(dist_beta_i(2, 3, 0.4), 0.5248, 1e-14);
	NEAR(dist_beta_i(1, 1, 0.3), 0.3, 1e-14);
	NEAR(dist_beta_i(0.5, 0.5, 0.5), 0.5, 1e-14);
	NEAR(dist_beta_i(5, 2, 0.9), 6 * pow(0.9, 5) * 0.1 + pow(0.9, 6), 1e-14);
	/* Larger whole parameters: the binomial tail summed term by term. */
	{
		const int a = 30, b = 400, n = a + b - 1;
		const double x = 0.06;
		double tail = 0;
		for (int j = a; j <= n; j++)
			tail += exp(lgamma(n + 1.0) - lgamma(j + 1.0) - lgamma(n - j + 1.0) +
			            j * log(x) + (n - j) * log1p(-x));
		NEAR(dist_beta_i(a, b, x), tail, 1e-12);
		NEAR(dist_beta_i(a, b, x) + dist_beta_i(b, a, 1 - x), 1.0, 1e-12);  /* lgamma of ~430: ~2e-13 */
	}
	/* Lognormal CDF at its median exp(mu) is 1/2. */
	dist ln = make(DIST_LOGNORMAL, 6000, 3000);
	NEAR(dist_cdf(&ln, exp(ln.a)), 0.5, 1e-15);
	dist ex = make(DIST_EXP, 1000, 0);
	NEAR(dist_cdf(&ex, 1000), 1 - exp(-1), 1e-15);
	NEAR(dist_cdf(&ex, -5), 0, 0);
}

static void test_dist_init_errors(void **state)
{
	(void)state;
	dist d;
	char err[128];
	struct { dist_kind k; double a, b; const char *want; } bad[] = {
		{ DIST_EXP, 0, 0, "mean must be positive" },
		{ DIST_EXP, NAN, 0, "finite" },
		{ DIST_LOGNORMAL, 1000, 0, "sd must be positive" },
		{ DIST_LOGNORMAL, -1, 10, "mean must be positive" },
		{ DIST_GAMMA, 1000, INFINITY, "finite" },
		{ DIST_GAMMA, 1, 1000, "at most" },
		{ DIST_ERLANG, 2.5, 1000, "whole number" },
		{ DIST_ERLANG, 0, 1000, "whole number" },
		{ DIST_UNIFORM, 4000, 1000, "less than A" },
		{ DIST_UNIFORM, -1, 1000, "negative" },
		{ DIST_CONST, -1, 0, "negative" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		assert_int_equal(dist_init(&d, bad[i].k, bad[i].a, bad[i].b, err, sizeof err), -1);
		if (!strstr(err, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].want);
	}
	/* NULL err is fine. */
	assert_int_equal(dist_init(&d, DIST_EXP, -1, 0, NULL, 0), -1);
}

static void test_dist_parse_duration(void **state)
{
	(void)state;
	struct { const char *s; double ms; } ok[] = {
		{ "250ms", 250 }, { "1.5s", 1500 }, { "180s", 180000 }, { "3m", 180000 },
		{ "1h", 3600000 }, { "1h30m", 5400000 }, { "15d", 15 * 86400000.0 },
		{ "0s", 0 }, { ".5s", 500 }, { "2m30s", 150000 },
	};
	char err[128];
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		double ms = -1;
		if (dist_parse_duration(ok[i].s, &ms, err, sizeof err) != 0)
			fail_msg("'%s': %s", ok[i].s, err);
		NEAR(ms, ok[i].ms, 1e-9);
	}
	double ms;
	assert_int_equal(dist_parse_duration("180", &ms, err, sizeof err), -1);
	assert_string_equal(err, "bare number '180': add a unit (s, m, h, ms)");
	const char *bad[] = { "", "s", "3min", "5sec", "-5s", "1e3s", "nan", "inf",
	                      "1.2.3s", "3 m", "3m ", "0x10s", "1h30", ".s",
	                      "99999999999999999999999999999999999999h" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (dist_parse_duration(bad[i], &ms, err, sizeof err) != -1)
			fail_msg("'%s' accepted as %g", bad[i], ms);
	assert_int_equal(dist_parse_duration(NULL, &ms, err, sizeof err), -1);
}

static void test_dist_parse_rate(void **state)
{
	(void)state;
	double r;
	char err[128];
	assert_int_equal(dist_parse_rate("200/h", &r, err, sizeof err), 0);
	NEAR(r, 200.0 / 3600, 1e-15);
	assert_int_equal(dist_parse_rate("3/m", &r, err, sizeof err), 0);
	NEAR(r, 0.05, 1e-15);
	assert_int_equal(dist_parse_rate("0.05/s", &r, err, sizeof err), 0);
	NEAR(r, 0.05, 1e-15);
	assert_int_equal(dist_parse_rate("2400/d", &r, err, sizeof err), 0);
	NEAR(r, 2400.0 / 86400, 1e-15);
	assert_int_equal(dist_parse_rate("100/30m", &r, err, sizeof err), 0);
	NEAR(r, 100.0 / 1800, 1e-15);
	assert_int_equal(dist_parse_rate("200", &r, err, sizeof err), -1);
	assert_string_equal(err, "bare number '200': add a unit (/h, /m, /s)");
	const char *bad[] = { "", "/h", "200/", "200/x", "200/hour", "200h", "-3/m",
	                      "3/m/s", "nan/s", "5/0s", "5/30", "5/3x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (dist_parse_rate(bad[i], &r, err, sizeof err) != -1)
			fail_msg("'%s' accepted as %g", bad[i], r);
}

static void test_dist_parse_format(void **state)
{
	(void)state;
	struct { const char *in, *out; dist_kind k; double p1, p2; } ok[] = {
		{ "lognormal(6m, 3m)", "lognormal(6m, 3m)", DIST_LOGNORMAL, 360000, 180000 },
		{ "exp(2s)", "exp(2s)", DIST_EXP, 2000, 0 },
		{ "gamma(5m,90s)", "gamma(5m, 90s)", DIST_GAMMA, 300000, 90000 },
		{ "erlang(3, 90s)", "erlang(3, 90s)", DIST_ERLANG, 3, 90000 },
		{ "uniform(1s, 4.5s)", "uniform(1s, 4.5s)", DIST_UNIFORM, 1000, 4500 },
		{ "const(30s)", "const(30s)", DIST_CONST, 30000, 0 },
		{ "30s", "const(30s)", DIST_CONST, 30000, 0 },
		{ " exp( 250ms ) ", "exp(250ms)", DIST_EXP, 250, 0 },
		{ "exp(1h30m)", "exp(1h30m)", DIST_EXP, 5400000, 0 },
	};
	char err[128], out[64];
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		dist d;
		if (dist_parse(ok[i].in, &d, err, sizeof err) != 0)
			fail_msg("'%s': %s", ok[i].in, err);
		assert_int_equal(d.kind, ok[i].k);
		NEAR(d.p1, ok[i].p1, 0);
		NEAR(d.p2, ok[i].p2, 0);
		dist_format(&d, out, sizeof out);
		assert_string_equal(out, ok[i].out);
	}
	const char *bad[] = { "lognormal(6m)", "foo(1s)", "exp(2)", "erlang(2.5, 1s)",
	                      "uniform(4s, 1s)", "exp(2s", "exp(2s) x", "exp()",
	                      "gamma(1s, 2s, 3s)", "(", ")", "exp(,)", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dist d;
		err[0] = 0;
		if (dist_parse(bad[i], &d, err, sizeof err) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(err[0] != 0);
	}
	dist d;
	assert_int_equal(dist_parse("exp(2)", &d, err, sizeof err), -1);
	assert_string_equal(err, "exp: bare number '2': add a unit (s, m, h, ms)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dist_exp),
		cmocka_unit_test(test_dist_lognormal),
		cmocka_unit_test(test_dist_gamma),
		cmocka_unit_test(test_dist_erlang),
		cmocka_unit_test(test_dist_uniform_const),
		cmocka_unit_test(test_dist_deterministic),
		cmocka_unit_test(test_dist_special),
		cmocka_unit_test(test_dist_init_errors),
		cmocka_unit_test(test_dist_parse_duration),
		cmocka_unit_test(test_dist_parse_rate),
		cmocka_unit_test(test_dist_parse_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
