// dequant.glsl: decode of GGUF weight blocks, in their exact file layout, into fp32 — one "unit"
// of weights per call — for every kernel that reads weights (matvec, matmul, get_rows).
// Self-contained: needs no extension and no optional feature; reads raw 32-bit and 16-byte words.
//
// Before including, define exactly one DQ_TYPE_<T> (F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K
// Q5_K Q6_K) and the weight accessors of the includer's binding:
//   DQ_WORD(i)   uint  at 32-bit word index i
//   DQ_WORD4(i)  uvec4 at 16-byte index i (usually a second block declared on the same binding)
// Assumptions: a row starts at a byte offset that is a multiple of 16 for F32/F16/BF16/Q4_K/Q5_K
// (true when k is a multiple of DQ_ALIGN) and of 2 otherwise. Blocks of 2-byte aligned types are
// read as whole 32-bit words, never past the word holding a block's last byte: when a tensor's
// size is not a multiple of 4 (an odd number of such blocks), bind its range rounded up to 4.
//
// Provides:
//   DQ_UNIT, DQ_RUN     weights per unit, and per contiguous run of a unit in the row
//   DQ_ALIGN            k must be a multiple of this (the block, or 8 for float types)
//   DQ_BLOCK_BYTES/ELEMS GGUF block geometry
//   dq_elem(u, i)       position in the row of element i of unit u (runs: i = 0, DQ_RUN, ...)
//   dq_unit(row, u, v)  decode unit u of the row starting at byte offset `row` into v[DQ_UNIT]
//   dq_row_bytes(k)     bytes of a row of k weights
// Units are numbered along the row so that consecutive units read consecutive bytes: threads
// that take consecutive units make fully coalesced loads.
//
// Arithmetic follows llama.cpp's reference dequantization operation for operation and is marked
// `precise`, so no a*b+c is fused: decoded values are bit-identical to the CPU reference.

#if defined(DQ_TYPE_F32) || defined(DQ_TYPE_F16) || defined(DQ_TYPE_BF16)
#define DQ_FLOAT_TYPE
#define DQ_UNIT 8u
#define DQ_RUN 8u
#define DQ_ALIGN 8u
#define DQ_BLOCK_ELEMS 1u
#if defined(DQ_TYPE_F32)
#define DQ_BLOCK_BYTES 4u
#else
#define DQ_BLOCK_BYTES 2u
#endif
#elif defined(DQ_TYPE_Q4_0) || defined(DQ_TYPE_Q4_1) || defined(DQ_TYPE_Q5_0) || \
    defined(DQ_TYPE_Q5_1) || defined(DQ_TYPE_Q8_0)
#define DQ_BLOCK32_TYPE
#define DQ_UNIT 32u
#define DQ_RUN 32u
#define DQ_ALIGN 32u
#define DQ_BLOCK_ELEMS 32u
#if defined(DQ_TYPE_Q4_0)
#define DQ_BLOCK_BYTES 18u
#elif defined(DQ_TYPE_Q4_1)
#define DQ_BLOCK_BYTES 20u
#elif defined(DQ_TYPE_Q5_0)
#define DQ_BLOCK_BYTES 22u
#elif defined(DQ_TYPE_Q5_1)
#define DQ_BLOCK_BYTES 24u
#else
#define DQ_BLOCK_BYTES 34u
#endif
#elif defined(DQ_TYPE_Q4_K) || defined(DQ_TYPE_Q5_K) || defined(DQ_TYPE_Q6_K)
#define DQ_UNIT 32u
#define DQ_RUN 16u
#define DQ_ALIGN 256u
#define DQ_BLOCK_ELEMS 256u
#if defined(DQ_TYPE_Q4_K)
#define DQ_BLOCK_BYTES 144u
#elif defined(DQ_TYPE_Q5_K)
#define DQ_BLOCK_BYTES 176u
#else
#define DQ_BLOCK_BYTES 210u
#endif
#else
#error "dequant.glsl: define one DQ_TYPE_<type>"
#endif

uint dq_row_bytes(uint k)
{
    return k / DQ_BLOCK_ELEMS * DQ_BLOCK_BYTES;
}

// Low 16 bits of a word as an f16 value.
float dq_half(uint w)
{
    return unpackHalf2x16(w).x;
}

// Byte b (0..3) of a word, zero- or sign-extended.
uint dq_u8(uint w, uint b)
{
    return bitfieldExtract(w, int(8u * b), 8);
}

int dq_i8(uint w, uint b)
{
    return bitfieldExtract(int(w), int(8u * b), 8);
}

