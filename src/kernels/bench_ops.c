/* bench_ops: runs the op benchmark table (bench_ops.def), times recordings and prints rows next
 * to the copy-bandwidth roofline. The entries own their buffers and shapes; this owns the format. */
#include "kernels/bench_ops.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "kernels/matmul.h"

#define BENCH_OP(name, fn, summary) axvk_status fn(struct bench_ctx *ctx, struct err *err);
#include "kernels/bench_ops.def"
#undef BENCH_OP

static const struct bench_entry table[] = {
#define BENCH_OP(name, fn, summary) {#name, fn, summary},
#include "kernels/bench_ops.def"
#undef BENCH_OP
};

const struct bench_entry *bench_entries(uint32_t *n)
{
    *n = (uint32_t)(sizeof table / sizeof table[0]);
    return table;
}

int bench_wanted(const struct bench_ctx *ctx, const char *kernel, const char *shape,
                 const char *type)
{
    if (!ctx->filter || !ctx->filter[0])
        return 1;
    char name[160];
    snprintf(name, sizeof name, "%s %s %s", kernel, shape, type);
    return strstr(name, ctx->filter) != NULL;
}

void bench_emit(struct bench_ctx *ctx, const struct bench_row *row)
{
    /* bytes / µs = MB/s: / 1e3 gives GB/s; likewise flops / µs / 1e3 = GFLOP/s */
    double gbps = row->us > 0 ? row->bytes / row->us / 1e3 : 0;
    double gflops = row->us > 0 ? row->flops / row->us / 1e3 : 0;
    double pct = ctx->copy_gbps > 0 ? 100.0 * gbps / ctx->copy_gbps : 0;
    if (ctx->json)
        fprintf(ctx->out, "{\"kernel\": \"%s\", \"shape\": \"%s\", \"type\": \"%s\", \"us\": %.3f, "
                "\"gbps\": %.3f, \"gflops\": %.3f, \"pct_copy\": %.1f, \"timer\": \"%s\"}\n",
                row->kernel, row->shape, row->type, row->us, gbps, gflops, pct,
                row->gpu_timer ? "gpu" : "host");
    else
        fprintf(ctx->out, "%-10s %-20s %-6s %12.1f %9.1f %9.1f %7.1f%s\n", row->kernel, row->shape,
                row->type, row->us, gbps, gflops, pct, row->gpu_timer ? "" : "  (host timer)");
    fflush(ctx->out);
    ctx->n_rows++;
}

void bench_note(struct bench_ctx *ctx, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx->json)
        fprintf(ctx->out, "{\"note\": \"%s\"}\n", msg);
    else
        fprintf(ctx->out, "# %s\n", msg);
}

axvk_status bench_run(struct bench_ctx *ctx, const char *only, struct err *err)
{
    if (!ctx->json)
        fprintf(ctx->out, "# %s: copy bandwidth %.1f GB/s (read + write)%s\n"
                "%-10s %-20s %-6s %12s %9s %9s %7s\n", ctx->dev->info.name, ctx->copy_gbps,
                ctx->quick ? ", quick run" : "", "kernel", "shape", "type", "time us", "GB/s",
                "GFLOP/s", "% copy");
    /* which prefill product the matmul rows time: the f16-input cooperative-matrix kernel needs
     * the device and a build whose glslang knows GL_KHR_cooperative_matrix */
    struct matmul_coopmat_cfg cm;
    if (matmul_choose(&ctx->dev->info) == MATMUL_COOPMAT &&
        matmul_coopmat_config(&ctx->dev->info, &cm))
        bench_note(ctx, "matmul: cooperative matrices %ux%ux%u, subgroup %u", cm.m, cm.n, cm.k,
                   cm.subgroup);
    else
        bench_note(ctx, "matmul: shared-memory tiles, fp32 (cooperative matrices: %s)",
                   !matmul_have_coopmat_spirv() ? "not in this build"
                   : (ctx->dev->info.features & VKFEAT_COOPMAT) ? "no usable shape" : "device has none");
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (only && only[0] && !strstr(table[i].name, only))
            continue;
        axvk_status st = table[i].run(ctx, err);
        if (st)
            return err_wrap(err, "bench %s", table[i].name);
    }
    return AXVK_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

axvk_status bench_time(struct bench_ctx *ctx, bench_record_fn record, void *user, uint32_t iters,
                       uint32_t dispatches, double *us, int *gpu_timer, struct err *err)
{
    if (!iters)
        iters = 1;
    struct vkrec *rec = NULL;
    /* every call's dispatches timed in one recording */
    struct vkrec_desc desc = {.max_dispatches = (iters + 1) * (dispatches ? dispatches : 1) + 4,
                              .timestamps = 1};
    axvk_status st = vkrec_create(ctx->dev, &desc, &rec, err);
    if (st)
        return st;
    /* untimed: creates the pipeline, warms caches and clocks */
    if ((st = vkrec_begin(rec)) || (st = record(rec, 0, user, err)) || (st = vkrec_run(rec)))
        goto fail;
    if ((st = vkrec_begin(rec)))
        goto fail;
    for (uint32_t i = 0; i < iters; i++)
        if ((st = record(rec, i + 1, user, err)))
            goto fail;
    if ((st = vkrec_end(rec)))
        goto fail;
    double t0 = now_seconds();
    if ((st = vkrec_submit(rec)) || (st = vkrec_wait(rec)))
        goto fail;
    double host = now_seconds() - t0, gpu_ms = vkrec_gpu_ms(rec);
    *gpu_timer = gpu_ms > 0;
    *us = (gpu_ms > 0 ? gpu_ms * 1e3 : host * 1e6) / iters;
    vkrec_destroy(rec);
    return AXVK_OK;
fail:
    if (vkrec_err(rec)->status)
        *err = *vkrec_err(rec);
    vkrec_destroy(rec);
    return st;
}
