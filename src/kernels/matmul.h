/* kernels/matmul: host side of the prefill matrix-matrix product
 *   y [n_tok, rows] = x [n_tok, k] . w^T (+ bias [rows]) (+ residual [n_tok, rows]),
 * w [rows, k] in its stored GGUF type, fp32 accumulation (shaders/matmul*.comp). Chooses the
 * tiled or the cooperative-matrix kernel per device, cuts the work into dispatches whose bindings
 * fit the device (weight parts by rows, activations by tokens). Knows no model. */
#ifndef AXVK_KERNELS_MATMUL_H
#define AXVK_KERNELS_MATMUL_H

#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"
#include "vk/memory.h"
#include "vk/record.h"

enum matmul_impl {
    MATMUL_TILED = 0,   /* shared-memory tiles, fp32: runs everywhere */
    MATMUL_COOPMAT = 1, /* VK_KHR_cooperative_matrix 16x16x16, f16 inputs, fp32 accumulation */
};

/* Arguments of one product. Zero-initialise; 0 / {0} means the default. */
struct matmul_args {
    uint32_t wtype;            /* enum wtype of w */
    uint32_t n_tok, rows, k;   /* k: a multiple of 8 for f32/f16/bf16, of the block otherwise */
    const struct vksplit *w;   /* rows x k weights in row-range parts (vkmem_alloc_split) */
    struct vkbuf x;            /* [n_tok][ldx] f32 */
    struct vkbuf y;            /* [n_tok][ldy] f32, columns [0, rows) written */
    struct vkbuf bias;         /* [rows] f32, or {0} */
    struct vkbuf res;          /* [n_tok][ldy] f32 added to the result, or {0}; may be y itself */
    uint32_t ldx, ldy;         /* floats between rows; 0: k and rows */
};

/* MATMUL_COOPMAT when this build embeds the cooperative-matrix variants and the device offers a
 * subgroup-scope 16x16x16 shape with f16 A/B and f32 C/result, fp16 arithmetic and 32-wide
 * subgroups (its default, or required through subgroup size control); MATMUL_TILED otherwise.
 * Pure function of `info` (features already reduced by AXVK_DISABLE). */
enum matmul_impl matmul_choose(const struct vkdev_info *info);

/* 1 when the coopmat variants were compiled into this build (glslang >= 13). */
int matmul_have_coopmat_spirv(void);

/* Records the product on rec with the kernel matmul_choose picks for rec's device (`force`:
 * -1 to choose, else an enum matmul_impl; forcing COOPMAT where it cannot run is
 * AXVK_ERR_UNSUPPORTED). Shapes and bindings are checked; errors also land in the recorder. */
axvk_status matmul_record(struct vkrec *rec, const struct matmul_args *a, int force,
                          struct err *err);

/* Floating-point work of one product (2 n_tok rows k), for benchmarks. */
double matmul_flops(uint32_t n_tok, uint32_t rows, uint32_t k);

#endif
