/* weights_test: random weights in every GGUF weight type for the GPU weight-kernel tests (matvec
 * and its fused gate/up variant), quantized by src/ref as a file would hold them. */
#ifndef AXVK_TESTS_WEIGHTS_TEST_H
#define AXVK_TESTS_WEIGHTS_TEST_H

#include <stddef.h>
#include <stdint.h>

/* Every weight type the kernels read: the order the tests walk them in. */
extern const uint32_t weights_test_types[11];
#define WEIGHTS_TEST_N_TYPES 11

/* Random weights [rows, k] in `type` (values from gpu_test's generator in [-1, 1), quantized by
 * ref_quantize), +4 bytes of slack: the GPU copy rounds parts up to whole words. mem_free it. */
uint8_t *weights_test_random(uint32_t type, uint32_t rows, uint32_t k);

#endif
