/*
 * dot.c — the flow as a Graphviz DOT document.
 *
 * One node per flow node (shape by kind, label "name\nkind"), lines as
 * entry points, one edge per way out labelled as flow_edge_label says, and
 * the built-in targets (hangup, back, top, repeat) as small shared nodes.
 * Counts (e.g. coverage from stored runs) are optional and only decorate:
 * the structure of the document is the same with or without them, so
 * tests of one hold for the other.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "flow_int.h"

static void put_escaped(buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(out, '\\');
		if (*s == '\n') {
			buf_puts(out, "\\n");
			continue;
		}
		buf_putc(out, *s);
	}
}

static const char *shape_of(flow_node_kind k)
{
	switch (k) {
	case FLOW_MENU: return "box";
	case FLOW_INPUT: return "parallelogram";
	case FLOW_PLAY: return "note";
	case FLOW_SET: return "component";
	case FLOW_ROUTE: return "diamond";
	case FLOW_QUEUE: return "cylinder";
	case FLOW_REQUEST: return "folder";
	default: return "ellipse";
	}
}

static const char *builtin_id(int t)
{
	switch (t) {
	case FLOW_T_HANGUP: return "hangup";
	case FLOW_T_REPEAT: return "repeat";
	case FLOW_T_BACK: return "back";
	case FLOW_T_TOP: return "top";
	default: return NULL;
	}
}

static void put_target(buf *out, int t)
{
	if (t >= 0)
		buf_printf(out, "n%d", t);
	else
		buf_printf(out, "builtin_%s", builtin_id(t));
}

static void put_count_style(buf *out, int64_t n)
{
	/* Wider for busier edges, on a log scale so one hot path does not
	 * swallow the picture; grey for never taken. */
	if (n <= 0) {
		buf_puts(out, ", color=\"#bbbbbb\", fontcolor=\"#999999\"");
		return;
	}
	buf_printf(out, ", penwidth=%.1f", 1.0 + log10((double)n + 1.0));
}

typedef struct dot_ctx {
	const flow *f;
	const flow_graph_counts *counts;
	buf *out;
	int from;
	bool used[5];           /* built-ins seen, by -target - 1 */
} dot_ctx;

static void emit_edge(void *vctx, const flow_edge *e)
{
	dot_ctx *c = vctx;
	if (e->target < 0 && !builtin_id(e->target))
		return;
	if (e->target < 0)
		c->used[-e->target - 1] = true;
	char label[256];
	flow_edge_label(c->f, c->from, e, label, sizeof label);
	buf *out = c->out;
	buf_printf(out, "  n%d -> ", c->from);
	put_target(out, e->target);
	buf_puts(out, " [label=\"");
	put_escaped(out, label);
	int64_t n = -1;
	if (c->counts && c->counts->edge_count) {
		/* n < 0: not countable (a built-in target has no node to
		 * count transitions to); draw the edge without a figure. */
		n = c->counts->edge_count(c->counts->ctx, c->from, e);
		if (n >= 0)
			buf_printf(out, " (%lld)", (long long)n);
	}
	buf_putc(out, '"');
	switch (e->kind) {
	case FLOW_E_FAILURE: case FLOW_E_FAILURE_NOINPUT: case FLOW_E_FAILURE_NOMATCH:
	case FLOW_E_CLOSED: case FLOW_E_TIMEOUT:
		buf_puts(out, ", style=dashed");
		break;
	case FLOW_E_ESCALATE: case FLOW_E_SUPERVISOR: case FLOW_E_REQUEST:
		buf_puts(out, ", style=bold, color=\"#2a6099\"");
		break;
	default:
		break;
	}
	if (n >= 0)
		put_count_style(out, n);
	buf_puts(out, "];\n");
}

