/* server/sched: the scheduler thread and its queue. The thread is the only user of the session
 * (and so of the GPU context); HTTP threads only queue, cancel and read counters under `mu`.
 * A failure while running a request ends that request (or the requests of that step), never the
 * server: the slot is cleared and the next request takes it. */
#include "server/sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
    struct srv_job *job;       /* NULL: free */
    axvk_detok_stream *detok;  /* one per slot, reset between requests by a flush */
    axvk_stop_matcher *stops;  /* the request's stop strings */
    uint32_t n_generated;
    int fresh;                 /* admitted, its prompt not all fed */
    uint32_t n_fed;            /* prompt tokens fed so far */
};

struct sched {
    struct sched_opts o;
    int32_t stop_ids[8];
    uint32_t n_stop_ids;
    struct slot slots[8];
    uint32_t next_prefill;     /* the slot whose prompt is fed first at the next step */
    pthread_t thread;
    int started;

    pthread_mutex_t mu;        /* guards everything below */
    pthread_cond_t cv;         /* work arrived, or stop */
    struct srv_job **queue;    /* ring of max_queue */
    uint32_t q_head, q_len;
    uint32_t n_active;
    int stopping;
    struct sched_stats stats;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Ends the slot's request and frees the slot. With flush, text held back (an unfinished
 * character, a possible stop-string prefix) is delivered first: generation ended without a
 * stop string, so it can no longer become one. */
static void slot_end(struct sched *s, struct slot *sl, enum srv_finish finish, axvk_status st,
                     const char *msg, int flush)
{
    const char *text, *emit;
    size_t len, emit_len;
    axvk_detok_stream_flush(sl->detok, &text, &len);
    if (flush) {
        int matched = 0;
        if (axvk_stop_matcher_push(sl->stops, text, len, &emit, &emit_len, &matched) == AXVK_OK)
            job_append(sl->job, emit, emit_len, NULL);
        if (!matched) {
            axvk_stop_matcher_flush(sl->stops, &emit, &emit_len);
            job_append(sl->job, emit, emit_len, NULL);
        }
    }
    job_finish(sl->job, finish, st, msg);
    job_release(sl->job);
    axvk_stop_matcher_destroy(sl->stops);
    sl->stops = NULL;
    sl->job = NULL;
    sl->fresh = 0;
    pthread_mutex_lock(&s->mu);
    s->n_active--;
    if (finish == SRV_FINISH_STOP || finish == SRV_FINISH_LENGTH)
        s->stats.requests_done++;
    else if (finish == SRV_FINISH_CANCELLED)
        s->stats.requests_cancelled++;
    else
        s->stats.requests_failed++;
    pthread_mutex_unlock(&s->mu);
}

static void slot_fail(struct sched *s, struct slot *sl, axvk_status st, const char *what)
{
    char msg[320];
    snprintf(msg, sizeof msg, "%s: %s", what, axvk_errmsg(s->o.ctx));
    slot_end(s, sl, SRV_FINISH_ERROR, st, msg, 0);
}

/* Moves queued jobs into free slots, lowest slot first (a decode step runs every column up to
 * the highest active one, so packing them low keeps steps narrow). Under mu. */
static void admit(struct sched *s)
{
    for (uint32_t i = 0; i < s->o.n_seq && s->q_len; i++) {
        if (s->slots[i].job)
            continue;
        struct srv_job *job = s->queue[s->q_head];
        s->q_head = (s->q_head + 1) % s->o.max_queue;
        s->q_len--;
        s->slots[i].job = job;
        s->slots[i].fresh = 1;
        s->slots[i].n_fed = 0;
        s->slots[i].n_generated = 0;
        s->n_active++;
    }
}

/* Feeds the slot's next chunk of prompt; the first chunk clears the sequence first. The slot
 * stops being fresh with its last prompt token. */
