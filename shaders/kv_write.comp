#version 450
// kv_write: rotate k and store k, v of n_tok tokens into one layer's cache.
// In:  k, v [n_tok][n_kv_head][head_dim] f32 (projection outputs), pos/slot [n_tok] int,
//      rope_tab (see ops_push.h).
// Out: caches [n_ctx][n_kv_head][head_dim] at row slot[t] (slot may be pos itself):
//   kv_write_f16:  f16, two per word, rounded to nearest even (ops_half.glsl);
//   kv_write_q8_0: per (row, head) head_dim/32 blocks of {f16 d; int8 q[32]} (34 bytes, the
//                  GGUF q8_0 block), d = f16(absmax / 127), q = round_even(x / d).
// The attention kernels read exactly this layout. One workgroup per (head, token): the row is
// rotated into shared memory first because a q8_0 block needs its absmax before any byte can
// be written. head_dim <= KV_MAX_DIM, even (f16) or a multiple of 64 (q8_0: rows are then whole
// words, so no two workgroups share a word).
#extension GL_GOOGLE_include_directive : require
#define OPS_WANT_KV_WRITE
#include "ops_push.h"
#include "ops_half.glsl"

#define KV_MAX_DIM 256

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer K { float k[]; };
layout(std430, binding = 1) readonly buffer V { float v[]; };
layout(std430, binding = 2) readonly buffer P { int pos[]; };
layout(std430, binding = 3) readonly buffer S { int slot[]; };
layout(std430, binding = 4) readonly buffer T { uvec2 rope_tab[]; }; // [n_rot / 2]
layout(std430, binding = 5) writeonly buffer KC { uint kc[]; };
layout(std430, binding = 6) writeonly buffer VC { uint vc[]; };

#include "ops_rope.glsl"

shared float row[2 * KV_MAX_DIM]; // rotated k row, then v row
#if defined(KV_Q8_0)
shared uint blk_d[2 * KV_MAX_DIM / 32];  // f16 bits of each block's scale
shared float blk_id[2 * KV_MAX_DIM / 32]; // 1 / d as the reference computes it
#endif

#if defined(KV_Q8_0)
// Byte b of the concatenated k|v q8_0 rows (each head_dim/32 * 34 bytes).
uint q8_byte(uint b)
{
    uint blk = b / 34u;
    uint off = b - blk * 34u;
    if (off < 2u)
        return (blk_d[blk] >> (8u * off)) & 0xffu;
    float x = row[blk * 32u + off - 2u];
    int q = clamp(int(roundEven(x * blk_id[blk])), -127, 127);
    return uint(q) & 0xffu;
}
#endif

void main()
{
    uint head = gl_WorkGroupID.x;
    uint t = gl_WorkGroupID.y;
    uint wg = gl_WorkGroupSize.x;
    uint lid = gl_LocalInvocationID.x;
    uint dim = pc.head_dim;
    int s = slot[t];
    // uniform over the workgroup, before any barrier
    if (s < 0 || uint(s) >= pc.n_ctx)
        return;
    uint src = (t * pc.n_kv_head + head) * dim;
    uint dst_row = uint(s) * pc.n_kv_head + head;

    for (uint i = lid; i < dim / 2u; i += wg) {
        if (i < pc.n_rot / 2u) {
            uvec2 e = rope_pair(i);
            vec2 r = rope_rotate(vec2(k[src + e.x], k[src + e.y]), rope_cs(pos[t], i));
            row[e.x] = r.x;
            row[e.y] = r.y;
        } else {
            uint e = pc.n_rot + 2u * (i - pc.n_rot / 2u);
            row[e] = k[src + e];
            row[e + 1u] = k[src + e + 1u];
        }
    }
    for (uint i = lid; i < dim; i += wg)
        row[dim + i] = v[src + i];
    barrier();

#if defined(KV_Q8_0)
    uint nb = dim / 32u;
    for (uint b = lid; b < 2u * nb; b += wg) {
        float amax = 0.0;
        for (uint j = 0; j < 32u; j++)
            amax = max(amax, abs(row[b * 32u + j]));
        uint h = f16_bits(amax / 127.0);
        float d = f16_value(h);
        blk_d[b] = h;
        blk_id[b] = d != 0.0 ? 1.0 / d : 0.0;
    }
    barrier();
    // a row is nb * 34 bytes = nb * 17 / 2 words (nb even)
    uint row_words = nb * 17u / 2u;
    for (uint w = lid; w < 2u * row_words; w += wg) {
        uint which = w < row_words ? 0u : 1u;
        uint ww = w - which * row_words;
        uint b0 = which * nb * 34u + ww * 4u;
        uint word = q8_byte(b0) | (q8_byte(b0 + 1u) << 8) | (q8_byte(b0 + 2u) << 16) |
                    (q8_byte(b0 + 3u) << 24);
        if (which == 0u)
            kc[dst_row * row_words + ww] = word;
        else
            vc[dst_row * row_words + ww] = word;
    }
#else
    uint row_words = dim / 2u;
    for (uint w = lid; w < row_words; w += wg) {
        kc[dst_row * row_words + w] = f16_bits(row[2u * w]) | (f16_bits(row[2u * w + 1u]) << 16);
        vc[dst_row * row_words + w] = f16_bits(row[dim + 2u * w]) | (f16_bits(row[dim + 2u * w + 1u]) << 16);
    }
#endif
}
