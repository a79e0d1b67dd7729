/* ref/ops: plain-C twin of every GPU op, the ground truth the kernels are tested against.
 * Output argument first, shapes row-major as [outer, ..., inner], fp32 accumulation, no
 * allocation (callers pass scratch), no error paths: shapes and types are programmer contracts
 * (asserted). Weight and cache storage follows the GGUF block layouts of ref/quant.h. */
#ifndef AXVK_REF_OPS_H
#define AXVK_REF_OPS_H

#include <stddef.h>
#include <stdint.h>

/* Largest head_dim the attention and cache ops take (they keep one head on the stack). */
#define REF_MAX_HEAD_DIM 512

/* ---- matrix products ---------------------------------------------------------------------- */

/* y [n_cols, rows] = x [n_cols, k] . W^T (+ bias [rows]) (+ residual [n_cols, rows]).
 * W [rows, k] is stored as `wtype`, each row wtype_row_bytes(wtype, k) bytes; k is a multiple of
 * the type's block. bias/residual may be NULL; residual may be y itself (x must not overlap y).
 * Per output: acc = fp32 sum over k (per 256-element span, eight interleaved partial sums),
 * then + bias, then + residual. The result of a column does not depend on n_cols.
 * ref_matvec is the decode shape (n_cols 1..8); ref_matmul the prefill shape (any n_cols). */
void ref_matvec(float *y, const void *w, uint32_t wtype, const float *x, size_t rows, size_t k,
                size_t n_cols, const float *bias, const float *residual);
void ref_matmul(float *y, const void *w, uint32_t wtype, const float *x, size_t rows, size_t k,
                size_t n_cols, const float *bias, const float *residual);

/* ---- normalisation and element-wise ------------------------------------------------------- */

/* y [n_rows, dim] = x / sqrt(mean(x^2) + eps) * w [dim], per row. y may be x. */
void ref_rmsnorm(float *y, const float *x, const float *w, size_t n_rows, size_t dim, float eps);

/* y [n] = silu(gate) * up, silu(g) = g / (1 + exp(-g)). y may alias either input. */
void ref_swiglu(float *y, const float *gate, const float *up, size_t n);
/* y [n] = a + b; y may alias either. */
void ref_add(float *y, const float *a, const float *b, size_t n);
/* y [n] = x * s; y may be x. */
void ref_scale(float *y, const float *x, float s, size_t n);

/* y [n_ids, dim] = rows ids[i] of table [n_rows, dim] stored as `type` (embedding lookup).
 * Ids are trusted (callers check them against n_rows). */
void ref_get_rows(float *y, const void *table, uint32_t type, const int32_t *ids, size_t n_ids,
                  size_t dim);

/* ---- rotary position embedding ------------------------------------------------------------- */

/* Mode numbers as llama.cpp's rope modes. */
enum ref_rope_style {
    REF_ROPE_NORMAL = 0, /* interleaved pairs (2i, 2i+1): Llama */
    REF_ROPE_NEOX = 2,   /* rotate-half pairs (i, i + n_dims/2): Qwen2 */
};

/* Every field is used as given (no defaults): plain RoPE is freq_scale 1, ext_factor 0,
 * attn_factor 1. Pair i (0 <= i < n_dims/2) at position p turns by
 *   theta_extrap = p * theta_base^(-2i/n_dims),  theta_interp = freq_scale * theta_extrap,
 *   ramp = 1 - clamp((i - lo) / max(0.001, hi - lo), 0, 1)  with YaRN correction dims
 *   lo = max(0, floor(corr(beta_fast))), hi = min(n_dims - 1, ceil(corr(beta_slow))),
 *   corr(b) = n_dims * ln(n_ctx_orig / (2 pi b)) / (2 ln theta_base),
 *   theta = theta_interp * (1 - ramp*ext_factor) + theta_extrap * ramp*ext_factor,
 * and cos/sin are scaled by mscale = attn_factor * (ext_factor != 0 ? 1 + 0.1 ln(1/freq_scale) : 1),
 * as llama.cpp's rope_yarn defines them. */
struct ref_rope {
    uint32_t style;      /* enum ref_rope_style */
    uint32_t n_dims;     /* rotated dims per head: even, <= head_dim; the rest pass through */
    float theta_base;    /* rope freq base, 1e6 for Qwen2.5 / A.X */
    float freq_scale;    /* 1 / YaRN factor (e.g. 0.25 for factor 4) */
    float ext_factor;    /* YaRN extrapolation mix, 1 with YaRN, 0 without */
    float attn_factor;   /* extra magnitude scale of cos/sin */
    float beta_fast;     /* YaRN, 32 */
    float beta_slow;     /* YaRN, 1 */
    uint32_t n_ctx_orig; /* context the model was trained at (YaRN correction dims) */
};

