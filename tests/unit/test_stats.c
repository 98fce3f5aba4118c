/* test_stats.c — Welford, batch means on a correlated series, t quantiles,
 * exact and streaming percentiles, pooled counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>
#include "tierline/dist.h"
#include "tierline/rng.h"
#include "tierline/stats.h"

#define NEAR(a, b, tol) do { double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.12g, want %.12g (tol %g)", #a, a_, b_, (double)(tol)); \
} while (0)

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void test_stats_welford(void **state)
{
	(void)state;
	stats_run s, a, b;
	stats_run_init(&s);
	stats_run_init(&a);
	stats_run_init(&b);
	assert_true(isnan(stats_run_mean(&s)));
	assert_true(isnan(stats_run_var(&s)));
	/* Large offset, small spread: the naive sum-of-squares formula loses
	 * every digit here; Welford keeps them. */
	double sum = 0;
	const int n = 1000;
	double x[1000];
	for (int i = 0; i < n; i++) {
		x[i] = 1e9 + (i % 7) * 0.1;
		sum += x[i];
	}
	double mean = sum / n, ss = 0;
	for (int i = 0; i < n; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	for (int i = 0; i < n; i++) {
		stats_run_add(&s, x[i]);
		stats_run_add(i < 300 ? &a : &b, x[i]);
	}
	NEAR(stats_run_mean(&s), mean, 1e-5);
	NEAR(stats_run_var(&s), ss / (n - 1), 1e-9);
	stats_run_merge(&a, &b);
	assert_true(a.n == (uint64_t)n);
	NEAR(stats_run_mean(&a), stats_run_mean(&s), 1e-5);
	NEAR(stats_run_var(&a), stats_run_var(&s), 1e-9);
	NEAR(a.min, 1e9, 0);
	NEAR(a.max, 1e9 + 0.6, 1e-6);
	NEAR(stats_run_se(&s), sqrt(ss / (n - 1) / n), 1e-9);
	/* Merging into an empty one copies. */
	stats_run e;
	stats_run_init(&e);
	stats_run_merge(&e, &s);
	NEAR(stats_run_var(&e), stats_run_var(&s), 0);
}

static void test_stats_quantiles(void **state)
{
	(void)state;
	/* Student t 0.975 quantiles (tables). */
	struct { double df, t; } t975[] = {
		{ 1, 12.706204736 }, { 2, 4.302652730 }, { 3, 3.182446305 },
		{ 4, 2.776445105 }, { 5, 2.570581836 }, { 9, 2.262157163 },
		{ 10, 2.228138852 }, { 19, 2.093024054 }, { 30, 2.042272456 },
		{ 100, 1.983971519 }, { 1e6, 1.959966 },
	};
	for (size_t i = 0; i < sizeof t975 / sizeof t975[0]; i++)
		NEAR(stats_t_quantile(0.975, t975[i].df), t975[i].t, 1e-6);
	NEAR(stats_t_quantile(0.995, 4), 4.604094871, 1e-8);
	NEAR(stats_t_quantile(0.025, 7), -2.364624252, 1e-8);
	NEAR(stats_t_quantile(0.5, 7), 0, 0);
	NEAR(stats_t_cdf(2.228138852, 10), 0.975, 1e-9);
	NEAR(stats_normal_quantile(0.975), 1.959963984540054, 1e-13);
	NEAR(stats_normal_quantile(0.5), 0, 1e-15);
	NEAR(stats_normal_quantile(1e-10), -6.361340902404056, 1e-10);
	NEAR(stats_halfwidth95(2.0, 9), 2 * 2.262157163, 1e-8);
	assert_true(isnan(stats_halfwidth95(1.0, 0)));
	assert_true(isnan(stats_t_quantile(1.5, 3)));
}

