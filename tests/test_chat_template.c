/* test_chat_template: the shipped chat templates (A.X 4.0 Light, Qwen2.5) rendered byte for byte
 * against the Hugging Face vectors in ../shared/testdata/chat, Llama 3 templates against jinja2
 * output, and malformed or hostile templates failing with line and column, never crashing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "test_chat_template.h"
#include "text/chat_template.h"

#define SHARED AXVK_SHARED_DIR

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

char *tmpl_render(const char *tpl, const char *messages_json, const char *tools_json, bool add_generation_prompt,
                  struct err *err)
{
    cJSON *messages = cJSON_Parse(messages_json);
    cJSON *tools = tools_json ? cJSON_Parse(tools_json) : NULL;
    char *out = NULL;
    size_t len = 0;
    assert_non_null(messages);
    axvk_status st = chat_template_render(&out, &len, tpl, messages, tools, add_generation_prompt, "", "<|im_end|>",
                                          NULL, err);
    cJSON_Delete(messages);
    cJSON_Delete(tools);
    if (st)
        return NULL;
    assert_int_equal(strlen(out), len);
    return out;
}

static const char *const conversation =
    "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"안녕 \\\"hi\\\"\"}]";

void tmpl_expect(const char *tpl, const char *expected)
{
    struct err err = {0};
    char *out = tmpl_render(tpl, conversation, NULL, true, &err);
    if (!out)
        fail_msg("template %s failed: %s", tpl, err.msg);
    if (strcmp(out, expected))
        fail_msg("template %s\n  gave     [%s]\n  expected [%s]", tpl, out, expected);
    mem_free(out);
}

void tmpl_expect_error(const char *tpl, const char *fragment)
{
    struct err err = {0};
    char *out = tmpl_render(tpl, conversation, NULL, true, &err);
    if (out)
        fail_msg("template %s rendered [%s], expected an error with \"%s\"", tpl, out, fragment);
    assert_int_equal(err.status, AXVK_ERR_TEMPLATE);
    if (!strstr(err.msg, fragment))
        fail_msg("template %s: error \"%s\" lacks \"%s\"", tpl, err.msg, fragment);
}

/* The chat_template string of one model's tokenizer_config.json. */
static char *model_template(const char *model)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s/tokenizer_config.json", SHARED, model);
    char *text = read_file(path);
    assert_non_null(text);
    cJSON *config = cJSON_Parse(text);
    free(text);
    assert_non_null(config);
    const char *src = chat_template_from_config(config, NULL);
    assert_non_null(src);
    char *copy = strdup(src);
    cJSON_Delete(config);
    return copy;
}

static void test_chat_vectors_render_byte_exact(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/testdata/chat/vectors.jsonl", SHARED);
    char *text = read_file(path);
    assert_non_null(text);
    const char *models[] = {"ax-4.0-light", "qwen2.5"};
    struct chat_template *parsed[2];
    int per_model[2] = {0, 0}, total = 0;
    for (int m = 0; m < 2; m++) {
        char *src = model_template(models[m]);
        struct err err = {0};
        if (chat_template_parse(&parsed[m], src, strlen(src), &err))
            fail_msg("%s: %s", models[m], err.msg);
        free(src);
    }
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *v = cJSON_Parse(line);
        assert_non_null(v);
        const char *name = cJSON_GetObjectItem(v, "template")->valuestring;
        int m = !strcmp(name, models[0]) ? 0 : !strcmp(name, models[1]) ? 1 : -1;
        if (m < 0)
            fail_msg("vectors name a template this test does not know: %s", name);
        const cJSON *tools = cJSON_GetObjectItem(v, "tools");
        struct chat_template_vars vars = {
            .messages = cJSON_GetObjectItem(v, "messages"),
            .tools = cJSON_IsNull(tools) ? NULL : tools,
            .add_generation_prompt = cJSON_IsTrue(cJSON_GetObjectItem(v, "add_generation_prompt")),
            .bos_token = "",
            .eos_token = "<|im_end|>",
        };
        char *out;
        size_t len;
        struct err err = {0};
        if (chat_template_apply(&out, &len, parsed[m], &vars, &err))
            fail_msg("%s/%s: %s", name, cJSON_GetObjectItem(v, "case")->valuestring, err.msg);
        const char *want = cJSON_GetObjectItem(v, "rendered")->valuestring;
        if (len != strlen(want) || memcmp(out, want, len))
            fail_msg("%s/%s:\n  gave     [%s]\n  expected [%s]", name, cJSON_GetObjectItem(v, "case")->valuestring,
                     out, want);
        mem_free(out);
        per_model[m]++;
        total++;
        cJSON_Delete(v);
    }
    print_message("%d vectors byte-exact (%s %d, %s %d)\n", total, models[0], per_model[0], models[1], per_model[1]);
    assert_true(per_model[0] > 0 && per_model[1] > 0);
    chat_template_destroy(parsed[0]);
    chat_template_destroy(parsed[1]);
    free(text);
}

