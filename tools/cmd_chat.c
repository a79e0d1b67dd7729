/* axvk chat: an interactive conversation on the GPU. Each turn re-renders the whole conversation
 * with the chat template; when the result extends the text the session already holds, only the
 * new part is tokenized and fed, otherwise the session is cleared and fed again. Edits lines on a
 * terminal, reads plain lines from a pipe; Ctrl-C stops an answer, not the program. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"
#include "lineedit.h"

#define MAX_STOP 16

struct chat_opts {
    struct cli_model_opts model;
    const char *system;
    uint32_t n_predict; /* per answer; 0: until a stop id or the context is full */
    axvk_sampling sampling;
    const char *stop[MAX_STOP];
    size_t n_stop;
};

struct chat {
    const struct chat_opts *o;
    axvk_context *ctx;
    axvk_model *model;
    axvk_session *session;
    struct lineedit *le; /* NULL: input is not a terminal */
    cJSON *messages;     /* the conversation, system message first */
    char *cached;        /* the text sequence 0 holds; NULL: nothing reusable */
    /* the answer being generated */
    char *answer;
    size_t len, cap;
    int32_t *gen;        /* its token ids */
    size_t n_gen, gen_cap;
};

/* Set by SIGINT while an answer is generated; the token callback reads it. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    /* a second Ctrl-C before the first is noticed (a long prefill) ends the program */
    if (interrupted) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axvk chat -m MODEL [options]\n"
            "  -m PATH            GGUF file or Hugging Face directory with a chat template\n"
            "  -c N               context size (default min(trained, 4096))\n"
            "  --system TEXT      system message\n"
            "  -n N               most tokens per answer (default 0: until the model stops)\n"
            "  --temp T --top-k K --top-p P --min-p P --seed S       (default: greedy)\n"
            "  --repeat-penalty R --presence-penalty P --frequency-penalty F --repeat-last-n N\n"
            "  --stop TEXT        stop string (repeatable)\n"
            "  --device N|NAME  --quant TYPE  --kv-type f16|q8_0  --chat-template FILE  -q\n"
            "In the conversation: /reset forgets it, /exit (or Ctrl-D) leaves, Ctrl-C stops an\n"
            "answer; a line ending in \\ continues on the next. Answers go to stdout, timings to\n"
            "stderr; with input from a pipe each line is one message.\n");
}

