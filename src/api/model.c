/* api/model: axvk_model (load, create_synthetic, info, destroy) and the text calls on it (tokenize, detokenize,
 * chat template). Argument checks and error reporting only; the work is src/model's and src/text's. */
#include <string.h>

#include <cjson/cJSON.h>

#include "api/internal.h"
#include "base/alloc.h"
#include "base/wtype.h"
#include "model/model.h"
#include "model/quant_mix.h"
#include "text/chat_template.h"

struct axvk_model {
    axvk_context *ctx;
    struct model *m;
};

/* Model options from a public descriptor (NULL: defaults); the message lands on ctx. */
static axvk_status opts_from_desc(axvk_context *ctx, const axvk_model_desc *desc,
                                  struct model_opts *o)
{
    static const axvk_model_desc defaults = {0};
    if (!desc)
        desc = &defaults;
    *o = (struct model_opts){.n_ctx = desc->n_ctx, .n_seq = desc->n_seq, .kv_type = WTYPE_F16,
                             .quant_scheme = -1, .chat_template = desc->chat_template,
                             .vocab_only = desc->vocab_only, .progress = desc->progress,
                             .progress_user = desc->progress_user};
    if (desc->kv_type && strcmp(desc->kv_type, "f16") != 0) {
        if (strcmp(desc->kv_type, "q8_0") != 0)
            return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                           "KV cache type \"%s\": expected f16 or q8_0", desc->kv_type);
        o->kv_type = WTYPE_Q8_0;
    }
    if (desc->numerics && strcmp(desc->numerics, "fp32") != 0) {
        if (strcmp(desc->numerics, "llama-cpu") != 0)
            return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                           "numerics \"%s\": expected fp32 or llama-cpu", desc->numerics);
        o->numerics = MODEL_NUMERICS_LLAMA_CPU;
    }
    if (desc->quant && (o->quant_scheme = quant_scheme_from_name(desc->quant)) < 0)
        return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT, "unknown quantization \"%s\"",
                       desc->quant);
    if (o->n_seq > 8)
        return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT, "n_seq %u: at most 8", o->n_seq);
    if (!o->vocab_only && !ctx->dev)
        return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                       "this context has no device: load with vocab_only");
    return AXVK_OK;
}

axvk_status axvk_model_load(axvk_context *ctx, const char *path, const axvk_model_desc *desc,
                            axvk_model **out)
{
    if (!ctx || !path || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(ctx);
    *out = NULL;
    struct model_opts o;
    axvk_status s = opts_from_desc(ctx, desc, &o);
    if (s)
        return s;
    axvk_model *model = mem_calloc(1, sizeof *model);
    if (!model)
        return err_set(&ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "model handle");
    model->ctx = ctx;
    s = model_load(&model->m, ctx->dev, path, &o, &ctx->err);
    if (s) {
        mem_free(model);
        return s;
    }
    *out = model;
    return AXVK_OK;
}

axvk_status axvk_model_create_synthetic(axvk_context *ctx, const char *spec, uint64_t seed,
                                        const axvk_model_desc *desc, axvk_model **out)
{
    if (!ctx || !spec || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(ctx);
    *out = NULL;
    struct model_opts o;
    const struct model_preset *preset;
    int scheme;
    axvk_status s;
    if (desc && (desc->quant || desc->vocab_only))
        return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                       "a synthetic model takes its type from the spec (\"%s\") and always has "
                       "weights: leave quant and vocab_only unset", spec);
    if (!ctx->dev)
        return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                       "a synthetic model lives on a device: this context has none");
    if ((s = opts_from_desc(ctx, desc, &o)) ||
        (s = model_synthetic_spec(spec, &preset, &scheme, &ctx->err)))
        return s;
    o.quant_scheme = scheme;
    axvk_model *model = mem_calloc(1, sizeof *model);
    if (!model)
        return err_set(&ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "model handle");
    model->ctx = ctx;
    s = model_create_synthetic(&model->m, ctx->dev, preset, seed, &o, &ctx->err);
    if (s) {
        mem_free(model);
        return s;
    }
    *out = model;
    return AXVK_OK;
}

void axvk_model_destroy(axvk_model *model)
{
    if (!model)
        return;
    model_destroy(model->m);
    mem_free(model);
}

struct model *api_model(const axvk_model *model)
{
    return model->m;
}

axvk_context *api_model_context(const axvk_model *model)
{
    return model->ctx;
}

