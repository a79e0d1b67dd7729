/* hf_fixture: tiny Hugging Face model directories for tests — config.json, generation_config.json,
 * BF16 safetensors (one file, or two shards with model.safetensors.index.json) of random weights
 * drawn from a fixed seed, and the tokenizer files of a real model copied alongside. Written the
 * way transformers' save_pretrained lays them out; nothing here reads them back. */
#ifndef AXVK_TESTS_HF_FIXTURE_H
#define AXVK_TESTS_HF_FIXTURE_H

#include <stdint.h>

/* Zero-initialise; 0 means the default given. */
struct hf_fixture {
    const char *arch;          /* "qwen2" (q/k/v biases) or "llama" (none); default qwen2 */
    uint32_t n_vocab;          /* embedding rows; default 102400 (A.X's vocabulary) */
    uint32_t dim;              /* default 64 */
    uint32_t n_layers;         /* default 2 */
    uint32_t n_head;           /* default 2 (head_dim 32) */
    uint32_t n_kv_head;        /* default 1 */
    uint32_t ffn_dim;          /* default 256: ffn_down rows take K-quants, the rest fall back */
    uint32_t n_ctx;            /* max_position_embeddings; default 512 */
    uint32_t n_shards;         /* 1 (model.safetensors) or 2 (index + two shards); default 1 */
    int tied;                  /* tie_word_embeddings: no lm_head.weight */
    float yarn_factor;         /* > 1: rope_scaling {yarn, factor, original n_ctx / factor} */
    const char *extra_tensor;  /* a [4] BF16 tensor of this name is added (graph has no use) */
    uint64_t seed;
    const char *tokenizer_dir; /* vocab.json, merges.txt, tokenizer_config.json,
                                  special_tokens_map.json copied from here; default A.X 4.0 Light's */
};

/* Creates `dir` (its parent must exist) and writes the model. 0 on success; -1 with a message on
 * stderr. */
int hf_fixture_write(const char *dir, const struct hf_fixture *f);

#endif
