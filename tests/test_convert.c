/* test_convert: axvk_convert without a device — what the written GGUF holds. Hugging Face
 * directories (tiny BF16 fixtures with A.X's tokenizer) become GGUF files with standard keys,
 * the tokenizer and template intact, the scheme's type mix, interleaved RoPE rows for Llama;
 * GGUF files are re-encoded with their metadata kept. Model outputs are compared on the CPU
 * reference; test_convert_gpu runs the same files on the device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "axvk.h"
#include "base/alloc.h"
#include "base/mapfile.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "hf_fixture.h"
#include "model/gguf.h"
#include "model/hparams.h"
#include "model/quant_mix.h"
#include "model/ref_model.h"
#include "model/safetensors.h"
#include "model/tensors.h"

#define TMP AXVK_TEST_TMP "/convert_cpu"
#define QWEN_DIR TMP "/qwen2"
#define LLAMA_DIR TMP "/llama"
#define SHARD_DIR TMP "/sharded"
#define MINI_F16 AXVK_SHARED_DIR "/testdata/gguf/mini-f16.gguf"

static void convert(const char *src, const char *type, const char *out)
{
    axvk_convert_desc d = {.type = type};
    if (axvk_convert(&d, src, out) != AXVK_OK)
        fail_msg("convert %s to %s: %s", src, type, axvk_errmsg(NULL));
}

static struct gguf *open_gguf(const char *path)
{
    struct gguf *g = NULL;
    struct err err = {0};
    if (gguf_open(&g, path, &err))
        fail_msg("%s", err.msg);
    return g;
}

static const char *str_key(const struct gguf *g, const char *key)
{
    const char *v = NULL;
    struct err err = {0};
    if (gguf_get_str(g, key, &v, NULL, &err))
        fail_msg("%s", err.msg);
    return v;
}

static int64_t int_key(const struct gguf *g, const char *key)
{
    int64_t v = -1;
    struct err err = {0};
    if (gguf_get_i64(g, key, &v, &err))
        fail_msg("%s", err.msg);
    return v;
}

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    mkdir(TMP, 0755);
    struct hf_fixture qwen = {.seed = 21};
    struct hf_fixture llama = {.arch = "llama", .tied = 1, .seed = 22};
    struct hf_fixture sharded = {.n_shards = 2, .yarn_factor = 4.0f, .seed = 23};
    return hf_fixture_write(QWEN_DIR, &qwen) || hf_fixture_write(LLAMA_DIR, &llama) ||
           hf_fixture_write(SHARD_DIR, &sharded);
}

/* ---- Hugging Face directories ------------------------------------------------------------- */

