/* hparams: hyper-parameters from GGUF metadata, and the consistency checks every source goes
 * through. Hugging Face config.json is read in hparams_hf.c. Never touches tensor data. */
#include "model/hparams.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/wtype.h"

/* Bounds: far above any published model, low enough that sizes derived from them cannot
 * overflow 32-bit shader indexing or host arithmetic. */
#define MAX_VOCAB (1u << 24)
#define MAX_DIM (1u << 16)
#define MAX_LAYERS 1024
#define MAX_HEADS 1024
#define MAX_HEAD_DIM 1024
#define MAX_FFN (1u << 20)
#define MAX_CTX (1u << 24)

const char *model_arch_name(enum model_arch arch)
{
    switch (arch) {
    case MODEL_ARCH_QWEN2: return "qwen2";
    case MODEL_ARCH_LLAMA: return "llama";
    }
    return "?";
}

static axvk_status check_range(const char *what, uint64_t v, uint64_t lo, uint64_t hi,
                               struct err *err)
{
    if (v < lo || v > hi)
        return err_set(err, AXVK_ERR_BAD_MODEL, "%s %" PRIu64 " out of range (%" PRIu64
                       " to %" PRIu64 ")", what, v, lo, hi);
    return AXVK_OK;
}

static axvk_status check_positive(const char *what, float v, float below, struct err *err)
{
    if (!isfinite(v) || v <= 0 || v >= below)
        return err_set(err, AXVK_ERR_BAD_MODEL, "%s %g out of range (above 0, below %g)", what,
                       (double)v, (double)below);
    return AXVK_OK;
}

/* -1 means "none"; anything else must index a row of the embedding. */
static axvk_status check_id(const char *what, int32_t id, const struct model_hparams *hp,
                            struct err *err)
{
    if (id < -1 || (id >= 0 && (uint32_t)id >= hp->n_vocab))
        return err_set(err, AXVK_ERR_BAD_MODEL, "%s %d outside the vocabulary (%u tokens)", what,
                       id, hp->n_vocab);
    return AXVK_OK;
}

axvk_status hparams_check(const struct model_hparams *hp, struct err *err)
{
    if (hp->arch != MODEL_ARCH_QWEN2 && hp->arch != MODEL_ARCH_LLAMA)
        return err_set(err, AXVK_ERR_BAD_MODEL, "unknown architecture id %d", (int)hp->arch);
    axvk_status s = check_range("n_vocab", hp->n_vocab, 1, MAX_VOCAB, err);
    if (s == AXVK_OK)
        s = check_range("dim", hp->dim, 1, MAX_DIM, err);
    if (s == AXVK_OK)
        s = check_range("n_layers", hp->n_layers, 1, MAX_LAYERS, err);
    if (s == AXVK_OK)
        s = check_range("n_head", hp->n_head, 1, MAX_HEADS, err);
    if (s == AXVK_OK)
        s = check_range("n_kv_head", hp->n_kv_head, 1, hp->n_head, err);
    if (s == AXVK_OK)
        s = check_range("head_dim", hp->head_dim, 2, MAX_HEAD_DIM, err);
    if (s == AXVK_OK)
        s = check_range("ffn_dim", hp->ffn_dim, 1, MAX_FFN, err);
    if (s == AXVK_OK)
        s = check_range("context length", hp->n_ctx_train, 1, MAX_CTX, err);
    if (s != AXVK_OK)
        return s;
    /* grouped-query attention: each key/value head serves n_head / n_kv_head query heads */
    if (hp->n_head % hp->n_kv_head)
        return err_set(err, AXVK_ERR_BAD_MODEL, "n_head %u not a multiple of n_kv_head %u",
                       hp->n_head, hp->n_kv_head);
    /* RoPE rotates pairs of elements */
    if (hp->head_dim % 2)
        return err_set(err, AXVK_ERR_BAD_MODEL, "head_dim %u is odd", hp->head_dim);
    s = check_positive("rms_eps", hp->rms_eps, 1.0f, err);
    if (s == AXVK_OK)
        s = check_positive("rope theta", hp->rope_theta, INFINITY, err);
    if (s == AXVK_OK && hp->rope_scaling.type == ROPE_SCALING_YARN) {
        if (!(hp->rope_scaling.factor >= 1.0f) || !isfinite(hp->rope_scaling.factor))
            return err_set(err, AXVK_ERR_BAD_MODEL, "rope scaling factor %g below 1",
                           (double)hp->rope_scaling.factor);
        s = check_range("rope scaling original context", hp->rope_scaling.orig_ctx, 1, MAX_CTX,
                        err);
        if (s == AXVK_OK)
            s = check_positive("yarn beta_fast", hp->rope_scaling.beta_fast, INFINITY, err);
        if (s == AXVK_OK)
            s = check_positive("yarn beta_slow", hp->rope_scaling.beta_slow, INFINITY, err);
        if (s == AXVK_OK)
            s = check_positive("yarn attention factor", hp->rope_scaling.attn_factor, INFINITY,
                               err);
    } else if (s == AXVK_OK && hp->rope_scaling.type != ROPE_SCALING_NONE) {
        return err_set(err, AXVK_ERR_BAD_MODEL, "unknown rope scaling id %d",
                       (int)hp->rope_scaling.type);
    }
    if (s == AXVK_OK)
        s = check_id("bos id", hp->bos_id, hp, err);
    if (s == AXVK_OK)
        s = check_id("eos id", hp->eos_id, hp, err);
    if (s == AXVK_OK && hp->n_stop > HPARAMS_MAX_STOP)
        return err_set(err, AXVK_ERR_BAD_MODEL, "%u stop ids (at most %d)", hp->n_stop,
                       HPARAMS_MAX_STOP);
    for (uint32_t i = 0; i < hp->n_stop && s == AXVK_OK; i++)
        s = hp->stop_ids[i] < 0 ? err_set(err, AXVK_ERR_BAD_MODEL, "stop id %d is negative",
                                          hp->stop_ids[i])
                                : check_id("stop id", hp->stop_ids[i], hp, err);
    return s;
}

