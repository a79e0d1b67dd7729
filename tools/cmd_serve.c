/* axvk serve: the OpenAI-compatible HTTP server (src/server) from the command line. Flags are
 * named as llama-server's, and each can also come from an AXVK_ARG_* environment variable (the
 * command line wins), so a container can be configured without a command. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"
#include "server/server.h"

#define MAX_KEYS 64
#define MAX_ARGS 64

/* Environment variables and the flags they stand for. */
static const struct {
    const char *env;
    const char *flag;
    int boolean; /* the flag takes no value: set when the variable is 1/true/on/yes */
} env_flags[] = {
    {"AXVK_ARG_MODEL", "-m", 0},
    {"AXVK_ARG_CTX_SIZE", "-c", 0},
    {"AXVK_ARG_N_PARALLEL", "-np", 0},
    {"AXVK_ARG_DEVICE", "--device", 0},
    {"AXVK_ARG_KV_TYPE", "--kv-type", 0},
    {"AXVK_ARG_QUANT", "--quant", 0},
    {"AXVK_ARG_NUMERICS", "--numerics", 0},
    {"AXVK_ARG_CHAT_TEMPLATE", "--chat-template", 0},
    {"AXVK_ARG_HOST", "--host", 0},
    {"AXVK_ARG_PORT", "--port", 0},
    {"AXVK_ARG_ALIAS", "--alias", 0},
    {"AXVK_ARG_API_KEY", "--api-key", 0},
    {"AXVK_ARG_API_KEY_FILE", "--api-key-file", 0},
    {"AXVK_ARG_ENDPOINT_METRICS", "--metrics", 1},
    {"AXVK_ARG_TIMEOUT", "--timeout", 0},
    {"AXVK_ARG_MAX_QUEUE", "--max-queue", 0},
    {"AXVK_ARG_BATCH", "--batch-size", 0},
    {"AXVK_ARG_MAX_BODY", "--max-body", 0},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axvk serve -m MODEL [options]\n"
            "  -m, --model PATH      GGUF file or Hugging Face directory       AXVK_ARG_MODEL\n"
            "  -c, --ctx-size N      context per sequence (default min(trained, 4096))\n"
            "                                                                  AXVK_ARG_CTX_SIZE\n"
            "  -np, --parallel N     sequences decoded together, 1..8 (default 1)\n"
            "                                                                  AXVK_ARG_N_PARALLEL\n"
            "  --host ADDR           address to listen on (default 127.0.0.1)  AXVK_ARG_HOST\n"
            "  --port N              port (default 8080; 0: any free port)     AXVK_ARG_PORT\n"
            "  --api-key KEY[,KEY]   require one of these keys (Authorization: Bearer KEY)\n"
            "                                                                  AXVK_ARG_API_KEY\n"
            "  --api-key-file FILE   keys, one per line                        AXVK_ARG_API_KEY_FILE\n"
            "  --metrics             serve Prometheus metrics on GET /metrics  AXVK_ARG_ENDPOINT_METRICS\n"
            "  --timeout N           idle connection timeout, seconds (600)    AXVK_ARG_TIMEOUT\n"
            "  -a, --alias NAME      model id reported to clients (default: file name)\n"
            "                                                                  AXVK_ARG_ALIAS\n"
            "  --max-queue N         requests waiting for a slot before 503 (64)\n"
            "                                                                  AXVK_ARG_MAX_QUEUE\n"
            "  -b, --batch-size N    prompt tokens fed between two decode steps of the other\n"
            "                        slots (512)                               AXVK_ARG_BATCH\n"
            "  --max-body BYTES      request body limit before 413 (8 MiB)     AXVK_ARG_MAX_BODY\n"
            "  --device N|NAME  --kv-type f16|q8_0  --quant TYPE  --chat-template FILE\n"
            "  --numerics fp32|llama-cpu\n"
            "                        as for axvk run (AXVK_ARG_DEVICE, AXVK_ARG_KV_TYPE,\n"
            "                        AXVK_ARG_QUANT, AXVK_ARG_CHAT_TEMPLATE, AXVK_ARG_NUMERICS)\n"
            "  -q, --quiet           no line per request\n"
            "Endpoints: POST /v1/chat/completions /v1/completions /tokenize /detokenize\n"
            "           /apply-template; GET /v1/models /health /metrics\n");
}

struct serve_args {
    struct cli_model_opts model;
    struct server_opts srv;
    char *keys[MAX_KEYS];
    size_t n_keys;
    size_t n_env_keys; /* keys[0..n_env_keys) came from the environment */
    int cli_keys;      /* a command-line key replaced them */
    int parsing_env;   /* the flags being parsed stand for AXVK_ARG_* variables */
};

/* One key; trailing blanks and a CR (a key file written on Windows) are not part of it. */
static int add_key(struct serve_args *a, const char *key, size_t len)
{
    while (len && (key[len - 1] == '\r' || key[len - 1] == ' ' || key[len - 1] == '\t'))
        len--;
    if (!len)
        return 0;
    if (a->n_keys == MAX_KEYS) {
        fprintf(stderr, "axvk serve: more than %d API keys\n", MAX_KEYS);
        return -1;
    }
    if (!(a->keys[a->n_keys] = strndup(key, len)))
        return -1;
    a->n_keys++;
    return 0;
}

/* Keys separated by commas (--api-key) or newlines (--api-key-file). */
static int add_keys(struct serve_args *a, const char *list, char sep)
{
    while (*list) {
        size_t n = strcspn(list, sep == ',' ? "," : "\n");
        if (add_key(a, list, n))
            return -1;
        list += n;
        if (*list)
            list++;
    }
    return 0;
}

