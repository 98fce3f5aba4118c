/*
 * util.h — small shared helpers: an arena allocator, growable byte buffers,
 * time formatting for the engine's local-time milliseconds.
 *
 * Time convention used everywhere in tierline: an int64 count of
 * milliseconds since 1970-01-01 00:00 *local wall-clock time* of the flow's
 * timezone ("local ms").  Hours, scenarios and call scripts are all written
 * in local time, so the engine never converts time zones; only the real-time
 * console and server convert the system clock once (see util_now_local_ms).
 */
#ifndef TIERLINE_UTIL_H
#define TIERLINE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- arena: many small allocations freed at once ---------------------- */
typedef struct arena_block arena_block;
typedef struct arena {
	arena_block *head;
	size_t used_total;
} arena;

void  arena_init(arena *a);
void  arena_free(arena *a);
/* Returns zeroed memory aligned for any type; NULL only when out of memory. */
void *arena_alloc(arena *a, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
/* Copy n elements of size sz into the arena (NULL when n <= 0; aborts when
 * out of memory, as a parser's final copy has no way to go on). */
void *arena_memdup(arena *a, const void *src, int n, size_t sz);

/* ---- buf: a growable string ------------------------------------------- */
typedef struct buf {
	char *p;
	size_t len, cap;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_putc(buf *b, char c);
void buf_puts(buf *b, const char *s);
void buf_putn(buf *b, const char *s, size_t n);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Take ownership of the NUL-terminated contents; b is reset. */
char *buf_take(buf *b);

/* Read a whole file.  Returns 0 and a malloc'd NUL-terminated copy (len set),
 * or -1 with errno set. */
int util_read_file(const char *path, char **out, size_t *len);

/* ---- local time ---------------------------------------------------------- */
#define UTIL_MS_PER_DAY 86400000LL

/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
int64_t util_days_from_civil(int y, int m, int d);
void    util_civil_from_days(int64_t days, int *y, int *m, int *d);
/* 0 = Monday ... 6 = Sunday */
int     util_weekday(int64_t local_ms);
/* YYYYMMDD of a local-ms instant. */
int     util_yyyymmdd(int64_t local_ms);
/* Minutes since local midnight. */
int     util_minute_of_day(int64_t local_ms);
/* "2026-11-30T07:00" (no seconds) or with seconds "2026-11-30T07:00:05.250". */
void    util_fmt_local(int64_t local_ms, bool seconds, char *out, size_t n);
/* Local ms of time zone tz -> UTC ms, for exports that need true epochs.
 * The offset is looked up once per local hour (mktime under TZ=tz, which
 * is restored) and cached, so a run's export costs a handful of lookups.
 * With tz NULL or empty, local times are taken as UTC. */
typedef struct util_tzconv {
	const char *tz;
	int64_t hour;          /* cached local hour (local ms / 3600000), or INT64_MIN */
	int64_t offset_ms;     /* local - UTC in that hour */
} util_tzconv;
void    util_tzconv_init(util_tzconv *c, const char *tz);
int64_t util_tzconv_utc_ms(util_tzconv *c, int64_t local_ms);

/* The current time as local ms in time zone tz (e.g. "America/New_York"). */
int64_t util_now_local_ms(const char *tz);

#endif
