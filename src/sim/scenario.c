/*
 * scenario.c — .scenario files: parse, resolve against a flow, check.
 *
 * One pass over the tokens of the shared lexer (lex.h).  Names are resolved
 * as they are read, because the flow is already loaded; the whole-file
 * checks (shares add up, every reachable queue has agents, ...) run after.
 *
 * Two tokens of the scenario language are not flow tokens: rates (`200/h`)
 * and distributions (`exp(2s)`).  The lexer would call `/` and `(` bad
 * characters, so the parser takes them straight from the source text right
 * after the number or name the lexer gave it (it never read past that), and
 * hands the text to dist.h's parsers, which the CLI uses too.  Likewise a
 * menu share's first token is a key string (so `* 5%` and `# 2%` work), but
 * only when it looks like one: `noinput 5%` stays a word and `# comment` a
 * comment.
 *
 * Error recovery is the flow parser's: a bad statement is skipped to its end
 * (newline, ';' or the block's '}'), so one run reports many errors; parsing
 * stops after SCEN_MAX_ERRORS.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/lex.h"
#include "tierline/scenario.h"
#include "tierline/vec.h"

#define SCEN_MAX_ERRORS 50
#define SCEN_MAX_FILE (64u << 20)
#define SHARE_TOL 0.01              /* percentage points */
#define NSLOT (FLOW_MAX_LANGS + 1)

static const char *const outcome_names[CALL_AGENT_NOUTCOMES] = {
	"resolved", "escalate", "supervisor", "request"
};

static const char *const dist_names[] = {
	"exp", "lognormal", "gamma", "erlang", "uniform", "const", NULL
};

typedef VEC(scen_step) step_vec;

typedef struct sp {
	scenario *s;
	const flow *f;
	arena *mem;
	diag_list *dl;
	int errors0;
	bool stop;
	lexer lx;
	lex_token t;
	const char *file;

	VEC(scen_arrivals) arr;
	VEC(scen_agents) ag;
	VEC(scen_answer) ans;

	bool *agents_written;           /* [nqueues]: an agents block, good or bad */
	bool have_header, have_caller;
	bool have_start, have_length;   /* a valid value was read */
	bool start_written, length_written;   /* the statement was there, good or bad */
	bool interval_written, warmup_written;
	flow_loc interval_loc, warmup_loc;
	double lang_pct[FLOW_MAX_LANGS];
	bool lang_given[FLOW_MAX_LANGS];
	flow_loc lang_loc[FLOW_MAX_LANGS];
	flow_loc first_lang_loc;
	bool any_lang;
} sp;

/* ---- errors ------------------------------------------------------------- */
static void vreport(sp *p, diag_severity sev, int line, int col, const char *code,
                    const char *fmt, va_list ap)
{
	if (p->stop)
		return;
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	diag_add(p->dl, sev, p->file, line, col, code, "%s", msg);
	if (sev == DIAG_ERROR && p->dl->nerrors - p->errors0 >= SCEN_MAX_ERRORS) {
		diag_add(p->dl, DIAG_NOTE, p->file, line, col, "too-many-errors",
		         "too many errors (%d); stopping here", SCEN_MAX_ERRORS);
		p->stop = true;
		p->lx.dead = true;
	}
}

static void __attribute__((format(printf, 4, 5)))
err_loc(sp *p, flow_loc loc, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_ERROR, loc.line, loc.col, code, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 4, 5)))
warn_loc(sp *p, flow_loc loc, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_WARNING, loc.line, loc.col, code, fmt, ap);
	va_end(ap);
}

/* At the current token; silent when the lexer already reported it. */
static void __attribute__((format(printf, 3, 4)))
err_tok(sp *p, const char *code, const char *fmt, ...)
{
	if (p->t.kind == LEX_ERROR)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(p, DIAG_ERROR, p->t.line, p->t.col, code, fmt, ap);
	va_end(ap);
}

static flow_loc here(const sp *p)
{
	flow_loc l = { p->file, p->t.line, p->t.col };
	return l;
}

static const char *found(const sp *p, char *tmp, size_t n)
{
	lex_describe(&p->t, tmp, n);
	return tmp;
}

static void unknown_name(sp *p, flow_loc loc, const char *code, const char *what,
                         const char *name, const char *const *cands, int n,
                         const char *extra)
{
	const char *s = diag_suggest(name, cands, n);
	if (s)
		err_loc(p, loc, code, "unknown %s '%s' (did you mean '%s'?)", what, name, s);
	else
		err_loc(p, loc, code, "unknown %s '%s'%s", what, name, extra ? extra : "");
}

static int count_words(const char *const *w)
{
	int n = 0;
	while (w[n])
		n++;
	return n;
}

/* ---- raw source access (rates, distributions, key strings) --------------- */
static int rawc(const lexer *lx, size_t k)
{
	return lx->p + k < lx->end ? (unsigned char)lx->p[k] : -1;
}

/* Move the lexer past n bytes of the current line. */
static void raw_skip(lexer *lx, size_t n)
{
	for (size_t i = 0; i < n && lx->p < lx->end; i++) {
		unsigned char c = (unsigned char)*lx->p++;
		if ((c & 0xC0) != 0x80)
			lx->col++;
	}
	lx->end_line = lx->line;    /* the skipped text ends the line's last token */
	lx->end_col = lx->col;
}

static size_t raw_blanks(const lexer *lx)
{
	size_t k = 0;
	while (rawc(lx, k) == ' ' || rawc(lx, k) == '\t')
		k++;
	return k;
}

static bool is_dtmf(int c)
{
	return (c >= '0' && c <= '9') || c == '*' || c == '#' ||
	       (c >= 'A' && c <= 'D') || (c >= 'a' && c <= 'd');
}

static bool is_word_end(int c)
{
	return c < 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' ||
	       c == '{' || c == '}' || c == '"' || c == ',';
}

/* Does a menu share entry that starts with a key string follow?  `1 30%`,
 * `* 1%`, `# 2%`, `AB 3%` do; `noinput 5%` and `# comment` do not. */
static bool keys_entry_ahead(const lexer *lx)
{
	size_t k = raw_blanks(lx);
	int c0 = rawc(lx, k);
	if (c0 < 0 || !is_dtmf(c0))
		return false;
	size_t e = k;
	bool all = true;
	while (!is_word_end(rawc(lx, e))) {
		if (!is_dtmf(rawc(lx, e)))
			all = false;
		e++;
	}
	if (c0 == '#') {
		/* A comment unless a share follows: `# 5%`. */
		size_t f = e;
		while (rawc(lx, f) == ' ' || rawc(lx, f) == '\t')
			f++;
		int c = rawc(lx, f);
		return c >= '0' && c <= '9';
	}
	if (c0 >= '0' && c0 <= '9')
		return true;
	if (c0 == '*')
		return true;
	return all;    /* A-D runs; a word like "ABC_x" or "Noinput" stays a word */
}

/* ---- tokens -------------------------------------------------------------- */
static void next(sp *p)
{
	lex_next(&p->lx, &p->t);
	if (!p->stop && p->dl->nerrors - p->errors0 >= SCEN_MAX_ERRORS) {
		diag_add(p->dl, DIAG_NOTE, p->file, p->t.line, p->t.col, "too-many-errors",
		         "too many errors (%d); stopping here", SCEN_MAX_ERRORS);
		p->stop = true;
		p->lx.dead = true;
		p->t.kind = LEX_EOF;
	}
}

/* Next token, reading a key string when a menu share entry starts here. */
static void next_k(sp *p, bool keys)
{
	if (keys && keys_entry_ahead(&p->lx))
		lex_expect_keys(&p->lx);
	next(p);
}

static bool is_word(const sp *p, const char *w)
{
	return p->t.kind == LEX_IDENT && strcmp(p->t.str, w) == 0;
}

static bool at_end(const sp *p)
{
	return p->t.kind == LEX_EOS || p->t.kind == LEX_RBRACE || p->t.kind == LEX_EOF;
}

/* While skipping a bad statement, step over the source text of a rate's
 * `/h` or a distribution's `(...)` after the current token, so that one
 * mistake does not also report `/` and `(` as bad characters. */
static void skip_raw_tail(sp *p)
{
	lexer *lx = &p->lx;
	if (p->t.kind == LEX_NUMBER && rawc(lx, 0) == '/') {
		size_t k = 1;
		while (rawc(lx, k) >= 'a' && rawc(lx, k) <= 'z')
			k++;
		raw_skip(lx, k);
	} else if (p->t.kind == LEX_IDENT && rawc(lx, raw_blanks(lx)) == '(') {
		size_t e = raw_blanks(lx) + 1;
		int c;
		while ((c = rawc(lx, e)) >= 0 && c != '\n' && c != ';' && c != '#' &&
		       c != '{' && c != '}') {
			e++;
			if (c == ')')
				break;
		}
		raw_skip(lx, e);
	}
}

