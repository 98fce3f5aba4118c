/*
 * erlang.c — Erlang B, C and A; see erlang.h and docs/erlang.md.
 *
 * Erlang A (M/M/n+M), rates lambda, mu = 1/aht, theta = 1/patience.  The
 * number in system is a birth-death chain with birth rate lambda and death
 * rate j mu for j <= n, n mu + k theta for n + k.  Its stationary weights are
 *     w_j = prod_{i=1..j} lambda / (i mu)                       (j <= n)
 *     w_{n+k} = w_n prod_{i=1..k} lambda / (n mu + i theta)       (k >= 1)
 * They are unimodal (each ratio is smaller than the one before), so the
 * sums are taken in log space relative to the largest weight: no overflow
 * for thousands of agents, and no cancellation (every term is positive).
 *
 * By PASTA an arrival sees the stationary state.  Finding k callers waiting,
 * it moves up at rate n mu + i theta while i callers are ahead of it (a
 * service or an abandonment ahead), and abandons at rate theta.  The chance
 * that every one of its k + 1 moves beats its own patience telescopes to
 *     q_k = n mu / (n mu + (k + 1) theta),
 * and given that, its wait is a sum of exponentials with rates
 * n mu + j theta, j = 1..k+1 (competing exponentials: the time to the
 * first event does not depend on which event it is).  So
 *     P(abandon)          = sum_k p_k (1 - q_k)   (= theta E[Q] / lambda)
 *     E[W; answered]      = sum_k p_k q_k sum_{j=1..k+1} 1/(n mu + j theta)
 *     P(answered by t)    = P(no wait) + sum_k p_k q_k H_k(t)
 * where H_k is that hypoexponential CDF, an incomplete beta function with
 * a whole first argument, i.e. a negative-binomial tail (see eval_a); the textbook partial-fraction form of a hypoexponential CDF
 * would cancel catastrophically for large k.
 */
#include <math.h>
#include "tierline/erlang.h"

double erlang_b(double a, int c)
{
	if (!(a > 0))
		return c <= 0 ? 1.0 : 0.0;
	double b = 1.0;
	for (int k = 1; k <= c; k++)
		b = a * b / (k + a * b);
	return b;
}

double erlang_c(double a, int c)
{
	if (!(a > 0))
		return 0.0;
	if (c <= a)
		return 1.0;
	double b = erlang_b(a, c);
	return c * b / (c - a * (1.0 - b));
}

double erlang_c_asa(double a, int c, double aht)
{
	if (c <= a)
		return INFINITY;
	return erlang_c(a, c) * aht / (c - a);
}

double erlang_c_service_level(double a, int c, double aht, double t)
{
	if (c <= a)
		return 0.0;
	return 1.0 - erlang_c(a, c) * exp(-(c - a) * t / aht);
}

static int model_ok(const erlang_model *m)
{
	return isfinite(m->rate) && m->rate > 0 && isfinite(m->aht) && m->aht > 0 &&
	       isfinite(m->patience) && m->patience >= 0 &&
	       isfinite(m->sl_time) && m->sl_time >= 0 &&
	       m->rate * m->aht < 1e7;
}

static void eval_c(const erlang_model *m, int n, erlang_figures *f)
{
	double a = f->traffic;
	f->p_abandon = 0.0;
	if (n <= a) {
		f->stable = false;
		f->p_wait = 1.0;
		f->asa = INFINITY;
		f->service_level = 0.0;
		f->occupancy = 1.0;
		f->mean_queue = INFINITY;
		return;
	}
	f->stable = true;
	f->p_wait = erlang_c(a, n);
	f->asa = f->p_wait * m->aht / (n - a);
	f->service_level = 1.0 - f->p_wait * exp(-(n - a) * m->sl_time / m->aht);
	f->occupancy = a / n;
	f->mean_queue = m->rate * f->asa;
}

/* Erlang A.  One streaming pass over the states after locating the mode:
 * no allocation.  Returns ERLANG_TOO_LARGE when the queue's mode lies
 * beyond ERLANG_A_MAX_QUEUE waiting callers (very long patience with fewer
 * agents than the traffic: waits of (A/n - 1) x patience). */
