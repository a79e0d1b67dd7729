#version 450
// act_round: y = x rounded as llama.cpp's CPU backend rounds the input of a weight product
// (the values its dot products see), bit for bit the reference's ref_round_activations:
//   act_round_f16   each element to f16, round to nearest even
//   act_round_bf16  each element to bf16, round to nearest even
//   act_round_q8_0  blocks of 32: amax = max |x|, q = roundEven(x * (127 / amax)),
//                   y = q * f16(amax / 127); amax 0 gives zeros
//   act_round_q8_k  blocks of 256: max = the first element of largest |x| (signed),
//                   iscale = -127 / max, q = min(127, roundEven(iscale * x)), y = q * (1 / iscale)
// One invocation per element (f16, bf16) or per block (q8): the pass reads and writes each
// activation once, small next to the weight product that follows, so blocks are not split
// across invocations. Rounding is done in integer arithmetic or with correctly rounded fp32
// multiplies (Vulkan guarantees those); divisions go through div_rn because OpFDiv may be off
// by 2.5 ulp, which would move quants that sit on a rounding boundary.
#extension GL_GOOGLE_include_directive : require
#include "act_round_push.h"
#include "ops_half.glsl"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

// a / b rounded to nearest even for positive a, b: restoring long division of the 24-bit
// significands (remainders stay below 2^25). Subnormal operands or a quotient outside the
// normal range, which activations do not produce, fall back to the device's division.
float div_rn(float a, float b)
{
    uint ua = floatBitsToUint(a), ub = floatBitsToUint(b);
    int ea = int(ua >> 23), eb = int(ub >> 23);
    if (ea == 0 || eb == 0 || ea == 255 || eb == 255)
        return a / b;
    uint ma = (ua & 0x7fffffu) | 0x800000u, mb = (ub & 0x7fffffu) | 0x800000u;
    int e = ea - eb;
    if (ma < mb) { // quotient of the significands into [1, 2)
        ma <<= 1;
        e -= 1;
    }
    uint q = 0u; // 24 quotient bits, then the rounding bit
    for (int i = 0; i < 25; i++) {
        q <<= 1;
        if (ma >= mb) {
            ma -= mb;
            q |= 1u;
        }
        ma <<= 1;
    }
    uint half_bit = q & 1u;
    q >>= 1;
    if (half_bit != 0u && (ma != 0u || (q & 1u) != 0u))
        q++;
    if (q == 0x1000000u) { // rounded up to the next power of two
        q >>= 1;
        e += 1;
    }
    int be = e + 127;
    if (be <= 0 || be >= 255)
        return a / b;
    return uintBitsToFloat((uint(be) << 23) | (q & 0x7fffffu));
}

void main()
{
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint u = gl_GlobalInvocationID.x; u < pc.n_units; u += stride) {
#if defined(ROUND_F16)
        y[u] = unpackHalf2x16(f16_bits(x[u])).x;
#elif defined(ROUND_BF16)
        uint b = floatBitsToUint(x[u]);
        if ((b & 0x7fffffffu) > 0x7f800000u)
            b |= 0x400000u; // keep a NaN a NaN, as f32_to_bf16
        else
            b += 0x7fffu + ((b >> 16) & 1u);
        y[u] = uintBitsToFloat(b & 0xffff0000u);
#elif defined(ROUND_Q8_0)
        uint at = u * 32u;
        float amax = 0.0;
        for (uint j = 0u; j < 32u; j++)
            amax = max(amax, abs(x[at + j]));
        float id = amax != 0.0 ? div_rn(127.0, amax) : 0.0;
        float d = amax != 0.0 ? unpackHalf2x16(f16_bits(div_rn(amax, 127.0))).x : 0.0;
        for (uint j = 0u; j < 32u; j++)
            y[at + j] = roundEven(x[at + j] * id) * d;
#elif defined(ROUND_Q8_K)
        uint at = u * 256u;
        float amax = 0.0, mx = 0.0;
        for (uint j = 0u; j < 256u; j++) {
            float v = x[at + j];
            if (abs(v) > amax) { // strictly larger: the first of equal magnitudes wins
                amax = abs(v);
                mx = v;
            }
        }
        if (amax == 0.0) {
            for (uint j = 0u; j < 256u; j++)
                y[at + j] = 0.0;
        } else {
            // -127 / mx and 1 / iscale carry the sign of -mx; the magnitudes are rounded divisions
            float mag = div_rn(127.0, amax);
            float iscale = mx < 0.0 ? mag : -mag;
            float d = mx < 0.0 ? div_rn(1.0, mag) : -div_rn(1.0, mag);
            for (uint j = 0u; j < 256u; j++)
                y[at + j] = min(127.0, roundEven(iscale * x[at + j])) * d;
        }
#endif
    }
}
