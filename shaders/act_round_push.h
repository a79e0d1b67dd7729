/* act_round_push.h: push constants of act_round.comp (activations rounded as llama.cpp's CPU
 * backend rounds a product's input), shared by src/kernels/act_round.c and GLSL. Only scalar
 * 32-bit fields (std430 order = C order). */
#ifndef AXVK_SHADERS_ACT_ROUND_PUSH_H
#define AXVK_SHADERS_ACT_ROUND_PUSH_H

#ifdef GL_core_profile
#define ACT_ROUND_PUSH(name) layout(push_constant) uniform name
#define ACT_ROUND_PC pc
#else
#include <stdint.h>
typedef uint32_t uint;
#define ACT_ROUND_PUSH(name) struct name
#define ACT_ROUND_PC
#endif

/* act_round.comp: y [n] = x [n] rounded per unit (an element for f16/bf16, a block of 32 for
 * q8_0, of 256 for q8_K); n is a whole number of units, n_units = n / unit. Grid-stride over
 * the units: any dispatch size covers them. */
ACT_ROUND_PUSH(push_act_round)
{
    uint n_units;
} ACT_ROUND_PC;

#endif
