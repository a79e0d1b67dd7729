/* tokenizer: byte-level BPE text <-> token ids, exactly as Hugging Face `tokenizers` does it for
 * A.X 4.0 (GPT-2 split regex, no normalizer) and Qwen2.5 (Qwen2 split regex, NFC).
 * Owns vocabulary, merges, added/special tokens, pre-tokenizer and decoding; knows nothing of
 * models, GGUF files or chat templates (the model layer hands GGUF arrays to tokenizer_create).
 *
 * Threading: a tokenizer is immutable after load except for an internal word cache; encode may
 * run on several threads at once (the cache is shared behind a lock, and skipped when contended).
 * Decode and the getters are read-only. A stream decoder is used by one thread at a time. */
#ifndef AXVK_TEXT_TOKENIZER_H
#define AXVK_TEXT_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct tokenizer;
struct tokenizer_stream;

/* GGUF tokenizer.ggml.token_type values. */
enum tokenizer_token_type {
    TOKEN_TYPE_UNDEFINED = 0, /* read as normal */
    TOKEN_TYPE_NORMAL = 1,
    TOKEN_TYPE_UNKNOWN = 2,      /* matched in text like a special token */
    TOKEN_TYPE_CONTROL = 3,      /* special added token (<|im_end|>) */
    TOKEN_TYPE_USER_DEFINED = 4, /* non-special added token (<think>): always matched in text */
    TOKEN_TYPE_UNUSED = 5,       /* padding ids: never produced, not looked up */
    TOKEN_TYPE_BYTE = 6,
};

/* tokenizer_encode flags */
enum {
    /* Special added tokens written in the text become their ids. Without it they are encoded as
     * plain text (`--no-special`); non-special added tokens (<think>, <tool_call>) always match. */
    TOKENIZER_PARSE_SPECIAL = 1u << 0,
};

/* tokenizer_decode / tokenizer_stream_create flags */
enum {
    TOKENIZER_SKIP_SPECIAL = 1u << 0, /* leave special added tokens out of the text */
};

/* A growable id list; zero-initialise. encode appends, so prompts can be built piece by piece. */
struct tokenizer_ids {
    int32_t *ids; /* [n] */
    size_t n, cap;
};

void tokenizer_ids_free(struct tokenizer_ids *ids);

/* The vocabulary as GGUF stores it (tokenizer.ggml.*). Arrays are read during the call only, so
 * they may point straight into a mapped file. Zero-initialise; 0/NULL means absent. */
struct tokenizer_desc {
    uint32_t n_tokens;
    const char *const *tokens;  /* [n_tokens] text of each id: byte-level form ("Ġthe") for normal
                                   tokens, the literal content for added ones ("<|im_end|>") */
    const uint32_t *token_lens; /* [n_tokens] bytes, not NUL-terminated */
    const int32_t *token_types; /* [n_tokens] enum tokenizer_token_type; NULL: all normal */
    uint32_t n_merges;
    const char *const *merges;  /* [n_merges] "left right", rank order */
    const uint32_t *merge_lens; /* [n_merges] */
    const char *pre;            /* tokenizer.ggml.pre: "gpt-2", "a.x-4.0" or "qwen2" */
    const int32_t *eog_ids;     /* [n_eog_ids] end-of-generation ids; the first is the EOS */
    uint32_t n_eog_ids;
};

/* Loads a Hugging Face tokenizer directory: tokenizer.json if present, else vocab.json +
 * merges.txt (+ tokenizer_config.json's added_tokens_decoder, special_tokens_map.json). Every
 * file is untrusted: malformed content gives AXVK_ERR_BAD_FILE / AXVK_ERR_TOKENIZER, features
 * outside byte-level BPE give AXVK_ERR_UNSUPPORTED. */
axvk_status tokenizer_load_dir(struct tokenizer **out, const char *dir, struct err *err);

/* Builds a tokenizer from GGUF-style arrays (see struct tokenizer_desc). */
axvk_status tokenizer_create(struct tokenizer **out, const struct tokenizer_desc *desc,
                             struct err *err);

void tokenizer_destroy(struct tokenizer *tok);

/* Appends the ids of text[0..len) to out. Any bytes are accepted: invalid UTF-8 is encoded
 * byte by byte, so decode(encode(x)) == x for every x (up to NFC when the tokenizer declares it).
 * No BOS is added. */
axvk_status tokenizer_encode(struct tokenizer *tok, const char *text, size_t len, unsigned flags,
                             struct tokenizer_ids *out, struct err *err);

