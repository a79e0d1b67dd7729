/* test_tokenizer: the A.X 4.0 and Qwen2.5 tokenizers against ids made by Hugging Face
 * (testdata/tokenizer/vectors.jsonl, testdata/chat/prompt-ids.jsonl), round trips, streaming
 * decode, the GGUF-array constructor and speed. Synthetic and malformed files: in
 * test_tokenizer_files.c. Each real tokenizer is loaded once, in the group setup. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "test_tokenizer.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

#define AX_DIR AXVK_SHARED_DIR "/models/ax-4.0-light"
#define QWEN_DIR AXVK_SHARED_DIR "/models/qwen2.5"
#define VECTORS AXVK_SHARED_DIR "/testdata/tokenizer/vectors.jsonl"
#define PROMPT_IDS AXVK_SHARED_DIR "/testdata/chat/prompt-ids.jsonl"

static struct tokenizer *ax, *qwen;

static int load_both(void **state)
{
    (void)state;
    struct err e;
    err_clear(&e);
    if (tokenizer_load_dir(&ax, AX_DIR, &e) != AXVK_OK ||
        tokenizer_load_dir(&qwen, QWEN_DIR, &e) != AXVK_OK) {
        fprintf(stderr, "loading tokenizers: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int free_both(void **state)
{
    (void)state;
    tokenizer_destroy(ax);
    tokenizer_destroy(qwen);
    return 0;
}

/* Each line of a JSONL file, parsed, with the raw line kept as item "raw"; the caller deletes
 * the array. */
static cJSON *read_jsonl(const char *path)
{
    char *text = NULL;
    size_t size = 0;
    struct err e;
    if (file_read_all(path, &text, &size, &e) != AXVK_OK)
        fail_msg("%s: %s", path, e.msg);
    cJSON *all = cJSON_CreateArray();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *obj = cJSON_Parse(line);
        assert_non_null(obj);
        cJSON_AddStringToObject(obj, "raw", line);
        cJSON_AddItemToArray(all, obj);
    }
    mem_free(text);
    return all;
}

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

/* The text of a "text" string as bytes: cJSON stops strings at an escaped NUL, so the raw
 * line is decoded here (escapes, \uXXXX with surrogate pairs). */
static size_t raw_text(const char *line, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(line, pat);
    assert_non_null(p);
    p += strlen(pat);
    size_t o = 0;
    while (*p != '"') {
        assert_true(*p && o + 4 < cap);
        if (*p != '\\') {
            out[o++] = *p++;
            continue;
        }
        char c = p[1];
        p += 2;
        if (c != 'u') {
            out[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b'
                       : c == 'f' ? '\f' : c;
            continue;
        }
        uint32_t cp = (uint32_t)strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
            uint32_t lo = (uint32_t)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        }
        o += (size_t)utf8_encode(cp, (uint8_t *)out + o);
    }
    out[o] = '\0';
    return o;
}

static void encode_ok(struct tokenizer *tok, const char *text, size_t len, unsigned flags,
                      struct tokenizer_ids *ids)
{
    struct err e;
    err_clear(&e);
    ids->n = 0;
    if (tokenizer_encode(tok, text, len, flags, ids, &e) != AXVK_OK)
        fail_msg("encode: %s", e.msg);
}

/* Compares ids with a JSON array of expected ids; prints both on mismatch. */
static int ids_match(const struct tokenizer_ids *ids, const cJSON *want, const char *what)
{
    int n = cJSON_GetArraySize(want);
    int same = (size_t)n == ids->n;
    for (int i = 0; same && i < n; i++)
        same = cJSON_GetArrayItem(want, i)->valueint == ids->ids[i];
    if (!same) {
        fprintf(stderr, "mismatch for %.200s\n  want:", what);
        for (int i = 0; i < n; i++)
            fprintf(stderr, " %d", cJSON_GetArrayItem(want, i)->valueint);
        fprintf(stderr, "\n  got: ");
        for (size_t i = 0; i < ids->n; i++)
            fprintf(stderr, " %d", ids->ids[i]);
        fprintf(stderr, "\n");
    }
    return same;
}

