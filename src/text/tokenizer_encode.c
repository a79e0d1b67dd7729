/* tokenizer_encode: text -> ids, following HF tokenizers' pipeline: added tokens cut out of the
 * raw text (leftmost-longest), then per remaining piece NFC (if declared), added tokens marked
 * normalized, the split regex, and BPE per word (through the shared word cache).
 * Also the encode speed measurement. Never reads files; never changes the vocabulary. */
#include "text/tokenizer_impl.h"

#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "text/utf8.h"

/* State of one encode call. */
struct enc {
    struct tokenizer *tok;
    unsigned flags;
    bool cached; /* this call holds cache_lock */
    struct bpe_work bw;
    uint8_t *nfc_buf;
    size_t nfc_cap;
    struct tokenizer_ids *out;
    struct err *err;
};

typedef axvk_status (*piece_fn)(struct enc *e, const uint8_t *s, size_t n);

static axvk_status encode_word(struct enc *e, const uint8_t *s, size_t n)
{
    struct tokenizer *tok = e->tok;
    if (!e->cached || n > BPE_CACHE_MAX_WORD)
        return bpe_word(&tok->bpe, &e->bw, s, n, e->out, e->err);
    uint64_t h = bpe_hash(s, n);
    const int32_t *ids;
    size_t k;
    if (bpe_cache_get(&tok->cache, s, n, h, &ids, &k))
        return bpe_ids_append(e->out, ids, k, e->err);
    size_t before = e->out->n;
    axvk_status st = bpe_word(&tok->bpe, &e->bw, s, n, e->out, e->err);
    if (st == AXVK_OK)
        bpe_cache_put(&tok->cache, s, n, h, e->out->ids + before, e->out->n - before);
    return st;
}

/* Pre-tokenizer split, then BPE on each word. */
static axvk_status encode_words(struct enc *e, const uint8_t *s, size_t n)
{
    struct pretok_iter it;
    axvk_status st = pretok_iter_begin(&it, &e->tok->pre, s, n, e->err);
    size_t start, len;
    while (st == AXVK_OK && pretok_iter_next(&it, &start, &len))
        st = encode_word(e, s + start, len);
    if (st == AXVK_OK)
        st = it.status;
    pretok_iter_end(&it);
    return st;
}

/* Code point of the character ending at s[end - 1]; false if those bytes are not one. */
static bool char_before(const uint8_t *s, size_t end, size_t *start, uint32_t *cp)
{
    size_t q = end - 1;
    while (q > 0 && end - q < 4 && (s[q] & 0xC0) == 0x80)
        q--;
    if (utf8_scan(s + q, end - q, cp) != (int)(end - q))
        return false;
    *start = q;
    return true;
}

static bool is_space_at(const uint8_t *s, size_t n, size_t i, size_t *len)
{
    uint32_t cp;
    int k = utf8_scan(s + i, n - i, &cp);
    if (k <= 0 || !pretok_is_white_space(cp))
        return false;
    *len = (size_t)k;
    return true;
}

/* HF single_word: neither the character before nor the one after the match is a word char. */
static bool stands_alone(const uint8_t *s, size_t n, size_t ms, size_t me)
{
    uint32_t cp;
    size_t q;
    if (ms > 0 && char_before(s, ms, &q, &cp) && pretok_is_word_char(cp))
        return false;
    if (me < n && utf8_scan(s + me, n - me, &cp) > 0 && pretok_is_word_char(cp))
        return false;
    return true;
}

/* Leftmost-longest match at or after `from`: index into tok->added, or -1. */
static int64_t next_match(const struct tokenizer *tok, const struct tok_matcher *m, const uint8_t *s,
                          size_t n, size_t from, size_t *at)
{
    for (size_t p = from; p < n; p++) {
        uint32_t lo = m->first[s[p]], hi = m->first[s[p] + 1];
        for (uint32_t c = lo; c < hi; c++) {
            const struct tok_added *a = &tok->added[m->order[c]];
            if (a->len <= n - p && memcmp(tok->added_text + a->off, s + p, a->len) == 0) {
                *at = p;
                return m->order[c];
            }
        }
    }
    return -1;
}

/* Cuts the added tokens of m out of s[0..n): their ids go out, the text between them to fn.
 * Like HF, a match that is then rejected (special without PARSE_SPECIAL, single_word inside a
 * word) still consumes its bytes as far as matching is concerned; they stay ordinary text. */
