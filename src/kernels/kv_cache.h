/* kv_cache: host side of the KV cache write (shaders/kv_write.comp): k rotated and both k and v
 * stored into one layer's cache buffers, q optionally rotated in place by the same dispatch. The
 * cache layout is shared with the attention kernels (shaders/attention_push.h):
 *   rows [n_rows][n_kv_head][head_dim]; sequence s at position p lives in row s * seq_stride + p;
 *   f16:  head_dim halves per (row, head) record;
 *   q8_0: head_dim / 32 blocks {f16 d; int8 q[32]} (34 bytes) per record, records back to back.
 * Owns no buffers; the model allocates one buffer per layer for K and one for V. */
#ifndef AXVK_KERNELS_KV_CACHE_H
#define AXVK_KERNELS_KV_CACHE_H

#include <stdint.h>

#include "kernels/registry.h"
#include "kernels/rope.h"

/* Bytes of one cache buffer (K or V) of n_rows rows; 0 when cache_type is not WTYPE_F16 or
 * WTYPE_Q8_0 or head_dim does not fit the type (even for f16, a multiple of 32 for q8_0). */
uint64_t kern_kv_bytes(uint32_t cache_type, uint32_t n_rows, uint32_t n_kv_head, uint32_t head_dim);

/* Largest head_dim kv_write takes (one record per workgroup in shared memory). */
#define KERN_KV_MAX_HEAD_DIM 256

struct kern_kv_write {
    uint32_t cache_type;  /* WTYPE_F16 or WTYPE_Q8_0 */
    uint32_t n_rows;      /* rows the cache buffers hold; rows past it are skipped */
    uint32_t n_tok;
    uint32_t n_kv_head;
    uint32_t head_dim;
    /* token t goes to row row0 + seq(t) * seq_stride + pos[t], seq(t) = t / tok_per_seq
     * (0 for every token when tok_per_seq is 0): decode of one token per sequence s = t uses
     * tok_per_seq 1; a prefill of sequence s uses row0 = s * seq_stride, tok_per_seq 0. */
    uint32_t row0;
    uint32_t seq_stride;
    uint32_t tok_per_seq;
    /* q heads rotated in place by the same dispatch, bit for bit as kern_rope would; 0: no q
     * (the q buffer may then be NULL) */
    uint32_t n_q_head;
};

/* k, v [n_tok, n_kv_head, head_dim] f32; q [n_tok, n_q_head, head_dim] f32, rotated in place
 * (elements past n_tok tokens untouched); pos [n_tok] u32 (the positions k and q are rotated
 * for); tab: the device copy of kern_rope_table(rope). k is not modified. */
axvk_status kern_kv_write(struct vkrec *rec, const struct vkbuf *k_cache, const struct vkbuf *v_cache,
                          const struct vkbuf *k, const struct vkbuf *v, const struct vkbuf *q,
                          const struct vkbuf *pos, const struct vkbuf *tab,
                          const struct kern_rope *rope, const struct kern_kv_write *w);

#endif