static void check_vectors(struct tokenizer *tok, const char *field)
{
    cJSON *all = read_jsonl(VECTORS);
    struct tokenizer_ids ids = {0};
    int bad = 0, n = 0;
    const cJSON *v;
    static char text[1 << 16];
    cJSON_ArrayForEach(v, all) {
        size_t len = raw_text(str_field(v, "raw"), "text", text, sizeof text);
        encode_ok(tok, text, len, TOKENIZER_PARSE_SPECIAL, &ids);
        bad += !ids_match(&ids, cJSON_GetObjectItemCaseSensitive(v, field), text);
        n++;
    }
    assert_int_equal(n, 132);
    assert_int_equal(bad, 0);
    tokenizer_ids_free(&ids);
    cJSON_Delete(all);
}

static void test_ax_reproduces_hf_vectors(void **state)
{
    (void)state;
    check_vectors(ax, "ax");
}

static void test_qwen_reproduces_hf_vectors(void **state)
{
    (void)state;
    check_vectors(qwen, "qwen2_5");
}

static char *nfc_of(const char *text, size_t len, size_t *out_len)
{
    utf8proc_uint8_t *n = NULL;
    utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &n,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    assert_true(k >= 0);
    *out_len = (size_t)k;
    return (char *)n;
}

/* decode(encode(x)) == x; for Qwen, whose normalizer is NFC, == NFC(x). */
static void test_decode_inverts_encode(void **state)
{
    (void)state;
    cJSON *all = read_jsonl(VECTORS);
    struct tokenizer_ids ids = {0};
    static char text[1 << 16];
    const cJSON *v;
    cJSON_ArrayForEach(v, all) {
        size_t n = raw_text(str_field(v, "raw"), "text", text, sizeof text);
        struct tokenizer *toks[2] = {ax, qwen};
        for (int t = 0; t < 2; t++) {
            encode_ok(toks[t], text, n, TOKENIZER_PARSE_SPECIAL, &ids);
            char *out = NULL;
            size_t len = 0, want_len = n;
            assert_int_equal(tokenizer_decode(toks[t], ids.ids, ids.n, 0, &out, &len, NULL), AXVK_OK);
            char *nfc = t == 1 ? nfc_of(text, n, &want_len) : NULL;
            assert_int_equal(len, want_len);
            assert_memory_equal(out, nfc ? nfc : text, len);
            free(nfc);
            mem_free(out);
        }
    }
    tokenizer_ids_free(&ids);
    cJSON_Delete(all);
}

static void test_rendered_prompts_give_their_ids(void **state)
{
    (void)state;
    cJSON *all = read_jsonl(PROMPT_IDS);
    struct tokenizer_ids ids = {0};
    int bad = 0, n = 0, saw_translation = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, all) {
        const char *tmpl = str_field(v, "template");
        const char *text = str_field(v, "rendered");
        struct tokenizer *tok = strcmp(tmpl, "ax-4.0-light") == 0 ? ax : qwen;
        assert_true(tok == ax || strcmp(tmpl, "qwen2.5") == 0);
        encode_ok(tok, text, strlen(text), TOKENIZER_PARSE_SPECIAL, &ids);
        bad += !ids_match(&ids, cJSON_GetObjectItemCaseSensitive(v, "ids"), text);
        if (tok == ax && strcmp(str_field(v, "case"), "readme-translate") == 0) {
            assert_int_equal(ids.n, 41);
            saw_translation = 1;
        }
        n++;
    }
    assert_true(n > 0);
    assert_true(saw_translation);
    assert_int_equal(bad, 0);
    tokenizer_ids_free(&ids);
    cJSON_Delete(all);
}

