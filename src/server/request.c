/* server/request: OpenAI request bodies to validated structs. Every field is untrusted: a wrong
 * type or range is a 400 naming the field; unknown fields are ignored (clients send many), and
 * JSON null counts as absent. No model, no HTTP, no globals: safe to fuzz and to call from any
 * thread. */
#include "server/request.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define INVALID "invalid_request_error"

int srv_error_set(struct srv_error *err, int http, const char *type, const char *param,
                  const char *fmt, ...)
{
    va_list ap;
    memset(err, 0, sizeof *err);
    err->http = http;
    err->type = type;
    snprintf(err->param, sizeof err->param, "%s", param ? param : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* The body as a JSON object, or a 400. */
static cJSON *parse_object(const char *body, size_t len, struct srv_error *err)
{
    const char *end = NULL;
    cJSON *root = body ? cJSON_ParseWithLengthOpts(body, len, &end, 0) : NULL;
    /* only whitespace may follow the value */
    while (root && end < body + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (root && end != body + len) {
        cJSON_Delete(root);
        root = NULL;
    }
    if (!root) {
        srv_error_set(err, 400, INVALID, NULL, "the request body is not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        srv_error_set(err, 400, INVALID, NULL, "the request body must be a JSON object");
        return NULL;
    }
    return root;
}

/* A member, with JSON null read as absent. */
static const cJSON *field(const cJSON *root, const char *name)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, name);
    return cJSON_IsNull(f) ? NULL : f;
}

static int get_bool(const cJSON *root, const char *name, int *out, struct srv_error *err)
{
    const cJSON *f = field(root, name);
    if (!f)
        return 0;
    if (!cJSON_IsBool(f))
        return srv_error_set(err, 400, INVALID, name, "'%s' must be a boolean", name);
    *out = cJSON_IsTrue(f);
    return 0;
}

/* A number in [lo, hi] into *out; absent leaves *out as it is. */
static int get_float(const cJSON *root, const char *name, double lo, double hi, float *out,
                     struct srv_error *err)
{
    const cJSON *f = field(root, name);
    if (!f)
        return 0;
    if (!cJSON_IsNumber(f) || !isfinite(f->valuedouble))
        return srv_error_set(err, 400, INVALID, name, "'%s' must be a number", name);
    if (f->valuedouble < lo || f->valuedouble > hi)
        return srv_error_set(err, 400, INVALID, name, "'%s' must be between %g and %g (got %g)",
                             name, lo, hi, f->valuedouble);
    *out = (float)f->valuedouble;
    return 0;
}

static int is_integer(const cJSON *f, double lo, double hi)
{
    return cJSON_IsNumber(f) && isfinite(f->valuedouble) && f->valuedouble == floor(f->valuedouble) &&
           f->valuedouble >= lo && f->valuedouble <= hi;
}

/* An integer in [lo, hi]; *present (may be NULL) says whether it was given. */
static int get_int(const cJSON *root, const char *name, double lo, double hi, double *out,
                   int *present, struct srv_error *err)
{
    const cJSON *f = field(root, name);
    if (present)
        *present = f != NULL;
    if (!f)
        return 0;
    if (!is_integer(f, -9007199254740992.0, 9007199254740992.0))
        return srv_error_set(err, 400, INVALID, name, "'%s' must be an integer", name);
    if (f->valuedouble < lo || f->valuedouble > hi)
        return srv_error_set(err, 400, INVALID, name, "'%s' must be between %.0f and %.0f (got %.0f)",
                             name, lo, hi, f->valuedouble);
    *out = f->valuedouble;
    return 0;
}

/* Text parts of an OpenAI content array, joined by newlines; NULL with err set if any part is
 * not text. */
static char *join_text_parts(const cJSON *parts, int index, struct srv_error *err)
{
    size_t len = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (!cJSON_IsObject(p) || !cJSON_IsString(type) || strcmp(type->valuestring, "text") ||
            !cJSON_IsString(text)) {
            srv_error_set(err, 400, INVALID, "messages", "messages[%d].content: only parts "
                          "{\"type\": \"text\", \"text\": \"...\"} are supported", index);
            return NULL;
        }
        len += strlen(text->valuestring) + 1;
    }
    char *out = malloc(len + 1), *w = out;
    if (!out) {
        srv_error_set(err, 500, "server_error", NULL, "out of memory");
        return NULL;
    }
    cJSON_ArrayForEach(p, parts) {
        const char *t = cJSON_GetObjectItemCaseSensitive(p, "text")->valuestring;
        if (w != out)
            *w++ = '\n';
        size_t n = strlen(t);
        memcpy(w, t, n);
        w += n;
    }
    *w = '\0';
    return out;
}

/* One message, copied with its content as a plain string (what chat templates expect). */
static cJSON *normalise_message(const cJSON *m, int index, struct srv_error *err)
{
    if (!cJSON_IsObject(m)) {
        srv_error_set(err, 400, INVALID, "messages", "messages[%d] must be an object", index);
        return NULL;
    }
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
    if (!cJSON_IsString(role)) {
        srv_error_set(err, 400, INVALID, "messages", "messages[%d].role must be a string", index);
        return NULL;
    }
    const cJSON *content = field(m, "content");
    char *joined = NULL;
    const char *text = "";
    if (cJSON_IsString(content)) {
        text = content->valuestring;
    } else if (cJSON_IsArray(content)) {
        if (!(joined = join_text_parts(content, index, err)))
            return NULL;
        text = joined;
    } else if (content) {
        srv_error_set(err, 400, INVALID, "messages", "messages[%d].content must be a string or "
                      "an array of text parts", index);
        return NULL;
    }
    cJSON *copy = cJSON_Duplicate(m, 1);
    cJSON *s = cJSON_CreateString(text);
    free(joined);
    if (!copy || !s || (cJSON_HasObjectItem(copy, "content")
                            ? !cJSON_ReplaceItemInObjectCaseSensitive(copy, "content", s)
                            : !cJSON_AddItemToObject(copy, "content", s))) {
        cJSON_Delete(copy);
        cJSON_Delete(s);
        srv_error_set(err, 500, "server_error", NULL, "out of memory");
        return NULL;
    }
    return copy;
}

static char *print(const cJSON *j, struct srv_error *err)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        srv_error_set(err, 500, "server_error", NULL, "out of memory");
    return s;
}

