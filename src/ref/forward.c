/* ref/forward: the Qwen2 / Llama decoder, top to bottom, out of ref/ops.
 * Owns the KV cache of ref_state and the per-call activations; borrows every weight.
 * No file formats here and no shortcuts: each step is the op its GPU kernel is compared with. */
#include "ref/forward.h"

#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "ref/act_round.h"

axvk_status ref_state_create(struct ref_state **out, const struct ref_model *m, size_t n_ctx,
                             uint32_t cache_type, struct err *err)
{
    struct ref_state *s = NULL;
    *out = NULL;
    if (cache_type != WTYPE_F32 && cache_type != WTYPE_F16 && cache_type != WTYPE_Q8_0)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "KV cache type %u: want f32, f16 or q8_0",
                       cache_type);
    const size_t row_bytes = wtype_row_bytes(cache_type, (uint64_t)m->n_kv_head * m->head_dim);
    if (row_bytes == 0 || wtype_row_bytes(cache_type, m->head_dim) == 0 ||
        m->head_dim > REF_MAX_HEAD_DIM)
        return err_set(err, AXVK_ERR_BAD_MODEL, "head_dim %u: want at most %d, whole %s blocks",
                       m->head_dim, REF_MAX_HEAD_DIM, wtype_get(cache_type)->name);
    const size_t rows = (size_t)m->n_layers * n_ctx;
    if (n_ctx == 0 || (m->n_layers && rows / m->n_layers != n_ctx) || rows > SIZE_MAX / row_bytes)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "KV cache of %zu positions x %u layers",
                       n_ctx, m->n_layers);
    s = mem_calloc(1, sizeof(*s));
    if (!s)
        goto fail;
    s->cache_type = cache_type;
    s->n_ctx = n_ctx;
    s->row_bytes = row_bytes;
    s->k_cache = mem_calloc(rows, row_bytes);
    s->v_cache = mem_calloc(rows, row_bytes);
    if (!s->k_cache || !s->v_cache)
        goto fail;
    *out = s;
    return AXVK_OK;
fail:
    ref_state_destroy(s);
    return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "KV cache: %zu x %zu bytes, twice", rows,
                   row_bytes);
}

void ref_state_destroy(struct ref_state *s)
{
    if (!s)
        return;
    mem_free(s->k_cache);
    mem_free(s->v_cache);
    mem_free(s);
}

/* Activations of one call, all [n_tok, ...] except the attention scores. */
struct acts {
    float *x;      /* [n_tok, dim] residual stream */
    float *xb;     /* [n_tok, dim] normed input of a block */
    float *q;      /* [n_tok, n_head * head_dim] */
    float *k;      /* [n_tok, n_kv_head * head_dim] */
    float *v;      /* [n_tok, n_kv_head * head_dim] */
    float *att;    /* [n_tok, n_head * head_dim] attention output */
    float *gate;   /* [n_tok, ffn_dim], then silu(gate) * up */
    float *up;     /* [n_tok, ffn_dim] */
    float *scores; /* [pos + n_tok] softmax scratch */
    int32_t *pos;  /* [n_tok] */
    float *rounded; /* [n_tok, max(dim, q_dim, ffn_dim)] a product's rounded input; NULL in fp32 */
};

static float *carve(float **cursor, size_t n)
{
    float *p = *cursor;
    *cursor += n;
    return p;
}

/* One block of floats for every activation; NULL on overflow or no memory. */
static float *acts_alloc(struct acts *a, const struct ref_model *m, size_t n_tok, size_t n_seen)
{
    const size_t q_dim = (size_t)m->n_head * m->head_dim, kv_dim = (size_t)m->n_kv_head * m->head_dim;
    size_t widest = m->dim > q_dim ? m->dim : q_dim;
    widest = m->llama_cpu_rounding ? (widest > m->ffn_dim ? widest : m->ffn_dim) : 0;
    const size_t per_tok =
        2 * (size_t)m->dim + 2 * q_dim + 2 * kv_dim + 2 * (size_t)m->ffn_dim + 1 + widest;
    if (n_tok > (SIZE_MAX - n_seen) / per_tok)
        return NULL;
    float *block = mem_calloc(n_tok * per_tok + n_seen, sizeof(float));
    if (!block)
        return NULL;
    float *c = block;
    a->x = carve(&c, n_tok * m->dim);
    a->xb = carve(&c, n_tok * m->dim);
    a->q = carve(&c, n_tok * q_dim);
    a->k = carve(&c, n_tok * kv_dim);
    a->v = carve(&c, n_tok * kv_dim);
    a->att = carve(&c, n_tok * q_dim);
    a->gate = carve(&c, n_tok * m->ffn_dim);
    a->up = carve(&c, n_tok * m->ffn_dim);
    a->scores = carve(&c, n_seen);
    a->pos = (int32_t *)carve(&c, n_tok); /* int32 and float share size */
    a->rounded = widest ? carve(&c, n_tok * widest) : NULL;
    return block;
}

/* y [n_tok, rows] = x [n_tok, k] . w^T (+ bias) (+ residual), x first rounded (in a copy) as
 * llama.cpp rounds the input of a product with w's type when the model asks for it. */
