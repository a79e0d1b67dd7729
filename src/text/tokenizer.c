/* tokenizer: building the tokenizer object (shared by the HF-directory loader and the GGUF-array
 * constructor), and the read-only queries on it. Encoding, decoding and file parsing live in
 * tokenizer_encode.c, tokenizer_decode.c and tokenizer_load.c. */
#include "text/tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/utf8.h"

/* Largest vocabulary accepted: far above any real model (Qwen2.5: 151,665), small enough that
 * per-id tables stay cheap and ids fit comfortably in int32. */
#define MAX_VOCAB (1u << 24)

/* End-of-turn markers of the chat formats in use; a special token with this content ends
 * generation even when the files name another EOS (A.X: <|im_end|> and <|endoftext|>). */
static const char *const eog_contents[] = {"<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<|end|>",
                                           "<end_of_turn>"};

/* Every id starts as a hole (UNUSED, no text) until a loader fills it. */
axvk_status tok_new(struct tokenizer **out, uint32_t n_vocab, struct err *err)
{
    *out = NULL;
    if (n_vocab == 0 || n_vocab > MAX_VOCAB)
        return err_set(err, AXVK_ERR_TOKENIZER, "vocabulary of %u tokens (must be 1..%u)", n_vocab,
                       MAX_VOCAB);
    struct tokenizer *tok = mem_calloc(1, sizeof *tok);
    if (!tok)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tokenizer: out of memory");
    tok->eos_id = -1;
    pthread_mutex_init(&tok->cache_lock, NULL);
    axvk_status s = bpe_init(&tok->bpe, n_vocab, err);
    if (s != AXVK_OK)
        goto fail;
    tok->type = mem_alloc(n_vocab);
    tok->flags = mem_calloc(n_vocab, 1);
    if (!tok->type || !tok->flags) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tokenizer: out of memory");
        goto fail;
    }
    memset(tok->type, TOKEN_TYPE_UNUSED, n_vocab);
    *out = tok;
    return AXVK_OK;
fail:
    tokenizer_destroy(tok);
    return s;
}

void tokenizer_destroy(struct tokenizer *tok)
{
    if (!tok)
        return;
    bpe_free(&tok->bpe);
    pretok_free(&tok->pre);
    mem_free(tok->added);
    mem_free(tok->added_text);
    mem_free(tok->raw.order);
    mem_free(tok->norm.order);
    mem_free(tok->type);
    mem_free(tok->flags);
    mem_free(tok->dec);
    mem_free(tok->dec_text);
    bpe_cache_free(&tok->cache);
    pthread_mutex_destroy(&tok->cache_lock);
    mem_free(tok);
}

axvk_status tok_add_token(struct tokenizer *tok, int32_t id, const char *s, size_t len, int32_t type,
                          struct err *err)
{
    if (type < TOKEN_TYPE_UNDEFINED || type > TOKEN_TYPE_BYTE)
        return err_set(err, AXVK_ERR_TOKENIZER, "token %d: unknown token type %d", id, type);
    axvk_status st = bpe_set_text(&tok->bpe, id, s, len, err);
    if (st != AXVK_OK)
        return st;
    tok->type[id] = (uint8_t)(type == TOKEN_TYPE_UNDEFINED ? TOKEN_TYPE_NORMAL : type);
    /* padding ids ([PAD151665]) are never produced by BPE, so they stay out of the text map */
    if (type == TOKEN_TYPE_UNUSED)
        return AXVK_OK;
    int32_t other = bpe_map_insert(&tok->bpe, id);
    if (other >= 0)
        return err_set(err, AXVK_ERR_TOKENIZER, "token text '%.*s' appears at ids %d and %d",
                       (int)(len > 64 ? 64 : len), s, other, id);
    return AXVK_OK;
}

