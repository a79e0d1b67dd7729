/* test_model: whole models on the GPU. The mini GGUF files llama.cpp quantized give llama.cpp's
 * greedy tokens; tiny synthetic models of every weight type give the reference forward pass's
 * logits and greedy tokens; prefill, token-by-token feeding and batched decoding agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "axvk.h"
#include "base/alloc.h"
#include "base/mapfile.h"
#include "gpu_test.h"
#include "model/gguf.h"
#include "model/ref_model.h"
#include "model_test.h"

#define GGUF_DIR AXVK_SHARED_DIR "/testdata/gguf/"

static axvk_model *load_numerics(const char *path, uint32_t n_seq, const char *numerics)
{
    axvk_model *m = NULL;
    axvk_model_desc d = {.n_ctx = 256, .n_seq = n_seq, .numerics = numerics};
    model_test_expect(axvk_model_load(model_test_ctx, path, &d, &m));
    return m;
}

static axvk_model *load(const char *path, uint32_t n_seq)
{
    return load_numerics(path, n_seq, NULL);
}

static const axvk_sampling greedy = {0};

/* A model file loaded on the device and, from the same file, into the reference forward pass,
 * both with `numerics` (NULL: fp32). */
struct paired {
    struct gguf *g;
    struct ref_model_gguf rm;
    axvk_model *model;
};

static void paired_open(struct paired *p, const char *path, const char *numerics)
{
    struct err err = {0};
    assert_int_equal(gguf_open(&p->g, path, &err), AXVK_OK);
    if (ref_model_from_gguf(&p->rm, p->g, &err))
        fail_msg("%s", err.msg);
    p->rm.m.llama_cpu_rounding = numerics && !strcmp(numerics, "llama-cpu");
    p->model = load_numerics(path, 1, numerics);
}

static void paired_close(struct paired *p)
{
    axvk_model_destroy(p->model);
    ref_model_free(&p->rm);
    gguf_close(p->g);
}


/* ---- llama.cpp's greedy continuations ------------------------------------------------------- */

/* The mini models' random weights give attention scores of 100-170 with top-two gaps under 1, so
 * llama.cpp's rounding of q and of the attention probabilities to f16 (and of activations to 8
 * bits in quantized products) moves which position wins at some steps, whatever the final margin.
 * The fp32 reference agrees with llama.cpp on 330 of 371 steps (89%) and holds llama.cpp's ids
 * up to the first step under 0.15 in 35 of 50 cases; with llama.cpp's CPU rounding of the
 * products' inputs ("llama-cpu" numerics) 353 of 371 (95%) and 45 of 50 (test_ref_forward). The
 * GPU must give exactly the reference's token at every step in fp32, and so the same agreement
 * with llama.cpp; under llama-cpu it measured 354 of 371 and 45 of 50 on lavapipe. */
#define MIN_AGREE_FILE 0.60
#define MIN_AGREE_ALL 0.80
#define LLAMA_CPU_MIN_STRICT_CASES 44
#define LLAMA_CPU_MIN_AGREE_ALL 0.94
/* Rounding is discontinuous: where the GPU's and the reference's fp32 sums differ in the last bit
 * on either side of a rounding boundary, one quant moves by a step, and the random-weight
 * attention above can turn that into a different peak a few steps later. So under llama-cpu the
 * GPU may part from the reference at a few of the 1,200 steps (1 on lavapipe, where the
 * reference's top-two gap was 1.1); a missed or misplaced rounding parts at dozens. */
#define LLAMA_CPU_MAX_STEPS_OFF_REFERENCE 6

struct greedy_tally {
    int steps, agree;
    int cases, strict; /* strict: every id agrees before the case's first step under 0.15 */
    int off_reference; /* steps where the GPU's id is not the reference's */
};

/* One case teacher-forced on llama.cpp's ids, the GPU and the reference side by side. With
 * exact, a GPU id that is not the reference's fails the test; otherwise it is counted. */
