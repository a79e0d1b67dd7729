/* fuzz_request: libFuzzer target for the server's request bodies. The first byte picks the
 * endpoint (chat, completion, tokenize, detokenize, apply-template), the rest is the body. Any
 * bytes must give either a validated request or an OpenAI error that is itself valid JSON; a
 * parsed request's text must come back out of the reply builder as valid UTF-8 JSON. The first
 * byte modulo 5 is the endpoint, so the seeds start with a letter: A chat ... E apply-template. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "server/reply.h"
#include "server/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_request: %s: %s\n", what, detail ? detail : "(null)");
    abort();
}

/* The JSON text must parse, and be valid UTF-8 throughout. */
static void check_json(const char *json, const char *what)
{
    if (!json)
        die(what, "no JSON (out of memory?)");
    cJSON *root = cJSON_Parse(json);
    if (!root || !reply_utf8_valid(json, strlen(json)))
        die(what, json);
    cJSON_Delete(root);
}

static void check_error(const struct srv_error *e)
{
    if ((e->http != 400 && e->http != 500) || !e->type || !memchr(e->message, '\0', sizeof e->message))
        die("error", e->message);
    char *json = reply_error(e);
    check_json(json, "error reply");
    free(json);
}

static char *piece(void *user, int32_t id, size_t *len)
{
    /* token ids echo back as their low byte: any byte value, UTF-8 or not */
    char *p = malloc(2);
    p[0] = (char)id;
    p[1] = '\0';
    *len = 1;
    return p;
}

static void check_request(const struct srv_request *r)
{
    if (r->n_stop > SRV_MAX_STOP)
        die("stop", "too many");
    for (size_t i = 0; i < r->n_stop; i++)
        if (!r->stop[i][0] || strlen(r->stop[i]) > SRV_MAX_STOP_LEN)
            die("stop", r->stop[i]);
    if (r->top_logprobs > AXVK_MAX_LOGPROBS || (r->kind == SRV_CHAT && !r->messages_json))
        die("request", "fields out of range");
    if (r->messages_json) {
        cJSON *m = cJSON_Parse(r->messages_json);
        if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) == 0)
            die("messages", r->messages_json);
        cJSON_Delete(m);
    }
    /* the prompt text as an answer, with the prompt ids as logprobs */
    struct reply_meta meta = {.kind = r->kind, .id = "x", .model = "m", .token = piece};
    struct srv_lp lps[4] = {0};
    size_t n_lps = r->n_prompt_ids < 4 ? r->n_prompt_ids : 4;
    for (size_t i = 0; i < n_lps; i++) {
        lps[i].lp.chosen.id = r->prompt_ids[i];
        lps[i].lp.top[0].id = r->prompt_ids[i];
        lps[i].n_top = 1;
    }
    char *json = reply_final(&meta, r->prompt ? r->prompt : "", r->prompt_len, lps, n_lps,
                             SRV_FINISH_STOP, 1, 2);
    check_json(json, "reply");
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    struct srv_error e;
    switch (data[0] % 5) {
    case 0:
    case 1: {
        struct srv_request r;
        if (srv_request_parse(body, len, data[0] % 5 ? SRV_COMPLETION : SRV_CHAT, &r, &e)) {
            check_error(&e);
            break;
        }
        check_request(&r);
        srv_request_free(&r);
        break;
    }
    case 2: {
        struct srv_tokenize t;
        if (srv_tokenize_parse(body, len, &t, &e))
            check_error(&e);
        srv_tokenize_free(&t);
        break;
    }
    case 3: {
        int32_t *ids;
        size_t n;
        if (srv_detokenize_parse(body, len, &ids, &n, &e))
            check_error(&e);
        for (size_t i = 0; i < n; i++)
            if (ids[i] < 0)
                die("detokenize", "negative id");
        free(ids);
        break;
    }
    default: {
        char *messages, *tools;
        if (srv_template_parse(body, len, &messages, &tools, &e))
            check_error(&e);
        free(messages);
        free(tools);
        break;
    }
    }
    return 0;
}
