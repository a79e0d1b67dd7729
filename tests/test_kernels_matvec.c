/* test_kernels_matvec: the decode-path weight kernels (matvec, get_rows) against src/ref for every
 * GGUF weight type, odd and model-like shapes, fused bias/residual, weights split over several
 * bindings, out-of-range ids, and the GPU decode of llama.cpp-quantized tensors value for value.
 *
 * Tolerance: dequant.glsl decodes bit-identically to ref_dequantize (no fused multiply-adds in
 * the decode), so GPU and reference differ only in the order of the fp32 sums. That keeps every
 * type, quantized or not, at NMSE <= 1e-7 — stricter than the 5e-4 a quantized product could be
 * allowed, so a wrong scale on one sub-block cannot hide. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "dequant_vectors.h"
#include "gpu_test.h"
#include "kernels/get_rows.h"
#include "kernels/matvec.h"
#include "model/gguf.h"
#include "ref/ops.h"
#include "weights_test.h"

#define NMSE_MAX 1e-7

enum { WITH_BIAS = 1, WITH_RES = 2, IN_PLACE = 4 };

static float *random_floats(size_t n)
{
    float *x = mem_alloc(n * sizeof *x);
    assert_non_null(x);
    gpu_test_fill_f32(x, n, -1.0f, 1.0f);
    return x;
}

/* One product on the GPU (layout cfg, NULL: the device's) against ref_matvec; returns the NMSE. */
static double matvec_case(uint32_t type, uint32_t rows, uint32_t k, uint32_t n_cols, int flags,
                          const struct matvec_config *cfg)
{
    uint8_t *w = weights_test_random(type, rows, k);
    float *x = random_floats((size_t)n_cols * k);
    float *bias = random_floats(rows);
    float *res = random_floats((size_t)n_cols * rows);
    float *want = mem_alloc((size_t)n_cols * rows * sizeof *want);
    float *got = mem_alloc((size_t)n_cols * rows * sizeof *got);
    assert_non_null(want);
    assert_non_null(got);
    ref_matvec(want, w, type, x, rows, k, n_cols, flags & WITH_BIAS ? bias : NULL,
               flags & (WITH_RES | IN_PLACE) ? res : NULL);

    uint64_t y_bytes = 4ull * n_cols * rows;
    struct vksplit split;
    split = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(type, k), rows);
    struct vkbuf bx = gpu_test_buffer(gpu_dev, x, 4ull * n_cols * k);
    /* poisoned, so an output the kernel skips shows as NaN; in place it starts as the residual */
    struct vkbuf by = gpu_test_buffer(gpu_dev, flags & IN_PLACE ? res : NULL, y_bytes);
    struct vkbuf bb = gpu_test_buffer(gpu_dev, bias, 4ull * rows);
    struct vkbuf br = gpu_test_buffer(gpu_dev, res, y_bytes);
    struct matvec_args a = {
        .wtype = type, .rows = rows, .k = k, .n_cols = n_cols, .w = &split, .x = bx, .y = by,
        .bias = flags & WITH_BIAS ? bb : (struct vkbuf){0},
        .res = flags & IN_PLACE ? by : flags & WITH_RES ? br : (struct vkbuf){0},
    };
    struct err err = {0};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    if (matvec_record(rec, &a, cfg, &err))
        fail_msg("matvec_record %s %ux%u: %s", wtype_get(type)->name, rows, k, err.msg);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &by, y_bytes);
    double nmse = gpu_test_nmse(got, want, (size_t)n_cols * rows);

    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &br);
    vkmem_free(gpu_dev, &bb);
    vkmem_free(gpu_dev, &by);
    vkmem_free(gpu_dev, &bx);
    vkmem_free_split(gpu_dev, &split);
    mem_free(got);
    mem_free(want);
    mem_free(res);
    mem_free(bias);
    mem_free(x);
    mem_free(w);
    return nmse;
}

static void expect_matvec(uint32_t type, uint32_t rows, uint32_t k, uint32_t n_cols, int flags,
                          const struct matvec_config *cfg)
{
    double nmse = matvec_case(type, rows, k, n_cols, flags, cfg);
    if (!(nmse <= NMSE_MAX))
        fail_msg("matvec %s rows %u k %u cols %u flags %d: NMSE %.3g", wtype_get(type)->name, rows,
                 k, n_cols, flags, nmse);
}

/* The cross product of types x columns {1,2,5,8} x rows {1,7,33,257} x k x bias/residual is
 * sampled: every type sees every row count, column count, k and flag combination once, rotated
 * between types so that each pairing also occurs; the big shapes run with fewer columns. */
