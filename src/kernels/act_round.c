/* act_round: the weight type -> rounding variant table (llama.cpp's vec_dot_type of each type),
 * shape checks and the grid-stride dispatch of act_round.comp. */
#include "kernels/act_round.h"

#include "act_round_push.h"
#include "base/wtype.h"

/* The variant for products with wtype and its block; KERNEL_COUNT when none applies. */
static enum kernel_id variant(uint32_t wtype, uint32_t *block)
{
    switch (wtype) {
    case WTYPE_F16:
        *block = 1;
        return KERNEL_act_round_f16;
    case WTYPE_BF16:
        *block = 1;
        return KERNEL_act_round_bf16;
    case WTYPE_Q4_0:
    case WTYPE_Q4_1: /* q8_1 activations: the same values as q8_0 */
    case WTYPE_Q5_0:
    case WTYPE_Q5_1:
    case WTYPE_Q8_0:
        *block = 32;
        return KERNEL_act_round_q8_0;
    case WTYPE_Q4_K:
    case WTYPE_Q5_K:
    case WTYPE_Q6_K:
        *block = 256;
        return KERNEL_act_round_q8_k;
    default:
        *block = 0;
        return KERNEL_COUNT;
    }
}

uint32_t kern_act_round_block(uint32_t wtype)
{
    uint32_t block;
    variant(wtype, &block);
    return block;
}

axvk_status kern_act_round(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *x,
                           uint32_t wtype, uint32_t n_rows, uint32_t k)
{
    uint32_t block;
    const enum kernel_id id = variant(wtype, &block);
    const uint64_t n = (uint64_t)n_rows * k, bytes = n * sizeof(float);
    if (id == KERNEL_COUNT)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_act_round: weight type %u "
                          "takes its input unrounded", wtype);
    if (k % block || n / block > UINT32_MAX || bytes > x->size || bytes > y->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_act_round: %u rows of %u (blocks "
                          "of %u), buffers hold x %llu, y %llu bytes", n_rows, k, block,
                          (unsigned long long)x->size, (unsigned long long)y->size);
    if (n == 0)
        return vkrec_err(rec)->status;
    const struct vkdev *dev = vkrec_dev(rec);
    const uint32_t n_units = (uint32_t)(n / block);
    /* enough groups to cover the units once, within the grid's x limit (the shader loops) */
    uint64_t groups = kern_div_up(n_units, vkspec_wg_size(dev, NULL));
    if (groups > dev->info.max_wg_count[0])
        groups = dev->info.max_wg_count[0];
    struct vkbuf bind[2] = {vkbuf_view(x, 0, bytes), vkbuf_view(y, 0, bytes)};
    struct push_act_round pc = {.n_units = n_units};
    const uint32_t grid[3] = {(uint32_t)groups, 1, 1};
    return kern_dispatch3(rec, id, NULL, bind, 2, &pc, sizeof pc, grid);
}
