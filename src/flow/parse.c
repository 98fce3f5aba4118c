/*
 * parse.c — flow files to the flow graph: statements, includes, names.
 *
 * Two phases.  Parsing builds nodes, lines, hours and offices with every
 * name they mention recorded as a *reference* (an index into p->refs with
 * the name and where it was written); target fields hold that reference
 * index (>= 0) or a built-in (< 0).  Resolution then replaces references by
 * indexes, reporting unknown names with a suggestion.  So definitions may
 * come in any order, and across included files.
 *
 * Error recovery: a statement that goes wrong is skipped up to the next
 * statement end (newline or ';') or the '}' that closes its block, with any
 * nested block skipped whole, so one run reports many errors.  After
 * FLOW_MAX_ERRORS errors parsing stops with a note.  Nothing recurses on the
 * input's nesting: blocks are at most two deep in the grammar, skipping is
 * iterative, and the lexer caps brace depth.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "tierline/lex.h"
#include "flow_int.h"
#include "tierline/vec.h"

#define FLOW_MAX_ERRORS 50
#define FLOW_MAX_INCLUDE_DEPTH 16
#define FLOW_MAX_FILE (64u << 20)

typedef struct ref {
	const char *name;
	flow_loc loc;
} ref;

typedef struct never_open_ref {
	int ref, node;
} never_open_ref;

typedef struct parser {
	flow *f;
	arena *mem;
	diag_list *dl;
	int errors0;
	bool stop;

	lexer *lx;
	lex_token t;
	const char *file;          /* current file, interned */
	const char *dir;           /* its folder */

	VEC(flow_node *) nodes;
	VEC(flow_line *) lines;
	VEC(flow_hours *) hours;
	VEC(flow_office *) offices;
	VEC(flow_prompt) prompts;
	VEC(const char *) vars;
	VEC(const char *) files;
	VEC(ref) refs;
	struct flow_index *ix;

	VEC(never_open_ref) never_open; /* queue hours that are never open */
	VEC(const char *) incl_stack;   /* canonical paths being parsed */
	VEC(const char *) incl_shown;   /* the same files, as written */
	VEC(const char *) incl_done;    /* canonical paths already parsed */

	bool main_unreadable;      /* main file is not UTF-8 text */
	bool have_header;
	flow_loc header_loc;
	const char *header_dir;
	const char *prompts_rel;
	int default_office;        /* ref, or -1 */
	flow_loc default_loc;
	bool have_default;
	const char **node_names;   /* for suggestions, built on demand */
} parser;

static const char *const key_words[] = { "option", "terminator", NULL };

static const char *const top_words[] = {
	"flow", "line", "hours", "offices", "menu", "input", "play", "set",
	"route", "queue", "request", "include", NULL
};

static const char *const builtin_names[] = { "hangup", "repeat", "back", "top", NULL };

/* ---- errors -------------------------------------------------------------- */
static void vreport(parser *p, diag_severity sev, int line, int col, const char *code,
                    const char *fmt, va_list ap)
{
	if (p->stop)
		return;   /* after the too-many-errors note, nothing more */
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	diag_add(p->dl, sev, p->file, line, col, code, "%s", msg);
	if (sev == DIAG_ERROR && !p->stop && p->dl->nerrors - p->errors0 >= FLOW_MAX_ERRORS) {
		diag_add(p->dl, DIAG_NOTE, p->file, line, col, "too-many-errors",
		         "too many errors (%d); stopping here", FLOW_MAX_ERRORS);
		p->stop = true;
		if (p->lx)
			p->lx->dead = true;
	}
}

static void __attribute__((format(printf, 5, 6)))
vreport_at(parser *p, int line, int col, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_ERROR, line, col, code, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 4, 5)))
err_loc(parser *p, flow_loc loc, const char *code, const char *fmt, ...)
{
	const char *save = p->file;
	p->file = loc.file;
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_ERROR, loc.line, loc.col, code, fmt, ap);
	va_end(ap);
	p->file = save;
}

static void __attribute__((format(printf, 4, 5)))
warn_loc(parser *p, flow_loc loc, const char *code, const char *fmt, ...)
{
	const char *save = p->file;
	p->file = loc.file;
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_WARNING, loc.line, loc.col, code, fmt, ap);
	va_end(ap);
	p->file = save;
}

/* An error at the current token; silent when the lexer already reported it. */
static void __attribute__((format(printf, 3, 4)))
err_tok(parser *p, const char *code, const char *fmt, ...)
{
	if (p->t.kind == LEX_ERROR)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_ERROR, p->t.line, p->t.col, code, fmt, ap);
	va_end(ap);
}

static flow_loc here(const parser *p)
{
	flow_loc l = { p->file, p->t.line, p->t.col };
	return l;
}

/* ---- tokens -------------------------------------------------------------- */
static void next(parser *p)
{
	lex_next(p->lx, &p->t);
	/* Lexer errors count towards the limit too (a line of 10,000 stray
	 * characters must not give 10,000 messages). */
	if (!p->stop && p->dl->nerrors - p->errors0 >= FLOW_MAX_ERRORS) {
		diag_add(p->dl, DIAG_NOTE, p->file, p->t.line, p->t.col, "too-many-errors",
		         "too many errors (%d); stopping here", FLOW_MAX_ERRORS);
		p->stop = true;
		p->lx->dead = true;
		p->t.kind = LEX_EOF;
	}
}

static bool is_word(const parser *p, const char *w)
{
	return p->t.kind == LEX_IDENT && strcmp(p->t.str, w) == 0;
}

static bool at_end(const parser *p)
{
	return p->t.kind == LEX_EOS || p->t.kind == LEX_RBRACE || p->t.kind == LEX_EOF;
}

static const char *found(const parser *p, char *tmp, size_t n)
{
	lex_describe(&p->t, tmp, n);
	return tmp;
}

/* Recovery from a missing '}': a top-level definition written at column 1
 * ("menu x {", "line l \"...\"", "include \"f\"", "offices {") where a
 * statement of a block was expected means the block was never closed.
 * Two tokens of lookahead come from a copy of the lexer whose diagnostics
 * go to a scratch list (they will be reported when really lexed). */
static bool starts_definition(parser *p)
{
	static const char *const defs[] = {
		"flow", "line", "hours", "offices", "menu", "input", "play", "set",
		"route", "queue", "request", "include", NULL
	};
	if (p->t.kind != LEX_IDENT || p->t.col != 1 || p->lx->depth == 0)
		return false;
	int k;
	for (k = 0; defs[k]; k++)
		if (strcmp(defs[k], p->t.str) == 0)
			break;
	if (!defs[k])
		return false;
	lexer tmp = *p->lx;
	diag_list scratch;
	diag_init(&scratch);
	tmp.dl = &scratch;
	lex_token a, b;
	lex_next(&tmp, &a);
	lex_next(&tmp, &b);
	diag_free(&scratch);
	const char *w = defs[k];
	if (strcmp(w, "offices") == 0)
		return a.kind == LEX_LBRACE;
	if (strcmp(w, "include") == 0)
		return a.kind == LEX_STRING;
	if (a.kind != LEX_IDENT)
		return false;
	if (strcmp(w, "line") == 0)
		return b.kind == LEX_STRING || b.kind == LEX_LBRACE || b.kind == LEX_ERROR;
	return b.kind == LEX_LBRACE;
}

static void close_missing_brace(parser *p)
{
	lexer *lx = p->lx;
	int d = lx->depth - 1;
	/* Report it as the lexer would at the end of the file, and tell the
	 * lexer the block is closed so it does not report it again. */
	vreport_at(p, lx->open_line[d], lx->open_col[d], "unbalanced-braces",
	           "unbalanced braces: this '{' is never closed (a definition starts at "
	           "line %d)", p->t.line);
	lx->depth--;
}

/* Skip the rest of a statement (and any block in it). */
/* Skip the rest of a statement (and any block in it).  The lexer is quiet
 * while the skipped tokens are read, and speaks again for the token after
 * them, which starts the next statement. */
static void sync_quiet(parser *p)
{
	int depth = 0;
	for (;;) {
		p->lx->quiet = true;
		switch (p->t.kind) {
		case LEX_EOF:
			return;
		case LEX_EOS:
			if (depth == 0) {
				p->lx->quiet = false;
				next(p);
				return;
			}
			next(p);
			break;
		case LEX_LBRACE:
			depth++;
			next(p);
			break;
		case LEX_RBRACE:
			if (depth == 0)
				return;
			depth--;
			if (depth == 0) {
				p->lx->quiet = false;
				next(p);
				return;
			}
			next(p);
			break;
		case LEX_IDENT:
			if (depth > 0 && p->t.col == 1 && starts_definition(p)) {
				/* The block being skipped was never closed. */
				p->lx->quiet = false;
				while (depth-- > 0)
					close_missing_brace(p);
				return;
			}
			next(p);
			break;
		default:
			next(p);
		}
	}
}

static void sync(parser *p)
{
	sync_quiet(p);
	p->lx->quiet = false;
}

/* The statement must end here. */
static void end_stmt(parser *p, const char *what)
{
	if (p->t.kind == LEX_EOS) {
		next(p);
		return;
	}
	if (p->t.kind == LEX_RBRACE || p->t.kind == LEX_EOF)
		return;
	char tmp[96];
	err_tok(p, "syntax", "unexpected %s after '%s' (one statement per line, or use ';')",
	        found(p, tmp, sizeof tmp), what);
	sync(p);
}

