/* gguf_impl: the parsed form of a GGUF file and its value encoding, shared by the parser
 * (gguf.c), the metadata getters (gguf_kv.c) and the writer (gguf_write.c).
 * Not for use outside src/model/gguf*.c. */
#ifndef AXVK_MODEL_GGUF_IMPL_H
#define AXVK_MODEL_GGUF_IMPL_H

#include "base/mapfile.h"
#include "model/gguf.h"
#include "model/name_index.h"

struct gguf_kv {
    char *key;             /* first member: name_index reads names through it */
    uint32_t type;         /* enum gguf_vtype */
    uint32_t arr_type;     /* element type of an array */
    uint64_t n;            /* array element count; string byte length */
    const uint8_t *data;   /* scalar bytes, string bytes or first array element, in the image */
    uint64_t *str_off;     /* string arrays: [n] offsets from data of each element's length */
    char *str;             /* string values: NUL-terminated copy */
};

struct kvset {
    struct gguf_kv *kv;
    uint64_t n;
    size_t cap;
    struct name_index index;
};

struct gguf {
    uint32_t version;
    uint32_t alignment;
    uint32_t n_shards;
    struct kvset meta; /* the first shard's keys */
    struct gguf_tensor *tensors;
    uint64_t n_tensors;
    size_t tensor_cap;
    struct name_index tensor_index;
    struct mapfile *maps; /* [n_shards] when opened from disk; NULL for memory images */
};

/* Little-endian value of `bytes` (1 to 8) bytes at an unaligned position. */
static inline uint64_t gguf_load_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Bytes of a fixed-size value type; 0 for strings, arrays and unknown ids. */
static inline unsigned gguf_scalar_bytes(uint32_t type)
{
    static const uint8_t bytes[GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return type < GGUF_TYPE_COUNT ? bytes[type] : 0;
}

/* Index of `key` in the set, or -1. */
int64_t kvset_find(const struct kvset *set, const char *key);

/* Integer value of kv as int64 / uint64; false when not an integer or out of range. */
bool gguf_kv_to_i64(const struct gguf_kv *kv, int64_t *out);
bool gguf_kv_to_u64(const struct gguf_kv *kv, uint64_t *out);

#endif
