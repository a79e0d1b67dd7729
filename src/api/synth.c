/* api/synth: axvk_model_synthesize — a preset or custom shape, optionally with a real tokenizer's
 * vocabulary, handed to model/synth. Builds the GGUF-style vocabulary arrays from the tokenizer. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/internal.h"
#include "base/alloc.h"
#include "base/mapfile.h"
#include "model/presets.h"
#include "model/quant_mix.h"
#include "model/synth.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

/* The tiny default: small enough for lavapipe tests, every dimension a multiple of 32. */
static const struct model_preset tiny = {
    .name = "tiny", .label = "tiny (synthetic)", .n_vocab = 512, .dim = 128, .n_layers = 2,
    .n_head = 4, .n_kv_head = 2, .ffn_dim = 256, .n_ctx = 2048, .rope_theta = 1e6f,
    .rms_eps = 1e-6f, .tied_output = 0,
};

/* Vocabulary arrays of a loaded tokenizer, padded with unused tokens up to n_vocab. */
struct vocab_export {
    struct synth_vocab v;
    char **tokens;
    uint64_t *token_lens;
    int32_t *types;
    char **merges;
    uint64_t *merge_lens;
    uint32_t n_tok, n_merge;
    char *chat_template;
};

static void vocab_free(struct vocab_export *e)
{
    for (uint32_t i = 0; e->tokens && i < e->n_tok; i++)
        mem_free(e->tokens[i]);
    for (uint32_t i = 0; e->merges && i < e->n_merge; i++)
        mem_free(e->merges[i]);
    mem_free(e->tokens);
    mem_free(e->token_lens);
    mem_free(e->types);
    mem_free(e->merges);
    mem_free(e->merge_lens);
    mem_free(e->chat_template);
}

static char *token_copy(const struct tokenizer *tok, int32_t id, uint64_t *len)
{
    const char *p;
    size_t n;
    if (!tokenizer_token_text(tok, id, &p, &n))
        return NULL;
    *len = n;
    return mem_strndup(p, n);
}

static axvk_status read_template(struct vocab_export *e, const char *dir, struct err *err)
{
    char path[4096], *text = NULL;
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (file_read_all(path, &text, NULL, NULL) != AXVK_OK)
        return AXVK_OK;
    cJSON *json = cJSON_Parse(text);
    mem_free(text);
    const char *t = json ? chat_template_from_config(json, NULL) : NULL;
    axvk_status s = AXVK_OK;
    if (t && !(e->chat_template = mem_strdup(t)))
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "chat template");
    cJSON_Delete(json);
    return s;
}

static axvk_status vocab_export(struct vocab_export *e, const struct tokenizer *tok,
                                uint32_t n_vocab, struct err *err)
{
    uint32_t n_merge = tokenizer_n_merges(tok);
    e->n_tok = n_vocab;
    e->n_merge = n_merge;
    e->tokens = mem_calloc(n_vocab, sizeof *e->tokens);
    e->token_lens = mem_calloc(n_vocab, sizeof *e->token_lens);
    e->types = mem_calloc(n_vocab, sizeof *e->types);
    e->merges = mem_calloc(n_merge, sizeof *e->merges);
    e->merge_lens = mem_calloc(n_merge, sizeof *e->merge_lens);
    if (!e->tokens || !e->token_lens || !e->types || !e->merges || !e->merge_lens)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "vocabulary of %u tokens", n_vocab);
    for (uint32_t i = 0; i < n_vocab; i++) {
        int32_t type = tokenizer_token_type(tok, (int32_t)i);
        char pad[32];
        e->tokens[i] = token_copy(tok, (int32_t)i, &e->token_lens[i]);
        if (!e->tokens[i]) { /* past the tokenizer, or an id it leaves empty */
            snprintf(pad, sizeof pad, "<|unused_%u|>", i);
            e->tokens[i] = mem_strdup(pad);
            e->token_lens[i] = strlen(pad);
            type = TOKEN_TYPE_UNUSED;
        }
        if (!e->tokens[i])
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "vocabulary");
        e->types[i] = type == TOKEN_TYPE_UNDEFINED ? TOKEN_TYPE_NORMAL : type;
    }
    for (uint32_t i = 0; i < n_merge; i++) {
        int32_t l, r;
        uint64_t ll = 0, rl = 0;
        char *ls = NULL, *rs = NULL;
        if (tokenizer_merge(tok, i, &l, &r)) {
            ls = token_copy(tok, l, &ll);
            rs = token_copy(tok, r, &rl);
        }
        if (ls && rs && (e->merges[i] = mem_alloc(ll + rl + 2))) {
            memcpy(e->merges[i], ls, ll);
            e->merges[i][ll] = ' ';
            memcpy(e->merges[i] + ll + 1, rs, rl);
            e->merges[i][ll + rl + 1] = '\0';
            e->merge_lens[i] = ll + rl + 1;
        }
        mem_free(ls);
        mem_free(rs);
        if (!e->merges[i])
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "merge %u", i);
    }
    int32_t eos = tokenizer_eos(tok);
    int32_t im_end = tokenizer_find_token(tok, "<|im_end|>");
    e->v = (struct synth_vocab){
        .n_tokens = n_vocab, .tokens = (const char *const *)e->tokens, .token_lens = e->token_lens,
        .token_types = e->types, .n_merges = n_merge, .merges = (const char *const *)e->merges,
        .merge_lens = e->merge_lens, .pre = tokenizer_pre_name(tok),
        .chat_template = e->chat_template, .eos_id = im_end >= 0 ? im_end : (eos >= 0 ? eos : 0),
        .pad_id = tokenizer_find_token(tok, "<|pad|>")};
    return AXVK_OK;
}