/* Renders with explicit limits; returns the status and leaves the message in err. */
static axvk_status render_limited(const char *tpl, size_t max_output, uint64_t max_steps, struct err *err)
{
    struct chat_template *t;
    axvk_status st = chat_template_parse(&t, tpl, strlen(tpl), err);
    if (st)
        return st;
    cJSON *messages = cJSON_Parse(conversation);
    struct chat_template_vars vars = {.messages = messages, .max_output = max_output, .max_steps = max_steps};
    char *out = NULL;
    size_t len;
    st = chat_template_apply(&out, &len, t, &vars, err);
    mem_free(out);
    cJSON_Delete(messages);
    chat_template_destroy(t);
    return st;
}

static void test_syntax_errors_name_line_and_column(void **state)
{
    (void)state;
    tmpl_expect_error("{{ x", "line 1, column 1: unclosed '{{'");
    tmpl_expect_error("ab\n{% if x %}", "line 2, column 11: unexpected end of template, expected 'endif'");
    tmpl_expect_error("{% for m in messages %}{% if m %}{% endfor %}", "line 1, column 37: unexpected 'endfor'");
    tmpl_expect_error("{% endif %}", "line 1, column 4: unexpected 'endif'");
    tmpl_expect_error("{{ x|nosuch }}", "line 1, column 6: no filter named 'nosuch'");
    tmpl_expect_error("{{ x is nosuch }}", "line 1, column 9: no test named 'nosuch'");
    tmpl_expect_error("{% frobnicate %}", "line 1, column 4: unknown tag 'frobnicate'");
    tmpl_expect_error("{% include 'x.j2' %}", "line 1, column 4: the 'include' statement is not supported");
    tmpl_expect_error("{{ 1 $ 2 }}", "line 1, column 6: unexpected character '$'");
    tmpl_expect_error("x\n  {{ 'abc }}", "line 2, column 6: unterminated string");
    tmpl_expect_error("{# abc", "line 1, column 1: unclosed comment");
    tmpl_expect_error("{% raw %}abc", "missing end of raw directive");
    tmpl_expect_error("{% for x %}{% endfor %}", "line 1, column 10: expected 'in'");
    tmpl_expect_error("{% break %}", "line 1, column 4: 'break' outside of a loop");
    tmpl_expect_error("{{ (1, 2] }}", "line 1, column 9: mismatched closing bracket ']'");
    tmpl_expect_error("{{ }}", "line 1, column 4: expected an expression");
    tmpl_expect_error("line 1\n  {{ x | }}", "line 2, column 10: expected a filter name");
    tmpl_expect_error("{% macro m(a=1, b) %}{% endmacro %}", "parameter without a default");
    tmpl_expect_error("{{ f(a=1, 2) }}", "positional argument follows keyword argument");
    tmpl_expect_error("{% set %}", "expected a name to assign to");
    tmpl_expect_error("{{ 'x' '\\N{BULLET}' }}", "not supported");
    tmpl_expect_error("{{ 99999999999999999999 }}", "does not fit in 64 bits");
}