static const char *expect_ident(parser *p, const char *what)
{
	if (p->t.kind == LEX_IDENT) {
		const char *s = p->t.str;
		next(p);
		return s;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected %s, found %s", what, found(p, tmp, sizeof tmp));
	return NULL;
}

static bool expect_lbrace(parser *p, const char *what)
{
	if (p->t.kind == LEX_LBRACE) {
		next(p);
		return true;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected '{' to open %s, found %s", what, found(p, tmp, sizeof tmp));
	return false;
}

static bool expect_arrow(parser *p, const char *what)
{
	if (p->t.kind == LEX_ARROW) {
		next(p);
		return true;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected '->' after '%s', found %s", what, found(p, tmp, sizeof tmp));
	return false;
}

static bool get_duration(parser *p, const char *what, int64_t *ms)
{
	switch (p->t.kind) {
	case LEX_DURATION:
		*ms = p->t.ival;
		next(p);
		return true;
	case LEX_NUMBER: {
		char num[48];
		snprintf(num, sizeof num, "%.*s", (int)(p->t.len < 40 ? p->t.len : 40), p->t.text);
		err_tok(p, "missing-unit",
		        "'%s' after '%s' has no unit: a duration needs ms, s, m, h or d (e.g. %ss)",
		        num, what, num);
		return false;
	}
	case LEX_PERCENT: {
		char num[48];
		snprintf(num, sizeof num, "%.*s", (int)(p->t.len < 40 ? p->t.len : 40), p->t.text);
		err_tok(p, "percent-not-duration",
		        "'%s' is a percent, but '%s' takes a duration (e.g. 5s)", num, what);
		return false;
	}
	default: {
		char tmp[96];
		err_tok(p, "syntax", "expected a duration after '%s' (e.g. 5s), found %s",
		        what, found(p, tmp, sizeof tmp));
		return false;
	}
	}
}

static bool get_int(parser *p, const char *what, int lo, int hi, int *out)
{
	if (p->t.kind == LEX_NUMBER && p->t.is_int && p->t.ival >= lo && p->t.ival <= hi) {
		*out = (int)p->t.ival;
		next(p);
		return true;
	}
	char tmp[96];
	if (p->t.kind == LEX_NUMBER)
		err_tok(p, "bad-number", "'%s' takes a whole number from %d to %d, found %s",
		        what, lo, hi, found(p, tmp, sizeof tmp));
	else
		err_tok(p, "syntax", "expected a number after '%s', found %s",
		        what, found(p, tmp, sizeof tmp));
	return false;
}

static bool get_string(parser *p, const char *what, const char **out)
{
	if (p->t.kind == LEX_STRING) {
		*out = p->t.str;
		next(p);
		return true;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected a string (\"...\") after '%s', found %s",
	        what, found(p, tmp, sizeof tmp));
	return false;
}

/* ---- names --------------------------------------------------------------- */
static int add_ref(parser *p, const char *name, flow_loc loc)
{
	ref r = { name, loc };
	VPUSH(p->refs, r);
	return p->refs.n - 1;
}

static int builtin_target(const char *s)
{
	if (strcmp(s, "hangup") == 0) return FLOW_T_HANGUP;
	if (strcmp(s, "repeat") == 0) return FLOW_T_REPEAT;
	if (strcmp(s, "back") == 0) return FLOW_T_BACK;
	if (strcmp(s, "top") == 0) return FLOW_T_TOP;
	return FLOW_T_NONE;
}

/* `-> X` (the arrow already consumed or not, per `arrow`). */
static bool get_target(parser *p, const char *what, bool arrow, int *out)
{
	if (arrow && !expect_arrow(p, what))
		return false;
	flow_loc loc = here(p);
	char desc[128];
	snprintf(desc, sizeof desc, "a node name after '%s ->'", what);
	const char *name = expect_ident(p, arrow ? desc : "a node name");
	if (!name)
		return false;
	int b = builtin_target(name);
	*out = b != FLOW_T_NONE ? b : add_ref(p, name, loc);
	return true;
}

static int intern_var(parser *p, const char *name)
{
	int v = strmap_get(&p->ix->vars, name);
	if (v >= 0)
		return v;
	VPUSH(p->vars, name);
	strmap_put(&p->ix->vars, p->mem, name, p->vars.n - 1);
	return p->vars.n - 1;
}

static int intern_prompt(parser *p, const char *id, flow_loc loc)
{
	int v = strmap_get(&p->ix->prompts, id);
	if (v >= 0)
		return v;
	flow_prompt pr;
	memset(&pr, 0, sizeof pr);
	pr.id = id;
	pr.first_use = loc;
	VPUSH(p->prompts, pr);
	strmap_put(&p->ix->prompts, p->mem, id, p->prompts.n - 1);
	return p->prompts.n - 1;
}

/* Prompt ids: identifiers (or strings) up to the end of the statement. */
static bool get_prompt_list(parser *p, const char *what, void *vecp)
{
	VEC(int) *vec = vecp;
	int n = 0;
	while (!at_end(p)) {
		if (p->t.kind == LEX_COMMA) {
			next(p);
			continue;
		}
		if (p->t.kind != LEX_IDENT && p->t.kind != LEX_STRING) {
			char tmp[96];
			err_tok(p, "syntax", "expected a prompt id after '%s', found %s",
			        what, found(p, tmp, sizeof tmp));
			return false;
		}
		VPUSH(*vec, intern_prompt(p, p->t.str, here(p)));
		n++;
		next(p);
	}
	if (n == 0) {
		err_tok(p, "syntax", "'%s' needs at least one prompt id", what);
		return false;
	}
	return true;
}

/* "did you mean": diag_suggest first; failing that, compare names with
 * case, '_' and '-' folded and number words as digits, so that tier_one
 * finds tier1 and Main-Menu finds main_menu. */
static void fold_name(const char *s, char *out, size_t n)
{
	static const char *const words[] = {
		"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"
	};
	size_t k = 0;
	while (*s && k + 1 < n) {
		int w;
		for (w = 0; w < 10; w++) {
			size_t wl = strlen(words[w]);
			if (strncasecmp(s, words[w], wl) == 0)
				break;
		}
		if (w < 10) {
			out[k++] = (char)('0' + w);
			s += strlen(words[w]);
			continue;
		}
		if (*s != '_' && *s != '-')
			out[k++] = (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s);
		s++;
	}
	out[k] = '\0';
}

static const char *suggest(const char *name, const char *const *cands, int n)
{
	const char *s = diag_suggest(name, cands, n);
	if (s || n == 0 || strlen(name) > 255)
		return s;
	char fn[256];
	fold_name(name, fn, sizeof fn);
	char (*folded)[64] = malloc(sizeof *folded * (size_t)n);
	const char **fp = malloc(sizeof *fp * (size_t)n);
	if (!folded || !fp)
		abort();
	for (int i = 0; i < n; i++) {
		fold_name(cands[i] ? cands[i] : "", folded[i], sizeof folded[i]);
		fp[i] = folded[i];
	}
	const char *best = NULL;
	const char *f = diag_suggest(fn, fp, n);
	for (int i = 0; f && i < n; i++)
		if (fp[i] == f)
			best = cands[i];
	if (!best) {
		/* diag_suggest skips an exact match; folded, that is the best. */
		for (int i = 0; i < n; i++)
			if (cands[i] && strcmp(fp[i], fn) == 0) {
				best = cands[i];
				break;
			}
	}
	free(folded);
	free(fp);
	return best;
}

static const char *suggest_in(const char *name, const char *const *cands)
{
	int n = 0;
	while (cands[n])
		n++;
	return suggest(name, cands, n);
}

/* "unknown statement 'frob' in menu 'x' (did you mean 'prompt'?)" */
static void unknown_word(parser *p, flow_loc loc, const char *what, const char *word,
                         const char *where, const char *const *cands)
{
	const char *s = suggest_in(word, cands);
	if (s)
		err_loc(p, loc, "unknown-keyword", "unknown %s '%s'%s (did you mean '%s'?)",
		        what, word, where, s);
	else
		err_loc(p, loc, "unknown-keyword", "unknown %s '%s'%s", what, word, where);
}

/* Once-only statements inside a block: a bit per keyword of a table. */
typedef struct seen_set {
	const char *words[40];
	flow_loc locs[40];
	int n;
} seen_set;

static bool once(parser *p, seen_set *s, const char *word, flow_loc loc)
{
	for (int i = 0; i < s->n; i++) {
		if (strcmp(s->words[i], word) == 0) {
			err_loc(p, loc, "duplicate-statement", "'%s' given twice (first at line %d)",
			        word, s->locs[i].line);
			return false;
		}
	}
	if (s->n < 40) {
		s->words[s->n] = word;
		s->locs[s->n] = loc;
		s->n++;
	}
	return true;
}

/* ---- blocks -------------------------------------------------------------- */
/* Parse `{ stmt* }` (the '{' is current), calling stmt for each statement
 * that starts with an identifier; stmt must consume the statement. */
typedef void (*stmt_fn)(parser *p, void *ctx, const char *kw, flow_loc loc);

static void parse_block(parser *p, const char *what, stmt_fn stmt, void *ctx)
{
	if (!expect_lbrace(p, what)) {
		sync(p);
		return;
	}
	for (;;) {
		if (p->stop)
			return;
		switch (p->t.kind) {
		case LEX_EOS:
			next(p);
			continue;
		case LEX_RBRACE:
			next(p);
			return;
		case LEX_EOF:
			return;   /* the lexer reported the unclosed brace */
		case LEX_ERROR:
			sync(p);
			continue;
		case LEX_IDENT: {
			if (starts_definition(p)) {
				close_missing_brace(p);
				return;
			}
			const char *kw = p->t.str;
			flow_loc loc = here(p);
			next(p);
			stmt(p, ctx, kw, loc);
			continue;
		}
		default: {
			char tmp[96];
			err_tok(p, "syntax", "expected a statement in %s, found %s",
			        what, found(p, tmp, sizeof tmp));
			sync(p);
			continue;
		}
		}
	}
}

/* ---- flow header --------------------------------------------------------- */
static const char *const header_words[] = { "timezone", "languages", "prompts", NULL };

static void header_stmt(parser *p, void *ctx, const char *kw, flow_loc loc)
{
	seen_set *seen = ctx;
	flow *f = p->f;
	if (strcmp(kw, "timezone") == 0) {
		once(p, seen, kw, loc);
		if (!get_string(p, kw, &f->timezone))
			goto bad;
	} else if (strcmp(kw, "languages") == 0) {
		once(p, seen, kw, loc);
		f->nlangs = 0;
		while (!at_end(p)) {
			if (p->t.kind == LEX_COMMA) {
				next(p);
				continue;
			}
			flow_loc l = here(p);
			const char *code = expect_ident(p, "a language code (e.g. en)");
			if (!code)
				goto bad;
			bool dup = false;
			for (int i = 0; i < f->nlangs; i++)
				dup |= strcmp(f->langs[i], code) == 0;
			if (dup) {
				err_loc(p, l, "duplicate-name", "language '%s' listed twice", code);
			} else if (f->nlangs == FLOW_MAX_LANGS) {
				err_loc(p, l, "too-many-languages", "more than %d languages", FLOW_MAX_LANGS);
			} else {
				f->langs[f->nlangs++] = code;
			}
		}
		if (f->nlangs == 0) {
			err_loc(p, loc, "syntax", "'languages' needs at least one language code");
			f->langs[0] = "en";
			f->nlangs = 1;
		}
	} else if (strcmp(kw, "prompts") == 0) {
		once(p, seen, kw, loc);
		if (!get_string(p, kw, &p->prompts_rel))
			goto bad;
	} else {
		unknown_word(p, loc, "statement", kw, " in the flow header", header_words);
		goto bad;
	}
	end_stmt(p, kw);
	return;
bad:
	sync(p);
}

static void parse_flow_header(parser *p, flow_loc loc)
{
	const char *name = expect_ident(p, "a flow name after 'flow'");
	if (!name) {
		sync(p);
		return;
	}
	if (p->have_header) {
		err_loc(p, loc, "duplicate-header",
		        "a second 'flow' header (the first is at %s:%d:%d); a flow has exactly one",
		        p->header_loc.file, p->header_loc.line, p->header_loc.col);
		seen_set tmp = { .n = 0 };
		/* Parse it anyway, for its syntax errors, into a scratch flow. */
		flow scratch;
		memset(&scratch, 0, sizeof scratch);
		flow *real = p->f;
		p->f = &scratch;
		parse_block(p, "the flow header", header_stmt, &tmp);
		p->f = real;
		return;
	}
	if (p->files.n > 0 && p->file != p->files.v[0]) {
		err_loc(p, loc, "header-in-include",
		        "the 'flow' header belongs in the main file, not in an included one");
		/* Take it anyway so that the rest checks as if it were in place. */
	}
	p->have_header = true;
	p->header_loc = loc;
	p->header_dir = p->dir;
	p->f->name = name;
	seen_set seen = { .n = 0 };
	parse_block(p, "the flow header", header_stmt, &seen);
}

/* ---- lines --------------------------------------------------------------- */
typedef struct line_ctx {
	flow_line *ln;
	seen_set seen;
	bool have_start;
} line_ctx;

static const char *const line_words[] = { "start", "hours", "closed", "channel", NULL };

static void line_stmt(parser *p, void *vctx, const char *kw, flow_loc loc)
{
	line_ctx *c = vctx;
	if (strcmp(kw, "start") == 0) {
		once(p, &c->seen, kw, loc);
		bool arrow = p->t.kind == LEX_ARROW;
		if (arrow)
			next(p);
		flow_loc tl = here(p);
		if (!get_target(p, kw, false, &c->ln->start))
			goto bad;
		if (c->ln->start < 0) {
			err_loc(p, tl, "bad-start", "a line must start at a node, not '%s'",
			        flow_target_name(NULL, c->ln->start));
			c->ln->start = FLOW_T_NONE;
		}
		c->have_start = true;
	} else if (strcmp(kw, "hours") == 0) {
		once(p, &c->seen, kw, loc);
		flow_loc hl = here(p);
		const char *h = expect_ident(p, "an hours name after 'hours'");
		if (!h)
			goto bad;
		c->ln->hours = add_ref(p, h, hl);
	} else if (strcmp(kw, "closed") == 0) {
		once(p, &c->seen, kw, loc);
		if (!get_target(p, kw, true, &c->ln->closed))
			goto bad;
	} else if (strcmp(kw, "channel") == 0) {
		once(p, &c->seen, kw, loc);
		const char *ch = expect_ident(p, "a channel name (e.g. tty) after 'channel'");
		if (!ch)
			goto bad;
		c->ln->channel = ch;
	} else {
		unknown_word(p, loc, "statement", kw, " in a line", line_words);
		goto bad;
	}
	end_stmt(p, kw);
	return;
bad:
	sync(p);
}

static void parse_line(parser *p, flow_loc loc)
{
	flow_loc nl = here(p);
	const char *name = expect_ident(p, "a line name after 'line'");
	if (!name) {
		sync(p);
		return;
	}
	flow_line *ln = arena_alloc(p->mem, sizeof *ln);
	ln->name = name;
	ln->loc = loc;
	ln->channel = "voice";
	ln->start = FLOW_T_NONE;
	ln->hours = -1;
	ln->closed = FLOW_T_HANGUP;
	if (p->t.kind == LEX_ERROR) {
		sync(p);   /* e.g. an unterminated number string, already reported */
		return;
	}
	if (p->t.kind == LEX_STRING) {
		ln->number = p->t.str;
		next(p);
	} else if (p->t.kind == LEX_NUMBER || p->t.kind == LEX_DASH) {
		err_tok(p, "syntax", "write the number of line '%s' as a string: line %s \"1-800-...\"",
		        name, name);
		while (p->t.kind != LEX_LBRACE && !at_end(p))
			next(p);
	} else {
		err_loc(p, nl, "line-number", "line '%s' needs a number: line %s \"1-800-...\" { ... }",
		        name, name);
	}
	line_ctx c = { .ln = ln };
	parse_block(p, "the line", line_stmt, &c);
	int prev = strmap_put(&p->ix->lines, p->mem, name, p->lines.n);
	if (prev >= 0) {
		const flow_line *o = p->lines.v[prev];
		err_loc(p, nl, "duplicate-name", "duplicate line '%s' (first defined at %s:%d:%d)",
		        name, o->loc.file, o->loc.line, o->loc.col);
		return;
	}
	if (!c.have_start)
		err_loc(p, loc, "line-start", "line '%s' has no 'start' node", name);
	VPUSH(p->lines, ln);
}

/* ---- hours --------------------------------------------------------------- */
typedef struct hours_ctx {
	flow_hours *h;
	VEC(flow_hours_range) ranges;
	VEC(int32_t) closed;
} hours_ctx;

static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL };

static int day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && memcmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

static bool bad_day(parser *p, flow_loc loc, const char *s, size_t n)
{
	char w[64];
	snprintf(w, sizeof w, "%.*s", (int)(n < 60 ? n : 60), s);
	const char *sug = suggest_in(w, day_names);

	if (sug)
		err_loc(p, loc, "bad-day", "unknown day '%s' (did you mean '%s'?)", w, sug);
	else
		err_loc(p, loc, "bad-day", "unknown day '%s' (days: mon tue wed thu fri sat sun, "
		        "ranges mon-fri, lists mon,wed)", w);
	return false;
}

/* "mon", "mon-fri", "daily" -> day bits. */
static bool parse_days_word(parser *p, flow_loc loc, const char *w, uint8_t *bits)
{
	if (strcmp(w, "daily") == 0) {
		*bits |= 0x7F;
		return true;
	}
	const char *dash = strchr(w, '-');
	if (!dash) {
		int d = day_index(w, strlen(w));
		if (d < 0)
			return bad_day(p, loc, w, strlen(w));
		*bits |= (uint8_t)(1u << d);
		return true;
	}
	int a = day_index(w, (size_t)(dash - w));
	int b = day_index(dash + 1, strlen(dash + 1));
	if (a < 0)
		return bad_day(p, loc, w, (size_t)(dash - w));
	if (b < 0)
		return bad_day(p, loc, dash + 1, strlen(dash + 1));
	/* mon-fri; fri-mon wraps over the weekend. */
	for (int d = a;; d = (d + 1) % 7) {
		*bits |= (uint8_t)(1u << d);
		if (d == b)
			break;
	}
	return true;
}

static void hours_stmt(parser *p, void *vctx, const char *kw, flow_loc loc)
{
	hours_ctx *c = vctx;
	if (strcmp(kw, "closed") == 0) {
		int n = 0;
		while (!at_end(p)) {
			if (p->t.kind == LEX_COMMA) {
				next(p);
				continue;
			}
			if (p->t.kind != LEX_DATE) {
				char tmp[96];
				err_tok(p, "syntax", "expected a date (YYYY-MM-DD) after 'closed', found %s",
				        found(p, tmp, sizeof tmp));
				goto bad;
			}
			VPUSH(c->closed, (int32_t)p->t.ival);
			n++;
			next(p);
		}
		if (n == 0) {
			err_loc(p, loc, "syntax", "'closed' needs a date (YYYY-MM-DD)");
			goto bad;
		}
		end_stmt(p, kw);
		return;
	}
	/* DAYS[,DAYS...] HH:MM-HH:MM[, HH:MM-HH:MM...] */
	uint8_t days = 0;
	if (!parse_days_word(p, loc, kw, &days))
		goto bad;
	while (p->t.kind == LEX_COMMA) {
		next(p);
		flow_loc l = here(p);
		const char *w = expect_ident(p, "a day after ','");
		if (!w || !parse_days_word(p, l, w, &days))
			goto bad;
	}
	int nr = 0;
	while (!at_end(p)) {
		if (nr > 0) {
			if (p->t.kind != LEX_COMMA) {
				char tmp[96];
				err_tok(p, "syntax", "expected ',' between time ranges, found %s",
				        found(p, tmp, sizeof tmp));
				goto bad;
			}
			next(p);
		}
		flow_loc rl = here(p);
		if (p->t.kind != LEX_CLOCK) {
			char tmp[96];
			err_tok(p, "syntax", "expected a time range like 08:00-17:00, found %s",
			        found(p, tmp, sizeof tmp));
			goto bad;
		}
		int start = (int)p->t.ival;
		next(p);
		if (p->t.kind != LEX_DASH) {
			char tmp[96];
			err_tok(p, "syntax", "expected '-' and a closing time (08:00-17:00), found %s",
			        found(p, tmp, sizeof tmp));
			goto bad;
		}
		next(p);
		if (p->t.kind != LEX_CLOCK) {
			char tmp[96];
			err_tok(p, "syntax", "expected a closing time (HH:MM), found %s",
			        found(p, tmp, sizeof tmp));
			goto bad;
		}
		int end = (int)p->t.ival;
		next(p);
		if (start == end) {
			err_loc(p, rl, "empty-range", "time range %02d:%02d-%02d:%02d is empty",
			        start / 60, start % 60, end / 60, end % 60);
		} else if (start < end) {
			flow_hours_range r = { days, (uint16_t)start, (uint16_t)end };
			VPUSH(c->ranges, r);
		} else {
			/* Past midnight: 22:00-02:00 is 22:00-24:00 and, the next
			 * day, 00:00-02:00. */
			flow_hours_range r1 = { days, (uint16_t)start, 1440 };
			uint8_t nextdays = (uint8_t)(((days << 1) | (days >> 6)) & 0x7F);
			flow_hours_range r2 = { nextdays, 0, (uint16_t)end };
			VPUSH(c->ranges, r1);
			if (end > 0)
				VPUSH(c->ranges, r2);
		}
		nr++;
	}
	if (nr == 0) {
		err_loc(p, loc, "syntax", "'%s' needs a time range like 08:00-17:00", kw);
		goto bad;
	}
	end_stmt(p, kw);
	return;
bad:
	sync(p);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

/* m->first_key (flow.h): what call.c's scan of the options would decide
 * for a first key, option by option the same: with every option one key
 * (max_keys 1) the first that matches is taken, otherwise the last exact
 * one when no longer option starts with the key. */
static void menu_first_key(parser *p, flow_menu *m)
{
	if (m->noptions > INT16_MAX)
		return;
	int16_t *t = arena_alloc(p->mem, FLOW_KEY_SPAN * sizeof *t);
	if (!t)
		return;
	for (int k = 0; k < FLOW_KEY_SPAN; k++) {
		char key = (char)(FLOW_KEY_FIRST + k);
		int first = -1, last = -1;
		bool longer = false;
		for (int i = 0; i < m->noptions; i++) {
			const flow_option *o = &m->options[i];
			if (o->nkeys < 1 || o->keys[0] != key)
				continue;
			if (o->nkeys > 1) {
				longer = true;
			} else {
				if (first < 0)
					first = i;
				last = i;
			}
		}
		int exact = m->max_keys == 1 ? first : last;
		t[k] = (int16_t)(longer ? FLOW_KEY_MORE : exact >= 0 ? exact : FLOW_KEY_NOMATCH);
	}
	m->first_key = t;
}

/* h->closed (sorted) as a bit per day for flow_hours_open (flow.h).  A
 * YYYYMMDD that is no real date (2026-02-30) matches no day and is left
 * out, as it never equals a day's date; so are days the bits cannot hold.
 * Nothing kept (NULL) when no date fits or they span too many days. */
static void hours_closed_bits(parser *p, flow_hours *h)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t *bits = NULL;
		if (pass == 1) {
			if (lo > hi || hi - lo >= FLOW_HOURS_BITS_SPAN)
				return;
			bits = arena_alloc(p->mem, (size_t)((hi - lo) / 64 + 1) * sizeof *bits);
			if (!bits)
				return;
		}
		for (int i = 0; i < h->nclosed; i++) {
			int32_t ymd = h->closed[i];
			int64_t d = util_days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
			if (ymd <= 0 || d < 0 || d >= FLOW_HOURS_BITS_DAYS ||
			    util_yyyymmdd(d * UTIL_MS_PER_DAY) != ymd)
				continue;
			if (pass == 0) {
				lo = d < lo ? d : lo;
				hi = d > hi ? d : hi;
			} else {
				bits[(d - lo) >> 6] |= (uint64_t)1 << ((d - lo) & 63);
			}
		}
		if (pass == 1) {
			h->closed_bits = bits;
			h->closed_day0 = (int32_t)lo;
			h->closed_ndays = (int32_t)(hi - lo + 1);
		}
	}
}

static void parse_hours(parser *p, flow_loc loc)
{
	flow_loc nl = here(p);
	const char *name = expect_ident(p, "an hours name after 'hours'");
	if (!name) {
		sync(p);
		return;
	}
	hours_ctx c;
	memset(&c, 0, sizeof c);
	parse_block(p, "the hours", hours_stmt, &c);
	flow_hours *h = arena_alloc(p->mem, sizeof *h);
	h->name = name;
	h->loc = loc;
	h->ranges = arena_memdup(p->mem, c.ranges.v, c.ranges.n, sizeof *c.ranges.v);
	h->nranges = c.ranges.n;
	if (c.closed.n)
		qsort(c.closed.v, (size_t)c.closed.n, sizeof *c.closed.v, cmp_i32);
	h->closed = arena_memdup(p->mem, c.closed.v, c.closed.n, sizeof *c.closed.v);
	h->nclosed = c.closed.n;
	hours_closed_bits(p, h);
	VFREE(c.ranges);
	VFREE(c.closed);
	int prev = strmap_put(&p->ix->hours, p->mem, name, p->hours.n);
	if (prev >= 0) {
		const flow_hours *o = p->hours.v[prev];
		err_loc(p, nl, "duplicate-name", "duplicate hours '%s' (first defined at %s:%d:%d)",
		        name, o->loc.file, o->loc.line, o->loc.col);
		return;
	}
	VPUSH(p->hours, h);
}

/* ---- offices ------------------------------------------------------------- */
typedef struct office_ctx {
	flow_office *o;
	VEC(const char *) receipts;
	seen_set seen;
} office_ctx;

static const char *const office_words[] = { "receipt", "refer", NULL };

static void office_stmt(parser *p, void *vctx, const char *kw, flow_loc loc)
{
	office_ctx *c = vctx;
	if (strcmp(kw, "receipt") == 0) {
		int n = 0;
		while (!at_end(p)) {
			if (p->t.kind == LEX_COMMA) {
				next(p);
				continue;
			}
			const char *s;
			if (!get_string(p, kw, &s))
				goto bad;
			VPUSH(c->receipts, s);
			n++;
		}
		if (n == 0) {
			err_loc(p, loc, "syntax", "'receipt' needs a prefix string, e.g. receipt \"322\"");
			goto bad;
		}
	} else if (strcmp(kw, "refer") == 0) {
		once(p, &c->seen, kw, loc);
		if (!get_string(p, kw, &c->o->refer))
			goto bad;
	} else {
		unknown_word(p, loc, "statement", kw, " in an office", office_words);
		goto bad;
	}
	end_stmt(p, kw);
	return;
bad:
	sync(p);
}

static const char *const offices_words[] = { "office", "default", NULL };

static void offices_stmt(parser *p, void *vctx, const char *kw, flow_loc loc)
{
	(void)vctx;
	if (strcmp(kw, "default") == 0) {
		flow_loc l = here(p);
		const char *name = expect_ident(p, "an office name after 'default'");
		if (!name)
			goto bad;
		if (p->have_default) {
			err_loc(p, loc, "duplicate-statement",
			        "a second 'default' office (the first is at %s:%d:%d)",
			        p->default_loc.file, p->default_loc.line, p->default_loc.col);
		} else {
			p->have_default = true;
			p->default_loc = loc;
			p->default_office = add_ref(p, name, l);
		}
		end_stmt(p, kw);
		return;
	}
	if (strcmp(kw, "office") != 0) {
		unknown_word(p, loc, "statement", kw, " in offices (office NAME \"Title\" { ... } or default NAME)", offices_words);
		goto bad;
	}
	flow_loc nl = here(p);
	const char *name = expect_ident(p, "an office name after 'office'");
	if (!name)
		goto bad;
	flow_office *o = arena_alloc(p->mem, sizeof *o);
	o->name = name;
	o->loc = loc;
	if (p->t.kind == LEX_STRING) {
		o->title = p->t.str;
		next(p);
	} else {
		o->title = name;
	}
	if (p->t.kind == LEX_LBRACE) {
		office_ctx c;
		memset(&c, 0, sizeof c);
		c.o = o;
		parse_block(p, "the office", office_stmt, &c);
		o->receipts = arena_memdup(p->mem, c.receipts.v, c.receipts.n, sizeof *c.receipts.v);
		o->nreceipts = c.receipts.n;
		VFREE(c.receipts);
	}
	int prev = strmap_put(&p->ix->offices, p->mem, name, p->offices.n);
	if (prev >= 0) {
		const flow_office *q = p->offices.v[prev];
		err_loc(p, nl, "duplicate-name", "duplicate office '%s' (first defined at %s:%d:%d)",
		        name, q->loc.file, q->loc.line, q->loc.col);
	} else {
		VPUSH(p->offices, o);
	}
	end_stmt(p, "office");
	return;
bad:
	sync(p);
}

/* ---- nodes --------------------------------------------------------------- */
typedef struct node_ctx {
	flow_node *n;
	flow_listen *l;             /* menus and inputs */
	seen_set seen;
	VEC(int) prompts, reprompts;
	VEC(flow_option) options;
	VEC(flow_miss_prompt) noinput, nomatch;
	VEC(flow_cond) conds;
	VEC(flow_assign) assigns;
	bool have_prompt, have_else, have_digits;
	flow_loc digits_loc;
} node_ctx;

static const char *const menu_words[] = {
	"prompt", "reprompt", "timeout", "interdigit", "tries", "bargein", "option",
	"noinput", "nomatch", "failure", NULL
};
static const char *const input_words[] = {
	"prompt", "reprompt", "timeout", "interdigit", "tries", "bargein", "digits",
	"terminator", "store", "next", "noinput", "nomatch", "failure", NULL
};
static const char *const play_words[] = { "prompt", "next", NULL };
static const char *const set_words[] = { "lang", "var", "next", NULL };
static const char *const route_words[] = { "when", "else", NULL };
static const char *const queue_words[] = {
	"tier", "strategy", "skill", "hours", "closed", "max_wait", "announce",
	"escalate", "supervisor", "request", NULL
};
static const char *const request_words[] = { "type", "office", "due", "next", NULL };
static const char *const strategy_names[] = {
	"longest-idle", "round-robin", "fewest-calls", "least-talk-time", "random", "top-down", NULL
};

/* Statements menus and inputs share.  Returns false when kw is not one. */
static bool listen_stmt(parser *p, node_ctx *c, const char *kw, flow_loc loc, bool *ok)
{
	flow_listen *l = c->l;
	*ok = false;
	if (strcmp(kw, "prompt") == 0) {
		c->have_prompt = true;
		*ok = get_prompt_list(p, kw, &c->prompts);
	} else if (strcmp(kw, "reprompt") == 0) {
		*ok = get_prompt_list(p, kw, &c->reprompts);
	} else if (strcmp(kw, "timeout") == 0 || strcmp(kw, "interdigit") == 0) {
		once(p, &c->seen, kw, loc);
		int64_t ms;
		if (get_duration(p, kw, &ms)) {
			if (ms <= 0 || ms > 3600000) {
				err_loc(p, loc, "bad-duration", "'%s' must be more than 0 and at most 1h", kw);
			} else if (kw[0] == 't') {
				l->timeout_ms = (uint32_t)ms;
			} else {
				l->interdigit_ms = (uint32_t)ms;
			}
			*ok = true;
		}
	} else if (strcmp(kw, "tries") == 0) {
		once(p, &c->seen, kw, loc);
		*ok = get_int(p, kw, 1, 100, &l->tries);
	} else if (strcmp(kw, "bargein") == 0) {
		once(p, &c->seen, kw, loc);
		if (is_word(p, "on") || is_word(p, "off")) {
			l->bargein = is_word(p, "on");
			next(p);
			*ok = true;
		} else {
			char tmp[96];
			err_tok(p, "syntax", "expected 'on' or 'off' after 'bargein', found %s",
			        found(p, tmp, sizeof tmp));
		}
	} else if (strcmp(kw, "noinput") == 0 || strcmp(kw, "nomatch") == 0) {
		bool ni = kw[2] == 'i';
		if (is_word(p, "tries")) {
			once(p, &c->seen, ni ? "noinput tries" : "nomatch tries", loc);
			next(p);
			*ok = get_int(p, ni ? "noinput tries" : "nomatch tries", 1, 100,
			              ni ? &l->noinput_tries : &l->nomatch_tries);
			return true;
		}
		int count = 1;
		if (p->t.kind == LEX_NUMBER && !get_int(p, kw, 1, 100, &count))
			return true;
		if (!expect_arrow(p, kw))
			return true;
		if (!is_word(p, "prompt")) {
			char tmp[96];
			err_tok(p, "syntax",
			        "expected 'prompt ID' after '%s ->', found %s (to route misses use "
			        "'failure %s -> NODE')", kw, found(p, tmp, sizeof tmp), kw);
			return true;
		}
		next(p);
		flow_loc pl = here(p);
		if (p->t.kind != LEX_IDENT && p->t.kind != LEX_STRING) {
			char tmp[96];
			err_tok(p, "syntax", "expected a prompt id, found %s", found(p, tmp, sizeof tmp));
			return true;
		}
		flow_miss_prompt mp = { count, intern_prompt(p, p->t.str, pl) };
		next(p);
		if (ni)
			VPUSH(c->noinput, mp);
		else
			VPUSH(c->nomatch, mp);
		*ok = true;
	} else if (strcmp(kw, "failure") == 0) {
		int *slot = &l->failure;
		const char *what = "failure";
		if (is_word(p, "noinput")) {
			slot = &l->failure_noinput;
			what = "failure noinput";
			next(p);
		} else if (is_word(p, "nomatch")) {
			slot = &l->failure_nomatch;
			what = "failure nomatch";
			next(p);
		}
		once(p, &c->seen, what, loc);
		flow_loc tl = p->t.kind == LEX_ARROW ? here(p) : loc;
		if (get_target(p, what, true, slot)) {
			*ok = true;
			if (*slot == FLOW_T_REPEAT) {
				tl.col += 3;
				err_loc(p, tl, "failure-repeat",
				        "'%s -> repeat' makes a %s that can never give up; send the "
				        "caller somewhere (e.g. a queue or hangup)", what,
				        flow_kind_name(c->n->kind));
			}
		}
	} else {
		return false;
	}
	return true;
}

static void option_stmt(parser *p, node_ctx *c, flow_loc loc)
{
	flow_option o;
	memset(&o, 0, sizeof o);
	o.loc = here(p);
	if (p->t.kind != LEX_KEYS) {
		char tmp[96];
		err_tok(p, "syntax", "expected option keys (e.g. 1, 12, *, #), found %s",
		        found(p, tmp, sizeof tmp));
		sync(p);
		return;
	}
	const char *k = p->t.str;
	size_t n = strlen(k);
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		if (!flow_is_dtmf(k[i])) {
			unsigned char ch = (unsigned char)k[i];
			if (ch >= 0x80 || ch < 0x20)
				err_loc(p, o.loc, "bad-key", "option '%s' has a key that is not a DTMF "
				        "key (keys: 0-9 * # A B C D)", k);
			else
				err_loc(p, o.loc, "bad-key", "option key '%c' in '%s' is not a DTMF key "
				        "(keys: 0-9 * # A B C D)", ch, k);
			ok = false;
			break;
		}
	}
	if (ok && n > FLOW_MAX_KEYS) {
		err_loc(p, o.loc, "bad-key", "option '%.40s...' is longer than %d keys", k, FLOW_MAX_KEYS);
		ok = false;
	}
	next(p);
	int target;
	if (!get_target(p, "option", true, &target)) {
		sync(p);
		return;
	}
	if (ok) {
		memcpy(o.keys, k, n + 1);
		o.nkeys = (uint8_t)n;
		o.target = target;
		VPUSH(c->options, o);
	}
	(void)loc;
	end_stmt(p, "option");
}

static void node_stmt(parser *p, void *vctx, const char *kw, flow_loc loc)
{
	node_ctx *c = vctx;
	flow_node *n = c->n;
	bool ok = false;
	const char *const *words = NULL;
	switch (n->kind) {
	case FLOW_MENU:
		words = menu_words;
		if (strcmp(kw, "option") == 0) {
			option_stmt(p, c, loc);
			return;
		}
		if (listen_stmt(p, c, kw, loc, &ok))
			break;
		goto unknown;
	case FLOW_INPUT: {
		words = input_words;
		flow_input *in = &n->u.input;
		if (listen_stmt(p, c, kw, loc, &ok))
			break;
		if (strcmp(kw, "digits") == 0) {
			once(p, &c->seen, kw, loc);
			c->have_digits = true;
			c->digits_loc = loc;
			int lo, hi;
			if (!get_int(p, kw, 1, 255, &lo))
				break;
			hi = lo;
			if (p->t.kind == LEX_DOTDOT) {
				next(p);
				if (!get_int(p, "digits ..", 1, 255, &hi))
					break;
			}
			in->min_digits = lo;
			in->max_digits = hi;
			ok = true;
		} else if (strcmp(kw, "terminator") == 0) {
			once(p, &c->seen, kw, loc);
			if (p->t.kind == LEX_KEYS && strcmp(p->t.str, "none") == 0) {
				in->terminator = 0;
				next(p);
				ok = true;
			} else if (p->t.kind == LEX_KEYS && strlen(p->t.str) == 1 &&
			           flow_is_dtmf(p->t.str[0])) {
				in->terminator = p->t.str[0];
				next(p);
				ok = true;
			} else if (p->t.kind == LEX_KEYS) {
				err_tok(p, "bad-key", "terminator '%s' is not one DTMF key (0-9 * # A B C D, "
				        "or 'none')", p->t.str);
			} else {
				char tmp[96];
				err_tok(p, "syntax", "expected a terminator key after 'terminator', found %s",
				        found(p, tmp, sizeof tmp));
			}
		} else if (strcmp(kw, "store") == 0) {
			once(p, &c->seen, kw, loc);
			const char *v = expect_ident(p, "a variable name after 'store'");
			if (v) {
				in->store = intern_var(p, v);
				ok = true;
			}
		} else if (strcmp(kw, "next") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &in->next);
		} else {
			goto unknown;
		}
		break;
	}
	case FLOW_PLAY:
		words = play_words;
		if (strcmp(kw, "prompt") == 0) {
			c->have_prompt = true;
			ok = get_prompt_list(p, kw, &c->prompts);
		} else if (strcmp(kw, "next") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &n->u.play.next);
		} else {
			goto unknown;
		}
		break;
	case FLOW_SET:
		words = set_words;
		if (strcmp(kw, "lang") == 0) {
			once(p, &c->seen, kw, loc);
			flow_loc l = here(p);
			const char *code = expect_ident(p, "a language code after 'lang'");
			if (code) {
				n->u.set.lang = add_ref(p, code, l);
				ok = true;
			}
		} else if (strcmp(kw, "var") == 0) {
			const char *v = expect_ident(p, "a variable name after 'var'");
			if (!v)
				break;
			flow_assign a = { intern_var(p, v), NULL };
			if (p->t.kind == LEX_STRING) {
				a.value = p->t.str;
			} else if (p->t.kind == LEX_NUMBER || p->t.kind == LEX_IDENT) {
				a.value = arena_strndup(p->mem, p->t.text, p->t.len);
			} else {
				char tmp[96];
				err_tok(p, "syntax", "expected a value (\"...\") for variable '%s', found %s",
				        v, found(p, tmp, sizeof tmp));
				break;
			}
			next(p);
			VPUSH(c->assigns, a);
			ok = true;
		} else if (strcmp(kw, "next") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &n->u.set.next);
		} else {
			goto unknown;
		}
		break;
	case FLOW_ROUTE:
		words = route_words;
		if (strcmp(kw, "else") == 0) {
			once(p, &c->seen, kw, loc);
			c->have_else = true;
			ok = get_target(p, kw, true, &n->u.route.otherwise);
		} else if (strcmp(kw, "when") == 0) {
			flow_cond cd;
			memset(&cd, 0, sizeof cd);
			cd.loc = loc;
			if (is_word(p, "not")) {
				cd.negate = true;
				next(p);
			}
			flow_loc al = here(p);
			const char *what = expect_ident(p, "'open', 'closed', 'lang', 'var' or 'line' after 'when'");
			if (!what)
				break;
			flow_loc nl = here(p);
			if (strcmp(what, "open") == 0 || strcmp(what, "closed") == 0) {
				cd.kind = FLOW_COND_OPEN;
				if (what[0] == 'c')
					cd.negate = !cd.negate;
				const char *h = expect_ident(p, "an hours name");
				if (!h)
					break;
				cd.arg = add_ref(p, h, nl);
			} else if (strcmp(what, "lang") == 0) {
				cd.kind = FLOW_COND_LANG;
				const char *h = expect_ident(p, "a language code");
				if (!h)
					break;
				cd.arg = add_ref(p, h, nl);
			} else if (strcmp(what, "line") == 0) {
				cd.kind = FLOW_COND_LINE;
				const char *h = expect_ident(p, "a line name");
				if (!h)
					break;
				cd.arg = add_ref(p, h, nl);
			} else if (strcmp(what, "var") == 0) {
				cd.kind = FLOW_COND_VAR;
				const char *v = expect_ident(p, "a variable name");
				if (!v)
					break;
				cd.arg = intern_var(p, v);
				if (is_word(p, "prefix") || is_word(p, "is")) {
					cd.equals = is_word(p, "is");
					next(p);
				} else {
					char tmp[96];
					err_tok(p, "syntax", "expected 'prefix \"...\"' or 'is \"...\"' after "
					        "'when var %s', found %s", v, found(p, tmp, sizeof tmp));
					break;
				}
				if (!get_string(p, cd.equals ? "is" : "prefix", &cd.str))
					break;
			} else {
				static const char *const conds[] = { "open", "closed", "lang", "var", "line", NULL };
				unknown_word(p, al, "condition", what, " (open, closed, lang, var, line)", conds);
				break;
			}
			if (!get_target(p, "when", true, &cd.target))
				break;
			VPUSH(c->conds, cd);
			ok = true;
		} else {
			goto unknown;
		}
		break;
	case FLOW_QUEUE: {
		words = queue_words;
		flow_queue *q = &n->u.queue;
		if (strcmp(kw, "tier") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_int(p, kw, 1, 3, &q->tier);
		} else if (strcmp(kw, "strategy") == 0) {
			once(p, &c->seen, kw, loc);
			flow_loc sl = here(p);
			const char *s = expect_ident(p, "a strategy after 'strategy'");
			if (!s)
				break;
			int i;
			for (i = 0; strategy_names[i]; i++)
				if (strcmp(strategy_names[i], s) == 0)
					break;
			if (!strategy_names[i]) {
				unknown_word(p, sl, "strategy", s, "", strategy_names);
				break;
			}
			q->strategy = (flow_strategy)i;
			ok = true;
		} else if (strcmp(kw, "skill") == 0) {
			once(p, &c->seen, kw, loc);
			if (is_word(p, "lang")) {
				q->skill_lang = true;
				next(p);
				ok = true;
			} else {
				char tmp[96];
				err_tok(p, "syntax", "expected 'lang' after 'skill' (the only skill), found %s",
				        found(p, tmp, sizeof tmp));
			}
		} else if (strcmp(kw, "hours") == 0) {
			once(p, &c->seen, kw, loc);
			flow_loc hl = here(p);
			const char *h = expect_ident(p, "an hours name after 'hours'");
			if (h) {
				q->hours = add_ref(p, h, hl);
				ok = true;
			}
		} else if (strcmp(kw, "closed") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &q->closed);
		} else if (strcmp(kw, "max_wait") == 0) {
			once(p, &c->seen, kw, loc);
			int64_t ms;
			if (!get_duration(p, kw, &ms))
				break;
			if (ms <= 0 || ms > 24 * 3600000LL) {
				err_loc(p, loc, "bad-duration", "'max_wait' must be more than 0 and at most 24h");
				break;
			}
			q->max_wait_ms = (uint32_t)ms;
			ok = get_target(p, "max_wait", true, &q->max_wait_target);
		} else if (strcmp(kw, "announce") == 0) {
			once(p, &c->seen, kw, loc);
			if (!is_word(p, "every")) {
				char tmp[96];
				err_tok(p, "syntax", "expected 'every DURATION' after 'announce', found %s",
				        found(p, tmp, sizeof tmp));
				break;
			}
			next(p);
			int64_t ms;
			if (!get_duration(p, "announce every", &ms))
				break;
			if (ms < 1000 || ms > 3600000) {
				err_loc(p, loc, "bad-duration", "'announce every' must be from 1s to 1h");
				break;
			}
			q->announce_ms = (uint32_t)ms;
			if (is_word(p, "prompt")) {
				next(p);
				flow_loc pl = here(p);
				const char *id = expect_ident(p, "a prompt id after 'prompt'");
				if (!id)
					break;
				q->announce_prompt = intern_prompt(p, id, pl);
			}
			ok = true;
		} else if (strcmp(kw, "escalate") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &q->escalate);
		} else if (strcmp(kw, "supervisor") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &q->supervisor);
		} else if (strcmp(kw, "request") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &q->request);
		} else {
			goto unknown;
		}
		break;
	}
	case FLOW_REQUEST: {
		words = request_words;
		flow_request *r = &n->u.request;
		if (strcmp(kw, "type") == 0) {
			once(p, &c->seen, kw, loc);
			if (p->t.kind == LEX_STRING || p->t.kind == LEX_IDENT) {
				r->type = p->t.str;
				next(p);
				ok = true;
			} else {
				ok = get_string(p, kw, &r->type);
			}
		} else if (strcmp(kw, "office") == 0) {
			once(p, &c->seen, kw, loc);
			flow_loc ol = here(p);
			const char *w = expect_ident(p, "'by VARIABLE' or an office name after 'office'");
			if (!w)
				break;
			if (strcmp(w, "by") == 0 && p->t.kind == LEX_IDENT) {
				r->mode = FLOW_OFFICE_BY_VAR;
				r->arg = intern_var(p, p->t.str);
				next(p);
			} else {
				r->mode = FLOW_OFFICE_FIXED;
				r->arg = add_ref(p, w, ol);
			}
			ok = true;
		} else if (strcmp(kw, "due") == 0) {
			once(p, &c->seen, kw, loc);
			int64_t ms;
			if (get_duration(p, kw, &ms)) {
				r->due_ms = (uint64_t)ms;
				ok = true;
			}
		} else if (strcmp(kw, "next") == 0) {
			once(p, &c->seen, kw, loc);
			ok = get_target(p, kw, true, &r->next);
		} else {
			goto unknown;
		}
		break;
	}
	default:
		goto unknown;
	}
	if (ok)
		end_stmt(p, kw);
	else
		sync(p);
	return;
