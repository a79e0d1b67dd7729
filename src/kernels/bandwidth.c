/* bandwidth: the copy kernel as a memory-bandwidth probe. Measures device memory only (no host
 * transfers); later benchmarks divide their bytes moved by this rate to say how close to the
 * roofline they run. */
#include <string.h>
#include <time.h>

#include "kernels/basic.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Two buffers of *bytes, halving the size while memory is short (down to 1 MiB). */
static axvk_status alloc_pair(struct vkdev *dev, uint64_t *bytes, struct vkbuf *src,
                              struct vkbuf *dst, struct err *err)
{
    for (;;) {
        axvk_status st = vkmem_alloc(dev, *bytes, "bandwidth source", src, err);
        if (!st && (st = vkmem_alloc(dev, *bytes, "bandwidth destination", dst, err)))
            vkmem_free(dev, src);
        if (st != AXVK_ERR_OUT_OF_DEVICE_MEMORY || *bytes <= (1u << 20))
            return st;
        *bytes /= 2;
    }
}

axvk_status kern_copy_bandwidth(struct vkdev *dev, uint64_t bytes, uint32_t passes,
                                struct kern_bandwidth *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    int cpu = dev->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    if (!bytes)
        bytes = cpu ? (64ull << 20) : (256ull << 20);
    if (!passes)
        passes = 8;
    /* one dispatch per pass: a single binding holds the whole buffer */
    uint64_t max = vkmem_max_binding(dev) / 256 * 256;
    if (bytes > max)
        bytes = max;
    bytes = bytes / 256 * 256;
    if (bytes == 0)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "bandwidth probe: size below 256 bytes");
    struct vkbuf src = {0}, dst = {0};
    struct vkrec *rec = NULL;
    axvk_status st = alloc_pair(dev, &bytes, &src, &dst, err);
    if (st)
        return st;
    struct vkrec_desc desc = {.max_dispatches = passes + 2, .timestamps = 1};
    if ((st = vkrec_create(dev, &desc, &rec, err)))
        goto done;
    /* warm-up, untimed: fills the source, compiles and runs the pipeline once */
    vkrec_begin(rec);
    vkrec_fill(rec, &src, 0x3f800000u);
    kern_copy(rec, &dst, &src, bytes);
    if ((st = vkrec_run(rec)))
        goto fail_rec;
    vkrec_begin(rec);
    for (uint32_t i = 0; i < passes; i++)
        kern_copy(rec, &dst, &src, bytes);
    if ((st = vkrec_end(rec)))
        goto fail_rec;
    double t0 = now_seconds();
    if ((st = vkrec_submit(rec)) || (st = vkrec_wait(rec)))
        goto fail_rec;
    double host = now_seconds() - t0, gpu = vkrec_gpu_ms(rec) * 1e-3;
    out->bytes = bytes;
    out->passes = passes;
    out->gpu_timer = gpu > 0;
    out->seconds = gpu > 0 ? gpu : host;
    out->gbps = out->seconds > 0 ? 2.0 * (double)bytes * passes / out->seconds / 1e9 : 0.0;
    goto done;
fail_rec:
    err_set(err, st, "bandwidth probe: %s", vkrec_err(rec)->msg);
done:
    vkrec_destroy(rec);
    vkmem_free(dev, &dst);
    vkmem_free(dev, &src);
    return st;
}
