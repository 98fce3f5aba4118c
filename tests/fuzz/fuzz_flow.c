/* fuzz_flow.c — libFuzzer harness: any bytes through flow_load_string.
 *
 * The property is the project's rule for bad input: never crash, hang or
 * leak, whatever the bytes.  A flow that loads is also drawn as DOT and
 * walked through its lookups, so the graph code meets odd flows too.
 * Built and run by tests/fuzz/run.sh (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "tierline/flow.h"
#include "tierline/lex.h"

static void count_edge(void *ctx, const flow_edge *e)
{
	(*(int *)ctx) += e->target >= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	/* A folder that does not exist: includes and prompts fail cleanly
	 * instead of reading the fuzzer's working directory. */
	int r = flow_load_string("/nonexistent-tierline-fuzz/input.flow", (const char *)data, size,
	                         &f, &dl);
	if (r == 0 && f) {
		buf b;
		buf_init(&b);
		flow_write_dot(f, NULL, &b);
		buf_free(&b);
		int edges = 0;
		for (int i = 0; i < f->nnodes; i++) {
			flow_node_edges(f, i, count_edge, &edges);
			if (flow_find_node(f, f->nodes[i].name) != i)
				abort();
		}
		for (int i = 0; i < f->nprompts; i++)
			for (int l = 0; l < f->nlangs; l++)
				(void)flow_prompt_ms(f, i, l);
		for (int i = 0; i < f->nhours; i++)
			(void)flow_hours_open(&f->hours[i], 1795000000000LL);
		(void)flow_office_for(f, "3221234567");
		flow_free(f);
	} else if (r == 0 || f) {
		abort();   /* success must give a flow, failure none */
	}
	diag_sort(&dl);
	diag_free(&dl);
	return 0;
}
