/*
 * rng.h — seeded pseudo-random streams: xoshiro256** seeded via splitmix64.
 *
 * The idea: a simulation never shares one generator between purposes.  It
 * derives one independent stream per purpose (arrivals, caller choices,
 * handle times, patience, ...) from one run seed:
 *
 *     rng arrivals, handle;
 *     rng_seed(&arrivals, seed, rng_stream_id("arrivals/main"));
 *     rng_seed(&handle,   seed, rng_stream_id("handle/tier1"));
 *
 * so adding an agent changes who answers a call but not which calls arrive
 * or which keys callers press (common random numbers: two runs compare like
 * with like).
 *
 * Streams: (seed, stream) is hashed with splitmix64 into the 256-bit state.
 * Distinct pairs give unrelated starting points in a period of 2^256 - 1, so
 * the chance that two streams of a run overlap within 2^64 draws is about
 * 2^-128: negligible, and unlike jump() it costs O(1) for any stream number.
 *
 * Everything here is a pure function of the struct: no global state, so two
 * simulations can run in one process.  The hot functions are inline.
 */
#ifndef TIERLINE_RNG_H
#define TIERLINE_RNG_H

#include <stdint.h>
#include <stdbool.h>

typedef struct rng {
	uint64_t s[4];       /* xoshiro256** state; never all zero */
	double   spare;      /* cached second normal variate of the polar method */
	bool     has_spare;
} rng;

/* Seed stream number `stream` of run seed `seed`.  Any values are fine. */
void rng_seed(rng *r, uint64_t seed, uint64_t stream);

/* rng_seed's first step, the hash of the run seed: a simulation that seeds
 * a stream per call hashes its seed once (rng_seed_hashed). */
uint64_t rng_seed_hash(uint64_t seed);

/* A stable stream number for a purpose name (FNV-1a 64 of the bytes), so
 * per-queue streams ("handle/tier1") need no central registry. */
uint64_t rng_stream_id(const char *name);

/* splitmix64 step: advances *x and returns the next output.  Exposed for
 * seeding and hashing; not a generator for simulation draws. */
static inline uint64_t rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* rng_seed(r, seed, stream) with h = rng_seed_hash(seed): the same state,
 * inline, for a stream seeded per call (five splitmix64 steps). */
static inline void rng_seed_hashed(rng *r, uint64_t h, uint64_t stream)
{
	uint64_t x = h ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
	(void)rng_splitmix64(&x);
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&x);
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)  /* astronomically rare */
		r->s[0] = 1;
	r->spare = 0.0;
	r->has_spare = false;
}

/* A stream of its own for one entity (a call, a call's leg): the state is
 * four splitmix64 outputs from `key`, which the caller makes from the hashed
 * run seed and the entity's identity (see sim.c's entity_rng).  Cheaper
 * than rng_seed (four steps, no hashing of the seed), for millions of
 * short streams. */
static inline void rng_seed_key(rng *r, uint64_t key)
{
	uint64_t x = key;
	/* Never all zero: splitmix64 maps distinct counters to distinct
	 * outputs, so at most one of the four is 0. */
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&x);
	r->spare = 0.0;
	r->has_spare = false;
}

static inline uint64_t rng_rotl_(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* The first output of the stream rng_seed_key(key) would seed, without the
 * stream: xoshiro256**'s first output reads only s[1], the second splitmix64
 * output.  For an entity that draws once (an M/M/c call's handle time). */
static inline uint64_t rng_first_u64_key(uint64_t key)
{
	uint64_t x = key;
	(void)rng_splitmix64(&x);
	return rng_rotl_(rng_splitmix64(&x) * 5, 7) * 9;
}

/* rng_uniform of that first output. */
static inline double rng_first_uniform_key(uint64_t key)
{
	return ((double)(rng_first_u64_key(key) >> 12) + 0.5) * 0x1.0p-52;
}

/* The next 64 random bits (xoshiro256**, Blackman & Vigna 2018). */
static inline uint64_t rng_next_u64(rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rng_rotl_(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl_(s[3], 45);
	return result;
}

/* Uniform on the open interval (0, 1): the top 52 bits plus one half, so
 * the result is (k + 1/2) / 2^52: never exactly 0 (safe for log) nor 1 (safe
 * for log(1 - u)), symmetric about 1/2.  (53 bits plus a half would round
 * the largest value up to exactly 1.0.)  Resolution 2^-52. */
static inline double rng_uniform(rng *r)
{
	return ((double)(rng_next_u64(r) >> 12) + 0.5) * 0x1.0p-52;
}

/* Uniform integer in [0, n), exactly unbiased (Lemire 2019: one multiply,
 * a division only on the rare rejection path).  n == 0 returns 0. */
static inline uint64_t rng_below(rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	unsigned __int128 m = (unsigned __int128)rng_next_u64(r) * n;
	uint64_t l = (uint64_t)m;
	if (l < n) {
		uint64_t t = -n % n;     /* 2^64 mod n */
		while (l < t) {
			m = (unsigned __int128)rng_next_u64(r) * n;
			l = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* True with probability p (p <= 0 never, p >= 1 always). */
static inline bool rng_chance(rng *r, double p)
{
	return rng_uniform(r) < p;
}

/* Standard normal N(0,1), Marsaglia's polar method: exact, no trig; the
 * second variate of each pair is cached in the rng, so the stream stays a
 * pure function of its seed. */
double rng_normal(rng *r);

/* Standard exponential (mean 1) by inversion: -log(U). */
double rng_exp1(rng *r);

#endif
