/* fuzz_tokenizer: libFuzzer target for the tokenizer. Arbitrary bytes must encode, and decode back
 * to exactly themselves (A.X has no normalizer); arbitrary ids must decode, and the stream decoder
 * must hand out valid UTF-8 equal to the whole decode with maximal subparts replaced by U+FFFD.
 * Both real tokenizers are loaded once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

static struct tokenizer *ax, *qwen;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct err e;
    err_clear(&e);
    if (tokenizer_load_dir(&ax, AXVK_SHARED_DIR "/models/ax-4.0-light", &e) != AXVK_OK ||
        tokenizer_load_dir(&qwen, AXVK_SHARED_DIR "/models/qwen2.5", &e) != AXVK_OK) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", e.msg);
        abort();
    }
    return 0;
}

/* The text a lossless decoder would show: invalid sequences as one U+FFFD each. */
static size_t lossy(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int k = utf8_scan(s + i, n - i, NULL);
        size_t step = k > 0 ? (size_t)k : k < 0 ? (size_t)-k : n - i;
        if (k > 0)
            memcpy(out + o, s + i, step);
        else
            memcpy(out + o, UTF8_REPLACEMENT, 3);
        o += k > 0 ? step : 3;
        i += step;
    }
    return o;
}

static void check_encode(struct tokenizer *tok, const uint8_t *s, size_t n, unsigned flags, int exact)
{
    struct tokenizer_ids ids = {0};
    if (tokenizer_encode(tok, (const char *)s, n, flags, &ids, NULL) != AXVK_OK)
        abort(); /* any bytes are valid input */
    char *out = NULL;
    size_t len = 0;
    if (tokenizer_decode(tok, ids.ids, ids.n, 0, &out, &len, NULL) != AXVK_OK)
        abort();
    if (exact && (len != n || memcmp(out, s, n) != 0))
        abort();
    mem_free(out);
    tokenizer_ids_free(&ids);
}

static void check_decode(struct tokenizer *tok, const uint8_t *s, size_t n)
{
    size_t count = n / 3;
    int32_t *ids = malloc((count ? count : 1) * sizeof *ids);
    uint32_t nv = tokenizer_n_vocab(tok);
    for (size_t i = 0; i < count; i++) /* mostly valid ids, now and then one past the end */
        ids[i] = (int32_t)(((uint32_t)s[3 * i] | (uint32_t)s[3 * i + 1] << 8 |
                            (uint32_t)s[3 * i + 2] << 16) % (nv + 2));
    unsigned flags = n && (s[0] & 1) ? TOKENIZER_SKIP_SPECIAL : 0;
    char *whole = NULL;
    size_t whole_len = 0;
    axvk_status st = tokenizer_decode(tok, ids, count, flags, &whole, &whole_len, NULL);
    struct tokenizer_stream *stream = NULL;
    if (tokenizer_stream_create(&stream, tok, flags, NULL) != AXVK_OK)
        abort();
    uint8_t *want = malloc(3 * whole_len + 1), *got = malloc(3 * whole_len + 4);
    size_t want_len = st == AXVK_OK ? lossy((const uint8_t *)whole, whole_len, want) : 0, o = 0;
    for (size_t i = 0; i < count; i++) {
        const char *chunk;
        size_t len;
        axvk_status ps = tokenizer_stream_push(stream, ids[i], &chunk, &len, NULL);
        if ((ps == AXVK_OK) != ((uint32_t)ids[i] < nv) || (ps != AXVK_OK && st == AXVK_OK))
            abort();
        if (utf8_valid_prefix((const uint8_t *)chunk, len) != len)
            abort();
        if (st == AXVK_OK) {
            memcpy(got + o, chunk, len);
            o += len;
        }
    }
    const char *tail;
    size_t tail_len;
    tokenizer_stream_flush(stream, &tail, &tail_len);
    if (st == AXVK_OK) {
        memcpy(got + o, tail, tail_len);
        o += tail_len;
        if (o != want_len || memcmp(got, want, o) != 0)
            abort();
    }
    tokenizer_stream_destroy(stream);
    mem_free(whole);
    free(want);
    free(got);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *s = data + 1;
    size_t n = size - 1;
    switch (data[0] & 3) {
    case 0:
        check_encode(ax, s, n, TOKENIZER_PARSE_SPECIAL, 1);
        break;
    case 1:
        check_encode(ax, s, n, 0, 1);
        check_encode(qwen, s, n, TOKENIZER_PARSE_SPECIAL, 0); /* NFC may change the text */
        break;
    case 2:
        check_decode(ax, s, n);
        break;
    default:
        check_decode(qwen, s, n);
        break;
    }
    return 0;
}
