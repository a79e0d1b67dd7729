/* test_chat_template_llama: Meta's Llama 3 and Llama 3.1 chat templates (as shipped in their
 * tokenizer_config.json) rendered for plain, multi-turn, tool-schema, tool-call, built-in-tool and
 * invalid conversations. Expected texts and errors are Python jinja2's with transformers' settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "test_chat_template.h"
#include "text/chat_template.h"

enum { LLAMA_3, LLAMA_31 };

struct llama_case {
    int tpl;
    const char *messages, *tools, *extra;
    bool add_generation_prompt;
    const char *expected; /* NULL when the template raises */
    const char *error;    /* raise_exception's message */
};

static const char llama3_template[] =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n"
    "\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n"
    "\\n' }}{% endif %}";

static const char llama31_template[] =
    "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n"
    "{%- endif %}\n{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = true %}\n"
    "{%- endif %}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul 2024\" %}\n"
    "{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n"
    "{%- endif %}\n\n{#- This block extracts the system message, so we can slot it into the right place. #}\n"
    "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n"
    "    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n"
    "{%- endif %}\n\n{#- System message + builtin tools #}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n"
    "\\n\" }}\n{%- if builtin_tools is defined or tools is not none %}\n    {{- \"Environment: ipython\\n"
    "\" }}\n{%- endif %}\n{%- if builtin_tools is defined %}\n    {{- \"Tools: \" + builtin_tools | reject('equalto', 'code_interpreter') | join(\", \") + \"\\n"
    "\\n\"}}\n{%- endif %}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n"
    "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{%- if tools is not none and not tools_in_user_message %}\n"
    "    {{- \"You have access to the following functions. To call a function, please respond with JSON for a function call.\" }}\n"
    "    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n"
    "    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n"
    "        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n"
    "{%- endif %}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n\n{#- Custom tools are passed in a user message with some extra guidance #}\n"
    "{%- if tools_in_user_message and not tools is none %}\n    {#- Extract the first user message so we can plug it in here #}\n"
    "    {%- if messages | length != 0 %}\n        {%- set first_user_message = messages[0]['content']|trim %}\n"
    "        {%- set messages = messages[1:] %}\n    {%- else %}\n        {{- raise_exception(\"Cannot put tools in the first user message when there's no first user message!\") }}\n"
    "{%- endif %}\n    {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}\n"
    "    {{- \"Given the following functions, please respond with a JSON for a function call \" }}\n"
    "    {{- \"with its proper arguments that best answers the given prompt.\\n"
    "\\n\" }}\n    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n"
    "    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n"
    "        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n"
    "    {{- first_user_message + \"<|eot_id|>\"}}\n{%- endif %}\n\n{%- for message in messages %}\n"
    "    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n"
    "        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n"
    "\\n'+ message['content'] | trim + '<|eot_id|>' }}\n    {%- elif 'tool_calls' in message %}\n"
    "        {%- if not message.tool_calls|length == 1 %}\n            {{- raise_exception(\"This model only supports single tool-calls at once!\") }}\n"
    "        {%- endif %}\n        {%- set tool_call = message.tool_calls[0].function %}\n"
    "        {%- if builtin_tools is defined and tool_call.name in builtin_tools %}\n"
    "            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
    "            {{- \"<|python_tag|>\" + tool_call.name + \".call(\" }}\n            {%- for arg_name, arg_val in tool_call.arguments | items %}\n"
    "                {{- arg_name + '=\"' + arg_val + '\"' }}\n                {%- if not loop.last %}\n"
    "                    {{- \", \" }}\n                {%- endif %}\n                {%- endfor %}\n"
    "            {{- \")\" }}\n        {%- else  %}\n            {{- '<|start_header_id|>assistant<|end_header_id|>\\n"
    "\\n' -}}\n            {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n"
    "            {{- '\"parameters\": ' }}\n            {{- tool_call.arguments | tojson }}\n"
    "            {{- \"}\" }}\n        {%- endif %}\n        {%- if builtin_tools is defined %}\n"
    "            {#- This means we're in ipython mode #}\n            {{- \"<|eom_id|>\" }}\n"
    "        {%- else %}\n            {{- \"<|eot_id|>\" }}\n        {%- endif %}\n"
    "    {%- elif message.role == \"tool\" or message.role == \"ipython\" %}\n"
    "        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n        {%- if message.content is mapping or message.content is iterable %}\n"
    "            {{- message.content | tojson }}\n        {%- else %}\n            {{- message.content }}\n"
    "        {%- endif %}\n        {{- \"<|eot_id|>\" }}\n    {%- endif %}\n"
    "{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n"
    "\\n' }}\n{%- endif %}\n";

