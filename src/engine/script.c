/*
 * script.c — the call-script parser (spec/call-script.md).
 *
 * A script is line-oriented: every statement is one physical line, so the
 * tokenizer works a line at a time and every token knows its column.  `#`
 * starts a comment except in the token right after `press`, which is a run
 * of DTMF keys where `#` and `*` are keys (as after `option` in a flow).
 *
 * script_parse() checks only what the text says; script_check() resolves the
 * names against a flow.  All strings live in the script's arena; the three
 * growable arrays are malloc'd and freed by script_free().
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/script.h"
#include "tierline/call.h"

#define MAX_SCRIPT_MS (30LL * 86400000LL)   /* a script spans at most 30 days */
#define MAX_TOKENS 32

typedef struct tok {
	const char *p;
	size_t n;
	int col;
	bool str;          /* a "..." string; p/n is its decoded value */
	bool keys;         /* the key string after `press` */
} tok;

typedef struct parser {
	script *s;
	diag_list *dl;
	const char *path;
	int line;
	tok t[MAX_TOKENS];
	int nt;
	int errors;
	int64_t prev_t;    /* start of the previous timed line */
	bool seen_call;
} parser;

static const char *const step_names[] = {
	"press", "hangup", "answer", "resolved", "escalate", "supervisor", "request"
};
static const char *const expect_names[] = {
	"visit", "never", "queue", "outcome", "request office", "var", "prompt", "never prompt"
};
/* Every word a script line may start with, for "did you mean". */
static const char *const line_words[] = {
	"call", "expect", "press", "hangup", "answer", "resolved", "escalate",
	"supervisor", "request"
};

const char *script_step_name(script_step_kind k)
{
	return (unsigned)k < sizeof step_names / sizeof *step_names ? step_names[k] : "?";
}

const char *script_expect_name(script_expect_kind k)
{
	return (unsigned)k < sizeof expect_names / sizeof *expect_names ? expect_names[k] : "?";
}