axvk_status hparams_add_stop(struct model_hparams *hp, int64_t id, struct err *err)
{
    if (id < 0)
        return AXVK_OK;
    if (id > INT32_MAX)
        return err_set(err, AXVK_ERR_BAD_MODEL, "stop id %" PRId64 " too large", id);
    for (uint32_t i = 0; i < hp->n_stop; i++)
        if (hp->stop_ids[i] == id)
            return AXVK_OK;
    if (hp->n_stop == HPARAMS_MAX_STOP)
        return err_set(err, AXVK_ERR_BAD_MODEL, "more than %d stop ids", HPARAMS_MAX_STOP);
    hp->stop_ids[hp->n_stop++] = (int32_t)id;
    return AXVK_OK;
}

float hparams_yarn_mscale(float factor)
{
    return factor <= 1.0f ? 1.0f : 0.1f * logf(factor) + 1.0f;
}

/* "<arch>.<suffix>" into buf */
static const char *akey(char *buf, size_t size, const char *arch, const char *suffix)
{
    snprintf(buf, size, "%s.%s", arch, suffix);
    return buf;
}

static axvk_status gguf_rope_scaling(struct model_hparams *hp, const struct gguf *g,
                                     const char *arch, struct err *err)
{
    char k[128];
    const char *type;
    if (!gguf_has_key(g, akey(k, sizeof k, arch, "rope.scaling.type")))
        return AXVK_OK;
    axvk_status s = gguf_get_str(g, k, &type, NULL, err);
    if (s != AXVK_OK || strcmp(type, "none") == 0)
        return s;
    if (strcmp(type, "yarn") != 0)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "key %s: rope scaling \"%s\" not supported "
                       "(none, yarn)", k, type);
    hp->rope_scaling.type = ROPE_SCALING_YARN;
    s = gguf_get_f32(g, akey(k, sizeof k, arch, "rope.scaling.factor"), &hp->rope_scaling.factor,
                     err);
    if (s == AXVK_OK)
        s = gguf_get_u32(g, akey(k, sizeof k, arch, "rope.scaling.original_context_length"),
                         &hp->rope_scaling.orig_ctx, err);
    if (s != AXVK_OK)
        return s;
    /* the YaRN paper's defaults, which converters leave out */
    hp->rope_scaling.beta_fast = 32.0f;
    hp->rope_scaling.beta_slow = 1.0f;
    hp->rope_scaling.attn_factor = hparams_yarn_mscale(hp->rope_scaling.factor);
    if (gguf_has_key(g, akey(k, sizeof k, arch, "rope.scaling.yarn_beta_fast")))
        s = gguf_get_f32(g, k, &hp->rope_scaling.beta_fast, err);
    if (s == AXVK_OK && gguf_has_key(g, akey(k, sizeof k, arch, "rope.scaling.yarn_beta_slow")))
        s = gguf_get_f32(g, k, &hp->rope_scaling.beta_slow, err);
    if (s == AXVK_OK && gguf_has_key(g, akey(k, sizeof k, arch, "rope.scaling.attn_factor")))
        s = gguf_get_f32(g, k, &hp->rope_scaling.attn_factor, err);
    return s;
}