/* Pushes ids one by one; every chunk must be whole UTF-8 and the chunks must add up to want. */
static void stream_equals(struct tokenizer *tok, const int32_t *ids, size_t n, const char *want,
                          size_t want_len)
{
    struct tokenizer_stream *s = NULL;
    assert_int_equal(tokenizer_stream_create(&s, tok, 0, NULL), AXVK_OK);
    char acc[4096];
    size_t o = 0;
    for (size_t i = 0; i <= n; i++) {
        const char *chunk;
        size_t len;
        if (i < n)
            assert_int_equal(tokenizer_stream_push(s, ids[i], &chunk, &len, NULL), AXVK_OK);
        else
            tokenizer_stream_flush(s, &chunk, &len);
        assert_int_equal(utf8_valid_prefix((const uint8_t *)chunk, len), len);
        assert_true(o + len <= sizeof acc);
        memcpy(acc + o, chunk, len);
        o += len;
    }
    assert_int_equal(o, want_len);
    assert_memory_equal(acc, want, o);
    tokenizer_stream_destroy(s);
}

/* Id of the byte-level token for a single byte. */
static int32_t byte_token(struct tokenizer *tok, uint8_t b)
{
    char s[2] = {(char)b, 0};
    int32_t id = b ? tokenizer_find_token(tok, s) : -1;
    assert_true(id >= 0);
    return id;
}

static void test_stream_holds_back_split_characters(void **state)
{
    (void)state;
    const char *texts[] = {"안녕하세요, 반갑습니다!", "🙂👍🏽🇰🇷 emoji 각 混合", "ㅋㅋㅋㅋㅋ ㅎㅎ 힣가"};
    struct tokenizer_ids ids = {0};
    for (size_t t = 0; t < 3; t++) {
        encode_ok(ax, texts[t], strlen(texts[t]), 0, &ids);
        stream_equals(ax, ids.ids, ids.n, texts[t], strlen(texts[t]));
        encode_ok(qwen, texts[t], strlen(texts[t]), 0, &ids);
        stream_equals(qwen, ids.ids, ids.n, texts[t], strlen(texts[t]));
        /* byte by byte: nothing may come out until a character is complete */
        int32_t bytes[256];
        size_t n = strlen(texts[t]);
        for (size_t i = 0; i < n; i++)
            bytes[i] = byte_token(ax, (uint8_t)texts[t][i]);
        stream_equals(ax, bytes, n, texts[t], n);
    }
    tokenizer_ids_free(&ids);
}

