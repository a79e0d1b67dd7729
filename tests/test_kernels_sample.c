/* test_kernels_sample: GPU sampling against ref_sample / ref_penalize: the drawn id equals the
 * reference's for many uniform numbers and settings (greedy, top-k, top-p, min-p, temperature,
 * the whole vocabulary), batched rows, penalties, reported log-probabilities, and replays of one
 * recording with new random numbers. Logits are well separated where the draw can land, so the
 * reference's float rounding cannot move a boundary. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "gpu_test.h"
#include "kernels/sample.h"
#include "ref/ops.h"

#define N_ROWS 8

/* Row r's logits [n]: a random permutation of ranks; the top `peak` ranks fall by 0.05 each
 * (probabilities 5% apart), the rest sit 40 below (never drawn, still sorted). */
static void geometric_logits(float *l, uint32_t n, uint32_t peak)
{
    uint32_t *ids = mem_alloc((size_t)n * sizeof *ids);
    assert_non_null(ids);
    for (uint32_t i = 0; i < n; i++)
        ids[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = gpu_test_u32() % (i + 1), t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }
    for (uint32_t r = 0; r < n; r++)
        l[ids[r]] = r < peak ? 8.0f - 0.05f * (float)r + gpu_test_f32(-0.01f, 0.01f)
                             : -40.0f + gpu_test_f32(-5.0f, 5.0f);
    mem_free(ids);
}

struct sample_run {
    uint32_t n_vocab;
    uint32_t keep;
    uint32_t n_logprobs;
    uint32_t pen_stride;
    struct kern_sampling set[N_ROWS];
    float *logits;      /* [N_ROWS][n_vocab] as uploaded */
    int32_t *pen;       /* [N_ROWS][pen_stride][2] */
    uint32_t n_pen[N_ROWS];
    struct kern_sample_bufs b;
    struct kern_sample_shape shape;
    struct vkrec *rec;
};

static void run_open(struct sample_run *s)
{
    size_t count = (size_t)N_ROWS * s->n_vocab;
    s->shape = (struct kern_sample_shape){.n_vocab = s->n_vocab, .n_rows = N_ROWS, .keep = s->keep,
                                          .pen_stride = s->pen_stride, .n_logprobs = s->n_logprobs};
    uint64_t scratch = kern_sample_scratch_bytes(&s->shape);
    assert_true(scratch > 0);
    s->b.logits = gpu_test_buffer(gpu_dev, s->logits, count * 4);
    s->b.params = gpu_test_buffer(gpu_dev, NULL, N_ROWS * sizeof(struct sample_params));
    s->b.pen = gpu_test_buffer(gpu_dev, s->pen_stride ? s->pen : NULL,
                               s->pen_stride ? (uint64_t)N_ROWS * s->pen_stride * 8 : 16);
    s->b.scratch = gpu_test_buffer(gpu_dev, NULL, scratch);
    s->b.out = gpu_test_buffer(gpu_dev, NULL, (uint64_t)N_ROWS * (1 + s->n_logprobs) * 8);
    s->rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_sample(s->rec, &s->b, &s->shape), AXVK_OK);
    assert_int_equal(vkrec_end(s->rec), AXVK_OK);
}

/* One replay with the draws u[N_ROWS]; out receives [N_ROWS][1 + n_logprobs] {id, logprob}. */
static void run_draw(struct sample_run *s, const float *u, uint32_t *out)
{
    struct sample_params prm[N_ROWS];
    for (int r = 0; r < N_ROWS; r++)
        kern_sample_params(&prm[r], &s->set[r], u[r], s->n_pen[r]);
    gpu_test_upload(gpu_dev, &s->b.params, prm, sizeof prm);
    assert_int_equal(vkrec_submit(s->rec), AXVK_OK);
    assert_int_equal(vkrec_wait(s->rec), AXVK_OK);
    gpu_test_download(gpu_dev, out, &s->b.out, (uint64_t)N_ROWS * (1 + s->n_logprobs) * 8);
}

static void run_close(struct sample_run *s)
{
    vkrec_destroy(s->rec);
    vkmem_free(gpu_dev, &s->b.logits);
    vkmem_free(gpu_dev, &s->b.params);
    vkmem_free(gpu_dev, &s->b.pen);
    vkmem_free(gpu_dev, &s->b.scratch);
    vkmem_free(gpu_dev, &s->b.out);
}

