/* registry: every GPU kernel by id (enum kernel_id, from kernels.def), with the helpers that turn
 * a kernel call into a recorded dispatch: pipeline on first use, push-constant size checked
 * against the registry, group counts split within the device's limits. Ops' host code lives in
 * src/kernels/<op>.c on top of this; nothing here knows a model. */
#ifndef AXVK_KERNELS_REGISTRY_H
#define AXVK_KERNELS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"
#include "vk/memory.h"
#include "vk/pipeline.h"
#include "vk/record.h"

enum kernel_id {
#define KERNEL(name, n_bindings, push) KERNEL_##name,
#include "kernels/kernels.def"
#undef KERNEL
    KERNEL_COUNT
};

/* The registry entry (name, SPIR-V, bindings, push size) of a kernel. */
const struct vkkernel *kern_get(enum kernel_id id);

/* The pipeline of `id` specialized by `spec` (NULL: defaults) on dev, created on first use. */
axvk_status kern_pipeline(struct vkdev *dev, enum kernel_id id, const struct vkspec *spec,
                          struct vkpipe **out, struct err *err);

/* ceil(a / b) for group counts. */
static inline uint64_t kern_div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Whether w holds a weight of `rows` rows of row_bytes each: parts of that row size that cover
 * every row. Ops add their own limits (32-bit indices, binding sizes). */
int kern_split_fits(const struct vksplit *w, uint32_t rows, uint64_t row_bytes);

/* Part p of a split weight of `rows` rows: its first row goes to *r0 and its row count is
 * returned, 0 when p holds none of them (which ends a loop over the parts). */
static inline uint32_t kern_split_part(const struct vksplit *w, uint32_t rows, uint32_t p,
                                       uint32_t *r0)
{
    uint64_t first = (uint64_t)p * w->rows_per_part;
    if (p >= w->n || first >= rows)
        return 0;
    *r0 = (uint32_t)first;
    return (uint32_t)(rows - first < w->rows_per_part ? rows - first : w->rows_per_part);
}

/* Spreads n_groups workgroups over x, then y, then z within maxComputeWorkGroupCount; a shader
 * rebuilds its linear group index as x + nx * (y + ny * z) and masks the excess. */
axvk_status kern_groups(const struct vkdev *dev, uint64_t n_groups, uint32_t groups[3],
                        struct err *err);

/* Records kernel `id` over n_groups workgroups (1-D, spread by kern_groups). bind[n_bind] and the
 * push constants must match the registry (pass `&push, sizeof push`). Failures land in the
 * recorder's sticky error (vkrec_err) and are returned. */
axvk_status kern_dispatch(struct vkrec *rec, enum kernel_id id, const struct vkspec *spec,
                          const struct vkbuf *bind, uint32_t n_bind, const void *push,
                          size_t push_size, uint64_t n_groups);
/* Same with an explicit grid (rows along y, heads along z, ...). */
axvk_status kern_dispatch3(struct vkrec *rec, enum kernel_id id, const struct vkspec *spec,
                           const struct vkbuf *bind, uint32_t n_bind, const void *push,
                           size_t push_size, const uint32_t groups[3]);

#endif