static void test_stream_replaces_impossible_bytes(void **state)
{
    (void)state;
    /* E4 then 'A': E4 can no longer complete -> U+FFFD at once; F0 9F cut off -> U+FFFD at flush */
    int32_t ids[] = {byte_token(ax, 0xE4), byte_token(ax, 'A'), byte_token(ax, 0xFF),
                     byte_token(ax, 0xF0), byte_token(ax, 0x9F)};
    struct tokenizer_stream *s = NULL;
    assert_int_equal(tokenizer_stream_create(&s, ax, 0, NULL), AXVK_OK);
    const char *chunk;
    size_t len;
    assert_int_equal(tokenizer_stream_push(s, ids[0], &chunk, &len, NULL), AXVK_OK);
    assert_int_equal(len, 0);
    assert_int_equal(tokenizer_stream_push(s, ids[1], &chunk, &len, NULL), AXVK_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(chunk, "\xEF\xBF\xBD" "A", 4);
    assert_int_equal(tokenizer_stream_push(s, ids[2], &chunk, &len, NULL), AXVK_OK);
    assert_int_equal(len, 3); /* FF is never valid */
    assert_int_equal(tokenizer_stream_push(s, ids[3], &chunk, &len, NULL), AXVK_OK);
    assert_int_equal(tokenizer_stream_push(s, ids[4], &chunk, &len, NULL), AXVK_OK);
    assert_int_equal(len, 0);
    tokenizer_stream_flush(s, &chunk, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(chunk, "\xEF\xBF\xBD", 3);
    assert_int_equal(tokenizer_stream_push(s, 102400, &chunk, &len, NULL), AXVK_ERR_TOKENIZER);
    tokenizer_stream_destroy(s);
}

static void test_special_tokens_parse_only_when_asked(void **state)
{
    (void)state;
    const char *text = "<|im_start|><|user|>hi<|im_end|><think>x</think>";
    struct tokenizer_ids ids = {0};
    encode_ok(ax, text, strlen(text), 0, &ids);
    /* special ones become plain text; <think> (not special) is still one token */
    for (size_t i = 0; i < ids.n; i++)
        assert_true(ids.ids[i] != 25 && ids.ids[i] != 8 && ids.ids[i] != 27);
    int think = 0;
    for (size_t i = 0; i < ids.n; i++)
        think += ids.ids[i] == 23 || ids.ids[i] == 22;
    assert_int_equal(think, 2);
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(tokenizer_decode(ax, ids.ids, ids.n, 0, &out, &len, NULL), AXVK_OK);
    assert_string_equal(out, text);
    mem_free(out);

    encode_ok(ax, text, strlen(text), TOKENIZER_PARSE_SPECIAL, &ids);
    assert_int_equal(ids.ids[0], 25);
    assert_int_equal(ids.ids[1], 8);
    assert_int_equal(tokenizer_decode(ax, ids.ids, ids.n, TOKENIZER_SKIP_SPECIAL, &out, &len, NULL),
                     AXVK_OK);
    assert_string_equal(out, "hi<think>x</think>");
    mem_free(out);
    int32_t bad = -5;
    assert_int_equal(tokenizer_decode(ax, &bad, 1, 0, &out, &len, NULL), AXVK_ERR_TOKENIZER);
    assert_null(out);
    tokenizer_ids_free(&ids);
}

static void test_vocabulary_facts(void **state)
{
    (void)state;
    assert_int_equal(tokenizer_n_vocab(ax), 102400);
    assert_int_equal(tokenizer_n_vocab(qwen), 151665);
    assert_int_equal(tokenizer_find_token(ax, "<|im_end|>"), 27);
    assert_int_equal(tokenizer_find_token(qwen, "<|im_end|>"), 151645);
    assert_int_equal(tokenizer_find_token(ax, " Hello"), 61412);
    assert_int_equal(tokenizer_find_token(ax, "no such token, surely"), -1);
    assert_int_equal(tokenizer_eos(ax), 27);
    assert_int_equal(tokenizer_eos(qwen), 151645);
    assert_true(tokenizer_is_eog(ax, 27) && tokenizer_is_eog(ax, 0));
    assert_false(tokenizer_is_eog(ax, 25));
    assert_true(tokenizer_is_eog(qwen, 151643) && tokenizer_is_eog(qwen, 151645));
    assert_true(tokenizer_is_special(ax, 27));
    assert_false(tokenizer_is_special(ax, 22)); /* </think> */
    assert_int_equal(tokenizer_token_type(ax, 27), TOKEN_TYPE_CONTROL);
    assert_int_equal(tokenizer_token_type(ax, 40), TOKEN_TYPE_USER_DEFINED);
    assert_int_equal(tokenizer_token_type(ax, 1000), TOKEN_TYPE_NORMAL);
    assert_string_equal(tokenizer_pre_name(ax), "gpt-2");
    assert_string_equal(tokenizer_pre_name(qwen), "qwen2");
    assert_false(tokenizer_normalizes_nfc(ax));
    assert_true(tokenizer_normalizes_nfc(qwen));
    assert_int_equal(tokenizer_n_merges(ax), 102103);
    assert_int_equal(tokenizer_n_merges(qwen), 151387);
    const char *p;
    size_t len;
    assert_true(tokenizer_token_text(ax, 61412, &p, &len));
    assert_int_equal(len, 7);
    assert_memory_equal(p, "\xC4\xA0" "Hello", 7); /* "ĠHello" */
    assert_true(tokenizer_token_bytes(ax, 61412, &p, &len));
    assert_int_equal(len, 6);
    assert_memory_equal(p, " Hello", 6);
    assert_false(tokenizer_token_text(ax, 102400, &p, &len));
}

/* The GGUF path: arrays as a GGUF holds them, built from the directory-loaded vocabulary. */
static void test_array_constructor_matches_directory_loader(void **state)
{
    (void)state;
    uint32_t nv = tokenizer_n_vocab(ax), nm = tokenizer_n_merges(ax);
    const char **tokens = calloc(nv, sizeof *tokens);
    uint32_t *lens = calloc(nv, sizeof *lens);
    int32_t *types = calloc(nv, sizeof *types);
    char **merges = calloc(nm, sizeof *merges);
    uint32_t *mlens = calloc(nm, sizeof *mlens);
    assert_true(tokens && lens && types && merges && mlens);
    for (uint32_t i = 0; i < nv; i++) {
        size_t len;
        assert_true(tokenizer_token_text(ax, (int32_t)i, &tokens[i], &len));
        lens[i] = (uint32_t)len;
        types[i] = tokenizer_token_type(ax, (int32_t)i);
    }
    for (uint32_t i = 0; i < nm; i++) {
        int32_t l, r;
        const char *lt, *rt;
        size_t ll = 0, rl = 0;
        assert_true(tokenizer_merge(ax, i, &l, &r));
        assert_true(tokenizer_token_text(ax, l, &lt, &ll));
        assert_true(tokenizer_token_text(ax, r, &rt, &rl));
        merges[i] = malloc(ll + rl + 2);
        memcpy(merges[i], lt, ll);
        merges[i][ll] = ' ';
        memcpy(merges[i] + ll + 1, rt, rl);
        mlens[i] = (uint32_t)(ll + rl + 1);
    }
    int32_t eog[] = {27, 0};
    struct tokenizer_desc d = {
        .n_tokens = nv, .tokens = tokens, .token_lens = lens, .token_types = types,
        .n_merges = nm, .merges = (const char *const *)merges, .merge_lens = mlens,
        .pre = "a.x-4.0", .eog_ids = eog, .n_eog_ids = 2,
    };
    struct tokenizer *g = NULL;
    struct err e;
    err_clear(&e);
    if (tokenizer_create(&g, &d, &e) != AXVK_OK)
        fail_msg("tokenizer_create: %s", e.msg);
    assert_string_equal(tokenizer_pre_name(g), "a.x-4.0");
    assert_int_equal(tokenizer_eos(g), 27);
    assert_true(tokenizer_is_eog(g, 0));

    cJSON *all = read_jsonl(VECTORS);
    struct tokenizer_ids a = {0}, b = {0};
    const cJSON *v;
    cJSON_ArrayForEach(v, all) {
        const char *text = str_field(v, "text");
        for (unsigned flags = 0; flags < 2; flags++) {
            encode_ok(ax, text, strlen(text), flags, &a);
            encode_ok(g, text, strlen(text), flags, &b);
            assert_int_equal(a.n, b.n);
            assert_memory_equal(a.ids, b.ids, a.n * sizeof *a.ids);
        }
    }
    cJSON_Delete(all);
    tokenizer_ids_free(&a);
    tokenizer_ids_free(&b);
    tokenizer_destroy(g);
    for (uint32_t i = 0; i < nm; i++)
        free(merges[i]);
    free(tokens);
    free(lens);
    free(types);
    free(merges);
    free(mlens);
}

/* Arbitrary bytes (broken UTF-8, NULs, lone continuation bytes) encode without loss. */
static void test_any_bytes_round_trip(void **state)
{
    (void)state;
    uint32_t seed = 0x2545F491u;
    struct tokenizer_ids ids = {0};
    for (int round = 0; round < 200; round++) {
        char buf[300];
        size_t n = 1 + round % 299;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1664525u + 1013904223u;
            /* mostly Hangul/ASCII bytes, some raw high bytes */
            uint32_t r = seed >> 24;
            buf[i] = (char)(r < 64 ? ' ' + (r % 90) : r < 200 ? 0xEA + (r % 3) : r);
        }
        encode_ok(ax, buf, n, TOKENIZER_PARSE_SPECIAL, &ids);
        char *out = NULL;
        size_t len = 0;
        assert_int_equal(tokenizer_decode(ax, ids.ids, ids.n, 0, &out, &len, NULL), AXVK_OK);
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);
        mem_free(out);
    }
    tokenizer_ids_free(&ids);
}

