/* api/session: axvk_session (KV cache slots, feeding, decoding, sampling) and axvk_generate,
 * the prompt-to-stream loop the command line and embedders use. Keeps each sequence's recent
 * ids for the penalties and a seeded random stream for the draws. */
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "base/alloc.h"
#include "model/session.h"
#include "text/stop.h"

#define HISTORY 1024 /* recent ids kept per sequence (penalty windows are cut from it) */

struct axvk_session {
    axvk_context *ctx;
    struct session *s;
    int32_t history[SESSION_MAX_SEQ][HISTORY]; /* ring of recent ids */
    uint32_t n_history[SESSION_MAX_SEQ];       /* ids ever added, mod nothing */
    uint64_t rng[SESSION_MAX_SEQ];
    uint64_t seeded[SESSION_MAX_SEQ];          /* seed + 1 the stream was started from; 0: none */
};

static void remember(axvk_session *se, uint32_t seq, const int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        se->history[seq][se->n_history[seq]++ % HISTORY] = ids[i];
}

axvk_status axvk_session_create(axvk_model *model, const axvk_session_desc *desc,
                                axvk_session **out)
{
    static const axvk_session_desc defaults = {0};
    if (!model || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    axvk_context *ctx = api_model_context(model);
    api_begin(ctx);
    *out = NULL;
    if (!desc)
        desc = &defaults;
    struct model *m = api_model(model);
    struct session_opts o = {.n_ctx = desc->n_ctx ? desc->n_ctx : m->plan_ctx,
                             .n_seq = desc->n_seq ? desc->n_seq : m->plan_seq,
                             .n_batch = desc->n_batch ? desc->n_batch : 512};
    axvk_session *se = mem_calloc(1, sizeof *se);
    if (!se)
        return err_set(&ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "session");
    se->ctx = ctx;
    axvk_status s = session_create(&se->s, m, &o, &ctx->err);
    if (s) {
        mem_free(se);
        return s;
    }
    *out = se;
    return AXVK_OK;
}

void axvk_session_destroy(axvk_session *session)
{
    if (!session)
        return;
    session_destroy(session->s);
    mem_free(session);
}

static axvk_status check_seq(axvk_session *se, uint32_t seq)
{
    if (seq >= se->s->n_seq)
        return err_set(&se->ctx->err, AXVK_ERR_INVALID_ARGUMENT, "sequence %u: the session has %u",
                       seq, se->s->n_seq);
    return AXVK_OK;
}

axvk_status axvk_session_clear(axvk_session *session, uint32_t seq)
{
    if (!session)
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(session->ctx);
    axvk_status s = check_seq(session, seq);
    if (s)
        return s;
    session_clear(session->s, seq);
    session->n_history[seq] = 0;
    session->seeded[seq] = 0;
    return AXVK_OK;
}

axvk_status axvk_session_n_past(const axvk_session *session, uint32_t seq, uint32_t *n_past)
{
    if (!session || !n_past || seq >= session->s->n_seq)
        return AXVK_ERR_INVALID_ARGUMENT;
    *n_past = session->s->n_past[seq];
    return AXVK_OK;
}

axvk_status axvk_session_feed(axvk_session *session, uint32_t seq, const int32_t *ids, size_t n_ids)
{
    if (!session || (!ids && n_ids))
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(session->ctx);
    axvk_status s = check_seq(session, seq);
    if (!s && n_ids > UINT32_MAX)
        s = err_set(&session->ctx->err, AXVK_ERR_CONTEXT_FULL, "%zu tokens", n_ids);
    if (!s)
        s = session_feed(session->s, seq, ids, (uint32_t)n_ids, &session->ctx->err);
    if (!s)
        remember(session, seq, ids, n_ids);
    return s;
}

axvk_status axvk_session_logits(axvk_session *session, uint32_t seq, float *logits, size_t n_vocab)
{
    if (!session || !logits)
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(session->ctx);
    axvk_status s = check_seq(session, seq);
    if (!s && n_vocab != session->s->m->hp.n_vocab)
        s = err_set(&session->ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                    "logits buffer of %zu floats for a vocabulary of %u", n_vocab,
                    session->s->m->hp.n_vocab);
    if (!s)
        s = session_logits(session->s, seq, logits, &session->ctx->err);
    return s;
}

/* xorshift64*, seeded per sequence: the same seed gives the same draws. */
static float next_uniform(axvk_session *se, uint32_t seq, uint64_t seed)
{
    if (se->seeded[seq] != seed + 1) {
        se->seeded[seq] = seed + 1;
        se->rng[seq] = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
        if (!se->rng[seq])
            se->rng[seq] = 1;
    }
    uint64_t x = se->rng[seq];
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    se->rng[seq] = x;
    return (float)((x * 0x2545f4914f6cdd1dull) >> 40) / 16777216.0f;
}

axvk_status axvk_session_sample_each(axvk_session *session, const uint32_t *seqs, size_t n,
                                     const axvk_sampling *sampling, uint32_t n_logprobs,
                                     int32_t *ids, axvk_sample_logprobs *logprobs)
{
    if (!session || !seqs || !sampling || !ids || n == 0 || n > SESSION_MAX_SEQ ||
        n_logprobs > AXVK_MAX_LOGPROBS || (n_logprobs && !logprobs))
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(session->ctx);
    struct session_sampling p[SESSION_MAX_SEQ];
    int32_t window[SESSION_MAX_SEQ][HISTORY];
    for (size_t i = 0; i < n; i++) {
        axvk_status s = check_seq(session, seqs[i]);
        if (s)
            return s;
        const axvk_sampling *sp = &sampling[i];
        uint32_t seq = seqs[i];
        uint32_t last_n = sp->penalty_last_n ? sp->penalty_last_n : 64;
        uint32_t have = session->n_history[seq] < HISTORY ? session->n_history[seq] : HISTORY;
        uint32_t take = last_n < have ? last_n : have;
        for (uint32_t k = 0; k < take; k++)
            window[i][k] = session->history[seq][(session->n_history[seq] - take + k) % HISTORY];
        p[i] = (struct session_sampling){
            .temperature = sp->temperature, .top_k = sp->top_k,
            .top_p = sp->top_p, .min_p = sp->min_p,
            .repeat = sp->repeat_penalty, .presence = sp->presence_penalty,
            .frequency = sp->frequency_penalty, .prev = window[i], .n_prev = take,
            .u = next_uniform(session, seq, sp->seed)};
    }
    struct session_logprob lp[SESSION_MAX_SEQ * (1 + AXVK_MAX_LOGPROBS)];
    axvk_status s = session_sample(session->s, seqs, (uint32_t)n, p, n_logprobs, ids,
                                   n_logprobs ? lp : NULL, &session->ctx->err);
    for (size_t i = 0; !s && n_logprobs && i < n; i++) {
        const struct session_logprob *row = lp + i * (1 + n_logprobs);
        logprobs[i].chosen = (axvk_token_logprob){row[0].id, row[0].logprob};
        for (uint32_t k = 0; k < n_logprobs; k++)
            logprobs[i].top[k] = (axvk_token_logprob){row[1 + k].id, row[1 + k].logprob};
    }
    return s;
}

axvk_status axvk_session_sample(axvk_session *session, const uint32_t *seqs, size_t n,
                                const axvk_sampling *sampling, int32_t *ids)
{
    if (!sampling || n > SESSION_MAX_SEQ)
        return AXVK_ERR_INVALID_ARGUMENT;
    axvk_sampling each[SESSION_MAX_SEQ];
    for (size_t i = 0; i < n; i++)
        each[i] = *sampling;
    return axvk_session_sample_each(session, seqs, n, each, 0, ids, NULL);
}

axvk_status axvk_session_decode(axvk_session *session, const uint32_t *seqs, const int32_t *ids,
                                size_t n)
{
    if (!session || !seqs || !ids || n == 0 || n > SESSION_MAX_SEQ)
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(session->ctx);
    axvk_status s = session_decode(session->s, seqs, ids, (uint32_t)n, &session->ctx->err);
    for (size_t i = 0; !s && i < n; i++)
        remember(session, seqs[i], &ids[i], 1);
    return s;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int is_stop_id(const struct model *m, int32_t id)
{
    for (uint32_t i = 0; i < m->hp.n_stop; i++)
        if (m->hp.stop_ids[i] == id)
            return 1;
    return tokenizer_is_eog(m->tok, id);
}

/* Passes text through the stop strings to the callback; returns nonzero to end generation. */
static int deliver(const axvk_generate_desc *d, struct stop_matcher *stops, int32_t id,
                   const char *text, size_t len, axvk_finish *finish, struct err *err)
{
    const char *out;
    size_t out_len;
    int matched = stop_push(stops, text, len, &out, &out_len, err);
    if (err->status)
        return 1;
    if (d->on_token && d->on_token(d->user, id, out, out_len)) {
        *finish = AXVK_FINISH_CANCELLED;
        return 1;
    }
    if (matched)
        *finish = AXVK_FINISH_STOP;
    return matched;
}

axvk_status axvk_generate(axvk_session *session, uint32_t seq, const int32_t *prompt,
                          size_t n_prompt, const axvk_generate_desc *desc,
                          axvk_generate_result *result)
{
    static const axvk_generate_desc defaults = {0};
    if (!session || (!prompt && n_prompt))
        return AXVK_ERR_INVALID_ARGUMENT;
    if (!desc)
        desc = &defaults;
    axvk_context *ctx = session->ctx;
    struct session *s = session->s;
    const struct model *m = s->m;
    axvk_generate_result r = {.n_prompt = (uint32_t)n_prompt, .finish = AXVK_FINISH_LENGTH};
    struct tokenizer_stream *stream = NULL;
    struct stop_matcher *stops = NULL;
    double t0 = now_ms();
    axvk_status st = axvk_session_feed(session, seq, prompt, n_prompt);
    if (!st && s->n_past[seq] == 0)
        st = err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT, "nothing to continue: the prompt is empty");
    if (!st)
        st = tokenizer_stream_create(&stream, m->tok, TOKENIZER_SKIP_SPECIAL, &ctx->err);
    if (!st)
        st = stop_create(&stops, desc->stop, desc->n_stop, &ctx->err);
    double t1 = now_ms();
    r.prompt_ms = t1 - t0;
    while (!st) {
        int32_t id;
        if ((st = axvk_session_sample(session, &seq, 1, &desc->sampling, &id)))
            break;
        r.n_generated++;
        if (!desc->ignore_stop_ids && is_stop_id(m, id)) {
            r.finish = AXVK_FINISH_STOP;
            break;
        }
        const char *text;
        size_t len;
        if ((st = tokenizer_stream_push(stream, id, &text, &len, &ctx->err)))
            break;
        if (deliver(desc, stops, id, text, len, &r.finish, &ctx->err))
            break;
        if ((desc->max_tokens && r.n_generated >= desc->max_tokens) || s->n_past[seq] >= s->n_ctx)
            break; /* finish LENGTH; the last token is not fed: nothing would read its logits */
        if ((st = axvk_session_decode(session, &seq, &id, 1)))
            break;
    }
    if (!st && stream && r.finish != AXVK_FINISH_STOP && r.finish != AXVK_FINISH_CANCELLED) {
        const char *text, *out;
        size_t len, out_len;
        tokenizer_stream_flush(stream, &text, &len);
        stop_push(stops, text, len, &out, &out_len, &ctx->err);
        if (desc->on_token && out_len)
            desc->on_token(desc->user, -1, out, out_len);
        stop_flush(stops, &out, &out_len);
        if (desc->on_token && out_len)
            desc->on_token(desc->user, -1, out, out_len);
    }
    r.generate_ms = now_ms() - t1;
    tokenizer_stream_destroy(stream);
    stop_destroy(stops);
    if (result)
        *result = r;
    return st ? st : ctx->err.status;
}
