/* server/generate: POST /v1/chat/completions and /v1/completions. The HTTP thread validates the
 * request, builds the prompt, hands a job to the scheduler, then either waits for the whole
 * answer or streams it as server-sent events (one `data: {json}` per chunk, then
 * `data: [DONE]`). A client that goes away cancels its job: a stream notices when a write fails
 * or, while nothing is written, within WAIT_MS by looking at the socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/reply.h"
#include "server/server_impl.h"

#define WAIT_MS 200       /* how often a waiting thread looks for a closed client */
#define STREAM_BLOCK 16384

/* One streamed response (the content reader's state), freed by MHD through stream_free. */
struct stream {
    struct server *srv;
    struct srv_job *job;
    struct srv_job_cursor cur;
    struct reply_meta meta;
    int fd;
    int logprobs;
    int started, ended;
    char *out;        /* formatted events not yet handed to MHD */
    size_t out_len, out_pos, out_cap;
};

static void make_meta(struct server *s, enum srv_kind kind, int include_usage,
                      struct reply_meta *m)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    memset(m, 0, sizeof *m);
    m->kind = kind;
    int n = snprintf(m->id, sizeof m->id, "%s", kind == SRV_CHAT ? "chatcmpl-" : "cmpl-");
    uint64_t r = server_random(s);
    for (int i = 0; i < 24; i++, r /= 62) {
        if (i == 12)
            r = server_random(s);
        m->id[n + i] = alnum[r % 62];
    }
    m->id[n + 24] = '\0';
    m->created = (long long)time(NULL);
    m->model = s->model_id;
    m->include_usage = include_usage;
    m->token = server_token_bytes;
    m->token_user = s;
}

/* The HTTP answer for a job that ended in error. */
static void job_error(const struct srv_job_update *up, struct srv_error *e)
{
    if (up->status == AXVK_ERR_CANCELLED)
        srv_error_set(e, 503, "unavailable_error", NULL, "%s", up->errmsg);
    else
        srv_error_set(e, 500, "server_error", NULL, "%s (%s)", up->errmsg,
                      axvk_status_str(up->status));
}

/* Appends `data: json\n\n`; json is taken (NULL: out of memory, -1). */
static int emit(struct stream *st, char *json)
{
    if (!json)
        return -1;
    size_t n = strlen(json), need = st->out_len + n + 9;
    if (need > st->out_cap) {
        size_t cap = st->out_cap ? st->out_cap : 1024;
        while (cap < need)
            cap *= 2;
        char *grown = realloc(st->out, cap);
        if (!grown) {
            free(json);
            return -1;
        }
        st->out = grown;
        st->out_cap = cap;
    }
    st->out_len += (size_t)sprintf(st->out + st->out_len, "data: %s\n\n", json);
    free(json);
    return 0;
}

/* Formats what an update brings: a chunk of new text (and its logprobs), and at the end the
 * finishing chunk, the usage chunk and [DONE] (or an error event). */
