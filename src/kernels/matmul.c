/* matmul: records the prefill product (shaders/matmul.comp, matmul_coopmat.comp): kernel choice
 * per device, shape checks, and the cut into dispatches that each bind at most the device's
 * binding range. Never touches weights' contents or allocates device memory. */
#include "kernels/matmul.h"

#include "base/wtype.h"
#include "kernels/registry.h"
#include "matmul_push.h"

/* the variants by weight type, in one place so the two tables cannot drift apart */
#define MATMUL_TYPES(X)                                                                            \
    X(WTYPE_F32, f32) X(WTYPE_F16, f16) X(WTYPE_BF16, bf16) X(WTYPE_Q8_0, q8_0)                  \
    X(WTYPE_Q4_0, q4_0) X(WTYPE_Q4_1, q4_1) X(WTYPE_Q5_0, q5_0) X(WTYPE_Q5_1, q5_1)              \
    X(WTYPE_Q4_K, q4_k) X(WTYPE_Q5_K, q5_k) X(WTYPE_Q6_K, q6_k)

/* -1 when the type has no matmul variant */
static int kernel_for(uint32_t wtype, enum matmul_impl impl)
{
    switch (wtype) {
#define X(t, name)                                                                                 \
    case t:                                                                                        \
        return impl == MATMUL_COOPMAT ? (int)KERNEL_matmul_coopmat_##name : (int)KERNEL_matmul_##name;
        MATMUL_TYPES(X)
#undef X
    default:
        return -1;
    }
}

int matmul_have_coopmat_spirv(void)
{
    /* a build without GL_KHR_cooperative_matrix embeds the variants as empty modules */
    const struct vkkernel *k = kern_get(KERNEL_matmul_coopmat_f16);
    return k && k->spv_size > 0;
}

/* Shapes the shader can tile: each subgroup owns 2M tokens x 2N rows of the 64 x 64 tile and
 * steps k by K inside the 32-wide staging step, so M, N and K must divide 32. */
static int shape_fits_tile(const struct vkcoopmat_shape *s)
{
    return (s->m == 8 || s->m == 16 || s->m == 32) && (s->n == 8 || s->n == 16 || s->n == 32) &&
           (s->k == 8 || s->k == 16 || s->k == 32);
}

/* f16 A and B, f32 C and result, one subgroup: what the shader declares */
static int shape_has_types(const struct vkcoopmat_shape *s)
{
    return s->a_type == VK_COMPONENT_TYPE_FLOAT16_KHR && s->b_type == VK_COMPONENT_TYPE_FLOAT16_KHR &&
           s->c_type == VK_COMPONENT_TYPE_FLOAT32_KHR &&
           s->result_type == VK_COMPONENT_TYPE_FLOAT32_KHR && s->scope == VK_SCOPE_SUBGROUP_KHR &&
           !s->saturating;
}

/* The subgroup size to run shape s at. The property list names no subgroup size, yet the
 * hardware behind each shape has one: NVIDIA 16x16 and AMD RDNA3 16x16 run 32-wide, Intel
 * Xe-HPG 8x8 8-wide, Xe2 8x16 16-wide, lavapipe 8x8 8-wide, i.e. 8 accumulator elements per
 * invocation, M N / 8. With subgroup size control that size is required when the device's range
 * holds it (AMD defaults to 64, Intel to 32); otherwise, and without control, the default. */
static uint32_t shape_subgroup(const struct vkdev_info *info, const struct vkcoopmat_shape *s)
{
    uint32_t native = s->m * s->n / 8;
    if ((info->features & VKFEAT_SUBGROUP_SIZE_CONTROL) && native >= info->subgroup_min &&
        native <= info->subgroup_max)
        return native;
    return info->subgroup_size;
}