static struct ref_sampling ref_of(const struct kern_sampling *k)
{
    return (struct ref_sampling){.temperature = k->temperature, .top_k = k->top_k,
                                 .top_p = k->top_p, .min_p = k->min_p};
}

/* `draws` replays of one recording, each row's id compared with ref_sample on `want_logits`
 * (the logits after penalties) for the same u. */
static void check_draws(struct sample_run *s, const float *want_logits, int draws)
{
    struct ref_candidate *cand = mem_alloc((size_t)s->n_vocab * sizeof *cand);
    uint32_t *out = mem_alloc((size_t)N_ROWS * (1 + s->n_logprobs) * 8);
    assert_true(cand && out);
    for (int d = 0; d < draws; d++) {
        float u[N_ROWS];
        for (int r = 0; r < N_ROWS; r++)
            u[r] = (float)(gpu_test_u32() >> 8) * (1.0f / 16777216.0f);
        run_draw(s, u, out);
        for (int r = 0; r < N_ROWS; r++) {
            struct ref_sampling rs = ref_of(&s->set[r]);
            int32_t want = ref_sample(want_logits + (size_t)r * s->n_vocab, s->n_vocab, &rs, u[r], cand);
            uint32_t got = out[(size_t)r * (1 + s->n_logprobs) * 2];
            if (got != (uint32_t)want)
                fail_msg("vocab %u row %d (T %g, top_k %u, top_p %g, min_p %g) u %.9g: id %u, "
                         "reference %d", s->n_vocab, r, (double)rs.temperature, rs.top_k,
                         (double)rs.top_p, (double)rs.min_p, (double)u[r], got, want);
        }
    }
    mem_free(cand);
    mem_free(out);
}

static const struct kern_sampling settings[N_ROWS] = {
    {.temperature = 0.0f, .top_p = 1.0f},                                /* greedy */
    {.temperature = 0.8f, .top_k = 40, .top_p = 1.0f},
    {.temperature = 1.0f, .top_p = 0.9f},
    {.temperature = 1.3f, .top_p = 1.0f, .min_p = 0.05f},
    {.temperature = 0.7f, .top_k = 200, .top_p = 0.95f, .min_p = 0.02f},
    {.temperature = 1.0f, .top_p = 1.0f},                                /* whole vocabulary */
    {.temperature = 1.5f, .top_k = 1, .top_p = 1.0f},
    {.temperature = 0.5f, .top_p = 0.5f, .min_p = 0.1f},
};

static void check_vocab(uint32_t n_vocab, uint32_t keep, int draws)
{
    struct sample_run s = {.n_vocab = n_vocab, .keep = keep};
    memcpy(s.set, settings, sizeof settings);
    if (keep) /* rows with top-k off need the whole vocabulary sorted: give them top_k = keep */
        for (int r = 0; r < N_ROWS; r++)
            if (s.set[r].top_k == 0 || s.set[r].top_k > keep)
                s.set[r].top_k = keep;
    s.logits = mem_alloc((size_t)N_ROWS * n_vocab * sizeof(float));
    assert_non_null(s.logits);
    for (int r = 0; r < N_ROWS; r++)
        geometric_logits(s.logits + (size_t)r * n_vocab, n_vocab, n_vocab < 400 ? n_vocab : 400);
    run_open(&s);
    check_draws(&s, s.logits, draws);
    run_close(&s);
    mem_free(s.logits);
}

static void test_sample_equals_ref_over_the_whole_qwen_vocabulary(void **state)
{
    (void)state;
    gpu_test_seed(21);
    check_vocab(152064, 0, 3);
}

static void test_sample_equals_ref_with_a_kept_top(void **state)
{
    (void)state;
    gpu_test_seed(22);
    check_vocab(102400, 256, 2);
    check_vocab(5003, 40, 6);
}

static void test_sample_equals_ref_for_small_and_chunk_edge_vocabularies(void **state)
{
    (void)state;
    gpu_test_seed(23);
    const uint32_t sizes[] = {1, 7, 2047, 2048, 2049, 16385};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_vocab(sizes[i], 0, 3);
}

/* Uniform logits with a small top-k: the k survivors have nearly equal probabilities, so the
 * draw lands anywhere in them; ties planted among them are ordered by id. */
