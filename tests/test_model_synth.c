/* test_model_synth: synthetic models made on the device. The fill kernel writes valid blocks of
 * every weight type (decoded by the CPU reference: finite, of the asked size, a pure function of
 * seed and stream, split pieces independent); whole synthetic models of many types give finite,
 * varied logits through prefill and decode, reproducibly; the public call parses its spec and
 * refuses what does not fit. */
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
#include "base/wtype.h"
#include "gpu_test.h"
#include "kernels/synth_fill.h"
#include "model/model.h"
#include "model/presets.h"
#include "model/quant_mix.h"
#include "model/session.h"
#include "ref/quant.h"

static const uint32_t all_types[] = {WTYPE_F32, WTYPE_F16, WTYPE_BF16, WTYPE_Q8_0, WTYPE_Q4_0,
                                     WTYPE_Q4_1, WTYPE_Q5_0, WTYPE_Q5_1, WTYPE_Q4_K, WTYPE_Q5_K,
                                     WTYPE_Q6_K};
#define N_TYPES (sizeof all_types / sizeof all_types[0])

/* Fills a fresh buffer of rows x k weights of `type` and returns its bytes (mem_free). */
static uint8_t *filled(uint32_t type, uint32_t rows, uint32_t k, float rms, uint64_t seed,
                       uint64_t stream, uint64_t *bytes_out)
{
    uint64_t bytes = wtype_row_bytes(type, k) * rows;
    struct vkbuf buf = gpu_test_buffer(gpu_dev, NULL, (bytes + 3) / 4 * 4);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct kern_synth f = {.wtype = type, .rms = rms, .seed = seed, .stream = stream};
    assert_int_equal(kern_synth_fill(rec, &buf, bytes, &f), AXVK_OK);
    gpu_test_run(rec);
    uint8_t *host = mem_alloc((bytes + 3) / 4 * 4);
    assert_non_null(host);
    gpu_test_download(gpu_dev, host, &buf, (bytes + 3) / 4 * 4);
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &buf);
    *bytes_out = bytes;
    return host;
}

/* Dequantizes every row and returns the RMS; fails on any non-finite value. */
static double decoded_rms(const uint8_t *data, uint32_t type, uint32_t rows, uint32_t k,
                          double *mean)
{
    float *row = mem_calloc(k, sizeof *row);
    uint64_t row_bytes = wtype_row_bytes(type, k);
    double sum = 0, sum2 = 0;
    for (uint32_t r = 0; r < rows; r++) {
        ref_dequantize(row, data + r * row_bytes, type, k);
        for (uint32_t i = 0; i < k; i++) {
            if (!isfinite(row[i]))
                fail_msg("%s row %u element %u is %g", wtype_get(type)->name, r, i, row[i]);
            sum += row[i];
            sum2 += (double)row[i] * row[i];
        }
    }
    mem_free(row);
    double n = (double)rows * k;
    *mean = sum / n;
    return sqrt(sum2 / n);
}

static void test_synth_fill_writes_finite_values_of_the_requested_rms(void **state)
{
    const uint32_t rows = 48, k = 512;
    for (size_t t = 0; t < N_TYPES; t++) {
        uint32_t type = all_types[t];
        for (int size = 0; size < 2; size++) {
            /* a wide row's tiny scales (Q6_K: 1e-6) are subnormal in f16 and must survive */
            float rms = size ? 0.6f : 0.0034f;
            uint64_t bytes;
            uint8_t *data = filled(type, rows, k, rms, 42 + t, 3, &bytes);
            double mean, got = decoded_rms(data, type, rows, k, &mean);
            if (got < 0.85 * rms || got > 1.15 * rms || fabs(mean) > 0.15 * rms)
                fail_msg("%s: RMS %g (mean %g) for a requested %g", wtype_get(type)->name, got,
                         mean, (double)rms);
            mem_free(data);
        }
    }
}

static void test_synth_fill_is_a_function_of_seed_and_stream(void **state)
{
    for (size_t t = 0; t < N_TYPES; t++) {
        uint32_t type = all_types[t];
        uint64_t n;
        uint8_t *a = filled(type, 8, 256, 0.1f, 5, 9, &n);
        uint8_t *same = filled(type, 8, 256, 0.1f, 5, 9, &n);
        uint8_t *other_stream = filled(type, 8, 256, 0.1f, 5, 10, &n);
        uint8_t *other_seed = filled(type, 8, 256, 0.1f, 6, 9, &n);
        assert_memory_equal(a, same, n);
        assert_memory_not_equal(a, other_stream, n);
        assert_memory_not_equal(a, other_seed, n);
        mem_free(a);
        mem_free(same);
        mem_free(other_stream);
        mem_free(other_seed);
    }
}

/* A buffer larger than one binding is written in pieces: each piece starts on a block, gets its
 * own random stream (no repeated bytes), and every block still decodes. */
