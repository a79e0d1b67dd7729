/* forward: the Qwen2 / Llama forward pass as recorded GPU work, read top to bottom:
 *   embedding -> per layer: rmsnorm, q k v (+bias), kv write (rotates q and k in one dispatch),
 *   attention, o + residual, rmsnorm, gate up, SwiGLU, down + residual -> final rmsnorm -> lm_head.
 * Prefill multiplies matrices (matmul, flash attention over the chunk); decode multiplies
 * vectors (matvec, flash-decoding), one column per sequence, gate, up and SwiGLU in one
 * dispatch when the two matrices are alike. Buffers belong to the session.
 * With llama.cpp's CPU numerics each product reads a copy of its input rounded for its weight
 * type (act_round); otherwise nothing is recorded for it. */
#include "model/session.h"

#include "kernels/act_round.h"
#include "kernels/attention.h"
#include "kernels/elementwise.h"
#include "kernels/get_rows.h"
#include "kernels/kv_cache.h"
#include "kernels/matmul.h"
#include "kernels/matvec.h"
#include "kernels/norm.h"
#include "kernels/sample.h"

static struct vkbuf none(void)
{
    return (struct vkbuf){0};
}

/* y [n_tok, mat->rows] = x [n_tok, mat->k] . mat^T (+ bias) (+ res). Up to 8 tokens (a decode
 * step, or a short prompt) the product is weight-bandwidth bound: vectors read the weights once
 * for all columns; past that, tiled matrices reuse each weight tile across 64 tokens. Under
 * llama.cpp's CPU numerics the fp32 tiled kernel stands in for cooperative matrices, whose f16
 * inputs would add a rounding llama.cpp's CPU backend does not make. */
static axvk_status project(const struct session *s, struct vkrec *rec, const struct vkbuf *y,
                           const struct dev_mat *mat, const struct vkbuf *x, uint32_t n_tok,
                           const struct dev_vec *bias, const struct vkbuf *res)
{
    struct vkbuf b = bias && bias->n ? bias->buf : none();
    struct vkbuf r = res ? *res : none();
    struct err err = {0};
    if (n_tok <= MATVEC_MAX_COLS) {
        struct matvec_args a = {.wtype = mat->type, .rows = mat->rows, .k = mat->k,
                                .n_cols = n_tok, .w = &mat->w, .x = *x, .y = *y, .bias = b,
                                .res = r};
        return matvec_record(rec, &a, NULL, &err);
    }
    struct matmul_args a = {.wtype = mat->type, .n_tok = n_tok, .rows = mat->rows, .k = mat->k,
                            .w = &mat->w, .x = *x, .y = *y, .bias = b, .res = r};
    return matmul_record(rec, &a, s->round_acts ? (int)MATMUL_TILED : -1, &err);
}

/* Whether products with weight types a and b get the same rounding of their input: blocks of
 * 32 all mean q8_0 and of 256 all q8_K; f16 and bf16 (blocks of 1) differ. */
static int rounds_alike(uint32_t a, uint32_t b)
{
    const uint32_t block = kern_act_round_block(a);
    return a == b || (block > 1 && block == kern_act_round_block(b));
}

/* The input a product with mat reads: x itself, or x [n_tok, mat->k] rounded into s->rounded
 * for mat's type when the session rounds activations. prev: the product recorded just before
 * on the same x (q before k before v, gate before up), NULL for the first; when it rounds alike,
 * s->rounded already holds this rounding of x. */
static const struct vkbuf *input(struct session *s, struct vkrec *rec, const struct dev_mat *mat,
                                 const struct dev_mat *prev, const struct vkbuf *x, uint32_t n_tok)
{
    if (!s->round_acts || kern_act_round_block(mat->type) == 0)
        return x;
    if (!prev || !rounds_alike(prev->type, mat->type))
        kern_act_round(rec, &s->rounded, x, mat->type, n_tok, mat->k);
    return &s->rounded;
}

/* s->gate [n_tok, ffn_dim] = silu(x . gate^T) * (x . up^T). Vectors (up to MATVEC_MAX_COLS
 * tokens) of two matrices alike in type, shape and parts take one fused dispatch, which reads x
 * once and writes neither product; otherwise the two products and SwiGLU are recorded apart.
 * Both products read the same x: up's type is gate's, so it rounds alike (input()). */