static int on_token(void *user, int32_t id, const char *text, size_t len)
{
    struct chat *c = user;
    if (interrupted)
        return 1;
    if (id >= 0) {
        if (c->n_gen == c->gen_cap) {
            size_t cap = c->gen_cap ? 2 * c->gen_cap : 256;
            int32_t *grown = realloc(c->gen, cap * sizeof *grown);
            if (!grown)
                return 1;
            c->gen = grown;
            c->gen_cap = cap;
        }
        c->gen[c->n_gen++] = id;
    }
    if (c->len + len + 1 > c->cap) {
        size_t cap = 2 * (c->len + len + 1);
        char *grown = realloc(c->answer, cap);
        if (!grown)
            return 1;
        c->answer = grown;
        c->cap = cap;
    }
    memcpy(c->answer + c->len, text, len);
    c->len += len;
    c->answer[c->len] = '\0';
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

static int add_message(cJSON *messages, const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    if (!m || !cJSON_AddStringToObject(m, "role", role) ||
        !cJSON_AddStringToObject(m, "content", content)) {
        cJSON_Delete(m);
        return -1;
    }
    cJSON_AddItemToArray(messages, m);
    return 0;
}

/* Forgets the conversation (keeping the system message) and what the session holds. */
static int reset(struct chat *c)
{
    cJSON_Delete(c->messages);
    free(c->cached);
    c->cached = NULL;
    axvk_session_clear(c->session, 0);
    c->messages = cJSON_CreateArray();
    if (!c->messages || (c->o->system && add_message(c->messages, "system", c->o->system))) {
        fprintf(stderr, "axvk chat: out of memory\n");
        return -1;
    }
    return 0;
}

/* After an answer: the session holds the prompt and the answer's ids that were decoded (a stop
 * id, and the last token when generation was cut short, are not). Their text is what the next
 * rendering must start with to reuse the session. */
static void remember(struct chat *c, const char *prompt, uint32_t n_prompt_ctx)
{
    uint32_t n_past = 0;
    char *text = NULL;
    size_t len = 0, plen = strlen(prompt);
    free(c->cached);
    c->cached = NULL;
    axvk_session_n_past(c->session, 0, &n_past);
    if (n_past < n_prompt_ctx || n_past - n_prompt_ctx > c->n_gen)
        return;
    size_t n_fed = n_past - n_prompt_ctx;
    if (n_fed && axvk_detokenize(c->model, c->gen, n_fed, 0, &text, &len) != AXVK_OK)
        return;
    if ((c->cached = malloc(plen + len + 1))) {
        memcpy(c->cached, prompt, plen);
        if (len)
            memcpy(c->cached + plen, text, len);
        c->cached[plen + len] = '\0';
    }
    axvk_free(text);
}

/* One exchange: the user's text in, the answer streamed out. 0 also when the turn failed in a
 * way the conversation survives (message printed); -1 only when it cannot go on. */
static int turn(struct chat *c, const char *user_text)
{
    const struct chat_opts *o = c->o;
    char *prompt = NULL;
    int32_t *ids = NULL;
    size_t n_ids = 0;
    uint32_t n_before = 0;
    int rc = 0;
    if (add_message(c->messages, "user", user_text))
        return -1;
    char *json = cJSON_PrintUnformatted(c->messages);
    axvk_status s = json ? axvk_apply_template(c->model, json, NULL, 1, &prompt)
                         : AXVK_ERR_OUT_OF_HOST_MEMORY;
    free(json);
    if (s != AXVK_OK)
        goto fail;
    const char *feed = prompt;
    size_t n_cached = c->cached ? strlen(c->cached) : 0;
    if (c->cached && !strncmp(prompt, c->cached, n_cached)) {
        feed = prompt + n_cached;
        axvk_session_n_past(c->session, 0, &n_before);
    } else {
        axvk_session_clear(c->session, 0);
    }
    if ((s = axvk_tokenize(c->model, feed, strlen(feed), 0, &ids, &n_ids)) != AXVK_OK)
        goto fail;
    c->len = c->n_gen = 0;
    axvk_generate_desc g = {.sampling = o->sampling, .max_tokens = o->n_predict, .stop = o->stop,
                            .n_stop = o->n_stop, .on_token = on_token, .user = c};
    axvk_generate_result r;
    interrupted = 0;
    signal(SIGINT, on_sigint);
    s = axvk_generate(c->session, 0, ids, n_ids, &g, &r);
    signal(SIGINT, SIG_DFL);
    if (s != AXVK_OK)
        goto fail;
    printf("\n");
    fflush(stdout);
    uint32_t n_prompt_ctx = n_before + (uint32_t)n_ids;
    fprintf(stderr, "prompt %u tokens (%u new), %.1f tokens/s | answer %u tokens, %.1f tokens/s\n",
            n_prompt_ctx, r.n_prompt, r.prompt_ms > 0 ? r.n_prompt * 1e3 / r.prompt_ms : 0.0,
            r.n_generated, r.generate_ms > 0 ? r.n_generated * 1e3 / r.generate_ms : 0.0);
    if (r.finish == AXVK_FINISH_CANCELLED)
        fprintf(stderr, "(answer stopped)\n");
    else if (r.finish == AXVK_FINISH_LENGTH && (!o->n_predict || r.n_generated < o->n_predict))
        fprintf(stderr, "(the context is full: /reset starts a new conversation)\n");
    /* the answer, as far as it was shown, becomes part of the conversation */
    if (add_message(c->messages, "assistant", c->answer ? c->answer : ""))
        rc = -1;
    else
        remember(c, prompt, n_prompt_ctx);
    goto done;
fail:
    fprintf(stderr, "\naxvk chat: %s\n", axvk_errmsg(c->ctx));
    if (s == AXVK_ERR_CONTEXT_FULL)
        fprintf(stderr, "(the conversation no longer fits the context: /reset, or a larger -c)\n");
    /* the message is dropped and the session started over: what it holds is not known */
    cJSON_DeleteItemFromArray(c->messages, cJSON_GetArraySize(c->messages) - 1);
    free(c->cached);
    c->cached = NULL;
    axvk_session_clear(c->session, 0);
    if (s == AXVK_ERR_OUT_OF_HOST_MEMORY || s == AXVK_ERR_DEVICE_LOST)
        rc = -1;
done:
    axvk_free(ids);
    axvk_free(prompt);
    return rc;
}

/* One physical line: from the editor on a terminal, else from stdin. -1 at the end of input. */
static int read_physical(struct chat *c, const char *prompt, char **line)
{
    if (c->le)
        return lineedit_read(c->le, prompt, line) == LINEEDIT_LINE ? 0 : -1;
    size_t cap = 0;
    ssize_t n = getline(line, &cap, stdin);
    if (n < 0) {
        free(*line);
        *line = NULL;
        return -1;
    }
    while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
        (*line)[--n] = '\0';
    return 0;
}

/* A message: physical lines joined while they end in a backslash. NULL at the end of input. */
static char *read_message(struct chat *c)
{
    char *msg = NULL, *line = NULL;
    size_t len = 0;
    while (!read_physical(c, msg ? "... " : "> ", &line)) {
        size_t n = strlen(line);
        int more = n > 0 && line[n - 1] == '\\';
        if (more)
            line[--n] = '\0';
        char *grown = realloc(msg, len + n + 2);
        if (!grown) {
            free(line);
            break;
        }
        msg = grown;
        memcpy(msg + len, line, n);
        len += n;
        msg[len] = '\0';
        free(line);
        line = NULL;
        if (!more)
            return msg;
        msg[len++] = '\n';
        msg[len] = '\0';
    }
    return msg; /* the end of input finishes a continued message */
}

static int parse_args(struct chat_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = cli_model_flag(&o->model, argc, argv, &i);
        if (r < 0)
            return -1;
        if (r > 0)
            continue;
        int bad = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!v) {
            bad = 1;
        } else if (!strcmp(a, "--system")) {
            o->system = argv[++i];
        } else if (!strcmp(a, "--stop") && o->n_stop < MAX_STOP) {
            o->stop[o->n_stop++] = argv[++i];
        } else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) {
            bad = cli_u32(a, argv[++i], &o->n_predict);
        } else if (!strcmp(a, "--temp")) {
            bad = cli_float(a, argv[++i], &o->sampling.temperature);
        } else if (!strcmp(a, "--top-k")) {
            bad = cli_u32(a, argv[++i], &o->sampling.top_k);
        } else if (!strcmp(a, "--top-p")) {
            bad = cli_float(a, argv[++i], &o->sampling.top_p);
        } else if (!strcmp(a, "--min-p")) {
            bad = cli_float(a, argv[++i], &o->sampling.min_p);
        } else if (!strcmp(a, "--repeat-penalty")) {
            bad = cli_float(a, argv[++i], &o->sampling.repeat_penalty);
        } else if (!strcmp(a, "--presence-penalty")) {
            bad = cli_float(a, argv[++i], &o->sampling.presence_penalty);
        } else if (!strcmp(a, "--frequency-penalty")) {
            bad = cli_float(a, argv[++i], &o->sampling.frequency_penalty);
        } else if (!strcmp(a, "--repeat-last-n")) {
            bad = cli_u32(a, argv[++i], &o->sampling.penalty_last_n);
        } else if (!strcmp(a, "--seed")) {
            bad = cli_u64(a, argv[++i], &o->sampling.seed);
        } else {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "axvk chat: unknown or incomplete option '%s'\n", a);
            return -1;
        }
    }
    return 0;
}