/* Skip the rest of a statement (and any block in it).  The lexer is quiet
 * while the skipped tokens are read (they belong to a statement already
 * reported), and speaks again for the token after them. */
static void sync_quiet(sp *p, bool keys)
{
	int depth = 0;
	for (;;) {
		p->lx.quiet = true;
		skip_raw_tail(p);
		switch (p->t.kind) {
		case LEX_EOF:
			return;
		case LEX_EOS:
			if (depth == 0) {
				p->lx.quiet = false;
				next_k(p, keys);
				return;
			}
			next_k(p, false);
			break;
		case LEX_LBRACE:
			depth++;
			next(p);
			break;
		case LEX_RBRACE:
			if (depth == 0)
				return;
			depth--;
			if (depth == 0)
				p->lx.quiet = false;
			next(p);
			if (depth == 0)
				return;
			break;
		default:
			next(p);
		}
	}
}

static void sync_k(sp *p, bool keys)
{
	sync_quiet(p, keys);
	p->lx.quiet = false;
}

static void sync(sp *p)
{
	sync_k(p, false);
}

static void end_stmt_k(sp *p, const char *what, bool keys)
{
	if (p->t.kind == LEX_EOS) {
		next_k(p, keys);
		return;
	}
	if (p->t.kind == LEX_RBRACE || p->t.kind == LEX_EOF)
		return;
	char tmp[96];
	err_tok(p, "syntax", "unexpected %s after '%s' (one statement per line, or use ';')",
	        found(p, tmp, sizeof tmp), what);
	sync_k(p, keys);
}

static void end_stmt(sp *p, const char *what)
{
	end_stmt_k(p, what, false);
}

/* After a block's '}' a newline or ';' may follow but need not: the flow
 * language reads `play a { ... } play b { ... }` on one line, and so does
 * this one (`agents t1 { ... } agents t2 { ... }`). */
static void end_block(sp *p)
{
	if (p->t.kind == LEX_EOS)
		next(p);
}

static const char *expect_ident(sp *p, const char *what)
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

static bool expect_lbrace_k(sp *p, const char *what, bool keys)
{
	if (p->t.kind == LEX_LBRACE) {
		next_k(p, keys);
		return true;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected '{' to open %s, found %s", what, found(p, tmp, sizeof tmp));
	return false;
}

static void tok_text(const sp *p, char *out, size_t n)
{
	snprintf(out, n, "%.*s", (int)(p->t.len < 40 ? p->t.len : 40), p->t.text);
}

static bool get_duration(sp *p, const char *what, int64_t *ms)
{
	char num[48];
	switch (p->t.kind) {
	case LEX_DURATION:
		*ms = p->t.ival;
		next(p);
		return true;
	case LEX_NUMBER:
		tok_text(p, num, sizeof num);
		err_tok(p, "missing-unit",
		        "'%s' after '%s' has no unit: a duration needs ms, s, m, h or d (e.g. %ss)",
		        num, what, num);
		return false;
	case LEX_PERCENT:
		tok_text(p, num, sizeof num);
		err_tok(p, "percent-not-duration",
		        "'%s' is a percent, but '%s' takes a duration (e.g. 5s)", num, what);
		return false;
	default: {
		char tmp[96];
		err_tok(p, "syntax", "expected a duration after '%s' (e.g. 5s), found %s",
		        what, found(p, tmp, sizeof tmp));
		return false;
	}
	}
}

/* A percent 0..100 as a share 0..1. */
static bool get_percent(sp *p, const char *what, double *share)
{
	char num[48];
	if (p->t.kind == LEX_PERCENT) {
		if (p->t.num > 100.0) {
			tok_text(p, num, sizeof num);
			err_tok(p, "percent-range", "'%s' for '%s' is over 100%%", num, what);
			return false;
		}
		*share = p->t.num / 100.0;
		next(p);
		return true;
	}
	if (p->t.kind == LEX_NUMBER) {
		tok_text(p, num, sizeof num);
		err_tok(p, "missing-percent", "'%s' for '%s' needs a '%%' (e.g. %s%%)", num, what, num);
		return false;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected a percent for '%s' (e.g. 30%%), found %s",
	        what, found(p, tmp, sizeof tmp));
	return false;
}

/* `200/h`, `3/m`, `0.05/s`: a number token followed in the source by
 * `/unit`.  *per_ms receives calls per millisecond. */
static size_t rate_unit_len(const sp *p)
{
	/* The unit may carry a count, as in `100/30m` (dist_parse_rate
	 * reads it). */
	size_t k = 1;
	while ((rawc(&p->lx, k) >= 'a' && rawc(&p->lx, k) <= 'z') ||
	       (rawc(&p->lx, k) >= '0' && rawc(&p->lx, k) <= '9') || rawc(&p->lx, k) == '.')
		k++;
	return k;
}

static bool get_rate(sp *p, const char *what, double *per_ms)
{
	char num[48];
	if (p->t.kind == LEX_ERROR && rawc(&p->lx, 0) == '/') {
		/* The lexer has said what is wrong with the count (`1e308/h`):
		 * its `/unit` is part of the same mistake, not a second one. */
		raw_skip(&p->lx, rate_unit_len(p));
		next(p);
		return false;
	}
	if (p->t.kind == LEX_NUMBER && rawc(&p->lx, 0) == '/') {
		size_t k = rate_unit_len(p);
		char text[96];
		size_t n = p->t.len + k;
		if (n >= sizeof text)
			n = sizeof text - 1;
		memcpy(text, p->t.text, n);
		text[n] = '\0';
		raw_skip(&p->lx, k);
		char err[160];
		double per_s;
		if (dist_parse_rate(text, &per_s, err, sizeof err) != 0) {
			err_tok(p, "bad-rate", "%s", err);
			next(p);
			return false;
		}
		*per_ms = per_s / 1000.0;
		next(p);
		return true;
	}
	if (p->t.kind == LEX_NUMBER) {
		tok_text(p, num, sizeof num);
		err_tok(p, "missing-unit", "'%s' after '%s' has no unit: a rate is calls per "
		        "hour, minute or second (e.g. %s/h)", num, what, num);
		return false;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected a rate after '%s' (e.g. 200/h), found %s",
	        what, found(p, tmp, sizeof tmp));
	return false;
}

/* A distribution: `exp(2s)`, `lognormal(6m, 3m)`, ... or a bare duration. */
static bool get_dist(sp *p, const char *what, dist *d)
{
	char err[200];
	if (p->t.kind == LEX_DURATION) {
		if (dist_init(d, DIST_CONST, (double)p->t.ival, 0, err, sizeof err) != 0) {
			err_tok(p, "bad-distribution", "%s", err);
			return false;
		}
		next(p);
		return true;
	}
	if (p->t.kind == LEX_IDENT) {
		size_t k = raw_blanks(&p->lx);
		if (rawc(&p->lx, k) != '(') {
			char tmp[96];
			err_tok(p, "syntax", "expected a distribution after '%s' (e.g. exp(2s) or "
			        "30s), found %s", what, found(p, tmp, sizeof tmp));
			return false;
		}
		bool known = false;
		for (int i = 0; dist_names[i]; i++)
			if (strcmp(p->t.str, dist_names[i]) == 0)
				known = true;
		if (!known) {
			unknown_name(p, here(p), "bad-distribution", "distribution", p->t.str,
			             dist_names, count_words(dist_names),
			             " (use exp, lognormal, gamma, erlang, uniform or const)");
			return false;
		}
		size_t e = k + 1;
		int c;
		while ((c = rawc(&p->lx, e)) >= 0 && c != ')' && c != '\n' && c != ';' &&
		       c != '#' && c != '{' && c != '}')
			e++;
		if (c != ')') {
			err_tok(p, "syntax", "'%s(' is missing its ')'", p->t.str);
			return false;
		}
		size_t n = p->t.len + e + 1;
		char text[160];
		if (n >= sizeof text) {
			err_tok(p, "bad-distribution", "distribution after '%s' is too long", what);
			return false;
		}
		memcpy(text, p->t.text, n);
		text[n] = '\0';
		raw_skip(&p->lx, e + 1);
		if (dist_parse(text, d, err, sizeof err) != 0) {
			err_tok(p, "bad-distribution", "bad distribution '%s' after '%s': %s",
			        text, what, err);
			next(p);
			return false;
		}
		next(p);
		return true;
	}
	if (p->t.kind == LEX_NUMBER) {
		char num[48];
		tok_text(p, num, sizeof num);
		err_tok(p, "missing-unit",
		        "'%s' after '%s' has no unit: a duration needs ms, s, m, h or d (e.g. %ss)",
		        num, what, num);
		return false;
	}
	char tmp[96];
	err_tok(p, "syntax", "expected a distribution after '%s' (e.g. exp(2s) or 30s), "
	        "found %s", what, found(p, tmp, sizeof tmp));
	return false;
}

/* A language the flow declares: its index, -1 for an unknown name (reported,
 * consumed), -2 for a syntax error (reported, not consumed). */
static int get_lang(sp *p, const char *what)
{
	flow_loc loc = here(p);
	char desc[96];
	snprintf(desc, sizeof desc, "a language after '%s'", what);
	const char *l = expect_ident(p, desc);
	if (!l)
		return -2;
	int i = flow_find_lang(p->f, l);
	if (i < 0) {
		char extra[200];
		int k = snprintf(extra, sizeof extra, " (the flow declares");
		for (int j = 0; j < p->f->nlangs && k < (int)sizeof extra - 20; j++)
			k += snprintf(extra + k, sizeof extra - (size_t)k, " %s", p->f->langs[j]);
		snprintf(extra + k, sizeof extra - (size_t)k, ")");
		const char *s = diag_suggest(l, p->f->langs, p->f->nlangs);
		if (s)
			err_loc(p, loc, "unknown-lang", "unknown language '%s' (did you mean '%s'?)",
			        l, s);
		else
			err_loc(p, loc, "unknown-lang", "unknown language '%s'%s", l, extra);
	}
	return i;
}

/* Once-only statements inside a block. */
typedef struct seen_set {
	const char *words[16];
	int lines[16];
	int n;
} seen_set;

static bool once(sp *p, seen_set *s, const char *word, flow_loc loc)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->words[i], word) == 0) {
			err_loc(p, loc, "duplicate-statement", "'%s' given twice (first at line %d)",
			        word, s->lines[i]);
			return false;
		}
	if (s->n < 16) {
		s->words[s->n] = word;
		s->lines[s->n] = loc.line;
		s->n++;
	}
	return true;
}

