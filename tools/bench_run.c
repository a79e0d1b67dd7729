/* bench_run: the tests of one model on one device, timed as llama-bench times them — prompt
 * processing (pp: a prompt fed in batches), text generation (tg: one token per step, no
 * sampling), both (pg), each after `depth` tokens already in the cache; one untimed warm-up,
 * then the repetitions. Works on the model layer directly (like bench-ops on the kernels): it
 * needs the recordings' timestamps and the weights' layout to turn tokens/s into bytes/s. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "bench.h"
#include "kernels/attention.h"
#include "kernels/matvec.h"
#include "model/model.h"
#include "model/session.h"

/* What one test needs while it runs. */
struct bench_ctx {
    struct session *s;
    const struct bench_plan *plan;
    uint64_t rng;
    int32_t *ids;        /* random prompt ids, as many as the longest feed */
    uint32_t n_ids;
    int tty;
    struct bench_result *r; /* the row being measured (profile target); NULL while untimed */
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint32_t max_of(const uint32_t *v, uint32_t n)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

uint32_t bench_plan_ctx(const struct bench_plan *p)
{
    uint32_t d = max_of(p->depth, p->n_depth), feed = max_of(p->n_prompt, p->n_n_prompt);
    uint32_t gen = max_of(p->n_gen, p->n_n_gen);
    uint32_t need = d + (feed > gen ? feed : gen);
    for (uint32_t i = 0; i < p->n_pg; i++)
        if (d + p->pg[2 * i] + p->pg[2 * i + 1] > need)
            need = d + p->pg[2 * i] + p->pg[2 * i + 1];
    return need ? need : 1;
}

void bench_test_name(char *out, size_t size, uint32_t n_prompt, uint32_t n_gen, uint32_t depth)
{
    int n;
    if (n_prompt && n_gen)
        n = snprintf(out, size, "pp%u+tg%u", n_prompt, n_gen);
    else if (n_prompt)
        n = snprintf(out, size, "pp%u", n_prompt);
    else
        n = snprintf(out, size, "tg%u", n_gen);
    if (depth && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " @ d%u", depth);
}

/* Adds a finished recording's time per kernel to the row being measured. */
static void add_profile(struct bench_ctx *c, const struct vkrec *rec)
{
    if (!c->r || !rec)
        return;
    const struct vkprof *p;
    uint32_t n;
    vkrec_profile(rec, &p, &n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = 0;
        while (j < c->r->n_prof && strcmp(c->r->prof[j].kernel, p[i].name))
            j++;
        if (j == c->r->n_prof) {
            if (j == BENCH_MAX_PROF)
                continue;
            snprintf(c->r->prof[j].kernel, sizeof c->r->prof[j].kernel, "%s", p[i].name);
            c->r->n_prof++;
        }
        c->r->prof[j].calls += p[i].calls;
        c->r->prof[j].ms += p[i].ms;
    }
}

/* Feeds n random tokens in chunks of the session's batch. */
static axvk_status feed(struct bench_ctx *c, uint32_t n, struct err *err)
{
    struct session *s = c->s;
    for (uint32_t done = 0; done < n;) {
        uint32_t chunk = n - done < s->n_batch ? n - done : s->n_batch;
        axvk_status st = session_feed(s, 0, c->ids + done, chunk, err);
        if (st)
            return st;
        if (c->plan->profile)
            add_profile(c, s->prefill);
        done += chunk;
    }
    return AXVK_OK;
}

/* The recording of a one-sequence decode step (sequence 0 alone). */
static const struct vkrec *decode_recording(const struct session *s)
{
    for (int i = 0; i < SESSION_DECODE_CACHE; i++)
        if (s->decode[i].rec && s->decode[i].mask == 1)
            return s->decode[i].rec;
    return NULL;
}

static axvk_status generate(struct bench_ctx *c, uint32_t n, struct err *err)
{
    const uint32_t seq = 0;
    for (uint32_t i = 0; i < n; i++) {
        c->rng ^= c->rng << 13;
        c->rng ^= c->rng >> 7;
        c->rng ^= c->rng << 17;
        int32_t id = (int32_t)(c->rng % c->s->m->hp.n_vocab);
        axvk_status st = session_decode(c->s, &seq, &id, 1, err);
        if (st)
            return st;
        if (c->plan->profile)
            add_profile(c, decode_recording(c->s));
    }
    return AXVK_OK;
}

/* Weight and activation bytes one decode step of s moves: every projection (matvec_bytes, the
 * decode kernels' own accounting, with the biases and residuals the forward pass gives them)
 * plus one embedding row. The KV cache comes on top. */
static double decode_weight_bytes(const struct session *s)
{
    const struct model *m = s->m;
    const struct model_hparams *hp = &m->hp;
    double bytes = (double)wtype_row_bytes(m->token_embd.type, hp->dim);
    for (uint32_t l = 0; l < hp->n_layers; l++) {
        const struct model_layer *L = &m->layers[l];
        const struct dev_mat *mats[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up,
                                        &L->w_down};
        const struct vkbuf none = {0};
        const struct vkbuf bias[] = {L->bq.buf, L->bk.buf, L->bv.buf, none, none, none, none};
        for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++) {
            struct matvec_args a = {.wtype = mats[i]->type, .rows = mats[i]->rows,
                                    .k = mats[i]->k, .n_cols = 1, .bias = bias[i],
                                    .res = i == 3 || i == 6 ? s->x : none};
            bytes += matvec_bytes(&a);
        }
    }
    struct matvec_args out = {.wtype = m->output.type, .rows = m->output.rows, .k = m->output.k,
                              .n_cols = 1};
    return bytes + matvec_bytes(&out);
}

