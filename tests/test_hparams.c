/* test_hparams: hyper-parameters of the shared mini GGUFs and of A.X 4.0 Light's config.json,
 * and the refusal of missing, inconsistent or unsupported settings from either source. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/wtype.h"
#include "model/gguf.h"
#include "model/gguf_write.h"
#include "model/hparams.h"
#include "test_gguf_fixture.h"

static struct err e;

static void ok(axvk_status s)
{
    if (s != AXVK_OK)
        fail_msg("status %d: %s", (int)s, e.msg);
}

static void test_hparams_of_every_mini_gguf(void **state)
{
    (void)state;
    static const char *files[] = {"f16", "bf16", "q8_0", "q6_k", "q5_k_m",
                                  "q4_k_m", "q5_1", "q5_0", "q4_1", "q4_0"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, AXVK_SHARED_DIR "/testdata/gguf/mini-%s.gguf", files[i]);
        struct gguf *g;
        ok(gguf_open(&g, path, &e));
        struct model_hparams hp;
        ok(hparams_from_gguf(&hp, g, &e));
        assert_int_equal(hp.arch, MODEL_ARCH_QWEN2);
        assert_string_equal(model_arch_name(hp.arch), "qwen2");
        assert_int_equal(hp.dim, 256);
        assert_int_equal(hp.n_layers, 2);
        assert_int_equal(hp.n_head, 2);
        assert_int_equal(hp.n_kv_head, 1);
        assert_int_equal(hp.head_dim, 128);
        assert_int_equal(hp.ffn_dim, 768);
        assert_int_equal(hp.n_ctx_train, 512);
        assert_int_equal(hp.n_vocab, 4096);
        assert_true(fabsf(hp.rms_eps - 1e-5f) < 1e-9f);
        assert_true(hp.rope_theta == 1e6f);
        assert_int_equal(hp.rope_style, ROPE_STYLE_NEOX);
        assert_int_equal(hp.rope_scaling.type, ROPE_SCALING_NONE);
        assert_true(hp.qkv_bias);
        assert_false(hp.tied_output);
        assert_int_equal(hp.bos_id, 0);
        assert_int_equal(hp.eos_id, 27);
        assert_int_equal(hp.n_stop, 1);
        assert_int_equal(hp.stop_ids[0], 27);
        gguf_close(g);
    }
}

static void check_ax_light(const struct model_hparams *hp)
{
    assert_int_equal(hp->arch, MODEL_ARCH_QWEN2);
    assert_int_equal(hp->n_layers, 28);
    assert_int_equal(hp->dim, 3584);
    assert_int_equal(hp->ffn_dim, 18944);
    assert_int_equal(hp->n_head, 28);
    assert_int_equal(hp->n_kv_head, 4);
    assert_int_equal(hp->head_dim, 128);
    assert_int_equal(hp->n_vocab, 102400);
    assert_int_equal(hp->n_ctx_train, 16384);
    assert_true(hp->rope_theta == 1e6f);
    assert_true(hp->rms_eps == 1e-5f);
    assert_int_equal(hp->rope_style, ROPE_STYLE_NEOX);
    assert_true(hp->qkv_bias);
    assert_false(hp->tied_output);
}

static void test_hparams_of_ax_light_config(void **state)
{
    (void)state;
    struct model_hparams hp;
    ok(hparams_from_hf_dir(&hp, AXVK_SHARED_DIR "/models/ax-4.0-light", &e));
    check_ax_light(&hp);
    assert_int_equal(hp.rope_scaling.type, ROPE_SCALING_NONE);
    assert_int_equal(hp.bos_id, 0);
    /* <|im_end|> from generation_config.json first, then <|endoftext|> from config.json */
    assert_int_equal(hp.eos_id, 27);
    assert_int_equal(hp.n_stop, 2);
    assert_int_equal(hp.stop_ids[0], 27);
    assert_int_equal(hp.stop_ids[1], 0);
}

