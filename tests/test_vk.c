/* test_vk: the Vulkan foundation on a real device (lavapipe in CI): loading, listing, choosing and
 * creating devices, AXVK_DISABLE, memory limits and splitting, the staging ring, the copy and
 * vec_add kernels, barrier placement, replay, profiling, the pipeline cache and the bandwidth
 * probe. Every test runs under the validation layer; any validation error fails the executable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "gpu_test.h"
#include "kernels/basic.h"
#include "push.h"

static int is_lavapipe(const struct vkdev_info *d)
{
    return d->vendor_id == 0x10005 && strstr(d->name, "llvmpipe");
}

static void test_vk_lists_devices_with_sane_fields(void **state)
{
    (void)state;
    struct vkdev_info *list = NULL;
    uint32_t n = 0;
    struct err err = {0};
    assert_int_equal(vkdev_list(&list, &n, &err), AXVK_OK);
    assert_true(n >= 1);
    int usable = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct vkdev_info *d = &list[i];
        assert_int_equal(d->index, i);
        assert_true(strlen(d->name) > 0);
        assert_non_null(d->vendor);
        assert_non_null(d->type_name);
        assert_true(strlen(d->driver_version_str) > 0);
        if (!d->usable)
            continue;
        usable++;
        assert_true(d->api_version >= VK_API_VERSION_1_2);
        /* the spec's minimums: 2^27 bytes per storage binding, 2^30 per allocation */
        assert_true(d->max_storage_buffer_range >= (1u << 27));
        assert_true(d->max_alloc_size >= (1u << 30));
        assert_true(d->device_local_bytes > 0);
        assert_true(d->subgroup_size >= 1 && (d->subgroup_size & (d->subgroup_size - 1)) == 0);
        assert_true(d->subgroup_min <= d->subgroup_size && d->subgroup_size <= d->subgroup_max);
        assert_true(d->max_push_constants >= 128);
        assert_true(d->max_wg_count[0] >= 65535);
        assert_int_equal(d->features, d->present & ~d->disabled);
        if (is_lavapipe(d)) {
            /* lavapipe's known facts (DESIGN.md): 128 MiB bindings, subgroup 8 */
            assert_string_equal(d->vendor, "Mesa");
            assert_string_equal(d->type_name, "cpu");
            assert_string_equal(d->driver_name, "llvmpipe");
            assert_int_equal(d->max_storage_buffer_range, 128u << 20);
            assert_int_equal(d->subgroup_size, 8);
            uint32_t want = VKFEAT_FP16 | VKFEAT_STORAGE16 | VKFEAT_INT8 | VKFEAT_INTDOT |
                            VKFEAT_SUBGROUP_SIZE_CONTROL;
            assert_int_equal(d->present & want, want);
            assert_false(d->present & VKFEAT_COOPMAT);
            assert_int_equal(d->n_coopmat, 0);
        }
    }
    assert_true(usable >= 1);
    mem_free(list);
}

static void test_vk_missing_loader_is_reported_as_no_vulkan(void **state)
{
    (void)state;
    setenv("AXVK_VULKAN_LIBRARY", "/nonexistent/libvulkan.so.1", 1);
    struct vkdev_info *list = NULL;
    uint32_t n = 0;
    struct err err = {0};
    struct vkdev *dev = NULL;
    assert_int_equal(vkdev_list(&list, &n, &err), AXVK_ERR_NO_VULKAN);
    assert_non_null(strstr(err.msg, "/nonexistent/libvulkan.so.1"));
    assert_null(list);
    assert_int_equal(vkdev_create(NULL, &dev, &err), AXVK_ERR_NO_VULKAN);
    assert_null(dev);
    unsetenv("AXVK_VULKAN_LIBRARY");
}

