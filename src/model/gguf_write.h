/* gguf_write: builds a GGUF v3 file from metadata and tensors and streams it to a FILE*.
 * Tensor bytes come from caller memory or a row-producing callback, so a converted model never
 * has to fit in memory. Knows nothing of model architectures; reading is gguf.c's.
 *
 * Usage: gguf_writer_create, gguf_writer_set_* / gguf_writer_add_tensor*, gguf_writer_write
 * (or _write_file), gguf_writer_destroy. Keys and tensors are written in the order added; setting
 * a key again replaces its value in place. general.alignment, when set, is honoured (default 32).
 * Threading: one thread at a time per writer. */
#ifndef AXVK_MODEL_GGUF_WRITE_H
#define AXVK_MODEL_GGUF_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "model/gguf.h"

struct gguf_writer;

/* Produces rows [first_row, first_row + n_rows) of a tensor into dst, n_rows * row_bytes bytes,
 * where a row is ne[0] elements encoded in the tensor's type and rows run over ne[1..3]. */
typedef axvk_status (*gguf_fill_fn)(void *user, uint8_t *dst, uint64_t first_row,
                                    uint64_t n_rows, struct err *err);

axvk_status gguf_writer_create(struct gguf_writer **out, struct err *err);
void gguf_writer_destroy(struct gguf_writer *w); /* NULL ok */

/* Scalars. `value` for gguf_writer_set points at the C type of `type` (uint8_t ... double, bool
 * for GGUF_TYPE_BOOL, a NUL-terminated `const char *` for GGUF_TYPE_STR). */
axvk_status gguf_writer_set(struct gguf_writer *w, const char *key, uint32_t type,
                            const void *value, struct err *err);
axvk_status gguf_writer_set_u32(struct gguf_writer *w, const char *key, uint32_t v,
                                struct err *err);
axvk_status gguf_writer_set_i32(struct gguf_writer *w, const char *key, int32_t v,
                                struct err *err);
axvk_status gguf_writer_set_u64(struct gguf_writer *w, const char *key, uint64_t v,
                                struct err *err);
axvk_status gguf_writer_set_f32(struct gguf_writer *w, const char *key, float v, struct err *err);
axvk_status gguf_writer_set_bool(struct gguf_writer *w, const char *key, bool v, struct err *err);
axvk_status gguf_writer_set_str(struct gguf_writer *w, const char *key, const char *v,
                                struct err *err);

/* Array of n packed C values of the scalar element type `type` (not string, not array). */
axvk_status gguf_writer_set_arr(struct gguf_writer *w, const char *key, uint32_t type,
                                const void *values, uint64_t n, struct err *err);
/* Array of n strings; lens[i] gives each length, or lens == NULL for NUL-terminated strings. */
axvk_status gguf_writer_set_arr_str(struct gguf_writer *w, const char *key,
                                    const char *const *strs, const uint64_t *lens, uint64_t n,
                                    struct err *err);
/* Copies one key (any type, arrays included) from an opened file. */
axvk_status gguf_writer_copy_key(struct gguf_writer *w, const struct gguf *g, const char *key,
                                 struct err *err);

/* A tensor of ne[0..n_dims-1] elements of enum wtype `type`. `data` (wtype_row_bytes(type, ne[0])
 * x rows bytes) is not copied and must stay valid until gguf_writer_write returns. */
axvk_status gguf_writer_add_tensor(struct gguf_writer *w, const char *name, uint32_t type,
                                   uint32_t n_dims, const uint64_t *ne, const void *data,
                                   struct err *err);
/* The same with bytes produced by `fill` during gguf_writer_write, a bounded chunk at a time. */
axvk_status gguf_writer_add_tensor_fn(struct gguf_writer *w, const char *name, uint32_t type,
                                      uint32_t n_dims, const uint64_t *ne, gguf_fill_fn fill,
                                      void *user, struct err *err);

/* Writes the whole file from the current position of f; IO errors give AXVK_ERR_IO. */
axvk_status gguf_writer_write(struct gguf_writer *w, FILE *f, struct err *err);
axvk_status gguf_writer_write_file(struct gguf_writer *w, const char *path, struct err *err);

#endif
