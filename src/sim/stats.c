/* stats.c — see stats.h. */
#include <math.h>
#include <string.h>
#include "tierline/dist.h"
#include "tierline/stats.h"

/* ---- Welford ------------------------------------------------------------------ */

void stats_run_init(stats_run *s)
{
	s->n = 0;
	s->mean = s->m2 = 0.0;
	s->min = INFINITY;
	s->max = -INFINITY;
}

void stats_run_add(stats_run *s, double x)
{
	s->n++;
	double d = x - s->mean;
	s->mean += d / (double)s->n;
	s->m2 += d * (x - s->mean);
	if (x < s->min) s->min = x;
	if (x > s->max) s->max = x;
}

void stats_run_merge(stats_run *a, const stats_run *b)
{
	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	double na = (double)a->n, nb = (double)b->n, n = na + nb;
	double d = b->mean - a->mean;
	a->mean += d * nb / n;
	a->m2 += b->m2 + d * d * na * nb / n;
	a->n += b->n;
	if (b->min < a->min) a->min = b->min;
	if (b->max > a->max) a->max = b->max;
}

double stats_run_mean(const stats_run *s) { return s->n ? s->mean : NAN; }
double stats_run_var(const stats_run *s) { return s->n > 1 ? s->m2 / (double)(s->n - 1) : NAN; }
double stats_run_sd(const stats_run *s) { return sqrt(stats_run_var(s)); }
double stats_run_se(const stats_run *s) { return stats_run_sd(s) / sqrt((double)s->n); }

/* ---- intervals -------------------------------------------------------------- */

int stats_ci_from_values(const double *v, size_t k, stats_ci *ci)
{
	stats_run r;
	stats_run_init(&r);
	for (size_t i = 0; i < k; i++)
		stats_run_add(&r, v[i]);
	ci->mean = stats_run_mean(&r);
	if (k < 2) {
		ci->se = ci->half = NAN;
		ci->df = 0;
		return -1;
	}
	ci->se = stats_run_se(&r);
	ci->df = (int)(k - 1);
	ci->half = stats_halfwidth95(ci->se, ci->df);
	return 0;
}

int stats_batch_means(const double *x, size_t n, int batches, stats_ci *ci)
{
	if (n < 2) {
		ci->mean = n ? x[0] : NAN;
		ci->se = ci->half = NAN;
		ci->df = 0;
		return -1;
	}
	if (batches < 2)
		batches = 2;
	if ((size_t)batches > n)
		batches = (int)n;
	size_t len = n / (size_t)batches, skip = n % (size_t)batches;
	stats_run r;
	stats_run_init(&r);
	for (int b = 0; b < batches; b++) {
		const double *p = x + skip + (size_t)b * len;
		double sum = 0;
		for (size_t i = 0; i < len; i++)
			sum += p[i];
		stats_run_add(&r, sum / (double)len);
	}
	ci->mean = stats_run_mean(&r);
	ci->se = stats_run_se(&r);
	ci->df = batches - 1;
	ci->half = stats_halfwidth95(ci->se, ci->df);
	return 0;
}

double stats_lag1_autocorr(const double *x, size_t n)
{
	if (n < 3)
		return NAN;
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m += x[i];
	m /= (double)n;
	double num = 0, den = 0;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - m;
		den += d * d;
		if (i + 1 < n)
			num += d * (x[i + 1] - m);
	}
	return den > 0 ? num / den : NAN;
}

/* ---- quantiles of N(0,1) and t --------------------------------------------- */

double stats_normal_quantile(double p)
{
	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
		2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
		2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
		2.445134137142996e+00, 3.754408661907416e+00 };
	const double plow = 0.02425;
	double x;
	if (p < plow) {
		double q = sqrt(-2 * log(p));
		x = (((((c[0]*q + c[1])*q + c[2])*q + c[3])*q + c[4])*q + c[5]) /
		    ((((d[0]*q + d[1])*q + d[2])*q + d[3])*q + 1);
	} else if (p <= 1 - plow) {
		double q = p - 0.5, r = q * q;
		x = (((((a[0]*r + a[1])*r + a[2])*r + a[3])*r + a[4])*r + a[5]) * q /
		    (((((b[0]*r + b[1])*r + b[2])*r + b[3])*r + b[4])*r + 1);
	} else {
		double q = sqrt(-2 * log1p(-p));
		x = -(((((c[0]*q + c[1])*q + c[2])*q + c[3])*q + c[4])*q + c[5]) /
		     ((((d[0]*q + d[1])*q + d[2])*q + d[3])*q + 1);
	}
	/* One Halley step against the exact CDF. */
	double e = 0.5 * erfc(-x / M_SQRT2) - p;
	double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

double stats_t_cdf(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return t > 0 ? 1.0 : 0.0;
	double tail = 0.5 * dist_beta_i(df / 2, 0.5, df / (df + t * t));
	return t >= 0 ? 1.0 - tail : tail;
}