static void test_vk_selects_by_index_name_and_env(void **state)
{
    (void)state;
    struct err err = {0};
    struct vkdev *dev = NULL;
    const char *name = gpu_dev->info.name;
    char index[16], part[8];
    snprintf(index, sizeof index, "%u", gpu_dev->info.index);
    /* a piece of the name, in upper case: matching ignores case */
    snprintf(part, sizeof part, "%.4s", name);
    for (char *p = part; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    assert_int_equal(vkdev_create(index, &dev, &err), AXVK_OK);
    assert_string_equal(dev->info.name, name);
    vkdev_destroy(dev);
    assert_int_equal(vkdev_create(part, &dev, &err), AXVK_OK);
    assert_non_null(strcasestr(dev->info.name, part));
    vkdev_destroy(dev);
    setenv("AXVK_DEVICE", index, 1);
    assert_int_equal(vkdev_create(NULL, &dev, &err), AXVK_OK);
    assert_int_equal(dev->info.index, gpu_dev->info.index);
    vkdev_destroy(dev);
    setenv("AXVK_DEVICE", "no such device anywhere", 1);
    assert_int_equal(vkdev_create(NULL, &dev, &err), AXVK_ERR_NO_DEVICE);
    assert_null(dev);
    assert_non_null(strstr(err.msg, "no such device anywhere"));
    unsetenv("AXVK_DEVICE");
}

static void test_vk_disable_hides_features_from_listing_and_device(void **state)
{
    (void)state;
    setenv("AXVK_DISABLE", "fp16,int8,intdot,subgroup-size-control,coopmat,memory-budget", 1);
    const uint32_t off = VKFEAT_FP16 | VKFEAT_INT8 | VKFEAT_INTDOT | VKFEAT_SUBGROUP_SIZE_CONTROL |
                         VKFEAT_COOPMAT | VKFEAT_MEMORY_BUDGET;
    struct vkdev_info *list = NULL;
    uint32_t n = 0;
    struct err err = {0};
    assert_int_equal(vkdev_list(&list, &n, &err), AXVK_OK);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(list[i].features & off, 0);
        assert_int_equal(list[i].disabled, off);
        /* without size control the range collapses to the default size */
        assert_int_equal(list[i].subgroup_min, list[i].subgroup_size);
    }
    mem_free(list);
    struct vkdev *dev = NULL;
    assert_int_equal(vkdev_create(NULL, &dev, &err), AXVK_OK);
    assert_int_equal(dev->info.features & off, 0);
    assert_int_equal(dev->info.features, gpu_dev->info.features & ~off);
    assert_int_equal(dev->info.features & VKFEAT_STORAGE16, gpu_dev->info.features & VKFEAT_STORAGE16);
    /* kernels still run with every optional feature gone */
    float a[37], b[37], c[37];
    gpu_test_seed(41);
    gpu_test_fill_f32(a, 37, -2, 2);
    gpu_test_fill_f32(b, 37, -2, 2);
    struct vkbuf ba = gpu_test_buffer(dev, a, sizeof a), bb = gpu_test_buffer(dev, b, sizeof b);
    struct vkbuf bc = gpu_test_buffer(dev, NULL, sizeof c);
    struct vkrec *rec = gpu_test_recorder(dev);
    assert_int_equal(kern_vec_add(rec, &bc, &ba, &bb, 37), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(dev, c, &bc, sizeof c);
    for (int i = 0; i < 37; i++)
        assert_true(c[i] == a[i] + b[i]);
    vkrec_destroy(rec);
    vkmem_free(dev, &ba);
    vkmem_free(dev, &bb);
    vkmem_free(dev, &bc);
    vkdev_destroy(dev);
    setenv("AXVK_DISABLE", "fp16,warp-drive", 1);
    assert_int_equal(vkdev_create(NULL, &dev, &err), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "warp-drive"));
    unsetenv("AXVK_DISABLE");
}

static void test_vk_disable_list_given_to_create_replaces_environment(void **state)
{
    (void)state;
    const uint32_t off = VKFEAT_COOPMAT | VKFEAT_MEMORY_BUDGET | VKFEAT_INTDOT;
    char index[16];
    snprintf(index, sizeof index, "%u", gpu_dev->info.index);
    struct err err = {0};
    struct vkdev *dev = NULL;
    setenv("AXVK_DISABLE", "fp16,int8", 1);
    /* the list given wins over the environment, which is left as it was */
    const struct vkdev_options some = {.select = index, .disable = "coopmat,memory-budget,intdot"};
    assert_int_equal(vkdev_create_with(&some, &dev, &err), AXVK_OK);
    assert_int_equal(dev->info.index, gpu_dev->info.index);
    assert_int_equal(dev->info.disabled, off);
    assert_int_equal(dev->info.features, gpu_dev->info.features & ~off);
    assert_string_equal(getenv("AXVK_DISABLE"), "fp16,int8");
    vkdev_destroy(dev);
    /* an empty list hides nothing, whatever the environment says */
    const struct vkdev_options none = {.disable = ""};
    assert_int_equal(vkdev_create_with(&none, &dev, &err), AXVK_OK);
    assert_int_equal(dev->info.disabled, 0);
    assert_int_equal(dev->info.features, gpu_dev->info.features);
    vkdev_destroy(dev);
    const struct vkdev_options bad = {.disable = "coopmat,warp-drive"};
    assert_int_equal(vkdev_create_with(&bad, &dev, &err), AXVK_ERR_INVALID_ARGUMENT);
    assert_null(dev);
    assert_non_null(strstr(err.msg, "warp-drive"));
    unsetenv("AXVK_DISABLE");
}

