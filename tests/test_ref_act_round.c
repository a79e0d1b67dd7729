/* test_ref_act_round: llama.cpp's CPU rounding of activations (ref/act_round.h) against values
 * worked out by hand: half-to-even ties, the f16 scale of q8_0, the signed maximum of q8_K,
 * zero blocks, and which rounding each weight type gets. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/wtype.h"
#include "ref/act_round.h"

static void test_each_weight_type_gets_llama_cpp_dot_type(void **state)
{
    (void)state;
    assert_int_equal(ref_act_round_for(WTYPE_F32), REF_ACT_ROUND_NONE);
    assert_int_equal(ref_act_round_for(WTYPE_F16), REF_ACT_ROUND_F16);
    assert_int_equal(ref_act_round_for(WTYPE_BF16), REF_ACT_ROUND_BF16);
    const uint32_t q8_0[] = {WTYPE_Q4_0, WTYPE_Q4_1, WTYPE_Q5_0, WTYPE_Q5_1, WTYPE_Q8_0};
    for (size_t i = 0; i < sizeof q8_0 / sizeof q8_0[0]; i++)
        assert_int_equal(ref_act_round_for(q8_0[i]), REF_ACT_ROUND_Q8_0);
    const uint32_t q8_k[] = {WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};
    for (size_t i = 0; i < sizeof q8_k / sizeof q8_k[0]; i++)
        assert_int_equal(ref_act_round_for(q8_k[i]), REF_ACT_ROUND_Q8_K);
    assert_int_equal(ref_act_round_for(5), REF_ACT_ROUND_NONE); /* an id GGUF retired */
    assert_int_equal(ref_act_round_block(REF_ACT_ROUND_Q8_0), 32);
    assert_int_equal(ref_act_round_block(REF_ACT_ROUND_Q8_K), 256);
    assert_int_equal(ref_act_round_block(REF_ACT_ROUND_BF16), 1);
}

static void test_f32_weights_leave_activations_alone(void **state)
{
    (void)state;
    float x[3] = {0.1f, -1e-30f, 3.14159274f}, y[3];
    memcpy(y, x, sizeof x);
    ref_round_activations(y, 3, WTYPE_F32);
    assert_memory_equal(x, y, sizeof x);
}

static void test_f16_and_bf16_round_half_to_even(void **state)
{
    (void)state;
    /* f16 keeps 10 fraction bits: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 (odd), so 1;
     * 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even), so 1 + 2^-9;
     * 0.1 is f16 0x2e66 = 1638 * 2^-14; 70000 overflows to infinity */
    float h[5] = {1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, -(1.0f + 0x1p-11f), 0.1f, 70000.0f};
    ref_round_activations(h, 5, WTYPE_F16);
    assert_true(h[0] == 1.0f);
    assert_true(h[1] == 1.0f + 0x1p-9f);
    assert_true(h[2] == -1.0f);
    assert_true(h[3] == 1638.0f * 0x1p-14f);
    assert_true(isinf(h[4]));
    /* bf16 keeps 7 fraction bits: the same ties one step coarser, and 0.1 -> 0x3dcd */
    float b[4] = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 1.0f + 0x1p-8f + 0x1p-20f, 0.1f};
    ref_round_activations(b, 4, WTYPE_BF16);
    assert_true(b[0] == 1.0f);
    assert_true(b[1] == 1.0f + 0x1p-6f);
    assert_true(b[2] == 1.0f + 0x1p-7f); /* just above the tie rounds up */
    assert_true(b[3] == 205.0f * 0x1p-11f);
}

static void test_q8_0_rounds_ties_to_even_against_the_f16_scale(void **state)
{
    (void)state;
    /* amax 127: id = 1 and the f16 scale is exactly 1, so the values are the quants themselves */
    float x[64] = {127.0f, 2.5f, 3.5f, -2.5f, 0.5f, 1.5f, -0.49f, 126.5f};
    /* second block: amax 100, d = 100/127 = 0.787401557 stored as f16 1613 * 2^-11
     * = 0.78759765625; id = 127/100 = 1.27 (f32 1.26999998): 100 -> 127, 50 -> 63.5 -> 64,
     * -37.3 -> -47.371 -> -47, 1 -> 1 */
    x[32] = 100.0f;
    x[33] = 50.0f;
    x[34] = -37.3f;
    x[35] = 1.0f;
    x[36] = -100.0f;
    ref_round_activations(x, 64, WTYPE_Q4_0);
    const float first[8] = {127.0f, 2.0f, 4.0f, -2.0f, 0.0f, 2.0f, -0.0f, 126.0f};
    for (int i = 0; i < 8; i++)
        if (x[i] != first[i])
            fail_msg("block 0 element %d: %.9g, want %.9g", i, x[i], first[i]);
    const float d = 1613.0f * 0x1p-11f;
    assert_true(x[32] == 127.0f * d); /* 100.02490234375: the f16 scale, not 100 */
    assert_true(x[32] == 100.02490234375f);
    assert_true(x[33] == 64.0f * d);
    assert_true(x[34] == -47.0f * d);
    assert_true(x[35] == d);
    assert_true(x[36] == -127.0f * d);
    for (int i = 37; i < 64; i++)
        assert_true(x[i] == 0.0f);
}

