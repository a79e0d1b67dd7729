/* sample: host side of choosing the next token on the GPU — argmax (greedy) and the sampling
 * chain of ref_sample (penalties, top-k, top-p, min-p, temperature, draw) — so that one step
 * reads back only the chosen ids. Owns no buffers: the caller allocates them with the sizes
 * given here and writes the per-row settings (struct sample_params) before each submission. */
#ifndef AXVK_KERNELS_SAMPLE_H
#define AXVK_KERNELS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/registry.h"
#include "ops_push.h"

/* Scratch of kern_argmax: bytes for n_rows rows of n logits. */
uint64_t kern_argmax_scratch_bytes(uint32_t n, uint32_t n_rows);

/* out [n_rows] u32 = index of the largest logit of each row [n_rows, n], ties to the lowest
 * index (ref_argmax). Two passes through scratch (kern_argmax_scratch_bytes). */
axvk_status kern_argmax(struct vkrec *rec, const struct vkbuf *out, const struct vkbuf *logits,
                        const struct vkbuf *scratch, uint32_t n, uint32_t n_rows);

/* One row's settings, as struct ref_sampling plus ref_penalize's factors. */
struct kern_sampling {
    float temperature; /* <= 0: greedy */
    uint32_t top_k;    /* 0: off */
    float top_p;       /* >= 1: off */
    float min_p;       /* <= 0: off */
    float repeat;      /* 1: off */
    float presence;    /* 0: off */
    float frequency;   /* 0: off */
};

/* Fills the row's GPU settings for a step: u is the uniform draw in [0, 1), n_pen the number of
 * (id, count) pairs written for the row (kern_sample_penalty_list). */
void kern_sample_params(struct sample_params *out, const struct kern_sampling *s, float u,
                        uint32_t n_pen);

/* The distinct ids of a penalty window prev [n_prev] with their counts, as pairs [*n_pairs][2]
 * {id, count}; ids outside [0, n_vocab) are dropped (as ref_penalize does). At most max_pairs
 * are written: AXVK_ERR_INVALID_ARGUMENT when the window holds more distinct ids. */
axvk_status kern_sample_penalty_list(int32_t *pairs, uint32_t max_pairs, uint32_t *n_pairs,
                                     const int32_t *prev, size_t n_prev, uint32_t n_vocab,
                                     struct err *err);

#define KERN_SAMPLE_MAX_ROWS 64

struct kern_sample_shape {
    uint32_t n_vocab;
    uint32_t n_rows;     /* sequences sampled together, 1..KERN_SAMPLE_MAX_ROWS */
    uint32_t keep;       /* sorted entries kept per row: at least every row's top_k; 0 (or
                          * >= n_vocab) sorts the whole vocabulary, which rows without top-k
                          * need to equal the reference exactly */
    uint32_t pen_stride; /* penalty pairs reserved per row; 0: no penalty pass */
    uint32_t n_logprobs; /* most likely tokens reported per row, 0..SAMPLE_MAX_LOGPROBS */
};

struct kern_sample_bufs {
    struct vkbuf logits;  /* [n_rows, n_vocab] f32; penalised in place */
    struct vkbuf params;  /* [n_rows] struct sample_params */
    struct vkbuf pen;     /* [n_rows, pen_stride] {i32 id, i32 count}; unused when pen_stride 0 */
    struct vkbuf scratch; /* kern_sample_scratch_bytes */
    struct vkbuf out;     /* [n_rows, 1 + n_logprobs] {u32 id, f32 logprob}: the drawn token,
                           * then the n_logprobs most likely (log softmax of the penalised logits
                           * at temperature 1 over the whole vocabulary) */
};

/* Scratch bytes for a shape; 0 when the shape is invalid. */
uint64_t kern_sample_scratch_bytes(const struct kern_sample_shape *s);

/* Records the whole chain: penalties, sort, merges, final draw: 3 + ceil(log8(n_vocab / 2048))
 * dispatches for a kept top of <= 2048, 3 + ceil(log2(n_vocab / 2048)) for the whole vocabulary. Same logits, settings and u as ref_sample (after
 * ref_penalize) give the same id, up to float rounding at a cumulative-probability boundary. */
axvk_status kern_sample(struct vkrec *rec, const struct kern_sample_bufs *b,
                        const struct kern_sample_shape *s);

#endif
