#version 450
// get_rows: out[i] = dequant(W[ids[i]]) — the embedding lookup, one variant per weight type
// (get_rows_<type>, -DDQ_TYPE_<T>); also the GPU dequantizer (ids 0..rows-1).
// The ids live in a buffer, so a recorded decode step is replayed with new ids by rewriting it.
// One dispatch serves one weight part [row_begin, row_begin + part_rows): it writes only the
// outputs whose id falls in its part. An id >= total_rows never reads the weights; the dispatch
// flagged GET_ROWS_ZERO_INVALID (the host flags exactly one) writes a row of zeros for it.
//
// Thread mapping: workgroup row y handles ids y, y + groups.y, ...; along the row, invocation x
// decodes units x, x + groups.x * size, ... (consecutive invocations read consecutive bytes).
#extension GL_GOOGLE_include_directive : require

#define MATVEC_WANT_GET_ROWS
#include "matvec_push.h"

layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer WeightWords { uint w32[]; };
layout(std430, binding = 0) readonly buffer WeightVec4 { uvec4 w128[]; };
layout(std430, binding = 1) readonly buffer Ids { uint ids[]; };   // [n_ids]
layout(std430, binding = 2) writeonly buffer Out { vec4 out4[]; }; // [n_ids, k]

#define DQ_WORD(i) w32[i]
#define DQ_WORD4(i) w128[i]
#include "dequant.glsl"

void main()
{
    uint units = pc.k / DQ_UNIT;
    uint row_bytes = dq_row_bytes(pc.k);
    uint k4 = pc.k >> 2;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    bool zero_invalid = (pc.flags & GET_ROWS_ZERO_INVALID) != 0u;

    for (uint i = gl_WorkGroupID.y; i < pc.n_ids; i += gl_NumWorkGroups.y) {
        uint id = ids[i];
        uint local = id - pc.row_begin; // wraps to a huge value when id < row_begin
        bool mine = local < pc.part_rows && id < pc.total_rows;
        if (!mine && !(zero_invalid && id >= pc.total_rows))
            continue;
        for (uint u = gl_GlobalInvocationID.x; u < units; u += stride) {
            float v[DQ_UNIT];
            if (mine) {
                dq_unit(local * row_bytes, u, v);
            } else {
                for (uint j = 0u; j < DQ_UNIT; j++)
                    v[j] = 0.0;
            }
            for (uint run = 0u; run < DQ_UNIT / DQ_RUN; run++) {
                uint o4 = i * k4 + (dq_elem(u, run * DQ_RUN) >> 2);
                for (uint q = 0u; q < DQ_RUN / 4u; q++) {
                    uint j = run * DQ_RUN + 4u * q;
                    out4[o4 + q] = vec4(v[j], v[j + 1u], v[j + 2u], v[j + 3u]);
                }
            }
        }
    }
}
