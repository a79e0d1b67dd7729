/* matvec_push.h: push constants and flags of the weight-reading decode kernels (matvec, get_rows),
 * shared by src/kernels and GLSL. Only scalar 32-bit fields (std430 order = C order). A shader
 * defines MATVEC_WANT_<OP> before including so that GLSL sees one push_constant block; C sees all. */
#ifndef AXVK_SHADERS_MATVEC_PUSH_H
#define AXVK_SHADERS_MATVEC_PUSH_H

#ifdef GL_core_profile
#define MATVEC_PUSH(name) layout(push_constant) uniform name
#define MATVEC_PC pc
#else
#include <stdint.h>
typedef uint32_t uint;
#define MATVEC_PUSH(name) struct name
#define MATVEC_PC
#define MATVEC_WANT_MATVEC
#define MATVEC_WANT_GET_ROWS
#endif

/* matvec flags: add bias[row] and/or residual[col][row] to the product */
#define MATVEC_BIAS 1u
#define MATVEC_RESIDUAL 2u

/* get_rows flag: this dispatch also writes zeros for ids >= total_rows */
#define GET_ROWS_ZERO_INVALID 1u

/* Specialization constants of matvec.comp: 0 workgroup size (vkspec.wg_size); from 2 on
 * (vkspec.consts[id - 2]) rows a subgroup computes at once, rows per workgroup, activation
 * columns. Constant 1 (the subgroup size) is not used: any size the driver picks works. */
#define MATVEC_SPEC_WG 0
#define MATVEC_SPEC_ROWS_PER_SG 2
#define MATVEC_SPEC_WG_ROWS 3
#define MATVEC_SPEC_NCOLS 4

/* matvec.comp: y[c][row_base + r] = sum_k W[r][k] x[c][k] (+ bias[row_base + r])
 * (+ residual[c][row_base + r]) for the `rows` rows of one weight part; c < NCOLS.
 * Its GLU variant (MATVEC_GLU) writes silu(G[r] . x[c]) * (U[r] . x[c]) instead, G's part at
 * binding 0 and U's at binding 5; flags must be 0 (no bias, no residual). */
#ifdef MATVEC_WANT_MATVEC
MATVEC_PUSH(push_matvec)
{
    uint rows;     /* rows of this weight part */
    uint k;        /* weights per row = x elements per column */
    uint row_base; /* the part's first row in the whole matrix (y, bias, residual index) */
    uint y_stride; /* elements between columns of y and residual: rows of the whole matrix */
    uint flags;    /* MATVEC_BIAS | MATVEC_RESIDUAL */
} MATVEC_PC;
#endif

/* get_rows.comp: out[i][0..k) = W[ids[i]] for the ids that fall in this weight part
 * [row_begin, row_begin + part_rows); out of range ids (>= total_rows) give a row of zeros. */
#ifdef MATVEC_WANT_GET_ROWS
MATVEC_PUSH(push_get_rows)
{
    uint n_ids;      /* ids (= output rows) */
    uint k;          /* weights per row */
    uint row_begin;  /* first row of the tensor held by this part */
    uint part_rows;  /* rows held by this part */
    uint total_rows; /* rows of the whole tensor */
    uint flags;      /* GET_ROWS_ZERO_INVALID */
} MATVEC_PC;
#endif

#endif
