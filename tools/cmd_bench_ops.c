/* axvk bench-ops: times each GPU op at model shapes (the table of src/kernels/bench_ops.def) and
 * reports GB/s and GFLOP/s next to the device's measured copy bandwidth. Needs no model file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kernels/basic.h"
#include "kernels/bench_ops.h"

static void usage(FILE *f)
{
    uint32_t n;
    const struct bench_entry *e = bench_entries(&n);
    fprintf(f, "usage: axvk bench-ops [--device N|NAME] [--quick] [--iters N] [--op NAME]\n"
               "                      [--filter TEXT] [--json]\n"
               "  --quick       fewer shapes and repetitions (CPU devices, a first look)\n"
               "  --iters N     timed calls per row (default: per op, fewer on CPU devices)\n"
               "  --op NAME     only this op family; --filter TEXT only rows whose\n"
               "                \"kernel shape type\" contains TEXT (e.g. \"q4_k\", \"102400x\")\n"
               "ops:\n");
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "  %-10s %s\n", e[i].name, e[i].summary);
}

int cmd_bench_ops(int argc, char **argv)
{
    const char *select = NULL, *only = NULL;
    struct bench_ctx ctx = {.out = stdout};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            ctx.quick = 1;
        } else if (!strcmp(argv[i], "--json")) {
            ctx.json = 1;
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            select = argv[++i];
        } else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
            ctx.iters = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--op") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--filter") && i + 1 < argc) {
            ctx.filter = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    struct err err = {0};
    axvk_status st = vkdev_create(select, &ctx.dev, &err);
    if (st) {
        int none = st == AXVK_ERR_NO_VULKAN || st == AXVK_ERR_NO_DEVICE;
        fprintf(stderr, "axvk: %s%s\n", none ? "no usable Vulkan device: " : "", err.msg);
        return 1;
    }
    /* the roofline: the same probe as `axvk bandwidth`, smaller when quick */
    struct kern_bandwidth bw;
    if ((st = kern_copy_bandwidth(ctx.dev, ctx.quick ? (32ull << 20) : 0, 0, &bw, &err)))
        goto fail;
    ctx.copy_gbps = bw.gbps;
    if ((st = bench_run(&ctx, only, &err)))
        goto fail;
    vkdev_destroy(ctx.dev);
    return 0;
fail:
    fprintf(stderr, "axvk: %s\n", err.msg);
    vkdev_destroy(ctx.dev);
    return 1;
}
