/* gguf: reader of GGUF v2/v3 model files, single or split into shards: metadata and tensor table.
 * Every count, length, size and offset is checked against the file before it is used; tensor data
 * stays in the read-only mapping. Knows nothing of what keys or tensors mean (see hparams.h).
 *
 * Layout (little-endian): "GGUF" u32 version, u64 n_tensors, u64 n_kv, n_kv x {string key,
 * u32 type, value}, n_tensors x {string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset},
 * padding to general.alignment (default 32), then the data section; offsets are relative to its
 * start.
 * A string is u64 length + bytes (no NUL); an array is u32 element type + u64 count + elements.
 *
 * Threading: an opened struct gguf is read-only and may be used from any number of threads. */
#ifndef AXVK_MODEL_GGUF_H
#define AXVK_MODEL_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Metadata value types, numbered as in the file. */
enum gguf_vtype {
    GGUF_TYPE_U8 = 0,
    GGUF_TYPE_I8 = 1,
    GGUF_TYPE_U16 = 2,
    GGUF_TYPE_I16 = 3,
    GGUF_TYPE_U32 = 4,
    GGUF_TYPE_I32 = 5,
    GGUF_TYPE_F32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STR = 8,
    GGUF_TYPE_ARR = 9,
    GGUF_TYPE_U64 = 10,
    GGUF_TYPE_I64 = 11,
    GGUF_TYPE_F64 = 12,
    GGUF_TYPE_COUNT = 13, /* also returned by gguf_key_type for a missing key */
};

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4

struct gguf; /* opened file(s): mappings + parsed metadata and tensor table */

struct gguf_tensor {
    const char *name;    /* NUL-terminated, owned by the struct gguf */
    uint32_t type;       /* enum wtype; always known to wtype_get() */
    uint32_t n_dims;     /* 1..4 */
    uint64_t ne[4];      /* ne[0] = row length (contiguous); unused dims are 1 */
    uint64_t size;       /* bytes */
    const uint8_t *data; /* into the mapping of the shard holding the tensor */
};

/* An array value; the elements stay in the mapping, packed little-endian. */
struct gguf_arr {
    uint32_t type;           /* element type; never GGUF_TYPE_ARR (nested arrays are refused) */
    uint64_t n;              /* element count */
    const uint8_t *data;     /* first element */
    const uint64_t *str_off; /* string arrays: offset from data of element i's u64 length */
};

/* Opens a GGUF file. For a split model ("name-00001-of-00003.gguf", keys split.no/split.count)
 * the first shard opens all of them; tensors then point into their own shard's mapping.
 * Malformed input gives AXVK_ERR_BAD_FILE with a message naming the field and the numbers. */
axvk_status gguf_open(struct gguf **out, const char *path, struct err *err);
/* Parses a GGUF image in memory (no split models); `data` must outlive the struct gguf. */
axvk_status gguf_open_memory(struct gguf **out, const void *data, size_t size, struct err *err);
void gguf_close(struct gguf *g); /* NULL ok */

uint32_t gguf_version(const struct gguf *g);   /* 2 or 3 */
uint32_t gguf_alignment(const struct gguf *g); /* of the first shard */
uint32_t gguf_n_shards(const struct gguf *g);

/* Tensors of all shards, in file order. */
uint64_t gguf_n_tensors(const struct gguf *g);
const struct gguf_tensor *gguf_tensor_at(const struct gguf *g, uint64_t i); /* NULL past the end */
/* NULL when absent */
const struct gguf_tensor *gguf_find_tensor(const struct gguf *g, const char *name);

/* Metadata of the first shard, in file order. */
uint64_t gguf_n_keys(const struct gguf *g);
const char *gguf_key_at(const struct gguf *g, uint64_t i); /* NULL past the end */
bool gguf_has_key(const struct gguf *g, const char *key);
/* enum gguf_vtype of the value; GGUF_TYPE_COUNT when the key is absent. */
uint32_t gguf_key_type(const struct gguf *g, const char *key);

/* Typed getters. A missing key, a value of another kind, or one out of the target's range gives
 * AXVK_ERR_BAD_MODEL with a message naming the key; *out is untouched then.
 * Integer getters accept any integer type (and bool) whose value fits. */
axvk_status gguf_get_u32(const struct gguf *g, const char *key, uint32_t *out, struct err *err);
axvk_status gguf_get_i32(const struct gguf *g, const char *key, int32_t *out, struct err *err);
axvk_status gguf_get_u64(const struct gguf *g, const char *key, uint64_t *out, struct err *err);
axvk_status gguf_get_i64(const struct gguf *g, const char *key, int64_t *out, struct err *err);
/* Accepts f32, f64 and integer values. */
axvk_status gguf_get_f32(const struct gguf *g, const char *key, float *out, struct err *err);
axvk_status gguf_get_f64(const struct gguf *g, const char *key, double *out, struct err *err);
axvk_status gguf_get_bool(const struct gguf *g, const char *key, bool *out, struct err *err);
/* NUL-terminated copy owned by g; *len (may be NULL) is the byte length, which can exceed
 * strlen(*out) when the value holds NUL bytes. */
axvk_status gguf_get_str(const struct gguf *g, const char *key, const char **out, size_t *len,
                         struct err *err);
axvk_status gguf_get_arr(const struct gguf *g, const char *key, struct gguf_arr *out,
                         struct err *err);

/* Element i of an array view, without copying. False when i >= n or the element type differs:
 * gguf_arr_str wants a string array (*ptr is not NUL-terminated), gguf_arr_int any integer or
 * bool array (false also for a u64 above INT64_MAX), gguf_arr_f64 f32 or f64. */
bool gguf_arr_str(const struct gguf_arr *a, uint64_t i, const char **ptr, uint64_t *len);
bool gguf_arr_int(const struct gguf_arr *a, uint64_t i, int64_t *out);
bool gguf_arr_f64(const struct gguf_arr *a, uint64_t i, double *out);

/* "u32", "string", "array", ...; "?" for unknown ids. */
const char *gguf_type_name(uint32_t type);

#endif
