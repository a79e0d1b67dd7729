/* model: a loaded model — hyper-parameters, tokenizer, chat template and the weights on one
 * device — and the session that runs its forward pass. This is what src/api wraps; nothing here
 * parses command lines or prints. */
#ifndef AXVK_MODEL_MODEL_H
#define AXVK_MODEL_MODEL_H

#include <stdint.h>

#include "base/err.h"
#include "kernels/rope.h"
#include "model/hparams.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"
#include "vk/memory.h"

/* A weight matrix on the device: [rows, k], rows of k elements in `type`, split into parts
 * that each fit one binding. */
struct dev_mat {
    uint32_t type;
    uint32_t rows, k;
    struct vksplit w;
};

/* A vector on the device, always f32 (norm weights, biases). */
struct dev_vec {
    uint32_t n;
    struct vkbuf buf;
};

struct model_layer {
    struct dev_vec attn_norm;         /* [dim] */
    struct dev_mat wq, wk, wv;        /* [n_head*head_dim, dim], [kv_dim, dim] x 2 */
    struct dev_vec bq, bk, bv;        /* biases (qwen2); n = 0 when absent (llama) */
    struct dev_mat wo;                /* [dim, n_head*head_dim] */
    struct dev_vec ffn_norm;          /* [dim] */
    struct dev_mat w_gate, w_up;      /* [ffn_dim, dim] */
    struct dev_mat w_down;            /* [dim, ffn_dim] */
};

typedef void (*model_progress_fn)(void *user, uint64_t done, uint64_t total);

struct model_opts {
    uint32_t n_ctx;           /* per sequence, for the memory plan; 0: min(trained, 4096) */
    uint32_t n_seq;           /* 1..8 */
    uint32_t kv_type;         /* WTYPE_F16 or WTYPE_Q8_0 */
    int quant_scheme;         /* enum quant_scheme to convert to while loading; -1: keep */
    const char *chat_template;/* overrides the model's; NULL: keep */
    uint32_t numerics;        /* enum model_numerics, for the model and its memory plan */
    int vocab_only;
    model_progress_fn progress;
    void *progress_user;
};

/* How activations enter the weight products (struct model.numerics). */
enum model_numerics {
    MODEL_NUMERICS_FP32 = 0,      /* as computed, fp32 */
    MODEL_NUMERICS_LLAMA_CPU = 1, /* rounded per product as llama.cpp's CPU backend rounds them for
                                     the weight's type (kernels/act_round.h), to reproduce its
                                     tokens; costs a rounding pass and a scratch buffer */
};

struct model {
    struct vkdev *dev;        /* NULL when vocab_only */
    uint32_t numerics;        /* enum model_numerics, from model_opts; fixed at load */
    struct model_hparams hp;
    struct tokenizer *tok;
    char *chat_template;      /* source text; NULL: the model has none */
    struct chat_template *tmpl; /* parsed once at load; NULL when absent or unparsable */
    char tmpl_error[ERR_MSG_MAX]; /* why tmpl is NULL although chat_template is set */
    char name[128];
    uint32_t main_type;       /* type of most weight bytes (for display) */
    uint64_t n_params;
    uint64_t weight_bytes;

    struct dev_mat token_embd;         /* [n_vocab, dim] */
    struct model_layer *layers;        /* [n_layers] */
    struct dev_vec output_norm;        /* [dim] */
    struct dev_mat output;             /* [n_vocab, dim]; a copy of token_embd's handles if tied */
    int output_tied;

    struct kern_rope rope;
    struct vkbuf rope_tab;             /* kern_rope_table(rope) on the device */

    uint32_t plan_ctx, plan_seq, kv_type; /* what the memory plan was made for */
};

/* Loads `path` (GGUF file or Hugging Face directory). dev may be NULL only with vocab_only. */
axvk_status model_load(struct model **out, struct vkdev *dev, const char *path,
                       const struct model_opts *opts, struct err *err);
void model_destroy(struct model *m);

/* Bytes of KV cache (K and V, every layer) for n_seq sequences of n_ctx tokens. */
uint64_t model_kv_bytes(const struct model_hparams *hp, uint32_t kv_type, uint32_t n_ctx,
                        uint32_t n_seq);
/* Bytes of activations and scratch a session needs for prefill chunks of n_batch tokens, with
 * the rounded copy of product inputs that enum model_numerics `numerics` may add. */
uint64_t model_scratch_bytes(const struct model_hparams *hp, uint32_t n_batch, uint32_t n_seq,
                             uint32_t numerics);

/* Uploads every weight (weights.c). Shapes are checked against hp; types converted to the
 * scheme's choice when quant_scheme >= 0. */
struct tensor_source;
axvk_status model_upload_weights(struct model *m, const struct tensor_source *src,
                                 const struct model_opts *opts, struct err *err);
/* Sum of the bytes the weights will take on the device, without reading them. */
axvk_status model_weight_plan(const struct model_hparams *hp, const struct tensor_source *src,
                              int quant_scheme, uint64_t *bytes, uint32_t *main_type,
                              struct err *err);
void model_free_weights(struct model *m);

/* Synthetic models made on the device (synth_dev.c): a preset's shapes, every matrix in the type
 * quant_mix gives opts->quant_scheme (-1: f16), random bytes written by the synth_fill kernel
 * (a pure function of seed), norms 1, small biases, a byte-level vocabulary, ChatML. Nothing is
 * read or quantized on the host. Fails like model_load, before allocating, when the plan does
 * not fit the device. */
struct model_preset;
axvk_status model_create_synthetic(struct model **out, struct vkdev *dev,
                                   const struct model_preset *p, uint64_t seed,
                                   const struct model_opts *opts, struct err *err);

/* Device memory a model takes: weights, KV cache for its n_ctx x n_seq, prefill scratch. */
struct model_plan {
    uint64_t weights, kv, scratch;
    uint64_t need;  /* the sum */
    uint64_t avail; /* what the device offers: its memory budget, else its largest heap */
};
/* The plan of a synthetic model for prefill chunks of n_batch (0: 512) on a device (info may be
 * NULL: avail stays 0). Validates the shape; allocates nothing on the device. */
axvk_status model_plan_synthetic(const struct model_preset *p, int scheme,
                                 const struct model_opts *opts, uint32_t n_batch,
                                 const struct vkdev_info *info, struct model_plan *plan,
                                 struct err *err);
/* "ax4-light:q4_k_m" (TYPE defaults to q4_k_m) into a preset and an enum quant_scheme. */
axvk_status model_synthetic_spec(const char *spec, const struct model_preset **preset, int *scheme,
                                 struct err *err);

#endif