static void test_directory_converts_with_standard_keys_tokenizer_and_template(void **state)
{
    (void)state;
    const char *out = TMP "/qwen2-f16.gguf";
    convert(QWEN_DIR, "f16", out);
    struct gguf *g = open_gguf(out);
    assert_string_equal(str_key(g, "general.architecture"), "qwen2");
    assert_string_equal(str_key(g, "general.name"), "qwen2");
    assert_int_equal(int_key(g, "general.file_type"), 1);
    assert_int_equal(int_key(g, "general.quantization_version"), 2);
    assert_int_equal(int_key(g, "qwen2.embedding_length"), 64);
    assert_int_equal(int_key(g, "qwen2.block_count"), 2);
    assert_int_equal(int_key(g, "qwen2.feed_forward_length"), 256);
    assert_int_equal(int_key(g, "qwen2.attention.head_count"), 2);
    assert_int_equal(int_key(g, "qwen2.attention.head_count_kv"), 1);
    assert_int_equal(int_key(g, "qwen2.context_length"), 512);
    assert_false(gguf_has_key(g, "qwen2.rope.scaling.type"));
    assert_string_equal(str_key(g, "tokenizer.ggml.model"), "gpt2");
    /* A.X's files carry the GPT-2 regex; its GGUF name is recognised from the vocabulary */
    assert_string_equal(str_key(g, "tokenizer.ggml.pre"), "a.x-4.0");
    assert_int_equal(int_key(g, "tokenizer.ggml.eos_token_id"), 27);
    assert_int_equal(int_key(g, "tokenizer.ggml.bos_token_id"), 0);
    assert_int_equal(int_key(g, "tokenizer.ggml.padding_token_id"), 1);
    struct gguf_arr tokens, types, merges;
    struct err err = {0};
    assert_int_equal(gguf_get_arr(g, "tokenizer.ggml.tokens", &tokens, &err), AXVK_OK);
    assert_int_equal(gguf_get_arr(g, "tokenizer.ggml.token_type", &types, &err), AXVK_OK);
    assert_int_equal(gguf_get_arr(g, "tokenizer.ggml.merges", &merges, &err), AXVK_OK);
    assert_int_equal(tokens.n, 102400);
    assert_int_equal(types.n, 102400);
    assert_true(merges.n > 100000);
    const char *p;
    uint64_t len;
    int64_t type;
    assert_true(gguf_arr_str(&tokens, 27, &p, &len));
    assert_memory_equal(p, "<|im_end|>", len);
    assert_true(gguf_arr_int(&types, 27, &type));
    assert_int_equal(type, 3); /* control */
    assert_true(gguf_arr_str(&tokens, 41, &p, &len) && len == 1 && p[0] == '!');
    /* the template is tokenizer_config.json's, byte for byte */
    char *config;
    assert_int_equal(file_read_all(QWEN_DIR "/tokenizer_config.json", &config, NULL, NULL), AXVK_OK);
    cJSON *json = cJSON_Parse(config);
    mem_free(config);
    assert_string_equal(str_key(g, "tokenizer.chat_template"),
                        cJSON_GetObjectItem(json, "chat_template")->valuestring);
    cJSON_Delete(json);
    /* matrices as f16, vectors as f32, the loader's names and shapes */
    assert_int_equal(gguf_n_tensors(g), 1 + 2 * 12 + 2);
    for (uint64_t i = 0; i < gguf_n_tensors(g); i++) {
        const struct gguf_tensor *t = gguf_tensor_at(g, i);
        assert_int_equal(t->type, t->n_dims == 2 ? WTYPE_F16 : WTYPE_F32);
    }
    const struct gguf_tensor *q = gguf_find_tensor(g, "blk.1.attn_q.bias");
    assert_non_null(q);
    assert_int_equal(q->ne[0], 64);
    assert_non_null(gguf_find_tensor(g, "output.weight"));
    gguf_close(g);
}

/* vectors.jsonl: every text, tokenized through the directory and through the GGUF. */
static void test_converted_tokenizer_gives_the_directory_ids(void **state)
{
    (void)state;
    const char *out = TMP "/qwen2-tok.gguf";
    convert(QWEN_DIR, "q8_0", out);
    axvk_context_desc cd = {.flags = AXVK_CONTEXT_NO_GPU};
    axvk_context *ctx;
    axvk_model *dir, *file;
    axvk_model_desc vocab_only = {.vocab_only = 1};
    assert_int_equal(axvk_context_create(&cd, &ctx), AXVK_OK);
    assert_int_equal(axvk_model_load(ctx, QWEN_DIR, &vocab_only, &dir), AXVK_OK);
    assert_int_equal(axvk_model_load(ctx, out, &vocab_only, &file), AXVK_OK);
    char *text;
    assert_int_equal(file_read_all(AXVK_SHARED_DIR "/testdata/tokenizer/vectors.jsonl", &text, NULL,
                                   NULL), AXVK_OK);
    int n_cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *c = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItem(c, "text"), *want = cJSON_GetObjectItem(c, "ax");
        int32_t *a = NULL, *b = NULL;
        size_t na = 0, nb = 0, len = strlen(t->valuestring);
        assert_int_equal(axvk_tokenize(dir, t->valuestring, len, 0, &a, &na), AXVK_OK);
        assert_int_equal(axvk_tokenize(file, t->valuestring, len, 0, &b, &nb), AXVK_OK);
        if (na != nb || (na && memcmp(a, b, na * sizeof *a)))
            fail_msg("\"%s\": %zu ids from the directory, %zu from the GGUF, or different ids",
                     t->valuestring, na, nb);
        /* cJSON ends a string at an escaped NUL: such texts are only compared between the two */
        if (!strstr(line, "\\u0000")) {
            assert_int_equal(nb, (size_t)cJSON_GetArraySize(want));
            for (size_t i = 0; i < nb; i++)
                assert_int_equal(b[i], cJSON_GetArrayItem(want, (int)i)->valueint);
        }
        axvk_free(a);
        axvk_free(b);
        cJSON_Delete(c);
        n_cases++;
    }
    mem_free(text);
    assert_true(n_cases >= 100);
    /* the same chat prompt and the same stop ids */
    char *ra, *rb;
    const char *msgs = "[{\"role\":\"system\",\"content\":\"짧게 답하세요.\"},"
                       "{\"role\":\"user\",\"content\":\"안녕하세요?\"}]";
    assert_int_equal(axvk_apply_template(dir, msgs, NULL, 1, &ra), AXVK_OK);
    assert_int_equal(axvk_apply_template(file, msgs, NULL, 1, &rb), AXVK_OK);
    assert_string_equal(ra, rb);
    axvk_model_info ia, ib;
    assert_int_equal(axvk_model_get_info(dir, &ia), AXVK_OK);
    assert_int_equal(axvk_model_get_info(file, &ib), AXVK_OK);
    assert_int_equal(ib.stop_ids[0], 27);
    assert_int_equal(ia.stop_ids[0], ib.stop_ids[0]);
    assert_int_equal(ia.n_vocab, ib.n_vocab);
    axvk_free(ra);
    axvk_free(rb);
    axvk_model_destroy(dir);
    axvk_model_destroy(file);
    axvk_context_destroy(ctx);
}

