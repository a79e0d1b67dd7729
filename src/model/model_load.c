/* model_load: opening a model path (GGUF file or Hugging Face directory), reading its
 * hyper-parameters, tokenizer and chat template, checking the memory plan against the device,
 * then uploading. The order matters: nothing is uploaded before the plan is known to fit. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "kernels/attention.h"
#include "kernels/kv_cache.h"
#include "model/model.h"
#include "model/quant_mix.h"
#include "model/tensors.h"
#include "model/vocab_gguf.h"
#include "text/chat_template.h"
#include "vk/device.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The tokenizer from GGUF arrays (tokenizer.ggml.*), viewed in place. */
static axvk_status tokenizer_from_gguf(struct model *m, const struct gguf *g, struct err *err)
{
    struct gguf_arr tokens, types, merges;
    const char *model_name = NULL, *pre = NULL;
    axvk_status s = gguf_get_str(g, "tokenizer.ggml.model", &model_name, NULL, err);
    if (s)
        return s;
    if (strcmp(model_name, "gpt2") != 0)
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       "tokenizer.ggml.model is \"%s\": only byte-level BPE (\"gpt2\") is supported",
                       model_name);
    if ((s = gguf_get_arr(g, "tokenizer.ggml.tokens", &tokens, err)))
        return s;
    if (tokens.n == 0 || tokens.n > (1u << 24))
        return err_set(err, AXVK_ERR_BAD_MODEL, "tokenizer.ggml.tokens: %llu tokens",
                       (unsigned long long)tokens.n);
    int have_types = gguf_has_key(g, "tokenizer.ggml.token_type");
    if (have_types && (s = gguf_get_arr(g, "tokenizer.ggml.token_type", &types, err)))
        return s;
    if (have_types && types.n != tokens.n)
        return err_set(err, AXVK_ERR_BAD_MODEL, "tokenizer.ggml.token_type has %llu entries for %llu tokens",
                       (unsigned long long)types.n, (unsigned long long)tokens.n);
    int have_merges = gguf_has_key(g, "tokenizer.ggml.merges");
    if (have_merges && (s = gguf_get_arr(g, "tokenizer.ggml.merges", &merges, err)))
        return s;
    if (have_merges && merges.n > (1u << 24))
        return err_set(err, AXVK_ERR_BAD_MODEL, "tokenizer.ggml.merges: %llu merges",
                       (unsigned long long)merges.n);
    if (gguf_has_key(g, "tokenizer.ggml.pre") &&
        (s = gguf_get_str(g, "tokenizer.ggml.pre", &pre, NULL, err)))
        return s;

    uint32_t n_tok = (uint32_t)tokens.n, n_merge = have_merges ? (uint32_t)merges.n : 0;
    const char **tok_ptr = mem_calloc(n_tok, sizeof *tok_ptr);
    uint32_t *tok_len = mem_calloc(n_tok, sizeof *tok_len);
    int32_t *tok_type = mem_calloc(n_tok, sizeof *tok_type);
    const char **merge_ptr = mem_calloc(n_merge, sizeof *merge_ptr);
    uint32_t *merge_len = mem_calloc(n_merge, sizeof *merge_len);
    if (!tok_ptr || !tok_len || !tok_type || !merge_ptr || !merge_len) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tokenizer arrays of %u tokens", n_tok);
        goto done;
    }
    for (uint32_t i = 0; i < n_tok && !s; i++) {
        uint64_t len;
        int64_t type = TOKEN_TYPE_NORMAL;
        if (!gguf_arr_str(&tokens, i, &tok_ptr[i], &len) || len > UINT32_MAX ||
            (have_types && !gguf_arr_int(&types, i, &type)))
            s = err_set(err, AXVK_ERR_BAD_MODEL, "tokenizer.ggml.tokens: entry %u is unreadable", i);
        tok_len[i] = (uint32_t)len;
        tok_type[i] = (int32_t)type;
    }
    for (uint32_t i = 0; i < n_merge && !s; i++) {
        uint64_t len;
        if (!gguf_arr_str(&merges, i, &merge_ptr[i], &len) || len > UINT32_MAX)
            s = err_set(err, AXVK_ERR_BAD_MODEL, "tokenizer.ggml.merges: entry %u is unreadable", i);
        merge_len[i] = (uint32_t)len;
    }
    if (!s) {
        struct tokenizer_desc d = {
            .n_tokens = n_tok, .tokens = tok_ptr, .token_lens = tok_len, .token_types = tok_type,
            .n_merges = n_merge, .merges = merge_ptr, .merge_lens = merge_len,
            .pre = pre ? pre : "gpt-2", .eog_ids = m->hp.stop_ids, .n_eog_ids = m->hp.n_stop,
        };
        s = tokenizer_create(&m->tok, &d, err);
    }
done:
    mem_free(tok_ptr);
    mem_free(tok_len);
    mem_free(tok_type);
    mem_free(merge_ptr);
    mem_free(merge_len);
    return s;
}

