/* quant_mix: which weight type each tensor gets when a model is written as "q4_k_m", "q8_0", ...
 * Follows the choices llama.cpp's quantizer makes, so our files match what people download:
 * output.weight gets Q6_K under every sub-8-bit scheme; the _M mixes give half of attn_v and
 * ffn_down Q6_K; K-quant rows that are not a multiple of 256 fall back to a 32-block type. */
#ifndef AXVK_MODEL_QUANT_MIX_H
#define AXVK_MODEL_QUANT_MIX_H

#include <stdint.h>

enum quant_scheme {
    QUANT_F32, QUANT_F16, QUANT_BF16, QUANT_Q8_0, QUANT_Q4_0, QUANT_Q4_1, QUANT_Q5_0, QUANT_Q5_1,
    QUANT_Q4_K_S, QUANT_Q4_K_M, QUANT_Q5_K_S, QUANT_Q5_K_M, QUANT_Q6_K,
};

/* Case-insensitive: "f16", "q8_0", "q4_k_m", "q4_k" (same as q4_k_s), ...; -1 when unknown. */
int quant_scheme_from_name(const char *name);
const char *quant_scheme_name(int scheme);
/* GGUF general.file_type value of the scheme (llama_ftype numbering). */
uint32_t quant_scheme_file_type(int scheme);

/* Weight type for tensor `name` ("blk.7.ffn_down.weight") with row length ne0 and n_dims dims, in a
 * model of n_layers layers. 1-D tensors (norms, biases) always stay F32. */
uint32_t quant_mix_type(int scheme, const char *name, uint64_t ne0, uint32_t n_dims,
                        uint32_t n_layers);

#endif
