/* test_convert_gpu: Hugging Face directories and the GGUF files converted from them, run on the
 * device. A directory loads as stored (BF16) or quantized on load and matches the reference
 * forward pass over its safetensors; each converted file generates exactly the ids of the
 * directory loaded with the same type; the memory plan refuses an impossible context cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "axvk.h"
#include "base/alloc.h"
#include "gpu_test.h"
#include "hf_fixture.h"
#include "model/hparams.h"
#include "model/ref_model.h"
#include "model/safetensors.h"
#include "model/tensors.h"
#include "model_test.h"

#define TMP AXVK_TEST_TMP "/convert_gpu"
#define QWEN_DIR TMP "/qwen2"
#define LLAMA_DIR TMP "/llama"
#define SHARD_DIR TMP "/sharded"
#define STEPS 8

static const int32_t prompt[] = {5012, 27, 311, 99, 60001, 4, 1024, 77777, 250, 13};
#define N_PROMPT (sizeof prompt / sizeof prompt[0])

static axvk_model *load(const char *path, const char *quant)
{
    axvk_model *m = NULL;
    axvk_model_desc d = {.n_ctx = 128, .quant = quant};
    model_test_expect(axvk_model_load(model_test_ctx, path, &d, &m));
    return m;
}

static void convert(const char *src, const char *type, const char *out)
{
    axvk_convert_desc d = {.type = type};
    if (axvk_convert(&d, src, out) != AXVK_OK)
        fail_msg("convert %s to %s: %s", src, type, axvk_errmsg(NULL));
}

static int setup(void **state)
{
    (void)state;
    mkdir(TMP, 0755);
    struct hf_fixture qwen = {.seed = 31};
    struct hf_fixture llama = {.arch = "llama", .tied = 1, .seed = 32};
    struct hf_fixture sharded = {.n_shards = 2, .yarn_factor = 4.0f, .seed = 33};
    return hf_fixture_write(QWEN_DIR, &qwen) || hf_fixture_write(LLAMA_DIR, &llama) ||
           hf_fixture_write(SHARD_DIR, &sharded);
}

/* ---- a directory against the reference ---------------------------------------------------- */

/* Prefill, then STEPS greedy steps on the GPU's own tokens, each step's logits against the
 * reference over the directory's BF16 weights. With exact_ids the GPU's token must also be the
 * reference's (weights as stored); quantized weights only need close logits. */
static void check_against_reference(const char *dir, const char *quant, double bound, int exact_ids)
{
    struct model_hparams hp;
    struct st_set *st = NULL;
    struct ref_model_gguf rm;
    struct err err = {0};
    if (hparams_from_hf_dir(&hp, dir, &err) || st_open_dir(&st, dir, &err))
        fail_msg("%s", err.msg);
    struct tensor_source src = {.st = st};
    if (ref_model_from_source(&rm, &hp, &src, &err))
        fail_msg("%s", err.msg);
    axvk_model *model = load(dir, quant);
    axvk_model_info info;
    model_test_expect(axvk_model_get_info(model, &info));
    assert_string_equal(info.type, quant ? quant : "bf16");
    char what[600];
    snprintf(what, sizeof what, "%s (%s)", dir, quant ? quant : "as stored");
    model_test_against_reference(model, &rm.m, prompt, N_PROMPT, STEPS, bound, exact_ids, what);
    axvk_model_destroy(model);
    ref_model_free(&rm);
    st_close(st);
}

static void test_directory_runs_as_stored_and_quantized_on_load(void **state)
{
    (void)state;
    check_against_reference(QWEN_DIR, NULL, 1e-5, 1);
    check_against_reference(QWEN_DIR, "q8_0", 5e-4, 0);
}

/* ---- converted files against their directory --------------------------------------------- */

struct ids {
    int32_t v[STEPS];
    size_t n;
};

static int collect(void *user, int32_t id, const char *text, size_t len)
{
    struct ids *ids = user;
    (void)text;
    (void)len;
    if (id >= 0 && ids->n < STEPS)
        ids->v[ids->n++] = id;
    return 0;
}

