/* test_tokenizer_files: small synthetic tokenizers that pin HF semantics (merge order, added-token
 * stripping, single_word, NFC, Oniguruma's \s), malformed files and arrays that must fail with a
 * clear status, and allocation failures. Files are written under the test build directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "test_tokenizer.h"
#include "text/bpe.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

#define TMP AXVK_TEST_TMP "/tokenizer_files"

/* Byte-level spelling of a byte string ("a b" -> "aĠb"). */
static void spell(const char *s, char *out)
{
    size_t o = 0;
    for (; *s; s++)
        o += (size_t)utf8_encode(bpe_byte_to_cp((uint8_t)*s), (uint8_t *)out + o);
    out[o] = '\0';
}

/* A tokenizer.json: the 256 byte tokens at ids 0..255 (id == byte), `extra` tokens (given as
 * bytes) from 256 on, merges given as "left right" byte strings, GPT-2 ByteLevel split. */
static cJSON *synth(const char *const *extra, int n_extra, const char *const *merges, int n_merges)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
    char buf[64];
    for (int b = 1; b < 256; b++) {
        char one[2] = {(char)b, 0};
        spell(one, buf);
        cJSON_AddNumberToObject(vocab, buf, b);
    }
    cJSON_AddNumberToObject(vocab, "\xC4\x80", 0); /* byte 0 is U+0100 */
    for (int i = 0; i < n_extra; i++) {
        spell(extra[i], buf);
        cJSON_AddNumberToObject(vocab, buf, 256 + i);
    }
    cJSON *m = cJSON_AddArrayToObject(model, "merges");
    for (int i = 0; i < n_merges; i++) {
        char l[32], r[32], line[64];
        const char *sp = strchr(merges[i], '|');
        snprintf(l, sizeof l, "%.*s", (int)(sp - merges[i]), merges[i]);
        spell(l, line);
        strcat(line, " ");
        spell(sp + 1, r);
        strcat(line, r);
        cJSON_AddItemToArray(m, cJSON_CreateString(line));
    }
    cJSON_AddArrayToObject(root, "added_tokens");
    cJSON_AddNullToObject(root, "normalizer");
    cJSON *pt = cJSON_AddObjectToObject(root, "pre_tokenizer");
    cJSON_AddStringToObject(pt, "type", "ByteLevel");
    cJSON_AddBoolToObject(pt, "add_prefix_space", false);
    cJSON_AddBoolToObject(pt, "use_regex", true);
    return root;
}

static void add_added(cJSON *root, int id, const char *content, int special, int lstrip, int rstrip,
                      int single_word)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddNumberToObject(a, "id", id);
    cJSON_AddStringToObject(a, "content", content);
    cJSON_AddBoolToObject(a, "single_word", single_word);
    cJSON_AddBoolToObject(a, "lstrip", lstrip);
    cJSON_AddBoolToObject(a, "rstrip", rstrip);
    cJSON_AddBoolToObject(a, "normalized", false);
    cJSON_AddBoolToObject(a, "special", special);
    cJSON_AddItemToArray(cJSON_GetObjectItem(root, "added_tokens"), a);
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[1024];
    mkdir(TMP, 0755);
    mkdir(dir, 0755);
    assert_true(snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    write_file(dir, name, text, strlen(text));
}

/* Writes root as <TMP>/<name>/tokenizer.json (deleting root) and returns the directory. */
static const char *write_json(const char *name, cJSON *root)
{
    static char dir[512];
    snprintf(dir, sizeof dir, TMP "/%s", name);
    char *text = cJSON_PrintUnformatted(root);
    write_file(dir, "tokenizer.json", text, strlen(text));
    free(text);
    cJSON_Delete(root);
    return dir;
}

static struct tokenizer *load_ok(const char *dir)
{
    struct tokenizer *tok = NULL;
    struct err e;
    err_clear(&e);
    if (tokenizer_load_dir(&tok, dir, &e) != AXVK_OK)
        fail_msg("%s: %s", dir, e.msg);
    return tok;
}

