/* server/reply: OpenAI response objects as JSON text. Model text goes through our own escaper
 * (cJSON strings stop at a NUL byte, and a token may hold one); everything else through cJSON.
 * Field order and shapes follow OpenAI's API reference for chat completions and completions. */
#include "server/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Length of the well-formed UTF-8 character at s[0..n), 0 if ill-formed (RFC 3629: no
 * overlongs, no surrogates, nothing past U+10FFFF). */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || n < len)
        return 0;
    /* the second byte's range depends on the first (overlong, surrogate and range limits) */
    unsigned lo = 0x80, hi = 0xbf;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

int reply_utf8_valid(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char(s + i, len - i);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

char *reply_utf8_clean(const char *text, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(3 * len + 1); /* each bad byte becomes at most 3 */
    if (!out)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char(s + i, len - i);
        if (n) {
            memcpy(out + w, s + i, n);
            w += n;
            i += n;
            continue;
        }
        memcpy(out + w, "\xef\xbf\xbd", 3);
        w += 3;
        i++;
    }
    out[w] = '\0';
    if (out_len)
        *out_len = w;
    return out;
}

/* A JSON string literal of text (repaired to UTF-8), as a raw cJSON item. */
static cJSON *text_item(const char *text, size_t len)
{
    size_t n;
    char *clean = reply_utf8_clean(text, len, &n);
    if (!clean || n > (SIZE_MAX - 3) / 6) {
        free(clean);
        return NULL;
    }
    char *lit = malloc(6 * n + 3), *w = lit;
    if (!lit) {
        free(clean);
        return NULL;
    }
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)clean[i];
        if (c == '"' || c == '\\') {
            *w++ = '\\';
            *w++ = (char)c;
        } else if (c == '\n') {
            w += sprintf(w, "\\n");
        } else if (c == '\r') {
            w += sprintf(w, "\\r");
        } else if (c == '\t') {
            w += sprintf(w, "\\t");
        } else if (c < 0x20) {
            w += sprintf(w, "\\u%04x", c);
        } else {
            *w++ = (char)c;
        }
    }
    *w++ = '"';
    *w = '\0';
    free(clean);
    cJSON *item = cJSON_CreateRaw(lit);
    free(lit);
    return item;
}

/* Adds item under name; 0 when item is NULL (out of memory), so calls chain with &&. */
static int add(cJSON *obj, const char *name, cJSON *item)
{
    if (!item)
        return 0;
    cJSON_AddItemToObject(obj, name, item);
    return 1;
}

/* Appends item to an array; 0 when item is NULL. */
static int push(cJSON *arr, cJSON *item)
{
    if (!item)
        return 0;
    cJSON_AddItemToArray(arr, item);
    return 1;
}

static char *finish(cJSON *root, int ok)
{
    char *s = ok && root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return s;
}

char *reply_error(const struct srv_error *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *err = root ? cJSON_AddObjectToObject(root, "error") : NULL;
    int ok = err && cJSON_AddNumberToObject(err, "code", e->http) &&
             add(err, "message", text_item(e->message, strlen(e->message))) &&
             cJSON_AddStringToObject(err, "type", e->type ? e->type : "server_error");
    if (ok && e->param[0])
        ok = cJSON_AddStringToObject(err, "param", e->param) != NULL;
    if (ok && e->n_ctx)
        ok = cJSON_AddNumberToObject(err, "n_prompt_tokens", e->n_prompt_tokens) &&
             cJSON_AddNumberToObject(err, "n_ctx", e->n_ctx);
    return finish(root, ok);
}

static const char *finish_name(enum srv_finish f)
{
    return f == SRV_FINISH_STOP ? "stop" : f == SRV_FINISH_LENGTH ? "length" : NULL;
}

static int add_usage(cJSON *root, uint32_t n_prompt, uint32_t n_generated)
{
    cJSON *u = cJSON_AddObjectToObject(root, "usage");
    return u && cJSON_AddNumberToObject(u, "prompt_tokens", n_prompt) &&
           cJSON_AddNumberToObject(u, "completion_tokens", n_generated) &&
           cJSON_AddNumberToObject(u, "total_tokens", (double)n_prompt + n_generated);
}

/* {"token", "logprob", "bytes"} of chat logprobs, appended to arr. */
static int chat_token(const struct reply_meta *m, cJSON *arr, const axvk_token_logprob *t,
                      cJSON **out)
{
    size_t len = 0;
    char *bytes = m->token(m->token_user, t->id, &len);
    cJSON *o = cJSON_CreateObject();
    int ok = push(arr, o) && bytes && add(o, "token", text_item(bytes, len)) &&
             cJSON_AddNumberToObject(o, "logprob", t->logprob);
    cJSON *b = ok ? cJSON_AddArrayToObject(o, "bytes") : NULL;
    ok = ok && b;
    for (size_t i = 0; ok && i < len; i++)
        ok = push(b, cJSON_CreateNumber((unsigned char)bytes[i]));
    free(bytes);
    if (out)
        *out = o;
    return ok;
}

/* Chat: {"content": [{token, logprob, bytes, top_logprobs: [...]}], "refusal": null}. */
static int chat_logprobs(const struct reply_meta *m, cJSON *o, const struct srv_lp *lps, size_t n)
{
    cJSON *content = cJSON_AddArrayToObject(o, "content");
    int ok = content != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *tok = NULL, *top;
        ok = chat_token(m, content, &lps[i].lp.chosen, &tok) &&
             (top = cJSON_AddArrayToObject(tok, "top_logprobs")) != NULL;
        for (uint32_t k = 0; ok && k < lps[i].n_top; k++)
            ok = chat_token(m, top, &lps[i].lp.top[k], NULL);
    }
    return ok && cJSON_AddNullToObject(o, "refusal");
}

