/* test_cli: the text commands of the axvk program (tokenize, template) run as a user runs them, on
 * A.X 4.0 Light's Hugging Face tokenizer directory, against the shared Hugging Face vectors; their
 * error paths and exit codes, and every command's handling of bad options. No GPU: these commands
 * load the vocabulary only, and bad options stop the others before any device is opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cli_test.h"

#define AX AXVK_SHARED_DIR "/models/ax-4.0-light"
#define TOK_VECTORS AXVK_SHARED_DIR "/testdata/tokenizer/vectors.jsonl"
#define CHAT_VECTORS AXVK_SHARED_DIR "/testdata/chat/vectors.jsonl"
#define PROMPT_IDS AXVK_SHARED_DIR "/testdata/chat/prompt-ids.jsonl"

static cJSON **tok_vectors, **chat_vectors, **prompt_ids;
static size_t n_tok, n_chat, n_prompt;

static const char *text_of(const cJSON *v)
{
    return cJSON_GetObjectItemCaseSensitive(v, "text")->valuestring;
}

/* The first tokenizer vector whose text contains `needle`. */
static const cJSON *vector_with(const char *needle)
{
    for (size_t i = 0; i < n_tok; i++)
        if (strstr(text_of(tok_vectors[i]), needle))
            return tok_vectors[i];
    fail_msg("no vector contains \"%s\"", needle);
    return NULL;
}

static void run(struct cli_result *r, const char *input, const char *const *args)
{
    cli_run(r, input, input ? strlen(input) : 0, args);
}

static void test_tokenize_prints_ids_of_korean_emoji_and_special_text(void **state)
{
    /* Hangul words, a flag emoji (regional indicators split into bytes), a chat header with
     * added tokens, and spaces before Hangul (merged with the space in A.X's vocabulary) */
    const char *needles[] = {"기업용 한국어", "🇺🇸", "<|im_start|><|user|>", " 안녕하세요", "🙂👍🏽"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        const cJSON *v = vector_with(needles[i]);
        struct cli_result r;
        run(&r, NULL, (const char *[]){"tokenize", "-m", AX, "-p", text_of(v), NULL});
        assert_int_equal(r.status, 0);
        cli_assert_ids(r.out, cJSON_GetObjectItemCaseSensitive(v, "ax"));
        cli_result_free(&r);
    }
}

static void test_tokenize_file_and_stdin_keep_nul_bytes(void **state)
{
    const cJSON *v = NULL;
    for (size_t i = 0; i < n_tok && !v; i++)
        if (!*text_of(tok_vectors[i]) &&
            cJSON_GetArraySize(cJSON_GetObjectItem(tok_vectors[i], "ax")))
            v = tok_vectors[i]; /* cJSON stops a string at U+0000: the text starts with it */
    assert_non_null(v);
    /* "\0\1\x7f": the text cJSON shows as empty is three bytes in the vectors file */
    char *path = cli_temp_file("nul.txt", "\0\1\x7f", 3);
    struct cli_result r;
    run(&r, NULL, (const char *[]){"tokenize", "-m", AX, "-f", path, NULL});
    assert_int_equal(r.status, 0);
    cli_assert_ids(r.out, cJSON_GetObjectItemCaseSensitive(v, "ax"));
    cli_result_free(&r);
    /* the same bytes on stdin */
    cli_run(&r, "\0\1\x7f", 3, (const char *[]){"tokenize", "-m", AX, "-f", "-", NULL});
    assert_int_equal(r.status, 0);
    cli_assert_ids(r.out, cJSON_GetObjectItemCaseSensitive(v, "ax"));
    cli_result_free(&r);
    cli_temp_remove(path);
}

static void test_tokenize_no_special_reads_im_end_as_text(void **state)
{
    struct cli_result special, plain;
    run(&special, NULL, (const char *[]){"tokenize", "-m", AX, "-p", "<|im_end|>", NULL});
    run(&plain, NULL,
        (const char *[]){"tokenize", "-m", AX, "--no-special", "-p", "<|im_end|>", NULL});
    assert_int_equal(special.status, 0);
    assert_int_equal(plain.status, 0);
    cJSON *want = cJSON_CreateIntArray((const int[]){27}, 1);
    cli_assert_ids(special.out, want);
    cJSON_Delete(want);
    cJSON *ids = cJSON_Parse(plain.out);
    assert_true(cJSON_GetArraySize(ids) > 1);
    const cJSON *e;
    cJSON_ArrayForEach(e, ids) {
        assert_true(e->valueint > 40); /* no added token at all, only text pieces */
    }
    cJSON_Delete(ids);
    cli_result_free(&special);
    cli_result_free(&plain);
}

