/*
 * localtime.c — civil dates and "local ms" (see util.h).
 * Howard Hinnant's days_from_civil algorithm: exact for every Gregorian date,
 * no tables, no time-zone database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tierline/util.h"

int64_t util_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void util_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int util_weekday(int64_t local_ms)
{
	int64_t days = floor_div(local_ms, UTIL_MS_PER_DAY);
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	int64_t w = (days + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

int util_yyyymmdd(int64_t local_ms)
{
	int y, m, d;
	util_civil_from_days(floor_div(local_ms, UTIL_MS_PER_DAY), &y, &m, &d);
	return y * 10000 + m * 100 + d;
}

int util_minute_of_day(int64_t local_ms)
{
	int64_t days = floor_div(local_ms, UTIL_MS_PER_DAY);
	return (int)((local_ms - days * UTIL_MS_PER_DAY) / 60000);
}

void util_fmt_local(int64_t local_ms, bool seconds, char *out, size_t n)
{
	int64_t days = floor_div(local_ms, UTIL_MS_PER_DAY);
	int64_t rem = local_ms - days * UTIL_MS_PER_DAY;
	int y, m, d;
	util_civil_from_days(days, &y, &m, &d);
	int hh = (int)(rem / 3600000), mm = (int)(rem / 60000 % 60);
	if (seconds)
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", y, m, d, hh, mm,
		         (int)(rem / 1000 % 60), (int)(rem % 1000));
	else
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d", y, m, d, hh, mm);
}

/* Switch the process's time zone to tz (kept when tz is NULL or empty) and
 * return what tz_leave needs to put the previous one back.  TZ is process
 * state: only single-threaded callers use these. */
static char *tz_enter(const char *tz)
{
	char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	if (tz && *tz)
		setenv("TZ", tz, 1);
	tzset();
	return saved;
}

static void tz_leave(char *saved)
{
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

int64_t util_now_local_ms(const char *tz)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t secs = ts.tv_sec;
	struct tm tm;
	/* TZ is process state; only the single-threaded console and server call
	 * this, and they restore the previous value. */
	char *saved = tz_enter(tz);
	localtime_r(&secs, &tm);
	tz_leave(saved);
	int64_t days = util_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	return days * UTIL_MS_PER_DAY + (int64_t)tm.tm_hour * 3600000 +
	       (int64_t)tm.tm_min * 60000 + (int64_t)tm.tm_sec * 1000 + ts.tv_nsec / 1000000;
}

void util_tzconv_init(util_tzconv *c, const char *tz)
{
	c->tz = tz && *tz ? tz : NULL;
	c->hour = INT64_MIN;
	c->offset_ms = 0;
}

int64_t util_tzconv_utc_ms(util_tzconv *c, int64_t local_ms)
{
	if (!c->tz)
		return local_ms;
	int64_t hour = local_ms >= 0 ? local_ms / 3600000 : -((-local_ms + 3599999) / 3600000);
	if (hour != c->hour) {
		int64_t days = hour >= 0 ? hour / 24 : -((-hour + 23) / 24);
		int y, m, d;
		util_civil_from_days(days, &y, &m, &d);
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		tm.tm_hour = (int)(hour - days * 24);
		tm.tm_isdst = -1;
		char *saved = tz_enter(c->tz);
		time_t utc = mktime(&tm);
		tz_leave(saved);
		c->hour = hour;
		c->offset_ms = hour * 3600000 - (int64_t)utc * 1000;
	}
	return local_ms - c->offset_ms;
}
