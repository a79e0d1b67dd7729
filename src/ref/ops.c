/* ref/ops: matrix products, normalisation, element-wise ops, RoPE, KV cache writes and attention
 * on the CPU. Sampling and logit ops live in ops_sample.c.
 * Straightforward loops on purpose: this is the definition the GPU kernels are checked against. */
#include "ref/ops.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "base/wtype.h"
#include "ref/quant.h"

/* Weight rows are decoded this many elements at a time (a multiple of every block size). */
#define DECODE_SPAN 256
/* Activation columns sharing one decode of a weight span. */
#define COL_TILE 16

/* a . b [n] in fp32 with eight interleaved partial sums: independent chains keep the reference
 * fast enough for whole-model tests, and the error stays below a single chain's. */
static float dot(const float *a, const float *b, size_t n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
        s4 += a[i + 4] * b[i + 4];
        s5 += a[i + 5] * b[i + 5];
        s6 += a[i + 6] * b[i + 6];
        s7 += a[i + 7] * b[i + 7];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7));
}

void ref_matmul(float *y, const void *w, uint32_t wtype, const float *x, size_t rows, size_t k,
                size_t n_cols, const float *bias, const float *residual)
{
    const size_t row_bytes = wtype_row_bytes(wtype, k);
    assert(row_bytes != 0); /* known type, k a whole number of blocks */
    float span[DECODE_SPAN];
    for (size_t c0 = 0; c0 < n_cols; c0 += COL_TILE) {
        const size_t nc = n_cols - c0 < COL_TILE ? n_cols - c0 : COL_TILE;
        for (size_t r = 0; r < rows; r++) {
            const uint8_t *row = (const uint8_t *)w + r * row_bytes;
            float acc[COL_TILE] = {0};
            for (size_t off = 0; off < k; off += DECODE_SPAN) {
                const size_t n = k - off < DECODE_SPAN ? k - off : DECODE_SPAN;
                ref_dequantize(span, row + wtype_row_bytes(wtype, off), wtype, n);
                for (size_t c = 0; c < nc; c++)
                    acc[c] += dot(span, x + (c0 + c) * k + off, n);
            }
            for (size_t c = 0; c < nc; c++) {
                const size_t at = (c0 + c) * rows + r;
                float v = acc[c];
                if (bias)
                    v += bias[r];
                if (residual)
                    v += residual[at];
                y[at] = v;
            }
        }
    }
}

void ref_matvec(float *y, const void *w, uint32_t wtype, const float *x, size_t rows, size_t k,
                size_t n_cols, const float *bias, const float *residual)
{
    assert(n_cols >= 1 && n_cols <= 8);
    ref_matmul(y, w, wtype, x, rows, k, n_cols, bias, residual);
}

void ref_rmsnorm(float *y, const float *x, const float *w, size_t n_rows, size_t dim, float eps)
{
    for (size_t r = 0; r < n_rows; r++) {
        const float *xr = x + r * dim;
        float *yr = y + r * dim;
        float ss = 0.0f;
        for (size_t i = 0; i < dim; i++)
            ss += xr[i] * xr[i];
        const float inv = 1.0f / sqrtf(ss / (float)dim + eps);
        for (size_t i = 0; i < dim; i++)
            yr[i] = xr[i] * inv * w[i];
    }
}

