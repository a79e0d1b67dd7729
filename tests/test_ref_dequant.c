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

#include "base/alloc.h"
#include "base/wtype.h"
#include "dequant_vectors.h"
#include "model/gguf.h"
#include "ref/quant.h"

/* One dequant.json entry: ref_dequantize gives llama.cpp's values to 1e-6 relative. */
static void check_vector(const struct dequant_vector *v)
{
    const struct gguf_tensor *t = v->t;
    assert_int_equal(t->size, wtype_row_bytes(t->type, v->n));
    float *got = mem_alloc(v->n * sizeof(float));
    assert_non_null(got);
    ref_dequantize(got, t->data, t->type, v->n);
    for (uint64_t i = 0; i < v->n; i++) {
        float b = v->want[i];
        if (!(fabsf(got[i] - b) <= 1e-6f * fmaxf(1.0f, fabsf(b))))
            fail_msg("%s %s [%s] element %llu (row %llu): got %.9g, llama.cpp %.9g", v->file,
                     v->tensor, wtype_get(t->type)->name, (unsigned long long)i,
                     (unsigned long long)(i / t->ne[0]), got[i], b);
    }
    mem_free(got);
}

static void test_dequantize_matches_llama_cpp_values(void **state)
{
    (void)state;
    size_t entries, values;
    uint32_t seen_types = dequant_vectors_each(check_vector, &entries, &values);
    print_message("%zu tensors, %zu values\n", entries, values);
    assert_true(entries >= 36);
    /* every quantized type of the list is exercised */
    const uint32_t want_types[] = {WTYPE_BF16, WTYPE_Q8_0, WTYPE_Q4_0, WTYPE_Q4_1, WTYPE_Q5_0,
                                   WTYPE_Q5_1, WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};
    for (size_t i = 0; i < sizeof(want_types) / sizeof(want_types[0]); i++)
        if (!(seen_types & (1u << want_types[i])))
            fail_msg("no reference tensor of type %s", wtype_get(want_types[i])->name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequantize_matches_llama_cpp_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