/* A.X 4.0 Light's config.json */
static const char ax_config[] =
        "{\"architectures\":[\"Qwen2ForCausalLM\"],\"bos_token_id\":0,\"eos_token_id\":0,"
        "\"hidden_act\":\"silu\",\"hidden_size\":3584,\"intermediate_size\":18944,"
        "\"max_position_embeddings\":16384,\"model_type\":\"qwen2\",\"num_attention_heads\":28,"
        "\"num_hidden_layers\":28,\"num_key_value_heads\":4,\"rms_norm_eps\":1e-05,"
        "\"rope_scaling\":null,\"rope_theta\":1000000,\"sliding_window\":null,"
        "\"tie_word_embeddings\":false,\"use_sliding_window\":false,\"vocab_size\":102400}";

/* `base` (flat JSON object) with one field replaced, added, or removed (value NULL). */
static char *json_with(const char *base, const char *field, const char *value)
{
    size_t cap = strlen(base) + 512;
    char *out = malloc(cap);
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", field);
    const char *at = strstr(base, key);
    if (!at) {
        /* a new field goes first */
        snprintf(out, cap, "{%s%s,%s", key, value, base + 1);
        return out;
    }
    const char *end = at + strlen(key);
    int depth = 0;
    for (; *end && (depth > 0 || (*end != ',' && *end != '}')); end++)
        depth += (*end == '{' || *end == '[') - (*end == '}' || *end == ']');
    if (value)
        snprintf(out, cap, "%.*s%s%s%s", (int)(at - base), base, key, value, end);
    else if (*end == ',') /* drop the field and its comma */
        snprintf(out, cap, "%.*s%s", (int)(at - base), base, end + 1);
    else /* the last field: drop the comma before it */
        snprintf(out, cap, "%.*s%s", (int)(at - base - 1), base, end);
    return out;
}

static char *ax_config_with(const char *field, const char *value)
{
    return json_with(ax_config, field, value);
}

static void expect_config(const char *field, const char *value, const char *generation,
                          axvk_status want, const char *what)
{
    char *config = ax_config_with(field, value);
    struct model_hparams hp;
    err_clear(&e);
    axvk_status s = hparams_from_hf_json(&hp, config, generation, &e);
    if (s != want)
        fail_msg("%s=%s: expected status %d, got %d: %s", field, value ? value : "(removed)",
                 (int)want, (int)s, e.msg);
    if (what && !strstr(e.msg, what))
        fail_msg("message \"%s\" does not mention \"%s\"", e.msg, what);
    free(config);
}

static void test_hparams_hf_reads_yarn_llama_and_defaults(void **state)
{
    (void)state;
    struct model_hparams hp;
    /* Qwen2.5's recommended long-context setting */
    char *c = ax_config_with("rope_scaling", "{\"factor\":4.0,\"original_max_position_embeddings\":"
                                             "32768,\"type\":\"yarn\"}");
    ok(hparams_from_hf_json(&hp, c, NULL, &e));
    free(c);
    check_ax_light(&hp);
    assert_int_equal(hp.rope_scaling.type, ROPE_SCALING_YARN);
    assert_true(hp.rope_scaling.factor == 4.0f);
    assert_int_equal(hp.rope_scaling.orig_ctx, 32768);
    assert_true(hp.rope_scaling.beta_fast == 32.0f && hp.rope_scaling.beta_slow == 1.0f);
    assert_true(fabsf(hp.rope_scaling.attn_factor - (0.1f * logf(4.0f) + 1.0f)) < 1e-6f);
    /* explicit YaRN fields under the newer rope_type name */
    c = ax_config_with("rope_scaling", "{\"rope_type\":\"yarn\",\"factor\":2,\"beta_fast\":16,"
                                       "\"beta_slow\":2,\"attention_factor\":1.25,"
                                       "\"original_max_position_embeddings\":8192}");
    ok(hparams_from_hf_json(&hp, c, "{\"eos_token_id\":[27,0,26]}", &e));
    free(c);
    assert_true(hp.rope_scaling.beta_fast == 16.0f && hp.rope_scaling.attn_factor == 1.25f);
    assert_int_equal(hp.n_stop, 3);
    assert_int_equal(hp.stop_ids[2], 26);
    /* llama: no q/k/v bias unless attention_bias; num_key_value_heads defaults to n_head */
    c = ax_config_with("num_key_value_heads", NULL);
    char *c2 = json_with(c, "architectures", "[\"LlamaForCausalLM\"]");
    free(c);
    c = json_with(c2, "model_type", NULL);
    free(c2);
    ok(hparams_from_hf_json(&hp, c, NULL, &e));
    free(c);
    assert_int_equal(hp.arch, MODEL_ARCH_LLAMA);
    assert_false(hp.qkv_bias);
    assert_int_equal(hp.rope_style, ROPE_STYLE_NEOX);
    assert_int_equal(hp.n_kv_head, 28);
    assert_int_equal(hp.eos_id, 0);
    c = ax_config_with("head_dim", "64");
    ok(hparams_from_hf_json(&hp, c, NULL, &e));
    free(c);
    assert_int_equal(hp.head_dim, 64);
    c = ax_config_with("tie_word_embeddings", "true");
    ok(hparams_from_hf_json(&hp, c, NULL, &e));
    free(c);
    assert_true(hp.tied_output);
}

