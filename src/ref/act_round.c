/* ref/act_round: llama.cpp's CPU conversion of activations to a weight's dot-product type,
 * emulated as the values the integer dot products then see (q * d as f32).
 * Owns the rounding only; which products get it is ref/forward's business. */
#include "ref/act_round.h"

#include <assert.h>
#include <math.h>

#include "base/half.h"
#include "base/wtype.h"

enum ref_act_round ref_act_round_for(uint32_t wtype)
{
    switch (wtype) {
    case WTYPE_F16:
        return REF_ACT_ROUND_F16;
    case WTYPE_BF16:
        return REF_ACT_ROUND_BF16;
    case WTYPE_Q4_0:
    case WTYPE_Q4_1:
    case WTYPE_Q5_0:
    case WTYPE_Q5_1:
    case WTYPE_Q8_0:
        return REF_ACT_ROUND_Q8_0;
    case WTYPE_Q4_K:
    case WTYPE_Q5_K:
    case WTYPE_Q6_K:
        return REF_ACT_ROUND_Q8_K;
    default:
        return REF_ACT_ROUND_NONE;
    }
}

size_t ref_act_round_block(enum ref_act_round mode)
{
    return mode == REF_ACT_ROUND_Q8_0 ? 32 : mode == REF_ACT_ROUND_Q8_K ? 256 : 1;
}

/* One q8_0 block x [32]. The quants use the unrounded 127 / amax (as llama.cpp's x86 and Arm
 * paths do, rounding half to even), the value the f16 scale the block stores. */
static void round_q8_0(float *x)
{
    float amax = 0.0f;
    for (int j = 0; j < 32; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const float d = f16_to_f32(f32_to_f16(amax / 127.0f));
    for (int j = 0; j < 32; j++)
        x[j] = rintf(x[j] * id) * d;
}

/* One q8_K block x [256]: the scale comes from the signed element of largest magnitude (the first
 * one on ties), so that element maps to -127 and the opposite extreme may reach +127 only. */
static void round_q8_k(float *x)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 256; j++)
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    if (amax == 0.0f) {
        for (int j = 0; j < 256; j++)
            x[j] = 0.0f; /* llama.cpp stores d = 0 and zero quants */
        return;
    }
    const float iscale = -127.0f / max, d = 1.0f / iscale;
    for (int j = 0; j < 256; j++) {
        const float q = fminf(127.0f, rintf(iscale * x[j]));
        x[j] = q * d;
    }
}

void ref_round_activations(float *x, size_t n, uint32_t wtype)
{
    const enum ref_act_round mode = ref_act_round_for(wtype);
    assert(n % ref_act_round_block(mode) == 0);
    switch (mode) {
    case REF_ACT_ROUND_F16:
        for (size_t i = 0; i < n; i++)
            x[i] = f16_to_f32(f32_to_f16(x[i]));
        break;
    case REF_ACT_ROUND_BF16:
        for (size_t i = 0; i < n; i++)
            x[i] = bf16_to_f32(f32_to_bf16(x[i]));
        break;
    case REF_ACT_ROUND_Q8_0:
        for (size_t i = 0; i < n; i += 32)
            round_q8_0(x + i);
        break;
    case REF_ACT_ROUND_Q8_K:
        for (size_t i = 0; i < n; i += 256)
            round_q8_k(x + i);
        break;
    case REF_ACT_ROUND_NONE:
        break;
    }
}
