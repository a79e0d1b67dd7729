/* synth: synthetic models with random weights (fixed seed) in real or tiny shapes, written as GGUF
 * files that any GGUF reader accepts. For tests and benchmarks; no training, no downloads. */
#ifndef AXVK_MODEL_SYNTH_H
#define AXVK_MODEL_SYNTH_H

#include <stdint.h>

#include "base/err.h"
#include "model/presets.h"

/* Vocabulary metadata to embed (views; nothing is copied). n_tokens must equal the shape's
 * n_vocab. With no vocabulary, synth_write makes a byte-level one: three chat specials, the 256
 * GPT-2 byte symbols, then unused fillers up to n_vocab. */
struct synth_vocab {
    uint32_t n_tokens;
    const char *const *tokens;
    const uint64_t *token_lens;
    const int32_t *token_types;  /* GGUF token_type: 1 normal, 3 control, 4 user defined, ... */
    uint64_t n_merges;
    const char *const *merges;   /* "a b" */
    const uint64_t *merge_lens;
    const char *pre;             /* tokenizer.ggml.pre, e.g. "a.x-4.0" */
    const char *chat_template;   /* NULL: none */
    int32_t eos_id;
    int32_t pad_id;              /* -1: none */
};

typedef void (*synth_progress_fn)(void *user, uint64_t done, uint64_t total);

struct synth_desc {
    struct model_preset shape;
    int scheme;                       /* enum quant_scheme */
    uint64_t seed;
    const struct synth_vocab *vocab;  /* NULL: byte-level vocabulary */
    synth_progress_fn progress;       /* bytes of tensor data written so far; may be NULL */
    void *progress_user;
};

axvk_status synth_write(const struct synth_desc *desc, const char *path, struct err *err);

#endif
