/*
 * recorder.h — turn a call's actions into a rec_call, and into a trace.
 *
 * A driver (simulator, replay, console, server) feeds every call_action it
 * receives to a recorder as well (recorder_on_action from its own sink, or
 * recorder_sink() when it needs nothing else).  The recorder accumulates the
 * call's record — keys with times, node visits, queue legs, service requests,
 * outcome, final node — into arrays it owns and reuses: recorder_begin()
 * empties them without freeing, so after the first few calls a recorder
 * allocates nothing (grow-once buffers).  One recorder records one call at a
 * time; a driver with many live calls keeps one per live call, or one per
 * call slot of its pool.
 *
 * The rec_call from recorder_result() points into the recorder (and into the
 * flow for names): it is valid until the next recorder_begin(), which is
 * exactly what store.h wants (it copies at once).
 *
 * The trace formatter writes one line per action with its time since the
 * call started — `   12.400 play main_options (en, 6.8s)` — from integer
 * arithmetic only, so `replay --trace` is byte-for-byte deterministic.
 */
#ifndef TIERLINE_RECORDER_H
#define TIERLINE_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tierline/call.h"
#include "tierline/record.h"

typedef struct recorder {
	const flow *f;
	rec_call rc;                 /* filled as the call runs; arrays set by result() */
	rec_key *keys; int nkeys, ckeys;
	rec_visit *visits; int nvisits, cvisits;
	rec_leg *legs; int nlegs, clegs;
	rec_request *requests; int nrequests, crequests;
	char *vars; size_t nvars_txt, cvars_txt;   /* initial variables as JSON */
	bool started, done;
	bool oom;                    /* an array could not grow: the record is short */
} recorder;

/* The action kinds recorder_on_action records; it ignores every other, so
 * a driver may leave them out (a sink's skip mask, or a test before the
 * call: most of a call's actions are prompts and timers). */
#define RECORDER_KINDS (1u << CALL_ACT_START | 1u << CALL_ACT_KEY | 1u << CALL_ACT_KEY_IGNORED | \
	1u << CALL_ACT_VISIT | 1u << CALL_ACT_ENQUEUE | 1u << CALL_ACT_ANSWERED | \
	1u << CALL_ACT_LEG_END | 1u << CALL_ACT_REQUEST | 1u << CALL_ACT_END)

void recorder_init(recorder *r, const flow *f);
void recorder_free(recorder *r);
/* Start recording a new call (seq = call number within the run); keeps the
 * buffers.  rc.counted starts true. */
void recorder_begin(recorder *r, uint64_t seq);
/* Feed one action of the call being recorded.  Keys and visits, most of
 * what an IVR call records, are pushed inline while their arrays have
 * room, and an answer is two stores; every other kind, and growth, go to
 * recorder_on_action_slow. */
void recorder_on_action_slow(recorder *r, const call *c, const call_action *a);
static inline void recorder_on_action(recorder *r, const call *c, const call_action *a)
{
	if (a->kind == CALL_ACT_KEY || a->kind == CALL_ACT_KEY_IGNORED) {
		if (r->nkeys < r->ckeys) {
			rec_key *k = &r->keys[r->nkeys++];
			k->t = a->t;
			k->key = a->key;
			return;
		}
	} else if (a->kind == CALL_ACT_VISIT) {
		const flow *f = r->f;
		if (r->nvisits < r->cvisits && f && a->node >= 0 && a->node < f->nnodes) {
			rec_visit *v = &r->visits[r->nvisits++];
			v->node = f->nodes[a->node].name;
			v->t = a->t;
			return;
		}
	} else if (a->kind == CALL_ACT_ANSWERED) {
		if (r->nlegs > 0) {
			rec_leg *l = &r->legs[r->nlegs - 1];
			l->answered = a->t;
			l->agent = a->agent;
		}
		return;
	}
	recorder_on_action_slow(r, c, a);
}
/* A call_sink whose ctx is the recorder. */
void recorder_sink_fn(void *ctx, const struct call *c, const call_action *a);
static inline call_sink recorder_sink(recorder *r)
{ call_sink s = { recorder_sink_fn, r, 0 }; return s; }
/* The record so far (complete once recorder_done()). */
const rec_call *recorder_result(recorder *r);
static inline bool recorder_done(const recorder *r) { return r->done; }
/* The last queue leg, or NULL: the ACD driver sets found_free there. */
rec_leg *recorder_last_leg(recorder *r);
/* Bytes held by the recorder's buffers (for the bench). */
size_t recorder_bytes(const recorder *r);

/* ---- trace ----------------------------------------------------------- */
/* One trace line (no newline) for action `a` of a call that started at t0,
 * into out (always NUL-terminated).  Returns the line's length, or 0 when
 * the action is not shown: timer bookkeeping (TIMER, CANCEL) is shown only
 * with `timers`.  Time is seconds.milliseconds since t0, right-aligned in 9
 * columns; names come from the flow. */
size_t call_trace_line(const flow *f, int64_t t0, const call_action *a, bool timers,
                       char *out, size_t n);

#endif
