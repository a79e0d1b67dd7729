/* test_ref_ops: the reference ops on hand-checkable cases and by their defining properties —
 * products against explicit sums, RoPE angles and norms, YaRN ramp ends, causal GQA attention,
 * softmax, argmax ties, penalties and the sampling chain. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "ref/ops.h"
#include "ref/quant.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static float rng_uniform(void) /* [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)(rng_state >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

static void fill(float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * rng_uniform();
}

static float norm2(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return (float)sqrt(s);
}

static void test_matvec_adds_bias_and_residual_by_hand(void **state)
{
    (void)state;
    const float w[2 * 3] = {1, 2, 3, 4, 5, 6}; /* [rows 2, k 3] */
    const float x[2 * 3] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    const float bias[2] = {0.5f, 1.0f};
    float y[2 * 2] = {10, 20, 30, 40}; /* also the residual */
    ref_matvec(y, w, WTYPE_F32, x, 2, 3, 2, bias, y);
    assert_true(y[0] == 1 - 3 + 0.5f + 10);
    assert_true(y[1] == 4 - 6 + 1.0f + 20);
    assert_true(y[2] == 3 + 0.5f + 30);
    assert_true(y[3] == 7.5f + 1.0f + 40);
}

/* Every weight type, k across several decode spans, more columns than one tile. */
static void test_matmul_equals_dequantized_dot_for_every_type(void **state)
{
    (void)state;
    const uint32_t types[] = {WTYPE_F32,  WTYPE_F16,  WTYPE_BF16, WTYPE_Q8_0, WTYPE_Q4_0, WTYPE_Q4_1,
                              WTYPE_Q5_0, WTYPE_Q5_1, WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};
    const size_t rows = 5, k = 768, n_cols = 19;
    float *wf = mem_alloc(rows * k * sizeof(float)), *x = mem_alloc(n_cols * k * sizeof(float));
    float *y = mem_alloc(n_cols * rows * sizeof(float)), *deq = mem_alloc(rows * k * sizeof(float));
    uint8_t *wq = mem_alloc(rows * k * sizeof(float));
    assert_true(wf && x && y && deq && wq);
    fill(wf, rows * k, 0.1f);
    fill(x, n_cols * k, 1.0f);
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        ref_quantize(wq, wf, types[t], rows * k);
        ref_dequantize(deq, wq, types[t], rows * k);
        ref_matmul(y, wq, types[t], x, rows, k, n_cols, NULL, NULL);
        for (size_t c = 0; c < n_cols; c++) {
            for (size_t r = 0; r < rows; r++) {
                double want = 0.0;
                for (size_t i = 0; i < k; i++)
                    want += (double)deq[r * k + i] * x[c * k + i];
                assert_float_equal(y[c * rows + r], want, 1e-4);
            }
        }
    }
    mem_free(wf);
    mem_free(x);
    mem_free(y);
    mem_free(deq);
    mem_free(wq);
}

static void test_rmsnorm_by_hand(void **state)
{
    (void)state;
    const float x[4] = {3, 4, -1, 1}, w[2] = {1, 2};
    float y[4];
    ref_rmsnorm(y, x, w, 2, 2, 0.0f);
    assert_float_equal(y[0], 3 / sqrtf(12.5f), 1e-6);
    assert_float_equal(y[1], 8 / sqrtf(12.5f), 1e-6);
    assert_float_equal(y[2], -1.0f, 1e-6);
    assert_float_equal(y[3], 2.0f, 1e-6);
}

static void test_swiglu_add_scale_by_hand(void **state)
{
    (void)state;
    const float g[3] = {0.0f, 1.0f, -2.0f}, u[3] = {5.0f, 2.0f, 1.0f};
    float y[3];
    ref_swiglu(y, g, u, 3);
    assert_float_equal(y[0], 0.0f, 1e-7);
    assert_float_equal(y[1], 2.0f / (1.0f + expf(-1.0f)), 1e-6);
    assert_float_equal(y[2], -2.0f / (1.0f + expf(2.0f)), 1e-6);
    ref_add(y, g, u, 3);
    assert_true(y[0] == 5.0f && y[1] == 3.0f && y[2] == -1.0f);
    ref_scale(y, y, -0.5f, 3);
    assert_true(y[0] == -2.5f && y[1] == -1.5f && y[2] == 0.5f);
}

