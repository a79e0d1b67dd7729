/* ref/quant: float types and the 32-element GGUF blocks (q4_0, q4_1, q5_0, q5_1, q8_0), plus the
 * dispatch of ref_quantize / ref_dequantize by type. K-quants live in quant_k.c.
 * Arithmetic only: no allocation, no I/O, no validation of untrusted sizes. */
#include "ref/quant.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "base/half.h"
#include "base/wtype.h"
#include "ref/quant_k.h"

#define QK 32 /* elements per legacy block */

/* Byte layouts (little endian, packed, see base/wtype.c):
 *  q4_0 {f16 d; u8 qs[16]}          x[j] = (lo4(qs[j]) - 8) d,  x[j+16] = (hi4(qs[j]) - 8) d
 *  q4_1 {f16 d, m; u8 qs[16]}       x = q d + m
 *  q5_0 {f16 d; u32 qh; u8 qs[16]}  5th bit of element i is bit i of qh; x = (q - 16) d
 *  q5_1 {f16 d, m; u32 qh; u8 qs[16]}
 *  q8_0 {f16 d; i8 qs[32]}          x = q d */

static uint16_t load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void store_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void store_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Stores d as f16 and returns the value a decoder will see, so encoders round against it. */
static float store_f16(uint8_t *p, float d)
{
    uint16_t h = f32_to_f16(d);
    store_u16(p, h);
    return f16_to_f32(h);
}

/* The element of largest magnitude, with its sign (first one on ties). */
static float signed_absmax(const float *x, int n)
{
    float best = 0.0f;
    for (int i = 0; i < n; i++)
        if (fabsf(x[i]) > fabsf(best))
            best = x[i];
    return best;
}

static void range_of(const float *x, int n, float *lo, float *hi)
{
    *lo = x[0];
    *hi = x[0];
    for (int i = 1; i < n; i++) {
        *lo = fminf(*lo, x[i]);
        *hi = fmaxf(*hi, x[i]);
    }
}

static void decode_q4_0(float *y, const uint8_t *b)
{
    const float d = f16_to_f32(load_u16(b));
    const uint8_t *qs = b + 2;
    for (int j = 0; j < QK / 2; j++) {
        const int x0 = (qs[j] & 0x0f) - 8;
        const int x1 = (qs[j] >> 4) - 8;
        y[j] = x0 * d;
        y[j + QK / 2] = x1 * d;
    }
}

static void decode_q4_1(float *y, const uint8_t *b)
{
    const float d = f16_to_f32(load_u16(b));
    const float m = f16_to_f32(load_u16(b + 2));
    const uint8_t *qs = b + 4;
    for (int j = 0; j < QK / 2; j++) {
        y[j] = (qs[j] & 0x0f) * d + m;
        y[j + QK / 2] = (qs[j] >> 4) * d + m;
    }
}

/* q5_0 and q5_1 share the 5-bit unpacking; `offset` is 16 for q5_0 (signed) and 0 for q5_1. */
static void decode_q5(float *y, const uint8_t *qh_p, const uint8_t *qs, float d, float m, int offset)
{
    const uint32_t qh = load_u32(qh_p);
    for (int j = 0; j < QK / 2; j++) {
        const int xh0 = ((qh >> j) << 4) & 0x10;
        const int xh1 = (qh >> (j + 12)) & 0x10;
        const int x0 = ((qs[j] & 0x0f) | xh0) - offset;
        const int x1 = ((qs[j] >> 4) | xh1) - offset;
        y[j] = x0 * d + m;
        y[j + QK / 2] = x1 * d + m;
    }
}

static void decode_q8_0(float *y, const uint8_t *b)
{
    const float d = f16_to_f32(load_u16(b));
    for (int j = 0; j < QK; j++)
        y[j] = (int8_t)b[2 + j] * d;
}

/* Packs 32 values of 4 bits (and a 5th bit into qh when qh != NULL) in the GGUF order. */
static void pack_low_high(uint8_t *qs, uint8_t *qh, const int *q)
{
    uint32_t bits = 0;
    for (int j = 0; j < QK / 2; j++)
        qs[j] = (uint8_t)((q[j] & 0x0f) | ((q[j + QK / 2] & 0x0f) << 4));
    for (int i = 0; i < QK; i++)
        bits |= (uint32_t)((q[i] >> 4) & 1) << i;
    if (qh)
        store_u32(qh, bits);
}

/* q4_0 / q5_0: d = absmax / -(2^(bits-1)) so the extreme lands on the most negative level. */
static void encode_symmetric(uint8_t *b, const float *x, int levels, int has_qh)
{
    const int half = levels / 2;
    const float d = store_f16(b, signed_absmax(x, QK) / (float)-half);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int q[QK];
    for (int i = 0; i < QK; i++)
        q[i] = clampi((int)lrintf(x[i] * id) + half, 0, levels - 1);
    pack_low_high(b + (has_qh ? 6 : 2), has_qh ? b + 2 : NULL, q);
}

