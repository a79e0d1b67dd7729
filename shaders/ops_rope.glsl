// ops_rope.glsl: rotary-embedding angle and rotation shared by rope.comp (q) and kv_write.comp
// (k). Expects a push block `pc` with OPS_ROPE_FIELDS and the per-pair table `rope_tab`
// (uvec2 {lo, hi}: the fraction of a turn per position, 64 bits; see ops_push.h).
// The angle is p * rope_tab[i] modulo 2^64, i.e. modulo one turn, taken in integer arithmetic:
// GPU sin/cos are only accurate on [-pi, pi], and at positions past 16,384 the high-frequency
// angles reach 10^4..10^5 radians, where an fp32 angle alone is off by 1e-3 rad.
#ifndef OPS_ROPE_GLSL
#define OPS_ROPE_GLSL

const float ROPE_TWO_PI_2M32 = 1.46291807926715968e-9; // 2 pi / 2^32

// (cos, sin) * mscale of rotation pair i at position pos.
vec2 rope_cs(uint pos, uint i)
{
    uvec2 f = rope_tab[i];
    // bits 32..63 of pos * (f.y 2^32 + f.x): the top 32 bits of the fraction of a turn
    uint carry, low;
    umulExtended(pos, f.x, carry, low);
    uint frac = pos * f.y + carry;
    // read as signed: the angle in [-pi, pi), error < 2e-7 rad (the int -> float rounding)
    float r = float(int(frac)) * ROPE_TWO_PI_2M32;
    return vec2(cos(r), sin(r)) * pc.mscale;
}

// Element indices (within a head) of rotation pair i: neox (i, i + n_rot/2), normal (2i, 2i+1).
uvec2 rope_pair(uint i)
{
    return pc.neox != 0u ? uvec2(i, i + pc.n_rot / 2u) : uvec2(2u * i, 2u * i + 1u);
}

// The rotated pair: (x0 cos - x1 sin, x0 sin + x1 cos).
vec2 rope_rotate(vec2 x, vec2 cs)
{
    return vec2(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x);
}

#endif
