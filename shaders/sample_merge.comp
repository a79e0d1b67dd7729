#version 450
// sample_merge: merges groups of fan_in sorted runs into one, keeping the first len_out entries.
// Merge by rank: an entry's place in the merged run is its index in its own run plus, for each
// other run of the group, how many entries there come before it (binary search). Every entry is
// independent, so one dispatch merges all groups with no cooperation between invocations.
// Equal entries (only padding) are ordered by run index, so the places form a permutation.
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
