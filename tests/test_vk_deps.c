/* test_vk_deps: the parts of src/vk that need no device: the dependency tracker that places
 * barriers, AXVK_DISABLE parsing, device choice over made-up device lists, the SPIR-V binding
 * reflection of the embedded kernels and the work-group grid split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernels/registry.h"
#include "vk/deps.h"

static struct vkdeps_access acc(uint64_t buffer, uint64_t begin, uint64_t end, uint32_t mode)
{
    return (struct vkdeps_access){buffer, begin, end, mode};
}

static void test_deps_reads_of_one_range_need_no_barrier(void **state)
{
    (void)state;
    struct vkdeps d;
    vkdeps_init(&d);
    struct vkdeps_access first[2] = {acc(7, 0, 4096, VKDEPS_READ), acc(9, 0, 256, VKDEPS_WRITE)};
    assert_false(vkdeps_conflicts(&d, first, 2));
    assert_int_equal(vkdeps_add(&d, first, 2), 0);
    /* the same input again, a different output */
    struct vkdeps_access second[2] = {acc(7, 1024, 2048, VKDEPS_READ), acc(9, 256, 512, VKDEPS_WRITE)};
    assert_false(vkdeps_conflicts(&d, second, 2));
    vkdeps_free(&d);
}

static void test_deps_read_after_write_needs_barrier(void **state)
{
    (void)state;
    struct vkdeps d;
    vkdeps_init(&d);
    struct vkdeps_access w = acc(3, 256, 512, VKDEPS_WRITE);
    assert_int_equal(vkdeps_add(&d, &w, 1), 0);
    struct vkdeps_access r = acc(3, 500, 600, VKDEPS_READ);
    assert_true(vkdeps_conflicts(&d, &r, 1));
    assert_true(vkdeps_dirty(&d));
    vkdeps_reset(&d);
    assert_false(vkdeps_conflicts(&d, &r, 1));
    assert_false(vkdeps_dirty(&d));
    vkdeps_free(&d);
}

static void test_deps_write_after_read_and_write_after_write_need_barrier(void **state)
{
    (void)state;
    struct vkdeps d;
    vkdeps_init(&d);
    struct vkdeps_access r = acc(5, 0, 100, VKDEPS_READ), w = acc(5, 99, 200, VKDEPS_WRITE);
    assert_int_equal(vkdeps_add(&d, &r, 1), 0);
    assert_true(vkdeps_conflicts(&d, &w, 1)); /* WAR */
    vkdeps_reset(&d);
    assert_int_equal(vkdeps_add(&d, &w, 1), 0);
    struct vkdeps_access w2 = acc(5, 150, 160, VKDEPS_WRITE);
    assert_true(vkdeps_conflicts(&d, &w2, 1)); /* WAW */
    struct vkdeps_access rw = acc(5, 199, 300, VKDEPS_READ | VKDEPS_WRITE);
    assert_true(vkdeps_conflicts(&d, &rw, 1));
    vkdeps_free(&d);
}

static void test_deps_adjacent_ranges_and_other_buffers_are_independent(void **state)
{
    (void)state;
    struct vkdeps d;
    vkdeps_init(&d);
    struct vkdeps_access w = acc(11, 256, 512, VKDEPS_WRITE);
    assert_int_equal(vkdeps_add(&d, &w, 1), 0);
    struct vkdeps_access before = acc(11, 0, 256, VKDEPS_READ | VKDEPS_WRITE);
    struct vkdeps_access after = acc(11, 512, 4096, VKDEPS_READ | VKDEPS_WRITE);
    struct vkdeps_access other = acc(12, 256, 512, VKDEPS_READ | VKDEPS_WRITE);
    assert_false(vkdeps_conflicts(&d, &before, 1));
    assert_false(vkdeps_conflicts(&d, &after, 1));
    assert_false(vkdeps_conflicts(&d, &other, 1));
    /* many commands between barriers: the list grows */
    for (uint64_t i = 0; i < 100; i++) {
        struct vkdeps_access a = acc(20 + i, 0, 64, VKDEPS_WRITE);
        assert_false(vkdeps_conflicts(&d, &a, 1));
        assert_int_equal(vkdeps_add(&d, &a, 1), 0);
    }
    struct vkdeps_access late = acc(77, 32, 33, VKDEPS_READ);
    assert_true(vkdeps_conflicts(&d, &late, 1));
    vkdeps_free(&d);
}

