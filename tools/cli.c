/* cli: shared parsing and model opening for the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_u64(const char *flag, const char *value, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!value || !*value || *value == '-') {
        fprintf(stderr, "axvk: %s needs a non-negative integer\n", flag);
        return -1;
    }
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || *end) {
        fprintf(stderr, "axvk: %s: \"%s\" is not a non-negative integer\n", flag, value);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_u32(const char *flag, const char *value, uint32_t *out)
{
    uint64_t v;
    if (cli_u64(flag, value, &v))
        return -1;
    if (v > UINT32_MAX) {
        fprintf(stderr, "axvk: %s: %s is too large\n", flag, value);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int cli_float(const char *flag, const char *value, float *out)
{
    char *end;
    if (!value || !*value) {
        fprintf(stderr, "axvk: %s needs a number\n", flag);
        return -1;
    }
    errno = 0;
    float v = strtof(value, &end);
    if (errno || *end) {
        fprintf(stderr, "axvk: %s: \"%s\" is not a number\n", flag, value);
        return -1;
    }
    *out = v;
    return 0;
}

char *cli_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "axvk: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "axvk: %s: out of memory\n", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int cli_model_flag(struct cli_model_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
#define VALUE()                                                                                   \
    do {                                                                                          \
        if (!v) {                                                                                 \
            fprintf(stderr, "axvk: %s needs a value\n", a);                                       \
            return -1;                                                                            \
        }                                                                                         \
        (*i)++;                                                                                   \
    } while (0)
    if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
        VALUE();
        o->model = v;
    } else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) {
        VALUE();
        return cli_u32(a, v, &o->n_ctx) ? -1 : 1;
    } else if (!strcmp(a, "-np") || !strcmp(a, "--parallel")) {
        VALUE();
        return cli_u32(a, v, &o->n_seq) ? -1 : 1;
    } else if (!strcmp(a, "--device")) {
        VALUE();
        o->device = v;
    } else if (!strcmp(a, "--quant")) {
        VALUE();
        o->quant = v;
    } else if (!strcmp(a, "--kv-type")) {
        VALUE();
        o->kv_type = v;
    } else if (!strcmp(a, "--chat-template")) {
        VALUE();
        o->chat_template = v;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
        o->quiet = 1;
    } else {
        return 0;
    }
#undef VALUE
    return 1;
}

static double last_draw;

void cli_progress(void *user, uint64_t done, uint64_t total)
{
    const char *label = user ? user : "loading";
    double now = cli_now_ms();
    if (done < total && now - last_draw < 100)
        return;
    last_draw = now;
    int width = 30, filled = total ? (int)(width * (double)done / (double)total) : width;
    fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% %8.1f MiB", label, filled,
            "##############################", width - filled, "",
            total ? 100.0 * (double)done / (double)total : 100.0, (double)done / (1 << 20));
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

int cli_open(const struct cli_model_opts *o, axvk_context **ctx, axvk_model **model)
{
    *ctx = NULL;
    *model = NULL;
    if (!o->model) {
        fprintf(stderr, "axvk: no model: give -m FILE.gguf or -m HF_DIRECTORY\n");
        return 2;
    }
    axvk_context_desc cd = {.device = o->device, .flags = o->vocab_only ? AXVK_CONTEXT_NO_GPU : 0};
    if (axvk_context_create(&cd, ctx) != AXVK_OK) {
        fprintf(stderr, "axvk: %s\n", axvk_errmsg(NULL));
        return 1;
    }
    char *tmpl = NULL;
    if (o->chat_template && !(tmpl = cli_read_file(o->chat_template))) {
        axvk_context_destroy(*ctx);
        *ctx = NULL;
        return 1;
    }
    int show = !o->quiet && !o->vocab_only && isatty(2);
    axvk_model_desc md = {.n_ctx = o->n_ctx, .n_seq = o->n_seq, .kv_type = o->kv_type,
                          .quant = o->quant, .chat_template = tmpl, .vocab_only = o->vocab_only,
                          .progress = show ? cli_progress : NULL, .progress_user = "loading"};
    axvk_status s = axvk_model_load(*ctx, o->model, &md, model);
    free(tmpl);
    if (s != AXVK_OK) {
        fprintf(stderr, "axvk: %s\n", axvk_errmsg(*ctx));
        axvk_context_destroy(*ctx);
        *ctx = NULL;
        return 1;
    }
    return 0;
}

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