static void override(uint32_t *field, uint32_t value)
{
    if (value)
        *field = value;
}

const char *const *axvk_synth_presets(void)
{
    static const char *names[16];
    for (size_t i = 0; i < preset_count() && i + 1 < 16; i++)
        names[i] = preset_at(i)->name;
    return names;
}

axvk_status axvk_model_synthesize(const axvk_synth_desc *desc, const char *out_path)
{
    struct err err = {0};
    struct tokenizer *tok = NULL;
    struct vocab_export vocab = {0};
    if (!desc || !out_path)
        return AXVK_ERR_INVALID_ARGUMENT;
    struct synth_desc d = {.shape = tiny, .seed = desc->seed, .progress = desc->progress,
                           .progress_user = desc->progress_user};
    axvk_status s = AXVK_OK;
    if (desc->preset) {
        const struct model_preset *p = preset_find(desc->preset);
        if (!p) {
            err_set(&err, AXVK_ERR_INVALID_ARGUMENT, "unknown preset \"%s\"", desc->preset);
            return api_fail_global(&err);
        }
        d.shape = *p;
    }
    override(&d.shape.n_vocab, desc->n_vocab);
    override(&d.shape.dim, desc->dim);
    override(&d.shape.n_layers, desc->n_layers);
    override(&d.shape.n_head, desc->n_head);
    override(&d.shape.n_kv_head, desc->n_kv_head);
    override(&d.shape.ffn_dim, desc->ffn_dim);
    override(&d.shape.n_ctx, desc->n_ctx);
    d.scheme = quant_scheme_from_name(desc->type ? desc->type : "f16");
    if (d.scheme < 0)
        s = err_set(&err, AXVK_ERR_INVALID_ARGUMENT, "unknown weight type \"%s\"", desc->type);
    if (!s && desc->tokenizer_dir) {
        s = tokenizer_load_dir(&tok, desc->tokenizer_dir, &err);
        if (!s && !desc->preset && !desc->n_vocab)
            d.shape.n_vocab = (tokenizer_n_vocab(tok) + 127) / 128 * 128;
        if (!s && tokenizer_n_vocab(tok) > d.shape.n_vocab)
            s = err_set(&err, AXVK_ERR_INVALID_ARGUMENT,
                        "the tokenizer has %u tokens, more than the model's vocabulary of %u",
                        tokenizer_n_vocab(tok), d.shape.n_vocab);
        if (!s)
            s = read_template(&vocab, desc->tokenizer_dir, &err);
        if (!s)
            s = vocab_export(&vocab, tok, d.shape.n_vocab, &err);
        d.vocab = &vocab.v;
    }
    if (!s)
        s = synth_write(&d, out_path, &err);
    vocab_free(&vocab);
    tokenizer_destroy(tok);
    return s ? api_fail_global(&err) : AXVK_OK;
}