axvk_status tok_add_added(struct tokenizer *tok, int32_t id, const char *content, size_t len,
                          unsigned attr, struct err *err)
{
    struct bpe *b = &tok->bpe;
    if (id < 0 || (uint32_t)id >= b->n_vocab)
        return err_set(err, AXVK_ERR_TOKENIZER, "added token id %d out of range (vocabulary of %u)",
                       id, b->n_vocab);
    if (tok->flags[id] & TOKF_ADDED)
        return err_set(err, AXVK_ERR_TOKENIZER, "added token id %d listed twice", id);
    /* tokenizer.json keeps added tokens out of model.vocab; vocab.json and GGUF list them too */
    const struct bpe_span *t = &b->tok[id];
    if (t->off == BPE_NO_TOKEN) {
        axvk_status st = bpe_set_text(b, id, content, len, err);
        if (st != AXVK_OK)
            return st;
    } else if (t->len != len || memcmp(b->text + t->off, content, len) != 0) {
        return err_set(err, AXVK_ERR_TOKENIZER, "added token %d '%.*s' conflicts with vocabulary "
                       "token '%.*s'", id, (int)(len > 64 ? 64 : len), content,
                       (int)(t->len > 64 ? 64 : t->len), b->text + t->off);
    }
    /* GGUF's own type (UNKNOWN, CONTROL, USER_DEFINED) stands; HF files get the GGUF equivalent */
    if (tok->type[id] == TOKEN_TYPE_NORMAL || tok->type[id] == TOKEN_TYPE_UNUSED)
        tok->type[id] = (attr & ADDED_SPECIAL) ? TOKEN_TYPE_CONTROL : TOKEN_TYPE_USER_DEFINED;
    tok->flags[id] |= TOKF_ADDED | ((attr & ADDED_SPECIAL) ? TOKF_SPECIAL : 0);
    void *pa = tok->added, *pt = tok->added_text;
    int fa = mem_grow(&pa, &tok->added_cap, (size_t)tok->n_added + 1, sizeof *tok->added);
    tok->added = pa;
    int ft = mem_grow(&pt, &tok->added_text_cap, tok->added_text_len + len + 1, 1);
    tok->added_text = pt;
    if (fa || ft || tok->added_text_len + len > UINT32_MAX)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "added tokens: out of memory");
    memcpy(tok->added_text + tok->added_text_len, content, len);
    tok->added[tok->n_added++] = (struct tok_added){id, attr, (uint32_t)tok->added_text_len,
                                                    (uint32_t)len};
    tok->added_text_len += len;
    return AXVK_OK;
}

/* Replaces the match text of normalized added tokens by its NFC form (HF normalises them too). */
static axvk_status normalize_added(struct tokenizer *tok, struct err *err)
{
    uint8_t *buf = NULL;
    size_t cap = 0;
    axvk_status st = AXVK_OK;
    for (uint32_t i = 0; i < tok->n_added && st == AXVK_OK; i++) {
        struct tok_added *a = &tok->added[i];
        if (!(a->attr & ADDED_NORMALIZED))
            continue;
        const uint8_t *norm;
        size_t nlen;
        st = pretok_nfc((const uint8_t *)tok->added_text + a->off, a->len, &buf, &cap, &norm, &nlen,
                        err);
        if (st != AXVK_OK || norm != buf)
            continue; /* already NFC */
        void *p = tok->added_text;
        if (mem_grow(&p, &tok->added_text_cap, tok->added_text_len + nlen + 1, 1) ||
            tok->added_text_len + nlen > UINT32_MAX) {
            st = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "added tokens: out of memory");
            break;
        }
        tok->added_text = p;
        memcpy(tok->added_text + tok->added_text_len, norm, nlen);
        a->off = (uint32_t)tok->added_text_len;
        a->len = (uint32_t)nlen;
        tok->added_text_len += nlen;
    }
    mem_free(buf);
    return st;
}

/* Matcher order: grouped by first byte, longest first within a group (leftmost-longest). */
struct sort_key {
    uint8_t first;
    uint32_t len, idx;
};

