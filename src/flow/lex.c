/*
 * lex.c — tokens for flow files (and, reused, scenarios and call scripts).
 *
 * One pass, no backtracking beyond a few bytes of lookahead, no recursion.
 * Invariant: lx->p never passes lx->end, and every path that reports an
 * error also consumes at least one byte, so the lexer always terminates.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tierline/lex.h"

int lex_check_utf8(const char *s, size_t len, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = u[i];
		if (c == 0) {
			*bad = i;
			return 1;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned min, cp;
		if (c >= 0xC2 && c <= 0xDF) { n = 1; min = 0x80; cp = c & 0x1F; }
		else if (c >= 0xE0 && c <= 0xEF) { n = 2; min = 0x800; cp = c & 0x0F; }
		else if (c >= 0xF0 && c <= 0xF4) { n = 3; min = 0x10000; cp = c & 0x07; }
		else { *bad = i; return 2; }
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (u[i + k] & 0xC0) != 0x80) {
				*bad = i;
				return 2;
			}
			cp = (cp << 6) | (u[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
			*bad = i;
			return 2;
		}
		i += n + 1;
	}
	return 0;
}

static void position_of(const char *s, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)s[i] & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

void lex_init(lexer *lx, const char *file, const char *text, size_t len,
              arena *mem, diag_list *dl)
{
	memset(lx, 0, sizeof *lx);
	lx->file = file;
	lx->src = lx->p = text;
	lx->end = text + len;
	lx->line = lx->col = 1;
	lx->mem = mem;
	lx->dl = dl;
	lx->stmt_start = true;
	size_t bad = 0;
	int r = lex_check_utf8(text, len, &bad);
	if (r) {
		int l, c;
		position_of(text, bad, &l, &c);
		if (r == 1)
			diag_add(dl, DIAG_ERROR, file, l, c, "nul-byte",
			         "NUL byte in file (tierline reads UTF-8 text only)");
		else
			diag_add(dl, DIAG_ERROR, file, l, c, "bad-utf8",
			         "invalid UTF-8 (byte 0x%02x); tierline reads UTF-8 text only",
			         (unsigned char)text[bad]);
		lx->nerrors++;
		lx->dead = true;
		return;
	}
	/* A UTF-8 byte order mark is harmless; skip it. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		lx->p += 3;
}

void lex_set_key_words(lexer *lx, const char *const *words)
{
	lx->key_words = words;
}

void lex_expect_keys(lexer *lx)
{
	lx->keys_next = true;
}

static void error_at(lexer *lx, int line, int col, const char *code,
                     const char *fmt, const char *a, const char *b)
{
	/* A parser skipping the rest of a bad statement has reported it; what
	 * else is wrong in that statement would only repeat the one mistake. */
	if (lx->quiet)
		return;
	diag_add(lx->dl, DIAG_ERROR, lx->file, line, col, code, fmt, a, b);
	lx->nerrors++;
}

/* The file's structure (braces) is wrong: said even while a statement is
 * skipped, since no statement's error covers it. */
static void structure_error(lexer *lx, int line, int col, const char *code, const char *msg)
{
	diag_add(lx->dl, DIAG_ERROR, lx->file, line, col, code, "%s%s", msg, "");
	lx->nerrors++;
}

/* Advance one byte, keeping the column in characters. */
static void adv(lexer *lx)
{
	if (lx->p >= lx->end)
		return;
	unsigned char c = (unsigned char)*lx->p++;
	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		lx->col++;
	}
}

static int peekc(const lexer *lx, size_t k)
{
	return lx->p + k < lx->end ? (unsigned char)lx->p[k] : -1;
}

static bool is_ident_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_key_char(const lexer *lx)
{
	int c = peekc(lx, 0);
	if (c < 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' ||
	    c == '{' || c == '}' || c == '"')
		return false;
	if (c == '-' && peekc(lx, 1) == '>')
		return false;
	return true;
}

