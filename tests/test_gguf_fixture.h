/* test_gguf_fixture: small but complete GGUF and safetensors images for the reader tests and
 * the fuzz seed corpus: every metadata value type, several weight types, random tensor bytes. */
#ifndef AXVK_TEST_GGUF_FIXTURE_H
#define AXVK_TEST_GGUF_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

/* Names and shapes of the sample GGUF's tensors, in file order. */
#define SAMPLE_N_TENSORS 4
extern const char *const sample_tensor_names[SAMPLE_N_TENSORS]; /* tok.weight, blk.0.q, ... */

/* A valid GGUF image (free() it); tensor bytes drawn from `seed`. */
void sample_gguf(uint8_t **data, size_t *size, uint32_t seed);

/* A valid safetensors image (free() it): a 2x3 F32 "a", a 4 BF16 "b", a 1x2 F16 "c", and
 * __metadata__; `header` replaces the JSON header when non-NULL, the data section kept. */
void sample_safetensors(uint8_t **data, size_t *size, const char *header);

/* Deterministic non-zero pseudo-random bytes. */
void fill_random(uint8_t *dst, size_t n, uint32_t *state);

#endif
