/* test_kernels_matmul: the prefill product on the GPU against ref_matmul, for every weight type,
 * odd and tile-crossing shapes, bias and residual, weights split into parts and activations
 * split into token chunks, with the tiled kernel and (where device and build have them) the
 * cooperative-matrix kernel; and which kernel and shape each kind of device gets. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "kernels/matmul.h"
#include "ref/ops.h"
#include "ref/quant.h"

/* the tiled kernel computes in fp32 from bit-exact decoded weights: only the order of the sums
 * differs from the reference */
#define NMSE_TILED 1e-10
/* the coopmat kernel rounds x and the decoded weights to f16 (11 significant bits) */
#define NMSE_COOPMAT 5e-4

struct mm_case {
    uint32_t n_tok, rows, k;
    int bias, residual;
};

/* Runs one product on the GPU with kernel `impl` (enum matmul_impl) and compares it with
 * ref_matmul; returns the NMSE. y starts poisoned (or as the residual), so a missed output shows. */
static double run_case(uint32_t wtype, const struct mm_case *c, uint64_t seed, int impl)
{
    gpu_test_seed(seed);
    uint32_t n_tok = c->n_tok, rows = c->rows, k = c->k;
    size_t nx = (size_t)n_tok * k, ny = (size_t)n_tok * rows;
    float *wf = mem_alloc((size_t)rows * k * sizeof(float));
    uint8_t *wq = mem_alloc(wtype_row_bytes(wtype, k) * rows);
    float *x = mem_alloc(nx * sizeof(float));
    float *bias = mem_alloc(rows * sizeof(float));
    float *res = mem_alloc(ny * sizeof(float));
    float *ref = mem_alloc(ny * sizeof(float));
    float *got = mem_alloc(ny * sizeof(float));
    assert_non_null(wf && wq && x && bias && res && ref && got);
    gpu_test_fill_f32(wf, (size_t)rows * k, -1.0f, 1.0f);
    gpu_test_fill_f32(x, nx, -1.0f, 1.0f);
    gpu_test_fill_f32(bias, rows, -0.5f, 0.5f);
    gpu_test_fill_f32(res, ny, -2.0f, 2.0f);
    for (uint32_t r = 0; r < rows; r++)
        ref_quantize(wq + wtype_row_bytes(wtype, k) * r, wf + (size_t)r * k, wtype, k);

    memcpy(ref, res, ny * sizeof(float));
    ref_matmul(ref, wq, wtype, x, rows, k, n_tok, c->bias ? bias : NULL, c->residual ? ref : NULL);

    struct vksplit w = gpu_test_upload_split(gpu_dev, wq, wtype_row_bytes(wtype, k), rows);
    struct vkbuf xb = gpu_test_buffer(gpu_dev, x, nx * 4);
    /* with a residual, y is also the residual (in place, as the forward pass uses it) */
    struct vkbuf yb = gpu_test_buffer(gpu_dev, c->residual ? res : NULL, ny * 4);
    struct vkbuf bb = gpu_test_buffer(gpu_dev, bias, rows * 4);
    struct matmul_args a = {
        .wtype = wtype, .n_tok = n_tok, .rows = rows, .k = k, .w = &w, .x = xb, .y = yb,
        .bias = c->bias ? bb : (struct vkbuf){0}, .res = c->residual ? yb : (struct vkbuf){0},
    };
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct err err = {0};
    axvk_status st = matmul_record(rec, &a, impl, &err);
    if (st)
        fail_msg("matmul_record: %s", err.msg);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &yb, ny * 4);
    double nmse = gpu_test_nmse(got, ref, ny);

    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &xb);
    vkmem_free(gpu_dev, &yb);
    vkmem_free(gpu_dev, &bb);
    vkmem_free_split(gpu_dev, &w);
    mem_free(wf), mem_free(wq), mem_free(x), mem_free(bias), mem_free(res), mem_free(ref);
    mem_free(got);
    return nmse;
}

