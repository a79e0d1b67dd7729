/* ref/ops_sample: logit-side reference ops — argmax, softmax, penalties and the sampling chain
 * (top-k, top-p, min-p, temperature, draw) with the semantics documented in ref/ops.h.
 * The random number comes from the caller; nothing here holds state between calls. */
#include "ref/ops.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

uint32_t ref_argmax(const float *x, size_t n)
{
    assert(n >= 1);
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[best]) /* strict: the first of equal maxima wins */
            best = i;
    return (uint32_t)best;
}

void ref_softmax(float *y, const float *x, size_t n)
{
    float max = x[0];
    for (size_t i = 1; i < n; i++)
        max = fmaxf(max, x[i]);
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        y[i] = expf(x[i] - max);
        sum += y[i];
    }
    const float inv = 1.0f / sum;
    for (size_t i = 0; i < n; i++)
        y[i] *= inv;
}

void ref_penalize(float *logits, size_t n_vocab, const int32_t *prev, size_t n_prev, float repeat,
                  float presence, float frequency)
{
    for (size_t i = 0; i < n_prev; i++) {
        const int32_t id = prev[i];
        if (id < 0 || (size_t)id >= n_vocab)
            continue;
        int first = 1; /* apply once per distinct id, at its first occurrence */
        for (size_t j = 0; j < i && first; j++)
            first = prev[j] != id;
        if (!first)
            continue;
        size_t count = 0;
        for (size_t j = i; j < n_prev; j++)
            count += prev[j] == id;
        float l = logits[id];
        l = l <= 0.0f ? l * repeat : l / repeat;
        logits[id] = l - (float)count * frequency - presence;
    }
}

static int by_logit_desc(const void *a, const void *b)
{
    const struct ref_candidate *x = a, *y = b;
    if (x->logit != y->logit)
        return x->logit > y->logit ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* p of cand [n] = softmax(logit / temp). */
static void candidate_probs(struct ref_candidate *cand, size_t n, float temp)
{
    const float max = cand[0].logit / temp; /* sorted: the first is the largest */
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        cand[i].p = expf(cand[i].logit / temp - max);
        sum += cand[i].p;
    }
    for (size_t i = 0; i < n; i++)
        cand[i].p /= sum;
}

int32_t ref_sample(const float *logits, size_t n_vocab, const struct ref_sampling *s, float u,
                   struct ref_candidate *cand)
{
    if (s->temperature <= 0.0f)
        return (int32_t)ref_argmax(logits, n_vocab);
    for (size_t i = 0; i < n_vocab; i++)
        cand[i] = (struct ref_candidate){(int32_t)i, logits[i], 0.0f};
    qsort(cand, n_vocab, sizeof(*cand), by_logit_desc);
    size_t n = n_vocab;
    if (s->top_k > 0 && s->top_k < n)
        n = s->top_k;
    if (s->top_p > 0.0f && s->top_p < 1.0f) {
        candidate_probs(cand, n, 1.0f);
        float cum = 0.0f;
        for (size_t i = 0; i < n; i++) {
            cum += cand[i].p;
            if (cum >= s->top_p) {
                n = i + 1;
                break;
            }
        }
    }
    if (s->min_p > 0.0f) {
        const float floor_logit = cand[0].logit + logf(s->min_p);
        size_t keep = 1;
        while (keep < n && cand[keep].logit >= floor_logit)
            keep++;
        n = keep;
    }
    candidate_probs(cand, n, s->temperature);
    float cum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        cum += cand[i].p;
        if (u < cum)
            return cand[i].id;
    }
    return cand[n - 1].id;
}