static void test_matvec_matches_reference_for_every_type(void **state)
{
    (void)state;
    static const uint32_t rows_set[] = {1, 7, 33, 257};
    static const uint32_t cols_set[] = {1, 2, 5, 8};
    static const uint32_t k_block32[] = {32, 96, 256, 768};
    static const uint32_t k_block256[] = {256, 768, 256, 768};
    gpu_test_seed(11);
    for (uint32_t t = 0; t < WEIGHTS_TEST_N_TYPES; t++) {
        uint32_t type = weights_test_types[t];
        const uint32_t *ks = wtype_get(type)->block_elems == 256 ? k_block256 : k_block32;
        for (uint32_t j = 0; j < 4; j++)
            expect_matvec(type, rows_set[j], ks[(j + t) % 4], cols_set[(j + 2 * t) % 4],
                          (int)((j + t) % 4), NULL);
        /* model-like: 896 x 896 (1024 for 256-blocks), and the A.X hidden size 3584 as k */
        uint32_t k896 = wtype_get(type)->block_elems == 256 ? 1024 : 896;
        expect_matvec(type, 896, k896, 1 + t % 2, WITH_BIAS | WITH_RES, NULL);
        expect_matvec(type, 19, 3584, 2 + (t % 3) * 3, WITH_RES, NULL);
    }
}

/* y = W x + y, the residual stream updated in place (y bound as output and residual). */
static void test_matvec_adds_residual_in_place(void **state)
{
    (void)state;
    gpu_test_seed(12);
    expect_matvec(WTYPE_Q4_K, 33, 512, 1, IN_PLACE, NULL);
    expect_matvec(WTYPE_Q8_0, 7, 96, 8, IN_PLACE | WITH_BIAS, NULL);
    expect_matvec(WTYPE_F16, 257, 64, 2, IN_PLACE, NULL);
}

/* Layouts other devices choose (several subgroups per workgroup, rows per subgroup 1-4, fewer
 * rows than subgroups) give the same result: the row loop is independent of the subgroup count. */
static void test_matvec_layouts_agree(void **state)
{
    (void)state;
    uint32_t sg = gpu_dev->info.subgroup_size;
    const struct matvec_config layouts[] = {
        {4 * sg, 2, 8}, {sg, 1, 5}, {2 * sg, 4, 4}, {sg, 2, 16}, {4 * sg, 1, 2},
    };
    const uint32_t types[] = {WTYPE_Q4_K, WTYPE_Q8_0, WTYPE_Q6_K, WTYPE_F16, WTYPE_Q5_0};
    gpu_test_seed(13);
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        expect_matvec(types[i], 37, 768, 1 + (uint32_t)(i % 3), WITH_BIAS, &layouts[i]);
}

/* Weights larger than one binding arrive in row-range parts: a small binding cap cuts even test
 * tensors, including parts whose size is not a multiple of 4 bytes (odd count of 34-byte blocks). */
static void test_matvec_reads_split_weights(void **state)
{
    (void)state;
    gpu_test_seed(14);
    vkmem_set_max_binding(gpu_dev, 16384);
    expect_matvec(WTYPE_Q4_K, 257, 256, 5, WITH_BIAS | WITH_RES, NULL);
    expect_matvec(WTYPE_Q8_0, 301, 96, 2, WITH_RES, NULL);
    expect_matvec(WTYPE_Q6_K, 131, 256, 1, WITH_BIAS, NULL);
    expect_matvec(WTYPE_F16, 199, 64, 5, 0, NULL);
}

static void test_matvec_rejects_bad_arguments(void **state)
{
    (void)state;
    struct vksplit split;
    uint8_t *w = weights_test_random(WTYPE_Q4_0, 4, 64);
    split = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(WTYPE_Q4_0, 64), 4);
    struct vkbuf b = gpu_test_buffer(gpu_dev, NULL, 4096);
    const struct matvec_args good = {.wtype = WTYPE_Q4_0, .rows = 4, .k = 64, .n_cols = 1,
                                     .w = &split, .x = b, .y = b};
    struct matvec_args bad[5] = {good, good, good, good, good};
    bad[0].k = 48;          /* not a whole number of blocks */
    bad[1].n_cols = 9;      /* more columns than the kernel has variants for */
    bad[2].wtype = 5;       /* no such type */
    bad[3].rows = 5;        /* more rows than the weights hold */
    bad[4].x.size = 64;     /* x smaller than one column */
    for (int i = 0; i < 5; i++) {
        struct err err = {0};
        struct vkrec *rec = gpu_test_recorder(gpu_dev);
        axvk_status st = matvec_record(rec, &bad[i], NULL, &err);
        assert_true(st == AXVK_ERR_INVALID_ARGUMENT || st == AXVK_ERR_UNSUPPORTED);
        assert_int_equal(vkrec_err(rec)->status, st);
        assert_true(strlen(err.msg) > 0);
        vkrec_destroy(rec);
    }
    vkmem_free(gpu_dev, &b);
    vkmem_free_split(gpu_dev, &split);
    mem_free(w);
}

