/* safetensors: reader of .safetensors files, single or sharded as Hugging Face publishes models
 * (model.safetensors.index.json + model-0000k-of-0000n.safetensors). Every header field is checked
 * against the file before use; tensor data stays in the read-only mapping. Knows nothing of what
 * the tensors mean (see hparams.h for config.json).
 *
 * Layout: u64 little-endian N, N bytes of JSON {"name": {"dtype": "BF16", "shape": [rows, cols],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {...}}, then the data section; offsets are
 * relative to its start. Accepted dtypes: F32, F16, BF16.
 *
 * Threading: an opened struct st_set is read-only and may be used from any number of threads. */
#ifndef AXVK_MODEL_SAFETENSORS_H
#define AXVK_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ST_MAX_DIMS 4
/* Headers past this are refused before any allocation (the largest real ones are ~100 KiB). */
#define ST_MAX_HEADER (100u << 20)

struct st_tensor {
    const char *name;     /* NUL-terminated, owned by the set */
    uint32_t type;        /* enum wtype: WTYPE_F32, WTYPE_F16 or WTYPE_BF16 */
    uint32_t n_dims;      /* 0 (a scalar) to 4 */
    uint64_t shape[4];    /* as in the file, outermost first: shape[n_dims - 1] is contiguous */
    uint64_t ne[4];       /* the same in GGUF order: ne[0] contiguous, unused dims 1 */
    uint64_t size;        /* bytes; 0 when a dimension is 0 */
    const uint8_t *data;  /* into the mapping; not necessarily aligned (N need not be a
                           * multiple of 8) */
    uint32_t file;        /* which file of the set holds it, in the order added */
};

struct st_set; /* one or more opened files and their tensors */

/* One file. Malformed input gives AXVK_ERR_BAD_FILE naming the tensor and the numbers;
 * a well-formed tensor of another dtype (I64, F8_E4M3, ...) gives AXVK_ERR_UNSUPPORTED. */
axvk_status st_open_file(struct st_set **out, const char *path, struct err *err);
/* An image in memory; `data` must outlive the set. */
axvk_status st_open_memory(struct st_set **out, const void *data, size_t size, struct err *err);
/* A Hugging Face model directory: every shard named by model.safetensors.index.json (each of
 * its tensors must be in the file it names), or else the single model.safetensors. */
axvk_status st_open_dir(struct st_set **out, const char *dir, struct err *err);
void st_close(struct st_set *set); /* NULL ok */

/* Tensors of all files, in header order within each file (the JSON object's order). */
uint64_t st_n_tensors(const struct st_set *set);
const struct st_tensor *st_tensor_at(const struct st_set *set, uint64_t i); /* NULL past end */
const struct st_tensor *st_find(const struct st_set *set, const char *name); /* NULL: absent */
uint32_t st_n_files(const struct st_set *set);

/* Building a set file by file (what st_open_dir does): create, add each file, then finish,
 * which indexes the names and refuses one held by two files. Close the set on any failure. */
axvk_status st_set_create(struct st_set **out, struct err *err);
axvk_status st_set_add_file(struct st_set *set, const char *path, struct err *err);
axvk_status st_set_finish(struct st_set *set, struct err *err);

#endif
