/* registry: the table built from kernels.def, with compile-time checks of each push-constant
 * struct, and the generic dispatch path every op's host code goes through. */
#include "kernels/registry.h"

#include <pthread.h>

/* every push-constant header of shaders/, so any struct kernels.def names is known here */
#include "kernels_push.h"

#define KERNEL(kname, kbindings, kpush)                                                            \
    extern const uint32_t axvk_spv_##kname[];                                                      \
    extern const size_t axvk_spv_##kname##_size;                                                   \
    _Static_assert(sizeof(kpush) % 4 == 0, #kname ": push constants must be whole 32-bit words");  \
    _Static_assert(sizeof(kpush) <= 128, #kname ": push constants above the 128 bytes every "      \
                                        "device guarantees");                                      \
    _Static_assert((kbindings) <= VKPIPE_MAX_BINDINGS, #kname ": too many bindings");
#include "kernels/kernels.def"
#undef KERNEL

static struct vkkernel table[KERNEL_COUNT] = {
#define KERNEL(kname, kbindings, kpush)                                                            \
    [KERNEL_##kname] = {                                                                           \
        .id = KERNEL_##kname,                                                                      \
        .name = #kname,                                                                            \
        .spv = axvk_spv_##kname,                                                                   \
        .n_bindings = kbindings,                                                                   \
        .push_size = sizeof(kpush),                                                                \
    },
#include "kernels/kernels.def"
#undef KERNEL
};

/* The SPIR-V sizes are constants of other translation units, not constant expressions: they are
 * copied in once, before the first lookup (pthread_once: lookups may come from any thread). */
static pthread_once_t sizes_once = PTHREAD_ONCE_INIT;

static void fill_sizes(void)
{
#define KERNEL(kname, kbindings, kpush) table[KERNEL_##kname].spv_size = axvk_spv_##kname##_size;
#include "kernels/kernels.def"
#undef KERNEL
}

const struct vkkernel *kern_get(enum kernel_id id)
{
    if ((unsigned)id >= KERNEL_COUNT)
        return NULL;
    pthread_once(&sizes_once, fill_sizes);
    return &table[id];
}

axvk_status kern_pipeline(struct vkdev *dev, enum kernel_id id, const struct vkspec *spec,
                          struct vkpipe **out, struct err *err)
{
    const struct vkkernel *k = kern_get(id);
    if (!k)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "no kernel with id %d", (int)id);
    return vkpipe_get(dev, k, spec, out, err);
}

int kern_split_fits(const struct vksplit *w, uint32_t rows, uint64_t row_bytes)
{
    return w && w->n && w->parts && row_bytes && w->row_bytes == row_bytes && w->rows_per_part &&
           w->bytes / row_bytes >= rows && (uint64_t)w->n * w->rows_per_part >= rows;
}

axvk_status kern_groups(const struct vkdev *dev, uint64_t n_groups, uint32_t groups[3],
                        struct err *err)
{
    const uint32_t *max = dev->info.max_wg_count;
    uint64_t x = n_groups < max[0] ? n_groups : max[0];
    uint64_t rest = x ? kern_div_up(n_groups, x) : 0;
    uint64_t y = rest < max[1] ? rest : max[1];
    uint64_t z = y ? kern_div_up(rest, y) : 0;
    if (z > max[2])
        return err_set(err, AXVK_ERR_UNSUPPORTED, "%llu workgroups exceed the device's grid "
                       "(%u x %u x %u)", (unsigned long long)n_groups, max[0], max[1], max[2]);
    groups[0] = (uint32_t)x;
    groups[1] = (uint32_t)(n_groups ? y : 0);
    groups[2] = (uint32_t)(n_groups ? z : 0);
    return AXVK_OK;
}

axvk_status kern_dispatch3(struct vkrec *rec, enum kernel_id id, const struct vkspec *spec,
                           const struct vkbuf *bind, uint32_t n_bind, const void *push,
                           size_t push_size, const uint32_t groups[3])
{
    const struct err *prev = vkrec_err(rec);
    if (prev->status)
        return prev->status;
    struct err e = {0};
    struct vkpipe *pipe;
    axvk_status st = kern_pipeline(vkrec_dev(rec), id, spec, &pipe, &e);
    if (st)
        return vkrec_fail(rec, st, "%s", e.msg);
    if (push_size != pipe->kernel->push_size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: push constants of %zu bytes, "
                          "registered as %u", pipe->kernel->name, push_size, pipe->kernel->push_size);
    return vkrec_dispatch(rec, pipe, bind, n_bind, push, (uint32_t)push_size, groups);
}

axvk_status kern_dispatch(struct vkrec *rec, enum kernel_id id, const struct vkspec *spec,
                          const struct vkbuf *bind, uint32_t n_bind, const void *push,
                          size_t push_size, uint64_t n_groups)
{
    const struct err *prev = vkrec_err(rec);
    if (prev->status)
        return prev->status;
    struct err e = {0};
    uint32_t groups[3];
    axvk_status st = kern_groups(vkrec_dev(rec), n_groups, groups, &e);
    if (st)
        return vkrec_fail(rec, st, "kernel %s: %s", kern_get(id) ? kern_get(id)->name : "?", e.msg);
    return kern_dispatch3(rec, id, spec, bind, n_bind, push, push_size, groups);
}
