/* test_cli_gpu: axvk chat and axvk run --chat driven through their standard streams on a tiny
 * synthetic model that embeds A.X 4.0 Light's tokenizer and chat template: history across turns
 * (only new tokens fed), /reset, /exit and end of input, prompt ids equal to template then
 * tokenize, the line editor on a pseudo-terminal. Skips (77) when `axvk devices` finds no
 * Vulkan device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cli_test.h"

#define AX AXVK_SHARED_DIR "/models/ax-4.0-light"

static char model[512];
/* `axvk run --chat -p hello --json` on the model, made once: the reference answer the chat
 * tests compare with (greedy, so the same prompt gives the same text). */
static cJSON *hello;

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
    struct cli_result r;
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
    /* chat's stdout: three answers, each followed by a newline */
    const char *once = cJSON_GetObjectItem(hello, "text")->valuestring;
    size_t n = strlen(once);
    assert_true(n > 0 && r.out_len > 3 * n);
    assert_memory_equal(r.out, once, n);
    assert_int_equal(r.out[n], '\n');
    assert_memory_equal(r.out + r.out_len - n - 1, once, n);
    cli_result_free(&r);
}

/* Tokens template then tokenize give one user message (with the generation prompt). */
static int prompt_tokens(const char *content)
{
    cJSON *msgs = cJSON_CreateArray(), *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(msgs, m);
    char *json = cJSON_PrintUnformatted(msgs);
    cJSON_Delete(msgs);
    struct cli_result tmpl, tok;
    cli_run(&tmpl, json, strlen(json),
            (const char *[]){"template", "-m", model, "--messages", "-", "--add-generation-prompt",
                             NULL});
    assert_int_equal(tmpl.status, 0);
    char *path = cli_temp_file("prompt.txt", tmpl.out, tmpl.out_len);
    cli_run(&tok, NULL, 0, (const char *[]){"tokenize", "-m", model, "-f", path, NULL});
    assert_int_equal(tok.status, 0);
    cJSON *ids = cJSON_Parse(tok.out);
    int n = cJSON_GetArraySize(ids);
    cJSON_Delete(ids);
    cli_temp_remove(path);
    cli_result_free(&tmpl);
    cli_result_free(&tok);
    free(json);
    return n;
}

/* A message past the context (64 tokens) is refused and forgotten; the next, given on two lines
 * joined by a backslash, is answered as a fresh conversation; the end of input leaves (status 0)
 * without /exit. */
static void test_chat_refuses_oversized_message_joins_lines_and_ends_at_eof(void **state)
{
    size_t n = 600;
    char *input = malloc(n + 32);
    assert_non_null(input);
    for (size_t i = 0; i < n; i += 6)
        memcpy(input + i, "word, ", 6);
    strcpy(input + n, "\nline one\\\nline two\n");
    struct cli_result r;
    cli_run(&r, input, strlen(input),
            (const char *[]){"chat", "-m", model, "-c", "64", "-n", "4", "-q", NULL});
    if (r.status != 0)
        fail_msg("axvk chat exited %d:\n%s", r.status, r.err);
    assert_non_null(strstr(r.err, "no longer fits"));
    struct turn_stats t[2];
    assert_int_equal(parse_stats(r.err, t, 2), 1);
    assert_int_equal(t[0].fresh, t[0].total);
    assert_int_equal(t[0].total, prompt_tokens("line one\nline two"));
    cli_result_free(&r);
    free(input);
}

/* What a pseudo-terminal session has printed so far, '\r' dropped. */
struct pty_log {
    int fd;
    char buf[1 << 16];
    size_t len;
};

