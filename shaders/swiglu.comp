#version 450
// swiglu: out[r][i] = silu(gate[r][i]) * up[r][i], silu(g) = g / (1 + exp(-g)).
// Layout: x = column (grid-stride within a row), y = row, so a row of any length (the FFN
// width, 4864..29568, or odd test sizes) is covered by a fixed number of workgroups. gate/up
// strides allow one fused [n_rows][2n] gate|up projection bound twice with different offsets.
#extension GL_GOOGLE_include_directive : require
#define OPS_WANT_SWIGLU
#include "ops_push.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer G { float gate[]; };
layout(std430, binding = 1) readonly buffer U { float up[]; };
layout(std430, binding = 2) writeonly buffer O { float outv[]; }; // [n_rows][n]

void main()
{
    uint row = gl_WorkGroupID.y;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) {
        float g = gate[row * pc.gate_stride + i];
        float u = up[row * pc.up_stride + i];
        // for g << 0, exp(-g) overflows to inf and the quotient is -0, the correct limit
        outv[row * pc.n + i] = g / (1.0 + exp(-g)) * u;
    }
}