/* "messages" (required, non-empty) and "tools" (optional array) as JSON text. */
static int parse_messages(const cJSON *root, char **messages_json, char **tools_json,
                          struct srv_error *err)
{
    const cJSON *msgs = field(root, "messages");
    if (!msgs)
        return srv_error_set(err, 400, INVALID, "messages", "'messages' is required");
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return srv_error_set(err, 400, INVALID, "messages", "'messages' must be a non-empty array");
    const cJSON *tools = field(root, "tools");
    if (tools && !cJSON_IsArray(tools))
        return srv_error_set(err, 400, INVALID, "tools", "'tools' must be an array");
    cJSON *out = cJSON_CreateArray();
    if (!out)
        return srv_error_set(err, 500, "server_error", NULL, "out of memory");
    const cJSON *m;
    int i = 0;
    cJSON_ArrayForEach(m, msgs) {
        cJSON *copy = normalise_message(m, i++, err);
        if (!copy) {
            cJSON_Delete(out);
            return -1;
        }
        cJSON_AddItemToArray(out, copy);
    }
    *messages_json = print(out, err);
    cJSON_Delete(out);
    if (!*messages_json)
        return -1;
    if (tools && cJSON_GetArraySize(tools) > 0 && !(*tools_json = print(tools, err))) {
        free(*messages_json);
        *messages_json = NULL;
        return -1;
    }
    return 0;
}

/* An array of token ids (non-negative 32-bit integers) into a malloc'd array. */
static int parse_ids(const cJSON *arr, const char *name, int32_t **ids, size_t *n,
                     struct srv_error *err)
{
    size_t count = (size_t)cJSON_GetArraySize(arr);
    if (count > SRV_MAX_IDS)
        return srv_error_set(err, 400, INVALID, name, "'%s' holds %zu ids (at most %u)", name,
                             count, SRV_MAX_IDS);
    int32_t *out = malloc((count ? count : 1) * sizeof *out);
    if (!out)
        return srv_error_set(err, 500, "server_error", NULL, "out of memory");
    size_t k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        if (!is_integer(v, 0, INT32_MAX)) {
            free(out);
            return srv_error_set(err, 400, INVALID, name, "'%s' must hold token ids "
                                 "(non-negative integers)", name);
        }
        out[k++] = (int32_t)v->valuedouble;
    }
    *ids = out;
    *n = k;
    return 0;
}

static int set_prompt_text(struct srv_request *r, const char *text, struct srv_error *err)
{
    r->prompt_len = strlen(text);
    if (!(r->prompt = strdup(text)))
        return srv_error_set(err, 500, "server_error", NULL, "out of memory");
    return 0;
}