static void test_vk_split_parts_respect_binding_limit(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    vkmem_set_max_binding(dev, 64 << 10);
    assert_int_equal(vkmem_max_binding(dev), 64 << 10);
    /* [1000 rows][1000 bytes]: 65 rows fit a 64 KiB binding, so 16 parts of at most 63 rows */
    const uint64_t rows = 1000, row_bytes = 1000, bytes = rows * row_bytes;
    struct vksplit src, dst;
    assert_int_equal(vkmem_alloc_split(dev, bytes, row_bytes, "weights", &src, &err), AXVK_OK);
    assert_int_equal(vkmem_alloc_split(dev, bytes, row_bytes, "copy", &dst, &err), AXVK_OK);
    assert_int_equal(src.n, 16);
    uint64_t total = 0;
    for (uint32_t i = 0; i < src.n; i++) {
        assert_true(src.parts[i].size <= vkmem_max_binding(dev));
        assert_int_equal(src.parts[i].size % row_bytes, 0);
        assert_int_equal(src.parts[i].offset % dev->info.min_storage_offset_align, 0);
        if (i + 1 < src.n)
            assert_int_equal(src.parts[i].size, src.rows_per_part * row_bytes);
        total += src.parts[i].size;
    }
    assert_int_equal(total, bytes);
    /* data through every part and back, copied by the kernel part by part */
    uint8_t *in = mem_alloc(bytes), *out = mem_alloc(bytes);
    gpu_test_seed(7);
    gpu_test_fill_bytes(in, bytes);
    struct vkrec *rec = gpu_test_recorder(dev);
    uint64_t at = 0;
    for (uint32_t i = 0; i < src.n; i++) {
        gpu_test_upload(dev, &src.parts[i], in + at, src.parts[i].size);
        gpu_test_poison(dev, &dst.parts[i]);
        assert_int_equal(kern_copy(rec, &dst.parts[i], &src.parts[i], src.parts[i].size), AXVK_OK);
        at += src.parts[i].size;
    }
    gpu_test_run(rec);
    at = 0;
    for (uint32_t i = 0; i < dst.n; i++) {
        gpu_test_download(dev, out + at, &dst.parts[i], dst.parts[i].size);
        at += dst.parts[i].size;
    }
    assert_memory_equal(out, in, bytes);
    /* a binding past the limit is refused with the reason, and the error sticks */
    struct vkbuf big;
    assert_int_equal(vkmem_alloc(dev, 128 << 10, "too big", &big, &err), AXVK_OK);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    assert_int_equal(kern_copy(rec, &big, &big, 128 << 10), AXVK_OK); /* kern_copy cuts in pieces */
    struct push_copy pc = {.n_words = 32 << 10};
    struct vkbuf bind[2] = {big, big};
    assert_int_equal(kern_dispatch(rec, KERNEL_copy, NULL, bind, 2, &pc, sizeof pc, 1),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(vkrec_err(rec)->msg, "maxStorageBufferRange"));
    assert_int_equal(vkrec_end(rec), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    vkmem_free(dev, &big);
    vkmem_free_split(dev, &src);
    vkmem_free_split(dev, &dst);
    assert_int_equal(src.n, 0);
    mem_free(in);
    mem_free(out);
    vkmem_set_max_binding(dev, 0);
    assert_int_equal(vkmem_max_binding(dev), dev->info.max_storage_buffer_range);
}

static void test_vk_allocation_beyond_heap_fails_with_message(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    struct vkmem_stats before, after;
    vkmem_get_stats(dev, &before);
    struct vksplit split;
    uint64_t ask = dev->info.plan_bytes + (64ull << 20);
    assert_int_equal(vkmem_alloc_split(dev, ask, 4096, "blk.0.ffn_up.weight", &split, &err),
                     AXVK_ERR_OUT_OF_DEVICE_MEMORY);
    assert_non_null(strstr(err.msg, "blk.0.ffn_up.weight"));
    assert_non_null(strstr(err.msg, "available"));
    assert_int_equal(split.n, 0);
    assert_null(split.parts);
    vkmem_get_stats(dev, &after);
    assert_int_equal(after.device_bytes, before.device_bytes);
    /* one allocation larger than maxMemoryAllocationSize cannot exist at all */
    struct vkbuf buf;
    assert_int_not_equal(vkmem_alloc(dev, dev->info.max_alloc_size + 1, "huge", &buf, &err), AXVK_OK);
    assert_null(buf.buffer);
}

static void test_vk_injected_limit_fails_cleanly_and_recovers(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    struct vkmem_stats s;
    vkmem_get_stats(dev, &s);
    vkmem_set_limit(dev, s.device_bytes + (1 << 20));
    struct vkbuf buf;
    /* larger than half a block: a dedicated allocation, which the limit refuses */
    assert_int_equal(vkmem_alloc(dev, 200u << 20, "kv cache", &buf, &err),
                     AXVK_ERR_OUT_OF_DEVICE_MEMORY);
    assert_non_null(strstr(err.msg, "kv cache"));
    assert_non_null(strstr(err.msg, "limit"));
    assert_null(buf.buffer);
    vkmem_set_limit(dev, 0);
    assert_int_equal(vkmem_alloc(dev, 200u << 20, "kv cache", &buf, &err), AXVK_OK);
    vkmem_free(dev, &buf);
    struct vkmem_stats again;
    vkmem_get_stats(dev, &again);
    assert_int_equal(again.device_bytes, s.device_bytes);

    /* the limit from the environment, on a fresh device: no whole 256 MiB block fits under
     * 8 MiB, yet buffers that do fit are still given, until they do not */
    setenv("AXVK_DEVICE_MEMORY_LIMIT_MB", "8", 1);
    struct vkdev *small = NULL;
    assert_int_equal(vkdev_create(NULL, &small, &err), AXVK_OK);
    unsetenv("AXVK_DEVICE_MEMORY_LIMIT_MB");
    struct vkbuf b1, b2, b3;
    assert_int_equal(vkmem_alloc(small, 1 << 20, "norm weights", &b1, &err), AXVK_OK);
    assert_int_equal(vkmem_alloc(small, 4 << 20, "embeddings", &b2, &err), AXVK_OK);
    assert_int_equal(vkmem_alloc(small, 4 << 20, "output", &b3, &err), AXVK_ERR_OUT_OF_DEVICE_MEMORY);
    assert_non_null(strstr(err.msg, "output needs 4 MiB"));
    assert_non_null(strstr(err.msg, "limit 8 MiB"));
    vkmem_free(small, &b1);
    vkmem_free(small, &b2);
    vkdev_destroy(small);
}

static void test_vk_suballocations_share_blocks_and_return(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    struct vkmem_stats s0, s1, s2;
    vkmem_get_stats(dev, &s0);
    struct vkbuf b[64];
    gpu_test_seed(3);
    for (int i = 0; i < 64; i++)
        assert_int_equal(vkmem_alloc(dev, 1 + gpu_test_u32() % 100000, "small", &b[i], &err), AXVK_OK);
    vkmem_get_stats(dev, &s1);
    assert_true(s1.device_blocks <= s0.device_blocks + 1);
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < i; j++)
            if (b[i].buffer == b[j].buffer) /* never overlapping */
                assert_true(b[i].offset >= b[j].offset + b[j].size ||
                            b[j].offset >= b[i].offset + b[i].size);
    for (int i = 0; i < 64; i += 2) /* free every other one, then the rest: coalescing */
        vkmem_free(dev, &b[i]);
    for (int i = 1; i < 64; i += 2)
        vkmem_free(dev, &b[i]);
    vkmem_get_stats(dev, &s2);
    assert_int_equal(s2.device_used, s0.device_used);
    assert_int_equal(s2.device_bytes, s0.device_bytes);
    struct vkbuf h;
    assert_int_equal(vkmem_alloc_host(dev, 1000, "host", &h, &err), AXVK_OK);
    assert_non_null(h.map);
    vkmem_free(dev, &h);
}

