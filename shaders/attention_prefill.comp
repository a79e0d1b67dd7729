#version 450
// attention_prefill: causal flash attention of a block of query tokens over the KV cache. Online
// softmax over tiles of keys; the score matrix never leaves shared memory and never exceeds one
// 32 x 32 tile.
// KV cache (shared with kv_write, see attention_push.h): rows [n_rows][n_kv_head][head_dim],
// f16 or q8_0 blocks of 32 along head_dim (34-byte records back to back); position p of this
// sequence is row row_base + p; query t sits at position pos[0] + t and sees [0, pos[0] + t].
#extension GL_GOOGLE_include_directive : require
#define ATTN_WANT_PREFILL
#include "attention_push.h"

// Layout: 128 invocations; workgroup (b, hq) takes query tokens 32b .. 32b+31 of head hq.
//  scores S[32 q][32 k]: invocation i owns q rows 2(i / 8) + {0, 1} x keys i % 8 + 8c (c < 4):
//          8 dot products sharing every shared read of q and k.
//  softmax: invocation i < 32 owns q row i (running max m, sum l, this tile's rescale alpha).
//  output O[32 q][head_dim]: invocation i owns dims 8(i % NCG) + [0, 8) (NCG = head_dim / 8)
//          of rows RPT(i / NCG) + [0, RPT): 8 RPT accumulators, 8 RPT FMAs per RPT + 4 reads.
// K and V tiles are staged as packed f16 pairs (8 KiB), q as f32 pre-scaled (16 KiB): with
// the score tile, 29 KiB of shared memory (the host checks the device limit). Row strides are
// padded by one word so the column-wise reads above fall in distinct banks.
layout(local_size_x = ATTN_WG) in;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 3) readonly buffer Pos { uint pos[]; };
layout(std430, binding = 4) writeonly buffer Out { float outp[]; };

#include "attention_cache.glsl"

#define BQ ATTN_PREFILL_Q
#define BK ATTN_PREFILL_K
#define QS (ATTN_MAX_HEAD_DIM + 1)     // q row stride (floats)
#define KS (ATTN_MAX_HEAD_DIM / 2 + 1) // k/v row stride (packed half pairs)
#define PS (BK + 1)                    // score row stride
#define NEG (-1.0e30)                  // finite "minus infinity": exp(NEG - m) == 0

shared float qsh[BQ * QS];
shared uint kvs[BK * KS];
shared float ps[BQ * PS];
shared float row_m[BQ], row_l[BQ], row_a[BQ];