static void test_feature_list_parses_names_and_rejects_unknown(void **state)
{
    (void)state;
    uint32_t mask = 123;
    struct err err = {0};
    assert_int_equal(vkfeat_parse(NULL, &mask, &err), AXVK_OK);
    assert_int_equal(mask, 0);
    assert_int_equal(vkfeat_parse(" fp16, int8 ,coopmat,,memory-budget", &mask, &err), AXVK_OK);
    assert_int_equal(mask, VKFEAT_FP16 | VKFEAT_INT8 | VKFEAT_COOPMAT | VKFEAT_MEMORY_BUDGET);
    assert_int_equal(vkfeat_parse("intdot,subgroup-size-control,storage16", &mask, &err), AXVK_OK);
    assert_int_equal(mask, VKFEAT_INTDOT | VKFEAT_SUBGROUP_SIZE_CONTROL | VKFEAT_STORAGE16);
    assert_int_equal(vkfeat_parse("fp16,fp17", &mask, &err), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "'fp17'"));
    for (uint32_t i = 0; i < VKFEAT_COUNT; i++) {
        assert_int_equal(vkfeat_parse(vkfeat_name(i), &mask, &err), AXVK_OK);
        assert_int_equal(mask, 1u << i);
    }
}

static void fake_device(struct vkdev_info *d, uint32_t index, const char *name,
                        VkPhysicalDeviceType type, int usable)
{
    memset(d, 0, sizeof *d);
    d->index = index;
    strcpy(d->name, name);
    d->type = type;
    d->usable = usable;
    if (!usable)
        strcpy(d->unusable_reason, "Vulkan 1.1 only; axvk needs 1.2");
}

