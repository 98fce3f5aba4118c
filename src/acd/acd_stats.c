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
 * Waits of answered legs are kept in a growable array: p90/p95 are exact
 * (nearest rank), at 8 bytes a call, which for a simulated day of 10^5 calls
 * is under a megabyte; zero waits are only counted.  All arrays grow
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
	s->sorted = true;
	s->o_i = -1;
	s->o_lo = INT64_MAX;
	s->o_hi = INT64_MIN;
	return ACD_OK;
}

void acd_stats_fini(acd_stats *s)
{
	free(s->bins);
	free(s->waits);
	s->bins = NULL;
	s->waits = NULL;
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

bool acd_stats_wait_slow(acd_stats *s, int64_t wait_ms)
{
	if (s->nwaits == s->capwaits) {
		size_t cap = s->capwaits ? s->capwaits * 2 : 1024;
		int64_t *nw = realloc(s->waits, cap * sizeof *nw);
		if (!nw) {
			s->status = ACD_E_NOMEM;
			return false;
		}
		s->waits = nw;
		s->capwaits = cap;
	}
	if (s->nwaits > 0 && wait_ms < s->waits[s->nwaits - 1])
		s->sorted = false;
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

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Counting sort of n non-negative waits, all <= max: one count per value
 * (max is small next to n).  false when the table cannot be had. */
static bool count_sort(int64_t *w, size_t n, int64_t max)
{
	uint32_t *count = calloc((size_t)max + 1, sizeof *count);
	if (!count)
		return false;
	for (size_t i = 0; i < n; i++)
		count[w[i]]++;
	size_t k = 0;
	for (int64_t v = 0; v <= max; v++)
		for (uint32_t c = count[v]; c > 0; c--)
			w[k++] = v;
	free(count);
	return true;
}

/* Sort non-negative waits.  Waits are mostly small: when the largest is
 * within a few times their number, a counting sort (one pass, one table
 * the size of the range); otherwise LSD radix on 16-bit digits, only as
 * many passes as the largest wait needs (two for anything under 49 days).
 * qsort for negatives or when a scratch buffer cannot be had.  Sorting
 * integers, every method gives the same order. */
static void sort_waits(int64_t *w, size_t n)
{
	int64_t max = 0;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < 0) {
			qsort(w, n, sizeof *w, cmp_i64);
			return;
		}
		if (w[i] > max)
			max = w[i];
	}
	if ((uint64_t)max < 4 * (uint64_t)n + 1024 && n < UINT32_MAX && count_sort(w, n, max))
		return;
	/* Each radix pass clears and sums a 65,537-entry table: for a small
	 * queue's few thousand waits a comparison sort is cheaper. */
	if (n < 4096) {
		qsort(w, n, sizeof *w, cmp_i64);
		return;
	}
	int64_t *tmp = malloc(n * sizeof *tmp);
	if (!tmp) {
		qsort(w, n, sizeof *w, cmp_i64);
		return;
	}
	int64_t *src = w, *dst = tmp;
	for (int shift = 0; shift < 64 && (max >> shift) > 0; shift += 16) {
		size_t count[65537] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((uint64_t)src[i] >> shift & 0xffff) + 1]++;
		for (int d = 0; d < 65536; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			dst[count[(uint64_t)src[i] >> shift & 0xffff]++] = src[i];
		int64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != w)
		memcpy(w, src, n * sizeof *w);
	free(tmp);
}

/* The i-th (0-based) of all n = nzero + nwaits waits in sorted order: the
 * stored ones are sorted and hold no zeros, which go after the negatives. */
static int64_t wait_rank(const acd_stats *s, size_t i, size_t nneg, size_t nzero)
{
	if (i < nneg)
		return s->waits[i];
	if (i < nneg + nzero)
		return 0;
	return s->waits[i - nzero];
}

int64_t acd_stats_quantile(acd_stats *s, double p)
{
	size_t nzero = s->nzero;     /* and the bins' legs answered at once */
	for (int i = 0; i < s->nbins; i++)
		nzero += (size_t)s->bins[i].ff;
	size_t n = s->nwaits + nzero;
	if (n == 0)
		return 0;
	if (!s->sorted) {
		sort_waits(s->waits, s->nwaits);
		s->sorted = true;
	}
	size_t nneg = 0;
	while (nneg < s->nwaits && s->waits[nneg] < 0)
		nneg++;
	if (!(p > 0))
		return wait_rank(s, 0, nneg, nzero);
	if (p >= 1)
		return wait_rank(s, n - 1, nneg, nzero);
	/* nearest rank: k = ceil(p n), guarding 0.9 * 10 = 9.000000000000002 */
	double kr = ceil(p * (double)n - 1e-9);
	size_t k = kr < 1 ? 1 : (size_t)kr;
	if (k > n)
		k = n;
	return wait_rank(s, k - 1, nneg, nzero);
}
