#version 450
// matmul: prefill matrix-matrix product y [n_tok][rows] = x [n_tok][k] . w^T, w [rows][k] in its
// stored type (variant TYPE_*), fp32 accumulation, optional bias and residual (matmul_push.h).
// Tiled in shared memory; needs no optional device feature.
#extension GL_GOOGLE_include_directive : require
#include "matmul_push.h"

// Layout: 256 invocations = 16 x 16; invocation (tx, ty) owns the 4 x 4 outputs
// tokens 4ty..4ty+3 x rows 4tx..4tx+3 of the 64 x 64 tile, so its inner loop reads one vec4 of
// each shared tile per k (8 flops per shared float read).
// Reduction order: a step takes 32 weights per row, UPS = 32 / DQ_UNIT units of dequant.glsl
// (one 32-block, one k-quant unit of two 16-runs, or four runs of 8 floats). The sum over k
// runs in unit order, not k order; x is gathered at the same positions (dq_elem), so tile
// column kk of a step is weight position dq_elem(step * UPS + kk / DQ_UNIT, kk % DQ_UNIT).
// Staging: invocations < 64 * UPS each decode one unit of one tile row (for quantized types
// only a quarter of the workgroup decodes: a unit is 32 weights); every invocation loads 8
// x values of tile token i / 4, columns 8 * (i % 4) + [0, 8).
layout(local_size_x = 256) in;

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
#define UPS (TK / DQ_UNIT)

// Shared tiles are k-major ([k][token], [k][row]) so the inner loop reads along the output
// axis. 64 x 32 floats each = 16 KiB total, the Vulkan minimum for shared memory.
// Stores of 8 consecutive k by 32 invocations (8 tile rows x 4 k-offsets) would all hit one
// bank; XOR-ing the vec4 column with 2 * (k / 8) spreads them over 32 banks and keeps each
// vec4 contiguous for the reads.
shared vec4 xs[TK * TT / 4];
shared vec4 ws[TK * TR / 4];

uint swz(uint k, uint col4)
{
    return k * (TT / 4) + (col4 ^ ((k >> 3) << 1));
}

// x values of tile token t for step columns c0 .. c0+7, gathered at the weight positions of
// those columns; zero past n_tok or k (they meet zeros in the decoded tile)
void load_x8(uint t, uint step, uint c0, out float v[8])
{
    for (uint e = 0; e < 8u; e++) {
        uint c = c0 + e;
        uint kk = dq_elem(step * UPS + c / DQ_UNIT, c % DQ_UNIT);
        v[e] = (t < pc.n_tok && kk < pc.k) ? x[t * pc.ldx + kk] : 0.0;
    }
}

// unit u of tile row r (zeros past the rows or the units of k)
void load_w(uint r, uint u, out float v[DQ_UNIT])
{
    if (r < pc.rows && u < pc.k / DQ_UNIT) {
        dq_unit(r * pc.row_bytes, u, v);
    } else {
        for (uint i = 0; i < DQ_UNIT; i++)
            v[i] = 0.0;
    }
}

void main()
{
    const uint tid = gl_LocalInvocationID.x;
    const uint tx = tid & 15u, ty = tid >> 4;
    const uint r0 = gl_WorkGroupID.x * TR;
    const uint t0 = gl_WorkGroupID.y * TT;

    // staging assignment (see layout note)
    const uint sl = tid >> 2, sc = (tid & 3u) * 8u;   // x: tile token, first column
    const bool dec = tid < TR * UPS;                   // decodes a unit this step
    const uint wl = tid / UPS, wc = (tid % UPS) * DQ_UNIT; // w: tile row, first column

    float acc[4][4];
    for (uint i = 0; i < 4; i++)
        for (uint j = 0; j < 4; j++)
            acc[i][j] = 0.0;

    // Register double buffering: the next step's global loads and decoding are issued before
    // the current step's multiply, so memory latency hides behind the FMAs.
    const uint steps = (pc.k + TK - 1u) / TK;
    float xr[8], wr[DQ_UNIT];
    load_x8(t0 + sl, 0u, sc, xr);
    if (dec)
        load_w(r0 + wl, tid % UPS, wr);

    for (uint step = 0; step < steps; step++) {
        for (uint e = 0; e < 8u; e++)
            xs[swz(sc + e, sl >> 2)][sl & 3u] = xr[e];
        if (dec)
            for (uint i = 0; i < DQ_UNIT; i++)
                ws[swz(wc + i, wl >> 2)][wl & 3u] = wr[i];
        barrier();

        if (step + 1u < steps) {
            load_x8(t0 + sl, step + 1u, sc, xr);
            if (dec)
                load_w(r0 + wl, (step + 1u) * UPS + tid % UPS, wr);
        }

        for (uint kk = 0; kk < TK; kk++) {
            vec4 a = xs[swz(kk, ty)];
            vec4 b = ws[swz(kk, tx)];
            for (uint i = 0; i < 4; i++) {
                acc[i][0] += a[i] * b[0];
                acc[i][1] += a[i] * b[1];
                acc[i][2] += a[i] * b[2];
                acc[i][3] += a[i] * b[3];
            }
        }
        barrier();
    }

    for (uint i = 0; i < 4; i++) {
        uint t = t0 + ty * 4u + i;
        if (t >= pc.n_tok)
            break;
        for (uint j = 0; j < 4; j++) {
            uint r = r0 + tx * 4u + j;
            if (r >= pc.rows)
                break;
            uint col = pc.row_base + r;
            float v = acc[i][j];
            if ((pc.flags & MATMUL_BIAS) != 0u)
                v += bias[col];
            if ((pc.flags & MATMUL_RESIDUAL) != 0u)
                v += res[t * pc.ldy + col];
            y[t * pc.ldy + col] = v;
        }
    }
}