unknown: {
		char where[96];
		snprintf(where, sizeof where, " in %s '%.40s'", flow_kind_name(n->kind), n->name);
		unknown_word(p, loc, "statement", kw, where, words ? words : menu_words);
		sync(p);
	}
}

static int cmp_miss(const void *a, const void *b)
{
	const flow_miss_prompt *x = a, *y = b;
	return x->count - y->count;
}

static int cmp_opt(const void *a, const void *b)
{
	const flow_option *x = *(flow_option *const *)a, *y = *(flow_option *const *)b;
	int c = strcmp(x->keys, y->keys);
	if (c)
		return c;
	return x->loc.line != y->loc.line ? x->loc.line - y->loc.line : x->loc.col - y->loc.col;
}

/* Duplicate keys (error) and keys that are a prefix of others (warning):
 * sort, then neighbours tell all (if a is a prefix of c, it is one of
 * every string sorted between them too). */
static void fmt_ms(uint32_t ms, char *out, size_t n)
{
	if (ms % 1000 == 0)
		snprintf(out, n, "%us", ms / 1000);
	else
		snprintf(out, n, "%ums", ms);
}

static void check_options(parser *p, node_ctx *c)
{
	int n = c->options.n;
	if (n < 2)
		return;
	flow_option **s = malloc(sizeof *s * (size_t)n);
	if (!s)
		abort();
	for (int i = 0; i < n; i++)
		s[i] = &c->options.v[i];
	qsort(s, (size_t)n, sizeof *s, cmp_opt);
	for (int i = 0; i + 1 < n; i++) {
		flow_option *a = s[i], *b = s[i + 1];
		if (strcmp(a->keys, b->keys) == 0) {
			err_loc(p, b->loc, "duplicate-option",
			        "option '%s' given twice in menu '%s' (first at line %d)",
			        b->keys, c->n->name, a->loc.line);
			continue;
		}
		if (strncmp(a->keys, b->keys, a->nkeys) == 0) {
			/* The next distinct longer option is b; a is not an exact
			 * duplicate of it. */
			char d[32];
			fmt_ms(c->l->interdigit_ms, d, sizeof d);
			warn_loc(p, a->loc, "option-prefix",
			         "option '%s' is a prefix of option '%s': every caller pressing %s "
			         "waits the interdigit time (%s) before it is taken",
			         a->keys, b->keys, a->keys, d);
		}
	}
	free(s);
}