static void greedy_case(axvk_session *s, struct ref_model_gguf *rm, const cJSON *c, int exact,
                        struct greedy_tally *t)
{
    const cJSON *p = cJSON_GetObjectItem(c, "prompt_ids"), *ids = cJSON_GetObjectItem(c, "ids"),
                *margins = cJSON_GetObjectItem(c, "margins");
    int n_prompt = cJSON_GetArraySize(p), n_ids = cJSON_GetArraySize(ids);
    int32_t *prompt = mem_calloc((size_t)n_prompt, sizeof *prompt);
    float *ref = mem_calloc(rm->m.n_vocab, sizeof *ref);
    struct ref_state *rs;
    struct err err = {0};
    assert_true(prompt && ref);
    for (int i = 0; i < n_prompt; i++)
        prompt[i] = cJSON_GetArrayItem(p, i)->valueint;
    assert_int_equal(ref_state_create(&rs, &rm->m, (size_t)(n_prompt + n_ids), 1 /* f16 */, &err), AXVK_OK);
    assert_int_equal(ref_forward(ref, rs, &rm->m, prompt, (size_t)n_prompt, 0, false, &err), AXVK_OK);
    uint32_t seq = 0;
    int decided = 1, strict = 1; /* no step under 0.15 yet; every id agreed so far */
    model_test_expect(axvk_session_clear(s, 0));
    model_test_expect(axvk_session_feed(s, 0, prompt, (size_t)n_prompt));
    for (int step = 0; step < n_ids; step++) {
        int32_t id, want = cJSON_GetArrayItem(ids, step)->valueint;
        model_test_expect(axvk_session_sample(s, &seq, 1, &greedy, &id));
        int32_t ref_id = model_test_argmax(ref, rm->m.n_vocab);
        if (exact && id != ref_id)
            fail_msg("prompt of %d, step %d: GPU chose %d, reference %d", n_prompt, step, id, ref_id);
        t->off_reference += id != ref_id;
        decided = decided && cJSON_GetArrayItem(margins, step)->valuedouble >= 0.15;
        strict = strict && (!decided || id == want);
        if (cJSON_GetArrayItem(margins, step)->valuedouble >= 0.15) {
            t->steps++;
            t->agree += id == want;
        }
        /* continue on llama.cpp's token so later steps compare like with like */
        model_test_expect(axvk_session_decode(s, &seq, &want, 1));
        assert_int_equal(ref_forward(ref, rs, &rm->m, &want, 1, (size_t)(n_prompt + step), false, &err),
                         AXVK_OK);
    }
    t->cases++;
    t->strict += strict;
    ref_state_destroy(rs);
    mem_free(prompt);
    mem_free(ref);
}

/* Every greedy.json case on the GPU and in the reference, both with `numerics` (NULL: fp32),
 * checked id for id against each other; the agreement with llama.cpp is summed into *all (and
 * each file's held to MIN_AGREE_FILE). */
static void greedy_all(const char *numerics, struct greedy_tally *all)
{
    static const char *const files[] = {"mini-f16.gguf", "mini-bf16.gguf", "mini-q8_0.gguf",
                                        "mini-q6_k.gguf", "mini-q5_k_m.gguf", "mini-q4_k_m.gguf",
                                        "mini-q5_1.gguf", "mini-q5_0.gguf", "mini-q4_1.gguf",
                                        "mini-q4_0.gguf"};
    char *text;
    assert_int_equal(file_read_all(GGUF_DIR "greedy.json", &text, NULL, NULL), AXVK_OK);
    cJSON *root = cJSON_Parse(text);
    mem_free(text);
    const cJSON *cases = cJSON_GetObjectItem(root, "cases"), *c;
    *all = (struct greedy_tally){0};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, GGUF_DIR "%s", files[f]);
        struct paired p;
        paired_open(&p, path, numerics);
        axvk_session *s;
        model_test_expect(axvk_session_create(p.model, NULL, &s));
        struct greedy_tally t = {0};
        cJSON_ArrayForEach(c, cases)
            if (!strcmp(cJSON_GetObjectItem(c, "model")->valuestring, files[f]))
                greedy_case(s, &p.rm, c, !p.rm.m.llama_cpu_rounding, &t);
        print_message("%-17s %d of %d greedy ids agree with llama.cpp, %d of %d cases strictly\n",
                      files[f], t.agree, t.steps, t.strict, t.cases);
        if (t.agree < MIN_AGREE_FILE * t.steps)
            fail_msg("%s: %d of %d ids agree with llama.cpp", files[f], t.agree, t.steps);
        all->steps += t.steps;
        all->agree += t.agree;
        all->cases += t.cases;
        all->strict += t.strict;
        all->off_reference += t.off_reference;
        axvk_session_destroy(s);
        paired_close(&p);
    }
    cJSON_Delete(root);
    print_message("all: %d of %d greedy ids agree with llama.cpp, %d of %d cases strictly; "
                  "%d steps off the reference\n", all->agree, all->steps, all->strict, all->cases,
                  all->off_reference);
    assert_true(all->steps > 100 && all->cases == 50);
}