static void test_synth_fill_splits_large_buffers_into_independent_pieces(void **state)
{
    vkmem_set_max_binding(gpu_dev, 64 << 10);
    const uint32_t types[] = {WTYPE_Q6_K, WTYPE_Q8_0, WTYPE_F16};
    for (size_t t = 0; t < 3; t++) {
        uint32_t k = 256 * 6, rows = 200; /* ~3-6 pieces of 64 KiB */
        uint64_t n;
        uint8_t *data = filled(types[t], rows, k, 0.05f, 1, 2, &n);
        double mean, got = decoded_rms(data, types[t], rows, k, &mean);
        assert_true(got > 0.04 && got < 0.06);
        /* piece 1 is not a copy of piece 0 (pieces: whole blocks, multiples of 256 bytes) */
        uint64_t bb = wtype_get(types[t])->block_bytes, g = 256;
        for (uint64_t a = bb; a % g;) {
            uint64_t r = a % g;
            a = g;
            g = r;
        }
        uint64_t unit = 256 / g * bb, piece = (64u << 10) / unit * unit;
        assert_true(n > 2 * piece);
        assert_memory_not_equal(data, data + piece, 4096);
        mem_free(data);
    }
    vkmem_set_max_binding(gpu_dev, 0);
}

/* Small but with K-quant-able rows (dim and ffn multiples of 256), two KV groups. */
static const struct model_preset small = {
    .name = "small", .label = "small (synthetic)", .n_vocab = 640, .dim = 256, .n_layers = 2,
    .n_head = 4, .n_kv_head = 2, .ffn_dim = 512, .n_ctx = 512, .rope_theta = 1e6f,
    .rms_eps = 1e-6f, .tied_output = 0,
};

static struct model *make(const struct model_preset *p, int scheme, uint64_t seed)
{
    struct model_opts o = {.n_ctx = 64, .n_seq = 1, .kv_type = WTYPE_F16, .quant_scheme = scheme};
    struct model *m = NULL;
    struct err err = {0};
    if (model_create_synthetic(&m, gpu_dev, p, seed, &o, &err))
        fail_msg("%s:%s: %s", p->name, quant_scheme_name(scheme), err.msg);
    return m;
}

/* Feeds 6 tokens, then decodes 3; the logits after each must be finite and spread out. */
static void run_and_check(struct model *m, float *logits_out)
{
    struct session_opts so = {.n_ctx = 64, .n_seq = 1, .n_batch = 4};
    struct session *s = NULL;
    struct err err = {0};
    if (session_create(&s, m, &so, &err))
        fail_msg("session: %s", err.msg);
    const int32_t prompt[6] = {17, 300, 5, 99, 250, 3};
    uint32_t n_vocab = m->hp.n_vocab;
    float *logits = mem_calloc(n_vocab, sizeof *logits);
    if (session_feed(s, 0, prompt, 6, &err))
        fail_msg("feed: %s", err.msg);
    for (int step = 0; step < 4; step++) {
        if (session_logits(s, 0, logits, &err))
            fail_msg("logits: %s", err.msg);
        double sum = 0, sum2 = 0;
        uint32_t best = 0;
        for (uint32_t i = 0; i < n_vocab; i++) {
            if (!isfinite(logits[i]))
                fail_msg("step %d: logit %u is %g", step, i, logits[i]);
            sum += logits[i];
            sum2 += (double)logits[i] * logits[i];
            best = logits[i] > logits[best] ? i : best;
        }
        double var = sum2 / n_vocab - (sum / n_vocab) * (sum / n_vocab);
        if (!(var > 1e-4) || var > 1e6)
            fail_msg("step %d: logits' variance %g", step, var);
        if (step == 3)
            break;
        const uint32_t seq = 0;
        const int32_t id = (int32_t)best;
        if (session_decode(s, &seq, &id, 1, &err))
            fail_msg("decode: %s", err.msg);
    }
    if (logits_out)
        memcpy(logits_out, logits, n_vocab * sizeof *logits);
    mem_free(logits);
    session_destroy(s);
}

static void test_synthetic_models_of_every_scheme_give_finite_logits(void **state)
{
    const int schemes[] = {QUANT_F32, QUANT_F16, QUANT_BF16, QUANT_Q8_0, QUANT_Q4_0, QUANT_Q4_1,
                           QUANT_Q5_0, QUANT_Q5_1, QUANT_Q4_K_M, QUANT_Q5_K_M, QUANT_Q6_K};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        struct model *m = make(&small, schemes[i], 11);
        /* the mix is llama.cpp's: the _M schemes keep Q6_K for the output */
        uint32_t base = quant_mix_type(schemes[i], "blk.0.ffn_gate.weight", 256, 2, 2);
        assert_int_equal(m->layers[0].w_gate.type, base);
        assert_int_equal(m->output.type, quant_mix_type(schemes[i], "output.weight", 256, 2, 2));
        run_and_check(m, NULL);
        model_destroy(m);
    }
}