static void test_runtime_errors_name_line_and_column(void **state)
{
    (void)state;
    tmpl_expect_error("{{ 1 + nope }}", "line 1, column 8: 'nope' is undefined");
    tmpl_expect_error("\n{{ nope() }}", "line 2, column 4: 'nope' is undefined");
    tmpl_expect_error("{{ nope.attr }}", "'nope' is undefined");
    tmpl_expect_error("{{ messages[0].missing.deeper }}", "'missing' is undefined");
    tmpl_expect_error("{% for x in 5 %}{% endfor %}", "line 1, column 13: 'int' object is not iterable");
    tmpl_expect_error("{{ 'a' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'");
    tmpl_expect_error("{{ 1 // 0 }}", "integer division or modulo by zero");
    tmpl_expect_error("{{ 1 < 'a' }}", "'<' not supported between instances of 'int' and 'str'");
    tmpl_expect_error("{{ messages[0].content.nosuch() }}", "'str' object has no method 'nosuch'");
    tmpl_expect_error("{% set x = 1 %}{% set x.y = 2 %}", "cannot assign attribute on non-namespace object");
    tmpl_expect_error("{{ 9223372036854775807 + 1 }}", "integer overflow");
    tmpl_expect_error("{{ none|tojson }}{{ nope|tojson }}", "Object of type Undefined is not JSON serializable");
    tmpl_expect_error("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "macro 'm' takes not more than 1 argument(s)");
    tmpl_expect_error("{{ [1, 2]|sort(bogus=1) }}", "sort() got an unexpected keyword argument 'bogus'");
    tmpl_expect_error("{% set a, b = [1, 2, 3] %}", "too many values to unpack (expected 2, got 3)");
}

static void test_raise_exception_passes_its_message_verbatim(void **state)
{
    (void)state;
    struct err err = {0};
    char *out = tmpl_render("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}"
                            "{% endif %}",
                            conversation, NULL, true, &err);
    assert_null(out);
    assert_int_equal(err.status, AXVK_ERR_TEMPLATE);
    assert_string_equal(err.msg, "System role not supported");
}

static void test_deep_nesting_fails_cleanly(void **state)
{
    (void)state;
    size_t n = 5000;
    char *tpl = malloc(4 * n + 16);
    const char *units[] = {"(", "-", "not ", "[", "{% if 1 %}"};
    const char *want[] = {"nested too deeply", "nested more than", "nested more than", "nested too deeply",
                          "nested more than"};
    for (int u = 0; u < 5; u++) {
        size_t reps = u == 4 ? 400 : n, len = strlen(units[u]);
        strcpy(tpl, u == 4 ? "" : "{{ ");
        for (size_t i = 0; i < reps; i++)
            memcpy(tpl + strlen(tpl), units[u], len + 1);
        strcat(tpl, u == 4 ? "x" : "1 }}");
        tmpl_expect_error(tpl, want[u]);
    }
    free(tpl);
    /* values: each round wraps the last list in another */
    tmpl_expect_error("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}",
                      "nested more than 400 levels deep");
    tmpl_expect_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}", "macro calls nested more than 64 deep");
}

static void test_runaway_templates_hit_limits(void **state)
{
    (void)state;
    struct err err = {0};
    assert_int_equal(render_limited("{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}",
                                    0, 100000, &err),
                     AXVK_ERR_TEMPLATE);
    assert_non_null(strstr(err.msg, "rendering took more than 100000 steps"));
    assert_int_equal(render_limited("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", 65536, 0, &err),
                     AXVK_ERR_TEMPLATE);
    assert_non_null(strstr(err.msg, "past the 65536 byte limit"));
    tmpl_expect_error("{{ 'x' * 10000000000 }}", "string repetition past the");
    tmpl_expect_error("{{ range(10000000000)|length }}", "range of more than");
    tmpl_expect_error("{{ [0] * 100000000 }}", "list of more than");
}