static void test_hparams_hf_refuses_missing_and_inconsistent(void **state)
{
    (void)state;
    const axvk_status BAD = AXVK_ERR_BAD_MODEL, UNSUP = AXVK_ERR_UNSUPPORTED;
    expect_config("hidden_size", NULL, NULL, BAD, "config.json: missing hidden_size");
    expect_config("vocab_size", NULL, NULL, BAD, "config.json: missing vocab_size");
    expect_config("rope_theta", NULL, NULL, BAD, "config.json: missing rope_theta");
    expect_config("rms_norm_eps", NULL, NULL, BAD, "config.json: missing rms_norm_eps");
    expect_config("num_hidden_layers", "-3", NULL, BAD, "num_hidden_layers is not an integer");
    expect_config("num_hidden_layers", "2.5", NULL, BAD, "num_hidden_layers is not an integer");
    expect_config("num_hidden_layers", "0", NULL, BAD, "n_layers 0 out of range");
    expect_config("num_key_value_heads", "5", NULL, BAD, "n_head 28 not a multiple of n_kv_head 5");
    expect_config("num_key_value_heads", "56", NULL, BAD, "n_kv_head 56 out of range");
    expect_config("hidden_size", "3583", NULL, BAD,
                  "hidden_size 3583 not a multiple of num_attention_heads 28");
    expect_config("num_attention_heads", "0", NULL, BAD, "num_attention_heads is 0");
    expect_config("hidden_size", "11200000", NULL, BAD, "dim 11200000 out of range");
    expect_config("rms_norm_eps", "0", NULL, BAD, "rms_eps 0 out of range");
    expect_config("rope_theta", "-1", NULL, BAD, "rope theta -1 out of range");
    expect_config("model_type", "\"mistral\"", NULL, UNSUP,
                  "model type \"mistral\" not supported");
    expect_config("hidden_act", "\"gelu\"", NULL, UNSUP, "hidden_act gelu not supported");
    expect_config("use_sliding_window", "true", NULL, UNSUP, "sliding-window attention");
    expect_config("rope_scaling", "{\"type\":\"linear\",\"factor\":2}", NULL, UNSUP,
                  "rope scaling \"linear\" not supported");
    expect_config("rope_scaling", "{\"type\":\"yarn\",\"factor\":4}", NULL, BAD,
                  "original_max_position_embeddings missing");
    expect_config("rope_scaling", "{\"type\":\"yarn\",\"original_max_position_embeddings\":4}",
                  NULL, BAD, "rope_scaling: missing factor");
    expect_config("rope_scaling", "{\"type\":\"yarn\",\"factor\":0.5,"
                                  "\"original_max_position_embeddings\":4096}",
                  NULL, BAD, "rope scaling factor 0.5 below 1");
    expect_config("eos_token_id", "102400", NULL, BAD,
                  "eos id 102400 outside the vocabulary (102400 tokens)");
    expect_config("eos_token_id", "\"</s>\"", NULL, BAD, "eos_token_id is not a token id");
    expect_config("bos_token_id", "-5", NULL, BAD, "bos_token_id is not a token id");
    expect_config("eos_token_id", "0", "{\"eos_token_id\":[27,999999]}", BAD,
                  "stop id 999999 outside the vocabulary");
    expect_config("eos_token_id", "0", "[27]", AXVK_ERR_BAD_FILE,
                  "generation_config.json: not a JSON object");
    struct model_hparams hp;
    assert_int_equal(hparams_from_hf_json(&hp, "{\"hidden_size\":", NULL, &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "config.json: not a JSON object"));
    assert_int_equal(hparams_from_hf_dir(&hp, AXVK_TEST_TMP "/no-such-model", &e), AXVK_ERR_IO);
    assert_non_null(strstr(e.msg, "no-such-model/config.json"));
}

