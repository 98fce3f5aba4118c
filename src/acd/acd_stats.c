/*
 * acd_stats.c — per-queue, per-interval figures and an exact wait recorder.
 *
 * Legs are counted in the interval in which they entered the queue, so one
 * interval's offered/answered/abandoned and its waits and talk time describe
 * the same calls (and a SQL query grouping legs by `entered` reproduces
 * them).  Agent time is an integral of piecewise-constant counts (staffed,
 * busy): each change integrates the old counts up to its time, split exactly
 * at interval boundaries.  Events before `start` (warm-up) are not counted.
 *
 * Waits of answered legs are kept in a growable array with the interval
 * each leg entered in: p90/p95 are exact (nearest rank) per queue, per
 * interval and pooled over queues, at 12 bytes a wait (12 more while a
 * query regroups them), which for a simulated day of 10^5 calls is about a
 * megabyte; zero waits are only counted.  All arrays grow
 * geometrically; a failed growth makes the module's status ACD_E_NOMEM
 * (sticky) and drops that one event.
 *
 * The per-event updates are inline functions in acd_stats.h (the common
 * case: the event falls in the interval of the one before); this file holds
 * their slow paths and everything done at query time.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/acd.h"
#include "acd_stats.h"

#define ACD_STATS_MAX_INTERVALS (1 << 20)    /* two years of 1-minute intervals */

int acd_stats_init(acd_stats *s, int64_t start, int64_t interval_ms, int64_t sl_ms)
{
	memset(s, 0, sizeof *s);
	if (interval_ms < 0 || sl_ms < 0)
		return ACD_E_ARG;
	s->len = interval_ms ? interval_ms : 30 * 60 * 1000;
	s->sl = sl_ms ? sl_ms : 20 * 1000;
	s->start = start;
	s->started = start != ACD_START_AUTO;
	s->o_i = -1;
	s->o_lo = INT64_MAX;
	s->o_hi = INT64_MIN;
	return ACD_OK;
}

void acd_stats_fini(acd_stats *s)
{
	free(s->bins);
	free(s->waits);
	free(s->wbin);
	free(s->goff);
	s->bins = NULL;
	s->waits = NULL;
	s->wbin = NULL;
	s->goff = NULL;
}

int acd_stats_new(int64_t start, int64_t interval_ms, int64_t sl_ms, acd_stats **out)
{
	*out = NULL;
	if (interval_ms < 0 || sl_ms < 0)
		return ACD_E_ARG;
	acd_stats *s = malloc(sizeof *s);
	if (!s)
		return ACD_E_NOMEM;
	acd_stats_init(s, start, interval_ms, sl_ms);
	*out = s;
	return ACD_OK;
}

