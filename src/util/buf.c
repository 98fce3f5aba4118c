/*
 * buf.c — growable strings and whole-file reads.
 * Out of memory aborts here on purpose: a half-built string is never a
 * useful value, and every caller would otherwise need the same check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tierline/util.h"

static void buf_grow(buf *b, size_t need)
{
	if (b->len + need + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + need + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		abort();
	b->p = p;
	b->cap = cap;
}

void buf_init(buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void buf_free(buf *b)
{
	free(b->p);
	buf_init(b);
}

void buf_putn(buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_putc(buf *b, char c)
{
	buf_putn(b, &c, 1);
}

void buf_puts(buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}

void buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_take(buf *b)
{
	char *p = b->p;
	if (!p) {
		p = malloc(1);
		if (!p)
			abort();
		p[0] = '\0';
	}
	buf_init(b);
	return p;
}

int util_read_file(const char *path, char **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -1;
	struct stat st;
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		errno = EISDIR;
		return -1;
	}
	buf b;
	buf_init(&b);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_putn(&b, chunk, n);
	int err = ferror(fp) ? errno : 0;
	fclose(fp);
	if (err) {
		buf_free(&b);
		errno = err;
		return -1;
	}
	*len = b.len;
	*out = buf_take(&b);
	return 0;
}
