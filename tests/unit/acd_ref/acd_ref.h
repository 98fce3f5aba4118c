/*
 * acd_ref.h — the ACD as it was on main before the hot-path rework (commit
 * fa576e4), renamed ref_acd_*: test_acd_ref.c runs it beside the current
 * ACD on random call sequences and requires the same outputs, legs and
 * figures.  A frozen oracle: do not change these files with the ACD.
 * Shared value types (acd_leg, acd_out, acd_figures, ...) come from acd.h.
 */
#ifndef TIERLINE_ACD_REF_H
#define TIERLINE_ACD_REF_H
#include "tierline/acd.h"

typedef struct ref_acd ref_acd;
typedef struct ref_acd_stats ref_acd_stats;

const char *ref_acd_strerror(int err);
const char *ref_acd_errmsg(const ref_acd *a);
const char *ref_acd_agent_state_name(acd_agent_state s);
int ref_acd_queue_cfg_from_flow(const flow *f, int queue, acd_queue_cfg *q);
int  ref_acd_new(const acd_config *cfg, const acd_queue_cfg *queues, int nqueues,
             ref_acd **out, char *err, size_t errlen);
int  ref_acd_new_from_flow(const flow *f, const acd_config *cfg, ref_acd **out,
                       char *err, size_t errlen);
void ref_acd_free(ref_acd *a);
int  ref_acd_nqueues(const ref_acd *a);
int  ref_acd_nagents(const ref_acd *a);
int  ref_acd_find_queue(const ref_acd *a, const char *name);
const char *ref_acd_queue_name(const ref_acd *a, int queue);
int ref_acd_add_agent(ref_acd *a, int queue, uint32_t langs, int *agent);
int ref_acd_set_wrapup(ref_acd *a, int queue, int64_t ms);
int ref_acd_set_staff(ref_acd *a, int queue, int n, int64_t t);
int ref_acd_enqueue(ref_acd *a, int queue, uint64_t call_id, int lang, int64_t t, acd_leg *leg);
int ref_acd_end(ref_acd *a, uint64_t call_id, int64_t t, call_leg_result result,
            int64_t wrapup_ms, acd_leg *leg);
int ref_acd_agent_done(ref_acd *a, int agent, int64_t t, call_leg_result result,
                   int64_t wrapup_ms, acd_leg *leg);
int ref_acd_wrapup_end(ref_acd *a, int agent, int64_t t);
int ref_acd_leg_get(const ref_acd *a, uint64_t call_id, int64_t t, acd_leg *leg);
int ref_acd_advance(ref_acd *a, int64_t t);
bool ref_acd_poll(ref_acd *a, acd_out *out);
int  ref_acd_pending(const ref_acd *a);
int ref_acd_agent_get(const ref_acd *a, int agent, int64_t t, acd_agent_info *out);
int ref_acd_queue_get(const ref_acd *a, int queue, acd_queue_info *out);
int ref_acd_position(const ref_acd *a, uint64_t call_id, int *pos);
int ref_acd_queue_figures(const ref_acd *a, int queue, acd_figures *out);
int ref_acd_nintervals(const ref_acd *a, int queue);
int ref_acd_interval_figures(const ref_acd *a, int queue, int i, acd_figures *out);
void ref_acd_figures_to_rec(const ref_acd *a, int queue, const acd_figures *f,
                        rec_interval *out);
int ref_acd_wait_quantile(ref_acd *a, int queue, double p, int64_t *ms);
int  ref_acd_stats_new(int64_t start, int64_t interval_ms, int64_t sl_ms, ref_acd_stats **out);
void ref_acd_stats_free(ref_acd_stats *s);
void ref_acd_stats_offer(ref_acd_stats *s, int64_t entered, bool found_free);
void ref_acd_stats_answer(ref_acd_stats *s, int64_t entered, int64_t wait_ms);
void ref_acd_stats_leave(ref_acd_stats *s, int64_t entered, call_leg_result r, int64_t wait_ms);
void ref_acd_stats_handled(ref_acd_stats *s, int64_t entered, int64_t talk_ms, int64_t wrapup_ms);
void ref_acd_stats_agents(ref_acd_stats *s, int64_t t, int staffed, int busy, int on_duty);
void ref_acd_stats_advance(ref_acd_stats *s, int64_t t);
int  ref_acd_stats_status(const ref_acd_stats *s);
int  ref_acd_stats_nintervals(const ref_acd_stats *s);
void ref_acd_stats_interval(const ref_acd_stats *s, int i, acd_figures *out);
void ref_acd_stats_total(const ref_acd_stats *s, acd_figures *out);
int64_t ref_acd_stats_quantile(ref_acd_stats *s, double p);
int ref_acd_check_invariants(const ref_acd *a, char *err, size_t errlen);

#endif
