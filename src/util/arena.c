/*
 * arena.c — bump allocator in growing blocks; freed all at once.
 * Used for everything a parsed flow or scenario owns: one free, no leaks.
 */
#include <stdlib.h>
#include <string.h>
#include "tierline/util.h"
#include "tierline/vec.h"

struct arena_block {
	arena_block *next;
	size_t size, used;
	max_align_t data[];
};

#define ARENA_MIN_BLOCK (64 * 1024)

void arena_init(arena *a)
{
	a->head = NULL;
	a->used_total = 0;
}

void arena_free(arena *a)
{
	arena_block *b = a->head;
	while (b) {
		arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used_total = 0;
}

void *arena_alloc(arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > ARENA_MIN_BLOCK ? n : ARENA_MIN_BLOCK;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	a->used_total += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void *arena_memdup(arena *a, const void *src, int n, size_t sz)
{
	if (n <= 0)
		return NULL;
	void *d = arena_alloc(a, (size_t)n * sz);
	if (!d)
		abort();
	memcpy(d, src, (size_t)n * sz);
	return d;
}

void *util_vec_grow(void *v, int *cap, size_t elem)
{
	int c = *cap ? *cap * 2 : 8;
	void *nv = realloc(v, (size_t)c * elem);
	if (!nv)
		abort();
	*cap = c;
	return nv;
}
