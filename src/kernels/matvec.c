/* matvec: records the decode product (shaders/matvec.comp) and its fused gate/up/SwiGLU form:
 * variant per weight type, layout per device, shape and binding checks, one dispatch per weight
 * part. Never touches the weights' contents or allocates device memory. */
#include "kernels/matvec.h"

#include "base/wtype.h"
#include "kernels/registry.h"
#include "matvec_push.h"

/* -1 when the type has no matvec variant */
static int kernel_for(uint32_t wtype, int glu)
{
    if (glu) {
        switch (wtype) {
        case WTYPE_F32: return KERNEL_matvec_glu_f32;
        case WTYPE_F16: return KERNEL_matvec_glu_f16;
        case WTYPE_BF16: return KERNEL_matvec_glu_bf16;
        case WTYPE_Q8_0: return KERNEL_matvec_glu_q8_0;
        case WTYPE_Q4_0: return KERNEL_matvec_glu_q4_0;
        case WTYPE_Q4_1: return KERNEL_matvec_glu_q4_1;
        case WTYPE_Q5_0: return KERNEL_matvec_glu_q5_0;
        case WTYPE_Q5_1: return KERNEL_matvec_glu_q5_1;
        case WTYPE_Q4_K: return KERNEL_matvec_glu_q4_k;
        case WTYPE_Q5_K: return KERNEL_matvec_glu_q5_k;
        case WTYPE_Q6_K: return KERNEL_matvec_glu_q6_k;
        default: return -1;
        }
    }
    switch (wtype) {
    case WTYPE_F32: return KERNEL_matvec_f32;
    case WTYPE_F16: return KERNEL_matvec_f16;
    case WTYPE_BF16: return KERNEL_matvec_bf16;
    case WTYPE_Q8_0: return KERNEL_matvec_q8_0;
    case WTYPE_Q4_0: return KERNEL_matvec_q4_0;
    case WTYPE_Q4_1: return KERNEL_matvec_q4_1;
    case WTYPE_Q5_0: return KERNEL_matvec_q5_0;
    case WTYPE_Q5_1: return KERNEL_matvec_q5_1;
    case WTYPE_Q4_K: return KERNEL_matvec_q4_k;
    case WTYPE_Q5_K: return KERNEL_matvec_q5_k;
    case WTYPE_Q6_K: return KERNEL_matvec_q6_k;
    default: return -1;
    }
}

void matvec_choose(const struct vkdev_info *info, uint32_t n_cols, int glu,
                   struct matvec_config *cfg)
{
    uint32_t sg = info->subgroup_size;
    if (sg < 1 || sg > 128)
        sg = 32;
    int cpu = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    /* A lane holds rows_per_sg x 32 decoded weights plus rows_per_sg x n_cols sums: two rows keep
     * two independent weight streams in flight per lane (the decode is bound by load latency) and
     * halve the activation reloads; past 4 columns the sums would crowd out GPU registers. CPU
     * drivers (registers spill to cache anyway) gain most from sharing activation loads: 4 rows,
     * measured on lavapipe 1.3-2x faster than 1-2 rows at 3584 x 3584. */
    uint32_t rows_per_sg = cpu ? 4 : n_cols <= 4 ? 2 : 1;
    /* the fused gate/up product decodes two matrices per row: half the rows give a lane the same
     * weight streams and registers (one row still shares each activation load two ways) */
    if (glu && rows_per_sg > 1)
        rows_per_sg /= 2;
    /* GPUs: 4 subgroups per workgroup (128 lanes at subgroup size 32) lets the scheduler keep
     * many rows resident. CPU drivers run a workgroup on one core as a loop over its subgroups:
     * one subgroup per workgroup spreads short matrices over the cores best. */
    uint32_t n_sg = cpu ? 1 : 4;
    uint32_t max_wg = info->max_wg_invocations ? info->max_wg_invocations : 128;
    while (n_sg > 1 && sg * n_sg > max_wg)
        n_sg /= 2;
    cfg->wg_size = sg * n_sg <= max_wg ? sg * n_sg : max_wg;
    cfg->rows_per_sg = rows_per_sg;
    cfg->wg_rows = n_sg * rows_per_sg;
}

double matvec_flops(uint32_t n_cols, uint32_t rows, uint32_t k)
{
    return 2.0 * n_cols * rows * k;
}

int matvec_glu_fits(uint32_t wtype, const struct vksplit *gate, const struct vksplit *up)
{
    return kernel_for(wtype, 1) >= 0 && gate && up && gate->n == up->n &&
           gate->bytes == up->bytes && gate->row_bytes == up->row_bytes &&
           gate->rows_per_part == up->rows_per_part;
}

double matvec_bytes(const struct matvec_args *a)
{
    double out = 4.0 * a->n_cols * a->rows;
    double w = (double)wtype_row_bytes(a->wtype, a->k) * a->rows * (a->w_up ? 2 : 1);
    double bytes = w + 4.0 * a->n_cols * a->k + out;
    if (a->bias.buffer)
        bytes += 4.0 * a->rows;
    if (a->res.buffer)
        bytes += out;
    return bytes;
}

