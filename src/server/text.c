/* server/text: everything the HTTP threads do with the tokenizer and the chat template —
 * building prompts, /tokenize, /detokenize, /apply-template, token pieces for logprobs. It runs
 * on the weight-less text model under text_mu, never on the scheduler's GPU context. Library
 * memory is copied into malloc'd memory before it leaves this file. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "server/reply.h"
#include "server/server_impl.h"

#define INVALID "invalid_request_error"

char *server_token_bytes(void *server, int32_t id, size_t *len)
{
    struct server *s = server;
    char *text = NULL, *copy = NULL;
    size_t n = 0;
    pthread_mutex_lock(&s->text_mu);
    axvk_status st = axvk_detokenize(s->text_model, &id, 1, 0, &text, &n);
    pthread_mutex_unlock(&s->text_mu);
    if (!st && (copy = malloc(n + 1))) {
        memcpy(copy, text, n);
        copy[n] = '\0';
        *len = n;
    }
    axvk_free(text);
    return copy;
}

/* Library ids into a malloc'd array. */
static int32_t *copy_ids(const int32_t *ids, size_t n)
{
    int32_t *out = malloc((n ? n : 1) * sizeof *out);
    if (out && n)
        memcpy(out, ids, n * sizeof *out);
    return out;
}

/* Tokenizes text[0..len) with special tokens parsed (as llama-server does for prompts). Under
 * text_mu. */
static int tokenize_locked(struct server *s, const char *text, size_t len, uint32_t flags,
                           int32_t **ids, size_t *n, struct srv_error *e)
{
    int32_t *lib = NULL;
    if (axvk_tokenize(s->text_model, text, len, flags, &lib, n))
        return srv_error_set(e, 400, INVALID, NULL, "tokenizing: %s", axvk_errmsg(s->text_ctx));
    *ids = copy_ids(lib, *n);
    axvk_free(lib);
    return *ids ? 0 : srv_error_set(e, 500, "server_error", NULL, "out of memory");
}

int server_prompt(struct server *s, const struct srv_request *r, int32_t **ids, size_t *n,
                  struct srv_error *e)
{
    *ids = NULL;
    *n = 0;
    if (r->prompt_ids) {
        for (size_t i = 0; i < r->n_prompt_ids; i++)
            if ((uint32_t)r->prompt_ids[i] >= s->info.n_vocab)
                return srv_error_set(e, 400, INVALID, "prompt", "token id %d is outside the "
                                     "vocabulary (%u)", r->prompt_ids[i], s->info.n_vocab);
        *n = r->n_prompt_ids;
        *ids = copy_ids(r->prompt_ids, r->n_prompt_ids);
        return *ids ? 0 : srv_error_set(e, 500, "server_error", NULL, "out of memory");
    }
    int rc;
    pthread_mutex_lock(&s->text_mu);
    if (r->kind == SRV_COMPLETION) {
        rc = tokenize_locked(s, r->prompt, r->prompt_len, 0, ids, n, e);
    } else {
        char *prompt = NULL;
        if (axvk_apply_template(s->text_model, r->messages_json, r->tools_json, 1, &prompt))
            rc = srv_error_set(e, 400, INVALID, "messages", "chat template: %s",
                               axvk_errmsg(s->text_ctx));
        else
            rc = tokenize_locked(s, prompt, strlen(prompt), 0, ids, n, e);
        axvk_free(prompt);
    }
    pthread_mutex_unlock(&s->text_mu);
    return rc;
}

/* A JSON string of text, or when the bytes are not UTF-8 (a piece of a character) the array of
 * the bytes, as llama-server gives pieces. */
