/* test_gguf_corrupt: a corpus of malformed GGUF images, each made from a valid file (written by
 * the writer) by one mutation, or spelled out by hand; every one must be refused with
 * AXVK_ERR_BAD_FILE and a message naming the problem, and none may crash (run under ASan too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "model/gguf.h"
#include "test_gguf_fixture.h"

static uint8_t *sample;
static size_t sample_size;

static int setup(void **state)
{
    (void)state;
    sample_gguf(&sample, &sample_size, 0xc0ffee);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(sample);
    return 0;
}

/* A private copy of the sample to mutate. */
static uint8_t *fresh(void)
{
    uint8_t *p = malloc(sample_size);
    memcpy(p, sample, sample_size);
    return p;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Position just past the encoded string `s` (u64 length + bytes) in the image. */
static size_t after_str(const uint8_t *p, size_t n, const char *s)
{
    size_t len = strlen(s);
    uint8_t enc[8 + 64];
    put_le(enc, len, 8);
    memcpy(enc + 8, s, len);
    const uint8_t *hit = memmem(p, n, enc, 8 + len);
    assert_non_null(hit);
    return (size_t)(hit - p) + 8 + len;
}

/* Field positions in a tensor info record, found by the tensor's name. */
static size_t tensor_dims_at(const uint8_t *p, const char *name)
{
    return after_str(p, sample_size, name); /* u32 n_dims, then u64 ne[n_dims] */
}

static size_t tensor_type_at(const uint8_t *p, const char *name)
{
    size_t at = tensor_dims_at(p, name);
    return at + 4 + 8 * get_le(p + at, 4);
}

static void expect_bad_n(const uint8_t *p, size_t n, const char *what)
{
    struct gguf *g = (struct gguf *)&g;
    struct err e;
    err_clear(&e);
    axvk_status s = gguf_open_memory(&g, p, n, &e);
    if (s != AXVK_ERR_BAD_FILE)
        fail_msg("expected BAD_FILE mentioning \"%s\", got status %d: %s", what, (int)s, e.msg);
    assert_null(g);
    if (!strstr(e.msg, what))
        fail_msg("message \"%s\" does not mention \"%s\"", e.msg, what);
}

/* Checks and frees a mutated copy of the sample. */
static void expect_bad(uint8_t *p, const char *what)
{
    expect_bad_n(p, sample_size, what);
    free(p);
}

static void test_gguf_sample_is_valid_as_v3_and_v2(void **state)
{
    (void)state;
    struct gguf *g;
    assert_int_equal(gguf_open_memory(&g, sample, sample_size, NULL), AXVK_OK);
    assert_int_equal(gguf_version(g), 3);
    assert_int_equal(gguf_n_tensors(g), SAMPLE_N_TENSORS);
    gguf_close(g);
    /* v2 differs from v3 only in what v3 allows (big-endian files), so the layout is the same */
    uint8_t *p = fresh();
    put_le(p + 4, 2, 4);
    assert_int_equal(gguf_open_memory(&g, p, sample_size, NULL), AXVK_OK);
    assert_int_equal(gguf_version(g), 2);
    assert_int_equal(gguf_n_tensors(g), SAMPLE_N_TENSORS);
    gguf_close(g);
    free(p);
}

/* Every allocation the parser makes may fail: each failure is reported, nothing leaks (ASan). */
static void test_gguf_open_fails_cleanly_when_memory_runs_out(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        struct gguf *g = (struct gguf *)&g;
        struct err e;
        err_clear(&e);
        mem_fail_after(n);
        axvk_status s = gguf_open_memory(&g, sample, sample_size, &e);
        mem_fail_after(-1);
        if (s == AXVK_OK) {
            assert_true(n > 10);
            gguf_close(g);
            break;
        }
        assert_int_equal(s, AXVK_ERR_OUT_OF_HOST_MEMORY);
        assert_null(g);
        assert_non_null(strstr(e.msg, "out of memory"));
    }
}

static void test_gguf_rejects_every_truncation(void **state)
{
    (void)state;
    struct gguf *g;
    assert_int_equal(gguf_open_memory(&g, sample, sample_size, NULL), AXVK_OK);
    /* the image may end with padding after the last tensor; any cut before that is fatal */
    size_t end = 0;
    for (uint64_t i = 0; i < gguf_n_tensors(g); i++) {
        const struct gguf_tensor *t = gguf_tensor_at(g, i);
        size_t t_end = (size_t)(t->data - sample + t->size);
        end = t_end > end ? t_end : end;
    }
    gguf_close(g);
    for (size_t cut = 0; cut < end; cut++) {
        /* a heap copy of exactly `cut` bytes lets ASan catch any read past the end */
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, sample, cut);
        struct err e;
        err_clear(&e);
        g = (struct gguf *)&g;
        if (gguf_open_memory(&g, p, cut, &e) != AXVK_ERR_BAD_FILE || g || !e.msg[0])
            fail_msg("truncation at %zu not refused", cut);
        free(p);
    }
    expect_bad_n(sample, 23, "file too small for a GGUF header (23 bytes");
    expect_bad_n(sample, 30, "key count 15 too large for file size 30");
    expect_bad_n(sample, end - 1, "past end of data");
}