void flow_write_dot(const flow *f, const flow_graph_counts *counts, buf *out)
{
	buf_puts(out, "digraph \"");
	put_escaped(out, f->name ? f->name : "flow");
	buf_puts(out, "\" {\n"
	         "  rankdir=LR;\n"
	         "  node [fontname=\"Helvetica\", fontsize=11];\n"
	         "  edge [fontname=\"Helvetica\", fontsize=9];\n");

	/* Lines: entry points. */
	for (int i = 0; i < f->nlines; i++) {
		const flow_line *ln = &f->lines[i];
		buf_printf(out, "  line%d [shape=cds, style=filled, fillcolor=\"#e3ecf7\", label=\"line ", i);
		put_escaped(out, ln->name);
		if (ln->number) {
			buf_puts(out, "\\n");
			put_escaped(out, ln->number);
		}
		if (ln->channel && strcmp(ln->channel, "voice") != 0) {
			buf_puts(out, "\\n(");
			put_escaped(out, ln->channel);
			buf_puts(out, ")");
		}
		buf_puts(out, "\"];\n");
	}

	/* Coverage colours nodes on a log heat scale, white to orange, so the
	 * main paths stand out and rarely used branches are still visible. */
	int64_t vmax = 0;
	if (counts && counts->node_visits)
		for (int v = 0; v < f->nnodes; v++)
			if (counts->node_visits[v] > vmax)
				vmax = counts->node_visits[v];

	/* Nodes. */
	for (int v = 0; v < f->nnodes; v++) {
		const flow_node *n = &f->nodes[v];
		buf_printf(out, "  n%d [shape=%s, label=\"", v, shape_of(n->kind));
		put_escaped(out, n->name);
		buf_printf(out, "\\n%s", flow_kind_name(n->kind));
		if (n->kind == FLOW_QUEUE)
			buf_printf(out, " (tier %d)", n->u.queue.tier);
		if (counts && counts->node_visits)
			buf_printf(out, "\\n%lld visits", (long long)counts->node_visits[v]);
		buf_putc(out, '"');
		if (counts && counts->node_visits && counts->node_visits[v] > 0 && vmax > 0) {
			double h = log10((double)counts->node_visits[v] + 1) / log10((double)vmax + 1);
			int g = 240 - (int)(h * 110), b = 220 - (int)(h * 200);
			buf_printf(out, ", style=filled, fillcolor=\"#ff%02x%02x\"", g, b);
		} else if (n->kind == FLOW_QUEUE) {
			buf_puts(out, ", style=filled, fillcolor=\"#fdf1d6\"");
		}
		if (counts && counts->node_visits && counts->node_visits[v] == 0)
			buf_puts(out, ", color=\"#bbbbbb\", fontcolor=\"#999999\"");
		buf_puts(out, "];\n");
	}

	dot_ctx c = { f, counts, out, 0, { false } };
	/* Line edges. */
	for (int i = 0; i < f->nlines; i++) {
		const flow_line *ln = &f->lines[i];
		if (ln->start >= 0) {
			buf_printf(out, "  line%d -> n%d", i, ln->start);
			if (ln->hours >= 0) {
				buf_puts(out, " [label=\"open ");
				put_escaped(out, f->hours[ln->hours].name);
				buf_puts(out, "\"]");
			}
			buf_puts(out, ";\n");
		}
		if (ln->hours >= 0 && ln->closed != FLOW_T_NONE) {
			buf_printf(out, "  line%d -> ", i);
			if (ln->closed < 0)
				c.used[-ln->closed - 1] = true;
			put_target(out, ln->closed);
			buf_puts(out, " [label=\"closed\", style=dashed];\n");
		}
	}
	/* Node edges. */
	for (int v = 0; v < f->nnodes; v++) {
		c.from = v;
		flow_node_edges(f, v, emit_edge, &c);
	}
	/* Built-ins, once each, only when used. */
	for (int k = 0; k < 5; k++) {
		if (!c.used[k])
			continue;
		const char *id = builtin_id(-k - 1);
		if (!id)
			continue;
		buf_printf(out, "  builtin_%s [shape=%s, width=0.3, height=0.3, fontsize=8, "
		           "style=filled, fillcolor=\"#eeeeee\", label=\"%s\"];\n",
		           id, strcmp(id, "hangup") == 0 ? "doublecircle" : "circle", id);
	}
	buf_puts(out, "}\n");
}
