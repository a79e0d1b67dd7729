/* bench_matvec: the matvec entry of the op benchmark table — the decode product at A.X 4.0 Light
 * shapes for every weight type, and the fused gate/up/SwiGLU product at its FFN shape. Weights are filled on the GPU with one repeated word (f16 pairs
 * of 1.0: valid scales and quants for every type), so nothing is uploaded. Owns only the buffers
 * of one row. */
#include <string.h>

#include "base/wtype.h"
#include "kernels/bench_ops.h"
#include "kernels/matvec.h"
#include "vk/memory.h"

#define FILL_WORD 0x3c003c00u /* two f16 1.0 */
#define MAX_COPIES 8

/* A.X 4.0 Light (hidden 3584, FFN 18944, vocab 102400): attention projections (q and o; k and v
 * are 512 rows), gate/up, down, lm_head. */
static const struct {
    uint32_t rows, k;
} shapes[] = {{3584, 3584}, {18944, 3584}, {3584, 18944}, {102400, 3584}};

/* the types people download first, then the rest */
static const uint32_t types[] = {WTYPE_Q4_K, WTYPE_Q8_0, WTYPE_F16,  WTYPE_BF16,
                                 WTYPE_Q6_K, WTYPE_Q5_K, WTYPE_Q4_0, WTYPE_Q4_1,
                                 WTYPE_Q5_0, WTYPE_Q5_1, WTYPE_F32};
#define N_MAIN_TYPES 3

/* One row's buffers. The weights exist in several copies used in turn, so that back-to-back calls
 * read from memory, not from a cache that a single small matrix would fit in. */
struct run {
    struct vksplit w[MAX_COPIES];
    struct vksplit up[MAX_COPIES]; /* the fused product's second matrix, else unused */
    uint32_t n_copies;
    int glu;
    struct matvec_args args;
};

static axvk_status record_call(struct vkrec *rec, uint32_t i, void *user, struct err *err)
{
    struct run *r = user;
    r->args.w = &r->w[i % r->n_copies];
    r->args.w_up = r->glu ? &r->up[i % r->n_copies] : NULL;
    return matvec_record(rec, &r->args, NULL, err);
}

static void free_run(struct vkdev *dev, struct run *r)
{
    for (uint32_t c = 0; c < r->n_copies; c++) {
        vkmem_free_split(dev, &r->w[c]);
        if (r->glu)
            vkmem_free_split(dev, &r->up[c]);
    }
    vkmem_free(dev, &r->args.x);
    vkmem_free(dev, &r->args.y);
    r->n_copies = 0;
}

/* Allocates and fills the buffers; AXVK_ERR_OUT_OF_DEVICE_MEMORY when even one copy does not fit. */
static axvk_status setup_run(struct bench_ctx *ctx, struct run *r, uint32_t type, uint32_t rows,
                             uint32_t k, uint32_t n_cols, int glu, struct err *err)
{
    struct vkdev *dev = ctx->dev;
    memset(r, 0, sizeof *r);
    r->glu = glu;
    uint64_t row_bytes = wtype_row_bytes(type, k), w_bytes = row_bytes * rows;
    /* enough copies to pass the largest last-level caches (256 MiB); CPUs: past their L3 */
    uint64_t rotate = dev->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? (64ull << 20) : (512ull << 20);
    uint32_t want = (uint32_t)(rotate / (glu ? 2 * w_bytes : w_bytes));
    want = want < 1 ? 1 : want > MAX_COPIES ? MAX_COPIES : want;
    axvk_status st = AXVK_OK;
    for (r->n_copies = 0; r->n_copies < want; r->n_copies++) {
        if ((st = vkmem_alloc_split(dev, w_bytes, row_bytes, "bench weights", &r->w[r->n_copies],
                                    err)))
            break;
        if (glu && (st = vkmem_alloc_split(dev, w_bytes, row_bytes, "bench up weights",
                                           &r->up[r->n_copies], err))) {
            vkmem_free_split(dev, &r->w[r->n_copies]);
            break;
        }
    }
    if (st && (r->n_copies == 0 || st != AXVK_ERR_OUT_OF_DEVICE_MEMORY))
        goto fail;
    r->args = (struct matvec_args){.wtype = type, .rows = rows, .k = k, .n_cols = n_cols};
    if ((st = vkmem_alloc(dev, 4ull * n_cols * k, "bench x", &r->args.x, err)) ||
        (st = vkmem_alloc(dev, 4ull * n_cols * rows, "bench y", &r->args.y, err)))
        goto fail;
    struct vkrec *rec = NULL;
    if ((st = vkrec_create(dev, NULL, &rec, err)))
        goto fail;
    vkrec_begin(rec);
    for (uint32_t c = 0; c < r->n_copies * (glu ? 2 : 1); c++) {
        const struct vksplit *w = c < r->n_copies ? &r->w[c] : &r->up[c - r->n_copies];
        for (uint32_t p = 0; p < w->n; p++) {
            /* parts are allocations, padded: whole words may be filled */
            struct vkbuf part = vkbuf_view(&w->parts[p], 0, (w->parts[p].size + 3) / 4 * 4);
            vkrec_fill(rec, &part, FILL_WORD);
        }
    }
    vkrec_fill(rec, &r->args.x, 0x3f800000u);
    st = vkrec_run(rec);
    if (st)
        *err = *vkrec_err(rec);
    vkrec_destroy(rec);
    if (st)
        goto fail;
    return AXVK_OK;
fail:
    free_run(dev, r);
    return st;
}