/* A qwen2 GGUF in memory with the mini model's settings, minus `skip`, plus `edit`'s keys. */
struct variant {
    const char *skip;
    void (*edit)(struct gguf_writer *w);
    bool output;         /* add output.weight */
    uint64_t embd_ne[2]; /* token_embd.weight shape */
};

static uint8_t tensor_bytes[256 * 64 * 4];

static axvk_status open_variant(const struct variant *v, struct model_hparams *hp,
                                char **image)
{
    struct gguf_writer *w;
    ok(gguf_writer_create(&w, &e));
    struct {
        const char *key;
        uint32_t value;
    } ints[] = {
        {"qwen2.context_length", 512},       {"qwen2.embedding_length", 256},
        {"qwen2.block_count", 2},            {"qwen2.feed_forward_length", 768},
        {"qwen2.attention.head_count", 2},   {"qwen2.attention.head_count_kv", 1},
        {"tokenizer.ggml.eos_token_id", 5},
    };
    if (!v->skip || strcmp(v->skip, "general.architecture") != 0)
        ok(gguf_writer_set_str(w, "general.architecture", "qwen2", &e));
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (!v->skip || strcmp(v->skip, ints[i].key) != 0)
            ok(gguf_writer_set_u32(w, ints[i].key, ints[i].value, &e));
    if (!v->skip || strcmp(v->skip, "qwen2.rope.freq_base") != 0)
        ok(gguf_writer_set_f32(w, "qwen2.rope.freq_base", 10000.0f, &e));
    if (!v->skip || strcmp(v->skip, "qwen2.attention.layer_norm_rms_epsilon") != 0)
        ok(gguf_writer_set_f32(w, "qwen2.attention.layer_norm_rms_epsilon", 1e-6f, &e));
    if (v->edit)
        v->edit(w);
    uint32_t seed = 77;
    fill_random(tensor_bytes, sizeof tensor_bytes, &seed);
    uint64_t embd[2] = {v->embd_ne[0] ? v->embd_ne[0] : 256, v->embd_ne[1] ? v->embd_ne[1] : 64};
    ok(gguf_writer_add_tensor(w, "token_embd.weight", WTYPE_F32, 2, embd, tensor_bytes, &e));
    if (v->output)
        ok(gguf_writer_add_tensor(w, "output.weight", WTYPE_F32, 2, embd, tensor_bytes, &e));
    size_t size;
    FILE *f = open_memstream(image, &size);
    ok(gguf_writer_write(w, f, &e));
    fclose(f);
    gguf_writer_destroy(w);
    struct gguf *g;
    ok(gguf_open_memory(&g, *image, size, &e));
    err_clear(&e);
    axvk_status s = hparams_from_gguf(hp, g, &e);
    gguf_close(g);
    return s;
}

static void expect_variant(const struct variant *v, axvk_status want, const char *what)
{
    struct model_hparams hp;
    char *image = NULL;
    axvk_status s = open_variant(v, &hp, &image);
    free(image);
    if (s != want)
        fail_msg("expected status %d, got %d: %s", (int)want, (int)s, e.msg);
    if (!strstr(e.msg, what))
        fail_msg("message \"%s\" does not mention \"%s\"", e.msg, what);
}

