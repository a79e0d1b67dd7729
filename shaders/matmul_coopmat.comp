#version 450
// matmul_coopmat: the prefill product of matmul.comp (same push constants, bindings, dispatch
// and 64 x 64 output tile) on cooperative matrices (VK_KHR_cooperative_matrix): x and the
// decoded w tile are staged in shared memory as f16 and multiplied in M x N x K f16 steps with
// fp32 accumulation, the shape being one the device lists (specialization constants, chosen by
// src/kernels/matmul.c). Never required. f16 staging bounds |x| and |w| to 65504 (hidden states
// stay far below) and rounds them to 11 bits, inside the 5e-4 NMSE the quantized paths are held to.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#include "matmul_push.h"

// Layout: every subgroup owns a 2M x 2N block of the 64 x 64 tile as 2 x 2 accumulators, so
// the workgroup is (32 / M) * (32 / N) subgroups: 4 for 16 x 16 (NVIDIA, AMD), 16 for 8 x 8
// (Intel Xe-HPG, lavapipe). The host sets the width (constant 0) to that count times the
// subgroup size it requires, with full subgroups; M, N, K divide 32.
layout(local_size_x_id = 0) in;
layout(constant_id = MATMUL_SPEC_CM_M) const uint CM_M = 16u;
layout(constant_id = MATMUL_SPEC_CM_N) const uint CM_N = 16u;
layout(constant_id = MATMUL_SPEC_CM_K) const uint CM_K = 16u;

layout(std430, binding = 0) readonly buffer WeightWords { uint w32[]; };
layout(std430, binding = 0) readonly buffer WeightVec4 { uvec4 w128[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) readonly buffer Res { float res[]; };

#define DQ_WORD(i) w32[i]
#define DQ_WORD4(i) w128[i]
#include "dequant.glsl"

#define TT MATMUL_TILE_T
#define TR MATMUL_TILE_R
#define TK MATMUL_TILE_K
// row stride of the staged tiles in halves: 80 bytes keeps rows 16-byte aligned for the
// matrix loads and shifts consecutive rows across banks
#define LDS (TK + 8)
#define UPS (TK / DQ_UNIT)

const uint WG = gl_WorkGroupSize.x;
const uint SG_COLS = TR / (2u * CM_N); // subgroups side by side along the rows of the tile
const uint CM_MN = CM_M * CM_N;

shared float16_t xs[TT * LDS]; // [token][k]
shared float16_t ws[TR * LDS]; // [row][k]: read as a column-major K x N matrix
// one M x N accumulator per subgroup on its way out: (32 / M) (32 / N) M N floats in all
shared float st[(TT / 2) * (TR / 2)];

// GLSL has no typedef
#define mat_a coopmat<float16_t, gl_ScopeSubgroup, CM_M, CM_K, gl_MatrixUseA>
#define mat_b coopmat<float16_t, gl_ScopeSubgroup, CM_K, CM_N, gl_MatrixUseB>
#define mat_c coopmat<float, gl_ScopeSubgroup, CM_M, CM_N, gl_MatrixUseAccumulator>

void main()
{
    const uint tid = gl_LocalInvocationID.x;
    const uint sg = gl_SubgroupID;
    const uint r0 = gl_WorkGroupID.x * TR;
    const uint t0 = gl_WorkGroupID.y * TT;
    // this subgroup's block: tokens qt .. qt + 2M, rows qr .. qr + 2N of the tile
    const uint qt = (sg / SG_COLS) * 2u * CM_M, qr = (sg % SG_COLS) * 2u * CM_N;

    mat_c acc[4]; // [2 * i + j]: token block i, row block j
    for (uint i = 0; i < 4; i++)
        acc[i] = mat_c(0.0);

    for (uint k0 = 0; k0 < pc.k; k0 += TK) {
        // staging, in the unit order of matmul.comp: tile column c of this step is weight
        // position dq_elem(step * UPS + c / DQ_UNIT, c % DQ_UNIT), for x and w alike
        const uint step = k0 / TK;
        for (uint idx = tid; idx < TR * UPS; idx += WG) {
            uint r = idx / UPS, u = step * UPS + idx % UPS, c0 = (idx % UPS) * DQ_UNIT;
            float wv[DQ_UNIT];
            if (r0 + r < pc.rows && u < pc.k / DQ_UNIT)
                dq_unit((r0 + r) * pc.row_bytes, u, wv);
            else
                for (uint i = 0; i < DQ_UNIT; i++)
                    wv[i] = 0.0;
            for (uint i = 0; i < DQ_UNIT; i++)
                ws[r * LDS + c0 + i] = float16_t(wv[i]);
        }
        for (uint idx = tid; idx < TT * TK; idx += WG) {
            uint tl = idx / TK, c = idx % TK, t = t0 + tl;
            uint kk = dq_elem(step * UPS + c / DQ_UNIT, c % DQ_UNIT);
            float xv = (t < pc.n_tok && kk < pc.k) ? x[t * pc.ldx + kk] : 0.0;
            xs[tl * LDS + c] = float16_t(xv);
        }
        barrier();

        for (uint kk = 0; kk < TK; kk += CM_K) {
            mat_a a[2];
            mat_b b[2];
            for (uint i = 0; i < 2; i++)
                coopMatLoad(a[i], xs, (qt + i * CM_M) * LDS + kk, LDS,
                            gl_CooperativeMatrixLayoutRowMajor);
            for (uint j = 0; j < 2; j++)
                coopMatLoad(b[j], ws, (qr + j * CM_N) * LDS + kk, LDS,
                            gl_CooperativeMatrixLayoutColumnMajor);
            for (uint i = 0; i < 2; i++)
                for (uint j = 0; j < 2; j++)
                    acc[2 * i + j] = coopMatMulAdd(a[i], b[j], acc[2 * i + j]);
        }
        barrier();
    }

    // Edges, bias and residual go element by element through the subgroup's staging slot.
    for (uint i = 0; i < 2; i++) {
        for (uint j = 0; j < 2; j++) {
            coopMatStore(acc[2 * i + j], st, sg * CM_MN, CM_N, gl_CooperativeMatrixLayoutRowMajor);
            subgroupMemoryBarrierShared();
            subgroupBarrier();
            for (uint e = gl_SubgroupInvocationID; e < CM_MN; e += gl_SubgroupSize) {
                uint t = t0 + qt + i * CM_M + e / CM_N, r = r0 + qr + j * CM_N + e % CM_N;
                if (t >= pc.n_tok || r >= pc.rows)
                    continue;
                uint col = pc.row_base + r;
                float v = st[sg * CM_MN + e];
                if ((pc.flags & MATMUL_BIAS) != 0u)
                    v += bias[col];
                if ((pc.flags & MATMUL_RESIDUAL) != 0u)
                    v += res[t * pc.ldy + col];
                y[t * pc.ldy + col] = v;
            }
            subgroupBarrier();
        }
    }
}
