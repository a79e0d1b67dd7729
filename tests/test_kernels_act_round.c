/* test_kernels_act_round: act_round.comp against ref_round_activations, bit for bit, for every
 * weight type's rounding (f16, bf16, q8_0, q8_K) over odd and model-like shapes, rows of very
 * different magnitudes (f16 subnormals and overflow included) and blocks built to sit on
 * rounding ties; outputs poisoned first, and the bytes past the rows must keep the poison. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/half.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "kernels/act_round.h"
#include "ref/act_round.h"

/* Row r of x [n_rows, k]: uniform values scaled by 10^(r % 7 - 4) (1e-4 .. 100), so scales
 * and f16 exponents vary from row to row; with ties, every fourth 32-block is rebuilt on a
 * grid where many x * 127 / amax land exactly on k + 0.5. */
static void fill(float *x, uint32_t n_rows, uint32_t k, int ties)
{
    for (uint32_t r = 0; r < n_rows; r++) {
        float *row = x + (size_t)r * k;
        gpu_test_fill_f32(row, k, -1.0f, 1.0f);
        const float scale = powf(10.0f, (float)(r % 7) - 4.0f);
        for (uint32_t i = 0; i < k; i++)
            row[i] *= scale;
        for (uint32_t b = 0; ties && b + 32 <= k; b += 128) {
            /* amax 127 * s (s a power of two): id * x = (j - 64) / 2 exactly, half of them ties */
            const float s = ldexpf(1.0f, (int)(gpu_test_u32() % 9) - 4);
            for (uint32_t j = 0; j < 32; j++)
                row[b + j] = (float)((int)(gpu_test_u32() % 255) - 127) * 0.5f * s;
            row[b + gpu_test_u32() % 32] = (gpu_test_u32() & 1 ? 127.0f : -127.0f) * s;
        }
    }
}

/* The kernel's output for x [n_rows, k] equals the reference's bits; y is poisoned one block
 * past the rows and that block must still hold the poison. */
static void check(uint32_t wtype, uint32_t n_rows, uint32_t k, int ties)
{
    const size_t n = (size_t)n_rows * k, tail = 256;
    float *x = mem_alloc(n * sizeof(float)), *want = mem_alloc(n * sizeof(float));
    float *got = mem_alloc((n + tail) * sizeof(float));
    assert_true(x && want && got);
    fill(x, n_rows, k, ties);
    if (wtype == WTYPE_F16 && n >= 2) {
        x[0] = 70000.0f;  /* past f16's range: infinity */
        x[1] = -3e-7f;    /* an f16 subnormal */
    }
    memcpy(want, x, n * sizeof(float));
    for (uint32_t r = 0; r < n_rows; r++)
        ref_round_activations(want + (size_t)r * k, k, wtype);

    struct vkbuf bx = gpu_test_buffer(gpu_dev, x, n * sizeof(float));
    struct vkbuf by = gpu_test_buffer(gpu_dev, NULL, (n + tail) * sizeof(float));
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_act_round(rec, &by, &bx, wtype, n_rows, k), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &by, (n + tail) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        if (f32_bits(got[i]) != f32_bits(want[i]))
            fail_msg("%s %u x %u: element %zu of %g is %.9g, reference %.9g", wtype_get(wtype)->name,
                     n_rows, k, i, (double)x[i], (double)got[i], (double)want[i]);
    for (size_t i = n; i < n + tail; i++)
        if (f32_bits(got[i]) != GPU_TEST_POISON)
            fail_msg("%s %u x %u: wrote past the rows at %zu", wtype_get(wtype)->name, n_rows, k, i);
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &bx);
    vkmem_free(gpu_dev, &by);
    mem_free(x);
    mem_free(want);
    mem_free(got);
}

static void test_f16_and_bf16_rounding_match_ref_bit_for_bit(void **state)
{
    (void)state;
    gpu_test_seed(31);
    const uint32_t shapes[][2] = {{1, 256}, {7, 896}, {3, 33}, {8, 3584}, {5, 1}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        check(WTYPE_F16, shapes[i][0], shapes[i][1], 0);
        check(WTYPE_BF16, shapes[i][0], shapes[i][1], 0);
    }
}