void acd_stats_free(acd_stats *s)
{
	if (!s)
		return;
	acd_stats_fini(s);
	free(s);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Resolve an automatic start at the first time seen. */
static void see(acd_stats *s, int64_t t)
{
	if (s->started)
		return;
	s->start = floor_div(t, s->len) * s->len;
	s->started = true;
}

/* The bin holding t, creating bins up to it; NULL before start or on OOM.
 * (acd_stats_bin is the inline front: the cached bin.) */
acd_bin *acd_stats_bin_slow(acd_stats *s, int64_t t)
{
	if (t >= s->c_lo && t < s->c_hi)
		return &s->bins[s->c_i];
	see(s, t);
	if (t < s->start)
		return NULL;
	int64_t i64 = (t - s->start) / s->len;
	if (i64 >= ACD_STATS_MAX_INTERVALS) {
		/* a stats start far before the events (e.g. 0 with real times):
		 * refuse rather than allocate millions of empty intervals */
		s->status = ACD_E_ARG;
		return NULL;
	}
	int i = (int)i64;
	if (i >= s->capbins) {
		int cap = s->capbins ? s->capbins : 16;
		while (cap <= i)
			cap *= 2;
		acd_bin *nb = realloc(s->bins, (size_t)cap * sizeof *nb);
		if (!nb) {
			s->status = ACD_E_NOMEM;
			return NULL;
		}
		s->bins = nb;
		s->capbins = cap;
	}
	while (s->nbins <= i) {
		acd_bin *bin = &s->bins[s->nbins];
		memset(bin, 0, sizeof *bin);
		acd_figures *b = &bin->f;
		b->start = s->start + (int64_t)s->nbins * s->len;
		b->length_ms = s->len;
		b->agents = s->on_duty;
		if (s->on_duty > s->max_agents)
			s->max_agents = s->on_duty;
		s->nbins++;
	}
	s->c_i = i;
	s->c_lo = s->bins[i].f.start;
	s->c_hi = s->bins[i].f.start + s->len;
	return &s->bins[i];
}

bool acd_stats_wait_slow(acd_stats *s, int64_t wait_ms, int bin)
{
	if (s->nwaits == s->capwaits) {
		size_t cap = s->capwaits ? s->capwaits * 2 : 1024;
		int64_t *nw = realloc(s->waits, cap * sizeof *nw);
		if (!nw) {
			s->status = ACD_E_NOMEM;
			return false;
		}
		s->waits = nw;
		/* the waits array is already larger: harmless if this fails */
		int32_t *nb = realloc(s->wbin, cap * sizeof *nb);
		if (!nb) {
			s->status = ACD_E_NOMEM;
			return false;
		}
		s->wbin = nb;
		s->capwaits = cap;
	}
	s->wbin[s->nwaits] = bin;
	s->waits[s->nwaits++] = wait_ms;
	return true;
}

void acd_stats_offer(acd_stats *s, int64_t entered, bool found_free)
{
	acd_stats_offer_inl(s, entered, found_free);
}

void acd_stats_answer(acd_stats *s, int64_t entered, int64_t wait_ms)
{
	acd_stats_answer_inl(s, entered, wait_ms);
}

void acd_stats_leave(acd_stats *s, int64_t entered, call_leg_result r, int64_t wait_ms)
{
	acd_bin *bin = acd_stats_bin(s, entered);
	if (!bin)
		return;
	acd_figures *b = &bin->f;
	switch (r) {
	case CALL_LEG_ABANDONED:
		b->abandoned++;
		b->abandon_wait_sum_ms += wait_ms;
		break;
	case CALL_LEG_TIMEOUT:
		b->timed_out++;
		b->timeout_wait_sum_ms += wait_ms;
		break;
	case CALL_LEG_ASKED_SUPERVISOR:
		b->asked_supervisor++;
		break;
	default:
		break;
	}
}

void acd_stats_handled(acd_stats *s, int64_t entered, int64_t talk_ms, int64_t wrapup_ms)
{
	acd_stats_handled_inl(s, entered, talk_ms, wrapup_ms);
}

/* Open the bin holding acc_t, if it exists and none is open: pre-credit it
 * with the counts up to its end (see acd_stats.h). */
static void open_bin(acd_stats *s)
{
	if (s->o_i >= 0 || !s->acc_started || !s->started || s->acc_t < s->start)
		return;
	int64_t k = (s->acc_t - s->start) / s->len;
	if (k >= s->nbins)
		return;                  /* made later, by an event in it */
	acd_figures *b = &s->bins[k].f;
	s->o_i = (int)k;
	s->o_lo = b->start;
	s->o_hi = b->start + s->len;
	int64_t rem = s->o_hi - s->acc_t;
	b->staffed_ms += rem * s->staffed;
	b->busy_ms += rem * s->busy;
}

/* The general case of acd_stats_advance_inl: the integral may cross
 * interval boundaries, start before the stats start, or be the first. */
void acd_stats_advance_slow(acd_stats *s, int64_t t)
{
	see(s, t);
	if (!s->acc_started) {
		s->acc_t = t;
		s->acc_started = true;
		if (t > s->start)
			acd_stats_bin(s, t - 1);    /* intervals before the first event: nobody */
		open_bin(s);
		return;
	}
	if (t <= s->acc_t)
		return;
	int64_t from = s->acc_t;
	if (s->o_i >= 0) {
		if (t < s->o_hi) {
			s->acc_t = t;
			return;
		}
		/* the open bin is credited up to its end: close it */
		from = s->o_hi;
		s->o_i = -1;
		s->o_lo = INT64_MAX;
		s->o_hi = INT64_MIN;
	}
	s->acc_t = t;
	if (t <= s->start) {
		open_bin(s);
		return;
	}
	if (from < s->start)
		from = s->start;
	if (s->staffed == 0 && s->busy == 0) {
		/* nothing to add, but the bins up to t must exist so that their
		 * `agents` reflect the counts that were in effect */
		acd_stats_bin(s, t - 1);
		open_bin(s);
		return;
	}
	while (from < t) {
		acd_bin *bin = acd_stats_bin(s, from);
		if (!bin)
			return;
		acd_figures *b = &bin->f;
		int64_t end = b->start + b->length_ms;
		int64_t to = t < end ? t : end;
		int64_t d = to - from;
		b->staffed_ms += d * s->staffed;
		b->busy_ms += d * s->busy;
		from = to;
	}
	open_bin(s);
}

void acd_stats_advance(acd_stats *s, int64_t t)
{
	acd_stats_advance_inl(s, t);
}

/* The rest of acd_stats_agents_inl once the counts are set, when t is not
 * in the cached bin. */
void acd_stats_agents_slow(acd_stats *s, int64_t t)
{
	if (t < s->start)
		return;
	acd_bin *b = acd_stats_bin(s, t);
	if (b && b->f.start == t)
		b->f.agents = s->on_duty;    /* changes at the boundary instant count */
	if (s->on_duty > s->max_agents)
		s->max_agents = s->on_duty;
	open_bin(s);                     /* the bin of acc_t may exist now */
}

void acd_stats_agents(acd_stats *s, int64_t t, int staffed, int busy, int on_duty)
{
	acd_stats_agents_inl(s, t, staffed, busy, on_duty);
}

int acd_stats_status(const acd_stats *s) { return s->status; }
int acd_stats_nintervals(const acd_stats *s) { return s->nbins; }

/* What a bin holds that its figures do not show yet: the fast path's legs
 * answered at once, and (the open bin) the pre-credit after acc_t. */
static void fold(const acd_stats *s, int i, acd_figures *out)
{
	int64_t ff = s->bins[i].ff;
	out->offered += ff;
	out->found_free += ff;
	out->answered += ff;
	out->answered_within += ff;
	if (i == s->o_i) {
		int64_t rem = s->o_hi - s->acc_t;
		out->staffed_ms -= rem * s->staffed;
		out->busy_ms -= rem * s->busy;
	}
}

void acd_stats_interval(const acd_stats *s, int i, acd_figures *out)
{
	if (i < 0 || i >= s->nbins) {
		memset(out, 0, sizeof *out);
		return;
	}
	*out = s->bins[i].f;
	fold(s, i, out);
}

/* Every counted event is in exactly one bin, so the totals are their sum. */
void acd_stats_total(const acd_stats *s, acd_figures *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < s->nbins; i++) {
		acd_figures f = s->bins[i].f;
		fold(s, i, &f);
		const acd_figures *b = &f;
		out->offered += b->offered;
		out->answered += b->answered;
		out->abandoned += b->abandoned;
		out->timed_out += b->timed_out;
		out->asked_supervisor += b->asked_supervisor;
		out->answered_within += b->answered_within;
		out->found_free += b->found_free;
		out->wait_sum_ms += b->wait_sum_ms;
		if (b->wait_max_ms > out->wait_max_ms)
			out->wait_max_ms = b->wait_max_ms;
		out->abandon_wait_sum_ms += b->abandon_wait_sum_ms;
		out->timeout_wait_sum_ms += b->timeout_wait_sum_ms;
		out->handled += b->handled;
		out->handle_sum_ms += b->handle_sum_ms;
		out->wrapup_sum_ms += b->wrapup_sum_ms;
		out->staffed_ms += b->staffed_ms;
		out->busy_ms += b->busy_ms;
	}
	out->agents = s->max_agents;
	out->start = s->started ? s->start : 0;
	out->length_ms = (s->started && s->acc_started && s->acc_t > s->start)
	               ? s->acc_t - s->start : 0;
}

