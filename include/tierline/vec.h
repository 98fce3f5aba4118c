/*
 * vec.h — small growable arrays for parsers: VEC(T) holds v, n, cap; VPUSH
 * appends (doubling; aborts when out of memory, like buf.c, because a
 * half-built parse is never useful); VFREE releases.  Parsers build with
 * these, then copy the final arrays into their arena (arena_memdup in util.h).
 */
#ifndef TIERLINE_VEC_H
#define TIERLINE_VEC_H

#include <stddef.h>

#define VEC(T) struct { T *v; int n, cap; }
#define VPUSH(vec, x) do { \
	if ((vec).n == (vec).cap) \
		(vec).v = util_vec_grow((vec).v, &(vec).cap, sizeof *(vec).v); \
	(vec).v[(vec).n++] = (x); \
} while (0)
#define VFREE(vec) do { free((vec).v); (vec).v = NULL; (vec).n = (vec).cap = 0; } while (0)

/* Double the capacity of v (to 8 the first time). */
void *util_vec_grow(void *v, int *cap, size_t elem);

#endif