axvk_status axvk_model_get_info(const axvk_model *model, axvk_model_info *out)
{
    if (!model || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    const struct model *m = model->m;
    const struct model_hparams *hp = &m->hp;
    memset(out, 0, sizeof *out);
    snprintf(out->arch, sizeof out->arch, "%s", model_arch_name(hp->arch));
    snprintf(out->name, sizeof out->name, "%s", m->name);
    snprintf(out->type, sizeof out->type, "%s", m->dev ? wtype_get(m->main_type)->name : "none");
    out->n_vocab = hp->n_vocab;
    out->n_ctx_train = hp->n_ctx_train;
    out->dim = hp->dim;
    out->n_layers = hp->n_layers;
    out->n_head = hp->n_head;
    out->n_kv_head = hp->n_kv_head;
    out->head_dim = hp->head_dim;
    out->ffn_dim = hp->ffn_dim;
    out->n_params = m->n_params;
    out->weight_bytes = m->weight_bytes;
    out->n_stop_ids = hp->n_stop;
    for (uint32_t i = 0; i < hp->n_stop && i < 8; i++)
        out->stop_ids[i] = hp->stop_ids[i];
    out->has_chat_template = m->chat_template != NULL;
    return AXVK_OK;
}

axvk_status axvk_tokenize(const axvk_model *model, const char *text, size_t len, uint32_t flags,
                          int32_t **ids, size_t *n_ids)
{
    if (!model || (!text && len) || !ids || !n_ids)
        return AXVK_ERR_INVALID_ARGUMENT;
    axvk_context *ctx = model->ctx;
    api_begin(ctx);
    struct tokenizer_ids out = {0};
    unsigned f = (flags & AXVK_TOKENIZE_NO_SPECIAL) ? 0 : TOKENIZER_PARSE_SPECIAL;
    axvk_status s = tokenizer_encode(model->m->tok, text ? text : "", len, f, &out, &ctx->err);
    if (s) {
        tokenizer_ids_free(&out);
        return s;
    }
    *ids = out.ids;
    *n_ids = out.n;
    return AXVK_OK;
}

axvk_status axvk_detokenize(const axvk_model *model, const int32_t *ids, size_t n_ids,
                            uint32_t flags, char **text, size_t *len)
{
    if (!model || (!ids && n_ids) || !text)
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(model->ctx);
    unsigned f = (flags & AXVK_DETOKENIZE_SKIP_SPECIAL) ? TOKENIZER_SKIP_SPECIAL : 0;
    size_t n = 0;
    axvk_status s = tokenizer_decode(model->m->tok, ids, n_ids, f, text, &n, &model->ctx->err);
    if (!s && len)
        *len = n;
    return s;
}

/* The token text the template gets as eos_token: the first stop id's content. */
static const char *eos_text(const struct model *m, char *buf, size_t size)
{
    const char *p;
    size_t n;
    buf[0] = '\0';
    if (m->hp.eos_id >= 0 && tokenizer_token_text(m->tok, m->hp.eos_id, &p, &n) && n < size) {
        memcpy(buf, p, n);
        buf[n] = '\0';
    }
    return buf;
}

axvk_status axvk_apply_template(const axvk_model *model, const char *messages_json,
                                const char *tools_json, int add_generation_prompt, char **out)
{
    if (!model || !messages_json || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    axvk_context *ctx = model->ctx;
    api_begin(ctx);
    const struct model *m = model->m;
    if (!m->chat_template)
        return err_set(&ctx->err, AXVK_ERR_TEMPLATE,
                       "the model has no chat template (give one with --chat-template)");
    if (!m->tmpl)
        return err_set(&ctx->err, AXVK_ERR_TEMPLATE, "%s", m->tmpl_error);
    cJSON *messages = cJSON_Parse(messages_json);
    cJSON *tools = tools_json ? cJSON_Parse(tools_json) : NULL;
    axvk_status s = AXVK_OK;
    if (!cJSON_IsArray(messages))
        s = err_set(&ctx->err, AXVK_ERR_JSON, "messages: expected a JSON array of messages");
    else if (tools_json && !cJSON_IsArray(tools))
        s = err_set(&ctx->err, AXVK_ERR_JSON, "tools: expected a JSON array");
    if (!s) {
        char eos[256];
        struct chat_template_vars vars = {.messages = messages, .tools = tools,
                                          .add_generation_prompt = add_generation_prompt != 0,
                                          .eos_token = eos_text(m, eos, sizeof eos)};
        size_t len;
        s = chat_template_apply(out, &len, m->tmpl, &vars, &ctx->err);
    }
    cJSON_Delete(messages);
    cJSON_Delete(tools);
    return s;
}
