/* bpe: the vocabulary (token text <-> id), the merge table and the byte-level BPE merge loop.
 * Works on bytes and ids only: no regexes, no added tokens, no files, no locking. */
#ifndef AXVK_TEXT_BPE_H
#define AXVK_TEXT_BPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "text/tokenizer.h"

#define BPE_NO_TOKEN UINT32_MAX /* bpe_span.off of an id that has no token */

struct bpe_span {
    uint32_t off, len; /* into bpe.text */
};

struct bpe_pair {
    int32_t left, right;
};

/* One slot of the merge hash: (left, right) -> the merge's rank and the id it produces. */
struct bpe_merge_slot {
    uint64_t key; /* (uint64_t)left << 32 | right; UINT64_MAX when empty */
    uint32_t rank;
    int32_t id;
};

struct bpe {
    uint32_t n_vocab;
    struct bpe_span *tok;       /* [n_vocab] token text as the vocabulary spells it (byte-level form) */
    char *text;                 /* every token's text, back to back */
    size_t text_len, text_cap;
    int32_t *map;               /* [map_mask + 1] open addressing, text -> id; -1 empty */
    uint32_t map_mask, map_used;
    struct bpe_merge_slot *mslot; /* [mslot_mask + 1] */
    uint32_t mslot_mask, mslot_used;
    struct bpe_pair *merges;    /* [n_merges] in rank order, as given (duplicates kept, for export) */
    uint32_t n_merges;
    size_t merges_cap;
    int32_t byte_id[256];       /* id of the one-byte token for each byte, -1 if the vocab lacks it */
    int32_t unk_id;             /* -1: bytes without a token are dropped, as HF does with no unk */
    bool fuse_unk;
    bool ignore_merges;         /* a whole word found in the vocab is one token (HF ignore_merges) */
};

/* Per-call scratch for bpe_word; zero-initialise, release with bpe_work_free. */
struct bpe_work {
    struct bpe_sym *sym;
    size_t sym_cap;
    struct bpe_item *heap;
    size_t heap_cap;
    uint8_t *spell; /* byte-level spelling of a word, for ignore_merges */
    size_t spell_cap;
};

/* Word -> ids memo, shared by all encodes of one tokenizer (callers serialise access). */
struct bpe_cache {
    struct bpe_cache_slot *slot; /* [mask + 1] */
    uint32_t mask, used;
    uint8_t *keys;
    size_t keys_len, keys_cap;
    int32_t *ids;
    size_t ids_len, ids_cap;
};

#define BPE_CACHE_MAX_WORD 256 /* longer words are rare enough not to be worth keeping */

axvk_status bpe_init(struct bpe *b, uint32_t n_vocab, struct err *err);
void bpe_free(struct bpe *b);

/* Stores the text of `id` (which must not have one yet). */
axvk_status bpe_set_text(struct bpe *b, int32_t id, const char *s, size_t len, struct err *err);
/* Makes the text of `id` findable; returns -1 when done, or the id that already owns that text. */
int32_t bpe_map_insert(struct bpe *b, int32_t id);
/* Id whose text is s[0..len), -1 if none. */
int32_t bpe_find(const struct bpe *b, const char *s, size_t len);
/* Appends the merge "left right" (both must be tokens, and so must their concatenation). */
axvk_status bpe_add_merge(struct bpe *b, const char *left, size_t llen, const char *right, size_t rlen,
                          struct err *err);
/* Resolves byte_id from the vocabulary; call once every token is in. */
axvk_status bpe_finish(struct bpe *b, struct err *err);

/* The GPT-2 byte-level alphabet: byte -> code point, code point -> byte (-1 if not in it). */
uint32_t bpe_byte_to_cp(uint8_t b);
int bpe_cp_to_byte(uint32_t cp);

/* Merges the bytes of one pre-tokenized word and appends its ids to out. */
axvk_status bpe_word(const struct bpe *b, struct bpe_work *w, const uint8_t *s, size_t n,
                     struct tokenizer_ids *out, struct err *err);
void bpe_work_free(struct bpe_work *w);

/* Appends ids[0..n) to out, growing it. */
axvk_status bpe_ids_append(struct tokenizer_ids *out, const int32_t *ids, size_t n, struct err *err);

uint64_t bpe_hash(const void *p, size_t n);
/* Cached ids of word s (hash h = bpe_hash(s, n)); false if not cached. */
bool bpe_cache_get(const struct bpe_cache *c, const uint8_t *s, size_t n, uint64_t h, const int32_t **ids,
                   size_t *n_ids);
/* Remembers a word's ids; silently does nothing when memory is short. */
void bpe_cache_put(struct bpe_cache *c, const uint8_t *s, size_t n, uint64_t h, const int32_t *ids,
                   size_t n_ids);
void bpe_cache_free(struct bpe_cache *c);

#endif
