/* kernels/bench_prefill: op-benchmark entries of the prefill matmul and of attention (decode and
 * prefill) at model shapes (A.X 4.0 Light: hidden 3584, FFN 18944, 28 query / 4 KV heads of
 * 128), for the op benchmark table. Each entry allocates its buffers, fills them on the GPU,
 * runs once untimed, then times `iters` back-to-back dispatches. Knows no model file. */
#ifndef AXVK_KERNELS_BENCH_PREFILL_H
#define AXVK_KERNELS_BENCH_PREFILL_H

#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"

struct bench_prefill_result {
    const char *name;  /* "matmul q4_k pp512 3584x3584", "attn decode f16 L=4096", ... */
    double ms;         /* per iteration */
    double flops;      /* per iteration (matmul: 2 n_tok rows k; attention: 4 heads dim keys) */
    double bytes;      /* per iteration: weights + activations in + out (matmul), K+V read (decode) */
    int gpu_timer;     /* 1: GPU timestamps; 0: host clock around submit and wait */
};

/* Number of entries; entry names are fixed (see bench_prefill.c). */
uint32_t bench_prefill_count(void);
const char *bench_prefill_name(uint32_t i);

/* Runs entry i (< bench_prefill_count()) `iters` times (0: 5). */
axvk_status bench_prefill_run(struct vkdev *dev, uint32_t i, uint32_t iters,
                              struct bench_prefill_result *out, struct err *err);

struct bench_ctx;
/* The op benchmark table's entry (bench_ops.def): every entry above as a row. */
axvk_status bench_prefill(struct bench_ctx *ctx, struct err *err);

#endif