static void finish_listen(parser *p, node_ctx *c)
{
	flow_listen *l = c->l;
	l->prompts = arena_memdup(p->mem, c->prompts.v, c->prompts.n, sizeof(int));
	l->nprompts = c->prompts.n;
	l->reprompts = arena_memdup(p->mem, c->reprompts.v, c->reprompts.n, sizeof(int));
	l->nreprompts = c->reprompts.n;
	if (c->noinput.n)
		qsort(c->noinput.v, (size_t)c->noinput.n, sizeof *c->noinput.v, cmp_miss);
	if (c->nomatch.n)
		qsort(c->nomatch.v, (size_t)c->nomatch.n, sizeof *c->nomatch.v, cmp_miss);
	for (int k = 0; k < 2; k++) {
		VEC(flow_miss_prompt) *v = k ? (void *)&c->nomatch : (void *)&c->noinput;
		for (int i = 0; i + 1 < v->n; i++)
			if (v->v[i].count == v->v[i + 1].count)
				err_loc(p, c->n->loc, "duplicate-statement",
				        "%s '%s' has two '%s %d -> prompt' lines", flow_kind_name(c->n->kind),
				        c->n->name, k ? "nomatch" : "noinput", v->v[i].count);
	}
	l->noinput = arena_memdup(p->mem, c->noinput.v, c->noinput.n, sizeof *c->noinput.v);
	l->nnoinput = c->noinput.n;
	l->nomatch = arena_memdup(p->mem, c->nomatch.v, c->nomatch.n, sizeof *c->nomatch.v);
	l->nnomatch = c->nomatch.n;
	if (!c->have_prompt)
		err_loc(p, c->n->loc, "missing-prompt", "%s '%s' has no 'prompt'",
		        flow_kind_name(c->n->kind), c->n->name);
}

