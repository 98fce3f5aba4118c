/* fuzz_scenario.c — libFuzzer harness: any bytes through scen_load_string,
 * read against one fixed flow (two lines, menus with multi-key options, an
 * input, queues with escalation, offices, three languages).
 *
 * The property is the project's rule for bad input: never crash, hang or
 * leak, whatever the bytes.  The scenario parser reads the source raw in
 * places (rates, distributions, key strings), where an overread would hide.
 * Built and run by tests/fuzz/run.sh SECONDS scenario.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/flow.h"
#include "tierline/scenario.h"

#include "fuzz_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_list dl;
	diag_init(&dl);
	scenario *s = NULL;
	int r = scen_load_string("/nonexistent-tierline-fuzz/input.scenario", (const char *)data,
	                         size, the_flow, &s, &dl);
	if (r == 0 && s)
		scen_free(s);
	else if (r == 0 || s)
		abort();   /* success must give a scenario, failure none */
	diag_sort(&dl);
	diag_free(&dl);
	return 0;
}
