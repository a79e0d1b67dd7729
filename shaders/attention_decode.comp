#version 450
// attention_decode: flash-decoding over the KV cache for one query token per sequence. Computes
// softmax(q k^T * scale) v for up to ATTN_GROUP query heads sharing one KV head, over one chunk
// of the sequence; writes the result (n_split == 1) or a partial (max, sum, unnormalised output)
// for attention_combine.
// KV cache (shared with kv_write, see attention_push.h): rows [n_rows][n_kv_head][head_dim],
// f16 or q8_0 blocks of 32 along head_dim (34-byte records back to back); sequence s at
// position p is row s * seq_stride + p, and attends to positions [0, pos[s]] (pos: a buffer).
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#define ATTN_WANT_DECODE
#include "attention_push.h"

// Layout: ATTN_WG (128) invocations per workgroup, the chunk walked in tiles of 128 keys.
//  scores: invocation i takes key i of the tile and dots it (16-byte loads, the whole record)
//          with every query head of the group; the group's q sits in shared memory, read by
//          all invocations at the same address (broadcast), so each K byte is read once.
//  output: invocation i owns dimension i % head_dim for keys i / head_dim (mod 128/head_dim)
//          of the tile, so V reads are contiguous across invocations; with head_dim < 128 the
//          lanes are summed at the end.
// Online softmax: the running max is shared by the workgroup (one reduction per tile); running
// sums stay per invocation and are reduced once at the end.
layout(local_size_x = ATTN_WG) in;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 3) readonly buffer Pos { uint pos[]; };
layout(std430, binding = 4) writeonly buffer PartO { float part_o[]; };   // [s][head][split][dim]
layout(std430, binding = 5) writeonly buffer PartML { vec2 part_ml[]; };  // [s][head][split]
layout(std430, binding = 6) writeonly buffer Out { float outp[]; };       // [s][head][dim]

#include "attention_cache.glsl"

#define G ATTN_GROUP
#define NEG (-1.0e30) // finite "minus infinity": exp(NEG - m) == 0 without inf - inf

shared vec4 qs[G * ATTN_MAX_HEAD_DIM / 4]; // [g][dim] pre-scaled queries
shared float ps[ATTN_WG * G];              // [key][g] probabilities of the tile
shared float red[G * ATTN_WG];             // reductions: [g][subgroup], then [lane][g][dim]
shared float tile_max[G];

