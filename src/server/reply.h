/* server/reply: the JSON the server sends — OpenAI's chat.completion, text_completion and their
 * streamed chunks, usage, logprobs, errors — built from plain values. Every string that reaches
 * the wire is valid UTF-8 (token pieces that split a character are repaired here). No HTTP, no
 * model: token text comes through a callback. */
#ifndef AXVK_SERVER_REPLY_H
#define AXVK_SERVER_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "server/job.h"
#include "server/request.h"

/* The bytes token `id` decodes to, malloc'd (*len bytes); NULL when unknown. */
typedef char *(*reply_token_fn)(void *user, int32_t id, size_t *len);

/* What every object of one response shares. */
struct reply_meta {
    enum srv_kind kind;
    char id[48];           /* "chatcmpl-..." / "cmpl-..." */
    long long created;     /* Unix seconds */
    const char *model;
    int include_usage;     /* streaming: "usage": null on chunks, then a usage chunk */
    size_t text_offset;    /* completions logprobs: bytes of text before the next token */
    reply_token_fn token;
    void *token_user;
};

/* {"error": {"code", "message", "type", "param"?, "n_prompt_tokens"?, "n_ctx"?}}; NULL when out
 * of memory. Every reply_* result is freed with free(). */
char *reply_error(const struct srv_error *e);

/* The whole non-streamed response. */
char *reply_final(struct reply_meta *m, const char *text, size_t len, const struct srv_lp *lps,
                  size_t n_lps, enum srv_finish finish, uint32_t n_prompt, uint32_t n_generated);

/* One streamed chunk: new text and the log-probabilities of the tokens behind it; `role` adds
 * the assistant role (a chat stream's first chunk); finish other than SRV_FINISH_NONE ends the
 * choice. */
char *reply_chunk(struct reply_meta *m, int role, const char *text, size_t len,
                  const struct srv_lp *lps, size_t n_lps, enum srv_finish finish);
/* The chunk after the last one when stream_options.include_usage: no choices, the counts. */
char *reply_usage_chunk(const struct reply_meta *m, uint32_t n_prompt, uint32_t n_generated);

/* text[0..len) with every ill-formed UTF-8 subsequence replaced by U+FFFD, NUL-terminated. */
char *reply_utf8_clean(const char *text, size_t len, size_t *out_len);
/* 1 when text[0..len) is well-formed UTF-8. */
int reply_utf8_valid(const char *text, size_t len);

#endif
