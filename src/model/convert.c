/* convert: Hugging Face directories and GGUF files to GGUF. Plans every output tensor (name,
 * shape, type, where its rows come from), writes the metadata, then lets the GGUF writer pull rows
 * through fill_rows a chunk at a time. Reads sources only through tensors.h / gguf.h. */
#include "model/convert.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/gguf_write.h"
#include "model/hparams.h"
#include "model/quant_mix.h"
#include "model/tensors.h"
#include "model/vocab_gguf.h"
#include "ref/quant.h"

struct conv_progress {
    const struct convert_opts *o;
    uint64_t done, total;
};

/* One output tensor and the source rows it is made from. */
struct conv_tensor {
    char name[64];
    struct tensor_view src;
    uint32_t type;     /* output enum wtype */
    uint32_t n_dims;
    uint64_t ne[4];
    /* non-zero: output row (or, for a 1-D bias, element) o of each head of head_dim comes from
     * the NEOX-ordered source as GGUF's interleaved RoPE pairs need it (see paired_index) */
    uint32_t head_dim;
    struct conv_progress *prog;
};

/* Everything a conversion holds open until the file is written. */
struct conv_src {
    struct model_hparams hp;
    struct gguf *g;
    struct st_set *st;
    struct tokenizer *tok;
    struct vocab_gguf_export vocab;
    char *chat_template;
    struct conv_tensor *t; /* [n] */
    size_t n, cap;
    struct conv_progress prog;
};

/* Hugging Face rotates element i with i + head_dim/2 (rotate_half); GGUF's llama graph rotates
 * 2p with 2p + 1. llama.cpp's converter reorders each head's q/k rows so that output 2p + j is
 * source j * head_dim/2 + p; dot products between q and k are unchanged by the reordering. */
static uint64_t paired_index(uint64_t o, uint32_t head_dim)
{
    uint64_t head = o / head_dim, i = o % head_dim;
    return head * head_dim + (i % 2) * (head_dim / 2) + i / 2;
}

static axvk_status fill_rows(void *user, uint8_t *dst, uint64_t first, uint64_t n_rows,
                             struct err *err)
{
    const struct conv_tensor *t = user;
    uint64_t k = t->ne[0];
    uint64_t src_bytes = wtype_row_bytes(t->src.type, k), dst_bytes = wtype_row_bytes(t->type, k);
    int permute_elems = t->head_dim && t->n_dims == 1;
    int permute_rows = t->head_dim && t->n_dims > 1;
    int copy = t->type == t->src.type && !permute_elems;
    float *f32 = NULL, *tmp = NULL;
    uint8_t *row = NULL;
    if (!copy) {
        /* rows go through f32; safetensors rows may be unaligned, so each is copied first */
        f32 = mem_calloc(k, sizeof *f32);
        tmp = permute_elems ? mem_calloc(k, sizeof *tmp) : NULL;
        row = mem_alloc(src_bytes);
        if (!f32 || !row || (permute_elems && !tmp)) {
            mem_free(f32);
            mem_free(tmp);
            mem_free(row);
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "row of %llu values",
                           (unsigned long long)k);
        }
    }
    for (uint64_t r = 0; r < n_rows; r++) {
        uint64_t sr = permute_rows ? paired_index(first + r, t->head_dim) : first + r;
        const uint8_t *p = t->src.data + sr * src_bytes;
        if (copy) {
            memcpy(dst + r * dst_bytes, p, src_bytes);
            continue;
        }
        memcpy(row, p, src_bytes);
        ref_dequantize(f32, row, t->src.type, (size_t)k);
        if (permute_elems) {
            for (uint64_t i = 0; i < k; i++)
                tmp[i] = f32[paired_index(i, t->head_dim)];
            memcpy(f32, tmp, k * sizeof *f32);
        }
        ref_quantize(dst + r * dst_bytes, f32, t->type, (size_t)k);
    }
    mem_free(f32);
    mem_free(tmp);
    mem_free(row);
    t->prog->done += n_rows * dst_bytes;
    if (t->prog->o->progress)
        t->prog->o->progress(t->prog->o->progress_user, t->prog->done, t->prog->total);
    return AXVK_OK;
}