static void test_greedy_ids_match_reference_and_llama_cpp_for_every_file(void **state)
{
    (void)state;
    struct greedy_tally all;
    greedy_all(NULL, &all);
    assert_true(all.agree >= MIN_AGREE_ALL * all.steps);
}

/* The strict check on the GPU: llama.cpp's greedy ids up to the first step whose margin is under
 * 0.15, with its rounding of activations emulated (and the reference doing the same, id for id). */
static void test_greedy_ids_match_llama_cpp_strictly_with_llama_cpu_numerics(void **state)
{
    (void)state;
    struct greedy_tally all;
    greedy_all("llama-cpu", &all);
    if (all.strict < LLAMA_CPU_MIN_STRICT_CASES)
        fail_msg("%d of %d cases hold llama.cpp's ids up to their first close step", all.strict,
                 all.cases);
    assert_true(all.agree >= LLAMA_CPU_MIN_AGREE_ALL * all.steps);
    if (all.off_reference > LLAMA_CPU_MAX_STEPS_OFF_REFERENCE)
        fail_msg("%d steps chose another id than the reference", all.off_reference);
}

/* ---- synthetic models against the reference forward pass ------------------------------------ */

static const char *const types[] = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1",
                                    "q5_0", "q5_1", "q4_k_s", "q5_k_s", "q6_k", "q4_k_m"};

static void synth(const char *type, const char *path)
{
    axvk_synth_desc d = {.n_vocab = 512, .dim = 256, .n_layers = 2, .n_head = 4, .n_kv_head = 2,
                         .ffn_dim = 512, .n_ctx = 512, .type = type, .seed = 11};
    if (axvk_model_synthesize(&d, path) != AXVK_OK)
        fail_msg("mkmodel %s: %s", type, axvk_errmsg(NULL));
}

/* A synthetic model of `type` (written as `tag`) on the device against the reference forward
 * pass with the same numerics: NMSE within the type's bound after the prefill of an 11-token
 * prompt (drawn with `seed`) and at each of `steps` greedy steps, and the reference's tokens. */
static void synthetic_against_reference(const char *type, const char *tag, const char *numerics,
                                        int steps, unsigned seed)
{
    enum { N_PROMPT = 11, VOCAB = 512 };
    int32_t prompt[N_PROMPT];
    srand(seed);
    for (int i = 0; i < N_PROMPT; i++)
        prompt[i] = 3 + rand() % (VOCAB - 3);
    char path[512];
    snprintf(path, sizeof path, AXVK_TEST_TMP "/model_%s.gguf", tag);
    synth(type, path);
    struct paired p;
    paired_open(&p, path, numerics);
    double bound = type[0] == 'q' ? 5e-4 : 1e-5;
    model_test_against_reference(p.model, &p.rm.m, prompt, N_PROMPT, steps, bound, 1, tag);
    paired_close(&p);
}

static void test_logits_and_greedy_match_reference_for_every_type(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        synthetic_against_reference(types[t], types[t], NULL, 32, 5);
}

/* The llama-cpu rounding on the device against the reference's, on synthetic models whose
 * attention is calm enough that a quant moved by a last-bit difference does not change a token:
 * each rounding (f16, bf16, q8_0 blocks, q8_K blocks with q4_k and q6_k mixed) through prefill
 * and decode. An unknown numerics name is refused. */
static void test_llama_cpu_numerics_follow_reference_on_synthetic_models(void **state)
{
    (void)state;
    static const char *const rounded[] = {"f16", "bf16", "q8_0", "q4_1", "q4_k_m"};
    for (size_t t = 0; t < sizeof rounded / sizeof rounded[0]; t++) {
        char tag[64];
        snprintf(tag, sizeof tag, "llama_cpu_%s", rounded[t]);
        synthetic_against_reference(rounded[t], tag, "llama-cpu", 16, 6);
    }
    axvk_model *m = NULL;
    axvk_model_desc d = {.numerics = "llama-gpu"};
    const char *path = AXVK_TEST_TMP "/model_llama_cpu_f16.gguf";
    assert_int_equal(axvk_model_load(model_test_ctx, path, &d, &m), AXVK_ERR_INVALID_ARGUMENT);
    assert_null(m);
    assert_non_null(strstr(axvk_errmsg(model_test_ctx), "llama-gpu"));
}

/* ---- the GPU paths against each other -------------------------------------------------------- */

