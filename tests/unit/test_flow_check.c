/* test_flow_check.c — the graph checks (unreachable, trap cycles, no way
 * out) at small and large scale, edge walking, and the DOT writer with
 * counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "tierline/flow.h"

static int count_code(const diag_list *dl, const char *code)
{
	int n = 0;
	for (int i = 0; i < dl->n; i++)
		n += strcmp(dl->items[i].code, code) == 0;
	return n;
}

static flow *load(const char *text, diag_list *dl)
{
	flow *f = NULL;
	int r = flow_load_string("t.flow", text, strlen(text), &f, dl);
	if (r != 0)
		diag_print(dl, stderr);
	assert_int_equal(r, 0);
	return f;
}

/* A ring of n plays entered from a menu: one trap warning, found without
 * recursion (n is far beyond any C stack's depth for a recursive DFS). */
static void test_large_trap(void **state)
{
	(void)state;
	const int n = 200000;
	buf b;
	buf_init(&b);
	buf_puts(&b, "flow t { languages en }\nline l \"1\" { start m }\n"
	         "menu m { prompt x; option 1 -> p0 }\n");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "play p%d { prompt x; next -> p%d }\n", i, (i + 1) % n);
	diag_list dl;
	diag_init(&dl);
	clock_t t0 = clock();
	flow *f = load(b.p, &dl);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_int_equal(f->nnodes, n + 1);
	assert_int_equal(count_code(&dl, "trap-cycle"), 1);
	assert_int_equal(count_code(&dl, "no-exit"), 0);       /* explained by the trap */
	assert_int_equal(count_code(&dl, "unreachable"), 0);
	for (int i = 0; i < dl.n; i++)
		if (strcmp(dl.items[i].code, "trap-cycle") == 0)
			assert_non_null(strstr(dl.items[i].message, "p0 -> p1 -> p2 -> p3 -> ... (200000 nodes) -> p0"));
	assert_true(secs < 5.0);
	flow_free(f);
	diag_free(&dl);
	buf_free(&b);
}

static void test_warnings(void **state)
{
	(void)state;
	const char *text =
		"flow t { languages en }\n"
		"line l \"1\" { start m }\n"
		"menu m { prompt x; option 1 -> r; option 2 -> q; option 3 -> a }\n"
		"route r { when lang en -> s; else -> m }\n"   /* a cycle with a way out */
		"set s { var v \"1\"; next -> r }\n"
		"play a { prompt x; next -> b }\n"               /* a trap: a <-> b */
		"play b { prompt x; next -> a }\n"
		"menu dead1 { prompt x; option 1 -> dead2; failure -> dead2 }\n"
		"menu dead2 { prompt x; option 1 -> dead1; failure -> dead1 }\n"
		"queue q { tier 1 }\n";
	diag_list dl;
	diag_init(&dl);
	flow *f = load(text, &dl);
	assert_int_equal(count_code(&dl, "trap-cycle"), 1);
	assert_int_equal(count_code(&dl, "unreachable"), 2);      /* dead1, dead2 */
	assert_int_equal(count_code(&dl, "no-exit"), 0);          /* not repeated */
	assert_int_equal(count_code(&dl, "prompt-missing"), 1);   /* x, once */
	flow_free(f);
	diag_free(&dl);
}

typedef struct edge_log {
	char s[512];
	const flow *f;
	int node;
} edge_log;

static void log_edge(void *ctx, const flow_edge *e)
{
	edge_log *l = ctx;
	char label[64];
	flow_edge_label(l->f, l->node, e, label, sizeof label);
	size_t n = strlen(l->s);
	snprintf(l->s + n, sizeof l->s - n, "%s%s=%s", n ? " " : "", label,
	         flow_target_name(l->f, e->target));
}

static int64_t edge_count(void *ctx, int from, const flow_edge *e)
{
	(void)ctx;
	return from * 10 + (int64_t)e->kind;
}

static void test_edges_and_dot(void **state)
{
	(void)state;
	const char *text =
		"flow t { languages en es }\n"
		"hours h { mon-fri 09:00-17:00 }\n"
		"line l \"1\" { start m }\n"
		"menu m { prompt x; option 1 -> q; option * -> back; failure nomatch -> r }\n"
		"route r { when open h -> q; when lang es -> q; when not line l -> q; else -> hangup }\n"
		"queue q { hours h; closed -> r; max_wait 1m -> hangup; escalate -> q; "
		"supervisor -> q; request -> sr }\n"
		"request sr { type \"t\"; office o; next -> top }\n"
		"offices { office o \"O\" { receipt \"1\" } }\n";
	diag_list dl;
	diag_init(&dl);
	flow *f = load(text, &dl);
	edge_log l = { "", f, flow_find_node(f, "m") };
	flow_node_edges(f, l.node, log_edge, &l);
	assert_string_equal(l.s, "1=q *=back failure (no-match)=r failure=hangup");
	l.s[0] = '\0';
	l.node = flow_find_node(f, "r");
	flow_node_edges(f, l.node, log_edge, &l);
	assert_string_equal(l.s, "open h=q lang es=q not line l=q else=hangup");
	l.s[0] = '\0';
	l.node = flow_find_node(f, "q");
	flow_node_edges(f, l.node, log_edge, &l);
	assert_string_equal(l.s, "closed=r timeout=hangup escalate=q supervisor=q request=sr");

	int64_t visits[4] = { 7, 0, 3, 1 };
	flow_graph_counts counts = { visits, edge_count, NULL };
	buf b;
	buf_init(&b);
	flow_write_dot(f, &counts, &b);
	assert_non_null(strstr(b.p, "digraph \"t\" {"));
	assert_non_null(strstr(b.p, "label=\"m\\nmenu\\n7 visits\""));
	assert_non_null(strstr(b.p, "n0 -> builtin_back [label=\"* (0)\""));
	assert_non_null(strstr(b.p, "builtin_top [shape=circle"));
	assert_non_null(strstr(b.p, "builtin_hangup [shape=doublecircle"));
	assert_null(strstr(b.p, "builtin_repeat"));   /* only the built-ins used */
	buf_free(&b);
	flow_free(f);
	diag_free(&dl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_trap),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_edges_and_dot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