static bool pct_is(double sum_share, double want)
{
	return fabs(sum_share * 100.0 - want) <= SHARE_TOL + 1e-9;
}

/* ---- profiles ---------------------------------------------------------- */
static scen_profile profile_of(sp *p, const step_vec *v)
{
	scen_profile pr;
	pr.nsteps = v->n;
	pr.steps = arena_memdup(p->mem, v->v, v->n, sizeof *v->v);
	return pr;
}

/* `CLOCK VALUE, CLOCK VALUE, ...`; rate or whole count.  False on error
 * (reported; statement not yet skipped). */
static bool get_steps(sp *p, const char *what, bool rate, step_vec *v)
{
	int last = -1;
	for (;;) {
		if (p->t.kind != LEX_CLOCK) {
			char tmp[96];
			err_tok(p, "syntax", "expected a clock (HH:MM) in '%s', found %s", what,
			        found(p, tmp, sizeof tmp));
			return false;
		}
		int minute = (int)p->t.ival;
		flow_loc cl = here(p);
		if (minute >= 1440) {
			err_tok(p, "bad-clock", "a '%s' step starts from 00:00 to 23:59, not 24:00", what);
			return false;
		}
		if (minute <= last) {
			err_loc(p, cl, "profile-order", "'%s' clocks must increase: %02d:%02d is not "
			        "after %02d:%02d", what, minute / 60, minute % 60, last / 60, last % 60);
			return false;
		}
		last = minute;
		next(p);
		scen_step st = { minute, 0 };
		if (rate) {
			if (!get_rate(p, what, &st.value))
				return false;
		} else {
			if (p->t.kind == LEX_NUMBER && p->t.is_int && p->t.ival <= 1000000) {
				st.value = (double)p->t.ival;
				next(p);
			} else {
				char tmp[96];
				err_tok(p, "bad-number", "expected a whole number of agents (0 to "
				        "1000000) in '%s', found %s", what, found(p, tmp, sizeof tmp));
				return false;
			}
		}
		VPUSH(*v, st);
		if (p->t.kind != LEX_COMMA)
			return true;
		next(p);
	}
}

double scen_profile_at(const scen_profile *p, int64_t t)
{
	if (!p || p->nsteps <= 0)
		return 0;
	int64_t tod = t % UTIL_MS_PER_DAY;
	if (tod < 0)
		tod += UTIL_MS_PER_DAY;
	int i = p->nsteps - 1;
	for (int k = 0; k < p->nsteps; k++) {
		if ((int64_t)p->steps[k].minute * 60000 > tod)
			break;
		i = k;
	}
	/* Before the first step of the day: the previous day's last step. */
	if ((int64_t)p->steps[0].minute * 60000 > tod)
		i = p->nsteps - 1;
	return p->steps[i].value;
}

int64_t scen_profile_next(const scen_profile *p, int64_t t)
{
	if (!p || p->nsteps <= 1)
		return INT64_MAX;
	int64_t tod = t % UTIL_MS_PER_DAY;
	if (tod < 0)
		tod += UTIL_MS_PER_DAY;
	int64_t day = t - tod;
	for (int k = 0; k < p->nsteps; k++) {
		int64_t at = (int64_t)p->steps[k].minute * 60000;
		if (at > tod)
			return day + at;
	}
	return day + UTIL_MS_PER_DAY + (int64_t)p->steps[0].minute * 60000;
}

/* ---- header fields ------------------------------------------------------- */
static void parse_start(sp *p)
{
	if (p->t.kind != LEX_DATE) {
		char tmp[96];
		err_tok(p, "syntax", "expected a date after 'start' (start 2026-11-30 07:00), "
		        "found %s", found(p, tmp, sizeof tmp));
		sync(p);
		return;
	}
	int ymd = (int)p->t.ival;
	next(p);
	int minute = 0;
	if (p->t.kind == LEX_CLOCK) {
		minute = (int)p->t.ival;
		if (minute >= 1440) {
			err_tok(p, "bad-clock", "'start' takes a clock from 00:00 to 23:59");
			sync(p);
			return;
		}
		next(p);
	} else if (!at_end(p)) {
		char tmp[96];
		err_tok(p, "syntax", "expected a clock after the start date (e.g. 07:00), found %s",
		        found(p, tmp, sizeof tmp));
		sync(p);
		return;
	}
	int64_t days = util_days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
	p->s->start = days * UTIL_MS_PER_DAY + (int64_t)minute * 60000;
	p->have_start = true;
	end_stmt(p, "start");
}

static void parse_dur_field(sp *p, const char *what, int64_t *out, bool positive, bool *have)
{
	flow_loc loc = here(p);
	int64_t ms;
	if (!get_duration(p, what, &ms)) {
		sync(p);
		return;
	}
	if (positive && ms <= 0) {
		err_loc(p, loc, "bad-duration", "'%s' must be longer than 0", what);
	} else {
		*out = ms;
		if (have)
			*have = true;
	}
	end_stmt(p, what);
}

static void parse_seed(sp *p)
{
	if (p->t.kind == LEX_NUMBER && p->t.is_int) {
		p->s->seed = (uint64_t)p->t.ival;
		p->s->has_seed = true;
		next(p);
		end_stmt(p, "seed");
		return;
	}
	char tmp[96];
	err_tok(p, "bad-number", "'seed' takes a whole number (up to 15 digits), found %s",
	        found(p, tmp, sizeof tmp));
	sync(p);
}

/* `lang L P% [, L P% ...]` */
static void parse_lang(sp *p, flow_loc stmt)
{
	if (!p->any_lang)
		p->first_lang_loc = stmt;
	p->any_lang = true;
	for (;;) {
		flow_loc loc = here(p);
		int l = get_lang(p, "lang");
		double share;
		if (l == -2) {
			sync(p);
			return;
		}
		if (!get_percent(p, "lang", &share)) {
			sync(p);
			return;
		}
		if (l >= 0) {
			if (p->lang_given[l])
				err_loc(p, loc, "duplicate-lang", "language '%s' given twice (first at "
				        "line %d)", p->f->langs[l], p->lang_loc[l].line);
			p->lang_given[l] = true;
			p->lang_loc[l] = loc;
			p->lang_pct[l] = share * 100.0;
		}
		if (p->t.kind != LEX_COMMA)
			break;
		next(p);
	}
	end_stmt(p, "lang");
}

static const char *const body_words[] = {
	"start", "length", "interval", "seed", "warmup", "arrivals", "lang", "caller",
	"agents", NULL
};

/* An unknown statement inside a block: with did-you-mean, or a hint that
 * the block was not closed when the word starts a top-level statement. */