/* The shapes every type runs: tokens across the 64-token tile, rows across the 64-row tile,
 * k of one and three k-quant blocks; bias and residual on some. */
static void check_type(uint32_t wtype)
{
    static const uint32_t toks[] = {1, 7, 64, 65, 130};
    static const uint32_t rows[] = {7, 33, 257};
    static const uint32_t ks[] = {256, 768};
    uint64_t seed = 1000 + wtype;
    for (size_t t = 0; t < sizeof toks / sizeof toks[0]; t++) {
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
                /* the largest shapes only once per type: lavapipe time */
                if (toks[t] >= 64 && rows[r] == 257 && ks[i] == 768 && toks[t] != 130)
                    continue;
                struct mm_case c = {toks[t], rows[r], ks[i], (int)((t + r) & 1), (int)(r & 1)};
                double nmse = run_case(wtype, &c, seed++, MATMUL_TILED);
                if (!(nmse <= NMSE_TILED))
                    fail_msg("%s %u tok x %u rows x k %u (bias %d, residual %d): NMSE %g",
                             wtype_get(wtype)->name, c.n_tok, c.rows, c.k, c.bias, c.residual, nmse);
            }
        }
    }
}

#define TYPE_TEST(name, type)                                                                      \
    static void test_matmul_##name##_matches_reference(void **state)                              \
    {                                                                                              \
        (void)state;                                                                               \
        check_type(type);                                                                          \
    }
TYPE_TEST(f32, WTYPE_F32)
TYPE_TEST(f16, WTYPE_F16)
TYPE_TEST(bf16, WTYPE_BF16)
TYPE_TEST(q8_0, WTYPE_Q8_0)
TYPE_TEST(q4_0, WTYPE_Q4_0)
TYPE_TEST(q4_1, WTYPE_Q4_1)
TYPE_TEST(q5_0, WTYPE_Q5_0)
TYPE_TEST(q5_1, WTYPE_Q5_1)
TYPE_TEST(q4_k, WTYPE_Q4_K)
TYPE_TEST(q5_k, WTYPE_Q5_K)
TYPE_TEST(q6_k, WTYPE_Q6_K)

/* Float types take k in steps of 8: the last 32-wide step is partly past the row. */
static void test_matmul_float_k_not_multiple_of_step(void **state)
{
    (void)state;
    static const uint32_t types[] = {WTYPE_F32, WTYPE_F16, WTYPE_BF16};
    static const uint32_t ks[] = {8, 40, 904};
    for (size_t t = 0; t < 3; t++) {
        for (size_t i = 0; i < 3; i++) {
            struct mm_case c = {67, 33, ks[i], 1, 0};
            double nmse = run_case(types[t], &c, 77 + i, MATMUL_TILED);
            if (!(nmse <= NMSE_TILED))
                fail_msg("%s k %u: NMSE %g", wtype_get(types[t])->name, ks[i], nmse);
        }
    }
}

/* Small bindings force weight parts (one dispatch per row range) and token chunks. */
static uint64_t saved_max_binding;

static int save_max_binding(void **state)
{
    (void)state;
    saved_max_binding = vkmem_max_binding(gpu_dev);
    return 0;
}

static int restore_max_binding(void **state)
{
    (void)state;
    vkmem_set_max_binding(gpu_dev, saved_max_binding);
    return 0;
}

static void test_matmul_splits_weights_and_tokens(void **state)
{
    (void)state;
    vkmem_set_max_binding(gpu_dev, 256 * 1024);
    /* f32 rows of 3 KiB: 85 rows per part, 4 parts; x rows of 3 KiB: 64-token chunks */
    struct mm_case c = {130, 257, 768, 1, 1};
    double a = run_case(WTYPE_F32, &c, 5, MATMUL_TILED);
    struct mm_case d = {130, 257, 256, 0, 1};
    vkmem_set_max_binding(gpu_dev, 96 * 1024);
    /* q4_k rows of 144 bytes: one part; y rows of 1028 bytes: 64-token chunks */
    double b = run_case(WTYPE_Q4_K, &d, 6, MATMUL_TILED);
    if (!(a <= NMSE_TILED) || !(b <= NMSE_TILED))
        fail_msg("split f32 NMSE %g, q4_k NMSE %g", a, b);
}

