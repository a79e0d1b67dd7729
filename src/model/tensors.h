/* tensors: one view over a model's stored tensors, whether they come from a GGUF file or a
 * Hugging Face safetensors directory. Callers ask by GGUF name ("blk.3.attn_q.weight"); the
 * Hugging Face name ("model.layers.3.self_attn.q_proj.weight") is derived here. Read-only. */
#ifndef AXVK_MODEL_TENSORS_H
#define AXVK_MODEL_TENSORS_H

#include <stdint.h>

#include "base/err.h"
#include "model/gguf.h"
#include "model/safetensors.h"

struct tensor_view {
    const char *name;    /* the name in the file */
    uint32_t type;       /* enum wtype */
    uint32_t n_dims;
    uint64_t ne[4];      /* ne[0] contiguous; unused dims 1 */
    uint64_t size;       /* bytes */
    const uint8_t *data; /* into the file mapping; may be unaligned (safetensors) */
};

struct tensor_source {
    const struct gguf *gguf;  /* exactly one of the two is set */
    const struct st_set *st;
};

/* Hugging Face name of a GGUF tensor name; false when the name has no counterpart. */
int tensors_hf_name(const char *gguf_name, char *out, size_t size);

/* Finds the tensor; AXVK_ERR_BAD_MODEL naming it when absent (required) — with required 0 an
 * absent tensor returns AXVK_OK and view->data NULL. */
axvk_status tensors_find(const struct tensor_source *src, const char *gguf_name, int required,
                         struct tensor_view *view, struct err *err);

/* Checks a view is [ne0] (ne1 == 0) or [ne0, ne1] exactly, naming the tensor and both shapes. */
axvk_status tensors_check_shape(const struct tensor_view *v, uint64_t ne0, uint64_t ne1,
                                struct err *err);

#endif
