/* convert: a model to a GGUF file in any weight type or quantization mix. The source is a Hugging
 * Face directory (config.json, safetensors shards, tokenizer files) or a GGUF file; rows are
 * converted a chunk at a time while the output is written, so no model has to fit in memory.
 * Needs no device; never modifies the source. */
#ifndef AXVK_MODEL_CONVERT_H
#define AXVK_MODEL_CONVERT_H

#include <stdint.h>

#include "base/err.h"

typedef void (*convert_progress_fn)(void *user, uint64_t done, uint64_t total);

struct convert_opts {
    int scheme;                   /* enum quant_scheme of the output */
    const char *name;             /* general.name; NULL: the GGUF's, or the directory's name */
    const char *pre;              /* tokenizer.ggml.pre; NULL: the GGUF's, or vocab_gguf_pre_name */
    convert_progress_fn progress; /* bytes of tensor data written of the total; may be NULL */
    void *progress_user;
};

/* Hugging Face directories: tensors are renamed to GGUF's (tensors_hf_name), written in the
 * order the loader reads them, with <arch>.* hyper-parameters (rope scaling keys for YaRN) and the
 * tokenizer as tokenizer.ggml.* arrays. Llama checkpoints get their q/k rows reordered to GGUF's
 * interleaved RoPE pairs, as llama.cpp's converter does (Qwen2 keeps the NEOX halves).
 * GGUF files: every key is copied but general.file_type; every tensor is re-encoded through f32
 * (copied as is when its type does not change).
 * Each 2-D weight gets quant_mix_type's choice for the scheme, 1-D tensors F32. A tensor of the
 * directory that the graph does not use is AXVK_ERR_UNSUPPORTED rather than silently dropped.
 * The output must not be the source file. On failure no output file is left behind. */
axvk_status convert_to_gguf(const char *src, const char *out_path, const struct convert_opts *o,
                            struct err *err);

#endif
