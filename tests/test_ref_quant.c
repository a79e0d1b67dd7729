/* test_ref_quant: the reference encoders and decoders of every weight type — round-trip error
 * bounds on random data, re-encoding stability of representable blocks, hand-checked layouts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/half.h"
#include "base/wtype.h"
#include "ref/quant.h"

static const uint32_t all_types[] = {WTYPE_F32,  WTYPE_F16,  WTYPE_BF16, WTYPE_Q8_0,
                                     WTYPE_Q4_0, WTYPE_Q4_1, WTYPE_Q5_0, WTYPE_Q5_1,
                                     WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};
#define N_TYPES (sizeof(all_types) / sizeof(all_types[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng_u32(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

static float rng_uniform(void) /* [0, 1) */
{
    return (float)(rng_u32() >> 8) * (1.0f / 16777216.0f);
}

/* Roughly normal (sum of four uniforms), the shape of real weights. */
static float rng_normal(void)
{
    return (rng_uniform() + rng_uniform() + rng_uniform() + rng_uniform() - 2.0f) * 1.7f;
}

static double nmse(const float *a, const float *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0.0 ? num / den : num;
}

static double bound_for(uint32_t type)
{
    switch (type) {
    case WTYPE_F32:
        return 0.0;
    case WTYPE_F16:
        return 1e-7;
    case WTYPE_BF16:
        return 1e-5;
    case WTYPE_Q8_0:
        return 1e-4;
    case WTYPE_Q6_K:
        return 1e-3;
    case WTYPE_Q5_0:
    case WTYPE_Q5_1:
    case WTYPE_Q5_K:
        return 3e-3;
    default: /* 4-bit */
        return 1e-2;
    }
}

static void test_quantize_round_trip_error_within_type_bounds(void **state)
{
    (void)state;
    const size_t n = 256 * 24;
    float *x = mem_alloc(n * sizeof(float)), *y = mem_alloc(n * sizeof(float));
    uint8_t *q = mem_alloc(wtype_row_bytes(WTYPE_F32, n));
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(q);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.05f * rng_normal() + (i / 256 == 3 ? 0.02f : 0.0f); /* one block off-centre */
    for (size_t t = 0; t < N_TYPES; t++) {
        memset(y, 0, n * sizeof(float));
        ref_quantize(q, x, all_types[t], n);
        ref_dequantize(y, q, all_types[t], n);
        double e = nmse(y, x, n);
        print_message("%-5s nmse %.3g\n", wtype_get(all_types[t])->name, e);
        assert_true(e <= bound_for(all_types[t]));
        if (all_types[t] != WTYPE_F32)
            assert_true(e > 0.0); /* something was actually rounded */
    }
    mem_free(x);
    mem_free(y);
    mem_free(q);
}

static float rand_half(float lo, float hi, int allow_negative)
{
    float v = lo + (hi - lo) * rng_uniform();
    if (allow_negative && (rng_u32() & 1))
        v = -v;
    return f16_to_f32(f32_to_f16(v));
}