struct progress {
    uint32_t calls;
    uint64_t last, total;
    int monotonic;
};

static void on_progress(void *user, uint64_t done, uint64_t total)
{
    struct progress *p = user;
    if (done <= p->last)
        p->monotonic = 0;
    p->calls++;
    p->last = done;
    p->total = total;
}

static void test_vk_upload_download_round_trip_in_chunks(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    vkmem_set_staging(dev, 64 << 10, 3);
    const uint64_t bytes = (1 << 20) + 12; /* 17 chunks, the last one short */
    uint8_t *in = mem_alloc(bytes), *out = mem_alloc(bytes);
    gpu_test_seed(99);
    gpu_test_fill_bytes(in, bytes);
    struct vkbuf buf;
    assert_int_equal(vkmem_alloc(dev, bytes + 100, "round trip", &buf, &err), AXVK_OK);
    struct progress p = {.monotonic = 1};
    assert_int_equal(vkmem_upload(dev, &buf, 100, in, bytes, on_progress, &p, &err), AXVK_OK);
    assert_int_equal(vkmem_flush(dev, &err), AXVK_OK);
    assert_int_equal(p.calls, 17);
    assert_true(p.monotonic);
    assert_int_equal(p.last, bytes);
    assert_int_equal(p.total, bytes);
    memset(out, 0, bytes);
    assert_int_equal(vkmem_download(dev, out, &buf, 100, bytes, &err), AXVK_OK);
    assert_memory_equal(out, in, bytes);
    /* a range in the middle */
    assert_int_equal(vkmem_download(dev, out, &buf, 100 + 70000, 1000, &err), AXVK_OK);
    assert_memory_equal(out, in + 70000, 1000);
    assert_int_equal(vkmem_upload(dev, &buf, 200, in, bytes, NULL, NULL, &err),
                     AXVK_ERR_INVALID_ARGUMENT);
    vkmem_free(dev, &buf);
    mem_free(in);
    mem_free(out);
    vkmem_set_staging(dev, 16 << 20, 3);
}

static void test_vk_copy_kernel_copies_odd_sizes_exactly(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    static const uint64_t sizes[] = {4, 12, 20, 4004, (1 << 20) + 8};
    gpu_test_seed(5);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t bytes = sizes[s], cap = bytes + 64;
        uint32_t *in = mem_alloc(cap), *out = mem_alloc(cap);
        gpu_test_fill_bytes(in, cap);
        struct vkbuf src = gpu_test_buffer(dev, in, cap), dst = gpu_test_buffer(dev, NULL, cap);
        struct vkrec *rec = gpu_test_recorder(dev);
        assert_int_equal(kern_copy(rec, &dst, &src, bytes), AXVK_OK);
        gpu_test_run(rec);
        gpu_test_download(dev, out, &dst, cap);
        assert_memory_equal(out, in, bytes);
        /* nothing past `bytes` is written */
        for (uint64_t w = bytes / 4; w < cap / 4; w++)
            assert_int_equal(out[w], GPU_TEST_POISON);
        vkrec_destroy(rec);
        vkmem_free(dev, &src);
        vkmem_free(dev, &dst);
        mem_free(in);
        mem_free(out);
    }
}