static void test_stats_batch_means(void **state)
{
	(void)state;
	/* AR(1) series x_t = phi x_{t-1} + e_t, e ~ N(0,1): the variance of the
	 * mean of n values is about (1/(1-phi)^2) / n, far above the iid
	 * formula var(x)/n = (1/(1-phi^2))/n. */
	const size_t n = 200000;
	const double phi = 0.9;
	double *x = malloc(n * sizeof *x);
	assert_non_null(x);
	rng r;
	rng_seed(&r, 3, 0);
	double prev = 0;
	stats_run s;
	stats_run_init(&s);
	for (size_t i = 0; i < n; i++) {
		prev = phi * prev + rng_normal(&r);
		x[i] = 5 + prev;
		stats_run_add(&s, x[i]);
	}
	stats_ci ci;
	assert_int_equal(stats_batch_means(x, n, 20, &ci), 0);
	double true_se = sqrt(1.0 / ((1 - phi) * (1 - phi)) / n);
	assert_int_equal(ci.df, 19);
	/* A 20-batch estimate of an se has ~16% relative sd: allow 45%. */
	assert_true(ci.se > 0.55 * true_se && ci.se < 1.45 * true_se);
	assert_true(stats_run_se(&s) < 0.5 * true_se);   /* the iid one is too small */
	NEAR(ci.half, ci.se * 2.093024054, 1e-8);
	assert_true(fabs(ci.mean - 5) < 4 * true_se);
	assert_true(stats_lag1_autocorr(x, n) > 0.85);
	/* Batch means themselves are nearly independent. */
	double bm[20];
	for (int b = 0; b < 20; b++) {
		double sum = 0;
		for (size_t i = 0; i < n / 20; i++)
			sum += x[(size_t)b * (n / 20) + i];
		bm[b] = sum / (double)(n / 20);
	}
	stats_ci c2;
	assert_int_equal(stats_ci_from_values(bm, 20, &c2), 0);
	NEAR(c2.se, ci.se, 1e-12);
	/* Degenerate inputs. */
	assert_int_equal(stats_batch_means(x, 1, 10, &ci), -1);
	assert_true(isnan(ci.se));
	assert_int_equal(stats_batch_means(x, 5, 10, &ci), 0);   /* clamps to 5 */
	assert_int_equal(ci.df, 4);
	assert_int_equal(stats_ci_from_values(x, 1, &c2), -1);
	free(x);
}

static void test_stats_percentile_exact(void **state)
{
	(void)state;
	double a[] = { 15, 20, 35, 40, 50 };
	NEAR(stats_percentile(a, 5, 0.4), 29, 1e-12);          /* type 7 */
	NEAR(stats_percentile(a, 5, 0.0), 15, 0);
	NEAR(stats_percentile(a, 5, 1.0), 50, 0);
	double b[] = { 15, 20, 35, 40, 50 };
	NEAR(stats_percentile_rank(b, 5, 0.4), 20, 0);         /* ceil(2) = 2nd */
	NEAR(stats_percentile_rank(b, 5, 0.41), 35, 0);
	NEAR(stats_percentile_rank(b, 5, 0.0), 15, 0);
	assert_true(isnan(stats_percentile(a, 0, 0.5)));
	/* Against sorting: random data full of ties (most waits are 0). */
	rng r;
	rng_seed(&r, 8, 8);
	enum { M = 5001 };
	static double x[M], y[M], s[M];
	for (int trial = 0; trial < 20; trial++) {
		int n = 1 + (int)rng_below(&r, M);
		for (int i = 0; i < n; i++)
			s[i] = rng_chance(&r, 0.6) ? 0 : (double)rng_below(&r, 50);
		if (trial == 3)                     /* sorted input */
			qsort(s, (size_t)n, sizeof s[0], cmp_double);
		for (int i = 0; i < n; i++)
			x[i] = y[i] = s[i];
		qsort(s, (size_t)n, sizeof s[0], cmp_double);
		double ps[] = { 0, 0.5, 0.9, 0.95, 0.999, 1 };
		for (size_t k = 0; k < 6; k++) {
			double p = ps[k];
			double h = (n - 1) * p;
			int lo = (int)floor(h);
			double want = lo + 1 < n ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
			NEAR(stats_percentile(x, (size_t)n, p), want, 1e-9);
			int rk = (int)ceil(p * n);
			double want_r = s[rk < 1 ? 0 : rk - 1];
			NEAR(stats_percentile_rank(y, (size_t)n, p), want_r, 0);
		}
	}
}