static void load_fails(const char *dir, axvk_status want, const char *needle)
{
    struct tokenizer *tok = NULL;
    struct err e;
    err_clear(&e);
    axvk_status s = tokenizer_load_dir(&tok, dir, &e);
    if (s != want || !strstr(e.msg, needle))
        fail_msg("%s: got status %d '%s', want %d with '%s'", dir, s, e.msg, want, needle);
    assert_null(tok);
}

static void expect_ids(struct tokenizer *tok, const char *text, unsigned flags, const int32_t *want,
                       size_t n)
{
    struct tokenizer_ids ids = {0};
    assert_int_equal(tokenizer_encode(tok, text, strlen(text), flags, &ids, NULL), AXVK_OK);
    if (ids.n != n || memcmp(ids.ids, want, n * sizeof *want) != 0) {
        fprintf(stderr, "'%s':", text);
        for (size_t i = 0; i < ids.n; i++)
            fprintf(stderr, " %d", ids.ids[i]);
        fprintf(stderr, "\n");
        fail_msg("unexpected ids for '%s'", text);
    }
    tokenizer_ids_free(&ids);
}

static void test_bpe_merges_lowest_rank_first(void **state)
{
    (void)state;
    const char *extra[] = {"ab", "bc"};
    const char *merges[] = {"b|c", "a|b"};
    struct tokenizer *tok = load_ok(write_json("rank", synth(extra, 2, merges, 2)));
    expect_ids(tok, "abc", 0, (int32_t[]){'a', 257}, 2);
    expect_ids(tok, "abab", 0, (int32_t[]){256, 256}, 2);
    tokenizer_destroy(tok);
}

static void test_bpe_equal_pairs_merge_leftmost(void **state)
{
    (void)state;
    const char *extra[] = {"aa"};
    const char *merges[] = {"a|a"};
    struct tokenizer *tok = load_ok(write_json("leftmost", synth(extra, 1, merges, 1)));
    expect_ids(tok, "aaa", 0, (int32_t[]){256, 'a'}, 2);
    expect_ids(tok, "aaaaa", 0, (int32_t[]){256, 256, 'a'}, 3);
    tokenizer_destroy(tok);
}

/* HF collects merges into a map in file order: a pair listed twice keeps its last rank. */
static void test_repeated_merge_keeps_last_rank(void **state)
{
    (void)state;
    const char *extra[] = {"ab", "bc"};
    const char *once[] = {"a|b", "b|c"};
    const char *twice[] = {"a|b", "b|c", "a|b"};
    struct tokenizer *tok = load_ok(write_json("once", synth(extra, 2, once, 2)));
    expect_ids(tok, "abc", 0, (int32_t[]){256, 'c'}, 2);
    tokenizer_destroy(tok);
    tok = load_ok(write_json("twice", synth(extra, 2, twice, 3)));
    expect_ids(tok, "abc", 0, (int32_t[]){'a', 257}, 2);
    assert_int_equal(tokenizer_n_merges(tok), 3);
    tokenizer_destroy(tok);
}

/* "a   b": \s+(?!\S) leaves the last space to join " b" (GPT-2 and Qwen2 regexes alike). */
static void test_trailing_space_joins_next_word(void **state)
{
    (void)state;
    const char *extra[] = {"  ", " b"};
    const char *merges[] = {" | ", " |b"};
    struct tokenizer *tok = load_ok(write_json("spaces", synth(extra, 2, merges, 2)));
    expect_ids(tok, "a   b", 0, (int32_t[]){'a', 256, 257}, 3);
    expect_ids(tok, "a  ", 0, (int32_t[]){'a', 256}, 2);
    expect_ids(tok, "a \n b", 0, (int32_t[]){'a', ' ', '\n', 257}, 4);
    tokenizer_destroy(tok);
}

