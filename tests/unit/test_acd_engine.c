/* test_acd_engine.c — the ACD driven by the real call state machine on the
 * virtual clock: the driver contract of acd.h end to end (enqueue on
 * CALL_ACT_ENQUEUE, end on CALL_ACT_LEG_END, answers delivered from the
 * output queue after call_handle returns, wrap-up timers, escalation as a
 * new leg, abandonment by patience). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "tierline/acd.h"
#include "tierline/call.h"
#include "tierline/flow.h"
#include "tierline/sched.h"

#define S 1000LL
enum { NC = 6 };
enum { EV_PLACE = 1, EV_TIMER, EV_HANGUP, EV_DONE, EV_WRAP };

static const char flow_text[] =
	"flow t { languages en es }\n"
	"line main \"1\" { start tier1 }\n"
	"queue tier1 { tier 1; skill lang; escalate -> tier2 }\n"
	"queue tier2 { tier 2; strategy round-robin }\n";

typedef struct drv {
	flow *f;
	sched *sc;
	acd *a;
	call c[NC];
	sched_id tid[NC][CALL_NTIMERS];
	sched_id hang[NC];
	int64_t patience[NC];
	int legs_done[NC];
	int ignored, ends, assigns;
	int bad;                     /* an ACD call failed */
	call_sink sink;
} drv;

static uint64_t arg_of(int kind, int idx, uint64_t low)
{
	return ((uint64_t)kind << 56) | ((uint64_t)idx << 40) | (low & 0xffffffffffULL);
}

static void on_event(sched *s, int64_t now, void *ctx, uint64_t arg);

static void sink_fn(void *ctx, const struct call *cc, const call_action *a)
{
	drv *d = ctx;
	int i = (int)(cc - d->c);
	switch (a->kind) {
	case CALL_ACT_TIMER:
		if (d->tid[i][a->slot])
			sched_cancel(d->sc, d->tid[i][a->slot]);
		d->tid[i][a->slot] = sched_at(d->sc, a->at, on_event, d,
		                              arg_of(EV_TIMER, i, call_timer_arg(a->slot, a->gen)));
		break;
	case CALL_ACT_CANCEL:
		if (d->tid[i][a->slot])
			sched_cancel(d->sc, d->tid[i][a->slot]);
		d->tid[i][a->slot] = 0;
		break;
	case CALL_ACT_ENQUEUE:
		/* the ACD only; its answer is delivered after call_handle returns */
		d->bad |= acd_enqueue(d->a, a->queue, (uint64_t)i, cc->lang, a->t, NULL) != ACD_OK;
		if (d->patience[i] > 0)
			d->hang[i] = sched_at_pri(d->sc, a->t + d->patience[i], SCHED_PRI_CALLER,
			                          on_event, d, arg_of(EV_HANGUP, i, 0));
		break;
	case CALL_ACT_ANSWERED:
	case CALL_ACT_LEG_END:
		if (d->hang[i])
			sched_cancel(d->sc, d->hang[i]);
		d->hang[i] = 0;
		if (a->kind == CALL_ACT_LEG_END)
			d->bad |= acd_end(d->a, (uint64_t)i, a->t, a->leg, ACD_WRAPUP_DEFAULT,
			                  NULL) != ACD_OK;
		break;
	case CALL_ACT_IGNORED:
		d->ignored++;
		break;
	case CALL_ACT_END:
		d->ends++;
		break;
	default:
		break;
	}
}

/* Deliver the ACD's outputs.  Called at top level only, never from a sink. */
static void pump(drv *d)
{
	acd_out o;
	while (acd_poll(d->a, &o)) {
		if (o.kind == ACD_OUT_ASSIGN) {
			int i = (int)o.call;
			d->assigns++;
			/* in tier1 only agent 1 speaks Spanish (language 1) */
			if (o.queue == 0 && d->c[i].lang == 1)
				assert_int_equal(o.agent, 1);
			call_handle(&d->c[i], &(call_event){ .kind = CALL_EV_AGENT_ANSWER,
			            .t = o.t, .agent = o.agent }, &d->sink);
			/* call 0 escalates from tier1; every other leg is resolved */
			call_agent_outcome out = (i == 0 && o.queue == 0)
			                       ? CALL_AGENT_ESCALATE : CALL_AGENT_RESOLVED;
			sched_at(d->sc, o.t + 60 * S, on_event, d, arg_of(EV_DONE, i, out));
		} else if (o.kind == ACD_OUT_WRAPUP) {
			sched_at(d->sc, o.at, on_event, d, arg_of(EV_WRAP, o.agent, 0));
		}
	}
	char err[256];
	if (acd_check_invariants(d->a, err, sizeof err))
		fail_msg("invariant: %s", err);
}

