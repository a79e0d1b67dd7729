/* test_gguf: reading the shared mini GGUF models (every weight type llama.cpp produced), the
 * metadata getters, and tensor data located where llama.cpp's own dequantizer read it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/half.h"
#include "base/wtype.h"
#include "model/gguf.h"

#define GGUF_DIR AXVK_SHARED_DIR "/testdata/gguf/"

struct mini {
    const char *file;
    uint32_t embd_type, output_type, v1_type; /* token_embd, output, blk.1.attn_v */
};

/* Types as written by llama-quantize: K-quant mixes keep output (and some of attn_v) at Q6_K. */
static const struct mini minis[] = {
    {"mini-f16.gguf", WTYPE_F16, WTYPE_F16, WTYPE_F16},
    {"mini-bf16.gguf", WTYPE_BF16, WTYPE_BF16, WTYPE_BF16},
    {"mini-q8_0.gguf", WTYPE_Q8_0, WTYPE_Q8_0, WTYPE_Q8_0},
    {"mini-q6_k.gguf", WTYPE_Q6_K, WTYPE_Q6_K, WTYPE_Q6_K},
    {"mini-q5_k_m.gguf", WTYPE_Q5_K, WTYPE_Q6_K, WTYPE_Q6_K},
    {"mini-q4_k_m.gguf", WTYPE_Q4_K, WTYPE_Q6_K, WTYPE_Q6_K},
    {"mini-q5_1.gguf", WTYPE_Q5_1, WTYPE_Q6_K, WTYPE_Q5_1},
    {"mini-q5_0.gguf", WTYPE_Q5_0, WTYPE_Q6_K, WTYPE_Q5_0},
    {"mini-q4_1.gguf", WTYPE_Q4_1, WTYPE_Q6_K, WTYPE_Q4_1},
    {"mini-q4_0.gguf", WTYPE_Q4_0, WTYPE_Q6_K, WTYPE_Q4_0},
};

static struct gguf *open_mini(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, GGUF_DIR "%s", file);
    struct gguf *g = NULL;
    struct err e;
    err_clear(&e);
    axvk_status s = gguf_open(&g, path, &e);
    if (s != AXVK_OK)
        fail_msg("%s: %s", path, e.msg);
    return g;
}

static void check_shape(const struct gguf *g, const char *name, uint32_t type, uint32_t n_dims,
                        uint64_t ne0, uint64_t ne1)
{
    const struct gguf_tensor *t = gguf_find_tensor(g, name);
    assert_non_null(t);
    assert_string_equal(t->name, name);
    assert_int_equal(t->type, type);
    assert_int_equal(t->n_dims, n_dims);
    assert_int_equal(t->ne[0], ne0);
    assert_int_equal(t->ne[1], ne1);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->ne[3], 1);
    assert_int_equal(t->size, wtype_row_bytes(type, ne0) * ne1);
}

