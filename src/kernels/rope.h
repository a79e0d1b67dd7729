/* rope: host side of rotary position embedding: the per-model angle table, and shaders/rope.comp
 * rotating any [n_tok, n_head, head_dim] buffer (the model's q and k are rotated by kv_write with
 * the same table, kv_cache.h). Owns no buffers; the table is computed here and uploaded by the
 * caller once per model. */
#ifndef AXVK_KERNELS_ROPE_H
#define AXVK_KERNELS_ROPE_H

#include <stdint.h>

#include "kernels/registry.h"

/* Rope modes, numbered as llama.cpp's (and ref_rope_style). */
enum kern_rope_style {
    KERN_ROPE_NORMAL = 0, /* interleaved pairs (2i, 2i+1): Llama */
    KERN_ROPE_NEOX = 2,   /* rotate-half pairs (i, i + n_rot/2): Qwen2 */
};

/* A model's rotary embedding; every field is used as given (plain RoPE: freq_scale 1,
 * ext_factor 0, attn_factor 1). Pair i at position p turns by p * F_i with
 *   F_i = base^(-2i/n_rot) * (freq_scale * (1 - mix_i) + mix_i),
 *   mix_i = ext_factor * (1 - clamp((i - lo) / max(0.001, hi - lo), 0, 1)),
 *   lo = max(0, floor(c(beta_fast))), hi = min(n_rot - 1, ceil(c(beta_slow))),
 *   c(b) = n_rot * ln(n_ctx_orig / (2 pi b)) / (2 ln base)      (YaRN correction dims),
 * and cos/sin scaled by attn_factor * (ext_factor != 0 ? 1 + 0.1 ln(1 / freq_scale) : 1):
 * llama.cpp's rope_yarn, as ref_rope computes it. */
struct kern_rope {
    uint32_t style;      /* enum kern_rope_style */
    uint32_t n_rot;      /* rotated dims per head: even, <= head_dim; the rest pass through */
    float theta_base;    /* 1e6 for Qwen2.5 / A.X */
    float freq_scale;    /* 1 / YaRN factor */
    float ext_factor;    /* 1 with YaRN, 0 without */
    float attn_factor;
    float beta_fast;     /* YaRN: 32 */
    float beta_slow;     /* YaRN: 1 */
    uint32_t n_ctx_orig; /* training context (YaRN correction dims) */
};

/* Bytes of the angle table of r: n_rot / 2 entries of 8 bytes. */
uint64_t kern_rope_table_bytes(const struct kern_rope *r);

/* tab [n_rot / 2][2] u32 = {lo, hi} words of F_i / (2 pi) modulo 1 as a 64-bit fraction of a turn,
 * computed in double: the shader takes p * F_i modulo one turn exactly in integers. */
void kern_rope_table(uint32_t *tab, const struct kern_rope *r);

/* The magnitude factor cos and sin are scaled by (see struct kern_rope). */
float kern_rope_mscale(const struct kern_rope *r);

/* AXVK_ERR_INVALID_ARGUMENT unless style is known, n_rot even, 2 <= n_rot <= head_dim. */
axvk_status kern_rope_check(const struct kern_rope *r, uint32_t head_dim, struct err *err);

/* y [n_tok, n_head, head_dim] = x rotated for positions pos [n_tok] (u32); y may be x (same range).
 * tab: the device copy of kern_rope_table(r). */
axvk_status kern_rope(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *x,
                      const struct vkbuf *pos, const struct vkbuf *tab, const struct kern_rope *r,
                      uint32_t n_tok, uint32_t n_head, uint32_t head_dim);

#endif