static void test_get_rows_decodes_the_requested_rows(void **state)
{
    (void)state;
    const size_t n_rows = 6, dim = 64;
    float table[6 * 64], all[6 * 64], y[3 * 64];
    uint8_t q[6 * 2 * 34];
    fill(table, n_rows * dim, 1.0f);
    ref_quantize(q, table, WTYPE_Q8_0, n_rows * dim);
    ref_dequantize(all, q, WTYPE_Q8_0, n_rows * dim);
    const int32_t ids[3] = {4, 0, 4};
    ref_get_rows(y, q, WTYPE_Q8_0, ids, 3, dim);
    for (size_t i = 0; i < 3; i++)
        assert_memory_equal(y + i * dim, all + (size_t)ids[i] * dim, dim * sizeof(float));
}

static struct ref_rope plain_rope(uint32_t style, uint32_t n_dims)
{
    return (struct ref_rope){.style = style, .n_dims = n_dims, .theta_base = 10000.0f,
                             .freq_scale = 1.0f, .attn_factor = 1.0f, .beta_fast = 32.0f,
                             .beta_slow = 1.0f, .n_ctx_orig = 4096};
}

/* Angle (and magnitude) pair i was turned by, probing with a unit vector in that pair. */
static float probe_angle(const struct ref_rope *r, size_t head_dim, size_t i, int32_t pos, float *mag)
{
    float v[256] = {0};
    const size_t i0 = r->style == REF_ROPE_NEOX ? i : 2 * i;
    const size_t i1 = r->style == REF_ROPE_NEOX ? i + r->n_dims / 2 : 2 * i + 1;
    v[i0] = 1.0f;
    ref_rope(v, &pos, 1, 1, head_dim, r);
    if (mag)
        *mag = hypotf(v[i0], v[i1]);
    return atan2f(v[i1], v[i0]);
}

static void test_rope_pairs_and_angles_by_hand(void **state)
{
    (void)state;
    struct ref_rope normal = plain_rope(REF_ROPE_NORMAL, 4), neox = plain_rope(REF_ROPE_NEOX, 4);
    /* head_dim 4: pair 0 turns by p, pair 1 by p * 10000^(-1/2) = p / 100 */
    assert_float_equal(probe_angle(&normal, 4, 0, 1, NULL), 1.0f, 1e-6);
    assert_float_equal(probe_angle(&normal, 4, 1, 3, NULL), 0.03f, 1e-6);
    assert_float_equal(probe_angle(&neox, 4, 0, 2, NULL), 2.0f, 1e-6);
    assert_float_equal(probe_angle(&neox, 4, 1, 50, NULL), 0.5f, 1e-6);
    /* neox pairs (i, i + 2): element 1 with element 3 */
    float v[4] = {0, 1, 0, 0};
    int32_t pos = 100;
    ref_rope(v, &pos, 1, 1, 4, &neox);
    assert_float_equal(v[1], cosf(1.0f), 1e-6);
    assert_float_equal(v[3], sinf(1.0f), 1e-6);
    assert_true(v[0] == 0.0f && v[2] == 0.0f);
    /* dims past n_dims pass through */
    float w[6] = {1, 2, 3, 4, 5, 6};
    ref_rope(w, &pos, 1, 1, 6, &neox);
    assert_true(w[4] == 5.0f && w[5] == 6.0f);
}

/* Rotations keep each head's norm, depend on positions only through their difference in q.k,
 * and are the identity at position 0. */
static void test_rope_preserves_norms_and_relative_positions(void **state)
{
    (void)state;
    const uint32_t styles[2] = {REF_ROPE_NORMAL, REF_ROPE_NEOX};
    for (int s = 0; s < 2; s++) {
        struct ref_rope r = plain_rope(styles[s], 128);
        float x[2 * 3 * 128], x0[2 * 3 * 128];
        fill(x, 2 * 3 * 128, 1.0f);
        memcpy(x0, x, sizeof(x));
        const int32_t pos[2] = {7, 1000};
        ref_rope(x, pos, 2, 3, 128, &r);
        for (int h = 0; h < 6; h++)
            assert_float_equal(norm2(x + h * 128, 128), norm2(x0 + h * 128, 128), 1e-4);
        /* q at m, k at n: q.k is the same for (7, 3) and (1000, 996) */
        const int32_t at[4] = {7, 3, 1000, 996};
        float q[4][128], dots[2] = {0, 0};
        for (int i = 0; i < 4; i++) {
            memcpy(q[i], x0 + (i % 2) * 128, sizeof(q[i])); /* q data, then k data */
            ref_rope(q[i], &at[i], 1, 1, 128, &r);
        }
        for (int i = 0; i < 128; i++) {
            dots[0] += q[0][i] * q[1][i];
            dots[1] += q[2][i] * q[3][i];
        }
        assert_float_equal(dots[0], dots[1], 1e-3);
        const int32_t zero = 0;
        memcpy(q[0], x0, sizeof(q[0]));
        ref_rope(q[0], &zero, 1, 1, 128, &r);
        assert_memory_equal(q[0], x0, sizeof(q[0]));
    }
}