static void check_vec_add(uint32_t n, const struct vkspec *spec)
{
    struct vkdev *dev = gpu_dev;
    float *a = mem_alloc(n * sizeof(float)), *b = mem_alloc(n * sizeof(float));
    float *c = mem_alloc(n * sizeof(float));
    gpu_test_fill_f32(a, n, -100, 100);
    gpu_test_fill_f32(b, n, -1, 1);
    struct vkbuf ba = gpu_test_buffer(dev, a, n * sizeof(float));
    struct vkbuf bb = gpu_test_buffer(dev, b, n * sizeof(float));
    struct vkbuf bc = gpu_test_buffer(dev, NULL, n * sizeof(float));
    struct vkrec *rec = gpu_test_recorder(dev);
    if (spec) {
        struct vkbuf bind[3] = {ba, bb, bc};
        struct push_vec_add pc = {.n = n};
        uint32_t wg = vkspec_wg_size(dev, spec);
        assert_int_equal(kern_dispatch(rec, KERNEL_vec_add, spec, bind, 3, &pc, sizeof pc,
                                       kern_div_up(n, wg)), AXVK_OK);
    } else {
        assert_int_equal(kern_vec_add(rec, &bc, &ba, &bb, n), AXVK_OK);
    }
    gpu_test_run(rec);
    gpu_test_download(dev, c, &bc, n * sizeof(float));
    for (uint32_t i = 0; i < n; i++)
        if (c[i] != a[i] + b[i])
            fail_msg("n=%u: c[%u] = %a, expected %a + %a", n, i, (double)c[i], (double)a[i],
                     (double)b[i]);
    vkrec_destroy(rec);
    vkmem_free(dev, &ba);
    vkmem_free(dev, &bb);
    vkmem_free(dev, &bc);
    mem_free(a);
    mem_free(b);
    mem_free(c);
}

static void test_vk_vec_add_matches_host_on_odd_sizes(void **state)
{
    (void)state;
    gpu_test_seed(11);
    static const uint32_t sizes[] = {1, 3, 255, 257, 1001, 65537};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        check_vec_add(sizes[s], NULL);
}

static void test_vk_vec_add_beyond_x_group_limit_spreads_over_y(void **state)
{
    (void)state;
    /* 32-wide groups: 65,567 of them, more than maxComputeWorkGroupCount.x on most devices */
    struct vkspec spec = {.wg_size = 32};
    uint32_t n = gpu_dev->info.max_wg_count[0] * 32u + 1000u;
    uint32_t g[3];
    struct err err = {0};
    assert_int_equal(kern_groups(gpu_dev, kern_div_up(n, 32), g, &err), AXVK_OK);
    assert_true(g[1] >= 2);
    gpu_test_seed(13);
    check_vec_add(n, &spec);
}

static struct vkbuf upload_floats(const float *x, uint32_t n)
{
    return gpu_test_buffer(gpu_dev, x, n * sizeof(float));
}