void main()
{
    const uint tid = gl_LocalInvocationID.x;
    const uint q0 = gl_WorkGroupID.x * BQ, hq = gl_WorkGroupID.y;
    const uint D = pc.head_dim, D8 = D >> 3;
    const uint h = hq / (pc.n_head / pc.n_kv_head);
    const uint p0 = pos[0];
    const uint nq = min(uint(BQ), pc.n_tok - q0);
    const uint kend = p0 + q0 + nq; // keys this block needs: [0, last query position]

    for (uint i = tid; i < BQ * D; i += ATTN_WG) {
        uint r = i / D, d = i % D;
        qsh[r * QS + d] = r < nq ? q[((q0 + r) * pc.n_head + hq) * D + d] * pc.scale : 0.0;
    }
    if (tid < BQ) {
        row_m[tid] = NEG;
        row_l[tid] = 0.0;
    }

    // score mapping
    const uint sr = (tid >> 3) * 2u, sk = tid & 7u;
    // output mapping
    const uint ncg = D8, rpt = BQ * ncg / ATTN_WG;
    const uint oc = (tid % ncg) * 8u, or0 = (tid / ncg) * rpt;
    float acc[4][8];
    for (uint i = 0; i < 4; i++)
        for (uint j = 0; j < 8; j++)
            acc[i][j] = 0.0;

    for (uint k0 = 0; k0 < kend; k0 += BK) {
        // stage K: 32 keys x D8 chunks of 8
        for (uint i = tid; i < BK * D8; i += ATTN_WG) {
            uint kk = i / D8, c = i % D8;
            uvec4 p = uvec4(0u);
            if (k0 + kk < kend)
                p = cache_k_packed8((pc.row_base + k0 + kk) * pc.n_kv_head + h, c);
            for (uint j = 0; j < 4; j++)
                kvs[kk * KS + c * 4u + j] = p[j];
        }
        barrier();

        // S = q k^T for 2 rows x 4 keys
        float s[2][4];
        for (uint i = 0; i < 2; i++)
            for (uint c = 0; c < 4; c++)
                s[i][c] = 0.0;
        for (uint d2 = 0; d2 < D / 2u; d2++) {
            vec2 qa = vec2(qsh[sr * QS + 2u * d2], qsh[sr * QS + 2u * d2 + 1u]);
            vec2 qb = vec2(qsh[(sr + 1u) * QS + 2u * d2], qsh[(sr + 1u) * QS + 2u * d2 + 1u]);
            for (uint c = 0; c < 4; c++) {
                vec2 kv = unpackHalf2x16(kvs[(sk + 8u * c) * KS + d2]);
                s[0][c] += dot(qa, kv);
                s[1][c] += dot(qb, kv);
            }
        }
        for (uint i = 0; i < 2; i++) {
            uint qp = p0 + q0 + sr + i; // causal: key position <= query position
            for (uint c = 0; c < 4; c++) {
                uint kp = k0 + sk + 8u * c;
                ps[(sr + i) * PS + sk + 8u * c] = (kp <= qp && kp < kend) ? s[i][c] : NEG;
            }
        }
        barrier();

        // online softmax per row (invocations < 32), while everyone stages V over K
        if (tid < BQ) {
            float mx = NEG;
            for (uint c = 0; c < BK; c++)
                mx = max(mx, ps[tid * PS + c]);
            float m_new = max(row_m[tid], mx);
            float sum = 0.0;
            for (uint c = 0; c < BK; c++) {
                float sv = ps[tid * PS + c];
                float p = sv > 0.5 * NEG ? exp(sv - m_new) : 0.0;
                ps[tid * PS + c] = p;
                sum += p;
            }
            float a = exp(row_m[tid] - m_new);
            row_a[tid] = a;
            row_l[tid] = row_l[tid] * a + sum;
            row_m[tid] = m_new;
        }
        for (uint i = tid; i < BK * D8; i += ATTN_WG) {
            uint kk = i / D8, c = i % D8;
            uvec4 p = uvec4(0u);
            if (k0 + kk < kend)
                p = cache_v_packed8((pc.row_base + k0 + kk) * pc.n_kv_head + h, c);
            for (uint j = 0; j < 4; j++)
                kvs[kk * KS + c * 4u + j] = p[j];
        }
        barrier();

        // O = O * alpha + P V
        for (uint i = 0; i < 4; i++) {
            if (i >= rpt)
                break;
            float a = row_a[or0 + i];
            for (uint j = 0; j < 8; j++)
                acc[i][j] *= a;
        }
        for (uint kk = 0; kk < BK; kk++) {
            vec2 v0 = unpackHalf2x16(kvs[kk * KS + (oc >> 1)]);
            vec2 v1 = unpackHalf2x16(kvs[kk * KS + (oc >> 1) + 1u]);
            vec2 v2 = unpackHalf2x16(kvs[kk * KS + (oc >> 1) + 2u]);
            vec2 v3 = unpackHalf2x16(kvs[kk * KS + (oc >> 1) + 3u]);
            float v[8] = float[8](v0.x, v0.y, v1.x, v1.y, v2.x, v2.y, v3.x, v3.y);
            for (uint i = 0; i < 4; i++) {
                if (i >= rpt)
                    break;
                float p = ps[(or0 + i) * PS + kk];
                for (uint j = 0; j < 8; j++)
                    acc[i][j] += p * v[j];
            }
        }
        barrier();
    }

    for (uint i = 0; i < 4; i++) {
        if (i >= rpt)
            break;
        uint r = or0 + i;
        if (r >= nq)
            break;
        float inv = 1.0 / row_l[r];
        for (uint j = 0; j < 8; j++)
            outp[((q0 + r) * pc.n_head + hq) * D + oc + j] = acc[i][j] * inv;
    }
}
