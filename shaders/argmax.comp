#version 450
// argmax over rows of logits (n up to 152,064), exact, ties to the lowest index.
// Two passes (variant ARGMAX_FINAL): the partial pass spreads a row over n_groups workgroups
// (enough to fill a big GPU: the row is 600 KB and one workgroup alone would be latency-bound),
// each leaving one (value, index); the final pass reduces those per row.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#define OPS_WANT_ARGMAX
#include "ops_push.h"

layout(local_size_x_id = 0) in; // <= OPS_MAX_WG
#include "ops_reduce.glsl"

struct cand {
    float v;
    uint i;
};

#if !defined(ARGMAX_FINAL)
layout(std430, binding = 0) readonly buffer L { float logits[]; };  // [n_rows][n]
layout(std430, binding = 1) writeonly buffer P { cand partial[]; }; // [n_rows][n_groups]
#else
layout(std430, binding = 0) readonly buffer P { cand partial[]; };  // [n_rows][n_groups]
layout(std430, binding = 1) writeonly buffer O { uint out_id[]; };  // [n_rows]
#endif

void main()
{
    uint row = gl_WorkGroupID.y;
    uint wg = gl_WorkGroupSize.x;
    // each invocation keeps its own first maximum: it visits indices in increasing order, so
    // a strict > keeps the lowest index among equal values
    float bv = uintBitsToFloat(0xff800000u); // -inf
    uint bi = 0xffffffffu;
#if !defined(ARGMAX_FINAL)
    uint lo = gl_WorkGroupID.x * pc.chunk;
    uint hi = min(lo + pc.chunk, pc.n);
    for (uint i = lo + gl_LocalInvocationID.x; i < hi; i += wg) {
        float v = logits[row * pc.n + i];
        if (v > bv || bi == 0xffffffffu) {
            bv = v;
            bi = i;
        }
    }
#else
    for (uint g = gl_LocalInvocationID.x; g < pc.n_groups; g += wg) {
        cand c = partial[row * pc.n_groups + g];
        if (c.v > bv || (c.v == bv && c.i < bi)) {
            bv = c.v;
            bi = c.i;
        }
    }
#endif
    float best;
    uint idx = wg_argmax(bv, bi, best);
    if (gl_LocalInvocationID.x == 0) {
#if !defined(ARGMAX_FINAL)
        partial[row * pc.n_groups + gl_WorkGroupID.x] = cand(best, idx);
#else
        out_id[row] = idx;
#endif
    }
}
