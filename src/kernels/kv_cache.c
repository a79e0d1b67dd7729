/* kv_cache: cache sizes and the dispatch of kv_write_f16 / kv_write_q8_0 (with q's rotation
 * when asked), with every shape checked so that no row, record, word or q element is addressed
 * outside the caller's buffers. */
#include "kernels/kv_cache.h"

#include "base/wtype.h"
#include "ops_push.h"

uint64_t kern_kv_bytes(uint32_t cache_type, uint32_t n_rows, uint32_t n_kv_head, uint32_t head_dim)
{
    if (cache_type != WTYPE_F16 && cache_type != WTYPE_Q8_0)
        return 0;
    if (head_dim == 0 || (cache_type == WTYPE_F16 ? head_dim % 2 : head_dim % 32))
        return 0;
    uint64_t rec = wtype_row_bytes(cache_type, head_dim);
    return (uint64_t)n_rows * n_kv_head * rec;
}

axvk_status kern_kv_write(struct vkrec *rec, const struct vkbuf *k_cache, const struct vkbuf *v_cache,
                          const struct vkbuf *k, const struct vkbuf *v, const struct vkbuf *q,
                          const struct vkbuf *pos, const struct vkbuf *tab,
                          const struct kern_rope *rope, const struct kern_kv_write *w)
{
    const struct vkdev *dev = vkrec_dev(rec);
    struct err e = {0};
    if (kern_rope_check(rope, w->head_dim, &e))
        return vkrec_fail(rec, e.status, "kern_kv_write: %s", e.msg);
    uint64_t cache_bytes = kern_kv_bytes(w->cache_type, w->n_rows, w->n_kv_head, w->head_dim);
    if (!cache_bytes || w->head_dim > KERN_KV_MAX_HEAD_DIM)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_kv_write: cache type %u, %u rows of "
                          "%u heads of %u (f16 or q8_0; head_dim even, a multiple of 32 for q8_0, "
                          "at most %d)", w->cache_type, w->n_rows, w->n_kv_head, w->head_dim,
                          KERN_KV_MAX_HEAD_DIM);
    uint64_t in_bytes = (uint64_t)w->n_tok * w->n_kv_head * w->head_dim * sizeof(float);
    uint64_t tab_bytes = kern_rope_table_bytes(rope);
    if (cache_bytes > k_cache->size || cache_bytes > v_cache->size || in_bytes > k->size ||
        in_bytes > v->size || (uint64_t)w->n_tok * 4 > pos->size || tab_bytes > tab->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_kv_write: caches of %llu bytes, "
                          "%u tokens: buffers hold k cache %llu, v cache %llu, k %llu, v %llu, "
                          "pos %llu, table %llu bytes", (unsigned long long)cache_bytes, w->n_tok,
                          (unsigned long long)k_cache->size, (unsigned long long)v_cache->size,
                          (unsigned long long)k->size, (unsigned long long)v->size,
                          (unsigned long long)pos->size, (unsigned long long)tab->size);
    uint64_t q_bytes = (uint64_t)w->n_tok * w->n_q_head * w->head_dim * sizeof(float);
    if (w->n_q_head && (!q || q_bytes > q->size))
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_kv_write: q of %u tokens x %u "
                          "heads x %u needs %llu bytes, the buffer holds %llu", w->n_tok,
                          w->n_q_head, w->head_dim, (unsigned long long)q_bytes,
                          (unsigned long long)(q ? q->size : 0));
    /* the shader addresses q8_0 bytes and f16 words with 32-bit indices */
    if (cache_bytes > UINT32_MAX)
        return vkrec_fail(rec, AXVK_ERR_UNSUPPORTED, "kern_kv_write: a cache of %llu bytes needs "
                          "more than 32-bit byte offsets; split it by layer range",
                          (unsigned long long)cache_bytes);
    /* q elements are addressed with 32-bit indices as well */
    uint64_t n_heads = (uint64_t)w->n_kv_head + w->n_q_head;
    if (w->n_tok > dev->info.max_wg_count[1] || n_heads > dev->info.max_wg_count[0] ||
        q_bytes / sizeof(float) > UINT32_MAX)
        return vkrec_fail(rec, AXVK_ERR_UNSUPPORTED, "kern_kv_write: %u tokens x %u kv + %u q "
                          "heads exceed the device's grid or 32-bit q indices", w->n_tok,
                          w->n_kv_head, w->n_q_head);
    if (w->n_tok == 0 || w->n_kv_head == 0)
        return vkrec_err(rec)->status;
    /* without q the binding still needs a range; no workgroup touches it, and the v cache is
     * written by this dispatch anyway, so the dependency tracking sees nothing new */
    struct vkbuf bind[7] = {
        vkbuf_view(k, 0, in_bytes),
        vkbuf_view(v, 0, in_bytes),
        vkbuf_view(pos, 0, (uint64_t)w->n_tok * 4),
        vkbuf_view(tab, 0, tab_bytes),
        vkbuf_view(k_cache, 0, cache_bytes),
        vkbuf_view(v_cache, 0, cache_bytes),
        w->n_q_head ? vkbuf_view(q, 0, q_bytes) : vkbuf_view(v_cache, 0, cache_bytes),
    };
    struct push_kv_write pc = {
        .n_tok = w->n_tok,
        .n_kv_head = w->n_kv_head,
        .head_dim = w->head_dim,
        .n_rows = w->n_rows,
        .row0 = w->row0,
        .seq_stride = w->seq_stride,
        .tok_per_seq = w->tok_per_seq,
        .n_q_head = w->n_q_head,
        .n_rot = rope->n_rot,
        .neox = rope->style == KERN_ROPE_NEOX,
        .mscale = kern_rope_mscale(rope),
    };
    /* a record is at most 256 floats: 64 invocations keep every one busy in the rotation */
    struct vkspec spec = {.wg_size = 64};
    uint32_t grid[3] = {(uint32_t)n_heads, w->n_tok, 1};
    enum kernel_id id = w->cache_type == WTYPE_F16 ? KERNEL_kv_write_f16 : KERNEL_kv_write_q8_0;
    return kern_dispatch3(rec, id, &spec, bind, 7, &pc, sizeof pc, grid);
}
