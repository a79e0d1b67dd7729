/* axvk template: renders a conversation with a model's chat template (or --chat-template FILE) and
 * prints the prompt byte for byte. Loads the vocabulary and template only; no device. Checks the
 * JSON itself so that a bad file is named with the position of the fault. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"

struct template_opts {
    struct cli_model_opts model;
    const char *messages; /* --messages FILE ('-': stdin) */
    const char *tools;    /* --tools FILE */
    int add_generation_prompt;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axvk template -m MODEL --messages FILE.json [--tools FILE.json]\n"
            "                     [--add-generation-prompt] [--chat-template FILE]\n"
            "  -m PATH                  GGUF file or Hugging Face directory\n"
            "  --messages FILE          JSON array of {\"role\", \"content\", ...} ('-': stdin);\n"
            "                           {\"messages\": [...], \"tools\": [...]} is read too\n"
            "  --tools FILE             JSON array of tool definitions\n"
            "  --add-generation-prompt  end with the opening of the assistant's turn\n"
            "  --chat-template FILE     render with this template instead of the model's\n"
            "The prompt is printed exactly as rendered: no newline is added.\n");
}

/* Prints "axvk template: <what>" on one line: a message spread over lines is joined. */
static void fail_line(const char *what, const char *detail)
{
    fprintf(stderr, "axvk template: %s", what);
    if (detail) {
        fputs(": ", stderr);
        for (const char *p = detail; *p; p++)
            fputc(*p == '\n' || *p == '\r' ? ' ' : *p, stderr);
    }
    fputc('\n', stderr);
}

/* Reads and parses one JSON file ('-': stdin); NULL after a one-line message. */
static cJSON *load_json(const char *path)
{
    size_t len;
    char *text = cli_read_bytes(path, &len);
    if (!text)
        return NULL;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(text, &end, 1);
    if (!v) {
        /* cJSON stops where the text stops being JSON: say where, with the line */
        size_t at = end ? (size_t)(end - text) : 0, line = 1;
        for (size_t i = 0; i < at; i++)
            line += text[i] == '\n';
        char where[96];
        snprintf(where, sizeof where, "not valid JSON (line %zu, byte %zu)", line, at);
        fail_line(path, where);
    }
    free(text);
    return v;
}

/* The messages array and the tools (NULL when none) as compact JSON text for the library. */
static int conversation(const struct template_opts *o, char **messages, char **tools)
{
    cJSON *m = load_json(o->messages), *t = NULL;
    const cJSON *msgs = m, *tls = NULL;
    int rc = -1;
    *messages = *tools = NULL;
    if (!m)
        goto done;
    if (cJSON_IsObject(m)) {
        msgs = cJSON_GetObjectItemCaseSensitive(m, "messages");
        tls = cJSON_GetObjectItemCaseSensitive(m, "tools");
    }
    if (!cJSON_IsArray(msgs)) {
        fail_line(o->messages, "expected a JSON array of messages (or {\"messages\": [...]})");
        goto done;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, msgs) {
        if (!cJSON_IsObject(e) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "role"))) {
            fail_line(o->messages, "each message must be an object with a string \"role\"");
            goto done;
        }
    }
    if (o->tools) {
        if (!(t = load_json(o->tools)))
            goto done;
        tls = t;
    }
    if (tls && !cJSON_IsNull(tls) && !cJSON_IsArray(tls)) {
        fail_line(o->tools ? o->tools : o->messages, "\"tools\" must be a JSON array");
        goto done;
    }
    *messages = cJSON_PrintUnformatted(msgs);
    if (tls && cJSON_IsArray(tls))
        *tools = cJSON_PrintUnformatted(tls);
    if (!*messages || (tls && cJSON_IsArray(tls) && !*tools)) {
        fail_line("out of memory", NULL);
        goto done;
    }
    rc = 0;
done:
    if (rc) {
        free(*messages);
        free(*tools);
        *messages = *tools = NULL;
    }
    cJSON_Delete(m);
    cJSON_Delete(t);
    return rc;
}

static int template_option(void *opts, const char *a, const char *v)
{
    struct template_opts *o = opts;
    if (!strcmp(a, "--add-generation-prompt")) {
        o->add_generation_prompt = 1;
        return 1;
    }
    if (!strcmp(a, "--messages") && v)
        o->messages = v;
    else if (!strcmp(a, "--tools") && v)
        o->tools = v;
    else
        return 0;
    return 2;
}

static int parse_args(struct template_opts *o, int argc, char **argv)
{
    if (cli_parse("template", argc, argv, &o->model, usage, template_option, o))
        return -1;
    if (!o->messages) {
        fprintf(stderr, "axvk template: give the conversation with --messages FILE.json\n");
        return -1;
    }
    return 0;
}

int cmd_template(int argc, char **argv)
{
    struct template_opts o = {0};
    if (parse_args(&o, argc, argv)) {
        usage(stderr);
        return 2;
    }
    o.model.vocab_only = 1;
    /* the files are checked before the model is read: a typo costs no load */
    char *messages, *tools;
    if (!o.model.model) {
        fprintf(stderr, "axvk: no model: give -m FILE.gguf or -m HF_DIRECTORY\n");
        return 2;
    }
    if (conversation(&o, &messages, &tools))
        return 1;
    axvk_context *ctx;
    axvk_model *model;
    char *out = NULL;
    int rc = cli_open(&o.model, &ctx, &model);
    if (rc)
        goto done;
    rc = 1;
    if (axvk_apply_template(model, messages, tools, o.add_generation_prompt, &out) != AXVK_OK) {
        fail_line(axvk_errmsg(ctx), NULL);
    } else {
        fputs(out, stdout);
        rc = fflush(stdout) ? 1 : 0;
    }
    axvk_free(out);
    axvk_model_destroy(model);
    axvk_context_destroy(ctx);
done:
    free(messages);
    free(tools);
    return rc;
}
