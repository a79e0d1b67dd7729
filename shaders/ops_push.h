/* ops_push.h: push-constant layouts of the element-wise and small ops (rmsnorm, rope, kv_write,
 * swiglu, elementwise, argmax, sample*), shared by src/kernels and GLSL. Only scalar 32-bit
 * fields (std430 order = C order). A shader defines OPS_WANT_<OP> before including this file so
 * that GLSL sees exactly one push_constant block; C sees every struct. */
#ifndef AXVK_SHADERS_OPS_PUSH_H
#define AXVK_SHADERS_OPS_PUSH_H

#ifdef GL_core_profile
#define OPS_PUSH(name) layout(push_constant) uniform name
#define OPS_PC pc
#else
#include <stdint.h>
typedef uint32_t uint;
#define OPS_PUSH(name) struct name
#define OPS_PC
#endif

/* Rotary embedding, as computed by the reference (llama.cpp's formulas). The host derives the
 * per-model constants once so the shader only does the per-element arithmetic:
 *   theta_extrap(pos, i) = pos * theta_scale^i           (i = pair index, i < n_rot/2)
 *   theta_interp         = freq_scale * theta_extrap
 *   ramp                 = ext_factor * (1 - clamp((i - corr_lo) / max(0.001, corr_hi - corr_lo), 0, 1))
 *   theta                = theta_interp * (1 - ramp) + theta_extrap * ramp      (ext_factor != 0)
 *   (cos, sin)           = (cos theta, sin theta) * mscale
 * mscale = attn_factor, times (1 + 0.1 ln(1/freq_scale)) when ext_factor != 0. */
#define OPS_ROPE_FIELDS                                                                           \
    uint n_rot;        /* rotated dims per head (even, <= head_dim); the rest pass through */    \
    uint neox;         /* 1: pairs (i, i + n_rot/2) (Qwen2); 0: pairs (2i, 2i + 1) (Llama) */   \
    float theta_scale; /* freq_base^(-2/n_rot) */                                                \
    float freq_scale;  /* 1 / YaRN factor; 1 without scaling */                                 \
    float ext_factor;  /* YaRN extrapolation mix; 0 turns the ramp off */                       \
    float mscale;      /* magnitude factor applied to cos and sin */                             \
    float corr_lo;     /* YaRN correction dims (pair indices), from beta_fast / beta_slow */    \
    float corr_hi;

/* rmsnorm.comp: y[r][i] = x[r][i] / sqrt(mean(x[r]^2) + eps) * w[i]. Dispatch (n_rows, 1, 1). */
#if !defined(GL_core_profile) || defined(OPS_WANT_RMSNORM)
OPS_PUSH(push_rmsnorm)
{
    uint n;      /* row length */
    uint n_rows;
    float eps;
} OPS_PC;
#endif

/* rope.comp: x [n_tok][n_head][head_dim] f32 rotated in place (or into y) at positions pos[t].
 * Dispatch (ceil(n_head * n_rot / 2 / wg), n_tok, 1): one invocation per rotated pair. */
#if !defined(GL_core_profile) || defined(OPS_WANT_ROPE)
OPS_PUSH(push_rope)
{
    uint n_tok;
    uint n_head;
    uint head_dim;
    OPS_ROPE_FIELDS
} OPS_PC;
#endif

/* kv_write.comp: k, v [n_tok][n_kv_head][head_dim] f32 -> caches [n_ctx][n_kv_head][head_dim]
 * (f16, or q8_0 blocks of 32 along head_dim), k rotated at pos[t], both stored at row slot[t].
 * Dispatch (n_kv_head, n_tok, 1): one workgroup per (token, head) row. */
#if !defined(GL_core_profile) || defined(OPS_WANT_KV_WRITE)
OPS_PUSH(push_kv_write)
{
    uint n_tok;
    uint n_kv_head;
    uint head_dim;
    uint n_ctx; /* rows in the cache: a slot >= n_ctx is skipped, never written out of bounds */
    OPS_ROPE_FIELDS
} OPS_PC;
#endif

/* swiglu.comp: out[r][i] = silu(gate[r * gate_stride + i]) * up[r * up_stride + i], i < n.
 * Strides let gate and up be the two halves of one fused [n_rows][2n] projection.
 * Dispatch (ceil(n / wg), n_rows, 1). */
#if !defined(GL_core_profile) || defined(OPS_WANT_SWIGLU)
OPS_PUSH(push_swiglu)
{
    uint n;
    uint n_rows;
    uint gate_stride;
    uint up_stride;
} OPS_PC;
#endif

/* elementwise.comp: add: y[i] = a[i] + b[i % n_b]; mul: y[i] = a[i] * b[i % n_b];
 * scale: y[i] = a[i] * scale. n_b == n for plain element-wise, a row length to broadcast a
 * vector over rows. Grid-stride over n: any dispatch size covers it. */
#if !defined(GL_core_profile) || defined(OPS_WANT_ELEMENTWISE)
OPS_PUSH(push_elementwise)
{
    uint n;
    uint n_b;
    float scale;
} OPS_PC;
#endif

/* argmax.comp, two passes over rows of n logits:
 *  argmax_partial: dispatch (n_groups, n_rows): group g reduces elements [g*chunk, (g+1)*chunk)
 *                  to one (value, index) in partial[row * n_groups + g];
 *  argmax_final:   dispatch (1, n_rows): reduces the n_groups partials to out[row].
 * Ties go to the lowest index, so the result equals a first-maximum scan. */
#if !defined(GL_core_profile) || defined(OPS_WANT_ARGMAX)
OPS_PUSH(push_argmax)
{
    uint n;
    uint chunk;
    uint n_groups;
} OPS_PC;
#endif

#endif
