/* Frozen copy of src/acd/acd_stats.c from main at fa576e4, renamed ref_* (see acd_ref.h). */
/*
 * ref_acd_stats.c — per-queue, per-interval figures and an exact wait recorder.
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
 * is under a megabyte.  All arrays grow geometrically; a failed growth makes
 * the module's status ACD_E_NOMEM (sticky) and drops that one event.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "acd_ref.h"

#define ACD_STATS_MAX_INTERVALS (1 << 20)    /* two years of 1-minute intervals */

struct ref_acd_stats {
	int64_t start, len, sl;
	bool started;                /* start known (ACD_START_AUTO resolves late) */
	acd_figures *bins;
	int nbins, capbins;
	acd_figures total;
	int64_t *waits;
	size_t nwaits, capwaits;
	bool sorted;
	int staffed, busy, on_duty;  /* current counts */
	int64_t acc_t;               /* agent time integrated up to here */
	bool acc_started;
	int status;
	/* The bin of the last lookup: [c_lo, c_hi) is bins[c_i].  Nearly every
	 * event falls in the same interval as the one before, so this skips
	 * the division (the bins array may move; the index stays valid). */
	int64_t c_lo, c_hi;
	int c_i;
};

int ref_acd_stats_new(int64_t start, int64_t interval_ms, int64_t sl_ms, ref_acd_stats **out)
{
	*out = NULL;
	if (interval_ms < 0 || sl_ms < 0)
		return ACD_E_ARG;
	ref_acd_stats *s = calloc(1, sizeof *s);
	if (!s)
		return ACD_E_NOMEM;
	s->len = interval_ms ? interval_ms : 30 * 60 * 1000;
	s->sl = sl_ms ? sl_ms : 20 * 1000;
	s->start = start;
	s->started = start != ACD_START_AUTO;
	s->total.length_ms = 0;
	s->sorted = true;
	if (s->started)
		s->total.start = start;
	*out = s;
	return ACD_OK;
}

void ref_acd_stats_free(ref_acd_stats *s)
{
	if (!s)
		return;
	free(s->bins);
	free(s->waits);
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
static void see(ref_acd_stats *s, int64_t t)
{
	if (s->started)
		return;
	s->start = floor_div(t, s->len) * s->len;
	s->total.start = s->start;
	s->started = true;
}

/* The bin holding t, creating bins up to it; NULL before start or on OOM. */
static acd_figures *bin_at(ref_acd_stats *s, int64_t t)
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
		acd_figures *nb = realloc(s->bins, (size_t)cap * sizeof *nb);
		if (!nb) {
			s->status = ACD_E_NOMEM;
			return NULL;
		}
		s->bins = nb;
		s->capbins = cap;
	}
	while (s->nbins <= i) {
		acd_figures *b = &s->bins[s->nbins];
		memset(b, 0, sizeof *b);
		b->start = s->start + (int64_t)s->nbins * s->len;
		b->length_ms = s->len;
		b->agents = s->on_duty;
		if (s->on_duty > s->total.agents)
			s->total.agents = s->on_duty;
		s->nbins++;
	}
	s->c_i = i;
	s->c_lo = s->bins[i].start;
	s->c_hi = s->bins[i].start + s->len;
	return &s->bins[i];
}

void ref_acd_stats_offer(ref_acd_stats *s, int64_t entered, bool found_free)
{
	acd_figures *b = bin_at(s, entered);
	if (!b)
		return;
	b->offered++;
	s->total.offered++;
	if (found_free) {
		b->found_free++;
		s->total.found_free++;
	}
}

void ref_acd_stats_answer(ref_acd_stats *s, int64_t entered, int64_t wait_ms)
{
	acd_figures *b = bin_at(s, entered);
	if (!b)
		return;
	if (s->nwaits == s->capwaits) {
		size_t cap = s->capwaits ? s->capwaits * 2 : 1024;
		int64_t *nw = realloc(s->waits, cap * sizeof *nw);
		if (!nw) {
			s->status = ACD_E_NOMEM;
			return;
		}
		s->waits = nw;
		s->capwaits = cap;
	}
	if (s->nwaits > 0 && wait_ms < s->waits[s->nwaits - 1])
		s->sorted = false;
	s->waits[s->nwaits++] = wait_ms;
	acd_figures *fs[2] = { b, &s->total };
	for (int k = 0; k < 2; k++) {
		acd_figures *f = fs[k];
		f->answered++;
		if (wait_ms <= s->sl)
			f->answered_within++;
		f->wait_sum_ms += wait_ms;
		if (wait_ms > f->wait_max_ms)
			f->wait_max_ms = wait_ms;
	}
}