/* Model-like: A.X Light's hidden size as k. */
static void test_matmul_model_width(void **state)
{
    (void)state;
    struct mm_case c = {33, 96, 3584, 1, 0};
    double nmse = run_case(WTYPE_Q4_K, &c, 9, MATMUL_TILED);
    if (!(nmse <= NMSE_TILED))
        fail_msg("q4_k 33 x 96 x 3584: NMSE %g", nmse);
}

static void test_matmul_rejects_bad_shapes(void **state)
{
    (void)state;
    float w[64] = {1};
    struct vksplit split = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(WTYPE_F32, 32), 2);
    struct vkbuf b = gpu_test_buffer(gpu_dev, NULL, 4096);
    struct matmul_args a = {.wtype = WTYPE_F32, .n_tok = 1, .rows = 2, .k = 12, .w = &split,
                            .x = b, .y = b};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct err err = {0};
    assert_int_equal(matmul_record(rec, &a, -1, &err), AXVK_ERR_INVALID_ARGUMENT); /* k % 8 */
    vkrec_destroy(rec);
    a.k = 32;
    a.wtype = WTYPE_Q4_K; /* k 32 is not a q4_k block */
    rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(matmul_record(rec, &a, -1, &err), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    a.wtype = WTYPE_F32;
    a.rows = 3; /* more rows than the weights hold */
    rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(matmul_record(rec, &a, -1, &err), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &b);
    vkmem_free_split(gpu_dev, &split);
}

/* Cooperative-matrix kernel on this device, when it and the build have it: every type on odd
 * shapes across the tiles (tokens 1 / 7 / 65 / 130, rows 7 / 33 / 64 / 257, k of one and three
 * 256-blocks, float types also k 40), bias and residual on some. */
static int have_coopmat(void)
{
    return matmul_choose(&gpu_dev->info) == MATMUL_COOPMAT;
}

static void check_coopmat_type(uint32_t wtype)
{
    if (!have_coopmat())
        skip();
    static const struct mm_case cases[] = {
        {7, 33, 256, 1, 0}, {65, 257, 768, 0, 1}, {130, 7, 256, 1, 1}, {1, 64, 256, 0, 0},
    };
    uint64_t seed = 2000 + wtype;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double nmse = run_case(wtype, &cases[i], seed++, MATMUL_COOPMAT);
        if (!(nmse <= NMSE_COOPMAT))
            fail_msg("coopmat %s %u tok x %u rows x k %u (bias %d, residual %d): NMSE %g",
                     wtype_get(wtype)->name, cases[i].n_tok, cases[i].rows, cases[i].k,
                     cases[i].bias, cases[i].residual, nmse);
    }
    if (wtype_get(wtype)->block_elems == 1) {
        struct mm_case c = {67, 33, 40, 1, 0};
        double nmse = run_case(wtype, &c, seed, MATMUL_COOPMAT);
        if (!(nmse <= NMSE_COOPMAT))
            fail_msg("coopmat %s k 40: NMSE %g", wtype_get(wtype)->name, nmse);
    }
}

#define COOPMAT_TEST(name, type)                                                                   \
    static void test_matmul_coopmat_##name##_matches_reference(void **state)                      \
    {                                                                                              \
        (void)state;                                                                               \
        check_coopmat_type(type);                                                                  \
    }
