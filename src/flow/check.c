/*
 * check.c — the warnings that need the whole graph: unreachable nodes,
 * cycles no caller input can leave, nodes with no way out, prompts missing
 * in a language.
 *
 * Everything is linear in nodes + edges: the graph is put in CSR form once
 * (forward and reverse), reachability is two breadth-first searches, and
 * the trap search is an iterative Tarjan SCC pass (no recursion, so a
 * 100,000-node chain cannot overflow the stack).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "flow_int.h"

typedef struct graph {
	int n;
	int *off, *adj;         /* forward CSR: adj[off[v]..off[v+1]) */
	int *roff, *radj;       /* reverse */
	bool *exit;             /* an edge to hangup or back (or repeat outside a menu) */
} graph;

typedef struct fill_ctx {
	const flow *f;
	graph *g;
	int from;
	int *pos;               /* NULL: counting pass */
	const uint64_t *lines;  /* lines (bit l % 64) that reach each node; NULL: ignore `top` */
} fill_ctx;

static void add_edge(fill_ctx *c, int to)
{
	if (c->pos)
		c->g->adj[c->pos[c->from]++] = to;
	else
		c->g->off[c->from + 1]++;
}

static void count_edge(void *vctx, const flow_edge *e)
{
	fill_ctx *c = vctx;
	if (e->target >= 0) {
		add_edge(c, e->target);
	} else if (e->target == FLOW_T_TOP) {
		/* `top` goes to the start of the line the call came in on: an
		 * edge to the start of every line that reaches this node, so a
		 * zero-time loop through `top` is a trap like any other. */
		if (!c->lines)
			return;
		for (int l = 0; l < c->f->nlines; l++)
			if ((c->lines[c->from] >> (l % 64) & 1) && c->f->lines[l].start >= 0)
				add_edge(c, c->f->lines[l].start);
	} else if (e->target == FLOW_T_REPEAT && (c->f->nodes[c->from].kind == FLOW_MENU ||
	                                           c->f->nodes[c->from].kind == FLOW_INPUT)) {
		add_edge(c, c->from);   /* this menu again */
	} else if (e->target == FLOW_T_HANGUP || e->target == FLOW_T_BACK ||
	           e->target == FLOW_T_REPEAT) {
		/* back (and repeat outside a menu) return to a menu the caller
		 * came from: caller input decides there. */
		c->g->exit[c->from] = true;
	}
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		abort();
	return p;
}

static void graph_build_pass(const flow *f, graph *g, const uint64_t *lines)
{
	int n = f->nnodes;
	g->n = n;
	g->off = xcalloc((size_t)n + 1, sizeof(int));
	g->exit = xcalloc((size_t)n, sizeof(bool));
	fill_ctx c = { f, g, 0, NULL, lines };
	for (int v = 0; v < n; v++) {
		c.from = v;
		flow_node_edges(f, v, count_edge, &c);
	}
	for (int v = 0; v < n; v++)
		g->off[v + 1] += g->off[v];
	g->adj = xcalloc((size_t)g->off[n], sizeof(int));
	int *pos = xcalloc((size_t)n + 1, sizeof(int));
	memcpy(pos, g->off, sizeof(int) * (size_t)n);
	c.pos = pos;
	for (int v = 0; v < n; v++) {
		c.from = v;
		flow_node_edges(f, v, count_edge, &c);
	}
	/* Reverse. */
	g->roff = xcalloc((size_t)n + 1, sizeof(int));
	for (int e = 0; e < g->off[n]; e++)
		g->roff[g->adj[e] + 1]++;
	for (int v = 0; v < n; v++)
		g->roff[v + 1] += g->roff[v];
	g->radj = xcalloc((size_t)g->off[n], sizeof(int));
	memcpy(pos, g->roff, sizeof(int) * (size_t)n);
	for (int v = 0; v < n; v++)
		for (int e = g->off[v]; e < g->off[v + 1]; e++)
			g->radj[pos[g->adj[e]]++] = v;
	free(pos);
}