static double t_pdf(double t, double df)
{
	int s1, s2;
	double lc = lgamma_r((df + 1) / 2, &s1) - lgamma_r(df / 2, &s2) -
	            0.5 * log(df * M_PI);
	return exp(lc - (df + 1) / 2 * log1p(t * t / df));
}

double stats_t_quantile(double p, double df)
{
	if (!(p > 0 && p < 1) || !(df > 0))
		return NAN;
	if (p == 0.5)
		return 0.0;
	if (df == 1)
		return tan(M_PI * (p - 0.5));
	if (df == 2)
		return (2 * p - 1) / sqrt(2 * p * (1 - p));
	if (p < 0.5)
		return -stats_t_quantile(1 - p, df);
	/* Cornish-Fisher start, then Newton safeguarded by a bracket. */
	double z = stats_normal_quantile(p), z2 = z * z;
	double x = z + z * (z2 + 1) / (4 * df) +
	           z * ((5 * z2 + 16) * z2 + 3) / (96 * df * df);
	double lo = 0, hi = INFINITY;
	for (int i = 0; i < 100; i++) {
		double f = stats_t_cdf(x, df) - p;
		if (f < 0) lo = x; else hi = x;
		double step = f / t_pdf(x, df);
		double nx = x - step;
		if (!(nx > lo && nx < hi))
			nx = isinf(hi) ? 2 * x + 1 : 0.5 * (lo + hi);
		if (fabs(nx - x) <= 1e-13 * fabs(nx))
			return nx;
		x = nx;
	}
	return x;
}

double stats_halfwidth95(double se, double df)
{
	if (!(df >= 1))
		return NAN;
	return stats_t_quantile(0.975, df) * se;
}

/* ---- exact percentiles ------------------------------------------------------ */

static void swapd(double *a, double *b) { double t = *a; *a = *b; *b = t; }

/* Hoare-style quickselect: afterwards x[k] is the k-th smallest, values
 * before it are <= it, values after are >=.  Median-of-three pivots keep
 * sorted input linear; ties (common: many zero waits) are split evenly. */