static int format_update(struct stream *st, const struct srv_job_update *up)
{
    if ((up->text_len || (st->logprobs && up->n_lps)) &&
        emit(st, reply_chunk(&st->meta, 0, up->text, up->text_len, st->logprobs ? up->lps : NULL,
                             up->n_lps, SRV_FINISH_NONE)))
        return -1;
    if (!up->done)
        return 0;
    st->ended = 1;
    if (up->finish == SRV_FINISH_ERROR || up->finish == SRV_FINISH_CANCELLED) {
        struct srv_error e;
        job_error(up, &e);
        return emit(st, reply_error(&e));
    }
    if (emit(st, reply_chunk(&st->meta, 0, "", 0, NULL, 0, up->finish)) ||
        (st->meta.include_usage &&
         emit(st, reply_usage_chunk(&st->meta, up->n_prompt, up->n_generated))))
        return -1;
    return emit(st, strdup("[DONE]"));
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    while (st->out_pos == st->out_len) {
        if (st->ended)
            return MHD_CONTENT_READER_END_OF_STREAM;
        st->out_pos = st->out_len = 0;
        if (!st->started) {
            /* a chat stream opens with the assistant's role, before the first token */
            st->started = 1;
            if (st->meta.kind == SRV_CHAT &&
                emit(st, reply_chunk(&st->meta, 1, "", 0, NULL, 0, SRV_FINISH_NONE)))
                return MHD_CONTENT_READER_END_WITH_ERROR;
            continue;
        }
        struct srv_job_update up;
        int rc = job_wait(st->job, &st->cur, WAIT_MS, &up);
        if (rc < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (rc == 0) {
            if (http_fd_gone(st->fd))
                return MHD_CONTENT_READER_END_WITH_ERROR; /* stream_free cancels the job */
            continue;
        }
        rc = format_update(st, &up);
        srv_job_update_free(&up);
        if (rc)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = st->out_len - st->out_pos < max ? st->out_len - st->out_pos : max;
    memcpy(buf, st->out + st->out_pos, n);
    st->out_pos += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    sched_cancel(st->srv->sched, st->job); /* nothing when it has finished */
    job_release(st->job);
    free(st->out);
    free(st);
}

static enum MHD_Result answer_stream(struct server *s, struct MHD_Connection *c,
                                     struct srv_job *job, const struct reply_meta *meta,
                                     int logprobs)
{
    struct stream *st = calloc(1, sizeof *st);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct MHD_Response *r = NULL;
    if (st) {
        st->srv = s;
        st->job = job;
        st->meta = *meta;
        st->fd = ci ? ci->connect_fd : -1;
        st->logprobs = logprobs;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, st,
                                              stream_free);
    }
    if (!r) {
        sched_cancel(s->sched, job);
        job_release(job);
        free(st);
        return http_json(c, 500, NULL);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r); /* the connection holds it; stream_free runs when it lets go */
    return rc;
}

static enum MHD_Result answer_whole(struct server *s, struct MHD_Connection *c,
                                    struct srv_job *job, struct reply_meta *meta, int logprobs)
{
    while (!job_wait_done(job, WAIT_MS))
        if (http_client_gone(c)) {
            sched_cancel(s->sched, job);
            job_release(job);
            return MHD_NO; /* nobody to answer: close */
        }
    struct srv_job_cursor cur = {0};
    struct srv_job_update up;
    int rc = job_wait(job, &cur, 0, &up);
    job_release(job);
    if (rc < 0)
        return http_json(c, 500, NULL);
    enum MHD_Result res;
    if (up.finish == SRV_FINISH_ERROR || up.finish == SRV_FINISH_CANCELLED) {
        struct srv_error e;
        job_error(&up, &e);
        res = http_error(c, &e);
    } else {
        /* with logprobs asked for, an answer of no tokens still gets an (empty) list */
        static const struct srv_lp none;
        const struct srv_lp *lps = logprobs ? (up.lps ? up.lps : &none) : NULL;
        res = http_json(c, 200, reply_final(meta, up.text, up.text_len, lps, up.n_lps,
                                            up.finish, up.n_prompt, up.n_generated));
    }
    srv_job_update_free(&up);
    return res;
}

enum MHD_Result endpoint_generate(struct server *s, struct MHD_Connection *c, enum srv_kind kind,
                                  const char *body, size_t len)
{
    struct srv_request r;
    struct srv_error e;
    int32_t *ids = NULL;
    size_t n = 0;
    if (srv_request_parse(body, len, kind, &r, &e))
        return http_error(c, &e);
    if (server_prompt(s, &r, &ids, &n, &e))
        goto fail;
    if (n == 0) {
        srv_error_set(&e, 400, "invalid_request_error", kind == SRV_CHAT ? "messages" : "prompt",
                      "the prompt is empty");
        goto fail;
    }
    if (n > s->n_ctx) {
        srv_error_set(&e, 400, "exceed_context_size_error", NULL, "the request exceeds the "
                      "available context size: %zu prompt tokens, a context of %u per sequence",
                      n, s->n_ctx);
        e.n_prompt_tokens = (uint32_t)n;
        e.n_ctx = s->n_ctx;
        goto fail;
    }
    struct srv_job_spec spec = {.prompt = ids, .n_prompt = n, .sampling = r.sampling,
                                .max_tokens = r.max_tokens, .stop = r.stop, .n_stop = r.n_stop,
                                .logprobs = r.logprobs, .top_logprobs = r.top_logprobs};
    if (!r.has_seed)
        spec.sampling.seed = server_random(s);
    struct srv_job *job = job_create(&spec);
    if (!job) {
        srv_error_set(&e, 500, "server_error", NULL, "out of memory");
        goto fail;
    }
    ids = NULL; /* the job's now */
    enum sched_submit_result sr = sched_submit(s->sched, job);
    if (sr != SCHED_OK) {
        job_release(job);
        if (sr == SCHED_QUEUE_FULL)
            srv_error_set(&e, 503, "unavailable_error", NULL, "the server is busy: %u requests "
                          "already wait for a slot; try again later", s->o.max_queue);
        else
            srv_error_set(&e, 503, "unavailable_error", NULL, "the server is shutting down");
        goto fail;
    }
    struct reply_meta meta;
    make_meta(s, kind, r.stream && r.include_usage, &meta);
    int stream = r.stream, logprobs = r.logprobs;
    srv_request_free(&r);
    return stream ? answer_stream(s, c, job, &meta, logprobs)
                  : answer_whole(s, c, job, &meta, logprobs);
fail:
    free(ids);
    srv_request_free(&r);
    return http_error(c, &e);
}
