/* pretok: normalisation (NFC) and the split regex that cuts text into words before BPE, run on
 * PCRE2 with the semantics of the Oniguruma engine Hugging Face tokenizers uses.
 * Knows nothing of vocabularies or added tokens. */
#ifndef AXVK_TEXT_PRETOK_H
#define AXVK_TEXT_PRETOK_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The split regexes with a GGUF name. */
extern const char pretok_gpt2_regex[];
extern const char pretok_qwen2_regex[];

struct pretok {
    pcre2_general_context *gctx; /* routes PCRE2's memory through base/alloc */
    pcre2_code *re;              /* NULL: a piece of text is one word */
    char *pattern;               /* as given, "" when none */
    char name[32];               /* GGUF tokenizer.ggml.pre, "" if unnamed */
    bool nfc;
};

/* Sets the split from a GGUF pre-tokenizer name; unknown names are AXVK_ERR_UNSUPPORTED. */
axvk_status pretok_init_named(struct pretok *p, const char *name, struct err *err);
/* Sets the split from a regex (tokenizer.json Split pattern); pattern NULL means no split. */
axvk_status pretok_init_regex(struct pretok *p, const char *pattern, bool nfc, struct err *err);
void pretok_free(struct pretok *p);

/* Walks the words of s[0..n): regex matches and the gaps between them, each its own word
 * (HF Split behaviour "Isolated"). Zero-initialise, then pretok_iter_begin. */
struct pretok_iter {
    const struct pretok *p;
    pcre2_match_data *md;
    const uint8_t *s;
    size_t n, pos;
    size_t match_start, match_end; /* a match found past a gap, returned next */
    bool have_match;
    axvk_status status; /* why iteration stopped early */
    struct err *err;
};

axvk_status pretok_iter_begin(struct pretok_iter *it, const struct pretok *p, const uint8_t *s, size_t n,
                              struct err *err);
/* Next word as [*start, *start + *len); false at the end, or on an error left in it->status
 * (out of memory, or a regex limit hit). */
bool pretok_iter_next(struct pretok_iter *it, size_t *start, size_t *len);
void pretok_iter_end(struct pretok_iter *it);

/* NFC of s[0..n) into *buf (grown with mem_grow); valid UTF-8 runs are normalised, invalid
 * bytes copied through. Sets *out to s itself when the text is already NFC. */
axvk_status pretok_nfc(const uint8_t *s, size_t n, uint8_t **buf, size_t *cap, const uint8_t **out,
                       size_t *out_len, struct err *err);

/* Unicode White_Space (what Rust's char::is_whitespace tests). */
bool pretok_is_white_space(uint32_t cp);
/* \w of the Rust regex crate: letters, marks, decimal digits, connector punctuation. */
bool pretok_is_word_char(uint32_t cp);

#endif
