/* test_server_api: the public calls the server is built on, through include/axvk.h only —
 * per-sequence sampling with top logprobs (against the log-softmax of the logits), mixed
 * settings in one call (each sequence as if drawn alone), the streaming detokenizer (never a
 * split character; the pieces spell the text) and the stop-string matcher (prefixes held back,
 * the text cut at the first match, whatever the chunking). On a tiny synthetic model that embeds
 * the A.X tokenizer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "axvk.h"
#include "server/reply.h"

#define MODEL_PATH AXVK_TEST_TMP "/server_api.gguf"

static axvk_context *ctx;
static axvk_model *model;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rand_u32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void expect(axvk_status s)
{
    if (s != AXVK_OK)
        fail_msg("%s: %s / %s", axvk_status_str(s), axvk_errmsg(ctx), axvk_errmsg(NULL));
}

static void random_prompt(int32_t *ids, size_t n, uint32_t n_vocab)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)(300 + rand_u32() % (n_vocab - 300)); /* past the added and byte tokens */
}

/* Log-softmax of one row, in double. */
static void log_softmax(const float *x, double *out, size_t n)
{
    double mx = x[0], sum = 0;
    for (size_t i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (size_t i = 0; i < n; i++)
        sum += exp(x[i] - mx);
    for (size_t i = 0; i < n; i++)
        out[i] = x[i] - mx - log(sum);
}

static void test_logprobs_are_the_log_softmax_of_the_logits(void **state)
{
    axvk_model_info info;
    expect(axvk_model_get_info(model, &info));
    axvk_session *s;
    axvk_session_desc sd = {.n_ctx = 64, .n_seq = 3};
    expect(axvk_session_create(model, &sd, &s));
    uint32_t seqs[3] = {0, 1, 2};
    float *logits = malloc(info.n_vocab * sizeof *logits);
    double *lsm = malloc(3 * info.n_vocab * sizeof *lsm);
    for (uint32_t q = 0; q < 3; q++) {
        int32_t prompt[7];
        random_prompt(prompt, 3 + q * 2, info.n_vocab);
        expect(axvk_session_feed(s, q, prompt, 3 + q * 2));
        expect(axvk_session_logits(s, q, logits, info.n_vocab));
        log_softmax(logits, lsm + (size_t)q * info.n_vocab, info.n_vocab);
    }
    axvk_sampling greedy[3] = {{0}};
    int32_t ids[3];
    axvk_sample_logprobs lp[3];
    const uint32_t k = 7;
    expect(axvk_session_sample_each(s, seqs, 3, greedy, k, ids, lp));
    for (uint32_t q = 0; q < 3; q++) {
        const double *row = lsm + (size_t)q * info.n_vocab;
        size_t best = 0;
        for (size_t i = 1; i < info.n_vocab; i++)
            best = row[i] > row[best] ? i : best;
        assert_int_equal(ids[q], (int32_t)best);
        assert_int_equal(lp[q].chosen.id, (int32_t)best);
        assert_float_equal(lp[q].chosen.logprob, row[best], 1e-3);
        for (uint32_t j = 0; j < k; j++) {
            int32_t id = lp[q].top[j].id;
            assert_true(id >= 0 && (uint32_t)id < info.n_vocab);
            assert_float_equal(lp[q].top[j].logprob, row[id], 1e-3);
            if (j)
                assert_true(lp[q].top[j].logprob <= lp[q].top[j - 1].logprob);
            /* no token outside the list is more likely than its last entry */
            size_t above = 0;
            for (size_t i = 0; i < info.n_vocab; i++)
                above += row[i] > row[id] + 1e-4;
            assert_true(above <= j);
        }
    }
    free(logits);
    free(lsm);
    axvk_session_destroy(s);
}

static void test_mixed_settings_draw_as_each_alone(void **state)
{
    axvk_model_info info;
    expect(axvk_model_get_info(model, &info));
    axvk_session *s;
    axvk_session_desc sd = {.n_ctx = 64, .n_seq = 3};
    expect(axvk_session_create(model, &sd, &s));
    int32_t prompts[3][5];
    for (uint32_t q = 0; q < 3; q++) {
        random_prompt(prompts[q], 5, info.n_vocab);
        expect(axvk_session_feed(s, q, prompts[q], 5));
    }
    axvk_sampling mixed[3] = {{0}, {.temperature = 1.5f, .seed = 1 + rand_u32()},
                              {.temperature = 0.7f, .top_k = 3, .repeat_penalty = 1.3f,
                               .presence_penalty = 0.5f, .seed = 1 + rand_u32()}};
    uint32_t seqs[3] = {0, 1, 2};
    int32_t together[3][4], alone[3][4];
    /* four steps of all three together */
    for (int step = 0; step < 4; step++) {
        int32_t ids[3];
        expect(axvk_session_sample_each(s, seqs, 3, mixed, 0, ids, NULL));
        for (uint32_t q = 0; q < 3; q++)
            together[q][step] = ids[q];
        expect(axvk_session_decode(s, seqs, ids, 3));
    }
    /* then each sequence again from its prompt, on its own */
    for (uint32_t q = 0; q < 3; q++) {
        expect(axvk_session_clear(s, q));
        expect(axvk_session_feed(s, q, prompts[q], 5));
        for (int step = 0; step < 4; step++) {
            expect(axvk_session_sample_each(s, &q, 1, &mixed[q], 0, &alone[q][step], NULL));
            expect(axvk_session_decode(s, &q, &alone[q][step], 1));
        }
    }
    assert_memory_equal(together, alone, sizeof together);
    /* settings are checked */
    int32_t id;
    assert_int_equal(axvk_session_sample_each(s, seqs, 1, mixed, AXVK_MAX_LOGPROBS + 1, &id, NULL),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(axvk_session_sample_each(s, seqs, 1, mixed, 2, &id, NULL),
                     AXVK_ERR_INVALID_ARGUMENT);
    axvk_session_destroy(s);
}

static void test_detok_stream_never_splits_a_character(void **state)
{
    /* emoji and rare Hangul fall back to byte tokens in the A.X vocabulary */
    static const char *const texts[] = {"서울 🦙 날씨 똠방각하 😀!", "plain ascii", "𝄞 clef ꙮ"};
    int split_seen = 0;
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        int32_t *ids;
        size_t n;
        expect(axvk_tokenize(model, texts[t], strlen(texts[t]), 0, &ids, &n));
        axvk_detok_stream *ds;
        expect(axvk_detok_stream_create(model, 0, &ds));
        char out[256] = "";
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            const char *piece;
            size_t piece_len;
            expect(axvk_detok_stream_push(ds, ids[i], &piece, &piece_len));
            assert_true(reply_utf8_valid(piece, piece_len));
            char *single;
            size_t single_len;
            expect(axvk_detokenize(model, &ids[i], 1, 0, &single, &single_len));
            split_seen |= !reply_utf8_valid(single, single_len);
            axvk_free(single);
            assert_true(len + piece_len < sizeof out);
            memcpy(out + len, piece, piece_len);
            len += piece_len;
        }
        const char *rest;
        size_t rest_len;
        axvk_detok_stream_flush(ds, &rest, &rest_len);
        assert_int_equal(rest_len, 0);
        out[len] = '\0';
        assert_string_equal(out, texts[t]);
        /* an id outside the vocabulary fails the push, not the stream */
        const char *piece;
        size_t piece_len;
        assert_int_not_equal(axvk_detok_stream_push(ds, 1 << 30, &piece, &piece_len), AXVK_OK);
        assert_non_null(strstr(axvk_errmsg(NULL), "1073741824"));
        axvk_detok_stream_destroy(ds);
        axvk_free(ids);
    }
    assert_true(split_seen); /* the texts did exercise hold-back */
}

