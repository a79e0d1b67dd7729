#version 450
// synth_fill: random weights written in place on the device, for synthetic models of real
// shapes (a 72B model's 40 GB would take minutes to quantize on the host and to upload).
// Layout: a grid-stride loop over the binding's 32-bit words; word i is a pure function of
// (pc.key, i), so the grid size changes nothing. Blocks of every GGUF type start on even bytes
// and are an even number of bytes long, so each f16 field sits in one half of one word: a word
// is built from its two 16-bit halves, each either random bits or a scale field.
#extension GL_GOOGLE_include_directive : require
#include "synth_push.h"

layout(local_size_x_id = 0) in;
layout(std430, binding = 0) writeonly buffer Dst { uint dst[]; };

// PCG's output permutation of an LCG step: a cheap 32-bit hash whose outputs pass as
// independent uniform bits for neighbouring inputs.
uint hash(uint v)
{
    uint state = v * 747796405u + 2891336453u;
    uint word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// Uniform in [0, 1) from the top 24 bits.
float unit(uint bits)
{
    return float(bits >> 8u) * (1.0 / 16777216.0);
}

// f32 to f16 bits, truncating, with subnormals kept: small scales (1e-6 for a Q6_K block of a
// 29,568-wide row) must not flush to zero, and packHalf2x16 may flush them.
uint to_half(float f)
{
    uint x = floatBitsToUint(f);
    uint sign = (x >> 16u) & 0x8000u;
    int e = int((x >> 23u) & 0xffu) - 127 + 15;
    uint m = x & 0x7fffffu;
    if (e >= 31)
        return sign | 0x7bffu; // the largest finite half
    if (e <= 0) {
        if (e < -10)
            return sign;
        return sign | ((m | 0x800000u) >> uint(14 - e));
    }
    return sign | (uint(e) << 10u) | (m >> 13u);
}

// The 16 bits at even byte `at` of the binding in block mode.
uint block_half(uint at, uint bits)
{
    uint off = at % pc.block_bytes;
    if (off != pc.d_off && off != pc.m_off)
        return bits & 0xffffu;
    uint block = at / pc.block_bytes;
    float d = pc.d_base * (0.75 + 0.5 * unit(hash(block ^ hash(pc.key ^ 0x5bd1e995u))));
    return to_half(off == pc.d_off ? d : d * pc.m_ratio);
}

void main()
{
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n_words; i += stride) {
        uint bits = hash(hash(i) ^ pc.key);
        uint word;
        if (pc.mode == SYNTH_MODE_F32) {
            word = floatBitsToUint(pc.amp * (2.0 * unit(bits) - 1.0));
        } else if (pc.mode == SYNTH_MODE_BLOCKS) {
            word = block_half(4u * i, bits) | (block_half(4u * i + 2u, bits >> 16u) << 16u);
        } else {
            // two elements per word from two further draws
            float a = pc.amp * (2.0 * unit(bits) - 1.0);
            float b = pc.amp * (2.0 * unit(hash(bits ^ 0x9e3779b9u)) - 1.0);
            if (pc.mode == SYNTH_MODE_F16)
                word = to_half(a) | (to_half(b) << 16u);
            else // bf16: the top half of the f32 bits
                word = (floatBitsToUint(a) >> 16u) | (floatBitsToUint(b) & 0xffff0000u);
        }
        dst[i] = word;
    }
}
