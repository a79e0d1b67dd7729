/* kernels/bench_ops: the op benchmark table behind `axvk bench-ops`. Each op family contributes
 * one entry (a line in bench_ops.def and a function in its own file) that times its kernels at
 * model shapes and emits one row per measurement; this module runs the table, times recordings
 * and formats rows against the device's copy bandwidth (the roofline). Knows no model file. */
#ifndef AXVK_KERNELS_BENCH_OPS_H
#define AXVK_KERNELS_BENCH_OPS_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "vk/device.h"
#include "vk/record.h"

/* One measurement. */
struct bench_row {
    const char *kernel; /* "matvec" */
    char shape[48];     /* "18944x3584 n=1" */
    const char *type;   /* weight or cache type, "q4_k"; "-" when none */
    double us;          /* per call */
    double bytes;       /* that must move per call (weights + activations in and out) */
    double flops;       /* per call */
    int gpu_timer;      /* 1: GPU timestamps; 0: host clock around submit and wait */
};

struct bench_ctx {
    struct vkdev *dev;
    int quick;           /* fewer repetitions and shapes: a quick look, CPU devices */
    uint32_t iters;      /* timed calls per row; 0: the entry's default */
    const char *filter;  /* only rows whose "kernel shape type" contains it; NULL: all */
    double copy_gbps;    /* bandwidth probe (read + write) the %-of-copy column divides by */
    FILE *out;           /* rows go here */
    int json;            /* 1: one JSON object per row instead of the table */
    uint32_t n_rows;     /* emitted so far */
};

/* An entry: runs its measurements and calls bench_emit for each. A shape that cannot run on the
 * device (out of memory, too large) is skipped with a note, not an error; errors end the run. */
typedef axvk_status (*bench_fn)(struct bench_ctx *ctx, struct err *err);

struct bench_entry {
    const char *name;    /* "matvec" */
    bench_fn run;
    const char *summary;
};

/* The table of bench_ops.def. */
const struct bench_entry *bench_entries(uint32_t *n);

/* Runs every entry whose name contains `only` (NULL: all), printing the header first. */
axvk_status bench_run(struct bench_ctx *ctx, const char *only, struct err *err);

/* 1 when a row named (kernel, shape, type) passes ctx->filter: entries check before allocating. */
int bench_wanted(const struct bench_ctx *ctx, const char *kernel, const char *shape,
                 const char *type);
/* Prints one row (time, GB/s, GFLOP/s, % of copy bandwidth). */
void bench_emit(struct bench_ctx *ctx, const struct bench_row *row);
/* A note line under the table ("skipped f32 102400x3584: out of device memory"). */
void bench_note(struct bench_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records one call into rec (begun); `i` counts calls, so an entry can rotate buffers. */
typedef axvk_status (*bench_record_fn)(struct vkrec *rec, uint32_t i, void *user, struct err *err);

/* Times `record`: one untimed call (pipelines, caches), then `iters` calls back to back in one
 * recording; *us is the time per call, GPU timestamps when the device has them. `dispatches`
 * bounds the dispatches one call records. */
axvk_status bench_time(struct bench_ctx *ctx, bench_record_fn record, void *user, uint32_t iters,
                       uint32_t dispatches, double *us, int *gpu_timer, struct err *err);

#endif