/* Completions: {"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}. */
static int completion_logprobs(struct reply_meta *m, cJSON *o, const struct srv_lp *lps, size_t n)
{
    cJSON *tokens = cJSON_AddArrayToObject(o, "tokens");
    cJSON *lp = cJSON_AddArrayToObject(o, "token_logprobs");
    cJSON *top = cJSON_AddArrayToObject(o, "top_logprobs");
    cJSON *off = cJSON_AddArrayToObject(o, "text_offset");
    int ok = tokens && lp && top && off;
    for (size_t i = 0; ok && i < n; i++) {
        size_t len = 0;
        char *bytes = m->token(m->token_user, lps[i].lp.chosen.id, &len);
        ok = bytes && push(tokens, text_item(bytes, len)) &&
             push(lp, cJSON_CreateNumber(lps[i].lp.chosen.logprob)) &&
             push(off, cJSON_CreateNumber((double)m->text_offset));
        free(bytes);
        m->text_offset += len;
        cJSON *alts = cJSON_CreateObject();
        ok = ok && push(top, alts);
        for (uint32_t k = 0; ok && k < lps[i].n_top; k++) {
            char *alt = m->token(m->token_user, lps[i].lp.top[k].id, &len);
            char *key = alt ? reply_utf8_clean(alt, len, NULL) : NULL;
            /* two pieces may repair to the same text: the first (more likely) one is kept */
            ok = key && (cJSON_HasObjectItem(alts, key) ||
                         cJSON_AddNumberToObject(alts, key, lps[i].lp.top[k].logprob));
            free(alt);
            free(key);
        }
    }
    return ok;
}

/* The common head: id, object, created, model. */
static cJSON *head(const struct reply_meta *m, const char *object)
{
    cJSON *root = cJSON_CreateObject();
    if (root && !(cJSON_AddStringToObject(root, "id", m->id) &&
                  cJSON_AddStringToObject(root, "object", object) &&
                  cJSON_AddNumberToObject(root, "created", (double)m->created) &&
                  cJSON_AddStringToObject(root, "model", m->model))) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* "logprobs" of a choice: null when off, else the kind's object. */
static int add_logprobs(struct reply_meta *m, cJSON *choice, const struct srv_lp *lps, size_t n,
                        int on)
{
    if (!on)
        return cJSON_AddNullToObject(choice, "logprobs") != NULL;
    cJSON *o = cJSON_AddObjectToObject(choice, "logprobs");
    return o && (m->kind == SRV_CHAT ? chat_logprobs(m, o, lps, n)
                                     : completion_logprobs(m, o, lps, n));
}

static int add_finish(cJSON *choice, enum srv_finish f)
{
    const char *name = finish_name(f);
    return (name ? cJSON_AddStringToObject(choice, "finish_reason", name)
                 : cJSON_AddNullToObject(choice, "finish_reason")) != NULL;
}

/* The response head with one choice {"index": 0}; *choice receives it. */
static cJSON *with_choice(const struct reply_meta *m, const char *object, cJSON **choice)
{
    cJSON *root = head(m, object), *choices;
    *choice = NULL;
    if (root && (choices = cJSON_AddArrayToObject(root, "choices")) &&
        push(choices, *choice = cJSON_CreateObject()) &&
        cJSON_AddNumberToObject(*choice, "index", 0))
        return root;
    cJSON_Delete(root);
    return NULL;
}

char *reply_final(struct reply_meta *m, const char *text, size_t len, const struct srv_lp *lps,
                  size_t n_lps, enum srv_finish fin, uint32_t n_prompt, uint32_t n_generated)
{
    int chat = m->kind == SRV_CHAT;
    cJSON *choice, *msg;
    cJSON *root = with_choice(m, chat ? "chat.completion" : "text_completion", &choice);
    int ok = root != NULL;
    if (ok && chat)
        ok = (msg = cJSON_AddObjectToObject(choice, "message")) &&
             cJSON_AddStringToObject(msg, "role", "assistant") &&
             add(msg, "content", text_item(text, len));
    else if (ok)
        ok = add(choice, "text", text_item(text, len));
    ok = ok && add_logprobs(m, choice, lps, n_lps, lps != NULL) && add_finish(choice, fin) &&
         add_usage(root, n_prompt, n_generated);
    return finish(root, ok);
}

char *reply_chunk(struct reply_meta *m, int role, const char *text, size_t len,
                  const struct srv_lp *lps, size_t n_lps, enum srv_finish fin)
{
    int chat = m->kind == SRV_CHAT;
    cJSON *choice, *delta;
    cJSON *root = with_choice(m, chat ? "chat.completion.chunk" : "text_completion", &choice);
    int ok = root != NULL;
    if (ok && chat)
        ok = (delta = cJSON_AddObjectToObject(choice, "delta")) &&
             (!role || cJSON_AddStringToObject(delta, "role", "assistant")) &&
             (fin != SRV_FINISH_NONE || add(delta, "content", text_item(text, len)));
    else if (ok)
        ok = add(choice, "text", text_item(text, len));
    ok = ok && add_logprobs(m, choice, lps, n_lps, lps != NULL && n_lps) &&
         add_finish(choice, fin) && (!m->include_usage || cJSON_AddNullToObject(root, "usage"));
    return finish(root, ok);
}

char *reply_usage_chunk(const struct reply_meta *m, uint32_t n_prompt, uint32_t n_generated)
{
    cJSON *root = head(m, m->kind == SRV_CHAT ? "chat.completion.chunk" : "text_completion");
    int ok = root && cJSON_AddArrayToObject(root, "choices") &&
             add_usage(root, n_prompt, n_generated);
    return finish(root, ok);
}
