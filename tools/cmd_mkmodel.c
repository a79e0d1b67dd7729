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

struct mkmodel_opts {
    axvk_synth_desc d;
    const char *out; /* -o */
};

static int mkmodel_option(void *opts, const char *a, const char *v)
{
    struct mkmodel_opts *o = opts;
    axvk_synth_desc *d = &o->d;
    const struct {
        const char *flag;
        uint32_t *field;
    } dims[] = {{"--vocab", &d->n_vocab}, {"--dim", &d->dim},      {"--layers", &d->n_layers},
                {"--heads", &d->n_head},  {"--kv-heads", &d->n_kv_head}, {"--ffn", &d->ffn_dim},
                {"--ctx", &d->n_ctx}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        if (!strcmp(a, dims[k].flag))
            return cli_u32(a, v, dims[k].field) ? -1 : 2;
    if (!strcmp(a, "--seed"))
        return cli_u64(a, v, &d->seed) ? -1 : 2;
    if (!v)
        return 0;
    if (!strcmp(a, "-o"))
        o->out = v;
    else if (!strcmp(a, "--preset"))
        d->preset = v;
    else if (!strcmp(a, "--type"))
        d->type = v;
    else if (!strcmp(a, "--tokenizer"))
        d->tokenizer_dir = v;
    else
        return 0;
    return 2;
}

int cmd_mkmodel(int argc, char **argv)
{
    struct mkmodel_opts o = {.d.seed = 1};
    if (cli_parse("mkmodel", argc, argv, NULL, usage, mkmodel_option, &o) || !o.out) {
        usage(stderr);
        return 2;
    }
    if (isatty(2)) {
        o.d.progress = cli_progress;
        o.d.progress_user = "writing";
    }
    if (axvk_model_synthesize(&o.d, o.out) != AXVK_OK) {
        fprintf(stderr, "axvk mkmodel: %s\n", axvk_errmsg(NULL));
        return 1;
    }
    fprintf(stderr, "wrote %s\n", o.out);
    return 0;
}
