/* axvk tokenize: text to token ids and back with a model's tokenizer (-p, -f, JSON lines on stdin),
 * and a throughput benchmark of the encoder. Loads the vocabulary only: no device, no weights;
 * everything goes through include/axvk.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"

#define BENCH_MS 2000.0

struct tok_opts {
    struct cli_model_opts model;
    const char *prompt;     /* -p: text, or with --detokenize an id list */
    const char *file;       /* -f: text file */
    const char *bench;      /* --bench FILE */
    int jsonl, detokenize;
    uint32_t tok_flags;     /* AXVK_TOKENIZE_NO_SPECIAL */
    uint32_t detok_flags;   /* AXVK_DETOKENIZE_SKIP_SPECIAL */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axvk tokenize -m MODEL (-p TEXT | -f FILE | --jsonl | --bench FILE) [options]\n"
            "  -m PATH         GGUF file or Hugging Face directory (only the tokenizer is read)\n"
            "  -p TEXT         print the ids of TEXT as a JSON array\n"
            "  -f FILE         the same for the bytes of FILE\n"
            "  --no-special    special tokens in the text (<|im_end|> ...) are plain text\n"
            "  --jsonl         read {\"text\": ...} lines on stdin, write {\"ids\": [...]} lines\n"
            "  --detokenize    the reverse: -p \"1,2,3\" prints the text exactly (no newline\n"
            "                  added); --jsonl reads {\"ids\": [...]} and writes {\"text\": ...}\n"
            "  --skip-special  with --detokenize: control tokens produce no text\n"
            "  --bench FILE    encode FILE repeatedly for about 2 s; print MB/s and tokens/s\n");
}

/* Bytes that are not well-formed UTF-8 (a token can end inside a character) become U+FFFD, one
 * per maximal ill-formed part as Unicode recommends and Python's decoder does, so the JSON
 * written stays valid. Returns a malloc'd string. */
static char *utf8_clean(const char *s, size_t len)
{
    char *out = malloc(3 * len + 1); /* each bad byte grows to 3 at most */
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out[o++] = (char)c;
            i++;
            continue;
        }
        /* continuation bytes a lead byte needs (0: it cannot start a character), and the range
         * of the first one, which excludes overlong forms, surrogates and values past U+10FFFF */
        size_t need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
                    : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
        unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        size_t k = 0;
        while (k < need && i + 1 + k < len) {
            unsigned char t = (unsigned char)s[i + 1 + k];
            if (t < (k ? 0x80 : lo) || t > (k ? 0xbf : hi))
                break;
            k++;
        }
        if (need && k == need) {
            memcpy(out + o, s + i, need + 1);
            o += need + 1;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
        }
        i += 1 + k;
    }
    out[o] = '\0';
    return out;
}

static cJSON *ids_to_json(const int32_t *ids, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(ids[i]));
    return a;
}

/* Prints one JSON value on its own line (compact) and frees it; flushed so that a process at the
 * other end of a pipe gets each answer as soon as it is ready. */
static int print_line(cJSON *v)
{
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    cJSON_Delete(v);
    if (!s) {
        fprintf(stderr, "axvk tokenize: out of memory\n");
        return -1;
    }
    puts(s);
    free(s);
    fflush(stdout);
    return 0;
}

/* "1,2,3", "1 2 3" or "[1, 2, 3]" into ids. */
static int parse_id_list(const char *list, int32_t **ids, size_t *n)
{
    size_t cap = 16;
    *n = 0;
    *ids = malloc(cap * sizeof **ids);
    for (const char *p = list; *ids;) {
        while (*p == ' ' || *p == ',' || *p == '[' || *p == ']' || *p == '\n' || *p == '\t')
            p++;
        if (!*p)
            return 0;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || v > INT32_MAX) {
            fprintf(stderr, "axvk tokenize: \"%s\" is not a list of token ids\n", list);
            break;
        }
        if (*n == cap) {
            int32_t *grown = realloc(*ids, 2 * cap * sizeof **ids);
            if (!grown)
                break;
            *ids = grown;
            cap *= 2;
        }
        (*ids)[(*n)++] = (int32_t)v;
        p = end;
    }
    free(*ids);
    *ids = NULL;
    return -1;
}

