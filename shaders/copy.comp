#version 450
// copy: dst = src, 32-bit words. Doubles as the bandwidth probe: each invocation moves 16-byte
// words (the widest load every device has), so it reads and writes at the memory's full rate; the
// roofline other kernels are measured against. uvec4, not vec4: bits are copied exactly, NaN
// payloads included.
// Layout: a grid-stride loop over uvec4 elements (a fixed dispatch covers a whole binding), then
// invocations 0-2 of the grid copy the last n_words % 4 words through a scalar view.
#extension GL_GOOGLE_include_directive : require
#define WANT_PUSH_COPY
#include "push.h"

layout(local_size_x_id = 0) in;
// two views of each binding: 16-byte elements for the body, 4-byte words for the tail
layout(std430, binding = 0) readonly buffer Src4 { uvec4 src4[]; };
layout(std430, binding = 0) readonly buffer Src1 { uint src1[]; };
layout(std430, binding = 1) writeonly buffer Dst4 { uvec4 dst4[]; };
layout(std430, binding = 1) writeonly buffer Dst1 { uint dst1[]; };

void main()
{
    uint n4 = pc.n_words / 4u;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n4; i += stride)
        dst4[i] = src4[i];
    uint tail = n4 * 4u + gl_GlobalInvocationID.x;
    if (tail < pc.n_words)
        dst1[tail] = src1[tail];
}