/* Appends a planned tensor: the output type from the scheme's mix, the size to the total. */
static axvk_status plan_add(struct conv_src *c, const char *name, const struct tensor_view *v,
                            uint32_t n_dims, const uint64_t *ne, uint32_t head_dim, int scheme,
                            struct err *err)
{
    if (mem_grow((void **)&c->t, &c->cap, c->n + 1, sizeof *c->t))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor table");
    struct conv_tensor *t = &c->t[c->n];
    memset(t, 0, sizeof *t);
    if (snprintf(t->name, sizeof t->name, "%s", name) >= (int)sizeof t->name)
        return err_set(err, AXVK_ERR_BAD_MODEL, "tensor name %.80s is too long", name);
    t->src = *v;
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < 4; d++)
        t->ne[d] = d < n_dims ? ne[d] : 1;
    t->type = quant_mix_type(scheme, name, ne[0], n_dims, c->hp.n_layers);
    t->head_dim = head_dim;
    t->prog = &c->prog;
    uint64_t rows = t->ne[1] * t->ne[2] * t->ne[3], row_bytes = wtype_row_bytes(t->type, ne[0]);
    if (!row_bytes || !wtype_row_bytes(v->type, ne[0]))
        return err_set(err, AXVK_ERR_BAD_MODEL, "tensor %s: rows of %llu do not fit %s or %s blocks",
                       name, (unsigned long long)ne[0], wtype_get(v->type)->name,
                       wtype_get(t->type)->name);
    c->prog.total += rows * row_bytes;
    c->n++;
    return AXVK_OK;
}

/* A graph tensor from the directory, shape-checked; absent optional ones are skipped. */
static axvk_status plan_hf_tensor(struct conv_src *c, const struct tensor_source *src,
                                  const char *name, uint64_t ne0, uint64_t ne1, int required,
                                  uint32_t head_dim, int scheme, struct err *err)
{
    struct tensor_view v;
    axvk_status s = tensors_find(src, name, required, &v, err);
    if (s || !v.data)
        return s;
    if ((s = tensors_check_shape(&v, ne0, ne1, err)))
        return s;
    const uint64_t ne[2] = {ne0, ne1};
    return plan_add(c, name, &v, ne1 ? 2 : 1, ne, head_dim, scheme, err);
}

/* Every tensor of the Qwen2 / Llama graph, in the order the loader reads them. */
static axvk_status plan_hf(struct conv_src *c, int scheme, struct err *err)
{
    const struct model_hparams *hp = &c->hp;
    const struct tensor_source src = {.st = c->st};
    uint64_t q_dim = (uint64_t)hp->n_head * hp->head_dim, kv_dim = (uint64_t)hp->n_kv_head * hp->head_dim;
    uint32_t pair = hp->arch == MODEL_ARCH_LLAMA ? hp->head_dim : 0;
    char name[64];
    axvk_status s = plan_hf_tensor(c, &src, "token_embd.weight", hp->dim, hp->n_vocab, 1, 0,
                                   scheme, err);
    for (uint32_t l = 0; l < hp->n_layers && !s; l++) {
#define LAYER(suffix, ne0, ne1, req, heads)                                                       \
    if (!s) {                                                                                     \
        snprintf(name, sizeof name, "blk.%u." suffix, l);                                         \
        s = plan_hf_tensor(c, &src, name, ne0, ne1, req, heads, scheme, err);                     \
    }
        LAYER("attn_norm.weight", hp->dim, 0, 1, 0);
        LAYER("attn_q.weight", hp->dim, q_dim, 1, pair);
        LAYER("attn_q.bias", q_dim, 0, hp->qkv_bias, pair);
        LAYER("attn_k.weight", hp->dim, kv_dim, 1, pair);
        LAYER("attn_k.bias", kv_dim, 0, hp->qkv_bias, pair);
        LAYER("attn_v.weight", hp->dim, kv_dim, 1, 0);
        LAYER("attn_v.bias", kv_dim, 0, hp->qkv_bias, 0);
        LAYER("attn_output.weight", q_dim, hp->dim, 1, 0);
        LAYER("ffn_norm.weight", hp->dim, 0, 1, 0);
        LAYER("ffn_gate.weight", hp->dim, hp->ffn_dim, 1, 0);
        LAYER("ffn_up.weight", hp->dim, hp->ffn_dim, 1, 0);
        LAYER("ffn_down.weight", hp->ffn_dim, hp->dim, 1, 0);
#undef LAYER
    }
    if (!s)
        s = plan_hf_tensor(c, &src, "output_norm.weight", hp->dim, 0, 1, 0, scheme, err);
    if (!s && !hp->tied_output)
        s = plan_hf_tensor(c, &src, "output.weight", hp->dim, hp->n_vocab, 1, 0, scheme, err);
    return s;
}