static void greedy_ids(const char *path, const char *quant, struct ids *out)
{
    axvk_model *model = load(path, quant);
    axvk_session *s;
    model_test_expect(axvk_session_create(model, NULL, &s));
    memset(out, 0, sizeof *out);
    axvk_generate_desc d = {.max_tokens = STEPS, .ignore_stop_ids = 1, .on_token = collect,
                            .user = out};
    axvk_generate_result r;
    model_test_expect(axvk_generate(s, 0, prompt, N_PROMPT, &d, &r));
    assert_int_equal(r.n_generated, STEPS);
    assert_int_equal(out->n, STEPS);
    axvk_session_destroy(s);
    axvk_model_destroy(model);
}

/* dir_quant: what the directory is loaded as (NULL: as stored) to hold the converted file's
 * weights byte for byte; the GPU then computes the same logits, so the ids are identical. */
static void check_same_ids(const char *dir, const char *type, const char *dir_quant)
{
    char out[512];
    struct ids a, b;
    snprintf(out, sizeof out, "%s-%s.gguf", dir, type);
    convert(dir, type, out);
    greedy_ids(dir, dir_quant, &a);
    greedy_ids(out, NULL, &b);
    for (size_t i = 0; i < STEPS; i++)
        if (a.v[i] != b.v[i])
            fail_msg("%s as %s: step %zu gave %d, the directory %d", dir, type, i, b.v[i], a.v[i]);
}

static void test_converted_files_generate_the_directory_ids(void **state)
{
    (void)state;
    check_same_ids(QWEN_DIR, "bf16", NULL);
    check_same_ids(QWEN_DIR, "f16", "f16");
    check_same_ids(QWEN_DIR, "q8_0", "q8_0");
    check_same_ids(QWEN_DIR, "q4_k_m", "q4_k_m");
}

static void test_sharded_yarn_directory_runs_and_converts(void **state)
{
    (void)state;
    check_against_reference(SHARD_DIR, NULL, 1e-5, 1);
    check_same_ids(SHARD_DIR, "bf16", NULL);
}

/* The converted llama runs normal RoPE over reordered q/k rows; the directory NEOX over its own.
 * Only the order of additions differs, so greedy ids agree on these clear-margin weights. */
static void test_llama_directory_runs_and_its_gguf_agrees(void **state)
{
    (void)state;
    check_against_reference(LLAMA_DIR, NULL, 1e-5, 1);
    check_same_ids(LLAMA_DIR, "bf16", NULL);
}

/* ---- memory plan -------------------------------------------------------------------------- */

static void test_impossible_context_is_refused_then_a_normal_load_works(void **state)
{
    (void)state;
    axvk_device_info dev;
    model_test_expect(axvk_context_device_info(model_test_ctx, &dev));
    uint64_t avail = dev.plan_bytes;
    /* KV per token: 2 layers x K and V x 32 values x 2 bytes = 256 bytes; ask for twice the
     * device's memory in KV alone */
    uint64_t want = avail / 128;
    uint32_t n_ctx = want > UINT32_MAX ? UINT32_MAX : (uint32_t)want;
    axvk_model *m = NULL;
    axvk_model_desc d = {.n_ctx = n_ctx};
    assert_int_equal(axvk_model_load(model_test_ctx, QWEN_DIR, &d, &m),
                     AXVK_ERR_OUT_OF_DEVICE_MEMORY);
    assert_null(m);
    const char *msg = axvk_errmsg(model_test_ctx);
    char c_flag[64];
    snprintf(c_flag, sizeof c_flag, "-c %u", n_ctx);
    if (!strstr(msg, "needs") || !strstr(msg, "GiB") || !strstr(msg, c_flag) ||
        !strstr(msg, "would fit: -c ") || !strstr(msg, dev.name))
        fail_msg("unhelpful message: %s", msg);
    struct ids ids;
    greedy_ids(QWEN_DIR, NULL, &ids);
}

int main(void)
{
    if (model_test_open(NULL))
        return GPU_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_runs_as_stored_and_quantized_on_load),
        cmocka_unit_test(test_converted_files_generate_the_directory_ids),
        cmocka_unit_test(test_sharded_yarn_directory_runs_and_converts),
        cmocka_unit_test(test_llama_directory_runs_and_its_gguf_agrees),
        cmocka_unit_test(test_impossible_context_is_refused_then_a_normal_load_works),
    };
    return model_test_close(cmocka_run_group_tests(tests, setup, NULL));
}