void ref_acd_stats_leave(ref_acd_stats *s, int64_t entered, call_leg_result r, int64_t wait_ms)
{
	acd_figures *b = bin_at(s, entered);
	if (!b)
		return;
	acd_figures *fs[2] = { b, &s->total };
	for (int k = 0; k < 2; k++) {
		acd_figures *f = fs[k];
		switch (r) {
		case CALL_LEG_ABANDONED:
			f->abandoned++;
			f->abandon_wait_sum_ms += wait_ms;
			break;
		case CALL_LEG_TIMEOUT:
			f->timed_out++;
			f->timeout_wait_sum_ms += wait_ms;
			break;
		case CALL_LEG_ASKED_SUPERVISOR:
			f->asked_supervisor++;
			break;
		default:
			break;
		}
	}
}

void ref_acd_stats_handled(ref_acd_stats *s, int64_t entered, int64_t talk_ms, int64_t wrapup_ms)
{
	acd_figures *b = bin_at(s, entered);
	if (!b)
		return;
	acd_figures *fs[2] = { b, &s->total };
	for (int k = 0; k < 2; k++) {
		fs[k]->handled++;
		fs[k]->handle_sum_ms += talk_ms;
		fs[k]->wrapup_sum_ms += wrapup_ms;
	}
}

void ref_acd_stats_advance(ref_acd_stats *s, int64_t t)
{
	see(s, t);
	if (!s->acc_started) {
		s->acc_t = t;
		s->acc_started = true;
		if (t > s->start)
			bin_at(s, t - 1);    /* intervals before the first event: nobody */
		return;
	}
	if (t <= s->acc_t)
		return;
	int64_t from = s->acc_t;
	s->acc_t = t;
	if (t <= s->start)
		return;
	if (from < s->start)
		from = s->start;
	if (s->staffed == 0 && s->busy == 0) {
		/* nothing to add, but the bins up to t must exist so that their
		 * `agents` reflect the counts that were in effect */
		bin_at(s, t - 1);
		return;
	}
	while (from < t) {
		acd_figures *b = bin_at(s, from);
		if (!b)
			return;
		int64_t end = b->start + b->length_ms;
		int64_t to = t < end ? t : end;
		int64_t d = to - from;
		b->staffed_ms += d * s->staffed;
		b->busy_ms += d * s->busy;
		s->total.staffed_ms += d * s->staffed;
		s->total.busy_ms += d * s->busy;
		from = to;
	}
}

void ref_acd_stats_agents(ref_acd_stats *s, int64_t t, int staffed, int busy, int on_duty)
{
	ref_acd_stats_advance(s, t);
	s->staffed = staffed;
	s->busy = busy;
	s->on_duty = on_duty;
	if (t < s->start)
		return;
	acd_figures *b = bin_at(s, t);
	if (b && b->start == t)
		b->agents = on_duty;     /* changes at the boundary instant count */
	if (on_duty > s->total.agents)
		s->total.agents = on_duty;
}

int ref_acd_stats_status(const ref_acd_stats *s) { return s->status; }
int ref_acd_stats_nintervals(const ref_acd_stats *s) { return s->nbins; }

void ref_acd_stats_interval(const ref_acd_stats *s, int i, acd_figures *out)
{
	if (i < 0 || i >= s->nbins) {
		memset(out, 0, sizeof *out);
		return;
	}
	*out = s->bins[i];
}

void ref_acd_stats_total(const ref_acd_stats *s, acd_figures *out)
{
	*out = s->total;
	out->start = s->started ? s->start : 0;
	out->length_ms = (s->started && s->acc_started && s->acc_t > s->start)
	               ? s->acc_t - s->start : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Sort non-negative waits: LSD radix on 16-bit digits, only as many passes
 * as the largest wait needs (two for anything under 49 days), falling back
 * to qsort for negatives or when the scratch buffer cannot be had.  Waits
 * are mostly small, so this is several times faster than qsort on a day's
 * million legs, and the order is the same. */
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

int64_t ref_acd_stats_quantile(ref_acd_stats *s, double p)
{
	if (s->nwaits == 0)
		return 0;
	if (!s->sorted) {
		sort_waits(s->waits, s->nwaits);
		s->sorted = true;
	}
	if (!(p > 0))
		return s->waits[0];
	if (p >= 1)
		return s->waits[s->nwaits - 1];
	/* nearest rank: k = ceil(p n), guarding 0.9 * 10 = 9.000000000000002 */
	double kr = ceil(p * (double)s->nwaits - 1e-9);
	size_t k = kr < 1 ? 1 : (size_t)kr;
	if (k > s->nwaits)
		k = s->nwaits;
	return s->waits[k - 1];
}
