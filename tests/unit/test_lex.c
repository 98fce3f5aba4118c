/* test_lex.c — the shared lexer: every token kind, positions, key strings,
 * bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tierline/lex.h"

static const char *const kw[] = { "option", "terminator", NULL };

typedef struct lx_fixture {
	arena a;
	diag_list dl;
	lexer lx;
} lx_fixture;

static lx_fixture *open_text(const char *text, size_t len)
{
	lx_fixture *f = calloc(1, sizeof *f);
	arena_init(&f->a);
	diag_init(&f->dl);
	lex_init(&f->lx, "t.flow", text, len, &f->a, &f->dl);
	lex_set_key_words(&f->lx, kw);
	return f;
}

static void close_fixture(lx_fixture *f)
{
	arena_free(&f->a);
	diag_free(&f->dl);
	free(f);
}

static lex_token tok(lx_fixture *f)
{
	lex_token t;
	lex_next(&f->lx, &t);
	return t;
}

static void test_values(void **state)
{
	(void)state;
	const char *s = "timeout 5s 250ms 1.5s 1h30m 15d 75% 12.5% 08:00-24:00 2026-12-25 10..13 42";
	lx_fixture *f = open_text(s, strlen(s));
	lex_token t = tok(f);
	assert_int_equal(t.kind, LEX_IDENT);
	assert_string_equal(t.str, "timeout");
	t = tok(f); assert_int_equal(t.kind, LEX_DURATION); assert_int_equal(t.ival, 5000);
	t = tok(f); assert_int_equal(t.ival, 250);
	t = tok(f); assert_int_equal(t.ival, 1500);
	t = tok(f); assert_int_equal(t.ival, 5400000);
	t = tok(f); assert_int_equal(t.ival, 15LL * 86400000);
	t = tok(f); assert_int_equal(t.kind, LEX_PERCENT); assert_true(t.num == 75.0);
	t = tok(f); assert_int_equal(t.kind, LEX_PERCENT); assert_true(t.num == 12.5);
	t = tok(f); assert_int_equal(t.kind, LEX_CLOCK); assert_int_equal(t.ival, 480);
	t = tok(f); assert_int_equal(t.kind, LEX_DASH);
	t = tok(f); assert_int_equal(t.kind, LEX_CLOCK); assert_int_equal(t.ival, 1440);
	t = tok(f); assert_int_equal(t.kind, LEX_DATE); assert_int_equal(t.ival, 20261225);
	t = tok(f); assert_int_equal(t.kind, LEX_NUMBER); assert_int_equal(t.ival, 10);
	t = tok(f); assert_int_equal(t.kind, LEX_DOTDOT);
	t = tok(f); assert_int_equal(t.kind, LEX_NUMBER); assert_int_equal(t.ival, 13);
	t = tok(f); assert_int_equal(t.kind, LEX_NUMBER); assert_true(t.is_int);
	assert_int_equal(t.col, 73);
	t = tok(f); assert_int_equal(t.kind, LEX_EOF);
	t = tok(f); assert_int_equal(t.kind, LEX_EOF);
	assert_int_equal(f->dl.n, 0);
	close_fixture(f);
}

static void test_keys_and_comments(void **state)
{
	(void)state;
	const char *s = "option # -> back\nterminator #  # default\noption 12* -> x # c\n"
	                "failure->x; mon-fri\n  var option \"x\"";
	lx_fixture *f = open_text(s, strlen(s));
	lex_token t = tok(f);
	assert_string_equal(t.str, "option");
	t = tok(f); assert_int_equal(t.kind, LEX_KEYS); assert_string_equal(t.str, "#");
	t = tok(f); assert_int_equal(t.kind, LEX_ARROW);
	t = tok(f); assert_string_equal(t.str, "back");
	t = tok(f); assert_int_equal(t.kind, LEX_EOS);
	t = tok(f); assert_string_equal(t.str, "terminator");
	t = tok(f); assert_int_equal(t.kind, LEX_KEYS); assert_string_equal(t.str, "#");
	t = tok(f); assert_int_equal(t.kind, LEX_EOS);   /* the comment was skipped */
	assert_int_equal(t.line, 2);
	t = tok(f); assert_string_equal(t.str, "option");
	t = tok(f); assert_int_equal(t.kind, LEX_KEYS); assert_string_equal(t.str, "12*");
	t = tok(f); t = tok(f); assert_string_equal(t.str, "x");
	t = tok(f); assert_int_equal(t.kind, LEX_EOS);
	t = tok(f); assert_string_equal(t.str, "failure");
	t = tok(f); assert_int_equal(t.kind, LEX_ARROW);
	t = tok(f); assert_string_equal(t.str, "x");
	t = tok(f); assert_int_equal(t.kind, LEX_EOS);
	t = tok(f); assert_int_equal(t.kind, LEX_IDENT); assert_string_equal(t.str, "mon-fri");
	t = tok(f); assert_int_equal(t.kind, LEX_EOS);
	/* `option` not leading a statement is an ordinary word. */
	t = tok(f); assert_string_equal(t.str, "var");
	assert_int_equal(t.line, 5); assert_int_equal(t.col, 3);
	t = tok(f); assert_int_equal(t.kind, LEX_IDENT); assert_string_equal(t.str, "option");
	t = tok(f); assert_int_equal(t.kind, LEX_STRING); assert_string_equal(t.str, "x");
	assert_int_equal(f->dl.n, 0);
	close_fixture(f);
}