static int cmp_sort_key(const void *pa, const void *pb)
{
    const struct sort_key *a = pa, *b = pb;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->len != b->len)
        return a->len > b->len ? -1 : 1; /* longest first */
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static axvk_status build_matcher(struct tokenizer *tok, struct tok_matcher *m, bool normalized,
                                 struct err *err)
{
    struct sort_key *keys = mem_calloc(tok->n_added ? tok->n_added : 1, sizeof *keys);
    m->order = mem_calloc(tok->n_added ? tok->n_added : 1, sizeof *m->order);
    if (!keys || !m->order) {
        mem_free(keys);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "added tokens: out of memory");
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < tok->n_added; i++) {
        const struct tok_added *a = &tok->added[i];
        if (a->len == 0 || !(a->attr & ADDED_NORMALIZED) != !normalized)
            continue;
        keys[n++] = (struct sort_key){(uint8_t)tok->added_text[a->off], a->len, i};
    }
    qsort(keys, n, sizeof *keys, cmp_sort_key);
    /* first[b + 1] counts group b, then a prefix sum turns counts into group starts */
    memset(m->first, 0, sizeof m->first);
    for (uint32_t i = 0; i < n; i++) {
        m->order[i] = keys[i].idx;
        m->first[keys[i].first + 1]++;
    }
    for (int b = 0; b < 256; b++) /* counts -> start offsets */
        m->first[b + 1] += m->first[b];
    m->n = n;
    mem_free(keys);
    return AXVK_OK;
}

/* Decoded bytes of id: an added token's content, else each character of the byte-level
 * spelling mapped back to its byte; a spelling outside that alphabet is kept as it is (HF). */
static size_t decode_token(const struct tokenizer *tok, int32_t id, char *out)
{
    const struct bpe_span *t = &tok->bpe.tok[id];
    if (t->off == BPE_NO_TOKEN)
        return 0;
    const uint8_t *s = (const uint8_t *)tok->bpe.text + t->off;
    bool added = tok->flags[id] & TOKF_ADDED;
    size_t n = 0;
    for (size_t i = 0; !added && i < t->len;) {
        uint32_t cp;
        int k = utf8_scan(s + i, t->len - i, &cp);
        int byte = k > 0 ? bpe_cp_to_byte(cp) : -1;
        if (byte < 0) {
            n = 0;
            break;
        }
        if (out)
            out[n] = (char)byte;
        n++;
        i += (size_t)k;
    }
    if (n == 0 && t->len) {
        if (out)
            memcpy(out, s, t->len);
        n = t->len;
    }
    return n;
}

static axvk_status build_decoded(struct tokenizer *tok, struct err *err)
{
    uint32_t nv = tok->bpe.n_vocab;
    tok->dec = mem_calloc(nv, sizeof *tok->dec);
    /* decoding never lengthens a token: byte-level characters are 1-2 bytes for one byte */
    tok->dec_text = mem_alloc(tok->bpe.text_len + 1);
    if (!tok->dec || !tok->dec_text)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "decode table: out of memory");
    size_t o = 0;
    for (uint32_t id = 0; id < nv; id++) {
        size_t n = decode_token(tok, (int32_t)id, tok->dec_text + o);
        tok->dec[id] = (struct bpe_span){(uint32_t)o, (uint32_t)n};
        o += n;
    }
    return AXVK_OK;
}

axvk_status tok_finish(struct tokenizer *tok, struct err *err)
{
    if (!tok->pre.gctx)
        return err_set(err, AXVK_ERR_TOKENIZER, "no pre-tokenizer set");
    axvk_status st = bpe_finish(&tok->bpe, err);
    if (st == AXVK_OK && tok->pre.nfc)
        st = normalize_added(tok, err);
    if (st == AXVK_OK)
        st = build_matcher(tok, &tok->raw, false, err);
    if (st == AXVK_OK)
        st = build_matcher(tok, &tok->norm, true, err);
    if (st == AXVK_OK)
        st = build_decoded(tok, err);
    if (st != AXVK_OK)
        return st;
    /* EOG: the EOS the files name, plus special tokens spelled like an end-of-turn marker */
    if (tok->eos_id >= 0)
        tok->flags[tok->eos_id] |= TOKF_EOG;
    for (uint32_t i = 0; i < tok->n_added; i++) {
        const struct tok_added *a = &tok->added[i];
        const struct bpe_span *t = &tok->bpe.tok[a->id];
        if (!(a->attr & ADDED_SPECIAL))
            continue;
        for (size_t k = 0; k < sizeof eog_contents / sizeof eog_contents[0]; k++)
            if (t->len == strlen(eog_contents[k]) &&
                memcmp(tok->bpe.text + t->off, eog_contents[k], t->len) == 0)
                tok->flags[a->id] |= TOKF_EOG;
    }
    return AXVK_OK;
}

