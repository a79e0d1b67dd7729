/* matmul_push.h: push constants of the prefill matrix-matrix kernels (matmul.comp and
 * matmul_coopmat.comp), shared by src/kernels/matmul.c and GLSL. Only scalar 32-bit fields,
 * std430 order = C order. Owns the layout contract; the host computes every field. */
#ifndef AXVK_SHADERS_MATMUL_PUSH_H
#define AXVK_SHADERS_MATMUL_PUSH_H

#ifdef GL_core_profile
#define MATMUL_PUSH(name) layout(push_constant) uniform name
#define MATMUL_PC pc
#else
#include <stdint.h>
typedef uint32_t uint;
#define MATMUL_PUSH(name) struct name
#define MATMUL_PC
#endif

/* Output tile of one workgroup: MATMUL_TILE_T tokens x MATMUL_TILE_R weight rows, reduced over
 * k in steps of MATMUL_TILE_K (one q8_0/q4_0 block, one k-quant sub-block of 32). */
#define MATMUL_TILE_T 64
#define MATMUL_TILE_R 64
#define MATMUL_TILE_K 32

/* Specialization constants of matmul_coopmat.comp beyond 0 (workgroup width) and 1 (subgroup
 * size): the M x N x K of the cooperative-matrix shape the host chose from the device's list. */
#define MATMUL_SPEC_CM_M 2
#define MATMUL_SPEC_CM_N 3
#define MATMUL_SPEC_CM_K 4

/* flags */
#define MATMUL_BIAS 1u     /* + bias[row_base + r] */
#define MATMUL_RESIDUAL 2u /* + res[t * ldy + row_base + r] (res may alias y) */

/* y[t * ldy + row_base + r] = sum_k x[t * ldx + k] * w[r][k] (+ bias) (+ residual)
 * for t < n_tok, r < rows. w is one row range ("part") of a weight: rows x k elements of the
 * variant's type, row_bytes apart, from the start of its binding. Dispatch
 * (ceil(rows / MATMUL_TILE_R), ceil(n_tok / MATMUL_TILE_T), 1). */
MATMUL_PUSH(push_matmul)
{
    uint n_tok;
    uint rows;      /* weight rows in this part */
    uint k;         /* reduction length: a multiple of 8 (f32/f16/bf16) or of the block */
    uint row_bytes; /* bytes between weight rows (wtype_row_bytes of k) */
    uint ldx;       /* floats between rows of x, >= k */
    uint ldy;       /* floats between rows of y and res */
    uint row_base;  /* first row of the part in the whole weight: column offset into y */
    uint flags;
} MATMUL_PC;

#endif
