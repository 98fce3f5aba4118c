/* fuzz_script.c — libFuzzer harness: any bytes through script_parse (the
 * call-script language of replay), then script_check against one fixed
 * flow, and for a script that parses, the round trip: script_write's text
 * parses again to the same number of steps and expectations.
 *
 * The property is the project's rule for bad input: never crash, hang or
 * leak, whatever the bytes.  Built and run by tests/fuzz/run.sh SECONDS script.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/flow.h"
#include "tierline/script.h"
#include "tierline/util.h"

#include "fuzz_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_list dl;
	diag_init(&dl);
	script *s = NULL;
	int r = script_parse("/nonexistent-tierline-fuzz/input.call", (const char *)data, size, &s,
	                     &dl);
	if (r == 0 && s) {
		buf b;
		buf_init(&b);
		script_write(s, &b);
		script *s2 = NULL;
		diag_list dl2;
		diag_init(&dl2);
		if (script_parse("again.call", b.p ? b.p : "", b.len, &s2, &dl2) != 0 || !s2 ||
		    s2->nsteps != s->nsteps || s2->nexpects != s->nexpects)
			abort();   /* what script_write wrote must read back */
		script_free(s2);
		diag_free(&dl2);
		buf_free(&b);
		(void)script_check(s, the_flow, NULL, &dl);
		script_free(s);
	} else if (r == 0 || s) {
		abort();   /* success must give a script, failure none */
	}
	diag_sort(&dl);
	diag_free(&dl);
	return 0;
}