static void unknown_stmt(sp *p, flow_loc loc, const char *w, const char *block,
                         const char *const *words)
{
	for (int i = 0; body_words[i]; i++)
		if (strcmp(body_words[i], w) == 0) {
			err_loc(p, loc, "unknown-keyword", "'%s' inside %s (is a '}' missing before "
			        "it?)", w, block);
			return;
		}
	const char *sg = diag_suggest(w, words, count_words(words));
	if (sg)
		err_loc(p, loc, "unknown-keyword", "unknown statement '%s' in %s (did you mean "
		        "'%s'?)", w, block, sg);
	else
		err_loc(p, loc, "unknown-keyword", "unknown statement '%s' in %s", w, block);
}

/* ---- arrivals ------------------------------------------------------------ */
static void parse_arrivals(sp *p, flow_loc stmt)
{
	flow_loc nloc = here(p);
	const char *name = expect_ident(p, "a line name after 'arrivals'");
	if (!name) {
		sync(p);
		return;
	}
	int line = flow_find_line(p->f, name);
	if (line < 0) {
		const char **c = malloc(sizeof *c * (size_t)(p->f->nlines + 1));
		if (!c)
			abort();
		for (int i = 0; i < p->f->nlines; i++)
			c[i] = p->f->lines[i].name;
		unknown_name(p, nloc, "unknown-line", "line", name, c, p->f->nlines, NULL);
		free(c);
	} else {
		for (int i = 0; i < p->arr.n; i++)
			if (p->arr.v[i].line == line)
				err_loc(p, nloc, "duplicate-block", "second 'arrivals %s' block (first at "
				        "line %d)", name, p->arr.v[i].loc.line);
	}
	if (!expect_lbrace_k(p, "the arrivals block", false)) {
		sync(p);
		return;
	}
	step_vec steps = { 0 };
	bool have = false, bad = false;
	flow_loc first = stmt;
	while (p->t.kind != LEX_RBRACE && p->t.kind != LEX_EOF) {
		if (p->t.kind == LEX_EOS) {
			next(p);
			continue;
		}
		flow_loc loc = here(p);
		bool is_rate = is_word(p, "rate"), is_prof = is_word(p, "profile");
		if (!is_rate && !is_prof) {
			if (p->t.kind == LEX_IDENT) {
				static const char *const w[] = { "rate", "profile", NULL };
				unknown_stmt(p, loc, p->t.str, "arrivals", w);
			} else {
				char tmp[96];
				err_tok(p, "syntax", "expected 'rate' or 'profile', found %s",
				        found(p, tmp, sizeof tmp));
			}
			bad = true;
			sync(p);
			continue;
		}
		if (have) {
			err_loc(p, loc, "duplicate-statement", "arrivals take one 'rate' or one "
			        "'profile' (first at line %d)", first.line);
			bad = true;
			sync(p);
			continue;
		}
		have = true;
		first = loc;
		next(p);
		if (is_rate) {
			scen_step st = { 0, 0 };
			if (!get_rate(p, "rate", &st.value)) {
				bad = true;
				sync(p);
				continue;
			}
			VPUSH(steps, st);
			end_stmt(p, "rate");
		} else {
			if (!get_steps(p, "profile", true, &steps)) {
				bad = true;
				sync(p);
				continue;
			}
			end_stmt(p, "profile");
		}
	}
	if (p->t.kind == LEX_RBRACE)
		next(p);
	if (!have && !bad)
		err_loc(p, stmt, "missing-rate", "arrivals block for '%s' needs 'rate' or 'profile'",
		        name);
	if (line >= 0 && have && !bad && steps.n > 0) {
		scen_arrivals a;
		memset(&a, 0, sizeof a);
		a.line = line;
		a.loc = stmt;
		a.rate = profile_of(p, &steps);
		bool any = false;
		for (int i = 0; i < steps.n; i++)
			if (steps.v[i].value > 0)
				any = true;
		if (!any)
			warn_loc(p, stmt, "zero-arrivals", "no calls arrive on line '%s': its rate is "
			         "0 all day", name);
		VPUSH(p->arr, a);
	}
	VFREE(steps);
	end_block(p);
}

/* ---- caller -------------------------------------------------------------- */
static const char *const menu_words[] = { "noinput", "nomatch", "hangup", NULL };
static const char *const input_words[] = {
	"valid", "short", "long", "noinput", "hangup", "prefix", NULL
};

static bool valid_keys(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!is_dtmf((unsigned char)*k))
			return false;
	return true;
}

