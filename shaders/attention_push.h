/* attention_push.h: push constants of the attention kernels (attention_decode.comp,
 * attention_combine.comp, attention_prefill.comp), shared by src/kernels/attention.c and GLSL.
 * Only scalar 32-bit fields, std430 order = C order. A shader defines ATTN_WANT_<KERNEL> before
 * including this file so that GLSL sees exactly one push_constant block; C sees every struct.
 *
 * KV cache layout (one buffer per layer for K and one for V, written by kv_write):
 *   rows [n_rows][n_kv_head][head_dim]; a sequence's position p lives in row base + p.
 *   f16: head_dim halves per (row, head).
 *   q8_0: head_dim / 32 blocks {f16 d; i8 qs[32]} (34 bytes) per (row, head), blocks along
 *         head_dim, (row, head) records packed back to back (so only 2-byte aligned).
 * Positions come from a u32 buffer (so recorded command buffers replay with new positions):
 * decode reads pos[s] for sequence s and attends to rows s * seq_stride + [0, pos[s]];
 * prefill reads pos[0] (position of its first query) and attends causally. */
#ifndef AXVK_SHADERS_ATTENTION_PUSH_H
#define AXVK_SHADERS_ATTENTION_PUSH_H

#ifdef GL_core_profile
#define ATTN_PUSH(name) layout(push_constant) uniform name
#define ATTN_PC pc
#else
#include <stdint.h>
typedef uint32_t uint;
#define ATTN_PUSH(name) struct name
#define ATTN_PC
#endif

#define ATTN_WG 128          /* invocations of every attention workgroup */
#define ATTN_MAX_HEAD_DIM 128 /* head_dim: a multiple of 32, at most this */
#define ATTN_GROUP 8         /* query heads one decode workgroup serves (sharing K/V reads) */
#define ATTN_PREFILL_Q 32    /* query tokens per prefill workgroup */
#define ATTN_PREFILL_K 32    /* keys per prefill step */

/* attention_decode.comp: one query token per sequence, q/out [n_seq][n_head][head_dim] f32.
 * Dispatch (n_split, n_kv_head * n_group, n_seq): workgroup (j, h * n_group + g, s) takes key
 * chunk j of sequence s (chunks of ceil(L / n_split) rounded up to ATTN_WG keys) for the query
 * heads h * (n_head / n_kv_head) + g * ATTN_GROUP + [0, ATTN_GROUP). With n_split == 1 it
 * writes out; otherwise partial (max, sum) and unnormalised outputs for attention_combine. */
#if !defined(GL_core_profile) || defined(ATTN_WANT_DECODE)
ATTN_PUSH(push_attn_decode)
{
    uint n_head;
    uint n_kv_head;
    uint head_dim;
    uint seq_stride; /* cache rows between sequences; a sequence reads at most this many */
    uint n_split;
    uint n_group;    /* ceil((n_head / n_kv_head) / ATTN_GROUP) */
    float scale;     /* usually 1 / sqrt(head_dim) */
} ATTN_PC;
#endif

/* attention_combine.comp: merges the n_split partials of each (sequence, head).
 * Dispatch (n_head, n_seq, 1). */
#if !defined(GL_core_profile) || defined(ATTN_WANT_COMBINE)
ATTN_PUSH(push_attn_combine)
{
    uint n_head;
    uint head_dim;
    uint n_split;
} ATTN_PC;
#endif

/* attention_prefill.comp: q/out [n_tok][n_head][head_dim] f32, query t at position pos[0] + t
 * attends to cache rows row_base + [0, pos[0] + t]. Dispatch
 * (ceil(n_tok / ATTN_PREFILL_Q), n_head, 1). */
#if !defined(GL_core_profile) || defined(ATTN_WANT_PREFILL)
ATTN_PUSH(push_attn_prefill)
{
    uint n_tok;
    uint n_head;
    uint n_kv_head;
    uint head_dim;
    uint row_base; /* cache row of position 0 of this sequence */
    float scale;
} ATTN_PC;
#endif

#endif
