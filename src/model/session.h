/* session: the state of running a model — KV cache slots for up to 8 sequences, activation
 * buffers, the recorded decode steps — and the forward pass itself (forward.c). One thread at a
 * time. Sequence s always occupies slot s: its cache rows and its row of logits. */
#ifndef AXVK_MODEL_SESSION_H
#define AXVK_MODEL_SESSION_H

#include <stdint.h>

#include "base/err.h"
#include "model/model.h"
#include "vk/memory.h"
#include "vk/record.h"

#define SESSION_MAX_SEQ 8
/* Recorded decode steps kept, one per distinct set of sequences stepped together. */
#define SESSION_DECODE_CACHE 16

struct session_opts {
    uint32_t n_ctx;   /* tokens per sequence */
    uint32_t n_seq;   /* 1..SESSION_MAX_SEQ */
    uint32_t n_batch; /* prefill chunk */
    int timestamps;   /* time each command of the prefill and decode recordings (vkrec_profile
                         after each step), as AXVK_PROFILE=1 does but without printing */
};

struct decode_rec {
    uint32_t mask;    /* bit s: sequence s is stepped (its logits kept); 0: slot unused */
    struct vkrec *rec;
};

struct session {
    struct model *m;
    struct vkdev *dev;
    uint32_t n_ctx, n_seq, n_batch;
    int timestamps;                 /* session_opts.timestamps */
    uint32_t seq_stride;            /* cache rows per sequence: n_ctx + a spare row */
    uint32_t n_past[SESSION_MAX_SEQ];
    uint32_t last_id[SESSION_MAX_SEQ];

    /* activations, rows = max(n_batch, n_seq) */
    struct vkbuf x, xb;             /* [rows, dim] residual stream, normed copy */
    struct vkbuf q, k, v, att;      /* [rows, q_dim], [rows, kv_dim] x 2, [rows, q_dim] */
    struct vkbuf gate, up;          /* [rows, ffn_dim] */
    int round_acts;                 /* the model's numerics are MODEL_NUMERICS_LLAMA_CPU */
    struct vkbuf rounded;           /* [rows, max(dim, q_dim, ffn_dim)] a product's rounded
                                       input; only with round_acts */
    struct vkbuf logits;            /* [n_seq, n_vocab]: each sequence's current logits */
    struct vkbuf step_logits;       /* [n_seq, n_vocab]: a decode step's, copied to `logits` */
    struct vkbuf attn_scratch;
    struct vkbuf *k_cache, *v_cache;/* [n_layers], rows [n_seq * seq_stride] */
    struct vkbuf ids_in, pos_in;    /* host-visible [rows] u32: token ids and positions */

    /* sampling: host-visible settings and results, device scratch */
    struct vkbuf sample_params, sample_pen, sample_out, sample_scratch, argmax_scratch;
    uint32_t pen_stride;
    /* Every step also finds its logits' argmax in the same submission, so greedy decoding reads
     * the next token without a second one: host-visible [n_seq] u32 per decode column, and one
     * for the prefill. greedy_id[s] is sequence s's, -1 once its logits were penalised. */
    struct vkbuf step_argmax, prefill_argmax;
    int32_t greedy_id[SESSION_MAX_SEQ];

    struct vkrec *prefill;          /* re-recorded per chunk */
    struct vkrec *sampler;          /* re-recorded per call */
    struct decode_rec decode[SESSION_DECODE_CACHE];
    uint32_t decode_next;           /* round-robin eviction */
};

axvk_status session_create(struct session **out, struct model *m, const struct session_opts *o,
                           struct err *err);
void session_destroy(struct session *s);

/* Forgets sequence seq's tokens (seq < n_seq). */
void session_clear(struct session *s, uint32_t seq);
/* Appends ids to sequence seq: prefill in chunks; afterwards its logits follow its last token. */
axvk_status session_feed(struct session *s, uint32_t seq, const int32_t *ids, uint32_t n,
                         struct err *err);
/* One step: appends ids[i] to sequence seqs[i] (distinct, < n_seq) together. */
axvk_status session_decode(struct session *s, const uint32_t *seqs, const int32_t *ids, uint32_t n,
                           struct err *err);
axvk_status session_logits(struct session *s, uint32_t seq, float *out, struct err *err);

/* One row's sampling settings (see kernels/sample.h); greedy when temperature <= 0. */
struct session_sampling {
    float temperature;
    uint32_t top_k;
    float top_p, min_p;
    float repeat, presence, frequency;
    const int32_t *prev;  /* penalty window of previous ids */
    uint32_t n_prev;
    float u;              /* uniform draw in [0, 1) */
};
/* A token and its log-probability (log softmax of the penalised logits at temperature 1). */
struct session_logprob {
    int32_t id;
    float logprob;
};

/* Draws one id per listed sequence from its logits (which the penalties modify in place). With
 * n_logprobs 1..SAMPLE_MAX_LOGPROBS, lp [n][1 + n_logprobs] receives each sequence's drawn token
 * then its n_logprobs most likely ones; with 0, lp may be NULL. */
axvk_status session_sample(struct session *s, const uint32_t *seqs, uint32_t n,
                           const struct session_sampling *params, uint32_t n_logprobs,
                           int32_t *ids, struct session_logprob *lp, struct err *err);

/* Records the forward pass (forward.c). Prefill: n_tok tokens of sequence seq at positions
 * s->n_past[seq]..; decode: one token per sequence of `mask`, columns 0..highest set bit. */
axvk_status forward_record_prefill(struct session *s, struct vkrec *rec, uint32_t seq,
                                   uint32_t n_tok);
axvk_status forward_record_decode(struct session *s, struct vkrec *rec, uint32_t mask);

#endif