int lex_parse_duration(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0;
	double total = 0;
	if (len == 0)
		return -1;
	while (i < len) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		double v = 0;
		while (i < len && is_digit((unsigned char)s[i])) {
			v = v * 10 + (s[i] - '0');
			if (v > 1e15)
				return -1;
			i++;
		}
		if (i < len && s[i] == '.') {
			i++;
			if (i >= len || !is_digit((unsigned char)s[i]))
				return -1;
			double scale = 0.1;
			while (i < len && is_digit((unsigned char)s[i])) {
				v += (s[i] - '0') * scale;
				scale /= 10;
				i++;
			}
		}
		double unit;
		if (i + 1 < len && s[i] == 'm' && s[i + 1] == 's') {
			unit = 1;
			i += 2;
		} else if (i < len && s[i] == 's') {
			unit = 1000; i++;
		} else if (i < len && s[i] == 'm') {
			unit = 60000; i++;
		} else if (i < len && s[i] == 'h') {
			unit = 3600000; i++;
		} else if (i < len && s[i] == 'd') {
			unit = 86400000; i++;
		} else {
			return -1;
		}
		total += v * unit;
		/* A century is more than any timer or due date needs; beyond it the
		 * value is surely a typo and would overflow 32-bit fields. */
		if (total > 100.0 * 366 * 86400000.0)
			return -1;
	}
	*ms = (int64_t)llround(total);
	return 0;
}

static void set_text(lexer *lx, lex_token *t, const char *start)
{
	t->text = start;
	t->len = (size_t)(lx->p - start);
}

static void lex_string(lexer *lx, lex_token *t)
{
	const char *start = lx->p;
	int line = lx->line, col = lx->col;
	adv(lx);   /* opening quote */
	buf b;
	buf_init(&b);
	bool bad = false;
	for (;;) {
		int c = peekc(lx, 0);
		if (c < 0 || c == '\n') {
			error_at(lx, line, col, "unterminated-string",
			         "unterminated string (a string ends with '\"' on the same line)%s%s",
			         "", "");
			t->kind = LEX_ERROR;
			buf_free(&b);
			set_text(lx, t, start);
			return;
		}
		if (c == '"') {
			adv(lx);
			break;
		}
		if (c == '\\') {
			int e = peekc(lx, 1);
			char out = 0;
			switch (e) {
			case '"': out = '"'; break;
			case '\\': out = '\\'; break;
			case 'n': out = '\n'; break;
			case 't': out = '\t'; break;
			default: break;
			}
			if (!out) {
				char esc[8];
				if (e < 0 || e == '\n') {
					adv(lx);
					continue;   /* reported as unterminated next round */
				}
				snprintf(esc, sizeof esc, "\\%c", e < 0x80 ? e : '?');
				error_at(lx, lx->line, lx->col, "bad-escape",
				         "unknown escape '%s' in string (use \\\" \\\\ \\n \\t)%s",
				         esc, "");
				bad = true;
				adv(lx);
				adv(lx);
				continue;
			}
			buf_putc(&b, out);
			adv(lx);
			adv(lx);
			continue;
		}
		buf_putc(&b, (char)c);
		adv(lx);
	}
	set_text(lx, t, start);
	if (b.len > LEX_MAX_STRING) {
		error_at(lx, line, col, "string-too-long",
		         "string is too long (more than 65535 bytes)%s%s", "", "");
		bad = true;
	}
	if (bad) {
		t->kind = LEX_ERROR;
	} else {
		t->kind = LEX_STRING;
		t->str = arena_strndup(lx->mem, b.p ? b.p : "", b.len);
	}
	buf_free(&b);
}

static int digits_at(const lexer *lx, size_t k)
{
	int n = 0;
	while (is_digit(peekc(lx, k + (size_t)n)))
		n++;
	return n;
}

static int num_at(const lexer *lx, size_t k, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (lx->p[k + (size_t)i] - '0');
	return v;
}

/* The value of digits[.digits] in s[0..n) (the source need not be
 * NUL-terminated, so no strtod). */
static double number_value(const char *s, size_t n)
{
	double v = 0, scale = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			scale = 0.1;
		} else if (scale > 0) {
			v += (s[i] - '0') * scale;
			scale /= 10;
		} else {
			v = v * 10 + (s[i] - '0');
		}
	}
	return v;
}


/* `1e5`, `2.5E-3`: scientific notation, which the languages do not read
 * (a letter after a number starts its unit); said as such rather than as a
 * bad duration. */
static bool is_exponent(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i == 0 || i >= n || (s[i] != 'e' && s[i] != 'E'))
		return false;
	i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || !is_digit((unsigned char)s[i]))
		return false;
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	return i == n;
}

