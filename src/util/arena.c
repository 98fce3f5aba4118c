/*
 * arena.c — bump allocator in growing blocks; freed all at once.
 * Used for everything a parsed flow or scenario owns: one free, no leaks.
 */
#include <stdlib.h>
#include <string.h>
#include "tierline/util.h"

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
