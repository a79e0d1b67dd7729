#version 450
// matvec: y[c][r] = sum_k W[r][k] x[c][k] (+ bias[r]) (+ residual[c][r]), fp32 accumulation — the
// decode step's weight-bound product. One variant per weight type (matvec_<type>, -DDQ_TYPE_<T>);
// one dispatch covers one weight part (a row range bound on its own, see src/kernels/matvec.h).
// With -DMATVEC_GLU (matvec_glu_<type>) it is the feed-forward's gate and up products with SwiGLU:
// y[c][r] = silu(G[r] . x[c]) * (U[r] . x[c]), both matrices' parts of the same rows bound at
// once (0 and 5), so x is read once for both and neither product goes through memory.
//
// Thread mapping: a workgroup owns WG_ROWS consecutive rows. Each subgroup takes ROWS_PER_SG of
// them at a time and its lanes stride along those rows by units (32 weights of one block, or 8
// float weights): lane i decodes units i, i + subgroup size, ... Consecutive lanes read
// consecutive bytes, so the weight loads coalesce; ROWS_PER_SG rows per lane keep that many
// independent weight loads in flight and share each activation load between them. A row's sum
// is one subgroupAdd: no shared memory, no barrier. Subgroups loop over the workgroup's rows by
// gl_SubgroupID / gl_NumSubgroups, so the result is right for any subgroup size the driver picks
// (the host's WG_ROWS only assumes one for speed).
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

#define MATVEC_WANT_MATVEC
#include "matvec_push.h"

layout(local_size_x_id = MATVEC_SPEC_WG) in;
layout(constant_id = MATVEC_SPEC_ROWS_PER_SG) const uint ROWS_PER_SG = 1u;
layout(constant_id = MATVEC_SPEC_WG_ROWS) const uint WG_ROWS = 4u;
layout(constant_id = MATVEC_SPEC_NCOLS) const uint NCOLS = 1u;

// The weight part, raw GGUF blocks, seen both as words and as 16-byte words.
layout(std430, binding = 0) readonly buffer WeightWords { uint w32[]; };
layout(std430, binding = 0) readonly buffer WeightVec4 { uvec4 w128[]; };
layout(std430, binding = 1) readonly buffer X { vec4 x4[]; };          // [NCOLS, k]
layout(std430, binding = 2) writeonly buffer Y { float y[]; };         // [NCOLS, y_stride]
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };    // [y_stride]
layout(std430, binding = 4) readonly buffer Residual { float res[]; }; // [NCOLS, y_stride]

#ifdef MATVEC_GLU
// the up matrix's part: same type, rows and part boundaries as the gate's at binding 0
layout(std430, binding = 5) readonly buffer UpWords { uint u32[]; };
layout(std430, binding = 5) readonly buffer UpVec4 { uvec4 u128[]; };
// which matrix dequant.glsl reads: set to a constant before each dq_unit call, so after inlining
// the compiler folds the choice away
uint dq_sel = 0u;
#define DQ_WORD(i) (dq_sel == 0u ? w32[i] : u32[i])
#define DQ_WORD4(i) (dq_sel == 0u ? w128[i] : u128[i])
#else
#define DQ_WORD(i) w32[i]
#define DQ_WORD4(i) w128[i]
#endif
#include "dequant.glsl"

void main()
{
    // the host spreads the groups over x, y, z (kern_groups): more than 65535 may be needed
    uvec3 g = gl_WorkGroupID, n = gl_NumWorkGroups;
    uint first = (g.x + n.x * (g.y + n.y * g.z)) * WG_ROWS;
    if (first >= pc.rows)
        return;
    uint units = pc.k / DQ_UNIT;
    uint row_bytes = dq_row_bytes(pc.k);
    uint k4 = pc.k >> 2;

    for (uint rs = gl_SubgroupID * ROWS_PER_SG; rs < WG_ROWS; rs += gl_NumSubgroups * ROWS_PER_SG) {
        // rows past the end are computed on the last row (keeps lanes converged), never written
        uint row_off[ROWS_PER_SG];
        for (uint r = 0u; r < ROWS_PER_SG; r++)
            row_off[r] = min(first + rs + r, pc.rows - 1u) * row_bytes;
        float acc[ROWS_PER_SG * NCOLS];
        for (uint i = 0u; i < ROWS_PER_SG * NCOLS; i++)
            acc[i] = 0.0;
#ifdef MATVEC_GLU
        // the up matrix's sums, in arrays of their own: one array indexed by matrix and row is
        // not unrolled into registers by some compilers (lavapipe: 3x slower)
        float acc_up[ROWS_PER_SG * NCOLS];
        for (uint i = 0u; i < ROWS_PER_SG * NCOLS; i++)
            acc_up[i] = 0.0;
#endif

        for (uint u = gl_SubgroupInvocationID; u < units; u += gl_SubgroupSize) {
            // all rows' weights first: their loads are independent and overlap
            float v[ROWS_PER_SG][DQ_UNIT];
            for (uint r = 0u; r < ROWS_PER_SG; r++)
                dq_unit(row_off[r], u, v[r]);
#ifdef MATVEC_GLU
            float vu[ROWS_PER_SG][DQ_UNIT];
            dq_sel = 1u;
            for (uint r = 0u; r < ROWS_PER_SG; r++)
                dq_unit(row_off[r], u, vu[r]);
            dq_sel = 0u;
#endif
            for (uint run = 0u; run < DQ_UNIT / DQ_RUN; run++) {
                uint e4 = dq_elem(u, run * DQ_RUN) >> 2;
                for (uint c = 0u; c < NCOLS; c++) {
                    for (uint q = 0u; q < DQ_RUN / 4u; q++) {
                        vec4 xv = x4[c * k4 + e4 + q];
                        uint i = run * DQ_RUN + 4u * q;
                        for (uint r = 0u; r < ROWS_PER_SG; r++)
                            acc[r * NCOLS + c] +=
                                dot(xv, vec4(v[r][i], v[r][i + 1u], v[r][i + 2u], v[r][i + 3u]));
#ifdef MATVEC_GLU
                        for (uint r = 0u; r < ROWS_PER_SG; r++)
                            acc_up[r * NCOLS + c] += dot(
                                xv, vec4(vu[r][i], vu[r][i + 1u], vu[r][i + 2u], vu[r][i + 3u]));
#endif
                    }
                }
            }
        }

        for (uint r = 0u; r < ROWS_PER_SG; r++) {
            uint row = first + rs + r;
            for (uint c = 0u; c < NCOLS; c++) {
                float s = subgroupAdd(acc[r * NCOLS + c]);
#ifdef MATVEC_GLU
                float up = subgroupAdd(acc_up[r * NCOLS + c]);
#endif
                if (subgroupElect() && row < pc.rows && rs + r < WG_ROWS) {
                    uint at = pc.row_base + row;
#ifdef MATVEC_GLU
                    // silu(g) * u as shaders/swiglu.comp computes it (for g << 0 the quotient
                    // is -0, the right limit)
                    s = s / (1.0 + exp(-s)) * up;
#else
                    if ((pc.flags & MATVEC_BIAS) != 0u)
                        s += bias[at];
                    if ((pc.flags & MATVEC_RESIDUAL) != 0u)
                        s += res[c * pc.y_stride + at];
#endif
                    y[c * pc.y_stride + at] = s;
                }
            }
        }
    }
}