static void graph_free(graph *g);

/* Two passes: the graph without `top`, which tells which lines reach each
 * node (a breadth-first search per line, so lines x nodes), then the graph
 * with every `top` turned into edges to those lines' starts. */
static void graph_build(const flow *f, graph *g)
{
	graph g0;
	graph_build_pass(f, &g0, NULL);
	int n = f->nnodes;
	uint64_t *lines = xcalloc((size_t)n, sizeof(uint64_t));
	int *queue = xcalloc((size_t)n + 1, sizeof(int));
	bool *mark = xcalloc((size_t)n, sizeof(bool));
	for (int l = 0; l < f->nlines; l++) {
		int st = f->lines[l].start;
		if (st < 0)
			continue;
		memset(mark, 0, (size_t)n * sizeof(bool));
		int head = 0, tail = 0;
		mark[st] = true;
		queue[tail++] = st;
		while (head < tail) {
			int v = queue[head++];
			lines[v] |= 1ull << (l % 64);
			for (int e = g0.off[v]; e < g0.off[v + 1]; e++)
				if (!mark[g0.adj[e]]) {
					mark[g0.adj[e]] = true;
					queue[tail++] = g0.adj[e];
				}
		}
	}
	graph_free(&g0);
	graph_build_pass(f, g, lines);
	free(lines);
	free(queue);
	free(mark);
}

static void graph_free(graph *g)
{
	free(g->off);
	free(g->adj);
	free(g->roff);
	free(g->radj);
	free(g->exit);
}

static void warn_node(diag_list *dl, const flow_node *n, const char *code,
                      const char *fmt, const char *a, const char *b)
{
	diag_add(dl, DIAG_WARNING, n->loc.file, n->loc.line, n->loc.col, code, fmt, a, b);
}

/* ---- prompts ------------------------------------------------------------- */
static void check_prompts(const flow *f, diag_list *dl)
{
	for (int i = 0; i < f->nprompts; i++) {
		const flow_prompt *p = &f->prompts[i];
		char langs[FLOW_MAX_LANGS * 16] = "";
		int missing = 0;
		for (int l = 0; l < f->nlangs; l++) {
			if (p->text[l] || p->wav[l])
				continue;
			if (missing++)
				strncat(langs, ", ", sizeof langs - strlen(langs) - 1);
			strncat(langs, f->langs[l], sizeof langs - strlen(langs) - 1);
		}
		if (!missing)
			continue;
		if (!f->prompt_dir)
			diag_add(dl, DIAG_WARNING, p->first_use.file, p->first_use.line,
			         p->first_use.col, "prompt-missing",
			         "prompt '%s' has no audio or text in %s (no 'prompts' folder in the "
			         "flow header); it lasts 1s", p->id, langs);
		else
			diag_add(dl, DIAG_WARNING, p->first_use.file, p->first_use.line,
			         p->first_use.col, "prompt-missing",
			         "prompt '%s' has no audio or text in %s (looked in %s); it lasts 1s",
			         p->id, langs, f->prompt_dir);
	}
}

/* ---- reachability -------------------------------------------------------- */
static void bfs(const int *off, const int *adj, bool *mark, int *queue, int qn)
{
	int head = 0;
	while (head < qn) {
		int v = queue[head++];
		for (int e = off[v]; e < off[v + 1]; e++) {
			int w = adj[e];
			if (!mark[w]) {
				mark[w] = true;
				queue[qn++] = w;
			}
		}
	}
}

static bool automatic(const flow_node *n)
{
	/* Nodes that move on without the caller or an agent. */
	return n->kind == FLOW_PLAY || n->kind == FLOW_SET || n->kind == FLOW_ROUTE ||
	       n->kind == FLOW_REQUEST;
}

