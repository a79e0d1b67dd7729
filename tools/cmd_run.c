/* axvk run: complete a prompt (raw text, ids, or one chat turn through the model's template),
 * streaming tokens to stdout and timings to stderr; --json prints one object at the end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"

struct run_opts {
    struct cli_model_opts model;
    struct cli_gen_opts gen;
    const char *prompt;
    const char *prompt_ids;
    const char *system;
    int chat, json, no_special;
};

/* What the token callback collects. */
struct run_output {
    int stream; /* print text as it comes */
    struct cli_answer answer;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axvk run -m MODEL (-p TEXT | --prompt-ids 1,2,3) [options]\n"
            "  -m PATH            GGUF file or Hugging Face directory\n"
            "  --synthetic PRESET[:TYPE]  instead of -m: random weights in a real model's shapes,\n"
            "                     made on the device (ax4-light, qwen2.5-0.5b, ... tiny; q4_k_m)\n"
            "  -p TEXT            prompt (raw completion)\n"
            "  --chat             treat -p as one user message through the chat template\n"
            "  --system TEXT      system message (with --chat)\n"
            "  --prompt-ids LIST  prompt as comma-separated token ids\n"
            "  -n N               tokens to generate (default 128; 0: until a stop)\n"
            "  -c N               context size (default min(trained, 4096))\n"
            "  --temp T --top-k K --top-p P --min-p P --seed S\n"
            "  --repeat-penalty R --presence-penalty P --frequency-penalty F --repeat-last-n N\n"
            "  --stop TEXT        stop string (repeatable)\n"
            "  --no-special       special tokens in the prompt are plain text\n"
            "  --json             print one JSON object at the end instead of streaming\n"
            "  --device N|NAME  --quant TYPE  --kv-type f16|q8_0  --chat-template FILE  -q\n"
            "  --numerics llama-cpu  round each weight product's input as llama.cpp's CPU backend\n"
            "                     does, to reproduce its tokens (default fp32)\n");
}

static int on_token(void *user, int32_t id, const char *text, size_t len)
{
    struct run_output *o = user;
    if (cli_answer_add(&o->answer, id, text, len))
        return 1;
    if (o->stream && len) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    }
    return 0;
}

static int parse_ids(const char *list, int32_t **ids, size_t *n)
{
    size_t cap = 16;
    *n = 0;
    *ids = malloc(cap * sizeof **ids);
    for (const char *p = list; *ids && *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
            fprintf(stderr, "axvk run: --prompt-ids: \"%s\" is not a comma-separated id list\n", list);
            free(*ids);
            *ids = NULL;
            return -1;
        }
        if (*n == cap) {
            int32_t *grown = realloc(*ids, 2 * cap * sizeof **ids);
            if (!grown)
                break;
            *ids = grown;
            cap *= 2;
        }
        (*ids)[(*n)++] = (int32_t)v;
        p = *end ? end + 1 : end;
    }
    return *ids ? 0 : -1;
}

/* The prompt's ids: from --prompt-ids, the chat template, or the raw text. */
static int prompt_ids(const struct run_opts *o, axvk_model *model, axvk_context *ctx,
                      int32_t **ids, size_t *n)
{
    if (o->prompt_ids)
        return parse_ids(o->prompt_ids, ids, n);
    char *rendered = NULL;
    const char *text = o->prompt;
    if (o->chat) {
        cJSON *msgs = cJSON_CreateArray();
        if (o->system) {
            cJSON *sys = cJSON_CreateObject();
            cJSON_AddStringToObject(sys, "role", "system");
            cJSON_AddStringToObject(sys, "content", o->system);
            cJSON_AddItemToArray(msgs, sys);
        }
        cJSON *user = cJSON_CreateObject();
        cJSON_AddStringToObject(user, "role", "user");
        cJSON_AddStringToObject(user, "content", o->prompt);
        cJSON_AddItemToArray(msgs, user);
        char *json = cJSON_PrintUnformatted(msgs);
        cJSON_Delete(msgs);
        axvk_status s = json ? axvk_apply_template(model, json, NULL, 1, &rendered)
                             : AXVK_ERR_OUT_OF_HOST_MEMORY;
        free(json);
        if (s != AXVK_OK) {
            fprintf(stderr, "axvk run: %s\n", axvk_errmsg(ctx));
            return -1;
        }
        text = rendered;
    }
    uint32_t flags = o->no_special ? AXVK_TOKENIZE_NO_SPECIAL : 0;
    axvk_status s = axvk_tokenize(model, text, strlen(text), flags, ids, n);
    axvk_free(rendered);
    if (s != AXVK_OK) {
        fprintf(stderr, "axvk run: %s\n", axvk_errmsg(ctx));
        return -1;
    }
    return 0;
}

