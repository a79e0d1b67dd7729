/* hparams: a model's hyper-parameters, read from GGUF metadata or a Hugging Face config.json
 * (+ generation_config.json), checked for consistency. Nothing is assumed: a missing required
 * key is an error naming it. Knows nothing of weights beyond tensor presence and shape in GGUF.
 *
 * Architectures: qwen2 (Qwen2, Qwen2.5, A.X 4.0) and llama (qwen2 without q/k/v biases). */
#ifndef AXVK_MODEL_HPARAMS_H
#define AXVK_MODEL_HPARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "model/gguf.h"

enum model_arch {
    MODEL_ARCH_QWEN2 = 1,
    MODEL_ARCH_LLAMA = 2,
};

/* Which elements of a head RoPE rotates together. */
enum rope_style {
    ROPE_STYLE_NORMAL = 0, /* (2i, 2i+1): llama in GGUF, whose converters permute q/k rows */
    ROPE_STYLE_NEOX = 1,   /* (i, i + head_dim/2): qwen2, and every Hugging Face checkpoint */
};

enum rope_scaling_type {
    ROPE_SCALING_NONE = 0,
    ROPE_SCALING_YARN = 1,
};

#define HPARAMS_MAX_STOP 8

struct model_hparams {
    enum model_arch arch;
    uint32_t n_vocab;   /* rows of token_embd and of the output projection */
    uint32_t dim;       /* hidden size */
    uint32_t n_layers;
    uint32_t n_head;    /* query heads */
    uint32_t n_kv_head; /* key/value heads; n_head % n_kv_head == 0 (grouped-query) */
    uint32_t head_dim;  /* q: [n_head * head_dim, dim], k, v: [n_kv_head * head_dim, dim] */
    uint32_t ffn_dim;   /* gate, up: [ffn_dim, dim]; down: [dim, ffn_dim] */
    float rms_eps;
    float rope_theta;
    enum rope_style rope_style;
    struct {
        enum rope_scaling_type type;
        float factor;       /* context extension factor */
        uint32_t orig_ctx;  /* context length the model was trained at before extension */
        float beta_fast;    /* YaRN ramp: dims rotating faster than this are not interpolated */
        float beta_slow;    /* ... slower than this fully interpolated */
        float attn_factor;  /* scale of cos/sin (YaRN mscale) */
    } rope_scaling;
    uint32_t n_ctx_train; /* context length of the model as published */
    bool qkv_bias;        /* q, k, v projections carry biases (qwen2) */
    bool tied_output;     /* output projection reuses token_embd */
    int32_t bos_id;       /* -1: none */
    int32_t eos_id;       /* -1: none */
    uint32_t n_stop;      /* generation stops on any of these ids (eos first) */
    int32_t stop_ids[HPARAMS_MAX_STOP];
};

/* From GGUF keys general.architecture, <arch>.embedding_length, .block_count,
 * .feed_forward_length, .context_length, .attention.head_count(_kv),
 * .attention.layer_norm_rms_epsilon, .rope.freq_base, .rope.scaling.*, tokenizer.ggml.*_token_id;
 * n_vocab from <arch>.vocab_size or token_embd.weight; tied when output.weight is absent.
 * Missing or inconsistent values give AXVK_ERR_BAD_MODEL, other architectures
 * AXVK_ERR_UNSUPPORTED. */
axvk_status hparams_from_gguf(struct model_hparams *hp, const struct gguf *g, struct err *err);

/* From the text of config.json and (optional, may be NULL) generation_config.json, whose
 * eos_token_id (a number or a list) gives the stop ids ahead of config.json's. */
axvk_status hparams_from_hf_json(struct model_hparams *hp, const char *config,
                                 const char *generation, struct err *err);
/* Reads dir/config.json and, when present, dir/generation_config.json. */
axvk_status hparams_from_hf_dir(struct model_hparams *hp, const char *dir, struct err *err);

/* Sizes positive and bounded, heads dividing evenly, ids inside the vocabulary. Both readers
 * call it; exposed for hand-built hparams (synthetic models). */
axvk_status hparams_check(const struct model_hparams *hp, struct err *err);

/* Appends a stop id unless already there; a negative id (absent) is skipped. */
axvk_status hparams_add_stop(struct model_hparams *hp, int64_t id, struct err *err);

/* YaRN's default attention scale (the paper's mscale) for a context extension factor:
 * 0.1 ln(factor) + 1, and 1 for factors up to 1. */
float hparams_yarn_mscale(float factor);

const char *model_arch_name(enum model_arch arch); /* "qwen2", "llama"; "?" otherwise */

#endif