static void test_stats_hist(void **state)
{
	(void)state;
	/* Buckets tile the line: consecutive, no gaps, widths <= 1/64. */
	int64_t prev_hi = -1;
	for (int i = 0; i < STATS_HIST_N; i++) {
		int64_t lo, hi;
		stats_hist_bucket_range(i, &lo, &hi);
		assert_true(lo == prev_hi + 1);
		assert_true(hi >= lo);
		assert_int_equal(stats_hist_bucket(lo), i);
		assert_int_equal(stats_hist_bucket(hi), i);
		if (lo >= 128)
			assert_true((double)(hi - lo + 1) <= lo / 64.0 + 1e-9);
		prev_hi = hi;
	}
	assert_true(prev_hi == ((int64_t)1 << STATS_HIST_MAXEXP) - 1);
	assert_int_equal(stats_hist_bucket(-5), 0);
	assert_int_equal(stats_hist_bucket(INT64_MAX), STATS_HIST_N - 1);

	/* Quantiles of exponential waits (mean 30 s) within 0.8% of exact. */
	stats_hist h, h1, h2;
	stats_hist_init(&h);
	stats_hist_init(&h1);
	stats_hist_init(&h2);
	assert_true(isnan(stats_hist_quantile(&h, 0.9)));
	enum { M = 100000 };
	static double w[M];
	rng r;
	rng_seed(&r, 4, 4);
	dist d = dist_exp(30000);
	for (int i = 0; i < M; i++) {
		int64_t v = rng_chance(&r, 0.3) ? 0 : dist_round_ms(dist_sample_ms(&d, &r));
		w[i] = (double)v;
		stats_hist_add(&h, v);
		stats_hist_add(i % 2 ? &h1 : &h2, v);
	}
	stats_hist_merge(&h1, &h2);
	for (int i = 0; i < STATS_HIST_N; i++)
		assert_true(h1.count[i] == h.count[i]);
	assert_true(h1.n == h.n && h1.min == h.min && h1.max == h.max);
	double ps[] = { 0.1, 0.5, 0.9, 0.95, 0.99, 1.0 };
	for (size_t k = 0; k < 6; k++) {
		double exact = stats_percentile_rank(w, M, ps[k]);
		double est = stats_hist_quantile(&h, ps[k]);
		assert_true(fabs(est - exact) <= exact / 128.0 + 0.5);
	}
	NEAR(stats_hist_quantile(&h, 0.2), 0, 0);   /* 30% are exactly 0 */
	double sum = 0;
	int le20 = 0;
	for (int i = 0; i < M; i++) {
		sum += w[i];
		le20 += w[i] <= 20479;          /* 20479 is a bucket's upper edge */
	}
	NEAR(stats_hist_mean(&h), sum / M, 1e-6);
	NEAR(stats_hist_share_le(&h, 20479), (double)le20 / M, 1e-12);
	/* Small values are exact. */
	stats_hist s;
	stats_hist_init(&s);
	for (int v = 1; v <= 100; v++)
		stats_hist_add(&s, v);
	NEAR(stats_hist_quantile(&s, 0.9), 90, 0);
	NEAR(stats_hist_quantile(&s, 0.0), 1, 0);
	NEAR(stats_hist_share_le(&s, 50), 0.5, 0);
}

static void test_stats_counts(void **state)
{
	(void)state;
	/* Two intervals: 90% of 10 calls and 50% of 1000 calls pool to ~50.4%,
	 * not the 70% that averaging the two ratios would claim. */
	stats_counts a = { .offered = 10, .answered = 10, .answered_within = 9,
	                   .waited = 2, .wait_answered_ms = 5000,
	                   .busy_ms = 100, .staffed_ms = 200 };
	stats_counts b = { .offered = 1000, .answered = 900, .abandoned = 100,
	                   .answered_within = 500, .waited = 800,
	                   .wait_answered_ms = 9000000, .busy_ms = 900, .staffed_ms = 1000 };
	stats_counts t = { 0 };
	assert_true(isnan(stats_counts_service_level(&t)));
	stats_counts_pool(&t, &a);
	stats_counts_pool(&t, &b);
	NEAR(stats_counts_service_level(&t), 509.0 / 1010, 1e-15);
	NEAR(stats_counts_abandon_rate(&t), 100.0 / 1010, 1e-15);
	NEAR(stats_counts_asa_ms(&t), 9005000.0 / 910, 1e-9);
	NEAR(stats_counts_p_wait(&t), 802.0 / 1010, 1e-15);
	NEAR(stats_counts_occupancy(&t), 1000.0 / 1200, 1e-15);
	assert_true(isnan(stats_ratio(1, 0)));
}