/* The ids of a JSON array of integers; -1 when it is not one. */
static int json_ids(const cJSON *a, int32_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!cJSON_IsArray(a))
        return -1;
    size_t count = (size_t)cJSON_GetArraySize(a);
    *ids = malloc((count ? count : 1) * sizeof **ids);
    if (!*ids)
        return -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (v < 0 || v > INT32_MAX || v != (double)(int32_t)v) {
            free(*ids);
            *ids = NULL;
            return -1;
        }
        (*ids)[(*n)++] = (int32_t)v;
    }
    return 0;
}

static int encode_text(const struct tok_opts *o, axvk_context *ctx, axvk_model *model,
                       const char *text, size_t len)
{
    int32_t *ids;
    size_t n;
    if (axvk_tokenize(model, text, len, o->tok_flags, &ids, &n) != AXVK_OK) {
        fprintf(stderr, "axvk tokenize: %s\n", axvk_errmsg(ctx));
        return 1;
    }
    int rc = print_line(ids_to_json(ids, n)) ? 1 : 0;
    axvk_free(ids);
    return rc;
}

static int decode_list(const struct tok_opts *o, axvk_context *ctx, axvk_model *model)
{
    int32_t *ids;
    size_t n;
    char *text;
    size_t len;
    if (parse_id_list(o->prompt, &ids, &n))
        return 1;
    axvk_status s = axvk_detokenize(model, ids, n, o->detok_flags, &text, &len);
    free(ids);
    if (s != AXVK_OK) {
        fprintf(stderr, "axvk tokenize: %s\n", axvk_errmsg(ctx));
        return 1;
    }
    fwrite(text, 1, len, stdout);
    axvk_free(text);
    return 0;
}

/* One JSON line in, one out: {"text"} -> {"ids"}, or {"ids"} -> {"text"} with --detokenize. */
static int jsonl_line(const struct tok_opts *o, axvk_context *ctx, axvk_model *model,
                      const char *line, size_t lineno)
{
    cJSON *in = cJSON_Parse(line);
    const char *key = o->detokenize ? "ids" : "text";
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    int rc = 1;
    if (!in || (o->detokenize ? !cJSON_IsArray(v) : !cJSON_IsString(v))) {
        fprintf(stderr, "axvk tokenize: stdin line %zu: expected {\"%s\": %s}\n", lineno, key,
                o->detokenize ? "[ids]" : "\"text\"");
        goto done;
    }
    cJSON *out = cJSON_CreateObject();
    if (!o->detokenize) {
        int32_t *ids;
        size_t n;
        if (axvk_tokenize(model, v->valuestring, strlen(v->valuestring), o->tok_flags, &ids, &n)) {
            fprintf(stderr, "axvk tokenize: stdin line %zu: %s\n", lineno, axvk_errmsg(ctx));
            cJSON_Delete(out);
            goto done;
        }
        cJSON_AddItemToObject(out, "ids", ids_to_json(ids, n));
        axvk_free(ids);
    } else {
        int32_t *ids;
        size_t n, len;
        char *text = NULL, *clean = NULL;
        if (json_ids(v, &ids, &n)) {
            fprintf(stderr, "axvk tokenize: stdin line %zu: \"ids\" must hold integers 0..%d\n",
                    lineno, INT32_MAX);
        } else if (axvk_detokenize(model, ids, n, o->detok_flags, &text, &len) != AXVK_OK) {
            fprintf(stderr, "axvk tokenize: stdin line %zu: %s\n", lineno, axvk_errmsg(ctx));
        } else {
            clean = utf8_clean(text, len);
        }
        free(ids);
        axvk_free(text);
        if (!clean) {
            cJSON_Delete(out);
            goto done;
        }
        cJSON_AddStringToObject(out, "text", clean);
        free(clean);
    }
    rc = print_line(out) ? 1 : 0;
done:
    cJSON_Delete(in);
    return rc;
}

static int jsonl(const struct tok_opts *o, axvk_context *ctx, axvk_model *model)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)n)
            continue; /* blank lines carry nothing */
        rc = jsonl_line(o, ctx, model, line, lineno);
    }
    free(line);
    return rc;
}

