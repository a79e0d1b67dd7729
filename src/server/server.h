/* server: `axvk serve`, an OpenAI-compatible HTTP server (chat completions, completions, models,
 * tokenize, detokenize, apply-template, health, Prometheus metrics) over one model with n_seq
 * sequences decoded together. Built on include/axvk.h only; HTTP by libmicrohttpd, one thread per
 * connection, one scheduler thread owning the GPU session.
 *
 *   server_start()  binds and answers at once (/health says 503 while loading)
 *   server_load()   loads the model on the calling thread; then every endpoint works
 *   server_destroy() ends running requests, closes connections, frees everything */
#ifndef AXVK_SERVER_SERVER_H
#define AXVK_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct server_opts {
    const char *host;             /* numeric address or name; NULL: 127.0.0.1 */
    uint16_t port;                /* 0: any free port (server_port says which) */
    const char *model_path;       /* GGUF file or Hugging Face directory */
    uint32_t n_ctx;               /* tokens per sequence; 0: min(trained, 4096) */
    uint32_t n_seq;               /* sequences decoded together (slots), 1..8; 0: 1 */
    const char *device;           /* as axvk_context_desc.device */
    const char *kv_type;          /* as axvk_model_desc.kv_type */
    const char *quant;            /* as axvk_model_desc.quant */
    const char *numerics;         /* as axvk_model_desc.numerics */
    const char *chat_template;    /* template text overriding the model's; NULL: the model's */
    const char *alias;            /* model id reported to clients; NULL: the file name */
    const char *const *api_keys;  /* [n_api_keys]; none: no authentication */
    size_t n_api_keys;
    int metrics;                  /* serve GET /metrics */
    uint32_t timeout_s;           /* idle connection timeout; 0: 600 */
    uint64_t max_body;            /* request body limit in bytes; 0: 8 MiB */
    uint32_t max_queue;           /* requests waiting for a slot; 0: 64 */
    uint32_t n_batch;             /* prompt tokens fed between decode steps; 0: 512 */
    int quiet;                    /* no per-request log lines */
};

struct server;

/* Binds and starts answering. -1 with msg filled (msg_size bytes) on failure. */
int server_start(const struct server_opts *o, struct server **out, char *msg, size_t msg_size);
/* The port actually bound. */
uint16_t server_port(const struct server *s);
/* Loads the model, creates the session and starts the scheduler. -1 with msg on failure. */
int server_load(struct server *s, char *msg, size_t msg_size);
void server_destroy(struct server *s);

#endif