static void test_vk_barriers_only_between_dependent_dispatches(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    enum { N = 1000 };
    float a[N], b[N], out[N];
    gpu_test_seed(17);
    gpu_test_fill_f32(a, N, -1, 1);
    gpu_test_fill_f32(b, N, -1, 1);
    struct vkbuf ba = upload_floats(a, N), bb = upload_floats(b, N);
    struct vkbuf c1 = gpu_test_buffer(dev, NULL, sizeof a), c2 = gpu_test_buffer(dev, NULL, sizeof a);
    struct vkbuf d = gpu_test_buffer(dev, NULL, sizeof a), e = gpu_test_buffer(dev, NULL, sizeof a);
    struct vkrec *rec = gpu_test_recorder(dev);
    struct vkrec_counts k;
    kern_vec_add(rec, &c1, &ba, &bb, N); /* c1 = a + b */
    kern_vec_add(rec, &c2, &ba, &bb, N); /* c2 = a + b: shares only inputs */
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, 0);
    kern_vec_add(rec, &d, &c1, &c2, N);  /* reads c1, c2: must wait */
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, 1);
    kern_vec_add(rec, &e, &ba, &bb, N);  /* unrelated to d */
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, 1);
    kern_vec_add(rec, &c1, &ba, &d, N);  /* overwrites c1, which d's dispatch reads (WAR) */
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, 2);
    assert_int_equal(k.dispatches, 5);
    gpu_test_run(rec);
    gpu_test_download(dev, out, &c1, sizeof out);
    for (int i = 0; i < N; i++)
        assert_true(out[i] == a[i] + ((a[i] + b[i]) + (a[i] + b[i])));
    gpu_test_download(dev, out, &e, sizeof out);
    for (int i = 0; i < N; i++)
        assert_true(out[i] == a[i] + b[i]);

    /* two halves of one allocation are separate ranges */
    struct vkbuf whole = gpu_test_buffer(dev, NULL, 2 * 1024);
    struct vkbuf lo = vkbuf_view(&whole, 0, 1024), hi = vkbuf_view(&whole, 1024, 1024);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    kern_vec_add(rec, &lo, &ba, &bb, 256);
    kern_vec_add(rec, &hi, &ba, &bb, 256);
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, 0);
    kern_copy(rec, &c2, &lo, 1024); /* reads the first half */
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, 1);
    vkrec_fill(rec, &d, 0);
    vkrec_copy(rec, &e, &d, sizeof a); /* transfers are tracked too */
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, 2);
    assert_int_equal(k.transfers, 2);
    gpu_test_run(rec);
    gpu_test_download(dev, out, &c2, 1024);
    for (int i = 0; i < 256; i++)
        assert_true(out[i] == a[i] + b[i]);
    gpu_test_download(dev, out, &e, sizeof out);
    for (int i = 0; i < N; i++)
        assert_true(out[i] == 0.0f);
    vkrec_destroy(rec);
    struct vkbuf *all[] = {&ba, &bb, &c1, &c2, &d, &e, &whole};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        vkmem_free(dev, all[i]);
}

static void test_vk_recording_replays_with_host_written_input(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    enum { N = 333 };
    float a[N], b[N], out[N];
    gpu_test_seed(23);
    gpu_test_fill_f32(b, N, -1, 1);
    /* a is host-visible and rewritten before each replay, as the decode step's position is */
    struct vkbuf ha, bb = upload_floats(b, N), bc = gpu_test_buffer(dev, NULL, sizeof out);
    assert_int_equal(vkmem_alloc_host(dev, sizeof a, "step input", &ha, &err), AXVK_OK);
    struct vkrec *rec = gpu_test_recorder(dev);
    kern_vec_add(rec, &bc, &ha, &bb, N);
    assert_int_equal(vkrec_end(rec), AXVK_OK);
    for (int step = 0; step < 3; step++) {
        gpu_test_fill_f32(a, N, -10, 10);
        memcpy(ha.map, a, sizeof a);
        assert_int_equal(vkrec_submit(rec), AXVK_OK);
        assert_int_equal(vkrec_wait(rec), AXVK_OK);
        gpu_test_download(dev, out, &bc, sizeof out);
        for (int i = 0; i < N; i++)
            assert_true(out[i] == a[i] + b[i]);
    }
    /* submitting twice without waiting waits for the first run itself */
    assert_int_equal(vkrec_submit(rec), AXVK_OK);
    assert_int_equal(vkrec_submit(rec), AXVK_OK);
    assert_int_equal(vkrec_wait(rec), AXVK_OK);
    vkrec_destroy(rec);
    vkmem_free(dev, &ha);
    vkmem_free(dev, &bb);
    vkmem_free(dev, &bc);
}