static void init_listen(flow_listen *l)
{
	l->timeout_ms = 5000;
	l->interdigit_ms = 3000;
	l->tries = 3;
	l->bargein = true;
	l->failure = FLOW_T_HANGUP;
	l->failure_noinput = l->failure_nomatch = FLOW_T_NONE;
}

static void parse_node(parser *p, flow_node_kind kind, flow_loc loc)
{
	flow_loc nl = here(p);
	char what[64];
	snprintf(what, sizeof what, "a %s name after '%s'", flow_kind_name(kind), flow_kind_name(kind));
	const char *name = expect_ident(p, what);
	if (!name) {
		sync(p);
		return;
	}
	flow_node *n = arena_alloc(p->mem, sizeof *n);
	n->name = name;
	n->kind = kind;
	n->loc = loc;
	node_ctx c;
	memset(&c, 0, sizeof c);
	c.n = n;
	switch (kind) {
	case FLOW_MENU:
		c.l = &n->u.menu.l;
		init_listen(c.l);
		break;
	case FLOW_INPUT:
		c.l = &n->u.input.l;
		init_listen(c.l);
		n->u.input.min_digits = 1;
		n->u.input.max_digits = 32;
		n->u.input.terminator = '#';
		n->u.input.store = -1;
		n->u.input.next = FLOW_T_HANGUP;
		break;
	case FLOW_PLAY:
		n->u.play.next = FLOW_T_HANGUP;
		break;
	case FLOW_SET:
		n->u.set.lang = -1;
		n->u.set.next = FLOW_T_HANGUP;
		break;
	case FLOW_ROUTE:
		n->u.route.otherwise = FLOW_T_NONE;
		break;
	case FLOW_QUEUE: {
		flow_queue *q = &n->u.queue;
		q->tier = 1;
		q->hours = -1;
		q->closed = FLOW_T_HANGUP;
		q->max_wait_target = FLOW_T_NONE;
		q->announce_prompt = -1;
		q->escalate = q->supervisor = q->request = FLOW_T_NONE;
		break;
	}
	case FLOW_REQUEST:
		n->u.request.mode = FLOW_OFFICE_FIXED;
		n->u.request.arg = -1;
		n->u.request.next = FLOW_T_HANGUP;
		break;
	default:
		break;
	}
	char bw[64];
	snprintf(bw, sizeof bw, "%s '%.40s'", flow_kind_name(kind), name);
	parse_block(p, bw, node_stmt, &c);

	switch (kind) {
	case FLOW_MENU: {
		flow_menu *m = &n->u.menu;
		finish_listen(p, &c);
		check_options(p, &c);
		m->options = arena_memdup(p->mem, c.options.v, c.options.n, sizeof *c.options.v);
		m->noptions = c.options.n;
		for (int i = 0; i < m->noptions; i++)
			if (m->options[i].nkeys > m->max_keys)
				m->max_keys = m->options[i].nkeys;
		menu_first_key(p, m);
		break;
	}
	case FLOW_INPUT:
		finish_listen(p, &c);
		if (n->u.input.min_digits > n->u.input.max_digits)
			err_loc(p, c.digits_loc, "digits-range", "digits %d..%d: the minimum is more "
			        "than the maximum", n->u.input.min_digits, n->u.input.max_digits);
		break;
	case FLOW_PLAY:
		n->u.play.prompts = arena_memdup(p->mem, c.prompts.v, c.prompts.n, sizeof(int));
		n->u.play.nprompts = c.prompts.n;
		if (!c.have_prompt)
			err_loc(p, loc, "missing-prompt", "play '%s' has no 'prompt'", name);
		break;
	case FLOW_SET:
		n->u.set.assigns = arena_memdup(p->mem, c.assigns.v, c.assigns.n, sizeof *c.assigns.v);
		n->u.set.nassigns = c.assigns.n;
		break;
	case FLOW_ROUTE:
		n->u.route.conds = arena_memdup(p->mem, c.conds.v, c.conds.n, sizeof *c.conds.v);
		n->u.route.nconds = c.conds.n;
		if (!c.have_else)
			err_loc(p, loc, "route-else", "route '%s' has no 'else' (a route must always "
			        "lead somewhere)", name);
		break;
	case FLOW_REQUEST:
		if (!n->u.request.type)
			n->u.request.type = name;   /* records always carry a type */
		break;
	default:
		break;
	}
	VFREE(c.prompts);
	VFREE(c.reprompts);
	VFREE(c.options);
	VFREE(c.noinput);
	VFREE(c.nomatch);
	VFREE(c.conds);
	VFREE(c.assigns);

	if (builtin_target(name) != FLOW_T_NONE) {
		err_loc(p, nl, "reserved-name", "'%s' is a built-in target and cannot name a node",
		        name);
		return;
	}
	int prev = strmap_put(&p->ix->nodes, p->mem, name, p->nodes.n);
	if (prev >= 0) {
		const flow_node *o = p->nodes.v[prev];
		err_loc(p, nl, "duplicate-name", "duplicate node '%s' (first defined at %s:%d:%d)",
		        name, o->loc.file, o->loc.line, o->loc.col);
		return;
	}
	VPUSH(p->nodes, n);
}

