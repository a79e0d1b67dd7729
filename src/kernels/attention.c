/* attention: records decode (attention_decode + attention_combine) and prefill
 * (attention_prefill) attention: argument checks, chunk count, grids, scratch layout.
 * Never allocates device memory; the caller owns every buffer. */
#include "kernels/attention.h"

#include <math.h>

#include "attention_push.h"
#include "base/wtype.h"
#include "kernels/registry.h"

/* scratch parts start on this boundary (the largest minStorageBufferOffsetAlignment allowed) */
#define SCRATCH_ALIGN 256u
/* workgroups a decode dispatch aims for: a few per compute unit of a large GPU */
#define DECODE_TARGET_GROUPS 256u
#define DECODE_MAX_SPLITS 64u
/* shared memory attention_prefill.comp declares, in bytes (q, k/v, scores, row statistics) */
#define PREFILL_SHARED                                                                             \
    (4u * (ATTN_PREFILL_Q * (ATTN_MAX_HEAD_DIM + 1) + ATTN_PREFILL_K * (ATTN_MAX_HEAD_DIM / 2 + 1) + \
           ATTN_PREFILL_Q * (ATTN_PREFILL_K + 1) + 3 * ATTN_PREFILL_Q))

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

static uint32_t groups_per_kv_head(uint32_t n_head, uint32_t n_kv_head)
{
    return (n_head / n_kv_head + ATTN_GROUP - 1) / ATTN_GROUP;
}

uint32_t attn_decode_splits(uint32_t n_seq, uint32_t n_head, uint32_t n_kv_head, uint32_t n_ctx)
{
    if (!n_seq || !n_kv_head || n_head < n_kv_head)
        return 1;
    uint64_t per_split = (uint64_t)n_seq * n_kv_head * groups_per_kv_head(n_head, n_kv_head);
    uint64_t s = (DECODE_TARGET_GROUPS + per_split - 1) / per_split;
    /* below ~2 tiles of keys per chunk the combine pass costs more than the parallelism gains */
    uint64_t by_len = n_ctx / 256u;
    if (s > by_len)
        s = by_len;
    if (s > DECODE_MAX_SPLITS)
        s = DECODE_MAX_SPLITS;
    return s ? (uint32_t)s : 1;
}

static uint32_t decode_n_split(const struct attn_decode_args *a)
{
    return a->n_split ? a->n_split : attn_decode_splits(a->n_seq, a->n_head, a->n_kv_head, a->n_ctx);
}

static uint64_t scratch_o_bytes(const struct attn_decode_args *a, uint32_t n_split)
{
    return (uint64_t)a->n_seq * a->n_head * n_split * a->head_dim * 4;
}

uint64_t attn_decode_scratch_bytes(const struct attn_decode_args *a)
{
    uint32_t n_split = decode_n_split(a);
    if (n_split <= 1)
        return 0;
    return align_up(scratch_o_bytes(a, n_split), SCRATCH_ALIGN) +
           (uint64_t)a->n_seq * a->n_head * n_split * 8;
}

double attn_kv_bytes(uint32_t cache_type, uint32_t n_kv_head, uint32_t head_dim, uint32_t len)
{
    return 2.0 * (double)wtype_row_bytes(cache_type, (uint64_t)n_kv_head * head_dim) * len;
}

/* Shared checks of both kinds: cache type, head geometry, and that the cache bindings hold
 * `rows` rows and fit one binding each. */
static axvk_status check_common(const struct vkdev *dev, uint32_t cache_type, uint32_t n_head,
                                uint32_t n_kv_head, uint32_t head_dim, uint64_t rows,
                                const struct vkbuf *k, const struct vkbuf *v, struct err *err)
{
    if (cache_type != WTYPE_F16 && cache_type != WTYPE_Q8_0)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "attention: cache type %u is neither f16 nor q8_0",
                       cache_type);
    if (head_dim != 32 && head_dim != 64 && head_dim != 128)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "attention: head_dim %u (32, 64 or 128)", head_dim);
    if (!n_kv_head || !n_head || n_head % n_kv_head)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "attention: %u query heads over %u KV heads",
                       n_head, n_kv_head);
    uint64_t row_bytes = wtype_row_bytes(cache_type, (uint64_t)n_kv_head * head_dim);
    if (rows > UINT64_MAX / row_bytes || k->size < rows * row_bytes || v->size < rows * row_bytes)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "attention: caches of %llu / %llu bytes hold "
                       "fewer than %llu rows of %llu bytes", (unsigned long long)k->size,
                       (unsigned long long)v->size, (unsigned long long)rows,
                       (unsigned long long)row_bytes);
    uint64_t max_bind = vkmem_max_binding(dev);
    if (k->size > max_bind || v->size > max_bind)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "attention: a cache of %llu bytes exceeds the "
                       "device's %llu-byte binding", (unsigned long long)k->size,
                       (unsigned long long)max_bind);
    return AXVK_OK;
}

