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

int cmd_convert(int argc, char **argv)
{
    axvk_convert_desc d = {0};
    const char *src = NULL, *out = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") && v) {
            out = argv[++i];
        } else if (!strcmp(a, "--type") && v) {
            d.type = argv[++i];
        } else if (!strcmp(a, "--name") && v) {
            d.name = argv[++i];
        } else if (!strcmp(a, "--pre") && v) {
            d.pre = argv[++i];
        } else if (!strcmp(a, "-q")) {
            quiet = 1;
        } else if (a[0] != '-' && !src) {
            src = a;
        } else {
            fprintf(stderr, "axvk convert: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!src || !out) {
        usage(stderr);
        return 2;
    }
    if (!quiet && isatty(2)) {
        d.progress = cli_progress;
        d.progress_user = "converting";
    }
    double t0 = cli_now_ms();
    if (axvk_convert(&d, src, out) != AXVK_OK) {
        fprintf(stderr, "axvk convert: %s\n", axvk_errmsg(NULL));
        return 1;
    }
    struct stat st;
    double gib = stat(out, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0 * 1024.0) : 0.0;
    fprintf(stderr, "wrote %s (%s, %.2f GiB) in %.1f s\n", out, d.type ? d.type : "f16", gib,
            (cli_now_ms() - t0) / 1000.0);
    return 0;
}
