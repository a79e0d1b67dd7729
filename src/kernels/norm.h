/* norm: host side of RMSNorm with the weight multiply fused (shaders/rmsnorm.comp).
 * Checks shapes into the recorder's sticky error and records the dispatch; owns no buffers. */
#ifndef AXVK_KERNELS_NORM_H
#define AXVK_KERNELS_NORM_H

#include <stdint.h>

#include "kernels/registry.h"

/* y [n_rows, n] = x / sqrt(mean(x^2) + eps) * w [n], per row; y may be x (same range).
 * One workgroup per row: n_rows <= the device's grid x limit (65,535 at least). */
axvk_status kern_rmsnorm(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *x,
                         const struct vkbuf *w, uint32_t n, uint32_t n_rows, float eps);

#endif