/* Pooled ratios over replications: the value is sum a / sum b, the
 * half-width the delta method's, replications never added count as 0/0;
 * and the interval covers the true ratio about 95% of the time. */
static void test_stats_rsum(void **state)
{
	(void)state;
	const double a[4] = { 9, 12, 0, 7 }, b[4] = { 10, 15, 0, 8 };
	stats_rsum s = { 0 };
	for (int i = 0; i < 4; i++)
		if (b[i] > 0)
			stats_rsum_add(&s, a[i], b[i]);
	stats_ci ci;
	assert_int_equal(stats_rsum_ratio_ci(&s, 5, &ci), 0);   /* a fifth: 0/0 */
	double r = 28.0 / 33.0, ss = 0;
	for (int i = 0; i < 4; i++)
		ss += (a[i] - r * b[i]) * (a[i] - r * b[i]);
	NEAR(ci.mean, r, 1e-15);
	NEAR(ci.se, sqrt(ss / 4.0 / 5.0) / (33.0 / 5.0), 1e-12);
	NEAR(ci.half, stats_t_quantile(0.975, 4) * ci.se, 1e-12);
	assert_int_equal(ci.df, 4);
	/* the mean of counts with the missing ones as 0 */
	double v[5] = { 9, 12, 0, 7, 0 };
	stats_ci want;
	stats_rsum c = { 0 };
	for (int i = 0; i < 4; i++)
		stats_rsum_add(&c, v[i], 1);
	assert_int_equal(stats_rsum_mean_ci(&c, 5, &ci), 0);
	assert_int_equal(stats_ci_from_values(v, 5, &want), 0);
	NEAR(ci.mean, want.mean, 1e-15);
	NEAR(ci.half, want.half, 1e-12);
	/* undefined */
	stats_rsum z = { 0 };
	assert_int_equal(stats_rsum_ratio_ci(&z, 5, &ci), -1);
	assert_true(isnan(ci.mean) && isnan(ci.half));
	assert_int_equal(stats_rsum_ratio_ci(&s, 1, &ci), -1);
	NEAR(ci.mean, r, 1e-15);
	assert_true(isnan(ci.half));
	assert_int_equal(stats_rsum_mean_ci(&c, 1, &ci), -1);
	/* coverage: 20 replications of a binomial share over a varying base */
	rng g;
	rng_seed(&g, 7, rng_stream_id("test/rsum"));
	int covered = 0, trials = 2000;
	for (int t = 0; t < trials; t++) {
		stats_rsum e = { 0 };
		for (int k = 0; k < 20; k++) {
			int n = 5 + (int)rng_below(&g, 20), x = 0;
			for (int j = 0; j < n; j++)
				x += rng_chance(&g, 0.8);
			stats_rsum_add(&e, x, n);
		}
		assert_int_equal(stats_rsum_ratio_ci(&e, 20, &ci), 0);
		covered += fabs(ci.mean - 0.8) <= ci.half;
	}
	/* 95% of 2000: sd 9.7, so 1860..1940 is over 4 sd either side */
	assert_in_range(covered, 1860, 1940);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_welford),
		cmocka_unit_test(test_stats_quantiles),
		cmocka_unit_test(test_stats_batch_means),
		cmocka_unit_test(test_stats_percentile_exact),
		cmocka_unit_test(test_stats_hist),
		cmocka_unit_test(test_stats_counts),
		cmocka_unit_test(test_stats_rsum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