/* Oniguruma's \s has no U+180E (PCRE2's does): " \u180E" must stay one word, so " " + E1 merge. */
static void test_space_class_follows_oniguruma(void **state)
{
    (void)state;
    const char *extra[] = {" \xE1"};
    const char *merges[] = {" |\xE1"};
    struct tokenizer *tok = load_ok(write_json("mvs", synth(extra, 1, merges, 1)));
    expect_ids(tok, " \xE1\xA0\x8E" "b", 0, (int32_t[]){256, 0xA0, 0x8E, 'b'}, 4);
    /* U+3000 is a space for both: "a\u3000b" splits before the ideographic space */
    expect_ids(tok, "a\xE3\x80\x80" "b", 0, (int32_t[]){'a', 0xE3, 0x80, 0x80, 'b'}, 5);
    tokenizer_destroy(tok);
}

static void test_added_token_strips_whitespace(void **state)
{
    (void)state;
    cJSON *root = synth(NULL, 0, NULL, 0);
    add_added(root, 256, "<m>", 1, 1, 1, 0);
    struct tokenizer *tok = load_ok(write_json("strip", root));
    expect_ids(tok, " x <m>  y", TOKENIZER_PARSE_SPECIAL, (int32_t[]){' ', 'x', 256, 'y'}, 4);
    /* without PARSE_SPECIAL it is text, spaces and all */
    expect_ids(tok, "x <m>", 0, (int32_t[]){'x', ' ', '<', 'm', '>'}, 5);
    tokenizer_destroy(tok);
}

static void test_single_word_token_skips_inside_words(void **state)
{
    (void)state;
    cJSON *root = synth(NULL, 0, NULL, 0);
    add_added(root, 256, "ab", 0, 0, 0, 1);
    add_added(root, 257, "abc", 0, 0, 0, 0);
    struct tokenizer *tok = load_ok(write_json("single", root));
    expect_ids(tok, "ab cab ab.", 0, (int32_t[]){256, ' ', 'c', 'a', 'b', ' ', 256, '.'}, 8);
    /* longest match first: "abc" wins over "ab" at the same position */
    expect_ids(tok, "xabcx", 0, (int32_t[]){'x', 257, 'x'}, 3);
    tokenizer_destroy(tok);
}

static void test_nfc_normalizer_composes_before_bpe(void **state)
{
    (void)state;
    cJSON *root = synth(NULL, 0, NULL, 0);
    cJSON_ReplaceItemInObject(root, "normalizer", cJSON_Parse("{\"type\": \"NFC\"}"));
    struct tokenizer *tok = load_ok(write_json("nfc", root));
    assert_true(tokenizer_normalizes_nfc(tok));
    /* e + U+0301 -> U+00E9 (C3 A9); Hangul jamo -> one syllable (EA B0 81) */
    expect_ids(tok, "e\xCC\x81", 0, (int32_t[]){0xC3, 0xA9}, 2);
    expect_ids(tok, "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", 0, (int32_t[]){0xEA, 0xB0, 0x81}, 3);
    tokenizer_destroy(tok);
}

static void test_split_regex_comes_from_the_file(void **state)
{
    (void)state;
    const char *extra[] = {"12"};
    const char *merges[] = {"1|2"};
    cJSON *root = synth(extra, 1, merges, 1);
    struct tokenizer *gpt2 = load_ok(write_json("gpt2", cJSON_Duplicate(root, 1)));
    expect_ids(gpt2, "12", 0, (int32_t[]){256}, 1);
    assert_string_equal(tokenizer_pre_name(gpt2), "gpt-2");
    tokenizer_destroy(gpt2);

    /* Qwen2's regex splits digits one by one */
    cJSON *seq = cJSON_Parse("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
                             "\"pattern\": {\"Regex\": \"\"}, \"behavior\": \"Isolated\", \"invert\": "
                             "false}, {\"type\": \"ByteLevel\", \"use_regex\": false}]}");
    cJSON *pat = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(seq, "pretokenizers"), 0),
                                     "pattern");
    cJSON_ReplaceItemInObject(pat, "Regex",
                              cJSON_CreateString("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
                                                 "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
                                                 "\\s+(?!\\S)|\\s+"));
    cJSON_ReplaceItemInObject(root, "pre_tokenizer", seq);
    cJSON_ReplaceItemInObject(root, "normalizer", cJSON_Parse("{\"type\": \"NFC\"}"));
    struct tokenizer *q = load_ok(write_json("qwen2", root));
    expect_ids(q, "12", 0, (int32_t[]){'1', '2'}, 2);
    assert_string_equal(tokenizer_pre_name(q), "qwen2");
    tokenizer_destroy(q);
}