/* The device rope parameters: hp's attn_factor is the whole cos/sin scale (transformers'
 * attention_factor), the kernel multiplies its own YaRN mscale in, so divide it out. */
static void rope_from_hparams(struct kern_rope *r, const struct model_hparams *hp)
{
    memset(r, 0, sizeof *r);
    r->style = hp->rope_style == ROPE_STYLE_NEOX ? KERN_ROPE_NEOX : KERN_ROPE_NORMAL;
    r->n_rot = hp->head_dim;
    r->theta_base = hp->rope_theta;
    r->freq_scale = 1.0f;
    r->attn_factor = 1.0f;
    if (hp->rope_scaling.type == ROPE_SCALING_YARN) {
        r->freq_scale = 1.0f / hp->rope_scaling.factor;
        r->ext_factor = 1.0f;
        r->beta_fast = hp->rope_scaling.beta_fast;
        r->beta_slow = hp->rope_scaling.beta_slow;
        r->n_ctx_orig = hp->rope_scaling.orig_ctx;
        r->attn_factor = hp->rope_scaling.attn_factor / hparams_yarn_mscale(hp->rope_scaling.factor);
    }
}

uint64_t model_kv_bytes(const struct model_hparams *hp, uint32_t kv_type, uint32_t n_ctx,
                        uint32_t n_seq)
{
    /* one spare row per sequence: idle columns of a batched step write there (session.c) */
    uint32_t rows = (n_ctx + 1) * n_seq;
    return 2 * (uint64_t)hp->n_layers * kern_kv_bytes(kv_type, rows, hp->n_kv_head, hp->head_dim);
}

uint64_t model_scratch_bytes(const struct model_hparams *hp, uint32_t n_batch, uint32_t n_seq,
                             uint32_t numerics)
{
    uint64_t rows = n_batch > n_seq ? n_batch : n_seq;
    uint64_t q_dim = (uint64_t)hp->n_head * hp->head_dim, kv_dim = (uint64_t)hp->n_kv_head * hp->head_dim;
    /* x, xb, q, k, v, attention out, gate, up (f32), logits and sampling for every sequence */
    uint64_t act = rows * (2 * hp->dim + 2 * q_dim + 2 * kv_dim + 2 * (uint64_t)hp->ffn_dim) * 4;
    if (numerics == MODEL_NUMERICS_LLAMA_CPU) { /* session.c: the widest product input, rounded */
        uint64_t widest = hp->dim > q_dim ? hp->dim : q_dim;
        act += rows * (widest > hp->ffn_dim ? widest : hp->ffn_dim) * 4;
    }
    return act + 4 * (uint64_t)n_seq * hp->n_vocab * 4 + (16u << 20);
}

static double gib(uint64_t b)
{
    return (double)b / (1024.0 * 1024.0 * 1024.0);
}

/* Fails before any upload when weights + KV + scratch exceed what the device offers, saying
 * what would fit instead. */
static axvk_status check_plan(const struct model *m, uint64_t weights, const struct model_opts *o,
                              struct err *err)
{
    const struct vkdev_info *info = &m->dev->info;
    uint64_t avail = info->plan_bytes;
    uint64_t kv = model_kv_bytes(&m->hp, o->kv_type, o->n_ctx, o->n_seq);
    uint64_t scratch = model_scratch_bytes(&m->hp, 512, o->n_seq, o->numerics);
    uint64_t need = weights + kv + scratch;
    if (need <= avail)
        return AXVK_OK;
    char hint[160] = "a smaller quantization (e.g. q4_k_m)";
    uint64_t per_ctx = model_kv_bytes(&m->hp, o->kv_type, 1, o->n_seq) / 2;
    if (weights + scratch < avail && per_ctx) {
        uint64_t fit_ctx = (avail - weights - scratch) / per_ctx;
        if (fit_ctx >= 256)
            snprintf(hint, sizeof hint, "-c %llu or less, or a smaller quantization",
                     (unsigned long long)(fit_ctx / 256 * 256));
    }
    return err_set(err, AXVK_ERR_OUT_OF_DEVICE_MEMORY,
                   "model needs %.2f GiB (weights %.2f, KV cache %.2f for -c %u x %u sequences, "
                   "scratch %.2f) but %s has %.2f GiB; would fit: %s",
                   gib(need), gib(weights), gib(kv), o->n_ctx, o->n_seq, gib(scratch), info->name,
                   gib(avail), hint);
}

/* A tokenizer-only directory (no config.json) is a valid model for text work: the vocabulary
 * size and end-of-generation ids come from the tokenizer. */
static axvk_status hparams_from_tokenizer(struct model *m, struct err *err)
{
    m->hp.n_vocab = tokenizer_n_vocab(m->tok);
    m->hp.bos_id = -1;
    m->hp.eos_id = tokenizer_eos(m->tok);
    return hparams_add_stop(&m->hp, m->hp.eos_id, err);
}

static int has_config(const char *dir)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/config.json", dir);
    return stat(path, &st) == 0;
}