static const struct llama_case llama_cases[] = {
    {LLAMA_3,
     "[{\"role\": \"system\", \"content\": \"  You are helpful.  \"}, {\"role\": \"user\", \"content\": \"안녕하세요?\\n"
     "\"}]",
     NULL,
     NULL, true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
     "\n안녕하세요?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
     NULL},
    {LLAMA_3,
     "[{\"role\": \"user\", \"content\": \"1+1?\"}, {\"role\": \"assistant\", \"content\": \" 2 \"}, {\"role\": \"user\", \"content\": \"2+2?\"}]",
     NULL,
     NULL, false,
     "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n1+1?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
     "\n2<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>",
     NULL},
    {LLAMA_31,
     "[{\"role\": \"system\", \"content\": \"  You are helpful.  \"}, {\"role\": \"user\", \"content\": \"안녕하세요?\\n"
     "\"}]",
     NULL,
     NULL, true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
     "Today Date: 26 Jul 2024\n\nYou are helpful.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
     "\n안녕하세요?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
     NULL},
    {LLAMA_31,
     "[{\"role\": \"user\", \"content\": \"1+1?\"}, {\"role\": \"assistant\", \"content\": \" 2 \"}, {\"role\": \"user\", \"content\": \"2+2?\"}]",
     "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"현재 날씨를 알려줍니다\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"도시\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"c\", \"f\"]}}, \"required\": [\"city\"]}}}]",
     NULL, true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
     "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
     "\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n"
     "\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n"
     "\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n"
     "        \"description\": \"현재 날씨를 알려줍니다\",\n        \"parameters\": {\n"
     "            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n"
     "                    \"type\": \"string\",\n                    \"description\": \"도시\"\n"
     "                },\n                \"unit\": {\n                    \"type\": \"string\",\n"
     "                    \"enum\": [\n                        \"c\",\n                        \"f\"\n"
     "                    ]\n                }\n            },\n            \"required\": [\n"
     "                \"city\"\n            ]\n        }\n    }\n}\n\n1+1?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
     "\n2<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
     "\n",
     NULL},
    {LLAMA_31,
     "[{\"role\": \"system\", \"content\": \"  You are helpful.  \"}, {\"role\": \"user\", \"content\": \"안녕하세요?\\n"
     "\"}]",
     "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"현재 날씨를 알려줍니다\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"도시\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"c\", \"f\"]}}, \"required\": [\"city\"]}}}]",
     "{\"tools_in_user_message\": false, \"date_string\": \"01 Jan 2025\"}", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
     "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\nYou have access to the following functions. To call a function, please respond with JSON for a function call.Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n"
     "\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n"
     "        \"description\": \"현재 날씨를 알려줍니다\",\n        \"parameters\": {\n"
     "            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n"
     "                    \"type\": \"string\",\n                    \"description\": \"도시\"\n"
     "                },\n                \"unit\": {\n                    \"type\": \"string\",\n"
     "                    \"enum\": [\n                        \"c\",\n                        \"f\"\n"
     "                    ]\n                }\n            },\n            \"required\": [\n"
     "                \"city\"\n            ]\n        }\n    }\n}\n\nYou are helpful.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
     "\n안녕하세요?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
     NULL},
    {LLAMA_31,
     "[{\"role\": \"user\", \"content\": \"Weather in Seoul?\"}, {\"role\": \"assistant\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"서울\", \"unit\": \"c\"}}}]}, {\"role\": \"tool\", \"content\": {\"temp\": 21.5, \"sky\": \"맑음\"}}, {\"role\": \"ipython\", \"content\": \"plain text\"}]",
     "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"현재 날씨를 알려줍니다\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"도시\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"c\", \"f\"]}}, \"required\": [\"city\"]}}}]",
     "{\"tools_in_user_message\": false}", true,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
     "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou have access to the following functions. To call a function, please respond with JSON for a function call.Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n"
     "\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n"
     "        \"description\": \"현재 날씨를 알려줍니다\",\n        \"parameters\": {\n"
     "            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n"
     "                    \"type\": \"string\",\n                    \"description\": \"도시\"\n"
     "                },\n                \"unit\": {\n                    \"type\": \"string\",\n"
     "                    \"enum\": [\n                        \"c\",\n                        \"f\"\n"
     "                    ]\n                }\n            },\n            \"required\": [\n"
     "                \"city\"\n            ]\n        }\n    }\n}\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
     "\nWeather in Seoul?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
     "\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"서울\", \"unit\": \"c\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n"
     "\n{\"temp\": 21.5, \"sky\": \"맑음\"}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n"
     "\n\"plain text\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
     "\n",
     NULL},
    {LLAMA_31,
     "[{\"role\": \"user\", \"content\": \"Weather in Seoul?\"}, {\"role\": \"assistant\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"서울\", \"unit\": \"c\"}}}]}, {\"role\": \"tool\", \"content\": {\"temp\": 21.5, \"sky\": \"맑음\"}}, {\"role\": \"ipython\", \"content\": \"plain text\"}]",
     NULL,
     "{\"builtin_tools\": [\"brave_search\", \"get_weather\", \"code_interpreter\"]}", false,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n"
     "Tools: brave_search, get_weather\n\nCutting Knowledge Date: December 2023\n"
     "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
     "\nWeather in Seoul?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
     "\n<|python_tag|>get_weather.call(city=\"서울\", unit=\"c\")<|eom_id|><|start_header_id|>ipython<|end_header_id|>\n"
     "\n{\"temp\": 21.5, \"sky\": \"맑음\"}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n"
     "\n\"plain text\"<|eot_id|>",
     NULL},
    {LLAMA_31,
     "[{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"a\", \"arguments\": {}}}, {\"function\": {\"name\": \"b\", \"arguments\": {}}}]}]",
     NULL,
     NULL, true,
     NULL,
     "This model only supports single tool-calls at once!"},
};


