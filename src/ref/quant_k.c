/* ref/quant_k: the GGUF k-quant blocks q4_k, q5_k and q6_k (256 elements per block), decoded
 * exactly as llama.cpp decodes them and encoded by round-to-nearest with min/max sub-block scales.
 * Arithmetic only: no allocation, no I/O. */
#include "ref/quant_k.h"

#include <math.h>

#include "base/half.h"

#define QK_K 256

/* Byte layouts (little endian, packed):
 *  q4_k {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}               144 bytes
 *  q5_k {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}    176 bytes
 *  q6_k {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}              210 bytes
 * q4_k/q5_k: 8 sub-blocks of 32, x = d*sc[j]*q - dmin*m[j] with 6-bit sc, m packed in scales[12].
 * Each 64-element chunk c uses qs[32c .. 32c+31]: low nibbles are sub-block 2c, high nibbles
 * sub-block 2c+1; q5_k's 5th bit of those is bit 2c (resp. 2c+1) of qh[l].
 * q6_k: 16 sub-blocks of 16, x = d*sc[j]*(q - 32). Each 128-element half h uses ql[64h ..],
 * qh[32h ..]: element l (< 32) of quarter k takes the low (k even) or high (k odd) nibble of
 * ql[64h + l + 32*(k&1)] and bits 2k..2k+1 of qh[32h + l]. */
#define Q4K_SCALES 4
#define Q4K_QS 16
#define Q5K_QH 16
#define Q5K_QS 48
#define Q6K_QH 128
#define Q6K_SCALES 192
#define Q6K_D 208

static float load_f16(const uint8_t *p)
{
    return f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
}

