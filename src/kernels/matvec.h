/* kernels/matvec: host side of the decode-step weight product
 *   y [n_cols, rows] = x [n_cols, k] . w^T (+ bias [rows]) (+ residual [n_cols, rows]),
 * n_cols 1..MATVEC_MAX_COLS, w [rows, k] in its stored GGUF type, fp32 accumulation
 * (shaders/matvec.comp), or with a second matrix w_up the fused gate/up/SwiGLU product
 *   y = silu(x . w^T) * (x . w_up^T).
 * Chooses rows per workgroup per device, dispatches once per weight part.
 * Knows no model; never allocates device memory or touches the weights' contents. */
#ifndef AXVK_KERNELS_MATVEC_H
#define AXVK_KERNELS_MATVEC_H

#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"
#include "vk/memory.h"
#include "vk/record.h"

#define MATVEC_MAX_COLS 8

/* Arguments of one product. Zero-initialise; {0} means "none" for bias and res. */
struct matvec_args {
    uint32_t wtype;          /* enum wtype of w */
    uint32_t rows, k;        /* k: a multiple of the type's block (of 8 for f32/f16/bf16) */
    uint32_t n_cols;         /* activation columns, 1..MATVEC_MAX_COLS */
    const struct vksplit *w; /* rows x k weights in row-range parts (vkmem_alloc_split); each
                              * part an allocation, so its range may be rounded up to 4 bytes */
    struct vkbuf x;          /* [n_cols][k] f32 */
    struct vkbuf y;          /* [n_cols][rows] f32 */
    struct vkbuf bias;       /* [rows] f32, or {0} */
    struct vkbuf res;        /* [n_cols][rows] f32 added to the result, or {0}; may be y itself */
    const struct vksplit *w_up; /* NULL: the plain product. Else the up matrix of a gated FFN,
                                 * same type, shape and part boundaries as w, w being the gate:
                                 * y = silu(x w^T) * (x w_up^T); bias and res must be {0} */
};

/* How the kernel is laid out on a device (the specialization constants of matvec.comp). */
struct matvec_config {
    uint32_t wg_size;     /* invocations per workgroup: a few subgroups */
    uint32_t rows_per_sg; /* rows one subgroup computes together (loads in flight per lane) */
    uint32_t wg_rows;     /* rows per workgroup: subgroups per workgroup x rows_per_sg */
};

/* The layout matvec_record uses on a device, for n_cols columns of the plain product (glu 0) or
 * of the fused gate/up one (glu 1). Pure function of its arguments. */
void matvec_choose(const struct vkdev_info *info, uint32_t n_cols, int glu,
                   struct matvec_config *cfg);

/* Whether matvec_record accepts gate and up as one fused product (w_up): same weight type with
 * a matvec kernel, same rows, same row bytes and the same part boundaries. */
int matvec_glu_fits(uint32_t wtype, const struct vksplit *gate, const struct vksplit *up);

/* Records the product on rec (cfg NULL: matvec_choose's). Shapes, types and bindings are checked;
 * errors are returned, copied to err and left in the recorder's sticky error. */
axvk_status matvec_record(struct vkrec *rec, const struct matvec_args *a,
                          const struct matvec_config *cfg, struct err *err);

/* Bytes one product must move from memory: the weights (both matrices with w_up) plus x read
 * once, y written once (and the bias / residual when given); the roofline's numerator. */
double matvec_bytes(const struct matvec_args *a);
/* Floating-point work of one product (2 n_cols rows k); a fused gate/up makes two. */
double matvec_flops(uint32_t n_cols, uint32_t rows, uint32_t k);

#endif