/* GGUF merges are "left right"; the split is at the first space after the first byte, so a
 * merge whose left side is a space still parses. */
static axvk_status add_merge_line(struct tokenizer *tok, const char *s, size_t len, uint32_t i,
                                  struct err *err)
{
    const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
    if (!sp)
        return err_set(err, AXVK_ERR_TOKENIZER, "merge %u '%.*s' is not \"left right\"", i + 1,
                       (int)(len > 64 ? 64 : len), s);
    size_t ll = (size_t)(sp - s);
    return bpe_add_merge(&tok->bpe, s, ll, sp + 1, len - ll - 1, err);
}

axvk_status tokenizer_create(struct tokenizer **out, const struct tokenizer_desc *d, struct err *err)
{
    *out = NULL;
    if (!d || !d->tokens || !d->token_lens || (d->n_merges && (!d->merges || !d->merge_lens)) ||
        (d->n_eog_ids && !d->eog_ids))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "tokenizer_create: missing arrays");
    if (!d->pre)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "tokenizer has no pre-tokenizer name");
    struct tokenizer *tok = NULL;
    axvk_status st = tok_new(&tok, d->n_tokens, err);
    if (st != AXVK_OK)
        return st;
    /* ids are array positions, so unlike JSON there can be no holes or out-of-range ids */
    for (uint32_t i = 0; i < d->n_tokens && st == AXVK_OK; i++) {
        int32_t type = d->token_types ? d->token_types[i] : TOKEN_TYPE_NORMAL;
        if (!d->tokens[i] && d->token_lens[i]) {
            st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "token %u: NULL text", i);
            break;
        }
        st = tok_add_token(tok, (int32_t)i, d->tokens[i] ? d->tokens[i] : "", d->token_lens[i],
                           type, err);
        /* control and unknown tokens are special; user-defined ones are matched always */
        if (st == AXVK_OK && (type == TOKEN_TYPE_CONTROL || type == TOKEN_TYPE_UNKNOWN ||
                              type == TOKEN_TYPE_USER_DEFINED))
            st = tok_add_added(tok, (int32_t)i, d->tokens[i] ? d->tokens[i] : "", d->token_lens[i],
                               type == TOKEN_TYPE_USER_DEFINED ? 0 : ADDED_SPECIAL, err);
    }
    for (uint32_t i = 0; i < d->n_merges && st == AXVK_OK; i++) {
        if (!d->merges[i]) {
            st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "merge %u: NULL text", i + 1);
            break;
        }
        st = add_merge_line(tok, d->merges[i], d->merge_lens[i], i, err);
    }
    if (st == AXVK_OK)
        st = pretok_init_named(&tok->pre, d->pre, err);
    for (uint32_t i = 0; i < d->n_eog_ids && st == AXVK_OK; i++) {
        if (d->eog_ids[i] < 0 || (uint32_t)d->eog_ids[i] >= d->n_tokens)
            st = err_set(err, AXVK_ERR_TOKENIZER, "end-of-generation id %d out of range (vocabulary "
                         "of %u)", d->eog_ids[i], d->n_tokens);
        else if (i == 0)
            tok->eos_id = d->eog_ids[i];
        else
            tok->flags[d->eog_ids[i]] |= TOKF_EOG;
    }
    if (st == AXVK_OK)
        st = tok_finish(tok, err);
    if (st != AXVK_OK) {
        tokenizer_destroy(tok);
        return st;
    }
    *out = tok;
    return AXVK_OK;
}