COOPMAT_TEST(f32, WTYPE_F32)
COOPMAT_TEST(f16, WTYPE_F16)
COOPMAT_TEST(bf16, WTYPE_BF16)
COOPMAT_TEST(q8_0, WTYPE_Q8_0)
COOPMAT_TEST(q4_0, WTYPE_Q4_0)
COOPMAT_TEST(q4_1, WTYPE_Q4_1)
COOPMAT_TEST(q5_0, WTYPE_Q5_0)
COOPMAT_TEST(q5_1, WTYPE_Q5_1)
COOPMAT_TEST(q4_k, WTYPE_Q4_K)
COOPMAT_TEST(q5_k, WTYPE_Q5_K)
COOPMAT_TEST(q6_k, WTYPE_Q6_K)

/* The kernel the model takes on this device (no force) over split weights and token chunks,
 * held to the tolerance of whichever kernel that is. */
static void test_matmul_default_choice_splits_weights_and_tokens(void **state)
{
    (void)state;
    struct matmul_coopmat_cfg cfg;
    if (have_coopmat() && matmul_coopmat_config(&gpu_dev->info, &cfg))
        print_message("matmul kernel on this device: coopmat %ux%ux%u, subgroup %u, workgroup %u\n",
                      cfg.m, cfg.n, cfg.k, cfg.subgroup, cfg.wg_size);
    else
        print_message("matmul kernel on this device: tiled\n");
    vkmem_set_max_binding(gpu_dev, 256 * 1024);
    struct mm_case c = {130, 257, 768, 1, 1};
    double nmse = run_case(WTYPE_Q8_0, &c, 15, -1);
    double tol = have_coopmat() ? NMSE_COOPMAT : NMSE_TILED;
    if (!(nmse <= tol))
        fail_msg("default kernel (%s) q8_0 split: NMSE %g", have_coopmat() ? "coopmat" : "tiled",
                 nmse);
}

/* Device descriptions as real drivers report them (types f16*f16+f32->f32 unless said). */
static struct vkcoopmat_shape cm_shape(uint32_t m, uint32_t n, uint32_t k)
{
    return (struct vkcoopmat_shape){m, n, k, VK_COMPONENT_TYPE_FLOAT16_KHR,
                                    VK_COMPONENT_TYPE_FLOAT16_KHR, VK_COMPONENT_TYPE_FLOAT32_KHR,
                                    VK_COMPONENT_TYPE_FLOAT32_KHR, VK_SCOPE_SUBGROUP_KHR, 0};
}

static struct vkcoopmat_shape cm_int8(uint32_t m, uint32_t n, uint32_t k)
{
    return (struct vkcoopmat_shape){m, n, k, VK_COMPONENT_TYPE_SINT8_KHR,
                                    VK_COMPONENT_TYPE_SINT8_KHR, VK_COMPONENT_TYPE_SINT32_KHR,
                                    VK_COMPONENT_TYPE_SINT32_KHR, VK_SCOPE_SUBGROUP_KHR, 0};
}

static struct vkdev_info cm_device(uint32_t sg_default, uint32_t sg_min, uint32_t sg_max)
{
    struct vkdev_info info = {0};
    info.features = VKFEAT_COOPMAT | VKFEAT_FP16 | VKFEAT_SUBGROUP_SIZE_CONTROL;
    info.subgroup_size = sg_default;
    info.subgroup_min = sg_min;
    info.subgroup_max = sg_max;
    info.max_wg_invocations = 1024;
    info.max_wg_size[0] = 1024;
    info.max_shared_bytes = 32768;
    return info;
}

/* RDNA3 as RADV lists it: 16x16x16 f16 and int8, wave64 by default, 32-64 with control */
static struct vkdev_info amd_rdna3(void)
{
    struct vkdev_info info = cm_device(64, 32, 64);
    info.n_coopmat = 2;
    info.coopmat[0] = cm_int8(16, 16, 16);
    info.coopmat[1] = cm_shape(16, 16, 16);
    return info;
}

