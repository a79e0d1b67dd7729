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

/* copy.comp: dst[i] = src[i] for i < n_vec4 (vec4 elements). */
PUSH_STRUCT(push_copy)
{
    uint n_vec4;
} PUSH_END(push_copy);

#endif