static void set_llama(struct gguf_writer *w)
{
    ok(gguf_writer_set_str(w, "general.architecture", "llama", &e));
    ok(gguf_writer_set_u32(w, "llama.context_length", 4096, &e));
    ok(gguf_writer_set_u32(w, "llama.embedding_length", 256, &e));
    ok(gguf_writer_set_u32(w, "llama.block_count", 3, &e));
    ok(gguf_writer_set_u32(w, "llama.feed_forward_length", 640, &e));
    ok(gguf_writer_set_u32(w, "llama.attention.head_count", 4, &e));
    ok(gguf_writer_set_f32(w, "llama.rope.freq_base", 500000.0f, &e));
    ok(gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f, &e));
    ok(gguf_writer_set_u32(w, "llama.vocab_size", 64, &e));
    ok(gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1, &e));
    ok(gguf_writer_set_u32(w, "tokenizer.ggml.eot_token_id", 9, &e));
}

static void set_yarn(struct gguf_writer *w)
{
    ok(gguf_writer_set_str(w, "qwen2.rope.scaling.type", "yarn", &e));
    ok(gguf_writer_set_f32(w, "qwen2.rope.scaling.factor", 4.0f, &e));
    ok(gguf_writer_set_u32(w, "qwen2.rope.scaling.original_context_length", 128, &e));
    ok(gguf_writer_set_f32(w, "qwen2.rope.scaling.yarn_beta_fast", 24.0f, &e));
}

static void test_hparams_gguf_reads_llama_yarn_and_tied(void **state)
{
    (void)state;
    struct model_hparams hp;
    char *image = NULL;
    struct variant llama = {.edit = set_llama};
    ok(open_variant(&llama, &hp, &image));
    free(image);
    assert_int_equal(hp.arch, MODEL_ARCH_LLAMA);
    assert_int_equal(hp.rope_style, ROPE_STYLE_NORMAL);
    assert_false(hp.qkv_bias);
    assert_int_equal(hp.n_kv_head, 4); /* no head_count_kv: one per query head */
    assert_int_equal(hp.head_dim, 64);
    assert_int_equal(hp.n_layers, 3);
    assert_int_equal(hp.n_vocab, 64);
    assert_true(hp.rope_theta == 500000.0f);
    assert_true(hp.tied_output); /* no output.weight */
    assert_int_equal(hp.bos_id, 1);
    assert_int_equal(hp.eos_id, 5);
    assert_int_equal(hp.n_stop, 2); /* eos, then end of turn */
    assert_int_equal(hp.stop_ids[0], 5);
    assert_int_equal(hp.stop_ids[1], 9);

    struct variant yarn = {.edit = set_yarn, .output = true};
    image = NULL;
    ok(open_variant(&yarn, &hp, &image));
    free(image);
    assert_int_equal(hp.rope_scaling.type, ROPE_SCALING_YARN);
    assert_true(hp.rope_scaling.factor == 4.0f);
    assert_int_equal(hp.rope_scaling.orig_ctx, 128);
    assert_true(hp.rope_scaling.beta_fast == 24.0f);
    assert_true(hp.rope_scaling.beta_slow == 1.0f);
    assert_true(fabsf(hp.rope_scaling.attn_factor - hparams_yarn_mscale(4.0f)) < 1e-7f);
    assert_false(hp.tied_output);
    assert_int_equal(hp.n_vocab, 64); /* rows of token_embd.weight */
    assert_int_equal(hp.eos_id, 5);
}

static void set_gemma(struct gguf_writer *w)
{
    ok(gguf_writer_set_str(w, "general.architecture", "gemma", &e));
}

static void set_linear(struct gguf_writer *w)
{
    ok(gguf_writer_set_str(w, "qwen2.rope.scaling.type", "linear", &e));
}

