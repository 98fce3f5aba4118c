/*
 * diag.c — collecting, sorting and printing diagnostics.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/diag.h"
#include "tierline/util.h"

void diag_init(diag_list *dl)
{
	memset(dl, 0, sizeof *dl);
}

void diag_free(diag_list *dl)
{
	for (int i = 0; i < dl->n; i++) {
		free(dl->items[i].file);
		free(dl->items[i].code);
		free(dl->items[i].message);
	}
	free(dl->items);
	diag_init(dl);
}

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

void diag_add(diag_list *dl, diag_severity sev, const char *file, int line,
              int col, const char *code, const char *fmt, ...)
{
	if (sev == DIAG_ERROR)
		dl->nerrors++;
	else if (sev == DIAG_WARNING)
		dl->nwarnings++;
	int max = dl->max > 0 ? dl->max : 1000;
	if (dl->n >= max) {
		dl->dropped++;
		return;
	}
	if (dl->n == dl->cap) {
		int cap = dl->cap ? dl->cap * 2 : 16;
		diag *p = realloc(dl->items, (size_t)cap * sizeof *p);
		if (!p)
			abort();
		dl->items = p;
		dl->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = malloc((size_t)(n > 0 ? n : 0) + 1);
	if (!msg)
		abort();
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	diag *d = &dl->items[dl->n++];
	d->file = xstrdup(file);
	d->line = line;
	d->col = col;
	d->severity = sev;
	d->code = xstrdup(code ? code : "");
	d->message = msg;
}

void diag_sort(diag_list *dl)
{
	/* Files keep the order in which they first appear; inside a file,
	 * diagnostics go by position.  A stable insertion sort keeps equal
	 * positions in emission order; lists are short (capped by dl->max). */
	if (dl->n < 2)
		return;
	int *rank = malloc(sizeof(int) * (size_t)dl->n);
	if (!rank)
		abort();
	for (int i = 0; i < dl->n; i++) {
		rank[i] = i;
		for (int j = 0; j < i; j++) {
			const char *a = dl->items[i].file, *b = dl->items[j].file;
			if ((!a && !b) || (a && b && strcmp(a, b) == 0)) {
				rank[i] = rank[j];
				break;
			}
		}
	}
	for (int i = 1; i < dl->n; i++) {
		diag t = dl->items[i];
		int tr = rank[i];
		int j = i - 1;
		while (j >= 0 && (tr < rank[j] || (tr == rank[j] &&
		       (t.line < dl->items[j].line ||
		        (t.line == dl->items[j].line && t.col < dl->items[j].col))))) {
			dl->items[j + 1] = dl->items[j];
			rank[j + 1] = rank[j];
			j--;
		}
		dl->items[j + 1] = t;
		rank[j + 1] = tr;
	}
	free(rank);
}

const char *diag_severity_name(diag_severity sev)
{
	switch (sev) {
	case DIAG_ERROR: return "error";
	case DIAG_WARNING: return "warning";
	default: return "note";
	}
}

void diag_print(const diag_list *dl, FILE *out)
{
	for (int i = 0; i < dl->n; i++) {
		const diag *d = &dl->items[i];
		if (d->file && d->line > 0)
			fprintf(out, "%s:%d:%d: ", d->file, d->line, d->col);
		else if (d->file)
			fprintf(out, "%s: ", d->file);
		fprintf(out, "%s: %s\n", diag_severity_name(d->severity), d->message);
	}
	if (dl->dropped)
		fprintf(out, "(%d more diagnostics not shown)\n", dl->dropped);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void diag_print_json(const diag_list *dl, FILE *out)
{
	fputs("[", out);
	for (int i = 0; i < dl->n; i++) {
		const diag *d = &dl->items[i];
		fputs(i ? ",\n {" : "\n {", out);
		fputs("\"file\": ", out);
		json_str(out, d->file);
		fprintf(out, ", \"line\": %d, \"column\": %d, \"severity\": ", d->line, d->col);
		json_str(out, diag_severity_name(d->severity));
		fputs(", \"code\": ", out);
		json_str(out, d->code);
		fputs(", \"message\": ", out);
		json_str(out, d->message);
		fputs("}", out);
	}
	fputs(dl->n ? "\n]\n" : "]\n", out);
}

static int levenshtein(const char *a, const char *b, int limit)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	if (la - lb > limit || lb - la > limit || lb > 255)
		return limit + 1;
	int prev[256], cur[256];
	for (int j = 0; j <= lb; j++)
		prev[j] = j;
	for (int i = 1; i <= la; i++) {
		cur[0] = i;
		int best = cur[0];
		for (int j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v) v = prev[j] + 1;
			if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
			cur[j] = v;
			if (v < best) best = v;
		}
		if (best > limit)
			return limit + 1;
		memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
	}
	return prev[lb];
}

const char *diag_suggest(const char *name, const char *const *cands, int n)
{
	int len = (int)strlen(name);
	if (len > 255)
		return NULL;
	int limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
	const char *best = NULL;
	int bestd = limit + 1;
	for (int i = 0; i < n; i++) {
		if (!cands[i] || strcmp(cands[i], name) == 0)
			continue;
		int d = levenshtein(name, cands[i], limit);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}
