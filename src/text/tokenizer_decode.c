/* tokenizer_decode: ids -> bytes, whole or as a stream that only ever hands out complete UTF-8.
 * Uses the per-token decoded bytes built at load; never touches the vocabulary maps. */
#include "text/tokenizer_impl.h"

#include <string.h>

#include "base/alloc.h"
#include "text/utf8.h"

struct tokenizer_stream {
    const struct tokenizer *tok;
    unsigned flags;
    uint8_t pending[4]; /* start of a character still waiting for its last bytes (<= 3) */
    size_t n_pending;
    uint8_t *in;        /* pending + the pushed token's bytes */
    size_t in_cap;
    char *out;          /* what the last call returned */
    size_t out_cap;
};

static bool skipped(const struct tokenizer *tok, int32_t id, unsigned flags)
{
    return (flags & TOKENIZER_SKIP_SPECIAL) && (tok->flags[id] & TOKF_SPECIAL);
}

axvk_status tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
                             unsigned flags, char **out, size_t *len, struct err *err)
{
    *out = NULL;
    if (len)
        *len = 0;
    if (!ids && n)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "tokenizer_decode: NULL ids");
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (uint32_t)ids[i] >= tok->bpe.n_vocab)
            return err_set(err, AXVK_ERR_TOKENIZER, "token id %d at position %zu out of range "
                           "(vocabulary of %u)", ids[i], i, tok->bpe.n_vocab);
        if (!skipped(tok, ids[i], flags))
            total += tok->dec[ids[i]].len; /* each <= 4 GiB, n ids: no overflow on 64-bit */
    }
    char *buf = mem_alloc(total + 1);
    if (!buf)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "decode of %zu bytes: out of memory", total);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (skipped(tok, ids[i], flags))
            continue;
        const struct bpe_span *d = &tok->dec[ids[i]];
        memcpy(buf + o, tok->dec_text + d->off, d->len);
        o += d->len;
    }
    buf[o] = '\0';
    *out = buf;
    if (len)
        *len = o;
    return AXVK_OK;
}

axvk_status tokenizer_stream_create(struct tokenizer_stream **out, const struct tokenizer *tok,
                                    unsigned flags, struct err *err)
{
    *out = mem_calloc(1, sizeof **out);
    if (!*out)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "decode stream: out of memory");
    (*out)->tok = tok;
    (*out)->flags = flags;
    return AXVK_OK;
}

void tokenizer_stream_destroy(struct tokenizer_stream *s)
{
    if (!s)
        return;
    mem_free(s->in);
    mem_free(s->out);
    mem_free(s);
}

axvk_status tokenizer_stream_push(struct tokenizer_stream *s, int32_t id, const char **text,
                                  size_t *len, struct err *err)
{
    const struct tokenizer *tok = s->tok;
    *text = "";
    *len = 0;
    if (id < 0 || (uint32_t)id >= tok->bpe.n_vocab)
        return err_set(err, AXVK_ERR_TOKENIZER, "token id %d out of range (vocabulary of %u)", id,
                       tok->bpe.n_vocab);
    if (skipped(tok, id, s->flags))
        return AXVK_OK;
    const struct bpe_span *d = &tok->dec[id];
    size_t m = s->n_pending + d->len;
    void *pi = s->in, *po = s->out;
    int fi = mem_grow(&pi, &s->in_cap, m, 1);
    s->in = pi;
    /* worst case every byte is invalid: 3 bytes of U+FFFD each */
    int fo = mem_grow(&po, &s->out_cap, 3 * m + 1, 1);
    s->out = po;
    if (fi || fo)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "decode stream: out of memory");
    memcpy(s->in, s->pending, s->n_pending);
    memcpy(s->in + s->n_pending, tok->dec_text + d->off, d->len);
    s->n_pending = 0;

    size_t i = 0, o = 0;
    while (i < m) {
        int k = utf8_scan(s->in + i, m - i, NULL);
        if (k > 0) {
            memcpy(s->out + o, s->in + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else if (k == 0) { /* may still complete: hold back (at most 3 bytes) */
            s->n_pending = m - i;
            memcpy(s->pending, s->in + i, s->n_pending);
            break;
        } else {
            memcpy(s->out + o, UTF8_REPLACEMENT, 3);
            o += 3;
            i += (size_t)-k;
        }
    }
    s->out[o] = '\0';
    *text = s->out;
    *len = o;
    return AXVK_OK;
}

void tokenizer_stream_flush(struct tokenizer_stream *s, const char **text, size_t *len)
{
    *text = "";
    *len = 0;
    if (!s->n_pending)
        return;
    /* the held bytes are one unfinished character: one maximal subpart, one U+FFFD */
    s->n_pending = 0;
    *text = UTF8_REPLACEMENT;
    *len = 3;
}
