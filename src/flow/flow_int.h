/*
 * flow_int.h — what the files of src/flow share and nobody else needs:
 * the string maps behind flow_find_*, the edge walker the parser, checker
 * and graph writer all use, and the entry points between the phases
 * (parse -> resolve -> prompt catalog -> check).
 */
#ifndef TIERLINE_FLOW_INT_H
#define TIERLINE_FLOW_INT_H

#include "tierline/flow.h"

/* ---- strmap: open addressing, string -> int, memory in an arena ---------- */
typedef struct strmap {
	const char **keys;
	int *vals;
	uint32_t cap, n;     /* cap is 0 or a power of two */
} strmap;

/* -1 when absent. */
int strmap_get(const strmap *m, const char *key);
/* Insert key -> val unless present; returns the existing value or -1. */
int strmap_put(strmap *m, arena *a, const char *key, int val);

struct flow_index {
	strmap nodes, lines, hours, offices, prompts, vars;
};

/* ---- edges --------------------------------------------------------------- */
/* Calls fn for every target slot of a node (slots holding FLOW_T_NONE too,
 * so the resolver sees every field once); idx is the option or condition
 * index for FLOW_E_OPTION / FLOW_E_COND, else 0. */
typedef void (*flow_slot_fn)(void *ctx, flow_node *n, flow_edge_kind k, int idx, int *slot);
void flow_node_slots(flow_node *n, flow_slot_fn fn, void *ctx);

/* ---- phases -------------------------------------------------------------- */
/* The parser proper: fills f (names resolved) or reports errors. */
int  flow_parse(flow *f, const char *path, const char *text, size_t len, diag_list *dl);
/* Reads DIR/<lang>/prompts.txt and DIR/<lang>/<id>.wav for every prompt. */
void flow_load_prompts(flow *f, diag_list *dl);
/* Graph checks and the prompt warnings. */
void flow_check(flow *f, diag_list *dl, bool graph_checks);

/* "a/b" + "c.flow" -> "a/c.flow" style joins, into the flow's arena. */
const char *flow_path_dir(arena *a, const char *path);
const char *flow_path_join(arena *a, const char *dir, const char *rel);

#endif