static void expect_cfg(const struct vkdev_info *info, uint32_t m, uint32_t n, uint32_t k,
                       uint32_t sg, uint32_t wg)
{
    struct matmul_coopmat_cfg cfg = {0};
    assert_true(matmul_coopmat_config(info, &cfg));
    assert_int_equal(cfg.m, m);
    assert_int_equal(cfg.n, n);
    assert_int_equal(cfg.k, k);
    assert_int_equal(cfg.subgroup, sg);
    assert_int_equal(cfg.wg_size, wg);
    /* a build whose shader compiler lacks GL_KHR_cooperative_matrix never picks it */
    assert_int_equal(matmul_choose(info),
                     matmul_have_coopmat_spirv() ? MATMUL_COOPMAT : MATMUL_TILED);
}

static void expect_none(const struct vkdev_info *info)
{
    struct matmul_coopmat_cfg cfg = {0};
    assert_false(matmul_coopmat_config(info, &cfg));
    assert_int_equal(matmul_choose(info), MATMUL_TILED);
}

static void test_matmul_coopmat_config_for_listed_shapes(void **state)
{
    (void)state;
    /* AMD RDNA3: 16x16x16 at the 32 control can require, 4 subgroups */
    struct vkdev_info info = amd_rdna3();
    expect_cfg(&info, 16, 16, 16, 32, 128);
    /* without size control the default 64 is what runs */
    info.features &= ~VKFEAT_SUBGROUP_SIZE_CONTROL;
    info.subgroup_min = info.subgroup_max = 64;
    expect_cfg(&info, 16, 16, 16, 64, 256);

    /* NVIDIA: several shapes, the largest wins whatever the order; 32 fixed */
    info = cm_device(32, 32, 32);
    info.n_coopmat = 4;
    info.coopmat[0] = cm_shape(16, 8, 16);
    info.coopmat[1] = cm_shape(16, 8, 8);
    info.coopmat[2] = cm_shape(16, 16, 16);
    info.coopmat[3] = cm_int8(16, 8, 32);
    expect_cfg(&info, 16, 16, 16, 32, 128);
    info.n_coopmat = 2; /* 16x8 only: 8 subgroups of 32 */
    expect_cfg(&info, 16, 8, 16, 32, 256);

    /* Intel Xe-HPG (Arc A): 8x8x16 at SIMD8 out of 8-32 (default 32), 16 subgroups */
    info = cm_device(32, 8, 32);
    info.n_coopmat = 2;
    info.coopmat[0] = cm_shape(8, 8, 16);
    info.coopmat[1] = cm_int8(8, 8, 32);
    expect_cfg(&info, 8, 8, 16, 8, 128);
    /* Intel Xe2: 8x16x16 at SIMD16 out of 16-32 */
    info = cm_device(32, 16, 32);
    info.n_coopmat = 1;
    info.coopmat[0] = cm_shape(8, 16, 16);
    expect_cfg(&info, 8, 16, 16, 16, 128);

    /* lavapipe (Mesa 26): 8x8x8 with f16 and f32 accumulators and int8, subgroups of 8 */
    info = cm_device(8, 8, 8);
    info.n_coopmat = 4;
    info.coopmat[0] = cm_shape(8, 8, 8);
    info.coopmat[0].c_type = info.coopmat[0].result_type = VK_COMPONENT_TYPE_FLOAT16_KHR;
    info.coopmat[1] = cm_shape(8, 8, 8);
    info.coopmat[2] = cm_int8(8, 8, 8);
    info.coopmat[2].a_type = info.coopmat[2].b_type = VK_COMPONENT_TYPE_UINT8_KHR;
    info.coopmat[3] = cm_int8(8, 8, 8);
    expect_cfg(&info, 8, 8, 8, 8, 128);
}