/* ---- files and includes ---------------------------------------------------- */
static void parse_file(parser *p, const char *file, const char *text, size_t len);

static const char *canonical(parser *p, const char *path)
{
	char *rp = realpath(path, NULL);
	if (!rp)
		return arena_strdup(p->mem, path);
	const char *s = arena_strdup(p->mem, rp);
	free(rp);
	return s;
}

static void parse_include(parser *p, flow_loc loc)
{
	flow_loc sl = here(p);
	const char *rel;
	if (!get_string(p, "include", &rel)) {
		sync(p);
		return;
	}
	end_stmt(p, "include");
	if (rel[0] == '\0') {
		err_loc(p, sl, "syntax", "include needs a file name");
		return;
	}
	const char *path = flow_path_join(p->mem, p->dir, rel);
	if (p->incl_stack.n >= FLOW_MAX_INCLUDE_DEPTH) {
		err_loc(p, sl, "include-depth", "includes nested more than %d deep",
		        FLOW_MAX_INCLUDE_DEPTH);
		return;
	}
	char *text = NULL;
	size_t len = 0;
	if (util_read_file(path, &text, &len) != 0) {
		err_loc(p, sl, "include-missing", "cannot read included file '%s': %s",
		        rel, strerror(errno));
		return;
	}
	const char *canon = canonical(p, path);
	for (int i = 0; i < p->incl_stack.n; i++) {
		if (strcmp(p->incl_stack.v[i], canon) == 0) {
			buf chain;
			buf_init(&chain);
			for (int k = i; k < p->incl_shown.n; k++)
				buf_printf(&chain, "%s -> ", p->incl_shown.v[k]);
			buf_puts(&chain, path);
			err_loc(p, sl, "include-cycle", "include cycle: %s", chain.p);
			buf_free(&chain);
			free(text);
			return;
		}
	}
	for (int i = 0; i < p->incl_done.n; i++) {
		if (strcmp(p->incl_done.v[i], canon) == 0) {
			free(text);   /* included before: once is enough */
			return;
		}
	}
	if (len > FLOW_MAX_FILE) {
		err_loc(p, sl, "file-too-large", "included file '%s' is larger than 64 MB", rel);
		free(text);
		return;
	}
	VPUSH(p->incl_stack, canon);
	VPUSH(p->incl_shown, path);
	(void)loc;
	/* Save the including file's lexer state and parse the new file. */
	lexer *save_lx = p->lx;
	lex_token save_t = p->t;
	const char *save_file = p->file, *save_dir = p->dir;
	parse_file(p, path, text, len);
	p->lx = save_lx;
	p->t = save_t;
	p->file = save_file;
	p->dir = save_dir;
	if (p->stop)
		p->lx->dead = true;
	p->incl_stack.n--;
	p->incl_shown.n--;
	VPUSH(p->incl_done, canon);
	free(text);
}

