/* test_ref_forward: the reference forward pass on the mini qwen2 GGUF models of every weight type —
 * greedy continuations as llama.cpp produced them (shared/testdata/gguf/greedy.json), prefill equal
 * to token-by-token decoding, tied output, and the error paths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "base/wtype.h"
#include "model/gguf.h"
#include "ref/forward.h"

#define GGUF_DIR AXVK_SHARED_DIR "/testdata/gguf/"
/* llama.cpp rounds activations to 8 bits in quantized products: steps it barely decided are skipped */
#define MIN_MARGIN 0.15

struct mini {
    struct gguf *g;
    struct ref_model m;
    struct ref_layer *layers;
};

static void expect_ok(axvk_status st, const struct err *err)
{
    if (st != AXVK_OK)
        fail_msg("%s", err->msg);
}

static const struct gguf_tensor *tensor(const struct gguf *g, const char *name, uint64_t cols,
                                        uint64_t rows)
{
    const struct gguf_tensor *t = gguf_find_tensor(g, name);
    if (!t)
        fail_msg("tensor %s missing", name);
    if (t->ne[0] != cols || t->ne[1] != rows)
        fail_msg("tensor %s: [%llu, %llu], want [%llu, %llu]", name, (unsigned long long)t->ne[1],
                 (unsigned long long)t->ne[0], (unsigned long long)rows, (unsigned long long)cols);
    return t;
}

static struct ref_weight matrix(const struct gguf *g, const char *name, uint64_t rows,
                                uint64_t cols)
{
    const struct gguf_tensor *t = tensor(g, name, cols, rows);
    return (struct ref_weight){t->data, t->type};
}

static const float *vector(const struct gguf *g, const char *name, uint64_t n)
{
    const struct gguf_tensor *t = tensor(g, name, n, 1);
    assert_int_equal(t->type, WTYPE_F32);
    return (const float *)t->data;
}

static void mini_open(struct mini *mm, const char *file)
{
    char path[512], name[96];
    struct err err;
    struct ref_model *m = &mm->m;
    memset(mm, 0, sizeof(*mm));
    snprintf(path, sizeof(path), GGUF_DIR "%s", file);
    expect_ok(gguf_open(&mm->g, path, &err), &err);
    const struct gguf *g = mm->g;
    expect_ok(gguf_get_u32(g, "qwen2.embedding_length", &m->dim, &err), &err);
    expect_ok(gguf_get_u32(g, "qwen2.block_count", &m->n_layers, &err), &err);
    expect_ok(gguf_get_u32(g, "qwen2.attention.head_count", &m->n_head, &err), &err);
    expect_ok(gguf_get_u32(g, "qwen2.attention.head_count_kv", &m->n_kv_head, &err), &err);
    expect_ok(gguf_get_u32(g, "qwen2.feed_forward_length", &m->ffn_dim, &err), &err);
    expect_ok(gguf_get_f32(g, "qwen2.attention.layer_norm_rms_epsilon", &m->rms_eps, &err), &err);
    expect_ok(gguf_get_f32(g, "qwen2.rope.freq_base", &m->rope.theta_base, &err), &err);
    expect_ok(gguf_get_u32(g, "qwen2.context_length", &m->rope.n_ctx_orig, &err), &err);
    m->head_dim = m->dim / m->n_head;
    m->rope.style = REF_ROPE_NEOX;
    m->rope.n_dims = m->head_dim;
    m->rope.freq_scale = 1.0f;
    m->rope.attn_factor = 1.0f;
    m->rope.beta_fast = 32.0f;
    m->rope.beta_slow = 1.0f;
    const struct gguf_tensor *embd = gguf_find_tensor(g, "token_embd.weight");
    assert_non_null(embd);
    m->n_vocab = (uint32_t)embd->ne[1];
    m->token_embd = matrix(g, "token_embd.weight", m->n_vocab, m->dim);
    m->output_norm = vector(g, "output_norm.weight", m->dim);
    m->output = matrix(g, "output.weight", m->n_vocab, m->dim);
    const uint64_t q_dim = (uint64_t)m->n_head * m->head_dim, kv = (uint64_t)m->n_kv_head * m->head_dim;
    mm->layers = mem_calloc(m->n_layers, sizeof(*mm->layers));
    assert_non_null(mm->layers);
    for (uint32_t l = 0; l < m->n_layers; l++) {
        struct ref_layer *L = &mm->layers[l];
#define NAME(suffix) (snprintf(name, sizeof(name), "blk.%u." suffix, l), name)
        L->attn_norm = vector(g, NAME("attn_norm.weight"), m->dim);
        L->wq = matrix(g, NAME("attn_q.weight"), q_dim, m->dim);
        L->wk = matrix(g, NAME("attn_k.weight"), kv, m->dim);
        L->wv = matrix(g, NAME("attn_v.weight"), kv, m->dim);
        L->bq = vector(g, NAME("attn_q.bias"), q_dim);
        L->bk = vector(g, NAME("attn_k.bias"), kv);
        L->bv = vector(g, NAME("attn_v.bias"), kv);
        L->wo = matrix(g, NAME("attn_output.weight"), m->dim, q_dim);
        L->ffn_norm = vector(g, NAME("ffn_norm.weight"), m->dim);
        L->w_gate = matrix(g, NAME("ffn_gate.weight"), m->ffn_dim, m->dim);
        L->w_up = matrix(g, NAME("ffn_up.weight"), m->ffn_dim, m->dim);
        L->w_down = matrix(g, NAME("ffn_down.weight"), m->dim, m->ffn_dim);
#undef NAME
    }
    m->layers = mm->layers;
}

