/* rng.c — seeding and the non-inline variates of rng.h. */
#include <math.h>
#include "tierline/rng.h"

void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
	/* Hash the pair first so that (seed, stream) and (seed + 1, stream - 1)
	 * and other simple relations give unrelated states. */
	uint64_t x = seed;
	uint64_t h = rng_splitmix64(&x);
	x = h ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
	(void)rng_splitmix64(&x);
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&x);
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)  /* astronomically rare */
		r->s[0] = 1;
	r->spare = 0.0;
	r->has_spare = false;
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