static void top_stmt(parser *p)
{
	const char *kw = p->t.str;
	flow_loc loc = here(p);
	next(p);
	if (strcmp(kw, "flow") == 0) parse_flow_header(p, loc);
	else if (strcmp(kw, "line") == 0) parse_line(p, loc);
	else if (strcmp(kw, "hours") == 0) parse_hours(p, loc);
	else if (strcmp(kw, "offices") == 0) {
		parse_block(p, "offices", offices_stmt, NULL);
	} else if (strcmp(kw, "menu") == 0) parse_node(p, FLOW_MENU, loc);
	else if (strcmp(kw, "input") == 0) parse_node(p, FLOW_INPUT, loc);
	else if (strcmp(kw, "play") == 0) parse_node(p, FLOW_PLAY, loc);
	else if (strcmp(kw, "set") == 0) parse_node(p, FLOW_SET, loc);
	else if (strcmp(kw, "route") == 0) parse_node(p, FLOW_ROUTE, loc);
	else if (strcmp(kw, "queue") == 0) parse_node(p, FLOW_QUEUE, loc);
	else if (strcmp(kw, "request") == 0) parse_node(p, FLOW_REQUEST, loc);
	else if (strcmp(kw, "include") == 0) parse_include(p, loc);
	else if (strcmp(kw, "scenario") == 0 && !p->have_header) {
		/* The two files swapped (simulate SCENARIO FLOW): say so once
		 * rather than "no flow header" and an error per statement. */
		err_loc(p, loc, "wrong-file", "this is a scenario file, not a flow ('scenario' "
		        "begins a scenario): give the flow file first, then the scenario");
		p->stop = true;
		if (p->lx)
			p->lx->dead = true;
	} else {
		unknown_word(p, loc, "keyword", kw, "", top_words);
		sync(p);
	}
}

static void parse_file(parser *p, const char *file, const char *text, size_t len)
{
	const char *f = arena_strdup(p->mem, file);
	VPUSH(p->files, f);
	lexer lx;
	lex_init(&lx, f, text, len, p->mem, p->dl);
	if (lx.dead && p->files.n == 1)
		p->main_unreadable = true;
	lex_set_key_words(&lx, key_words);
	p->lx = &lx;
	p->file = f;
	p->dir = flow_path_dir(p->mem, f);
	next(p);
	while (!p->stop) {
		switch (p->t.kind) {
		case LEX_EOF:
			goto done;
		case LEX_EOS:
			next(p);
			continue;
		case LEX_ERROR:
			sync(p);
			continue;
		case LEX_IDENT:
			top_stmt(p);
			continue;
		default: {
			char tmp[96];
			err_tok(p, "syntax", "expected a definition (flow, line, hours, offices, menu, "
			        "input, play, set, route, queue, request, include), found %s",
			        found(p, tmp, sizeof tmp));
			sync(p);
		}
		}
	}
done:
	/* Errors counted by the lexer already went through diag_add; make
	 * sure they count towards the limit too. */
	p->lx = NULL;
}