static void lex_number(lexer *lx, lex_token *t)
{
	const char *start = lx->p;
	int line = lx->line, col = lx->col;
	int nd = digits_at(lx, 0);

	/* clock HH:MM */
	if (peekc(lx, (size_t)nd) == ':' && is_digit(peekc(lx, (size_t)nd + 1))) {
		int nm = digits_at(lx, (size_t)nd + 1);
		size_t total = (size_t)nd + 1 + (size_t)nm;
		bool trailing = is_ident_char(peekc(lx, total)) && peekc(lx, total) != '-';
		int hh = nd <= 2 ? num_at(lx, 0, nd) : 99;
		int mm = nm == 2 ? num_at(lx, (size_t)nd + 1, nm) : 99;
		for (size_t i = 0; i < total; i++)
			adv(lx);
		while (is_ident_char(peekc(lx, 0)) && peekc(lx, 0) != '-')
			adv(lx);
		set_text(lx, t, start);
		if (trailing || nd > 2 || nm != 2 || hh > 24 || mm > 59 || (hh == 24 && mm != 0)) {
			char tx[32];
			snprintf(tx, sizeof tx, "%.*s", (int)(t->len < 20 ? t->len : 20), start);
			error_at(lx, line, col, "bad-clock",
			         "bad clock '%s' (write HH:MM, 00:00 to 24:00)%s", tx, "");
			t->kind = LEX_ERROR;
			return;
		}
		t->kind = LEX_CLOCK;
		t->ival = hh * 60 + mm;
		return;
	}

	/* date YYYY-MM-DD */
	if (nd == 4 && peekc(lx, 4) == '-' && is_digit(peekc(lx, 5))) {
		int nm = digits_at(lx, 5);
		int ndd = (peekc(lx, 5 + (size_t)nm) == '-') ? digits_at(lx, 6 + (size_t)nm) : -1;
		size_t total = 5 + (size_t)nm + (ndd >= 0 ? 1 + (size_t)ndd : 0);
		int y = num_at(lx, 0, 4);
		int m = nm == 2 ? num_at(lx, 5, 2) : 0;
		int d = ndd == 2 ? num_at(lx, 6 + (size_t)nm, 2) : 0;   /* after YYYY-M(M)- */
		for (size_t i = 0; i < total; i++)
			adv(lx);
		bool trailing = false;
		while (is_ident_char(peekc(lx, 0)) && !(peekc(lx, 0) == '-' && peekc(lx, 1) == '>')) {
			trailing = true;
			adv(lx);
		}
		set_text(lx, t, start);
		static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (trailing || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
		    (m == 2 && d == 29 && !leap)) {
			char tx[40];
			snprintf(tx, sizeof tx, "%.*s", (int)(t->len < 30 ? t->len : 30), start);
			error_at(lx, line, col, "bad-date",
			         "bad date '%s' (write YYYY-MM-DD, a real calendar day)%s", tx, "");
			t->kind = LEX_ERROR;
			return;
		}
		t->kind = LEX_DATE;
		t->ival = y * 10000 + m * 100 + d;
		return;
	}

	/* The number, with an optional fraction. */
	size_t k = (size_t)nd;
	if (peekc(lx, k) == '.' && is_digit(peekc(lx, k + 1)))
		k += 1 + (size_t)digits_at(lx, k + 1);
	if (peekc(lx, k) == '%') {
		for (size_t i = 0; i <= k; i++)
			adv(lx);
		set_text(lx, t, start);
		t->kind = LEX_PERCENT;
		t->num = number_value(start, k);
		return;
	}
	int c = peekc(lx, k);
	if (is_ident_start(c)) {
		/* A duration: the run of letters, digits and fractions. */
		while (is_ident_start(peekc(lx, k)) || is_digit(peekc(lx, k)) ||
		       (peekc(lx, k) == '.' && is_digit(peekc(lx, k + 1))))
			k++;
		for (size_t i = 0; i < k; i++)
			adv(lx);
		set_text(lx, t, start);
		int64_t ms;
		if (lex_parse_duration(start, t->len, &ms) != 0) {
			char tx[40];
			snprintf(tx, sizeof tx, "%.*s%s", (int)(t->len < 30 ? t->len : 30), start,
			         t->len > 30 ? "..." : "");
			if (is_exponent(start, t->len))
				error_at(lx, line, col, "bad-number",
				         "'%s' has an exponent: numbers are written out in digits "
				         "(e.g. 1500, 2.5)%s", tx, "");
			else
				error_at(lx, line, col, "bad-duration",
				         "bad duration '%s' (a number and a unit: ms, s, m, h or d, "
				         "e.g. 1h30m)%s", tx, "");
			t->kind = LEX_ERROR;
			return;
		}
		t->kind = LEX_DURATION;
		t->ival = ms;
		return;
	}
	for (size_t i = 0; i < k; i++)
		adv(lx);
	set_text(lx, t, start);
	t->kind = LEX_NUMBER;
	t->num = number_value(start, k);
	t->is_int = (size_t)nd == k && nd <= 15;
	if (t->is_int)
		t->ival = (int64_t)t->num;
}

