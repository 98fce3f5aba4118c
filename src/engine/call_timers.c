/*
 * call_timers.c — one call's timers on a real-time scheduler (call_timers.h).
 */
#include "tierline/call_timers.h"

void call_timers_arm(call_timers *t, sched *s, int slot, int64_t at, uint32_t gen,
                     int64_t sched_t, sched_fn fn, void *ctx)
{
	if (slot < 0 || slot >= CALL_NTIMERS)
		return;
	call_timer *tm = &t->tm[slot];
	if (tm->id)
		sched_cancel(s, tm->id);
	tm->armed = true;
	tm->at = at;
	tm->gen = gen;
	tm->seq = ++t->tseq;
	/* id 0 (out of memory): the timer still fires at the next caller
	 * event, through call_timers_next_due. */
	tm->id = sched_at(s, sched_t, fn, ctx, call_timer_arg(slot, gen));
}

void call_timers_cancel(call_timers *t, sched *s, int slot)
{
	if (slot < 0 || slot >= CALL_NTIMERS)
		return;
	call_timer *tm = &t->tm[slot];
	if (tm->id)
		sched_cancel(s, tm->id);
	tm->armed = false;
	tm->id = 0;
}

void call_timers_cancel_all(call_timers *t, sched *s)
{
	for (int i = 0; i < CALL_NTIMERS; i++)
		call_timers_cancel(t, s, i);
}

int call_timers_next_due(const call_timers *t, int64_t before)
{
	int best = -1;
	for (int i = 0; i < CALL_NTIMERS; i++) {
		const call_timer *tm = &t->tm[i];
		if (!tm->armed || tm->at >= before)
			continue;
		if (best < 0 || tm->at < t->tm[best].at ||
		    (tm->at == t->tm[best].at && tm->seq < t->tm[best].seq))
			best = i;
	}
	return best;
}