/* A directory tensor the graph does not read would be lost without a word: refuse it, except
 * buffers transformers saves that carry no weights, and an lm_head equal to the tied embedding. */
static axvk_status check_all_used(const struct conv_src *c, struct err *err)
{
    for (uint64_t i = 0; i < st_n_tensors(c->st); i++) {
        const struct st_tensor *t = st_tensor_at(c->st, i);
        size_t len = strlen(t->name), j = 0;
        while (j < c->n && c->t[j].src.name != t->name)
            j++;
        if (j < c->n || (len >= 20 && !strcmp(t->name + len - 20, ".rotary_emb.inv_freq")) ||
            (c->hp.tied_output && !strcmp(t->name, "lm_head.weight")))
            continue;
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       "tensor %s has no place in the %s graph (a feature not supported)",
                       t->name, model_arch_name(c->hp.arch));
    }
    return AXVK_OK;
}

static axvk_status write_hparams(struct gguf_writer *w, const struct model_hparams *hp,
                                 const char *name, int scheme, struct err *err)
{
    const char *arch = model_arch_name(hp->arch);
    char k[96];
#define KEY(suffix) (snprintf(k, sizeof k, "%s." suffix, arch), k)
    axvk_status s;
    if ((s = gguf_writer_set_str(w, "general.architecture", arch, err)) ||
        (s = gguf_writer_set_str(w, "general.name", name, err)) ||
        (s = gguf_writer_set_u32(w, "general.file_type", quant_scheme_file_type(scheme), err)) ||
        (s = gguf_writer_set_u32(w, "general.quantization_version", 2, err)) ||
        (s = gguf_writer_set_u32(w, KEY("vocab_size"), hp->n_vocab, err)) ||
        (s = gguf_writer_set_u32(w, KEY("context_length"), hp->n_ctx_train, err)) ||
        (s = gguf_writer_set_u32(w, KEY("embedding_length"), hp->dim, err)) ||
        (s = gguf_writer_set_u32(w, KEY("block_count"), hp->n_layers, err)) ||
        (s = gguf_writer_set_u32(w, KEY("feed_forward_length"), hp->ffn_dim, err)) ||
        (s = gguf_writer_set_u32(w, KEY("attention.head_count"), hp->n_head, err)) ||
        (s = gguf_writer_set_u32(w, KEY("attention.head_count_kv"), hp->n_kv_head, err)) ||
        (s = gguf_writer_set_f32(w, KEY("rope.freq_base"), hp->rope_theta, err)) ||
        (s = gguf_writer_set_u32(w, KEY("rope.dimension_count"), hp->head_dim, err)) ||
        (s = gguf_writer_set_f32(w, KEY("attention.layer_norm_rms_epsilon"), hp->rms_eps, err)))
        return s;
    /* readers derive head_dim as dim / n_head unless told otherwise */
    if (hp->head_dim * hp->n_head != hp->dim &&
        ((s = gguf_writer_set_u32(w, KEY("attention.key_length"), hp->head_dim, err)) ||
         (s = gguf_writer_set_u32(w, KEY("attention.value_length"), hp->head_dim, err))))
        return s;
    if (hp->rope_scaling.type != ROPE_SCALING_YARN)
        return AXVK_OK;
    if ((s = gguf_writer_set_str(w, KEY("rope.scaling.type"), "yarn", err)) ||
        (s = gguf_writer_set_f32(w, KEY("rope.scaling.factor"), hp->rope_scaling.factor, err)) ||
        (s = gguf_writer_set_u32(w, KEY("rope.scaling.original_context_length"),
                                 hp->rope_scaling.orig_ctx, err)))
        return s;
    /* the optional YaRN values only where they differ from the defaults every reader assumes */
    if (hp->rope_scaling.attn_factor != hparams_yarn_mscale(hp->rope_scaling.factor) &&
        (s = gguf_writer_set_f32(w, KEY("rope.scaling.attn_factor"), hp->rope_scaling.attn_factor,
                                 err)))
        return s;
    if (hp->rope_scaling.beta_fast != 32.0f &&
        (s = gguf_writer_set_f32(w, KEY("rope.scaling.yarn_beta_fast"),
                                 hp->rope_scaling.beta_fast, err)))
        return s;
    if (hp->rope_scaling.beta_slow != 1.0f &&
        (s = gguf_writer_set_f32(w, KEY("rope.scaling.yarn_beta_slow"),
                                 hp->rope_scaling.beta_slow, err)))
        return s;
#undef KEY
    return AXVK_OK;
}