static void set_kv3(struct gguf_writer *w)
{
    ok(gguf_writer_set_u32(w, "qwen2.attention.head_count", 6, &e));
    ok(gguf_writer_set_u32(w, "qwen2.attention.head_count_kv", 4, &e));
    ok(gguf_writer_set_u32(w, "qwen2.attention.key_length", 64, &e));
}

static void set_key_length(struct gguf_writer *w)
{
    ok(gguf_writer_set_u32(w, "qwen2.attention.key_length", 64, &e));
    ok(gguf_writer_set_u32(w, "qwen2.attention.value_length", 32, &e));
}

static void set_heads3(struct gguf_writer *w)
{
    ok(gguf_writer_set_u32(w, "qwen2.attention.head_count", 3, &e));
}

static void set_vocab(struct gguf_writer *w)
{
    ok(gguf_writer_set_u32(w, "qwen2.vocab_size", 65, &e));
}

static void set_eps_str(struct gguf_writer *w)
{
    ok(gguf_writer_set_str(w, "qwen2.attention.layer_norm_rms_epsilon", "1e-6", &e));
}

static void set_eos_big(struct gguf_writer *w)
{
    ok(gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 64, &e));
}

static void set_tokens(struct gguf_writer *w)
{
    static const char *tokens[65];
    for (int i = 0; i < 65; i++)
        tokens[i] = "t";
    ok(gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", tokens, NULL, 65, &e));
}

static void test_hparams_gguf_refuses_missing_and_inconsistent(void **state)
{
    (void)state;
    const axvk_status BAD = AXVK_ERR_BAD_MODEL;
    const char *required[] = {
        "general.architecture", "qwen2.context_length", "qwen2.embedding_length",
        "qwen2.block_count", "qwen2.feed_forward_length", "qwen2.attention.head_count",
        "qwen2.rope.freq_base", "qwen2.attention.layer_norm_rms_epsilon",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        struct variant v = {.skip = required[i]};
        char want[128];
        snprintf(want, sizeof want, "missing key %s", required[i]);
        expect_variant(&v, BAD, want);
    }
    expect_variant(&(struct variant){.edit = set_gemma}, AXVK_ERR_UNSUPPORTED,
                   "architecture \"gemma\" not supported");
    expect_variant(&(struct variant){.edit = set_linear}, AXVK_ERR_UNSUPPORTED,
                   "rope scaling \"linear\" not supported");
    expect_variant(&(struct variant){.edit = set_kv3}, BAD,
                   "n_head 6 not a multiple of n_kv_head 4");
    expect_variant(&(struct variant){.edit = set_key_length}, BAD,
                   "key qwen2.attention.value_length: 32 but head_dim is 64");
    expect_variant(&(struct variant){.edit = set_heads3}, BAD,
                   "qwen2.embedding_length 256 not a multiple of qwen2.attention.head_count 3");
    expect_variant(&(struct variant){.edit = set_vocab}, BAD,
                   "token_embd.weight is [256, 64], expected [256, 65]");
    expect_variant(&(struct variant){.embd_ne = {128, 64}}, BAD,
                   "token_embd.weight is [128, 64], expected [256, 64]");
    expect_variant(&(struct variant){.edit = set_eps_str}, BAD,
                   "key qwen2.attention.layer_norm_rms_epsilon: string value where a number");
    expect_variant(&(struct variant){.edit = set_eos_big}, BAD,
                   "eos id 64 outside the vocabulary (64 tokens)");
    expect_variant(&(struct variant){.edit = set_tokens}, BAD,
                   "tokenizer has 65 tokens but the model only 64 rows");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hparams_of_every_mini_gguf),
        cmocka_unit_test(test_hparams_of_ax_light_config),
        cmocka_unit_test(test_hparams_hf_reads_yarn_llama_and_defaults),
        cmocka_unit_test(test_hparams_hf_refuses_missing_and_inconsistent),
        cmocka_unit_test(test_hparams_gguf_reads_llama_yarn_and_tied),
        cmocka_unit_test(test_hparams_gguf_refuses_missing_and_inconsistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