/* Every vector through --jsonl in one process (the vector file's own lines as input), then the
 * ids back through --jsonl --detokenize: the ids are Hugging Face's, the text comes back whole. */
static void test_tokenize_jsonl_round_trips_every_vector(void **state)
{
    size_t cap = 1 << 16, len = 0, used = 0;
    char *input = malloc(cap);
    assert_non_null(input);
    for (size_t i = 0; i < n_tok; i++) {
        if (!*text_of(tok_vectors[i]))
            continue; /* text starting with U+0000: JSON strings here end at it */
        cJSON *line = cJSON_CreateObject();
        cJSON_AddStringToObject(line, "text", text_of(tok_vectors[i]));
        char *s = cJSON_PrintUnformatted(line);
        cJSON_Delete(line);
        size_t n = strlen(s);
        if (len + n + 2 > cap)
            assert_non_null(input = realloc(input, cap = 2 * (len + n + 2)));
        memcpy(input + len, s, n);
        len += n;
        input[len++] = '\n';
        input[len] = '\0';
        free(s);
        used++;
    }
    struct cli_result enc, dec;
    run(&enc, input, (const char *[]){"tokenize", "-m", AX, "--jsonl", NULL});
    assert_int_equal(enc.status, 0);
    run(&dec, enc.out, (const char *[]){"tokenize", "-m", AX, "--jsonl", "--detokenize", NULL});
    assert_int_equal(dec.status, 0);
    char *eline = enc.out, *dline = dec.out;
    size_t k = 0;
    for (size_t i = 0; i < n_tok; i++) {
        if (!*text_of(tok_vectors[i]))
            continue;
        char *enl = strchr(eline, '\n'), *dnl = strchr(dline, '\n');
        assert_non_null(enl);
        assert_non_null(dnl);
        *enl = *dnl = '\0';
        cJSON *e = cJSON_Parse(eline), *d = cJSON_Parse(dline);
        assert_non_null(e);
        assert_non_null(d);
        char *ids = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "ids"));
        cli_assert_ids(ids, cJSON_GetObjectItemCaseSensitive(tok_vectors[i], "ax"));
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(d, "text")->valuestring,
                            text_of(tok_vectors[i]));
        free(ids);
        cJSON_Delete(e);
        cJSON_Delete(d);
        eline = enl + 1;
        dline = dnl + 1;
        k++;
    }
    assert_int_equal(k, used);
    assert_string_equal(eline, ""); /* one line out per line in, nothing more */
    cli_result_free(&enc);
    cli_result_free(&dec);
    free(input);
}

static void test_detokenize_restores_text_exactly(void **state)
{
    const cJSON *v = vector_with("SK텔레콤이 한국어 처리");
    char *list = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v, "ax"));
    struct cli_result r;
    run(&r, NULL, (const char *[]){"tokenize", "-m", AX, "--detokenize", "-p", list, NULL});
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, strlen(text_of(v))); /* no newline added */
    assert_memory_equal(r.out, text_of(v), r.out_len);
    cli_result_free(&r);
    free(list);
    /* the comma list form, with a special token kept or skipped */
    run(&r, NULL,
        (const char *[]){"tokenize", "-m", AX, "--detokenize", "-p", "25,8,14756,27", NULL});
    assert_string_equal(r.out, "<|im_start|><|user|>hi<|im_end|>");
    cli_result_free(&r);
    run(&r, NULL, (const char *[]){"tokenize", "-m", AX, "--detokenize", "--skip-special", "-p",
                                   "25,8,14756,27", NULL});
    assert_string_equal(r.out, "hi");
    cli_result_free(&r);
}