static void test_sample_top_k_over_flat_logits_orders_ties_by_id(void **state)
{
    (void)state;
    gpu_test_seed(24);
    struct sample_run s = {.n_vocab = 32000, .keep = 64};
    for (int r = 0; r < N_ROWS; r++)
        s.set[r] = (struct kern_sampling){.temperature = 0.6f + 0.1f * (float)r, .top_k = 8u << (r % 4),
                                          .top_p = r % 2 ? 0.97f : 1.0f};
    s.logits = mem_alloc((size_t)N_ROWS * s.n_vocab * sizeof(float));
    assert_non_null(s.logits);
    gpu_test_fill_f32(s.logits, (size_t)N_ROWS * s.n_vocab, -10.0f, 10.0f);
    for (int r = 0; r < N_ROWS; r++) {
        float *l = s.logits + (size_t)r * s.n_vocab;
        uint32_t m = ref_argmax(l, s.n_vocab);
        /* three more ids share the maximum, one of them below it */
        l[m / 3] = l[m];
        l[s.n_vocab - 1 - r] = l[m];
        l[(m + 7919) % s.n_vocab] = l[m];
    }
    run_open(&s);
    check_draws(&s, s.logits, 8);
    run_close(&s);
    mem_free(s.logits);
}

/* Penalties over a window with repeats and out-of-vocabulary ids, applied on the GPU in place:
 * the logits equal ref_penalize's, the draws ref_sample's on them, and the reported
 * log-probabilities the log softmax of the penalised row. */
static void test_sample_penalties_and_logprobs_match_ref(void **state)
{
    (void)state;
    gpu_test_seed(25);
    const uint32_t n_vocab = 50000, window = 96, n_lp = 5;
    struct sample_run s = {.n_vocab = n_vocab, .keep = 0, .n_logprobs = n_lp, .pen_stride = window};
    size_t count = (size_t)N_ROWS * n_vocab;
    s.logits = mem_alloc(count * sizeof(float));
    float *want = mem_alloc(count * sizeof(float)), *got = mem_alloc(count * sizeof(float));
    float *prob = mem_alloc(n_vocab * sizeof(float));
    s.pen = mem_alloc((size_t)N_ROWS * window * 8);
    assert_true(s.logits && want && got && prob && s.pen);
    for (int r = 0; r < N_ROWS; r++) {
        float *l = s.logits + (size_t)r * n_vocab;
        geometric_logits(l, n_vocab, 400);
        /* a window over the three likeliest ids (so penalties change the draw), random ids
         * and ids outside the vocabulary */
        uint32_t top[3];
        memcpy(got, l, n_vocab * sizeof(float));
        for (int j = 0; j < 3; j++) {
            top[j] = ref_argmax(got, n_vocab);
            got[top[j]] = -INFINITY;
        }
        int32_t prev[96];
        for (uint32_t i = 0; i < window; i++) {
            if (i % 17 == 5)
                prev[i] = i % 2 ? -3 : (int32_t)(n_vocab + i);
            else if (i % 4 == 3)
                prev[i] = (int32_t)(gpu_test_u32() % n_vocab);
            else
                prev[i] = (int32_t)top[gpu_test_u32() % 3];
        }
        s.set[r] = (struct kern_sampling){.temperature = r == 0 ? 0.0f : 0.9f, .top_k = r % 3 ? 0 : 50,
                                          .top_p = 0.95f, .min_p = r % 2 ? 0.0f : 0.03f,
                                          .repeat = 1.0f + 0.1f * (float)(r % 4),
                                          .presence = 0.25f * (float)(r % 3),
                                          .frequency = 0.1f * (float)(r % 2)};
        struct err err = {0};
        assert_int_equal(kern_sample_penalty_list(s.pen + (size_t)r * window * 2, window, &s.n_pen[r],
                                                  prev, window, n_vocab, &err), AXVK_OK);
        memcpy(want + (size_t)r * n_vocab, l, n_vocab * sizeof(float));
        ref_penalize(want + (size_t)r * n_vocab, n_vocab, prev, window, s.set[r].repeat,
                     s.set[r].presence, s.set[r].frequency);
    }
    run_open(&s);
    /* one draw: the penalties are applied once, in place */
    float u[N_ROWS];
    uint32_t out[N_ROWS * 6 * 2];
    for (int r = 0; r < N_ROWS; r++)
        u[r] = (float)(gpu_test_u32() >> 8) * (1.0f / 16777216.0f);
    run_draw(&s, u, out);
    gpu_test_download(gpu_dev, got, &s.b.logits, count * 4);
    assert_true(gpu_test_nmse(got, want, count) <= 1e-7);

    struct ref_candidate *cand = mem_alloc((size_t)n_vocab * sizeof *cand);
    assert_non_null(cand);
    for (int r = 0; r < N_ROWS; r++) {
        const float *w = want + (size_t)r * n_vocab;
        const uint32_t *o = out + (size_t)r * (1 + n_lp) * 2;
        struct ref_sampling rs = ref_of(&s.set[r]);
        assert_int_equal(o[0], ref_sample(w, n_vocab, &rs, u[r], cand));
        ref_softmax(prob, w, n_vocab);
        float lp;
        memcpy(&lp, &o[1], 4);
        assert_float_equal(lp, logf(prob[o[0]]), 1e-4);
        /* the n_lp likeliest ids in the reference order: repeated argmax with the found masked */
        memcpy(got, w, n_vocab * sizeof(float));
        for (uint32_t j = 0; j < n_lp; j++) {
            uint32_t id = ref_argmax(got, n_vocab);
            assert_int_equal(o[2 * (1 + j)], id);
            memcpy(&lp, &o[2 * (1 + j) + 1], 4);
            assert_float_equal(lp, logf(prob[id]), 1e-4);
            got[id] = -INFINITY;
        }
    }
    run_close(&s);
    mem_free(cand);
    mem_free(s.logits);
    mem_free(s.pen);
    mem_free(want);
    mem_free(got);
    mem_free(prob);
}