/* head_dim from key_length, or dim / n_head; value_length and rope.dimension_count must agree. */
static axvk_status gguf_head_dim(struct model_hparams *hp, const struct gguf *g, const char *arch,
                                 struct err *err)
{
    char k[128];
    axvk_status s = AXVK_OK;
    if (gguf_has_key(g, akey(k, sizeof k, arch, "attention.key_length"))) {
        s = gguf_get_u32(g, k, &hp->head_dim, err);
    } else if (hp->dim % hp->n_head) {
        return err_set(err, AXVK_ERR_BAD_MODEL,
                       "%s.embedding_length %u not a multiple of %s.attention.head_count %u", arch,
                       hp->dim, arch, hp->n_head);
    } else {
        hp->head_dim = hp->dim / hp->n_head;
    }
    const char *same[] = {"attention.value_length", "rope.dimension_count"};
    for (int i = 0; i < 2 && s == AXVK_OK; i++) {
        uint32_t v;
        if (!gguf_has_key(g, akey(k, sizeof k, arch, same[i])))
            continue;
        s = gguf_get_u32(g, k, &v, err);
        if (s == AXVK_OK && v != hp->head_dim)
            return err_set(err, AXVK_ERR_BAD_MODEL, "key %s: %u but head_dim is %u", k, v,
                           hp->head_dim);
    }
    return s;
}

/* n_vocab from <arch>.vocab_size or the embedding's rows; the two and the tokenizer agree. */
static axvk_status gguf_vocab(struct model_hparams *hp, const struct gguf *g, const char *arch,
                              struct err *err)
{
    char k[128];
    const struct gguf_tensor *embd = gguf_find_tensor(g, "token_embd.weight");
    axvk_status s = AXVK_OK;
    if (gguf_has_key(g, akey(k, sizeof k, arch, "vocab_size")))
        s = gguf_get_u32(g, k, &hp->n_vocab, err);
    else if (embd && embd->n_dims == 2 && embd->ne[1] <= UINT32_MAX)
        hp->n_vocab = (uint32_t)embd->ne[1];
    else
        return err_set(err, AXVK_ERR_BAD_MODEL, "missing key %s and no 2-D token_embd.weight", k);
    if (s != AXVK_OK)
        return s;
    if (embd && (embd->n_dims != 2 || embd->ne[0] != hp->dim || embd->ne[1] != hp->n_vocab))
        return err_set(err, AXVK_ERR_BAD_MODEL,
                       "token_embd.weight is [%" PRIu64 ", %" PRIu64 "], expected [%u, %u]",
                       embd->ne[0], embd->ne[1], hp->dim, hp->n_vocab);
    /* the embedding may have spare rows (Qwen2.5: 152,064 for 151,665 tokens), never fewer */
    struct gguf_arr tokens;
    if (gguf_key_type(g, "tokenizer.ggml.tokens") == GGUF_TYPE_ARR &&
        gguf_get_arr(g, "tokenizer.ggml.tokens", &tokens, err) == AXVK_OK &&
        tokens.n > hp->n_vocab)
        return err_set(err, AXVK_ERR_BAD_MODEL,
                       "tokenizer has %" PRIu64 " tokens but the model only %u rows", tokens.n,
                       hp->n_vocab);
    return AXVK_OK;
}