void ref_swiglu(float *y, const float *gate, const float *up, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float g = gate[i];
        y[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void ref_add(float *y, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

void ref_scale(float *y, const float *x, float s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * s;
}

void ref_get_rows(float *y, const void *table, uint32_t type, const int32_t *ids, size_t n_ids,
                  size_t dim)
{
    const size_t row_bytes = wtype_row_bytes(type, dim);
    assert(row_bytes);
    for (size_t i = 0; i < n_ids; i++)
        ref_dequantize(y + i * dim, (const uint8_t *)table + (size_t)ids[i] * row_bytes, type, dim);
}

/* YaRN: the pair index where the rotation count over n_ctx_orig equals n_rot (float, as
 * llama.cpp computes it, since floor/ceil of it pick the ramp ends). */
static float yarn_corr_dim(float n_dims, float n_ctx_orig, float n_rot, float base)
{
    return n_dims * logf(n_ctx_orig / (n_rot * 2.0f * (float)M_PI)) / (2.0f * logf(base));
}

/* Rotates the first n_dims of one head vector v [head_dim] for position p. The angle and its
 * cos/sin are evaluated in double: a reference free of fp32 rounding at large positions. */
static void rope_head(float *v, int64_t p, const struct ref_rope *r)
{
    const size_t half = r->n_dims / 2;
    const float nd = (float)r->n_dims;
    float lo = 0.0f, hi = 0.0f;
    float mscale = r->attn_factor;
    if (r->ext_factor != 0.0f) {
        lo = fmaxf(0.0f, floorf(yarn_corr_dim(nd, (float)r->n_ctx_orig, r->beta_fast, r->theta_base)));
        hi = fminf(nd - 1.0f, ceilf(yarn_corr_dim(nd, (float)r->n_ctx_orig, r->beta_slow, r->theta_base)));
        mscale *= 1.0f + 0.1f * logf(1.0f / r->freq_scale);
    }
    for (size_t i = 0; i < half; i++) {
        const double extrap = (double)p * pow((double)r->theta_base, -2.0 * (double)i / nd);
        double theta = (double)r->freq_scale * extrap;
        if (r->ext_factor != 0.0f) {
            const float ramp_y = ((float)i - lo) / fmaxf(0.001f, hi - lo);
            const float mix = (1.0f - fminf(1.0f, fmaxf(0.0f, ramp_y))) * r->ext_factor;
            theta = theta * (1.0 - mix) + extrap * mix;
        }
        const float c = (float)cos(theta) * mscale, s = (float)sin(theta) * mscale;
        const size_t i0 = r->style == REF_ROPE_NEOX ? i : 2 * i;
        const size_t i1 = r->style == REF_ROPE_NEOX ? i + half : 2 * i + 1;
        const float a = v[i0], b = v[i1];
        v[i0] = a * c - b * s;
        v[i1] = a * s + b * c;
    }
}

void ref_rope(float *x, const int32_t *pos, size_t n_tok, size_t n_head, size_t head_dim,
              const struct ref_rope *rope)
{
    assert(rope->n_dims <= head_dim && rope->n_dims % 2 == 0);
    for (size_t t = 0; t < n_tok; t++)
        for (size_t h = 0; h < n_head; h++)
            rope_head(x + (t * n_head + h) * head_dim, pos[t], rope);
}

static void check_cache_shape(uint32_t cache_type, size_t head_dim)
{
    assert(cache_type == WTYPE_F32 || cache_type == WTYPE_F16 || cache_type == WTYPE_Q8_0);
    assert(head_dim <= REF_MAX_HEAD_DIM && wtype_row_bytes(cache_type, head_dim) != 0);
}

void ref_kv_write(void *cache, uint32_t cache_type, const float *x, size_t pos, size_t n_tok,
                  size_t n_kv_head, size_t head_dim, const struct ref_rope *rope)
{
    check_cache_shape(cache_type, head_dim);
    const size_t row_bytes = wtype_row_bytes(cache_type, n_kv_head * head_dim);
    const size_t head_bytes = wtype_row_bytes(cache_type, head_dim);
    float head[REF_MAX_HEAD_DIM];
    for (size_t t = 0; t < n_tok; t++) {
        uint8_t *row = (uint8_t *)cache + (pos + t) * row_bytes;
        for (size_t h = 0; h < n_kv_head; h++) {
            memcpy(head, x + (t * n_kv_head + h) * head_dim, head_dim * sizeof(float));
            if (rope)
                rope_head(head, (int64_t)(pos + t), rope);
            ref_quantize(row + h * head_bytes, head, cache_type, head_dim);
        }
    }
}

void ref_attention(float *out, const float *q, const void *k_cache, const void *v_cache,
                   uint32_t cache_type, size_t n_tok, size_t pos, size_t n_head, size_t n_kv_head,
                   size_t head_dim, float *scratch)
{
    check_cache_shape(cache_type, head_dim);
    assert(n_kv_head > 0 && n_head % n_kv_head == 0);
    const size_t group = n_head / n_kv_head;
    const size_t row_bytes = wtype_row_bytes(cache_type, n_kv_head * head_dim);
    const size_t head_bytes = wtype_row_bytes(cache_type, head_dim);
    const float scale = 1.0f / sqrtf((float)head_dim);
    const uint8_t *kc = k_cache, *vc = v_cache;
    float kv[REF_MAX_HEAD_DIM];
    for (size_t t = 0; t < n_tok; t++) {
        const size_t n_seen = pos + t + 1; /* causal: rows 0 .. pos+t */
        for (size_t h = 0; h < n_head; h++) {
            const float *qh = q + (t * n_head + h) * head_dim;
            const size_t kv_off = (h / group) * head_bytes;
            for (size_t j = 0; j < n_seen; j++) {
                ref_dequantize(kv, kc + j * row_bytes + kv_off, cache_type, head_dim);
                scratch[j] = dot(qh, kv, head_dim) * scale;
            }
            ref_softmax(scratch, scratch, n_seen);
            float *oh = out + (t * n_head + h) * head_dim;
            memset(oh, 0, head_dim * sizeof(float));
            for (size_t j = 0; j < n_seen; j++) {
                ref_dequantize(kv, vc + j * row_bytes + kv_off, cache_type, head_dim);
                for (size_t i = 0; i < head_dim; i++)
                    oh[i] += scratch[j] * kv[i];
            }
        }
    }
}