/* BPE model options of tokenizer.json: ignore_merges takes a whole word found in the vocabulary
 * (even one the merges cannot build); unk_token stands in for bytes without a token. */
static void test_bpe_model_options_follow_hf(void **state)
{
    (void)state;
    const char *extra[] = {"xyz"};
    cJSON *root = synth(extra, 1, NULL, 0);
    struct tokenizer *plain = load_ok(write_json("plain", cJSON_Duplicate(root, 1)));
    expect_ids(plain, "xyz", 0, (int32_t[]){'x', 'y', 'z'}, 3);
    tokenizer_destroy(plain);
    cJSON_AddBoolToObject(cJSON_GetObjectItem(root, "model"), "ignore_merges", true);
    struct tokenizer *whole = load_ok(write_json("ignore", root));
    expect_ids(whole, "xyz xy", 0, (int32_t[]){256, ' ', 'x', 'y'}, 4);
    tokenizer_destroy(whole);

    root = synth(NULL, 0, NULL, 0);
    cJSON *model = cJSON_GetObjectItem(root, "model");
    cJSON *vocab = cJSON_GetObjectItem(model, "vocab");
    cJSON_DeleteItemFromObjectCaseSensitive(vocab, "q");
    cJSON_AddNumberToObject(vocab, "<unk>", 'q');
    cJSON_AddStringToObject(model, "unk_token", "<unk>");
    cJSON_AddBoolToObject(model, "fuse_unk", true);
    struct tokenizer *unk = load_ok(write_json("unk", root));
    expect_ids(unk, "aqqb", 0, (int32_t[]){'a', 'q', 'b'}, 3);
    tokenizer_destroy(unk);
}

