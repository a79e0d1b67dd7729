/* name_index: FNV-1a hashing with linear probing over caller-owned named entries. */
#include "model/name_index.h"

#include <string.h>

#include "base/alloc.h"

/* FNV-1a: names are short and few thousand at most; any decent spread will do. */
static uint64_t hash_name(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static const char *name_at(const void *base, size_t stride, uint64_t i)
{
    const char *name;
    memcpy(&name, (const char *)base + i * stride, sizeof name);
    return name;
}

axvk_status name_index_build(struct name_index *ix, const void *base, size_t stride, uint64_t n,
                             uint64_t *dup)
{
    /* at most half full, so probes stay short */
    uint64_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    ix->slots = mem_calloc((size_t)slots, sizeof *ix->slots);
    if (!ix->slots)
        return AXVK_ERR_OUT_OF_HOST_MEMORY;
    ix->mask = slots - 1;
    for (uint64_t i = 0; i < n; i++) {
        const char *name = name_at(base, stride, i);
        uint64_t h = hash_name(name) & ix->mask;
        while (ix->slots[h]) {
            if (strcmp(name_at(base, stride, ix->slots[h] - 1), name) == 0) {
                *dup = i;
                name_index_free(ix);
                return AXVK_ERR_BAD_FILE;
            }
            h = (h + 1) & ix->mask;
        }
        ix->slots[h] = (uint32_t)(i + 1);
    }
    return AXVK_OK;
}

int64_t name_index_find(const struct name_index *ix, const void *base, size_t stride,
                        const char *name)
{
    if (!ix->slots || !name)
        return -1;
    uint64_t h = hash_name(name) & ix->mask;
    while (ix->slots[h]) {
        uint64_t i = ix->slots[h] - 1;
        if (strcmp(name_at(base, stride, i), name) == 0)
            return (int64_t)i;
        h = (h + 1) & ix->mask;
    }
    return -1;
}

void name_index_free(struct name_index *ix)
{
    mem_free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
}