static void test_gguf_rejects_bad_header(void **state)
{
    (void)state;
    uint8_t *p = fresh();
    memcpy(p, "GGML", 4);
    expect_bad(p, "bad magic 47 47 4d 4c");
    p = fresh();
    put_le(p + 4, 1, 4);
    expect_bad(p, "GGUF version 1 is not supported");
    p = fresh();
    put_le(p + 4, 99, 4);
    expect_bad(p, "unsupported GGUF version 99");
    p = fresh();
    put_le(p + 4, 0x03000000, 4);
    expect_bad(p, "big-endian");
    p = fresh();
    put_le(p + 8, 1ull << 40, 8);
    expect_bad(p, "tensor count 1099511627776 too large");
    p = fresh();
    put_le(p + 16, 1ull << 33, 8);
    expect_bad(p, "key count 8589934592 too large");
    p = fresh();
    put_le(p + 16, UINT64_MAX, 8);
    expect_bad(p, "key count 18446744073709551615 too large");
}

static void test_gguf_rejects_lying_strings_and_arrays(void **state)
{
    (void)state;
    /* the length field of general.architecture's value */
    uint8_t *p = fresh();
    size_t at = after_str(p, sample_size, "general.architecture") + 4;
    put_le(p + at, 1ull << 40, 8);
    expect_bad(p, "key general.architecture: string length 1099511627776 past end of file");
    p = fresh();
    put_le(p + at, UINT64_MAX, 8);
    expect_bad(p, "string length 18446744073709551615 past end");
    /* the length of a key */
    p = fresh();
    at = after_str(p, sample_size, "test.u8") - strlen("test.u8") - 8;
    put_le(p + at, 1ull << 50, 8);
    expect_bad(p, "key #2: string length 1125899906842624 past end of file");
    /* array counts: far too large, and one element past the end */
    p = fresh();
    at = after_str(p, sample_size, "tokenizer.ggml.tokens") + 8;
    put_le(p + at, 1ull << 60, 8);
    expect_bad(p, "key tokenizer.ggml.tokens: array count 1152921504606846976 of string too large");
    p = fresh();
    at = after_str(p, sample_size, "tokenizer.ggml.token_type") + 8;
    put_le(p + at, UINT64_MAX / 2, 8);
    expect_bad(p, "key tokenizer.ggml.token_type: array count");
    p = fresh();
    at = after_str(p, sample_size, "tokenizer.ggml.tokens") + 16 + 8 + 3;
    put_le(p + at, 1ull << 45, 8); /* length of element 1 ("a") */
    expect_bad(p, "key tokenizer.ggml.tokens: element 1: string length 35184372088832");
    p = fresh();
    at = after_str(p, sample_size, "tokenizer.ggml.tokens") + 4;
    put_le(p + at, 9, 4);
    expect_bad(p, "key tokenizer.ggml.tokens: arrays of arrays are not supported");
    p = fresh();
    put_le(p + at, 13, 4);
    expect_bad(p, "key tokenizer.ggml.tokens: unknown array element type 13");
    p = fresh();
    at = after_str(p, sample_size, "test.bools") + 4 + 12;
    p[at + 1] = 2;
    expect_bad(p, "key test.bools: bool value 2 at element 1 (must be 0 or 1)");
    p = fresh();
    at = after_str(p, sample_size, "test.bool") + 4;
    p[at] = 7;
    expect_bad(p, "key test.bool: bool value 7");
    p = fresh();
    at = after_str(p, sample_size, "test.f32");
    put_le(p + at, 13, 4);
    expect_bad(p, "key test.f32: unknown value type 13");
}