static void test_gguf_reads_every_mini_model(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof minis / sizeof minis[0]; m++) {
        struct gguf *g = open_mini(minis[m].file);
        assert_int_equal(gguf_version(g), 3);
        assert_int_equal(gguf_n_shards(g), 1);
        assert_int_equal(gguf_alignment(g), 32);
        /* 3 global tensors + 12 per layer, 2 layers */
        assert_int_equal(gguf_n_tensors(g), 27);
        check_shape(g, "token_embd.weight", minis[m].embd_type, 2, 256, 4096);
        check_shape(g, "output.weight", minis[m].output_type, 2, 256, 4096);
        check_shape(g, "blk.1.attn_v.weight", minis[m].v1_type, 2, 256, 128);
        check_shape(g, "output_norm.weight", WTYPE_F32, 1, 256, 1);
        check_shape(g, "blk.0.attn_k.bias", WTYPE_F32, 1, 128, 1);
        assert_null(gguf_find_tensor(g, "blk.2.attn_q.weight"));
        assert_null(gguf_find_tensor(g, "output.weigh"));
        /* every tensor reachable by index, and found again by its name */
        for (uint64_t i = 0; i < gguf_n_tensors(g); i++) {
            const struct gguf_tensor *t = gguf_tensor_at(g, i);
            assert_ptr_equal(gguf_find_tensor(g, t->name), t);
        }
        assert_null(gguf_tensor_at(g, 27));

        struct gguf_arr tokens, types, merges;
        assert_int_equal(gguf_get_arr(g, "tokenizer.ggml.tokens", &tokens, NULL), AXVK_OK);
        assert_int_equal(gguf_get_arr(g, "tokenizer.ggml.token_type", &types, NULL), AXVK_OK);
        assert_int_equal(gguf_get_arr(g, "tokenizer.ggml.merges", &merges, NULL), AXVK_OK);
        assert_int_equal(tokens.type, GGUF_TYPE_STR);
        assert_int_equal(tokens.n, 4096);
        assert_int_equal(types.n, 4096);
        assert_int_equal(merges.n, 3799);
        const char *tok;
        uint64_t len;
        assert_true(gguf_arr_str(&tokens, 0, &tok, &len));
        assert_int_equal(len, strlen("<|endoftext|>"));
        assert_memory_equal(tok, "<|endoftext|>", len);
        assert_true(gguf_arr_str(&tokens, 27, &tok, &len));
        assert_memory_equal(tok, "<|im_end|>", len);
        assert_true(gguf_arr_str(&merges, 0, &tok, &len));
        assert_int_equal(len, 5); /* "Ġ ì" in GPT-2 byte symbols */
        assert_memory_equal(tok, "\xc4\xa0 \xc3\xac", len);
        assert_false(gguf_arr_str(&tokens, 4096, &tok, &len));
        int64_t tt;
        assert_true(gguf_arr_int(&types, 0, &tt));
        assert_int_equal(tt, 3); /* control token */
        assert_true(gguf_arr_int(&types, 4095, &tt));
        assert_int_equal(tt, 1); /* normal token */
        gguf_close(g);
    }
}

static void test_gguf_getters_convert_and_refuse(void **state)
{
    (void)state;
    struct gguf *g = open_mini("mini-q4_k_m.gguf");
    struct err e;
    err_clear(&e);
    const char *arch;
    size_t len;
    assert_int_equal(gguf_get_str(g, "general.architecture", &arch, &len, &e), AXVK_OK);
    assert_string_equal(arch, "qwen2");
    assert_int_equal(len, 5);
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    assert_int_equal(gguf_get_u32(g, "qwen2.embedding_length", &u32, &e), AXVK_OK);
    assert_int_equal(u32, 256);
    assert_int_equal(gguf_get_u64(g, "qwen2.context_length", &u64, &e), AXVK_OK);
    assert_int_equal(u64, 512);
    assert_int_equal(gguf_get_i32(g, "tokenizer.ggml.eos_token_id", &i32, &e), AXVK_OK);
    assert_int_equal(i32, 27);
    float f;
    double d;
    assert_int_equal(gguf_get_f32(g, "qwen2.rope.freq_base", &f, &e), AXVK_OK);
    assert_true(f == 1e6f);
    assert_int_equal(gguf_get_f64(g, "qwen2.attention.layer_norm_rms_epsilon", &d, &e), AXVK_OK);
    assert_true(d > 0.99e-5 && d < 1.01e-5);
    bool b = true;
    assert_int_equal(gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b, &e), AXVK_OK);
    assert_false(b);
    assert_int_equal(gguf_key_type(g, "tokenizer.ggml.tokens"), GGUF_TYPE_ARR);
    assert_int_equal(gguf_key_type(g, "no.such.key"), GGUF_TYPE_COUNT);
    assert_true(gguf_has_key(g, "general.name"));
    assert_int_equal(gguf_n_keys(g), 23);
    assert_string_equal(gguf_key_at(g, 0), "general.architecture");
    assert_null(gguf_key_at(g, 23));

    u32 = 77;
    assert_int_equal(gguf_get_u32(g, "qwen2.no_such_key", &u32, &e), AXVK_ERR_BAD_MODEL);
    assert_non_null(strstr(e.msg, "missing key qwen2.no_such_key"));
    assert_int_equal(u32, 77);
    assert_int_equal(gguf_get_u32(g, "general.name", &u32, &e), AXVK_ERR_BAD_MODEL);
    assert_non_null(strstr(e.msg, "key general.name: string value where an integer expected"));
    assert_int_equal(gguf_get_str(g, "qwen2.block_count", &arch, NULL, &e), AXVK_ERR_BAD_MODEL);
    assert_non_null(strstr(e.msg, "qwen2.block_count"));
    assert_int_equal(gguf_get_f32(g, "tokenizer.ggml.add_bos_token", &f, &e), AXVK_ERR_BAD_MODEL);
    struct gguf_arr a;
    assert_int_equal(gguf_get_arr(g, "general.name", &a, &e), AXVK_ERR_BAD_MODEL);
    gguf_close(g);
}