/* ---- resolution ---------------------------------------------------------- */
static void build_node_names(parser *p)
{
	if (p->node_names)
		return;
	int n = p->nodes.n;
	p->node_names = arena_alloc(p->mem, sizeof(char *) * (size_t)(n + 5));
	for (int i = 0; i < n; i++)
		p->node_names[i] = p->nodes.v[i]->name;
	for (int i = 0; builtin_names[i]; i++)
		p->node_names[n + i] = builtin_names[i];
}

static void unknown_name(parser *p, const ref *r, const char *what, const char **cands, int n)
{
	const char *s = suggest(r->name, cands, n);
	if (s)
		err_loc(p, r->loc, "unknown-name", "unknown %s '%s' (did you mean '%s'?)",
		        what, r->name, s);
	else
		err_loc(p, r->loc, "unknown-name", "unknown %s '%s'", what, r->name);
}

static int resolve_node_ref(parser *p, int v)
{
	if (v < 0)
		return v;
	const ref *r = &p->refs.v[v];
	int i = strmap_get(&p->ix->nodes, r->name);
	if (i >= 0)
		return i;
	build_node_names(p);
	unknown_name(p, r, "node", p->node_names, p->nodes.n + 4);
	return FLOW_T_NONE;
}

static void resolve_slot(void *ctx, flow_node *n, flow_edge_kind k, int idx, int *slot)
{
	(void)n; (void)k; (void)idx;
	*slot = resolve_node_ref(ctx, *slot);
}

/* A reference to a line, hours or office: index, or -1 after reporting it
 * with a suggestion.  items are those structs, whose first member is the
 * name. */
_Static_assert(offsetof(flow_hours, name) == 0, "name first");
_Static_assert(offsetof(flow_office, name) == 0, "name first");
_Static_assert(offsetof(flow_line, name) == 0, "name first");

static int resolve_named(parser *p, int v, const strmap *m, void *const *items, int n,
                         const char *what)
{
	if (v < 0)
		return v;
	const ref *r = &p->refs.v[v];
	int i = strmap_get(m, r->name);
	if (i >= 0)
		return i;
	const char **c = arena_alloc(p->mem, sizeof(char *) * (size_t)(n + 1));
	for (int k = 0; k < n; k++)
		c[k] = *(const char *const *)items[k];
	unknown_name(p, r, what, c, n);
	return -1;
}

static int resolve_hours_ref(parser *p, int v)
{
	return resolve_named(p, v, &p->ix->hours, (void *const *)p->hours.v, p->hours.n, "hours");
}

static int resolve_office_ref(parser *p, int v)
{
	return resolve_named(p, v, &p->ix->offices, (void *const *)p->offices.v, p->offices.n,
	                     "office");
}

static int resolve_line_ref(parser *p, int v)
{
	return resolve_named(p, v, &p->ix->lines, (void *const *)p->lines.v, p->lines.n, "line");
}

static int resolve_lang_ref(parser *p, int v)
{
	const ref *r = &p->refs.v[v];
	flow *f = p->f;
	for (int i = 0; i < f->nlangs; i++)
		if (strcmp(f->langs[i], r->name) == 0)
			return i;
	char list[128] = "";
	for (int i = 0; i < f->nlangs; i++) {
		strncat(list, " ", sizeof list - strlen(list) - 1);
		strncat(list, f->langs[i], sizeof list - strlen(list) - 1);
	}
	err_loc(p, r->loc, "unknown-name", "unknown language '%s' (the flow header declares:%s)",
	        r->name, list);
	return -1;
}

static void resolve(parser *p)
{
	flow *f = p->f;
	for (int i = 0; i < p->lines.n; i++) {
		flow_line *ln = p->lines.v[i];
		ln->start = resolve_node_ref(p, ln->start);
		ln->closed = resolve_node_ref(p, ln->closed);
		ln->hours = resolve_hours_ref(p, ln->hours);
	}
	for (int i = 0; i < p->nodes.n; i++) {
		flow_node *n = p->nodes.v[i];
		flow_node_slots(n, resolve_slot, p);
		switch (n->kind) {
		case FLOW_SET:
			if (n->u.set.lang >= 0)
				n->u.set.lang = resolve_lang_ref(p, n->u.set.lang);
			break;
		case FLOW_ROUTE:
			for (int k = 0; k < n->u.route.nconds; k++) {
				flow_cond *c = &n->u.route.conds[k];
				if (c->kind == FLOW_COND_OPEN)
					c->arg = resolve_hours_ref(p, c->arg);
				else if (c->kind == FLOW_COND_LANG)
					c->arg = resolve_lang_ref(p, c->arg);
				else if (c->kind == FLOW_COND_LINE)
					c->arg = resolve_line_ref(p, c->arg);
			}
			break;
		case FLOW_QUEUE: {
			flow_queue *q = &n->u.queue;
			if (q->hours >= 0) {
				const ref *r = &p->refs.v[q->hours];
				q->hours = resolve_hours_ref(p, q->hours);
				if (q->hours >= 0 && !flow_hours_ever_open(p->hours.v[q->hours]))
				{
					never_open_ref no = { (int)(r - p->refs.v), i };
					VPUSH(p->never_open, no);
				}
			}
			break;
		}
		case FLOW_REQUEST: {
			flow_request *r = &n->u.request;
			if (r->mode == FLOW_OFFICE_FIXED) {
				if (r->arg >= 0)
					r->arg = resolve_office_ref(p, r->arg);
				else if (!p->have_default)
					err_loc(p, n->loc, "request-office",
					        "request '%s' names no office ('office by VARIABLE' or "
					        "'office NAME') and there is no default office", n->name);
				else
					r->arg = -2;   /* filled with the default below */
			}
			break;
		}
		default:
			break;
		}
	}
	f->default_office = p->have_default ? resolve_office_ref(p, p->default_office) : -1;
	/* Only about a flow without errors: with errors, hours are often
	 * empty because their own lines were wrong. */
	for (int i = 0; i < p->never_open.n && p->dl->nerrors == p->errors0; i++) {
		const ref *r = &p->refs.v[p->never_open.v[i].ref];
		const flow_node *n = p->nodes.v[p->never_open.v[i].node];
		int closed = n->u.queue.closed;
		warn_loc(p, r->loc, "hours-never-open",
		         "queue '%s' uses hours '%s', which are never open: every call goes to "
		         "its closed target (%s)", n->name, r->name,
		         closed >= 0 ? p->nodes.v[closed]->name : flow_target_name(NULL, closed));
	}
	for (int i = 0; i < p->nodes.n; i++) {
		flow_node *n = p->nodes.v[i];
		if (n->kind == FLOW_REQUEST && n->u.request.arg == -2)
			n->u.request.arg = f->default_office;
	}
}

/* ---- entry ---------------------------------------------------------------- */
static void pack(parser *p)
{
	flow *f = p->f;
	arena *a = p->mem;
	f->nnodes = p->nodes.n;
	f->nodes = arena_alloc(a, sizeof(flow_node) * (size_t)(f->nnodes + 1));
	int nq = 0;
	for (int i = 0; i < f->nnodes; i++) {
		f->nodes[i] = *p->nodes.v[i];
		if (f->nodes[i].kind == FLOW_QUEUE)
			f->nodes[i].u.queue.index = nq++;
	}
	f->nqueues = nq;
	f->queue_nodes = arena_alloc(a, sizeof(int) * (size_t)(nq + 1));
	for (int i = 0, k = 0; i < f->nnodes; i++)
		if (f->nodes[i].kind == FLOW_QUEUE)
			f->queue_nodes[k++] = i;
	f->nlines = p->lines.n;
	f->lines = arena_alloc(a, sizeof(flow_line) * (size_t)(f->nlines + 1));
	for (int i = 0; i < f->nlines; i++)
		f->lines[i] = *p->lines.v[i];
	f->nhours = p->hours.n;
	f->hours = arena_alloc(a, sizeof(flow_hours) * (size_t)(f->nhours + 1));
	for (int i = 0; i < f->nhours; i++)
		f->hours[i] = *p->hours.v[i];
	f->noffices = p->offices.n;
	f->offices = arena_alloc(a, sizeof(flow_office) * (size_t)(f->noffices + 1));
	for (int i = 0; i < f->noffices; i++)
		f->offices[i] = *p->offices.v[i];
	f->nprompts = p->prompts.n;
	f->prompts = arena_memdup(a, p->prompts.v, p->prompts.n, sizeof(flow_prompt));
	f->nvars = p->vars.n;
	f->vars = arena_memdup(a, p->vars.v, p->vars.n, sizeof(char *));
	f->nfiles = p->files.n;
	f->files = arena_memdup(a, p->files.v, p->files.n, sizeof(char *));
	f->index = p->ix;
}

int flow_parse(flow *f, const char *path, const char *text, size_t len, diag_list *dl)
{
	parser p;
	memset(&p, 0, sizeof p);
	p.f = f;
	p.mem = &f->mem;
	p.dl = dl;
	p.errors0 = dl->nerrors;
	p.default_office = -1;
	p.ix = arena_alloc(p.mem, sizeof *p.ix);
	if (!p.ix)
		abort();
	f->timezone = "UTC";
	f->langs[0] = "en";
	f->nlangs = 1;
	f->default_office = -1;

	const char *main_path = arena_strdup(p.mem, path);
	f->path = main_path;
	if (len > FLOW_MAX_FILE) {
		diag_add(dl, DIAG_ERROR, main_path, 0, 0, "file-too-large",
		         "file is larger than 64 MB");
	} else {
		VPUSH(p.incl_stack, canonical(&p, path));
		VPUSH(p.incl_shown, main_path);
		parse_file(&p, path, text, len);
	}
	if (!p.stop && !p.have_header && !p.main_unreadable)
		diag_add(dl, DIAG_ERROR, main_path, 0, 0, "missing-header",
		         "no 'flow NAME { ... }' header (a flow file needs exactly one)");
	if (!p.stop)
		resolve(&p);
	pack(&p);
	if (p.have_header && p.prompts_rel)
		f->prompt_dir = flow_path_join(p.mem, p.header_dir, p.prompts_rel);
	VFREE(p.nodes);
	VFREE(p.lines);
	VFREE(p.hours);
	VFREE(p.offices);
	VFREE(p.prompts);
	VFREE(p.vars);
	VFREE(p.files);
	VFREE(p.refs);
	VFREE(p.incl_stack);
	VFREE(p.incl_shown);
	VFREE(p.never_open);
	VFREE(p.incl_done);
	return dl->nerrors > p.errors0 ? 1 : 0;
}
