/* ref/act_round: the rounding llama.cpp's CPU backend applies to an activation row before it
 * multiplies it by a weight matrix (the row is converted to the weight type's "vec_dot_type").
 * Emulating it lets the reference reproduce llama.cpp's greedy tokens; the shaders/act_round.comp
 * kernel is checked against these functions value for value. Arithmetic only, no allocation. */
#ifndef AXVK_REF_ACT_ROUND_H
#define AXVK_REF_ACT_ROUND_H

#include <stddef.h>
#include <stdint.h>

/* The rounding an activation gets in a product with a weight of type `wtype` (enum wtype):
 *   F32             none
 *   F16             to f16, round to nearest even
 *   BF16            to bf16, round to nearest even
 *   Q4_0 Q5_0 Q8_0  q8_0 blocks of 32 (Q4_1, Q5_1 use q8_1, whose values are the same):
 *                   amax = max |x|, id = 127 / amax (f32), q = round-half-even(x * id),
 *                   value = q * f16(amax / 127); amax 0 gives zeros
 *   Q4_K Q5_K Q6_K  q8_K blocks of 256: max = the first element of largest |x|, with its sign,
 *                   iscale = -127 / max, q = min(127, round-half-even(iscale * x)),
 *                   value = q * (1 / iscale) (f32); an all-zero block gives zeros */
enum ref_act_round {
    REF_ACT_ROUND_NONE = 0,
    REF_ACT_ROUND_F16,
    REF_ACT_ROUND_BF16,
    REF_ACT_ROUND_Q8_0,
    REF_ACT_ROUND_Q8_K,
};

/* The rounding of products with `wtype` (REF_ACT_ROUND_NONE for f32 and unknown ids). */
enum ref_act_round ref_act_round_for(uint32_t wtype);

/* Elements per block of a rounding: 1 (none, f16, bf16), 32 (q8_0) or 256 (q8_K). */
size_t ref_act_round_block(enum ref_act_round mode);

/* x [n] rounded in place as llama.cpp rounds the input of a product with a `wtype` weight.
 * n is a multiple of the rounding's block (asserted; true of every row a weight of that type
 * multiplies, since its k is a whole number of weight blocks). */
void ref_round_activations(float *x, size_t n, uint32_t wtype);

#endif