static int bench(const struct tok_opts *o, axvk_context *ctx, axvk_model *model)
{
    size_t len;
    char *text = cli_read_bytes(o->bench, &len);
    if (!text)
        return 1;
    int32_t *ids;
    size_t n_ids = 0;
    int rc = 1;
    /* one pass outside the clock: the token count, and caches warmed as in steady use */
    if (axvk_tokenize(model, text, len, o->tok_flags, &ids, &n_ids) != AXVK_OK)
        goto fail;
    axvk_free(ids);
    uint64_t passes = 0;
    double t0 = cli_now_ms(), elapsed;
    do {
        if (axvk_tokenize(model, text, len, o->tok_flags, &ids, &n_ids) != AXVK_OK)
            goto fail;
        axvk_free(ids);
        passes++;
        elapsed = cli_now_ms() - t0;
    } while (elapsed < BENCH_MS);
    double s = elapsed / 1e3;
    printf("%s: %zu bytes, %zu tokens per pass, %llu passes in %.2f s: %.2f MB/s, %.0f tokens/s\n",
           o->bench, len, n_ids, (unsigned long long)passes, s, (double)len * passes / s / 1e6,
           (double)n_ids * passes / s);
    rc = 0;
fail:
    if (rc)
        fprintf(stderr, "axvk tokenize: %s\n", axvk_errmsg(ctx));
    free(text);
    return rc;
}

static int tok_option(void *opts, const char *a, const char *v)
{
    struct tok_opts *o = opts;
    if (!strcmp(a, "--no-special")) {
        o->tok_flags |= AXVK_TOKENIZE_NO_SPECIAL;
    } else if (!strcmp(a, "--skip-special")) {
        o->detok_flags |= AXVK_DETOKENIZE_SKIP_SPECIAL;
    } else if (!strcmp(a, "--jsonl")) {
        o->jsonl = 1;
    } else if (!strcmp(a, "--detokenize")) {
        o->detokenize = 1;
    } else {
        /* the rest take a value */
        if (!v)
            return 0;
        if (!strcmp(a, "-p") || !strcmp(a, "--prompt"))
            o->prompt = v;
        else if (!strcmp(a, "-f"))
            o->file = v;
        else if (!strcmp(a, "--bench"))
            o->bench = v;
        else
            return 0;
        return 2;
    }
    return 1;
}

static int parse_args(struct tok_opts *o, int argc, char **argv)
{
    if (cli_parse("tokenize", argc, argv, &o->model, usage, tok_option, o))
        return -1;
    int inputs = !!o->prompt + !!o->file + o->jsonl + !!o->bench;
    if (inputs != 1) {
        fprintf(stderr, "axvk tokenize: give exactly one of -p, -f, --jsonl, --bench\n");
        return -1;
    }
    if (o->detokenize && (o->file || o->bench)) {
        fprintf(stderr, "axvk tokenize: --detokenize takes -p LIST or --jsonl\n");
        return -1;
    }
    return 0;
}

int cmd_tokenize(int argc, char **argv)
{
    struct tok_opts o = {0};
    if (parse_args(&o, argc, argv)) {
        usage(stderr);
        return 2;
    }
    o.model.vocab_only = 1;
    axvk_context *ctx;
    axvk_model *model;
    int rc = cli_open(&o.model, &ctx, &model);
    if (rc)
        return rc;
    if (o.bench) {
        rc = bench(&o, ctx, model);
    } else if (o.jsonl) {
        rc = jsonl(&o, ctx, model);
    } else if (o.detokenize) {
        rc = decode_list(&o, ctx, model);
    } else if (o.file) {
        size_t len;
        char *text = cli_read_bytes(o.file, &len);
        rc = text ? encode_text(&o, ctx, model, text, len) : 1;
        free(text);
    } else {
        rc = encode_text(&o, ctx, model, o.prompt, strlen(o.prompt));
    }
    if (fflush(stdout) != 0)
        rc = 1;
    axvk_model_destroy(model);
    axvk_context_destroy(ctx);
    return rc;
}