/* The reference forward pass over a directory's safetensors. */
struct dir_ref {
    struct st_set *st;
    struct tensor_source src;
    struct ref_model_gguf rm;
};

static void dir_ref_open(struct dir_ref *r, const char *dir)
{
    struct model_hparams hp;
    struct err err = {0};
    if (hparams_from_hf_dir(&hp, dir, &err) || st_open_dir(&r->st, dir, &err))
        fail_msg("%s", err.msg);
    r->src = (struct tensor_source){.st = r->st};
    if (ref_model_from_source(&r->rm, &hp, &r->src, &err))
        fail_msg("%s", err.msg);
}

static void dir_ref_close(struct dir_ref *r)
{
    ref_model_free(&r->rm);
    st_close(r->st);
}

/* Logits of the same prompt after the same tokens, through two reference models. */
static double ref_logits_nmse(const struct ref_model *a, const struct ref_model *b)
{
    enum { N = 9 };
    const int32_t prompt[N] = {5012, 27, 311, 99, 60001, 4, 1024, 77777, 250};
    struct ref_state *sa, *sb;
    struct err err = {0};
    float *la = mem_calloc(a->n_vocab, sizeof *la), *lb = mem_calloc(b->n_vocab, sizeof *lb);
    assert_true(la && lb && a->n_vocab == b->n_vocab);
    assert_int_equal(ref_state_create(&sa, a, 64, WTYPE_F32, &err), AXVK_OK);
    assert_int_equal(ref_state_create(&sb, b, 64, WTYPE_F32, &err), AXVK_OK);
    assert_int_equal(ref_forward(la, sa, a, prompt, N, 0, false, &err), AXVK_OK);
    assert_int_equal(ref_forward(lb, sb, b, prompt, N, 0, false, &err), AXVK_OK);
    double e = gpu_test_nmse(lb, la, a->n_vocab);
    ref_state_destroy(sa);
    ref_state_destroy(sb);
    mem_free(la);
    mem_free(lb);
    return e;
}

/* Llama's q/k rows go to GGUF's (2p, 2p+1) RoPE pairs: the GGUF read with normal RoPE computes
 * what the directory computes with NEOX RoPE. */