static void test_prefill_equals_token_by_token_and_any_chunking(void **state)
{
    (void)state;
    enum { N = 40, VOCAB = 512 };
    static float whole[VOCAB], chunked[VOCAB], single[VOCAB];
    const char *path = AXVK_TEST_TMP "/model_q8_0.gguf";
    synth("q8_0", path);
    int32_t ids[N];
    for (int i = 0; i < N; i++)
        ids[i] = 7 + (i * 37) % 500;
    axvk_model *model = load(path, 1);
    axvk_session *a, *b, *c;
    axvk_session_desc small_batch = {.n_batch = 7};
    model_test_expect(axvk_session_create(model, NULL, &a));
    model_test_expect(axvk_session_create(model, &small_batch, &b));
    model_test_expect(axvk_session_create(model, NULL, &c));
    model_test_expect(axvk_session_feed(a, 0, ids, N));
    model_test_expect(axvk_session_feed(b, 0, ids, N));
    uint32_t seq = 0;
    model_test_expect(axvk_session_feed(c, 0, ids, 1));
    for (int i = 1; i < N; i++)
        model_test_expect(axvk_session_decode(c, &seq, &ids[i], 1));
    model_test_expect(axvk_session_logits(a, 0, whole, VOCAB));
    model_test_expect(axvk_session_logits(b, 0, chunked, VOCAB));
    model_test_expect(axvk_session_logits(c, 0, single, VOCAB));
    assert_true(gpu_test_nmse(chunked, whole, VOCAB) < 1e-9);
    assert_true(gpu_test_nmse(single, whole, VOCAB) < 1e-7);
    uint32_t n_past;
    model_test_expect(axvk_session_n_past(c, 0, &n_past));
    assert_int_equal(n_past, N);
    axvk_session_destroy(a);
    axvk_session_destroy(b);
    axvk_session_destroy(c);
    axvk_model_destroy(model);
}

static void test_sequences_decoded_together_equal_each_alone(void **state)
{
    (void)state;
    enum { VOCAB = 512, STEPS = 12 };
    static float together[VOCAB], alone[VOCAB];
    const char *path = AXVK_TEST_TMP "/model_q4_k_m.gguf";
    synth("q4_k_m", path);
    axvk_model *model = load(path, 3);
    axvk_session *batch, *solo;
    axvk_session_desc one = {.n_seq = 1};
    model_test_expect(axvk_session_create(model, NULL, &batch));
    model_test_expect(axvk_session_create(model, &one, &solo));
    const int32_t p0[] = {10, 20, 30, 40, 50}, p2[] = {99, 98, 97};
    model_test_expect(axvk_session_feed(batch, 0, p0, 5));
    model_test_expect(axvk_session_feed(batch, 2, p2, 3)); /* slot 1 stays empty */
    uint32_t seqs[2] = {0, 2}, zero = 0;
    int32_t next[2];
    for (int step = 0; step < STEPS; step++) {
        model_test_expect(axvk_session_sample(batch, seqs, 2, &greedy, next));
        model_test_expect(axvk_session_decode(batch, seqs, next, 2));
    }
    /* replay sequence 2 alone with the tokens the batch chose for it */
    model_test_expect(axvk_session_feed(solo, 0, p2, 3));
    model_test_expect(axvk_session_logits(batch, 2, together, VOCAB));
    uint32_t n_past;
    model_test_expect(axvk_session_n_past(batch, 2, &n_past));
    assert_int_equal(n_past, 3 + STEPS);
    assert_int_equal(axvk_session_n_past(batch, 1, &n_past), AXVK_OK);
    assert_int_equal(n_past, 0);
    axvk_session_destroy(solo);
    model_test_expect(axvk_session_create(model, &one, &solo));
    model_test_expect(axvk_session_feed(solo, 0, p2, 3));
    /* same greedy path alone */
    for (int step = 0; step < STEPS; step++) {
        int32_t id;
        model_test_expect(axvk_session_sample(solo, &zero, 1, &greedy, &id));
        model_test_expect(axvk_session_decode(solo, &zero, &id, 1));
    }
    model_test_expect(axvk_session_logits(solo, 0, alone, VOCAB));
    assert_true(gpu_test_nmse(together, alone, VOCAB) < 1e-9);
    axvk_session_destroy(batch);
    axvk_session_destroy(solo);
    axvk_model_destroy(model);
}