/* glu: the fused gate/up/SwiGLU product of two rows x k matrices (row "matvec_glu"). */
static axvk_status bench_one(struct bench_ctx *ctx, uint32_t type, uint32_t rows, uint32_t k,
                             uint32_t n_cols, int glu, uint32_t iters, struct err *err)
{
    struct bench_row row = {.kernel = glu ? "matvec_glu" : "matvec", .type = wtype_get(type)->name};
    snprintf(row.shape, sizeof row.shape, "%ux%u n=%u", rows, k, n_cols);
    if (!bench_wanted(ctx, row.kernel, row.shape, row.type))
        return AXVK_OK;
    struct run r;
    struct err e = {0};
    axvk_status st = setup_run(ctx, &r, type, rows, k, n_cols, glu, &e);
    if (st == AXVK_ERR_OUT_OF_DEVICE_MEMORY || st == AXVK_ERR_UNSUPPORTED) {
        bench_note(ctx, "skipped %s %s %s: %s", row.kernel, row.type, row.shape, e.msg);
        return AXVK_OK;
    }
    if (st) {
        *err = e;
        return st;
    }
    st = bench_time(ctx, record_call, &r, iters, r.w[0].n, &row.us, &row.gpu_timer, err);
    if (!st) {
        r.args.w_up = glu ? &r.up[0] : NULL;
        row.bytes = matvec_bytes(&r.args);
        row.flops = matvec_flops(n_cols, rows, k) * (glu ? 2 : 1);
        bench_emit(ctx, &row);
    }
    free_run(ctx->dev, &r);
    return st;
}

/* bench_fn of the table: n=1 (one sequence decoding) at every shape for the main types and the
 * attention shape for the rest (every shape too unless quick), plus n=8 (batched decode), then
 * the fused gate/up product at the FFN shape (compare with twice the plain gate row). */
axvk_status bench_matvec(struct bench_ctx *ctx, struct err *err)
{
    int cpu = ctx->dev->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    uint32_t iters = ctx->iters ? ctx->iters : cpu ? (ctx->quick ? 1 : 4) : (ctx->quick ? 10 : 50);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        uint32_t n_shapes = t < N_MAIN_TYPES || !ctx->quick ? 4 : 1;
        for (uint32_t s = 0; s < n_shapes; s++) {
            axvk_status st = bench_one(ctx, types[t], shapes[s].rows, shapes[s].k, 1, 0, iters,
                                       err);
            if (st)
                return st;
        }
    }
    for (size_t t = 0; t < N_MAIN_TYPES; t++) {
        axvk_status st = bench_one(ctx, types[t], shapes[0].rows, shapes[0].k, MATVEC_MAX_COLS,
                                   0, iters, err);
        if (st)
            return st;
    }
    /* A.X 4.0 Light's gate and up, q4_k (the FFN of Q4_K_M files), one sequence and eight */
    axvk_status st = bench_one(ctx, WTYPE_Q4_K, shapes[1].rows, shapes[1].k, 1, 1, iters, err);
    if (!st && !ctx->quick)
        st = bench_one(ctx, WTYPE_Q4_K, shapes[1].rows, shapes[1].k, MATVEC_MAX_COLS, 1, iters,
                       err);
    return st;
}