/* "dir/name/" -> "name" */
static void dir_name(char *out, size_t size, const char *dir)
{
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(out, size, "%.*s", (int)(end - start), dir + start);
}

static axvk_status open_hf(struct conv_src *c, struct gguf_writer *w, const char *dir,
                           const struct convert_opts *o, struct err *err)
{
    axvk_status s;
    char name[256];
    if ((s = hparams_from_hf_dir(&c->hp, dir, err)) || (s = tokenizer_load_dir(&c->tok, dir, err)))
        return s;
    if (tokenizer_n_vocab(c->tok) > c->hp.n_vocab)
        return err_set(err, AXVK_ERR_BAD_MODEL,
                       "the tokenizer has %u tokens, more than the model's %u embedding rows",
                       tokenizer_n_vocab(c->tok), c->hp.n_vocab);
    if ((s = vocab_gguf_dir_template(dir, &c->chat_template, err)) ||
        (s = vocab_gguf_export(&c->vocab, c->tok, c->hp.n_vocab, err)))
        return s;
    struct vocab_gguf *v = &c->vocab.v;
    /* the ids generation stops on come first (generation_config.json's eos_token_id) */
    if (c->hp.eos_id >= 0)
        v->eos_id = c->hp.eos_id;
    v->bos_id = c->hp.bos_id;
    v->chat_template = c->chat_template;
    if (o->pre)
        v->pre = o->pre;
    if (!v->pre[0])
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       "the tokenizer's split regex has no GGUF pre-tokenizer name: give one "
                       "(--pre)");
    dir_name(name, sizeof name, dir);
    if ((s = write_hparams(w, &c->hp, o->name ? o->name : name, o->scheme, err)) ||
        (s = vocab_gguf_write(w, v, err)) || (s = st_open_dir(&c->st, dir, err)) ||
        (s = plan_hf(c, o->scheme, err)))
        return s;
    return check_all_used(c, err);
}

/* Metadata copied key by key (split.* describes the source's sharding, not ours); tensors
 * re-encoded in file order. */
