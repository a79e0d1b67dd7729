#version 450
// rope: rotary position embedding of q (k is rotated on its way into the cache, kv_write.comp).
// x, y [n_tok][n_head][head_dim] f32; y may alias x (in place). One invocation per pair of a
// head, x = pair index over all heads (n_head * head_dim/2), y = token; pairs past n_rot/2 carry
// the un-rotated tail dims. Positions come from a buffer so a recorded decode step replays
// unchanged while the position moves.
#extension GL_GOOGLE_include_directive : require
#define OPS_WANT_ROPE
#include "ops_push.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer P { uint pos[]; };       // [n_tok]
layout(std430, binding = 2) readonly buffer T { uvec2 rope_tab[]; }; // [n_rot / 2]
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

#include "ops_rope.glsl"

void main()
{
    uint half_dim = pc.head_dim / 2u;
    uint g = gl_GlobalInvocationID.x;
    uint t = gl_WorkGroupID.y;
    if (g >= pc.n_head * half_dim)
        return;
    uint head = g / half_dim;
    uint i = g - head * half_dim;
    uint base = (t * pc.n_head + head) * pc.head_dim;
    if (i < pc.n_rot / 2u) {
        uvec2 e = rope_pair(i);
        vec2 r = rope_rotate(vec2(x[base + e.x], x[base + e.y]), rope_cs(pos[t], i));
        y[base + e.x] = r.x;
        y[base + e.y] = r.y;
    } else {
        uint e = pc.n_rot + 2u * (i - pc.n_rot / 2u);
        y[base + e] = x[base + e];
        y[base + e + 1u] = x[base + e + 1u];
    }
}