static void test_stop_matcher_cuts_at_the_first_match_in_any_chunking(void **state)
{
    static const char *const stops[] = {"<end>", "", "XYZ", "end of"};
    for (int round = 0; round < 200; round++) {
        /* random lowercase text with one stop string planted at a random place */
        char text[96];
        size_t len = 20 + rand_u32() % 60, at = rand_u32() % (len - 10);
        for (size_t i = 0; i < len; i++)
            text[i] = (char)('a' + rand_u32() % 4);
        const char *stop = stops[rand_u32() % 2 ? 0 : 2];
        memcpy(text + at, stop, strlen(stop));
        axvk_stop_matcher *m;
        expect(axvk_stop_matcher_create(stops, 4, &m));
        char out[96];
        size_t out_len = 0, pos = 0;
        int matched = 0;
        while (pos < len && !matched) {
            size_t chunk = 1 + rand_u32() % 6;
            chunk = chunk > len - pos ? len - pos : chunk;
            const char *emit;
            size_t emit_len;
            expect(axvk_stop_matcher_push(m, text + pos, chunk, &emit, &emit_len, &matched));
            memcpy(out + out_len, emit, emit_len);
            out_len += emit_len;
            pos += chunk;
            assert_true(out_len <= pos);
        }
        assert_true(matched);
        assert_int_equal(out_len, at);
        assert_memory_equal(out, text, at);
        axvk_stop_matcher_destroy(m);
    }
    /* a held-back prefix comes out at the end when no stop string completes it */
    axvk_stop_matcher *m;
    const char *emit;
    size_t emit_len;
    int matched;
    expect(axvk_stop_matcher_create(stops, 4, &m));
    expect(axvk_stop_matcher_push(m, "ab<en", 5, &emit, &emit_len, &matched));
    assert_int_equal(emit_len, 2);
    assert_false(matched);
    axvk_stop_matcher_flush(m, &emit, &emit_len);
    assert_int_equal(emit_len, 3);
    assert_memory_equal(emit, "<en", 3);
    axvk_stop_matcher_destroy(m);
    /* no stop strings: everything passes at once */
    expect(axvk_stop_matcher_create(NULL, 0, &m));
    expect(axvk_stop_matcher_push(m, "<end>", 5, &emit, &emit_len, &matched));
    assert_int_equal(emit_len, 5);
    axvk_stop_matcher_destroy(m);
}