/* YaRN with factor 4 over n_ctx_orig 4096, theta 10000, 128 dims: correction dims are
 * floor(20.9) = 20 and ceil(45.0) = 46. Pairs below 20 keep the original (extrapolated) angle,
 * pairs above 46 are interpolated by freq_scale, and magnitudes grow by 1 + 0.1 ln 4. */
static void test_yarn_ramp_ends_and_magnitude(void **state)
{
    (void)state;
    struct ref_rope r = plain_rope(REF_ROPE_NEOX, 128);
    r.freq_scale = 0.25f;
    r.ext_factor = 1.0f;
    const int32_t p = 3;
    const float mscale = 1.0f + 0.1f * logf(4.0f);
    float mag;
    assert_float_equal(probe_angle(&r, 128, 0, p, &mag), 3.0f, 1e-5);
    assert_float_equal(mag, mscale, 1e-5);
    const double f10 = 3.0 * pow(10000.0, -20.0 / 128.0);
    assert_float_equal(probe_angle(&r, 128, 10, p, NULL), f10, 1e-5);
    const double f60 = 3.0 * pow(10000.0, -120.0 / 128.0);
    assert_float_equal(probe_angle(&r, 128, 60, p, NULL), 0.25 * f60, 1e-6);
    /* in the ramp: strictly between the two */
    const double f30 = 3.0 * pow(10000.0, -60.0 / 128.0);
    const float a30 = probe_angle(&r, 128, 30, p, NULL);
    assert_true(a30 > 0.25 * f30 + 1e-4 && a30 < f30 - 1e-4);
    /* attn_factor scales every pair on top */
    r.attn_factor = 2.0f;
    probe_angle(&r, 128, 60, p, &mag);
    assert_float_equal(mag, 2.0f * mscale, 1e-5);
}

static void test_kv_write_rotates_k_and_stores_in_cache_type(void **state)
{
    (void)state;
    struct ref_rope r = plain_rope(REF_ROPE_NEOX, 64);
    const size_t n_kv = 2, hd = 64;
    float x[3 * 2 * 64], roped[3 * 2 * 64], back[3 * 2 * 64];
    uint8_t cache[8 * 2 * 64 * 4];
    fill(x, sizeof(x) / sizeof(float), 1.0f);
    memcpy(roped, x, sizeof(x));
    const int32_t pos[3] = {5, 6, 7};
    ref_rope(roped, pos, 3, n_kv, hd, &r);
    const uint32_t types[3] = {WTYPE_F32, WTYPE_F16, WTYPE_Q8_0};
    for (int t = 0; t < 3; t++) {
        const size_t row = wtype_row_bytes(types[t], n_kv * hd);
        ref_kv_write(cache, types[t], x, 5, 3, n_kv, hd, &r);
        ref_dequantize(back, cache + 5 * row, types[t], 3 * n_kv * hd);
        for (size_t i = 0; i < 3 * n_kv * hd; i++)
            assert_float_equal(back[i], roped[i], types[t] == WTYPE_Q8_0 ? 1e-2 : 1e-3);
        ref_kv_write(cache, types[t], x, 5, 3, n_kv, hd, NULL); /* V: stored as is */
        ref_dequantize(back, cache + 5 * row, types[t], 3 * n_kv * hd);
        for (size_t i = 0; i < 3 * n_kv * hd; i++)
            assert_float_equal(back[i], x[i], types[t] == WTYPE_Q8_0 ? 1e-2 : 1e-3);
    }
}

static void test_attention_over_one_position_returns_v(void **state)
{
    (void)state;
    const size_t n_head = 7, n_kv = 1, hd = 32;
    float q[7 * 32], k[32], v[32], out[7 * 32], scratch[1];
    fill(q, sizeof(q) / sizeof(float), 3.0f);
    fill(k, hd, 1.0f);
    fill(v, hd, 1.0f);
    ref_attention(out, q, k, v, WTYPE_F32, 1, 0, n_head, n_kv, hd, scratch);
    for (size_t h = 0; h < n_head; h++)
        for (size_t i = 0; i < hd; i++)
            assert_float_equal(out[h * hd + i], v[i], 1e-6);
}