static void test_strings_and_columns(void **state)
{
	(void)state;
	const char *s = "\"a\\\"b\\\\c\\n\\t\" \"ñandú\" x";
	lx_fixture *f = open_text(s, strlen(s));
	lex_token t = tok(f);
	assert_int_equal(t.kind, LEX_STRING);
	assert_string_equal(t.str, "a\"b\\c\n\t");
	t = tok(f);
	assert_string_equal(t.str, "ñandú");
	t = tok(f);
	assert_int_equal(t.col, 23);   /* characters, not bytes */
	close_fixture(f);
}

static void expect_error(const char *text, size_t len, const char *code, int line, int col)
{
	lx_fixture *f = open_text(text, len);
	for (int i = 0; i < 100000; i++) {
		lex_token t = tok(f);
		if (t.kind == LEX_EOF)
			break;
	}
	assert_true(f->dl.nerrors >= 1);
	assert_string_equal(f->dl.items[0].code, code);
	assert_int_equal(f->dl.items[0].line, line);
	assert_int_equal(f->dl.items[0].col, col);
	close_fixture(f);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("a \"open\nb", 9, "unterminated-string", 1, 3);
	expect_error("x \"open", 7, "unterminated-string", 1, 3);
	expect_error("ab\ncd\0", 6, "nul-byte", 2, 3);
	expect_error("ab \xff", 4, "bad-utf8", 1, 4);
	expect_error("ab \xc3\x28", 5, "bad-utf8", 1, 4);
	expect_error("\xed\xa0\x80", 3, "bad-utf8", 1, 1);     /* a surrogate */
	expect_error("t 5sec", 6, "bad-duration", 1, 3);
	expect_error("t 25:00", 7, "bad-clock", 1, 3);
	expect_error("t 2026-02-30", 12, "bad-date", 1, 3);
	expect_error("a }", 3, "unbalanced-braces", 1, 3);
	expect_error("a {\n{ }", 7, "unbalanced-braces", 1, 3);
	expect_error("a @", 3, "bad-char", 1, 3);
	expect_error("\"a\\qb\"", 6, "bad-escape", 1, 3);
	char deep[200];
	memset(deep, '{', sizeof deep);
	expect_error(deep, sizeof deep, "too-deep", 1, 65);
	size_t n = 2000;
	char *id = malloc(n);
	memset(id, 'a', n);
	expect_error(id, n, "ident-too-long", 1, 1);
	free(id);
	/* A one-digit month in a date that ends the text: the day was read at
	 * a fixed offset, past the end (found by tests/fuzz; ASan sees it in
	 * a buffer of the exact size, as the sanitizer suite runs this). */
	char *dt = malloc(11);
	memcpy(dt, "t 2026-5-01", 11);
	expect_error(dt, 11, "bad-date", 1, 3);
	free(dt);
}

static void test_duration_parse(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(lex_parse_duration("1h30m", 5, &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(lex_parse_duration("2m", 2, &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(lex_parse_duration("5", 1, &ms), -1);
	assert_int_equal(lex_parse_duration("5x", 2, &ms), -1);
	assert_int_equal(lex_parse_duration("s", 1, &ms), -1);
	assert_int_equal(lex_parse_duration("99999999999d", 12, &ms), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_keys_and_comments),
		cmocka_unit_test(test_strings_and_columns),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duration_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
