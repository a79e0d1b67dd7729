/* vocab_gguf: a tokenizer's vocabulary in the form GGUF stores it (tokenizer.ggml.* keys) —
 * exported from a loaded Hugging Face tokenizer, named (tokenizer.ggml.pre) and written through a
 * gguf_writer. Shared by synthetic models and conversion; knows nothing of weights. */
#ifndef AXVK_MODEL_VOCAB_GGUF_H
#define AXVK_MODEL_VOCAB_GGUF_H

#include <stdint.h>

#include "base/err.h"
#include "model/gguf_write.h"
#include "text/tokenizer.h"

/* The tokenizer.ggml.* values of one model (views; vocab_gguf_write copies them). */
struct vocab_gguf {
    uint32_t n_tokens;
    const char *const *tokens;   /* [n_tokens] */
    const uint64_t *token_lens;  /* [n_tokens]; NULL: NUL-terminated strings */
    const int32_t *token_types;  /* [n_tokens] GGUF token_type: 1 normal, 3 control, 4 user, 5 unused */
    uint64_t n_merges;
    const char *const *merges;   /* [n_merges] "left right", rank order */
    const uint64_t *merge_lens;  /* [n_merges]; NULL: NUL-terminated */
    const char *pre;             /* tokenizer.ggml.pre, e.g. "a.x-4.0"; NULL: "gpt-2" */
    const char *chat_template;   /* NULL: none */
    int32_t eos_id;
    int32_t bos_id;              /* -1: none */
    int32_t pad_id;              /* -1: none */
};

/* Writes tokenizer.ggml.model ("gpt2"), .pre, .tokens, .token_type, .merges, the special ids,
 * add_bos_token (false: none of these models uses a BOS) and tokenizer.chat_template. */
axvk_status vocab_gguf_write(struct gguf_writer *w, const struct vocab_gguf *v, struct err *err);

/* A tokenizer's vocabulary as owned arrays behind `v`, padded with unused tokens
 * ("<|unused_N|>", type 5) up to n_vocab rows (models may have more rows than tokens). v.eos_id is
 * <|im_end|> when the vocabulary has it, else the tokenizer's EOS; v.pad_id is <|pad|> or -1;
 * v.bos_id -1; v.pre vocab_gguf_pre_name's; v.chat_template NULL. Zero-initialise; free with
 * vocab_gguf_export_free, also after a failure. */
struct vocab_gguf_export {
    struct vocab_gguf v;
    char **tokens;
    uint64_t *token_lens;
    int32_t *types;
    char **merges;
    uint64_t *merge_lens;
    uint32_t n_tok, n_merge;
};

axvk_status vocab_gguf_export(struct vocab_gguf_export *e, struct tokenizer *tok, uint32_t n_vocab,
                              struct err *err);
void vocab_gguf_export_free(struct vocab_gguf_export *e);

/* The GGUF pre-tokenizer name of a tokenizer. Tokenizers that share a split regex can still be
 * told apart by the name other GGUF readers expect (A.X 4.0's files use the GPT-2 regex, its GGUF
 * files say "a.x-4.0"), so a known vocabulary is recognised first by the ids it gives a fixed
 * text; otherwise the name of the regex (tokenizer_pre_name), "" when that has none. */
const char *vocab_gguf_pre_name(struct tokenizer *tok);

/* The chat template of a Hugging Face directory: chat_template.jinja, else tokenizer_config.json's
 * "chat_template". *out (mem_free) is NULL when the directory has none. */
axvk_status vocab_gguf_dir_template(const char *dir, char **out, struct err *err);

#endif
