/* test_ref_dequant: ref_dequantize against llama.cpp's own dequantization of tensors in the
 * mini GGUF files (shared/testdata/gguf/dequant.json), value for value. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "base/wtype.h"
#include "model/gguf.h"
#include "ref/quant.h"

#define GGUF_DIR AXVK_SHARED_DIR "/testdata/gguf/"

/* Checks one dequant.json entry; returns the number of values compared. */
static size_t check_entry(const cJSON *entry)
{
    const char *file = cJSON_GetObjectItem(entry, "file")->valuestring;
    const char *tensor = cJSON_GetObjectItem(entry, "tensor")->valuestring;
    const char *type_name = cJSON_GetObjectItem(entry, "type")->valuestring;
    const char *f32 = cJSON_GetObjectItem(entry, "f32")->valuestring;
    char path[512];
    struct err err;
    struct gguf *g = NULL;
    snprintf(path, sizeof(path), GGUF_DIR "%s", file);
    if (gguf_open(&g, path, &err) != AXVK_OK)
        fail_msg("%s: %s", path, err.msg);
    const struct gguf_tensor *t = gguf_find_tensor(g, tensor);
    assert_non_null(t);
    assert_int_equal(t->type, wtype_from_name(type_name));
    const uint64_t n = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    assert_int_equal(t->size, wtype_row_bytes(t->type, n));

    struct mapfile want;
    snprintf(path, sizeof(path), GGUF_DIR "%s", f32);
    if (mapfile_open(&want, path, &err) != AXVK_OK)
        fail_msg("%s: %s", path, err.msg);
    assert_int_equal(want.size, n * sizeof(float));
    float *got = mem_alloc(n * sizeof(float));
    assert_non_null(got);
    ref_dequantize(got, t->data, t->type, n);
    for (uint64_t i = 0; i < n; i++) {
        float b;
        memcpy(&b, want.data + 4 * i, 4);
        if (!(fabsf(got[i] - b) <= 1e-6f * fmaxf(1.0f, fabsf(b))))
            fail_msg("%s %s [%s] element %llu (row %llu): got %.9g, llama.cpp %.9g", file, tensor,
                     type_name, (unsigned long long)i, (unsigned long long)(i / t->ne[0]),
                     got[i], b);
    }
    mem_free(got);
    mapfile_close(&want);
    gguf_close(g);
    return (size_t)n;
}

static void test_dequantize_matches_llama_cpp_values(void **state)
{
    (void)state;
    char *json = NULL;
    size_t len;
    struct err err;
    if (file_read_all(GGUF_DIR "dequant.json", &json, &len, &err) != AXVK_OK)
        fail_msg("%s", err.msg);
    cJSON *list = cJSON_Parse(json);
    assert_non_null(list);
    size_t entries = 0, values = 0;
    uint32_t seen_types = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, list)
    {
        values += check_entry(entry);
        entries++;
        seen_types |= 1u << wtype_from_name(cJSON_GetObjectItem(entry, "type")->valuestring);
    }
    print_message("%zu tensors, %zu values\n", entries, values);
    assert_true(entries >= 36);
    /* every quantized type of the list is exercised */
    const uint32_t want_types[] = {WTYPE_BF16, WTYPE_Q8_0, WTYPE_Q4_0, WTYPE_Q4_1, WTYPE_Q5_0,
                                   WTYPE_Q5_1, WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};
    for (size_t i = 0; i < sizeof(want_types) / sizeof(want_types[0]); i++)
        if (!(seen_types & (1u << want_types[i])))
            fail_msg("no reference tensor of type %s", wtype_get(want_types[i])->name);
    cJSON_Delete(list);
    mem_free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequantize_matches_llama_cpp_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
