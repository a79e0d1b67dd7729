#version 450
// sample_merge: merges groups of fan_in sorted runs into one, keeping the first len_out entries.
// Two variants, chosen by the host:
//  sample_merge (runs cut to `keep`, fan_in 8): merge by rank. An entry's place in the merged
//    run is its index in its own run plus, for each other run of the group, how many entries
//    there come before it (binary search); every entry is independent.
//  sample_merge_pairs (runs still growing, fan_in 2): merge path. Invocation i writes outputs
//    [i * PAIR_SPAN, (i + 1) * PAIR_SPAN) of its pair: one binary search finds how many of them
//    come from the first run, then a sequential merge, so each output costs about one load
//    instead of a binary search (the whole-vocabulary sort moves every entry log2(runs) times).
// Equal entries (only padding) are ordered by run index, so every output place is written once.
#extension GL_GOOGLE_include_directive : require
#define OPS_WANT_SAMPLE_MERGE
#include "ops_push.h"
#include "ops_sample.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer I { cand runs_in[]; };   // [n_rows][n_runs][len_in]
layout(std430, binding = 1) writeonly buffer O { cand runs_out[]; }; // [n_rows][n_out][len_out]

cand entry(uint row, uint run, uint j)
{
    if (run >= pc.n_runs)
        return cand(NEG_INF, SAMPLE_NO_ID); // the last group's missing runs read as padding
    return runs_in[(row * pc.n_runs + run) * pc.len_in + j];
}

// Entries of run s that come before x (or are equal, when or_equal): a lower bound in a run
// sorted in the reference order.
uint rank_in(uint row, uint s, cand x, bool or_equal)
{
    uint lo = 0u, hi = pc.len_in;
    while (lo < hi) {
        uint mid = (lo + hi) >> 1;
        cand e = entry(row, s, mid);
        bool before = cand_before(e.l, e.id, x.l, x.id) || (or_equal && e.l == x.l && e.id == x.id);
        if (before)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return lo;
}

#if defined(MERGE_PAIRS)
#define PAIR_SPAN 16u

void main()
{
    uint row = gl_WorkGroupID.y;
    uint g = gl_GlobalInvocationID.x;
    uint n_out = (pc.n_runs + 1u) / 2u;
    uint per_pair = (pc.len_out + PAIR_SPAN - 1u) / PAIR_SPAN;
    if (g >= n_out * per_pair)
        return;
    uint grp = g / per_pair;
    uint d0 = (g - grp * per_pair) * PAIR_SPAN;
    uint ra = 2u * grp, rb = ra + 1u, len = pc.len_in;
    // i = how many of the first d0 outputs come from run a: run a wins ties (lower run index)
    uint lo = d0 > len ? d0 - len : 0u, hi = min(d0, len);
    while (lo < hi) {
        uint mid = (lo + hi) >> 1;
        cand a = entry(row, ra, mid), b = entry(row, rb, d0 - mid - 1u);
        if (!cand_before(b.l, b.id, a.l, a.id))
            lo = mid + 1u;
        else
            hi = mid;
    }
    uint i = lo, j = d0 - lo;
    uint out_base = (row * n_out + grp) * pc.len_out;
    uint end = min(d0 + PAIR_SPAN, pc.len_out);
    cand a = i < len ? entry(row, ra, i) : cand(NEG_INF, SAMPLE_NO_ID);
    cand b = j < len ? entry(row, rb, j) : cand(NEG_INF, SAMPLE_NO_ID);
    for (uint d = d0; d < end; d++) {
        bool take_a = j >= len || (i < len && !cand_before(b.l, b.id, a.l, a.id));
        if (take_a) {
            runs_out[out_base + d] = a;
            i++;
            if (i < len)
                a = entry(row, ra, i);
        } else {
            runs_out[out_base + d] = b;
            j++;
            if (j < len)
                b = entry(row, rb, j);
        }
    }
}
#else
void main()
{
    uint row = gl_WorkGroupID.y;
    uint g = gl_GlobalInvocationID.x;
    uint n_out = (pc.n_runs + pc.fan_in - 1u) / pc.fan_in;
    uint group_len = pc.fan_in * pc.len_in;
    if (g >= n_out * group_len)
        return;
    uint grp = g / group_len;
    uint r = grp * pc.fan_in + (g - grp * group_len) / pc.len_in; // run of this entry
    uint j = g % pc.len_in;
    cand x = entry(row, r, j);
    uint place = j;
    for (uint s = grp * pc.fan_in; s < grp * pc.fan_in + pc.fan_in; s++)
        if (s != r)
            place += rank_in(row, s, x, s < r);
    if (place < pc.len_out)
        runs_out[(row * n_out + grp) * pc.len_out + place] = x;
}
#endif