static void err(parser *ps, int col, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err(parser *ps, int col, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_add(ps->dl, DIAG_ERROR, ps->path, ps->line, col, code, "%s", msg);
	ps->errors++;
}

static bool tok_is(const tok *t, const char *w)
{
	return !t->str && strlen(w) == t->n && memcmp(t->p, w, t->n) == 0;
}

static char *tok_dup(parser *ps, const tok *t)
{
	return arena_strndup(&ps->s->mem, t->p, t->n);
}

/* Show a token in a message: at most 40 bytes of it. */
static const char *tok_show(const tok *t, char *out, size_t n)
{
	size_t len = t->n < 40 ? t->n : 40;
	if (len >= n)
		len = n - 1;
	memcpy(out, t->p, len);
	out[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = '?';
	return out;
}

/* ---- tokenizing one line ------------------------------------------------ */

/* Decode a "..." string starting at p (the quote) within [p, end).  Returns
 * the number of bytes consumed, or -1 (error reported). */
static int lex_string(parser *ps, const char *p, const char *end, int col, tok *t)
{
	buf b;
	buf_init(&b);
	const char *q = p + 1;
	for (;;) {
		if (q >= end) {
			err(ps, col, "unterminated-string", "unterminated string");
			buf_free(&b);
			return -1;
		}
		if (*q == '"')
			break;
		if (*q == '\\') {
			if (q + 1 >= end) {
				err(ps, col, "unterminated-string", "unterminated string");
				buf_free(&b);
				return -1;
			}
			char c = q[1];
			switch (c) {
			case '"': buf_putc(&b, '"'); break;
			case '\\': buf_putc(&b, '\\'); break;
			case 'n': buf_putc(&b, '\n'); break;
			case 't': buf_putc(&b, '\t'); break;
			default:
				err(ps, col + (int)(q - p), "bad-escape",
				    "unknown escape '\\%c' in string (use \\\" \\\\ \\n \\t)",
				    (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? c : '?');
				buf_free(&b);
				return -1;
			}
			q += 2;
			continue;
		}
		buf_putc(&b, *q);
		q++;
	}
	t->p = arena_strndup(&ps->s->mem, b.p ? b.p : "", b.len);
	t->n = b.len;
	t->str = true;
	buf_free(&b);
	return (int)(q + 1 - p);
}

/* Split [p, end) into tokens.  Returns 0, or -1 after reporting an error. */
static int lex_line(parser *ps, const char *p, const char *end)
{
	const char *start = p;
	ps->nt = 0;
	bool next_is_keys = false;
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		int col = (int)(p - start) + 1;
		if (*p == '#' && !next_is_keys)
			break;
		if (ps->nt == MAX_TOKENS) {
			err(ps, col, "syntax", "too many words on one line");
			return -1;
		}
		tok *t = &ps->t[ps->nt];
		memset(t, 0, sizeof *t);
		t->col = col;
		if (*p == '"' && !next_is_keys) {
			int n = lex_string(ps, p, end, col, t);
			if (n < 0)
				return -1;
			p += n;
		} else {
			const char *q = p;
			while (q < end && *q != ' ' && *q != '\t' && *q != '\r' &&
			       (next_is_keys || (*q != '#' && *q != '"')))
				q++;
			t->p = p;
			t->n = (size_t)(q - p);
			t->keys = next_is_keys;
			p = q;
		}
		next_is_keys = tok_is(t, "press");
		ps->nt++;
	}
	return 0;
}

/* ---- numbers, durations, dates ------------------------------------------ */

/* A decimal number with at most 3 decimals, as thousandths.  Returns the
 * bytes used (0 when there is no number), -1 on too many decimals or overflow. */
static int parse_milli(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int64_t whole = 0;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return 0;
	while (i < n && isdigit((unsigned char)s[i])) {
		whole = whole * 10 + (s[i] - '0');
		if (whole > 1000000000LL)
			return -1;
		i++;
	}
	int64_t frac = 0;
	int nfrac = 0;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return -1;
		while (i < n && isdigit((unsigned char)s[i])) {
			if (nfrac == 3)
				return -1;
			frac = frac * 10 + (s[i] - '0');
			nfrac++;
			i++;
		}
	}
	while (nfrac < 3) {
		frac *= 10;
		nfrac++;
	}
	*out = whole * 1000 + frac;
	return (int)i;
}

int script_parse_duration(const char *s, size_t n, int64_t *ms, char *errbuf, size_t errlen)
{
	size_t i = 0;
	int64_t total = 0;
	if (n == 0) {
		snprintf(errbuf, errlen, "empty duration");
		return -1;
	}
	while (i < n) {
		int64_t v;
		int used = parse_milli(s + i, n - i, &v);
		if (used == 0) {
			snprintf(errbuf, errlen, "expected a number");
			return -1;
		}
		if (used < 0) {
			snprintf(errbuf, errlen, "number out of range or finer than a millisecond");
			return -1;
		}
		i += (size_t)used;
		size_t u = i;
		while (u < n && isalpha((unsigned char)s[u]))
			u++;
		size_t ulen = u - i;
		int64_t mul;
		if (ulen == 0) {
			snprintf(errbuf, errlen, "missing unit (ms, s, m, h or d)");
			return -1;
		} else if (ulen == 2 && memcmp(s + i, "ms", 2) == 0) {
			/* v is thousandths of a ms: a fraction of a ms is too fine */
			if (v % 1000) {
				snprintf(errbuf, errlen, "finer than a millisecond");
				return -1;
			}
			mul = 1;
			v /= 1000;
		} else if (ulen == 1 && s[i] == 's') {
			mul = 1;
		} else if (ulen == 1 && s[i] == 'm') {
			mul = 60;
		} else if (ulen == 1 && s[i] == 'h') {
			mul = 3600;
		} else if (ulen == 1 && s[i] == 'd') {
			mul = 86400;
		} else {
			snprintf(errbuf, errlen, "unknown unit '%.*s' (ms, s, m, h or d)",
			         (int)(ulen > 8 ? 8 : ulen), s + i);
			return -1;
		}
		if (v > MAX_SCRIPT_MS / mul) {
			snprintf(errbuf, errlen, "duration too long (at most 30 days)");
			return -1;
		}
		total += v * mul;
		if (total > MAX_SCRIPT_MS) {
			snprintf(errbuf, errlen, "duration too long (at most 30 days)");
			return -1;
		}
		i = u;
	}
	*ms = total;
	return 0;
}

static int parse_int_exact(const char *s, size_t n, int *out)
{
	int v = 0;
	if (n == 0 || n > 4)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_date(const char *s, size_t n, int64_t *days)
{
	int y, m, d;
	if (n != 10 || s[4] != '-' || s[7] != '-' || parse_int_exact(s, 4, &y) ||
	    parse_int_exact(s + 5, 2, &m) || parse_int_exact(s + 8, 2, &d))
		return -1;
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return -1;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int md = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		md = 29;
	if (d > md)
		return -1;
	*days = util_days_from_civil(y, m, d);
	return 0;
}

static int parse_clock(const char *s, size_t n, int64_t *ms)
{
	int h, m, sec = 0;
	if ((n != 5 && n != 8) || s[2] != ':' || parse_int_exact(s, 2, &h) ||
	    parse_int_exact(s + 3, 2, &m))
		return -1;
	if (n == 8 && (s[5] != ':' || parse_int_exact(s + 6, 2, &sec)))
		return -1;
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	*ms = ((int64_t)h * 3600 + m * 60 + sec) * 1000;
	return 0;
}

int script_parse_datetime(const char *s, int64_t *ms)
{
	const char *sp = strchr(s, ' ');
	if (!sp)
		sp = strchr(s, 'T');
	if (!sp)
		return -1;
	int64_t days, clock;
	const char *c = sp;
	while (*c == ' ' || *c == 'T')
		c++;
	if (parse_date(s, (size_t)(sp - s), &days) || parse_clock(c, strlen(c), &clock))
		return -1;
	*ms = days * UTIL_MS_PER_DAY + clock;
	return 0;
}

/* ---- statements --------------------------------------------------------- */

static void *grow(void *p, int *cap, int n, size_t size)
{
	if (n < *cap)
		return p;
	int nc = *cap ? *cap * 2 : 16;
	void *q = realloc(p, (size_t)nc * size);
	if (!q)
		abort();
	*cap = nc;
	return q;
}

static void extra_words(parser *ps, int from, const char *what)
{
	if (from < ps->nt) {
		char b[48];
		err(ps, ps->t[from].col, "syntax", "unexpected '%s' after %s",
		    tok_show(&ps->t[from], b, sizeof b), what);
	}
}

static bool need_word(parser *ps, int i, const char *what, int after_col)
{
	if (i >= ps->nt) {
		err(ps, after_col, "syntax", "expected %s", what);
		return false;
	}
	if (ps->t[i].str) {
		err(ps, ps->t[i].col, "syntax", "expected %s, not a string", what);
		return false;
	}
	return true;
}

static int end_col(const tok *t)
{
	return t->col + (int)t->n + (t->str ? 2 : 0);
}

static void parse_call(parser *ps)
{
	script *s = ps->s;
	tok *t = ps->t;
	if (ps->seen_call) {
		err(ps, t[0].col, "duplicate-call", "only one 'call' line per script");
		return;
	}
	ps->seen_call = true;
	if (!need_word(ps, 1, "a line name after 'call'", end_col(&t[0]) + 1))
		return;
	s->line_name = tok_dup(ps, &t[1]);
	s->line_line = ps->line;
	s->line_col = t[1].col;
	int i = 2;
	while (i < ps->nt) {
		if (tok_is(&t[i], "lang")) {
			if (!need_word(ps, i + 1, "a language after 'lang'", end_col(&t[i]) + 1))
				return;
			s->lang = tok_dup(ps, &t[i + 1]);
			s->lang_line = ps->line;
			s->lang_col = t[i + 1].col;
			i += 2;
		} else if (tok_is(&t[i], "var")) {
			if (!need_word(ps, i + 1, "a variable name after 'var'", end_col(&t[i]) + 1))
				return;
			if (i + 2 >= ps->nt || !t[i + 2].str) {
				err(ps, i + 2 < ps->nt ? t[i + 2].col : end_col(&t[i + 1]) + 1,
				    "syntax", "expected a \"value\" after 'var %.*s'",
				    (int)(t[i + 1].n > 40 ? 40 : t[i + 1].n), t[i + 1].p);
				return;
			}
			s->vars = grow(s->vars, &s->cap_vars, s->nvars, sizeof *s->vars);
			script_var *v = &s->vars[s->nvars++];
			v->name = tok_dup(ps, &t[i + 1]);
			v->value = tok_dup(ps, &t[i + 2]);
			v->idx = -1;
			v->line = ps->line;
			v->col = t[i + 1].col;
			i += 3;
		} else if (tok_is(&t[i], "at")) {
			int64_t days, clock;
			if (i + 2 >= ps->nt || t[i + 1].str || t[i + 2].str) {
				err(ps, i + 1 < ps->nt ? t[i + 1].col : end_col(&t[i]) + 1,
				    "syntax", "expected a date and time after 'at' (e.g. at 2026-11-30 10:00)");
				return;
			}
			if (parse_date(t[i + 1].p, t[i + 1].n, &days)) {
				err(ps, t[i + 1].col, "bad-date", "bad date (YYYY-MM-DD)");
				return;
			}
			if (parse_clock(t[i + 2].p, t[i + 2].n, &clock)) {
				err(ps, t[i + 2].col, "bad-clock", "bad time of day (HH:MM or HH:MM:SS)");
				return;
			}
			s->has_at = true;
			s->start = days * UTIL_MS_PER_DAY + clock;
			i += 3;
		} else {
			char b[48];
			err(ps, t[i].col, "syntax",
			    "unexpected '%s' in the call line (expected lang, var or at)",
			    tok_show(&t[i], b, sizeof b));
			return;
		}
	}
}

static void parse_expect(parser *ps)
{
	script *s = ps->s;
	tok *t = ps->t;
	if (!need_word(ps, 1, "what to expect (visit, never, queue, outcome, request office, var, prompt)",
	               end_col(&t[0]) + 1))
		return;
	script_expect e = { 0 };
	e.line = ps->line;
	e.col = t[0].col;
	e.idx = -1;
	int i = 2;
	const char *what = NULL;
	if (tok_is(&t[1], "visit")) {
		e.kind = SCRIPT_EXP_VISIT; what = "a node name";
	} else if (tok_is(&t[1], "never")) {
		if (ps->nt > 2 && tok_is(&t[2], "prompt") && ps->nt > 3) {
			e.kind = SCRIPT_EXP_NEVER_PROMPT; what = "a prompt id"; i = 3;
		} else {
			e.kind = SCRIPT_EXP_NEVER; what = "a node name";
		}
	} else if (tok_is(&t[1], "queue")) {
		e.kind = SCRIPT_EXP_QUEUE; what = "a queue name";
	} else if (tok_is(&t[1], "outcome")) {
		e.kind = SCRIPT_EXP_OUTCOME; what = "an outcome";
	} else if (tok_is(&t[1], "request")) {
		if (ps->nt < 3 || !tok_is(&t[2], "office")) {
			err(ps, ps->nt > 2 ? t[2].col : end_col(&t[1]) + 1, "syntax",
			    "expected 'office' after 'expect request'");
			return;
		}
		e.kind = SCRIPT_EXP_OFFICE; what = "an office name"; i = 3;
	} else if (tok_is(&t[1], "var")) {
		e.kind = SCRIPT_EXP_VAR; what = "a variable name";
	} else if (tok_is(&t[1], "prompt")) {
		e.kind = SCRIPT_EXP_PROMPT; what = "a prompt id";
	} else {
		static const char *const kinds[] = { "visit", "never", "queue", "outcome",
		                                     "request", "var", "prompt" };
		char b[48];
		tok_show(&t[1], b, sizeof b);
		const char *sug = t[1].str ? NULL : diag_suggest(b, kinds, 7);
		if (sug)
			err(ps, t[1].col, "unknown-expect", "unknown expectation '%s' (did you mean '%s'?)", b, sug);
		else
			err(ps, t[1].col, "unknown-expect",
			    "unknown expectation '%s' (visit, never, queue, outcome, request office, var, prompt)", b);
		return;
	}
	if (!need_word(ps, i, what, end_col(&t[i - 1]) + 1))
		return;
	e.name = tok_dup(ps, &t[i]);
	e.name_col = t[i].col;
	i++;
	if (e.kind == SCRIPT_EXP_VAR) {
		if (i >= ps->nt || !ps->t[i].str) {
			err(ps, i < ps->nt ? t[i].col : end_col(&t[i - 1]) + 1, "syntax",
			    "expected a \"value\" after 'expect var %s'", e.name);
			return;
		}
		e.value = tok_dup(ps, &t[i]);
		i++;
	}
	extra_words(ps, i, "the expectation");
	s->expects = grow(s->expects, &s->cap_expects, s->nexpects, sizeof *s->expects);
	s->expects[s->nexpects++] = e;
}

/* Is this token a time: "+DUR" or a bare (decimal) number, or a duration? */
static bool looks_like_time(const tok *t)
{
	return !t->str && t->n > 0 && (t->p[0] == '+' || isdigit((unsigned char)t->p[0]) ||
	                               t->p[0] == '.');
}

static void parse_timed(parser *ps)
{
	script *s = ps->s;
	tok *t = ps->t;
	char eb[96], b[48];
	int64_t when;
	if (t[0].p[0] == '+') {
		int64_t d;
		if (t[0].n == 1) {
			err(ps, t[0].col, "bad-time", "expected a duration after '+' (e.g. +1.5s)");
			return;
		}
		if (script_parse_duration(t[0].p + 1, t[0].n - 1, &d, eb, sizeof eb)) {
			if (strncmp(eb, "missing unit", 12) == 0)
				err(ps, t[0].col, "bad-time", "missing unit in '%s' (write %ss, or a bare number for seconds from the start)",
				    tok_show(&t[0], b, sizeof b), b);
			else
				err(ps, t[0].col, "bad-time", "bad time '%s': %s", tok_show(&t[0], b, sizeof b), eb);
			return;
		}
		when = ps->prev_t + d;
	} else {
		int64_t v;
		int used = parse_milli(t[0].p, t[0].n, &v);
		if (used > 0 && (size_t)used == t[0].n) {
			when = v;            /* bare seconds from the start */
		} else if (script_parse_duration(t[0].p, t[0].n, &v, eb, sizeof eb) == 0) {
			when = v;            /* "5m": also an offset from the start */
		} else {
			err(ps, t[0].col, "bad-time", "bad time '%s': %s", tok_show(&t[0], b, sizeof b), eb);
			return;
		}
		if (when < ps->prev_t) {
			char a[32], p[32];
			script_fmt_secs(when, a, sizeof a);
			script_fmt_secs(ps->prev_t, p, sizeof p);
			err(ps, t[0].col, "time-goes-back",
			    "time goes back: %ss is before the previous line's %ss", a, p);
			return;
		}
	}
	if (when > MAX_SCRIPT_MS) {
		err(ps, t[0].col, "bad-time", "time too far from the start (at most 30 days)");
		return;
	}
	if (ps->nt < 2) {
		err(ps, end_col(&t[0]) + 1, "syntax",
		    "expected what happens after the time (press, hangup, answer, resolved, escalate, supervisor, request)");
		return;
	}
	script_step st = { 0 };
	st.t = when;
	st.line = ps->line;
	st.col = t[1].col;
	st.every_ms = SCRIPT_KEY_GAP_MS;
	int i = 2;
	int k;
	for (k = 0; k < (int)(sizeof step_names / sizeof *step_names); k++)
		if (tok_is(&t[1], step_names[k]))
			break;
	if (k == (int)(sizeof step_names / sizeof *step_names)) {
		tok_show(&t[1], b, sizeof b);
		const char *sug = t[1].str ? NULL : diag_suggest(b, step_names, 7);
		if (sug)
			err(ps, t[1].col, "unknown-line", "unknown action '%s' (did you mean '%s'?)", b, sug);
		else
			err(ps, t[1].col, "unknown-line",
			    "unknown action '%s' (press, hangup, answer, resolved, escalate, supervisor, request)", b);
		return;
	}
	st.kind = (script_step_kind)k;
	if (st.kind == SCRIPT_PRESS) {
		if (ps->nt < 3) {
			err(ps, end_col(&t[1]) + 1, "syntax", "expected keys after 'press'");
			return;
		}
		tok *kt = &t[2];
		for (size_t j = 0; j < kt->n; j++) {
			char c = kt->p[j];
			if (!flow_is_dtmf(c)) {
				unsigned char uc = (unsigned char)c;
				if (uc >= 0x20 && uc < 0x7f)
					err(ps, kt->col + (int)j, "bad-key",
					    "'%c' is not a DTMF key (keys are 0-9 * # A B C D)", c);
				else
					err(ps, kt->col + (int)j, "bad-key",
					    "byte 0x%02x is not a DTMF key (keys are 0-9 * # A B C D)", uc);
				return;
			}
		}
		if (kt->n > SCRIPT_MAX_KEYS) {
			err(ps, kt->col, "bad-key", "too many keys in one press (at most %d)", SCRIPT_MAX_KEYS);
			return;
		}
		memcpy(st.keys, kt->p, kt->n);
		st.keys[kt->n] = '\0';
		st.nkeys = (int)kt->n;
		i = 3;
		if (i < ps->nt && tok_is(&t[i], "every")) {
			int64_t d;
			if (!need_word(ps, i + 1, "a duration after 'every' (e.g. every 150ms)", end_col(&t[i]) + 1))
				return;
			if (script_parse_duration(t[i + 1].p, t[i + 1].n, &d, eb, sizeof eb)) {
				err(ps, t[i + 1].col, "bad-time", "bad duration '%s': %s",
				    tok_show(&t[i + 1], b, sizeof b), eb);
				return;
			}
			if (d > 3600000) {
				err(ps, t[i + 1].col, "bad-time", "'every' is at most 1h");
				return;
			}
			st.every_ms = (uint32_t)d;
			i += 2;
		}
	}
	extra_words(ps, i, script_step_name(st.kind));
	if (i < ps->nt)
		return;
	ps->prev_t = when;
	s->steps = grow(s->steps, &s->cap_steps, s->nsteps, sizeof *s->steps);
	s->steps[s->nsteps++] = st;
}

static void parse_statement(parser *ps)
{
	tok *t = ps->t;
	char b[48];
	if (!ps->seen_call && !tok_is(&t[0], "call")) {
		err(ps, t[0].col, "syntax", "a call script starts with 'call LINE'");
		ps->seen_call = true;     /* report it once */
		return;
	}
	if (tok_is(&t[0], "call")) {
		parse_call(ps);
	} else if (tok_is(&t[0], "expect")) {
		parse_expect(ps);
	} else if (looks_like_time(&t[0])) {
		parse_timed(ps);
	} else {
		tok_show(&t[0], b, sizeof b);
		bool action = false;
		for (int k = 0; k < 7; k++)
			if (tok_is(&t[0], step_names[k]))
				action = true;
		if (action) {
			err(ps, t[0].col, "missing-time",
			    "'%s' needs a time first (+DUR after the previous line, or seconds from the start)", b);
			return;
		}
		const char *sug = t[0].str ? NULL : diag_suggest(b, line_words, 9);
		if (sug)
			err(ps, t[0].col, "unknown-line", "unknown line '%s' (did you mean '%s'?)", b, sug);
		else
			err(ps, t[0].col, "unknown-line",
			    "unknown line '%s' (expected call, expect, or a time followed by an action)", b);
	}
}

int script_parse(const char *path, const char *text, size_t len, script **out, diag_list *dl)
{
	*out = NULL;
	script *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	arena_init(&s->mem);
	s->path = arena_strdup(&s->mem, path ? path : "<script>");
	s->start = SCRIPT_DEFAULT_START;
	s->line = -1;
	s->lang_idx = -1;
	parser ps = { 0 };
	ps.s = s;
	ps.dl = dl;
	ps.path = s->path;
	const char *p = text, *end = text + len;
	int lineno = 0;
	while (p < end) {
		lineno++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		ps.line = lineno;
		const char *nul = memchr(p, '\0', (size_t)(eol - p));
		if (nul) {
			err(&ps, (int)(nul - p) + 1, "nul-byte", "NUL byte in a call script");
		} else if (lex_line(&ps, p, eol) == 0 && ps.nt > 0) {
			parse_statement(&ps);
		}
		p = eol + 1;
		if (ps.errors >= 50)
			break;
	}
	if (!ps.seen_call && ps.errors == 0) {
		ps.line = lineno > 0 ? lineno : 1;
		err(&ps, 1, "syntax", "empty call script (it starts with 'call LINE')");
	}
	if (ps.errors) {
		script_free(s);
		return 2;
	}
	*out = s;
	return 0;
}

int script_load(const char *path, script **out, diag_list *dl)
{
	char *text;
	size_t len;
	*out = NULL;
	if (util_read_file(path, &text, &len) != 0) {
		diag_add(dl, DIAG_ERROR, path, 0, 0, "unreadable", "cannot read: %s", strerror(errno));
		return 2;
	}
	int rc = script_parse(path, text, len, out, dl);
	free(text);
	return rc;
}

void script_free(script *s)
{
	if (!s)
		return;
	free(s->steps);
	free(s->expects);
	free(s->vars);
	arena_free(&s->mem);
	free(s);
}

script *script_new(const char *path, const char *line_name, int64_t start, bool has_at)
{
	script *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	arena_init(&s->mem);
	s->path = arena_strdup(&s->mem, path ? path : "<script>");
	s->line_name = arena_strdup(&s->mem, line_name ? line_name : "main");
	s->start = start;
	s->has_at = has_at;
	s->line = -1;
	s->lang_idx = -1;
	return s;
}

void script_set_lang(script *s, const char *lang)
{
	s->lang = lang ? arena_strdup(&s->mem, lang) : NULL;
}

script_step *script_add_step(script *s, script_step_kind k, int64_t t)
{
	if (s->nsteps == s->cap_steps) {
		s->cap_steps = s->cap_steps ? s->cap_steps * 2 : 16;
		s->steps = realloc(s->steps, sizeof *s->steps * (size_t)s->cap_steps);
		if (!s->steps)
			abort();
	}
	script_step *st = &s->steps[s->nsteps++];
	memset(st, 0, sizeof *st);
	st->kind = k;
	st->t = t;
	st->every_ms = SCRIPT_KEY_GAP_MS;
	return st;
}

script_expect *script_add_expect(script *s, script_expect_kind k, const char *name,
                                 const char *value)
{
	if (s->nexpects == s->cap_expects) {
		s->cap_expects = s->cap_expects ? s->cap_expects * 2 : 16;
		s->expects = realloc(s->expects, sizeof *s->expects * (size_t)s->cap_expects);
		if (!s->expects)
			abort();
	}
	script_expect *e = &s->expects[s->nexpects++];
	memset(e, 0, sizeof *e);
	e->kind = k;
	e->name = arena_strdup(&s->mem, name);
	e->value = value ? arena_strdup(&s->mem, value) : NULL;
	e->idx = -1;
	return e;
}

int64_t script_last_t(const script *s)
{
	return s->nsteps ? s->steps[s->nsteps - 1].t : 0;
}

/* ---- checking against a flow -------------------------------------------- */

/* A variable the flow never mentions is still the caller's (the spec lets a
 * script set any): it cannot change, so replay keeps it beside the call
 * (index -1).  Only a name one typo away from a flow variable is refused,
 * with the suggestion, because that is almost surely a misspelling. */
static int script_var_idx(script *s, const flow *f, diag_list *dl, int line, int col,
                          const char *name)
{
	int idx = flow_find_var(f, name);
	if (idx >= 0)
		return idx;
	const char *near = diag_suggest(name, f->vars, f->nvars);
	if (near)
		diag_add(dl, DIAG_ERROR, s->path, line, col, "unknown-name",
		         "unknown variable '%s' (did you mean '%s'?)", name, near);
	return -1;
}

/* Candidate names for "did you mean": malloc'd array of n pointers. */
typedef const char *(*name_at_fn)(const flow *f, int i);
static const char *node_name(const flow *f, int i) { return f->nodes[i].name; }
static const char *line_name(const flow *f, int i) { return f->lines[i].name; }
static const char *office_name(const flow *f, int i) { return f->offices[i].name; }
static const char *prompt_name(const flow *f, int i) { return f->prompts[i].id; }
static const char *lang_name(const flow *f, int i) { return f->langs[i]; }
static const char *queue_name(const flow *f, int i)
{
	int n = f->queue_nodes[i];
	return n >= 0 && n < f->nnodes ? f->nodes[n].name : "";
}

static int find_name(const flow *f, int n, name_at_fn at, const char *name)
{
	for (int i = 0; i < n; i++) {
		const char *c = at(f, i);
		if (c && strcmp(c, name) == 0)
			return i;
	}
	return -1;
}

static const char *suggest(const flow *f, int n, name_at_fn at, const char *name)
{
	if (n <= 0)
		return NULL;
	const char **c = malloc(sizeof *c * (size_t)n);
	if (!c)
		abort();
	for (int i = 0; i < n; i++)
		c[i] = at(f, i);
	const char *r = diag_suggest(name, c, n);
	free(c);
	return r;
}

static int resolve(const script *s, const flow *f, diag_list *dl, int line, int col,
                   const char *what, int n, name_at_fn at, const char *name)
{
	int i = find_name(f, n, at, name);
	if (i >= 0)
		return i;
	const char *sug = suggest(f, n, at, name);
	char code[32];
	snprintf(code, sizeof code, "unknown-%s", what);
	if (sug)
		diag_add(dl, DIAG_ERROR, s->path, line, col, code,
		         "unknown %s '%s' (did you mean '%s'?)", what, name, sug);
	else
		diag_add(dl, DIAG_ERROR, s->path, line, col, code,
		         "unknown %s '%s'", what, name);
	return -1;
}

static bool flow_has_tier(const flow *f, int tier)
{
	for (int q = 0; q < f->nqueues; q++) {
		int n = f->queue_nodes[q];
		if (n >= 0 && n < f->nnodes && f->nodes[n].kind == FLOW_QUEUE &&
		    f->nodes[n].u.queue.tier == tier)
			return true;
	}
	return false;
}

static int check_outcome(const script *s, const flow *f, diag_list *dl, script_expect *e)
{
	const char *cands[CALL_OUT_COUNT];
	int n = 0;
	for (int o = CALL_OUT_NONE + 1; o < CALL_OUT_COUNT; o++) {
		if (o >= CALL_OUT_RESOLVED_TIER1 && o <= CALL_OUT_RESOLVED_TIER9 &&
		    !flow_has_tier(f, o - CALL_OUT_RESOLVED_TIER1 + 1))
			continue;
		cands[n++] = call_outcome_name((call_outcome)o);
	}
	for (int i = 0; i < n; i++)
		if (strcmp(cands[i], e->name) == 0) {
			e->idx = (int)call_outcome_parse(e->name);
			return 0;
		}
	const char *sug = diag_suggest(e->name, cands, n);
	call_outcome o = call_outcome_parse(e->name);
	if (o >= CALL_OUT_RESOLVED_TIER1 && o <= CALL_OUT_RESOLVED_TIER9)
		diag_add(dl, DIAG_ERROR, s->path, e->line, e->name_col, "unknown-outcome",
		         "outcome '%s' cannot happen: no queue of tier %d in the flow",
		         e->name, o - CALL_OUT_RESOLVED_TIER1 + 1);
	else if (sug)
		diag_add(dl, DIAG_ERROR, s->path, e->line, e->name_col, "unknown-outcome",
		         "unknown outcome '%s' (did you mean '%s'?)", e->name, sug);
	else {
		buf b;
		buf_init(&b);
		for (int i = 0; i < n; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", cands[i]);
		diag_add(dl, DIAG_ERROR, s->path, e->line, e->name_col, "unknown-outcome",
		         "unknown outcome '%s' (this flow's outcomes: %s)", e->name, b.p ? b.p : "");
		buf_free(&b);
	}
	return -1;
}

int script_check(script *s, const flow *f, const char *line_override, diag_list *dl)
{
	int before = dl->nerrors;
	if (line_override) {
		s->line = find_name(f, f->nlines, line_name, line_override);
		if (s->line < 0) {
			const char *sug = suggest(f, f->nlines, line_name, line_override);
			if (sug)
				diag_add(dl, DIAG_ERROR, NULL, 0, 0, "unknown-line",
				         "--line: unknown line '%s' (did you mean '%s'?)", line_override, sug);
			else
				diag_add(dl, DIAG_ERROR, NULL, 0, 0, "unknown-line",
				         "--line: unknown line '%s'", line_override);
		}
	} else {
		s->line = resolve(s, f, dl, s->line_line, s->line_col, "line", f->nlines,
		                  line_name, s->line_name);
	}
	s->lang_idx = -1;
	if (s->lang)
		s->lang_idx = resolve(s, f, dl, s->lang_line, s->lang_col, "language",
		                      f->nlangs, lang_name, s->lang);
	for (int i = 0; i < s->nvars; i++) {
		script_var *v = &s->vars[i];
		v->idx = script_var_idx(s, f, dl, v->line, v->col, v->name);
		if (v->idx >= 0 && strlen(v->value) >= CALL_VAR_LEN)
			diag_add(dl, DIAG_ERROR, s->path, v->line, v->col, "var-too-long",
			         "value of '%s' is longer than %d bytes", v->name, CALL_VAR_LEN - 1);
	}
	for (int i = 0; i < s->nexpects; i++) {
		script_expect *e = &s->expects[i];
		switch (e->kind) {
		case SCRIPT_EXP_VISIT:
		case SCRIPT_EXP_NEVER:
			e->idx = resolve(s, f, dl, e->line, e->name_col, "node", f->nnodes, node_name, e->name);
			break;
		case SCRIPT_EXP_QUEUE:
			e->idx = resolve(s, f, dl, e->line, e->name_col, "queue", f->nqueues, queue_name, e->name);
			break;
		case SCRIPT_EXP_OFFICE:
			e->idx = resolve(s, f, dl, e->line, e->name_col, "office", f->noffices, office_name, e->name);
			break;
		case SCRIPT_EXP_VAR:
			e->idx = script_var_idx(s, f, dl, e->line, e->name_col, e->name);
			break;
		case SCRIPT_EXP_PROMPT:
		case SCRIPT_EXP_NEVER_PROMPT:
			e->idx = resolve(s, f, dl, e->line, e->name_col, "prompt", f->nprompts, prompt_name, e->name);
			break;
		case SCRIPT_EXP_OUTCOME:
			check_outcome(s, f, dl, e);
			break;
		}
	}
	return dl->nerrors > before ? 2 : 0;
}

/* ---- writing ------------------------------------------------------------ */

void script_fmt_secs(int64_t ms, char *out, size_t n)
{
	int64_t whole = ms / 1000, frac = ms % 1000;
	if (frac == 0)
		snprintf(out, n, "%lld", (long long)whole);
	else if (frac % 100 == 0)
		snprintf(out, n, "%lld.%lld", (long long)whole, (long long)(frac / 100));
	else if (frac % 10 == 0)
		snprintf(out, n, "%lld.%02lld", (long long)whole, (long long)(frac / 10));
	else
		snprintf(out, n, "%lld.%03lld", (long long)whole, (long long)frac);
}

static void put_string(buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		switch (*s) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default: buf_putc(b, *s);
		}
	}
	buf_putc(b, '"');
}

void script_write(const script *s, buf *out)
{
	buf_printf(out, "call %s", s->line_name ? s->line_name : "main");
	if (s->lang)
		buf_printf(out, " lang %s", s->lang);
	for (int i = 0; i < s->nvars; i++) {
		buf_printf(out, " var %s ", s->vars[i].name);
		put_string(out, s->vars[i].value);
	}
	if (s->has_at) {
		int y, m, d;
		int64_t days = s->start / UTIL_MS_PER_DAY;
		int64_t rem = s->start % UTIL_MS_PER_DAY;
		util_civil_from_days(days, &y, &m, &d);
		buf_printf(out, " at %04d-%02d-%02d %02d:%02d", y, m, d,
		           (int)(rem / 3600000), (int)(rem / 60000 % 60));
		if (rem % 60000)
			buf_printf(out, ":%02d", (int)(rem / 1000 % 60));
	}
	buf_putc(out, '\n');
	for (int i = 0; i < s->nsteps; i++) {
		const script_step *st = &s->steps[i];
		char t[32];
		script_fmt_secs(st->t, t, sizeof t);
		buf_printf(out, "%s %s", t, script_step_name(st->kind));
		if (st->kind == SCRIPT_PRESS) {
			buf_printf(out, " %s", st->keys);
			if (st->every_ms != SCRIPT_KEY_GAP_MS && st->nkeys > 1)
				buf_printf(out, " every %ums", st->every_ms);
		}
		buf_putc(out, '\n');
	}
	for (int i = 0; i < s->nexpects; i++) {
		const script_expect *e = &s->expects[i];
		buf_printf(out, "expect %s %s", script_expect_name(e->kind), e->name);
		if (e->kind == SCRIPT_EXP_VAR && e->value) {
			buf_putc(out, ' ');
			put_string(out, e->value);
		}
		buf_putc(out, '\n');
	}
}
