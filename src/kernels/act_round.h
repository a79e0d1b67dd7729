/* act_round: host side of shaders/act_round.comp — a copy of activations rounded as llama.cpp's
 * CPU backend rounds the input of a product with a weight of a given type (f16, bf16, q8_0 or
 * q8_K values; see src/ref/act_round.h, which it equals bit for bit). Records dispatches, owns
 * no buffers, knows no model. */
#ifndef AXVK_KERNELS_ACT_ROUND_H
#define AXVK_KERNELS_ACT_ROUND_H

#include <stdint.h>

#include "kernels/registry.h"

/* Elements per rounding block for products with `wtype`: 1 (f16, bf16), 32 (q4_0, q4_1, q5_0,
 * q5_1, q8_0: q8_0 blocks), 256 (q4_k, q5_k, q6_k: q8_K blocks); 0 when the input is used
 * as is (f32, unknown types). */
uint32_t kern_act_round_block(uint32_t wtype);

/* y [n_rows, k] = x [n_rows, k] rounded for a product with a `wtype` weight (k a multiple of
 * kern_act_round_block(wtype), which must not be 0). y must not overlap x. */
axvk_status kern_act_round(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *x,
                           uint32_t wtype, uint32_t n_rows, uint32_t k);

#endif