static void gate_up(struct session *s, struct vkrec *rec, const struct model_layer *L,
                    uint32_t n_tok)
{
    const struct dev_mat *g = &L->w_gate, *u = &L->w_up;
    const struct vkbuf *in = input(s, rec, g, NULL, &s->xb, n_tok);
    if (n_tok <= MATVEC_MAX_COLS && g->type == u->type && g->rows == u->rows && g->k == u->k &&
        matvec_glu_fits(g->type, &g->w, &u->w)) {
        struct matvec_args a = {.wtype = g->type, .rows = g->rows, .k = g->k, .n_cols = n_tok,
                                .w = &g->w, .w_up = &u->w, .x = *in, .y = s->gate};
        struct err err = {0};
        matvec_record(rec, &a, NULL, &err);
        return;
    }
    project(s, rec, &s->gate, g, in, n_tok, NULL, NULL);
    in = input(s, rec, u, g, &s->xb, n_tok);
    project(s, rec, &s->up, u, in, n_tok, NULL, NULL);
    const uint32_t n = s->m->hp.ffn_dim;
    kern_swiglu(rec, &s->gate, &s->gate, &s->up, n, n_tok, n, n);
}

static struct kern_kv_write kv_layout(const struct session *s, uint32_t n_tok, uint32_t row0,
                                      int decode)
{
    const struct model_hparams *hp = &s->m->hp;
    return (struct kern_kv_write){.cache_type = s->m->kv_type, .n_rows = s->n_seq * s->seq_stride,
                                  .n_tok = n_tok, .n_kv_head = hp->n_kv_head,
                                  .head_dim = hp->head_dim, .row0 = row0,
                                  .seq_stride = s->seq_stride, .tok_per_seq = decode ? 1 : 0,
                                  .n_q_head = hp->n_head};
}

static axvk_status attention(struct session *s, struct vkrec *rec, int decode, uint32_t layer,
                             uint32_t n_tok, uint32_t row_base)
{
    const struct model_hparams *hp = &s->m->hp;
    struct err err = {0};
    if (decode) {
        struct attn_decode_args a = {
            .cache_type = s->m->kv_type, .n_seq = n_tok, .n_head = hp->n_head,
            .n_kv_head = hp->n_kv_head, .head_dim = hp->head_dim, .n_ctx = s->seq_stride,
            .seq_stride = s->seq_stride, .q = s->q, .k_cache = s->k_cache[layer],
            .v_cache = s->v_cache[layer], .pos = s->pos_in, .out = s->att,
            .scratch = s->attn_scratch};
        return attn_decode_record(rec, &a, &err);
    }
    struct attn_prefill_args a = {
        .cache_type = s->m->kv_type, .n_tok = n_tok, .n_head = hp->n_head,
        .n_kv_head = hp->n_kv_head, .head_dim = hp->head_dim, .n_ctx = s->seq_stride,
        .row_base = row_base, .q = s->q, .k_cache = s->k_cache[layer],
        .v_cache = s->v_cache[layer], .pos = s->pos_in, .out = s->att};
    return attn_prefill_record(rec, &a, &err);
}

/* Every layer over n_tok rows of s->x (tokens of one sequence, or one token per sequence). */
static void layers(struct session *s, struct vkrec *rec, int decode, uint32_t n_tok, uint32_t row0)
{
    const struct model *m = s->m;
    const struct model_hparams *hp = &m->hp;
    struct kern_kv_write kv = kv_layout(s, n_tok, row0, decode);
    for (uint32_t l = 0; l < hp->n_layers; l++) {
        const struct model_layer *L = &m->layers[l];
        const struct vkbuf *in;
        /* attention block */
        kern_rmsnorm(rec, &s->xb, &s->x, &L->attn_norm.buf, hp->dim, n_tok, hp->rms_eps);
        in = input(s, rec, &L->wq, NULL, &s->xb, n_tok);
        project(s, rec, &s->q, &L->wq, in, n_tok, &L->bq, NULL);
        in = input(s, rec, &L->wk, &L->wq, &s->xb, n_tok);
        project(s, rec, &s->k, &L->wk, in, n_tok, &L->bk, NULL);
        in = input(s, rec, &L->wv, &L->wk, &s->xb, n_tok);
        project(s, rec, &s->v, &L->wv, in, n_tok, &L->bv, NULL);
        /* rotates q in place as well: no rope dispatch of its own */
        kern_kv_write(rec, &s->k_cache[l], &s->v_cache[l], &s->k, &s->v, &s->q, &s->pos_in,
                      &m->rope_tab, &m->rope, &kv);
        attention(s, rec, decode, l, n_tok, row0);
        in = input(s, rec, &L->wo, NULL, &s->att, n_tok);
        project(s, rec, &s->x, &L->wo, in, n_tok, NULL, &s->x);
        /* feed-forward block */
        kern_rmsnorm(rec, &s->xb, &s->x, &L->ffn_norm.buf, hp->dim, n_tok, hp->rms_eps);
        gate_up(s, rec, L, n_tok);
        in = input(s, rec, &L->w_down, NULL, &s->gate, n_tok);
        project(s, rec, &s->x, &L->w_down, in, n_tok, NULL, &s->x);
    }
}