static void test_gguf_rejects_bad_keys(void **state)
{
    (void)state;
    /* "test.u8" and "test.i8" have the same length: rename one into the other */
    uint8_t *p = fresh();
    size_t at = after_str(p, sample_size, "test.i8");
    p[at - 2] = 'u';
    expect_bad(p, "duplicate key test.u8");
    p = fresh();
    at = after_str(p, sample_size, "test.i8");
    p[at - 2] = '\0';
    expect_bad(p, "key #3 contains a NUL byte");
    p = fresh();
    at = after_str(p, sample_size, "general.alignment") + 4;
    put_le(p + at, 3, 4);
    expect_bad(p, "key general.alignment: 3 is not a power of two");
    p = fresh();
    put_le(p + at, 0, 4);
    expect_bad(p, "key general.alignment: 0 is not a power of two");
    p = fresh();
    put_le(p + at - 4, 6, 4); /* the same 4 bytes read as an f32 */
    expect_bad(p, "key general.alignment: f32 value where an integer expected");
}

static void test_gguf_rejects_bad_tensor_shapes(void **state)
{
    (void)state;
    uint8_t *p = fresh();
    size_t at = tensor_dims_at(p, "tok.weight");
    put_le(p + at + 4, 1ull << 62, 8);
    put_le(p + at + 12, 1ull << 62, 8);
    expect_bad(p, "tensor tok.weight: element count overflows (4611686018427387904 x "
                  "4611686018427387904)");
    p = fresh();
    put_le(p + at + 4, UINT64_MAX, 8);
    expect_bad(p, "tensor tok.weight: element count overflows");
    p = fresh();
    /* 2^31 x 2^31 f32 elements fit int64, their 2^64 bytes do not fit uint64 */
    put_le(p + at + 4, 1ull << 31, 8);
    put_le(p + at + 12, 1ull << 31, 8);
    expect_bad(p, "tensor tok.weight: byte size overflows");
    p = fresh();
    put_le(p + at, 5, 4);
    expect_bad(p, "tensor tok.weight: n_dims 5 (must be 1 to 4)");
    p = fresh();
    put_le(p + at, 0, 4);
    expect_bad(p, "tensor tok.weight: n_dims 0");
    p = fresh();
    put_le(p + at + 12, 0, 8);
    expect_bad(p, "tensor tok.weight: dimension 1 is 0");
    p = fresh();
    put_le(p + tensor_type_at(p, "blk.0.k"), 99, 4);
    expect_bad(p, "tensor blk.0.k: unknown type 99");
    p = fresh();
    put_le(p + tensor_type_at(p, "blk.0.k"), 10, 4); /* q2_k: not supported */
    expect_bad(p, "tensor blk.0.k: unknown type 10");
    p = fresh();
    at = tensor_dims_at(p, "blk.0.q");
    put_le(p + at + 4, 48, 8);
    expect_bad(p, "tensor blk.0.q: row length 48 not a multiple of the q8_0 block size 32");
    /* "blk.0.k" -> "blk.0.q" */
    p = fresh();
    p[tensor_dims_at(p, "blk.0.k") - 1] = 'q';
    expect_bad(p, "duplicate tensor name blk.0.q");
    p = fresh();
    p[tensor_dims_at(p, "blk.0.k") - 3] = '\0';
    expect_bad(p, "contains a NUL byte");
}

static void test_gguf_rejects_bad_tensor_offsets(void **state)
{
    (void)state;
    uint8_t *p = fresh();
    size_t at = tensor_type_at(p, "blk.0.q") + 4;
    uint64_t off = get_le(p + at, 8);
    put_le(p + at, off + 1, 8);
    char want[96];
    snprintf(want, sizeof want, "tensor blk.0.q: offset %llu not aligned to 32",
             (unsigned long long)off + 1);
    expect_bad(p, want);
    p = fresh();
    put_le(p + at, 1ull << 40, 8);
    expect_bad(p, "tensor blk.0.q: offset 1099511627776 + size 136 past end of data (size ");
    p = fresh();
    put_le(p + at, UINT64_MAX - 31, 8);
    expect_bad(p, "past end of data");
    /* the last tensor moved one alignment unit on: it now runs past the end */
    p = fresh();
    at = tensor_type_at(p, "out.weight") + 4;
    put_le(p + at, get_le(p + at, 8) + 32, 8);
    expect_bad(p, "tensor out.weight: offset");
    /* blk.0.k placed on top of blk.0.q */
    p = fresh();
    off = get_le(p + tensor_type_at(p, "blk.0.q") + 4, 8);
    put_le(p + tensor_type_at(p, "blk.0.k") + 4, off, 8);
    expect_bad(p, "overlap");
    /* blk.0.q starting 32 bytes into tok.weight (128 bytes) */
    p = fresh();
    put_le(p + tensor_type_at(p, "blk.0.q") + 4, 32, 8);
    expect_bad(p, "tensors tok.weight and blk.0.q overlap (offset 0 + size 128 > offset 32)");
}

/* Hand-built images for what the writer cannot produce. */
struct img {
    uint8_t b[256];
    size_t n;
};

