/*
 * acd_stats.h — the stats module's insides, for acd.c only (private).
 *
 * The ACD touches its queue's figures several times per call (advance the
 * agent-time integral, offer, answer, handled, agent counts), nearly always
 * inside the interval of the event before.  Out-of-line calls and the
 * boundary logic cost more than the arithmetic, so the common case is
 * inlined here: when every time involved falls in the cached interval
 * [c_lo, c_hi), an update is a few adds on that one bin.  Anything else
 * (a boundary crossed, the start not yet known, warm-up, growth) goes to
 * the out-of-line slow path in acd_stats.c, which is the original code.
 * The public acd_stats_* functions are these same inline functions, so
 * the two can never disagree.
 *
 * Totals are not kept beside the bins: every counted event lands in exactly
 * one bin, so acd_stats_total() sums them (O(intervals), at query time)
 * and the hot path updates one figure instead of two.  Only the maximum of
 * agents on duty is kept apart (it is not the maximum of the bins: a change
 * inside an interval raises it without touching the interval's `agents`).
 */
#ifndef TIERLINE_ACD_STATS_H
#define TIERLINE_ACD_STATS_H

#include "tierline/acd.h"

struct acd_stats {
	int64_t start, len, sl;
	bool started;                /* start known (ACD_START_AUTO resolves late) */
	acd_figures *bins;
	int nbins, capbins;
	int max_agents;              /* most agents on duty at once since start */
	/* Waits of answered legs for the exact quantiles.  Zero waits (the
	 * call found an agent free: most calls on a well-staffed queue) are
	 * only counted; the others are appended and sorted at the first query
	 * after a change.  The sorted order of all waits is then: negatives
	 * (never from the ACD, possible through the API), nzero zeros, the
	 * positives — so the nearest rank is still exact. */
	int64_t *waits;
	size_t nwaits, capwaits;
	size_t nzero;
	bool sorted;
	int staffed, busy, on_duty;  /* current counts */
	int64_t acc_t;               /* agent time integrated up to here */
	bool acc_started;
	int status;
	/* The bin of the last lookup: [c_lo, c_hi) is bins[c_i].  Nearly every
	 * event falls in the same interval as the one before, so this skips
	 * the division (the bins array may move; the index stays valid).
	 * c_lo = c_hi = 0 (empty) until the first bin exists. */
	int64_t c_lo, c_hi;
	int c_i;
};

/* A stats module inside another struct (the ACD's queues hold theirs by
 * value): init cannot fail but for ACD_E_ARG; fini frees what it grew. */
int  acd_stats_init(acd_stats *s, int64_t start, int64_t interval_ms, int64_t sl_ms);
void acd_stats_fini(acd_stats *s);

/* The slow paths (acd_stats.c). */
acd_figures *acd_stats_bin_slow(acd_stats *s, int64_t t);
void acd_stats_advance_slow(acd_stats *s, int64_t t);
void acd_stats_agents_slow(acd_stats *s, int64_t t);
bool acd_stats_wait_slow(acd_stats *s, int64_t wait_ms);   /* false: out of memory */

/* The bin holding t, creating bins up to it; NULL before start or on OOM. */
static inline acd_figures *acd_stats_bin(acd_stats *s, int64_t t)
{
	if (t >= s->c_lo && t < s->c_hi)
		return &s->bins[s->c_i];
	return acd_stats_bin_slow(s, t);
}

/* Integrate the agent counts up to t.  The inline case: both the last
 * integrated time and t inside the cached bin, so nothing crosses a
 * boundary (acc_t >= c_lo >= start also means the start is known). */
static inline void acd_stats_advance_inl(acd_stats *s, int64_t t)
{
	if (s->acc_started && t <= s->acc_t)
		return;
	if (s->acc_started && s->acc_t >= s->c_lo && t < s->c_hi) {
		int64_t d = t - s->acc_t;
		acd_figures *b = &s->bins[s->c_i];
		b->staffed_ms += d * s->staffed;
		b->busy_ms += d * s->busy;
		s->acc_t = t;
		return;
	}
	acd_stats_advance_slow(s, t);
}

/* Agent counts change at t (staffed, busy = talk + wrap-up, on duty). */
static inline void acd_stats_agents_inl(acd_stats *s, int64_t t, int staffed,
                                        int busy, int on_duty)
{
	acd_stats_advance_inl(s, t);
	s->staffed = staffed;
	s->busy = busy;
	s->on_duty = on_duty;
	if (t >= s->c_lo && t < s->c_hi) {
		/* t is past the start and its bin exists */
		if (s->c_lo == t)
			s->bins[s->c_i].agents = on_duty;   /* changes at the boundary count */
		if (on_duty > s->max_agents)
			s->max_agents = on_duty;
		return;
	}
	acd_stats_agents_slow(s, t);
}

static inline void acd_stats_offer_inl(acd_stats *s, int64_t entered, bool found_free)
{
	acd_figures *b = acd_stats_bin(s, entered);
	if (!b)
		return;
	b->offered++;
	b->found_free += found_free;
}

static inline void acd_stats_answer_inl(acd_stats *s, int64_t entered, int64_t wait_ms)
{
	acd_figures *b = acd_stats_bin(s, entered);
	if (!b)
		return;
	if (wait_ms == 0) {
		s->nzero++;
	} else if (s->nwaits < s->capwaits) {
		if (s->nwaits > 0 && wait_ms < s->waits[s->nwaits - 1])
			s->sorted = false;
		s->waits[s->nwaits++] = wait_ms;
	} else if (!acd_stats_wait_slow(s, wait_ms)) {
		return;                  /* not recorded: the whole event is dropped */
	}
	b->answered++;
	b->answered_within += wait_ms <= s->sl;
	b->wait_sum_ms += wait_ms;
	if (wait_ms > b->wait_max_ms)
		b->wait_max_ms = wait_ms;
}

static inline void acd_stats_handled_inl(acd_stats *s, int64_t entered, int64_t talk_ms,
                                         int64_t wrapup_ms)
{
	acd_figures *b = acd_stats_bin(s, entered);
	if (!b)
		return;
	b->handled++;
	b->handle_sum_ms += talk_ms;
	b->wrapup_sum_ms += wrapup_ms;
}

#endif