static void test_matmul_coopmat_needs_every_requirement(void **state)
{
    (void)state;
    struct vkdev_info info = amd_rdna3();
    info.features &= ~VKFEAT_COOPMAT; /* AXVK_DISABLE=coopmat */
    expect_none(&info);
    info = amd_rdna3();
    info.features &= ~VKFEAT_FP16;
    expect_none(&info);
    info = amd_rdna3();
    info.n_coopmat = 1; /* only the int8 shape */
    expect_none(&info);
    info = amd_rdna3();
    info.coopmat[1].c_type = info.coopmat[1].result_type = VK_COMPONENT_TYPE_FLOAT16_KHR;
    expect_none(&info);
    info = amd_rdna3();
    info.coopmat[1].scope = VK_SCOPE_WORKGROUP_KHR;
    expect_none(&info);
    info = amd_rdna3();
    info.coopmat[1].saturating = 1;
    expect_none(&info);
    info = amd_rdna3();
    info.coopmat[1].k = 4; /* does not divide the staging step evenly into >= 8 */
    expect_none(&info);
    info = amd_rdna3();
    info.coopmat[1].m = 64; /* two blocks would not fit the 64-token tile */
    expect_none(&info);
    info = amd_rdna3();
    info.max_wg_invocations = 64; /* 4 subgroups of 32 cannot launch */
    expect_none(&info);
    info = amd_rdna3();
    info.max_shared_bytes = 8192;
    expect_none(&info);
}

static void test_matmul_forced_coopmat_is_unsupported_without_it(void **state)
{
    (void)state;
    if (have_coopmat())
        skip();
    float w[64];
    gpu_test_fill_f32(w, 64, -1, 1);
    struct vksplit split = gpu_test_upload_split(gpu_dev, w, wtype_row_bytes(WTYPE_F32, 32), 2);
    struct vkbuf b = gpu_test_buffer(gpu_dev, NULL, 4096);
    struct matmul_args a = {.wtype = WTYPE_F32, .n_tok = 1, .rows = 2, .k = 32, .w = &split,
                            .x = b, .y = b};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct err err = {0};
    assert_int_equal(matmul_record(rec, &a, MATMUL_COOPMAT, &err), AXVK_ERR_UNSUPPORTED);
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &b);
    vkmem_free_split(gpu_dev, &split);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_coopmat_config_for_listed_shapes),
        cmocka_unit_test(test_matmul_coopmat_needs_every_requirement),
        cmocka_unit_test(test_matmul_f32_matches_reference),
        cmocka_unit_test(test_matmul_f16_matches_reference),
        cmocka_unit_test(test_matmul_bf16_matches_reference),
        cmocka_unit_test(test_matmul_q8_0_matches_reference),
        cmocka_unit_test(test_matmul_q4_0_matches_reference),
        cmocka_unit_test(test_matmul_q4_1_matches_reference),
        cmocka_unit_test(test_matmul_q5_0_matches_reference),
        cmocka_unit_test(test_matmul_q5_1_matches_reference),
        cmocka_unit_test(test_matmul_q4_k_matches_reference),
        cmocka_unit_test(test_matmul_q5_k_matches_reference),
        cmocka_unit_test(test_matmul_q6_k_matches_reference),
        cmocka_unit_test(test_matmul_float_k_not_multiple_of_step),
        cmocka_unit_test_setup_teardown(test_matmul_splits_weights_and_tokens, save_max_binding,
                                        restore_max_binding),
        cmocka_unit_test(test_matmul_model_width),
        cmocka_unit_test(test_matmul_rejects_bad_shapes),
        cmocka_unit_test(test_matmul_forced_coopmat_is_unsupported_without_it),
        cmocka_unit_test(test_matmul_coopmat_f32_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_f16_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_bf16_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q8_0_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q4_0_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q4_1_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q5_0_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q5_1_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q4_k_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q5_k_matches_reference),
        cmocka_unit_test(test_matmul_coopmat_q6_k_matches_reference),
        cmocka_unit_test_setup_teardown(test_matmul_default_choice_splits_weights_and_tokens,
                                        save_max_binding, restore_max_binding),
    };
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