int main(void)
{
    axvk_synth_desc sd = {.dim = 64, .n_layers = 2, .n_head = 2, .n_kv_head = 1, .ffn_dim = 128,
                          .seed = 5, .tokenizer_dir = AXVK_SHARED_DIR "/models/ax-4.0-light"};
    if (axvk_model_synthesize(&sd, MODEL_PATH) != AXVK_OK) {
        fprintf(stderr, "test_server_api: %s\n", axvk_errmsg(NULL));
        return 1;
    }
    axvk_status st = axvk_context_create(NULL, &ctx);
    if (st == AXVK_ERR_NO_VULKAN || st == AXVK_ERR_NO_DEVICE) {
        fprintf(stderr, "test_server_api: %s: skipped\n", axvk_errmsg(NULL));
        return 77;
    }
    axvk_model_desc md = {.n_ctx = 64, .n_seq = 3};
    if (st || axvk_model_load(ctx, MODEL_PATH, &md, &model)) {
        fprintf(stderr, "test_server_api: %s\n", st ? axvk_errmsg(NULL) : axvk_errmsg(ctx));
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logprobs_are_the_log_softmax_of_the_logits),
        cmocka_unit_test(test_mixed_settings_draw_as_each_alone),
        cmocka_unit_test(test_detok_stream_never_splits_a_character),
        cmocka_unit_test(test_stop_matcher_cuts_at_the_first_match_in_any_chunking),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    axvk_model_destroy(model);
    axvk_context_destroy(ctx);
    return failed;
}