/* Reads messages until /exit or the end of input. */
static int converse(struct chat *c)
{
    int interactive = isatty(0);
    if (interactive) {
        axvk_model_info info;
        axvk_model_get_info(c->model, &info);
        fprintf(stderr, "axvk chat: %s. /reset forgets the conversation, /exit leaves, Ctrl-C "
                        "stops an answer.\n", info.name);
    }
    char *msg;
    int rc = 0;
    while (!rc && (msg = read_message(c))) {
        if (c->le)
            lineedit_history_add(c->le, msg);
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\t'))
            msg[--n] = '\0';
        if (!strcmp(msg, "/exit") || !strcmp(msg, "/quit")) {
            free(msg);
            break;
        } else if (!strcmp(msg, "/reset")) {
            rc = reset(c);
            if (interactive)
                fprintf(stderr, "(conversation cleared)\n");
        } else if (!strcmp(msg, "/help")) {
            usage(stderr);
        } else if (n > 0) {
            rc = turn(c, msg);
        }
        free(msg);
    }
    return rc ? 1 : 0;
}

int cmd_chat(int argc, char **argv)
{
    struct chat_opts o = {0};
    if (parse_args(&o, argc, argv)) {
        usage(stderr);
        return 2;
    }
    struct chat c = {.o = &o};
    int rc = cli_open(&o.model, &c.ctx, &c.model);
    if (rc)
        return rc;
    axvk_model_info info;
    rc = 1;
    if (axvk_model_get_info(c.model, &info) != AXVK_OK || (!info.has_chat_template &&
                                                          !o.model.chat_template)) {
        fprintf(stderr, "axvk chat: %s has no chat template: give one with --chat-template FILE\n",
                o.model.model);
        goto done;
    }
    if (axvk_session_create(c.model, NULL, &c.session) != AXVK_OK) {
        fprintf(stderr, "axvk chat: %s\n", axvk_errmsg(c.ctx));
        goto done;
    }
    if (isatty(0) && isatty(1) && !(c.le = lineedit_create(0, 1))) {
        fprintf(stderr, "axvk chat: out of memory\n");
        goto done;
    }
    if (reset(&c) == 0)
        rc = converse(&c);
done:
    lineedit_destroy(c.le);
    cJSON_Delete(c.messages);
    free(c.cached);
    free(c.answer);
    free(c.gen);
    axvk_session_destroy(c.session);
    axvk_model_destroy(c.model);
    axvk_context_destroy(c.ctx);
    return rc;
}
