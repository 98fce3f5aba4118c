/*
 * lex.h — the lexer shared by tierline's little languages (flow files,
 * scenarios, call scripts).
 *
 * The lexical rules are the flow language's (docs: /work/shared/spec/
 * flow-language.md, "Lexical rules"):
 *   - UTF-8 text; a NUL byte or an invalid UTF-8 sequence is an error
 *     reported once, at its position, and the file yields no tokens;
 *   - `#` comments to end of line, except inside a key string;
 *   - a statement ends at a newline or `;` (both give LEX_EOS);
 *   - identifiers [A-Za-z_][A-Za-z0-9_-]* (a `-` directly before `>` is
 *     not taken, so `failure->x` reads as failure, ->, x);
 *   - strings "..." with \" \\ \n \t escapes, on one line;
 *   - numbers, durations (250ms 5s 1.5s 2m 1h 1h30m 15d -> whole ms),
 *     percents (75% 12.5%), clocks HH:MM (00:00..24:00, as minutes),
 *     dates YYYY-MM-DD (as YYYYMMDD);
 *   - key strings: the token after a statement-leading key word (the
 *     caller lists them, e.g. "option", "terminator", "press") is a run of
 *     DTMF keys in which `#` and `*` are keys; lex_expect_keys() asks for
 *     one explicitly (a scenario's menu-share entries);
 *   - `{` `}` are tracked: nesting deeper than LEX_MAX_DEPTH is an error
 *     that ends the file (no recursion anywhere, so no blow-up), and an
 *     unclosed `{` or a stray `}` is reported by the lexer itself.
 *
 * The lexer reports its own errors into the diag_list and then returns a
 * LEX_ERROR token, so a parser only has to resynchronise (skip to the next
 * LEX_EOS or brace) without printing a second message.
 *
 * Decoded values (identifier, string and key text) are copied into the
 * caller's arena, so tokens stay valid as long as that arena.
 */
#ifndef TIERLINE_LEX_H
#define TIERLINE_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tierline/diag.h"
#include "tierline/util.h"

#define LEX_MAX_DEPTH 64        /* deepest `{` nesting accepted */
#define LEX_MAX_IDENT 255       /* longest identifier / key string */
#define LEX_MAX_STRING 65535    /* longest string literal */

typedef enum lex_kind {
	LEX_EOF,
	LEX_EOS,        /* newline or ';' */
	LEX_LBRACE, LEX_RBRACE,
	LEX_ARROW,      /* -> */
	LEX_COMMA,
	LEX_DASH,       /* a lone '-', as in 08:00-17:00 */
	LEX_DOTDOT,     /* .. as in digits 10..13 */
	LEX_IDENT,
	LEX_STRING,
	LEX_NUMBER,     /* bare number: num (and ival when is_int) */
	LEX_DURATION,   /* ms */
	LEX_PERCENT,    /* num = 75 for 75% */
	LEX_CLOCK,      /* ival = minutes since midnight, 0..1440 */
	LEX_DATE,       /* ival = YYYYMMDD */
	LEX_KEYS,       /* str = the key run, unvalidated */
	LEX_ERROR       /* already reported */
} lex_kind;

typedef struct lex_token {
	lex_kind kind;
	int line, col;          /* 1-based, columns in characters */
	const char *text;       /* raw source of the token */
	size_t len;
	const char *str;        /* IDENT, STRING, KEYS: decoded, NUL-terminated */
	double num;             /* NUMBER, PERCENT */
	int64_t ival;           /* NUMBER when is_int, CLOCK, DATE, DURATION (ms) */
	bool is_int;
} lex_token;

typedef struct lexer {
	const char *file;
	const char *src, *end, *p;
	int line, col;
	arena *mem;
	diag_list *dl;
	int nerrors;                    /* errors this lexer reported */
	const char *const *key_words;   /* NULL-terminated, or NULL */
	bool stmt_start;                /* next token starts a statement */
	bool keys_next;                 /* next token is a key string */
	bool dead;                      /* stop: return LEX_EOF */
	int end_line, end_col;          /* just after the last token but an end of line */
	bool quiet;                     /* recovering: errors make LEX_ERROR
	                                 * tokens but no diagnostics */
	int depth;
	int open_line[LEX_MAX_DEPTH], open_col[LEX_MAX_DEPTH];
} lexer;

/* Start lexing text[0..len) (need not be NUL-terminated).  Validates UTF-8
 * and NUL bytes first; on failure reports once and yields only LEX_EOF. */
void lex_init(lexer *lx, const char *file, const char *text, size_t len,
              arena *mem, diag_list *dl);
/* Words that, leading a statement, make the next token a key string. */
void lex_set_key_words(lexer *lx, const char *const *words);
/* The next token is a key string (when one follows on this line). */
void lex_expect_keys(lexer *lx);
/* The next token; LEX_EOF forever at the end. */
void lex_next(lexer *lx, lex_token *t);

/* "identifier 'x'", "string", "newline", ... for messages. */
const char *lex_kind_name(lex_kind k);
/* Describe a token for "expected X, found Y" messages into out. */
void lex_describe(const lex_token *t, char *out, size_t n);

/* Checks a buffer: returns 0 when it is NUL-free valid UTF-8, else 1 for a
 * NUL byte, 2 for invalid UTF-8, with *bad the offset of the first one. */
int lex_check_utf8(const char *s, size_t len, size_t *bad);

/* Parse a duration string like "1h30m" on its own: 0 and *ms, or -1. */
int lex_parse_duration(const char *s, size_t len, int64_t *ms);

#endif