void tokenizer_ids_free(struct tokenizer_ids *ids)
{
    mem_free(ids->ids);
    memset(ids, 0, sizeof *ids);
}

static bool id_ok(const struct tokenizer *tok, int32_t id)
{
    return id >= 0 && (uint32_t)id < tok->bpe.n_vocab;
}

uint32_t tokenizer_n_vocab(const struct tokenizer *tok)
{
    return tok->bpe.n_vocab;
}

bool tokenizer_token_text(const struct tokenizer *tok, int32_t id, const char **ptr, size_t *len)
{
    if (!id_ok(tok, id))
        return false;
    const struct bpe_span *t = &tok->bpe.tok[id];
    *ptr = t->off == BPE_NO_TOKEN ? "" : tok->bpe.text + t->off;
    *len = t->off == BPE_NO_TOKEN ? 0 : t->len;
    return true;
}

bool tokenizer_token_bytes(const struct tokenizer *tok, int32_t id, const char **ptr, size_t *len)
{
    if (!id_ok(tok, id))
        return false;
    *ptr = tok->dec_text + tok->dec[id].off;
    *len = tok->dec[id].len;
    return true;
}

int32_t tokenizer_token_type(const struct tokenizer *tok, int32_t id)
{
    return id_ok(tok, id) ? tok->type[id] : TOKEN_TYPE_UNUSED;
}

int32_t tok_find_added(const struct tokenizer *tok, const char *s, size_t len)
{
    for (uint32_t i = 0; i < tok->n_added; i++) {
        const struct bpe_span *t = &tok->bpe.tok[tok->added[i].id];
        if (t->len == len && memcmp(tok->bpe.text + t->off, s, len) == 0)
            return tok->added[i].id;
    }
    return -1;
}

int32_t tokenizer_find_token(const struct tokenizer *tok, const char *text)
{
    size_t len = strlen(text);
    int32_t id = tok_find_added(tok, text, len);
    if (id >= 0 || len > 1024)
        return id;
    /* a vocabulary token is spelled in the byte-level alphabet: up to 2 bytes per byte */
    char spell[2048];
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += (size_t)utf8_encode(bpe_byte_to_cp((uint8_t)text[i]), (uint8_t *)spell + n);
    id = bpe_find(&tok->bpe, spell, n);
    return id >= 0 && tok->type[id] != TOKEN_TYPE_UNUSED ? id : -1;
}

bool tokenizer_is_special(const struct tokenizer *tok, int32_t id)
{
    return id_ok(tok, id) && (tok->flags[id] & TOKF_SPECIAL);
}

bool tokenizer_is_eog(const struct tokenizer *tok, int32_t id)
{
    return id_ok(tok, id) && (tok->flags[id] & TOKF_EOG);
}

axvk_status tokenizer_set_eog(struct tokenizer *tok, int32_t id, bool eog, struct err *err)
{
    if (!id_ok(tok, id))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "token id %d out of range (vocabulary of %u)",
                       id, tok->bpe.n_vocab);
    if (eog)
        tok->flags[id] |= TOKF_EOG;
    else
        tok->flags[id] &= (uint8_t)~TOKF_EOG;
    return AXVK_OK;
}

int32_t tokenizer_eos(const struct tokenizer *tok)
{
    return tok->eos_id;
}

const char *tokenizer_pre_name(const struct tokenizer *tok)
{
    return tok->pre.name;
}

const char *tokenizer_pre_regex(const struct tokenizer *tok)
{
    return tok->pre.pattern ? tok->pre.pattern : "";
}

bool tokenizer_normalizes_nfc(const struct tokenizer *tok)
{
    return tok->pre.nfc;
}

uint32_t tokenizer_n_merges(const struct tokenizer *tok)
{
    return tok->bpe.n_merges;
}

bool tokenizer_merge(const struct tokenizer *tok, uint32_t i, int32_t *left, int32_t *right)
{
    if (i >= tok->bpe.n_merges)
        return false;
    *left = tok->bpe.merges[i].left;
    *right = tok->bpe.merges[i].right;
    return true;
}
