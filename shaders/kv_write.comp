#version 450
// kv_write: rotate k and store k, v of n_tok tokens into one layer's cache; with n_q_head > 0
// also rotate q in place (the same ops_rope.glsl arithmetic as rope.comp, so the same bits), which
// saves the layer a separate rope dispatch and the barrier after it.
// In:  k, v [n_tok][n_kv_head][head_dim] f32 (projection outputs), pos [n_tok] u32,
//      rope_tab (see ops_push.h); q [n_tok][n_q_head][head_dim] f32, rotated in place.
// Out: caches [n_rows][n_kv_head][head_dim], token t at row row0 + seq(t) * seq_stride + pos[t]:
//   kv_write_f16:  f16, rounded to nearest even in integer arithmetic (ops_half.glsl), so the
//                  cache holds the same bits on every GPU;
//   kv_write_q8_0: head_dim/32 blocks {f16 d; int8 q[32]} (34 bytes, the GGUF q8_0 block) per
//                  (row, head) record, records back to back; d = absmax / 127 stored as f16,
//                  q = x / d (unrounded d) rounded half away from zero, as ref_quantize.
// The attention kernels read exactly this layout. One workgroup per (head, token) record: the
// record is rotated into shared memory first because a q8_0 block needs its absmax before any
// byte can be written. Workgroups x >= n_kv_head rotate q head x - n_kv_head of token y instead
// (no shared memory, no barrier). head_dim <= KV_MAX_DIM and even (f16) or a multiple of 32 (q8_0).
// A q8_0 record of an odd number of blocks starts or ends mid-word; the word it shares with the
// neighbouring record (another workgroup) is updated with atomics on its own half only.
#extension GL_GOOGLE_include_directive : require
#define OPS_WANT_KV_WRITE
#include "ops_push.h"
#include "ops_half.glsl"

#define KV_MAX_DIM 256

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer K { float k[]; };
layout(std430, binding = 1) readonly buffer V { float v[]; };
layout(std430, binding = 2) readonly buffer P { uint pos[]; };
layout(std430, binding = 3) readonly buffer T { uvec2 rope_tab[]; }; // [n_rot / 2]
#if defined(KV_Q8_0)
layout(std430, binding = 4) buffer KC { uint kc[]; }; // not writeonly: shared words use atomics
layout(std430, binding = 5) buffer VC { uint vc[]; };
#else
layout(std430, binding = 4) writeonly buffer KC { uint kc[]; };
layout(std430, binding = 5) writeonly buffer VC { uint vc[]; };
#endif
layout(std430, binding = 6) buffer Q { float q[]; }; // read and written in place

#include "ops_rope.glsl"

shared float row[2 * KV_MAX_DIM]; // rotated k record, then the v record

#if defined(KV_Q8_0)
shared uint blk_d[2 * KV_MAX_DIM / 32];   // f16 bits of each block's scale (k blocks, v blocks)
shared float blk_id[2 * KV_MAX_DIM / 32]; // 1 / d, d the stored f16 value, as the reference

// Byte b (< nb * 34) of the record of blocks [first, first + nb): k blocks first, then v.
uint q8_byte(uint first, uint b)
{
    uint blk = first + b / 34u;
    uint off = b % 34u;
    if (off < 2u)
        return (blk_d[blk] >> (8u * off)) & 0xffu;
    float x = row[blk * 32u + off - 2u];
    float v = x * blk_id[blk];
    int q = clamp(int(sign(v) * floor(abs(v) + 0.5)), -127, 127); // half away from zero (roundf)
    return uint(q) & 0xffu;
}

// Writes the record (nb blocks from `first`) at byte offset at0 (even) of cache `which`.
void store_record(uint which, uint first, uint nb, uint at0)
{
    uint bytes = nb * 34u;
    uint w0 = at0 / 4u;
    uint n_words = (at0 + bytes + 3u) / 4u - w0;
    for (uint w = gl_LocalInvocationID.x; w < n_words; w += gl_WorkGroupSize.x) {
        uint val = 0u, mask = 0u;
        for (uint j = 0u; j < 4u; j++) {
            uint at = (w0 + w) * 4u + j;
            if (at >= at0 && at < at0 + bytes) {
                val |= q8_byte(first, at - at0) << (8u * j);
                mask |= 0xffu << (8u * j);
            }
        }
        if (mask == 0xffffffffu) {
            if (which == 0u)
                kc[w0 + w] = val;
            else
                vc[w0 + w] = val;
        } else if (which == 0u) {
            atomicAnd(kc[w0 + w], ~mask);
            atomicOr(kc[w0 + w], val);
        } else {
            atomicAnd(vc[w0 + w], ~mask);
            atomicOr(vc[w0 + w], val);
        }
    }
}
#endif

// q head `head` of token t, rotated in place at position p: rope.comp's loop body, one pair per
// invocation and step.
void rotate_q(uint head, uint t, uint p)
{
    uint base = (t * pc.n_q_head + head) * pc.head_dim;
    for (uint i = gl_LocalInvocationID.x; i < pc.n_rot / 2u; i += gl_WorkGroupSize.x) {
        uvec2 e = rope_pair(i);
        vec2 o = rope_rotate(vec2(q[base + e.x], q[base + e.y]), rope_cs(p, i));
        q[base + e.x] = o.x;
        q[base + e.y] = o.y;
    }
}

void main()
{
    uint head = gl_WorkGroupID.x;
    uint t = gl_WorkGroupID.y;
    uint wg = gl_WorkGroupSize.x;
    uint lid = gl_LocalInvocationID.x;
    uint dim = pc.head_dim;
    uint p = pos[t];
    // uniform over the workgroup; q is rotated for every token, whatever its cache row
    if (head >= pc.n_kv_head) {
        rotate_q(head - pc.n_kv_head, t, p);
        return;
    }
    uint seq = pc.tok_per_seq != 0u ? t / pc.tok_per_seq : 0u;
    uint r = pc.row0 + seq * pc.seq_stride + p;
    // uniform over the workgroup, before any barrier
    if (r >= pc.n_rows)
        return;
    uint src = (t * pc.n_kv_head + head) * dim;
    uint rec = r * pc.n_kv_head + head; // record index in the cache

    for (uint i = lid; i < dim / 2u; i += wg) {
        if (i < pc.n_rot / 2u) {
            uvec2 e = rope_pair(i);
            vec2 o = rope_rotate(vec2(k[src + e.x], k[src + e.y]), rope_cs(p, i));
            row[e.x] = o.x;
            row[e.y] = o.y;
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
        for (uint j = 0u; j < 32u; j++)
            amax = max(amax, abs(row[b * 32u + j]));
        float d = amax / 127.0; // quants use the unrounded scale, as llama.cpp's q8_0
        blk_d[b] = f16_bits(d);
        blk_id[b] = d != 0.0 ? 1.0 / d : 0.0;
    }
    barrier();
    store_record(0u, 0u, nb, rec * nb * 34u);
    store_record(1u, nb, nb, rec * nb * 34u);
#else
    uint rec_words = dim / 2u;
    for (uint w = lid; w < rec_words; w += wg) {
        kc[rec * rec_words + w] = f16_bits(row[2u * w]) | (f16_bits(row[2u * w + 1u]) << 16);
        vc[rec * rec_words + w] = f16_bits(row[dim + 2u * w]) | (f16_bits(row[dim + 2u * w + 1u]) << 16);
    }
#endif
}
