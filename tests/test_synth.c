/* test_synth: synthetic models and the quantization mix. The mix must choose what llama.cpp's
 * quantizer chose for the shared mini models; synthetic files must read back as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "base/wtype.h"
#include "model/gguf.h"
#include "model/presets.h"
#include "model/quant_mix.h"
#include "model/synth.h"

#define GGUF_DIR AXVK_SHARED_DIR "/testdata/gguf/"

static void expect_mix_matches_file(const char *file, const char *scheme_name)
{
    struct gguf *g = NULL;
    struct err err = {0};
    assert_int_equal(gguf_open(&g, file, &err), AXVK_OK);
    int scheme = quant_scheme_from_name(scheme_name);
    assert_true(scheme >= 0);
    uint32_t n_layers = 0;
    assert_int_equal(gguf_get_u32(g, "qwen2.block_count", &n_layers, &err), AXVK_OK);
    for (uint64_t i = 0; i < gguf_n_tensors(g); i++) {
        const struct gguf_tensor *t = gguf_tensor_at(g, i);
        uint32_t want = quant_mix_type(scheme, t->name, t->ne[0], t->n_dims, n_layers);
        if (want != t->type)
            fail_msg("%s %s: mix chose %s, file has %s", scheme_name, t->name,
                     wtype_get(want)->name, wtype_get(t->type)->name);
    }
    gguf_close(g);
}

static void test_mix_matches_llama_cpp_choices(void **state)
{
    (void)state;
    expect_mix_matches_file(GGUF_DIR "mini-q4_k_m.gguf", "q4_k_m");
    expect_mix_matches_file(GGUF_DIR "mini-q5_k_m.gguf", "q5_k_m");
    expect_mix_matches_file(GGUF_DIR "mini-q4_0.gguf", "q4_0");
    expect_mix_matches_file(GGUF_DIR "mini-q8_0.gguf", "q8_0");
    expect_mix_matches_file(GGUF_DIR "mini-q6_k.gguf", "q6_k");
    expect_mix_matches_file(GGUF_DIR "mini-f16.gguf", "f16");
}

static void test_mix_falls_back_for_rows_off_the_k_block(void **state)
{
    (void)state;
    int s = quant_scheme_from_name("q4_k_m");
    /* A.X 4.0 (72B): ffn_down rows are 29568 long, not a multiple of 256 */
    assert_int_equal(quant_mix_type(s, "blk.0.ffn_down.weight", 29568, 2, 80), WTYPE_Q8_0);
    assert_int_equal(quant_mix_type(s, "blk.20.ffn_down.weight", 29568, 2, 80), WTYPE_Q5_0);
    assert_int_equal(quant_mix_type(s, "blk.1.ffn_up.weight", 8192, 2, 80), WTYPE_Q4_K);
    assert_int_equal(quant_mix_type(s, "blk.1.attn_norm.weight", 8192, 1, 80), WTYPE_F32);
    assert_int_equal(quant_mix_type(s, "output.weight", 8192, 2, 80), WTYPE_Q6_K);
    assert_int_equal(quant_scheme_from_name("Q4_K"), QUANT_Q4_K_S);
    assert_int_equal(quant_scheme_from_name("q3_k_xl"), -1);
}

static const struct model_preset tiny = {
    .name = "tiny", .label = "tiny test", .n_vocab = 300, .dim = 64, .n_layers = 2, .n_head = 4,
    .n_kv_head = 2, .ffn_dim = 96, .n_ctx = 128, .rope_theta = 10000.0f, .rms_eps = 1e-6f,
};

