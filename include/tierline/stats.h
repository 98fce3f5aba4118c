/*
 * stats.h — the simulator's statistics: running moments, standard errors of
 * correlated series, confidence intervals, percentiles, pooled counts.
 *
 * Why batch means: successive calls in a queue see nearly the same queue, so
 * their waits are strongly correlated and the iid formula sd/sqrt(n)
 * understates the error many times over (see anchors.md: a +-1 point
 * interval on a service level can need tens of millions of calls).  Split
 * the series into B batches in time order, treat the batch means as roughly
 * independent, and use a Student t with B - 1 degrees of freedom.  The same
 * functions serve independent replications (one value per replication).
 *
 * No allocation except where a function says so; all deterministic.
 */
#ifndef TIERLINE_STATS_H
#define TIERLINE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* ---- running mean and variance (Welford) ----------------------------------- */
typedef struct stats_run {
	uint64_t n;
	double mean, m2;     /* m2 = sum of squared deviations from the mean */
	double min, max;
} stats_run;

void   stats_run_init(stats_run *s);
void   stats_run_add(stats_run *s, double x);
/* Pool b into a (Chan et al.'s parallel update): same as adding b's values. */
void   stats_run_merge(stats_run *a, const stats_run *b);
double stats_run_mean(const stats_run *s);   /* NaN when n == 0 */
double stats_run_var(const stats_run *s);    /* sample variance (n - 1); NaN when n < 2 */
double stats_run_sd(const stats_run *s);
/* iid standard error sd/sqrt(n): only for independent observations. */
double stats_run_se(const stats_run *s);

/* ---- batch means ------------------------------------------------------------ */
typedef struct stats_ci {
	double mean;
	double se;           /* standard error of the mean */
	double half;         /* 95% half-width: t(0.975, df) * se */
	int df;              /* degrees of freedom (batches - 1); 0 when unknown */
} stats_ci;

/* Batch-means estimate for the mean of a correlated series x[0..n) in time
 * order, with `batches` equal batches (typically 10 to 30).  The first
 * n % batches values are dropped so that batches stay equal (the earliest
 * values are the least representative of steady state).  ci->mean is the
 * mean of the batch means.  batches is clamped to [2, n]; returns 0, or -1
 * when n < 2 (then ci->se is NaN). */
int stats_batch_means(const double *x, size_t n, int batches, stats_ci *ci);

/* A 95% interval from k independent values (replication results or batch
 * means): mean, se = sd/sqrt(k), df = k - 1.  Returns -1 when k < 2. */
int stats_ci_from_values(const double *v, size_t k, stats_ci *ci);

/* Lag-1 autocorrelation of x[0..n): a quick check that batches are long
 * enough (batch means with |r1| < 0.1 are close enough to independent). */
double stats_lag1_autocorr(const double *x, size_t n);

/* ---- Student t and normal quantiles ----------------------------------------- */
/* Quantile of the standard normal (Acklam's rational approximation refined
 * by one Halley step: ~1e-15 relative). p in (0,1). */
double stats_normal_quantile(double p);
/* Quantile of Student's t with df degrees of freedom (df >= 1), p in (0,1);
 * accurate to ~1e-10. */
double stats_t_quantile(double p, double df);
/* CDF of Student's t. */
double stats_t_cdf(double t, double df);
/* 95% two-sided half-width: t(0.975, df) * se. */
double stats_halfwidth95(double se, double df);

/* ---- percentiles ---------------------------------------------------------- */
/* Exact percentile of x[0..n), p in [0, 1], linear interpolation between
 * order statistics (Hyndman & Fan type 7, numpy's default).  Reorders x
 * (quickselect, O(n) expected); NaN when n == 0. */
double stats_percentile(double *x, size_t n, double p);
/* Nearest rank: the smallest x with at least ceil(p n) values <= it.  What
 * `ORDER BY w LIMIT 1 OFFSET ceil(p*n)-1` gives in SQL.  Reorders x. */
double stats_percentile_rank(double *x, size_t n, double p);

/* ---- streaming quantiles: a log-linear histogram of whole milliseconds ----
 * Values 0..127 ms have a bucket each (exact); above, each power-of-two
 * range [2^e, 2^(e+1)) is split into 64 equal buckets, so a bucket is at most
 * 1/64 of its values wide and the reported midpoint is within 0.8% of any
 * value in it (at 40 s: +-0.3 s).  Values up to 2^41 ms (~70 years).
 * Fixed size (~9 KB), no allocation, deterministic, and histograms add up
 * exactly (pool intervals, queues or replications with stats_hist_merge),
 * which a P^2 estimator cannot do. */