static void parse_answer(sp *p, bool is_menu, flow_loc stmt)
{
	const char *what = is_menu ? "menu" : "input";
	flow_loc nloc = here(p);
	char desc[64];
	snprintf(desc, sizeof desc, "a%s %s name", is_menu ? "" : "n", what);
	const char *name = expect_ident(p, desc);
	if (!name) {
		sync(p);
		return;
	}
	const flow *f = p->f;
	int node = flow_find_node(f, name);
	flow_node_kind want = is_menu ? FLOW_MENU : FLOW_INPUT;
	if (node < 0) {
		const char **c = malloc(sizeof *c * (size_t)(f->nnodes + 1));
		if (!c)
			abort();
		int n = 0;
		for (int i = 0; i < f->nnodes; i++)
			if (f->nodes[i].kind == want)
				c[n++] = f->nodes[i].name;
		unknown_name(p, nloc, "unknown-node", what, name, c, n, NULL);
		free(c);
	} else if (f->nodes[node].kind != want) {
		const flow_node *nd = &f->nodes[node];
		if (nd->kind == FLOW_MENU || nd->kind == FLOW_INPUT)
			err_loc(p, nloc, "wrong-kind", "'%s' is %s %s, not %s %s (write '%s %s')",
			        name, nd->kind == FLOW_INPUT ? "an" : "a", flow_kind_name(nd->kind),
			        is_menu ? "a" : "an", what, flow_kind_name(nd->kind), name);
		else
			err_loc(p, nloc, "wrong-kind", "'%s' is a %s node, not %s %s: callers only "
			        "answer menus and inputs", name, flow_kind_name(nd->kind),
			        is_menu ? "a" : "an", what);
		node = -1;
	}
	int lang = -1;
	bool lang_bad = false;
	if (is_word(p, "lang")) {
		next(p);
		lang = get_lang(p, "lang");
		if (lang < 0)
			lang_bad = true;
		if (lang == -2) {
			sync(p);
			return;
		}
	}
	if (node >= 0 && !lang_bad) {
		for (int i = 0; i < p->ans.n; i++)
			if (p->ans.v[i].node == node && p->ans.v[i].lang == lang) {
				if (lang >= 0)
					err_loc(p, nloc, "duplicate-block", "second '%s %s lang %s' block "
					        "(first at line %d)", what, name, f->langs[lang],
					        p->ans.v[i].loc.line);
				else
					err_loc(p, nloc, "duplicate-block", "second '%s %s' block (first at "
					        "line %d)", what, name, p->ans.v[i].loc.line);
				node = -1;
				break;
			}
	}
	if (!expect_lbrace_k(p, is_menu ? "the menu shares" : "the input shares", is_menu)) {
		sync(p);
		return;
	}
	VEC(scen_choice) ch = { 0 };
	VEC(scen_prefix) pf = { 0 };
	VEC(flow_loc) chloc = { 0 };
	bool bad = false;
	const flow_menu *mn = node >= 0 && is_menu ? &f->nodes[node].u.menu : NULL;
	const flow_input *in = node >= 0 && !is_menu ? &f->nodes[node].u.input : NULL;
	while (p->t.kind != LEX_RBRACE && p->t.kind != LEX_EOF) {
		if (p->t.kind == LEX_EOS || p->t.kind == LEX_COMMA) {
			next_k(p, is_menu);
			continue;
		}
		flow_loc loc = here(p);
		scen_choice c;
		memset(&c, 0, sizeof c);
		char label[64];
		if (is_menu && (p->t.kind == LEX_KEYS ||
		                (p->t.kind == LEX_NUMBER && p->t.is_int))) {
			char keys[LEX_MAX_IDENT + 1];
			if (p->t.kind == LEX_KEYS)
				snprintf(keys, sizeof keys, "%s", p->t.str);
			else
				snprintf(keys, sizeof keys, "%.*s", (int)p->t.len, p->t.text);
			next(p);
			if (!valid_keys(keys)) {
				err_loc(p, loc, "bad-key", "'%s' is not a key string (DTMF keys are 0-9 * "
				        "# A B C D)", keys);
				bad = true;
				sync_k(p, true);
				continue;
			}
			if (strlen(keys) > FLOW_MAX_KEYS) {
				err_loc(p, loc, "bad-key", "key string '%.40s' is longer than %d keys",
				        keys, FLOW_MAX_KEYS);
				bad = true;
				sync_k(p, true);
				continue;
			}
			if (mn) {
				bool ok = false;
				for (int i = 0; i < mn->noptions; i++)
					if (strcmp(mn->options[i].keys, keys) == 0)
						ok = true;
				if (!ok) {
					char opts[256];
					int k = 0;
					opts[0] = '\0';
					for (int i = 0; i < mn->noptions && k < (int)sizeof opts - 40; i++)
						k += snprintf(opts + k, sizeof opts - (size_t)k, "%s%s",
						              i ? ", " : "", mn->options[i].keys);
					err_loc(p, loc, "unknown-option", "menu '%s' has no option '%s' "
					        "(its options: %s)", name, keys, mn->noptions ? opts : "none");
					bad = true;
				}
			}
			c.kind = SCEN_OPTION;
			snprintf(c.keys, sizeof c.keys, "%.*s", FLOW_MAX_KEYS, keys);
			snprintf(label, sizeof label, "%.*s", FLOW_MAX_KEYS, keys);
		} else if (p->t.kind == LEX_IDENT) {
			const char *w = p->t.str;
			const char *const *words = is_menu ? menu_words : input_words;
			int wi = -1;
			for (int i = 0; words[i]; i++)
				if (strcmp(words[i], w) == 0)
					wi = i;
			if (wi < 0) {
				char where[96];
				snprintf(where, sizeof where, " in %s '%s'", what, name);
				const char *s = diag_suggest(w, words, count_words(words));
				if (!s && !is_menu && strcmp(w, "nomatch") == 0)
					err_loc(p, loc, "unknown-keyword", "an input has no 'nomatch' share: "
					        "use 'short' (too few keys) or 'long' (too many)");
				else if (s)
					err_loc(p, loc, "unknown-keyword", "unknown share '%s'%s (did you mean "
					        "'%s'?)", w, where, s);
				else if (is_menu)
					err_loc(p, loc, "unknown-keyword", "unknown share '%s'%s (an option's "
					        "keys, noinput, nomatch or hangup)", w, where);
				else
					err_loc(p, loc, "unknown-keyword", "unknown share '%s'%s (valid, short, "
					        "long, noinput, hangup or prefix)", w, where);
				bad = true;
				sync_k(p, is_menu);
				continue;
			}
			next(p);
			if (strcmp(w, "prefix") == 0) {
				bool ok = true;
				for (;;) {
					flow_loc ploc = here(p);
					if (p->t.kind != LEX_STRING) {
						char tmp[96];
						err_tok(p, "syntax", "expected a prefix string (\"322\") in "
						        "'prefix', found %s", found(p, tmp, sizeof tmp));
						ok = false;
						break;
					}
					const char *pre = p->t.str;
					next(p);
					scen_prefix x = { pre, 0 };
					if (!get_percent(p, "prefix", &x.share)) {
						ok = false;
						break;
					}
					bool keys_ok = valid_keys(pre);
					if (keys_ok && in && in->terminator)
						keys_ok = strchr(pre, in->terminator) == NULL;
					if (!*pre) {
						err_loc(p, ploc, "bad-prefix", "prefix \"\" is empty: a prefix is "
						        "one or more keys (\"322\")");
						bad = true;
					} else if (!keys_ok) {
						err_loc(p, ploc, "bad-prefix", "prefix \"%s\" is not a run of keys "
						        "the caller can enter%s", pre,
						        in && in->terminator && strchr(pre, in->terminator)
						            ? " (the terminator ends the input)"
						            : " (keys are 0-9, *, # and A-D)");
						bad = true;
					} else if (in && (int)strlen(pre) > in->max_digits) {
						err_loc(p, ploc, "bad-prefix", "prefix \"%s\" is longer than input "
						        "'%s' takes (%d keys at most)", pre, name, in->max_digits);
						bad = true;
					}
					for (int i = 0; i < pf.n; i++)
						if (strcmp(pf.v[i].prefix, pre) == 0) {
							err_loc(p, ploc, "duplicate-share", "prefix \"%s\" given twice",
							        pre);
							bad = true;
						}
					VPUSH(pf, x);
					if (p->t.kind != LEX_COMMA)
						break;
					next(p);
					while (p->t.kind == LEX_EOS)   /* a list may go on on the next line */
						next(p);
				}
				if (!ok) {
					bad = true;
					sync_k(p, is_menu);
					continue;
				}
				end_stmt_k(p, "prefix", is_menu);
				continue;
			}
			static const scen_choice_kind mk[] = { SCEN_NOINPUT, SCEN_NOMATCH, SCEN_HANGUP };
			static const scen_choice_kind ik[] = {
				SCEN_VALID, SCEN_SHORT, SCEN_LONG, SCEN_NOINPUT, SCEN_HANGUP
			};
			c.kind = is_menu ? mk[wi] : ik[wi];
			snprintf(label, sizeof label, "%s", w);
		} else {
			char tmp[96];
			err_tok(p, "syntax", "expected a share (%s) in %s '%s', found %s",
			        is_menu ? "KEYS P%, noinput P%, ..." : "valid P%, short P%, ...",
			        what, name, found(p, tmp, sizeof tmp));
			bad = true;
			sync_k(p, is_menu);
			continue;
		}
		if (!get_percent(p, label, &c.share)) {
			bad = true;
			sync_k(p, is_menu);
			continue;
		}
		for (int i = 0; i < ch.n; i++)
			if (ch.v[i].kind == c.kind &&
			    (c.kind != SCEN_OPTION || strcmp(ch.v[i].keys, c.keys) == 0)) {
				err_loc(p, loc, "duplicate-share", "'%s' given twice in %s '%s' (first "
				        "at line %d)", label, what, name, chloc.v[i].line);
				bad = true;
			}
		VPUSH(ch, c);
		VPUSH(chloc, loc);
		/* Entries end at ';', a newline or ','. */
		if (p->t.kind == LEX_COMMA) {
			next_k(p, is_menu);
			continue;
		}
		end_stmt_k(p, label, is_menu);
	}
	if (p->t.kind == LEX_RBRACE)
		next(p);
	if (!bad && ch.n == 0 && pf.n == 0)
		err_loc(p, stmt, "empty-block", "%s '%s' block gives no shares", what, name);
	double sum = 0, psum = 0;
	for (int i = 0; i < ch.n; i++)
		sum += ch.v[i].share;
	for (int i = 0; i < pf.n; i++)
		psum += pf.v[i].share;
	if (!bad && ch.n > 0 && !pct_is(sum, 100))
		err_loc(p, stmt, "shares-sum", "the shares of %s '%s'%s%s add up to %g%%, not 100%%",
		        what, name, lang >= 0 ? " lang " : "", lang >= 0 ? f->langs[lang] : "",
		        sum * 100.0);
	if (!bad && pf.n > 0 && !pct_is(psum, 100))
		err_loc(p, stmt, "shares-sum", "the prefix shares of input '%s' add up to %g%%, "
		        "not 100%%", name, psum * 100.0);
	if (node >= 0 && !lang_bad && !bad) {
		scen_answer a;
		memset(&a, 0, sizeof a);
		a.node = node;
		a.lang = lang;
		a.loc = stmt;
		a.nchoices = ch.n;
		a.choices = arena_memdup(p->mem, ch.v, ch.n, sizeof *ch.v);
		a.nprefixes = pf.n;
		a.prefixes = arena_memdup(p->mem, pf.v, pf.n, sizeof *pf.v);
		VPUSH(p->ans, a);
	}
	VFREE(ch);
	VFREE(pf);
	VFREE(chloc);
	end_block(p);
}

/* `redial P% after D`, `supervisor P% after D` */
static void parse_share_after(sp *p, const char *what, double *share, dist *after)
{
	double sh;
	if (!get_percent(p, what, &sh)) {
		sync(p);
		return;
	}
	if (!is_word(p, "after")) {
		char tmp[96];
		err_tok(p, "syntax", "expected 'after' and a delay (%s 20%% after exp(30m)), "
		        "found %s", what, found(p, tmp, sizeof tmp));
		sync(p);
		return;
	}
	next(p);
	dist d;
	if (!get_dist(p, "after", &d)) {
		sync(p);
		return;
	}
	*share = sh;
	*after = d;
	end_stmt(p, what);
}

static const char *const caller_words[] = {
	"think", "bargein", "patience", "redial", "supervisor", "menu", "input", NULL
};

