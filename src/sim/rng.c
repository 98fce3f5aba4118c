/* rng.c — seeding and the non-inline variates of rng.h. */
#include <math.h>
#include "tierline/rng.h"

uint64_t rng_seed_hash(uint64_t seed)
{
	uint64_t x = seed;
	return rng_splitmix64(&x);
}

void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
	/* Hash the pair first so that (seed, stream) and (seed + 1, stream - 1)
	 * and other simple relations give unrelated states. */
	rng_seed_hashed(r, rng_seed_hash(seed), stream);
}

uint64_t rng_stream_id(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)name; p && *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

double rng_normal(rng *r)
{
	if (r->has_spare) {
		r->has_spare = false;
		return r->spare;
	}
	double u, v, s;
	do {
		u = 2.0 * rng_uniform(r) - 1.0;
		v = 2.0 * rng_uniform(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	double f = sqrt(-2.0 * log(s) / s);
	r->spare = v * f;
	r->has_spare = true;
	return u * f;
}

double rng_exp1(rng *r)
{
	return -log(rng_uniform(r));
}
