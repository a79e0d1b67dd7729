/* weights_test: random quantized weights for the weight-kernel tests (see weights_test.h). */
#include "weights_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "ref/quant.h"

const uint32_t weights_test_types[WEIGHTS_TEST_N_TYPES] = {
    WTYPE_F32,  WTYPE_F16,  WTYPE_BF16, WTYPE_Q8_0, WTYPE_Q4_0, WTYPE_Q4_1,
    WTYPE_Q5_0, WTYPE_Q5_1, WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};

/* rows made from one float buffer at a time: A.X Light's 18944-row matrices stay small in RAM */
#define GEN_ROWS 512u

uint8_t *weights_test_random(uint32_t type, uint32_t rows, uint32_t k)
{
    uint64_t row_bytes = wtype_row_bytes(type, k);
    uint32_t chunk = rows < GEN_ROWS ? rows : GEN_ROWS;
    float *f = mem_alloc((size_t)chunk * k * sizeof *f);
    uint8_t *q = mem_calloc(row_bytes * rows + 4, 1);
    assert_non_null(f);
    assert_non_null(q);
    for (uint32_t r = 0; r < rows; r += chunk) {
        uint32_t n = rows - r < chunk ? rows - r : chunk;
        gpu_test_fill_f32(f, (size_t)n * k, -1.0f, 1.0f);
        ref_quantize(q + r * row_bytes, f, type, (size_t)n * k);
    }
    mem_free(f);
    return q;
}