static void parse_caller(sp *p, flow_loc stmt)
{
	if (p->have_caller)
		err_loc(p, stmt, "duplicate-block", "second 'caller' block");
	p->have_caller = true;
	if (!expect_lbrace_k(p, "the caller block", false)) {
		sync(p);
		return;
	}
	scen_caller *c = &p->s->caller;
	seen_set seen = { .n = 0 };
	while (p->t.kind != LEX_RBRACE && p->t.kind != LEX_EOF) {
		if (p->t.kind == LEX_EOS) {
			next(p);
			continue;
		}
		flow_loc loc = here(p);
		if (p->t.kind != LEX_IDENT) {
			char tmp[96];
			err_tok(p, "syntax", "expected a caller statement, found %s",
			        found(p, tmp, sizeof tmp));
			sync(p);
			continue;
		}
		const char *w = p->t.str;
		if (strcmp(w, "menu") == 0 || strcmp(w, "input") == 0) {
			next(p);
			parse_answer(p, w[0] == 'm', loc);
			continue;
		}
		int wi = -1;
		for (int i = 0; caller_words[i]; i++)
			if (strcmp(caller_words[i], w) == 0)
				wi = i;
		if (wi < 0) {
			unknown_stmt(p, loc, w, "caller", caller_words);
			sync(p);
			continue;
		}
		next(p);
		if (!once(p, &seen, w, loc)) {
			sync(p);
			continue;
		}
		dist d;
		switch (wi) {
		case 0:   /* think */
		case 2:   /* patience */
			if (!get_dist(p, w, &d)) {
				sync(p);
				break;
			}
			if (wi == 0) {
				c->think = d;
				c->has_think = true;
			} else {
				c->patience = d;
				c->has_patience = true;
			}
			end_stmt(p, w);
			break;
		case 1: {  /* bargein */
			double sh;
			if (!get_percent(p, w, &sh)) {
				sync(p);
				break;
			}
			c->bargein = sh;
			end_stmt(p, w);
			break;
		}
		case 3:
			parse_share_after(p, w, &c->redial, &c->redial_after);
			break;
		case 4:
			parse_share_after(p, w, &c->ask_supervisor, &c->ask_after);
			break;
		}
	}
	if (p->t.kind == LEX_RBRACE)
		next(p);
	end_block(p);
}

/* ---- agents -------------------------------------------------------------- */
static const char *const agents_words[] = {
	"staff", "speaks", "handle", "wrapup", "outcome", NULL
};

static void parse_agents(sp *p, flow_loc stmt)
{
	const flow *f = p->f;
	flow_loc nloc = here(p);
	const char *name = expect_ident(p, "a queue name after 'agents'");
	if (!name) {
		sync(p);
		return;
	}
	int q = flow_find_queue(f, name);
	if (q < 0) {
		const char **c = malloc(sizeof *c * (size_t)(f->nqueues + 1));
		if (!c)
			abort();
		for (int i = 0; i < f->nqueues; i++)
			c[i] = f->nodes[f->queue_nodes[i]].name;
		unknown_name(p, nloc, "unknown-queue", "queue", name, c, f->nqueues, NULL);
		free(c);
	} else {
		p->agents_written[q] = true;
		for (int i = 0; i < p->ag.n; i++)
			if (p->ag.v[i].queue == q) {
				err_loc(p, nloc, "duplicate-block", "second 'agents %s' block (first at "
				        "line %d)", name, p->ag.v[i].loc.line);
				q = -1;
				break;
			}
	}
	if (!expect_lbrace_k(p, "the agents block", false)) {
		sync(p);
		return;
	}
	scen_agents a;
	memset(&a, 0, sizeof a);
	a.queue = q;
	a.loc = stmt;
	for (int i = 0; i < FLOW_MAX_LANGS; i++)
		a.speaks[i] = -1;
	bool have_staff = false, have_handle = false, have_outcome = false, bad = false;
	flow_loc outcome_loc[CALL_AGENT_NOUTCOMES];
	flow_loc oc_stmt = stmt;
	memset(outcome_loc, 0, sizeof outcome_loc);
	seen_set seen = { .n = 0 };
	step_vec steps = { 0 };
	while (p->t.kind != LEX_RBRACE && p->t.kind != LEX_EOF) {
		if (p->t.kind == LEX_EOS) {
			next(p);
			continue;
		}
		flow_loc loc = here(p);
		if (p->t.kind != LEX_IDENT) {
			char tmp[96];
			err_tok(p, "syntax", "expected an agents statement, found %s",
			        found(p, tmp, sizeof tmp));
			bad = true;
			sync(p);
			continue;
		}
		const char *w = p->t.str;
		int wi = -1;
		for (int i = 0; agents_words[i]; i++)
			if (strcmp(agents_words[i], w) == 0)
				wi = i;
		if (wi < 0) {
			unknown_stmt(p, loc, w, "agents", agents_words);
			bad = true;
			sync(p);
			continue;
		}
		next(p);
		if (!once(p, &seen, w, loc)) {
			bad = true;
			sync(p);
			continue;
		}
		switch (wi) {
		case 0:   /* staff N | staff CLOCK N, ... */
			if (p->t.kind == LEX_NUMBER) {
				if (!p->t.is_int || p->t.ival > 1000000) {
					char tmp[96];
					err_tok(p, "bad-number", "'staff' takes a whole number of agents "
					        "(0 to 1000000), found %s", found(p, tmp, sizeof tmp));
					bad = true;
					sync(p);
					break;
				}
				scen_step st = { 0, (double)p->t.ival };
				VPUSH(steps, st);
				next(p);
			} else if (!get_steps(p, "staff", false, &steps)) {
				bad = true;
				sync(p);
				break;
			}
			have_staff = true;
			end_stmt(p, w);
			break;
		case 1:   /* speaks L P%, ... */
			for (;;) {
				flow_loc lloc = here(p);
				int l = get_lang(p, "speaks");
				double sh;
				if (l == -2) {
					bad = true;
					sync(p);
					goto next_stmt;
				}
				if (!get_percent(p, "speaks", &sh)) {
					bad = true;
					sync(p);
					goto next_stmt;
				}
				if (l >= 0) {
					if (a.speaks[l] >= 0) {
						err_loc(p, lloc, "duplicate-share", "language '%s' given twice in "
						        "'speaks'", f->langs[l]);
						bad = true;
					}
					a.speaks[l] = sh;
				} else {
					bad = true;
				}
				if (p->t.kind != LEX_COMMA)
					break;
				next(p);
			}
			end_stmt(p, w);
			break;
		case 2:
		case 3: {
			dist d;
			if (!get_dist(p, w, &d)) {
				bad = true;
				sync(p);
				break;
			}
			if (wi == 2) {
				a.handle = d;
				have_handle = true;
			} else {
				a.wrapup = d;
				a.has_wrapup = true;
			}
			end_stmt(p, w);
			break;
		}
		case 4: { /* outcome resolved P%, ... */
			have_outcome = true;
			oc_stmt = loc;
			bool ok = true;
			for (;;) {
				flow_loc oloc = here(p);
				const char *o = expect_ident(p, "an outcome (resolved, escalate, "
				                             "supervisor, request)");
				if (!o) {
					ok = false;
					break;
				}
				int oi = -1;
				for (int i = 0; i < CALL_AGENT_NOUTCOMES; i++)
					if (strcmp(outcome_names[i], o) == 0)
						oi = i;
				if (oi < 0) {
					unknown_name(p, oloc, "unknown-outcome", "outcome", o, outcome_names,
					             CALL_AGENT_NOUTCOMES,
					             " (resolved, escalate, supervisor or request)");
					ok = false;
					break;
				}
				double sh;
				if (!get_percent(p, o, &sh)) {
					ok = false;
					break;
				}
				if (outcome_loc[oi].line) {
					err_loc(p, oloc, "duplicate-share", "outcome '%s' given twice", o);
					bad = true;
				}
				outcome_loc[oi] = oloc;
				a.outcome[oi] = sh;
				if (p->t.kind != LEX_COMMA)
					break;
				next(p);
			}
			if (!ok) {
				bad = true;
				sync(p);
				break;
			}
			end_stmt(p, w);
			break;
		}
		}
	next_stmt:;
	}
	if (p->t.kind == LEX_RBRACE)
		next(p);
	if (!bad) {
		if (!have_staff)
			err_loc(p, stmt, "missing-staff", "agents block for '%s' has no 'staff' (agents "
			        "on duty)", name);
		if (!have_handle)
			err_loc(p, stmt, "missing-handle", "agents block for '%s' has no 'handle' "
			        "(handle time, e.g. lognormal(6m, 3m))", name);
	}
	if (have_outcome && !bad) {
		double sum = 0;
		for (int i = 0; i < CALL_AGENT_NOUTCOMES; i++)
			sum += a.outcome[i];
		if (!pct_is(sum, 100))
			err_loc(p, oc_stmt, "shares-sum", "the outcome shares of agents '%s' add up to "
			        "%g%%, not 100%%", name, sum * 100.0);
	}
	if (!have_outcome)
		a.outcome[CALL_AGENT_RESOLVED] = 1.0;
	if (q >= 0 && !bad && have_outcome) {
		const flow_queue *fq = &f->nodes[f->queue_nodes[q]].u.queue;
		static const char *const tgt[] = { NULL, "escalate", "supervisor", "request" };
		int has[CALL_AGENT_NOUTCOMES] = { 1, fq->escalate, fq->supervisor, fq->request };
		for (int i = 1; i < CALL_AGENT_NOUTCOMES; i++)
			if (a.outcome[i] > 0 && has[i] == FLOW_T_NONE)
				warn_loc(p, outcome_loc[i], "outcome-no-target", "queue '%s' has no '%s' "
				         "target: its %g%% '%s' calls end resolved", name, tgt[i],
				         a.outcome[i] * 100.0, tgt[i]);
	}
	if (q >= 0 && !bad && have_staff && have_handle) {
		a.staff = profile_of(p, &steps);
		VPUSH(p->ag, a);
	}
	VFREE(steps);
	end_block(p);
}

