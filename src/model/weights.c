/* weights: the model's tensors onto the device — shape checks against the hyper-parameters,
 * type conversion (quantize-on-load, bf16 vectors to f32), splitting into bindings, upload in
 * chunks with progress. Reads tensors through tensor_source; never parses files itself. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/model.h"
#include "model/quant_mix.h"
#include "model/tensors.h"
#include "ref/quant.h"

/* Host bytes converted per upload call: big enough to keep the staging ring busy. */
#define CONVERT_CHUNK_BYTES (8u << 20)

/* One tensor the model needs: where it goes and the shape it must have. */
struct weight_slot {
    char name[64];
    struct dev_mat *mat; /* exactly one of mat / vec */
    struct dev_vec *vec;
    uint64_t ne0, ne1;   /* ne1 rows for matrices */
    int required;
};

static void slot(struct weight_slot *s, size_t *n, const char *name, struct dev_mat *mat,
                 struct dev_vec *vec, uint64_t ne0, uint64_t ne1, int required)
{
    struct weight_slot *w = &s[(*n)++];
    snprintf(w->name, sizeof w->name, "%s", name);
    w->mat = mat;
    w->vec = vec;
    w->ne0 = ne0;
    w->ne1 = ne1;
    w->required = required;
}

/* Every tensor of the Qwen2 / Llama graph, in file order. Returns the count. */
static size_t weight_slots(struct model *m, struct weight_slot *s)
{
    const struct model_hparams *hp = &m->hp;
    uint64_t q_dim = (uint64_t)hp->n_head * hp->head_dim, kv_dim = (uint64_t)hp->n_kv_head * hp->head_dim;
    size_t n = 0;
    char name[64];
    slot(s, &n, "token_embd.weight", &m->token_embd, NULL, hp->dim, hp->n_vocab, 1);
    for (uint32_t l = 0; l < hp->n_layers; l++) {
        struct model_layer *L = &m->layers[l];
#define LAYER(suffix, mat, vec, ne0, ne1, req)                                                    \
    snprintf(name, sizeof name, "blk.%u." suffix, l);                                             \
    slot(s, &n, name, mat, vec, ne0, ne1, req)
        LAYER("attn_norm.weight", NULL, &L->attn_norm, hp->dim, 0, 1);
        LAYER("attn_q.weight", &L->wq, NULL, hp->dim, q_dim, 1);
        LAYER("attn_k.weight", &L->wk, NULL, hp->dim, kv_dim, 1);
        LAYER("attn_v.weight", &L->wv, NULL, hp->dim, kv_dim, 1);
        LAYER("attn_q.bias", NULL, &L->bq, q_dim, 0, hp->qkv_bias);
        LAYER("attn_k.bias", NULL, &L->bk, kv_dim, 0, hp->qkv_bias);
        LAYER("attn_v.bias", NULL, &L->bv, kv_dim, 0, hp->qkv_bias);
        LAYER("attn_output.weight", &L->wo, NULL, q_dim, hp->dim, 1);
        LAYER("ffn_norm.weight", NULL, &L->ffn_norm, hp->dim, 0, 1);
        LAYER("ffn_gate.weight", &L->w_gate, NULL, hp->dim, hp->ffn_dim, 1);
        LAYER("ffn_up.weight", &L->w_up, NULL, hp->dim, hp->ffn_dim, 1);
        LAYER("ffn_down.weight", &L->w_down, NULL, hp->ffn_dim, hp->dim, 1);
#undef LAYER
    }
    slot(s, &n, "output_norm.weight", NULL, &m->output_norm, hp->dim, 0, 1);
    if (!hp->tied_output)
        slot(s, &n, "output.weight", &m->output, NULL, hp->dim, hp->n_vocab, 1);
    return n;
}

static size_t max_slots(const struct model_hparams *hp)
{
    return 12 * (size_t)hp->n_layers + 3;
}

/* Type a matrix is stored in on the device. */
static uint32_t target_type(const struct tensor_view *v, const char *name, int scheme,
                            uint32_t n_layers)
{
    if (scheme < 0)
        return v->type;
    return quant_mix_type(scheme, name, v->ne[0], 2, n_layers);
}