// ---- position of element i of unit u in its row ----------------------------------------------

uint dq_elem(uint u, uint i)
{
#if defined(DQ_FLOAT_TYPE) || defined(DQ_BLOCK32_TYPE)
    // float types: 8 consecutive weights; 32-blocks: the whole block, low nibbles first
    return u * DQ_UNIT + i;
#elif defined(DQ_TYPE_Q6_K)
    // q6_k unit ub = 4n + 2p + h of its block: weights 128n + 32p + 16h + [0,16) and the same +64
    uint ub = u & 7u;
    uint base = (u >> 3) * 256u + (ub >> 2) * 128u + ((ub >> 1) & 1u) * 32u + (ub & 1u) * 16u;
    return base + (i & 15u) + (i >> 4) * 64u;
#else
    // q4_k/q5_k unit ub = 2j + h of its block: weights 64j + 16h + [0,16) and the same +32
    uint ub = u & 7u;
    uint base = (u >> 3) * 256u + (ub >> 1) * 64u + (ub & 1u) * 16u;
    return base + (i & 15u) + (i >> 4) * 32u;
#endif
}

// ---- float types: one 16-byte load holds 8 f16/bf16 weights, two hold 8 f32 ------------------

#if defined(DQ_TYPE_F32)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    uint q = (row >> 4) + 2u * u;
    uvec4 a = DQ_WORD4(q);
    uvec4 b = DQ_WORD4(q + 1u);
    for (uint t = 0u; t < 4u; t++) {
        v[t] = uintBitsToFloat(a[t]);
        v[4u + t] = uintBitsToFloat(b[t]);
    }
}
#elif defined(DQ_TYPE_F16)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    uvec4 a = DQ_WORD4((row >> 4) + u);
    for (uint t = 0u; t < 4u; t++) {
        vec2 p = unpackHalf2x16(a[t]);
        v[2u * t] = p.x;
        v[2u * t + 1u] = p.y;
    }
}
#elif defined(DQ_TYPE_BF16)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // bf16 is the high half of an f32: shifting is the whole conversion
    uvec4 a = DQ_WORD4((row >> 4) + u);
    for (uint t = 0u; t < 4u; t++) {
        v[2u * t] = uintBitsToFloat(a[t] << 16);
        v[2u * t + 1u] = uintBitsToFloat(a[t] & 0xffff0000u);
    }
}

// ---- 32-weight blocks: one unit is one block, read as 32-bit words ------------------------------
// Blocks of 18, 22 and 34 bytes are only 2-byte aligned, so 16-byte loads would need the weights
// repacked; consecutive threads read consecutive blocks, so the words still coalesce into full
// cache lines. `s` below is the block's byte stream after its leading f16, as aligned words.