/* A cli_option_fn for serve's own flags (the model flags are cli_parse's). */
static int serve_option(void *opts, const char *f, const char *v)
{
    struct serve_args *a = opts;
    uint32_t u = 0;
    if (!strcmp(f, "--metrics")) {
        a->srv.metrics = 1;
        return 1;
    }
    if (!v)
        return 0;
    if (!strcmp(f, "--host")) {
        a->srv.host = v;
    } else if (!strcmp(f, "--port")) {
        if (cli_u32(f, v, &u))
            return -1;
        if (u > 65535) {
            fprintf(stderr, "axvk serve: --port %s: 0..65535\n", v);
            return -1;
        }
        a->srv.port = (uint16_t)u;
    } else if (!strcmp(f, "-a") || !strcmp(f, "--alias")) {
        a->srv.alias = v;
    } else if (!strcmp(f, "--api-key") || !strcmp(f, "--api-key-file")) {
        if (!a->parsing_env && !a->cli_keys) {
            /* the command line replaces keys from the environment */
            a->cli_keys = 1;
            for (size_t k = 0; k < a->n_env_keys; k++)
                free(a->keys[k]);
            memmove(a->keys, a->keys + a->n_env_keys, (a->n_keys - a->n_env_keys) * sizeof a->keys[0]);
            a->n_keys -= a->n_env_keys;
            a->n_env_keys = 0;
        }
        int file = !strcmp(f, "--api-key-file");
        char *text = file ? cli_read_file(v) : NULL;
        if (file && !text)
            return -1;
        int rc = add_keys(a, file ? text : v, file ? '\n' : ',');
        free(text);
        if (rc)
            return -1;
        if (a->parsing_env)
            a->n_env_keys = a->n_keys;
    } else if (!strcmp(f, "--timeout")) {
        return cli_u32(f, v, &a->srv.timeout_s) ? -1 : 2;
    } else if (!strcmp(f, "--max-queue")) {
        return cli_u32(f, v, &a->srv.max_queue) ? -1 : 2;
    } else if (!strcmp(f, "-b") || !strcmp(f, "--batch-size")) {
        return cli_u32(f, v, &a->srv.n_batch) ? -1 : 2;
    } else if (!strcmp(f, "--max-body")) {
        return cli_u64(f, v, &a->srv.max_body) ? -1 : 2;
    } else {
        return 0;
    }
    return 2;
}

/* What llama-server accepts as "on" for its boolean LLAMA_ARG_* variables. */
static int truthy(const char *v)
{
    return !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
           !strcasecmp(v, "yes") || !strcasecmp(v, "enabled");
}

/* Environment first, then the command line, so flags override variables. */
static int parse_args(struct serve_args *a, int argc, char **argv)
{
    char *env_argv[1 + MAX_ARGS] = {"serve"};
    int env_argc = 1;
    for (size_t k = 0; k < sizeof env_flags / sizeof env_flags[0]; k++) {
        const char *v = getenv(env_flags[k].env);
        if (!v || (env_flags[k].boolean && !truthy(v)))
            continue;
        env_argv[env_argc++] = (char *)env_flags[k].flag;
        if (!env_flags[k].boolean)
            env_argv[env_argc++] = (char *)v;
    }
    a->parsing_env = 1;
    if (cli_parse("serve", env_argc, env_argv, &a->model, usage, serve_option, a))
        return -1;
    a->parsing_env = 0;
    return cli_parse("serve", argc, argv, &a->model, usage, serve_option, a);
}

int cmd_serve(int argc, char **argv)
{
    struct serve_args a = {.srv = {.port = 8080}};
    int rc = parse_args(&a, argc, argv);
    char *tmpl = NULL;
    struct server *srv = NULL;
    char msg[640];
    if (rc) {
        rc = 2;
        goto done;
    }
    if (!a.model.model || a.model.synthetic) {
        fprintf(stderr, "axvk serve: %s\n", a.model.synthetic
                ? "--synthetic is for run and chat; serve a file made by axvk mkmodel"
                : "no model: give -m FILE.gguf (or AXVK_ARG_MODEL)");
        rc = 2;
        goto done;
    }
    if (a.model.chat_template && !(tmpl = cli_read_file(a.model.chat_template))) {
        rc = 1;
        goto done;
    }
    a.srv.model_path = a.model.model;
    a.srv.n_ctx = a.model.n_ctx;
    a.srv.n_seq = a.model.n_seq;
    a.srv.device = a.model.device;
    a.srv.kv_type = a.model.kv_type;
    a.srv.quant = a.model.quant;
    a.srv.numerics = a.model.numerics;
    a.srv.chat_template = tmpl;
    a.srv.api_keys = (const char *const *)a.keys;
    a.srv.n_api_keys = a.n_keys;
    a.srv.quiet |= a.model.quiet;

    /* signals go to sigwait below, not to the connection threads started next */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (server_start(&a.srv, &srv, msg, sizeof msg)) {
        fprintf(stderr, "axvk serve: %s\n", msg);
        rc = 1;
        goto done;
    }
    /* tests and scripts read the port from this line (--port 0 picks a free one) */
    printf("axvk serve: listening on http://%s:%u (loading %s)\n",
           a.srv.host ? a.srv.host : "127.0.0.1", server_port(srv), a.model.model);
    fflush(stdout);
    if (server_load(srv, msg, sizeof msg)) {
        fprintf(stderr, "axvk serve: %s\n", msg);
        rc = 1;
        goto done;
    }
    printf("axvk serve: ready: %u sequences%s\n", a.model.n_seq ? a.model.n_seq : 1,
           a.n_keys ? ", API key required" : "");
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "axvk serve: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
done:
    server_destroy(srv);
    free(tmpl);
    for (size_t k = 0; k < a.n_keys; k++)
        free(a.keys[k]);
    return rc;
}