static void lex_keys(lexer *lx, lex_token *t)
{
	const char *start = lx->p;
	int line = lx->line, col = lx->col;
	while (is_key_char(lx))
		adv(lx);
	set_text(lx, t, start);
	if (t->len > LEX_MAX_IDENT) {
		error_at(lx, line, col, "keys-too-long",
		         "key string is too long (more than 255 keys)%s%s", "", "");
		t->kind = LEX_ERROR;
		return;
	}
	t->kind = LEX_KEYS;
	t->str = arena_strndup(lx->mem, start, t->len);
}

static bool is_key_word(const lexer *lx, const char *s, size_t n)
{
	if (!lx->key_words)
		return false;
	for (const char *const *w = lx->key_words; *w; w++)
		if (strlen(*w) == n && memcmp(*w, s, n) == 0)
			return true;
	return false;
}

static void lex_next_(lexer *lx, lex_token *t);

/* The next token.  An end of line is placed just after the line's last
 * token (before any comment or blanks), where "expected ... found end of
 * line" means the missing word goes. */
void lex_next(lexer *lx, lex_token *t)
{
	lex_next_(lx, t);
	if (t->kind == LEX_EOS) {
		if (lx->end_line == t->line && t->len && t->text[0] == '\n')
			t->col = lx->end_col;
	} else {
		lx->end_line = lx->line;
		lx->end_col = lx->col;
	}
}