static void test_llama_templates_match_jinja2(void **state)
{
    (void)state;
    const char *sources[] = {llama3_template, llama31_template};
    struct chat_template *parsed[2];
    for (int i = 0; i < 2; i++) {
        struct err err = {0};
        if (chat_template_parse(&parsed[i], sources[i], strlen(sources[i]), &err))
            fail_msg("llama template %d: %s", i, err.msg);
    }
    for (size_t i = 0; i < sizeof llama_cases / sizeof *llama_cases; i++) {
        const struct llama_case *c = &llama_cases[i];
        cJSON *messages = cJSON_Parse(c->messages);
        cJSON *tools = c->tools ? cJSON_Parse(c->tools) : NULL;
        cJSON *extra = c->extra ? cJSON_Parse(c->extra) : NULL;
        struct chat_template_vars vars = {
            .messages = messages,
            .tools = tools,
            .extra_vars = extra,
            .add_generation_prompt = c->add_generation_prompt,
            .bos_token = "<|begin_of_text|>",
            .eos_token = "<|eot_id|>",
        };
        char *out = NULL;
        size_t len = 0;
        struct err err = {0};
        axvk_status st = chat_template_apply(&out, &len, parsed[c->tpl], &vars, &err);
        if (c->expected) {
            if (st)
                fail_msg("llama case %zu: %s", i, err.msg);
            if (strcmp(out, c->expected))
                fail_msg("llama case %zu:\n  gave     [%s]\n  expected [%s]", i, out, c->expected);
        } else {
            /* raise_exception's text reaches the caller verbatim */
            assert_int_equal(st, AXVK_ERR_TEMPLATE);
            assert_string_equal(err.msg, c->error);
        }
        mem_free(out);
        cJSON_Delete(messages);
        cJSON_Delete(tools);
        cJSON_Delete(extra);
    }
    chat_template_destroy(parsed[0]);
    chat_template_destroy(parsed[1]);
}

int chat_template_llama_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama_templates_match_jinja2),
    };
    return cmocka_run_group_tests_name("chat_template_llama", tests, NULL, NULL);
}
