/* basic: kern_copy and kern_vec_add, the smallest complete examples of an op's host code. */
#include "kernels/basic.h"

#include "push.h"

axvk_status kern_copy(struct vkrec *rec, const struct vkbuf *dst, const struct vkbuf *src,
                      uint64_t bytes)
{
    const struct vkdev *dev = vkrec_dev(rec);
    if (bytes % 4 || bytes > dst->size || bytes > src->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_copy: %llu bytes (source %llu, "
                          "destination %llu; whole 32-bit words)", (unsigned long long)bytes,
                          (unsigned long long)src->size, (unsigned long long)dst->size);
    /* pieces ≤ one binding, whole multiples of 256 so each piece's offset stays aligned */
    uint64_t piece = vkmem_max_binding(dev) / 256 * 256;
    uint32_t wg = vkspec_wg_size(dev, NULL);
    for (uint64_t done = 0; done < bytes; done += piece) {
        uint64_t len = bytes - done < piece ? bytes - done : piece;
        struct vkbuf bind[2] = {vkbuf_view(src, done, len), vkbuf_view(dst, done, len)};
        struct push_copy pc = {.n_words = (uint32_t)(len / 4)};
        /* one invocation per 16 bytes, at least one group for the tail; the shader's grid-stride
         * loop covers what the x limit leaves */
        uint64_t groups = kern_div_up(len / 16 ? len / 16 : 1, wg);
        if (groups > dev->info.max_wg_count[0])
            groups = dev->info.max_wg_count[0];
        uint32_t grid[3] = {(uint32_t)groups, 1, 1};
        axvk_status st = kern_dispatch3(rec, KERNEL_copy, NULL, bind, 2, &pc, sizeof pc, grid);
        if (st)
            return st;
    }
    return AXVK_OK;
}

axvk_status kern_vec_add(struct vkrec *rec, const struct vkbuf *c, const struct vkbuf *a,
                         const struct vkbuf *b, uint32_t n)
{
    uint64_t bytes = (uint64_t)n * sizeof(float);
    if (bytes > a->size || bytes > b->size || bytes > c->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_vec_add: %u floats, buffers hold "
                          "%llu, %llu -> %llu bytes", n, (unsigned long long)a->size,
                          (unsigned long long)b->size, (unsigned long long)c->size);
    if (n == 0)
        return vkrec_err(rec)->status;
    struct vkbuf bind[3] = {vkbuf_view(a, 0, bytes), vkbuf_view(b, 0, bytes), vkbuf_view(c, 0, bytes)};
    struct push_vec_add pc = {.n = n};
    uint32_t wg = vkspec_wg_size(vkrec_dev(rec), NULL);
    return kern_dispatch(rec, KERNEL_vec_add, NULL, bind, 3, &pc, sizeof pc, kern_div_up(n, wg));
}
