#version 450
// copy: dst = src in 16-byte elements. Doubles as the bandwidth probe: it moves 2 bytes for every
// byte copied with the widest loads the device has, the roofline other kernels are compared to.
#extension GL_GOOGLE_include_directive : require
#include "push.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer Src { vec4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { vec4 dst[]; };

void main()
{
    // grid-stride loop: a fixed dispatch covers any size up to maxStorageBufferRange
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n_vec4; i += stride)
        dst[i] = src[i];
}
