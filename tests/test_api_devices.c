/* test_api_devices: include/axvk.h's device calls against what the vk layer reports for the same
 * devices: the listing `axvk devices` prints, the choice a context would make, the copy-bandwidth
 * probe. A context's disable list hides features from that context only and leaves the process's
 * environment as it was. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "axvk.h"
#include "base/alloc.h"
#include "gpu_test.h"

/* A context on the executable's device (by index) with the given disable list. */
static axvk_context *open_context(const char *disable)
{
    char index[16];
    snprintf(index, sizeof index, "%u", gpu_dev->info.index);
    axvk_context_desc desc = {.device = index, .disable = disable};
    axvk_context *ctx = NULL;
    if (axvk_context_create(&desc, &ctx) != AXVK_OK)
        fail_msg("axvk_context_create: %s", axvk_errmsg(NULL));
    return ctx;
}

static void test_context_disable_list_hides_features_and_keeps_the_environment(void **state)
{
    (void)state;
    const uint32_t have = gpu_dev->info.features;
    unsetenv("AXVK_DISABLE");
    axvk_context *ctx = open_context("fp16,storage16,memory-budget");
    axvk_device_info info;
    assert_int_equal(axvk_context_device_info(ctx, &info), AXVK_OK);
    assert_int_equal(info.index, gpu_dev->info.index);
    assert_int_equal(info.fp16, 0);
    assert_int_equal(info.storage16, 0);
    assert_int_equal(info.memory_budget, 0);
    assert_int_equal(info.storage8, !!(have & VKFEAT_INT8));
    assert_int_equal(info.intdot, !!(have & VKFEAT_INTDOT));
    assert_null(getenv("AXVK_DISABLE"));
    axvk_context_destroy(ctx);
    /* the next context, given no list, has every feature again */
    ctx = open_context(NULL);
    assert_int_equal(axvk_context_device_info(ctx, &info), AXVK_OK);
    assert_int_equal(info.fp16, !!(have & VKFEAT_FP16));
    assert_int_equal(info.storage16, !!(have & VKFEAT_STORAGE16));
    assert_int_equal(info.memory_budget, !!(have & VKFEAT_MEMORY_BUDGET));
    axvk_context_destroy(ctx);
    /* an unknown name is refused and named */
    axvk_context_desc bad = {.disable = "fp16,warp-drive"};
    assert_int_equal(axvk_context_create(&bad, &ctx), AXVK_ERR_INVALID_ARGUMENT);
    assert_null(ctx);
    assert_non_null(strstr(axvk_errmsg(NULL), "warp-drive"));
}

static void test_devices_list_reports_what_the_vk_layer_sees(void **state)
{
    (void)state;
    const uint32_t off = AXVK_FEATURE_COOPMAT | AXVK_FEATURE_INTDOT | AXVK_FEATURE_FP16;
    setenv("AXVK_DISABLE", "coopmat,intdot,fp16", 1);
    struct vkdev_info *ref = NULL;
    uint32_t n_ref = 0;
    struct err err = {0};
    assert_int_equal(vkdev_list(&ref, &n_ref, &err), AXVK_OK);
    axvk_device_info *list = NULL;
    size_t n = 0;
    char why[256];
    assert_int_equal(axvk_devices_list(&list, &n, why, sizeof why), AXVK_OK);
    unsetenv("AXVK_DISABLE");
    assert_int_equal(n, n_ref);
    for (size_t i = 0; i < n; i++) {
        const axvk_device_info *d = &list[i];
        const struct vkdev_info *r = &ref[i];
        assert_int_equal(d->index, r->index);
        assert_string_equal(d->name, r->name);
        assert_string_equal(d->type, r->type_name);
        assert_string_equal(d->driver_info, r->driver_info);
        assert_int_equal(d->driver_version_raw, r->driver_version);
        assert_int_equal(d->usable, r->usable);
        assert_string_equal(d->unusable_reason, r->unusable_reason);
        assert_int_equal(d->device_heap, r->device_heap);
        assert_int_equal(d->min_storage_buffer_offset_alignment, r->min_storage_offset_align);
        assert_int_equal(d->max_push_constants_size, r->max_push_constants);
        assert_int_equal(d->max_workgroup_invocations, r->max_wg_invocations);
        for (int k = 0; k < 3; k++)
            assert_int_equal(d->max_workgroup_count[k], r->max_wg_count[k]);
        assert_int_equal(d->max_shared_memory_bytes, r->max_shared_bytes);
        assert_int_equal(d->subgroup_size, r->subgroup_size);
        assert_int_equal(d->features_present, r->present);
        assert_int_equal(d->features_disabled, off);
        assert_int_equal(d->intdot_accelerated, !!r->intdot_accelerated);
        /* the int flags are the bits present and not disabled */
        const uint32_t on = d->features_present & ~d->features_disabled;
        assert_int_equal(d->fp16, 0);
        assert_int_equal(d->intdot, 0);
        assert_int_equal(d->coopmat, 0);
        assert_int_equal(d->storage16, !!(on & AXVK_FEATURE_STORAGE16));
        assert_int_equal(d->storage8, !!(on & AXVK_FEATURE_INT8));
        assert_int_equal(d->subgroup_size_control, !!(on & AXVK_FEATURE_SUBGROUP_SIZE_CONTROL));
        assert_int_equal(d->memory_budget, !!(on & AXVK_FEATURE_MEMORY_BUDGET));
        assert_int_equal(d->n_coopmat, 0);
        assert_string_equal(d->coopmat_shapes, "");
    }
    /* the names AXVK_DISABLE takes, bit by bit */
    assert_string_equal(axvk_feature_name(0), "fp16");
    assert_string_equal(axvk_feature_name(5), "coopmat");
    assert_string_equal(axvk_feature_name(AXVK_FEATURE_COUNT - 1), "memory-budget");
    assert_null(axvk_feature_name(AXVK_FEATURE_COUNT));
    axvk_free(list);
    mem_free(ref);
}

