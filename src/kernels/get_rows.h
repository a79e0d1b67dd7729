/* kernels/get_rows: host side of the embedding lookup out [n_ids, k] = rows ids[] of a weight
 * table [rows, k] in its stored GGUF type, dequantized to f32 (shaders/get_rows.comp); with ids
 * 0..rows-1 it is the GPU dequantizer. The ids are read from a device buffer when the recording
 * runs, so a recorded step is replayed with new ids by rewriting that buffer.
 * Knows no model; never allocates device memory. */
#ifndef AXVK_KERNELS_GET_ROWS_H
#define AXVK_KERNELS_GET_ROWS_H

#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"
#include "vk/memory.h"
#include "vk/record.h"

/* Zero-initialise. */
struct get_rows_args {
    uint32_t wtype;          /* enum wtype of w */
    uint32_t rows, k;        /* table shape; k a multiple of the block (of 8 for f32/f16/bf16) */
    const struct vksplit *w; /* the table in row-range parts (vkmem_alloc_split) */
    struct vkbuf ids;        /* [n_ids] u32 (an int32 id < 0 reads as >= rows) */
    uint32_t n_ids;
    struct vkbuf out;        /* [n_ids][k] f32 */
};

/* Records the lookup on rec. An id >= rows (out of range) reads nothing and gives a row of
 * zeros in out: a bad token id can neither fault nor leak memory. Shapes, types and bindings are
 * checked; errors are returned, copied to err and left in the recorder's sticky error. */
axvk_status get_rows_record(struct vkrec *rec, const struct get_rows_args *a, struct err *err);

#endif