static axvk_status open_gguf(struct conv_src *c, struct gguf_writer *w, const char *path,
                             const struct convert_opts *o, struct err *err)
{
    axvk_status s = gguf_open(&c->g, path, err);
    if (s || (s = hparams_from_gguf(&c->hp, c->g, err)))
        return s;
    for (uint64_t i = 0; i < gguf_n_keys(c->g) && !s; i++) {
        const char *key = gguf_key_at(c->g, i);
        if (!strncmp(key, "split.", 6))
            continue;
        if (!strcmp(key, "general.file_type"))
            s = gguf_writer_set_u32(w, key, quant_scheme_file_type(o->scheme), err);
        else if (o->name && !strcmp(key, "general.name"))
            s = gguf_writer_set_str(w, key, o->name, err);
        else if (o->pre && !strcmp(key, "tokenizer.ggml.pre"))
            s = gguf_writer_set_str(w, key, o->pre, err);
        else
            s = gguf_writer_copy_key(w, c->g, key, err);
    }
    /* setting a key already copied replaces it in place */
    if (!s)
        s = gguf_writer_set_u32(w, "general.file_type", quant_scheme_file_type(o->scheme), err);
    if (!s)
        s = gguf_writer_set_u32(w, "general.quantization_version", 2, err);
    if (!s && o->name)
        s = gguf_writer_set_str(w, "general.name", o->name, err);
    if (!s && o->pre)
        s = gguf_writer_set_str(w, "tokenizer.ggml.pre", o->pre, err);
    for (uint64_t i = 0; i < gguf_n_tensors(c->g) && !s; i++) {
        const struct gguf_tensor *t = gguf_tensor_at(c->g, i);
        const struct tensor_view v = {t->name, t->type, t->n_dims,
                                      {t->ne[0], t->ne[1], t->ne[2], t->ne[3]}, t->size, t->data};
        s = plan_add(c, t->name, &v, t->n_dims, t->ne, 0, o->scheme, err);
    }
    return s;
}

static void conv_src_close(struct conv_src *c)
{
    gguf_close(c->g);
    st_close(c->st);
    tokenizer_destroy(c->tok);
    vocab_gguf_export_free(&c->vocab);
    mem_free(c->chat_template);
    mem_free(c->t);
}

/* Writing over a mapped source would truncate the mapping under the reader. */
static axvk_status check_paths(const char *src, const char *out_path, int *is_dir,
                               struct err *err)
{
    struct stat s_src, s_out;
    if (stat(src, &s_src) != 0)
        return err_set(err, AXVK_ERR_IO, "%s: no such file or directory", src);
    *is_dir = S_ISDIR(s_src.st_mode);
    if (stat(out_path, &s_out) == 0 && s_out.st_dev == s_src.st_dev && s_out.st_ino == s_src.st_ino)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "%s: the output would overwrite the source",
                       out_path);
    return AXVK_OK;
}

axvk_status convert_to_gguf(const char *src, const char *out_path, const struct convert_opts *o,
                            struct err *err)
{
    struct conv_src c = {.prog = {.o = o}};
    struct gguf_writer *w = NULL;
    int is_dir = 0;
    axvk_status s = check_paths(src, out_path, &is_dir, err);
    if (!s)
        s = gguf_writer_create(&w, err);
    if (!s)
        s = is_dir ? open_hf(&c, w, src, o, err) : open_gguf(&c, w, src, o, err);
    if (s) {
        err_wrap(err, "%s", src);
        goto done;
    }
    for (size_t i = 0; i < c.n && !s; i++)
        s = gguf_writer_add_tensor_fn(w, c.t[i].name, c.t[i].type, c.t[i].n_dims, c.t[i].ne,
                                      fill_rows, &c.t[i], err);
    if (!s)
        s = gguf_writer_write_file(w, out_path, err);
done:
    gguf_writer_destroy(w);
    conv_src_close(&c);
    return s;
}