static double select_k(double *x, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2;
		if (x[mid] < x[lo]) swapd(&x[mid], &x[lo]);
		if (x[hi] < x[lo]) swapd(&x[hi], &x[lo]);
		if (x[hi] < x[mid]) swapd(&x[hi], &x[mid]);
		double pv = x[mid];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (x[i] < pv) i++;
			while (x[j] > pv) j--;
			if (i <= j) {
				swapd(&x[i], &x[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return x[k];
}

static double min_from(const double *x, size_t from, size_t n)
{
	double m = x[from];
	for (size_t i = from + 1; i < n; i++)
		if (x[i] < m)
			m = x[i];
	return m;
}

double stats_percentile(double *x, size_t n, double p)
{
	if (n == 0 || isnan(p))
		return NAN;
	if (p < 0) p = 0;
	if (p > 1) p = 1;
	double h = (double)(n - 1) * p;
	size_t k = (size_t)floor(h);
	double v = select_k(x, n, k);
	if (k + 1 >= n || h == (double)k)
		return v;
	double w = min_from(x, k + 1, n);   /* the (k+1)-th smallest */
	return v + (h - (double)k) * (w - v);
}

double stats_percentile_rank(double *x, size_t n, double p)
{
	if (n == 0 || isnan(p))
		return NAN;
	if (p < 0) p = 0;
	if (p > 1) p = 1;
	double r = ceil(p * (double)n);
	size_t k = r < 1 ? 0 : (size_t)r - 1;
	if (k >= n)
		k = n - 1;
	return select_k(x, n, k);
}

/* ---- histogram -------------------------------------------------------------- */

void stats_hist_init(stats_hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = INT64_MAX;
	h->max = INT64_MIN;
}

int stats_hist_bucket(int64_t v)
{
	if (v < 2 * STATS_HIST_SUB)
		return v < 0 ? 0 : (int)v;
	if (v >= ((int64_t)1 << STATS_HIST_MAXEXP))
		return STATS_HIST_N - 1;
	int e = 63 - __builtin_clzll((unsigned long long)v);   /* 7 .. MAXEXP-1 */
	int shift = e - 6;
	return 2 * STATS_HIST_SUB + (e - 7) * STATS_HIST_SUB +
	       (int)((v >> shift) - STATS_HIST_SUB);
}

void stats_hist_bucket_range(int idx, int64_t *lo, int64_t *hi)
{
	if (idx < 2 * STATS_HIST_SUB) {
		*lo = *hi = idx;
		return;
	}
	int rel = idx - 2 * STATS_HIST_SUB;
	int e = 7 + rel / STATS_HIST_SUB, shift = e - 6;
	int64_t m = STATS_HIST_SUB + rel % STATS_HIST_SUB;
	*lo = m << shift;
	*hi = ((m + 1) << shift) - 1;
}

void stats_hist_add(stats_hist *h, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	h->count[stats_hist_bucket(ms)]++;
	h->n++;
	h->sum += (double)ms;
	if (ms < h->min) h->min = ms;
	if (ms > h->max) h->max = ms;
}

void stats_hist_merge(stats_hist *a, const stats_hist *b)
{
	for (int i = 0; i < STATS_HIST_N; i++)
		a->count[i] += b->count[i];
	a->n += b->n;
	a->sum += b->sum;
	if (b->min < a->min) a->min = b->min;
	if (b->max > a->max) a->max = b->max;
}

double stats_hist_quantile(const stats_hist *h, double p)
{
	if (h->n == 0 || isnan(p))
		return NAN;
	if (p < 0) p = 0;
	if (p > 1) p = 1;
	double rr = ceil(p * (double)h->n);
	uint64_t rank = rr < 1 ? 1 : (uint64_t)rr;
	uint64_t cum = 0;
	for (int i = 0; i < STATS_HIST_N; i++) {
		cum += h->count[i];
		if (cum >= rank) {
			int64_t lo, hi;
			stats_hist_bucket_range(i, &lo, &hi);
			double v = 0.5 * ((double)lo + (double)hi);
			if (v < (double)h->min) v = (double)h->min;
			if (v > (double)h->max) v = (double)h->max;
			return v;
		}
	}
	return (double)h->max;
}

double stats_hist_mean(const stats_hist *h)
{
	return h->n ? h->sum / (double)h->n : NAN;
}

double stats_hist_share_le(const stats_hist *h, int64_t ms)
{
	if (h->n == 0)
		return NAN;
	if (ms < 0)
		return 0.0;
	int top = stats_hist_bucket(ms);
	int64_t lo, hi;
	stats_hist_bucket_range(top, &lo, &hi);
	if (hi > ms)        /* only part of that bucket is <= ms: leave it out */
		top--;
	uint64_t cum = 0;
	for (int i = 0; i <= top; i++)
		cum += h->count[i];
	return (double)cum / (double)h->n;
}

/* ---- pooled counts ---------------------------------------------------------- */

double stats_ratio(double num, double den)
{
	return den != 0 ? num / den : NAN;
}

void stats_counts_pool(stats_counts *into, const stats_counts *add)
{
	into->offered += add->offered;
	into->answered += add->answered;
	into->abandoned += add->abandoned;
	into->answered_within += add->answered_within;
	into->waited += add->waited;
	into->wait_answered_ms += add->wait_answered_ms;
	into->busy_ms += add->busy_ms;
	into->staffed_ms += add->staffed_ms;
}

double stats_counts_service_level(const stats_counts *c)
{
	return stats_ratio((double)c->answered_within, (double)(c->answered + c->abandoned));
}

double stats_counts_abandon_rate(const stats_counts *c)
{
	return stats_ratio((double)c->abandoned, (double)(c->answered + c->abandoned));
}

double stats_counts_asa_ms(const stats_counts *c)
{
	return stats_ratio(c->wait_answered_ms, (double)c->answered);
}

double stats_counts_p_wait(const stats_counts *c)
{
	return stats_ratio((double)c->waited, (double)c->offered);
}

double stats_counts_occupancy(const stats_counts *c)
{
	return stats_ratio(c->busy_ms, c->staffed_ms);
}

/* ---- ratios of sums over replications ----------------------------------------- */

void stats_rsum_add(stats_rsum *s, double a, double b)
{
	s->a += a;
	s->b += b;
	s->aa += a * a;
	s->ab += a * b;
	s->bb += b * b;
}

int stats_rsum_ratio_ci(const stats_rsum *s, uint64_t k, stats_ci *ci)
{
	ci->mean = s->b != 0 ? s->a / s->b : NAN;
	ci->se = ci->half = NAN;
	ci->df = k >= 2 ? (int)(k - 1) : 0;
	if (k < 2 || s->b == 0)
		return -1;
	double r = ci->mean;
	/* sum (a - r b)^2 expanded; rounding can leave a tiny negative */
	double ss = s->aa - 2.0 * r * s->ab + r * r * s->bb;
	if (ss < 0)
		ss = 0;
	double kk = (double)k;
	ci->se = sqrt(ss / (kk - 1.0) / kk) / (s->b / kk);
	ci->half = stats_halfwidth95(ci->se, ci->df);
	return 0;
}

int stats_rsum_mean_ci(const stats_rsum *s, uint64_t k, stats_ci *ci)
{
	double kk = (double)k;
	ci->mean = k ? s->a / kk : NAN;
	ci->se = ci->half = NAN;
	ci->df = k >= 2 ? (int)(k - 1) : 0;
	if (k < 2)
		return -1;
	double ss = s->aa - kk * ci->mean * ci->mean;
	if (ss < 0)
		ss = 0;
	ci->se = sqrt(ss / (kk - 1.0) / kk);
	ci->half = stats_halfwidth95(ci->se, ci->df);
	return 0;
}
