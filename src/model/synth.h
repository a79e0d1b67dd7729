/* synth: synthetic models with random weights (fixed seed) in real or tiny shapes, written as GGUF
 * files that any GGUF reader accepts. For tests and benchmarks; no training, no downloads. */
#ifndef AXVK_MODEL_SYNTH_H
#define AXVK_MODEL_SYNTH_H

#include <stdint.h>

#include "base/err.h"
#include "model/presets.h"
#include "model/vocab_gguf.h"

/* With no vocabulary (vocab NULL), synth_write makes a byte-level one: three chat specials, the
 * 256 GPT-2 byte symbols, then unused fillers up to n_vocab. A given vocabulary's n_tokens must
 * equal the shape's n_vocab. */
typedef void (*synth_progress_fn)(void *user, uint64_t done, uint64_t total);

struct synth_desc {
    struct model_preset shape;
    int scheme;                       /* enum quant_scheme */
    uint64_t seed;
    const struct vocab_gguf *vocab;   /* NULL: byte-level vocabulary */
    synth_progress_fn progress;       /* bytes of tensor data written so far; may be NULL */
    void *progress_user;
};

axvk_status synth_write(const struct synth_desc *desc, const char *path, struct err *err);

/* The byte-level vocabulary of synthetic models (files and device-made alike): ids 0-2 the chat
 * specials <|endoftext|> <|im_start|> <|im_end|> (control; <|im_end|> ends generation), 3-258
 * the 256 GPT-2 byte symbols, then unused fillers "<|unused_N|>". Writes id's text to buf
 * (SYNTH_TOKEN_MAX bytes, NUL-terminated), its length to *len, and returns its GGUF token type. */
#define SYNTH_TOKEN_MAX 24
#define SYNTH_ID_ENDOFTEXT 0
#define SYNTH_ID_IM_END 2
int32_t synth_byte_token(uint32_t id, char *buf, uint32_t *len);

/* The chat template of that vocabulary: ChatML. */
extern const char synth_chatml[];

#endif
