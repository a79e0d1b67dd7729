/* test_cli_gpu: axvk chat and axvk run --chat driven through their standard streams on a tiny
 * synthetic model that embeds A.X 4.0 Light's tokenizer and chat template: history across turns
 * (only new tokens fed), /reset, /exit and end of input, and prompt ids equal to template then
 * tokenize. Skips (77) when `axvk devices` finds no Vulkan device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cli_test.h"

#define AX AXVK_SHARED_DIR "/models/ax-4.0-light"

static char model[512];

/* Answers are short (-n 8) and the context small: lavapipe runs these on two CPU cores. */
#define CHAT_ARGS "chat", "-m", model, "-c", "256", "-n", "8", "-q"

struct turn_stats {
    unsigned total, fresh; /* prompt tokens in the context, and those fed this turn */
};

/* The "prompt N tokens (M new)" lines chat writes to stderr after each answer. */
static size_t parse_stats(const char *err, struct turn_stats *t, size_t max)
{
    size_t n = 0;
    for (const char *p = err; (p = strstr(p, "prompt ")) && n < max; p++) {
        if (p != err && p[-1] != '\n')
            continue;
        assert_int_equal(sscanf(p, "prompt %u tokens (%u new)", &t[n].total, &t[n].fresh), 2);
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_non_null(strstr(p, "tokens/s"));
        assert_true(strstr(p, "tokens/s") < nl);
        n++;
    }
    return n;
}

static void chat(struct cli_result *r, const char *input)
{
    cli_run(r, input, strlen(input), (const char *[]){CHAT_ARGS, NULL});
    if (r->status != 0)
        fail_msg("axvk chat exited %d:\n%s", r->status, r->err);
}

static void test_chat_keeps_history_feeds_new_tokens_and_resets(void **state)
{
    struct cli_result r, once;
    chat(&r, "hello\nhow are you\n/reset\nhello\n/exit\nnot read\n");
    struct turn_stats t[4];
    assert_int_equal(parse_stats(r.err, t, 4), 3);
    /* first turn: the whole prompt; second: the first turn is reused, only the rest is fed */
    assert_int_equal(t[0].fresh, t[0].total);
    assert_true(t[1].total > t[0].total);
    assert_true(t[1].fresh < t[1].total - t[0].total + 1);
    /* after /reset the conversation starts over and, greedy, answers as the first time */
    assert_int_equal(t[2].total, t[0].total);
    assert_int_equal(t[2].fresh, t[0].total);
    cli_run(&once, NULL, 0,
            (const char *[]){"run", "--chat", "-m", model, "-c", "256", "-n", "8", "-q", "-p",
                             "hello", NULL});
    assert_int_equal(once.status, 0);
    assert_true(once.out_len > 1 && r.out_len > 3 * once.out_len - 3);
    assert_memory_equal(r.out, once.out, once.out_len);
    assert_memory_equal(r.out + r.out_len - once.out_len, once.out, once.out_len);
    cli_result_free(&r);
    cli_result_free(&once);
}

static void test_chat_joins_continued_lines_and_ends_at_eof(void **state)
{
    struct cli_result r, one;
    /* no /exit: the end of input leaves, with status 0 */
    chat(&r, "line one\\\nline two\n");
    struct turn_stats t[2];
    assert_int_equal(parse_stats(r.err, t, 2), 1);
    cli_run(&one, NULL, 0,
            (const char *[]){"run", "--chat", "-m", model, "-c", "256", "-n", "1", "-q", "--json",
                             "-p", "line one\nline two", NULL});
    assert_int_equal(one.status, 0);
    cJSON *j = cJSON_Parse(one.out);
    assert_non_null(j);
    assert_int_equal(t[0].total, cJSON_GetArraySize(cJSON_GetObjectItem(j, "prompt_ids")));
    cJSON_Delete(j);
    cli_result_free(&r);
    cli_result_free(&one);
}

