// ops_reduce.glsl: workgroup-wide reductions for one-row-per-workgroup kernels (rmsnorm, argmax,
// sampling). A subgroup reduction first, then one value per subgroup through shared memory, so
// any subgroup size works (8 lavapipe, 32 NVIDIA, 32/64 AMD, 8-32 Intel, even 1).
// Needs GL_KHR_shader_subgroup_arithmetic; workgroups of at most OPS_MAX_WG invocations.
// Include after the `layout(local_size_x_id = 0) in;` line: glslang folds gl_WorkGroupSize to
// its value at the point of use, which before that line is the default of 1.
#ifndef OPS_REDUCE_GLSL
#define OPS_REDUCE_GLSL

#define OPS_MAX_WG 256

shared float red_val[OPS_MAX_WG];
shared uint red_idx[OPS_MAX_WG];

// Sum of v over the workgroup, returned to every invocation. All invocations must call it.
float wg_sum(float v)
{
    v = subgroupAdd(v);
    if (subgroupElect())
        red_val[gl_SubgroupID] = v;
    barrier();
    // every invocation adds the partials in the same order, so all see the same sum
    float t = 0.0;
    for (uint s = 0; s < gl_NumSubgroups; s++)
        t += red_val[s];
    barrier();
    return t;
}

float wg_max(float v)
{
    v = subgroupMax(v);
    if (subgroupElect())
        red_val[gl_SubgroupID] = v;
    barrier();
    float t = red_val[0];
    for (uint s = 1; s < gl_NumSubgroups; s++)
        t = max(t, red_val[s]);
    barrier();
    return t;
}

// Workgroup maximum of (v, i) ordered by value, ties to the lowest i (NaN inputs: unspecified).
// Returns the winning index; best receives its value. Invocations holding nothing pass
// (-inf, 0xffffffff).
uint wg_argmax(float v, uint i, out float best)
{
    float m = subgroupMax(v);
    uint mi = subgroupMin(v == m ? i : 0xffffffffu);
    if (subgroupElect()) {
        red_val[gl_SubgroupID] = m;
        red_idx[gl_SubgroupID] = mi;
    }
    barrier();
    best = red_val[0];
    uint bi = red_idx[0];
    for (uint s = 1; s < gl_NumSubgroups; s++) {
        float sv = red_val[s];
        uint si = red_idx[s];
        if (sv > best || (sv == best && si < bi)) {
            best = sv;
            bi = si;
        }
    }
    barrier();
    return bi;
}

uint wg_min_u(uint v)
{
    v = subgroupMin(v);
    if (subgroupElect())
        red_idx[gl_SubgroupID] = v;
    barrier();
    uint t = red_idx[0];
    for (uint s = 1; s < gl_NumSubgroups; s++)
        t = min(t, red_idx[s]);
    barrier();
    return t;
}

// Exclusive prefix sum of v in gl_LocalInvocationID order (a shared-memory Hillis-Steele scan:
// subgroup scans would need the invocation-to-subgroup mapping, which is the driver's choice);
// total receives the sum of all v. All invocations must call it.
float wg_exclusive_scan(float v, out float total)
{
    uint lid = gl_LocalInvocationID.x;
    red_val[lid] = v;
    barrier();
    for (uint off = 1u; off < gl_WorkGroupSize.x; off <<= 1) {
        float add = lid >= off ? red_val[lid - off] : 0.0;
        barrier();
        red_val[lid] += add;
        barrier();
    }
    float r = lid > 0u ? red_val[lid - 1u] : 0.0;
    total = red_val[gl_WorkGroupSize.x - 1u];
    barrier();
    return r;
}

#endif
