/* session: buffers of a running model and the host side of each step — writing ids and
 * positions, choosing or recording the command buffer, submitting, reading 4 bytes back. */
#include "model/session.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "kernels/attention.h"
#include "kernels/kv_cache.h"
#include "kernels/sample.h"

/* Distinct ids a penalty window may hold per sequence (llama.cpp's default window is 64). */
#define PENALTY_PAIRS 256

static axvk_status alloc(struct session *s, struct vkbuf *b, uint64_t bytes, const char *what,
                         struct err *err)
{
    return vkmem_alloc(s->dev, bytes ? bytes : 4, what, b, err);
}

static axvk_status alloc_host(struct session *s, struct vkbuf *b, uint64_t bytes, const char *what,
                              struct err *err)
{
    return vkmem_alloc_host(s->dev, bytes ? bytes : 4, what, b, err);
}

static axvk_status alloc_buffers(struct session *s, struct err *err)
{
    const struct model_hparams *hp = &s->m->hp;
    uint64_t rows = s->n_batch > s->n_seq ? s->n_batch : s->n_seq;
    uint64_t q_dim = (uint64_t)hp->n_head * hp->head_dim, kv_dim = (uint64_t)hp->n_kv_head * hp->head_dim;
    uint64_t logits = 4ull * s->n_seq * hp->n_vocab;
    axvk_status st;
    if ((st = alloc(s, &s->x, rows * hp->dim * 4, "residual stream", err)) ||
        (st = alloc(s, &s->xb, rows * hp->dim * 4, "normed activations", err)) ||
        (st = alloc(s, &s->q, rows * q_dim * 4, "queries", err)) ||
        (st = alloc(s, &s->k, rows * kv_dim * 4, "keys", err)) ||
        (st = alloc(s, &s->v, rows * kv_dim * 4, "values", err)) ||
        (st = alloc(s, &s->att, rows * q_dim * 4, "attention output", err)) ||
        (st = alloc(s, &s->gate, rows * hp->ffn_dim * 4, "ffn gate", err)) ||
        (st = alloc(s, &s->up, rows * hp->ffn_dim * 4, "ffn up", err)) ||
        (st = alloc(s, &s->logits, logits, "logits", err)) ||
        (st = alloc(s, &s->step_logits, logits, "step logits", err)) ||
        (st = alloc_host(s, &s->ids_in, rows * 4, "token ids", err)) ||
        (st = alloc_host(s, &s->pos_in, rows * 4, "positions", err)))
        return st;
    /* a rounded copy of any product input: xb [rows, dim], att [rows, q_dim], gate [rows, ffn] */
    uint64_t widest = hp->dim > q_dim ? hp->dim : q_dim;
    widest = widest > hp->ffn_dim ? widest : hp->ffn_dim;
    if (s->round_acts &&
        (st = alloc(s, &s->rounded, rows * widest * 4, "rounded activations", err)))
        return st;
    struct attn_decode_args probe = {.cache_type = s->m->kv_type, .n_seq = s->n_seq,
                                     .n_head = hp->n_head, .n_kv_head = hp->n_kv_head,
                                     .head_dim = hp->head_dim, .n_ctx = s->seq_stride};
    if ((st = alloc(s, &s->attn_scratch, attn_decode_scratch_bytes(&probe), "attention scratch", err)))
        return st;
    s->k_cache = mem_calloc(hp->n_layers, sizeof *s->k_cache);
    s->v_cache = mem_calloc(hp->n_layers, sizeof *s->v_cache);
    if (!s->k_cache || !s->v_cache)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "KV cache table");
    uint64_t kv = kern_kv_bytes(s->m->kv_type, s->n_seq * s->seq_stride, hp->n_kv_head, hp->head_dim);
    if (!kv)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "head_dim %u cannot be cached as %s",
                       hp->head_dim, wtype_get(s->m->kv_type)->name);
    kv = (kv + 3) & ~3ull; /* cache buffers are read as 32-bit words */
    for (uint32_t l = 0; l < hp->n_layers; l++)
        if ((st = alloc(s, &s->k_cache[l], kv, "K cache", err)) ||
            (st = alloc(s, &s->v_cache[l], kv, "V cache", err)))
            return st;
    s->pen_stride = PENALTY_PAIRS;
    struct kern_sample_shape shape = {.n_vocab = hp->n_vocab, .n_rows = s->n_seq,
                                      .pen_stride = s->pen_stride,
                                      .n_logprobs = SAMPLE_MAX_LOGPROBS};
    if ((st = alloc_host(s, &s->sample_params, s->n_seq * sizeof(struct sample_params), "sampling settings", err)) ||
        (st = alloc_host(s, &s->sample_pen, 8ull * s->n_seq * s->pen_stride, "penalty window", err)) ||
        (st = alloc_host(s, &s->sample_out, 8ull * s->n_seq * (1 + SAMPLE_MAX_LOGPROBS),
                         "sampled ids", err)) ||
        (st = alloc(s, &s->sample_scratch, kern_sample_scratch_bytes(&shape), "sampling scratch", err)) ||
        (st = alloc(s, &s->argmax_scratch, kern_argmax_scratch_bytes(hp->n_vocab, s->n_seq), "argmax scratch", err)) ||
        (st = alloc_host(s, &s->step_argmax, 4ull * s->n_seq, "step argmax", err)) ||
        (st = alloc_host(s, &s->prefill_argmax, 4, "prefill argmax", err)))
        return st;
    return AXVK_OK;
}