static void test_detokenize_jsonl_replaces_split_characters(void **state)
{
    /* "힣가" is [666, 137, 344]: 666 ends inside 힣 (ED 9E A3), 137 holds its last byte */
    const char *in = "{\"ids\":[666]}\n{\"ids\":[666,137]}\n{\"ids\":[137,344]}\n";
    struct cli_result r;
    run(&r, in, (const char *[]){"tokenize", "-m", AX, "--jsonl", "--detokenize", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "{\"text\":\"\xef\xbf\xbd\"}\n{\"text\":\"힣\"}\n"
                               "{\"text\":\"\xef\xbf\xbd가\"}\n");
    cli_result_free(&r);
}

static void test_tokenize_jsonl_names_the_bad_line(void **state)
{
    struct cli_result r;
    run(&r, "{\"text\":\"ok\"}\n{\"txt\":1}\n",
        (const char *[]){"tokenize", "-m", AX, "--jsonl", NULL});
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "line 2"));
    /* the good line before it was answered, and nothing after */
    assert_int_equal(strncmp(r.out, "{\"ids\":[", 8), 0);
    assert_ptr_equal(strchr(r.out, '\n'), r.out + r.out_len - 1);
    cli_result_free(&r);
}

static void test_tokenize_without_model_exits_2(void **state)
{
    struct cli_result r;
    run(&r, NULL, (const char *[]){"tokenize", "-p", "hello", NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "-m"));
    cli_result_free(&r);
    run(&r, NULL, (const char *[]){"tokenize", "-m", AX, "--frobnicate", NULL});
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
}

/* Every command parses options the same way: a bad, valueless or unknown option is named on
 * stderr with the usage, nothing goes to stdout, and the exit status is 2 (before any model or
 * device is opened). */
static void test_commands_name_a_bad_option_and_exit_2(void **state)
{
    static const struct {
        const char *args[8], *option;
    } cases[] = {
        {{"run", "-m", AX, "-p", "hi", "--temp", "warm", NULL}, "--temp"},
        {{"run", "-m", AX, "-p", "hi", "--seed", NULL}, "--seed"},
        {{"chat", "-m", AX, "--top-k", "-3", NULL}, "--top-k"},
        {{"chat", "-m", AX, "--system", NULL}, "--system"},
        {{"template", "-m", AX, "--messages", NULL}, "--messages"},
        {{"tokenize", "-m", AX, "--frobnicate", NULL}, "--frobnicate"},
        {{"devices", "--frobnicate", NULL}, "--frobnicate"},
        {{"bandwidth", "--device", NULL}, "--device"},
        {{"mkmodel", "-o", "unused.gguf", "--dim", "x", NULL}, "--dim"},
        {{"convert", "source", "--type", NULL}, "--type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_result r;
        char want[96], usage[64];
        snprintf(want, sizeof want, "axvk %s: unknown or incomplete option '%s'\n",
                 cases[i].args[0], cases[i].option);
        snprintf(usage, sizeof usage, "usage: axvk %s ", cases[i].args[0]);
        run(&r, NULL, cases[i].args);
        if (r.status != 2 || r.out_len || !strstr(r.err, want) || !strstr(r.err, usage))
            fail_msg("axvk %s ... %s: exit %d, stdout %zu bytes, stderr:\n%s", cases[i].args[0],
                     cases[i].option, r.status, r.out_len, r.err);
        cli_result_free(&r);
    }
    /* sixteen stop strings are accepted (the run then stops for want of -m), seventeen are not */
    const char *args[3 + 2 * 17 + 1] = {"run", "--prompt-ids", "1,2"};
    for (int i = 0; i < 17; i++) {
        args[3 + 2 * i] = "--stop";
        args[4 + 2 * i] = "s";
    }
    args[3 + 2 * 16] = NULL;
    struct cli_result r;
    run(&r, NULL, args);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no model"));
    cli_result_free(&r);
    args[3 + 2 * 16] = "--stop";
    run(&r, NULL, args);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown or incomplete option '--stop'"));
    cli_result_free(&r);
}

static void test_tokenize_bench_reports_rates(void **state)
{
    const cJSON *v = vector_with("A.X 4.0은 오픈소스 모델인");
    char *path = cli_temp_file("bench.txt", text_of(v), strlen(text_of(v)));
    struct cli_result r;
    run(&r, NULL, (const char *[]){"tokenize", "-m", AX, "--bench", path, NULL});
    assert_int_equal(r.status, 0);
    size_t bytes, tokens;
    double mbs, tps;
    const char *p = strstr(r.out, ": ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, ": %zu bytes, %zu tokens per pass", &bytes, &tokens), 2);
    assert_int_equal(bytes, strlen(text_of(v)));
    assert_int_equal(tokens, (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(v, "ax")));
    p = strstr(r.out, " s: ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, " s: %lf MB/s, %lf tokens/s", &mbs, &tps), 2);
    assert_true(mbs > 0 && tps > 0);
    cli_result_free(&r);
    cli_temp_remove(path);
}

/* Runs `axvk template` on one vector of the chat file: messages and tools written to files. */
static void render(struct cli_result *r, const cJSON *v)
{
    char *msgs = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v, "messages"));
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(v, "tools");
    char *tools_json = cJSON_IsArray(tools) ? cJSON_PrintUnformatted(tools) : NULL;
    char *mpath = cli_temp_file("messages.json", msgs, strlen(msgs));
    char *tpath = tools_json ? cli_temp_file("tools.json", tools_json, strlen(tools_json)) : NULL;
    const char *args[10] = {"template", "-m", AX, "--messages", mpath};
    size_t n = 5;
    if (tpath) {
        args[n++] = "--tools";
        args[n++] = tpath;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "add_generation_prompt")))
        args[n++] = "--add-generation-prompt";
    args[n] = NULL;
    cli_run(r, NULL, 0, args);
    cli_temp_remove(mpath);
    cli_temp_remove(tpath);
    free(msgs);
    free(tools_json);
}

