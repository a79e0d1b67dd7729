/* deps: hazard detection between commands of one recording, by overlapping byte ranges.
 * A linear scan: between two barriers there are only a handful of commands. */
#include "vk/deps.h"

#include "base/alloc.h"

void vkdeps_init(struct vkdeps *d)
{
    d->seen = NULL;
    d->n = d->cap = 0;
}

void vkdeps_free(struct vkdeps *d)
{
    mem_free(d->seen);
    vkdeps_init(d);
}

void vkdeps_reset(struct vkdeps *d)
{
    d->n = 0;
}

static int overlap(const struct vkdeps_access *a, const struct vkdeps_access *b)
{
    return a->buffer == b->buffer && a->begin < b->end && b->begin < a->end;
}

int vkdeps_conflicts(const struct vkdeps *d, const struct vkdeps_access *acc, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d->n; j++) {
            const struct vkdeps_access *old = &d->seen[j];
            /* only read-after-read is free */
            int hazard = (acc[i].mode & VKDEPS_WRITE) || (old->mode & VKDEPS_WRITE);
            if (hazard && overlap(&acc[i], old))
                return 1;
        }
    return 0;
}

int vkdeps_add(struct vkdeps *d, const struct vkdeps_access *acc, size_t n)
{
    if (mem_grow((void **)&d->seen, &d->cap, d->n + n, sizeof *d->seen))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (acc[i].end > acc[i].begin)
            d->seen[d->n++] = acc[i];
    return 0;
}

int vkdeps_dirty(const struct vkdeps *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->seen[i].mode & VKDEPS_WRITE)
            return 1;
    return 0;
}