/* ---- the file ------------------------------------------------------------ */

static void parse_body(sp *p)
{
	scenario *s = p->s;
	seen_set seen = { .n = 0 };
	while (p->t.kind != LEX_RBRACE && p->t.kind != LEX_EOF) {
		if (p->t.kind == LEX_EOS) {
			next(p);
			continue;
		}
		flow_loc loc = here(p);
		if (p->t.kind != LEX_IDENT) {
			char tmp[96];
			err_tok(p, "syntax", "expected a scenario statement, found %s",
			        found(p, tmp, sizeof tmp));
			sync(p);
			continue;
		}
		const char *w = p->t.str;
		int wi = -1;
		for (int i = 0; body_words[i]; i++)
			if (strcmp(body_words[i], w) == 0)
				wi = i;
		if (wi < 0) {
			const char *sg = diag_suggest(w, body_words, count_words(body_words));
			if (sg)
				err_loc(p, loc, "unknown-keyword", "unknown statement '%s' in scenario (did "
				        "you mean '%s'?)", w, sg);
			else
				err_loc(p, loc, "unknown-keyword", "unknown statement '%s' in scenario", w);
			sync(p);
			continue;
		}
		next(p);
		if (wi <= 4 && !once(p, &seen, w, loc)) {
			sync(p);
			continue;
		}
		/* A bad 'length 0h' gets its own error; "has no 'length'" on
		 * top of it would be wrong. */
		if (wi == 0)
			p->start_written = true;
		if (wi == 1)
			p->length_written = true;
		if (wi == 2) {
			p->interval_written = true;
			p->interval_loc = loc;
		}
		if (wi == 4) {
			p->warmup_written = true;
			p->warmup_loc = loc;
		}
		switch (wi) {
		case 0: parse_start(p); break;
		case 1: parse_dur_field(p, w, &s->length_ms, true, &p->have_length); break;
		case 2: parse_dur_field(p, w, &s->interval_ms, true, NULL); break;
		case 3: parse_seed(p); break;
		case 4: parse_dur_field(p, w, &s->warmup_ms, false, NULL); break;
		case 5: parse_arrivals(p, loc); break;
		case 6: parse_lang(p, loc); break;
		case 7: parse_caller(p, loc); break;
		case 8: parse_agents(p, loc); break;
		}
	}
}

static void parse_file(sp *p)
{
	while (p->t.kind != LEX_EOF) {
		if (p->t.kind == LEX_EOS) {
			next(p);
			continue;
		}
		flow_loc loc = here(p);
		if (!p->have_header && is_word(p, "flow")) {
			/* The two files swapped (simulate SCENARIO FLOW) or the flow
			 * given twice: one clear error, not one per flow statement. */
			err_tok(p, "wrong-file", "this is a flow file, not a scenario ('flow' "
			        "begins a flow): give the flow file first, then the scenario");
			p->stop = true;
			return;
		}
		if (!is_word(p, "scenario")) {
			char tmp[96];
			err_tok(p, "syntax", "expected 'scenario NAME { ... }', found %s",
			        found(p, tmp, sizeof tmp));
			sync(p);
			if (p->t.kind == LEX_RBRACE)
				next(p);
			continue;
		}
		next(p);
		if (p->have_header)
			err_loc(p, loc, "duplicate-header", "more than one 'scenario' block (first at "
			        "line %d)", p->s->loc.line);
		const char *name = expect_ident(p, "a name after 'scenario'");
		if (!name) {
			sync(p);
			continue;
		}
		if (!p->have_header) {
			p->have_header = true;
			p->s->name = name;
			p->s->loc = loc;
		}
		if (!expect_lbrace_k(p, "the scenario", false)) {
			sync(p);
			continue;
		}
		parse_body(p);
		if (p->t.kind == LEX_RBRACE)
			next(p);
		end_block(p);
	}
}

/* ---- whole-file checks --------------------------------------------------- */
typedef struct reach_ctx {
	int *stack; int n;
	bool *seen;
} reach_ctx;

static void reach_edge(void *ctx, const flow_edge *e)
{
	reach_ctx *r = ctx;
	if (e->target >= 0 && !r->seen[e->target]) {
		r->seen[e->target] = true;
		r->stack[r->n++] = e->target;
	}
}

/* Nodes any line can reach over any edge (options, failures, routes,
 * queue outcomes, closed and max_wait exits, request next). */
static bool *reachable(const flow *f)
{
	bool *seen = calloc((size_t)f->nnodes + 1, sizeof *seen);
	int *stack = malloc(sizeof *stack * ((size_t)f->nnodes + 1));
	if (!seen || !stack)
		abort();
	reach_ctx r = { stack, 0, seen };
	for (int i = 0; i < f->nlines; i++) {
		flow_edge e = { FLOW_E_NEXT, 0, f->lines[i].start };
		reach_edge(&r, &e);
		e.target = f->lines[i].closed;
		reach_edge(&r, &e);
	}
	while (r.n > 0) {
		int nd = r.stack[--r.n];
		flow_node_edges(f, nd, reach_edge, &r);
	}
	free(stack);
	return seen;
}

static bool no_agents(const scen_profile *staff)
{
	for (int i = 0; i < staff->nsteps; i++)
		if (staff->steps[i].value > 0)
			return false;
	return true;
}

/* A queue with `skill lang` gives a call only to an agent who speaks its
 * language: a language callers use (by the scenario's mix, or set by a
 * reachable `set` node) that no agent on the roster speaks leaves those
 * callers waiting for good. */
static void check_speakers(sp *p, const bool *seen, int nd, const scen_agents *ag)
{
	const flow *f = p->f;
	int peak = scen_agents_peak(ag);
	for (int l = 0; l < f->nlangs && l < FLOW_MAX_LANGS; l++) {
		bool used = p->s->lang_share[l] > 0;
		for (int n = 0; n < f->nnodes && !used; n++)
			if (seen[n] && f->nodes[n].kind == FLOW_SET && f->nodes[n].u.set.lang == l)
				used = true;
		if (!used)
			continue;
		bool spoken = false;
		for (int i = 0; i < peak && !spoken; i++)
			spoken = (scen_agent_langs(ag, f->nlangs, i) >> l) & 1u;
		if (!spoken)
			warn_loc(p, ag->loc, "no-speakers", "queue '%s' routes by language ('skill "
			         "lang') but none of its agents speaks '%s': those callers wait "
			         "until they give up", f->nodes[nd].name, f->langs[l]);
	}
}