static void mini_close(struct mini *mm)
{
    mem_free(mm->layers);
    gguf_close(mm->g);
}

static double nmse(const float *a, const float *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return num / den;
}

struct tally {
    size_t steps;        /* steps llama.cpp decided with margin >= MIN_MARGIN */
    size_t agree;        /* of those, the ones where our argmax is llama.cpp's id */
    size_t cases;
    size_t strict;       /* cases whose ids all agree before their first step under MIN_MARGIN */
    size_t n_diff;
    double diff[256];    /* |our margin - llama.cpp's margin| at agreeing steps */
};

/* One greedy.json case, teacher-forced: llama.cpp's own ids are fed back, so a step where the two
 * implementations part ways does not derail the steps after it. */
static void score_case(const struct mini *mm, const cJSON *c, struct tally *tl)
{
    const cJSON *prompt = cJSON_GetObjectItem(c, "prompt_ids");
    const cJSON *ids = cJSON_GetObjectItem(c, "ids"), *margins = cJSON_GetObjectItem(c, "margins");
    const size_t n_prompt = (size_t)cJSON_GetArraySize(prompt), n_ids = (size_t)cJSON_GetArraySize(ids);
    const struct ref_model *m = &mm->m;
    struct ref_state *s = NULL;
    struct err err;
    int32_t *tokens = mem_calloc(n_prompt, sizeof(int32_t));
    float *logits = mem_calloc(m->n_vocab, sizeof(float));
    assert_true(tokens && logits);
    for (size_t i = 0; i < n_prompt; i++)
        tokens[i] = cJSON_GetArrayItem(prompt, (int)i)->valueint;
    expect_ok(ref_state_create(&s, m, n_prompt + n_ids, WTYPE_F16, &err), &err);
    expect_ok(ref_forward(logits, s, m, tokens, n_prompt, 0, false, &err), &err);
    bool decided = true, strict = true; /* no step under MIN_MARGIN yet; every id agreed so far */
    for (size_t step = 0; step < n_ids; step++) {
        const int32_t want = cJSON_GetArrayItem(ids, (int)step)->valueint;
        const double margin = cJSON_GetArrayItem(margins, (int)step)->valuedouble;
        const uint32_t top = ref_argmax(logits, m->n_vocab);
        decided = decided && margin >= MIN_MARGIN;
        strict = strict && (!decided || (int32_t)top == want);
        if (margin >= MIN_MARGIN) {
            tl->steps++;
            if ((int32_t)top == want) {
                float second = -INFINITY;
                for (uint32_t i = 0; i < m->n_vocab; i++)
                    if (i != top && logits[i] > second)
                        second = logits[i];
                tl->agree++;
                if (tl->n_diff < sizeof(tl->diff) / sizeof(tl->diff[0]))
                    tl->diff[tl->n_diff++] = fabs((double)(logits[top] - second) - margin);
            }
        }
        if (step + 1 < n_ids)
            expect_ok(ref_forward(logits, s, m, &want, 1, n_prompt + step, false, &err), &err);
    }
    tl->cases++;
    tl->strict += strict;
    ref_state_destroy(s);
    mem_free(tokens);
    mem_free(logits);
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The mini models have random weights whose attention scores reach 100-170 with top-two gaps
 * under 1, so llama.cpp's reduced precision (f16 q and probabilities, activations rounded to the
 * weight's dot type) moves which position wins at some steps, and then the next id, even where
 * its final margin was wide. Plain fp32 agrees on most steps, not all: 330 of 371 (89%), and 35
 * of the 50 cases hold llama.cpp's ids up to their first step under MIN_MARGIN. A missing q or v
 * bias or the wrong rope style or base drops agreement to 5-60%. For f16 weights, where llama.cpp
 * rounds least, the top-1 minus top-2 margins themselves agree to ~0.01 (median); a missing k
 * bias triples that. */
#define MIN_AGREE_FILE 0.60
#define MIN_AGREE_ALL 0.80
#define MAX_F16_MEDIAN_MARGIN_DIFF 0.025

/* With the input of every weight product rounded as llama.cpp's CPU backend rounds it
 * (llama_cpu_rounding), 353 of 371 steps (95%) and 45 of 50 cases strictly; f16, bf16, q6_k,
 * q4_k_m and q5_1 lose no case. The misses left are the attention-score coin flips above
 * (rounding q and the probabilities to f16 as well does not help: one flipped attention peak
 * changes a KV row for every later step). */
#define LLAMA_CPU_MIN_STRICT_CASES 44
#define LLAMA_CPU_MIN_AGREE_ALL 0.94

static const char *const files[] = {"mini-f16.gguf",    "mini-bf16.gguf",   "mini-q8_0.gguf",
                                    "mini-q6_k.gguf",   "mini-q5_k_m.gguf", "mini-q4_k_m.gguf",
                                    "mini-q5_1.gguf",   "mini-q5_0.gguf",   "mini-q4_1.gguf",
                                    "mini-q4_0.gguf"};
#define N_FILES (sizeof(files) / sizeof(files[0]))

/* Scores every greedy.json case of every file, per file into per[] and summed into *all; the
 * median margin difference of each file goes to median[]. */
static void score_all(bool llama_cpu_rounding, struct tally per[N_FILES], double median[N_FILES],
                      struct tally *all)
{
    char *json = NULL;
    size_t len;
    struct err err;
    expect_ok(file_read_all(GGUF_DIR "greedy.json", &json, &len, &err), &err);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    const cJSON *cases = cJSON_GetObjectItem(root, "cases");
    memset(all, 0, sizeof(*all));
    for (size_t f = 0; f < N_FILES; f++) {
        struct mini mm;
        struct tally *tl = &per[f];
        memset(tl, 0, sizeof(*tl));
        mini_open(&mm, files[f]);
        mm.m.llama_cpu_rounding = llama_cpu_rounding;
        const cJSON *c;
        cJSON_ArrayForEach(c, cases)
        {
            if (strcmp(cJSON_GetObjectItem(c, "model")->valuestring, files[f]) == 0)
                score_case(&mm, c, tl);
        }
        qsort(tl->diff, tl->n_diff, sizeof(tl->diff[0]), by_value);
        median[f] = tl->n_diff ? tl->diff[tl->n_diff / 2] : INFINITY;
        print_message("%-17s %zu cases, %zu strict: %zu of %zu ids agree, median margin "
                      "difference %.4f\n", files[f], tl->cases, tl->strict, tl->agree, tl->steps,
                      median[f]);
        assert_int_equal(tl->cases, 5);
        assert_true(tl->steps >= 10);
        all->steps += tl->steps;
        all->agree += tl->agree;
        all->cases += tl->cases;
        all->strict += tl->strict;
        mini_close(&mm);
    }
    print_message("all: %zu of %zu ids agree; %zu of %zu cases strictly\n", all->agree, all->steps,
                  all->strict, all->cases);
    cJSON_Delete(root);
    mem_free(json);
}

static void test_greedy_ids_agree_with_llama_cpp_for_every_type(void **state)
{
    (void)state;
    static struct tally per[N_FILES];
    double median[N_FILES];
    struct tally all;
    score_all(false, per, median, &all);
    for (size_t f = 0; f < N_FILES; f++) {
        if ((double)per[f].agree < MIN_AGREE_FILE * (double)per[f].steps)
            fail_msg("%s: %zu of %zu greedy ids agree with llama.cpp", files[f], per[f].agree,
                     per[f].steps);
        if (strcmp(files[f], "mini-f16.gguf") == 0 && !(median[f] <= MAX_F16_MEDIAN_MARGIN_DIFF))
            fail_msg("%s: median margin difference %.4f", files[f], median[f]);
    }
    assert_true((double)all.agree >= MIN_AGREE_ALL * (double)all.steps);
}

/* The strict check: the same greedy ids as llama.cpp up to the first step whose margin is under
 * MIN_MARGIN, here with llama.cpp's rounding of activations. */
static void test_greedy_ids_match_llama_cpp_strictly_with_its_cpu_rounding(void **state)
{
    (void)state;
    static struct tally per[N_FILES];
    double median[N_FILES];
    struct tally all;
    score_all(true, per, median, &all);
    if (all.strict < LLAMA_CPU_MIN_STRICT_CASES)
        fail_msg("%zu of %zu cases hold llama.cpp's ids up to their first close step", all.strict,
                 all.cases);
    if ((double)all.agree < LLAMA_CPU_MIN_AGREE_ALL * (double)all.steps)
        fail_msg("%zu of %zu greedy ids agree with llama.cpp", all.agree, all.steps);
}

/* Prefill of n tokens at once, in two chunks, and one at a time give the same logits. */
static void test_prefill_equals_token_by_token(void **state)
{
    (void)state;
    const uint32_t cache_types[2] = {WTYPE_F32, WTYPE_F16};
    struct mini mm;
    struct err err;
    mini_open(&mm, "mini-q4_k_m.gguf");
    const struct ref_model *m = &mm.m;
    enum { N = 11 };
    const int32_t tokens[N] = {2208, 1573, 3177, 1024, 7, 4095, 0, 300, 300, 2, 1861};
    float *all = mem_calloc((size_t)N * m->n_vocab, sizeof(float));
    float *one = mem_calloc(m->n_vocab, sizeof(float));
    assert_true(all && one);
    for (int ct = 0; ct < 2; ct++) {
        struct ref_state *batch = NULL, *step = NULL, *split = NULL;
        expect_ok(ref_state_create(&batch, m, 16, cache_types[ct], &err), &err);
        expect_ok(ref_state_create(&step, m, 16, cache_types[ct], &err), &err);
        expect_ok(ref_state_create(&split, m, 16, cache_types[ct], &err), &err);
        expect_ok(ref_forward(all, batch, m, tokens, N, 0, true, &err), &err);
        for (size_t t = 0; t < N; t++) {
            expect_ok(ref_forward(one, step, m, &tokens[t], 1, t, false, &err), &err);
            const double e = nmse(one, all + t * m->n_vocab, m->n_vocab);
            if (!(e < 1e-5))
                fail_msg("cache %u token %zu: nmse %g", cache_types[ct], t, e);
        }
        expect_ok(ref_forward(one, split, m, tokens, 4, 0, false, &err), &err);
        expect_ok(ref_forward(one, split, m, tokens + 4, N - 4, 4, false, &err), &err);
        assert_true(nmse(one, all + (N - 1) * m->n_vocab, m->n_vocab) < 1e-5);
        ref_state_destroy(batch);
        ref_state_destroy(step);
        ref_state_destroy(split);
    }
    mem_free(all);
    mem_free(one);
    mini_close(&mm);
}

static void test_tied_output_uses_token_embd(void **state)
{
    (void)state;
    struct mini mm;
    struct err err;
    mini_open(&mm, "mini-q8_0.gguf");
    struct ref_model tied = mm.m, explicit_embd = mm.m;
    tied.output.data = NULL;
    explicit_embd.output = mm.m.token_embd;
    float *a = mem_calloc(mm.m.n_vocab, sizeof(float)), *b = mem_calloc(mm.m.n_vocab, sizeof(float));
    struct ref_state *sa = NULL, *sb = NULL;
    const int32_t tokens[3] = {5, 6, 7};
    expect_ok(ref_state_create(&sa, &tied, 4, WTYPE_Q8_0, &err), &err);
    expect_ok(ref_state_create(&sb, &explicit_embd, 4, WTYPE_Q8_0, &err), &err);
    expect_ok(ref_forward(a, sa, &tied, tokens, 3, 0, false, &err), &err);
    expect_ok(ref_forward(b, sb, &explicit_embd, tokens, 3, 0, false, &err), &err);
    assert_memory_equal(a, b, mm.m.n_vocab * sizeof(float));
    ref_state_destroy(sa);
    ref_state_destroy(sb);
    mem_free(a);
    mem_free(b);
    mini_close(&mm);
}

static void test_forward_rejects_bad_tokens_and_full_context(void **state)
{
    (void)state;
    struct mini mm;
    struct err err;
    mini_open(&mm, "mini-q4_0.gguf");
    float *logits = mem_calloc(mm.m.n_vocab, sizeof(float));
    struct ref_state *s = NULL;
    expect_ok(ref_state_create(&s, &mm.m, 4, WTYPE_F16, &err), &err);
    const int32_t ok[3] = {1, 2, 3}, bad[2] = {1, 4096};
    assert_int_equal(ref_forward(logits, s, &mm.m, bad, 2, 0, false, &err), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "4096"));
    assert_int_equal(ref_forward(logits, s, &mm.m, ok, 0, 0, false, &err), AXVK_ERR_INVALID_ARGUMENT);
    expect_ok(ref_forward(logits, s, &mm.m, ok, 3, 0, false, &err), &err);
    assert_int_equal(ref_forward(logits, s, &mm.m, ok, 2, 3, false, &err), AXVK_ERR_CONTEXT_FULL);
    expect_ok(ref_forward(logits, s, &mm.m, ok, 1, 3, false, &err), &err);
    ref_state_destroy(s);
    assert_int_equal(ref_state_create(&s, &mm.m, 4, WTYPE_Q4_0, &err), AXVK_ERR_UNSUPPORTED);
    assert_null(s);
    mem_fail_after(1); /* the state struct, then the K cache fails */
    assert_int_equal(ref_state_create(&s, &mm.m, 4, WTYPE_F32, &err), AXVK_ERR_OUT_OF_HOST_MEMORY);
    mem_fail_after(-1);
    assert_null(s);
    ref_state_destroy(NULL);
    mem_free(logits);
    mini_close(&mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_ids_agree_with_llama_cpp_for_every_type),
        cmocka_unit_test(test_greedy_ids_match_llama_cpp_strictly_with_its_cpu_rounding),
        cmocka_unit_test(test_prefill_equals_token_by_token),
        cmocka_unit_test(test_tied_output_uses_token_embd),
        cmocka_unit_test(test_forward_rejects_bad_tokens_and_full_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
