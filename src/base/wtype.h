/* wtype: the weight (tensor element) types of GGUF, with their block geometry.
 * Numbering is GGUF's (ggml_type), so values read from files index this table directly.
 * Knows layouts' sizes only; encoding and decoding live in src/ref and shaders. */
#ifndef AXVK_BASE_WTYPE_H
#define AXVK_BASE_WTYPE_H

#include <stddef.h>
#include <stdint.h>

enum wtype {
    WTYPE_F32 = 0,
    WTYPE_F16 = 1,
    WTYPE_Q4_0 = 2,
    WTYPE_Q4_1 = 3,
    WTYPE_Q5_0 = 6,
    WTYPE_Q5_1 = 7,
    WTYPE_Q8_0 = 8,
    WTYPE_Q4_K = 12,
    WTYPE_Q5_K = 13,
    WTYPE_Q6_K = 14,
    WTYPE_BF16 = 30,
    WTYPE_COUNT = 31, /* one past the largest id; ids in between are not supported */
};

struct wtype_info {
    const char *name;     /* "q4_k"; NULL for ids axvk does not support */
    uint32_t block_elems; /* weights per block: 1, 32 or 256 */
    uint32_t block_bytes; /* bytes per block */
};

/* NULL when `type` is not a supported id. */
const struct wtype_info *wtype_get(uint32_t type);

/* Case-insensitive lookup by name ("Q4_K", "q8_0", "bf16"); returns -1 when unknown. */
int wtype_from_name(const char *name);

/* Bytes of one row of `n` elements; 0 when n is not a multiple of the block or overflows. */
uint64_t wtype_row_bytes(uint32_t type, uint64_t n);

#endif
