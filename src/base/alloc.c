/* alloc: malloc wrappers with a failure-injection counter for tests. */
#include "base/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long allocs_until_failure = -1;

static int should_fail(void)
{
    long left = atomic_load(&allocs_until_failure);
    if (left < 0)
        return 0;
    if (left == 0)
        return 1;
    atomic_fetch_sub(&allocs_until_failure, 1);
    return 0;
}

void mem_fail_after(long n)
{
    atomic_store(&allocs_until_failure, n);
}

void *mem_alloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *mem_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *mem_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

int mem_grow(void **ptr, size_t *capacity, size_t need, size_t size)
{
    if (need <= *capacity)
        return 0;
    size_t cap = *capacity ? *capacity : 8;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    if (size && cap > SIZE_MAX / size)
        return -1;
    void *p = mem_realloc(*ptr, cap * size);
    if (!p)
        return -1;
    *ptr = p;
    *capacity = cap;
    return 0;
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

void mem_free(void *ptr)
{
    free(ptr);
}
