/* axvk mkmodel: synthetic GGUF models with random weights of real or tiny shapes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axvk mkmodel -o OUT.gguf [--preset NAME] [--type T] [--seed N]\n"
            "                    [--tokenizer DIR] [--vocab N] [--dim N] [--layers N] [--heads N]\n"
            "                    [--kv-heads N] [--ffn N] [--ctx N]\n"
            "  --preset   real shapes: ");
    for (const char *const *p = axvk_synth_presets(); *p; p++)
        fprintf(f, "%s%s", *p, p[1] ? ", " : "\n");
    fprintf(f, "             (default: a tiny 2-layer model)\n"
               "  --type     f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k_s q4_k_m q5_k_s q5_k_m q6_k\n"
               "  --tokenizer  Hugging Face tokenizer directory to embed (vocabulary, chat template)\n");
}

int cmd_mkmodel(int argc, char **argv)
{
    axvk_synth_desc d = {.seed = 1};
    const char *out = NULL;
    struct {
        const char *flag;
        uint32_t *field;
    } dims[] = {{"--vocab", &d.n_vocab}, {"--dim", &d.dim},       {"--layers", &d.n_layers},
                {"--heads", &d.n_head},  {"--kv-heads", &d.n_kv_head}, {"--ffn", &d.ffn_dim},
                {"--ctx", &d.n_ctx}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int matched = 0;
        for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
            if (!strcmp(a, dims[k].flag)) {
                if (cli_u32(a, v, dims[k].field))
                    return 2;
                i++;
                matched = 1;
            }
        if (matched)
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") && v) {
            out = argv[++i];
        } else if (!strcmp(a, "--preset") && v) {
            d.preset = argv[++i];
        } else if (!strcmp(a, "--type") && v) {
            d.type = argv[++i];
        } else if (!strcmp(a, "--tokenizer") && v) {
            d.tokenizer_dir = argv[++i];
        } else if (!strcmp(a, "--seed")) {
            if (cli_u64(a, v, &d.seed))
                return 2;
            i++;
        } else {
            fprintf(stderr, "axvk mkmodel: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!out) {
        usage(stderr);
        return 2;
    }
    if (isatty(2)) {
        d.progress = cli_progress;
        d.progress_user = "writing";
    }
    if (axvk_model_synthesize(&d, out) != AXVK_OK) {
        fprintf(stderr, "axvk mkmodel: %s\n", axvk_errmsg(NULL));
        return 1;
    }
    fprintf(stderr, "wrote %s\n", out);
    return 0;
}
