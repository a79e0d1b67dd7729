/* fuzz_template: libFuzzer target for chat templates. Any bytes must either fail to parse with a
 * template error or parse; a parsed template must render a fixed tool-calling conversation or fail
 * with a template error, within small step and output limits, without crashing or leaking. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/chat_template.h"

static cJSON *messages, *tools;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    messages = cJSON_Parse("[{\"role\": \"system\", \"content\": \"Be brief.\"},"
                           " {\"role\": \"user\", \"content\": \"서울 날씨? <think>x</think>\\n\"},"
                           " {\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"type\": \"function\","
                           " \"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"서울\", \"days\": 3}}}]},"
                           " {\"role\": \"tool\", \"content\": {\"temp\": 21.5, \"ok\": true, \"tags\": [null, \"a\"]}}]");
    tools = cJSON_Parse("[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"날씨\","
                        " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}},"
                        " \"required\": [\"city\"]}}}]");
    if (!messages || !tools) {
        fprintf(stderr, "fuzz_template: bad fixed conversation\n");
        abort();
    }
    return 0;
}

static void check_failure(axvk_status st, const struct err *e)
{
    if ((st != AXVK_ERR_TEMPLATE && st != AXVK_ERR_OUT_OF_HOST_MEMORY) || e->status != st) {
        fprintf(stderr, "fuzz_template: unexpected status %d (%s)\n", st, e->msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chat_template *t = NULL;
    struct err e;
    err_clear(&e);
    axvk_status st = chat_template_parse(&t, (const char *)data, size, &e);
    if (st) {
        check_failure(st, &e);
        return 0;
    }
    struct chat_template_vars vars = {
        .messages = messages,
        .tools = size & 1 ? tools : NULL,
        .add_generation_prompt = size & 2,
        .bos_token = "<s>",
        .eos_token = "</s>",
        .max_output = 1 << 20,
        .max_steps = 200000,
    };
    char *out = NULL;
    size_t len = 0;
    st = chat_template_apply(&out, &len, t, &vars, &e);
    if (st) {
        check_failure(st, &e);
    } else if (!out || out[len] != '\0' || len > vars.max_output) {
        fprintf(stderr, "fuzz_template: bad output buffer\n");
        abort();
    }
    mem_free(out);
    chat_template_destroy(t);
    return 0;
}