static void test_chat_survives_a_message_larger_than_the_context(void **state)
{
    /* 64 tokens of context: the long message cannot be fed, the short one after it is answered */
    size_t n = 600;
    char *input = malloc(n + 32);
    assert_non_null(input);
    for (size_t i = 0; i < n; i += 6)
        memcpy(input + i, "word, ", 6);
    strcpy(input + n, "\nhello\n");
    struct cli_result r;
    cli_run(&r, input, strlen(input),
            (const char *[]){"chat", "-m", model, "-c", "64", "-n", "4", "-q", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "no longer fits"));
    struct turn_stats t[2];
    assert_int_equal(parse_stats(r.err, t, 2), 1);
    assert_int_equal(t[0].fresh, t[0].total); /* the failed turn left nothing behind */
    cli_result_free(&r);
    free(input);
}

/* run --chat --json: its prompt ids are what template then tokenize give for the same message. */
static void test_run_chat_json_prompt_ids_match_template_then_tokenize(void **state)
{
    struct cli_result run, tmpl, tok;
    cli_run(&run, NULL, 0,
            (const char *[]){"run", "--chat", "-m", model, "-c", "256", "-p", "hi", "-n", "8", "-q",
                             "--json", NULL});
    assert_int_equal(run.status, 0);
    cJSON *j = cJSON_Parse(run.out);
    if (!j)
        fail_msg("not JSON: %s", run.out);
    const cJSON *ids = cJSON_GetObjectItem(j, "ids");
    assert_true(cJSON_IsArray(ids) && cJSON_GetArraySize(ids) <= 8);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "text")));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "finish_reason")));
    const char *msgs = "[{\"role\": \"user\", \"content\": \"hi\"}]";
    cli_run(&tmpl, msgs, strlen(msgs),
            (const char *[]){"template", "-m", model, "--messages", "-", "--add-generation-prompt",
                             NULL});
    assert_int_equal(tmpl.status, 0);
    assert_string_equal(tmpl.out, "<|im_start|><|user|>hi<|im_end|><|im_start|><|assistant|>");
    char *path = cli_temp_file("prompt.txt", tmpl.out, tmpl.out_len);
    cli_run(&tok, NULL, 0, (const char *[]){"tokenize", "-m", model, "-f", path, NULL});
    assert_int_equal(tok.status, 0);
    cli_assert_ids(tok.out, cJSON_GetObjectItem(j, "prompt_ids"));
    cJSON_Delete(j);
    cli_temp_remove(path);
    cli_result_free(&run);
    cli_result_free(&tmpl);
    cli_result_free(&tok);
}

static int setup(void **state)
{
    snprintf(model, sizeof model, "%s/cli-gpu-%d.gguf", AXVK_TEST_TMP, (int)getpid());
    struct cli_result r;
    cli_run(&r, NULL, 0,
            (const char *[]){"mkmodel", "-o", model, "--tokenizer", AX, "--dim", "128", "--layers",
                             "2", "--heads", "4", "--kv-heads", "2", "--ffn", "256", "--seed", "7",
                             NULL});
    int rc = r.status;
    if (rc)
        fprintf(stderr, "axvk mkmodel: %s", r.err);
    cli_result_free(&r);
    return rc ? -1 : 0;
}

static int teardown(void **state)
{
    unlink(model);
    return 0;
}

int main(void)
{
    struct cli_result r;
    cli_run(&r, NULL, 0, (const char *[]){"devices", NULL});
    int status = r.status;
    if (status)
        fprintf(stderr, "no Vulkan device (axvk devices exited %d): %s", status, r.err);
    cli_result_free(&r);
    if (status)
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_keeps_history_feeds_new_tokens_and_resets),
        cmocka_unit_test(test_chat_joins_continued_lines_and_ends_at_eof),
        cmocka_unit_test(test_chat_survives_a_message_larger_than_the_context),
        cmocka_unit_test(test_run_chat_json_prompt_ids_match_template_then_tokenize),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
