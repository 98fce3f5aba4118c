/*
 * call_timers.h — one call's timers on a real-time scheduler.
 *
 * The live drivers (console, server) keep, per call, the timer each slot
 * of the state machine armed: CALL_ACT_TIMER supersedes the slot's entry,
 * CALL_ACT_CANCEL drops it.  libevent may run a timer late, so before a
 * caller event a driver delivers, in (time, arming) order, every timer that
 * was due before it (call_timers_next_due): the call must be where its
 * clock says before the caller acts.
 */
#ifndef TIERLINE_CALL_TIMERS_H
#define TIERLINE_CALL_TIMERS_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/call.h"
#include "tierline/sched.h"

typedef struct call_timer {
	bool armed;
	int64_t at;                  /* call time */
	uint32_t gen;
	uint64_t seq;                /* arming order, for same-`at` ties */
	sched_id id;                 /* 0: not (or no longer) in the scheduler */
} call_timer;

typedef struct call_timers {
	call_timer tm[CALL_NTIMERS];
	uint64_t tseq;
} call_timers;

/* CALL_ACT_TIMER: arm slot for call time `at`; the scheduler entry is at
 * sched_t (the driver's clock) and calls fn(ctx, call_timer_arg(slot, gen)). */
void call_timers_arm(call_timers *t, sched *s, int slot, int64_t at, uint32_t gen,
                     int64_t sched_t, sched_fn fn, void *ctx);
/* CALL_ACT_CANCEL, and the whole set when a call ends. */
void call_timers_cancel(call_timers *t, sched *s, int slot);
void call_timers_cancel_all(call_timers *t, sched *s);
/* The armed slot due strictly before t, earliest (then first armed), or -1. */
int  call_timers_next_due(const call_timers *t, int64_t before);

#endif