static void test_vk_recorder_errors_are_sticky_until_begin(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct vkbuf a = gpu_test_buffer(dev, NULL, 64), b = gpu_test_buffer(dev, NULL, 64);
    struct vkrec *rec = gpu_test_recorder(dev);
    struct vkbuf bind[3] = {a, a, b};
    uint32_t wrong = 5;
    uint64_t wrong_size = 8;
    assert_int_equal(kern_dispatch(rec, KERNEL_vec_add, NULL, bind, 3, &wrong_size,
                                   sizeof wrong_size, 1), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(vkrec_err(rec)->msg, "push constants"));
    /* a later, correct call reports the first failure */
    assert_int_equal(kern_vec_add(rec, &b, &a, &a, 16), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(vkrec_err(rec)->msg, "push constants"));
    assert_int_equal(vkrec_run(rec), AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    assert_int_equal(kern_dispatch(rec, KERNEL_vec_add, NULL, bind, 2, &wrong, sizeof wrong, 1),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(vkrec_err(rec)->msg, "bindings"));
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    assert_int_equal(kern_vec_add(rec, &b, &a, &a, 16), AXVK_OK);
    gpu_test_run(rec);
    assert_int_equal(vkrec_submit(rec), AXVK_OK); /* an ended recording may run again */
    assert_int_equal(vkrec_wait(rec), AXVK_OK);
    vkrec_destroy(rec);
    vkmem_free(dev, &a);
    vkmem_free(dev, &b);
}

static void test_vk_specializations_are_separate_cached_pipelines(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    struct vkpipe *p1, *p2, *p3;
    struct vkspec s64 = {.wg_size = 64};
    assert_int_equal(kern_pipeline(dev, KERNEL_copy, NULL, &p1, &err), AXVK_OK);
    assert_int_equal(kern_pipeline(dev, KERNEL_copy, &s64, &p2, &err), AXVK_OK);
    assert_int_equal(kern_pipeline(dev, KERNEL_copy, NULL, &p3, &err), AXVK_OK);
    assert_ptr_equal(p1, p3);
    assert_ptr_not_equal(p1, p2);
    assert_int_equal(p1->wg_size, VKPIPE_DEFAULT_WG);
    assert_int_equal(p2->wg_size, 64);
    assert_int_equal(p1->subgroup_size, dev->info.subgroup_size);
    struct vkspec odd = {.subgroup_size = 3};
    assert_int_equal(kern_pipeline(dev, KERNEL_copy, &odd, &p3, &err), AXVK_ERR_UNSUPPORTED);
    struct vkspec extra = {.n_consts = 2, .consts = {7, 9}};
    assert_int_equal(kern_pipeline(dev, KERNEL_vec_add, &extra, &p3, &err), AXVK_OK);
    assert_int_equal(p3->spec.n_consts, 2);
    struct vkspec too_many = {.n_consts = VKPIPE_MAX_CONSTS + 1};
    assert_int_equal(kern_pipeline(dev, KERNEL_vec_add, &too_many, &p3, &err),
                     AXVK_ERR_INVALID_ARGUMENT);
}

static void test_vk_profile_reports_time_per_kernel(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    if (!dev->info.timestamp_bits)
        skip();
    struct err err = {0};
    struct vkrec *rec = NULL;
    struct vkrec_desc desc = {.timestamps = 1};
    assert_int_equal(vkrec_create(dev, &desc, &rec, &err), AXVK_OK);
    enum { N = 4096 };
    struct vkbuf a = gpu_test_buffer(dev, NULL, N * 4), b = gpu_test_buffer(dev, NULL, N * 4);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    kern_vec_add(rec, &b, &a, &a, N);
    kern_vec_add(rec, &a, &b, &b, N);
    kern_copy(rec, &b, &a, N * 4);
    gpu_test_run(rec);
    const struct vkprof *prof;
    uint32_t n;
    vkrec_profile(rec, &prof, &n);
    assert_int_equal(n, 2);
    uint32_t calls[2] = {0, 0};
    for (uint32_t i = 0; i < n; i++) {
        assert_true(prof[i].ms >= 0);
        if (!strcmp(prof[i].name, "vec_add"))
            calls[0] = prof[i].calls;
        else if (!strcmp(prof[i].name, "copy"))
            calls[1] = prof[i].calls;
    }
    assert_int_equal(calls[0], 2);
    assert_int_equal(calls[1], 1);
    assert_true(vkrec_gpu_ms(rec) > 0);
    FILE *devnull = fopen("/dev/null", "w");
    vkrec_profile_print(rec, devnull);
    fclose(devnull);
    vkrec_destroy(rec);
    vkmem_free(dev, &a);
    vkmem_free(dev, &b);
}

static void test_vk_descriptor_pools_grow_past_their_first_size(void **state)
{
    (void)state;
    struct vkdev *dev = gpu_dev;
    struct err err = {0};
    struct vkrec *rec = NULL;
    /* 4 sets per pool and 4 timed commands: a chain of 10 dependent adds outgrows both */
    struct vkrec_desc desc = {.max_dispatches = 4, .timestamps = 1};
    assert_int_equal(vkrec_create(dev, &desc, &rec, &err), AXVK_OK);
    enum { N = 129, STEPS = 10 };
    float a[N], b[N], want[N], out[N];
    gpu_test_seed(29);
    gpu_test_fill_f32(a, N, -1, 1);
    gpu_test_fill_f32(b, N, -1, 1);
    struct vkbuf ba = upload_floats(a, N), bb = upload_floats(b, N);
    struct vkbuf acc[2] = {gpu_test_buffer(dev, NULL, sizeof a), gpu_test_buffer(dev, NULL, sizeof a)};
    memcpy(want, a, sizeof a);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    const struct vkbuf *in = &ba;
    for (int s = 0; s < STEPS; s++) {
        assert_int_equal(kern_vec_add(rec, &acc[s % 2], in, &bb, N), AXVK_OK);
        in = &acc[s % 2];
        for (int i = 0; i < N; i++)
            want[i] += b[i];
    }
    struct vkrec_counts k;
    vkrec_get_counts(rec, &k);
    assert_int_equal(k.barriers, STEPS - 1);
    gpu_test_run(rec);
    gpu_test_download(dev, out, in, sizeof out);
    for (int i = 0; i < N; i++)
        assert_true(out[i] == want[i]);
    if (dev->info.timestamp_bits) {
        const struct vkprof *prof;
        uint32_t n;
        vkrec_profile(rec, &prof, &n);
        assert_int_equal(n, 1);
        assert_int_equal(prof[0].calls, 4); /* the rest ran untimed */
    }
    vkrec_destroy(rec);
    vkmem_free(dev, &ba);
    vkmem_free(dev, &bb);
    vkmem_free(dev, &acc[0]);
    vkmem_free(dev, &acc[1]);
}

static void run_copy_once(struct vkdev *dev)
{
    uint32_t in[40], out[40];
    gpu_test_fill_bytes(in, sizeof in);
    struct vkbuf src = gpu_test_buffer(dev, in, sizeof in);
    struct vkbuf dst = gpu_test_buffer(dev, NULL, sizeof out);
    struct vkrec *rec = gpu_test_recorder(dev);
    assert_int_equal(kern_copy(rec, &dst, &src, sizeof in), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(dev, out, &dst, sizeof out);
    assert_memory_equal(out, in, sizeof in);
    vkrec_destroy(rec);
    vkmem_free(dev, &src);
    vkmem_free(dev, &dst);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void test_vk_corrupt_pipeline_cache_is_ignored(void **state)
{
    (void)state;
    struct err err = {0};
    const char *path = vkpipe_cache_path(gpu_dev);
    assert_non_null(path);
    assert_non_null(strstr(path, AXVK_TEST_TMP));
    char uuid_hex[8];
    snprintf(uuid_hex, sizeof uuid_hex, "%02x%02x", gpu_dev->info.device_uuid[0],
             gpu_dev->info.device_uuid[1]);
    assert_non_null(strstr(path, uuid_hex));
    mkdir(AXVK_TEST_TMP "/xdg-cache", 0755);
    mkdir(AXVK_TEST_TMP "/xdg-cache/axvk", 0755);
    /* garbage, then a valid header over truncated data */
    char garbage[1000];
    gpu_test_seed(31);
    gpu_test_fill_bytes(garbage, sizeof garbage);
    struct {
        char magic[8];
        uint64_t size, hash;
    } head = {{'A', 'X', 'V', 'K', 'P', 'C', '0', '1'}, 1 << 20, 12345};
    for (int round = 0; round < 2; round++) {
        if (round == 0)
            write_file(path, garbage, sizeof garbage);
        else
            write_file(path, &head, sizeof head);
        struct vkdev *dev = NULL;
        assert_int_equal(vkdev_create(NULL, &dev, &err), AXVK_OK);
        assert_int_equal(dev->pcache_loaded, 0);
        run_copy_once(dev);
        vkdev_destroy(dev); /* writes a fresh cache */
    }
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char magic[8];
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(magic, "AXVKPC01", 8);
    struct vkdev *dev = NULL;
    assert_int_equal(vkdev_create(NULL, &dev, &err), AXVK_OK);
    assert_true(dev->pcache_loaded > 0); /* the rewritten cache is accepted */
    run_copy_once(dev);
    vkdev_destroy(dev);
}

static void test_vk_bandwidth_probe_reports_a_rate(void **state)
{
    (void)state;
    struct err err = {0};
    struct kern_bandwidth bw;
    assert_int_equal(kern_copy_bandwidth(gpu_dev, 4 << 20, 2, &bw, &err), AXVK_OK);
    assert_int_equal(bw.bytes, 4 << 20);
    assert_int_equal(bw.passes, 2);
    assert_true(bw.seconds > 0);
    assert_true(bw.gbps > 0);
    assert_true(bw.gbps < 1e5); /* 100 TB/s: no memory is that fast, a unit error would be */
}

int main(void)
{
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vk_lists_devices_with_sane_fields),
        cmocka_unit_test(test_vk_missing_loader_is_reported_as_no_vulkan),
        cmocka_unit_test(test_vk_selects_by_index_name_and_env),
        cmocka_unit_test(test_vk_disable_hides_features_from_listing_and_device),
        cmocka_unit_test(test_vk_disable_list_given_to_create_replaces_environment),
        cmocka_unit_test(test_vk_split_parts_respect_binding_limit),
        cmocka_unit_test(test_vk_allocation_beyond_heap_fails_with_message),
        cmocka_unit_test(test_vk_injected_limit_fails_cleanly_and_recovers),
        cmocka_unit_test(test_vk_suballocations_share_blocks_and_return),
        cmocka_unit_test(test_vk_upload_download_round_trip_in_chunks),
        cmocka_unit_test(test_vk_copy_kernel_copies_odd_sizes_exactly),
        cmocka_unit_test(test_vk_vec_add_matches_host_on_odd_sizes),
        cmocka_unit_test(test_vk_vec_add_beyond_x_group_limit_spreads_over_y),
        cmocka_unit_test(test_vk_barriers_only_between_dependent_dispatches),
        cmocka_unit_test(test_vk_recording_replays_with_host_written_input),
        cmocka_unit_test(test_vk_recorder_errors_are_sticky_until_begin),
        cmocka_unit_test(test_vk_specializations_are_separate_cached_pipelines),
        cmocka_unit_test(test_vk_profile_reports_time_per_kernel),
        cmocka_unit_test(test_vk_descriptor_pools_grow_past_their_first_size),
        cmocka_unit_test(test_vk_corrupt_pipeline_cache_is_ignored),
        cmocka_unit_test(test_vk_bandwidth_probe_reports_a_rate),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
