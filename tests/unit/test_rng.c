/* test_rng.c — xoshiro256** streams: reference outputs, determinism,
 * stream independence, uniformity, unbiased bounded integers, normals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include "tierline/rng.h"

static void test_rng_reference_outputs(void **state)
{
	(void)state;
	/* xoshiro256** from the state {1, 2, 3, 4} (reference implementation). */
	rng r = { .s = { 1, 2, 3, 4 } };
	assert_true(rng_next_u64(&r) == 11520ULL);
	assert_true(rng_next_u64(&r) == 0ULL);
	assert_true(rng_next_u64(&r) == 1509978240ULL);
	assert_true(rng_next_u64(&r) == 1215971899390074240ULL);
	assert_true(rng_next_u64(&r) == 1216172134540287360ULL);
	/* splitmix64 from 0 (Vigna's reference). */
	uint64_t x = 0;
	assert_true(rng_splitmix64(&x) == 0xe220a8397b1dcdafULL);
	assert_true(rng_splitmix64(&x) == 0x6e789e6aa1b965f4ULL);
}

static void test_rng_deterministic(void **state)
{
	(void)state;
	rng a, b;
	rng_seed(&a, 42, 7);
	rng_seed(&b, 42, 7);
	for (int i = 0; i < 10000; i++)
		assert_true(rng_next_u64(&a) == rng_next_u64(&b));
	/* Normals too, including the cached spare. */
	for (int i = 0; i < 1001; i++)
		assert_true(rng_normal(&a) == rng_normal(&b));
	/* Reseeding restarts the stream and drops a cached spare. */
	rng_seed(&a, 42, 7);
	(void)rng_normal(&a);
	rng_seed(&a, 42, 7);
	rng_seed(&b, 42, 7);
	assert_true(rng_normal(&a) == rng_normal(&b));
}

static int count_equal(rng *a, rng *b, int n)
{
	int same = 0;
	for (int i = 0; i < n; i++)
		same += rng_next_u64(a) == rng_next_u64(b);
	return same;
}

static void test_rng_streams_differ(void **state)
{
	(void)state;
	rng a, b;
	/* Neighbouring streams, neighbouring seeds, swapped pairs. */
	uint64_t pairs[][4] = {
		{ 1, 0, 1, 1 }, { 1, 0, 2, 0 }, { 1, 2, 2, 1 }, { 0, 0, 0, 1 },
		{ 0, 1, 1, 0 }, { UINT64_MAX, 0, 0, UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		rng_seed(&a, pairs[i][0], pairs[i][1]);
		rng_seed(&b, pairs[i][2], pairs[i][3]);
		assert_int_equal(count_equal(&a, &b, 1000), 0);
	}
	/* Uniforms of two streams are uncorrelated. */
	rng_seed(&a, 5, rng_stream_id("arrivals"));
	rng_seed(&b, 5, rng_stream_id("handle"));
	double sxy = 0;
	const int n = 200000;
	for (int i = 0; i < n; i++)
		sxy += (rng_uniform(&a) - 0.5) * (rng_uniform(&b) - 0.5);
	double corr = sxy / n * 12.0;            /* var of U is 1/12 */
	assert_true(fabs(corr) < 5.0 / sqrt(n)); /* 5 standard errors */
	assert_true(rng_stream_id("arrivals") != rng_stream_id("arrival"));
	assert_true(rng_stream_id("") == 0xcbf29ce484222325ULL);
}

/* rng_first_u64_key is the first draw of rng_seed_key's stream, bit for bit
 * (the simulator takes a one-draw leg's handle time that way). */
static void test_rng_first_of_key(void **state)
{
	(void)state;
	uint64_t key = 0x243f6a8885a308d3ULL;
	for (int i = 0; i < 10000; i++) {
		key = key * 6364136223846793005ULL + 1442695040888963407ULL;
		rng r;
		rng_seed_key(&r, key);
		rng r2 = r;
		assert_true(rng_first_u64_key(key) == rng_next_u64(&r));
		assert_true(rng_first_uniform_key(key) == rng_uniform(&r2));
	}
}

static void test_rng_uniform(void **state)
{
	(void)state;
	rng r;
	rng_seed(&r, 2026, 0);
	const int n = 400000, bins = 20;
	int hist[20] = { 0 };
	double sum = 0, sum2 = 0;
	for (int i = 0; i < n; i++) {
		double u = rng_uniform(&r);
		assert_true(u > 0.0 && u < 1.0);
		sum += u;
		sum2 += u * u;
		hist[(int)(u * bins)]++;
	}
	double mean = sum / n, var = sum2 / n - mean * mean;
	assert_true(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / n));
	assert_true(fabs(var - 1.0 / 12) < 0.001);
	/* Chi-square with 19 degrees of freedom: 1% critical value 36.19. */
	double chi = 0, e = (double)n / bins;
	for (int i = 0; i < bins; i++)
		chi += (hist[i] - e) * (hist[i] - e) / e;
	assert_true(chi < 36.19);
	/* The extreme outputs stay inside (0, 1): a state whose next output is
	 * all ones, and the formula at both ends. */
	assert_true(((double)(0 >> 12) + 0.5) * 0x1.0p-52 > 0.0);
	assert_true(((double)(UINT64_MAX >> 12) + 0.5) * 0x1.0p-52 < 1.0);
}