/* In place: x [n_tok, n_head, head_dim], token t rotated for position pos[t]. */
void ref_rope(float *x, const int32_t *pos, size_t n_tok, size_t n_head, size_t head_dim,
              const struct ref_rope *rope);

/* ---- KV cache and attention ---------------------------------------------------------------- */

/* Writes x [n_tok, n_kv_head, head_dim] into rows pos .. pos+n_tok-1 of a cache
 * [n_ctx, n_kv_head, head_dim] stored as cache_type (WTYPE_F32, WTYPE_F16 or WTYPE_Q8_0; a row is
 * wtype_row_bytes(cache_type, n_kv_head*head_dim) bytes, q8_0 blocks never straddle heads since
 * head_dim % 32 == 0). With rope != NULL (the K cache) token t is first rotated for position
 * pos + t; x itself is not modified. */
void ref_kv_write(void *cache, uint32_t cache_type, const float *x, size_t pos, size_t n_tok,
                  size_t n_kv_head, size_t head_dim, const struct ref_rope *rope);

/* Causal grouped-query attention of n_tok queries at positions pos .. pos+n_tok-1:
 * out [n_tok, n_head, head_dim], q [n_tok, n_head, head_dim] (already rotated), k_cache and
 * v_cache [>= pos+n_tok, n_kv_head, head_dim] as cache_type (see ref_kv_write). Query head h
 * reads KV head h / (n_head / n_kv_head); token t sees cache rows 0 .. pos+t.
 * score = q.k / sqrt(head_dim), softmax in fp32 (max subtracted), out = sum p * v.
 * scratch: [pos + n_tok] floats. */
void ref_attention(float *out, const float *q, const void *k_cache, const void *v_cache,
                   uint32_t cache_type, size_t n_tok, size_t pos, size_t n_head, size_t n_kv_head,
                   size_t head_dim, float *scratch);

/* ---- logits and sampling (ops_sample.c) ------------------------------------------------------ */

/* Index of the largest x [n] (n >= 1); ties go to the lowest index. */
uint32_t ref_argmax(const float *x, size_t n);

/* y [n] = exp(x - max) / sum; y may be x. */
void ref_softmax(float *y, const float *x, size_t n);

/* Repetition, presence and frequency penalties over the window prev [n_prev] (the caller cuts the
 * window, e.g. the last 64 ids), in place on logits [n_vocab], as llama.cpp's penalties sampler:
 * for each distinct id with c occurrences in the window,
 *   logit = logit <= 0 ? logit * repeat : logit / repeat;  logit -= c * frequency + presence.
 * repeat 1, presence 0 and frequency 0 leave logits unchanged. Ids outside [0, n_vocab) are skipped. */
void ref_penalize(float *logits, size_t n_vocab, const int32_t *prev, size_t n_prev, float repeat,
                  float presence, float frequency);

struct ref_sampling {
    float temperature; /* <= 0: greedy, the argmax of the logits (the filters do not matter) */
    uint32_t top_k;    /* keep the k most likely; 0: off */
    float top_p;       /* nucleus; <= 0 or >= 1: off */
    float min_p;       /* keep p >= min_p * p_max; <= 0: off */
};

/* A candidate token: the state sampling works on. */
struct ref_candidate {
    int32_t id;
    float logit;
    float p;
};

/* One token drawn from logits [n_vocab] with the host's uniform u in [0, 1), in this order:
 *  1. candidates sorted by logit, descending (equal logits: lower id first);
 *  2. top-k keeps the first k;
 *  3. top-p: softmax (temperature 1) over what is left, keep the shortest prefix whose cumulative
 *     probability reaches top_p (at least one token);
 *  4. min-p keeps candidates with logit >= max_logit + ln(min_p) (p >= min_p * p_max);
 *  5. temperature divides the logits, softmax over what is left;
 *  6. the first candidate i (in sorted order) with u < p_0 + ... + p_i; the last one when
 *     rounding leaves u above the total.
 * Same logits, params and u give the same id. cand: scratch [n_vocab]. */
int32_t ref_sample(const float *logits, size_t n_vocab, const struct ref_sampling *s, float u,
                   struct ref_candidate *cand);

#endif
