/* name_index: hash lookup of entries by name over an array of structs whose first member is the
 * name (`const char *` or `char *`); used for GGUF keys and tensors and safetensors tensors.
 * Holds slot indexes only; the entries and their names belong to the caller. */
#ifndef AXVK_MODEL_NAME_INDEX_H
#define AXVK_MODEL_NAME_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Open addressing: a slot holds entry index + 1, 0 is empty; at most half full. */
struct name_index {
    uint32_t *slots;
    uint64_t mask; /* slot count - 1 */
};

/* Indexes entries [0, n). A duplicate name gives AXVK_ERR_BAD_FILE and its entry index in *dup
 * (the index is left empty); no memory gives AXVK_ERR_OUT_OF_HOST_MEMORY. n < 2^31. */
axvk_status name_index_build(struct name_index *ix, const void *base, size_t stride, uint64_t n,
                             uint64_t *dup);
/* Entry index of `name`, or -1 (also for an empty index or a NULL name). */
int64_t name_index_find(const struct name_index *ix, const void *base, size_t stride,
                        const char *name);
void name_index_free(struct name_index *ix);

#endif
