/* ref/quant: CPU encode and decode of every weight type in base/wtype.h, bit-exact with the
 * GGUF block layouts, so that files quantized elsewhere decode to the same floats here.
 * Owns the arithmetic only; callers own buffers, sizes and type validation. */
#ifndef AXVK_REF_QUANT_H
#define AXVK_REF_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* dst [n] floats from src, n elements of `type` (enum wtype) stored back to back.
 * n must be a multiple of the type's block_elems and `type` a supported id (programmer errors:
 * asserted). Decoding follows llama.cpp's reference dequantization operation for operation. */
void ref_dequantize(float *dst, const void *src, uint32_t type, size_t n);

/* dst (wtype_row_bytes(type, n) bytes) from src [n]: round-to-nearest encoders.
 *  - f16/bf16: IEEE round to nearest even.
 *  - q8_0, q4_0, q5_0: one signed scale per 32, chosen so the largest magnitude hits the end of
 *    the integer range; q4_1, q5_1: scale and minimum per 32 spanning [min, max].
 *  - q4_k, q5_k: per sub-block of 32 a scale and a minimum (min clamped to <= 0), both quantized
 *    to 6 bits against the block's f16 d and dmin; values are then rounded against the
 *    quantized scales actually stored. q6_k: per sub-block of 16 a signed scale quantized to
 *    int8 against the block's f16 d, values in [-32, 31].
 * Re-encoding values that a block represents with its full range (extremes present) gives the
 * same values back. */
void ref_quantize(void *dst, const float *src, uint32_t type, size_t n);

#endif