axvk_status session_create(struct session **out, struct model *m, const struct session_opts *o,
                           struct err *err)
{
    *out = NULL;
    if (!m->dev)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "the model was loaded without weights");
    if (o->n_seq < 1 || o->n_seq > SESSION_MAX_SEQ || o->n_ctx < 1 || o->n_batch < 1)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "session: n_seq %u (1..%d), n_ctx %u and n_batch %u must be positive",
                       o->n_seq, SESSION_MAX_SEQ, o->n_ctx, o->n_batch);
    struct session *s = mem_calloc(1, sizeof *s);
    if (!s)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "session");
    s->m = m;
    s->dev = m->dev;
    s->n_ctx = o->n_ctx;
    s->n_seq = o->n_seq;
    s->n_batch = o->n_batch;
    s->timestamps = o->timestamps;
    s->round_acts = m->numerics == MODEL_NUMERICS_LLAMA_CPU;
    s->seq_stride = o->n_ctx + 1;
    for (uint32_t q = 0; q < SESSION_MAX_SEQ; q++)
        s->greedy_id[q] = -1;
    axvk_status st = alloc_buffers(s, err);
    struct vkrec_desc rd = {.max_dispatches = 64 + 24 * m->hp.n_layers,
                            .timestamps = (uint32_t)o->timestamps};
    if (!st)
        st = vkrec_create(s->dev, &rd, &s->prefill, err);
    if (!st)
        st = vkrec_create(s->dev, NULL, &s->sampler, err);
    if (st) {
        session_destroy(s);
        return st;
    }
    *out = s;
    return AXVK_OK;
}

void session_destroy(struct session *s)
{
    if (!s)
        return;
    vkrec_destroy(s->prefill);
    vkrec_destroy(s->sampler);
    for (int i = 0; i < SESSION_DECODE_CACHE; i++)
        vkrec_destroy(s->decode[i].rec);
    struct vkbuf *bufs[] = {&s->x, &s->xb, &s->q, &s->k, &s->v, &s->att, &s->gate, &s->up,
                            &s->rounded, &s->logits, &s->step_logits, &s->attn_scratch,
                            &s->ids_in, &s->pos_in, &s->sample_params, &s->sample_pen, &s->sample_out, &s->sample_scratch,
                            &s->argmax_scratch, &s->step_argmax, &s->prefill_argmax};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        vkmem_free(s->dev, bufs[i]);
    for (uint32_t l = 0; s->k_cache && l < s->m->hp.n_layers; l++) {
        vkmem_free(s->dev, &s->k_cache[l]);
        vkmem_free(s->dev, &s->v_cache[l]);
    }
    mem_free(s->k_cache);
    mem_free(s->v_cache);
    mem_free(s);
}

/* Runs a recording and turns the recorder's sticky error into the caller's. With AXVK_PROFILE=1
 * the time per kernel of every submission goes to stderr. */
static axvk_status run(struct vkrec *rec, int submit_only_ended, struct err *err)
{
    axvk_status st = submit_only_ended ? vkrec_submit(rec) : vkrec_run(rec);
    if (!st)
        st = vkrec_wait(rec);
    if (st && err)
        *err = *vkrec_err(rec);
    if (!st && vkrec_dev(rec)->profile)
        vkrec_profile_print(rec, stderr);
    return st;
}

static axvk_status check_ids(const struct session *s, const int32_t *ids, uint32_t n, struct err *err)
{
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] < 0 || (uint32_t)ids[i] >= s->m->hp.n_vocab)
            return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "token id %d outside the vocabulary (%u)",
                           ids[i], s->m->hp.n_vocab);
    return AXVK_OK;
}

void session_clear(struct session *s, uint32_t seq)
{
    s->n_past[seq] = 0;
    s->greedy_id[seq] = -1;
}