static int eval_a(const erlang_model *m, int n, erlang_figures *f)
{
	const double lam = m->rate, mu = 1.0 / m->aht, th = 1.0 / m->patience;
	const double nmu = n * mu;
	const double loglam = log(lam);
	const double tiny = 1e-18;

	if ((lam - nmu) / th > ERLANG_A_MAX_QUEUE)
		return ERLANG_TOO_LARGE;

	/* Pass 1: the log of the largest weight (the mode). */
	double l = 0, lmax = 0;
	for (int j = 1; j <= n; j++) {
		l += loglam - log(j * mu);
		if (l > lmax) lmax = l;
	}
	const double ln = l;           /* log w_n */
	for (long k = 1;; k++) {
		double step = loglam - log(nmu + k * th);
		if (step <= 0)
			break;
		l += step;
		if (l > lmax) lmax = l;
	}

	/* Pass 2a: the states without a queue. */
	double below = exp(-lmax);     /* j = 0 */
	l = 0;
	for (int j = 1; j < n; j++) {
		l += loglam - log(j * mu);
		below += exp(l - lmax);
	}

	/* Pass 2b: k = 0, 1, ... callers waiting, until the tail is negligible
	 * (each next ratio r < 1 bounds the rest by w r / (1 - r)).  Every sum
	 * is linear in the weights, so they are normalized at the end.
	 *
	 * Answered within t: with a = n mu / theta and m = k + 1 moves, the wait
	 * S = sum_{j=1..m} Exp(theta (a + j)) has exp(-theta S) ~ Beta(a + 1, m)
	 * (for whole a, S is the m-th order statistic of a + m iid Exp(theta)
	 * lifetimes; the Laplace transforms agree for any a), so
	 *     H_k(t) = I_x(k + 1, a + 1),  x = 1 - exp(-theta t)
	 * (Mandelbaum & Zeltyn's incomplete-beta form).  For a whole first
	 * argument I_x(k + 1, b) = 1 - sum_{j=0..k} T_j, the negative binomial
	 * weights T_0 = (1 - x)^b = exp(-(n mu + theta) t),
	 * T_j = T_{j-1} x (j - 1 + b) / j: every H_k in the same pass, kept in
	 * log space so T_0 cannot underflow for big centres.  The subtraction
	 * costs only absolute error ~k ulp, and the weights p_k q_k sum to at
	 * most 1.  (Uniformizing the chain instead is stiff when patience is
	 * short; a continued fraction per k is slow when patience is long.) */
	const double t = m->sl_time;
	const double b = nmu / th + 1.0;
	const double logx = t > 0 ? log(-expm1(-th * t)) : 0;
	double lt = -(nmu + th) * t;   /* log T_0 */
	double cum = 0;
	double queue = 0, eq = 0, pab = 0, wans = 0, harm = 0, within = 0;
	l = ln;
	for (long k = 0;; k++) {
		if (k > 0)
			l += loglam - log(nmu + k * th);
		const double w = exp(l - lmax);
		const double rk = nmu + (double)(k + 1) * th;   /* r_{k+1} */
		const double q = nmu / rk;                      /* answered */
		harm += 1.0 / rk;
		queue += w;
		eq += (double)k * w;
		pab += w * (1.0 - q);
		wans += w * q * harm;
		if (t > 0) {
			if (k > 0)
				lt += logx + log(((double)k - 1.0 + b) / (double)k);
			cum += exp(lt);
			within += w * q * (cum >= 1.0 ? 0.0 : 1.0 - cum);
		}
		const double r = lam / rk;                      /* w_{k+1} / w_k */
		if (r < 1 && w / (1 - r) < tiny)
			break;
	}
	const double total = below + queue;
	f->p_wait = queue / total;
	f->mean_queue = eq / total;
	f->p_abandon = pab / total;
	f->asa = f->p_abandon < 1 ? (wans / total) / (1.0 - f->p_abandon) : INFINITY;
	f->service_level = (below + within) / total;
	f->occupancy = lam * (1.0 - f->p_abandon) * m->aht / n;
	if (f->occupancy > 1)
		f->occupancy = 1;
	f->stable = true;
	return 0;
}

int erlang_eval(const erlang_model *m, int agents, erlang_figures *out)
{
	if (!model_ok(m) || agents < 1 || agents > ERLANG_MAX_AGENTS)
		return -1;
	out->traffic = m->rate * m->aht;
	out->agents = agents;
	if (m->patience <= 0) {
		eval_c(m, agents, out);
		return 0;
	}
	return eval_a(m, agents, out);
}

bool erlang_meets(const erlang_figures *f, const erlang_target *t)
{
	const double eps = 1e-12;   /* ignore last-bit noise at the boundary */
	if (!f->stable)
		return false;
	if (t->sl > 0 && f->service_level < t->sl - eps)
		return false;
	if (t->max_abandon >= 0 && f->p_abandon > t->max_abandon + eps)
		return false;
	return true;
}

int erlang_staff(const erlang_model *m, const erlang_target *t,
                 int *agents, erlang_figures *fig)
{
	if (!model_ok(m))
		return -1;
	erlang_figures f;
	/* lo: a count known not to meet the target (0 is never enough). */
	int lo = 0;
	if (m->patience <= 0) {
		double a = m->rate * m->aht;
		lo = a >= ERLANG_MAX_AGENTS ? ERLANG_MAX_AGENTS : (int)floor(a);
	}
	/* Gallop up from lo until the target is met. */
	int step = 1, hi = -1;
	while (lo < ERLANG_MAX_AGENTS) {
		int c = lo + step;
		if (c > ERLANG_MAX_AGENTS)
			c = ERLANG_MAX_AGENTS;
		int rc = erlang_eval(m, c, &f);
		if (rc == -1)
			return -1;
		if (rc == 0 && erlang_meets(&f, t)) {
			hi = c;
			break;
		}
		lo = c;
		step *= 2;
	}
	if (hi < 0)
		return -1;
	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;
		int rc = erlang_eval(m, mid, &f);
		if (rc == -1)
			return -1;
		if (rc == 0 && erlang_meets(&f, t))
			hi = mid;
		else
			lo = mid;
	}
	*agents = hi;
	if (fig)
		return erlang_eval(m, hi, fig);
	return 0;
}
