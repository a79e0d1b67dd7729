#version 450
// sample_sort: first stage of the sampling sort. Workgroup (c, row) sorts logits
// [c * SAMPLE_CHUNK, (c + 1) * SAMPLE_CHUNK) of its row in shared memory (bitonic network,
// SAMPLE_CHUNK / 2 compare-exchanges per step spread over the workgroup) and writes the first
// run_len entries as run c, plus (max, sum exp(l - max)) of the chunk so later stages know the
// softmax normaliser of the whole vocabulary without reading it again. Shared memory: exactly
// the 16 KiB every Vulkan device has; the final reduction reuses it.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#define OPS_WANT_SAMPLE_SORT
#include "ops_push.h"
#include "ops_sample.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer L { float logits[]; }; // [n_rows][n_vocab]
layout(std430, binding = 1) writeonly buffer R { cand runs[]; };   // [n_rows][n_chunks][run_len]
layout(std430, binding = 2) writeonly buffer M { vec2 lse[]; };    // [n_rows][n_chunks]

shared float sk[SAMPLE_CHUNK];
shared uint si[SAMPLE_CHUNK];

void main()
{
    uint c = gl_WorkGroupID.x;
    uint row = gl_WorkGroupID.y;
    uint lid = gl_LocalInvocationID.x;
    uint wg = gl_WorkGroupSize.x;
    uint base = c * SAMPLE_CHUNK;

    for (uint i = lid; i < SAMPLE_CHUNK; i += wg) {
        uint id = base + i;
        bool real = id < pc.n_vocab;
        sk[i] = real ? logits[row * pc.n_vocab + id] : NEG_INF;
        si[i] = real ? id : SAMPLE_NO_ID;
    }
    barrier();

    // bitonic sort into the reference order: block k is merged "forward" when bit k of the
    // lower index is clear, so the last pass (k = SAMPLE_CHUNK) leaves index 0 first
    for (uint k = 2u; k <= SAMPLE_CHUNK; k <<= 1) {
        for (uint j = k >> 1; j > 0u; j >>= 1) {
            for (uint p = lid; p < SAMPLE_CHUNK / 2u; p += wg) {
                uint a = ((p & ~(j - 1u)) << 1) | (p & (j - 1u));
                uint b = a | j;
                float la = sk[a], lb = sk[b];
                uint ia = si[a], ib = si[b];
                bool fwd = (a & k) == 0u;
                if (fwd ? cand_before(lb, ib, la, ia) : cand_before(la, ia, lb, ib)) {
                    sk[a] = lb;
                    sk[b] = la;
                    si[a] = ib;
                    si[b] = ia;
                }
            }
            barrier();
        }
    }

    float m = sk[0];
    float part = 0.0;
    if (m != NEG_INF) {
        for (uint i = lid; i < SAMPLE_CHUNK; i += wg)
            if (si[i] != SAMPLE_NO_ID)
                part += exp(sk[i] - m);
    }
    uint out_base = (row * pc.n_chunks + c) * pc.run_len;
    for (uint i = lid; i < pc.run_len; i += wg)
        runs[out_base + i] = cand(sk[i], si[i]);
    barrier(); // sk is reused for the partial sums below

    part = subgroupAdd(part);
    if (subgroupElect())
        sk[gl_SubgroupID] = part;
    barrier();
    if (lid == 0u) {
        float s = 0.0;
        for (uint g = 0u; g < gl_NumSubgroups; g++)
            s += sk[g];
        lse[row * pc.n_chunks + c] = vec2(m, s);
    }
}
