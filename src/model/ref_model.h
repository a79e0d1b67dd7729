/* ref_model: the CPU reference model (src/ref/forward.h) over a model file's tensors, so that
 * whole-model GPU results can be checked against the plain-C forward pass. Borrows the mapping:
 * the gguf must outlive the ref_model. */
#ifndef AXVK_MODEL_REF_MODEL_H
#define AXVK_MODEL_REF_MODEL_H

#include "base/err.h"
#include "model/gguf.h"
#include "model/hparams.h"
#include "ref/forward.h"

struct ref_model_gguf {
    struct ref_model m;
    struct ref_layer *layers;
    struct model_hparams hp;
    float **owned; /* f32 copies of vectors not stored as f32 */
    size_t n_owned, cap_owned;
};

axvk_status ref_model_from_gguf(struct ref_model_gguf *out, const struct gguf *g, struct err *err);
/* The same over any tensor source (a Hugging Face directory's safetensors) with hyper-parameters
 * the caller read (copied); the source's files must outlive the ref_model. */
struct tensor_source;
axvk_status ref_model_from_source(struct ref_model_gguf *out, const struct model_hparams *hp,
                                  const struct tensor_source *src, struct err *err);
void ref_model_free(struct ref_model_gguf *r);

#endif