static axvk_status gguf_token_ids(struct model_hparams *hp, const struct gguf *g,
                                  struct err *err)
{
    hp->bos_id = -1;
    hp->eos_id = -1;
    axvk_status s = AXVK_OK;
    if (gguf_has_key(g, "tokenizer.ggml.bos_token_id"))
        s = gguf_get_i32(g, "tokenizer.ggml.bos_token_id", &hp->bos_id, err);
    if (s == AXVK_OK && gguf_has_key(g, "tokenizer.ggml.eos_token_id"))
        s = gguf_get_i32(g, "tokenizer.ggml.eos_token_id", &hp->eos_id, err);
    if (s == AXVK_OK)
        s = hparams_add_stop(hp, hp->eos_id, err);
    /* end of turn / end of message: chat models stop there too */
    const char *more[] = {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"};
    for (int i = 0; i < 2 && s == AXVK_OK; i++) {
        int32_t id;
        if (gguf_has_key(g, more[i]) && (s = gguf_get_i32(g, more[i], &id, err)) == AXVK_OK)
            s = hparams_add_stop(hp, id, err);
    }
    return s;
}

axvk_status hparams_from_gguf(struct model_hparams *hp, const struct gguf *g, struct err *err)
{
    memset(hp, 0, sizeof *hp);
    const char *arch;
    char k[128];
    axvk_status s = gguf_get_str(g, "general.architecture", &arch, NULL, err);
    if (s != AXVK_OK)
        return s;
    if (strcmp(arch, "qwen2") == 0) {
        hp->arch = MODEL_ARCH_QWEN2;
        hp->rope_style = ROPE_STYLE_NEOX;
        hp->qkv_bias = true;
    } else if (strcmp(arch, "llama") == 0) {
        hp->arch = MODEL_ARCH_LLAMA;
        hp->rope_style = ROPE_STYLE_NORMAL;
    } else {
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       "architecture \"%.64s\" not supported (qwen2, llama)", arch);
    }
    struct {
        const char *suffix;
        uint32_t *out;
    } ints[] = {
        {"embedding_length", &hp->dim},
        {"block_count", &hp->n_layers},
        {"feed_forward_length", &hp->ffn_dim},
        {"context_length", &hp->n_ctx_train},
        {"attention.head_count", &hp->n_head},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0] && s == AXVK_OK; i++)
        s = gguf_get_u32(g, akey(k, sizeof k, arch, ints[i].suffix), ints[i].out, err);
    if (s != AXVK_OK)
        return s;
    if (hp->n_head == 0)
        return err_set(err, AXVK_ERR_BAD_MODEL, "key %s.attention.head_count is 0", arch);
    /* GGUF: without head_count_kv every query head has its own key/value head */
    hp->n_kv_head = hp->n_head;
    if (gguf_has_key(g, akey(k, sizeof k, arch, "attention.head_count_kv")))
        s = gguf_get_u32(g, k, &hp->n_kv_head, err);
    if (s == AXVK_OK)
        s = gguf_get_f32(g, akey(k, sizeof k, arch, "attention.layer_norm_rms_epsilon"),
                         &hp->rms_eps, err);
    if (s == AXVK_OK)
        s = gguf_get_f32(g, akey(k, sizeof k, arch, "rope.freq_base"), &hp->rope_theta, err);
    if (s == AXVK_OK)
        s = gguf_head_dim(hp, g, arch, err);
    if (s == AXVK_OK)
        s = gguf_vocab(hp, g, arch, err);
    if (s == AXVK_OK)
        s = gguf_rope_scaling(hp, g, arch, err);
    if (s == AXVK_OK)
        s = gguf_token_ids(hp, g, err);
    if (s != AXVK_OK)
        return s;
    /* llama.cpp's converters drop output.weight when lm_head is tied to the embedding */
    hp->tied_output = gguf_find_tensor(g, "output.weight") == NULL;
    return hparams_check(hp, err);
}