/* teardown of the tests that lower the binding cap: restore it even when they fail */
static int restore_binding_cap(void **state)
{
    (void)state;
    vkmem_set_max_binding(gpu_dev, 0);
    return 0;
}

/* ---- get_rows --------------------------------------------------------------------------------- */

/* Expected lookup: the reference rows for ids in range, zeros for the others. */
static void expected_rows(float *want, const uint8_t *w, uint32_t type, uint32_t rows, uint32_t k,
                          const uint32_t *ids, uint32_t n_ids)
{
    for (uint32_t i = 0; i < n_ids; i++) {
        if (ids[i] < rows) {
            int32_t id = (int32_t)ids[i];
            ref_get_rows(want + (size_t)i * k, w, type, &id, 1, k);
        } else {
            memset(want + (size_t)i * k, 0, k * sizeof *want);
        }
    }
}

static void expect_rows_equal(const float *got, const float *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= 1e-6f * fmaxf(1.0f, fabsf(want[i]))))
            fail_msg("%s: element %zu = %.9g, expected %.9g", what, i, got[i], want[i]);
}

/* Looks up random ids and out-of-range ones (rows, far past, -1) in a table of `rows` rows. */
static void get_rows_case(uint32_t type, uint32_t rows, uint32_t k, uint32_t n_ids)
{
    uint8_t *w = weights_test_random(type, rows, k);
    uint32_t *ids = mem_alloc(n_ids * sizeof *ids);
    float *want = mem_alloc((size_t)n_ids * k * sizeof *want);
    float *got = mem_alloc((size_t)n_ids * k * sizeof *got);
    assert_non_null(ids);
    assert_non_null(want);
    assert_non_null(got);
    for (uint32_t i = 0; i < n_ids; i++)
        ids[i] = gpu_test_u32() % rows;
    ids[0] = rows - 1;
    ids[n_ids / 3] = rows;
    ids[n_ids / 2] = 0xffffffffu;
    ids[n_ids - 1] = rows + 1000;
    expected_rows(want, w, type, rows, k, ids, n_ids);

    struct vksplit split;
    split = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(type, k), rows);
    struct vkbuf bids = gpu_test_buffer(gpu_dev, ids, 4ull * n_ids);
    struct vkbuf bout = gpu_test_buffer(gpu_dev, NULL, 4ull * n_ids * k);
    struct get_rows_args a = {.wtype = type, .rows = rows, .k = k, .w = &split, .ids = bids,
                              .n_ids = n_ids, .out = bout};
    struct err err = {0};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    if (get_rows_record(rec, &a, &err))
        fail_msg("get_rows_record %s: %s", wtype_get(type)->name, err.msg);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &bout, 4ull * n_ids * k);
    char what[64];
    snprintf(what, sizeof what, "get_rows %s %ux%u (%u parts)", wtype_get(type)->name, rows, k,
             split.n);
    expect_rows_equal(got, want, (size_t)n_ids * k, what);

    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &bout);
    vkmem_free(gpu_dev, &bids);
    vkmem_free_split(gpu_dev, &split);
    mem_free(got);
    mem_free(want);
    mem_free(ids);
    mem_free(w);
}

static void test_get_rows_matches_reference_for_every_type(void **state)
{
    (void)state;
    gpu_test_seed(21);
    for (uint32_t t = 0; t < WEIGHTS_TEST_N_TYPES; t++) {
        uint32_t type = weights_test_types[t];
        int big = wtype_get(type)->block_elems == 256;
        get_rows_case(type, 37, big ? 512 : 96, 9);
        get_rows_case(type, 3, big ? 256 : 3584, 4);
    }
}

/* A table cut into parts (small binding cap): each dispatch writes only its part's ids, and the
 * out-of-range ids still come back as zeros, written once. */
static void test_get_rows_reads_split_tables(void **state)
{
    (void)state;
    gpu_test_seed(22);
    vkmem_set_max_binding(gpu_dev, 4096);
    /* the output must fit a binding too: n_ids x k floats <= 4096 bytes */
    get_rows_case(WTYPE_Q8_0, 97, 96, 10);
    get_rows_case(WTYPE_Q4_K, 61, 256, 4);
    get_rows_case(WTYPE_F32, 40, 64, 11);
}

