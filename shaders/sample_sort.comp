#version 450
// sample_sort: first stage of the sampling sort. Workgroup (c, row) sorts logits
// [c * SAMPLE_CHUNK, (c + 1) * SAMPLE_CHUNK) of its row into the reference order (bitonic
// network), writes the first run_len entries as run c, plus (max, sum exp(l - max)) of the chunk
// so that later stages know the softmax normaliser of the whole vocabulary without reading it.
//
// Layout: SAMPLE_SORT_WG (128) invocations hold 16 entries each in registers. An entry's 11-bit
// index has 4 "register" bits [base, base + 4) (the slot within an invocation) and 7 invocation
// bits. A bitonic step with distance 2^b exchanges entries differing in bit b only, so while
// b is a register bit the step runs in registers with no barrier; the layout is changed (through
// shared memory, two barriers) only when the next steps need other bits: 17 changes for the 66
// steps of a 2048-entry network, instead of a barrier and a shared-memory round trip per step.
// Shared memory: exactly the 16 KiB every Vulkan device has.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : enable
#define OPS_WANT_SAMPLE_SORT
#include "ops_push.h"
#include "ops_sample.glsl"

layout(local_size_x_id = 0) in; // SAMPLE_SORT_WG, set by the host
layout(std430, binding = 0) readonly buffer L { float logits[]; }; // [n_rows][n_vocab]
layout(std430, binding = 1) writeonly buffer R { cand runs[]; };   // [n_rows][n_chunks][run_len]
layout(std430, binding = 2) writeonly buffer M { vec2 lse[]; };    // [n_rows][n_chunks]

#define ENT 16u     // entries per invocation = SAMPLE_CHUNK / SAMPLE_SORT_WG
#define LOG_ENT 4u
#define LOG_CHUNK 11u

shared float sk[SAMPLE_CHUNK];
shared uint si[SAMPLE_CHUNK];

float kv[ENT];
uint iv[ENT];

// Index of slot 0 of this invocation when the register bits are [base, base + 4): the
// invocation's 7 bits fill the others; slot s adds s << base.
uint slot0(uint base)
{
    uint t = gl_LocalInvocationID.x;
    return ((t >> base) << (base + LOG_ENT)) | (t & ((1u << base) - 1u));
}

// Moves the entries from register bits [from, from + 4) to [to, to + 4) through shared memory.
void relayout(uint from, uint to)
{
    uint i0 = slot0(from);
    [[unroll]] for (uint s = 0u; s < ENT; s++) {
        sk[i0 | (s << from)] = kv[s];
        si[i0 | (s << from)] = iv[s];
    }
    barrier();
    i0 = slot0(to);
    [[unroll]] for (uint s = 0u; s < ENT; s++) {
        kv[s] = sk[i0 | (s << to)];
        iv[s] = si[i0 | (s << to)];
    }
    barrier();
}

// One compare-exchange of slots A < B (differing in register bit Q) for merge size k: the pair
// is put in order ("forward") when bit k of its lower index is clear, reversed otherwise.
#define CE(A, B)                                                                                   \
    {                                                                                              \
        bool fwd = ((i0 | ((A) << base)) & k) == 0u;                                               \
        if (fwd ? cand_before(kv[B], iv[B], kv[A], iv[A]) : cand_before(kv[A], iv[A], kv[B], iv[B])) { \
            float tf = kv[A];                                                                      \
            kv[A] = kv[B];                                                                         \
            kv[B] = tf;                                                                            \
            uint ti = iv[A];                                                                       \
            iv[A] = iv[B];                                                                         \
            iv[B] = ti;                                                                            \
        }                                                                                          \
    }
// A whole step on register bit Q (a constant, so that every slot index is one after unrolling:
// the entries stay in registers instead of local memory).
#define STEP(Q)                                                                                    \
    [[unroll]] for (uint s = 0u; s < ENT; s++)                                                                \
        if ((s & (1u << Q)) == 0u)                                                                 \
            CE(s, s | (1u << Q))

void main()
{
    uint c = gl_WorkGroupID.x;
    uint row = gl_WorkGroupID.y;
    uint lid = gl_LocalInvocationID.x;
    uint first = c * SAMPLE_CHUNK;

    // register bits [0, 4): each invocation starts with 16 consecutive logits
    [[unroll]] for (uint s = 0u; s < ENT; s++) {
        uint id = first + lid * ENT + s;
        bool real = id < pc.n_vocab;
        kv[s] = real ? logits[row * pc.n_vocab + id] : NEG_INF;
        iv[s] = real ? id : SAMPLE_NO_ID;
    }

    uint base = 0u;
    for (uint m = 1u; m <= LOG_CHUNK; m++) {
        uint k = 1u << m;
        // steps on bits m-1 down to 0, four at a time with the register bits under them
        for (int top = int(m) - 1; top >= 0; top -= int(LOG_ENT)) {
            uint nb = top >= 3 ? uint(top) - 3u : 0u;
            if (nb != base) {
                relayout(base, nb);
                base = nb;
            }
            uint i0 = slot0(base);
            for (int b = top; b >= int(base) && b > top - int(LOG_ENT); b--) {
                switch (uint(b) - base) {
                case 0u: STEP(0u) break;
                case 1u: STEP(1u) break;
                case 2u: STEP(2u) break;
                default: STEP(3u) break;
                }
            }
        }
    }
    // sorted; back to index order in shared memory (the last steps left base 0)
    uint i0 = slot0(base);
    [[unroll]] for (uint s = 0u; s < ENT; s++) {
        sk[i0 | (s << base)] = kv[s];
        si[i0 | (s << base)] = iv[s];
    }
    barrier();

    uint wg = gl_WorkGroupSize.x;
    float mx = sk[0];
    float part = 0.0;
    if (mx != NEG_INF) {
        for (uint i = lid; i < SAMPLE_CHUNK; i += wg)
            if (si[i] != SAMPLE_NO_ID)
                part += exp(sk[i] - mx);
    }
    uint out_base = (row * pc.n_chunks + c) * pc.run_len;
    for (uint i = lid; i < pc.run_len; i += wg)
        runs[out_base + i] = cand(sk[i], si[i]);
    barrier(); // sk is reused for the partial sums below

    part = subgroupAdd(part);
    if (subgroupElect())
        sk[gl_SubgroupID] = part;
    barrier();
    if (lid == 0u) {
        float sum = 0.0;
        for (uint g = 0u; g < gl_NumSubgroups; g++)
            sum += sk[g];
        lse[row * pc.n_chunks + c] = vec2(mx, sum);
    }
}