axvk_status attn_decode_record(struct vkrec *rec, const struct attn_decode_args *a,
                               struct err *err)
{
    struct vkdev *dev = vkrec_dev(rec);
    uint32_t stride = a->seq_stride ? a->seq_stride : a->n_ctx;
    uint32_t n_split = decode_n_split(a);
    axvk_status st = AXVK_OK;
    if (!a->n_seq || !a->n_ctx || stride < a->n_ctx || n_split > dev->info.max_wg_count[0])
        st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "attention decode: %u sequences of %u rows, "
                     "stride %u, %u chunks", a->n_seq, a->n_ctx, stride, n_split);
    if (!st)
        st = check_common(dev, a->cache_type, a->n_head, a->n_kv_head, a->head_dim,
                          (uint64_t)(a->n_seq - 1) * stride + a->n_ctx, &a->k_cache, &a->v_cache, err);
    uint64_t qo_bytes = (uint64_t)a->n_seq * a->n_head * a->head_dim * 4;
    if (!st && (a->q.size < qo_bytes || a->out.size < qo_bytes || a->pos.size < 4ull * a->n_seq ||
                a->scratch.size < attn_decode_scratch_bytes(a)))
        st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "attention decode: q, out, pos or scratch "
                     "smaller than %u sequences x %u heads need", a->n_seq, a->n_head);
    if (st)
        return vkrec_fail(rec, st, "%s", err->msg);

    uint32_t n_group = groups_per_kv_head(a->n_head, a->n_kv_head);
    struct push_attn_decode pc = {
        .n_head = a->n_head,
        .n_kv_head = a->n_kv_head,
        .head_dim = a->head_dim,
        .seq_stride = stride,
        .n_split = n_split,
        .n_group = n_group,
        .scale = a->scale != 0.0f ? a->scale : 1.0f / sqrtf((float)a->head_dim),
    };
    /* with one chunk the partial bindings are unused: `out` (written anyway) stands in */
    struct vkbuf part_o = a->out, part_ml = a->out;
    if (n_split > 1) {
        uint64_t o_bytes = scratch_o_bytes(a, n_split);
        part_o = vkbuf_view(&a->scratch, 0, o_bytes);
        part_ml = vkbuf_view(&a->scratch, align_up(o_bytes, SCRATCH_ALIGN),
                             (uint64_t)a->n_seq * a->n_head * n_split * 8);
    }
    struct vkspec spec = {.wg_size = ATTN_WG};
    struct vkbuf bind[7] = {a->q, a->k_cache, a->v_cache, a->pos, part_o, part_ml, a->out};
    uint32_t groups[3] = {n_split, a->n_kv_head * n_group, a->n_seq};
    enum kernel_id id = a->cache_type == WTYPE_F16 ? KERNEL_attention_decode_f16
                                                   : KERNEL_attention_decode_q8_0;
    st = kern_dispatch3(rec, id, &spec, bind, 7, &pc, sizeof pc, groups);
    if (!st && n_split > 1) {
        struct push_attn_combine cc = {.n_head = a->n_head, .head_dim = a->head_dim,
                                       .n_split = n_split};
        struct vkbuf cb[3] = {part_o, part_ml, a->out};
        uint32_t cg[3] = {a->n_head, a->n_seq, 1};
        st = kern_dispatch3(rec, KERNEL_attention_combine, &spec, cb, 3, &cc, sizeof cc, cg);
    }
    if (st)
        *err = *vkrec_err(rec);
    return st;
}

axvk_status attn_prefill_record(struct vkrec *rec, const struct attn_prefill_args *a,
                                struct err *err)
{
    struct vkdev *dev = vkrec_dev(rec);
    axvk_status st = AXVK_OK;
    if (!a->n_tok || !a->n_ctx || a->n_tok > a->n_ctx)
        st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "attention prefill: %u tokens in %u rows",
                     a->n_tok, a->n_ctx);
    if (!st && dev->info.max_shared_bytes < PREFILL_SHARED)
        st = err_set(err, AXVK_ERR_UNSUPPORTED, "attention prefill: needs %u bytes of shared "
                     "memory, the device has %u", PREFILL_SHARED, dev->info.max_shared_bytes);
    if (!st)
        st = check_common(dev, a->cache_type, a->n_head, a->n_kv_head, a->head_dim,
                          (uint64_t)a->row_base + a->n_ctx, &a->k_cache, &a->v_cache, err);
    uint64_t qo_bytes = (uint64_t)a->n_tok * a->n_head * a->head_dim * 4;
    if (!st && (a->q.size < qo_bytes || a->out.size < qo_bytes || a->pos.size < 4))
        st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "attention prefill: q, out or pos smaller "
                     "than %u tokens x %u heads need", a->n_tok, a->n_head);
    if (st)
        return vkrec_fail(rec, st, "%s", err->msg);

    struct push_attn_prefill pc = {
        .n_tok = a->n_tok,
        .n_head = a->n_head,
        .n_kv_head = a->n_kv_head,
        .head_dim = a->head_dim,
        .row_base = a->row_base,
        .scale = a->scale != 0.0f ? a->scale : 1.0f / sqrtf((float)a->head_dim),
    };
    struct vkspec spec = {.wg_size = ATTN_WG};
    struct vkbuf bind[5] = {a->q, a->k_cache, a->v_cache, a->pos, a->out};
    uint32_t groups[3] = {(uint32_t)kern_div_up(a->n_tok, ATTN_PREFILL_Q), a->n_head, 1};
    enum kernel_id id = a->cache_type == WTYPE_F16 ? KERNEL_attention_prefill_f16
                                                   : KERNEL_attention_prefill_q8_0;
    st = kern_dispatch3(rec, id, &spec, bind, 5, &pc, sizeof pc, groups);
    if (st)
        *err = *vkrec_err(rec);
    return st;
}
