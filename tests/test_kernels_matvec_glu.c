/* test_kernels_matvec_glu: the fused decode feed-forward product silu(G x) * (U x) (matvec_record
 * with w_up) against src/ref (ref_matvec of both matrices, then ref_swiglu) for every GGUF weight
 * type, odd row counts, 1..8 columns, A.X 4.0 Light's FFN shape, several device layouts, weights
 * split over bindings, and the refusal of matrices that do not line up.
 *
 * Tolerance: as for the plain product (test_kernels_matvec), the GPU decodes bit-identically to
 * the reference and differs only in the order of fp32 sums; SwiGLU of two such sums stays within
 * the same NMSE <= 1e-7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "kernels/matvec.h"
#include "ref/ops.h"
#include "weights_test.h"

#define NMSE_MAX 1e-7

/* One fused product on the GPU (layout cfg, NULL: the device's) against the reference; returns
 * the NMSE. `parts` gets the number of weight parts the matrices were cut into. */
static double glu_case(uint32_t type, uint32_t rows, uint32_t k, uint32_t n_cols,
                       const struct matvec_config *cfg, uint32_t *parts)
{
    size_t n_out = (size_t)n_cols * rows;
    uint8_t *wg = weights_test_random(type, rows, k);
    uint8_t *wu = weights_test_random(type, rows, k);
    float *x = mem_alloc((size_t)n_cols * k * sizeof *x);
    float *g = mem_alloc(n_out * sizeof *g);
    float *u = mem_alloc(n_out * sizeof *u);
    float *want = mem_alloc(n_out * sizeof *want);
    float *got = mem_alloc(n_out * sizeof *got);
    assert_true(x && g && u && want && got);
    gpu_test_fill_f32(x, (size_t)n_cols * k, -1.0f, 1.0f);
    ref_matvec(g, wg, type, x, rows, k, n_cols, NULL, NULL);
    ref_matvec(u, wu, type, x, rows, k, n_cols, NULL, NULL);
    ref_swiglu(want, g, u, n_out);

    struct vksplit sg, su;
    sg = gpu_test_upload_split(gpu_dev, wg, wtype_row_bytes(type, k), rows);
    su = gpu_test_upload_split(gpu_dev, wu, wtype_row_bytes(type, k), rows);
    *parts = sg.n;
    struct vkbuf bx = gpu_test_buffer(gpu_dev, x, 4ull * n_cols * k);
    /* poisoned, so an output the kernel skips shows as NaN and fails the NMSE */
    struct vkbuf by = gpu_test_buffer(gpu_dev, NULL, 4ull * n_out);
    struct matvec_args a = {.wtype = type, .rows = rows, .k = k, .n_cols = n_cols, .w = &sg,
                            .w_up = &su, .x = bx, .y = by};
    struct err err = {0};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    if (matvec_record(rec, &a, cfg, &err))
        fail_msg("matvec_record glu %s %ux%u: %s", wtype_get(type)->name, rows, k, err.msg);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &by, 4ull * n_out);
    double nmse = gpu_test_nmse(got, want, n_out);

    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &by);
    vkmem_free(gpu_dev, &bx);
    vkmem_free_split(gpu_dev, &su);
    vkmem_free_split(gpu_dev, &sg);
    mem_free(got);
    mem_free(want);
    mem_free(u);
    mem_free(g);
    mem_free(x);
    mem_free(wu);
    mem_free(wg);
    return nmse;
}

/* Returns the number of weight parts. */
static uint32_t expect_glu(uint32_t type, uint32_t rows, uint32_t k, uint32_t n_cols,
                           const struct matvec_config *cfg)
{
    uint32_t parts = 0;
    double nmse = glu_case(type, rows, k, n_cols, cfg, &parts);
    if (!(nmse <= NMSE_MAX))
        fail_msg("matvec glu %s rows %u k %u cols %u (%u parts): NMSE %.3g",
                 wtype_get(type)->name, rows, k, n_cols, parts, nmse);
    return parts;
}

/* Every type sees every row count {1, 7, 33, 257} once, with columns {1, 3, 8} and k rotated
 * between types so that each pairing also occurs; then k = 3584 (the A.X hidden size). */
static void test_matvec_glu_matches_reference_for_every_type(void **state)
{
    (void)state;
    static const uint32_t rows_set[] = {1, 7, 33, 257};
    static const uint32_t cols_set[] = {1, 3, 8};
    static const uint32_t k_block32[] = {32, 96, 256, 768};
    static const uint32_t k_block256[] = {256, 768, 512, 256};
    gpu_test_seed(31);
    for (uint32_t t = 0; t < WEIGHTS_TEST_N_TYPES; t++) {
        uint32_t type = weights_test_types[t];
        const uint32_t *ks = wtype_get(type)->block_elems == 256 ? k_block256 : k_block32;
        for (uint32_t j = 0; j < 4; j++)
            expect_glu(type, rows_set[j], ks[(j + t) % 4], cols_set[(j + t) % 3], NULL);
        expect_glu(type, 19, 3584, cols_set[t % 3], NULL);
    }
}

/* A.X 4.0 Light's gate and up (18944 x 3584) in q4_k, as a Q4_K_M file stores them. */
static void test_matvec_glu_matches_reference_at_ffn_shape(void **state)
{
    (void)state;
    gpu_test_seed(32);
    expect_glu(WTYPE_Q4_K, 18944, 3584, 2, NULL);
}

