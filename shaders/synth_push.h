/* synth_push.h: push constants of synth_fill.comp, the on-device writer of random weights for
 * synthetic models, shared by src/kernels/synth_fill.c and GLSL. Only scalar 32-bit fields
 * (std430 order = C order). */
#ifndef AXVK_SHADERS_SYNTH_PUSH_H
#define AXVK_SHADERS_SYNTH_PUSH_H

#ifdef GL_core_profile
#define SYNTH_PUSH(name) layout(push_constant) uniform name
#define SYNTH_PC pc
#else
#include <stdint.h>
typedef uint32_t uint;
#define SYNTH_PUSH(name) struct name
#define SYNTH_PC
#endif

/* How a buffer's bytes are made. Float modes write one value per element; block mode writes
 * random bytes (so every quant, scale and min is random) and then overwrites each block's f16
 * scale fields, the only bytes whose random values could decode to inf or NaN. */
#define SYNTH_MODE_BLOCKS 0u
#define SYNTH_MODE_F32 1u
#define SYNTH_MODE_F16 2u
#define SYNTH_MODE_BF16 3u

/* No such field in the block. */
#define SYNTH_NO_FIELD 0xffffffffu

/* synth_fill.comp: word i of the binding (i < n_words) = a function of (key, i) alone, so any
 * piece of a tensor can be written independently and the result does not depend on the grid.
 *   float modes: elements amp * (2u - 1), u uniform in [0, 1) (amp = sqrt(3) * the target RMS)
 *   block mode:  block b (at byte b * block_bytes) gets d = d_base * (0.75 + 0.5 u_b) at byte
 *                d_off and, when m_off is a field, d * m_ratio at byte m_off (f16 both). */
SYNTH_PUSH(push_synth_fill)
{
    uint n_words;
    uint mode;        /* SYNTH_MODE_* */
    uint key;         /* the random stream: differs per tensor and per piece */
    uint block_bytes; /* block mode: bytes per block (even); the binding starts on a block */
    uint d_off;       /* block mode: byte of the f16 scale d in a block */
    uint m_off;       /* block mode: byte of the second f16 field (min / dmin), or SYNTH_NO_FIELD */
    float d_base;     /* block mode: scale around which d is drawn */
    float m_ratio;    /* block mode: the second field's value over d */
    float amp;        /* float modes: half-width of the uniform distribution */
} SYNTH_PC;

#endif