/* Files that must be refused with a status saying why. */
static void test_malformed_files_are_refused(void **state)
{
    (void)state;
    cJSON *root = synth(NULL, 0, NULL, 0);
    char *text = cJSON_PrintUnformatted(root);
    write_file(TMP "/truncated", "tokenizer.json", text, strlen(text) / 2);
    free(text);
    cJSON_Delete(root);
    load_fails(TMP "/truncated", AXVK_ERR_BAD_FILE, "invalid JSON");

    const char *unknown[] = {"a|zz"};
    load_fails(write_json("unknown", synth(NULL, 0, unknown, 1)), AXVK_ERR_TOKENIZER, "zz");
    const char *no_result[] = {"x|y"};
    load_fails(write_json("noresult", synth(NULL, 0, no_result, 1)), AXVK_ERR_TOKENIZER, "xy");

    root = synth(NULL, 0, NULL, 0);
    cJSON_AddNumberToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "model"), "vocab"), "zz",
                            99999999);
    load_fails(write_json("range", root), AXVK_ERR_TOKENIZER, "out of range");
    root = synth(NULL, 0, NULL, 0);
    cJSON_AddNumberToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "model"), "vocab"), "zz", 97);
    load_fails(write_json("dup", root), AXVK_ERR_TOKENIZER, "97");
    root = synth(NULL, 0, NULL, 0);
    cJSON_AddNumberToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "model"), "vocab"), "zz", -3);
    load_fails(write_json("negative", root), AXVK_ERR_BAD_FILE, "zz");
    root = synth(NULL, 0, NULL, 0);
    add_added(root, 97, "<x>", 1, 0, 0, 0);
    load_fails(write_json("conflict", root), AXVK_ERR_TOKENIZER, "<x>");
    root = synth(NULL, 0, NULL, 0);
    add_added(root, 256, "<x>", 1, 0, 0, 0);
    add_added(root, 256, "<y>", 1, 0, 0, 0);
    load_fails(write_json("twice", root), AXVK_ERR_TOKENIZER, "256");

    root = synth(NULL, 0, NULL, 0);
    cJSON_AddItemToArray(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "model"), "merges"),
                         cJSON_CreateString("a b c"));
    load_fails(write_json("badmerge", root), AXVK_ERR_BAD_FILE, "a b c");
    root = synth(NULL, 0, NULL, 0);
    cJSON_ReplaceItemInObject(root, "pre_tokenizer", cJSON_Parse("{\"type\": \"Whitespace\"}"));
    load_fails(write_json("whitespace", root), AXVK_ERR_UNSUPPORTED, "Whitespace");
    root = synth(NULL, 0, NULL, 0);
    cJSON_ReplaceItemInObject(root, "normalizer", cJSON_Parse("{\"type\": \"Lowercase\"}"));
    load_fails(write_json("lowercase", root), AXVK_ERR_UNSUPPORTED, "Lowercase");
    root = synth(NULL, 0, NULL, 0);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "model"), "vocab", cJSON_CreateArray());
    load_fails(write_json("vocabarray", root), AXVK_ERR_BAD_FILE, "model.vocab");

    /* vocab.json + merges.txt */
    write_text(TMP "/legacy", "vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2}");
    write_text(TMP "/legacy", "merges.txt", "#version: 0.2\na c\n");
    load_fails(TMP "/legacy", AXVK_ERR_TOKENIZER, "'c'");
    write_text(TMP "/legacy", "merges.txt", "#version: 0.2\r\na b\r\n");
    struct tokenizer *tok = load_ok(TMP "/legacy");
    expect_ids(tok, "ab", 0, (int32_t[]){2}, 1);
    tokenizer_destroy(tok);
    write_text(TMP "/legacy", "vocab.json", "[1, 2]");
    load_fails(TMP "/legacy", AXVK_ERR_BAD_FILE, "not a JSON object");
    load_fails(TMP "/nothing-here", AXVK_ERR_BAD_FILE, "no tokenizer.json");
}

static axvk_status create(const char *const *tokens, int n, const int32_t *types, const char *const *merges,
                          int n_merges, const char *pre, struct err *e)
{
    uint32_t lens[8], mlens[8];
    for (int i = 0; i < n; i++)
        lens[i] = (uint32_t)strlen(tokens[i]);
    for (int i = 0; i < n_merges; i++)
        mlens[i] = (uint32_t)strlen(merges[i]);
    struct tokenizer_desc d = {.n_tokens = (uint32_t)n, .tokens = tokens, .token_lens = lens,
                               .token_types = types, .n_merges = (uint32_t)n_merges,
                               .merges = merges, .merge_lens = mlens, .pre = pre};
    struct tokenizer *tok = NULL;
    err_clear(e);
    axvk_status s = tokenizer_create(&tok, &d, e);
    if (s == AXVK_OK) {
        expect_ids(tok, "ab<c>", TOKENIZER_PARSE_SPECIAL, (int32_t[]){2, 3}, 2);
        tokenizer_destroy(tok);
    }
    return s;
}