static void img_le(struct img *m, uint64_t v, unsigned bytes)
{
    put_le(m->b + m->n, v, bytes);
    m->n += bytes;
}

static void img_str(struct img *m, const char *s)
{
    img_le(m, strlen(s), 8);
    memcpy(m->b + m->n, s, strlen(s));
    m->n += strlen(s);
}

static void img_header(struct img *m, uint64_t n_tensors, uint64_t n_kv)
{
    m->n = 0;
    memcpy(m->b, "GGUF", 4);
    m->n = 4;
    img_le(m, 3, 4);
    img_le(m, n_tensors, 8);
    img_le(m, n_kv, 8);
}

static void test_gguf_rejects_handmade_oddities(void **state)
{
    (void)state;
    struct img m;
    img_header(&m, 0, 1);
    img_str(&m, "");
    img_le(&m, GGUF_TYPE_U32, 4);
    img_le(&m, 1, 4);
    expect_bad_n(m.b, m.n, "key #0 is empty");

    img_header(&m, 1, 0);
    img_str(&m, "");
    img_le(&m, 1, 4);
    img_le(&m, 32, 8);
    img_le(&m, 0, 4);
    img_le(&m, 0, 8);
    img_le(&m, 0, 8);
    expect_bad_n(m.b, m.n, "tensor name at byte 24 is empty");

    img_header(&m, 0, 2);
    img_str(&m, "split.count");
    img_le(&m, GGUF_TYPE_U16, 4);
    img_le(&m, 2, 2);
    img_str(&m, "split.no");
    img_le(&m, GGUF_TYPE_U16, 4);
    img_le(&m, 2, 2);
    expect_bad_n(m.b, m.n, "split.no 2 does not fit split.count 2");

    img_header(&m, 0, 1);
    img_str(&m, "split.count");
    img_le(&m, GGUF_TYPE_STR, 4);
    img_str(&m, "two");
    expect_bad_n(m.b, m.n, "key split.count: string value where an integer expected");

    /* a valid header whose tensor's data section would start past the end */
    img_header(&m, 1, 0);
    img_str(&m, "t");
    img_le(&m, 1, 4);
    img_le(&m, 4, 8);
    img_le(&m, 0, 4);
    img_le(&m, 0, 8);
    expect_bad_n(m.b, m.n, "data section starts at 64, past end of file (size 57)");

    /* and the smallest valid file: no keys, no tensors */
    img_header(&m, 0, 0);
    struct gguf *g;
    assert_int_equal(gguf_open_memory(&g, m.b, m.n, NULL), AXVK_OK);
    assert_int_equal(gguf_n_tensors(g), 0);
    assert_int_equal(gguf_alignment(g), 32);
    gguf_close(g);
}

/* Random byte flips: any outcome but a crash or an out-of-bounds read is fine. */
static void test_gguf_survives_random_mutations(void **state)
{
    (void)state;
    uint32_t seed = 0xabcdef;
    uint8_t *p = malloc(sample_size);
    for (int round = 0; round < 3000; round++) {
        memcpy(p, sample, sample_size);
        uint8_t r[8];
        fill_random(r, sizeof r, &seed);
        int flips = 1 + r[0] % 4;
        for (int k = 0; k < flips; k++) {
            fill_random(r, sizeof r, &seed);
            size_t at = (size_t)(get_le(r, 4) % sample_size);
            p[at] = r[4 + k % 4] ^ (uint8_t)(r[5] & 0x80 ? 0xff : 0);
        }
        struct gguf *g;
        if (gguf_open_memory(&g, p, sample_size, NULL) == AXVK_OK) {
            for (uint64_t i = 0; i < gguf_n_tensors(g); i++) {
                const struct gguf_tensor *t = gguf_tensor_at(g, i);
                assert_true(t->data >= p && t->data + t->size <= p + sample_size);
            }
            gguf_close(g);
        }
    }
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gguf_sample_is_valid_as_v3_and_v2),
        cmocka_unit_test(test_gguf_open_fails_cleanly_when_memory_runs_out),
        cmocka_unit_test(test_gguf_rejects_every_truncation),
        cmocka_unit_test(test_gguf_rejects_bad_header),
        cmocka_unit_test(test_gguf_rejects_lying_strings_and_arrays),
        cmocka_unit_test(test_gguf_rejects_bad_keys),
        cmocka_unit_test(test_gguf_rejects_bad_tensor_shapes),
        cmocka_unit_test(test_gguf_rejects_bad_tensor_offsets),
        cmocka_unit_test(test_gguf_rejects_handmade_oddities),
        cmocka_unit_test(test_gguf_survives_random_mutations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