axvk_status model_weight_plan(const struct model_hparams *hp, const struct tensor_source *src,
                              int quant_scheme, uint64_t *bytes, uint32_t *main_type,
                              struct err *err)
{
    struct model shell = {.hp = *hp};
    struct weight_slot *slots = mem_calloc(max_slots(hp), sizeof *slots);
    shell.layers = mem_calloc(hp->n_layers, sizeof *shell.layers);
    uint64_t by_type[WTYPE_COUNT] = {0};
    axvk_status s = AXVK_OK;
    *bytes = 0;
    if (!slots || !shell.layers) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "weight plan of %u layers", hp->n_layers);
        goto done;
    }
    size_t n = weight_slots(&shell, slots);
    for (size_t i = 0; i < n && !s; i++) {
        struct tensor_view v;
        if ((s = tensors_find(src, slots[i].name, slots[i].required, &v, err)) || !v.data)
            continue;
        if ((s = tensors_check_shape(&v, slots[i].ne0, slots[i].mat ? slots[i].ne1 : 0, err)))
            break;
        if (slots[i].vec) {
            *bytes += 4 * slots[i].ne0;
            continue;
        }
        uint32_t t = target_type(&v, slots[i].name, quant_scheme, hp->n_layers);
        uint64_t row = wtype_row_bytes(t, slots[i].ne0);
        if (!row) {
            s = err_set(err, AXVK_ERR_BAD_MODEL, "tensor %s: rows of %llu cannot be stored as %s",
                        slots[i].name, (unsigned long long)slots[i].ne0, wtype_get(t)->name);
            break;
        }
        *bytes += row * slots[i].ne1;
        by_type[t] += row * slots[i].ne1;
    }
    if (!s && main_type) {
        *main_type = WTYPE_F32;
        for (uint32_t t = 0; t < WTYPE_COUNT; t++)
            if (by_type[t] > by_type[*main_type])
                *main_type = t;
    }
done:
    mem_free(slots);
    mem_free(shell.layers);
    return s;
}

/* Converts rows [r0, r0 + n) of v from its type to `type` into dst. The source row is copied to
 * an aligned buffer first: safetensors data need not be aligned. */
static void convert_rows(uint8_t *dst, const struct tensor_view *v, uint32_t type, uint64_t r0,
                         uint64_t n, float *f32, uint8_t *src_row)
{
    uint64_t k = v->ne[0];
    uint64_t src_bytes = wtype_row_bytes(v->type, k), dst_bytes = wtype_row_bytes(type, k);
    for (uint64_t r = 0; r < n; r++) {
        memcpy(src_row, v->data + (r0 + r) * src_bytes, src_bytes);
        ref_dequantize(f32, src_row, v->type, (size_t)k);
        ref_quantize(dst + r * dst_bytes, f32, type, (size_t)k);
    }
}

struct upload_progress {
    const struct model_opts *opts;
    uint64_t done, total;
};

static void report(struct upload_progress *p, uint64_t bytes)
{
    p->done += bytes;
    if (p->opts->progress)
        p->opts->progress(p->opts->progress_user, p->done, p->total);
}

/* Uploads rows of v as `type` into the split; same type goes straight from the mapping. */
static axvk_status upload_matrix(struct vkdev *dev, struct dev_mat *mat, const struct tensor_view *v,
                                 const char *name, uint32_t type, struct upload_progress *prog,
                                 struct err *err)
{
    uint64_t k = v->ne[0], rows = v->size / wtype_row_bytes(v->type, k);
    uint64_t row_bytes = wtype_row_bytes(type, k);
    axvk_status s = vkmem_alloc_split(dev, row_bytes * rows, row_bytes, name, &mat->w, err);
    if (s)
        return s;
    mat->type = type;
    mat->rows = (uint32_t)rows;
    mat->k = (uint32_t)k;
    uint8_t *chunk = NULL, *src_row = NULL;
    float *f32 = NULL;
    if (type != v->type) {
        chunk = mem_alloc(CONVERT_CHUNK_BYTES > row_bytes ? CONVERT_CHUNK_BYTES : row_bytes);
        src_row = mem_alloc(wtype_row_bytes(v->type, k));
        f32 = mem_calloc(k, sizeof *f32);
        if (!chunk || !src_row || !f32) {
            s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: conversion buffers", name);
            goto done;
        }
    }
    uint64_t rows_per_chunk = CONVERT_CHUNK_BYTES / row_bytes ? CONVERT_CHUNK_BYTES / row_bytes : 1;
    for (uint32_t p = 0; p < mat->w.n && !s; p++) {
        uint64_t first = p * mat->w.rows_per_part;
        uint64_t part_rows = mat->w.parts[p].size / row_bytes;
        for (uint64_t r = 0; r < part_rows && !s; r += rows_per_chunk) {
            uint64_t n = part_rows - r < rows_per_chunk ? part_rows - r : rows_per_chunk;
            const void *data = v->data + (first + r) * row_bytes;
            if (chunk) {
                convert_rows(chunk, v, type, first + r, n, f32, src_row);
                data = chunk;
            }
            s = vkmem_upload(dev, &mat->w.parts[p], r * row_bytes, data, n * row_bytes, NULL, NULL,
                             err);
            if (!s)
                report(prog, n * row_bytes);
        }
    }
done:
    mem_free(chunk);
    mem_free(src_row);
    mem_free(f32);
    return s;
}