static void prefill_chunk(struct sched *s, uint32_t seq)
{
    struct slot *sl = &s->slots[seq];
    const struct srv_job_spec *spec = job_spec(sl->job);
    axvk_status st = AXVK_OK;
    if (sl->n_fed == 0 && (st = axvk_stop_matcher_create((const char *const *)spec->stop,
                                                         spec->n_stop, &sl->stops))) {
        char msg[320];
        snprintf(msg, sizeof msg, "stop strings: %s", axvk_errmsg(NULL));
        slot_end(s, sl, SRV_FINISH_ERROR, st, msg, 0);
        return;
    }
    uint32_t left = (uint32_t)(spec->n_prompt - sl->n_fed);
    uint32_t n = left < s->o.n_batch ? left : s->o.n_batch;
    double t0 = now_s();
    if ((sl->n_fed == 0 && (st = axvk_session_clear(s->o.session, seq))) ||
        (st = axvk_session_feed(s->o.session, seq, spec->prompt + sl->n_fed, n))) {
        slot_fail(s, sl, st, "prompt");
        axvk_session_clear(s->o.session, seq);
        return;
    }
    sl->n_fed += n;
    sl->fresh = sl->n_fed < spec->n_prompt;
    pthread_mutex_lock(&s->mu);
    s->stats.prompt_tokens += n;
    s->stats.prompt_seconds += now_s() - t0;
    pthread_mutex_unlock(&s->mu);
}

/* One chunk for the first fresh slot at or after next_prefill (slots take turns, so two long
 * prompts advance together); a cancelled one leaves instead. */
static void prefill_next(struct sched *s)
{
    for (uint32_t k = 0; k < s->o.n_seq; k++) {
        uint32_t i = (s->next_prefill + k) % s->o.n_seq;
        struct slot *sl = &s->slots[i];
        if (!sl->job || !sl->fresh)
            continue;
        if (job_cancelled(sl->job)) {
            slot_end(s, sl, SRV_FINISH_CANCELLED, AXVK_OK, NULL, 0);
            continue;
        }
        prefill_chunk(s, i);
        s->next_prefill = (i + 1) % s->o.n_seq;
        return;
    }
}

static int is_stop_id(const struct sched *s, int32_t id)
{
    for (uint32_t i = 0; i < s->n_stop_ids; i++)
        if (s->stop_ids[i] == id)
            return 1;
    return 0;
}

/* Delivers one sampled token of a slot. Returns 1 when the request goes on (the token is to be
 * decoded), 0 when it ended. */
