/* kernels/attention: host side of attention over the KV cache (shaders/attention_*.comp):
 * flash-decoding for one query token per sequence, and causal flash attention for a prefill
 * block. Chooses chunk counts and dispatch grids; owns no buffers and knows no model.
 *
 * KV cache layout (agreed with kv_write, shaders/attention_push.h): per layer one buffer for K
 * and one for V, rows [n_rows][n_kv_head][head_dim]; f16 (head_dim halves per row and head) or
 * q8_0 (head_dim / 32 blocks {f16 d; i8 qs[32]} per row and head, packed back to back, i.e.
 * wtype_row_bytes(q8_0, n_kv_head * head_dim) bytes per row). Sequence s's position p is row
 * s * seq_stride + p (decode) or row_base + p (prefill). Cache buffers must be padded to a
 * multiple of 4 bytes (q8_0 records are read as 32-bit words).
 *
 * Positions are read on the GPU from a u32 buffer, so a recording replays at new positions:
 * decode sequence s attends to its rows [0, pos[s]]; prefill query t attends to [0, pos[0] + t]. */
#ifndef AXVK_KERNELS_ATTENTION_H
#define AXVK_KERNELS_ATTENTION_H

#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"
#include "vk/memory.h"
#include "vk/record.h"

/* Decode: q, out [n_seq][n_head][head_dim] f32. Zero-initialise; 0 means the default. */
struct attn_decode_args {
    uint32_t cache_type;       /* WTYPE_F16 or WTYPE_Q8_0 */
    uint32_t n_seq, n_head, n_kv_head, head_dim; /* head_dim 32, 64 or 128; n_head % n_kv_head == 0 */
    uint32_t n_ctx;            /* rows a sequence can reach (its largest pos + 1): sizes the split */
    uint32_t seq_stride;       /* cache rows between sequences; 0: n_ctx */
    uint32_t n_split;          /* chunks per sequence; 0: attn_decode_splits() */
    float scale;               /* 0: 1 / sqrt(head_dim) */
    struct vkbuf q, k_cache, v_cache;
    struct vkbuf pos;          /* [n_seq] u32 */
    struct vkbuf out;
    struct vkbuf scratch;      /* attn_decode_scratch_bytes(); unused (may be {0}) with 1 chunk */
};

/* Chunks the decode kernel splits each sequence into on a device: enough workgroups
 * (n_seq x n_kv_head x chunks) to fill a large GPU, at most one per 256 rows of n_ctx, at
 * most 64. Pure function of the arguments. */
uint32_t attn_decode_splits(uint32_t n_seq, uint32_t n_head, uint32_t n_kv_head, uint32_t n_ctx);

/* Bytes of scratch the decode partials need: n_seq n_head n_split (head_dim + 2) floats, the two
 * parts each aligned to 256 bytes. 0 when n_split resolves to 1. */
uint64_t attn_decode_scratch_bytes(const struct attn_decode_args *a);

/* Records decode attention (1 or 2 dispatches). Errors also land in the recorder. */
axvk_status attn_decode_record(struct vkrec *rec, const struct attn_decode_args *a,
                               struct err *err);

/* Prefill: q, out [n_tok][n_head][head_dim] f32 for one sequence; pos[0] is the position of
 * query 0, the cache must already hold rows row_base + [0, pos[0] + n_tok). */
struct attn_prefill_args {
    uint32_t cache_type;
    uint32_t n_tok, n_head, n_kv_head, head_dim;
    uint32_t n_ctx;            /* cache rows of the sequence (bounds the bindings) */
    uint32_t row_base;         /* cache row of position 0 */
    float scale;               /* 0: 1 / sqrt(head_dim) */
    struct vkbuf q, k_cache, v_cache, pos, out;
};

axvk_status attn_prefill_record(struct vkrec *rec, const struct attn_prefill_args *a,
                                struct err *err);

/* Bytes of K plus V a decode step reads at sequence length len (for bandwidth figures). */
double attn_kv_bytes(uint32_t cache_type, uint32_t n_kv_head, uint32_t head_dim, uint32_t len);

#endif