/* "prompt": a string, token ids, or a one-element array of either. */
static int parse_prompt(const cJSON *root, struct srv_request *r, struct srv_error *err)
{
    const cJSON *p = field(root, "prompt");
    if (!p)
        return srv_error_set(err, 400, INVALID, "prompt", "'prompt' is required");
    if (cJSON_IsString(p))
        return set_prompt_text(r, p->valuestring, err);
    if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) == 0)
        return srv_error_set(err, 400, INVALID, "prompt", "'prompt' must be a string, an array "
                             "of token ids, or an array holding one of those");
    const cJSON *first = cJSON_GetArrayItem(p, 0);
    if (cJSON_IsNumber(first))
        return parse_ids(p, "prompt", &r->prompt_ids, &r->n_prompt_ids, err);
    if (cJSON_GetArraySize(p) > 1)
        return srv_error_set(err, 400, INVALID, "prompt", "only one prompt per request is supported");
    if (cJSON_IsString(first))
        return set_prompt_text(r, first->valuestring, err);
    if (cJSON_IsArray(first) && cJSON_GetArraySize(first) > 0)
        return parse_ids(first, "prompt", &r->prompt_ids, &r->n_prompt_ids, err);
    return srv_error_set(err, 400, INVALID, "prompt", "'prompt' must be a string, an array of "
                         "token ids, or an array holding one of those");
}

static int add_stop(struct srv_request *r, const cJSON *item, struct srv_error *err)
{
    if (!cJSON_IsString(item))
        return srv_error_set(err, 400, INVALID, "stop", "'stop' must be a string or an array of strings");
    size_t len = strlen(item->valuestring);
    if (len > SRV_MAX_STOP_LEN)
        return srv_error_set(err, 400, INVALID, "stop", "stop strings are at most %d bytes",
                             SRV_MAX_STOP_LEN);
    if (len == 0) /* matches nowhere useful: ignored, as stop_create does */
        return 0;
    if (!(r->stop[r->n_stop] = strdup(item->valuestring)))
        return srv_error_set(err, 500, "server_error", NULL, "out of memory");
    r->n_stop++;
    return 0;
}

/* "stop": a string or an array of strings. */
static int parse_stop(const cJSON *root, struct srv_request *r, struct srv_error *err)
{
    const cJSON *s = field(root, "stop");
    if (!s)
        return 0;
    if (!cJSON_IsArray(s))
        return add_stop(r, s, err);
    if (cJSON_GetArraySize(s) > SRV_MAX_STOP)
        return srv_error_set(err, 400, INVALID, "stop", "'stop' holds more than %d strings",
                             SRV_MAX_STOP);
    const cJSON *item;
    cJSON_ArrayForEach(item, s)
        if (add_stop(r, item, err))
            return -1;
    return 0;
}

/* Sampling settings; llama-server's defaults for what is absent. */
static int parse_sampling(const cJSON *root, struct srv_request *r, struct srv_error *err)
{
    axvk_sampling *s = &r->sampling;
    *s = (axvk_sampling){.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
                         .repeat_penalty = 1.0f, .penalty_last_n = 64};
    double v;
    int present;
    if (get_float(root, "temperature", 0, 100, &s->temperature, err) ||
        get_float(root, "top_p", 0, 1, &s->top_p, err) ||
        get_float(root, "min_p", 0, 1, &s->min_p, err) ||
        get_float(root, "presence_penalty", -2, 2, &s->presence_penalty, err) ||
        get_float(root, "frequency_penalty", -2, 2, &s->frequency_penalty, err) ||
        get_float(root, "repeat_penalty", 0, 100, &s->repeat_penalty, err))
        return -1;
    if (get_int(root, "top_k", 0, UINT32_MAX, &v, &present, err))
        return -1;
    if (present)
        s->top_k = (uint32_t)v;
    if (get_int(root, "repeat_last_n", 0, 1024, &v, &present, err))
        return -1;
    if (present)
        s->penalty_last_n = v > 0 ? (uint32_t)v : 1; /* the API's 0 means its default */
    if (get_int(root, "seed", -9007199254740992.0, 9007199254740992.0, &v, &r->has_seed, err))
        return -1;
    if (r->has_seed)
        s->seed = (uint64_t)(int64_t)v;
    return 0;
}

