/* model_test: the shared context and reference comparison of the whole-model tests (see
 * model_test.h). Fails tests through cmocka; owns no model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "model_test.h"
#include "ref/forward.h"
#include "vk/instance.h"

axvk_context *model_test_ctx;

int model_test_open(const char *also_disable)
{
    const char *env = getenv("AXVK_DISABLE");
    char disable[256];
    const char *sep = env && *env && also_disable ? "," : "";
    snprintf(disable, sizeof disable, "%s%s%s", env ? env : "", sep, also_disable ? also_disable : "");
    axvk_context_desc desc = {.disable = disable};
    if (axvk_context_create(&desc, &model_test_ctx) != AXVK_OK) {
        fprintf(stderr, "skipped: %s\n", axvk_errmsg(NULL));
        return -1;
    }
    return 0;
}

int model_test_close(int failed)
{
    axvk_context_destroy(model_test_ctx);
    model_test_ctx = NULL;
    uint64_t validation = vkdev_validation_errors();
    if (validation)
        fprintf(stderr, "%llu validation errors\n", (unsigned long long)validation);
    return failed || validation ? 1 : 0;
}

void model_test_expect(axvk_status s)
{
    if (s != AXVK_OK)
        fail_msg("%s: %s", axvk_status_str(s), axvk_errmsg(model_test_ctx));
}

int32_t model_test_argmax(const float *x, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return (int32_t)best;
}

/* The device's logits of sequence 0 against the reference's: NMSE within bound. */
static void check_logits(axvk_session *s, float *gpu, const float *ref, size_t n_vocab,
                         double bound, const char *what, int step)
{
    model_test_expect(axvk_session_logits(s, 0, gpu, n_vocab));
    double e = gpu_test_nmse(gpu, ref, n_vocab);
    if (e > bound)
        fail_msg("%s: %s%d logits NMSE %.3g > %.1g", what, step < 0 ? "prefill" : "step ",
                 step < 0 ? 0 : step, e, bound);
}

void model_test_against_reference(axvk_model *model, const struct ref_model *ref,
                                  const int32_t *prompt, size_t n_prompt, int steps, double bound,
                                  int exact_ids, const char *what)
{
    static const axvk_sampling greedy = {0};
    const size_t n_vocab = ref->n_vocab;
    struct ref_state *rs = NULL;
    struct err err = {0};
    axvk_session *s = NULL;
    float *gpu = mem_calloc(n_vocab, sizeof *gpu), *want = mem_calloc(n_vocab, sizeof *want);
    assert_true(gpu && want);
    if (ref_state_create(&rs, ref, n_prompt + (size_t)steps + 1, WTYPE_F16, &err) ||
        ref_forward(want, rs, ref, prompt, n_prompt, 0, false, &err))
        fail_msg("%s: reference: %s", what, err.msg);
    model_test_expect(axvk_session_create(model, NULL, &s));
    model_test_expect(axvk_session_feed(s, 0, prompt, n_prompt));
    check_logits(s, gpu, want, n_vocab, bound, what, -1);
    uint32_t seq = 0;
    for (int step = 0; step < steps; step++) {
        int32_t id, ref_id = model_test_argmax(want, n_vocab);
        model_test_expect(axvk_session_sample(s, &seq, 1, &greedy, &id));
        if (exact_ids && id != ref_id)
            fail_msg("%s: greedy step %d gave %d, reference %d", what, step, id, ref_id);
        model_test_expect(axvk_session_decode(s, &seq, &id, 1));
        if (ref_forward(want, rs, ref, &id, 1, n_prompt + (size_t)step, false, &err))
            fail_msg("%s: reference: %s", what, err.msg);
        check_logits(s, gpu, want, n_vocab, bound, what, step);
    }
    axvk_session_destroy(s);
    ref_state_destroy(rs);
    mem_free(gpu);
    mem_free(want);
}