static axvk_status embed(struct session *s, struct vkrec *rec, uint32_t n_tok)
{
    const struct dev_mat *e = &s->m->token_embd;
    struct get_rows_args a = {.wtype = e->type, .rows = e->rows, .k = e->k, .w = &e->w,
                              .ids = s->ids_in, .n_ids = n_tok, .out = s->x};
    struct err err = {0};
    return get_rows_record(rec, &a, &err);
}

axvk_status forward_record_prefill(struct session *s, struct vkrec *rec, uint32_t seq,
                                   uint32_t n_tok)
{
    const struct model *m = s->m;
    const struct model_hparams *hp = &m->hp;
    uint64_t row_bytes = 4ull * hp->dim;
    embed(s, rec, n_tok);
    layers(s, rec, 0, n_tok, seq * s->seq_stride);
    /* only the last token's logits are wanted: norm and project that one row */
    struct vkbuf last = vkbuf_view(&s->x, (n_tok - 1) * row_bytes, row_bytes);
    struct vkbuf normed = vkbuf_view(&s->xb, 0, row_bytes);
    kern_rmsnorm(rec, &normed, &last, &m->output_norm.buf, hp->dim, 1, hp->rms_eps);
    struct vkbuf one = vkbuf_view(&s->step_logits, 0, 4ull * hp->n_vocab);
    project(s, rec, &one, &m->output, input(s, rec, &m->output, NULL, &normed, 1), 1, NULL, NULL);
    struct vkbuf dst = vkbuf_view(&s->logits, 4ull * hp->n_vocab * seq, 4ull * hp->n_vocab);
    vkrec_copy(rec, &dst, &one, 4ull * hp->n_vocab);
    kern_argmax(rec, &s->prefill_argmax, &one, &s->argmax_scratch, hp->n_vocab, 1);
    return vkrec_err(rec)->status;
}

axvk_status forward_record_decode(struct session *s, struct vkrec *rec, uint32_t mask)
{
    const struct model *m = s->m;
    const struct model_hparams *hp = &m->hp;
    uint32_t n_cols = 32 - (uint32_t)__builtin_clz(mask); /* columns 0 .. highest sequence */
    embed(s, rec, n_cols);
    layers(s, rec, 1, n_cols, 0);
    kern_rmsnorm(rec, &s->xb, &s->x, &m->output_norm.buf, hp->dim, n_cols, hp->rms_eps);
    project(s, rec, &s->step_logits, &m->output, input(s, rec, &m->output, NULL, &s->xb, n_cols),
            n_cols, NULL, NULL);
    /* keep the logits of the stepped sequences only; the others' rows hold unread results */
    uint64_t row = 4ull * hp->n_vocab;
    for (uint32_t c = 0; c < n_cols; c++) {
        if (!(mask & (1u << c)))
            continue;
        struct vkbuf src = vkbuf_view(&s->step_logits, c * row, row);
        struct vkbuf dst = vkbuf_view(&s->logits, c * row, row);
        vkrec_copy(rec, &dst, &src, row);
    }
    kern_argmax(rec, &s->step_argmax, &s->step_logits, &s->argmax_scratch, hp->n_vocab, n_cols);
    return vkrec_err(rec)->status;
}
