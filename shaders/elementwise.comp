#version 450
// elementwise: residual add and scale over n floats (variants by OP_ADD / OP_SCALE). b is
// indexed modulo n_b so a [n_b] vector can be broadcast over the rows of a [rows][n_b] tensor.
// y may alias a (in-place residual add): each element is read and written by one invocation.
// Grid-stride loop: a fixed dispatch covers any n.
#extension GL_GOOGLE_include_directive : require
#define OPS_WANT_ELEMENTWISE
#include "ops_push.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer A { float a[]; };
#if defined(OP_SCALE)
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
#else
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
#endif

void main()
{
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) {
#if defined(OP_SCALE)
        y[i] = a[i] * pc.scale;
#else
        // the common un-broadcast case skips the integer modulo
        uint j = pc.n_b == pc.n ? i : i % pc.n_b;
        y[i] = a[i] + b[j];
#endif
    }
}