#elif defined(DQ_TYPE_Q4_0)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // {f16 d; u8 qs[16]}: x[j] = (lo4(qs[j]) - 8) d, x[j+16] = (hi4(qs[j]) - 8) d
    uint o = row + u * DQ_BLOCK_BYTES;
    uint a = o >> 2;
    bool odd = (o & 2u) != 0u;
    uint w[5];
    for (uint t = 0u; t < 5u; t++)
        w[t] = DQ_WORD(a + t);
    precise float d = dq_half(odd ? w[0] >> 16 : w[0]);
    for (uint t = 0u; t < 4u; t++) {
        uint s = odd ? w[t + 1u] : (w[t] >> 16) | (w[t + 1u] << 16);
        for (uint b = 0u; b < 4u; b++) {
            uint q = dq_u8(s, b);
            precise float lo = float(int(q & 15u) - 8) * d;
            precise float hi = float(int(q >> 4) - 8) * d;
            v[4u * t + b] = lo;
            v[16u + 4u * t + b] = hi;
        }
    }
}
#elif defined(DQ_TYPE_Q4_1)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // {f16 d, m; u8 qs[16]}, 4-byte aligned: x = q d + m
    uint a = (row + u * DQ_BLOCK_BYTES) >> 2;
    vec2 dm = unpackHalf2x16(DQ_WORD(a));
    for (uint t = 0u; t < 4u; t++) {
        uint s = DQ_WORD(a + 1u + t);
        for (uint b = 0u; b < 4u; b++) {
            uint q = dq_u8(s, b);
            precise float lo = float(q & 15u) * dm.x + dm.y;
            precise float hi = float(q >> 4) * dm.x + dm.y;
            v[4u * t + b] = lo;
            v[16u + 4u * t + b] = hi;
        }
    }
}
#elif defined(DQ_TYPE_Q5_0)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // {f16 d; u32 qh; u8 qs[16]}: bit i of qh is the 5th bit of weight i; x = (q - 16) d
    uint o = row + u * DQ_BLOCK_BYTES;
    uint a = o >> 2;
    bool odd = (o & 2u) != 0u;
    uint w[6];
    for (uint t = 0u; t < 6u; t++)
        w[t] = DQ_WORD(a + t);
    precise float d = dq_half(odd ? w[0] >> 16 : w[0]);
    uint qh = odd ? w[1] : (w[0] >> 16) | (w[1] << 16);
    for (uint t = 0u; t < 4u; t++) {
        uint s = odd ? w[t + 2u] : (w[t + 1u] >> 16) | (w[t + 2u] << 16);
        for (uint b = 0u; b < 4u; b++) {
            uint j = 4u * t + b;
            uint q = dq_u8(s, b);
            uint lo = (q & 15u) | (((qh >> j) & 1u) << 4);
            uint hi = (q >> 4) | (((qh >> (j + 16u)) & 1u) << 4);
            precise float xl = float(int(lo) - 16) * d;
            precise float xh = float(int(hi) - 16) * d;
            v[j] = xl;
            v[16u + j] = xh;
        }
    }
}
#elif defined(DQ_TYPE_Q5_1)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // {f16 d, m; u32 qh; u8 qs[16]}, 8-byte aligned: x = q d + m
    uint a = (row + u * DQ_BLOCK_BYTES) >> 2;
    vec2 dm = unpackHalf2x16(DQ_WORD(a));
    uint qh = DQ_WORD(a + 1u);
    for (uint t = 0u; t < 4u; t++) {
        uint s = DQ_WORD(a + 2u + t);
        for (uint b = 0u; b < 4u; b++) {
            uint j = 4u * t + b;
            uint q = dq_u8(s, b);
            uint lo = (q & 15u) | (((qh >> j) & 1u) << 4);
            uint hi = (q >> 4) | (((qh >> (j + 16u)) & 1u) << 4);
            precise float xl = float(lo) * dm.x + dm.y;
            precise float xh = float(hi) * dm.x + dm.y;
            v[j] = xl;
            v[16u + j] = xh;
        }
    }
}
#elif defined(DQ_TYPE_Q8_0)
void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // {f16 d; i8 qs[32]}: x = q d
    uint o = row + u * DQ_BLOCK_BYTES;
    uint a = o >> 2;
    bool odd = (o & 2u) != 0u;
    uint w[9];
    for (uint t = 0u; t < 9u; t++)
        w[t] = DQ_WORD(a + t);
    precise float d = dq_half(odd ? w[0] >> 16 : w[0]);
    for (uint t = 0u; t < 8u; t++) {
        uint s = odd ? w[t + 1u] : (w[t] >> 16) | (w[t + 1u] << 16);
        for (uint b = 0u; b < 4u; b++) {
            precise float x = float(dq_i8(s, b)) * d;
            v[4u * t + b] = x;
        }
    }
}

// ---- K-quants: 256-weight super-blocks, 8 units of 32 weights each ------------------------------

#elif defined(DQ_TYPE_Q4_K) || defined(DQ_TYPE_Q5_K)
// 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes in hd.yzw:
// j < 4: sc = s[j] & 63, m = s[j+4] & 63; else the low nibbles of s[j+4] and top bits of s[j-4], s[j].
uvec2 dq_scale_min_k4(uint j, uvec4 hd)
{
    uvec3 s = hd.yzw;
    if (j < 4u)
        return uvec2(dq_u8(s[j >> 2], j & 3u) & 63u, dq_u8(s[(j + 4u) >> 2], j & 3u) & 63u);
    uint hi = dq_u8(s[2], j & 3u);  // s[j + 4]
    uint sc = (hi & 15u) | ((dq_u8(s[0], j & 3u) >> 6) << 4);
    uint m = (hi >> 4) | ((dq_u8(s[1], j & 3u) >> 6) << 4);
    return uvec2(sc, m);
}

void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // q4_k {f16 d, dmin; u8 scales[12]; u8 qs[128]}
    // q5_k {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}
    // Unit ub = 2j + h reads qs[32j + 16h, +16): low nibbles are weights 64j + 16h + l (sub-block
    // 2j), high nibbles 64j + 32 + 16h + l (sub-block 2j + 1); q5_k adds bit 2j / 2j+1 of qh[16h + l].
    // The header's 16-byte load is shared by the block's 8 units through the cache.
    uint blk = (row >> 4) + (u >> 3) * (DQ_BLOCK_BYTES / 16u);
    uint ub = u & 7u;
    uint j = ub >> 1;
    uvec4 hd = DQ_WORD4(blk);
