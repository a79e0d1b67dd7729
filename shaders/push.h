/* push.h: push-constant layouts and constants shared by C (src/kernels, src/vk) and GLSL.
 * Included by both languages: only scalar 32-bit fields, std430-compatible order. */
#ifndef AXVK_SHADERS_PUSH_H
#define AXVK_SHADERS_PUSH_H

#ifdef GL_core_profile
#define PUSH_STRUCT(name) layout(push_constant) uniform name
#define PUSH_END(name) pc
#else
#include <stdint.h>
typedef uint32_t uint;
#define PUSH_STRUCT(name) struct name
#define PUSH_END(name)
#endif

/* GLSL allows one push-constant block per shader: a shader defines WANT_PUSH_<NAME> before
 * including this file; C sees every struct. */

/* copy.comp: dst[i] = src[i] for 32-bit words i < n_words (16-byte loads for all but the last
 * 0-3 words). Bindings: 0 src, 1 dst. */
#if !defined(GL_core_profile) || defined(WANT_PUSH_COPY)
PUSH_STRUCT(push_copy)
{
    uint n_words;
} PUSH_END(push_copy);
#endif

/* vec_add.comp: c[i] = a[i] + b[i] for floats i < n. Bindings: 0 a, 1 b, 2 c. */
#if !defined(GL_core_profile) || defined(WANT_PUSH_VEC_ADD)
PUSH_STRUCT(push_vec_add)
{
    uint n;
} PUSH_END(push_vec_add);
#endif

#ifndef GL_core_profile
/* Family headers, so that C (the kernel registry) sees every push struct. */
#include "ops_push.h"
#endif

#endif