static void test_synthetic_model_is_a_function_of_the_seed(void **state)
{
    const struct model_preset *tiny = preset_find("tiny");
    assert_non_null(tiny);
    float *a = mem_calloc(tiny->n_vocab, sizeof *a), *b = mem_calloc(tiny->n_vocab, sizeof *b);
    struct model *m = make(tiny, QUANT_Q8_0, 3);
    assert_true(m->hp.tied_output == false && m->n_params > 0 && m->weight_bytes > 0);
    run_and_check(m, a);
    model_destroy(m);
    m = make(tiny, QUANT_Q8_0, 3);
    run_and_check(m, b);
    model_destroy(m);
    assert_memory_equal(a, b, tiny->n_vocab * sizeof *a);
    m = make(tiny, QUANT_Q8_0, 4);
    run_and_check(m, b);
    model_destroy(m);
    assert_memory_not_equal(a, b, tiny->n_vocab * sizeof *a);
    mem_free(a);
    mem_free(b);
}

/* A tied preset shares the embedding as output; the plan agrees with what is allocated. */
static void test_synthetic_plan_matches_the_model(void **state)
{
    struct model_preset tied = small;
    tied.tied_output = 1;
    struct model_opts o = {.n_ctx = 64, .n_seq = 1, .kv_type = WTYPE_F16};
    struct model_plan plan;
    struct err err = {0};
    assert_int_equal(model_plan_synthetic(&tied, QUANT_Q4_K_M, &o, 512, &gpu_dev->info, &plan,
                                          &err), AXVK_OK);
    struct model *m = make(&tied, QUANT_Q4_K_M, 1);
    assert_true(m->output_tied);
    assert_int_equal(plan.weights, m->weight_bytes);
    assert_int_equal(plan.kv, model_kv_bytes(&m->hp, WTYPE_F16, 64, 1));
    assert_true(plan.avail > 0 && plan.need == plan.weights + plan.kv + plan.scratch);
    run_and_check(m, NULL);
    model_destroy(m);
}

static void test_public_synthetic_model_from_spec(void **state)
{
    axvk_context *ctx = NULL;
    assert_int_equal(axvk_context_create(NULL, &ctx), AXVK_OK);
    axvk_model *model = NULL;
    axvk_model_desc d = {.n_ctx = 128};
    assert_int_equal(axvk_model_create_synthetic(ctx, "tiny:q8_0", 9, &d, &model), AXVK_OK);
    axvk_model_info info;
    assert_int_equal(axvk_model_get_info(model, &info), AXVK_OK);
    assert_string_equal(info.type, "q8_0");
    assert_int_equal(info.n_layers, 2);
    assert_int_equal(info.n_vocab, 512);
    assert_int_equal(info.stop_ids[0], 2);
    /* byte-level: one id per byte, 3 + the byte */
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(axvk_tokenize(model, "Hi", 2, 0, &ids, &n), AXVK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 3 + 'H');
    assert_int_equal(ids[1], 3 + 'i');
    axvk_session *s = NULL;
    assert_int_equal(axvk_session_create(model, NULL, &s), AXVK_OK);
    axvk_generate_desc g = {.max_tokens = 5, .ignore_stop_ids = 1};
    axvk_generate_result r;
    assert_int_equal(axvk_generate(s, 0, ids, n, &g, &r), AXVK_OK);
    assert_int_equal(r.n_generated, 5);
    axvk_free(ids);
    axvk_session_destroy(s);
    axvk_model_destroy(model);

    /* errors name the problem and create nothing */
    assert_int_equal(axvk_model_create_synthetic(ctx, "nope:q8_0", 1, NULL, &model),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(axvk_errmsg(ctx), "ax4-light"));
    assert_null(model);
    assert_int_equal(axvk_model_create_synthetic(ctx, "tiny:q9_9", 1, NULL, &model),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(axvk_errmsg(ctx), "q9_9"));
    axvk_model_desc bad = {.quant = "q8_0"};
    assert_int_equal(axvk_model_create_synthetic(ctx, "tiny", 1, &bad, &model),
                     AXVK_ERR_INVALID_ARGUMENT);
    /* 290 GB of f32 fit no device here: refused by the plan before any allocation */
    assert_int_equal(axvk_model_create_synthetic(ctx, "ax4:f32", 1, NULL, &model),
                     AXVK_ERR_OUT_OF_DEVICE_MEMORY);
    assert_non_null(strstr(axvk_errmsg(ctx), "GiB"));
    axvk_context_destroy(ctx);
}

int main(void)
{
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synth_fill_writes_finite_values_of_the_requested_rms),
        cmocka_unit_test(test_synth_fill_is_a_function_of_seed_and_stream),
        cmocka_unit_test(test_synth_fill_splits_large_buffers_into_independent_pieces),
        cmocka_unit_test(test_synthetic_models_of_every_scheme_give_finite_logits),
        cmocka_unit_test(test_synthetic_model_is_a_function_of_the_seed),
        cmocka_unit_test(test_synthetic_plan_matches_the_model),
        cmocka_unit_test(test_public_synthetic_model_from_spec),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
