/* server/server_impl: the server object shared by server.c (lifecycle, model, metrics), http.c
 * (libmicrohttpd, routing, keys, body limits) and the endpoint files. Not installed. */
#ifndef AXVK_SERVER_IMPL_H
#define AXVK_SERVER_IMPL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "axvk.h"
#include "server/request.h"
#include "server/sched.h"
#include "server/server.h"

struct server {
    struct server_opts o;
    char **keys;                  /* [n_keys] API keys, copied */
    size_t n_keys;
    struct MHD_Daemon *mhd;
    uint16_t port;
    atomic_int ready;             /* 0 while loading; 1 once the scheduler runs */

    /* text work of the HTTP threads (templates, tokenizing) runs on a weight-less copy of the
     * model with its own context, one thread at a time, so it never touches the GPU context
     * the scheduler thread owns */
    pthread_mutex_t text_mu;
    axvk_context *text_ctx;
    axvk_model *text_model;

    axvk_context *ctx;            /* the scheduler thread's from server_load on */
    axvk_model *model;
    axvk_session *session;
    struct sched *sched;

    axvk_model_info info;
    char model_id[256];
    uint32_t n_ctx, n_seq;
    long long created;            /* Unix seconds at load */
    atomic_ullong n_ids;          /* response ids and default seeds drawn */
    uint64_t id_seed;
    atomic_ullong http_requests;  /* every request answered */
    atomic_ullong http_errors;    /* answered with a status >= 400 */
};

/* ---- http.c ---- */

/* Binds o.host:o.port and starts the connection threads; -1 with msg on failure. */
int http_start(struct server *s, char *msg, size_t msg_size);
/* Closes every connection and joins its thread. */
void http_stop(struct server *s);

/* Queues a JSON body (taken: freed here) with the status; NULL body means out of memory (500). */
enum MHD_Result http_json(struct MHD_Connection *c, unsigned status, char *json);
/* Queues an OpenAI-shaped error. */
enum MHD_Result http_error(struct MHD_Connection *c, const struct srv_error *e);
/* 1 when the client of the connection has closed its end (or the socket failed). */
int http_client_gone(struct MHD_Connection *c);
int http_fd_gone(int fd);

/* ---- endpoints ---- */

enum MHD_Result endpoint_generate(struct server *s, struct MHD_Connection *c, enum srv_kind kind,
                                  const char *body, size_t len);
enum MHD_Result endpoint_tokenize(struct server *s, struct MHD_Connection *c, const char *body,
                                  size_t len);
enum MHD_Result endpoint_detokenize(struct server *s, struct MHD_Connection *c, const char *body,
                                    size_t len);
enum MHD_Result endpoint_template(struct server *s, struct MHD_Connection *c, const char *body,
                                  size_t len);
enum MHD_Result endpoint_health(struct server *s, struct MHD_Connection *c);
enum MHD_Result endpoint_models(struct server *s, struct MHD_Connection *c);
enum MHD_Result endpoint_metrics(struct server *s, struct MHD_Connection *c);

/* ---- text.c: tokenizer and template work of the HTTP threads (on the text model) ---- */

/* The bytes of token id, malloc'd; a reply_token_fn (user: the server). */
char *server_token_bytes(void *server, int32_t id, size_t *len);
/* The prompt of a request as token ids (malloc'd): the chat template rendered and tokenized, the
 * completion text tokenized, or the ids given checked against the vocabulary. -1 with a 400. */
int server_prompt(struct server *s, const struct srv_request *r, int32_t **ids, size_t *n,
                  struct srv_error *e);

/* A fresh 64-bit value for response ids and default seeds (splitmix64 of a counter). */
uint64_t server_random(struct server *s);

#endif
