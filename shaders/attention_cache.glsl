// attention_cache.glsl: reads of the KV cache for the attention kernels, in the layout of
// attention_push.h. Variant CACHE_F16 (16-byte loads of 8 halves) or CACHE_Q8_0 (34-byte
// blocks of 32 along head_dim, only 2-byte aligned, so read through 32-bit words and shifts).
// A record `rec` = row * n_kv_head + head; `c` indexes 8-element chunks of head_dim.
// Needs from the includer: push constant head_dim.

#if defined(CACHE_F16)
layout(std430, binding = 1) readonly buffer KCache { uvec4 k4[]; };
layout(std430, binding = 2) readonly buffer VCache { uint vw[]; };
layout(std430, binding = 2) readonly buffer VCache4 { uvec4 v4[]; };

uvec4 cache_k_packed8(uint rec, uint c)
{
    return k4[rec * (pc.head_dim >> 3) + c];
}

uvec4 cache_v_packed8(uint rec, uint c)
{
    return v4[rec * (pc.head_dim >> 3) + c];
}

float cache_v1(uint rec, uint d)
{
    uint i = rec * pc.head_dim + d;
    return unpackHalf2x16(vw[i >> 1] >> ((i & 1u) << 4)).x;
}

#elif defined(CACHE_Q8_0)
layout(std430, binding = 1) readonly buffer KCache { uint kw[]; };
layout(std430, binding = 2) readonly buffer VCache { uint vw[]; };

// four bytes at an even byte offset of K (v == false) or V
uint cache_ld32(bool v, uint o)
{
    uint i = o >> 2;
    uint a = v ? vw[i] : kw[i];
    if ((o & 2u) == 0u)
        return a;
    uint b = v ? vw[i + 1u] : kw[i + 1u];
    return (a >> 16) | (b << 16);
}

// byte offset of element d's block in record rec
uint cache_block(uint rec, uint d)
{
    return (rec * (pc.head_dim >> 5) + (d >> 5)) * 34u;
}

void cache_q8(bool v, uint rec, uint c, out vec4 a, out vec4 b)
{
    uint o = cache_block(rec, c * 8u);
    uint q = o + 2u + ((c * 8u) & 31u);
    float d = unpackHalf2x16(cache_ld32(v, o)).x;
    ivec4 q0 = ivec4(int(cache_ld32(v, q)));
    ivec4 q1 = ivec4(int(cache_ld32(v, q + 4u)));
    const ivec4 sh = ivec4(0, 8, 16, 24);
    a = d * vec4(bitfieldExtract(q0.x, sh.x, 8), bitfieldExtract(q0.y, sh.y, 8),
                 bitfieldExtract(q0.z, sh.z, 8), bitfieldExtract(q0.w, sh.w, 8));
    b = d * vec4(bitfieldExtract(q1.x, sh.x, 8), bitfieldExtract(q1.y, sh.y, 8),
                 bitfieldExtract(q1.z, sh.z, 8), bitfieldExtract(q1.w, sh.w, 8));
}

uvec4 cache_pack(vec4 a, vec4 b)
{
    return uvec4(packHalf2x16(a.xy), packHalf2x16(a.zw), packHalf2x16(b.xy), packHalf2x16(b.zw));
}

uvec4 cache_k_packed8(uint rec, uint c)
{
    vec4 a, b;
    cache_q8(false, rec, c, a, b);
    return cache_pack(a, b);
}

uvec4 cache_v_packed8(uint rec, uint c)
{
    vec4 a, b;
    cache_q8(true, rec, c, a, b);
    return cache_pack(a, b);
}

float cache_v1(uint rec, uint d)
{
    uint o = cache_block(rec, d);
    float s = unpackHalf2x16(cache_ld32(true, o)).x;
    uint b = o + 2u + (d & 31u);
    return s * float(bitfieldExtract(int(vw[b >> 2]), int((b & 3u) << 3), 8));
}
#else
#error "attention: define CACHE_F16 or CACHE_Q8_0"
#endif

// eight K elements [8c, 8c + 8) of record rec as floats
void cache_k8(uint rec, uint c, out vec4 a, out vec4 b)
{
#if defined(CACHE_F16)
    uvec4 p = cache_k_packed8(rec, c);
    a = vec4(unpackHalf2x16(p.x), unpackHalf2x16(p.y));
    b = vec4(unpackHalf2x16(p.z), unpackHalf2x16(p.w));
#else
    cache_q8(false, rec, c, a, b);
#endif
}
