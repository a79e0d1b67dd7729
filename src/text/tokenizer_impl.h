/* tokenizer_impl: the tokenizer object shared by the tokenizer_*.c files, and the builder steps
 * every loader (HF directory, GGUF arrays) goes through. Not for use outside src/text. */
#ifndef AXVK_TEXT_TOKENIZER_IMPL_H
#define AXVK_TEXT_TOKENIZER_IMPL_H

#include <pthread.h>

#include "text/bpe.h"
#include "text/pretok.h"
#include "text/tokenizer.h"

/* Added-token attributes, as HF's AddedToken defines them. */
enum {
    ADDED_SPECIAL = 1u << 0,     /* skipped by decode(skip special); needs TOKENIZER_PARSE_SPECIAL */
    ADDED_LSTRIP = 1u << 1,      /* swallows the whitespace before it */
    ADDED_RSTRIP = 1u << 2,      /* swallows the whitespace after it */
    ADDED_SINGLE_WORD = 1u << 3, /* matches only when not inside a word */
    ADDED_NORMALIZED = 1u << 4,  /* matched in normalised text rather than raw text */
};

struct tok_added {
    int32_t id;
    unsigned attr;
    uint32_t off, len; /* the text matched: content, NFC'd for normalized tokens; in added_text */
};

/* Leftmost-longest matcher over a set of added tokens: candidates grouped by first byte,
 * longest first. Sets are small (tens of tokens), so this beats building an automaton. */
struct tok_matcher {
    uint32_t *order;    /* [n] indices into tokenizer.added */
    uint32_t first[257]; /* order[first[b] .. first[b + 1]) start with byte b */
    uint32_t n;
};

/* Per-id flags */
enum {
    TOKF_SPECIAL = 1u << 0,
    TOKF_EOG = 1u << 1,
    TOKF_ADDED = 1u << 2, /* has an entry in tokenizer.added */
};

struct tokenizer {
    struct bpe bpe;
    struct pretok pre;
    struct tok_added *added; /* [n_added] */
    uint32_t n_added;
    size_t added_cap;
    char *added_text;
    size_t added_text_len, added_text_cap;
    struct tok_matcher raw;  /* added tokens matched before normalisation */
    struct tok_matcher norm; /* added tokens matched after it (normalized: true) */
    uint8_t *type;           /* [n_vocab] enum tokenizer_token_type */
    uint8_t *flags;          /* [n_vocab] TOKF_* */
    struct bpe_span *dec;    /* [n_vocab] decoded bytes of each token, in dec_text */
    char *dec_text;
    int32_t eos_id;
    pthread_mutex_t cache_lock;
    struct bpe_cache cache;  /* guarded by cache_lock */
};

/* Builder: tok_new, then tokens, added tokens, merges and the pre-tokenizer, then tok_finish.
 * On failure the caller destroys the half-built tokenizer with tokenizer_destroy. */
axvk_status tok_new(struct tokenizer **out, uint32_t n_vocab, struct err *err);
/* A vocabulary token; UNUSED tokens keep their text but are never looked up. */
axvk_status tok_add_token(struct tokenizer *tok, int32_t id, const char *s, size_t len, int32_t type,
                          struct err *err);
/* An added token (content matched in text before splitting). If the id already has a token its
 * text must equal content. */
axvk_status tok_add_added(struct tokenizer *tok, int32_t id, const char *content, size_t len,
                          unsigned attr, struct err *err);
/* Everything that depends on the complete vocabulary: byte ids, decoded bytes, matchers, EOG. */
axvk_status tok_finish(struct tokenizer *tok, struct err *err);

/* Searches the added tokens for this exact content; -1 if none. */
int32_t tok_find_added(const struct tokenizer *tok, const char *s, size_t len);

#endif