#define STATS_HIST_SUB    64
#define STATS_HIST_MAXEXP 41
#define STATS_HIST_N      (2 * STATS_HIST_SUB + (STATS_HIST_MAXEXP - 7) * STATS_HIST_SUB)

typedef struct stats_hist {
	uint64_t n;
	int64_t min, max;           /* exact extremes (ms) */
	double sum;                 /* exact sum (ms), for the mean */
	uint32_t count[STATS_HIST_N];
} stats_hist;

void    stats_hist_init(stats_hist *h);
/* Record one value in ms; negatives count as 0, huge values as the top. */
void    stats_hist_add(stats_hist *h, int64_t ms);
void    stats_hist_merge(stats_hist *a, const stats_hist *b);
/* Nearest-rank quantile (p in [0,1]) as the midpoint of the bucket holding
 * rank ceil(p n), clamped to [min, max]; NaN when empty. */
double  stats_hist_quantile(const stats_hist *h, double p);
double  stats_hist_mean(const stats_hist *h);
/* Share of values <= ms (exact when ms is a bucket's upper edge or < 128). */
double  stats_hist_share_le(const stats_hist *h, int64_t ms);
/* Bucket index of a value and the bucket's [lo, hi] in ms (for tests). */
int     stats_hist_bucket(int64_t ms);
void    stats_hist_bucket_range(int idx, int64_t *lo, int64_t *hi);

/* ---- pooled queue counts ---------------------------------------------------
 * Service levels and rates are ratios of sums: per-interval ratios must not
 * be averaged into a daily one (anchors.md).  Keep the counts, add them up,
 * and divide once. */
typedef struct stats_counts {
	uint64_t offered;        /* reached the queue */
	uint64_t answered;
	uint64_t abandoned;
	uint64_t answered_within;/* answered with wait <= the SL threshold */
	uint64_t waited;         /* found no agent free at once */
	double wait_answered_ms; /* total wait of answered calls */
	double busy_ms, staffed_ms;
} stats_counts;

void   stats_counts_pool(stats_counts *into, const stats_counts *add);
/* answered_within / (answered + abandoned); NaN when both are 0. */
double stats_counts_service_level(const stats_counts *c);
/* abandoned / (answered + abandoned). */
double stats_counts_abandon_rate(const stats_counts *c);
/* ASA in ms: wait_answered_ms / answered. */
double stats_counts_asa_ms(const stats_counts *c);
/* waited / offered. */
double stats_counts_p_wait(const stats_counts *c);
/* busy_ms / staffed_ms. */
double stats_counts_occupancy(const stats_counts *c);
/* num / den, NaN when den == 0. */
double stats_ratio(double num, double den);

/* ---- ratios of sums over replications --------------------------------------
 * An interval's figure over k replications is pooled: sum a / sum b (e.g.
 * answered within / (answered + abandoned), each added over replications),
 * never the mean of k ratios: a half hour with few calls has undefined or
 * wildly noisy ratios in single replications.  The 95% half-width is the
 * ratio estimator's (delta method): with R = sum a / sum b,
 *     se = sqrt(sum_i (a_i - R b_i)^2 / (k - 1) / k) / (sum b / k),
 * Student t with k - 1 degrees of freedom.  Replications that never added
 * anything count as a = b = 0 (they add nothing to the sums), so a cell can
 * be created by the first replication that has it.  Kept as five running
 * sums: no allocation however many replications. */
typedef struct stats_rsum {
	double a, b, aa, ab, bb;
} stats_rsum;

void stats_rsum_add(stats_rsum *s, double a, double b);
/* The pooled ratio sum a / sum b over k replications and its half-width.
 * Returns -1 (half NaN) when k < 2 or sum b == 0 (then mean is NaN too). */
int  stats_rsum_ratio_ci(const stats_rsum *s, uint64_t k, stats_ci *ci);
/* The mean of a over k replications (those not added had a = 0; b is not
 * used) and its half-width.  Returns -1 (half NaN) when k < 2. */
int  stats_rsum_mean_ci(const stats_rsum *s, uint64_t k, stats_ci *ci);

#endif
