/* alloc: the one place host memory is taken, so tests can make the n-th allocation fail.
 * Overflow-checked array allocation; nothing else. */
#ifndef AXVK_BASE_ALLOC_H
#define AXVK_BASE_ALLOC_H

#include <stddef.h>

void *mem_alloc(size_t size);
/* Zeroed; NULL when count * size overflows. */
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *ptr, size_t size);
/* Grows *ptr to hold at least `need` elements of `size` bytes, doubling; keeps *ptr on failure. */
int mem_grow(void **ptr, size_t *capacity, size_t need, size_t size);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
void mem_free(void *ptr);

/* Test hook: the allocation after `n` more succeed returns NULL; n < 0 disables. */
void mem_fail_after(long n);

#endif