static void test_rng_below(void **state)
{
	(void)state;
	rng r;
	rng_seed(&r, 9, 3);
	assert_true(rng_below(&r, 0) == 0);
	for (int i = 0; i < 100; i++)
		assert_true(rng_below(&r, 1) == 0);
	/* Small n: chi-square over 7 values, 6 df, 1% critical 16.81. */
	const int n = 140000;
	int h[7] = { 0 };
	for (int i = 0; i < n; i++) {
		uint64_t v = rng_below(&r, 7);
		assert_true(v < 7);
		h[v]++;
	}
	double chi = 0, e = n / 7.0;
	for (int i = 0; i < 7; i++)
		chi += (h[i] - e) * (h[i] - e) / e;
	assert_true(chi < 16.81);
	/* A huge n where a plain modulo would be visibly biased:
	 * n = 3 * 2^62, so x % n hits [0, 2^62) twice as often.  With Lemire
	 * the three thirds of [0, n) are equally likely. */
	uint64_t big = 3ULL << 62;
	int t[3] = { 0 };
	const int m = 120000;
	for (int i = 0; i < m; i++) {
		uint64_t v = rng_below(&r, big);
		assert_true(v < big);
		t[v >> 62]++;
	}
	double chi3 = 0, e3 = m / 3.0;
	for (int i = 0; i < 3; i++)
		chi3 += (t[i] - e3) * (t[i] - e3) / e3;
	assert_true(chi3 < 9.21);   /* 2 df, 1% */
}

static void test_rng_normal_exp(void **state)
{
	(void)state;
	rng r;
	rng_seed(&r, 77, 1);
	const int n = 400000;
	double s1 = 0, s2 = 0, s3 = 0, s4 = 0, e1 = 0;
	int below = 0;
	for (int i = 0; i < n; i++) {
		double z = rng_normal(&r);
		s1 += z; s2 += z * z; s3 += z * z * z; s4 += z * z * z * z;
		below += z < -1.959963984540054;
		e1 += rng_exp1(&r);
	}
	double m = s1 / n, v = s2 / n - m * m;
	assert_true(fabs(m) < 5 / sqrt(n));
	assert_true(fabs(v - 1) < 5 * sqrt(2.0 / n));
	assert_true(fabs(s3 / n) < 5 * sqrt(15.0 / n));
	assert_true(fabs(s4 / n - 3) < 5 * sqrt(96.0 / n));
	double pb = (double)below / n;
	assert_true(fabs(pb - 0.025) < 5 * sqrt(0.025 * 0.975 / n));
	assert_true(fabs(e1 / n - 1) < 5 / sqrt(n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_reference_outputs),
		cmocka_unit_test(test_rng_deterministic),
		cmocka_unit_test(test_rng_streams_differ),
		cmocka_unit_test(test_rng_first_of_key),
		cmocka_unit_test(test_rng_uniform),
		cmocka_unit_test(test_rng_below),
		cmocka_unit_test(test_rng_normal_exp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
