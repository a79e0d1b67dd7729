/* dequant_vectors: llama.cpp's dequantized values of the mini GGUF files, for the tests that
 * decode weights (the CPU reference, the GPU's get_rows). testdata/gguf/dequant.json lists
 * {"file", "tensor", "type", "f32"} entries; the f32 file holds the tensor's values as llama.cpp
 * decoded them. */
#ifndef AXVK_TESTS_DEQUANT_VECTORS_H
#define AXVK_TESTS_DEQUANT_VECTORS_H

#include <stddef.h>
#include <stdint.h>

struct gguf_tensor;

struct dequant_vector {
    const char *file, *tensor;     /* the GGUF file (under testdata/gguf) and the tensor's name */
    const struct gguf_tensor *t;   /* the tensor, its type checked against the entry's "type" */
    const float *want;             /* [n] llama.cpp's values */
    uint64_t n;
};

/* Calls check(v) for every entry, each file opened and closed around it; fails the running test
 * when an entry cannot be read. Returns the weight types seen (bit 1u << WTYPE_x); *entries and
 * *values get the counts. */
uint32_t dequant_vectors_each(void (*check)(const struct dequant_vector *v), size_t *entries,
                              size_t *values);

#endif
