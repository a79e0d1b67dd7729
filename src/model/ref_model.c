/* ref_model: fills struct ref_model from GGUF tensors, checking every shape against the
 * hyper-parameters the GPU path reads. */
#include "model/ref_model.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/tensors.h"
#include "ref/quant.h"

static axvk_status matrix(struct ref_weight *w, const struct tensor_source *src, const char *name,
                          uint64_t rows, uint64_t cols, struct err *err)
{
    struct tensor_view v;
    axvk_status s = tensors_find(src, name, 1, &v, err);
    if (!s)
        s = tensors_check_shape(&v, cols, rows, err);
    if (!s)
        *w = (struct ref_weight){v.data, v.type};
    return s;
}

/* Vectors as f32: used in place when stored so, else decoded into an owned copy. */
static axvk_status vector(const float **out, struct ref_model_gguf *r, const struct tensor_source *src,
                          const char *name, uint64_t n, int required, struct err *err)
{
    struct tensor_view v;
    *out = NULL;
    axvk_status s = tensors_find(src, name, required, &v, err);
    if (s || !v.data)
        return s;
    if ((s = tensors_check_shape(&v, n, 0, err)))
        return s;
    if (v.type == WTYPE_F32) {
        *out = (const float *)v.data;
        return AXVK_OK;
    }
    float *copy = mem_calloc(n, sizeof *copy);
    if (!copy || mem_grow((void **)&r->owned, &r->cap_owned, r->n_owned + 1, sizeof *r->owned)) {
        mem_free(copy);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s as f32", name);
    }
    ref_dequantize(copy, v.data, v.type, (size_t)n);
    r->owned[r->n_owned++] = copy;
    *out = copy;
    return AXVK_OK;
}

static void rope_of(struct ref_rope *rope, const struct model_hparams *hp)
{
    memset(rope, 0, sizeof *rope);
    rope->style = hp->rope_style == ROPE_STYLE_NEOX ? REF_ROPE_NEOX : REF_ROPE_NORMAL;
    rope->n_dims = hp->head_dim;
    rope->theta_base = hp->rope_theta;
    rope->freq_scale = 1.0f;
    rope->attn_factor = 1.0f;
    rope->beta_fast = 32.0f;
    rope->beta_slow = 1.0f;
    rope->n_ctx_orig = hp->n_ctx_train;
    if (hp->rope_scaling.type == ROPE_SCALING_YARN) {
        rope->freq_scale = 1.0f / hp->rope_scaling.factor;
        rope->ext_factor = 1.0f;
        rope->beta_fast = hp->rope_scaling.beta_fast;
        rope->beta_slow = hp->rope_scaling.beta_slow;
        rope->n_ctx_orig = hp->rope_scaling.orig_ctx;
        rope->attn_factor = hp->rope_scaling.attn_factor / hparams_yarn_mscale(hp->rope_scaling.factor);
    }
}

axvk_status ref_model_from_gguf(struct ref_model_gguf *r, const struct gguf *g, struct err *err)
{
    struct model_hparams hp;
    struct tensor_source src = {.gguf = g};
    memset(r, 0, sizeof *r);
    axvk_status s = hparams_from_gguf(&hp, g, err);
    return s ? s : ref_model_from_source(r, &hp, &src, err);
}

axvk_status ref_model_from_source(struct ref_model_gguf *r, const struct model_hparams *hparams,
                                  const struct tensor_source *tensors, struct err *err)
{
    memset(r, 0, sizeof *r);
    r->hp = *hparams;
    const struct tensor_source src = *tensors;
    const struct model_hparams *hp = &r->hp;
    struct ref_model *m = &r->m;
    axvk_status s;
    *m = (struct ref_model){.n_vocab = hp->n_vocab, .dim = hp->dim, .n_layers = hp->n_layers,
                           .n_head = hp->n_head, .n_kv_head = hp->n_kv_head,
                           .head_dim = hp->head_dim, .ffn_dim = hp->ffn_dim, .rms_eps = hp->rms_eps};
    rope_of(&m->rope, hp);
    uint64_t q_dim = (uint64_t)hp->n_head * hp->head_dim, kv = (uint64_t)hp->n_kv_head * hp->head_dim;
    if (!(r->layers = mem_calloc(hp->n_layers, sizeof *r->layers)))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "reference layers");
    m->layers = r->layers;
    if ((s = matrix(&m->token_embd, &src, "token_embd.weight", hp->n_vocab, hp->dim, err)) ||
        (s = vector(&m->output_norm, r, &src, "output_norm.weight", hp->dim, 1, err)))
        return s;
    if (!hp->tied_output && (s = matrix(&m->output, &src, "output.weight", hp->n_vocab, hp->dim, err)))
        return s;
    char name[96];
    for (uint32_t l = 0; l < hp->n_layers && !s; l++) {
        struct ref_layer *L = &r->layers[l];
#define NAME(suffix) (snprintf(name, sizeof name, "blk.%u." suffix, l), name)
        if ((s = vector(&L->attn_norm, r, &src, NAME("attn_norm.weight"), hp->dim, 1, err)) ||
            (s = matrix(&L->wq, &src, NAME("attn_q.weight"), q_dim, hp->dim, err)) ||
            (s = matrix(&L->wk, &src, NAME("attn_k.weight"), kv, hp->dim, err)) ||
            (s = matrix(&L->wv, &src, NAME("attn_v.weight"), kv, hp->dim, err)) ||
            (s = vector(&L->bq, r, &src, NAME("attn_q.bias"), q_dim, hp->qkv_bias, err)) ||
            (s = vector(&L->bk, r, &src, NAME("attn_k.bias"), kv, hp->qkv_bias, err)) ||
            (s = vector(&L->bv, r, &src, NAME("attn_v.bias"), kv, hp->qkv_bias, err)) ||
            (s = matrix(&L->wo, &src, NAME("attn_output.weight"), hp->dim, q_dim, err)) ||
            (s = vector(&L->ffn_norm, r, &src, NAME("ffn_norm.weight"), hp->dim, 1, err)) ||
            (s = matrix(&L->w_gate, &src, NAME("ffn_gate.weight"), hp->ffn_dim, hp->dim, err)) ||
            (s = matrix(&L->w_up, &src, NAME("ffn_up.weight"), hp->ffn_dim, hp->dim, err)) ||
            (s = matrix(&L->w_down, &src, NAME("ffn_down.weight"), hp->dim, hp->ffn_dim, err)))
            break;
#undef NAME
    }
    return s;
}

void ref_model_free(struct ref_model_gguf *r)
{
    for (size_t i = 0; i < r->n_owned; i++)
        mem_free(r->owned[i]);
    mem_free(r->owned);
    mem_free(r->layers);
    memset(r, 0, sizeof *r);
}