/* Tarjan's SCC, iterative.  comp[v] = component id for automatic nodes
 * (edges only between automatic nodes), -1 for the others. */
static int scc(const flow *f, const graph *g, int *comp)
{
	int n = g->n;
	int *index = xcalloc((size_t)n, sizeof(int));
	int *low = xcalloc((size_t)n, sizeof(int));
	bool *on = xcalloc((size_t)n, sizeof(bool));
	int *stack = xcalloc((size_t)n, sizeof(int));
	int *cs = xcalloc((size_t)n, sizeof(int));   /* call stack: node */
	int *ce = xcalloc((size_t)n, sizeof(int));   /* call stack: next edge */
	int sp = 0, idx = 1, ncomp = 0;
	for (int v = 0; v < n; v++)
		comp[v] = -1;
	for (int root = 0; root < n; root++) {
		if (index[root] || !automatic(&f->nodes[root]))
			continue;
		int csp = 0;
		cs[csp] = root;
		ce[csp] = g->off[root];
		csp++;
		index[root] = low[root] = idx++;
		stack[sp++] = root;
		on[root] = true;
		while (csp > 0) {
			int v = cs[csp - 1];
			if (ce[csp - 1] < g->off[v + 1]) {
				int w = g->adj[ce[csp - 1]++];
				if (!automatic(&f->nodes[w]))
					continue;
				if (!index[w]) {
					index[w] = low[w] = idx++;
					stack[sp++] = w;
					on[w] = true;
					cs[csp] = w;
					ce[csp] = g->off[w];
					csp++;
				} else if (on[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			if (low[v] == index[v]) {
				int w;
				do {
					w = stack[--sp];
					on[w] = false;
					comp[w] = ncomp;
				} while (w != v);
				ncomp++;
			}
			csp--;
			if (csp > 0) {
				int u = cs[csp - 1];
				if (low[v] < low[u])
					low[u] = low[v];
			}
		}
	}
	free(index);
	free(low);
	free(on);
	free(stack);
	free(cs);
	free(ce);
	return ncomp;
}

/* A shortest cycle through start inside its component, as "a -> b -> a". */
static void describe_cycle(const flow *f, const graph *g, const int *comp, int start,
                           int *prev, int *queue, buf *out)
{
	int c = comp[start];
	int head = 0, qn = 0;
	for (int e = g->off[start]; e < g->off[start + 1]; e++) {
		int w = g->adj[e];
		if (comp[w] == c && prev[w] == -2) {
			prev[w] = start;
			queue[qn++] = w;
		}
	}
	int last = -1;
	while (head < qn && last < 0) {
		int v = queue[head++];
		if (v == start) {
			last = v;
			break;
		}
		for (int e = g->off[v]; e < g->off[v + 1]; e++) {
			int w = g->adj[e];
			if (comp[w] == c && prev[w] == -2) {
				prev[w] = v;
				queue[qn++] = w;
			}
		}
	}
	/* Walk back from start through prev: the cycle in reverse.  Keep
	 * the last few seen, which are the first few after start. */
	int path[4], np = 0, total = 0;
	for (int v = prev[start]; v != start && v >= 0 && total <= g->n; v = prev[v]) {
		path[np % 4] = v;     /* ring: ends holding the four nearest start */
		np++;
		total++;
	}
	buf_printf(out, "%s", f->nodes[start].name);
	if (total > 4) {
		for (int k = 1; k <= 3; k++)
			buf_printf(out, " -> %s", f->nodes[path[(np - k) % 4]].name);
		buf_printf(out, " -> ... (%d nodes)", total + 1);
	} else {
		for (int k = 1; k <= total; k++)
			buf_printf(out, " -> %s", f->nodes[path[(np - k) % 4]].name);
	}
	buf_printf(out, " -> %s", f->nodes[start].name);
	for (int i = 0; i < qn; i++)
		prev[queue[i]] = -2;
	prev[start] = -2;
}

static void check_graph(const flow *f, diag_list *dl)
{
	graph g;
	graph_build(f, &g);
	int n = g.n;
	bool *reach = xcalloc((size_t)n, sizeof(bool));
	int *queue = xcalloc((size_t)n + 1, sizeof(int));
	int qn = 0;
	for (int i = 0; i < f->nlines; i++) {
		int t[2] = { f->lines[i].start, f->lines[i].hours >= 0 ? f->lines[i].closed : -1 };
		for (int k = 0; k < 2; k++)
			if (t[k] >= 0 && !reach[t[k]]) {
				reach[t[k]] = true;
				queue[qn++] = t[k];
			}
	}
	bfs(g.off, g.adj, reach, queue, qn);

	/* Traps: components of automatic nodes with a cycle and no way out. */
	int *comp = xcalloc((size_t)n, sizeof(int));
	int ncomp = scc(f, &g, comp);
	int *size = xcalloc((size_t)ncomp + 1, sizeof(int));
	bool *leaves = xcalloc((size_t)ncomp + 1, sizeof(bool));
	bool *selfloop = xcalloc((size_t)ncomp + 1, sizeof(bool));
	int *first = xcalloc((size_t)ncomp + 1, sizeof(int));
	for (int c = 0; c < ncomp; c++)
		first[c] = -1;
	for (int v = 0; v < n; v++) {
		int c = comp[v];
		if (c < 0)
			continue;
		size[c]++;
		if (first[c] < 0)
			first[c] = v;
		if (g.exit[v])
			leaves[c] = true;
		for (int e = g.off[v]; e < g.off[v + 1]; e++) {
			if (comp[g.adj[e]] != c)
				leaves[c] = true;
			else if (g.adj[e] == v)
				selfloop[c] = true;
		}
	}
	bool *trapped = xcalloc((size_t)n, sizeof(bool));
	int *prev = xcalloc((size_t)n, sizeof(int));
	for (int v = 0; v < n; v++)
		prev[v] = -2;
	for (int c = 0; c < ncomp; c++) {
		if (leaves[c] || (size[c] < 2 && !selfloop[c]))
			continue;
		buf b;
		buf_init(&b);
		describe_cycle(f, &g, comp, first[c], prev, queue, &b);
		warn_node(dl, &f->nodes[first[c]], "trap-cycle",
		          "cycle that no caller input can leave: %s%s", b.p, "");
		buf_free(&b);
	}
	for (int v = 0; v < n; v++)
		trapped[v] = comp[v] >= 0 && !leaves[comp[v]] && (size[comp[v]] > 1 || selfloop[comp[v]]);

	/* Ways out: queues and edges to hangup/back/top, searched backwards. */
	bool *out = xcalloc((size_t)n, sizeof(bool));
	qn = 0;
	for (int v = 0; v < n; v++)
		if (f->nodes[v].kind == FLOW_QUEUE || g.exit[v]) {
			out[v] = true;
			queue[qn++] = v;
		}
	bfs(g.roff, g.radj, out, queue, qn);

	for (int v = 0; v < n; v++) {
		const flow_node *nd = &f->nodes[v];
		if (!reach[v])
			warn_node(dl, nd, "unreachable", "%s '%s' is unreachable: no line leads to it",
			          flow_kind_name(nd->kind), nd->name);
		else if (!out[v] && !trapped[v])
			warn_node(dl, nd, "no-exit", "no path from %s '%s' leads to hangup or a queue",
			          flow_kind_name(nd->kind), nd->name);
	}
	free(reach);
	free(queue);
	free(comp);
	free(size);
	free(leaves);
	free(selfloop);
	free(first);
	free(trapped);
	free(prev);
	free(out);
	graph_free(&g);
}

void flow_check(flow *f, diag_list *dl, bool graph_checks)
{
	check_prompts(f, dl);
	if (graph_checks)
		check_graph(f, dl);
}