static void test_bad_arrays_are_refused(void **state)
{
    (void)state;
    struct err e;
    const char *tokens[] = {"a", "b", "ab", "<c>"};
    const int32_t types[] = {1, 1, 1, 3};
    const char *merges[] = {"a b"};
    assert_int_equal(create(tokens, 4, types, merges, 1, "gpt-2", &e), AXVK_OK);
    const int32_t bad_types[] = {1, 1, 9, 3};
    assert_int_equal(create(tokens, 4, bad_types, merges, 1, "gpt-2", &e), AXVK_ERR_TOKENIZER);
    assert_non_null(strstr(e.msg, "type 9"));
    assert_int_equal(create(tokens, 4, types, merges, 1, "llama-bpe", &e), AXVK_ERR_UNSUPPORTED);
    assert_int_equal(create(tokens, 4, types, merges, 1, NULL, &e), AXVK_ERR_UNSUPPORTED);
    const char *no_space[] = {"ab"};
    assert_int_equal(create(tokens, 4, types, no_space, 1, "gpt-2", &e), AXVK_ERR_TOKENIZER);
    const char *dup[] = {"a", "b", "a", "<c>"};
    assert_int_equal(create(dup, 4, types, merges, 1, "gpt-2", &e), AXVK_ERR_TOKENIZER);
    assert_non_null(strstr(e.msg, "ids 0 and 2"));
    struct tokenizer *tok = NULL;
    struct tokenizer_desc d = {.n_tokens = 4, .pre = "gpt-2"};
    assert_int_equal(tokenizer_create(&tok, &d, &e), AXVK_ERR_INVALID_ARGUMENT);
    int32_t eog = 4;
    uint32_t lens[] = {1, 1, 2, 3};
    d = (struct tokenizer_desc){.n_tokens = 4, .tokens = tokens, .token_lens = lens,
                                .pre = "gpt-2", .eog_ids = &eog, .n_eog_ids = 1};
    assert_int_equal(tokenizer_create(&tok, &d, &e), AXVK_ERR_TOKENIZER);
    assert_null(tok);
}

/* Every allocation failing in turn, while loading and encoding: an error, never a crash. */
static void test_allocation_failures_are_reported(void **state)
{
    (void)state;
    const char *extra[] = {"ab", "bc"};
    const char *merges[] = {"b|c", "a|b"};
    cJSON *root = synth(extra, 2, merges, 2);
    add_added(root, 258, "<m>", 1, 1, 1, 0);
    const char *dir = write_json("oom", root);
    int failures = 0;
    for (long k = 0;; k++) {
        struct tokenizer *tok = NULL;
        struct err e;
        err_clear(&e);
        mem_fail_after(k);
        axvk_status s = tokenizer_load_dir(&tok, dir, &e);
        struct tokenizer_ids ids = {0};
        if (s == AXVK_OK)
            s = tokenizer_encode(tok, "abc <m> abc", 11, TOKENIZER_PARSE_SPECIAL, &ids, &e);
        mem_fail_after(-1);
        tokenizer_ids_free(&ids);
        tokenizer_destroy(tok);
        if (s == AXVK_OK)
            break;
        assert_int_equal(s, AXVK_ERR_OUT_OF_HOST_MEMORY);
        failures++;
    }
    assert_true(failures > 10);
}

int tokenizer_file_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpe_merges_lowest_rank_first),
        cmocka_unit_test(test_bpe_equal_pairs_merge_leftmost),
        cmocka_unit_test(test_repeated_merge_keeps_last_rank),
        cmocka_unit_test(test_trailing_space_joins_next_word),
        cmocka_unit_test(test_space_class_follows_oniguruma),
        cmocka_unit_test(test_added_token_strips_whitespace),
        cmocka_unit_test(test_single_word_token_skips_inside_words),
        cmocka_unit_test(test_nfc_normalizer_composes_before_bpe),
        cmocka_unit_test(test_split_regex_comes_from_the_file),
        cmocka_unit_test(test_bpe_model_options_follow_hf),
        cmocka_unit_test(test_malformed_files_are_refused),
        cmocka_unit_test(test_bad_arrays_are_refused),
        cmocka_unit_test(test_allocation_failures_are_reported),
    };
    return cmocka_run_group_tests_name("synthetic tokenizer files", tests, NULL, NULL);
}
