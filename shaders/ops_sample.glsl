// ops_sample.glsl: the sort order shared by the sampling kernels. The reference sorts
// candidates by logit descending, equal logits by id ascending; ids are distinct, so this is a
// strict total order on real entries. Padding entries (-inf, SAMPLE_NO_ID) follow every real
// entry, -inf logits included. NaN logits give an unspecified order (as in the reference).
#ifndef OPS_SAMPLE_GLSL
#define OPS_SAMPLE_GLSL

struct cand {
    float l;
    uint id;
};

#define NEG_INF uintBitsToFloat(0xff800000u)

// true when entry (la, ia) comes strictly before (lb, ib)
bool cand_before(float la, uint ia, float lb, uint ib)
{
    return la > lb || (la == lb && ia < ib);
}

#endif