static axvk_status read_metadata(struct model *m, const char *path, int dir, int vocab_only,
                                 const struct gguf *g, struct err *err)
{
    axvk_status s;
    if (dir) {
        int tokenizer_only = vocab_only && !has_config(path);
        if ((!tokenizer_only && (s = hparams_from_hf_dir(&m->hp, path, err))) ||
            (s = tokenizer_load_dir(&m->tok, path, err)) ||
            (tokenizer_only && (s = hparams_from_tokenizer(m, err))) ||
            (s = vocab_gguf_dir_template(path, &m->chat_template, err)))
            return s;
        const char *base = strrchr(path, '/');
        snprintf(m->name, sizeof m->name, "%s", base && base[1] ? base + 1 : path);
        return AXVK_OK;
    }
    if ((s = hparams_from_gguf(&m->hp, g, err)) || (s = tokenizer_from_gguf(m, g, err)))
        return s;
    const char *text = NULL;
    if (gguf_has_key(g, "general.name") && !gguf_get_str(g, "general.name", &text, NULL, NULL))
        snprintf(m->name, sizeof m->name, "%s", text);
    if (gguf_has_key(g, "tokenizer.chat_template")) {
        if ((s = gguf_get_str(g, "tokenizer.chat_template", &text, NULL, err)))
            return s;
        if (!(m->chat_template = mem_strdup(text)))
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "chat template");
    }
    return AXVK_OK;
}

static axvk_status upload(struct model *m, const struct tensor_source *src,
                          const struct model_opts *o, struct err *err)
{
    uint64_t weights = 0;
    axvk_status s = model_weight_plan(&m->hp, src, o->quant_scheme, &weights, &m->main_type, err);
    if (s || (s = check_plan(m, weights, o, err)))
        return s;
    if (!(m->layers = mem_calloc(m->hp.n_layers, sizeof *m->layers)))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%u layers", m->hp.n_layers);
    if ((s = model_upload_weights(m, src, o, err)))
        return s;
    rope_from_hparams(&m->rope, &m->hp);
    if ((s = kern_rope_check(&m->rope, m->hp.head_dim, err)))
        return s;
    uint64_t tab_bytes = kern_rope_table_bytes(&m->rope);
    uint32_t *tab = mem_alloc(tab_bytes);
    if (!tab)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "rope table");
    kern_rope_table(tab, &m->rope);
    s = vkmem_alloc(m->dev, tab_bytes, "rope table", &m->rope_tab, err);
    if (!s)
        s = vkmem_upload(m->dev, &m->rope_tab, 0, tab, tab_bytes, NULL, NULL, err);
    mem_free(tab);
    if (!s)
        s = vkmem_flush(m->dev, err);
    return s;
}

axvk_status model_load(struct model **out, struct vkdev *dev, const char *path,
                       const struct model_opts *opts, struct err *err)
{
    struct model_opts o = *opts;
    struct gguf *g = NULL;
    struct st_set *st = NULL;
    *out = NULL;
    int dir = is_dir(path);
    struct model *m = mem_calloc(1, sizeof *m);
    if (!m)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "model");
    m->dev = o.vocab_only ? NULL : dev;
    m->numerics = o.numerics;
    axvk_status s = dir ? AXVK_OK : gguf_open(&g, path, err);
    if (!s)
        s = read_metadata(m, path, dir, o.vocab_only, g, err);
    if (!s && o.chat_template) {
        mem_free(m->chat_template);
        if (!(m->chat_template = mem_strdup(o.chat_template)))
            s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "chat template");
    }
    if (!s && !o.vocab_only) {
        if (!dev)
            s = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "loading weights needs a device");
        if (!o.n_ctx)
            o.n_ctx = m->hp.n_ctx_train < 4096 ? m->hp.n_ctx_train : 4096;
        if (!o.n_seq)
            o.n_seq = 1;
        m->plan_ctx = o.n_ctx;
        m->plan_seq = o.n_seq;
        m->kv_type = o.kv_type;
        if (!s && dir)
            s = st_open_dir(&st, path, err);
        if (!s) {
            struct tensor_source src = {.gguf = g, .st = st};
            s = upload(m, &src, &o, err);
        }
    }
    if (!s && m->chat_template) {
        /* a broken template must not stop raw completion: it is reported when used */
        struct err terr = {0};
        if (chat_template_parse(&m->tmpl, m->chat_template, strlen(m->chat_template), &terr))
            snprintf(m->tmpl_error, sizeof m->tmpl_error, "chat template: %.480s", terr.msg);
    }
    gguf_close(g);
    st_close(st);
    if (s) {
        if (strncmp(err->msg, path, strlen(path)) != 0) /* readers often name the file already */
            err_wrap(err, "%s", path);
        model_destroy(m);
        return s;
    }
    *out = m;
    return AXVK_OK;
}

void model_destroy(struct model *m)
{
    if (!m)
        return;
    model_free_weights(m);
    if (m->dev)
        vkmem_free(m->dev, &m->rope_tab);
    mem_free(m->layers);
    tokenizer_destroy(m->tok);
    chat_template_destroy(m->tmpl);
    mem_free(m->chat_template);
    mem_free(m);
}
