/* api/synth: axvk_model_synthesize — a preset or custom shape, optionally with a real tokenizer's
 * vocabulary (exported by model/vocab_gguf), handed to model/synth. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "base/alloc.h"
#include "model/presets.h"
#include "model/quant_mix.h"
#include "model/synth.h"
#include "model/vocab_gguf.h"
#include "text/tokenizer.h"

/* The tiny default: small enough for lavapipe tests, every dimension a multiple of 32. */
static const struct model_preset tiny = {
    .name = "tiny", .label = "tiny (synthetic)", .n_vocab = 512, .dim = 128, .n_layers = 2,
    .n_head = 4, .n_kv_head = 2, .ffn_dim = 256, .n_ctx = 2048, .rope_theta = 1e6f,
    .rms_eps = 1e-6f, .tied_output = 0,
};

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
    struct vocab_gguf_export vocab = {0};
    char *chat_template = NULL;
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
            s = vocab_gguf_dir_template(desc->tokenizer_dir, &chat_template, &err);
        if (!s)
            s = vocab_gguf_export(&vocab, tok, d.shape.n_vocab, &err);
        vocab.v.chat_template = chat_template;
        d.vocab = &vocab.v;
    }
    if (!s)
        s = synth_write(&d, out_path, &err);
    vocab_gguf_export_free(&vocab);
    mem_free(chat_template);
    tokenizer_destroy(tok);
    return s ? api_fail_global(&err) : AXVK_OK;
}
