#version 450
// vec_add: c = a + b over n floats, one element per invocation. The pattern for 1-D kernels
// dispatched by kern_dispatch: the group count may exceed maxComputeWorkGroupCount.x (65,535 on
// many devices), so the host spreads groups over y and z and the shader rebuilds the linear
// group index; the last groups run past n and are masked.
#extension GL_GOOGLE_include_directive : require
#define WANT_PUSH_VEC_ADD
#include "push.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };

void main()
{
    uint group = gl_WorkGroupID.x +
                 gl_NumWorkGroups.x * (gl_WorkGroupID.y + gl_NumWorkGroups.y * gl_WorkGroupID.z);
    uint i = group * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (i < pc.n)
        c[i] = a[i] + b[i];
}
