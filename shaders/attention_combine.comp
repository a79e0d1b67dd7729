#version 450
// attention_combine: merges the per-chunk partials of attention_decode into the output
// [n_seq][n_head][head_dim]: out = sum_j o_j e^(m_j - M) / sum_j l_j e^(m_j - M), M = max_j m_j.
// Chunks past the sequence's end have l_j == 0 and their o_j is never read.
#extension GL_GOOGLE_include_directive : require
#define ATTN_WANT_COMBINE
#include "attention_push.h"

// Layout: one workgroup per (head, sequence); invocation d owns output dimension d and walks
// the n_split chunks itself (n_split is small: a few times the GPU's compute units).
layout(local_size_x = ATTN_WG) in;

layout(std430, binding = 0) readonly buffer PartO { float part_o[]; };  // [s][head][split][dim]
layout(std430, binding = 1) readonly buffer PartML { vec2 part_ml[]; }; // [s][head][split]
layout(std430, binding = 2) writeonly buffer Out { float outp[]; };     // [s][head][dim]

void main()
{
    const uint d = gl_LocalInvocationID.x;
    if (d >= pc.head_dim)
        return;
    const uint hd = gl_WorkGroupID.y * pc.n_head + gl_WorkGroupID.x;
    const uint base = hd * pc.n_split;

    float mx = -1.0e30;
    for (uint j = 0; j < pc.n_split; j++) {
        vec2 ml = part_ml[base + j];
        if (ml.y > 0.0)
            mx = max(mx, ml.x);
    }
    float sum = 0.0, acc = 0.0;
    for (uint j = 0; j < pc.n_split; j++) {
        vec2 ml = part_ml[base + j];
        if (ml.y > 0.0) {
            float w = exp(ml.x - mx);
            sum += ml.y * w;
            acc += part_o[(base + j) * pc.head_dim + d] * w;
        }
    }
    outp[hd * pc.head_dim + d] = acc / sum;
}