static axvk_status check_args(const struct vkdev *dev, const struct matvec_args *a,
                              const struct matvec_config *cfg, struct err *err)
{
    const struct wtype_info *ti = wtype_get(a->wtype);
    if (!ti || kernel_for(a->wtype, a->w_up != NULL) < 0)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "matvec: weight type %u has no kernel", a->wtype);
    /* dequant.glsl reads float rows as 16-byte words: k a multiple of 8 keeps rows aligned */
    uint32_t align = ti->block_elems > 1 ? ti->block_elems : 8;
    if (!a->rows || !a->k || a->k % align || !a->n_cols || a->n_cols > MATVEC_MAX_COLS)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matvec: %u rows x k %u, %u columns (%s "
                       "needs k a multiple of %u, 1..%d columns)", a->rows, a->k, a->n_cols,
                       ti->name, align, MATVEC_MAX_COLS);
    if (!cfg->wg_size || !cfg->rows_per_sg || !cfg->wg_rows || cfg->wg_rows % cfg->rows_per_sg)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matvec: layout %u lanes, %u rows per "
                       "subgroup, %u per workgroup", cfg->wg_size, cfg->rows_per_sg, cfg->wg_rows);
    const struct vksplit *w = a->w;
    uint64_t row_bytes = wtype_row_bytes(a->wtype, a->k);
    if (!kern_split_fits(w, a->rows, row_bytes))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matvec: weights are not %u rows of %llu "
                       "bytes", a->rows, (unsigned long long)row_bytes);
    /* one dispatch reads the same rows of both matrices: their parts must line up */
    if (a->w_up && !matvec_glu_fits(a->wtype, w, a->w_up))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matvec: up weights (%u parts of %llu rows) "
                       "do not match the gate's %u rows of %llu bytes in %u parts of %llu rows",
                       a->w_up->n, (unsigned long long)a->w_up->rows_per_part, a->rows,
                       (unsigned long long)row_bytes, w->n,
                       (unsigned long long)w->rows_per_part);
    if (a->w_up && (a->bias.buffer || a->res.buffer))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matvec: the fused gate/up product takes "
                       "no bias or residual");
    /* every index the shader forms (bytes in a part, floats in x, y) must stay in 32 bits, and
     * x, y and res are bound whole */
    uint64_t max_bind = vkmem_max_binding(dev);
    uint64_t x_need = 4ull * a->n_cols * a->k, y_need = 4ull * a->n_cols * a->rows;
    if (x_need > max_bind || y_need > max_bind || w->rows_per_part * row_bytes > UINT32_MAX)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "matvec: %u x %u floats exceed a binding of "
                       "%llu bytes", a->n_cols, a->rows > a->k ? a->rows : a->k,
                       (unsigned long long)max_bind);
    if (a->x.size < x_need || a->y.size < y_need || (a->res.buffer && a->res.size < y_need) ||
        (a->bias.buffer && a->bias.size < 4ull * a->rows))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "matvec: a buffer is smaller than its shape "
                       "(x %u x %u, y %u x %u)", a->n_cols, a->k, a->n_cols, a->rows);
    return AXVK_OK;
}

axvk_status matvec_record(struct vkrec *rec, const struct matvec_args *a,
                          const struct matvec_config *cfg, struct err *err)
{
    struct vkdev *dev = vkrec_dev(rec);
    struct matvec_config chosen;
    if (!cfg) {
        matvec_choose(&dev->info, a->n_cols, a->w_up != NULL, &chosen);
        cfg = &chosen;
    }
    axvk_status st = check_args(dev, a, cfg, err);
    if (st)
        return vkrec_fail(rec, st, "%s", err->msg);

    enum kernel_id id = (enum kernel_id)kernel_for(a->wtype, a->w_up != NULL);
    struct vkspec spec = {
        .wg_size = cfg->wg_size,
        .n_consts = 3,
        .consts = {cfg->rows_per_sg, cfg->wg_rows, a->n_cols},
    };
    uint64_t y_bytes = 4ull * a->n_cols * a->rows;
    struct vkbuf x = vkbuf_view(&a->x, 0, 4ull * a->n_cols * a->k);
    struct vkbuf y = vkbuf_view(&a->y, 0, y_bytes);
    /* unused bias / residual bindings get x: any readable range will do */
    struct vkbuf bias = a->bias.buffer ? vkbuf_view(&a->bias, 0, 4ull * a->rows) : x;
    struct vkbuf res = a->res.buffer ? vkbuf_view(&a->res, 0, y_bytes) : x;
    const struct vksplit *w = a->w;
    uint32_t r0, nr;
    for (uint32_t p = 0; (nr = kern_split_part(w, a->rows, p, &r0)) != 0; p++) {
        /* whole words: an odd count of 2-byte aligned blocks ends mid-word (allocations are
         * padded, see struct matvec_args) */
        uint64_t part_bytes = (nr * w->row_bytes + 3) / 4 * 4;
        struct vkbuf part = vkbuf_view(&w->parts[p], 0, part_bytes);
        struct push_matvec pc = {
            .rows = nr,
            .k = a->k,
            .row_base = r0,
            .y_stride = a->rows,
            .flags = (a->bias.buffer ? MATVEC_BIAS : 0) | (a->res.buffer ? MATVEC_RESIDUAL : 0),
        };
        struct vkbuf bind[6] = {part, x, y, bias, res, part};
        if (a->w_up)
            bind[5] = vkbuf_view(&a->w_up->parts[p], 0, part_bytes);
        st = kern_dispatch(rec, id, &spec, bind, a->w_up ? 6 : 5, &pc, sizeof pc,
                           kern_div_up(nr, cfg->wg_rows));
        if (st) {
            *err = *vkrec_err(rec);
            return st;
        }
    }
    return AXVK_OK;
}
