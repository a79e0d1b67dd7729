/* elementwise: host side of the element-wise ops of the forward pass: residual add and scale
 * (shaders/elementwise.comp variants) and SwiGLU (shaders/swiglu.comp).
 * Checks shapes into the recorder's sticky error and records dispatches; owns no buffers. */
#ifndef AXVK_KERNELS_ELEMENTWISE_H
#define AXVK_KERNELS_ELEMENTWISE_H

#include <stdint.h>

#include "kernels/registry.h"

/* y [n] = a [n] + b [i % n_b]: n_b == n element-wise, n_b = row length to add a vector to every
 * row (n a multiple of n_b). y may be a (in-place residual add). */
axvk_status kern_add(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *a,
                     const struct vkbuf *b, uint32_t n, uint32_t n_b);
/* y [n] = a [n] * s; y may be a. */
axvk_status kern_scale(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *a, float s,
                       uint32_t n);

/* out [n_rows, n] = silu(gate) * up, silu(g) = g / (1 + exp(-g)). Row r of gate starts at float
 * r * gate_stride and of up at r * up_stride (>= n), so the two halves of one fused gate|up
 * projection [n_rows, 2n] can be passed as views of the same buffer (strides 2n). out must not
 * overlap gate or up unless it is the same range with equal strides n. */
axvk_status kern_swiglu(struct vkrec *rec, const struct vkbuf *out, const struct vkbuf *gate,
                        const struct vkbuf *up, uint32_t n, uint32_t n_rows, uint32_t gate_stride,
                        uint32_t up_stride);

#endif