static void set_time(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "bench: device 0 (NAME): MODEL: TEST: repetition 2/5" (rep 0: the warm-up), on one
 * rewritten line when stderr is a terminal. */
static void progress(const struct bench_ctx *c, const struct bench_result *r, uint32_t rep)
{
    char what[32] = "warm-up";
    if (rep)
        snprintf(what, sizeof what, "repetition %u/%u", rep, c->plan->reps);
    fprintf(stderr, "%sbench: device %u (%s): %s: %s: %s%s", c->tty ? "\r" : "", r->dev.index,
            r->dev.name, r->model_type, r->test, what, c->tty ? "\033[K" : "\n");
    fflush(stderr);
}

static int by_time(const void *a, const void *b)
{
    double x = ((const struct bench_prof *)a)->ms, y = ((const struct bench_prof *)b)->ms;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void finish_stats(struct bench_result *r)
{
    qsort(r->prof, r->n_prof, sizeof *r->prof, by_time);
    double sum_ns = 0, sum_ts = 0;
    for (uint32_t i = 0; i < r->n_samples; i++) {
        sum_ns += r->samples_ns[i];
        sum_ts += r->samples_ts[i];
    }
    r->avg_ns = sum_ns / r->n_samples;
    r->avg_ts = sum_ts / r->n_samples;
    double var_ns = 0, var_ts = 0;
    for (uint32_t i = 0; i < r->n_samples; i++) {
        var_ns += (r->samples_ns[i] - r->avg_ns) * (r->samples_ns[i] - r->avg_ns);
        var_ts += (r->samples_ts[i] - r->avg_ts) * (r->samples_ts[i] - r->avg_ts);
    }
    /* the sample standard deviation (Bessel's correction), 0 for one sample */
    r->stddev_ns = r->n_samples > 1 ? sqrt(var_ns / (r->n_samples - 1)) : 0.0;
    r->stddev_ts = r->n_samples > 1 ? sqrt(var_ts / (r->n_samples - 1)) : 0.0;
}

/* One test: warm-up, then the timed repetitions, each on an emptied cache filled to depth. */
static axvk_status run_test(struct bench_ctx *c, struct bench_result *r, struct err *err)
{
    struct session *s = c->s;
    axvk_status st = AXVK_OK;
    set_time(r->test_time, sizeof r->test_time);
    progress(c, r, 0);
    s->n_past[0] = 0;
    if (r->n_prompt)
        st = feed(c, r->n_prompt, err);
    if (!st && r->n_gen)
        st = generate(c, 1, err);
    for (uint32_t rep = 0; rep < c->plan->reps && !st; rep++) {
        progress(c, r, rep + 1);
        s->n_past[0] = 0;
        if (r->n_depth && (st = feed(c, r->n_depth, err)))
            break;
        c->r = r;
        double t0 = now_ns();
        if (r->n_prompt)
            st = feed(c, r->n_prompt, err);
        if (!st && r->n_gen)
            st = generate(c, r->n_gen, err);
        double ns = now_ns() - t0;
        c->r = NULL;
        r->samples_ns[rep] = ns;
        r->samples_ts[rep] = 1e9 * (r->n_prompt + r->n_gen) / ns;
        r->n_samples = rep + 1;
    }
    if (c->tty)
        fprintf(stderr, "\r\033[K");
    if (st)
        return st;
    finish_stats(r);
    return AXVK_OK;
}

/* Generation rows: bytes read per token (weights, and the cache at each step's length) and
 * what that is per second at the measured rate. */
static void bandwidth(struct bench_result *r, const struct model *m, double weight_bytes)
{
    const struct model_hparams *hp = &m->hp;
    double kv = 0;
    for (uint32_t i = 0; i < r->n_gen; i++)
        kv += hp->n_layers * attn_kv_bytes(m->kv_type, hp->n_kv_head, hp->head_dim,
                                           r->n_depth + i + 1);
    r->bytes_per_token = weight_bytes + kv / r->n_gen;
    r->gbps = r->bytes_per_token * r->avg_ts / 1e9;
    r->pct_copy = r->dev.copy_gbps > 0 ? 100.0 * r->gbps / r->dev.copy_gbps : 0.0;
}

static axvk_status add_row(struct bench_results *out, const struct bench_result *row,
                           struct bench_result **slot, struct err *err)
{
    if (mem_grow((void **)&out->rows, &out->cap, (size_t)out->n + 1, sizeof *out->rows))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%u result rows", out->n + 1);
    out->rows[out->n] = *row;
    *slot = &out->rows[out->n];
    return AXVK_OK;
}

/* The tests of one (batch, ubatch) session, in llama-bench's order: depths, then pp, tg, pg. */
static axvk_status run_tests(struct bench_ctx *c, const struct bench_result *base,
                             struct bench_results *out, double weight_bytes, struct err *err)
{
    const struct bench_plan *p = c->plan;
    uint32_t n_tests = p->n_n_prompt + p->n_n_gen + p->n_pg;
    for (uint32_t di = 0; di < p->n_depth; di++) {
        for (uint32_t t = 0; t < n_tests; t++) {
            struct bench_result row = *base, *r = NULL;
            row.n_depth = p->depth[di];
            if (t < p->n_n_prompt) {
                row.n_prompt = p->n_prompt[t];
            } else if (t < p->n_n_prompt + p->n_n_gen) {
                row.n_gen = p->n_gen[t - p->n_n_prompt];
            } else {
                row.n_prompt = p->pg[2 * (t - p->n_n_prompt - p->n_n_gen)];
                row.n_gen = p->pg[2 * (t - p->n_n_prompt - p->n_n_gen) + 1];
            }
            if (!row.n_prompt && !row.n_gen)
                continue; /* -p 0 / -n 0 switch a kind of test off */
            bench_test_name(row.test, sizeof row.test, row.n_prompt, row.n_gen, row.n_depth);
            axvk_status st = add_row(out, &row, &r, err);
            if (!st)
                st = run_test(c, r, err);
            if (st)
                return st;
            if (r->n_gen && !r->n_prompt)
                bandwidth(r, c->s->m, weight_bytes);
            out->n++;
        }
    }
    return AXVK_OK;
}

axvk_status bench_model(struct model *m, const struct bench_result *base,
                        const struct bench_plan *plan, struct bench_results *out,
                        struct err *err)
{
    struct bench_ctx c = {.plan = plan, .rng = plan->seed | 1, .tty = isatty(2)};
    uint32_t n_ctx = bench_plan_ctx(plan);
    axvk_status st = AXVK_OK;
    c.n_ids = n_ctx;
    c.ids = mem_calloc(c.n_ids, sizeof *c.ids);
    if (!c.ids)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%u prompt ids", c.n_ids);
    for (uint32_t i = 0; i < c.n_ids; i++) {
        c.rng ^= c.rng << 13;
        c.rng ^= c.rng >> 7;
        c.rng ^= c.rng << 17;
        c.ids[i] = (int32_t)(c.rng % m->hp.n_vocab);
    }
    for (uint32_t bi = 0; bi < plan->n_batch && !st; bi++) {
        for (uint32_t ui = 0; ui < plan->n_ubatch && !st; ui++) {
            struct bench_result row = *base;
            row.n_batch = plan->batch[bi];
            row.n_ubatch = plan->ubatch[ui];
            /* one submission holds at most a physical batch, and never more than a logical one */
            uint32_t chunk = row.n_batch < row.n_ubatch ? row.n_batch : row.n_ubatch;
            struct session_opts so = {.n_ctx = n_ctx, .n_seq = 1, .n_batch = chunk ? chunk : 1,
                                      .timestamps = plan->profile};
            st = session_create(&c.s, m, &so, err);
            if (!st)
                st = run_tests(&c, &row, out, decode_weight_bytes(c.s), err);
            session_destroy(c.s);
            c.s = NULL;
        }
    }
    mem_free(c.ids);
    return st;
}
