/* norm: kern_rmsnorm, the argument checks and the one-workgroup-per-row dispatch of
 * rmsnorm.comp. Arithmetic lives in the shader; buffers belong to the caller. */
#include "kernels/norm.h"

#include "ops_push.h"

axvk_status kern_rmsnorm(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *x,
                         const struct vkbuf *w, uint32_t n, uint32_t n_rows, float eps)
{
    const struct vkdev *dev = vkrec_dev(rec);
    uint64_t bytes = (uint64_t)n * n_rows * sizeof(float);
    if (n == 0 || bytes > x->size || bytes > y->size || (uint64_t)n * sizeof(float) > w->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_rmsnorm: %u rows of %u floats, "
                          "buffers hold x %llu, w %llu, y %llu bytes", n_rows, n,
                          (unsigned long long)x->size, (unsigned long long)w->size,
                          (unsigned long long)y->size);
    if (!(eps >= 0.0f))
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_rmsnorm: eps %g", (double)eps);
    if (n_rows > dev->info.max_wg_count[0])
        return vkrec_fail(rec, AXVK_ERR_UNSUPPORTED, "kern_rmsnorm: %u rows exceed the device's "
                          "%u workgroups along x", n_rows, dev->info.max_wg_count[0]);
    if (n_rows == 0)
        return vkrec_err(rec)->status;
    struct vkbuf bind[3] = {vkbuf_view(x, 0, bytes), vkbuf_view(w, 0, (uint64_t)n * sizeof(float)),
                            vkbuf_view(y, 0, bytes)};
    struct push_rmsnorm pc = {.n = n, .n_rows = n_rows, .eps = eps};
    uint32_t grid[3] = {n_rows, 1, 1};
    return kern_dispatch3(rec, KERNEL_rmsnorm, NULL, bind, 3, &pc, sizeof pc, grid);
}
