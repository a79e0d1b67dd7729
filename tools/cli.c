/* cli: what the subcommands share: option parsing, reading files, printing JSON and sizes, the
 * generated answer, and opening a context and model. Talks to the library through axvk.h only. */
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

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

/* All of f, NUL bytes kept and a NUL added after; *len gets the size. NULL with a message naming
 * `name`. */
static char *read_stream(FILE *f, const char *name, size_t *len)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    *len = 0;
    while (buf) {
        size_t n = fread(buf + *len, 1, cap - *len - 1, f);
        *len += n;
        if (n == 0)
            break;
        if (*len + 1 == cap) {
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
    if (!buf || ferror(f)) {
        fprintf(stderr, "axvk: %s: %s\n", name, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

static char *read_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "axvk: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = read_stream(f, path, len);
    fclose(f);
    return buf;
}

char *cli_read_file(const char *path)
{
    size_t len;
    return read_path(path, &len);
}

char *cli_read_bytes(const char *path, size_t *len)
{
    return strcmp(path, "-") ? read_path(path, len) : read_stream(stdin, "stdin", len);
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
    } else if (!strcmp(a, "--numerics")) {
        VALUE();
        o->numerics = v;
    } else if (!strcmp(a, "--synthetic")) {
        VALUE();
        o->synthetic = v;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
        o->quiet = 1;
    } else {
        return 0;
    }
#undef VALUE
    return 1;
}

int cli_parse(const char *cmd, int argc, char **argv, struct cli_model_opts *model,
              void (*usage)(FILE *), cli_option_fn own, void *opts)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            exit(0);
        }
        int r = model ? cli_model_flag(model, argc, argv, &i) : 0;
        if (r < 0)
            return -1; /* cli_model_flag said why */
        if (r > 0)
            continue;
        r = own(opts, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
        if (r <= 0) {
            fprintf(stderr, "axvk %s: unknown or incomplete option '%s'\n", cmd, argv[i]);
            return -1;
        }
        i += r - 1;
    }
    return 0;
}

int cli_gen_flag(struct cli_gen_opts *o, const char *a, const char *v)
{
    /* each flag (and its long form), the field its value goes to and how that is parsed */
    static const struct {
        const char *flag, *alias;
        size_t off;
        char kind; /* 'u' uint32_t, 'U' uint64_t, 'f' float */
    } flags[] = {
        {"-n", "--n-predict", offsetof(struct cli_gen_opts, n_predict), 'u'},
        {"--temp", NULL, offsetof(struct cli_gen_opts, sampling.temperature), 'f'},
        {"--top-k", NULL, offsetof(struct cli_gen_opts, sampling.top_k), 'u'},
        {"--top-p", NULL, offsetof(struct cli_gen_opts, sampling.top_p), 'f'},
        {"--min-p", NULL, offsetof(struct cli_gen_opts, sampling.min_p), 'f'},
        {"--repeat-penalty", NULL, offsetof(struct cli_gen_opts, sampling.repeat_penalty), 'f'},
        {"--presence-penalty", NULL, offsetof(struct cli_gen_opts, sampling.presence_penalty), 'f'},
        {"--frequency-penalty", NULL, offsetof(struct cli_gen_opts, sampling.frequency_penalty),
         'f'},
        {"--repeat-last-n", NULL, offsetof(struct cli_gen_opts, sampling.penalty_last_n), 'u'},
        {"--seed", NULL, offsetof(struct cli_gen_opts, sampling.seed), 'U'},
    };
    if (!strcmp(a, "--stop")) {
        if (!v || o->n_stop == CLI_MAX_STOP)
            return -1;
        o->stop[o->n_stop++] = v;
        return 2;
    }
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        if (strcmp(a, flags[k].flag) && (!flags[k].alias || strcmp(a, flags[k].alias)))
            continue;
        if (!v)
            return -1;
        void *field = (char *)o + flags[k].off;
        int bad = flags[k].kind == 'u'   ? cli_u32(a, v, field)
                  : flags[k].kind == 'U' ? cli_u64(a, v, field)
                                         : cli_float(a, v, field);
        return bad ? -1 : 2;
    }
    return 0;
}

axvk_generate_desc cli_gen_desc(const struct cli_gen_opts *o, axvk_token_fn on_token, void *user)
{
    axvk_generate_desc g = {.sampling = o->sampling, .max_tokens = o->n_predict, .stop = o->stop,
                            .n_stop = o->n_stop, .on_token = on_token, .user = user};
    return g;
}

int cli_answer_add(struct cli_answer *a, int32_t id, const char *text, size_t len)
{
    if (id >= 0) {
        if (a->n_ids == a->ids_cap) {
            size_t cap = a->ids_cap ? 2 * a->ids_cap : 256;
            int32_t *grown = realloc(a->ids, cap * sizeof *grown);
            if (!grown)
                return -1;
            a->ids = grown;
            a->ids_cap = cap;
        }
        a->ids[a->n_ids++] = id;
    }
    if (a->len + len + 1 > a->text_cap) {
        size_t cap = 2 * (a->len + len + 1);
        char *grown = realloc(a->text, cap);
        if (!grown)
            return -1;
        a->text = grown;
        a->text_cap = cap;
    }
    memcpy(a->text + a->len, text, len);
    a->len += len;
    a->text[a->len] = '\0';
    return 0;
}

void cli_answer_free(struct cli_answer *a)
{
    free(a->ids);
    free(a->text);
    memset(a, 0, sizeof *a);
}

void cli_print_json(cJSON *v)
{
    char *text = v ? cJSON_Print(v) : NULL;
    if (text)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(v);
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
    if (!o->model == !o->synthetic) {
        fprintf(stderr, "axvk: %s\n", o->model ? "-m and --synthetic exclude each other"
                : "no model: give -m FILE.gguf, -m HF_DIRECTORY or --synthetic PRESET[:TYPE]");
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
                          .progress = show ? cli_progress : NULL, .progress_user = "loading",
                          .numerics = o->numerics};
    /* synthetic weights are noise: the same seed as axvk bench's, so both run one model */
    axvk_status s = o->synthetic ? axvk_model_create_synthetic(*ctx, o->synthetic, 1, &md, model)
                                 : axvk_model_load(*ctx, o->model, &md, model);
    free(tmpl);
    if (s != AXVK_OK) {
        fprintf(stderr, "axvk: %s\n", axvk_errmsg(*ctx));
        axvk_context_destroy(*ctx);
        *ctx = NULL;
        return 1;
    }
    return 0;
}

const char *cli_fmt_bytes(char *buf, uint64_t bytes)
{
    static const char units[][4] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    double v = (double)bytes;
    for (; v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]; u++)
        v /= 1024.0;
    if (u == 0)
        snprintf(buf, CLI_BYTES_LEN, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, CLI_BYTES_LEN, v == (double)(uint64_t)v ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
}

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