static void test_llama_directory_gets_interleaved_rope_rows(void **state)
{
    (void)state;
    const char *out = TMP "/llama-bf16.gguf";
    convert(LLAMA_DIR, "bf16", out);
    struct gguf *g = open_gguf(out);
    assert_string_equal(str_key(g, "general.architecture"), "llama");
    assert_int_equal(int_key(g, "llama.rope.dimension_count"), 32);
    assert_null(gguf_find_tensor(g, "output.weight")); /* tied */
    assert_null(gguf_find_tensor(g, "blk.0.attn_q.bias"));
    struct dir_ref dr = {0};
    dir_ref_open(&dr, LLAMA_DIR);
    /* row 2p + j of each head of 32 is the directory's row 16 j + p */
    const struct gguf_tensor *q = gguf_find_tensor(g, "blk.1.attn_q.weight");
    const struct st_tensor *hq = st_find(dr.st, "model.layers.1.self_attn.q_proj.weight");
    const struct gguf_tensor *v = gguf_find_tensor(g, "blk.1.attn_v.weight");
    const struct st_tensor *hv = st_find(dr.st, "model.layers.1.self_attn.v_proj.weight");
    assert_true(q && hq && v && hv && q->type == WTYPE_BF16);
    const size_t row = 64 * 2;
    for (uint32_t o = 0; o < 64; o++) {
        uint32_t head = o / 32, i = o % 32, from = head * 32 + (i % 2) * 16 + i / 2;
        assert_memory_equal(q->data + o * row, hq->data + from * row, row);
    }
    assert_memory_equal(v->data, hv->data, 32 * row);
    struct ref_model_gguf file;
    struct err err = {0};
    if (ref_model_from_gguf(&file, g, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(file.hp.rope_style, ROPE_STYLE_NORMAL);
    assert_int_equal(dr.rm.hp.rope_style, ROPE_STYLE_NEOX);
    double e = ref_logits_nmse(&dr.rm.m, &file.m);
    if (e > 1e-10)
        fail_msg("logits of the converted llama differ: NMSE %.3g", e);
    ref_model_free(&file);
    dir_ref_close(&dr);
    gguf_close(g);
}

/* A sharded directory with YaRN: the index's shards are read, the rope scaling keys written. */
static void test_sharded_yarn_directory_keeps_its_hyperparameters(void **state)
{
    (void)state;
    const char *out = TMP "/sharded-q8_0.gguf";
    convert(SHARD_DIR, "q8_0", out);
    struct gguf *g = open_gguf(out);
    struct model_hparams from_dir, from_file;
    struct err err = {0};
    assert_int_equal(hparams_from_hf_dir(&from_dir, SHARD_DIR, &err), AXVK_OK);
    assert_int_equal(hparams_from_gguf(&from_file, g, &err), AXVK_OK);
    assert_string_equal(str_key(g, "qwen2.rope.scaling.type"), "yarn");
    assert_int_equal(int_key(g, "qwen2.rope.scaling.original_context_length"), 128);
    assert_int_equal(from_file.rope_scaling.type, ROPE_SCALING_YARN);
    assert_true(from_file.rope_scaling.factor == 4.0f);
    assert_true(from_file.rope_scaling.attn_factor == from_dir.rope_scaling.attn_factor);
    assert_true(from_file.rope_scaling.beta_fast == from_dir.rope_scaling.beta_fast);
    assert_true(from_file.rope_scaling.beta_slow == from_dir.rope_scaling.beta_slow);
    assert_int_equal(from_file.n_ctx_train, from_dir.n_ctx_train);
    assert_true(from_file.rms_eps == from_dir.rms_eps && from_file.rope_theta == from_dir.rope_theta);
    assert_int_equal(from_file.eos_id, from_dir.eos_id);
    assert_int_equal(from_file.bos_id, from_dir.bos_id);
    /* q8_0 everywhere: no K-quant fallbacks in this scheme */
    assert_int_equal(gguf_n_tensors(g), 27);
    for (uint64_t i = 0; i < gguf_n_tensors(g); i++) {
        const struct gguf_tensor *t = gguf_tensor_at(g, i);
        assert_int_equal(t->type, t->n_dims == 2 ? WTYPE_Q8_0 : WTYPE_F32);
    }
    /* tensors from both shards came through: last layer's down projection, close to bf16 */
    struct dir_ref dr = {0};
    dir_ref_open(&dr, SHARD_DIR);
    struct ref_model_gguf file;
    if (ref_model_from_gguf(&file, g, &err))
        fail_msg("%s", err.msg);
    double e = ref_logits_nmse(&dr.rm.m, &file.m);
    if (e > 5e-4)
        fail_msg("q8_0 logits NMSE %.3g against the bf16 directory", e);
    ref_model_free(&file);
    dir_ref_close(&dr);
    gguf_close(g);
}

static void test_directory_tensor_with_no_place_is_refused(void **state)
{
    (void)state;
    const char *dir = TMP "/qk_norm", *out = TMP "/qk_norm.gguf";
    struct hf_fixture f = {.seed = 5, .n_vocab = 102400,
                           .extra_tensor = "model.layers.0.self_attn.q_norm.weight"};
    assert_int_equal(hf_fixture_write(dir, &f), 0);
    axvk_convert_desc d = {.type = "q8_0"};
    assert_int_equal(axvk_convert(&d, dir, out), AXVK_ERR_UNSUPPORTED);
    assert_non_null(strstr(axvk_errmsg(NULL), "model.layers.0.self_attn.q_norm.weight"));
    assert_false(file_exists(out));
}

/* ---- GGUF files --------------------------------------------------------------------------- */

static void assert_same_value(const struct gguf *a, const struct gguf *b, const char *key)
{
    uint32_t type = gguf_key_type(a, key);
    struct err err = {0};
    if (gguf_key_type(b, key) != type)
        fail_msg("key %s: type %s, source %s", key, gguf_type_name(gguf_key_type(b, key)),
                 gguf_type_name(type));
    if (type == GGUF_TYPE_STR) {
        assert_string_equal(str_key(a, key), str_key(b, key));
    } else if (type == GGUF_TYPE_F32 || type == GGUF_TYPE_F64) {
        double x, y;
        assert_int_equal(gguf_get_f64(a, key, &x, &err), AXVK_OK);
        assert_int_equal(gguf_get_f64(b, key, &y, &err), AXVK_OK);
        assert_true(x == y);
    } else if (type == GGUF_TYPE_ARR) {
        struct gguf_arr x, y;
        assert_int_equal(gguf_get_arr(a, key, &x, &err), AXVK_OK);
        assert_int_equal(gguf_get_arr(b, key, &y, &err), AXVK_OK);
        assert_int_equal(x.type, y.type);
        assert_int_equal(x.n, y.n);
        for (uint64_t i = 0; i < x.n; i++) {
            const char *ps, *qs;
            uint64_t pl, ql;
            int64_t pi, qi;
            double pf, qf;
            if (gguf_arr_str(&x, i, &ps, &pl)) {
                assert_true(gguf_arr_str(&y, i, &qs, &ql) && pl == ql && !memcmp(ps, qs, pl));
            } else if (gguf_arr_int(&x, i, &pi)) {
                assert_true(gguf_arr_int(&y, i, &qi) && pi == qi);
            } else {
                assert_true(gguf_arr_f64(&x, i, &pf) && gguf_arr_f64(&y, i, &qf) && pf == qf);
            }
        }
    } else {
        assert_int_equal(int_key(a, key), int_key(b, key));
    }
}

/* Re-encoding keeps every key (but the file type) and gives each tensor the scheme's type —
 * for q4_k_m the very types llama-quantize gave the same model. */
static void test_gguf_requantization_keeps_metadata_and_takes_the_mix(void **state)
{
    (void)state;
    static const struct {
        const char *type, *llama_cpp;
        int scheme;
        uint32_t file_type;
    } cases[] = {
        {"q8_0", "mini-q8_0.gguf", QUANT_Q8_0, 7},
        {"q4_k_m", "mini-q4_k_m.gguf", QUANT_Q4_K_M, 15},
        {"q5_1", "mini-q5_1.gguf", QUANT_Q5_1, 9},
    };
    struct gguf *src = open_gguf(MINI_F16);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char out[512], theirs[512];
        snprintf(out, sizeof out, TMP "/mini-%s.gguf", cases[c].type);
        snprintf(theirs, sizeof theirs, AXVK_SHARED_DIR "/testdata/gguf/%s", cases[c].llama_cpp);
        convert(MINI_F16, cases[c].type, out);
        struct gguf *g = open_gguf(out), *ref = open_gguf(theirs);
        assert_int_equal(gguf_n_keys(g), gguf_n_keys(src) + !gguf_has_key(src, "general.file_type") +
                                             !gguf_has_key(src, "general.quantization_version"));
        for (uint64_t i = 0; i < gguf_n_keys(src); i++) {
            const char *key = gguf_key_at(src, i);
            if (strcmp(key, "general.file_type") && strcmp(key, "general.quantization_version"))
                assert_same_value(g, src, key);
        }
        assert_int_equal(int_key(g, "general.file_type"), cases[c].file_type);
        assert_int_equal(gguf_n_tensors(g), gguf_n_tensors(src));
        for (uint64_t i = 0; i < gguf_n_tensors(src); i++) {
            const struct gguf_tensor *s = gguf_tensor_at(src, i), *t = gguf_tensor_at(g, i);
            const struct gguf_tensor *l = gguf_find_tensor(ref, s->name);
            assert_string_equal(s->name, t->name);
            assert_memory_equal(s->ne, t->ne, sizeof s->ne);
            assert_int_equal(t->type, quant_mix_type(cases[c].scheme, s->name, s->ne[0], s->n_dims, 2));
            if (t->type != l->type)
                fail_msg("%s: %s is %s, llama.cpp chose %s", cases[c].type, s->name,
                         wtype_get(t->type)->name, wtype_get(l->type)->name);
        }
        gguf_close(g);
        gguf_close(ref);
    }
    gguf_close(src);
}

/* Same type in, same bytes out: tensors that keep their type are copied, not re-rounded. */
static void test_gguf_to_its_own_type_copies_tensor_bytes(void **state)
{
    (void)state;
    const char *out = TMP "/mini-f16-again.gguf";
    convert(MINI_F16, "f16", out);
    struct gguf *src = open_gguf(MINI_F16), *g = open_gguf(out);
    for (uint64_t i = 0; i < gguf_n_tensors(src); i++) {
        const struct gguf_tensor *s = gguf_tensor_at(src, i), *t = gguf_tensor_at(g, i);
        assert_int_equal(s->type, t->type);
        assert_int_equal(s->size, t->size);
        assert_memory_equal(s->data, t->data, s->size);
    }
    gguf_close(src);
    gguf_close(g);
}

/* q8_0 is quantized exactly as llama-quantize does it: the shared mini-q8_0.gguf came from the
 * same f16 weights, so every tensor must come out byte for byte the same. */
static void test_q8_0_conversion_matches_llama_quantize_bytes(void **state)
{
    (void)state;
    const char *out = TMP "/mini-q8_0-again.gguf";
    convert(MINI_F16, "q8_0", out);
    struct gguf *want = open_gguf(AXVK_SHARED_DIR "/testdata/gguf/mini-q8_0.gguf"), *g = open_gguf(out);
    assert_int_equal(gguf_n_tensors(want), gguf_n_tensors(g));
    for (uint64_t i = 0; i < gguf_n_tensors(want); i++) {
        const struct gguf_tensor *w = gguf_tensor_at(want, i), *t = gguf_find_tensor(g, w->name);
        assert_non_null(t);
        assert_int_equal(w->type, t->type);
        assert_int_equal(w->size, t->size);
        if (memcmp(w->data, t->data, w->size) != 0)
            fail_msg("%s differs from llama-quantize's bytes", w->name);
    }
    gguf_close(want);
    gguf_close(g);
}

static void test_convert_refuses_bad_requests_and_leaves_no_file(void **state)
{
    (void)state;
    const char *out = TMP "/refused.gguf";
    axvk_convert_desc bad_type = {.type = "q3_k"};
    assert_int_equal(axvk_convert(&bad_type, MINI_F16, out), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(axvk_errmsg(NULL), "q3_k"));
    assert_int_equal(axvk_convert(NULL, MINI_F16, MINI_F16), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(axvk_errmsg(NULL), "overwrite"));
    assert_int_equal(axvk_convert(NULL, TMP "/no-such-model", out), AXVK_ERR_IO);
    assert_int_equal(axvk_convert(NULL, NULL, out), AXVK_ERR_INVALID_ARGUMENT);
    /* a directory whose weights are missing is refused before anything is written */
    const char *dir = TMP "/no-weights";
    struct hf_fixture f = {.seed = 6};
    assert_int_equal(hf_fixture_write(dir, &f), 0);
    assert_int_equal(remove(TMP "/no-weights/model.safetensors"), 0);
    assert_int_equal(axvk_convert(NULL, dir, out), AXVK_ERR_IO);
    assert_non_null(strstr(axvk_errmsg(NULL), "safetensors"));
    assert_false(file_exists(out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_converts_with_standard_keys_tokenizer_and_template),
        cmocka_unit_test(test_converted_tokenizer_gives_the_directory_ids),
        cmocka_unit_test(test_llama_directory_gets_interleaved_rope_rows),
        cmocka_unit_test(test_sharded_yarn_directory_keeps_its_hyperparameters),
        cmocka_unit_test(test_directory_tensor_with_no_place_is_refused),
        cmocka_unit_test(test_gguf_requantization_keeps_metadata_and_takes_the_mix),
        cmocka_unit_test(test_gguf_to_its_own_type_copies_tensor_bytes),
        cmocka_unit_test(test_q8_0_conversion_matches_llama_quantize_bytes),
        cmocka_unit_test(test_convert_refuses_bad_requests_and_leaves_no_file),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
