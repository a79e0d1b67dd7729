/* ref/quant_k: the k-quant block codecs (256 elements per block) behind ref_quantize and
 * ref_dequantize. Internal to src/ref; callers use ref/quant.h. */
#ifndef AXVK_REF_QUANT_K_H
#define AXVK_REF_QUANT_K_H

#include <stddef.h>
#include <stdint.h>

/* nb blocks: y [nb * 256] floats <-> x [nb * block_bytes] */
void quant_k_decode_q4_k(float *y, const uint8_t *x, size_t nb);
void quant_k_decode_q5_k(float *y, const uint8_t *x, size_t nb);
void quant_k_decode_q6_k(float *y, const uint8_t *x, size_t nb);
void quant_k_encode_q4_k(uint8_t *x, const float *y, size_t nb);
void quant_k_encode_q5_k(uint8_t *x, const float *y, size_t nb);
void quant_k_encode_q6_k(uint8_t *x, const float *y, size_t nb);

#endif
