/* elementwise: kern_add / kern_scale / kern_swiglu, argument checks and dispatch
 * sizes. The shaders loop grid-stride, so group counts are capped rather than exact. */
#include "kernels/elementwise.h"

#include "ops_push.h"

/* Enough groups to cover n once, within the grid's x limit (the shader loops over the rest). */
static uint32_t groups_for(const struct vkdev *dev, uint64_t n)
{
    uint64_t g = kern_div_up(n ? n : 1, vkspec_wg_size(dev, NULL));
    return (uint32_t)(g < dev->info.max_wg_count[0] ? g : dev->info.max_wg_count[0]);
}

static axvk_status binary(struct vkrec *rec, enum kernel_id id, const char *what,
                          const struct vkbuf *y, const struct vkbuf *a, const struct vkbuf *b,
                          uint32_t n, uint32_t n_b)
{
    uint64_t bytes = (uint64_t)n * sizeof(float), b_bytes = (uint64_t)n_b * sizeof(float);
    if (bytes > a->size || bytes > y->size || b_bytes > b->size || n_b == 0 || n % n_b)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "%s: %u floats with b of %u (a divisor "
                          "of n), buffers hold a %llu, b %llu, y %llu bytes", what, n, n_b,
                          (unsigned long long)a->size, (unsigned long long)b->size,
                          (unsigned long long)y->size);
    if (n == 0)
        return vkrec_err(rec)->status;
    struct vkbuf bind[3] = {vkbuf_view(a, 0, bytes), vkbuf_view(b, 0, b_bytes),
                            vkbuf_view(y, 0, bytes)};
    struct push_elementwise pc = {.n = n, .n_b = n_b, .scale = 1.0f};
    uint32_t grid[3] = {groups_for(vkrec_dev(rec), n), 1, 1};
    return kern_dispatch3(rec, id, NULL, bind, 3, &pc, sizeof pc, grid);
}

axvk_status kern_add(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *a,
                     const struct vkbuf *b, uint32_t n, uint32_t n_b)
{
    return binary(rec, KERNEL_add, "kern_add", y, a, b, n, n_b);
}

axvk_status kern_scale(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *a, float s,
                       uint32_t n)
{
    uint64_t bytes = (uint64_t)n * sizeof(float);
    if (bytes > a->size || bytes > y->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_scale: %u floats, buffers hold "
                          "a %llu, y %llu bytes", n, (unsigned long long)a->size,
                          (unsigned long long)y->size);
    if (n == 0)
        return vkrec_err(rec)->status;
    struct vkbuf bind[2] = {vkbuf_view(a, 0, bytes), vkbuf_view(y, 0, bytes)};
    struct push_elementwise pc = {.n = n, .n_b = n, .scale = s};
    uint32_t grid[3] = {groups_for(vkrec_dev(rec), n), 1, 1};
    return kern_dispatch3(rec, KERNEL_scale, NULL, bind, 2, &pc, sizeof pc, grid);
}

axvk_status kern_swiglu(struct vkrec *rec, const struct vkbuf *out, const struct vkbuf *gate,
                        const struct vkbuf *up, uint32_t n, uint32_t n_rows, uint32_t gate_stride,
                        uint32_t up_stride)
{
    const struct vkdev *dev = vkrec_dev(rec);
    /* extent of each operand: the last row ends n floats after its start */
    uint64_t g_bytes = n_rows ? ((uint64_t)(n_rows - 1) * gate_stride + n) * sizeof(float) : 0;
    uint64_t u_bytes = n_rows ? ((uint64_t)(n_rows - 1) * up_stride + n) * sizeof(float) : 0;
    uint64_t o_bytes = (uint64_t)n_rows * n * sizeof(float);
    if (gate_stride < n || up_stride < n || g_bytes > gate->size || u_bytes > up->size ||
        o_bytes > out->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_swiglu: %u rows of %u (strides "
                          "gate %u, up %u), buffers hold gate %llu, up %llu, out %llu bytes",
                          n_rows, n, gate_stride, up_stride, (unsigned long long)gate->size,
                          (unsigned long long)up->size, (unsigned long long)out->size);
    if (n_rows > dev->info.max_wg_count[1])
        return vkrec_fail(rec, AXVK_ERR_UNSUPPORTED, "kern_swiglu: %u rows exceed the device's "
                          "%u workgroups along y", n_rows, dev->info.max_wg_count[1]);
    if (n == 0 || n_rows == 0)
        return vkrec_err(rec)->status;
    struct vkbuf bind[3] = {vkbuf_view(gate, 0, g_bytes), vkbuf_view(up, 0, u_bytes),
                            vkbuf_view(out, 0, o_bytes)};
    struct push_swiglu pc = {.n = n, .n_rows = n_rows, .gate_stride = gate_stride,
                             .up_stride = up_stride};
    uint32_t grid[3] = {groups_for(dev, n), n_rows, 1};
    return kern_dispatch3(rec, KERNEL_swiglu, NULL, bind, 3, &pc, sizeof pc, grid);
}