static void test_q8_0_rounding_matches_ref_with_ties(void **state)
{
    (void)state;
    gpu_test_seed(32);
    const uint32_t shapes[][2] = {{1, 32}, {1, 3584}, {7, 768}, {9, 4864}, {2, 18944}};
    const uint32_t types[] = {WTYPE_Q8_0, WTYPE_Q4_0, WTYPE_Q5_1};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check(types[i % 3], shapes[i][0], shapes[i][1], 1);
}

static void test_q8_k_rounding_matches_ref_with_ties(void **state)
{
    (void)state;
    gpu_test_seed(33);
    const uint32_t shapes[][2] = {{1, 256}, {3, 3584}, {7, 768}, {17, 512}, {2, 18944}};
    const uint32_t types[] = {WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check(types[i % 3], shapes[i][0], shapes[i][1], 1);
}

/* Zero blocks give zeros (not NaN from 0 / 0); blocks of tiny values follow each format's scale. */
static void test_zero_and_tiny_blocks_match_ref(void **state)
{
    (void)state;
    const uint32_t types[] = {WTYPE_Q8_0, WTYPE_Q4_K};
    for (size_t t = 0; t < 2; t++) {
        const uint32_t k = 512;
        float x[512] = {0}, want[512], got[512];
        x[300] = -1e-20f;
        x[301] = 5e-21f;
        memcpy(want, x, sizeof x);
        ref_round_activations(want, k, types[t]);
        struct vkbuf bx = gpu_test_buffer(gpu_dev, x, sizeof x);
        struct vkbuf by = gpu_test_buffer(gpu_dev, NULL, sizeof x);
        struct vkrec *rec = gpu_test_recorder(gpu_dev);
        assert_int_equal(kern_act_round(rec, &by, &bx, types[t], 1, k), AXVK_OK);
        gpu_test_run(rec);
        gpu_test_download(gpu_dev, got, &by, sizeof got);
        for (uint32_t i = 0; i < k; i++)
            if (f32_bits(got[i]) != f32_bits(want[i]))
                fail_msg("%s element %u: %g, reference %g", wtype_get(types[t])->name, i,
                         (double)got[i], (double)want[i]);
        /* q8_0's f16 scale (1e-20 / 127) underflows to 0; q8_K keeps an f32 scale */
        if (types[t] == WTYPE_Q8_0)
            assert_true(got[300] == 0.0f && got[301] == 0.0f);
        else
            assert_true(got[300] < 0.0f && got[301] > 0.0f && got[0] == 0.0f);
        vkrec_destroy(rec);
        vkmem_free(gpu_dev, &bx);
        vkmem_free(gpu_dev, &by);
    }
}

static void test_block_table_matches_ref_and_bad_shapes_are_refused(void **state)
{
    (void)state;
    for (uint32_t t = 0; t < WTYPE_COUNT; t++) {
        if (!wtype_get(t))
            continue;
        const enum ref_act_round mode = ref_act_round_for(t);
        const uint32_t want = mode == REF_ACT_ROUND_NONE ? 0 : (uint32_t)ref_act_round_block(mode);
        if (kern_act_round_block(t) != want)
            fail_msg("%s: block %u, reference %u", wtype_get(t)->name, kern_act_round_block(t), want);
    }
    struct vkbuf b = gpu_test_buffer(gpu_dev, NULL, 4096);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_act_round(rec, &b, &b, WTYPE_F32, 1, 256), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_act_round(rec, &b, &b, WTYPE_Q4_K, 1, 288), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(vkrec_err(rec)->msg, "288"));
    vkrec_destroy(rec);
    rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_act_round(rec, &b, &b, WTYPE_F16, 2, 1024), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_and_bf16_rounding_match_ref_bit_for_bit),
        cmocka_unit_test(test_q8_0_rounding_matches_ref_with_ties),
        cmocka_unit_test(test_q8_k_rounding_matches_ref_with_ties),
        cmocka_unit_test(test_zero_and_tiny_blocks_match_ref),
        cmocka_unit_test(test_block_table_matches_ref_and_bad_shapes_are_refused),
    };
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
