#version 450
// sample_penalty: repetition, presence and frequency penalties, in place on logits
// [n_rows][n_vocab], as ref_penalize: for each distinct id with c occurrences in the window,
//   l = l <= 0 ? l * repeat : l / repeat;  l = (l - c * frequency) - presence.
// pen [n_rows][pen_stride] holds the row's distinct (id, count) pairs (the host counts the
// window), so every logit is touched by at most one invocation. One invocation per entry.
#extension GL_GOOGLE_include_directive : require
#define OPS_WANT_SAMPLE_PENALTY
#include "ops_push.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) buffer L { float logits[]; };
layout(std430, binding = 1) readonly buffer S { sample_params prm[]; };
layout(std430, binding = 2) readonly buffer P { ivec2 pen[]; }; // (id, count)

void main()
{
    uint row = gl_WorkGroupID.y;
    uint i = gl_GlobalInvocationID.x;
    if (i >= min(prm[row].n_pen, pc.pen_stride))
        return;
    ivec2 e = pen[row * pc.pen_stride + i];
    if (e.x < 0 || uint(e.x) >= pc.n_vocab)
        return;
    uint at = row * pc.n_vocab + uint(e.x);
    float l = logits[at];
    l = l <= 0.0 ? l * prm[row].repeat : l / prm[row].repeat;
    // precise: the reference rounds the product before each subtraction (no fma)
    precise float f = float(e.y) * prm[row].frequency;
    precise float r = (l - f) - prm[row].presence;
    logits[at] = r;
}
