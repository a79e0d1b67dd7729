/* server/request: the bodies of the OpenAI-compatible requests, parsed and validated without
 * any model or HTTP — JSON text in, a request struct or an OpenAI-shaped error out — so the
 * whole input surface can be fuzzed. Knows nothing of tokens beyond ids given in the body. */
#ifndef AXVK_SERVER_REQUEST_H
#define AXVK_SERVER_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "axvk.h"

#define SRV_MAX_STOP 16       /* stop strings per request */
#define SRV_MAX_STOP_LEN 256  /* bytes per stop string */
#define SRV_MAX_IDS (1u << 22) /* token ids in a body (prompt or /detokenize) */

/* An error the way OpenAI's API reports it: {"error": {"code", "message", "type", "param"}}. */
struct srv_error {
    int http;          /* HTTP status, also the "code" field (llama-server's convention) */
    const char *type;  /* "invalid_request_error", "exceed_context_size_error", ... (static) */
    char message[320];
    char param[48];    /* offending field, "" when none */
    uint32_t n_prompt_tokens, n_ctx; /* exceed_context_size_error only */
};

/* Sets err and returns -1 (so parsers can `return srv_error_set(...)`). */
int srv_error_set(struct srv_error *err, int http, const char *type, const char *param,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

enum srv_kind {
    SRV_CHAT,       /* POST /v1/chat/completions */
    SRV_COMPLETION, /* POST /v1/completions */
};

/* One generation request. Strings are NUL-terminated and owned (srv_request_free). */
struct srv_request {
    enum srv_kind kind;
    char *messages_json;   /* chat: the messages as a JSON array, each content flattened to text */
    char *tools_json;      /* chat: the tools array, NULL when none */
    char *prompt;          /* completion: prompt text (NULL when given as ids) */
    size_t prompt_len;
    int32_t *prompt_ids;   /* completion: [n_prompt_ids] when the prompt is token ids */
    size_t n_prompt_ids;
    axvk_sampling sampling;
    int has_seed;          /* 0: the server picks one */
    uint32_t max_tokens;   /* 0: until a stop or the context is full */
    char *stop[SRV_MAX_STOP];
    size_t n_stop;
    int stream;
    int include_usage;     /* stream_options.include_usage */
    int logprobs;          /* report log-probabilities of the chosen tokens */
    uint32_t top_logprobs; /* and of this many most likely tokens at each step */
};

/* Parses the body of a chat or completion request. 0 and *out filled (free it), or -1 with err
 * set to a 400 naming the field; *out is then empty. llama-server's defaults fill what is absent:
 * temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, no penalties. */
int srv_request_parse(const char *body, size_t len, enum srv_kind kind, struct srv_request *out,
                      struct srv_error *err);
void srv_request_free(struct srv_request *r);

/* POST /tokenize: {"content", "add_special", "parse_special" (default true), "with_pieces"}. */
struct srv_tokenize {
    char *content;
    size_t content_len;
    int parse_special;
    int with_pieces;
};
int srv_tokenize_parse(const char *body, size_t len, struct srv_tokenize *out,
                       struct srv_error *err);
void srv_tokenize_free(struct srv_tokenize *t);

/* POST /detokenize: {"tokens": [ids]}. *ids is freed with free(). */
int srv_detokenize_parse(const char *body, size_t len, int32_t **ids, size_t *n_ids,
                         struct srv_error *err);

/* POST /apply-template: {"messages", "tools"}; the normalised JSON as for chat requests. */
int srv_template_parse(const char *body, size_t len, char **messages_json, char **tools_json,
                       struct srv_error *err);

#endif