/* Bytes of ids[0..n): byte-level tokens decoded, added tokens as their content. *out is
 * NUL-terminated, owned by the caller (mem_free); it may hold broken UTF-8 if the ids split a
 * character. Ids outside the vocabulary are AXVK_ERR_TOKENIZER. */
axvk_status tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
                             unsigned flags, char **out, size_t *len, struct err *err);

/* Streaming decode: each push returns the text that is now complete, holding back the bytes of
 * a character split across tokens; never emits broken UTF-8. Bytes that can never form a
 * character come out as U+FFFD as soon as that is certain, or at flush. The returned text
 * stays valid until the next call on the stream. */
axvk_status tokenizer_stream_create(struct tokenizer_stream **out, const struct tokenizer *tok,
                                    unsigned flags, struct err *err);
axvk_status tokenizer_stream_push(struct tokenizer_stream *s, int32_t id, const char **text,
                                  size_t *len, struct err *err);
/* Ends the stream: held-back bytes come out as U+FFFD. The stream can then be reused. */
void tokenizer_stream_flush(struct tokenizer_stream *s, const char **text, size_t *len);
void tokenizer_stream_destroy(struct tokenizer_stream *s);

/* Vocabulary size: highest id + 1 (ids without a token are typed TOKEN_TYPE_UNUSED). */
uint32_t tokenizer_n_vocab(const struct tokenizer *tok);
/* Text of a token as the vocabulary stores it (byte-level form, or an added token's content);
 * false for ids outside the vocabulary. Not NUL-terminated. */
bool tokenizer_token_text(const struct tokenizer *tok, int32_t id, const char **ptr, size_t *len);
/* The bytes a token decodes to; false for ids outside the vocabulary. */
bool tokenizer_token_bytes(const struct tokenizer *tok, int32_t id, const char **ptr, size_t *len);
/* enum tokenizer_token_type of id (TOKEN_TYPE_UNUSED outside the vocabulary). */
int32_t tokenizer_token_type(const struct tokenizer *tok, int32_t id);
/* Id of the token whose decoded text is exactly `text` (added tokens first), -1 if none. */
int32_t tokenizer_find_token(const struct tokenizer *tok, const char *text);
bool tokenizer_is_special(const struct tokenizer *tok, int32_t id);
/* End of generation: EOS plus the end-of-turn markers (<|im_end|>, <|endoftext|>, ...). */
bool tokenizer_is_eog(const struct tokenizer *tok, int32_t id);
/* Adds or removes an end-of-generation id (e.g. from generation_config.json); configuration,
 * so call it before the tokenizer is shared between threads. */
axvk_status tokenizer_set_eog(struct tokenizer *tok, int32_t id, bool eog, struct err *err);
/* EOS id from the tokenizer files, -1 if they name none. */
int32_t tokenizer_eos(const struct tokenizer *tok);
/* GGUF pre-tokenizer name ("gpt-2", "qwen2", "a.x-4.0"); "" for a split regex known to no name. */
const char *tokenizer_pre_name(const struct tokenizer *tok);
/* The split regex actually used (PCRE2 syntax, as given by the files); "" when none. */
const char *tokenizer_pre_regex(const struct tokenizer *tok);
bool tokenizer_normalizes_nfc(const struct tokenizer *tok);

/* Merges for export, in rank order: merge i joins tokens *left and *right. */
uint32_t tokenizer_n_merges(const struct tokenizer *tok);
bool tokenizer_merge(const struct tokenizer *tok, uint32_t i, int32_t *left, int32_t *right);

/* Encoding speed over text[0..len): one pass with an empty word cache, then repeated passes for
 * at least min_seconds of wall time. MB = 10^6 bytes. Wall-clock rates are what a caller sees;
 * the CPU-time rate is the tokenizer's own speed on one core, whatever else the machine runs. */
struct tokenizer_bench {
    uint64_t bytes;         /* per pass */
    uint64_t tokens;        /* per pass */
    double cold_mb_per_s;   /* first pass, empty cache */
    double mb_per_s;        /* later passes, warm cache */
    double cpu_mb_per_s;    /* later passes, per second of this thread's CPU time */
    double tokens_per_s;    /* later passes */
    uint32_t passes;        /* later passes run */
};

axvk_status tokenizer_bench(struct tokenizer *tok, const char *text, size_t len, unsigned flags,
                            double min_seconds, struct tokenizer_bench *out, struct err *err);

#endif