/* 4 query heads on 2 KV heads, 3 new tokens after 2 cached: against an explicit softmax. */
static void test_attention_is_causal_grouped_query(void **state)
{
    (void)state;
    enum { NH = 4, NKV = 2, HD = 32, POS = 2, NT = 3, CTX = 8 };
    float q[NT * NH * HD], kc[CTX * NKV * HD], vc[CTX * NKV * HD], out[NT * NH * HD];
    float out_f16[NT * NH * HD], scratch[POS + NT];
    uint16_t kh[CTX * NKV * HD], vh[CTX * NKV * HD];
    fill(q, sizeof(q) / sizeof(float), 1.0f);
    fill(kc, sizeof(kc) / sizeof(float), 1.0f);
    fill(vc, sizeof(vc) / sizeof(float), 1.0f);
    ref_attention(out, q, kc, vc, WTYPE_F32, NT, POS, NH, NKV, HD, scratch);
    for (int t = 0; t < NT; t++) {
        for (int h = 0; h < NH; h++) {
            const int g = h / (NH / NKV);
            double s[POS + NT], max = -1e30, sum = 0;
            for (int j = 0; j <= POS + t; j++) {
                s[j] = 0;
                for (int i = 0; i < HD; i++)
                    s[j] += (double)q[(t * NH + h) * HD + i] * kc[(j * NKV + g) * HD + i];
                s[j] /= sqrt((double)HD);
                max = fmax(max, s[j]);
            }
            for (int j = 0; j <= POS + t; j++)
                sum += exp(s[j] - max);
            for (int i = 0; i < HD; i++) {
                double o = 0;
                for (int j = 0; j <= POS + t; j++)
                    o += exp(s[j] - max) / sum * vc[(j * NKV + g) * HD + i];
                assert_float_equal(out[(t * NH + h) * HD + i], o, 1e-5);
            }
        }
    }
    /* rows past the last token must not matter */
    for (size_t i = (POS + NT) * NKV * HD; i < CTX * NKV * HD; i++)
        kc[i] = vc[i] = 1e3f;
    float again[NT * NH * HD];
    ref_attention(again, q, kc, vc, WTYPE_F32, NT, POS, NH, NKV, HD, scratch);
    assert_memory_equal(again, out, sizeof(out));
    /* an f16 cache gives nearly the same */
    ref_quantize(kh, kc, WTYPE_F16, CTX * NKV * HD);
    ref_quantize(vh, vc, WTYPE_F16, CTX * NKV * HD);
    ref_attention(out_f16, q, kh, vh, WTYPE_F16, NT, POS, NH, NKV, HD, scratch);
    for (size_t i = 0; i < NT * NH * HD; i++)
        assert_float_equal(out_f16[i], out[i], 2e-3);
}

static void test_softmax_sums_to_one_and_argmax_takes_first_tie(void **state)
{
    (void)state;
    float x[100], p[100];
    fill(x, 100, 20.0f);
    x[17] = 500.0f; /* large values must not overflow */
    ref_softmax(p, x, 100);
    double sum = 0;
    for (int i = 0; i < 100; i++)
        sum += p[i];
    assert_float_equal(sum, 1.0, 1e-6);
    assert_int_equal(ref_argmax(x, 100), 17);
    x[42] = 500.0f;
    x[90] = 500.0f;
    assert_int_equal(ref_argmax(x, 100), 17);
    const float flat[3] = {-1, -1, -1};
    assert_int_equal(ref_argmax(flat, 3), 0);
}

static void test_penalties_change_only_the_window_ids(void **state)
{
    (void)state;
    float l[6] = {2.0f, -2.0f, 1.0f, 4.0f, -1.0f, 0.5f};
    const int32_t prev[6] = {0, 1, 1, 3, 99, -1}; /* 99 and -1 are out of range */
    ref_penalize(l, 6, prev, 6, 2.0f, 0.5f, 0.25f);
    assert_float_equal(l[0], 2.0f / 2 - 0.25f - 0.5f, 1e-6);
    assert_float_equal(l[1], -2.0f * 2 - 2 * 0.25f - 0.5f, 1e-6);
    assert_float_equal(l[2], 1.0f, 0);
    assert_float_equal(l[3], 4.0f / 2 - 0.25f - 0.5f, 1e-6);
    assert_float_equal(l[4], -1.0f, 0);
    assert_float_equal(l[5], 0.5f, 0);
    float same[3] = {1, 2, 3};
    ref_penalize(same, 3, prev, 4, 1.0f, 0.0f, 0.0f);
    assert_true(same[0] == 1 && same[1] == 2 && same[2] == 3);
}