static int is_ax(const cJSON *v)
{
    return !strcmp(cJSON_GetObjectItemCaseSensitive(v, "template")->valuestring, "ax-4.0-light");
}

/* Every A.X case of the chat vectors rendered byte for byte; then the rendered prompts through
 * tokenize --jsonl give the ids Hugging Face gives them (added tokens parsed). */
static void test_template_renders_ax_vectors_exactly_and_tokenizes_to_prompt_ids(void **state)
{
    cJSON *expected = cJSON_CreateArray();
    char *input = calloc(1, 1);
    size_t len = 0;
    for (size_t i = 0; i < n_chat; i++) {
        if (!is_ax(chat_vectors[i]))
            continue;
        const char *name = cJSON_GetObjectItemCaseSensitive(chat_vectors[i], "case")->valuestring;
        const char *want =
            cJSON_GetObjectItemCaseSensitive(chat_vectors[i], "rendered")->valuestring;
        struct cli_result r;
        render(&r, chat_vectors[i]);
        if (r.status != 0 || r.out_len != strlen(want) || memcmp(r.out, want, r.out_len))
            fail_msg("case %s: status %d\n got: %s\nwant: %s\n%s", name, r.status, r.out, want,
                     r.err);
        cJSON *line = cJSON_CreateObject();
        cJSON_AddStringToObject(line, "text", r.out);
        char *s = cJSON_PrintUnformatted(line);
        assert_non_null(input = realloc(input, len + strlen(s) + 2));
        len += (size_t)sprintf(input + len, "%s\n", s);
        free(s);
        cJSON_Delete(line);
        cli_result_free(&r);
        const cJSON *ids = NULL;
        for (size_t k = 0; k < n_prompt && !ids; k++)
            if (is_ax(prompt_ids[k]) &&
                !strcmp(cJSON_GetObjectItemCaseSensitive(prompt_ids[k], "case")->valuestring, name))
                ids = cJSON_GetObjectItemCaseSensitive(prompt_ids[k], "ids");
        assert_non_null(ids);
        cJSON_AddItemToArray(expected, cJSON_Duplicate(ids, 1));
    }
    assert_true(cJSON_GetArraySize(expected) >= 8);
    struct cli_result t;
    run(&t, input, (const char *[]){"tokenize", "-m", AX, "--jsonl", NULL});
    assert_int_equal(t.status, 0);
    char *line = t.out;
    const cJSON *ids;
    cJSON_ArrayForEach(ids, expected) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        cJSON *got = cJSON_Parse(line);
        assert_non_null(got);
        char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(got, "ids"));
        cli_assert_ids(s, ids);
        free(s);
        cJSON_Delete(got);
        line = nl + 1;
    }
    cli_result_free(&t);
    cJSON_Delete(expected);
    free(input);
}

static void test_template_reads_request_object_and_stdin(void **state)
{
    /* an OpenAI-style body on stdin: messages and tools in one object */
    const cJSON *v = NULL;
    for (size_t i = 0; i < n_chat && !v; i++)
        if (is_ax(chat_vectors[i]) && cJSON_IsArray(cJSON_GetObjectItem(chat_vectors[i], "tools")))
            v = chat_vectors[i];
    assert_non_null(v);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "messages", cJSON_Duplicate(cJSON_GetObjectItem(v, "messages"), 1));
    cJSON_AddItemToObject(body, "tools", cJSON_Duplicate(cJSON_GetObjectItem(v, "tools"), 1));
    char *json = cJSON_Print(body);
    cJSON_Delete(body);
    struct cli_result r;
    run(&r, json,
        (const char *[]){"template", "-m", AX, "--messages", "-", "--add-generation-prompt", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, cJSON_GetObjectItem(v, "rendered")->valuestring);
    cli_result_free(&r);
    free(json);
}