#if defined(DQ_TYPE_Q4_K)
    uvec4 qs = DQ_WORD4(blk + 1u + ub);
#else
    uvec4 qh = DQ_WORD4(blk + 1u + (ub & 1u));
    uvec4 qs = DQ_WORD4(blk + 3u + ub);
#endif
    vec2 dm = unpackHalf2x16(hd.x);
    uvec2 sm0 = dq_scale_min_k4(2u * j, hd);
    uvec2 sm1 = dq_scale_min_k4(2u * j + 1u, hd);
    precise float d1 = dm.x * float(sm0.x);
    precise float m1 = dm.y * float(sm0.y);
    precise float d2 = dm.x * float(sm1.x);
    precise float m2 = dm.y * float(sm1.y);
    for (uint t = 0u; t < 4u; t++) {
        for (uint b = 0u; b < 4u; b++) {
            uint q = dq_u8(qs[t], b);
            uint lo = q & 15u;
            uint hi = q >> 4;
#if defined(DQ_TYPE_Q5_K)
            uint h = dq_u8(qh[t], b);
            lo += ((h >> (2u * j)) & 1u) << 4;
            hi += ((h >> (2u * j + 1u)) & 1u) << 4;
#endif
            precise float xl = d1 * float(lo) - m1;
            precise float xh = d2 * float(hi) - m2;
            v[4u * t + b] = xl;
            v[16u + 4u * t + b] = xh;
        }
    }
}
#elif defined(DQ_TYPE_Q6_K)
// 16 bytes at a 2-byte aligned offset `o`, as 4 words. The fifth word read past the piece stays
// inside the block for every piece q6_k asks for (ql and qh are followed by more of the block).
uvec4 dq_load16_a2(uint o)
{
    uint a = o >> 2;
    uvec4 w = uvec4(DQ_WORD(a), DQ_WORD(a + 1u), DQ_WORD(a + 2u), DQ_WORD(a + 3u));
    if ((o & 2u) == 0u)
        return w;
    uint w4 = DQ_WORD(a + 4u);
    return (w >> 16) | (uvec4(w.yzw, w4) << 16);
}

uint dq_load_u8(uint o)
{
    return dq_u8(DQ_WORD(o >> 2), o & 3u);
}

void dq_unit(uint row, uint u, out float v[DQ_UNIT])
{
    // {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}, 210 bytes, 2-byte aligned.
    // Half n of the block (128 weights) uses ql[64n, +64), qh[32n, +32), scales[8n, +8). Unit
    // ub = 4n + 2p + h takes ql[64n + 32p + 16h + l] (l < 16): its low nibble with qh bits 2p..2p+1
    // is weight 128n + 32p + 16h + l (scale 8n + h + 2p), its high nibble with qh bits 4+2p.. is
    // weight +64 (scale + 4). x = d sc (q - 32).
    uint o = row + (u >> 3) * DQ_BLOCK_BYTES;
    uint ub = u & 7u;
    uint n = ub >> 2;
    uint p = (ub >> 1) & 1u;
    uint h = ub & 1u;
    uvec4 ql = dq_load16_a2(o + 64u * n + 32u * p + 16u * h);
    uvec4 qh = dq_load16_a2(o + 128u + 32u * n + 16u * h);
    uint sc_at = o + 192u + 8u * n + h + 2u * p;
    int sc_lo = bitfieldExtract(int(dq_load_u8(sc_at)), 0, 8);
    int sc_hi = bitfieldExtract(int(dq_load_u8(sc_at + 4u)), 0, 8);
    uint dw = DQ_WORD((o + 208u) >> 2);
    precise float d = dq_half(((o + 208u) & 2u) != 0u ? dw >> 16 : dw);
    precise float dl = d * float(sc_lo);
    precise float dh = d * float(sc_hi);
    for (uint t = 0u; t < 4u; t++) {
        for (uint b = 0u; b < 4u; b++) {
            uint q = dq_u8(ql[t], b);
            uint e = dq_u8(qh[t], b);
            int lo = int((q & 15u) | (((e >> (2u * p)) & 3u) << 4)) - 32;
            int hi = int((q >> 4) | (((e >> (4u + 2u * p)) & 3u) << 4)) - 32;
            precise float xl = dl * float(lo);
            precise float xh = dh * float(hi);
            v[4u * t + b] = xl;
            v[16u + 4u * t + b] = xh;
        }
    }
}
#endif
