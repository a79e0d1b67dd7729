/* bench_prefill: timed runs of matmul and attention at A.X 4.0 Light shapes. Buffers are filled
 * on the GPU with one repeated word (f16 pairs of 1.0: valid scales and quants for every type),
 * so nothing is uploaded and no reference is needed. Owns only the buffers of a run. */
#include "kernels/bench_prefill.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/wtype.h"
#include "kernels/attention.h"
#include "kernels/bench_ops.h"
#include "kernels/matmul.h"
#include "vk/memory.h"
#include "vk/record.h"

enum entry_kind { ENTRY_MATMUL, ENTRY_DECODE, ENTRY_PREFILL };

struct entry {
    const char *name;
    enum entry_kind kind;
    uint32_t type;          /* weight type (matmul) or cache type (attention) */
    uint32_t n_tok;         /* tokens (matmul, prefill) */
    uint32_t rows, k;       /* matmul */
    uint32_t len;           /* attention: keys of the last query */
};

#define FILL_WORD 0x3c003c00u /* two f16 1.0 */
#define HEADS 28
#define KV_HEADS 4
#define HEAD_DIM 128

static const struct entry entries[] = {
    {"matmul q4_k pp512 3584x3584", ENTRY_MATMUL, WTYPE_Q4_K, 512, 3584, 3584, 0},
    {"matmul q4_k pp512 18944x3584", ENTRY_MATMUL, WTYPE_Q4_K, 512, 18944, 3584, 0},
    {"matmul q4_k pp512 3584x18944", ENTRY_MATMUL, WTYPE_Q4_K, 512, 3584, 18944, 0},
    {"matmul q8_0 pp512 3584x3584", ENTRY_MATMUL, WTYPE_Q8_0, 512, 3584, 3584, 0},
    {"matmul f16 pp512 3584x3584", ENTRY_MATMUL, WTYPE_F16, 512, 3584, 3584, 0},
    {"attn decode f16 L=512", ENTRY_DECODE, WTYPE_F16, 1, 0, 0, 512},
    {"attn decode f16 L=4096", ENTRY_DECODE, WTYPE_F16, 1, 0, 0, 4096},
    {"attn decode f16 L=16384", ENTRY_DECODE, WTYPE_F16, 1, 0, 0, 16384},
    {"attn decode q8_0 L=16384", ENTRY_DECODE, WTYPE_Q8_0, 1, 0, 0, 16384},
    {"attn prefill f16 pp512 L=512", ENTRY_PREFILL, WTYPE_F16, 512, 0, 0, 512},
    {"attn prefill f16 pp512 L=4096", ENTRY_PREFILL, WTYPE_F16, 512, 0, 0, 4096},
    {"attn prefill f16 pp512 L=16384", ENTRY_PREFILL, WTYPE_F16, 512, 0, 0, 16384},
};
#define N_ENTRIES (sizeof entries / sizeof entries[0])

uint32_t bench_prefill_count(void)
{
    return (uint32_t)N_ENTRIES;
}

