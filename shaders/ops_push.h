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

/* Rotary embedding. Pair i (i < n_rot/2) of a token at position p turns by p * F_i radians,
 * F_i = base^(-2i/n_rot) * (YaRN mix of freq_scale and 1, see src/kernels/rope.h). The host
 * computes F_i / (2 pi) once per model, in double, as a 64-bit fraction of a turn (the table
 * rope_tab[n_rot/2] of uvec2 {lo, hi}); the shader forms p * F_i modulo one turn in integer
 * arithmetic, exact at any position, where fp32 angles would be off by 1e-3 rad past 16,384.
 * cos and sin are scaled by mscale (attention factor, YaRN magnitude correction). */
#define OPS_ROPE_FIELDS                                                                           \
    uint n_rot;   /* rotated dims per head (even, <= head_dim); the rest pass through */         \
    uint neox;    /* 1: pairs (i, i + n_rot/2) (Qwen2); 0: pairs (2i, 2i + 1) (Llama) */        \
    float mscale;

/* rmsnorm.comp: y[r][i] = x[r][i] / sqrt(mean(x[r]^2) + eps) * w[i]. Dispatch (n_rows, 1, 1). */
#if !defined(GL_core_profile) || defined(OPS_WANT_RMSNORM)
OPS_PUSH(push_rmsnorm)
{
    uint n;      /* row length */
    uint n_rows;
    float eps;
} OPS_PC;
#endif

/* rope.comp: x [n_tok][n_head][head_dim] f32 rotated in place (or into y) at positions pos[t]
 * (u32, the buffer the attention kernels read).
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

/* kv_write.comp: k, v [n_tok][n_kv_head][head_dim] f32 -> caches [n_rows][n_kv_head][head_dim]
 * (f16, or q8_0 blocks of 32 along head_dim), k rotated at pos[t]. Token t goes to cache row
 *   row0 + seq(t) * seq_stride + pos[t],  seq(t) = tok_per_seq ? t / tok_per_seq : 0,
 * the attention kernels' convention (sequence s owns rows s * seq_stride + [0, n_ctx)): a batch
 * of one token per sequence has tok_per_seq 1, a prefill of sequence s row0 = s * seq_stride.
 * Rows >= n_rows are skipped, never written out of bounds. With n_q_head > 0, q
 * [n_tok][n_q_head][head_dim] is rotated in place as rope.comp would (tail dims past n_rot left
 * as they are). Dispatch (n_kv_head + n_q_head, n_tok, 1): one workgroup per (token, head)
 * record, then one per (token, q head). */
#if !defined(GL_core_profile) || defined(OPS_WANT_KV_WRITE)
OPS_PUSH(push_kv_write)
{
    uint n_tok;
    uint n_kv_head;
    uint head_dim;
    uint n_rows;
    uint row0;
    uint seq_stride;
    uint tok_per_seq;
    uint n_q_head; /* 0: k and v only */
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

/* elementwise.comp: add: y[i] = a[i] + b[i % n_b]; scale: y[i] = a[i] * scale. n_b == n for plain element-wise, a row length to broadcast a
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

/* ---- sampling (sample_*.comp) -------------------------------------------------------------
 * Pipeline per step, rows = sequences (1..8):
 *   sample_penalty  logits[row][id] penalised in place for each distinct (id, count) of the row;
 *   sample_sort     chunks of SAMPLE_CHUNK logits -> sorted runs of min(keep, SAMPLE_CHUNK)
 *                   (logit descending, equal logits by id ascending) + per-chunk (max, sum exp);
 *   sample_merge    groups of fan_in runs -> one sorted run of min(fan_in * len_in, keep),
 *                   repeated until one run is left: the row's top `keep` in the reference order;
 *   sample_final    top-k, top-p, min-p, temperature, softmax and the draw, as ref_sample.
 * A sorted entry is {float logit; uint id}; padding entries are (-inf, SAMPLE_NO_ID). */
#define SAMPLE_CHUNK 2048        /* logits per sort workgroup: 16 KiB of shared memory */
#define SAMPLE_SORT_WG 128       /* sort workgroup: 16 entries per invocation (every device has 128) */
#define SAMPLE_NO_ID 0xffffffffu /* padding id: sorts after every real entry */
#define SAMPLE_MAX_LOGPROBS 20

/* Per-row settings, one per row in a buffer the host writes before each step (a recorded step
 * replays with new values). Fields as struct ref_sampling / ref_penalize. */
struct sample_params {
    float temperature; /* <= 0: greedy (the first sorted entry) */
    uint top_k;        /* 0: off */
    float top_p;       /* >= 1: off */
    float min_p;       /* <= 0: off */
    float min_p_log;   /* logf(min_p), computed on the host exactly as the reference does */
    float u;           /* uniform random number in [0, 1) for the draw */
    float repeat;      /* repetition penalty, 1: off */
    float presence;
    float frequency;
    uint n_pen;        /* (id, count) entries of this row in the penalty list */
};

/* sample_penalty.comp: dispatch (ceil(pen_stride / wg), n_rows). */
#if !defined(GL_core_profile) || defined(OPS_WANT_SAMPLE_PENALTY)
OPS_PUSH(push_sample_penalty)
{
    uint n_vocab;
    uint pen_stride; /* entries reserved per row in the penalty list */
} OPS_PC;
#endif

/* sample_sort.comp: dispatch (n_chunks, n_rows); run_len = min(keep, SAMPLE_CHUNK). */
#if !defined(GL_core_profile) || defined(OPS_WANT_SAMPLE_SORT)
OPS_PUSH(push_sample_sort)
{
    uint n_vocab;
    uint n_chunks;
    uint run_len;
} OPS_PC;
#endif

/* sample_merge.comp: runs_in [row][n_runs][len_in] -> runs_out [row][ceil(n_runs / fan_in)]
 * [len_out], len_out = min(fan_in * len_in, keep). Dispatch (ceil(n_out * fan_in * len_in / wg),
 * n_rows): one invocation per input entry, missing runs of the last group read as padding. */
#if !defined(GL_core_profile) || defined(OPS_WANT_SAMPLE_MERGE)
OPS_PUSH(push_sample_merge)
{
    uint n_runs;
    uint len_in;
    uint len_out;
    uint fan_in;
} OPS_PC;
#endif

/* sample_final.comp: one workgroup per row. sorted [row][len] is the row's top `len` entries;
 * out [row][1 + n_logprobs] {uint id; float logprob}: the drawn token, then the n_logprobs most
 * likely; logprob = log softmax of the (penalised) logits at temperature 1, over the whole
 * vocabulary. Dispatch (1, n_rows). */
#if !defined(GL_core_profile) || defined(OPS_WANT_SAMPLE_FINAL)
OPS_PUSH(push_sample_final)
{
    uint n_vocab;
    uint len;
    uint n_chunks;
    uint n_logprobs;
} OPS_PC;
#endif

#endif
