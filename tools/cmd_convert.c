/* axvk convert: a Hugging Face directory or a GGUF file to a GGUF file of any weight type
 * (f16, q8_0, q4_k_m, ...), for axvk and other GGUF tools. Built on axvk_convert alone. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axvk convert SRC -o OUT.gguf [--type T] [--name NAME] [--pre NAME] [-q]\n"
            "  SRC        Hugging Face directory (config.json, *.safetensors, tokenizer files)\n"
            "             or a GGUF file (re-quantized; its metadata is kept)\n"
            "  --type T   f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k_s q4_k_m q5_k_s q5_k_m q6_k\n"
            "             (default f16; q4_k and q5_k mean the _s mixes)\n"
            "  --name     general.name (default: the source's)\n"
            "  --pre      tokenizer.ggml.pre (default: recognised from the tokenizer,\n"
            "             e.g. a.x-4.0 for A.X 4.0, qwen2 for Qwen2.5)\n"
            "  -q         no progress bar\n");
}

struct convert_opts {
    axvk_convert_desc d;
    const char *src, *out; /* SOURCE, -o */
    int quiet;
};

static int convert_option(void *opts, const char *a, const char *v)
{
    struct convert_opts *o = opts;
    if (!strcmp(a, "-q")) {
        o->quiet = 1;
        return 1;
    }
    if (a[0] != '-' && !o->src) {
        o->src = a;
        return 1;
    }
    if (!v)
        return 0;
    if (!strcmp(a, "-o"))
        o->out = v;
    else if (!strcmp(a, "--type"))
        o->d.type = v;
    else if (!strcmp(a, "--name"))
        o->d.name = v;
    else if (!strcmp(a, "--pre"))
        o->d.pre = v;
    else
        return 0;
    return 2;
}

int cmd_convert(int argc, char **argv)
{
    struct convert_opts o = {0};
    if (cli_parse("convert", argc, argv, NULL, usage, convert_option, &o) || !o.src || !o.out) {
        usage(stderr);
        return 2;
    }
    if (!o.quiet && isatty(2)) {
        o.d.progress = cli_progress;
        o.d.progress_user = "converting";
    }
    double t0 = cli_now_ms();
    if (axvk_convert(&o.d, o.src, o.out) != AXVK_OK) {
        fprintf(stderr, "axvk convert: %s\n", axvk_errmsg(NULL));
        return 1;
    }
    struct stat st;
    double gib = stat(o.out, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0 * 1024.0) : 0.0;
    fprintf(stderr, "wrote %s (%s, %.2f GiB) in %.1f s\n", o.out, o.d.type ? o.d.type : "f16", gib,
            (cli_now_ms() - t0) / 1000.0);
    return 0;
}