static int deliver(struct sched *s, uint32_t seq, int32_t id, const axvk_sample_logprobs *lp)
{
    struct slot *sl = &s->slots[seq];
    const struct srv_job_spec *spec = job_spec(sl->job);
    sl->n_generated++;
    job_count_token(sl->job);
    if (is_stop_id(s, id)) {
        slot_end(s, sl, SRV_FINISH_STOP, AXVK_OK, NULL, 1);
        return 0;
    }
    const char *text, *emit;
    size_t len, emit_len;
    int matched = 0;
    axvk_status st = axvk_detok_stream_push(sl->detok, id, &text, &len);
    if (!st)
        st = axvk_stop_matcher_push(sl->stops, text, len, &emit, &emit_len, &matched);
    if (st) {
        char msg[320];
        snprintf(msg, sizeof msg, "token %d: %s", id, axvk_errmsg(NULL));
        slot_end(s, sl, SRV_FINISH_ERROR, st, msg, 0);
        return 0;
    }
    struct srv_lp entry;
    if (spec->logprobs) {
        entry.lp = *lp;
        entry.n_top = spec->top_logprobs;
    }
    if (job_append(sl->job, emit, emit_len, spec->logprobs ? &entry : NULL)) {
        slot_end(s, sl, SRV_FINISH_ERROR, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of host memory", 0);
        return 0;
    }
    if (matched) {
        slot_end(s, sl, SRV_FINISH_STOP, AXVK_OK, NULL, 0);
        return 0;
    }
    uint32_t n_past = 0;
    axvk_session_n_past(s->o.session, seq, &n_past);
    if ((spec->max_tokens && sl->n_generated >= spec->max_tokens) || n_past >= s->o.n_ctx) {
        /* the last token is not decoded: nothing would read its logits */
        slot_end(s, sl, SRV_FINISH_LENGTH, AXVK_OK, NULL, 1);
        return 0;
    }
    return 1;
}

/* One batched step over the active slots: sample all, deliver, decode those that go on. */
static void step(struct sched *s)
{
    uint32_t seqs[8], go[8], n = 0, n_go = 0, n_lp = 0;
    axvk_sampling sp[8];
    int32_t ids[8], go_ids[8];
    axvk_sample_logprobs lps[8];
    for (uint32_t i = 0; i < s->o.n_seq; i++) {
        struct slot *sl = &s->slots[i];
        if (!sl->job || sl->fresh)
            continue;
        if (job_cancelled(sl->job)) {
            slot_end(s, sl, SRV_FINISH_CANCELLED, AXVK_OK, NULL, 0);
            continue;
        }
        const struct srv_job_spec *spec = job_spec(sl->job);
        /* the chosen token's log-probability alone still needs one reported entry */
        uint32_t want = spec->logprobs ? (spec->top_logprobs ? spec->top_logprobs : 1) : 0;
        n_lp = want > n_lp ? want : n_lp;
        sp[n] = spec->sampling;
        seqs[n++] = i;
    }
    if (!n)
        return;
    double t0 = now_s();
    axvk_status st = axvk_session_sample_each(s->o.session, seqs, n, sp, n_lp, ids,
                                              n_lp ? lps : NULL);
    for (uint32_t i = 0; i < n; i++) {
        if (st)
            slot_fail(s, &s->slots[seqs[i]], st, "sampling");
        else if (deliver(s, seqs[i], ids[i], &lps[i])) {
            go[n_go] = seqs[i];
            go_ids[n_go++] = ids[i];
        }
    }
    if (n_go && (st = axvk_session_decode(s->o.session, go, go_ids, n_go)))
        for (uint32_t i = 0; i < n_go; i++) {
            slot_fail(s, &s->slots[go[i]], st, "decoding");
            axvk_session_clear(s->o.session, go[i]);
        }
    pthread_mutex_lock(&s->mu);
    s->stats.steps++;
    s->stats.generated_tokens += st ? 0 : n;
    s->stats.generate_seconds += now_s() - t0;
    pthread_mutex_unlock(&s->mu);
}

/* Publishes the tokens the active slots hold (the session is this thread's to read). */
static void publish_kv(struct sched *s)
{
    uint64_t used = 0;
    for (uint32_t i = 0; i < s->o.n_seq; i++) {
        uint32_t n_past = 0;
        if (s->slots[i].job && axvk_session_n_past(s->o.session, i, &n_past) == AXVK_OK)
            used += n_past;
    }
    pthread_mutex_lock(&s->mu);
    s->stats.kv_used = used;
    pthread_mutex_unlock(&s->mu);
}

static void *sched_main(void *arg)
{
    struct sched *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->stopping && s->n_active == 0 && s->q_len == 0)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->stopping) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        admit(s);
        pthread_mutex_unlock(&s->mu);
        prefill_next(s);
        step(s);
        publish_kv(s);
    }
    for (uint32_t i = 0; i < s->o.n_seq; i++)
        if (s->slots[i].job)
            slot_end(s, &s->slots[i], SRV_FINISH_ERROR, AXVK_ERR_CANCELLED,
                     "the server is shutting down", 0);
    return NULL;
}

