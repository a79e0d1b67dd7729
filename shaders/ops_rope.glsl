// ops_rope.glsl: rotary-embedding angle and rotation shared by rope.comp (q) and kv_write.comp
// (k). Expects a push block `pc` with OPS_ROPE_FIELDS (see ops_push.h for the formulas).
// Angles are computed with the reference's float operations in its order (marked precise, so no
// contraction into fma changes the rounding), then reduced modulo 2*pi exactly in integer
// arithmetic: GPU sin/cos are only accurate on [-pi, pi], and at positions past 16,384 the
// high-frequency angles reach 10^4..10^5 radians.
#ifndef OPS_ROPE_GLSL
#define OPS_ROPE_GLSL

// 2^64 / (2 pi), as two words: hi, lo
const uint ROPE_INV2PI_HI = 0x28be60dbu;
const uint ROPE_INV2PI_LO = 0x9391054au;
const float ROPE_TWO_PI_2M32 = 1.46291807926715968e-9; // 2 pi / 2^32

// t mod 2 pi in [-pi, pi) for t >= 0. t = m 2^e exactly; t / (2 pi) in turns is
// m * INV2PI * 2^(e - 64): its top 32 fraction bits are bits [32 - e, 64 - e) of the 96-bit
// product m * INV2PI, read as a signed fraction of a turn. Error ~1e-9 rad for any t < 2^40.
float rope_reduce(float t)
{
    if (t < 3.0)
        return t;
    uint bits = floatBitsToUint(t);
    int e = int(bits >> 23) - 150;
    uint m = (bits & 0x7fffffu) | 0x800000u;
    uint lh, ll, hh, hl;
    umulExtended(m, ROPE_INV2PI_LO, lh, ll);
    umulExtended(m, ROPE_INV2PI_HI, hh, hl);
    uint w0 = ll;
    uint w1 = lh + hl;
    uint w2 = hh + (w1 < lh ? 1u : 0u);
    int s = 32 - e; // t >= 3 gives e >= -22, so s <= 54
    uint f;
    if (s > 32)
        f = (w1 >> uint(s - 32)) | (w2 << uint(64 - s));
    else if (s == 32)
        f = w1;
    else if (s > 0)
        f = (w0 >> uint(s)) | (w1 << uint(32 - s));
    else
        f = 0u; // t >= 2^55, far past any position: no fraction bits are left
    return float(int(f)) * ROPE_TWO_PI_2M32;
}

// (cos, sin) * mscale of rotation pair i (0 <= i < n_rot/2) at position pos.
vec2 rope_cs(int pos, uint i)
{
    precise float theta_extrap = float(pos);
    for (uint j = 0; j < i; j++)
        theta_extrap *= pc.theta_scale;
    precise float theta = pc.freq_scale * theta_extrap;
    if (pc.ext_factor != 0.0) {
        float y = (float(i) - pc.corr_lo) / max(0.001, pc.corr_hi - pc.corr_lo);
        precise float ramp = (1.0 - min(1.0, max(0.0, y))) * pc.ext_factor;
        theta = theta * (1.0 - ramp) + theta_extrap * ramp;
    }
    float r = rope_reduce(abs(theta));
    r = theta < 0.0 ? -r : r;
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