const char *bench_prefill_name(uint32_t i)
{
    return i < N_ENTRIES ? entries[i].name : NULL;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The buffers of one entry; whichever are unused stay zeroed. */
struct bufs {
    struct vksplit w;
    struct vkbuf x, y, q, k, v, pos, out, scratch;
};

static void free_bufs(struct vkdev *dev, struct bufs *b)
{
    vkmem_free_split(dev, &b->w);
    struct vkbuf *all[] = {&b->x, &b->y, &b->q, &b->k, &b->v, &b->pos, &b->out, &b->scratch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        vkmem_free(dev, all[i]);
}

static axvk_status alloc_filled(struct vkdev *dev, struct vkrec *rec, uint64_t bytes,
                                struct vkbuf *out, struct err *err)
{
    axvk_status st = vkmem_alloc(dev, (bytes + 3) / 4 * 4, "benchmark buffer", out, err);
    if (!st)
        vkrec_fill(rec, out, FILL_WORD);
    return st;
}

/* Allocates and fills the entry's buffers (fills recorded on rec), and records one iteration. */
static axvk_status setup(struct vkdev *dev, struct vkrec *rec, const struct entry *e,
                         struct bufs *b, struct err *err)
{
    axvk_status st;
    if (e->kind == ENTRY_MATMUL) {
        uint64_t row_bytes = wtype_row_bytes(e->type, e->k);
        if ((st = vkmem_alloc_split(dev, row_bytes * e->rows, row_bytes, "benchmark weights",
                                    &b->w, err)))
            return st;
        for (uint32_t p = 0; p < b->w.n; p++)
            vkrec_fill(rec, &b->w.parts[p], FILL_WORD);
        if ((st = alloc_filled(dev, rec, 4ull * e->n_tok * e->k, &b->x, err)) ||
            (st = alloc_filled(dev, rec, 4ull * e->n_tok * e->rows, &b->y, err)))
            return st;
        return AXVK_OK;
    }
    uint64_t rows = e->len;
    uint64_t cache = wtype_row_bytes(e->type, (uint64_t)KV_HEADS * HEAD_DIM) * rows;
    uint64_t qo = 4ull * e->n_tok * HEADS * HEAD_DIM;
    if ((st = alloc_filled(dev, rec, qo, &b->q, err)) ||
        (st = alloc_filled(dev, rec, cache, &b->k, err)) ||
        (st = alloc_filled(dev, rec, cache, &b->v, err)) ||
        (st = alloc_filled(dev, rec, qo, &b->out, err)) ||
        (st = vkmem_alloc_host(dev, 4, "benchmark position", &b->pos, err)))
        return st;
    /* decode: the last position; prefill: the block ends at len */
    uint32_t pos = e->kind == ENTRY_DECODE ? e->len - 1 : e->len - e->n_tok;
    memcpy(b->pos.map, &pos, 4);
    if (e->kind == ENTRY_DECODE) {
        struct attn_decode_args a = {.cache_type = e->type, .n_seq = 1, .n_head = HEADS,
                                     .n_kv_head = KV_HEADS, .head_dim = HEAD_DIM,
                                     .n_ctx = e->len};
        uint64_t scratch = attn_decode_scratch_bytes(&a);
        if (scratch && (st = vkmem_alloc(dev, scratch, "benchmark scratch", &b->scratch, err)))
            return st;
    }
    return AXVK_OK;
}

static axvk_status record_once(struct vkrec *rec, const struct entry *e, struct bufs *b,
                               struct err *err)
{
    if (e->kind == ENTRY_MATMUL) {
        struct matmul_args a = {.wtype = e->type, .n_tok = e->n_tok, .rows = e->rows, .k = e->k,
                                .w = &b->w, .x = b->x, .y = b->y};
        return matmul_record(rec, &a, -1, err);
    }
    if (e->kind == ENTRY_DECODE) {
        struct attn_decode_args a = {.cache_type = e->type, .n_seq = 1, .n_head = HEADS,
                                     .n_kv_head = KV_HEADS, .head_dim = HEAD_DIM, .n_ctx = e->len,
                                     .q = b->q, .k_cache = b->k, .v_cache = b->v, .pos = b->pos,
                                     .out = b->out, .scratch = b->scratch};
        return attn_decode_record(rec, &a, err);
    }
    struct attn_prefill_args a = {.cache_type = e->type, .n_tok = e->n_tok, .n_head = HEADS,
                                  .n_kv_head = KV_HEADS, .head_dim = HEAD_DIM, .n_ctx = e->len,
                                  .q = b->q, .k_cache = b->k, .v_cache = b->v, .pos = b->pos,
                                  .out = b->out};
    return attn_prefill_record(rec, &a, err);
}

static void work_of(const struct entry *e, struct bench_prefill_result *r)
{
    double kv_row = (double)wtype_row_bytes(e->type, (uint64_t)KV_HEADS * HEAD_DIM);
    switch (e->kind) {
    case ENTRY_MATMUL:
        r->flops = matmul_flops(e->n_tok, e->rows, e->k);
        r->bytes = (double)wtype_row_bytes(e->type, e->k) * e->rows +
                   4.0 * e->n_tok * ((double)e->k + e->rows);
        break;
    case ENTRY_DECODE:
        r->flops = 4.0 * HEADS * HEAD_DIM * e->len;
        r->bytes = attn_kv_bytes(e->type, KV_HEADS, HEAD_DIM, e->len);
        break;
    case ENTRY_PREFILL: {
        /* query t of the block sees len - n_tok + t + 1 keys */
        double keys = (double)e->n_tok * (e->len - e->n_tok) + (double)e->n_tok * (e->n_tok + 1) / 2;
        r->flops = 4.0 * HEADS * HEAD_DIM * keys;
        r->bytes = 2.0 * kv_row * e->len + 8.0 * e->n_tok * HEADS * HEAD_DIM;
        break;
    }
    }
}

/* the recorder's sticky message, when it holds the failure, into err */
static axvk_status from_rec(struct vkrec *rec, axvk_status st, struct err *err)
{
    if (st && vkrec_err(rec)->status)
        *err = *vkrec_err(rec);
    return st;
}

axvk_status bench_prefill_run(struct vkdev *dev, uint32_t i, uint32_t iters,
                              struct bench_prefill_result *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    if (i >= N_ENTRIES)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "no benchmark entry %u", i);
    const struct entry *e = &entries[i];
    if (!iters)
        iters = 5;
    struct bufs b;
    memset(&b, 0, sizeof b);
    struct vkrec *rec = NULL;
    struct vkrec_desc desc = {.max_dispatches = 4 * iters + 16, .timestamps = 1};
    axvk_status st = vkrec_create(dev, &desc, &rec, err);
    if (st)
        goto fail;
    /* warm-up: fills, pipeline creation, one untimed iteration */
    vkrec_begin(rec);
    if ((st = setup(dev, rec, e, &b, err)) || (st = record_once(rec, e, &b, err)) ||
        (st = from_rec(rec, vkrec_run(rec), err)))
        goto fail;
    vkrec_begin(rec);
    for (uint32_t it = 0; it < iters && !st; it++)
        st = record_once(rec, e, &b, err);
    if (st || (st = from_rec(rec, vkrec_end(rec), err)))
        goto fail;
    double t0 = now_seconds();
    if ((st = from_rec(rec, vkrec_submit(rec), err)) || (st = from_rec(rec, vkrec_wait(rec), err)))
        goto fail;
    double host = now_seconds() - t0, gpu = vkrec_gpu_ms(rec) * 1e-3;
    out->name = e->name;
    out->gpu_timer = gpu > 0;
    out->ms = (gpu > 0 ? gpu : host) * 1e3 / iters;
    work_of(e, out);
    vkrec_destroy(rec);
    free_bufs(dev, &b);
    return AXVK_OK;
fail:
    err_wrap(err, "benchmark %s", e->name);
    vkrec_destroy(rec);
    free_bufs(dev, &b);
    return st;
}

/* Splits an entry name into the table's columns: "matmul q4_k pp512 3584x3584" is kernel matmul,
 * type q4_k, shape "pp512 3584x3584"; "attn decode f16 L=512" is kernel attn_decode. */
static void columns(const char *name, struct bench_row *row)
{
    static char type[8];
    const char *rest = name;
    if (!strncmp(name, "attn decode ", 12)) {
        row->kernel = "attn_decode";
        rest = name + 12;
    } else if (!strncmp(name, "attn prefill ", 13)) {
        row->kernel = "attn_prefill";
        rest = name + 13;
    } else {
        row->kernel = "matmul";
        rest = name + 7;
    }
    const char *space = strchr(rest, ' ');
    size_t n = space ? (size_t)(space - rest) : strlen(rest);
    snprintf(type, sizeof type, "%.*s", (int)n, rest);
    row->type = type;
    snprintf(row->shape, sizeof row->shape, "%s", space ? space + 1 : "");
}

/* --quick keeps the shapes a CPU device finishes in seconds: one matmul, the short attentions. */
static int quick_entry(const char *name)
{
    return !strcmp(name, "matmul q4_k pp512 3584x3584") || strstr(name, "L=512") ||
           !strcmp(name, "attn decode f16 L=4096");
}

axvk_status bench_prefill(struct bench_ctx *ctx, struct err *err)
{
    for (uint32_t i = 0; i < bench_prefill_count(); i++) {
        struct bench_row row = {0};
        const char *name = bench_prefill_name(i);
        columns(name, &row);
        if ((ctx->quick && !quick_entry(name)) || !bench_wanted(ctx, row.kernel, row.shape, row.type))
            continue;
        struct bench_prefill_result r;
        axvk_status st = bench_prefill_run(ctx->dev, i, ctx->iters ? ctx->iters : (ctx->quick ? 1 : 5),
                                           &r, err);
        if (st == AXVK_ERR_OUT_OF_DEVICE_MEMORY || st == AXVK_ERR_UNSUPPORTED) {
            bench_note(ctx, "skipped %s: %s", name, err->msg);
            continue;
        }
        if (st)
            return st;
        row.us = r.ms * 1e3;
        row.bytes = r.bytes;
        row.flops = r.flops;
        row.gpu_timer = r.gpu_timer;
        bench_emit(ctx, &row);
    }
    return AXVK_OK;
}
