/* model_test: what the whole-model test executables share. One context on the default device for
 * the executable, a check that fails the test with the context's message, argmax, and the
 * comparison of a loaded model against the CPU reference forward pass step by step.
 *
 *   int main(void) {
 *       if (model_test_open(NULL)) return GPU_TEST_SKIP;
 *       return model_test_close(cmocka_run_group_tests(tests, NULL, NULL));
 *   }
 */
#ifndef AXVK_TESTS_MODEL_TEST_H
#define AXVK_TESTS_MODEL_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "axvk.h"

struct ref_model;

/* The executable's context, set by model_test_open. */
extern axvk_context *model_test_ctx;

/* Creates model_test_ctx with the features $AXVK_DISABLE names turned off, and those of
 * `also_disable` (a comma list as there, or NULL); nonzero (the reason on stderr) when there is
 * no device. */
int model_test_open(const char *also_disable);
/* Destroys model_test_ctx; returns `failed`, plus one when the validation layer reported errors. */
int model_test_close(int failed);

/* Fails the running test with the status and axvk_errmsg(model_test_ctx) unless s is AXVK_OK. */
void model_test_expect(axvk_status s);

/* Index of the largest of x[0..n) (the first on ties): the greedy token. */
int32_t model_test_argmax(const float *x, size_t n);

/* Feeds prompt to a new session of `model`, then takes `steps` greedy steps on the device's own
 * tokens, running `ref` (the same weights on the CPU, KV cache in f16) alongside. After the
 * prefill and after each step the device's logits must be within NMSE `bound` of the reference's;
 * with exact_ids each token must also be the reference's argmax. `what` names the case. */
void model_test_against_reference(axvk_model *model, const struct ref_model *ref,
                                  const int32_t *prompt, size_t n_prompt, int steps, double bound,
                                  int exact_ids, const char *what);

#endif