/* The decode step is recorded once and replayed with a new token id each time. */
static void test_get_rows_replays_with_new_ids(void **state)
{
    (void)state;
    const uint32_t type = WTYPE_Q5_K, rows = 50, k = 256;
    gpu_test_seed(23);
    uint8_t *w = weights_test_random(type, rows, k);
    struct vksplit split;
    split = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(type, k), rows);
    uint32_t ids[2] = {3, 41};
    float want[2 * 256], got[2 * 256];
    struct vkbuf bids = gpu_test_buffer(gpu_dev, ids, sizeof ids);
    struct vkbuf bout = gpu_test_buffer(gpu_dev, NULL, sizeof got);
    struct get_rows_args a = {.wtype = type, .rows = rows, .k = k, .w = &split, .ids = bids,
                              .n_ids = 2, .out = bout};
    struct err err = {0};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    if (get_rows_record(rec, &a, &err))
        fail_msg("get_rows_record: %s", err.msg);
    gpu_test_run(rec);
    for (int step = 0; step < 3; step++) {
        gpu_test_download(gpu_dev, got, &bout, sizeof got);
        expected_rows(want, w, type, rows, k, ids, 2);
        expect_rows_equal(got, want, 2 * k, "replayed get_rows");
        ids[0] = gpu_test_u32() % rows;
        ids[1] = step == 1 ? rows + 7 : gpu_test_u32() % rows;
        gpu_test_upload(gpu_dev, &bids, ids, sizeof ids);
        if (vkrec_submit(rec) || vkrec_wait(rec))
            fail_msg("replay: %s", vkrec_err(rec)->msg);
    }
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &bout);
    vkmem_free(gpu_dev, &bids);
    vkmem_free_split(gpu_dev, &split);
    mem_free(w);
}

/* ---- the GPU dequantizer against llama.cpp ------------------------------------------------------ */

/* One dequant.json tensor decoded on the GPU (get_rows over every row): every value must be
 * llama.cpp's. */
static void dequant_vector(const struct dequant_vector *v)
{
    const struct gguf_tensor *t = v->t;
    uint32_t k = (uint32_t)t->ne[0], rows = (uint32_t)(v->n / k);
    uint8_t *w = mem_calloc(t->size + 4, 1);
    uint32_t *ids = mem_alloc(rows * sizeof *ids);
    float *got = mem_alloc(v->n * sizeof *got);
    assert_true(w && ids && got);
    memcpy(w, t->data, t->size);
    for (uint32_t i = 0; i < rows; i++)
        ids[i] = i;
    struct vksplit split;
    split = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(t->type, k), rows);
    struct vkbuf bids = gpu_test_buffer(gpu_dev, ids, 4ull * rows);
    struct vkbuf bout = gpu_test_buffer(gpu_dev, NULL, 4ull * v->n);
    struct get_rows_args a = {.wtype = t->type, .rows = rows, .k = k, .w = &split, .ids = bids,
                              .n_ids = rows, .out = bout};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct err err = {0};
    if (get_rows_record(rec, &a, &err))
        fail_msg("get_rows_record %s: %s", v->tensor, err.msg);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &bout, 4ull * v->n);
    char what[512];
    snprintf(what, sizeof what, "%s %s [%s]", v->file, v->tensor, wtype_get(t->type)->name);
    expect_rows_equal(got, v->want, v->n, what);

    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &bout);
    vkmem_free(gpu_dev, &bids);
    vkmem_free_split(gpu_dev, &split);
    mem_free(got);
    mem_free(ids);
    mem_free(w);
}

static void test_get_rows_dequantizes_like_llama_cpp(void **state)
{
    (void)state;
    size_t entries, values;
    uint32_t seen = dequant_vectors_each(dequant_vector, &entries, &values);
    print_message("%zu tensors, %zu values decoded on the GPU\n", entries, values);
    assert_true(entries >= 36);
    const uint32_t quantized = (1u << WTYPE_Q8_0) | (1u << WTYPE_Q4_0) | (1u << WTYPE_Q4_1) |
                               (1u << WTYPE_Q5_0) | (1u << WTYPE_Q5_1) | (1u << WTYPE_Q4_K) |
                               (1u << WTYPE_Q5_K) | (1u << WTYPE_Q6_K);
    assert_int_equal(seen & quantized, quantized);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matvec_matches_reference_for_every_type),
        cmocka_unit_test(test_matvec_adds_residual_in_place),
        cmocka_unit_test(test_matvec_layouts_agree),
        cmocka_unit_test_teardown(test_matvec_reads_split_weights, restore_binding_cap),
        cmocka_unit_test(test_matvec_rejects_bad_arguments),
        cmocka_unit_test(test_get_rows_matches_reference_for_every_type),
        cmocka_unit_test_teardown(test_get_rows_reads_split_tables, restore_binding_cap),
        cmocka_unit_test(test_get_rows_replays_with_new_ids),
        cmocka_unit_test(test_get_rows_dequantizes_like_llama_cpp),
    };
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
