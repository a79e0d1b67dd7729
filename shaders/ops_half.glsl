// ops_half.glsl: f32 -> f16 bits with IEEE round-to-nearest-even, done in integer arithmetic.
// packHalf2x16's rounding is implementation-defined; caches written through this function hold
// the same bits on every GPU and equal the reference's f32_to_f16.
#ifndef OPS_HALF_GLSL
#define OPS_HALF_GLSL

uint f16_bits(float f)
{
    uint x = floatBitsToUint(f);
    uint sign = (x >> 16) & 0x8000u;
    uint ex = (x >> 23) & 0xffu;
    uint mant = x & 0x7fffffu;
    if (ex == 0xffu)
        return sign | 0x7c00u | (mant != 0u ? 0x200u : 0u); // inf stays inf, NaN stays NaN
    int e = int(ex) - 112; // rebias 127 -> 15
    if (e >= 31)
        return sign | 0x7c00u;
    if (e <= 0) {
        // subnormal result: shift the full significand right, round on the dropped bits
        if (e < -10)
            return sign;
        mant |= 0x800000u;
        uint shift = uint(14 - e);
        uint h = mant >> shift;
        uint rem = mant & ((1u << shift) - 1u);
        uint mid = 1u << (shift - 1u);
        if (rem > mid || (rem == mid && (h & 1u) != 0u))
            h++;
        return sign | h;
    }
    uint h = (uint(e) << 10) | (mant >> 13);
    uint rem = mant & 0x1fffu;
    // a carry out of the mantissa bumps the exponent, which is the correctly rounded result
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u))
        h++;
    return sign | h;
}

float f16_value(uint h)
{
    return unpackHalf2x16(h).x;
}

#endif
