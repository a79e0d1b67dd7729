/* hf_fixture: writes tiny Hugging Face model directories (config, BF16 safetensors, tokenizer
 * files) for the conversion and loading tests. Plain stdio; every value is a function of the
 * seed and the tensor's name, so two fixtures with the same seed hold the same weights. */
#include "hf_fixture.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/half.h"

#define DEFAULT_TOKENIZER AXVK_SHARED_DIR "/models/ax-4.0-light"
#define MAX_TENSORS 64

/* One tensor to write: HF name, shape, and how its random values are spread. */
struct fx_tensor {
    char name[96];
    uint64_t rows, cols; /* rows 0: a vector of cols */
    float scale, offset; /* offset + scale * uniform(-1, 1) */
    uint32_t shard;
    uint64_t begin, end; /* data offsets within the shard */
};

struct fx_plan {
    struct fx_tensor t[MAX_TENSORS];
    size_t n;
};

static void add(struct fx_plan *p, const char *name, uint64_t rows, uint64_t cols, float scale,
                float offset)
{
    struct fx_tensor *t = &p->t[p->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->scale = scale;
    t->offset = offset;
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static uint64_t count(const struct fx_tensor *t)
{
    return (t->rows ? t->rows : 1) * t->cols;
}

/* The transformers module names of a Qwen2 / Llama decoder, in its state-dict order. Matrices
 * scaled by 1/sqrt(cols) keep activations near unit size; a larger lm_head gives peaked
 * distributions, so greedy ids have clear margins. */
static void plan(struct fx_plan *p, const struct hf_fixture *f, int bias)
{
    uint32_t hd = f->dim / f->n_head, q = hd * f->n_head, kv = hd * f->n_kv_head;
    float s_dim = 1.0f / sqrtf((float)f->dim), s_q = 1.0f / sqrtf((float)q);
    float s_ffn = 1.0f / sqrtf((float)f->ffn_dim);
    char n[96];
    add(p, "model.embed_tokens.weight", f->n_vocab, f->dim, 1.0f, 0.0f);
    for (uint32_t l = 0; l < f->n_layers; l++) {
#define T(suffix, rows, cols, sc, off)                                                            \
    snprintf(n, sizeof n, "model.layers.%u." suffix, l);                                          \
    add(p, n, rows, cols, sc, off)
        T("input_layernorm.weight", 0, f->dim, 0.1f, 1.0f);
        T("self_attn.q_proj.weight", q, f->dim, s_dim, 0.0f);
        T("self_attn.k_proj.weight", kv, f->dim, s_dim, 0.0f);
        T("self_attn.v_proj.weight", kv, f->dim, s_dim, 0.0f);
        if (bias) {
            T("self_attn.q_proj.bias", 0, q, 0.1f, 0.0f);
            T("self_attn.k_proj.bias", 0, kv, 0.1f, 0.0f);
            T("self_attn.v_proj.bias", 0, kv, 0.1f, 0.0f);
        }
        T("self_attn.o_proj.weight", f->dim, q, s_q, 0.0f);
        T("post_attention_layernorm.weight", 0, f->dim, 0.1f, 1.0f);
        T("mlp.gate_proj.weight", f->ffn_dim, f->dim, s_dim, 0.0f);
        T("mlp.up_proj.weight", f->ffn_dim, f->dim, s_dim, 0.0f);
        T("mlp.down_proj.weight", f->dim, f->ffn_dim, s_ffn, 0.0f);
#undef T
    }
    add(p, "model.norm.weight", 0, f->dim, 0.1f, 1.0f);
    if (!f->tied)
        add(p, "lm_head.weight", f->n_vocab, f->dim, 4.0f * s_dim, 0.0f);
    if (f->extra_tensor)
        add(p, f->extra_tensor, 0, 4, 1.0f, 0.0f);
    /* two shards: the embedding and the first layer in one, the rest in the other */
    for (size_t i = 0; i < p->n; i++)
        p->t[i].shard = f->n_shards > 1 && i > (bias ? 12u : 9u) ? 1 : 0;
}

static int write_values(FILE *out, const struct fx_tensor *t, uint64_t seed)
{
    uint64_t n = count(t), s = seed ^ fnv(t->name);
    uint16_t buf[1024];
    for (uint64_t i = 0; i < n;) {
        size_t m = 0;
        for (; m < 1024 && i < n; m++, i++) {
            /* splitmix64 step: a full-period stream, cheap and the same everywhere */
            uint64_t z = (s += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            z ^= z >> 31;
            float u = (float)(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
            buf[m] = f32_to_bf16(t->offset + t->scale * u);
        }
        if (fwrite(buf, 2, m, out) != m)
            return -1;
    }
    return 0;
}

/* One safetensors file: u64 header length, JSON header padded with spaces to 8 bytes, data. */
static int write_shard(const char *path, struct fx_plan *p, uint32_t shard, uint64_t seed)
{
    char *hdr = malloc(64 * 1024);
    size_t len = 0;
    uint64_t off = 0;
    if (!hdr)
        return -1;
    len += (size_t)snprintf(hdr + len, 64 * 1024 - len, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; i < p->n; i++) {
        struct fx_tensor *t = &p->t[i];
        if (t->shard != shard)
            continue;
        t->begin = off;
        t->end = off += 2 * count(t);
        if (t->rows)
            len += (size_t)snprintf(hdr + len, 64 * 1024 - len,
                                    ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%llu,%llu],"
                                    "\"data_offsets\":[%llu,%llu]}",
                                    t->name, (unsigned long long)t->rows,
                                    (unsigned long long)t->cols, (unsigned long long)t->begin,
                                    (unsigned long long)t->end);
        else
            len += (size_t)snprintf(hdr + len, 64 * 1024 - len,
                                    ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%llu],"
                                    "\"data_offsets\":[%llu,%llu]}",
                                    t->name, (unsigned long long)t->cols,
                                    (unsigned long long)t->begin, (unsigned long long)t->end);
    }
    hdr[len++] = '}';
    while (len % 8)
        hdr[len++] = ' ';
    FILE *out = fopen(path, "wb");
    uint8_t n8[8];
    for (int b = 0; b < 8; b++)
        n8[b] = (uint8_t)((uint64_t)len >> (8 * b));
    int rc = out && fwrite(n8, 1, 8, out) == 8 && fwrite(hdr, 1, len, out) == len ? 0 : -1;
    for (size_t i = 0; i < p->n && rc == 0; i++)
        if (p->t[i].shard == shard)
            rc = write_values(out, &p->t[i], seed);
    if (out && fclose(out) != 0)
        rc = -1;
    free(hdr);
    return rc;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    int rc = f && fputs(text, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    return rc;
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char from[1024], to[1024], buf[1 << 16];
    snprintf(from, sizeof from, "%s/%s", from_dir, name);
    snprintf(to, sizeof to, "%s/%s", to_dir, name);
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = in && out ? 0 : -1;
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

static int write_config(const char *dir, const struct hf_fixture *f, int llama)
{
    char rope[256] = "null", text[2048];
    if (f->yarn_factor > 1.0f)
        snprintf(rope, sizeof rope,
                 "{\"type\": \"yarn\", \"factor\": %g, \"original_max_position_embeddings\": %u}",
                 (double)f->yarn_factor, (uint32_t)(f->n_ctx / f->yarn_factor));
    snprintf(text, sizeof text,
             "{\n  \"architectures\": [\"%s\"],\n  \"model_type\": \"%s\",\n"
             "  \"bos_token_id\": 0,\n  \"eos_token_id\": 0,\n  \"hidden_act\": \"silu\",\n"
             "  \"hidden_size\": %u,\n  \"intermediate_size\": %u,\n"
             "  \"max_position_embeddings\": %u,\n  \"num_attention_heads\": %u,\n"
             "  \"num_hidden_layers\": %u,\n  \"num_key_value_heads\": %u,\n"
             "  \"rms_norm_eps\": 1e-05,\n  \"rope_scaling\": %s,\n  \"rope_theta\": 1000000.0,\n"
             "%s  \"tie_word_embeddings\": %s,\n  \"torch_dtype\": \"bfloat16\",\n"
             "  \"use_sliding_window\": false,\n  \"vocab_size\": %u\n}\n",
             llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM", llama ? "llama" : "qwen2", f->dim,
             f->ffn_dim, f->n_ctx, f->n_head, f->n_layers, f->n_kv_head, rope,
             llama ? "  \"attention_bias\": false,\n" : "", f->tied ? "true" : "false", f->n_vocab);
    return write_text(dir, "config.json", text) ||
           write_text(dir, "generation_config.json",
                      "{\n  \"bos_token_id\": 0,\n  \"eos_token_id\": 27,\n  \"pad_token_id\": 1\n}\n");
}

static int write_index(const char *dir, const struct fx_plan *p)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    uint64_t total = 0;
    for (size_t i = 0; i < p->n; i++)
        total += 2 * count(&p->t[i]);
    fprintf(f, "{\n  \"metadata\": {\"total_size\": %llu},\n  \"weight_map\": {",
            (unsigned long long)total);
    for (size_t i = 0; i < p->n; i++)
        fprintf(f, "%s\n    \"%s\": \"model-0000%u-of-00002.safetensors\"", i ? "," : "",
                p->t[i].name, p->t[i].shard + 1);
    fprintf(f, "\n  }\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

int hf_fixture_write(const char *dir, const struct hf_fixture *given)
{
    struct hf_fixture f = *given;
    f.n_vocab = f.n_vocab ? f.n_vocab : 102400;
    f.dim = f.dim ? f.dim : 64;
    f.n_layers = f.n_layers ? f.n_layers : 2;
    f.n_head = f.n_head ? f.n_head : 2;
    f.n_kv_head = f.n_kv_head ? f.n_kv_head : 1;
    f.ffn_dim = f.ffn_dim ? f.ffn_dim : 256;
    f.n_ctx = f.n_ctx ? f.n_ctx : 512;
    f.n_shards = f.n_shards ? f.n_shards : 1;
    const char *tok = f.tokenizer_dir ? f.tokenizer_dir : DEFAULT_TOKENIZER;
    int llama = f.arch && !strcmp(f.arch, "llama");
    static struct fx_plan p;
    memset(&p, 0, sizeof p);
    if (f.n_layers > 4 || f.n_shards > 2 || (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "hf_fixture: cannot create %s (at most 4 layers, 2 shards)\n", dir);
        return -1;
    }
    plan(&p, &f, !llama);
    char path[1024];
    int rc = write_config(dir, &f, llama);
    static const char *const tok_files[] = {"vocab.json", "merges.txt", "tokenizer_config.json",
                                            "special_tokens_map.json"};
    for (size_t i = 0; i < 4 && rc == 0; i++)
        rc = copy_file(tok, dir, tok_files[i]);
    /* a directory is either sharded or not: clear what an earlier fixture of the name left */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    remove(path);
    for (uint32_t s = 0; s < f.n_shards && rc == 0; s++) {
        if (f.n_shards == 1)
            snprintf(path, sizeof path, "%s/model.safetensors", dir);
        else
            snprintf(path, sizeof path, "%s/model-0000%u-of-00002.safetensors", dir, s + 1);
        rc = write_shard(path, &p, s, f.seed);
    }
    if (rc == 0 && f.n_shards > 1)
        rc = write_index(dir, &p);
    if (rc)
        fprintf(stderr, "hf_fixture: writing %s failed: %s\n", dir, strerror(errno));
    return rc;
}