static void test_synth_reads_back_as_written(void **state)
{
    (void)state;
    const char *path = AXVK_TEST_TMP "/synth_tiny_q8.gguf";
    struct synth_desc d = {.shape = tiny, .scheme = quant_scheme_from_name("q8_0"), .seed = 7};
    struct err err = {0};
    assert_int_equal(synth_write(&d, path, &err), AXVK_OK);
    struct gguf *g = NULL;
    assert_int_equal(gguf_open(&g, path, &err), AXVK_OK);
    uint32_t v = 0;
    assert_int_equal(gguf_get_u32(g, "qwen2.embedding_length", &v, &err), AXVK_OK);
    assert_int_equal(v, 64);
    assert_int_equal(gguf_get_u32(g, "qwen2.attention.head_count_kv", &v, &err), AXVK_OK);
    assert_int_equal(v, 2);
    assert_int_equal(gguf_n_tensors(g), 12 * 2 + 3);
    const struct gguf_tensor *k = gguf_find_tensor(g, "blk.1.attn_k.weight");
    assert_non_null(k);
    assert_int_equal(k->type, WTYPE_Q8_0);
    assert_int_equal(k->ne[0], 64);
    assert_int_equal(k->ne[1], 32); /* 2 kv heads of 16 */
    const struct gguf_tensor *norm = gguf_find_tensor(g, "blk.0.ffn_norm.weight");
    assert_int_equal(norm->type, WTYPE_F32);
    /* norm weights are 1 +- 0.1, never zero */
    const float *nw = (const float *)norm->data;
    for (int i = 0; i < 64; i++)
        assert_true(nw[i] > 0.89f && nw[i] < 1.11f);
    struct gguf_arr tokens;
    assert_int_equal(gguf_get_arr(g, "tokenizer.ggml.tokens", &tokens, &err), AXVK_OK);
    assert_int_equal(tokens.n, 300);
    const char *tok;
    uint64_t len;
    assert_true(gguf_arr_str(&tokens, 2, &tok, &len));
    assert_int_equal(len, strlen("<|im_end|>"));
    assert_memory_equal(tok, "<|im_end|>", len);
    gguf_close(g);
}

static void test_synth_is_reproducible_and_seeded(void **state)
{
    (void)state;
    const char *a = AXVK_TEST_TMP "/synth_a.gguf", *b = AXVK_TEST_TMP "/synth_b.gguf",
               *c = AXVK_TEST_TMP "/synth_c.gguf";
    struct synth_desc d = {.shape = tiny, .scheme = quant_scheme_from_name("q4_k_m"), .seed = 1};
    struct err err = {0};
    assert_int_equal(synth_write(&d, a, &err), AXVK_OK);
    assert_int_equal(synth_write(&d, b, &err), AXVK_OK);
    d.seed = 2;
    assert_int_equal(synth_write(&d, c, &err), AXVK_OK);
    struct mapfile ma, mb, mc;
    assert_int_equal(mapfile_open(&ma, a, &err), AXVK_OK);
    assert_int_equal(mapfile_open(&mb, b, &err), AXVK_OK);
    assert_int_equal(mapfile_open(&mc, c, &err), AXVK_OK);
    assert_int_equal(ma.size, mb.size);
    assert_memory_equal(ma.data, mb.data, ma.size);
    assert_int_equal(ma.size, mc.size);
    assert_true(memcmp(ma.data, mc.data, ma.size) != 0);
    mapfile_close(&ma);
    mapfile_close(&mb);
    mapfile_close(&mc);
}

static void test_synth_refuses_impossible_shapes(void **state)
{
    (void)state;
    struct synth_desc d = {.shape = tiny, .scheme = QUANT_F16};
    d.shape.n_kv_head = 3; /* 4 heads do not split into groups of 3 */
    struct err err = {0};
    assert_int_equal(synth_write(&d, AXVK_TEST_TMP "/never.gguf", &err), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "kv heads"));
}

static void test_presets_have_real_sizes(void **state)
{
    (void)state;
    const struct model_preset *light = preset_find("ax4-light");
    assert_non_null(light);
    /* A.X 4.0 Light is a 7.26B-parameter model (untied 102,400-token embeddings) */
    uint64_t n = preset_n_params(light);
    assert_true(n > 7200000000ull && n < 7400000000ull);
    const struct model_preset *small = preset_find("qwen2.5-0.5b");
    n = preset_n_params(small);
    assert_true(n > 480000000ull && n < 500000000ull); /* 494M */
    assert_null(preset_find("gpt-5"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mix_matches_llama_cpp_choices),
        cmocka_unit_test(test_mix_falls_back_for_rows_off_the_k_block),
        cmocka_unit_test(test_synth_reads_back_as_written),
        cmocka_unit_test(test_synth_is_reproducible_and_seeded),
        cmocka_unit_test(test_synth_refuses_impossible_shapes),
        cmocka_unit_test(test_presets_have_real_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