axvk_status session_feed(struct session *s, uint32_t seq, const int32_t *ids, uint32_t n,
                         struct err *err)
{
    if (seq >= s->n_seq)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "sequence %u of %u", seq, s->n_seq);
    if (n > s->n_ctx - s->n_past[seq])
        return err_set(err, AXVK_ERR_CONTEXT_FULL,
                       "sequence %u holds %u tokens; %u more exceed the context of %u", seq,
                       s->n_past[seq], n, s->n_ctx);
    axvk_status st = check_ids(s, ids, n, err);
    for (uint32_t done = 0; done < n && !st; ) {
        uint32_t chunk = n - done < s->n_batch ? n - done : s->n_batch;
        uint32_t *id = (uint32_t *)s->ids_in.map, *pos = (uint32_t *)s->pos_in.map;
        for (uint32_t t = 0; t < chunk; t++) {
            id[t] = (uint32_t)ids[done + t];
            pos[t] = s->n_past[seq] + t;
        }
        if ((st = vkrec_begin(s->prefill)) == AXVK_OK) {
            forward_record_prefill(s, s->prefill, seq, chunk);
            st = run(s->prefill, 0, err);
        } else {
            *err = *vkrec_err(s->prefill);
        }
        if (!st) {
            s->n_past[seq] += chunk;
            s->last_id[seq] = (uint32_t)ids[done + chunk - 1];
            s->greedy_id[seq] = *(const int32_t *)s->prefill_argmax.map;
            done += chunk;
        }
    }
    return st;
}

/* The recording of a decode step over the sequences of `mask`, recorded on first use. */
static axvk_status decode_recording(struct session *s, uint32_t mask, struct vkrec **out,
                                    struct err *err)
{
    for (int i = 0; i < SESSION_DECODE_CACHE; i++)
        if (s->decode[i].rec && s->decode[i].mask == mask) {
            *out = s->decode[i].rec;
            return AXVK_OK;
        }
    struct decode_rec *slot = &s->decode[s->decode_next];
    s->decode_next = (s->decode_next + 1) % SESSION_DECODE_CACHE;
    axvk_status st = AXVK_OK;
    if (!slot->rec) {
        struct vkrec_desc rd = {.max_dispatches = 64 + 24 * s->m->hp.n_layers,
                                .timestamps = (uint32_t)s->timestamps};
        if ((st = vkrec_create(s->dev, &rd, &slot->rec, err)))
            return st;
    }
    slot->mask = 0;
    if ((st = vkrec_begin(slot->rec)) == AXVK_OK) {
        forward_record_decode(s, slot->rec, mask);
        st = vkrec_end(slot->rec);
    }
    if (st) {
        *err = *vkrec_err(slot->rec);
        return st;
    }
    slot->mask = mask;
    *out = slot->rec;
    return AXVK_OK;
}

axvk_status session_decode(struct session *s, const uint32_t *seqs, const int32_t *ids, uint32_t n,
                           struct err *err)
{
    uint32_t mask = 0;
    if (n == 0 || n > s->n_seq)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "decode of %u sequences (1..%u)", n, s->n_seq);
    axvk_status st = check_ids(s, ids, n, err);
    if (st)
        return st;
    for (uint32_t i = 0; i < n; i++) {
        if (seqs[i] >= s->n_seq || (mask & (1u << seqs[i])))
            return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "sequence %u listed twice or not below %u",
                           seqs[i], s->n_seq);
        if (s->n_past[seqs[i]] >= s->n_ctx)
            return err_set(err, AXVK_ERR_CONTEXT_FULL, "sequence %u is full (%u tokens)", seqs[i],
                           s->n_ctx);
        mask |= 1u << seqs[i];
    }
    /* columns below the highest listed sequence that are not listed run too, on their last
     * token at their next (still empty, or spare) row: their cache contents stay intact */
    uint32_t *id = (uint32_t *)s->ids_in.map, *pos = (uint32_t *)s->pos_in.map;
    uint32_t n_cols = 32 - (uint32_t)__builtin_clz(mask);
    for (uint32_t c = 0; c < n_cols; c++) {
        id[c] = s->last_id[c];
        pos[c] = s->n_past[c];
    }
    for (uint32_t i = 0; i < n; i++)
        id[seqs[i]] = (uint32_t)ids[i];
    struct vkrec *rec;
    if ((st = decode_recording(s, mask, &rec, err)) || (st = run(rec, 1, err)))
        return st;
    const int32_t *argmax = (const int32_t *)s->step_argmax.map;
    for (uint32_t i = 0; i < n; i++) {
        s->n_past[seqs[i]]++;
        s->last_id[seqs[i]] = (uint32_t)ids[i];
        s->greedy_id[seqs[i]] = argmax[seqs[i]];
    }
    return AXVK_OK;
}