static void put_f16(uint8_t *p, float v)
{
    uint16_t h = f32_to_f16(v);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

/* Random block of `type` whose values use the full range of each scale (the extremes an encoder
 * derives its scales from are present), so it is exactly what the encoder would produce. */
static void make_full_range_block(uint8_t *b, uint32_t type)
{
    const struct wtype_info *info = wtype_get(type);
    for (uint32_t i = 0; i < info->block_bytes; i++)
        b[i] = (uint8_t)rng_u32();
    const int at = (int)(rng_u32() % 16), at2 = 16 + (int)(rng_u32() % 16);
    switch (type) {
    case WTYPE_Q8_0:
        put_f16(b, rand_half(0.001f, 0.1f, 0));
        for (int i = 0; i < 32; i++)
            if (b[2 + i] == 0x80)
                b[2 + i] = 0x81; /* -128 is storable but no encoder emits it: range is +-127 */
        b[2 + at] = (rng_u32() & 1) ? 127 : (uint8_t)-127;
        break;
    case WTYPE_Q4_0:
        put_f16(b, rand_half(0.001f, 0.1f, 1));
        b[2 + at] &= 0xf0; /* level 0 = -8 d, the extreme */
        break;
    case WTYPE_Q5_0:
        put_f16(b, rand_half(0.001f, 0.1f, 1));
        b[6 + at] &= 0xf0;
        b[2 + at / 8] &= (uint8_t) ~(1u << (at % 8));
        break;
    case WTYPE_Q4_1:
    case WTYPE_Q5_1:
        put_f16(b, rand_half(0.001f, 0.1f, 0));
        put_f16(b + 2, rand_half(0.0f, 0.5f, 1));
        b[(type == WTYPE_Q4_1 ? 4 : 8) + at] &= 0xf0;           /* level 0 */
        b[(type == WTYPE_Q4_1 ? 4 : 8) + at2 - 16] |= 0xf0;     /* top level */
        if (type == WTYPE_Q5_1) {
            b[4 + at / 8] &= (uint8_t) ~(1u << (at % 8));
            b[4 + at2 / 8] |= (uint8_t)(1u << (at2 % 8));
        }
        break;
    case WTYPE_Q4_K:
    case WTYPE_Q5_K: {
        const int q5 = type == WTYPE_Q5_K;
        uint8_t *ql = b + (q5 ? 48 : 16), *qh = b + 16;
        float d = rand_half(0.001f, 0.01f, 0);
        put_f16(b, d);
        put_f16(b + 2, rand_half(0.5f * d, 2.0f * d, 0));
        int sc[8], m[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = 8 + (int)(rng_u32() % 56);
            m[j] = (int)(rng_u32() % 64);
        }
        sc[rng_u32() % 8] = 63;
        m[rng_u32() % 8] = 63;
        for (int j = 0; j < 4; j++) {
            b[4 + j] = (uint8_t)(sc[j] | ((sc[j + 4] >> 4) << 6));
            b[8 + j] = (uint8_t)(m[j] | ((m[j + 4] >> 4) << 6));
            b[12 + j] = (uint8_t)((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
        }
        /* in every sub-block: element `at` at level 0 and element `at2` at the top level */
        for (int c = 0; c < 4; c++) {
            ql[32 * c + at] = 0x00;
            ql[32 * c + at2] = 0xff;
        }
        if (q5) {
            qh[at] = 0x00;
            qh[at2] = 0xff;
        }
        break;
    }
    case WTYPE_Q6_K: {
        put_f16(b + 208, rand_half(0.0005f, 0.005f, 1));
        int8_t *sc = (int8_t *)(b + 192);
        for (int j = 0; j < 16; j++)
            sc[j] = (int8_t)((rng_u32() & 1 ? 1 : -1) * (int)(1 + rng_u32() % 127));
        sc[rng_u32() % 16] = -128;
        /* level 0 (= -32) once in each sub-block of 16: element l of each quarter of each half */
        for (int h = 0; h < 2; h++) {
            for (int l = at % 16; l < 32; l += 16) {
                b[64 * h + l] = 0x00;
                b[64 * h + l + 32] = 0x00;
                b[128 + 32 * h + l] = 0x00;
            }
        }
        break;
    }
    default:
        fail_msg("no full-range construction for %s", info->name);
    }
}

static void test_requantizing_representable_values_is_stable(void **state)
{
    (void)state;
    for (size_t t = 0; t < N_TYPES; t++) {
        const uint32_t type = all_types[t];
        const struct wtype_info *info = wtype_get(type);
        const size_t n = info->block_elems == 1 ? 64 : info->block_elems;
        const size_t blocks = info->block_elems == 1 ? 1 : 64;
        uint8_t raw[4 * 256], again[4 * 256];
        float y[256], y2[256];
        for (size_t k = 0; k < blocks; k++) {
            if (info->block_elems == 1) {
                /* float types: any encoded finite value is representable */
                for (size_t i = 0; i < n; i++)
                    y[i] = rng_normal();
                ref_quantize(raw, y, type, n);
            } else {
                make_full_range_block(raw, type);
            }
            ref_dequantize(y, raw, type, n);
            ref_quantize(again, y, type, n);
            ref_dequantize(y2, again, type, n);
            for (size_t i = 0; i < n; i++)
                if (y2[i] != y[i])
                    fail_msg("%s block %zu element %zu: %.9g re-encodes as %.9g", info->name, k, i,
                             y[i], y2[i]);
        }
    }
}

static void test_q4_0_layout_matches_hand_encoding(void **state)
{
    (void)state;
    float x[32], y[32];
    uint8_t b[18];
    for (int i = 0; i < 32; i++)
        x[i] = (float)(i % 16 - 8) * 0.5f; /* extreme -4 first: d = -4 / -8 = 0.5 */
    ref_quantize(b, x, WTYPE_Q4_0, 32);
    assert_int_equal(b[0] | (b[1] << 8), 0x3800); /* f16 0.5 */
    for (int j = 0; j < 16; j++)
        assert_int_equal(b[2 + j], j | (j << 4)); /* low nibble element j, high element j+16 */
    ref_dequantize(y, b, WTYPE_Q4_0, 32);
    assert_memory_equal(y, x, sizeof(x));
}

static void test_q5_1_high_bits_follow_element_index(void **state)
{
    (void)state;
    float x[32], y[32];
    uint8_t b[24];
    for (int i = 0; i < 32; i++)
        x[i] = 1.0f + (float)((i * 7) % 32); /* levels 0..31 over [1, 32]: d = 1, m = 1 */
    ref_quantize(b, x, WTYPE_Q5_1, 32);
    uint32_t qh = (uint32_t)b[4] | ((uint32_t)b[5] << 8) | ((uint32_t)b[6] << 16) |
                  ((uint32_t)b[7] << 24);
    for (int i = 0; i < 32; i++)
        assert_int_equal((qh >> i) & 1, (((i * 7) % 32) >> 4) & 1);
    ref_dequantize(y, b, WTYPE_Q5_1, 32);
    assert_memory_equal(y, x, sizeof(x));
}

static void test_q4_k_upper_scales_use_split_bits(void **state)
{
    (void)state;
    uint8_t b[144] = {0};
    float y[256];
    put_f16(b, 1.0f);          /* d */
    put_f16(b + 2, 0.5f);      /* dmin */
    b[4 + 1] = 0xc0;           /* top bits of sc[5] = 3 */
    b[8 + 1] = 0x80;           /* top bits of m[5] = 2 */
    b[12 + 1] = 0x7d;          /* sc[5] low = 0xd, m[5] low = 0x7 */
    b[16 + 64 + 5] = 0x90;     /* chunk 2, element 5: low nibble 0 (sub-block 4), high 9 (sub-block 5) */
    ref_dequantize(y, b, WTYPE_Q4_K, 256);
    /* sub-block 5 = chunk 2 high half: sc = 0x3d = 61, m = 0x27 = 39 */
    assert_true(y[160 + 5] == 61.0f * 9 - 0.5f * 39);
    assert_true(y[160 + 4] == -0.5f * 39);
    assert_true(y[128 + 5] == 0.0f); /* sub-block 4: sc = m = 0 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_round_trip_error_within_type_bounds),
        cmocka_unit_test(test_requantizing_representable_values_is_stable),
        cmocka_unit_test(test_q4_0_layout_matches_hand_encoding),
        cmocka_unit_test(test_q5_1_high_bits_follow_element_index),
        cmocka_unit_test(test_q4_k_upper_scales_use_split_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