static void test_top_k_one_equals_argmax_for_any_draw(void **state)
{
    (void)state;
    float l[1000];
    struct ref_candidate cand[1000];
    fill(l, 1000, 5.0f);
    const struct ref_sampling s = {.temperature = 1.5f, .top_k = 1, .top_p = 1.0f};
    for (int i = 0; i < 20; i++)
        assert_int_equal(ref_sample(l, 1000, &s, (float)i / 20.0f, cand), ref_argmax(l, 1000));
    const struct ref_sampling greedy = {.temperature = 0.0f};
    assert_int_equal(ref_sample(l, 1000, &greedy, 0.9f, cand), ref_argmax(l, 1000));
}

static void test_sampling_is_deterministic_and_follows_the_cumulative(void **state)
{
    (void)state;
    /* p = 0.5, 0.3, 0.2 at temperature 1, listed out of order */
    float l[3] = {logf(0.3f), logf(0.2f), logf(0.5f)};
    struct ref_candidate cand[3];
    const struct ref_sampling s = {.temperature = 1.0f, .top_p = 1.0f};
    assert_int_equal(ref_sample(l, 3, &s, 0.49f, cand), 2);
    assert_int_equal(ref_sample(l, 3, &s, 0.51f, cand), 0);
    assert_int_equal(ref_sample(l, 3, &s, 0.79f, cand), 0);
    assert_int_equal(ref_sample(l, 3, &s, 0.81f, cand), 1);
    assert_int_equal(ref_sample(l, 3, &s, 0.81f, cand), 1);
    /* top-p 0.75: 0.5 + 0.3 reaches it, so token 1 (p 0.2) is gone; renormalised 0.625/0.375 */
    const struct ref_sampling tp = {.temperature = 1.0f, .top_p = 0.75f};
    assert_int_equal(ref_sample(l, 3, &tp, 0.99f, cand), 0);
    assert_int_equal(ref_sample(l, 3, &tp, 0.6f, cand), 2);
    assert_int_equal(ref_sample(l, 3, &tp, 0.63f, cand), 0);
    /* min-p 0.5: keep p >= 0.25, tokens 2 and 0 */
    const struct ref_sampling mp = {.temperature = 1.0f, .top_p = 1.0f, .min_p = 0.5f};
    assert_int_equal(ref_sample(l, 3, &mp, 0.99f, cand), 0);
    /* top-p keeps at least one token */
    const struct ref_sampling tiny = {.temperature = 1.0f, .top_p = 0.01f};
    assert_int_equal(ref_sample(l, 3, &tiny, 0.99f, cand), 2);
    /* a low temperature sharpens: 0.5 vs 0.3 at T 0.1 puts ~99% on the first */
    const struct ref_sampling cold = {.temperature = 0.1f, .top_p = 1.0f};
    assert_int_equal(ref_sample(l, 3, &cold, 0.98f, cand), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matvec_adds_bias_and_residual_by_hand),
        cmocka_unit_test(test_matmul_equals_dequantized_dot_for_every_type),
        cmocka_unit_test(test_rmsnorm_by_hand),
        cmocka_unit_test(test_swiglu_add_scale_by_hand),
        cmocka_unit_test(test_get_rows_decodes_the_requested_rows),
        cmocka_unit_test(test_rope_pairs_and_angles_by_hand),
        cmocka_unit_test(test_rope_preserves_norms_and_relative_positions),
        cmocka_unit_test(test_yarn_ramp_ends_and_magnitude),
        cmocka_unit_test(test_kv_write_rotates_k_and_stores_in_cache_type),
        cmocka_unit_test(test_attention_over_one_position_returns_v),
        cmocka_unit_test(test_attention_is_causal_grouped_query),
        cmocka_unit_test(test_softmax_sums_to_one_and_argmax_takes_first_tie),
        cmocka_unit_test(test_penalties_change_only_the_window_ids),
        cmocka_unit_test(test_top_k_one_equals_argmax_for_any_draw),
        cmocka_unit_test(test_sampling_is_deterministic_and_follows_the_cumulative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
