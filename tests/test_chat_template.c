/* test_chat_template: the shipped chat templates (A.X 4.0 Light, Qwen2.5) rendered byte for byte
 * against the Hugging Face vectors in ../shared/testdata/chat, Llama 3 templates against jinja2
 * output, and malformed or hostile templates failing with line and column, never crashing. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_vectors_render_byte_exact),
    };
    int failed = cmocka_run_group_tests_name("chat_template", tests, NULL, NULL);
    return failed + chat_template_unit_tests();
}
