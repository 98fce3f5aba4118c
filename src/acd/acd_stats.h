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
 * Agent time.  The bin holding the integral's current time acc_t is the
 * "open" bin (o_i, [o_lo, o_hi)); its staffed_ms and busy_ms hold the
 * integral up to its END as if the counts stayed as they are (pre-credited
 * with counts x (o_hi - acc_t)).  So time passing inside it costs nothing,
 * and a change of a count by d at t is one add of d x (o_hi - t); queries
 * take the part after acc_t back off.  Crossing o_hi closes it (its figures
 * are then exact) and the slow path integrates on and opens the next.  All
 * integer arithmetic: the figures are exactly those of integrating step by
 * step.  o_i < 0 (o_hi = INT64_MIN, so `t < o_hi` fails) when no bin is open.
 *
 * Legs answered at once by the ACD's fast path are counted in one figure of
 * their bin (ff) instead of five (offered, found_free, answered,
 * answered_within, a zero wait); queries fold it back in.
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

/* One interval: its figures, and the legs answered at once that the fast
 * path counted only here (see the top). */
typedef struct acd_bin {
	acd_figures f;
	int64_t ff;
} acd_bin;

struct acd_stats {
	int64_t start, len, sl;
	bool started;                /* start known (ACD_START_AUTO resolves late) */
	acd_bin *bins;
	int nbins, capbins;
	int max_agents;              /* most agents on duty at once since start */
	/* Waits of answered legs for the exact quantiles, appended as they
	 * are answered, each with the bin (interval) its leg entered in, so
	 * that an interval's quantiles use the same waits as the queue's.  Zero
	 * waits (the call found an agent free: most calls on a well-staffed
	 * queue) are only counted (nzero, and the bins' ff); a bin's zeros are
	 * its answered legs less its stored waits.  The sorted order of all
	 * waits is then: negatives (never from the ACD, possible through the
	 * API), the zeros, the positives — so the nearest rank is still exact. */
	int64_t *waits;
	int32_t *wbin;
	size_t nwaits, capwaits;
	size_t nzero;
	int staffed, busy, on_duty;  /* current counts */
	int64_t acc_t;               /* agent time integrated up to here */
	bool acc_started;
	int status;
	/* The open bin (see the top): bins[o_i] = [o_lo, o_hi) holds acc_t and
	 * is pre-credited to o_hi.  o_i = -1, o_hi = INT64_MIN: none. */
	int o_i;
	int64_t o_lo, o_hi;
	/* The bin of the last lookup: [c_lo, c_hi) is bins[c_i].  Nearly every
	 * event falls in the same interval as the one before, so this skips
	 * the division (the bins array may move; the index stays valid).
	 * c_lo = c_hi = 0 (empty) until the first bin exists. */
	int64_t c_lo, c_hi;
	int c_i;
	/* Set by the first query after a wait was added (acd_stats.c,
	 * order_waits), never on the hot path (so last): the waits then
	 * recorded (ord_n of them) are regrouped in place by bin, each group
	 * sorted; bin i's group is waits[goff[i] .. goff[i + 1]), i < ngoff. */
	bool ordered;
	int ngoff;
	size_t *goff;
	size_t ord_n;
};

/* A stats module inside another struct (the ACD's queues hold theirs by
 * value): init cannot fail but for ACD_E_ARG; fini frees what it grew. */
int  acd_stats_init(acd_stats *s, int64_t start, int64_t interval_ms, int64_t sl_ms);
void acd_stats_fini(acd_stats *s);

/* The slow paths (acd_stats.c). */
acd_bin *acd_stats_bin_slow(acd_stats *s, int64_t t);
void acd_stats_advance_slow(acd_stats *s, int64_t t);
void acd_stats_agents_slow(acd_stats *s, int64_t t);
bool acd_stats_wait_slow(acd_stats *s, int64_t wait_ms, int bin);   /* false: out of memory */

/* The bin holding t, creating bins up to it; NULL before start or on OOM. */
static inline acd_bin *acd_stats_bin(acd_stats *s, int64_t t)
{
	if (t >= s->c_lo && t < s->c_hi)
		return &s->bins[s->c_i];
	return acd_stats_bin_slow(s, t);
}

/* Integrate the agent counts up to t.  Inside the open bin that is only
 * moving acc_t (o_hi > INT64_MIN means the integral has started and
 * o_lo <= acc_t). */
static inline void acd_stats_advance_inl(acd_stats *s, int64_t t)
{
	if (t < s->o_hi) {
		if (t > s->acc_t)
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
	if (s->o_i >= 0) {
		/* the change takes effect at acc_t (= t, or later when t is in
		 * the past: the integral is never rewritten) */
		int64_t rem = s->o_hi - s->acc_t;
		acd_figures *b = &s->bins[s->o_i].f;
		b->staffed_ms += (int64_t)(staffed - s->staffed) * rem;
		b->busy_ms += (int64_t)(busy - s->busy) * rem;
	}
	s->staffed = staffed;
	s->busy = busy;
	s->on_duty = on_duty;
	if (t >= s->c_lo && t < s->c_hi) {
		/* t is past the start and its bin exists */
		if (s->c_lo == t)
			s->bins[s->c_i].f.agents = on_duty;   /* changes at the boundary count */
		if (on_duty > s->max_agents)
			s->max_agents = on_duty;
		return;
	}
	acd_stats_agents_slow(s, t);
}

static inline void acd_stats_offer_inl(acd_stats *s, int64_t entered, bool found_free)
{
	acd_bin *b = acd_stats_bin(s, entered);
	if (!b)
		return;
	b->f.offered++;
	b->f.found_free += found_free;
}

static inline void acd_stats_answer_inl(acd_stats *s, int64_t entered, int64_t wait_ms)
{
	acd_bin *bin = acd_stats_bin(s, entered);
	if (!bin)
		return;
	acd_figures *b = &bin->f;
	if (wait_ms == 0) {
		s->nzero++;
	} else if (s->nwaits < s->capwaits) {
		s->wbin[s->nwaits] = s->c_i;     /* acd_stats_bin returned bins[c_i] */
		s->waits[s->nwaits++] = wait_ms;
	} else if (!acd_stats_wait_slow(s, wait_ms, s->c_i)) {
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
	acd_bin *bin = acd_stats_bin(s, entered);
	if (!bin)
		return;
	bin->f.handled++;
	bin->f.handle_sum_ms += talk_ms;
	bin->f.wrapup_sum_ms += wrapup_ms;
}

#endif
