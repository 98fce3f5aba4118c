/*
 * dist.h — the scenario's duration distributions, sampled from an rng.
 *
 * A dist is a small value: its kind, the parameters as written in the
 * scenario (all durations in milliseconds; erlang's K is a count), and
 * derived constants computed once by dist_init so sampling does no setup.
 *
 *   exp(MEAN)              exponential
 *   lognormal(MEAN, SD)    mean and sd of the variate itself (not of its log)
 *   gamma(MEAN, SD)        shape (MEAN/SD)^2, scale SD^2/MEAN; any shape > 0
 *   erlang(K, MEAN)        sum of K exponentials of mean MEAN/K
 *   uniform(A, B)          A <= B
 *   const(X)               always X (a bare duration in a scenario)
 *
 * Units: every duration, every sample and every moment is in milliseconds
 * as a double (dist_var in ms^2).  Samples are doubles, not int64, so the
 * moments and KS tests see the exact distribution; the engine, which keeps
 * whole milliseconds, rounds with dist_round_ms.
 *
 * Also here: the duration / rate / distribution text parsers, shared by the
 * CLI (`tierline erlang --aht 3m`) and usable by the scenario parser.
 */
#ifndef TIERLINE_DIST_H
#define TIERLINE_DIST_H

#include <stddef.h>
#include <stdint.h>
#include "tierline/rng.h"

typedef enum dist_kind {
	DIST_CONST = 0,
	DIST_EXP,
	DIST_LOGNORMAL,
	DIST_GAMMA,
	DIST_ERLANG,
	DIST_UNIFORM
} dist_kind;

typedef struct dist {
	dist_kind kind;
	double p1, p2;      /* as written: MEAN/SD, K/MEAN, A/B, X (ms; K a count) */
	/* derived by dist_init: */
	double mean, var;   /* ms, ms^2 */
	double a, b;        /* lognormal mu/sigma; gamma/erlang shape/scale (ms) */
	double mt_d, mt_c;  /* Marsaglia-Tsang constants for shape max(a, a+1) */
} dist;

/* Fill *d; returns 0, or -1 with a one-line reason in err (e.g. "lognormal
 * sd must be positive") when the parameters are not finite or out of range.
 * For DIST_EXP and DIST_CONST p2 is ignored. */
int dist_init(dist *d, dist_kind kind, double p1, double p2,
              char *err, size_t errlen);

/* Shorthands that cannot fail for sane arguments (mean > 0 etc.). */
dist dist_const(double x_ms);
dist dist_exp(double mean_ms);

/* One variate in ms (>= 0 for every kind with non-negative parameters). */
double dist_sample_ms(const dist *d, rng *r);

/* Whole milliseconds for the engine: round half up, never negative. */
static inline int64_t dist_round_ms(double ms)
{
	return ms <= 0 ? 0 : (int64_t)(ms + 0.5);
}

double dist_mean(const dist *d);   /* ms */
double dist_var(const dist *d);    /* ms^2 */
/* P(X <= x_ms). */
double dist_cdf(const dist *d, double x_ms);

/* The scenario form, e.g. "lognormal(6m, 3m)", "erlang(3, 90s)".  Returns
 * what snprintf returns. */
int dist_format(const dist *d, char *out, size_t n);
const char *dist_kind_name(dist_kind k);

/* ---- text parsers --------------------------------------------------------- */

/* A duration: NUMBER UNIT [NUMBER UNIT ...] with units ms, s, m, h, d, e.g.
 * "250ms", "1.5s", "3m", "1h30m".  *ms receives milliseconds.  Returns 0, or
 * -1 with a reason in err; a bare number gets "bare number '180': add a unit
 * (s, m, h, ms)".  Negative values are refused. */
int dist_parse_duration(const char *s, double *ms, char *err, size_t errlen);

/* A rate "200/h", "3/m", "0.05/s" (also "/d", "/ms"), or a count per a
 * duration, "100/30m": *per_s receives events per second.  Returns 0 or -1
 * with a reason. */
int dist_parse_rate(const char *s, double *per_s, char *err, size_t errlen);

/* A distribution as the scenario writes it: "exp(2s)", "lognormal(6m, 3m)",
 * "gamma(5m, 2m)", "erlang(3, 90s)", "uniform(1s, 4s)", "const(30s)" or a
 * bare duration.  Returns 0 or -1 with a reason. */
int dist_parse(const char *s, dist *d, char *err, size_t errlen);

/* ---- special functions used by dist_cdf (exposed for stats and tests) ---- */

/* Regularized lower incomplete gamma P(a, x), a > 0, x >= 0. */
double dist_gamma_p(double a, double x);
/* Regularized incomplete beta I_x(a, b). */
double dist_beta_i(double a, double b, double x);

#endif