/* max_tokens / max_completion_tokens, n, stream, stream_options, logprobs, top_logprobs. */
static int parse_limits(const cJSON *root, struct srv_request *r, struct srv_error *err)
{
    double v;
    int present;
    if (get_int(root, "max_tokens", 1, UINT32_MAX, &v, &present, err))
        return -1;
    if (present)
        r->max_tokens = (uint32_t)v;
    if (get_int(root, "max_completion_tokens", 1, UINT32_MAX, &v, &present, err))
        return -1;
    if (present)
        r->max_tokens = (uint32_t)v;
    if (get_int(root, "n", 1, 1, &v, NULL, err)) {
        snprintf(err->message, sizeof err->message, "only 'n' = 1 is supported");
        return -1;
    }
    if (get_bool(root, "stream", &r->stream, err))
        return -1;
    const cJSON *so = field(root, "stream_options");
    if (so && !cJSON_IsObject(so))
        return srv_error_set(err, 400, INVALID, "stream_options", "'stream_options' must be an object");
    if (so && get_bool(so, "include_usage", &r->include_usage, err))
        return -1;
    if (r->kind == SRV_CHAT) {
        if (get_bool(root, "logprobs", &r->logprobs, err) ||
            get_int(root, "top_logprobs", 0, AXVK_MAX_LOGPROBS, &v, &present, err))
            return -1;
        if (present && v > 0 && !r->logprobs)
            return srv_error_set(err, 400, INVALID, "top_logprobs",
                                 "'top_logprobs' needs 'logprobs': true");
        r->top_logprobs = present ? (uint32_t)v : 0;
    } else {
        if (get_int(root, "logprobs", 0, AXVK_MAX_LOGPROBS, &v, &r->logprobs, err))
            return -1;
        r->top_logprobs = r->logprobs ? (uint32_t)v : 0;
    }
    return 0;
}

int srv_request_parse(const char *body, size_t len, enum srv_kind kind, struct srv_request *out,
                      struct srv_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    cJSON *root = parse_object(body, len, err);
    if (!root)
        return -1;
    const cJSON *model = field(root, "model");
    int rc = 0;
    if (model && !cJSON_IsString(model))
        rc = srv_error_set(err, 400, INVALID, "model", "'model' must be a string");
    if (!rc)
        rc = kind == SRV_CHAT ? parse_messages(root, &out->messages_json, &out->tools_json, err)
                              : parse_prompt(root, out, err);
    if (!rc)
        rc = parse_sampling(root, out, err);
    if (!rc)
        rc = parse_limits(root, out, err);
    if (!rc)
        rc = parse_stop(root, out, err);
    cJSON_Delete(root);
    if (rc)
        srv_request_free(out);
    return rc;
}

void srv_request_free(struct srv_request *r)
{
    free(r->messages_json);
    free(r->tools_json);
    free(r->prompt);
    free(r->prompt_ids);
    for (size_t i = 0; i < r->n_stop; i++)
        free(r->stop[i]);
    enum srv_kind kind = r->kind;
    memset(r, 0, sizeof *r);
    r->kind = kind;
}

int srv_tokenize_parse(const char *body, size_t len, struct srv_tokenize *out,
                       struct srv_error *err)
{
    memset(out, 0, sizeof *out);
    out->parse_special = 1;
    cJSON *root = parse_object(body, len, err);
    if (!root)
        return -1;
    const cJSON *c = field(root, "content");
    int add_special = 0;
    int rc = 0;
    if (!cJSON_IsString(c))
        rc = srv_error_set(err, 400, INVALID, "content", "'content' must be a string");
    else if (get_bool(root, "add_special", &add_special, err) ||
             get_bool(root, "parse_special", &out->parse_special, err) ||
             get_bool(root, "with_pieces", &out->with_pieces, err))
        rc = -1;
    else if (!(out->content = strdup(c->valuestring)))
        rc = srv_error_set(err, 500, "server_error", NULL, "out of memory");
    else
        out->content_len = strlen(out->content);
    cJSON_Delete(root);
    return rc;
}

void srv_tokenize_free(struct srv_tokenize *t)
{
    free(t->content);
    memset(t, 0, sizeof *t);
}

int srv_detokenize_parse(const char *body, size_t len, int32_t **ids, size_t *n_ids,
                         struct srv_error *err)
{
    *ids = NULL;
    *n_ids = 0;
    cJSON *root = parse_object(body, len, err);
    if (!root)
        return -1;
    const cJSON *t = field(root, "tokens");
    int rc = cJSON_IsArray(t) ? parse_ids(t, "tokens", ids, n_ids, err)
                              : srv_error_set(err, 400, INVALID, "tokens",
                                              "'tokens' must be an array of token ids");
    cJSON_Delete(root);
    return rc;
}

int srv_template_parse(const char *body, size_t len, char **messages_json, char **tools_json,
                       struct srv_error *err)
{
    *messages_json = NULL;
    *tools_json = NULL;
    cJSON *root = parse_object(body, len, err);
    if (!root)
        return -1;
    int rc = parse_messages(root, messages_json, tools_json, err);
    cJSON_Delete(root);
    return rc;
}