static void on_event(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	(void)s;
	drv *d = ctx;
	int kind = (int)(arg >> 56);
	int i = (int)((arg >> 40) & 0xffff);
	uint64_t low = arg & 0xffffffffffULL;
	call_event ev = call_ev(CALL_EV_PLACED, now);
	switch (kind) {
	case EV_PLACE:
		call_handle(&d->c[i], &ev, &d->sink);
		break;
	case EV_TIMER:
		d->tid[i][call_timer_arg_slot(low)] = 0;
		ev = call_ev_timer(now, call_timer_arg_slot(low), call_timer_arg_gen(low));
		call_handle(&d->c[i], &ev, &d->sink);
		break;
	case EV_HANGUP:
		d->hang[i] = 0;
		ev = call_ev(CALL_EV_HANGUP, now);
		call_handle(&d->c[i], &ev, &d->sink);
		break;
	case EV_DONE:
		d->legs_done[i]++;
		ev = call_ev_done(now, (call_agent_outcome)low);
		call_handle(&d->c[i], &ev, &d->sink);
		break;
	case EV_WRAP:
		d->bad |= acd_wrapup_end(d->a, i, now) != ACD_OK;
		break;
	}
	pump(d);
}

static void test_engine_drives_acd(void **state)
{
	(void)state;
	drv *d = calloc(1, sizeof *d);
	assert_non_null(d);
	diag_list dl;
	diag_init(&dl);
	int rc = flow_load_string("test.flow", flow_text, sizeof flow_text - 1, &d->f, &dl);
	if (rc != 0) {
		diag_print(&dl, stderr);
		fail_msg("flow_load_string: %d", rc);
	}
	diag_free(&dl);
	assert_int_equal(d->f->nqueues, 2);
	char err[200];
	acd_config cfg = { .stats_start = 0, .interval_ms = 30 * 60 * S };
	if (acd_new_from_flow(d->f, &cfg, &d->a, err, sizeof err))
		fail_msg("acd_new_from_flow: %s", err);
	/* tier1: agent 0 speaks English, agent 1 English and Spanish; tier2: one */
	assert_int_equal(acd_add_agent(d->a, 0, 1, NULL), ACD_OK);
	assert_int_equal(acd_add_agent(d->a, 0, 3, NULL), ACD_OK);
	assert_int_equal(acd_add_agent(d->a, 1, 0, NULL), ACD_OK);
	assert_int_equal(acd_set_wrapup(d->a, 0, 10 * S), ACD_OK);
	d->sc = sched_virtual_new(0);
	assert_non_null(d->sc);
	d->sink.fn = sink_fn;
	d->sink.ctx = d;
	assert_int_equal(acd_set_staff(d->a, 0, 2, 0), ACD_OK);
	assert_int_equal(acd_set_staff(d->a, 1, 1, 0), ACD_OK);
	pump(d);
	/* calls 0..5 one second apart, English and Spanish in turn; Spanish
	 * callers hang up after 90 s in the queue */
	for (int i = 0; i < NC; i++) {
		call_init(&d->c[i], d->f, (uint64_t)i, 0, i % 2);
		d->patience[i] = (i % 2) ? 90 * S : 0;
		sched_at_pri(d->sc, i * S, SCHED_PRI_CALLER, on_event, d, arg_of(EV_PLACE, i, 0));
	}
	sched_run(d->sc, 3600 * S);
	assert_false(d->bad);
	assert_int_equal(d->ignored, 0);             /* every answer was accepted */
	assert_int_equal(d->ends, NC);
	for (int i = 0; i < NC; i++)
		assert_true(call_ended(&d->c[i]));
	/* 0 (en) and 1 (es) are answered at once; at 70 s agent 0 ends its
	 * wrap-up and takes 2 (en), at 71 s agent 1 takes 3 (es, older than 4 is
	 * not: 4 is English and agent 1 takes the oldest it speaks: 3); 4 goes to
	 * agent 0 at 140 s; 5 (es) abandons at 95 s */
	acd_queue_info q1, q2;
	assert_int_equal(acd_queue_get(d->a, 0, &q1), ACD_OK);
	assert_int_equal(acd_queue_get(d->a, 1, &q2), ACD_OK);
	assert_int_equal(q1.offered, 6);
	assert_int_equal(q1.answered, 5);
	assert_int_equal(q1.abandoned, 1);
	assert_int_equal(q1.waiting, 0);
	assert_int_equal(q2.offered, 1);             /* the escalation: a new leg */
	assert_int_equal(q2.answered, 1);
	assert_int_equal(d->assigns, 6);
	assert_int_equal(d->c[5].outcome, CALL_OUT_ABANDONED_QUEUE);
	assert_int_equal(d->c[0].outcome, call_outcome_resolved(2));
	assert_int_equal(d->c[4].outcome, call_outcome_resolved(1));
	acd_figures fig;
	assert_int_equal(acd_advance(d->a, 3600 * S), ACD_OK);
	assert_int_equal(acd_queue_figures(d->a, 0, &fig), ACD_OK);
	assert_int_equal(fig.offered, 6);
	assert_int_equal(fig.found_free, 2);
	assert_int_equal(fig.abandon_wait_sum_ms, 90 * S);
	/* waits: 0, 0, 68 s (2: 2..70), 68 s (3: 3..71), 136 s (4: 4..140) */
	assert_int_equal(fig.wait_sum_ms, (68 + 68 + 136) * S);
	assert_int_equal(fig.wait_max_ms, 136 * S);
	assert_int_equal(fig.handled, 5);
	assert_int_equal(fig.handle_sum_ms, 5 * 60 * S);
	acd_free(d->a);
	sched_destroy(d->sc);
	flow_free(d->f);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_drives_acd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