void main()
{
    const uint tid = gl_LocalInvocationID.x;
    const uint split = gl_WorkGroupID.x, s = gl_WorkGroupID.z;
    const uint h = gl_WorkGroupID.y / pc.n_group, grp = gl_WorkGroupID.y % pc.n_group;
    const uint D = pc.head_dim, D8 = D >> 3;
    const uint gqa = pc.n_head / pc.n_kv_head;
    const uint hq0 = h * gqa + grp * G;
    const uint ng = min(G, gqa - grp * G);

    // keys [kb, ke) of this chunk; L = pos + 1 comes from the buffer, so it may change between
    // replays of one recorded dispatch
    const uint L = min(pos[s] + 1u, pc.seq_stride); // a position past the sequence's rows reads none
    const uint per = (L + pc.n_split - 1u) / pc.n_split;
    const uint cs = (per + ATTN_WG - 1u) / ATTN_WG * ATTN_WG;
    const uint kb = min(split * cs, L), ke = min(kb + cs, L);
    const uint row0 = s * pc.seq_stride;

    for (uint i = tid; i < G * D; i += ATTN_WG) {
        uint g = i / D, d = i % D;
        float v = g < ng ? q[(s * pc.n_head + hq0 + g) * D + d] * pc.scale : 0.0;
        qs[(g * ATTN_MAX_HEAD_DIM + d) >> 2][d & 3u] = v;
    }

    const uint lanes = ATTN_WG / D;        // key lanes of the output mapping
    const uint od = tid % D, ol = tid / D; // ol >= lanes: idle in the output phase
    float m_run[G], l_thr[G], o[G];        // m_run is the same in every invocation
    for (uint g = 0; g < G; g++) {
        m_run[g] = NEG;
        l_thr[g] = 0.0;
        o[g] = 0.0;
    }
    barrier();

    for (uint t0 = kb; t0 < ke; t0 += ATTN_WG) {
        // scores of key t0 + tid for each head of the group
        const uint key = t0 + tid;
        float sc[G];
        for (uint g = 0; g < G; g++)
            sc[g] = NEG;
        if (key < ke) {
            const uint rec = (row0 + key) * pc.n_kv_head + h;
            for (uint g = 0; g < G; g++)
                sc[g] = 0.0;
            for (uint c = 0; c < D8; c++) {
                vec4 ka, kb4;
                cache_k8(rec, c, ka, kb4);
                for (uint g = 0; g < G; g++) {
                    if (g >= ng)
                        break;
                    uint qi = ((g * ATTN_MAX_HEAD_DIM) >> 2) + c * 2u;
                    sc[g] += dot(qs[qi], ka) + dot(qs[qi + 1u], kb4);
                }
            }
        }

        // tile maximum per head: subgroup, then across subgroups
        for (uint g = 0; g < G; g++) {
            float mx = subgroupMax(sc[g]);
            if (subgroupElect())
                red[g * ATTN_WG + gl_SubgroupID] = mx;
        }
        barrier();
        if (tid < G) {
            float mx = NEG;
            for (uint i = 0; i < gl_NumSubgroups; i++)
                mx = max(mx, red[tid * ATTN_WG + i]);
            tile_max[tid] = mx;
        }
        barrier();

        for (uint g = 0; g < G; g++) {
            float m_new = max(m_run[g], tile_max[g]);
            float alpha = exp(m_run[g] - m_new);
            m_run[g] = m_new;
            float p = key < ke ? exp(sc[g] - m_new) : 0.0;
            l_thr[g] = l_thr[g] * alpha + p;
            o[g] *= alpha;
            ps[tid * G + g] = p;
        }
        barrier();

        // o[g] += p[key][g] * v[key][od] over this lane's keys of the tile
        const uint nk = min(uint(ATTN_WG), ke - t0);
        if (ol < lanes) {
            for (uint kk = ol; kk < nk; kk += lanes) {
                float v = cache_v1((row0 + t0 + kk) * pc.n_kv_head + h, od);
                for (uint g = 0; g < G; g++)
                    o[g] += ps[kk * G + g] * v;
            }
        }
        barrier();
    }

    // totals of the per-invocation sums, into tile_max[g]
    for (uint g = 0; g < G; g++) {
        float sum = subgroupAdd(l_thr[g]);
        if (subgroupElect())
            red[g * ATTN_WG + gl_SubgroupID] = sum;
    }
    barrier();
    if (tid < G) {
        float sum = 0.0;
        for (uint i = 0; i < gl_NumSubgroups; i++)
            sum += red[tid * ATTN_WG + i];
        tile_max[tid] = sum;
    }
    barrier();

    // fold the key lanes (head_dim < 128) into lane 0
    if (lanes > 1u) {
        if (ol >= 1u && ol < lanes)
            for (uint g = 0; g < G; g++)
                red[((ol - 1u) * G + g) * D + od] = o[g];
        barrier();
        if (ol == 0u)
            for (uint i = 1u; i < lanes; i++)
                for (uint g = 0; g < G; g++)
                    o[g] += red[((i - 1u) * G + g) * D + od];
    }

    if (ol != 0u)
        return;
    for (uint g = 0; g < G; g++) {
        if (g >= ng)
            break;
        uint hd = s * pc.n_head + hq0 + g;
        if (pc.n_split == 1u) {
            outp[hd * D + od] = o[g] / tile_max[g];
        } else {
            part_o[(hd * pc.n_split + split) * D + od] = o[g];
            if (od == 0u)
                part_ml[hd * pc.n_split + split] = vec2(m_run[g], tile_max[g]);
        }
    }
}