static void test_penalty_list_counts_distinct_ids_in_vocabulary(void **state)
{
    (void)state;
    const int32_t prev[] = {5, 9, 5, -1, 70000, 9, 5, 0, 12};
    int32_t pairs[8][2];
    uint32_t n = 0;
    struct err err = {0};
    assert_int_equal(kern_sample_penalty_list(&pairs[0][0], 8, &n, prev, 9, 1000, &err), AXVK_OK);
    assert_int_equal(n, 4);
    const int32_t want[4][2] = {{0, 1}, {5, 3}, {9, 2}, {12, 1}};
    assert_memory_equal(pairs, want, sizeof want);
    /* more distinct ids than room */
    assert_int_equal(kern_sample_penalty_list(&pairs[0][0], 3, &n, prev, 9, 1000, &err),
                     AXVK_ERR_INVALID_ARGUMENT);
}

static void test_sample_rejects_bad_shapes(void **state)
{
    (void)state;
    struct kern_sample_shape sh = {.n_vocab = 1000, .n_rows = 2, .n_logprobs = SAMPLE_MAX_LOGPROBS + 1};
    assert_int_equal(kern_sample_scratch_bytes(&sh), 0);
    sh.n_logprobs = 0;
    sh.n_rows = 0;
    assert_int_equal(kern_sample_scratch_bytes(&sh), 0);
    sh.n_rows = 2;
    assert_true(kern_sample_scratch_bytes(&sh) > 0);
    /* logits buffer too small for the shape */
    struct kern_sample_bufs b;
    b.logits = gpu_test_buffer(gpu_dev, NULL, 256);
    b.params = b.pen = b.scratch = b.out = gpu_test_buffer(gpu_dev, NULL, 1 << 20);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_sample(rec, &b, &sh), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &b.logits);
    vkmem_free(gpu_dev, &b.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_equals_ref_over_the_whole_qwen_vocabulary),
        cmocka_unit_test(test_sample_equals_ref_with_a_kept_top),
        cmocka_unit_test(test_sample_equals_ref_for_small_and_chunk_edge_vocabularies),
        cmocka_unit_test(test_sample_top_k_over_flat_logits_orders_ties_by_id),
        cmocka_unit_test(test_sample_penalties_and_logprobs_match_ref),
        cmocka_unit_test(test_penalty_list_counts_distinct_ids_in_vocabulary),
        cmocka_unit_test(test_sample_rejects_bad_shapes),
    };
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
