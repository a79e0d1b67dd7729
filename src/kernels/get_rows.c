/* get_rows: records the embedding lookup (shaders/get_rows.comp): variant per weight type, one
 * dispatch per table part, the out-of-range rule. Never reads the ids or the table on the host. */
#include "kernels/get_rows.h"

#include "base/wtype.h"
#include "kernels/registry.h"
#include "matvec_push.h"

/* invocations per workgroup: a row of 3584 weights is 112-448 units, a few groups */
#define GET_ROWS_WG 64

/* -1 when the type has no get_rows variant */
static int kernel_for(uint32_t wtype)
{
    switch (wtype) {
    case WTYPE_F32: return KERNEL_get_rows_f32;
    case WTYPE_F16: return KERNEL_get_rows_f16;
    case WTYPE_BF16: return KERNEL_get_rows_bf16;
    case WTYPE_Q8_0: return KERNEL_get_rows_q8_0;
    case WTYPE_Q4_0: return KERNEL_get_rows_q4_0;
    case WTYPE_Q4_1: return KERNEL_get_rows_q4_1;
    case WTYPE_Q5_0: return KERNEL_get_rows_q5_0;
    case WTYPE_Q5_1: return KERNEL_get_rows_q5_1;
    case WTYPE_Q4_K: return KERNEL_get_rows_q4_k;
    case WTYPE_Q5_K: return KERNEL_get_rows_q5_k;
    case WTYPE_Q6_K: return KERNEL_get_rows_q6_k;
    default: return -1;
    }
}

static axvk_status check_args(const struct vkdev *dev, const struct get_rows_args *a,
                              struct err *err)
{
    const struct wtype_info *ti = wtype_get(a->wtype);
    if (!ti || kernel_for(a->wtype) < 0)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "get_rows: weight type %u has no kernel",
                       a->wtype);
    uint32_t align = ti->block_elems > 1 ? ti->block_elems : 8;
    if (!a->rows || !a->k || a->k % align)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "get_rows: table %u x %u (%s needs k a "
                       "multiple of %u)", a->rows, a->k, ti->name, align);
    const struct vksplit *w = a->w;
    uint64_t row_bytes = wtype_row_bytes(a->wtype, a->k);
    if (!kern_split_fits(w, a->rows, row_bytes) || w->rows_per_part * row_bytes > UINT32_MAX)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "get_rows: table is not %u rows of %llu "
                       "bytes", a->rows, (unsigned long long)row_bytes);
    uint64_t out_need = 4ull * a->n_ids * a->k;
    if (out_need > vkmem_max_binding(dev))
        return err_set(err, AXVK_ERR_UNSUPPORTED, "get_rows: %u rows of %u floats exceed a "
                       "binding of %llu bytes", a->n_ids, a->k,
                       (unsigned long long)vkmem_max_binding(dev));
    if (a->ids.size < 4ull * a->n_ids || a->out.size < out_need)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "get_rows: %u ids need %llu + %llu bytes of "
                       "ids and output, buffers hold %llu and %llu", a->n_ids,
                       4ull * a->n_ids, (unsigned long long)out_need,
                       (unsigned long long)a->ids.size, (unsigned long long)a->out.size);
    return AXVK_OK;
}

axvk_status get_rows_record(struct vkrec *rec, const struct get_rows_args *a, struct err *err)
{
    struct vkdev *dev = vkrec_dev(rec);
    axvk_status st = check_args(dev, a, err);
    if (st)
        return vkrec_fail(rec, st, "%s", err->msg);
    if (!a->n_ids)
        return AXVK_OK;

    enum kernel_id id = (enum kernel_id)kernel_for(a->wtype);
    struct vkspec spec = {.wg_size = GET_ROWS_WG};
    uint32_t wg = vkspec_wg_size(dev, &spec);
    const struct wtype_info *ti = wtype_get(a->wtype);
    /* units of dequant.glsl per row: 8 weights for float types, 32 otherwise */
    uint32_t units = a->k / (ti->block_elems > 1 ? 32 : 8);
    const uint32_t *max = dev->info.max_wg_count;
    /* the shader strides over what the grid leaves: x along the row, y over the ids */
    uint32_t groups[3] = {(uint32_t)kern_div_up(units, wg), a->n_ids, 1};
    if (groups[0] > max[0])
        groups[0] = max[0];
    if (groups[1] > max[1])
        groups[1] = max[1];
    struct vkbuf ids = vkbuf_view(&a->ids, 0, 4ull * a->n_ids);
    struct vkbuf out = vkbuf_view(&a->out, 0, 4ull * a->n_ids * a->k);
    const struct vksplit *w = a->w;
    uint32_t r0, nr;
    for (uint32_t p = 0; (nr = kern_split_part(w, a->rows, p, &r0)) != 0; p++) {
        /* whole words: see dequant.glsl (allocations are padded) */
        struct vkbuf part = vkbuf_view(&w->parts[p], 0, (nr * w->row_bytes + 3) / 4 * 4);
        struct push_get_rows pc = {
            .n_ids = a->n_ids,
            .k = a->k,
            .row_begin = r0,
            .part_rows = nr,
            .total_rows = a->rows,
            .flags = p == 0 ? GET_ROWS_ZERO_INVALID : 0,
        };
        struct vkbuf bind[3] = {part, ids, out};
        st = kern_dispatch3(rec, id, &spec, bind, 3, &pc, sizeof pc, groups);
        if (st) {
            *err = *vkrec_err(rec);
            return st;
        }
    }
    return AXVK_OK;
}