static axvk_status split_added(struct enc *e, const struct tok_matcher *m, const uint8_t *s, size_t n,
                               piece_fn fn)
{
    const struct tokenizer *tok = e->tok;
    size_t done = 0; /* everything before this is emitted */
    size_t from = 0; /* matching resumes here */
    axvk_status st = AXVK_OK;
    while (st == AXVK_OK && from < n) {
        size_t ms;
        int64_t idx = next_match(tok, m, s, n, from, &ms);
        if (idx < 0)
            break;
        const struct tok_added *a = &tok->added[idx];
        size_t me = ms + a->len;
        from = me;
        if ((a->attr & ADDED_SPECIAL) && !(e->flags & TOKENIZER_PARSE_SPECIAL))
            continue;
        if ((a->attr & ADDED_SINGLE_WORD) && !stands_alone(s, n, ms, me))
            continue;
        if (ms < done) /* inside whitespace an earlier rstrip token swallowed */
            continue;
        size_t start = ms, stop = me, k;
        uint32_t cp;
        while ((a->attr & ADDED_LSTRIP) && start > done && char_before(s, start, &k, &cp) &&
               pretok_is_white_space(cp))
            start = k;
        while ((a->attr & ADDED_RSTRIP) && stop < n && is_space_at(s, n, stop, &k))
            stop += k;
        if (start > done)
            st = fn(e, s + done, start - done);
        if (st == AXVK_OK)
            st = bpe_ids_append(e->out, &a->id, 1, e->err);
        done = stop;
    }
    if (st == AXVK_OK && done < n)
        st = fn(e, s + done, n - done);
    return st;
}

/* A piece between raw-matched added tokens: normalise, then normalized added tokens, then words. */
static axvk_status encode_text(struct enc *e, const uint8_t *s, size_t n)
{
    const struct tokenizer *tok = e->tok;
    if (tok->pre.nfc) {
        axvk_status st = pretok_nfc(s, n, &e->nfc_buf, &e->nfc_cap, &s, &n, e->err);
        if (st != AXVK_OK)
            return st;
    }
    if (tok->norm.n)
        return split_added(e, &tok->norm, s, n, encode_words);
    return encode_words(e, s, n);
}

axvk_status tokenizer_encode(struct tokenizer *tok, const char *text, size_t len, unsigned flags,
                             struct tokenizer_ids *out, struct err *err)
{
    if (!tok || !out || (!text && len))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "tokenizer_encode: NULL argument");
    struct enc e = {.tok = tok, .flags = flags, .out = out, .err = err};
    /* Contended: go without the cache rather than wait. */
    e.cached = pthread_mutex_trylock(&tok->cache_lock) == 0;
    size_t n0 = out->n;
    const uint8_t *s = (const uint8_t *)text;
    axvk_status st = tok->raw.n ? split_added(&e, &tok->raw, s, len, encode_text)
                                : encode_text(&e, s, len);
    if (e.cached)
        pthread_mutex_unlock(&tok->cache_lock);
    bpe_work_free(&e.bw);
    mem_free(e.nfc_buf);
    if (st != AXVK_OK)
        out->n = n0;
    return st;
}

static double now_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

axvk_status tokenizer_bench(struct tokenizer *tok, const char *text, size_t len, unsigned flags,
                            double min_seconds, struct tokenizer_bench *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    struct tokenizer_ids ids = {0};
    pthread_mutex_lock(&tok->cache_lock);
    bpe_cache_free(&tok->cache);
    pthread_mutex_unlock(&tok->cache_lock);

    double t0 = now_seconds(CLOCK_MONOTONIC);
    axvk_status st = tokenizer_encode(tok, text, len, flags, &ids, err);
    double t1 = now_seconds(CLOCK_MONOTONIC);
    if (st != AXVK_OK)
        goto done;
    out->bytes = len;
    out->tokens = ids.n;
    out->cold_mb_per_s = (double)len / 1e6 / (t1 - t0 > 1e-9 ? t1 - t0 : 1e-9);

    double elapsed = 0;
    t0 = now_seconds(CLOCK_MONOTONIC);
    double c0 = now_seconds(CLOCK_THREAD_CPUTIME_ID);
    do {
        ids.n = 0;
        st = tokenizer_encode(tok, text, len, flags, &ids, err);
        if (st != AXVK_OK)
            goto done;
        out->passes++;
        elapsed = now_seconds(CLOCK_MONOTONIC) - t0;
    } while (elapsed < min_seconds);
    double cpu = now_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
    double total = (double)len * out->passes / 1e6;
    out->mb_per_s = total / (elapsed > 1e-9 ? elapsed : 1e-9);
    out->cpu_mb_per_s = total / (cpu > 1e-9 ? cpu : 1e-9);
    out->tokens_per_s = (double)out->tokens * out->passes / (elapsed > 1e-9 ? elapsed : 1e-9);
done:
    tokenizer_ids_free(&ids);
    return st;
}