/* q4_1 / q5_1: [min, max] spread over the levels; the f16-rounded min is used when rounding. */
static void encode_affine(uint8_t *b, const float *x, int levels, int has_qh)
{
    float lo, hi;
    range_of(x, QK, &lo, &hi);
    const float d = store_f16(b, (hi - lo) / (float)(levels - 1));
    const float m = store_f16(b + 2, lo);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int q[QK];
    for (int i = 0; i < QK; i++)
        q[i] = clampi((int)lrintf((x[i] - m) * id), 0, levels - 1);
    pack_low_high(b + (has_qh ? 8 : 4), has_qh ? b + 4 : NULL, q);
}

/* As llama.cpp's quantize_row_q8_0: the quants are made with the unrounded scale and rounded half
 * away from zero, so files converted here match llama-quantize's byte for byte. */
static void encode_q8_0(uint8_t *b, const float *x)
{
    const float d = fabsf(signed_absmax(x, QK)) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_f16(b, d);
    for (int i = 0; i < QK; i++)
        b[2 + i] = (uint8_t)(int8_t)clampi((int)roundf(x[i] * id), -127, 127);
}

/* One legacy block of `type` at b into y [32]. */
static void decode_block(float *y, const uint8_t *b, uint32_t type)
{
    switch (type) {
    case WTYPE_Q4_0:
        decode_q4_0(y, b);
        break;
    case WTYPE_Q4_1:
        decode_q4_1(y, b);
        break;
    case WTYPE_Q5_0:
        decode_q5(y, b + 2, b + 6, f16_to_f32(load_u16(b)), 0.0f, 16);
        break;
    case WTYPE_Q5_1:
        decode_q5(y, b + 4, b + 8, f16_to_f32(load_u16(b)), f16_to_f32(load_u16(b + 2)), 0);
        break;
    default:
        decode_q8_0(y, b);
        break;
    }
}

static void encode_block(uint8_t *b, const float *x, uint32_t type)
{
    switch (type) {
    case WTYPE_Q4_0:
        encode_symmetric(b, x, 16, 0);
        break;
    case WTYPE_Q5_0:
        encode_symmetric(b, x, 32, 1);
        break;
    case WTYPE_Q4_1:
        encode_affine(b, x, 16, 0);
        break;
    case WTYPE_Q5_1:
        encode_affine(b, x, 32, 1);
        break;
    default:
        encode_q8_0(b, x);
        break;
    }
}

void ref_dequantize(float *dst, const void *src, uint32_t type, size_t n)
{
    const struct wtype_info *info = wtype_get(type);
    assert(info && n % info->block_elems == 0);
    const uint8_t *s = src;
    const size_t nb = n / info->block_elems;
    switch (type) {
    case WTYPE_F32:
        memcpy(dst, s, n * sizeof(float));
        break;
    case WTYPE_F16:
        for (size_t i = 0; i < n; i++)
            dst[i] = f16_to_f32(load_u16(s + 2 * i));
        break;
    case WTYPE_BF16:
        for (size_t i = 0; i < n; i++)
            dst[i] = bf16_to_f32(load_u16(s + 2 * i));
        break;
    case WTYPE_Q4_K:
        quant_k_decode_q4_k(dst, s, nb);
        break;
    case WTYPE_Q5_K:
        quant_k_decode_q5_k(dst, s, nb);
        break;
    case WTYPE_Q6_K:
        quant_k_decode_q6_k(dst, s, nb);
        break;
    default:
        for (size_t i = 0; i < nb; i++)
            decode_block(dst + i * QK, s + i * info->block_bytes, type);
        break;
    }
}

void ref_quantize(void *dst, const float *src, uint32_t type, size_t n)
{
    const struct wtype_info *info = wtype_get(type);
    assert(info && n % info->block_elems == 0);
    uint8_t *d = dst;
    const size_t nb = n / info->block_elems;
    switch (type) {
    case WTYPE_F32:
        memcpy(d, src, n * sizeof(float));
        break;
    case WTYPE_F16:
        for (size_t i = 0; i < n; i++)
            store_u16(d + 2 * i, f32_to_f16(src[i]));
        break;
    case WTYPE_BF16:
        for (size_t i = 0; i < n; i++)
            store_u16(d + 2 * i, f32_to_bf16(src[i]));
        break;
    case WTYPE_Q4_K:
        quant_k_encode_q4_k(d, src, nb);
        break;
    case WTYPE_Q5_K:
        quant_k_encode_q5_k(d, src, nb);
        break;
    case WTYPE_Q6_K:
        quant_k_encode_q6_k(d, src, nb);
        break;
    default:
        for (size_t i = 0; i < nb; i++)
            encode_block(d + i * info->block_bytes, src + i * QK, type);
        break;
    }
}