/* Reads the terminal until `needle` appears after byte `from`; returns where it ends. */
static size_t pty_wait(struct pty_log *t, size_t from, const char *needle)
{
    time_t deadline = time(NULL) + 180; /* lavapipe under the sanitizers is slow */
    for (;;) {
        char *hit = strstr(t->buf + from, needle);
        if (hit)
            return (size_t)(hit - t->buf) + strlen(needle);
        struct pollfd p = {.fd = t->fd, .events = POLLIN};
        if (time(NULL) > deadline || poll(&p, 1, 1000) < 0)
            fail_msg("no \"%s\" on the terminal; it shows:\n%s", needle, t->buf);
        if (!(p.revents & (POLLIN | POLLHUP)))
            continue;
        char chunk[4096];
        ssize_t n = read(t->fd, chunk, sizeof chunk);
        if (n <= 0)
            fail_msg("terminal closed before \"%s\":\n%s", needle, t->buf);
        for (ssize_t i = 0; i < n && t->len + 1 < sizeof t->buf; i++)
            if (chunk[i] != '\r')
                t->buf[t->len++] = chunk[i];
        t->buf[t->len] = '\0';
    }
}

static void pty_type(struct pty_log *t, const char *keys)
{
    assert_int_equal(write(t->fd, keys, strlen(keys)), (ssize_t)strlen(keys));
}

/* chat on a terminal: "helo", Left, "l" sends "hello" (answered as run answers it); Up recalls
 * it; Ctrl-C on an empty line leaves with status 0. */
static void test_chat_edits_lines_on_a_terminal(void **state)
{
    static struct pty_log t;
    int slave;
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    assert_int_equal(openpty(&t.fd, &slave, NULL, NULL, &ws), 0);
    t.len = 0;
    t.buf[0] = '\0';
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setsid();
        ioctl(slave, TIOCSCTTY, 0);
        if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
            _exit(126);
        close(t.fd);
        execv(AXVK_BIN, (char *const[]){AXVK_BIN, CHAT_ARGS, NULL});
        _exit(127);
    }
    close(slave);
    size_t at = pty_wait(&t, 0, "> ");
    pty_type(&t, "helo\x1b[Dl\r");
    at = pty_wait(&t, at, "> hello\x1b[K");
    /* the answer is streamed through the terminal's own newline translation, hence no '\r' */
    char *want = strdup(cJSON_GetObjectItem(hello, "text")->valuestring);
    size_t w = 0;
    for (size_t i = 0; want[i]; i++)
        if (want[i] != '\r')
            want[w++] = want[i];
    want[w] = '\0';
    at = pty_wait(&t, at, want);
    at = pty_wait(&t, at, "tokens/s");
    at = pty_wait(&t, at, "> "); /* the editor owns the terminal again */
    pty_type(&t, "\x1b[A");
    at = pty_wait(&t, at, "> hello\x1b[K");
    pty_type(&t, "\r");
    size_t second = pty_wait(&t, at, "prompt ");
    at = pty_wait(&t, second, "tokens/s");
    pty_wait(&t, at, "> ");
    pty_type(&t, "\x03");
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    close(t.fd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* the recalled "hello" reused the first turn: fewer tokens fed than the context holds */
    unsigned total, fresh;
    assert_int_equal(sscanf(t.buf + second, "%u tokens (%u new)", &total, &fresh), 2);
    assert_true(fresh < total);
    free(want);
}

/* run --chat --json: one JSON object whose prompt ids are template then tokenize of the message. */
static void test_run_chat_json_prompt_ids_match_template_then_tokenize(void **state)
{
    const cJSON *ids = cJSON_GetObjectItem(hello, "ids");
    const cJSON *prompt = cJSON_GetObjectItem(hello, "prompt_ids");
    assert_true(cJSON_IsArray(ids) && cJSON_GetArraySize(ids) <= 8);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(hello, "finish_reason")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(hello, "timings")));
    const char *msgs = "[{\"role\": \"user\", \"content\": \"hello\"}]";
    struct cli_result tmpl, tok;
    cli_run(&tmpl, msgs, strlen(msgs),
            (const char *[]){"template", "-m", model, "--messages", "-", "--add-generation-prompt",
                             NULL});
    assert_int_equal(tmpl.status, 0);
    assert_string_equal(tmpl.out, "<|im_start|><|user|>hello<|im_end|><|im_start|><|assistant|>");
    char *path = cli_temp_file("prompt.txt", tmpl.out, tmpl.out_len);
    cli_run(&tok, NULL, 0, (const char *[]){"tokenize", "-m", model, "-f", path, NULL});
    assert_int_equal(tok.status, 0);
    cli_assert_ids(tok.out, prompt);
    cli_temp_remove(path);
    cli_result_free(&tmpl);
    cli_result_free(&tok);
}