/* bf16 and q8_0 decode exactly, so the raw tensor bytes must reproduce llama.cpp's dequantized
 * values bit for bit; that pins both the data offsets and the row layout. */
static void check_dequant(const char *file, const char *tensor, uint32_t type)
{
    char path[512];
    snprintf(path, sizeof path, GGUF_DIR "dequant/%.*s.%s.f32", (int)(strlen(file) - 5), file,
             tensor);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    struct gguf *g = open_mini(file);
    const struct gguf_tensor *t = gguf_find_tensor(g, tensor);
    assert_non_null(t);
    assert_int_equal(t->type, type);
    uint64_t n = t->ne[0] * t->ne[1];
    float *want = mem_alloc((size_t)n * sizeof *want);
    assert_int_equal(fread(want, sizeof *want, (size_t)n, fp), n);
    fclose(fp);
    for (uint64_t i = 0; i < n; i++) {
        float got;
        if (type == WTYPE_BF16) {
            got = bf16_to_f32((uint16_t)(t->data[2 * i] | t->data[2 * i + 1] << 8));
        } else {
            const uint8_t *blk = t->data + (i / 32) * 34;
            float scale = f16_to_f32((uint16_t)(blk[0] | blk[1] << 8));
            got = scale * (float)(int8_t)blk[2 + i % 32];
        }
        if (got != want[i])
            fail_msg("%s %s element %llu: %g != %g", file, tensor, (unsigned long long)i, got,
                     want[i]);
    }
    mem_free(want);
    gguf_close(g);
}

static void test_gguf_tensor_data_matches_reference_dequant(void **state)
{
    (void)state;
    check_dequant("mini-bf16.gguf", "blk.0.attn_q.weight", WTYPE_BF16);
    check_dequant("mini-bf16.gguf", "blk.1.ffn_down.weight", WTYPE_BF16);
    check_dequant("mini-q8_0.gguf", "blk.0.ffn_down.weight", WTYPE_Q8_0);
    check_dequant("mini-q8_0.gguf", "blk.1.attn_v.weight", WTYPE_Q8_0);
}

static void test_gguf_reports_missing_file(void **state)
{
    (void)state;
    struct gguf *g = (struct gguf *)&g;
    struct err e;
    err_clear(&e);
    assert_int_equal(gguf_open(&g, GGUF_DIR "no-such-file.gguf", &e), AXVK_ERR_IO);
    assert_null(g);
    assert_non_null(strstr(e.msg, "no-such-file.gguf"));
    gguf_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gguf_reads_every_mini_model),
        cmocka_unit_test(test_gguf_getters_convert_and_refuse),
        cmocka_unit_test(test_gguf_tensor_data_matches_reference_dequant),
        cmocka_unit_test(test_gguf_reports_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