static void test_select_prefers_discrete_then_integrated(void **state)
{
    (void)state;
    unsetenv("AXVK_DEVICE");
    struct vkdev_info list[4];
    fake_device(&list[0], 0, "llvmpipe (LLVM 15.0.6, 256 bits)", VK_PHYSICAL_DEVICE_TYPE_CPU, 1);
    fake_device(&list[1], 1, "Intel(R) UHD Graphics 770", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, 1);
    fake_device(&list[2], 2, "AMD Radeon RX 7900 XTX", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 1);
    fake_device(&list[3], 3, "Some Accelerator", VK_PHYSICAL_DEVICE_TYPE_OTHER, 1);
    uint32_t chosen = 99;
    struct err err = {0};
    assert_int_equal(vkdev_select(list, 4, NULL, &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 2);
    list[2].usable = 0; /* a discrete GPU that cannot run axvk is passed over */
    assert_int_equal(vkdev_select(list, 4, "", &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 1);
    assert_int_equal(vkdev_select(list, 1, NULL, &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 0);
}

static void test_select_by_index_name_and_env(void **state)
{
    (void)state;
    struct vkdev_info list[3];
    fake_device(&list[0], 0, "llvmpipe (LLVM 15.0.6, 256 bits)", VK_PHYSICAL_DEVICE_TYPE_CPU, 1);
    fake_device(&list[1], 1, "NVIDIA GeForce RTX 4090", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 1);
    fake_device(&list[2], 2, "Old GPU", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 0);
    uint32_t chosen = 99;
    struct err err = {0};
    unsetenv("AXVK_DEVICE");
    assert_int_equal(vkdev_select(list, 3, "0", &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 0);
    assert_int_equal(vkdev_select(list, 3, "rtx 4090", &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 1);
    assert_int_equal(vkdev_select(list, 3, "LLVMPIPE", &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 0);
    assert_int_equal(vkdev_select(list, 3, "7", &chosen, &err), AXVK_ERR_NO_DEVICE);
    assert_non_null(strstr(err.msg, "'7'"));
    assert_int_equal(vkdev_select(list, 3, "radeon", &chosen, &err), AXVK_ERR_NO_DEVICE);
    assert_int_equal(vkdev_select(list, 3, "2", &chosen, &err), AXVK_ERR_NO_DEVICE);
    assert_non_null(strstr(err.msg, "needs 1.2"));
    setenv("AXVK_DEVICE", "llvm", 1);
    assert_int_equal(vkdev_select(list, 3, NULL, &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 0);
    /* an explicit choice wins over the environment */
    assert_int_equal(vkdev_select(list, 3, "1", &chosen, &err), AXVK_OK);
    assert_int_equal(chosen, 1);
    unsetenv("AXVK_DEVICE");
}

static void test_spirv_reflection_finds_read_and_written_bindings(void **state)
{
    (void)state;
    struct vkspv_info info;
    struct err err = {0};
    const struct vkkernel *copy = kern_get(KERNEL_copy);
    assert_non_null(copy);
    assert_string_equal(copy->name, "copy");
    assert_int_equal(vkspv_reflect(copy->spv, copy->spv_size, &info, &err), AXVK_OK);
    assert_int_equal(info.n_bindings, 2);
    assert_int_equal(info.read_mask, 1u << 0); /* src readonly, dst writeonly, each two views */
    assert_int_equal(info.write_mask, 1u << 1);
    assert_int_equal(info.wg_spec, 1);
    const struct vkkernel *add = kern_get(KERNEL_vec_add);
    assert_int_equal(vkspv_reflect(add->spv, add->spv_size, &info, &err), AXVK_OK);
    assert_int_equal(info.n_bindings, 3);
    assert_int_equal(info.read_mask, 3u);
    assert_int_equal(info.write_mask, 4u);
    assert_int_equal(add->n_bindings, 3);
    assert_int_equal(add->push_size, 4);
    /* an instruction running past the end, or of length zero, is refused, not followed */
    uint32_t *bad = malloc(add->spv_size);
    assert_non_null(bad);
    memcpy(bad, add->spv, add->spv_size);
    bad[5] = (0xffffu << 16) | (bad[5] & 0xffff);
    assert_int_equal(vkspv_reflect(bad, add->spv_size, &info, &err), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "truncated"));
    bad[5] &= 0xffff;
    assert_int_equal(vkspv_reflect(bad, add->spv_size, &info, &err), AXVK_ERR_INVALID_ARGUMENT);
    free(bad);
    uint32_t junk[8] = {0x12345678u, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(vkspv_reflect(junk, sizeof junk, &info, &err), AXVK_ERR_INVALID_ARGUMENT);
    assert_null(kern_get(KERNEL_COUNT));
}

static void test_spirv_reflection_reads_a_fixed_workgroup_size(void **state)
{
    (void)state;
    /* a hand-made module: header, OpExecutionMode %4 LocalSize 64 2 1, nothing else */
    uint32_t spv[] = {0x07230203u, 0x00010500u, 0, 8, 0, (6u << 16) | 16u, 4, 17, 64, 2, 1};
    struct vkspv_info info;
    struct err err = {0};
    assert_int_equal(vkspv_reflect(spv, sizeof spv, &info, &err), AXVK_OK);
    assert_int_equal(info.wg_spec, 0);
    assert_int_equal(info.local_size[0], 64);
    assert_int_equal(info.local_size[1], 2);
    assert_int_equal(info.n_bindings, 0);
}

static void test_group_split_stays_within_device_grid(void **state)
{
    (void)state;
    struct vkdev dev;
    memset(&dev, 0, sizeof dev);
    dev.info.max_wg_count[0] = 65535;
    dev.info.max_wg_count[1] = 65535;
    dev.info.max_wg_count[2] = 4;
    uint32_t g[3];
    struct err err = {0};
    assert_int_equal(kern_groups(&dev, 1000, g, &err), AXVK_OK);
    assert_int_equal(g[0], 1000);
    assert_int_equal(g[1], 1);
    assert_int_equal(g[2], 1);
    assert_int_equal(kern_groups(&dev, 65536, g, &err), AXVK_OK);
    assert_int_equal(g[0], 65535);
    assert_int_equal(g[1], 2);
    assert_int_equal(g[2], 1);
    uint64_t big = 65535ull * 65535ull * 3 + 17;
    assert_int_equal(kern_groups(&dev, big, g, &err), AXVK_OK);
    assert_true((uint64_t)g[0] * g[1] * g[2] >= big);
    assert_true(g[2] <= 4);
    assert_int_equal(kern_groups(&dev, 65535ull * 65535ull * 5, g, &err), AXVK_ERR_UNSUPPORTED);
    assert_int_equal(kern_groups(&dev, 0, g, &err), AXVK_OK);
    assert_int_equal(g[0], 0);
    assert_int_equal(kern_div_up(1001, 256), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deps_reads_of_one_range_need_no_barrier),
        cmocka_unit_test(test_deps_read_after_write_needs_barrier),
        cmocka_unit_test(test_deps_write_after_read_and_write_after_write_need_barrier),
        cmocka_unit_test(test_deps_adjacent_ranges_and_other_buffers_are_independent),
        cmocka_unit_test(test_feature_list_parses_names_and_rejects_unknown),
        cmocka_unit_test(test_select_prefers_discrete_then_integrated),
        cmocka_unit_test(test_select_by_index_name_and_env),
        cmocka_unit_test(test_spirv_reflection_finds_read_and_written_bindings),
        cmocka_unit_test(test_spirv_reflection_reads_a_fixed_workgroup_size),
        cmocka_unit_test(test_group_split_stays_within_device_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