static void product(struct acts *a, const struct ref_model *m, float *y,
                    const struct ref_weight *w, const float *x, size_t rows, size_t k,
                    size_t n_tok, const float *bias, const float *residual)
{
    if (m->llama_cpu_rounding && ref_act_round_for(w->type) != REF_ACT_ROUND_NONE) {
        memcpy(a->rounded, x, n_tok * k * sizeof(float));
        for (size_t t = 0; t < n_tok; t++)
            ref_round_activations(a->rounded + t * k, k, w->type);
        x = a->rounded;
    }
    ref_matmul(y, w->data, w->type, x, rows, k, n_tok, bias, residual);
}

/* x [n_tok, dim] += attention block of layer l for tokens at pos .. pos+n_tok-1. */
static void attention_block(struct acts *a, struct ref_state *s, const struct ref_model *m,
                            uint32_t l, size_t n_tok, size_t pos)
{
    const struct ref_layer *L = &m->layers[l];
    const size_t q_dim = (size_t)m->n_head * m->head_dim, kv_dim = (size_t)m->n_kv_head * m->head_dim;
    uint8_t *k_cache = s->k_cache + (size_t)l * s->n_ctx * s->row_bytes;
    uint8_t *v_cache = s->v_cache + (size_t)l * s->n_ctx * s->row_bytes;

    ref_rmsnorm(a->xb, a->x, L->attn_norm, n_tok, m->dim, m->rms_eps);
    product(a, m, a->q, &L->wq, a->xb, q_dim, m->dim, n_tok, L->bq, NULL);
    product(a, m, a->k, &L->wk, a->xb, kv_dim, m->dim, n_tok, L->bk, NULL);
    product(a, m, a->v, &L->wv, a->xb, kv_dim, m->dim, n_tok, L->bv, NULL);
    ref_rope(a->q, a->pos, n_tok, m->n_head, m->head_dim, &m->rope);
    /* K is rotated on its way into the cache; V goes in as is */
    ref_kv_write(k_cache, s->cache_type, a->k, pos, n_tok, m->n_kv_head, m->head_dim, &m->rope);
    ref_kv_write(v_cache, s->cache_type, a->v, pos, n_tok, m->n_kv_head, m->head_dim, NULL);
    ref_attention(a->att, a->q, k_cache, v_cache, s->cache_type, n_tok, pos, m->n_head,
                  m->n_kv_head, m->head_dim, a->scores);
    product(a, m, a->x, &L->wo, a->att, m->dim, q_dim, n_tok, NULL, a->x);
}

/* x [n_tok, dim] += SwiGLU feed-forward block of layer l. */
static void ffn_block(struct acts *a, const struct ref_model *m, uint32_t l, size_t n_tok)
{
    const struct ref_layer *L = &m->layers[l];
    ref_rmsnorm(a->xb, a->x, L->ffn_norm, n_tok, m->dim, m->rms_eps);
    product(a, m, a->gate, &L->w_gate, a->xb, m->ffn_dim, m->dim, n_tok, NULL, NULL);
    product(a, m, a->up, &L->w_up, a->xb, m->ffn_dim, m->dim, n_tok, NULL, NULL);
    ref_swiglu(a->gate, a->gate, a->up, n_tok * m->ffn_dim);
    product(a, m, a->x, &L->w_down, a->gate, m->dim, m->ffn_dim, n_tok, NULL, a->x);
}

axvk_status ref_forward(float *logits, struct ref_state *s, const struct ref_model *m,
                        const int32_t *tokens, size_t n_tok, size_t pos, bool all_logits,
                        struct err *err)
{
    struct acts a;
    if (n_tok == 0)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "forward of 0 tokens");
    if (pos > s->n_ctx || n_tok > s->n_ctx - pos)
        return err_set(err, AXVK_ERR_CONTEXT_FULL, "positions %zu..%zu past the context of %zu",
                       pos, pos + n_tok - 1, s->n_ctx);
    for (size_t t = 0; t < n_tok; t++)
        if (tokens[t] < 0 || (uint32_t)tokens[t] >= m->n_vocab)
            return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "token %d at %zu: vocabulary is %u",
                           tokens[t], t, m->n_vocab);
    float *block = acts_alloc(&a, m, n_tok, pos + n_tok);
    if (!block)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "activations of %zu tokens", n_tok);
    for (size_t t = 0; t < n_tok; t++)
        a.pos[t] = (int32_t)(pos + t);

    ref_get_rows(a.x, m->token_embd.data, m->token_embd.type, tokens, n_tok, m->dim);
    for (uint32_t l = 0; l < m->n_layers; l++) {
        attention_block(&a, s, m, l, n_tok, pos);
        ffn_block(&a, m, l, n_tok);
    }

    /* final norm and lm_head, over every token or only the last one */
    const size_t first = all_logits ? 0 : n_tok - 1, n_out = n_tok - first;
    const struct ref_weight *out = m->output.data ? &m->output : &m->token_embd;
    ref_rmsnorm(a.xb, a.x + first * m->dim, m->output_norm, n_out, m->dim, m->rms_eps);
    product(&a, m, logits, out, a.xb, m->n_vocab, m->dim, n_out, NULL, NULL);
    mem_free(block);
    return AXVK_OK;
}
