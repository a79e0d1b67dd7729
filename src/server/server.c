/* server/server: the server's life — bind, load, stop — and the small read-only endpoints
 * (/health, /v1/models, /metrics). The order of shutdown matters: the scheduler stops first
 * (ending every request), then the connection threads, then the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "server/server_impl.h"

#define DEFAULT_BODY (8u << 20)
#define DEFAULT_QUEUE 64
#define DEFAULT_TIMEOUT 600

/* splitmix64 over a per-process seed: ids never repeat within a run and differ between runs;
 * they are not secrets, so no cryptographic source is needed. */
uint64_t server_random(struct server *s)
{
    uint64_t z = s->id_seed + 0x9e3779b97f4a7c15ull * (atomic_fetch_add(&s->n_ids, 1) + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int server_start(const struct server_opts *o, struct server **out, char *msg, size_t msg_size)
{
    *out = NULL;
    struct server *s = calloc(1, sizeof *s);
    if (!s || (o->n_api_keys && !(s->keys = calloc(o->n_api_keys, sizeof *s->keys)))) {
        free(s);
        snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    s->o = *o;
    if (!s->o.host)
        s->o.host = "127.0.0.1";
    if (!s->o.max_body)
        s->o.max_body = DEFAULT_BODY;
    if (!s->o.max_queue)
        s->o.max_queue = DEFAULT_QUEUE;
    if (!s->o.timeout_s)
        s->o.timeout_s = DEFAULT_TIMEOUT;
    s->o.api_keys = NULL; /* the caller's array need not outlive this call: keys are copied */
    pthread_mutex_init(&s->text_mu, NULL);
    for (size_t i = 0; i < o->n_api_keys; i++) {
        if (!o->api_keys[i][0])
            continue;
        if (!(s->keys[s->n_keys++] = strdup(o->api_keys[i]))) {
            snprintf(msg, msg_size, "out of memory");
            server_destroy(s);
            return -1;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->id_seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    s->created = (long long)ts.tv_sec;
    if (http_start(s, msg, msg_size)) {
        server_destroy(s);
        return -1;
    }
    *out = s;
    return 0;
}

uint16_t server_port(const struct server *s)
{
    return s->port;
}

/* The id clients see: --alias, else the model file's (or directory's) name. */
static void set_model_id(struct server *s)
{
    const char *name = s->o.alias;
    char path[sizeof s->model_id];
    if (!name) {
        snprintf(path, sizeof path, "%s", s->o.model_path);
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
            path[--n] = '\0';
        const char *slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
    }
    snprintf(s->model_id, sizeof s->model_id, "%s", name);
}

static int fail(char *msg, size_t msg_size, const char *what, const axvk_context *ctx)
{
    snprintf(msg, msg_size, "%s: %s", what, axvk_errmsg(ctx));
    return -1;
}

int server_load(struct server *s, char *msg, size_t msg_size)
{
    const struct server_opts *o = &s->o;
    axvk_context_desc text_cd = {.flags = AXVK_CONTEXT_NO_GPU};
    axvk_model_desc text_md = {.chat_template = o->chat_template, .vocab_only = 1};
    if (axvk_context_create(&text_cd, &s->text_ctx))
        return fail(msg, msg_size, "context", NULL);
    if (axvk_model_load(s->text_ctx, o->model_path, &text_md, &s->text_model))
        return fail(msg, msg_size, "loading the vocabulary", s->text_ctx);
    /* the context length comes from the file's trained length, so the text copy is read first */
    axvk_model_info info;
    axvk_model_get_info(s->text_model, &info);
    s->n_seq = o->n_seq ? o->n_seq : 1;
    s->n_ctx = o->n_ctx ? o->n_ctx : info.n_ctx_train && info.n_ctx_train < 4096 ? info.n_ctx_train : 4096;
    axvk_context_desc cd = {.device = o->device};
    axvk_model_desc md = {.n_ctx = s->n_ctx, .n_seq = s->n_seq, .kv_type = o->kv_type,
                          .quant = o->quant, .chat_template = o->chat_template,
                          .numerics = o->numerics};
    axvk_session_desc sd = {.n_ctx = s->n_ctx, .n_seq = s->n_seq};
    if (axvk_context_create(&cd, &s->ctx))
        return fail(msg, msg_size, "device", NULL);
    if (axvk_model_load(s->ctx, o->model_path, &md, &s->model))
        return fail(msg, msg_size, "loading the weights", s->ctx);
    if (axvk_session_create(s->model, &sd, &s->session))
        return fail(msg, msg_size, "session", s->ctx);
    axvk_model_get_info(s->model, &s->info);
    set_model_id(s);
    struct sched_opts so = {.ctx = s->ctx, .model = s->model, .session = s->session,
                            .n_seq = s->n_seq, .n_ctx = s->n_ctx, .max_queue = o->max_queue,
                            .n_batch = o->n_batch};
    if (sched_create(&so, &s->sched, msg, msg_size))
        return -1;
    s->created = (long long)time(NULL);
    /* everything the endpoints read is set above; the store publishes it to the HTTP threads */
    atomic_store(&s->ready, 1);
    return 0;
}

void server_destroy(struct server *s)
{
    if (!s)
        return;
    atomic_store(&s->ready, 0);
    sched_stop(s->sched); /* running requests end; their connections then finish */
    http_stop(s);
    sched_destroy(s->sched);
    axvk_session_destroy(s->session);
    axvk_model_destroy(s->model);
    axvk_context_destroy(s->ctx);
    axvk_model_destroy(s->text_model);
    axvk_context_destroy(s->text_ctx);
    for (size_t i = 0; i < s->n_keys; i++)
        free(s->keys[i]);
    free(s->keys);
    pthread_mutex_destroy(&s->text_mu);
    free(s);
}

enum MHD_Result endpoint_health(struct server *s, struct MHD_Connection *c)
{
    if (!atomic_load(&s->ready)) {
        struct srv_error e;
        srv_error_set(&e, 503, "unavailable_error", NULL, "Loading model");
        return http_error(c, &e);
    }
    char *ok = strdup("{\"status\":\"ok\"}");
    return http_json(c, 200, ok);
}

enum MHD_Result endpoint_models(struct server *s, struct MHD_Connection *c)
{
    const axvk_model_info *i = &s->info;
    cJSON *root = cJSON_CreateObject(), *data, *m, *meta;
    int ok = root && cJSON_AddStringToObject(root, "object", "list") &&
             (data = cJSON_AddArrayToObject(root, "data")) && (m = cJSON_CreateObject()) &&
             cJSON_AddItemToArray(data, m) && cJSON_AddStringToObject(m, "id", s->model_id) &&
             cJSON_AddStringToObject(m, "object", "model") &&
             cJSON_AddNumberToObject(m, "created", (double)s->created) &&
             cJSON_AddStringToObject(m, "owned_by", "axvk") &&
             (meta = cJSON_AddObjectToObject(m, "meta")) &&
             cJSON_AddStringToObject(meta, "arch", i->arch) &&
             cJSON_AddStringToObject(meta, "type", i->type) &&
             cJSON_AddNumberToObject(meta, "n_vocab", i->n_vocab) &&
             cJSON_AddNumberToObject(meta, "n_ctx_train", i->n_ctx_train) &&
             cJSON_AddNumberToObject(meta, "n_embd", i->dim) &&
             cJSON_AddNumberToObject(meta, "n_params", (double)i->n_params) &&
             cJSON_AddNumberToObject(meta, "size", (double)i->weight_bytes) &&
             cJSON_AddNumberToObject(meta, "n_ctx", s->n_ctx) &&
             cJSON_AddNumberToObject(meta, "n_parallel", s->n_seq);
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return http_json(c, 200, json);
}

/* Appends one metric (HELP, TYPE, sample) to buf. */
static void metric(char *buf, size_t size, size_t *len, const char *name, const char *type,
                   const char *help, double value)
{
    /* Prometheus text format 0.0.4; names use '_' (':' is reserved for recording rules) */
    if (*len < size)
        *len += (size_t)snprintf(buf + *len, size - *len, "# HELP axvk_%s %s\n# TYPE axvk_%s %s\n"
                                 "axvk_%s %.17g\n", name, help, name, type, name, value);
}

enum MHD_Result endpoint_metrics(struct server *s, struct MHD_Connection *c)
{
    if (!s->o.metrics) {
        struct srv_error e;
        srv_error_set(&e, 501, "not_supported_error", NULL,
                      "this server does not serve metrics (start it with --metrics)");
        return http_error(c, &e);
    }
    struct sched_stats st;
    sched_get_stats(s->sched, &st);
    size_t size = 8192, len = 0;
    char *buf = malloc(size);
    if (!buf)
        return http_json(c, 500, NULL);
    buf[0] = '\0';
    metric(buf, size, &len, "requests_total", "counter",
           "Generation requests finished with a stop or the length limit.", (double)st.requests_done);
    metric(buf, size, &len, "requests_cancelled_total", "counter",
           "Generation requests whose client went away.", (double)st.requests_cancelled);
    metric(buf, size, &len, "requests_failed_total", "counter",
           "Generation requests ended by an error.", (double)st.requests_failed);
    metric(buf, size, &len, "http_requests_total", "counter", "HTTP requests answered.",
           (double)atomic_load(&s->http_requests));
    metric(buf, size, &len, "http_errors_total", "counter", "HTTP answers with a status >= 400.",
           (double)atomic_load(&s->http_errors));
    metric(buf, size, &len, "prompt_tokens_total", "counter", "Prompt tokens processed.",
           (double)st.prompt_tokens);
    metric(buf, size, &len, "prompt_seconds_total", "counter", "Wall time spent on prompts.",
           st.prompt_seconds);
    metric(buf, size, &len, "tokens_predicted_total", "counter", "Tokens generated.",
           (double)st.generated_tokens);
    metric(buf, size, &len, "tokens_predicted_seconds_total", "counter",
           "Wall time spent in generation steps.", st.generate_seconds);
    metric(buf, size, &len, "prompt_tokens_seconds", "gauge",
           "Average prompt throughput in tokens/s.",
           st.prompt_seconds > 0 ? (double)st.prompt_tokens / st.prompt_seconds : 0);
    metric(buf, size, &len, "predicted_tokens_seconds", "gauge",
           "Average generation throughput in tokens/s, all slots together.",
           st.generate_seconds > 0 ? (double)st.generated_tokens / st.generate_seconds : 0);
    metric(buf, size, &len, "decode_steps_total", "counter", "Batched sample-and-decode steps.",
           (double)st.steps);
    metric(buf, size, &len, "requests_processing", "gauge", "Slots generating now.", st.active);
    metric(buf, size, &len, "requests_deferred", "gauge", "Requests queued for a slot.", st.queued);
    metric(buf, size, &len, "slots_total", "gauge", "Sequences decoded together (-np).", st.n_seq);
    metric(buf, size, &len, "kv_cache_tokens", "gauge", "Tokens held in the KV cache.",
           (double)st.kv_used);
    metric(buf, size, &len, "kv_cache_usage_ratio", "gauge",
           "KV cache use: tokens held / (slots x context).",
           st.kv_capacity ? (double)st.kv_used / (double)st.kv_capacity : 0);
    struct MHD_Response *r = MHD_create_response_from_buffer(len < size ? len : size - 1, buf,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}