int sched_create(const struct sched_opts *o, struct sched **out, char *msg, size_t msg_size)
{
    *out = NULL;
    if (o->n_seq < 1 || o->n_seq > 8 || o->max_queue < 1) {
        snprintf(msg, msg_size, "scheduler: %u sequences (1..8), queue of %u", o->n_seq, o->max_queue);
        return -1;
    }
    struct sched *s = calloc(1, sizeof *s);
    if (s)
        s->queue = calloc(o->max_queue, sizeof *s->queue);
    if (!s || !s->queue) {
        if (s)
            free(s);
        snprintf(msg, msg_size, "scheduler: out of memory");
        return -1;
    }
    s->o = *o;
    if (!s->o.n_batch)
        s->o.n_batch = 512;
    axvk_model_info info;
    if (axvk_model_get_info(o->model, &info) == AXVK_OK) {
        s->n_stop_ids = info.n_stop_ids < 8 ? info.n_stop_ids : 8;
        memcpy(s->stop_ids, info.stop_ids, s->n_stop_ids * sizeof s->stop_ids[0]);
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->stats.n_seq = o->n_seq;
    s->stats.kv_capacity = (uint64_t)o->n_seq * o->n_ctx;
    for (uint32_t i = 0; i < o->n_seq; i++)
        if (axvk_detok_stream_create(o->model, AXVK_DETOKENIZE_SKIP_SPECIAL, &s->slots[i].detok)) {
            snprintf(msg, msg_size, "detokenizer: %s", axvk_errmsg(NULL));
            sched_destroy(s);
            return -1;
        }
    if (pthread_create(&s->thread, NULL, sched_main, s)) {
        snprintf(msg, msg_size, "scheduler: cannot start a thread");
        sched_destroy(s);
        return -1;
    }
    s->started = 1;
    *out = s;
    return 0;
}

void sched_stop(struct sched *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->started)
        pthread_join(s->thread, NULL);
    s->started = 0;
    /* nothing runs any more: the queued jobs are ended here */
    pthread_mutex_lock(&s->mu);
    for (; s->q_len; s->q_len--, s->q_head = (s->q_head + 1) % s->o.max_queue) {
        job_finish(s->queue[s->q_head], SRV_FINISH_ERROR, AXVK_ERR_CANCELLED,
                   "the server is shutting down");
        job_release(s->queue[s->q_head]);
    }
    pthread_mutex_unlock(&s->mu);
}

void sched_destroy(struct sched *s)
{
    if (!s)
        return;
    sched_stop(s);
    for (uint32_t i = 0; i < 8; i++)
        axvk_detok_stream_destroy(s->slots[i].detok);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->queue);
    free(s);
}

enum sched_submit_result sched_submit(struct sched *s, struct srv_job *job)
{
    enum sched_submit_result r = SCHED_OK;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        r = SCHED_STOPPING;
    } else if (s->q_len == s->o.max_queue) {
        r = SCHED_QUEUE_FULL;
    } else {
        job_retain(job);
        s->queue[(s->q_head + s->q_len) % s->o.max_queue] = job;
        s->q_len++;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

void sched_cancel(struct sched *s, struct srv_job *job)
{
    job_cancel_flag(job);
    struct srv_job *dropped = NULL;
    pthread_mutex_lock(&s->mu);
    for (uint32_t i = 0; i < s->q_len; i++) {
        uint32_t at = (s->q_head + i) % s->o.max_queue;
        if (s->queue[at] != job)
            continue;
        /* close the gap: later entries move one place forward */
        for (uint32_t k = i; k + 1 < s->q_len; k++)
            s->queue[(s->q_head + k) % s->o.max_queue] = s->queue[(s->q_head + k + 1) % s->o.max_queue];
        s->q_len--;
        s->stats.requests_cancelled++;
        dropped = job;
        break;
    }
    pthread_mutex_unlock(&s->mu);
    if (dropped) {
        job_finish(dropped, SRV_FINISH_CANCELLED, AXVK_OK, NULL);
        job_release(dropped);
    }
}

void sched_get_stats(struct sched *s, struct sched_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    out->queued = s->q_len;
    out->active = s->n_active;
    pthread_mutex_unlock(&s->mu);
}