static void test_q8_0_zero_block_stays_zero(void **state)
{
    (void)state;
    float x[32] = {0}, neg[32];
    for (int i = 0; i < 32; i++)
        neg[i] = -0.0f;
    ref_round_activations(x, 32, WTYPE_Q8_0);
    ref_round_activations(neg, 32, WTYPE_Q5_1);
    for (int i = 0; i < 32; i++)
        assert_true(x[i] == 0.0f && neg[i] == 0.0f && !isnan(x[i]) && !isnan(neg[i]));
}

static void test_q8_k_scales_by_the_signed_maximum(void **state)
{
    (void)state;
    float x[512] = {0};
    /* block 0: the largest magnitude is -3 (first) and +3 (later): iscale = -127 / -3
     * = 42.3333321 (f32), d = 1 / iscale = 0.0236220472; 1 -> 42.33 -> 42 -> 0.992125988,
     * 0.7 -> 29.63 -> 30 -> 0.708661437, -0.25 -> -10.58 -> -11 -> -0.259842515,
     * 0.5 -> 21.17 -> 21 -> 0.496062994; both extremes come back exactly */
    x[5] = -3.0f;
    x[9] = 3.0f;
    x[1] = 1.0f;
    x[2] = 0.7f;
    x[3] = -0.25f;
    x[4] = 0.5f;
    /* block 1: max -127 makes iscale exactly 1: ties to even, and +127 is allowed */
    float *b = x + 256;
    b[0] = -127.0f;
    b[1] = 2.5f;
    b[2] = -3.5f;
    b[3] = 0.5f;
    b[4] = 126.5f;
    b[5] = 127.0f;
    b[255] = -1.5f;
    ref_round_activations(x, 512, WTYPE_Q6_K);
    assert_true(x[5] == -3.0f && x[9] == 3.0f);
    assert_true(x[1] == 0x1.fbf7fp-1f);  /* 42 * d = 0.992125988 */
    assert_true(x[2] == 0x1.6ad5acp-1f); /* 30 * d = 0.708661437 */
    assert_true(x[3] == -0x1.0a1428p-2f); /* -11 * d = -0.259842515 */
    assert_true(x[4] == 0x1.fbf7fp-2f);  /* 21 * d = 0.496062994 */
    assert_true(x[0] == 0.0f && x[255] == 0.0f);
    const float want[6] = {-127.0f, 2.0f, -4.0f, 0.0f, 126.0f, 127.0f};
    for (int i = 0; i < 6; i++)
        if (b[i] != want[i])
            fail_msg("block 1 element %d: %.9g, want %.9g", i, b[i], want[i]);
    assert_true(b[255] == -2.0f);
}

static void test_q8_k_zero_block_gives_zeros(void **state)
{
    (void)state;
    float x[512];
    for (int i = 0; i < 512; i++)
        x[i] = i < 256 ? 0.0f : 0.25f * (float)(i % 5) - 0.5f;
    ref_round_activations(x, 512, WTYPE_Q4_K);
    for (int i = 0; i < 256; i++)
        assert_true(x[i] == 0.0f);
    /* the second block's first extreme is +0.5 (i = 259, before -0.5 at 260): iscale = -254,
     * d = 1 / -254; -0.25 * -254 = 63.5 is a tie and goes to 64 */
    assert_true(x[259] == 0.5f && x[260] == -0.5f);
    assert_true(x[256] == -0x1.020408p-2f); /* 64 * d = -0.251968503 */
    assert_true(x[258] == 0x1.020408p-2f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_weight_type_gets_llama_cpp_dot_type),
        cmocka_unit_test(test_f32_weights_leave_activations_alone),
        cmocka_unit_test(test_f16_and_bf16_round_half_to_even),
        cmocka_unit_test(test_q8_0_rounds_ties_to_even_against_the_f16_scale),
        cmocka_unit_test(test_q8_0_zero_block_stays_zero),
        cmocka_unit_test(test_q8_k_scales_by_the_signed_maximum),
        cmocka_unit_test(test_q8_k_zero_block_gives_zeros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
