/* bench_matvec: the matvec entry of the op benchmark table — the decode product at A.X 4.0 Light
 * shapes for every weight type. Weights are filled on the GPU with one repeated word (f16 pairs
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
    uint32_t n_copies;
    struct matvec_args args;
};

static axvk_status record_call(struct vkrec *rec, uint32_t i, void *user, struct err *err)
{
    struct run *r = user;
    r->args.w = &r->w[i % r->n_copies];
    return matvec_record(rec, &r->args, NULL, err);
}

static void free_run(struct vkdev *dev, struct run *r)
{
    for (uint32_t c = 0; c < r->n_copies; c++)
        vkmem_free_split(dev, &r->w[c]);
    vkmem_free(dev, &r->args.x);
    vkmem_free(dev, &r->args.y);
    r->n_copies = 0;
}

/* Allocates and fills the buffers; AXVK_ERR_OUT_OF_DEVICE_MEMORY when even one copy does not fit. */
static axvk_status setup_run(struct bench_ctx *ctx, struct run *r, uint32_t type, uint32_t rows,
                             uint32_t k, uint32_t n_cols, struct err *err)
{
    struct vkdev *dev = ctx->dev;
    memset(r, 0, sizeof *r);
    uint64_t row_bytes = wtype_row_bytes(type, k), w_bytes = row_bytes * rows;
    /* enough copies to pass the largest last-level caches (256 MiB); CPUs: past their L3 */
    uint64_t rotate = dev->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? (64ull << 20) : (512ull << 20);
    uint32_t want = (uint32_t)(rotate / w_bytes);
    want = want < 1 ? 1 : want > MAX_COPIES ? MAX_COPIES : want;
    axvk_status st = AXVK_OK;
    for (r->n_copies = 0; r->n_copies < want; r->n_copies++) {
        if ((st = vkmem_alloc_split(dev, w_bytes, row_bytes, "bench weights", &r->w[r->n_copies],
                                    err)))
            break;
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
    for (uint32_t c = 0; c < r->n_copies; c++)
        for (uint32_t p = 0; p < r->w[c].n; p++) {
            /* parts are allocations, padded: whole words may be filled */
            struct vkbuf part = vkbuf_view(&r->w[c].parts[p], 0, (r->w[c].parts[p].size + 3) / 4 * 4);
            vkrec_fill(rec, &part, FILL_WORD);
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

static axvk_status bench_one(struct bench_ctx *ctx, uint32_t type, uint32_t rows, uint32_t k,
                             uint32_t n_cols, uint32_t iters, struct err *err)
{
    struct bench_row row = {.kernel = "matvec", .type = wtype_get(type)->name};
    snprintf(row.shape, sizeof row.shape, "%ux%u n=%u", rows, k, n_cols);
    if (!bench_wanted(ctx, row.kernel, row.shape, row.type))
        return AXVK_OK;
    struct run r;
    struct err e = {0};
    axvk_status st = setup_run(ctx, &r, type, rows, k, n_cols, &e);
    if (st == AXVK_ERR_OUT_OF_DEVICE_MEMORY || st == AXVK_ERR_UNSUPPORTED) {
        bench_note(ctx, "skipped matvec %s %s: %s", row.type, row.shape, e.msg);
        return AXVK_OK;
    }
    if (st) {
        *err = e;
        return st;
    }
    st = bench_time(ctx, record_call, &r, iters, r.w[0].n, &row.us, &row.gpu_timer, err);
    if (!st) {
        row.bytes = matvec_bytes(&r.args);
        row.flops = matvec_flops(n_cols, rows, k);
        bench_emit(ctx, &row);
    }
    free_run(ctx->dev, &r);
    return st;
}

/* bench_fn of the table: n=1 (one sequence decoding) at every shape for the main types and the
 * attention shape for the rest (every shape too unless quick), plus n=8 (batched decode). */
axvk_status bench_matvec(struct bench_ctx *ctx, struct err *err)
{
    int cpu = ctx->dev->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    uint32_t iters = ctx->iters ? ctx->iters : cpu ? (ctx->quick ? 1 : 4) : (ctx->quick ? 10 : 50);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        uint32_t n_shapes = t < N_MAIN_TYPES || !ctx->quick ? 4 : 1;
        for (uint32_t s = 0; s < n_shapes; s++) {
            axvk_status st = bench_one(ctx, types[t], shapes[s].rows, shapes[s].k, 1, iters, err);
            if (st)
                return st;
        }
    }
    for (size_t t = 0; t < N_MAIN_TYPES; t++) {
        axvk_status st = bench_one(ctx, types[t], shapes[0].rows, shapes[0].k, MATVEC_MAX_COLS,
                                   iters, err);
        if (st)
            return st;
    }
    return AXVK_OK;
}
