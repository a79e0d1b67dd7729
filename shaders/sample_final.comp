#version 450
// sample_final: the sampling chain of ref_sample on the row's sorted top entries, one workgroup
// per row. In the reference's order:
//   n = top_k (or all); top-p: softmax at temperature 1 over those n, keep the shortest prefix
//   whose cumulative probability reaches top_p; min-p: keep the prefix with
//   logit >= max + ln(min_p); softmax at the row's temperature over the n left; the drawn
//   entry is the first whose cumulative probability exceeds u (the last when rounding leaves
//   u above the total). Temperature <= 0 takes the first entry: the argmax, ties to lowest id.
// Cumulative sums walk the sorted list in blocks of wg * ELEMS entries (each invocation owns
// ELEMS consecutive ones) and stop at the first block where the target is reached, so a cut at
// a few hundred candidates reads only those even when the whole vocabulary was sorted.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#define OPS_WANT_SAMPLE_FINAL
#include "ops_push.h"

layout(local_size_x_id = 0) in; // <= OPS_MAX_WG
#include "ops_reduce.glsl"
#include "ops_sample.glsl"

#define ELEMS 4u

layout(std430, binding = 0) readonly buffer R { cand sorted[]; };        // [n_rows][len]
layout(std430, binding = 1) readonly buffer M { vec2 lse[]; };           // [n_rows][n_chunks]
layout(std430, binding = 2) readonly buffer S { sample_params prm[]; };  // [n_rows]
layout(std430, binding = 3) writeonly buffer O { uvec2 outv[]; };        // [n_rows][1 + n_logprobs]

uint g_base; // row offset into sorted

// Unnormalised probability of entry i at temperature temp, as the reference writes it:
// exp(logit / temp - max / temp).
float weight(uint i, float temp, float mt)
{
    return exp(sorted[g_base + i].l / temp - mt);
}

float prefix_sum(uint n, float temp, float mt)
{
    float s = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < n; i += gl_WorkGroupSize.x)
        s += weight(i, temp, mt);
    return wg_sum(s);
}

// First i < n at which the running sum of weight(i) / total reaches t: cum >= t when ge,
// cum > t otherwise; n when it never does.
uint first_crossing(uint n, float temp, float mt, float total, float t, bool ge)
{
    float carry = 0.0;
    uint step = gl_WorkGroupSize.x * ELEMS;
    for (uint start = 0u; start < n; start += step) {
        uint i0 = start + gl_LocalInvocationID.x * ELEMS;
        float p[ELEMS];
        float local = 0.0;
        for (uint e = 0u; e < ELEMS; e++) {
            p[e] = i0 + e < n ? weight(i0 + e, temp, mt) / total : 0.0;
            local += p[e];
        }
        float block;
        float cum = carry + wg_exclusive_scan(local, block);
        uint found = 0xffffffffu;
        for (uint e = 0u; e < ELEMS && found == 0xffffffffu; e++) {
            cum += p[e];
            if (i0 + e < n && (ge ? cum >= t : cum > t))
                found = i0 + e;
        }
        found = wg_min_u(found);
        if (found != 0xffffffffu)
            return found;
        carry += block;
    }
    return n;
}

void main()
{
    uint row = gl_WorkGroupID.y;
    uint lid = gl_LocalInvocationID.x;
    g_base = row * pc.len;
    sample_params P = prm[row];
    float mx = sorted[g_base].l;

    // softmax normaliser of the whole row at temperature 1, from the sort's per-chunk partials
    float tot = 0.0;
    for (uint c = lid; c < pc.n_chunks; c += gl_WorkGroupSize.x) {
        vec2 v = lse[row * pc.n_chunks + c];
        if (v.x != NEG_INF)
            tot += exp(v.x - mx) * v.y;
    }
    tot = wg_sum(tot);

    uint pick = 0u;
    if (P.temperature > 0.0) {
        uint n = pc.n_vocab;
        if (P.top_k > 0u && P.top_k < n)
            n = P.top_k;
        n = min(n, pc.len);
        if (P.top_p < 1.0) {
            float s1 = n == pc.n_vocab ? tot : prefix_sum(n, 1.0, mx);
            uint c = first_crossing(n, 1.0, mx, s1, P.top_p, true);
            if (c < n)
                n = c + 1u;
        }
        if (P.min_p > 0.0) {
            // logits fall along the sorted list: binary search for the first entry below the
            // floor, at index >= 1 (one entry always stays); uniform, no barrier needed
            float fl = mx + P.min_p_log;
            uint lo = 1u, hi = max(n, 1u);
            while (lo < hi) {
                uint mid = (lo + hi) >> 1;
                if (sorted[g_base + mid].l >= fl)
                    lo = mid + 1u;
                else
                    hi = mid;
            }
            n = max(lo, 1u);
        }
        float mt = mx / P.temperature;
        float st = prefix_sum(n, P.temperature, mt);
        pick = first_crossing(n, P.temperature, mt, st, P.u, false);
        pick = min(pick, n - 1u);
    }

    float lt = log(tot);
    uint out_base = row * (1u + pc.n_logprobs);
    if (lid == 0u) {
        cand c = sorted[g_base + pick];
        outv[out_base] = uvec2(c.id, floatBitsToUint((c.l - mx) - lt));
    }
    for (uint j = lid; j < pc.n_logprobs; j += gl_WorkGroupSize.x) {
        cand c = sorted[g_base + j];
        outv[out_base + 1u + j] = uvec2(c.id, floatBitsToUint((c.l - mx) - lt));
    }
}