static cJSON *piece_item(const char *text, size_t len)
{
    if (reply_utf8_valid(text, len) && !memchr(text, '\0', len))
        return cJSON_CreateString(text);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < len; i++) {
        cJSON *b = cJSON_CreateNumber((unsigned char)text[i]);
        if (!b || !cJSON_AddItemToArray(arr, b)) {
            cJSON_Delete(b);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

/* {"tokens": [ids]} or, with pieces, {"tokens": [{"id", "piece"}]}. */
static char *tokenize_reply(struct server *s, const int32_t *ids, size_t n, int with_pieces)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "tokens") : NULL;
    int ok = arr != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        if (!with_pieces) {
            cJSON *v = cJSON_CreateNumber(ids[i]);
            ok = v && cJSON_AddItemToArray(arr, v);
            continue;
        }
        size_t len = 0;
        cJSON *o = cJSON_CreateObject(), *piece;
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            ok = 0;
            break;
        }
        char *bytes = server_token_bytes(s, ids[i], &len);
        ok = bytes && cJSON_AddNumberToObject(o, "id", ids[i]) &&
             (piece = piece_item(bytes, len)) && cJSON_AddItemToObject(o, "piece", piece);
        free(bytes);
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return json;
}

enum MHD_Result endpoint_tokenize(struct server *s, struct MHD_Connection *c, const char *body,
                                  size_t len)
{
    struct srv_tokenize t;
    struct srv_error e;
    if (srv_tokenize_parse(body, len, &t, &e))
        return http_error(c, &e);
    int32_t *ids = NULL;
    size_t n = 0;
    pthread_mutex_lock(&s->text_mu);
    int rc = tokenize_locked(s, t.content, t.content_len,
                             t.parse_special ? 0 : AXVK_TOKENIZE_NO_SPECIAL, &ids, &n, &e);
    pthread_mutex_unlock(&s->text_mu);
    int with_pieces = t.with_pieces;
    srv_tokenize_free(&t);
    if (rc)
        return http_error(c, &e);
    char *json = tokenize_reply(s, ids, n, with_pieces);
    free(ids);
    return http_json(c, 200, json);
}

enum MHD_Result endpoint_detokenize(struct server *s, struct MHD_Connection *c, const char *body,
                                    size_t len)
{
    int32_t *ids = NULL;
    size_t n = 0;
    struct srv_error e;
    if (srv_detokenize_parse(body, len, &ids, &n, &e))
        return http_error(c, &e);
    for (size_t i = 0; i < n; i++)
        if ((uint32_t)ids[i] >= s->info.n_vocab) {
            srv_error_set(&e, 400, INVALID, "tokens", "token id %d is outside the vocabulary (%u)",
                          ids[i], s->info.n_vocab);
            free(ids);
            return http_error(c, &e);
        }
    char *text = NULL;
    size_t text_len = 0;
    pthread_mutex_lock(&s->text_mu);
    axvk_status st = axvk_detokenize(s->text_model, ids, n, 0, &text, &text_len);
    if (st)
        srv_error_set(&e, 400, INVALID, "tokens", "%s", axvk_errmsg(s->text_ctx));
    pthread_mutex_unlock(&s->text_mu);
    free(ids);
    if (st)
        return http_error(c, &e);
    char *clean = reply_utf8_clean(text, text_len, NULL);
    axvk_free(text);
    cJSON *root = cJSON_CreateObject();
    int ok = clean && root && cJSON_AddStringToObject(root, "content", clean);
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    free(clean);
    return http_json(c, 200, json);
}

enum MHD_Result endpoint_template(struct server *s, struct MHD_Connection *c, const char *body,
                                  size_t len)
{
    char *messages = NULL, *tools = NULL, *prompt = NULL;
    struct srv_error e;
    if (srv_template_parse(body, len, &messages, &tools, &e))
        return http_error(c, &e);
    pthread_mutex_lock(&s->text_mu);
    axvk_status st = axvk_apply_template(s->text_model, messages, tools, 1, &prompt);
    if (st)
        srv_error_set(&e, 400, INVALID, "messages", "chat template: %s", axvk_errmsg(s->text_ctx));
    pthread_mutex_unlock(&s->text_mu);
    free(messages);
    free(tools);
    if (st)
        return http_error(c, &e);
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "prompt", prompt);
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    axvk_free(prompt);
    return http_json(c, 200, json);
}