/* A bad file: one line naming it and the fault, exit code 1, nothing on stdout. */
static void expect_one_line_error(const char *content, const char *needle)
{
    char *path = cli_temp_file("bad.json", content, strlen(content));
    struct cli_result r;
    run(&r, NULL, (const char *[]){"template", "-m", AX, "--messages", path, NULL});
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    assert_true(r.err_len > 0);
    assert_ptr_equal(strchr(r.err, '\n'), r.err + r.err_len - 1);
    assert_non_null(strstr(r.err, path));
    if (!strstr(r.err, needle))
        fail_msg("\"%s\" not in: %s", needle, r.err);
    cli_result_free(&r);
    cli_temp_remove(path);
}

static void test_template_rejects_malformed_messages(void **state)
{
    expect_one_line_error("[{\"role\": \"user\", \"content\": \"hi\"},\n {\"role\": }]",
                          "not valid JSON (line 2");
    expect_one_line_error("{\"role\": \"user\"}", "expected a JSON array");
    expect_one_line_error("[{\"content\": \"no role\"}]", "\"role\"");
    expect_one_line_error("", "not valid JSON");
}

static void test_template_with_bad_chat_template_fails_on_one_line(void **state)
{
    const char *broken = "{% for m in messages %}{{ m.content }";
    const char *brackets = "{% for m in messages %}[{{ m.content }}]{% endfor %}";
    char *tmpl = cli_temp_file("t.jinja", broken, strlen(broken));
    struct cli_result r;
    run(&r, "[{\"role\":\"user\",\"content\":\"hi\"}]",
        (const char *[]){"template", "-m", AX, "--messages", "-", "--chat-template", tmpl, NULL});
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    assert_ptr_equal(strchr(r.err, '\n'), r.err + r.err_len - 1);
    cli_result_free(&r);
    /* a good override is used instead of the model's */
    char *good = cli_temp_file("t.jinja", brackets, strlen(brackets));
    run(&r, "[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]",
        (const char *[]){"template", "-m", AX, "--messages", "-", "--chat-template", good, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "[hi][yo]");
    cli_result_free(&r);
    cli_temp_remove(tmpl);
    cli_temp_remove(good);
}

static int setup(void **state)
{
    tok_vectors = cli_read_jsonl(TOK_VECTORS, &n_tok);
    chat_vectors = cli_read_jsonl(CHAT_VECTORS, &n_chat);
    prompt_ids = cli_read_jsonl(PROMPT_IDS, &n_prompt);
    return n_tok && n_chat && n_prompt ? 0 : -1;
}

static int teardown(void **state)
{
    cli_free_jsonl(tok_vectors, n_tok);
    cli_free_jsonl(chat_vectors, n_chat);
    cli_free_jsonl(prompt_ids, n_prompt);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize_prints_ids_of_korean_emoji_and_special_text),
        cmocka_unit_test(test_tokenize_file_and_stdin_keep_nul_bytes),
        cmocka_unit_test(test_tokenize_no_special_reads_im_end_as_text),
        cmocka_unit_test(test_tokenize_jsonl_round_trips_every_vector),
        cmocka_unit_test(test_detokenize_restores_text_exactly),
        cmocka_unit_test(test_detokenize_jsonl_replaces_split_characters),
        cmocka_unit_test(test_tokenize_jsonl_names_the_bad_line),
        cmocka_unit_test(test_tokenize_without_model_exits_2),
        cmocka_unit_test(test_commands_name_a_bad_option_and_exit_2),
        cmocka_unit_test(test_tokenize_bench_reports_rates),
        cmocka_unit_test(test_template_renders_ax_vectors_exactly_and_tokenizes_to_prompt_ids),
        cmocka_unit_test(test_template_reads_request_object_and_stdin),
        cmocka_unit_test(test_template_rejects_malformed_messages),
        cmocka_unit_test(test_template_with_bad_chat_template_fails_on_one_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