/* A wait and the bin its leg entered in, for the comparison sort. */
typedef struct wpair {
	int64_t w;
	int32_t bin;
} wpair;

static int cmp_pair(const void *a, const void *b)
{
	const wpair *x = a, *y = b;
	if (x->w != y->w)
		return (x->w > y->w) - (x->w < y->w);
	return (x->bin > y->bin) - (x->bin < y->bin);
}

/* Sort the n waits w[] with their bins b[] by wait into ow[], ob[] (w and
 * b keep the order answered: later waits are appended to them); max is the
 * largest wait (0 if none is positive), neg whether any is negative.  Waits are
 * mostly small: when the largest is within a few times their number, a
 * counting sort (one table the size of the range); otherwise LSD radix on
 * 16-bit digits, only as many passes as the largest wait needs (two for
 * anything under 49 days), each pass carrying the bins along.  A comparison
 * sort for negatives and for a small queue's few thousand waits (a radix
 * pass clears and sums a 65,537-entry table).  Sorting integers, every
 * method gives the same waits in the same order; equal waits may differ in
 * their bins' order, which grouping by bin (each group then sorted) does
 * not see.  false when memory cannot be had. */
static bool sort_pairs(const int64_t *w, const int32_t *b, size_t n, int64_t max, bool neg,
                       int64_t *ow, int32_t *ob)
{
	if (!neg && (uint64_t)max < 4 * (uint64_t)n + 1024 && n < UINT32_MAX) {
		uint32_t *pos = calloc((size_t)max + 2, sizeof *pos);
		if (!pos)
			return false;
		for (size_t i = 0; i < n; i++)
			pos[w[i] + 1]++;
		for (int64_t v = 0; v <= max; v++)
			pos[v + 1] += pos[v];
		for (size_t i = 0; i < n; i++) {
			uint32_t k = pos[w[i]]++;
			ow[k] = w[i];
			ob[k] = b[i];
		}
		free(pos);
		return true;
	}
	if (neg || n < 4096) {
		wpair *pr = malloc(n * sizeof *pr);
		if (!pr)
			return false;
		for (size_t i = 0; i < n; i++) {
			pr[i].w = w[i];
			pr[i].bin = b[i];
		}
		qsort(pr, n, sizeof *pr, cmp_pair);
		for (size_t i = 0; i < n; i++) {
			ow[i] = pr[i].w;
			ob[i] = pr[i].bin;
		}
		free(pr);
		return true;
	}
	int passes = 0;
	for (int shift = 0; shift < 64 && (max >> shift) > 0; shift += 16)
		passes++;
	int64_t *tw = malloc(n * sizeof *tw);
	int32_t *tb = malloc(n * sizeof *tb);
	uint32_t *count = malloc(65537 * sizeof *count);
	if (!tw || !tb || !count) {
		free(tw);
		free(tb);
		free(count);
		return false;
	}
	/* the passes alternate between ow and the scratch, ending in ow */
	const int64_t *sw = w;
	const int32_t *sb = b;
	for (int p = 0; p < passes; p++) {
		int shift = 16 * p;
		bool to_out = (passes - p) % 2 == 1;
		int64_t *dw = to_out ? ow : tw;
		int32_t *db = to_out ? ob : tb;
		memset(count, 0, 65537 * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[((uint64_t)sw[i] >> shift & 0xffff) + 1]++;
		for (int d = 0; d < 65536; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++) {
			uint32_t k = count[(uint64_t)sw[i] >> shift & 0xffff]++;
			dw[k] = sw[i];
			db[k] = sb[i];
		}
		sw = dw;
		sb = db;
	}
	free(tw);
	free(tb);
	free(count);
	return true;
}

/* Regroup the waits recorded so far by bin, each group sorted, unless they
 * are so already (waits are only ever appended, so their number tells):
 * sorted by value into a scratch copy, then distributed back by bin in
 * that order (stable), which leaves each group sorted — two passes instead
 * of a sort per interval, and no copy kept.  The pairs stay together, so
 * waits appended later are regrouped with the rest at the next query.
 * false (status ACD_E_NOMEM) when memory cannot be had. */
static bool order_waits(acd_stats *s)
{
	if (s->ordered && s->ord_n == s->nwaits)
		return true;
	size_t n = s->nwaits;
	int nb = s->nbins;
	size_t sz = n ? n : 1;
	size_t *goff = realloc(s->goff, ((size_t)nb + 1) * sizeof *goff);
	if (goff)
		s->goff = goff;
	int64_t *ow = malloc(sz * sizeof *ow);
	int32_t *ob = malloc(sz * sizeof *ob);
	if (!goff || !ow || !ob) {
		free(ow);
		free(ob);
		s->status = ACD_E_NOMEM;
		s->ordered = false;
		return false;
	}
	/* one pass for what the sort needs to know and the groups' sizes */
	memset(goff, 0, ((size_t)nb + 1) * sizeof *goff);
	int64_t max = 0;
	bool neg = false;
	for (size_t i = 0; i < n; i++) {
		int64_t w = s->waits[i];
		neg |= w < 0;
		if (w > max)
			max = w;
		goff[s->wbin[i] + 1]++;
	}
	if (!sort_pairs(s->waits, s->wbin, n, max, neg, ow, ob)) {
		free(ow);
		free(ob);
		s->status = ACD_E_NOMEM;
		s->ordered = false;
		return false;
	}
	for (int i = 0; i < nb; i++)
		goff[i + 1] += goff[i];
	/* goff[i] is where bin i's group starts; scattering moves it to where
	 * the group ends (the next one's start), so shift back by one after */
	for (size_t i = 0; i < n; i++) {
		size_t k = goff[ob[i]]++;
		s->waits[k] = ow[i];
		s->wbin[k] = ob[i];
	}
	if (nb > 0)
		memmove(goff + 1, goff, (size_t)nb * sizeof *goff);
	goff[0] = 0;
	free(ow);
	free(ob);
	s->ngoff = nb;
	s->ord_n = n;
	s->ordered = true;
	return true;
}

/* Zero waits: the ones counted apart and the fast path's, per bin. */
static size_t zero_waits(const acd_stats *s)
{
	size_t nzero = s->nzero;
	for (int i = 0; i < s->nbins; i++)
		nzero += (size_t)s->bins[i].ff;
	return nzero;
}

/* The nearest rank k (1-based) of the p-quantile of n > 0 values: the
 * smallest k with k >= p n; the first for p <= 0, the last for p >= 1. */
static size_t nearest_rank(double p, size_t n)
{
	if (!(p > 0))
		return 1;
	if (p >= 1)
		return n;
	/* guarding 0.9 * 10 = 9.000000000000002 */
	double kr = ceil(p * (double)n - 1e-9);
	size_t k = kr < 1 ? 1 : (size_t)kr;
	return k > n ? n : k;
}

/* The k-th (1-based) of the m sorted stored waits w[] and nzero zeros in
 * sorted order: the stored ones hold no zeros, which go after the
 * negatives. */
static int64_t wait_rank(const int64_t *w, size_t m, size_t nzero, size_t k)
{
	size_t nneg = 0;
	while (nneg < m && w[nneg] < 0)
		nneg++;
	size_t i = k - 1;
	if (i < nneg)
		return w[i];
	if (i < nneg + nzero)
		return 0;
	return w[i - nzero];
}

int64_t acd_stats_quantile(acd_stats *s, double p)
{
	return acd_stats_quantile_pooled(&s, 1, p);
}

/* Interval i's group and its zeros: its answered legs are its stored
 * waits and zeros (acd_stats_answer_inl counts both, the fast path's ff
 * only zeros). */
int64_t acd_stats_interval_quantile(acd_stats *s, int i, double p)
{
	if (i < 0 || i >= s->nbins || !order_waits(s))
		return 0;
	size_t lo = 0, hi = 0;
	if (i < s->ngoff) {
		lo = s->goff[i];
		hi = s->goff[i + 1];
	}
	size_t m = hi - lo;
	size_t nzero = (size_t)(s->bins[i].f.answered + s->bins[i].ff) - m;
	size_t n = m + nzero;
	if (n == 0)
		return 0;
	return wait_rank(s->waits + lo, m, nzero, nearest_rank(p, n));
}

/* Stored waits <= x of a sorted array (upper bound). */
static size_t count_le(const int64_t *w, size_t m, int64_t x)
{
	size_t lo = 0, hi = m;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Waits <= x in module s's groups (ordered): a binary search in each. */
static size_t module_le(const acd_stats *s, int64_t x)
{
	size_t c = 0;
	for (int i = 0; i < s->ngoff; i++)
		if (s->goff[i + 1] > s->goff[i])
			c += count_le(s->waits + s->goff[i], s->goff[i + 1] - s->goff[i], x);
	return c;
}

/* The waits of a queue (nv = 1) or of several pooled, without merging or
 * sorting them as a whole: the nearest rank k is the smallest x with at
 * least k waits <= x, and the number of waits <= x is a binary search in
 * each interval's sorted group (plus the zeros when x >= 0); x itself is
 * found by bisection over [min, max], some 40 steps.  The smallest such x
 * is always one of the waits, so the result is exactly what sorting all
 * the waits would give. */
int64_t acd_stats_quantile_pooled(acd_stats *const *v, int nv, double p)
{
	size_t n = 0, nzero = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (int j = 0; j < nv; j++) {
		acd_stats *s = v[j];
		size_t z = zero_waits(s);
		if (s->nwaits + z == 0)
			continue;
		if (!order_waits(s))
			return 0;
		nzero += z;
		n += s->nwaits + z;
		for (int i = 0; i < s->ngoff; i++)
			if (s->goff[i + 1] > s->goff[i]) {
				if (s->waits[s->goff[i]] < lo)
					lo = s->waits[s->goff[i]];
				if (s->waits[s->goff[i + 1] - 1] > hi)
					hi = s->waits[s->goff[i + 1] - 1];
			}
	}
	if (n == 0)
		return 0;
	if (nzero > 0) {
		if (lo > 0)
			lo = 0;
		if (hi < 0)
			hi = 0;
	}
	size_t k = nearest_rank(p, n);
	while (lo < hi) {
		int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2);
		size_t c = mid >= 0 ? nzero : 0;
		for (int j = 0; j < nv; j++)
			if (v[j]->nwaits > 0)
				c += module_le(v[j], mid);
		if (c >= k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