static void lex_next_(lexer *lx, lex_token *t)
{
	memset(t, 0, sizeof *t);
	bool keys = lx->keys_next;
	lx->keys_next = false;
	bool stmt_start = lx->stmt_start;
	lx->stmt_start = false;
	for (;;) {
		if (lx->dead) {
			t->kind = LEX_EOF;
			t->line = lx->line;
			t->col = lx->col;
			return;
		}
		int c = peekc(lx, 0);
		while (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			adv(lx);
			c = peekc(lx, 0);
		}
		t->line = lx->line;
		t->col = lx->col;
		t->text = lx->p;
		if (keys && is_key_char(lx)) {
			lex_keys(lx, t);
			return;
		}
		keys = false;
		if (c == '#') {
			while (peekc(lx, 0) >= 0 && peekc(lx, 0) != '\n')
				adv(lx);
			continue;
		}
		if (c < 0) {
			if (lx->depth > 0) {
				int d = lx->depth - 1;
				if (d >= LEX_MAX_DEPTH)
					d = LEX_MAX_DEPTH - 1;
				structure_error(lx, lx->open_line[d], lx->open_col[d], "unbalanced-braces",
				                "unbalanced braces: this '{' is never closed");
				lx->depth = 0;
			}
			lx->dead = true;
			continue;
		}
		const char *start = lx->p;
		switch (c) {
		case '\n':
		case ';':
			adv(lx);
			t->kind = LEX_EOS;
			lx->stmt_start = true;
			set_text(lx, t, start);
			return;
		case '{':
			if (lx->depth >= LEX_MAX_DEPTH) {
				structure_error(lx, t->line, t->col, "too-deep",
				                "blocks nested more than 64 deep; giving up on this file");
				lx->dead = true;
				lx->depth = 0;
				t->kind = LEX_ERROR;
				return;
			}
			lx->open_line[lx->depth] = t->line;
			lx->open_col[lx->depth] = t->col;
			lx->depth++;
			adv(lx);
			t->kind = LEX_LBRACE;
			lx->stmt_start = true;
			set_text(lx, t, start);
			return;
		case '}':
			adv(lx);
			set_text(lx, t, start);
			lx->stmt_start = true;
			if (lx->depth == 0) {
				structure_error(lx, t->line, t->col, "unbalanced-braces",
				                "unbalanced braces: '}' without a matching '{'");
				t->kind = LEX_ERROR;
				return;
			}
			lx->depth--;
			t->kind = LEX_RBRACE;
			return;
		case ',':
			adv(lx);
			t->kind = LEX_COMMA;
			set_text(lx, t, start);
			return;
		case '-':
			adv(lx);
			if (peekc(lx, 0) == '>') {
				adv(lx);
				t->kind = LEX_ARROW;
			} else {
				t->kind = LEX_DASH;
			}
			set_text(lx, t, start);
			return;
		case '.':
			if (peekc(lx, 1) == '.') {
				adv(lx);
				adv(lx);
				t->kind = LEX_DOTDOT;
				set_text(lx, t, start);
				return;
			}
			break;
		case '"':
			lex_string(lx, t);
			return;
		default:
			break;
		}
		if (is_digit(c)) {
			lex_number(lx, t);
			return;
		}
		if (is_ident_start(c)) {
			while (is_ident_char(peekc(lx, 0)) &&
			       !(peekc(lx, 0) == '-' && peekc(lx, 1) == '>'))
				adv(lx);
			set_text(lx, t, start);
			if (t->len > LEX_MAX_IDENT) {
				char n[32];
				snprintf(n, sizeof n, "%zu", t->len);
				error_at(lx, t->line, t->col, "ident-too-long",
				         "identifier is too long (%s characters; at most 255)%s", n, "");
				t->kind = LEX_ERROR;
				return;
			}
			t->kind = LEX_IDENT;
			t->str = arena_strndup(lx->mem, start, t->len);
			if (stmt_start && is_key_word(lx, start, t->len))
				lx->keys_next = true;
			return;
		}
		/* Anything else is one bad character (a whole UTF-8 sequence). */
		char shown[16];
		if (c >= 0x80) {
			unsigned cp = 0;
			int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
			cp = (unsigned)c & (0x3F >> n);
			for (int i = 1; i <= n; i++)
				cp = (cp << 6) | ((unsigned)peekc(lx, (size_t)i) & 0x3F);
			snprintf(shown, sizeof shown, "U+%04X", cp);
			for (int i = 0; i <= n; i++)
				adv(lx);
		} else if (c < 0x20 || c == 0x7F) {
			snprintf(shown, sizeof shown, "0x%02x", c);
			adv(lx);
		} else {
			snprintf(shown, sizeof shown, "'%c'", c);
			adv(lx);
		}
		error_at(lx, t->line, t->col, "bad-char", "unexpected character %s%s", shown, "");
		set_text(lx, t, start);
		t->kind = LEX_ERROR;
		return;
	}
}

const char *lex_kind_name(lex_kind k)
{
	switch (k) {
	case LEX_EOF: return "end of file";
	case LEX_EOS: return "end of statement";
	case LEX_LBRACE: return "'{'";
	case LEX_RBRACE: return "'}'";
	case LEX_ARROW: return "'->'";
	case LEX_COMMA: return "','";
	case LEX_DASH: return "'-'";
	case LEX_DOTDOT: return "'..'";
	case LEX_IDENT: return "identifier";
	case LEX_STRING: return "string";
	case LEX_NUMBER: return "number";
	case LEX_DURATION: return "duration";
	case LEX_PERCENT: return "percent";
	case LEX_CLOCK: return "clock";
	case LEX_DATE: return "date";
	case LEX_KEYS: return "keys";
	case LEX_ERROR: return "bad token";
	}
	return "token";
}

void lex_describe(const lex_token *t, char *out, size_t n)
{
	switch (t->kind) {
	case LEX_EOS:
		snprintf(out, n, "%s", t->len && t->text[0] == ';' ? "';'" : "end of line");
		break;
	case LEX_IDENT:
	case LEX_NUMBER:
	case LEX_DURATION:
	case LEX_PERCENT:
	case LEX_CLOCK:
	case LEX_DATE:
	case LEX_KEYS:
	case LEX_STRING:
		snprintf(out, n, "%s '%.*s%s'", lex_kind_name(t->kind),
		         (int)(t->len > 40 ? 40 : t->len), t->text, t->len > 40 ? "..." : "");
		break;
	default:
		snprintf(out, n, "%s", lex_kind_name(t->kind));
	}
}
