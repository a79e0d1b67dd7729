/* axvk-example: the smallest complete program embedding axvk, using include/axvk.h alone.
 * Loads a model, turns a prompt into tokens, streams a greedy continuation to stdout and prints
 * the timings. Build against libaxvk; run as `axvk-example MODEL [PROMPT]`, where MODEL is a
 * GGUF file or a Hugging Face directory. */
#include <stdio.h>
#include <string.h>

#include "axvk.h"

/* Called once per generated token with the text it completes; returning nonzero would stop. */
static int print_token(void *user, int32_t id, const char *text, size_t len)
{
    (void)user;
    (void)id;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL [PROMPT]\n", argv[0]);
        return 2;
    }
    const char *prompt = argc > 2 ? argv[2] : "The capital of Korea is";
    if (axvk_version() != AXVK_VERSION)
        fprintf(stderr, "warning: built against axvk %#x, running %#x\n", AXVK_VERSION,
                axvk_version());

    /* A context owns one GPU. NULL picks the best device ($AXVK_DEVICE overrides); failures
     * before a context exists are explained by axvk_errmsg(NULL). */
    axvk_context *ctx = NULL;
    axvk_status s = axvk_context_create(NULL, &ctx);
    if (s != AXVK_OK) {
        fprintf(stderr, "no GPU: %s\n", axvk_errmsg(NULL));
        /* 77: the exit code test harnesses (ctest, automake) read as "skipped" */
        return s == AXVK_ERR_NO_VULKAN || s == AXVK_ERR_NO_DEVICE ? 77 : 1;
    }

    /* Every resource is released on the way out, so one cleanup path serves all failures;
     * each destroy accepts NULL. */
    axvk_model *model = NULL;
    axvk_session *session = NULL;
    int32_t *ids = NULL;
    size_t n_ids = 0;
    int rc = 1;

    /* Descriptors are zero-initialised: 0 means "default". Here only the context length is
     * chosen, which sizes the KV cache the memory plan reserves. */
    axvk_model_desc md = {.n_ctx = 512};
    if ((s = axvk_model_load(ctx, argv[1], &md, &model)) != AXVK_OK)
        goto done;
    axvk_model_info info;
    axvk_model_get_info(model, &info);
    fprintf(stderr, "%s: %s, %u layers, %s weights, %.1f MiB on the device\n", info.name,
            info.arch, info.n_layers, info.type, (double)info.weight_bytes / (1024.0 * 1024.0));

    /* Text to token ids (freed with axvk_free); special tokens such as <|im_start|> in the
     * prompt become their ids. */
    if ((s = axvk_tokenize(model, prompt, strlen(prompt), 0, &ids, &n_ids)) != AXVK_OK)
        goto done;

    /* A session holds the KV cache of one or more sequences; this one decodes sequence 0. */
    if ((s = axvk_session_create(model, NULL, &session)) != AXVK_OK)
        goto done;

    /* Greedy decoding (temperature 0) of up to 32 tokens, stopping early on the model's end of
     * generation ids; the text arrives through print_token as it is produced. */
    axvk_generate_desc gd = {.max_tokens = 32, .on_token = print_token};
    axvk_generate_result r;
    fputs(prompt, stdout);
    if ((s = axvk_generate(session, 0, ids, n_ids, &gd, &r)) != AXVK_OK)
        goto done;
    printf("\n");
    fprintf(stderr, "prompt: %u tokens in %.1f ms; generated: %u tokens in %.1f ms (%.1f tok/s)%s\n",
            r.n_prompt, r.prompt_ms, r.n_generated, r.generate_ms,
            r.generate_ms > 0 ? r.n_generated * 1000.0 / r.generate_ms : 0.0,
            r.finish == AXVK_FINISH_STOP ? ", stopped" : "");
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "error: %s: %s\n", axvk_status_str(s), axvk_errmsg(ctx));
    axvk_free(ids);
    axvk_session_destroy(session);
    axvk_model_destroy(model);
    axvk_context_destroy(ctx);
    return rc;
}