/* run --synthetic: a preset made on the device, byte-level vocabulary (ids 3-258 are the bytes);
 * the same greedy ids every time, with either numerics; bad combinations refused with a reason. */
static void test_run_synthetic_is_repeatable_and_takes_numerics(void **state)
{
    (void)state;
    static const char *const numerics[] = {"fp32", "llama-cpu"};
    for (size_t i = 0; i < 2; i++) {
        struct cli_result a, b;
        const char *args[] = {"run", "--synthetic", "tiny:q4_0", "--numerics", numerics[i], "-c",
                              "128", "-n", "6", "-q", "--json", "-p", "hello", NULL};
        cli_run(&a, NULL, 0, args);
        cli_run(&b, NULL, 0, args);
        assert_int_equal(a.status, 0);
        assert_int_equal(b.status, 0);
        cJSON *ja = cJSON_Parse(a.out), *jb = cJSON_Parse(b.out);
        assert_non_null(ja);
        assert_non_null(jb);
        cJSON *want_prompt = cJSON_CreateIntArray((const int[]){107, 104, 111, 111, 114}, 5);
        char *prompt = cJSON_PrintUnformatted(cJSON_GetObjectItem(ja, "prompt_ids"));
        cli_assert_ids(prompt, want_prompt);
        const cJSON *ids = cJSON_GetObjectItem(ja, "ids");
        assert_true(cJSON_IsArray(ids) && cJSON_GetArraySize(ids) >= 1 && cJSON_GetArraySize(ids) <= 6);
        char *again = cJSON_PrintUnformatted(cJSON_GetObjectItem(jb, "ids"));
        cli_assert_ids(again, ids);
        assert_true(cJSON_IsObject(cJSON_GetObjectItem(ja, "timings")));
        free(prompt);
        free(again);
        cJSON_Delete(want_prompt);
        cJSON_Delete(ja);
        cJSON_Delete(jb);
        cli_result_free(&a);
        cli_result_free(&b);
    }
    struct cli_result r;
    cli_run(&r, NULL, 0, (const char *[]){"run", "--synthetic", "tiny", "--numerics", "fp16",
                                          "-p", "hi", NULL});
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "fp16"));
    assert_non_null(strstr(r.err, "llama-cpu"));
    cli_result_free(&r);
    cli_run(&r, NULL, 0, (const char *[]){"run", "--synthetic", "tiny", "-m", model, "-p", "hi",
                                          NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--synthetic"));
    cli_result_free(&r);
    cli_run(&r, NULL, 0, (const char *[]){"serve", "--synthetic", "tiny", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "mkmodel"));
    cli_result_free(&r);
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
    if (rc)
        return -1;
    cli_run(&r, NULL, 0,
            (const char *[]){"run", "--chat", "-m", model, "-c", "256", "-n", "8", "-q", "--json",
                             "-p", "hello", NULL});
    if (r.status || !(hello = cJSON_Parse(r.out)))
        fprintf(stderr, "axvk run exited %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    return hello ? 0 : -1;
}

static int teardown(void **state)
{
    cJSON_Delete(hello);
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
        cmocka_unit_test(test_chat_refuses_oversized_message_joins_lines_and_ends_at_eof),
        cmocka_unit_test(test_chat_edits_lines_on_a_terminal),
        cmocka_unit_test(test_run_chat_json_prompt_ids_match_template_then_tokenize),
        cmocka_unit_test(test_run_synthetic_is_repeatable_and_takes_numerics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
