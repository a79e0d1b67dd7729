#version 450
// rmsnorm: y[r][i] = x[r][i] / sqrt(mean_i(x[r][i]^2) + eps) * w[i], weight multiply fused.
// One workgroup per token row (rows are 896..8192 long); each invocation strides the row by the
// workgroup size, so loads are coalesced and any length (odd included) works. x and y may be
// the same buffer: every element is read and written by the same invocation.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#define OPS_WANT_RMSNORM
#include "ops_push.h"

layout(local_size_x_id = 0) in; // workgroup size, <= OPS_MAX_WG
#include "ops_reduce.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };  // [n_rows][n]
layout(std430, binding = 1) readonly buffer W { float w[]; };  // [n]
layout(std430, binding = 2) writeonly buffer Y { float y[]; }; // [n_rows][n]

void main()
{
    uint row = gl_WorkGroupID.x;
    uint base = row * pc.n;
    uint wg = gl_WorkGroupSize.x;

    float ss = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < pc.n; i += wg) {
        float v = x[base + i];
        ss += v * v;
    }
    ss = wg_sum(ss);
    // same expression as the reference: the scale is 1 / sqrt(mean + eps), then x * scale * w
    float scale = 1.0 / sqrt(ss / float(pc.n) + pc.eps);
    for (uint i = gl_LocalInvocationID.x; i < pc.n; i += wg)
        y[base + i] = x[base + i] * scale * w[i];
}
