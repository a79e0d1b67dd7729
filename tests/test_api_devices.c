/* test_api_devices: include/axvk.h's device calls against what the vk layer reports for the same
 * device. A context's disable list hides features from that context only and leaves the
 * process's environment as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "axvk.h"
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

int main(void)
{
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_disable_list_hides_features_and_keeps_the_environment),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