int matmul_coopmat_config(const struct vkdev_info *info, struct matmul_coopmat_cfg *cfg)
{
    const uint32_t need = VKFEAT_COOPMAT | VKFEAT_FP16;
    /* shared memory: two 64 x 40 f16 tiles and a 32 x 32 f32 staging area */
    const uint32_t shared_bytes = 2 * MATMUL_TILE_T * (MATMUL_TILE_K + 8) * 2 + 32 * 32 * 4;
    if ((info->features & need) != need || info->max_shared_bytes < shared_bytes)
        return 0;
    /* Among the usable listed shapes the largest M N K wins (fewest matrix instructions and
     * loads per tile: NVIDIA's 16x16x16 over its 16x8x16 and 16x8x8); ties go to the first
     * listed. Usable: the shader's types, a tileable size, and a workgroup of (32 / M) (32 / N)
     * subgroups the device can launch. */
    struct matmul_coopmat_cfg best = {0};
    for (uint32_t i = 0; i < info->n_coopmat && i < VKDEV_MAX_COOPMAT; i++) {
        const struct vkcoopmat_shape *s = &info->coopmat[i];
        if (!shape_has_types(s) || !shape_fits_tile(s))
            continue;
        uint32_t sg = shape_subgroup(info, s);
        uint64_t wg = (uint64_t)(32 / s->m) * (32 / s->n) * sg;
        if (!sg || wg > info->max_wg_invocations || wg > info->max_wg_size[0])
            continue;
        if (s->m * s->n * s->k > best.m * best.n * best.k)
            best = (struct matmul_coopmat_cfg){s->m, s->n, s->k, sg, (uint32_t)wg};
    }
    if (!best.m)
        return 0;
    *cfg = best;
    return 1;
}

enum matmul_impl matmul_choose(const struct vkdev_info *info)
{
    struct matmul_coopmat_cfg cfg;
    if (matmul_have_coopmat_spirv() && matmul_coopmat_config(info, &cfg))
        return MATMUL_COOPMAT;
    return MATMUL_TILED;
}

double matmul_flops(uint32_t n_tok, uint32_t rows, uint32_t k)
{
    return 2.0 * n_tok * rows * k;
}

static axvk_status check_args(const struct vkdev *dev, const struct matmul_args *a, uint32_t ldx,
                              uint32_t ldy, struct err *err)
{
    const struct wtype_info *ti = wtype_get(a->wtype);
    if (!ti || kernel_for(a->wtype, MATMUL_TILED) < 0)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "matmul: weight type %u has no kernel", a->wtype);
    /* dequant.glsl reads float rows as 16-byte words: k a multiple of 8 keeps rows aligned */
    uint32_t align = ti->block_elems > 1 ? ti->block_elems : 8;
    if (!a->n_tok || !a->rows || !a->k || a->k % align)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matmul: shape %u x %u x %u (%s needs k a "
                       "multiple of %u)", a->n_tok, a->rows, a->k, ti->name, align);
    if (ldx < a->k || ldy < a->rows)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matmul: row strides x %u < k %u or y %u < "
                       "rows %u", ldx, a->k, ldy, a->rows);
    const struct vksplit *w = a->w;
    uint64_t row_bytes = wtype_row_bytes(a->wtype, a->k);
    if (!kern_split_fits(w, a->rows, row_bytes) || row_bytes > UINT32_MAX)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matmul: weights are not %u rows of %llu "
                       "bytes", a->rows, (unsigned long long)row_bytes);
    uint64_t max_bind = vkmem_max_binding(dev);
    /* one token row of x or y must fit a binding, and flat indices stay in 32 bits */
    if ((uint64_t)ldx * 4 * MATMUL_TILE_T > max_bind || (uint64_t)ldy * 4 * MATMUL_TILE_T > max_bind)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "matmul: rows of %u / %u floats are too long "
                       "for bindings of %llu bytes", ldx, ldy, (unsigned long long)max_bind);
    uint64_t y_need = ((uint64_t)(a->n_tok - 1) * ldy + a->rows) * 4;
    uint64_t x_need = ((uint64_t)(a->n_tok - 1) * ldx + a->k) * 4;
    if (a->x.size < x_need || a->y.size < y_need || (a->res.buffer && a->res.size < y_need) ||
        (a->bias.buffer && a->bias.size < (uint64_t)a->rows * 4))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matmul: a buffer is smaller than its "
                       "%u x %u / %u x %u shape", a->n_tok, a->k, a->n_tok, a->rows);
    return AXVK_OK;
}

/* bytes [off, off + len) of b, clipped to its size */
static struct vkbuf sub(const struct vkbuf *b, uint64_t off, uint64_t len)
{
    uint64_t end = off + len < b->size ? off + len : b->size;
    return vkbuf_view(b, off, end - off);
}