/* Vectors are small: dequantized to f32 on the host whatever their stored type. */
static axvk_status upload_vector(struct vkdev *dev, struct dev_vec *vec, const struct tensor_view *v,
                                 const char *name, struct upload_progress *prog, struct err *err)
{
    uint64_t n = v->ne[0];
    uint64_t src_bytes = wtype_row_bytes(v->type, n);
    float *f32 = mem_calloc(n, sizeof *f32);
    uint8_t *src = mem_alloc(src_bytes);
    axvk_status s = AXVK_OK;
    if (!f32 || !src) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: %llu floats", name, (unsigned long long)n);
        goto done;
    }
    memcpy(src, v->data, src_bytes);
    ref_dequantize(f32, src, v->type, (size_t)n);
    if ((s = vkmem_alloc(dev, 4 * n, name, &vec->buf, err)))
        goto done;
    vec->n = (uint32_t)n;
    if (!(s = vkmem_upload(dev, &vec->buf, 0, f32, 4 * n, NULL, NULL, err)))
        report(prog, 4 * n);
done:
    mem_free(f32);
    mem_free(src);
    return s;
}

axvk_status model_upload_weights(struct model *m, const struct tensor_source *src,
                                 const struct model_opts *opts, struct err *err)
{
    struct upload_progress prog = {.opts = opts};
    axvk_status s = model_weight_plan(&m->hp, src, opts->quant_scheme, &prog.total, &m->main_type,
                                      err);
    if (s)
        return s;
    struct weight_slot *slots = mem_calloc(max_slots(&m->hp), sizeof *slots);
    if (!slots)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "weight table");
    size_t n = weight_slots(m, slots);
    for (size_t i = 0; i < n && !s; i++) {
        struct tensor_view v;
        if ((s = tensors_find(src, slots[i].name, slots[i].required, &v, err)) || !v.data)
            continue;
        if (slots[i].vec) {
            s = upload_vector(m->dev, slots[i].vec, &v, slots[i].name, &prog, err);
        } else {
            uint32_t t = target_type(&v, slots[i].name, opts->quant_scheme, m->hp.n_layers);
            s = upload_matrix(m->dev, slots[i].mat, &v, slots[i].name, t, &prog, err);
            m->n_params += v.ne[0] * slots[i].ne1;
        }
    }
    mem_free(slots);
    if (!s)
        s = vkmem_flush(m->dev, err);
    m->weight_bytes = prog.total;
    if (m->hp.tied_output) {
        m->output = m->token_embd; /* handles only: freed once, through token_embd */
        m->output_tied = 1;
    }
    return s;
}

static void free_mat(struct vkdev *dev, struct dev_mat *mat)
{
    vkmem_free_split(dev, &mat->w);
}

static void free_vec(struct vkdev *dev, struct dev_vec *vec)
{
    vkmem_free(dev, &vec->buf);
}

void model_free_weights(struct model *m)
{
    if (!m->dev)
        return;
    free_mat(m->dev, &m->token_embd);
    if (!m->output_tied)
        free_mat(m->dev, &m->output);
    free_vec(m->dev, &m->output_norm);
    for (uint32_t l = 0; m->layers && l < m->hp.n_layers; l++) {
        struct model_layer *L = &m->layers[l];
        struct dev_mat *mats[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        struct dev_vec *vecs[] = {&L->attn_norm, &L->bq, &L->bk, &L->bv, &L->ffn_norm};
        for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++)
            free_mat(m->dev, mats[i]);
        for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
            free_vec(m->dev, vecs[i]);
    }
}
