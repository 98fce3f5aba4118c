/* test_util.c — arena, buf, local time, diagnostics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "tierline/util.h"
#include "tierline/diag.h"

static void test_civil_roundtrip(void **state)
{
	(void)state;
	assert_int_equal(util_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(util_days_from_civil(2000, 3, 1), 11017);
	for (int64_t d = -800000; d < 800000; d += 997) {
		int y, m, dd;
		util_civil_from_days(d, &y, &m, &dd);
		assert_int_equal(util_days_from_civil(y, m, dd), d);
	}
}

static void test_weekday_and_format(void **state)
{
	(void)state;
	/* 2026-11-30 is a Monday; 2026-01-05 too. */
	int64_t t = util_days_from_civil(2026, 11, 30) * UTIL_MS_PER_DAY + 7 * 3600000LL;
	assert_int_equal(util_weekday(t), 0);
	assert_int_equal(util_weekday(util_days_from_civil(2026, 1, 4) * UTIL_MS_PER_DAY), 6);
	assert_int_equal(util_yyyymmdd(t), 20261130);
	assert_int_equal(util_minute_of_day(t + 90 * 60000), 8 * 60 + 30);
	char s[32];
	util_fmt_local(t, false, s, sizeof s);
	assert_string_equal(s, "2026-11-30T07:00");
	util_fmt_local(t + 5250, true, s, sizeof s);
	assert_string_equal(s, "2026-11-30T07:00:05.250");
	assert_int_equal(util_weekday(-1), 2); /* 1969-12-31 was a Wednesday */
}

static void test_arena_and_buf(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	char *big = arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	assert_int_equal(big[12345], 0);
	char *s = arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	arena_free(&a);
	buf b;
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(strncmp(b.p, "0,1,2,", 6), 0);
	char *p = buf_take(&b);
	assert_null(b.p);
	free(p);
}

static void test_diag_sort_and_suggest(void **state)
{
	(void)state;
	diag_list dl;
	diag_init(&dl);
	diag_add(&dl, DIAG_WARNING, "a.flow", 9, 1, "x", "late");
	diag_add(&dl, DIAG_ERROR, "b.flow", 1, 1, "y", "other file");
	diag_add(&dl, DIAG_ERROR, "a.flow", 2, 5, "z", "early %d", 7);
	diag_sort(&dl);
	assert_string_equal(dl.items[0].message, "early 7");
	assert_string_equal(dl.items[1].message, "late");
	assert_string_equal(dl.items[2].file, "b.flow");
	assert_int_equal(dl.nerrors, 2);
	assert_int_equal(dl.nwarnings, 1);
	diag_free(&dl);
	const char *c[] = { "tier1", "tier2", "main_menu", "supervisor" };
	assert_string_equal(diag_suggest("tier_one", c, 4) ? "x" : "none", "none");
	assert_string_equal(diag_suggest("supervsor", c, 4), "supervisor");
	assert_string_equal(diag_suggest("main_mnu", c, 4), "main_menu");
	assert_null(diag_suggest("zzzzzz", c, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil_roundtrip),
		cmocka_unit_test(test_weekday_and_format),
		cmocka_unit_test(test_arena_and_buf),
		cmocka_unit_test(test_diag_sort_and_suggest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
