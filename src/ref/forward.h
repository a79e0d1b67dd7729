/* ref/forward: the reference forward pass of the Qwen2 / Llama decoder on the CPU, the ground truth
 * for whole-model GPU tests. Weights stay in their stored type and are decoded row by row;
 * activations are fp32 throughout, unless ref_model.llama_cpu_rounding asks for the rounding
 * llama.cpp's CPU backend gives each product's input (ref/act_round.h), which reproduces its
 * tokens more often. Knows nothing of files: callers fill ref_model. */
#ifndef AXVK_REF_FORWARD_H
#define AXVK_REF_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ref/ops.h"

/* A weight matrix [rows, cols] in row-major GGUF storage: each row wtype_row_bytes(type, cols). */
struct ref_weight {
    const void *data; /* NULL: absent */
    uint32_t type;    /* enum wtype */
};

struct ref_layer {
    const float *attn_norm;   /* [dim] */
    struct ref_weight wq;     /* [n_head * head_dim, dim] */
    struct ref_weight wk;     /* [n_kv_head * head_dim, dim] */
    struct ref_weight wv;     /* [n_kv_head * head_dim, dim] */
    const float *bq;          /* [n_head * head_dim]; NULL without bias (Llama) */
    const float *bk;          /* [n_kv_head * head_dim] or NULL */
    const float *bv;          /* [n_kv_head * head_dim] or NULL */
    struct ref_weight wo;     /* [dim, n_head * head_dim] */
    const float *ffn_norm;    /* [dim] */
    struct ref_weight w_gate; /* [ffn_dim, dim] */
    struct ref_weight w_up;   /* [ffn_dim, dim] */
    struct ref_weight w_down; /* [dim, ffn_dim] */
};

/* Hyper-parameters and borrowed weight pointers; the caller owns the memory behind them. */
struct ref_model {
    uint32_t n_vocab;
    uint32_t dim;       /* hidden size */
    uint32_t n_layers;
    uint32_t n_head;    /* query heads */
    uint32_t n_kv_head; /* key/value heads; divides n_head */
    uint32_t head_dim;  /* <= REF_MAX_HEAD_DIM, a multiple of 32 for a q8_0 cache */
    uint32_t ffn_dim;
    float rms_eps;
    struct ref_rope rope; /* style (NEOX for Qwen2), theta base, YaRN params, n_ctx_orig */

    struct ref_weight token_embd;   /* [n_vocab, dim] */
    const struct ref_layer *layers; /* [n_layers] */
    const float *output_norm;       /* [dim] */
    struct ref_weight output;       /* [n_vocab, dim]; data NULL: tied to token_embd */

    /* Round the input of every weight product (q k v o, gate up down, lm_head) as llama.cpp's
     * CPU backend does for that weight's type (ref_round_activations); attention stays fp32.
     * false: fp32 activations. */
    bool llama_cpu_rounding;
};

/* The KV cache of one sequence. Row p of layer l holds K (rotated) or V of position p:
 * cache + (l * n_ctx + p) * row_bytes, n_kv_head * head_dim elements of cache_type. */
struct ref_state {
    uint32_t cache_type; /* WTYPE_F32, WTYPE_F16 or WTYPE_Q8_0 */
    size_t n_ctx;
    size_t row_bytes;
    uint8_t *k_cache; /* [n_layers, n_ctx, n_kv_head, head_dim] */
    uint8_t *v_cache; /* [n_layers, n_ctx, n_kv_head, head_dim] */
};

axvk_status ref_state_create(struct ref_state **out, const struct ref_model *m, size_t n_ctx,
                             uint32_t cache_type, struct err *err);
void ref_state_destroy(struct ref_state *s); /* NULL ok */

/* Runs tokens [n_tok] at positions pos .. pos+n_tok-1 through the model, appending their K/V to
 * s (rows before pos must already hold this sequence's earlier tokens).
 * logits: [n_tok, n_vocab] when all_logits, else [n_vocab] for the last token.
 * AXVK_ERR_INVALID_ARGUMENT for n_tok 0 or a token outside [0, n_vocab), AXVK_ERR_CONTEXT_FULL
 * past n_ctx, AXVK_ERR_OUT_OF_HOST_MEMORY for the per-call activations; s is unchanged then. */
axvk_status ref_forward(float *logits, struct ref_state *s, const struct ref_model *m,
                        const int32_t *tokens, size_t n_tok, size_t pos, bool all_logits,
                        struct err *err);

#endif
