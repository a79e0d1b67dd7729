/* test_base: fp16/bf16 rounding, overflow-checked allocation, error messages, file mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/half.h"
#include "base/mapfile.h"

static void test_f16_round_trips_every_half(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        uint32_t exp = (h >> 10) & 0x1f;
        if (exp == 0x1f && (h & 0x3ff))
            continue; /* NaN payloads need not survive */
        assert_int_equal(f32_to_f16(f16_to_f32((uint16_t)h)), h);
    }
}

static void test_f16_rounds_to_nearest_even(void **state)
{
    (void)state;
    /* 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to even (1). */
    assert_int_equal(f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);
    assert_int_equal(f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);
    assert_int_equal(f32_to_f16(65520.0f), 0x7c00); /* rounds past the largest half */
    assert_int_equal(f32_to_f16(5.96046448e-8f), 0x0001); /* smallest subnormal */
}

static void test_bf16_rounds_to_nearest_even(void **state)
{
    (void)state;
    assert_int_equal(f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(f32_to_bf16(f32_from_bits(0x3f808000u)), 0x3f80); /* tie, even stays */
    assert_int_equal(f32_to_bf16(f32_from_bits(0x3f818000u)), 0x3f82); /* tie, odd rounds up */
    assert_true(bf16_to_f32(0x4049) > 3.14f && bf16_to_f32(0x4049) < 3.15f);
}

static void test_calloc_refuses_overflowing_sizes(void **state)
{
    (void)state;
    assert_null(mem_calloc(SIZE_MAX / 2, 4));
    void *p = mem_calloc(3, 5);
    assert_non_null(p);
    mem_free(p);
}

static void test_alloc_failure_injection(void **state)
{
    (void)state;
    mem_fail_after(1);
    void *a = mem_alloc(16);
    void *b = mem_alloc(16);
    mem_fail_after(-1);
    assert_non_null(a);
    assert_null(b);
    mem_free(a);
}

static void test_err_wrap_prefixes_context(void **state)
{
    (void)state;
    struct err e;
    err_clear(&e);
    assert_int_equal(err_set(&e, AXVK_ERR_BAD_FILE, "offset %d past end", 123), AXVK_ERR_BAD_FILE);
    err_wrap(&e, "tensor %s", "blk.3.attn_q.weight");
    assert_string_equal(e.msg, "tensor blk.3.attn_q.weight: offset 123 past end");
    assert_string_equal(axvk_status_str(AXVK_ERR_OUT_OF_DEVICE_MEMORY), "out of device memory");
}

static void test_mapfile_reports_missing_file(void **state)
{
    (void)state;
    struct mapfile m;
    struct err e;
    err_clear(&e);
    assert_int_equal(mapfile_open(&m, "/nonexistent/axvk-file", &e), AXVK_ERR_IO);
    assert_non_null(strstr(e.msg, "/nonexistent/axvk-file"));
}

static void test_file_read_all_terminates(void **state)
{
    (void)state;
    const char *path = AXVK_TEST_TMP "/test_base_file.txt";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("hello", f);
    fclose(f);
    char *buf = NULL;
    size_t size = 0;
    assert_int_equal(file_read_all(path, &buf, &size, NULL), AXVK_OK);
    assert_int_equal(size, 5);
    assert_string_equal(buf, "hello");
    mem_free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_round_trips_every_half),
        cmocka_unit_test(test_f16_rounds_to_nearest_even),
        cmocka_unit_test(test_bf16_rounds_to_nearest_even),
        cmocka_unit_test(test_calloc_refuses_overflowing_sizes),
        cmocka_unit_test(test_alloc_failure_injection),
        cmocka_unit_test(test_err_wrap_prefixes_context),
        cmocka_unit_test(test_mapfile_reports_missing_file),
        cmocka_unit_test(test_file_read_all_terminates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