static int run_option(void *opts, const char *a, const char *v)
{
    struct run_opts *o = opts;
    int r = cli_gen_flag(&o->gen, a, v);
    if (r)
        return r;
    if (!strcmp(a, "--chat")) {
        o->chat = 1;
    } else if (!strcmp(a, "--json")) {
        o->json = 1;
    } else if (!strcmp(a, "--no-special")) {
        o->no_special = 1;
    } else {
        /* the rest take a value */
        if (!v)
            return 0;
        if (!strcmp(a, "-p") || !strcmp(a, "--prompt"))
            o->prompt = v;
        else if (!strcmp(a, "--prompt-ids"))
            o->prompt_ids = v;
        else if (!strcmp(a, "--system"))
            o->system = v;
        else
            return 0;
        return 2;
    }
    return 1;
}

static int parse_args(struct run_opts *o, int argc, char **argv)
{
    if (cli_parse("run", argc, argv, &o->model, usage, run_option, o))
        return -1;
    if (!o->prompt && !o->prompt_ids) {
        fprintf(stderr, "axvk run: give a prompt with -p TEXT or --prompt-ids LIST\n");
        return -1;
    }
    if (o->chat && !o->prompt) {
        fprintf(stderr, "axvk run: --chat needs -p TEXT\n");
        return -1;
    }
    return 0;
}

static void print_json(const int32_t *prompt, size_t n_prompt, const struct run_output *out,
                       const axvk_generate_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *p = cJSON_AddArrayToObject(o, "prompt_ids");
    for (size_t i = 0; i < n_prompt; i++)
        cJSON_AddItemToArray(p, cJSON_CreateNumber(prompt[i]));
    cJSON *ids = cJSON_AddArrayToObject(o, "ids");
    for (size_t i = 0; i < out->answer.n_ids; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateNumber(out->answer.ids[i]));
    cJSON_AddStringToObject(o, "text", out->answer.text ? out->answer.text : "");
    static const char *finish[] = {"stop", "length", "cancelled"};
    cJSON_AddStringToObject(o, "finish_reason", finish[r->finish]);
    cJSON *t = cJSON_AddObjectToObject(o, "timings");
    cJSON_AddNumberToObject(t, "prompt_n", r->n_prompt);
    cJSON_AddNumberToObject(t, "prompt_ms", r->prompt_ms);
    cJSON_AddNumberToObject(t, "prompt_per_second", r->prompt_ms > 0 ? r->n_prompt * 1e3 / r->prompt_ms : 0);
    cJSON_AddNumberToObject(t, "predicted_n", r->n_generated);
    cJSON_AddNumberToObject(t, "predicted_ms", r->generate_ms);
    cJSON_AddNumberToObject(t, "predicted_per_second",
                            r->generate_ms > 0 ? r->n_generated * 1e3 / r->generate_ms : 0);
    cli_print_json(o);
}

int cmd_run(int argc, char **argv)
{
    struct run_opts o = {.gen.n_predict = 128};
    if (parse_args(&o, argc, argv)) {
        usage(stderr);
        return 2;
    }
    axvk_context *ctx;
    axvk_model *model;
    int rc = cli_open(&o.model, &ctx, &model);
    if (rc)
        return rc;
    axvk_session *session = NULL;
    int32_t *prompt = NULL;
    size_t n_prompt = 0;
    struct run_output out = {.stream = !o.json};
    rc = 1;
    if (prompt_ids(&o, model, ctx, &prompt, &n_prompt))
        goto done;
    if (axvk_session_create(model, NULL, &session) != AXVK_OK) {
        fprintf(stderr, "axvk run: %s\n", axvk_errmsg(ctx));
        goto done;
    }
    axvk_generate_desc g = cli_gen_desc(&o.gen, on_token, &out);
    axvk_generate_result r;
    if (axvk_generate(session, 0, prompt, n_prompt, &g, &r) != AXVK_OK) {
        fprintf(stderr, "\naxvk run: %s\n", axvk_errmsg(ctx));
        goto done;
    }
    if (o.json) {
        print_json(prompt, n_prompt, &out, &r);
    } else {
        printf("\n");
        fprintf(stderr, "prompt: %u tokens, %.1f tokens/s | generation: %u tokens, %.1f tokens/s\n",
                r.n_prompt, r.prompt_ms > 0 ? r.n_prompt * 1e3 / r.prompt_ms : 0.0, r.n_generated,
                r.generate_ms > 0 ? r.n_generated * 1e3 / r.generate_ms : 0.0);
    }
    rc = 0;
done:
    free(prompt);
    cli_answer_free(&out.answer);
    axvk_session_destroy(session);
    axvk_model_destroy(model);
    axvk_context_destroy(ctx);
    return rc;
}