static void test_generation_stops_and_reports(void **state)
{
    (void)state;
    const char *path = AXVK_TEST_TMP "/model_f16.gguf";
    synth("f16", path);
    axvk_model *model = load(path, 1);
    axvk_session *s;
    model_test_expect(axvk_session_create(model, NULL, &s));
    const int32_t prompt[] = {100, 101, 102};
    axvk_generate_desc d = {.max_tokens = 9, .ignore_stop_ids = 1};
    axvk_generate_result r;
    model_test_expect(axvk_generate(s, 0, prompt, 3, &d, &r));
    assert_int_equal(r.finish, AXVK_FINISH_LENGTH);
    assert_int_equal(r.n_generated, 9);
    assert_int_equal(r.n_prompt, 3);
    uint32_t n_past;
    model_test_expect(axvk_session_n_past(s, 0, &n_past));
    assert_int_equal(n_past, 3 + 8); /* the last sampled token is not fed */
    /* a context full of tokens refuses more, and says so */
    int32_t many[300];
    for (int i = 0; i < 300; i++)
        many[i] = 5;
    assert_int_equal(axvk_session_feed(s, 0, many, 300), AXVK_ERR_CONTEXT_FULL);
    assert_non_null(strstr(axvk_errmsg(model_test_ctx), "context"));
    assert_int_equal(axvk_session_feed(s, 0, (int32_t[]){9999}, 1), AXVK_ERR_INVALID_ARGUMENT);
    axvk_session_destroy(s);
    axvk_model_destroy(model);
}

/* Runs 24 sampled tokens from a fresh sequence; the ids go to out. */
static void sample_run(axvk_session *s, const axvk_sampling *sp, int32_t *out)
{
    const int32_t prompt[] = {40, 41, 42, 43};
    uint32_t seq = 0;
    model_test_expect(axvk_session_clear(s, 0));
    model_test_expect(axvk_session_feed(s, 0, prompt, 4));
    for (int i = 0; i < 24; i++) {
        model_test_expect(axvk_session_sample(s, &seq, 1, sp, &out[i]));
        assert_true(out[i] >= 0 && out[i] < 512);
        model_test_expect(axvk_session_decode(s, &seq, &out[i], 1));
    }
}

static void test_sampling_is_seeded_and_penalties_apply(void **state)
{
    (void)state;
    const char *path = AXVK_TEST_TMP "/model_q8_0.gguf";
    synth("q8_0", path);
    axvk_model *model = load(path, 1);
    axvk_session *s;
    model_test_expect(axvk_session_create(model, NULL, &s));
    int32_t a[24], b[24], c[24], g[24], p[24];
    axvk_sampling hot = {.temperature = 1.5f, .top_k = 40, .top_p = 0.95f, .seed = 7};
    sample_run(s, &hot, a);
    sample_run(s, &hot, b);
    assert_memory_equal(a, b, sizeof a); /* same seed, same tokens */
    hot.seed = 8;
    sample_run(s, &hot, c);
    assert_true(memcmp(a, c, sizeof a) != 0);
    sample_run(s, &greedy, g);
    /* a strong repetition penalty over the whole window never repeats a token greedy repeats */
    axvk_sampling penalised = {.repeat_penalty = 1e6f, .presence_penalty = 1e3f, .penalty_last_n = 64};
    sample_run(s, &penalised, p);
    int greedy_repeats = 0;
    for (int i = 0; i < 24; i++)
        for (int j = 0; j < i; j++) {
            greedy_repeats += g[i] == g[j];
            assert_true(p[i] != p[j]);
        }
    assert_true(greedy_repeats > 0);
    axvk_session_destroy(s);
    axvk_model_destroy(model);
}

int main(void)
{
    /* These tests pin fp32 numerics: prefill through matmul equals feeding token by token through
     * matvec to 1e-9, and the device takes the reference's token at every step. Cooperative
     * matrices stage matmul inputs in f16, which these random-weight models amplify past that
     * (a 40-token prefill ends 1e-4 from token-by-token for f16 weights), so they are off here;
     * test_kernels_matmul holds them to the reference for every type, and test_model_synth runs
     * whole models through them. */
    if (model_test_open("coopmat"))
        return GPU_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_ids_match_reference_and_llama_cpp_for_every_file),
        cmocka_unit_test(test_greedy_ids_match_llama_cpp_strictly_with_llama_cpu_numerics),
        cmocka_unit_test(test_logits_and_greedy_match_reference_for_every_type),
        cmocka_unit_test(test_llama_cpu_numerics_follow_reference_on_synthetic_models),
        cmocka_unit_test(test_prefill_equals_token_by_token_and_any_chunking),
        cmocka_unit_test(test_sequences_decoded_together_equal_each_alone),
        cmocka_unit_test(test_generation_stops_and_reports),
        cmocka_unit_test(test_sampling_is_seeded_and_penalties_apply),
    };
    return model_test_close(cmocka_run_group_tests(tests, NULL, NULL));
}