/* Layouts other devices choose (several subgroups per workgroup, 1-4 rows per subgroup, fewer
 * rows than subgroups) give the same result. */
static void test_matvec_glu_layouts_agree(void **state)
{
    (void)state;
    uint32_t sg = gpu_dev->info.subgroup_size;
    const struct matvec_config layouts[] = {
        {4 * sg, 1, 4}, {sg, 2, 6}, {2 * sg, 4, 8}, {4 * sg, 1, 2},
    };
    const uint32_t types[] = {WTYPE_Q4_K, WTYPE_Q8_0, WTYPE_Q6_K, WTYPE_F16};
    gpu_test_seed(33);
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        expect_glu(types[i], 37, 768, 1 + 3 * (uint32_t)(i % 3), &layouts[i]);
}

/* Weights larger than one binding arrive in row-range parts, both matrices cut alike: a small
 * binding cap cuts test tensors, including parts of an odd count of 2-byte aligned blocks. */
static void test_matvec_glu_reads_split_weights(void **state)
{
    (void)state;
    gpu_test_seed(34);
    vkmem_set_max_binding(gpu_dev, 16384);
    assert_true(expect_glu(WTYPE_Q4_K, 257, 256, 8, NULL) > 1);
    assert_true(expect_glu(WTYPE_Q8_0, 301, 96, 3, NULL) > 1);
    assert_true(expect_glu(WTYPE_Q6_K, 131, 256, 1, NULL) > 1);
    assert_true(expect_glu(WTYPE_F16, 199, 64, 5, NULL) > 1);
}

/* Gate and up that are not alike (other row size, other rows, other part boundaries) or a bias
 * or residual with the fused product are refused with a message, before anything is recorded. */
static void test_matvec_glu_rejects_mismatched_weights(void **state)
{
    (void)state;
    const uint32_t rows = 40, k = 256;
    gpu_test_seed(35);
    uint8_t *w = weights_test_random(WTYPE_Q8_0, rows, k);
    uint8_t *w6 = weights_test_random(WTYPE_Q6_K, rows, k);
    struct vksplit gate, up_type, up_rows, up_parts;
    gate = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(WTYPE_Q8_0, k), rows);
    up_type = gpu_test_upload_split(gpu_dev, w6, wtype_row_bytes(WTYPE_Q6_K, k), rows);
    up_rows = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(WTYPE_Q8_0, k), rows - 8);
    /* the same matrix cut at a smaller binding: other part boundaries */
    vkmem_set_max_binding(gpu_dev, 4096);
    up_parts = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(WTYPE_Q8_0, k), rows);
    vkmem_set_max_binding(gpu_dev, 0);
    assert_true(up_parts.n > 1 && gate.n == 1);
    assert_false(matvec_glu_fits(WTYPE_Q8_0, &gate, &up_parts));
    assert_true(matvec_glu_fits(WTYPE_Q8_0, &gate, &gate));

    struct vkbuf b = gpu_test_buffer(gpu_dev, NULL, 4ull * rows * k);
    const struct matvec_args good = {.wtype = WTYPE_Q8_0, .rows = rows, .k = k, .n_cols = 1,
                                     .w = &gate, .w_up = &gate, .x = b, .y = b};
    struct matvec_args bad[5] = {good, good, good, good, good};
    bad[0].w_up = &up_type;  /* q6_k rows: other bytes per row */
    bad[1].w_up = &up_rows;  /* fewer rows */
    bad[2].w_up = &up_parts; /* other part boundaries */
    bad[3].bias = b;         /* no bias in the fused product */
    bad[4].res = b;          /* nor a residual */
    for (int i = 0; i < 5; i++) {
        struct err err = {0};
        struct vkrec *rec = gpu_test_recorder(gpu_dev);
        axvk_status st = matvec_record(rec, &bad[i], NULL, &err);
        if (st != AXVK_ERR_INVALID_ARGUMENT)
            fail_msg("case %d: status %d, expected invalid argument", i, (int)st);
        assert_int_equal(vkrec_err(rec)->status, st);
        assert_true(strlen(err.msg) > 0);
        vkrec_destroy(rec);
    }
    vkmem_free(gpu_dev, &b);
    vkmem_free_split(gpu_dev, &up_parts);
    vkmem_free_split(gpu_dev, &up_rows);
    vkmem_free_split(gpu_dev, &up_type);
    vkmem_free_split(gpu_dev, &gate);
    mem_free(w6);
    mem_free(w);
}

/* teardown of the tests that lower the binding cap: restore it even when they fail */
static int restore_binding_cap(void **state)
{
    (void)state;
    vkmem_set_max_binding(gpu_dev, 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matvec_glu_matches_reference_for_every_type),
        cmocka_unit_test(test_matvec_glu_matches_reference_at_ffn_shape),
        cmocka_unit_test(test_matvec_glu_layouts_agree),
        cmocka_unit_test_teardown(test_matvec_glu_reads_split_weights, restore_binding_cap),
        cmocka_unit_test_teardown(test_matvec_glu_rejects_mismatched_weights,
                                  restore_binding_cap),
    };
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