static void check_all(sp *p)
{
	scenario *s = p->s;
	const flow *f = p->f;
	flow_loc hl = s->loc;
	if (!p->have_header)
		return;
	if (!p->have_start && !p->start_written)
		err_loc(p, hl, "missing-start", "scenario '%s' has no 'start' (e.g. start 2026-11-30 "
		        "07:00)", s->name);
	if (!p->have_length && !p->length_written)
		err_loc(p, hl, "missing-length", "scenario '%s' has no 'length' (e.g. length 14h)",
		        s->name);
	if (p->have_length && p->have_start) {
		/* Expected arrivals over the period (profiles step at most a few
		 * times a day, so the walk is short for any sane length). */
		for (int i = 0; i < p->arr.n; i++) {
			const scen_arrivals *a = &p->arr.v[i];
			double calls = 0;
			int64_t end = s->start + s->length_ms;
			for (int64_t t = s->start; t < end && calls <= SCEN_MAX_CALLS;) {
				int64_t nx = scen_profile_next(&a->rate, t);
				if (nx > end)
					nx = end;
				calls += scen_profile_at(&a->rate, t) * (double)(nx - t);
				t = nx;
			}
			if (calls > SCEN_MAX_CALLS)
				err_loc(p, a->loc, "too-many-calls", "line '%s' would place more than %lld "
				        "calls in the run, the most one run takes: check its rate and "
				        "the length", f->lines[a->line].name, SCEN_MAX_CALLS);
		}
	}
	/* The run drains up to four hours after its end (sim.c). */
	if (p->have_length && s->interval_ms > 0 &&
	    (s->length_ms + 4 * 3600000LL) / s->interval_ms > SCEN_MAX_INTERVALS)
		err_loc(p, p->interval_written ? p->interval_loc : hl, "too-many-intervals",
		        "the run (its length and up to 4h for calls to finish) spans more than "
		        "%lld intervals of %s: use a longer 'interval'", SCEN_MAX_INTERVALS,
		        p->interval_written ? "this length" : "30m");
	if (p->have_length && s->warmup_ms >= s->length_ms)
		warn_loc(p, p->warmup_written ? p->warmup_loc : hl, "warmup-too-long", "'warmup' covers the whole run: no call is "
		         "counted");

	/* Languages: the default takes the rest. */
	double other = 0;
	bool def_given = p->lang_given[0];
	for (int i = 0; i < f->nlangs; i++)
		if (p->lang_given[i])
			other += i == 0 ? 0 : p->lang_pct[i];
	if (def_given) {
		double all = other + p->lang_pct[0];
		if (fabs(all - 100.0) > SHARE_TOL + 1e-9)
			err_loc(p, p->lang_loc[0], "shares-sum", "language shares add up to %g%%: "
			        "with the default language '%s' named too they must add up to 100%%",
			        all, f->langs[0]);
	} else if (other > 100.0 + SHARE_TOL) {
		err_loc(p, p->first_lang_loc, "shares-sum", "language shares add up to %g%%, over "
		        "100%% (the rest speak the default language '%s')", other, f->langs[0]);
	}
	for (int i = 1; i < f->nlangs && i < FLOW_MAX_LANGS; i++)
		s->lang_share[i] = p->lang_given[i] ? p->lang_pct[i] / 100.0 : 0;
	s->lang_share[0] = 1.0 - other / 100.0;
	if (s->lang_share[0] < 0)
		s->lang_share[0] = 0;

	/* Every reachable queue needs agents; agents nobody reaches are idle. */
	bool *seen = reachable(f);
	for (int q = 0; q < f->nqueues; q++) {
		int nd = f->queue_nodes[q];
		int ai = -1;
		for (int i = 0; i < p->ag.n; i++)
			if (p->ag.v[i].queue == q)
				ai = i;
		/* A block that had errors of its own is not also missing; after a
		 * lexical error (say an unclosed brace) blocks may have been lost. */
		if (seen[nd] && ai < 0 && !p->agents_written[q] && p->lx.nerrors == 0)
			err_loc(p, hl, "missing-agents", "queue '%s' can be reached but has no 'agents "
			        "%s' block", f->nodes[nd].name, f->nodes[nd].name);
		else if (!seen[nd] && ai >= 0)
			warn_loc(p, p->ag.v[ai].loc, "unreachable-queue", "agents for queue '%s', which "
			         "no line can reach", f->nodes[nd].name);
		else if (seen[nd] && ai >= 0 && no_agents(&p->ag.v[ai].staff))
			warn_loc(p, p->ag.v[ai].loc, "no-agents", "queue '%s' can be reached but "
			         "has 0 agents all day: its callers wait until they give up",
			         f->nodes[nd].name);
		else if (seen[nd] && ai >= 0 && f->nodes[nd].u.queue.skill_lang)
			check_speakers(p, seen, nd, &p->ag.v[ai]);
	}
	free(seen);
}

static void finish(sp *p)
{
	scenario *s = p->s;
	const flow *f = p->f;
	s->narrivals = p->arr.n;
	s->arrivals = arena_memdup(p->mem, p->arr.v, p->arr.n, sizeof *p->arr.v);
	s->nagents = p->ag.n;
	s->agents = arena_memdup(p->mem, p->ag.v, p->ag.n, sizeof *p->ag.v);
	s->caller.nanswers = p->ans.n;
	s->caller.answers = arena_memdup(p->mem, p->ans.v, p->ans.n, sizeof *p->ans.v);
	s->agents_of_queue = arena_alloc(p->mem, sizeof(int) * ((size_t)f->nqueues + 1));
	s->answer_of_node = arena_alloc(p->mem, sizeof(int) * ((size_t)f->nnodes * NSLOT + 1));
	if (!s->agents_of_queue || !s->answer_of_node)
		abort();
	for (int q = 0; q < f->nqueues; q++)
		s->agents_of_queue[q] = -1;
	for (int i = 0; i < s->nagents; i++)
		s->agents_of_queue[s->agents[i].queue] = i;
	for (int i = 0; i < f->nnodes * NSLOT; i++)
		s->answer_of_node[i] = -1;
	for (int i = 0; i < s->caller.nanswers; i++) {
		const scen_answer *a = &s->caller.answers[i];
		s->answer_of_node[a->node * NSLOT + a->lang + 1] = i;
	}
}

const scen_answer *scen_answer_for(const scenario *s, int node, int lang)
{
	if (!s || !s->f || node < 0 || node >= s->f->nnodes || !s->answer_of_node)
		return NULL;
	const int *slot = &s->answer_of_node[node * NSLOT];
	int i = -1;
	if (lang >= 0 && lang < FLOW_MAX_LANGS)
		i = slot[lang + 1];
	if (i < 0)
		i = slot[0];
	return i >= 0 ? &s->caller.answers[i] : NULL;
}

call_agent_outcome scen_draw_outcome(const scen_agents *ag, rng *r)
{
	double u = rng_uniform(r), acc = 0;
	for (int i = 0; i < CALL_AGENT_NOUTCOMES; i++) {
		acc += ag->outcome[i];
		if (u < acc && ag->outcome[i] > 0)
			return (call_agent_outcome)i;
	}
	return CALL_AGENT_RESOLVED;
}

int scen_agents_peak(const scen_agents *ag)
{
	int maxn = 0;
	for (int i = 0; ag && i < ag->staff.nsteps; i++)
		if (ag->staff.steps[i].value > maxn)
			maxn = (int)llround(ag->staff.steps[i].value);
	return maxn;
}

uint32_t scen_agent_langs(const scen_agents *ag, int nlangs, int i)
{
	uint32_t langs = 0;
	for (int l = 0; l < nlangs; l++) {
		double p = ag ? ag->speaks[l] : -1;
		if (p < 0)
			p = (l == 0 || !ag || ag->speaks[0] < 0) ? 1.0 : 0.0;
		if (p >= 1.0 || floor((i + 1) * p + 1e-9) > floor(i * p + 1e-9))
			langs |= 1u << l;
	}
	return langs ? langs : 1u;
}

int scen_load_string(const char *path, const char *text, size_t len,
                     const flow *f, scenario **out, diag_list *dl)
{
	*out = NULL;
	scenario *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	arena_init(&s->mem);
	s->f = f;
	s->path = arena_strdup(&s->mem, path ? path : "<scenario>");
	s->interval_ms = 30 * 60000;
	s->seed = 1;
	s->name = "";

	sp p;
	memset(&p, 0, sizeof p);
	p.s = s;
	p.f = f;
	p.mem = &s->mem;
	p.dl = dl;
	p.errors0 = dl->nerrors;
	p.file = s->path;
	p.agents_written = calloc((size_t)f->nqueues + 1, sizeof *p.agents_written);
	if (!p.agents_written)
		abort();
	lex_init(&p.lx, p.file, text, len, p.mem, dl);
	next(&p);
	parse_file(&p);
	if (!p.have_header && dl->nerrors == p.errors0)
		diag_add(dl, DIAG_ERROR, p.file, 1, 1, "missing-header",
		         "no 'scenario NAME { ... }' block in the file");
	if (!p.stop)
		check_all(&p);
	bool failed = dl->nerrors > p.errors0;
	if (!failed)
		finish(&p);
	VFREE(p.arr);
	VFREE(p.ag);
	VFREE(p.ans);
	free(p.agents_written);
	if (failed) {
		scen_free(s);
		return 1;
	}
	*out = s;
	return 0;
}

int scen_load(const char *path, const flow *f, scenario **out, diag_list *dl)
{
	*out = NULL;
	char *text = NULL;
	size_t len = 0;
	if (util_read_file(path, &text, &len) != 0) {
		diag_add(dl, DIAG_ERROR, path, 0, 0, "unreadable", "cannot read the scenario: %s",
		         strerror(errno));
		return 2;
	}
	if (len > SCEN_MAX_FILE) {
		free(text);
		diag_add(dl, DIAG_ERROR, path, 0, 0, "too-large", "scenario file is larger than "
		         "64 MB");
		return 2;
	}
	int r = scen_load_string(path, text, len, f, out, dl);
	free(text);
	return r;
}

void scen_free(scenario *s)
{
	if (!s)
		return;
	arena_free(&s->mem);
	free(s);
}