axvk_status matmul_record(struct vkrec *rec, const struct matmul_args *a, int force,
                          struct err *err)
{
    struct vkdev *dev = vkrec_dev(rec);
    uint32_t ldx = a->ldx ? a->ldx : a->k, ldy = a->ldy ? a->ldy : a->rows;
    axvk_status st = check_args(dev, a, ldx, ldy, err);
    if (st)
        return vkrec_fail(rec, st, "%s", err->msg);

    enum matmul_impl impl = force < 0 ? matmul_choose(&dev->info) : (enum matmul_impl)force;
    struct vkspec spec = {.wg_size = 256};
    if (impl == MATMUL_COOPMAT) {
        struct matmul_coopmat_cfg cfg;
        if (!matmul_have_coopmat_spirv() || !matmul_coopmat_config(&dev->info, &cfg)) {
            st = err_set(err, AXVK_ERR_UNSUPPORTED, "matmul: cooperative matrices not available "
                         "(%s)", matmul_have_coopmat_spirv() ? "device" : "shader compiler");
            return vkrec_fail(rec, st, "%s", err->msg);
        }
        /* the subgroup size is required even where it is the default: the shader's layout
         * counts on gl_WorkGroupSize / subgroup size subgroups */
        spec = (struct vkspec){.wg_size = cfg.wg_size, .subgroup_size = cfg.subgroup, .n_consts = 3};
        spec.consts[MATMUL_SPEC_CM_M - 2] = cfg.m;
        spec.consts[MATMUL_SPEC_CM_N - 2] = cfg.n;
        spec.consts[MATMUL_SPEC_CM_K - 2] = cfg.k;
    }
    enum kernel_id id = (enum kernel_id)kernel_for(a->wtype, impl);

    /* Token chunks: a multiple of the tile whose x, y and res ranges fit one binding. The chunk
     * starts at a multiple of 64 rows of >= 1 float, so offsets stay 256-byte aligned. */
    uint64_t max_bind = vkmem_max_binding(dev);
    uint64_t widest = ldx > ldy ? ldx : ldy;
    uint64_t chunk = max_bind / (widest * 4) / MATMUL_TILE_T * MATMUL_TILE_T;
    if (chunk > 65535ull * MATMUL_TILE_T)
        chunk = 65535ull * MATMUL_TILE_T;
    const struct vksplit *w = a->w;
    for (uint32_t t0 = 0; t0 < a->n_tok; t0 += (uint32_t)chunk) {
        uint32_t nt = a->n_tok - t0 < chunk ? a->n_tok - t0 : (uint32_t)chunk;
        struct vkbuf x = sub(&a->x, (uint64_t)t0 * ldx * 4, (uint64_t)nt * ldx * 4);
        struct vkbuf y = sub(&a->y, (uint64_t)t0 * ldy * 4, (uint64_t)nt * ldy * 4);
        struct vkbuf res = a->res.buffer ? sub(&a->res, (uint64_t)t0 * ldy * 4,
                                               (uint64_t)nt * ldy * 4) : x;
        uint32_t r0, nr;
        for (uint32_t p = 0; (nr = kern_split_part(w, a->rows, p, &r0)) != 0; p++) {
            struct push_matmul pc = {
                .n_tok = nt,
                .rows = nr,
                .k = a->k,
                .row_bytes = (uint32_t)w->row_bytes,
                .ldx = ldx,
                .ldy = ldy,
                .row_base = r0,
                .flags = (a->bias.buffer ? MATMUL_BIAS : 0) | (a->res.buffer ? MATMUL_RESIDUAL : 0),
            };
            /* dequant.glsl reads whole 16-byte words: the last block of a 2-byte aligned type
             * ends mid-word (vkmem allocations are padded to 256 bytes, so the bytes exist) */
            struct vkbuf part = vkbuf_view(&w->parts[p], 0, (nr * w->row_bytes + 15) / 16 * 16);
            /* unused bias/res bindings get x: any readable range will do */
            struct vkbuf bind[5] = {part, x, y, a->bias.buffer ? a->bias : x, res};
            uint32_t groups[3] = {(uint32_t)kern_div_up(nr, MATMUL_TILE_R),
                                  (uint32_t)kern_div_up(nt, MATMUL_TILE_T), 1};
            st = kern_dispatch3(rec, id, &spec, bind, 5, &pc, sizeof pc, groups);
            if (st) {
                *err = *vkrec_err(rec);
                return st;
            }
        }
    }
    return AXVK_OK;
}