axvk_status session_logits(struct session *s, uint32_t seq, float *out, struct err *err)
{
    if (seq >= s->n_seq)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "sequence %u of %u", seq, s->n_seq);
    uint64_t row = 4ull * s->m->hp.n_vocab;
    return vkmem_download(s->dev, out, &s->logits, seq * row, row, err);
}

static int is_greedy(const struct session_sampling *p)
{
    return p->temperature <= 0.0f && (p->repeat == 1.0f || p->repeat == 0.0f) &&
           p->presence == 0.0f && p->frequency == 0.0f;
}

axvk_status session_sample(struct session *s, const uint32_t *seqs, uint32_t n,
                           const struct session_sampling *params, uint32_t n_logprobs,
                           int32_t *ids, struct session_logprob *lp, struct err *err)
{
    const uint32_t n_vocab = s->m->hp.n_vocab;
    if (n_logprobs > SAMPLE_MAX_LOGPROBS || n_logprobs > n_vocab || (n_logprobs && !lp))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "%u logprobs (at most %d)", n_logprobs,
                       SAMPLE_MAX_LOGPROBS);
    /* argmax reports no probabilities: logprobs need the sampling chain, greedy rows included */
    uint32_t n_rows = 0, greedy = n_logprobs == 0, known = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (seqs[i] >= s->n_seq)
            return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "sequence %u of %u", seqs[i], s->n_seq);
        n_rows = seqs[i] + 1 > n_rows ? seqs[i] + 1 : n_rows;
        greedy &= (uint32_t)is_greedy(&params[i]);
        known &= s->greedy_id[seqs[i]] >= 0;
    }
    if (greedy && known) { /* the step that made these logits found their argmax already */
        for (uint32_t i = 0; i < n; i++)
            ids[i] = s->greedy_id[seqs[i]];
        return AXVK_OK;
    }
    axvk_status st = vkrec_begin(s->sampler);
    if (st) {
        *err = *vkrec_err(s->sampler);
        return st;
    }
    uint32_t *out = (uint32_t *)s->sample_out.map;
    if (greedy) {
        kern_argmax(s->sampler, &s->sample_out, &s->logits, &s->argmax_scratch, n_vocab, n_rows);
    } else {
        struct sample_params *sp = (struct sample_params *)s->sample_params.map;
        int32_t *pen = (int32_t *)s->sample_pen.map;
        struct kern_sampling off = {.repeat = 1.0f, .top_p = 1.0f};
        for (uint32_t r = 0; r < n_rows; r++)
            kern_sample_params(&sp[r], &off, 0.0f, 0);
        for (uint32_t i = 0; i < n; i++) {
            const struct session_sampling *p = &params[i];
            uint32_t n_pairs = 0, r = seqs[i];
            if (p->n_prev &&
                (st = kern_sample_penalty_list(pen + 2ull * r * s->pen_stride, s->pen_stride,
                                               &n_pairs, p->prev, p->n_prev, n_vocab, err)))
                return st;
            struct kern_sampling ks = {.temperature = p->temperature, .top_k = p->top_k,
                                       .top_p = p->top_p > 0.0f ? p->top_p : 1.0f,
                                       .min_p = p->min_p,
                                       .repeat = p->repeat > 0.0f ? p->repeat : 1.0f,
                                       .presence = p->presence, .frequency = p->frequency};
            kern_sample_params(&sp[r], &ks, p->u, n_pairs);
            s->greedy_id[r] = -1; /* the penalties change these logits in place */
        }
        struct kern_sample_shape shape = {.n_vocab = n_vocab, .n_rows = n_rows,
                                          .pen_stride = s->pen_stride, .n_logprobs = n_logprobs};
        struct kern_sample_bufs b = {.logits = s->logits, .params = s->sample_params,
                                     .pen = s->sample_pen, .scratch = s->sample_scratch,
                                     .out = s->sample_out};
        kern_sample(s->sampler, &b, &shape);
    }
    if ((st = run(s->sampler, 0, err)))
        return st;
    /* argmax writes one u32 per row; the sampler 1 + n_logprobs {id, logprob} pairs */
    const uint32_t stride = 2 * (1 + n_logprobs);
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t *row = out + (size_t)stride * seqs[i];
        ids[i] = (int32_t)(greedy ? out[seqs[i]] : row[0]);
        for (uint32_t k = 0; k < n_logprobs + 1 && n_logprobs; k++) {
            lp[(size_t)i * (1 + n_logprobs) + k].id = (int32_t)row[2 * k];
            memcpy(&lp[(size_t)i * (1 + n_logprobs) + k].logprob, &row[2 * k + 1], sizeof(float));
        }
    }
    return AXVK_OK;
}