/* Stores v as f16 and returns what a decoder will read back. */
static float store_f16(uint8_t *p, float v)
{
    uint16_t h = f32_to_f16(v);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
    return f16_to_f32(h);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Sub-block j's 6-bit scale and min from the 12-byte packing: bytes 0-3 hold sc[0..3] in their low
 * 6 bits, bytes 4-7 m[0..3]; for j >= 4 the low 4 bits sit in byte j+4 (sc low nibble, m high
 * nibble) and the top 2 bits in the spare top bits of bytes j-4 (sc) and j (m). */
static void scale_min(const uint8_t *s, int j, int *sc, int *m)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

static void pack_scale_min(uint8_t *s, const int *sc, const int *m)
{
    for (int j = 0; j < 4; j++) {
        s[j] = (uint8_t)(sc[j] | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = (uint8_t)(m[j] | ((m[j + 4] >> 4) << 6));
        s[j + 8] = (uint8_t)((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
    }
}

/* q4_k (qh == NULL) and q5_k share everything but the 5th bit. */
static void decode_affine_k(float *y, const uint8_t *b, const uint8_t *qh, const uint8_t *ql)
{
    const float d = load_f16(b);
    const float dmin = load_f16(b + 2);
    for (int c = 0; c < 4; c++, ql += 32) {
        int sc, m;
        scale_min(b + Q4K_SCALES, 2 * c, &sc, &m);
        const float d1 = d * sc, m1 = dmin * m;
        scale_min(b + Q4K_SCALES, 2 * c + 1, &sc, &m);
        const float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++) {
            const int hi1 = (qh && ((qh[l] >> (2 * c)) & 1)) ? 16 : 0;
            *y++ = d1 * ((ql[l] & 0x0f) + hi1) - m1;
        }
        for (int l = 0; l < 32; l++) {
            const int hi2 = (qh && ((qh[l] >> (2 * c + 1)) & 1)) ? 16 : 0;
            *y++ = d2 * ((ql[l] >> 4) + hi2) - m2;
        }
    }
}

void quant_k_decode_q4_k(float *y, const uint8_t *x, size_t nb)
{
    for (size_t i = 0; i < nb; i++, x += 144, y += QK_K)
        decode_affine_k(y, x, NULL, x + Q4K_QS);
}

void quant_k_decode_q5_k(float *y, const uint8_t *x, size_t nb)
{
    for (size_t i = 0; i < nb; i++, x += 176, y += QK_K)
        decode_affine_k(y, x, x + Q5K_QH, x + Q5K_QS);
}

void quant_k_decode_q6_k(float *y, const uint8_t *x, size_t nb)
{
    for (size_t i = 0; i < nb; i++, x += 210) {
        const float d = load_f16(x + Q6K_D);
        const uint8_t *ql = x, *qh = x + Q6K_QH;
        const int8_t *sc = (const int8_t *)(x + Q6K_SCALES);
        for (int h = 0; h < 2; h++, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * sc[is] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
        }
    }
}

/* q4_k / q5_k encoder. Per sub-block the range [min(0, lo), hi] sets a float scale and min;
 * d and dmin map the largest of each onto 63, the 6-bit codes are rounded, and the values are
 * then rounded against d*sc and dmin*m exactly as the decoder will form them. */
static void encode_affine_k(uint8_t *b, const float *x, uint8_t *qh, uint8_t *ql, int levels)
{
    float scale[8], mn[8], max_scale = 0.0f, max_mn = 0.0f;
    for (int j = 0; j < 8; j++) {
        float lo = 0.0f, hi = x[32 * j];
        for (int l = 0; l < 32; l++) {
            lo = fminf(lo, x[32 * j + l]);
            hi = fmaxf(hi, x[32 * j + l]);
        }
        scale[j] = (hi - lo) / (float)(levels - 1);
        mn[j] = -lo;
        max_scale = fmaxf(max_scale, scale[j]);
        max_mn = fmaxf(max_mn, mn[j]);
    }
    const float d = store_f16(b, max_scale / 63.0f);
    const float dmin = store_f16(b + 2, max_mn / 63.0f);
    int sc[8], m[8], q[QK_K];
    for (int j = 0; j < 8; j++) {
        sc[j] = d > 0.0f ? clampi((int)lrintf(scale[j] / d), 0, 63) : 0;
        m[j] = dmin > 0.0f ? clampi((int)lrintf(mn[j] / dmin), 0, 63) : 0;
        const float dj = d * sc[j], mj = dmin * m[j];
        for (int l = 0; l < 32; l++) {
            const float v = dj > 0.0f ? (x[32 * j + l] + mj) / dj : 0.0f;
            q[32 * j + l] = clampi((int)lrintf(v), 0, levels - 1);
        }
    }
    pack_scale_min(b + Q4K_SCALES, sc, m);
    for (int l = 0; l < 32 && qh; l++)
        qh[l] = 0;
    for (int c = 0; c < 4; c++) {
        for (int l = 0; l < 32; l++) {
            const int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
            ql[32 * c + l] = (uint8_t)((lo & 0x0f) | ((hi & 0x0f) << 4));
            if (qh)
                qh[l] |= (uint8_t)((((lo >> 4) & 1) << (2 * c)) | (((hi >> 4) & 1) << (2 * c + 1)));
        }
    }
}

void quant_k_encode_q4_k(uint8_t *x, const float *y, size_t nb)
{
    for (size_t i = 0; i < nb; i++, x += 144, y += QK_K)
        encode_affine_k(x, y, NULL, x + Q4K_QS, 16);
}

void quant_k_encode_q5_k(uint8_t *x, const float *y, size_t nb)
{
    for (size_t i = 0; i < nb; i++, x += 176, y += QK_K)
        encode_affine_k(x, y, x + Q5K_QH, x + Q5K_QS, 32);
}

/* q6_k encoder: each sub-block's signed extreme maps to level -32 (the end with more room);
 * d maps the sub-block scale of largest magnitude onto int8 -128. */
static void encode_q6_k(uint8_t *b, const float *x)
{
    float scale[16], max_scale = 0.0f;
    for (int j = 0; j < 16; j++) {
        float ext = 0.0f;
        for (int l = 0; l < 16; l++)
            if (fabsf(x[16 * j + l]) > fabsf(ext))
                ext = x[16 * j + l];
        scale[j] = ext / -32.0f;
        if (fabsf(scale[j]) > fabsf(max_scale))
            max_scale = scale[j];
    }
    const float d = store_f16(b + Q6K_D, max_scale / -128.0f);
    int8_t *sc = (int8_t *)(b + Q6K_SCALES);
    int q[QK_K];
    for (int j = 0; j < 16; j++) {
        sc[j] = (int8_t)(d != 0.0f ? clampi((int)lrintf(scale[j] / d), -128, 127) : 0);
        const float dj = d * sc[j];
        for (int l = 0; l < 16; l++) {
            const float v = dj != 0.0f ? x[16 * j + l] / dj : 0.0f;
            q[16 * j + l] = clampi((int)lrintf(v), -32, 31) + 32;
        }
    }
    uint8_t *ql = b, *qh = b + Q6K_QH;
    for (int h = 0; h < 2; h++, ql += 64, qh += 32) {
        const int *qq = q + 128 * h;
        for (int l = 0; l < 32; l++) {
            ql[l] = (uint8_t)((qq[l] & 0x0f) | ((qq[l + 64] & 0x0f) << 4));
            ql[l + 32] = (uint8_t)((qq[l + 32] & 0x0f) | ((qq[l + 96] & 0x0f) << 4));
            qh[l] = (uint8_t)((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) | ((qq[l + 64] >> 4) << 4) |
                              ((qq[l + 96] >> 4) << 6));
        }
    }
}

void quant_k_encode_q6_k(uint8_t *x, const float *y, size_t nb)
{
    for (size_t i = 0; i < nb; i++, x += 210, y += QK_K)
        encode_q6_k(x, y);
}