static void test_namespace_cycles_render_and_free(void **state)
{
    (void)state;
    tmpl_expect("{% set a = namespace() %}{% set b = namespace(peer=a) %}{% set a.peer = b %}{% set a.me = a %}"
                "{{ a.peer.peer.me is defined }}",
                "True");
    tmpl_expect_error("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", "containing itself");
}

static void test_inputs_become_variables(void **state)
{
    (void)state;
    cJSON *messages = cJSON_Parse("[{\"role\": \"user\", \"content\": \"q\", \"n\": 1.5, \"big\": 12345678901}]");
    cJSON *tools = cJSON_Parse("[{\"name\": \"t\"}]");
    cJSON *extra = cJSON_Parse("{\"enable_thinking\": false, \"custom\": {\"x\": [1, null]}}");
    char *out = NULL;
    size_t len;
    struct err err = {0};
    assert_int_equal(chat_template_render(&out, &len,
                                          "{{ bos_token }}{{ messages[0].n }} {{ messages[0].big }} {{ tools[0].name }} "
                                          "{{ enable_thinking }} {{ custom.x }} {{ add_generation_prompt }}{{ eos_token }}",
                                          messages, tools, false, "<s>", "</s>", extra, &err),
                     AXVK_OK);
    assert_string_equal(out, "<s>1.5 12345678901 t False [1, None] False</s>");
    mem_free(out);
    assert_int_equal(chat_template_render(&out, &len, "", messages, NULL, true, NULL, NULL, NULL, &err), AXVK_OK);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    mem_free(out);
    /* messages must be an array, tools an array */
    assert_int_equal(chat_template_render(&out, &len, "x", extra, NULL, true, "", "", NULL, &err),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(chat_template_render(&out, &len, "x", messages, extra, true, "", "", NULL, &err),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(chat_template_render(&out, &len, NULL, messages, NULL, true, "", "", NULL, &err),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_null(out);
    cJSON_Delete(messages);
    cJSON_Delete(tools);
    cJSON_Delete(extra);
}

static void test_template_is_picked_from_config(void **state)
{
    (void)state;
    cJSON *listed = cJSON_Parse("{\"chat_template\": [{\"name\": \"default\", \"template\": \"A\"}, "
                                "{\"name\": \"tool_use\", \"template\": \"B\"}]}");
    cJSON *plain = cJSON_Parse("{\"chat_template\": \"C\"}");
    cJSON *none = cJSON_Parse("{\"eos_token\": \"x\"}");
    assert_string_equal(chat_template_from_config(listed, NULL), "A");
    assert_string_equal(chat_template_from_config(listed, "tool_use"), "B");
    assert_null(chat_template_from_config(listed, "rag"));
    assert_string_equal(chat_template_from_config(plain, NULL), "C");
    assert_null(chat_template_from_config(none, NULL));
    cJSON_Delete(listed);
    cJSON_Delete(plain);
    cJSON_Delete(none);
}

/* The Qwen2.5 template with tools, failing at every allocation in turn: each failure must come
 * back as out-of-memory (never a crash, a leak or a wrong text), and some count must succeed. */
static void test_allocation_failures_are_reported(void **state)
{
    (void)state;
    char *src = model_template("qwen2.5");
    cJSON *messages = cJSON_Parse("[{\"role\": \"user\", \"content\": \"날씨?\"}, {\"role\": \"assistant\", "
                                  "\"content\": \"\", \"tool_calls\": [{\"function\": {\"name\": \"w\", "
                                  "\"arguments\": {\"city\": \"서울\"}}}]}, {\"role\": \"tool\", \"content\": \"21\"}]");
    cJSON *tools = cJSON_Parse("[{\"type\": \"function\", \"function\": {\"name\": \"w\", \"parameters\": {}}}]");
    char *want = NULL;
    size_t want_len;
    struct err err = {0};
    assert_int_equal(chat_template_render(&want, &want_len, src, messages, tools, true, "", "<|im_end|>", NULL, &err),
                     AXVK_OK);
    long n = 0;
    for (;; n++) {
        char *out = NULL;
        size_t len;
        mem_fail_after(n);
        axvk_status st = chat_template_render(&out, &len, src, messages, tools, true, "", "<|im_end|>", NULL, &err);
        mem_fail_after(-1);
        if (!st) {
            assert_string_equal(out, want);
            mem_free(out);
            break;
        }
        if (st != AXVK_ERR_OUT_OF_HOST_MEMORY)
            fail_msg("allocation %ld failing gave status %d: %s", n, st, err.msg);
        assert_null(out);
    }
    print_message("renders after %ld allocations; every earlier failure reported\n", n);
    assert_true(n > 10);
    mem_free(want);
    free(src);
    cJSON_Delete(messages);
    cJSON_Delete(tools);
}

struct thread_job {
    const struct chat_template *t;
    const cJSON *messages, *tools;
    const char *want;
    int mismatches;
};

static void *render_repeatedly(void *arg)
{
    struct thread_job *job = arg;
    for (int i = 0; i < 40; i++) {
        struct chat_template_vars vars = {.messages = job->messages, .tools = job->tools, .add_generation_prompt = true,
                                          .eos_token = "<|im_end|>"};
        char *out = NULL;
        size_t len;
        if (chat_template_apply(&out, &len, job->t, &vars, NULL) || strcmp(out, job->want))
            job->mismatches++;
        mem_free(out);
    }
    return NULL;
}

/* One parsed template shared by concurrent renders (as the server does) gives identical text. */
static void test_parsed_template_renders_concurrently(void **state)
{
    (void)state;
    char *src = model_template("ax-4.0-light");
    struct chat_template *t;
    assert_int_equal(chat_template_parse(&t, src, strlen(src), NULL), AXVK_OK);
    cJSON *messages = cJSON_Parse("[{\"role\": \"user\", \"content\": \"서울 날씨 알려줘\"}]");
    cJSON *tools = cJSON_Parse("[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
                               "\"parameters\": {\"type\": \"object\"}}}]");
    struct chat_template_vars vars = {.messages = messages, .tools = tools, .add_generation_prompt = true,
                                      .eos_token = "<|im_end|>"};
    char *want;
    size_t len;
    assert_int_equal(chat_template_apply(&want, &len, t, &vars, NULL), AXVK_OK);
    pthread_t threads[4];
    struct thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct thread_job){t, messages, tools, want, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, render_repeatedly, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].mismatches, 0);
    }
    mem_free(want);
    chat_template_destroy(t);
    cJSON_Delete(messages);
    cJSON_Delete(tools);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_vectors_render_byte_exact),
        cmocka_unit_test(test_syntax_errors_name_line_and_column),
        cmocka_unit_test(test_runtime_errors_name_line_and_column),
        cmocka_unit_test(test_raise_exception_passes_its_message_verbatim),
        cmocka_unit_test(test_deep_nesting_fails_cleanly),
        cmocka_unit_test(test_runaway_templates_hit_limits),
        cmocka_unit_test(test_namespace_cycles_render_and_free),
        cmocka_unit_test(test_inputs_become_variables),
        cmocka_unit_test(test_template_is_picked_from_config),
        cmocka_unit_test(test_allocation_failures_are_reported),
        cmocka_unit_test(test_parsed_template_renders_concurrently),
    };
    int failed = cmocka_run_group_tests_name("chat_template", tests, NULL, NULL);
    return failed + chat_template_unit_tests() + chat_template_llama_tests();
}
