/* bench_rng.c — variates per second for the raw generator and for each
 * distribution (a benchmark: it prints figures and asserts nothing).
 * Run: make BUILD=build/num-bench LIB_DIRS="util sim" build/num-bench/bench/bench_rng
 *      build/num-bench/bench/bench_rng [millions-per-row, default 20] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tierline/dist.h"
#include "tierline/rng.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void row(const char *name, double n, double secs, double sink)
{
	printf("%-24s %8.1f M/s  %6.2f ns each   (checksum %.6g)\n",
	       name, n / secs / 1e6, secs / n * 1e9, sink);
}

int main(int argc, char **argv)
{
	long millions = argc > 1 ? atol(argv[1]) : 20;
	if (millions < 1)
		millions = 1;
	const long n = millions * 1000000L;
	rng r;
	rng_seed(&r, 1, 0);
	double t0, sink;
	uint64_t acc = 0;

	t0 = now();
	for (long i = 0; i < n; i++)
		acc += rng_next_u64(&r);
	row("rng_next_u64", (double)n, now() - t0, (double)(acc & 0xffff));

	sink = 0;
	t0 = now();
	for (long i = 0; i < n; i++)
		sink += rng_uniform(&r);
	row("rng_uniform", (double)n, now() - t0, sink / n);

	acc = 0;
	t0 = now();
	for (long i = 0; i < n; i++)
		acc += rng_below(&r, 1000003);
	row("rng_below(1000003)", (double)n, now() - t0, (double)acc / n);

	sink = 0;
	t0 = now();
	for (long i = 0; i < n; i++)
		sink += rng_normal(&r);
	row("rng_normal", (double)n, now() - t0, sink / n);

	const char *specs[] = { "const(30s)", "exp(2s)", "uniform(1s, 4s)",
	                        "lognormal(6m, 3m)", "gamma(5m, 2m)", "gamma(1s, 2s)",
	                        "erlang(3, 90s)", "erlang(40, 90s)" };
	for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
		dist d;
		char err[128];
		if (dist_parse(specs[k], &d, err, sizeof err) != 0) {
			fprintf(stderr, "bench_rng: %s: %s\n", specs[k], err);
			return 2;
		}
		sink = 0;
		t0 = now();
		for (long i = 0; i < n; i++)
			sink += dist_sample_ms(&d, &r);
		row(specs[k], (double)n, now() - t0, sink / n);
	}
	return 0;
}
