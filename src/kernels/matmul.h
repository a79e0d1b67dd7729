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
    MATMUL_COOPMAT = 1, /* VK_KHR_cooperative_matrix, f16 inputs, fp32 accumulation */
};

/* How the cooperative-matrix kernel runs on a device (matmul_coopmat_config). */
struct matmul_coopmat_cfg {
    uint32_t m, n, k;  /* the listed shape used: A [m x k] . B [k x n] + C [m x n] */
    uint32_t subgroup; /* subgroup size the pipeline requires (the default without control) */
    uint32_t wg_size;  /* (32 / m) (32 / n) subgroups: one 2m x 2n block of the 64 x 64 tile each */
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

/* The configuration the coopmat kernel would run with on `info`, or 0 when the device has none:
 * it needs fp16 arithmetic and a listed subgroup-scope shape with f16 A/B, f32 C/result and M, N,
 * K each 8, 16 or 32. The largest M N K wins, ties to the first listed; its subgroup size is M N /
 * 8 where subgroup size control offers it (the native width of every known shape), else the
 * default. Pure function of `info`; says nothing about whether this build has the shaders. */
int matmul_coopmat_config(const struct vkdev_info *info, struct matmul_coopmat_cfg *cfg);

/* MATMUL_COOPMAT when this build embeds the cooperative-matrix variants and
 * matmul_coopmat_config finds a configuration; MATMUL_TILED otherwise. Pure function of `info`
 * (features already reduced by AXVK_DISABLE). */
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
