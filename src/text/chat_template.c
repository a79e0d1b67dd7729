/* chat_template: the entry point — builds the variables a template sees from JSON and runs the
 * evaluator. Must not reimplement any template semantics; those live in jinja_*.c. */
#include "text/chat_template.h"

#include <string.h>

#include "base/alloc.h"
#include "text/jinja_eval.h"
#include "text/jinja_json.h"

struct chat_template {
    struct jinja_template *tpl;
};

axvk_status chat_template_parse(struct chat_template **out, const char *src, size_t len, struct err *err)
{
    *out = NULL;
    if (!src)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "no chat template source");
    struct chat_template *t = mem_calloc(1, sizeof *t);
    if (!t)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a chat template");
    axvk_status st = jinja_parse(&t->tpl, src, len, err);
    if (st) {
        mem_free(t);
        return st;
    }
    *out = t;
    return AXVK_OK;
}

void chat_template_destroy(struct chat_template *t)
{
    if (!t)
        return;
    jinja_template_free(t->tpl);
    mem_free(t);
}

static axvk_status set_json(struct jctx *ctx, const char *name, const cJSON *json)
{
    struct jv v;
    axvk_status st = jv_from_json(&v, json, ctx->err);
    if (st)
        return err_wrap(ctx->err, "variable '%s'", name);
    return jinja_frame_set(ctx, ctx->root, name, strlen(name), v);
}

static axvk_status set_str(struct jctx *ctx, const char *name, const char *s)
{
    struct jv v;
    axvk_status st = jv_new_str(&v, s ? s : "", s ? strlen(s) : 0, ctx->err);
    return st ? st : jinja_frame_set(ctx, ctx->root, name, strlen(name), v);
}

/* The variables transformers passes: messages, tools, documents, add_generation_prompt and the
 * special tokens, then the caller's extra ones (which may override them). */
static axvk_status set_vars(struct jctx *ctx, const struct chat_template_vars *vars)
{
    axvk_status st;
    if (!cJSON_IsArray(vars->messages))
        return err_set(ctx->err, AXVK_ERR_INVALID_ARGUMENT, "messages must be a JSON array");
    if (vars->tools && !cJSON_IsNull(vars->tools) && !cJSON_IsArray(vars->tools))
        return err_set(ctx->err, AXVK_ERR_INVALID_ARGUMENT, "tools must be a JSON array");
    if (vars->extra_vars && !cJSON_IsObject(vars->extra_vars))
        return err_set(ctx->err, AXVK_ERR_INVALID_ARGUMENT, "extra template variables must be a JSON object");
    if ((st = set_json(ctx, "messages", vars->messages)))
        return st;
    if (vars->tools && !cJSON_IsNull(vars->tools) ? (st = set_json(ctx, "tools", vars->tools))
                                                  : (st = jinja_frame_set(ctx, ctx->root, "tools", 5, jv_none())))
        return st;
    if ((st = jinja_frame_set(ctx, ctx->root, "documents", 9, jv_none())) ||
        (st = jinja_frame_set(ctx, ctx->root, "add_generation_prompt", 21, jv_bool(vars->add_generation_prompt))) ||
        (st = set_str(ctx, "bos_token", vars->bos_token)) || (st = set_str(ctx, "eos_token", vars->eos_token)))
        return st;
    for (const cJSON *c = vars->extra_vars ? vars->extra_vars->child : NULL; c; c = c->next)
        if (c->string && (st = set_json(ctx, c->string, c)))
            return st;
    return AXVK_OK;
}

axvk_status chat_template_apply(char **out, size_t *out_len, const struct chat_template *t,
                                const struct chat_template_vars *vars, struct err *err)
{
    struct err local;
    struct jframe root = {0};
    struct jbuf buf;
    axvk_status st;
    *out = NULL;
    *out_len = 0;
    if (!err) /* the evaluator wraps messages as errors propagate, so it needs somewhere to write */
        err = &local;
    err_clear(err);
    if (!t || !vars)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "no template or no variables");
    struct jctx ctx = {
        .root = &root,
        .err = err,
        .max_steps = vars->max_steps ? vars->max_steps : CHAT_TEMPLATE_MAX_STEPS,
        .max_output = vars->max_output ? vars->max_output : CHAT_TEMPLATE_MAX_OUTPUT,
        .namespaces = jv_undef(),
    };
    jbuf_init(&buf, ctx.max_output, err);
    ctx.out = &buf;
    if ((st = set_vars(&ctx, vars)) || (st = jinja_render(&ctx, t->tpl)))
        goto fail;
    if (!buf.p && (st = jbuf_put(&buf, "", 0))) /* an empty result is still a string */
        goto fail;
    jinja_frame_clear(&root);
    mem_free(root.vars);
    *out = buf.p;
    *out_len = buf.len;
    return AXVK_OK;
fail:
    jinja_frame_clear(&root);
    mem_free(root.vars);
    jbuf_free(&buf);
    return st;
}

axvk_status chat_template_render(char **out, size_t *out_len, const char *template_src, const cJSON *messages,
                                 const cJSON *tools, bool add_generation_prompt, const char *bos_token,
                                 const char *eos_token, const cJSON *extra_vars, struct err *err)
{
    struct chat_template *t;
    *out = NULL;
    *out_len = 0;
    axvk_status st = chat_template_parse(&t, template_src, template_src ? strlen(template_src) : 0, err);
    if (st)
        return st;
    struct chat_template_vars vars = {
        .messages = messages,
        .tools = tools,
        .add_generation_prompt = add_generation_prompt,
        .bos_token = bos_token,
        .eos_token = eos_token,
        .extra_vars = extra_vars,
    };
    st = chat_template_apply(out, out_len, t, &vars, err);
    chat_template_destroy(t);
    return st;
}

const char *chat_template_from_config(const cJSON *tokenizer_config, const char *name)
{
    const cJSON *tpl = cJSON_GetObjectItemCaseSensitive(tokenizer_config, "chat_template");
    if (cJSON_IsString(tpl))
        return tpl->valuestring;
    if (!cJSON_IsArray(tpl))
        return NULL;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, tpl)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(entry, "name");
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(entry, "template");
        if (cJSON_IsString(n) && cJSON_IsString(src) && !strcmp(n->valuestring, name ? name : "default"))
            return src->valuestring;
    }
    return NULL;
}