struct encode_job {
    const char *text;
    size_t len;
    struct tokenizer_ids ids;
    int rounds;
};

static void *encode_repeatedly(void *arg)
{
    struct encode_job *job = arg;
    for (int r = 0; r < job->rounds; r++) {
        job->ids.n = 0;
        if (tokenizer_encode(ax, job->text, job->len, TOKENIZER_PARSE_SPECIAL, &job->ids, NULL))
            return arg;
    }
    return NULL;
}

/* Encodes on several threads at once: the shared word cache must not mix their results. */
static void test_concurrent_encodes_agree(void **state)
{
    (void)state;
    char *card = NULL;
    size_t size = 0;
    assert_int_equal(file_read_all(AX_DIR "/README.md", &card, &size, NULL), AXVK_OK);
    struct tokenizer_ids want = {0};
    encode_ok(ax, card, size, TOKENIZER_PARSE_SPECIAL, &want);
    struct encode_job jobs[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (struct encode_job){.text = card, .len = size, .rounds = 20};
        assert_int_equal(pthread_create(&threads[i], NULL, encode_repeatedly, &jobs[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        void *failed = NULL;
        assert_int_equal(pthread_join(threads[i], &failed), 0);
        assert_null(failed);
        assert_int_equal(jobs[i].ids.n, want.n);
        assert_memory_equal(jobs[i].ids.ids, want.ids, want.n * sizeof *want.ids);
        tokenizer_ids_free(&jobs[i].ids);
    }
    tokenizer_ids_free(&want);
    mem_free(card);
}

/* The Korean lines of the A.X model card, repeated: what `axvk tokenize --bench` measures. */
static void test_bench_measures_korean_text(void **state)
{
    (void)state;
    char *card = NULL;
    size_t size = 0;
    assert_int_equal(file_read_all(AX_DIR "/README.md", &card, &size, NULL), AXVK_OK);
    size_t cap = 1 << 20, o = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    while (o < cap / 2) {
        for (char *line = card; line && *line;) {
            char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
            int korean = 0;
            for (size_t i = 0; i + 2 < len; i++)
                korean += (uint8_t)line[i] >= 0xEA && (uint8_t)line[i] <= 0xED;
            if (korean > 3 && o + len < cap) {
                memcpy(text + o, line, len);
                o += len;
            }
            line = nl ? nl + 1 : NULL;
        }
    }
    struct tokenizer_bench b;
    assert_int_equal(tokenizer_bench(ax, text, o, 0, 0.2, &b, NULL), AXVK_OK);
    assert_int_equal(b.bytes, o);
    assert_true(b.tokens > o / 20 && b.tokens < o);
    assert_true(b.passes >= 1 && b.mb_per_s > 0 && b.cold_mb_per_s > 0 && b.cpu_mb_per_s > 0);
    printf("A.X encode, Korean text (%zu bytes): cold %.1f MB/s, warm %.1f MB/s (%.1f per CPU "
           "second), %.0f tokens/s\n", o, b.cold_mb_per_s, b.mb_per_s, b.cpu_mb_per_s, b.tokens_per_s);
    free(text);
    mem_free(card);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ax_reproduces_hf_vectors),
        cmocka_unit_test(test_qwen_reproduces_hf_vectors),
        cmocka_unit_test(test_decode_inverts_encode),
        cmocka_unit_test(test_rendered_prompts_give_their_ids),
        cmocka_unit_test(test_stream_holds_back_split_characters),
        cmocka_unit_test(test_stream_replaces_impossible_bytes),
        cmocka_unit_test(test_special_tokens_parse_only_when_asked),
        cmocka_unit_test(test_vocabulary_facts),
        cmocka_unit_test(test_array_constructor_matches_directory_loader),
        cmocka_unit_test(test_any_bytes_round_trip),
        cmocka_unit_test(test_concurrent_encodes_agree),
        cmocka_unit_test(test_bench_measures_korean_text),
    };
    int failed = cmocka_run_group_tests_name("real tokenizers", tests, load_both, free_both);
    return failed + tokenizer_file_tests();
}
