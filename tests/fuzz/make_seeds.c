/* make_seeds: writes the fuzzers' seed corpus (valid GGUF and safetensors images made by the
 * writer and the test fixture, and a config.json) into <dir>/gguf, <dir>/safetensors and
 * <dir>/hparams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/wtype.h"
#include "model/gguf_write.h"
#include "test_gguf_fixture.h"

static int save(const char *dir, const char *name, const void *data, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size) {
        fprintf(stderr, "%s: cannot write\n", path);
        return 1;
    }
    fclose(f);
    return 0;
}

/* A tiny but complete qwen2 model header, so that the fuzzer reaches hparams_from_gguf. */
static int write_qwen2(const char *dir)
{
    struct err e;
    struct gguf_writer *w;
    if (gguf_writer_create(&w, &e) != AXVK_OK)
        return 1;
    static const struct {
        const char *key;
        uint32_t value;
    } ints[] = {
        {"qwen2.context_length", 64},     {"qwen2.embedding_length", 8},
        {"qwen2.block_count", 1},         {"qwen2.feed_forward_length", 16},
        {"qwen2.attention.head_count", 2}, {"qwen2.attention.head_count_kv", 1},
        {"tokenizer.ggml.eos_token_id", 3}, {"tokenizer.ggml.bos_token_id", 1},
    };
    axvk_status s = gguf_writer_set_str(w, "general.architecture", "qwen2", &e);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0] && s == AXVK_OK; i++)
        s = gguf_writer_set_u32(w, ints[i].key, ints[i].value, &e);
    if (s == AXVK_OK)
        s = gguf_writer_set_f32(w, "qwen2.rope.freq_base", 10000.0f, &e);
    if (s == AXVK_OK)
        s = gguf_writer_set_f32(w, "qwen2.attention.layer_norm_rms_epsilon", 1e-6f, &e);
    if (s == AXVK_OK)
        s = gguf_writer_set_str(w, "qwen2.rope.scaling.type", "yarn", &e);
    if (s == AXVK_OK)
        s = gguf_writer_set_f32(w, "qwen2.rope.scaling.factor", 2.0f, &e);
    if (s == AXVK_OK)
        s = gguf_writer_set_u32(w, "qwen2.rope.scaling.original_context_length", 32, &e);
    static const char *tokens[] = {"<s>", "</s>", "a", "b"};
    if (s == AXVK_OK)
        s = gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", tokens, NULL, 4, &e);
    uint8_t embd[8 * 16 * 2];
    uint32_t seed = 9;
    fill_random(embd, sizeof embd, &seed);
    uint64_t ne[2] = {8, 16};
    if (s == AXVK_OK)
        s = gguf_writer_add_tensor(w, "token_embd.weight", WTYPE_F16, 2, ne, embd, &e);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (s == AXVK_OK)
        s = gguf_writer_write(w, f, &e);
    fclose(f);
    gguf_writer_destroy(w);
    int rc = s == AXVK_OK ? save(dir, "qwen2.gguf", buf, size) : 1;
    free(buf);
    return rc;
}

/* Qwen2.5-7B-Instruct's config.json with its long-context YaRN setting, then
 * A.X 4.0 Light's generation_config.json after a NUL. */
static const char hf_config[] =
    "{\"architectures\":[\"Qwen2ForCausalLM\"],\"bos_token_id\":151643,"
    "\"eos_token_id\":151645,\"hidden_act\":\"silu\",\"hidden_size\":3584,"
    "\"intermediate_size\":18944,\"max_position_embeddings\":32768,\"model_type\":\"qwen2\","
    "\"num_attention_heads\":28,\"num_hidden_layers\":28,\"num_key_value_heads\":4,"
    "\"rms_norm_eps\":1e-06,\"rope_theta\":1000000.0,\"rope_scaling\":{\"factor\":4.0,"
    "\"original_max_position_embeddings\":32768,\"type\":\"yarn\"},"
    "\"tie_word_embeddings\":false,\"use_sliding_window\":false,\"vocab_size\":152064}\0"
    "{\"bos_token_id\":0,\"eos_token_id\":[151645,151643],\"pad_token_id\":1}";

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds <dir>\n");
        return 2;
    }
    char gguf_dir[1024], st_dir[1024], hp_dir[1024];
    snprintf(gguf_dir, sizeof gguf_dir, "%s/gguf", argv[1]);
    snprintf(st_dir, sizeof st_dir, "%s/safetensors", argv[1]);
    snprintf(hp_dir, sizeof hp_dir, "%s/hparams", argv[1]);
    mkdir(argv[1], 0755);
    mkdir(gguf_dir, 0755);
    mkdir(st_dir, 0755);
    mkdir(hp_dir, 0755);
    int rc = save(hp_dir, "qwen2.5.json", hf_config, sizeof hf_config - 1);
    for (uint32_t i = 1; i <= 2; i++) {
        uint8_t *p;
        size_t n;
        char name[32];
        sample_gguf(&p, &n, i);
        snprintf(name, sizeof name, "sample%u.gguf", i);
        rc |= save(gguf_dir, name, p, n);
        free(p);
    }
    rc |= write_qwen2(gguf_dir);
    static const char *headers[] = {
        NULL,
        "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
        "\"z\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
        "\"t\":{\"dtype\":\"BF16\",\"shape\":[2,2,2,2],\"data_offsets\":[4,36]}}  ",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        uint8_t *p;
        size_t n;
        char name[32];
        sample_safetensors(&p, &n, headers[i]);
        snprintf(name, sizeof name, "sample%zu.safetensors", i);
        rc |= save(st_dir, name, p, n);
        free(p);
    }
    return rc;
}
