/* gpu_test: shared device fixture and data helpers for GPU tests (see gpu_test.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gpu_test.h"
#include "vk/instance.h"

struct vkdev *gpu_dev;

struct vkdev *gpu_test_open(void)
{
    /* a pipeline cache per build tree: tests neither read nor litter the user's ~/.cache */
    setenv("XDG_CACHE_HOME", AXVK_TEST_TMP "/xdg-cache", 1);
    struct err err = {0};
    struct vkdev *dev = NULL;
    axvk_status st = vkdev_create(NULL, &dev, &err);
    if (st) {
        fprintf(stderr, "skipping: no Vulkan device (%s: %s)\n", axvk_status_str(st), err.msg);
        return NULL;
    }
    return dev;
}

int gpu_test_close(struct vkdev *dev, int failed)
{
    vkdev_destroy(dev);
    uint64_t errors = vkdev_validation_errors();
    if (errors) {
        fprintf(stderr, "FAILED: %llu Vulkan validation error%s (see above)\n",
                (unsigned long long)errors, errors == 1 ? "" : "s");
        return failed + 1;
    }
    return failed;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void gpu_test_seed(uint64_t seed)
{
    rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint32_t gpu_test_u32(void)
{
    /* xorshift64*: fast, and good enough for test data */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

float gpu_test_f32(float lo, float hi)
{
    for (;;) {
        float x = lo + (hi - lo) * (float)(gpu_test_u32() >> 8) * (1.0f / 16777216.0f);
        if (x != 0.0f)
            return x;
    }
}

void gpu_test_fill_f32(float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = gpu_test_f32(lo, hi);
}

void gpu_test_fill_bytes(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(gpu_test_u32() >> 24);
}

double gpu_test_nmse(const float *a, const float *ref, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) || isnan(ref[i]))
            return 1e30;
        double d = (double)a[i] - (double)ref[i];
        num += d * d;
        den += (double)ref[i] * (double)ref[i];
    }
    if (den == 0)
        return num == 0 ? 0 : 1;
    return num / den;
}

void gpu_test_run(struct vkrec *rec)
{
    axvk_status st = vkrec_run(rec);
    if (st)
        fail_msg("recording failed: %s: %s", axvk_status_str(st), vkrec_err(rec)->msg);
}

struct vkrec *gpu_test_recorder(struct vkdev *dev)
{
    struct err err = {0};
    struct vkrec *rec = NULL;
    if (vkrec_create(dev, NULL, &rec, &err))
        fail_msg("vkrec_create: %s", err.msg);
    if (vkrec_begin(rec))
        fail_msg("vkrec_begin: %s", vkrec_err(rec)->msg);
    return rec;
}

void gpu_test_poison(struct vkdev *dev, const struct vkbuf *buf)
{
    struct vkrec *rec = gpu_test_recorder(dev);
    vkrec_fill(rec, buf, GPU_TEST_POISON);
    gpu_test_run(rec);
    vkrec_destroy(rec);
}

void gpu_test_upload(struct vkdev *dev, const struct vkbuf *dst, const void *src, uint64_t bytes)
{
    struct err err = {0};
    if (vkmem_upload(dev, dst, 0, src, bytes, NULL, NULL, &err) || vkmem_flush(dev, &err))
        fail_msg("upload of %llu bytes: %s", (unsigned long long)bytes, err.msg);
}

struct vksplit gpu_test_upload_split(struct vkdev *dev, const void *w, uint64_t row_bytes,
                                     uint32_t rows)
{
    struct vksplit split = {0};
    struct err err = {0};
    if (vkmem_alloc_split(dev, row_bytes * rows, row_bytes, "test weights", &split, &err))
        fail_msg("vkmem_alloc_split: %s", err.msg);
    for (uint32_t p = 0; p < split.n; p++) {
        const uint8_t *rows_of_part = (const uint8_t *)w + p * split.rows_per_part * row_bytes;
        gpu_test_upload(dev, &split.parts[p], rows_of_part, split.parts[p].size);
    }
    return split;
}

void gpu_test_download(struct vkdev *dev, void *dst, const struct vkbuf *src, uint64_t bytes)
{
    struct err err = {0};
    if (vkmem_download(dev, dst, src, 0, bytes, &err))
        fail_msg("download of %llu bytes: %s", (unsigned long long)bytes, err.msg);
}

struct vkbuf gpu_test_buffer(struct vkdev *dev, const void *data, uint64_t bytes)
{
    struct err err = {0};
    struct vkbuf buf;
    if (vkmem_alloc(dev, bytes, "test buffer", &buf, &err))
        fail_msg("vkmem_alloc(%llu): %s", (unsigned long long)bytes, err.msg);
    if (data)
        gpu_test_upload(dev, &buf, data, bytes);
    else if (bytes % 4 == 0)
        gpu_test_poison(dev, &buf);
    return buf;
}