static void test_devices_select_names_the_device_a_context_gets(void **state)
{
    (void)state;
    char why[256];
    axvk_device_info chosen, used;
    assert_int_equal(axvk_devices_select(NULL, &chosen, why, sizeof why), AXVK_OK);
    assert_int_equal(chosen.index, gpu_dev->info.index);
    assert_string_equal(chosen.name, gpu_dev->info.name);
    axvk_context *ctx = NULL;
    assert_int_equal(axvk_context_create(NULL, &ctx), AXVK_OK);
    assert_int_equal(axvk_context_device_info(ctx, &used), AXVK_OK);
    assert_int_equal(used.index, chosen.index);
    axvk_context_destroy(ctx);
    /* by index, and a request nothing matches */
    char index[16];
    snprintf(index, sizeof index, "%u", gpu_dev->info.index);
    assert_int_equal(axvk_devices_select(index, &chosen, why, sizeof why), AXVK_OK);
    assert_int_equal(chosen.index, gpu_dev->info.index);
    assert_int_equal(axvk_devices_select("no such device anywhere", &chosen, why, sizeof why),
                     AXVK_ERR_NO_DEVICE);
    assert_non_null(strstr(why, "no such device anywhere"));
}

static void test_context_bandwidth_reports_the_copy_rate(void **state)
{
    (void)state;
    axvk_context *ctx = open_context(NULL);
    axvk_bandwidth bw;
    assert_int_equal(axvk_context_bandwidth(ctx, 3u << 20, 3, &bw), AXVK_OK);
    assert_int_equal(bw.bytes, 3u << 20);
    assert_int_equal(bw.passes, 3);
    assert_true(bw.seconds > 0);
    assert_true(fabs(bw.gbps - 2.0 * (3u << 20) * 3 / bw.seconds / 1e9) < 1e-6 * bw.gbps);
    /* the size goes down to whole 256-byte blocks, and below one block is refused */
    assert_int_equal(axvk_context_bandwidth(ctx, 1000, 1, &bw), AXVK_OK);
    assert_int_equal(bw.bytes, 768);
    assert_int_equal(axvk_context_bandwidth(ctx, 100, 1, &bw), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(axvk_errmsg(ctx), "256"));
    axvk_context_destroy(ctx);
    /* a text-only context has no device to measure */
    axvk_context_desc text_only = {.flags = AXVK_CONTEXT_NO_GPU};
    assert_int_equal(axvk_context_create(&text_only, &ctx), AXVK_OK);
    assert_int_equal(axvk_context_bandwidth(ctx, 0, 0, &bw), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(axvk_errmsg(ctx), "without a device"));
    axvk_context_destroy(ctx);
}

int main(void)
{
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_disable_list_hides_features_and_keeps_the_environment),
        cmocka_unit_test(test_devices_list_reports_what_the_vk_layer_sees),
        cmocka_unit_test(test_devices_select_names_the_device_a_context_gets),
        cmocka_unit_test(test_context_bandwidth_reports_the_copy_rate),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
