/* test_gguf_write: files built by the GGUF writer read back equal (keys of every type, string
 * arrays, tensors of every weight type, streamed tensors), metadata copied from a real model,
 * and split models assembled from their shards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/gguf.h"
#include "model/gguf_write.h"
#include "test_gguf_fixture.h"

#define TMP AXVK_TEST_TMP "/"

static struct err e;

static void ok(axvk_status s)
{
    if (s != AXVK_OK)
        fail_msg("status %d: %s", (int)s, e.msg);
}

static struct gguf *open_ok(const char *path)
{
    struct gguf *g = NULL;
    ok(gguf_open(&g, path, &e));
    return g;
}

static const uint32_t all_wtypes[] = {WTYPE_F32,  WTYPE_F16,  WTYPE_BF16, WTYPE_Q4_0,
                                      WTYPE_Q4_1, WTYPE_Q5_0, WTYPE_Q5_1, WTYPE_Q8_0,
                                      WTYPE_Q4_K, WTYPE_Q5_K, WTYPE_Q6_K};
#define N_WTYPES (sizeof all_wtypes / sizeof all_wtypes[0])

static void test_gguf_write_round_trips_every_type(void **state)
{
    (void)state;
    struct gguf_writer *w;
    ok(gguf_writer_create(&w, &e));
    uint8_t u8 = 251;
    int8_t i8 = -128;
    uint16_t u16 = 65535;
    int16_t i16 = -2;
    int64_t i64 = -(1ll << 50);
    double f64 = -3.25e100;
    ok(gguf_writer_set(w, "v.u8", GGUF_TYPE_U8, &u8, &e));
    ok(gguf_writer_set(w, "v.i8", GGUF_TYPE_I8, &i8, &e));
    ok(gguf_writer_set(w, "v.u16", GGUF_TYPE_U16, &u16, &e));
    ok(gguf_writer_set(w, "v.i16", GGUF_TYPE_I16, &i16, &e));
    ok(gguf_writer_set_u32(w, "v.u32", 4000000000u, &e));
    ok(gguf_writer_set_i32(w, "v.i32", -123456, &e));
    ok(gguf_writer_set_f32(w, "v.f32", 0.1f, &e));
    ok(gguf_writer_set_bool(w, "v.bool", true, &e));
    ok(gguf_writer_set_u64(w, "v.u64", 0xfedcba9876543210ull, &e));
    ok(gguf_writer_set(w, "v.i64", GGUF_TYPE_I64, &i64, &e));
    ok(gguf_writer_set(w, "v.f64", GGUF_TYPE_F64, &f64, &e));
    ok(gguf_writer_set_str(w, "v.str", "first", &e));
    ok(gguf_writer_set_str(w, "v.str", "\xec\x95\x88\xeb\x85\x95 replaced", &e));
    /* strings with an embedded NUL and an empty one keep their lengths */
    const char *strs[] = {"x", "", "a\0b", "\xf0\x9f\x98\x80"};
    const uint64_t lens[] = {1, 0, 3, 4};
    ok(gguf_writer_set_arr_str(w, "v.strs", strs, lens, 4, &e));
    int16_t shorts[] = {-1, 2, -3, 32767};
    ok(gguf_writer_set_arr(w, "v.i16s", GGUF_TYPE_I16, shorts, 4, &e));
    float floats[] = {1.0f, -2.5f, 1e-30f};
    ok(gguf_writer_set_arr(w, "v.f32s", GGUF_TYPE_F32, floats, 3, &e));
    uint64_t bigs[] = {1ull << 63, 5};
    ok(gguf_writer_set_arr(w, "v.u64s", GGUF_TYPE_U64, bigs, 2, &e));
    ok(gguf_writer_set_arr(w, "v.empty", GGUF_TYPE_U32, NULL, 0, &e));

    /* one tensor of every weight type, shapes with odd row counts and up to 4 dims */
    uint32_t seed = 0x1234567;
    uint8_t *bytes[N_WTYPES];
    uint64_t ne[N_WTYPES][4];
    for (size_t i = 0; i < N_WTYPES; i++) {
        const struct wtype_info *info = wtype_get(all_wtypes[i]);
        uint64_t shape[4] = {info->block_elems * (1 + i % 3), 3, 1 + i % 2, 2};
        memcpy(ne[i], shape, sizeof shape);
        size_t size = (size_t)(wtype_row_bytes(all_wtypes[i], shape[0]) * 3 * shape[2] * 2);
        bytes[i] = mem_alloc(size);
        fill_random(bytes[i], size, &seed);
        char name[32];
        snprintf(name, sizeof name, "t.%s", info->name);
        ok(gguf_writer_add_tensor(w, name, all_wtypes[i], 1 + (uint32_t)(i % 4), shape, bytes[i],
                                  &e));
    }
    ok(gguf_writer_write_file(w, TMP "roundtrip.gguf", &e));
    gguf_writer_destroy(w);

    struct gguf *g = open_ok(TMP "roundtrip.gguf");
    assert_int_equal(gguf_version(g), 3);
    assert_int_equal(gguf_n_keys(g), 17); /* 12 scalars (v.str set twice) + 5 arrays */
    uint32_t u32v;
    int32_t i32v;
    uint64_t u64v;
    int64_t i64v;
    float f32v;
    double f64v;
    bool bv;
    ok(gguf_get_u32(g, "v.u8", &u32v, &e));
    assert_int_equal(u32v, 251);
    ok(gguf_get_i32(g, "v.i8", &i32v, &e));
    assert_int_equal(i32v, -128);
    ok(gguf_get_u32(g, "v.u16", &u32v, &e));
    assert_int_equal(u32v, 65535);
    ok(gguf_get_i64(g, "v.i16", &i64v, &e));
    assert_int_equal(i64v, -2);
    ok(gguf_get_u32(g, "v.u32", &u32v, &e));
    assert_int_equal(u32v, 4000000000u);
    assert_int_equal(gguf_get_i32(g, "v.u32", &i32v, &e), AXVK_ERR_BAD_MODEL);
    assert_non_null(strstr(e.msg, "v.u32: value 4000000000 out of range"));
    ok(gguf_get_i32(g, "v.i32", &i32v, &e));
    assert_int_equal(i32v, -123456);
    assert_int_equal(gguf_get_u32(g, "v.i32", &u32v, &e), AXVK_ERR_BAD_MODEL);
    assert_non_null(strstr(e.msg, "value -123456 out of range"));
    ok(gguf_get_f32(g, "v.f32", &f32v, &e));
    assert_true(f32v == 0.1f);
    ok(gguf_get_bool(g, "v.bool", &bv, &e));
    assert_true(bv);
    ok(gguf_get_u64(g, "v.u64", &u64v, &e));
    assert_true(u64v == 0xfedcba9876543210ull);
    assert_int_equal(gguf_get_i64(g, "v.u64", &i64v, &e), AXVK_ERR_BAD_MODEL);
    ok(gguf_get_i64(g, "v.i64", &i64v, &e));
    assert_true(i64v == -(1ll << 50));
    ok(gguf_get_f64(g, "v.f64", &f64v, &e));
    assert_true(f64v == -3.25e100);
    assert_int_equal(gguf_get_f32(g, "v.f64", &f32v, &e), AXVK_ERR_BAD_MODEL);
    const char *str;
    size_t len;
    ok(gguf_get_str(g, "v.str", &str, &len, &e));
    assert_string_equal(str, "\xec\x95\x88\xeb\x85\x95 replaced");
    assert_int_equal(len, strlen(str));

    struct gguf_arr a;
    ok(gguf_get_arr(g, "v.strs", &a, &e));
    assert_int_equal(a.type, GGUF_TYPE_STR);
    assert_int_equal(a.n, 4);
    for (uint64_t i = 0; i < 4; i++) {
        const char *p;
        uint64_t n;
        assert_true(gguf_arr_str(&a, i, &p, &n));
        assert_int_equal(n, lens[i]);
        assert_memory_equal(p, strs[i], (size_t)n);
    }
    int64_t iv;
    double dv;
    ok(gguf_get_arr(g, "v.i16s", &a, &e));
    for (uint64_t i = 0; i < 4; i++) {
        assert_true(gguf_arr_int(&a, i, &iv));
        assert_int_equal(iv, shorts[i]);
    }
    assert_false(gguf_arr_f64(&a, 0, &dv));
    ok(gguf_get_arr(g, "v.f32s", &a, &e));
    for (uint64_t i = 0; i < 3; i++) {
        assert_true(gguf_arr_f64(&a, i, &dv));
        assert_true((float)dv == floats[i]);
    }
    assert_false(gguf_arr_int(&a, 0, &iv));
    ok(gguf_get_arr(g, "v.u64s", &a, &e));
    assert_false(gguf_arr_int(&a, 0, &iv)); /* 2^63 does not fit int64 */
    assert_true(gguf_arr_int(&a, 1, &iv));
    assert_int_equal(iv, 5);
    ok(gguf_get_arr(g, "v.empty", &a, &e));
    assert_int_equal(a.n, 0);
    assert_false(gguf_arr_int(&a, 0, &iv));

    assert_int_equal(gguf_n_tensors(g), N_WTYPES);
    for (size_t i = 0; i < N_WTYPES; i++) {
        const struct gguf_tensor *t = gguf_tensor_at(g, i);
        assert_int_equal(t->type, all_wtypes[i]);
        assert_int_equal(t->n_dims, 1 + i % 4);
        for (uint32_t d = 0; d < 4; d++)
            assert_int_equal(t->ne[d], d < t->n_dims ? ne[i][d] : 1);
        uint64_t rows = t->ne[1] * t->ne[2] * t->ne[3];
        assert_int_equal(t->size, wtype_row_bytes(t->type, t->ne[0]) * rows);
        assert_memory_equal(t->data, bytes[i], (size_t)t->size);
        assert_int_equal((uintptr_t)t->data % 32, 0); /* mmap is page aligned */
        mem_free(bytes[i]);
    }
    gguf_close(g);
}

struct stream {
    uint64_t calls, rows_seen;
};

/* Row r of the streamed tensor holds the floats r*1000 + column. */
static axvk_status fill_rows(void *user, uint8_t *dst, uint64_t first, uint64_t n,
                             struct err *err)
{
    struct stream *st = user;
    st->calls++;
    assert_int_equal(first, st->rows_seen);
    float *f = (float *)dst;
    for (uint64_t r = 0; r < n; r++)
        for (uint64_t c = 0; c < 1024; c++)
            f[r * 1024 + c] = (float)((first + r) * 1000 + c);
    st->rows_seen += n;
    return AXVK_OK;
}

static axvk_status fill_fails(void *user, uint8_t *dst, uint64_t first, uint64_t n,
                              struct err *err)
{
    return err_set(err, AXVK_ERR_BAD_MODEL, "source tensor unreadable");
}

static void test_gguf_write_streams_tensors_in_chunks(void **state)
{
    (void)state;
    struct gguf_writer *w;
    ok(gguf_writer_create(&w, &e));
    /* 4500 rows of 4 KiB: more than one 16 MiB chunk */
    struct stream st = {0};
    uint64_t ne[2] = {1024, 4500};
    ok(gguf_writer_add_tensor_fn(w, "big", WTYPE_F32, 2, ne, fill_rows, &st, &e));
    ok(gguf_writer_write_file(w, TMP "stream.gguf", &e));
    gguf_writer_destroy(w);
    assert_int_equal(st.rows_seen, 4500);
    assert_true(st.calls >= 2);
    struct gguf *g = open_ok(TMP "stream.gguf");
    const struct gguf_tensor *t = gguf_find_tensor(g, "big");
    const float *f = (const float *)t->data;
    assert_true(f[0] == 0.0f);
    assert_true(f[4499 * 1024 + 1023] == 4499.0f * 1000 + 1023);
    assert_true(f[2222 * 1024 + 7] == 2222.0f * 1000 + 7);
    gguf_close(g);

    /* a failing producer fails the write, names the tensor and leaves no file behind */
    ok(gguf_writer_create(&w, &e));
    ok(gguf_writer_add_tensor_fn(w, "broken", WTYPE_F32, 2, ne, fill_fails, NULL, &e));
    assert_int_equal(gguf_writer_write_file(w, TMP "broken.gguf", &e), AXVK_ERR_BAD_MODEL);
    assert_non_null(strstr(e.msg, "tensor broken: source tensor unreadable"));
    assert_null(fopen(TMP "broken.gguf", "rb"));
    gguf_writer_destroy(w);
}

static void test_gguf_write_copies_metadata_of_a_real_model(void **state)
{
    (void)state;
    struct gguf *src = open_ok(AXVK_SHARED_DIR "/testdata/gguf/mini-q4_k_m.gguf");
    struct gguf_writer *w;
    ok(gguf_writer_create(&w, &e));
    for (uint64_t i = 0; i < gguf_n_keys(src); i++)
        ok(gguf_writer_copy_key(w, src, gguf_key_at(src, i), &e));
    for (uint64_t i = 0; i < gguf_n_tensors(src); i++) {
        const struct gguf_tensor *t = gguf_tensor_at(src, i);
        ok(gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, &e));
    }
    assert_int_equal(gguf_writer_copy_key(w, src, "no.such.key", &e), AXVK_ERR_INVALID_ARGUMENT);
    ok(gguf_writer_write_file(w, TMP "copy.gguf", &e));
    gguf_writer_destroy(w);

    struct gguf *g = open_ok(TMP "copy.gguf");
    assert_int_equal(gguf_n_keys(g), gguf_n_keys(src));
    for (uint64_t i = 0; i < gguf_n_keys(src); i++) {
        const char *key = gguf_key_at(src, i);
        assert_string_equal(gguf_key_at(g, i), key);
        assert_int_equal(gguf_key_type(g, key), gguf_key_type(src, key));
    }
    struct gguf_arr a, b;
    ok(gguf_get_arr(src, "tokenizer.ggml.merges", &a, &e));
    ok(gguf_get_arr(g, "tokenizer.ggml.merges", &b, &e));
    assert_int_equal(a.n, b.n);
    for (uint64_t i = 0; i < a.n; i++) {
        const char *pa, *pb;
        uint64_t na, nb;
        assert_true(gguf_arr_str(&a, i, &pa, &na));
        assert_true(gguf_arr_str(&b, i, &pb, &nb));
        assert_int_equal(na, nb);
        assert_memory_equal(pa, pb, (size_t)na);
    }
    const char *ta, *tb;
    ok(gguf_get_str(src, "tokenizer.chat_template", &ta, NULL, &e));
    ok(gguf_get_str(g, "tokenizer.chat_template", &tb, NULL, &e));
    assert_string_equal(ta, tb);
    assert_int_equal(gguf_n_tensors(g), gguf_n_tensors(src));
    for (uint64_t i = 0; i < gguf_n_tensors(src); i++) {
        const struct gguf_tensor *x = gguf_tensor_at(src, i), *y = gguf_tensor_at(g, i);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->size, y->size);
        assert_memory_equal(x->data, y->data, (size_t)x->size);
    }
    gguf_close(g);
    gguf_close(src);
}

static void test_gguf_write_refuses_bad_input(void **state)
{
    (void)state;
    struct gguf_writer *w;
    ok(gguf_writer_create(&w, &e));
    uint64_t ne[2] = {32, 2};
    uint8_t data[128] = {1, 2, 3};
    assert_int_equal(gguf_writer_set_u32(w, "", 1, &e), AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(gguf_writer_set_u32(w, "general.alignment", 48, &e),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(gguf_writer_set_str(w, "general.alignment", "32", &e),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(gguf_writer_set(w, "k", GGUF_TYPE_ARR, data, &e), AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(gguf_writer_set_arr(w, "k", GGUF_TYPE_STR, data, 1, &e),
                     AXVK_ERR_INVALID_ARGUMENT);
    ok(gguf_writer_add_tensor(w, "a", WTYPE_Q8_0, 2, ne, data, &e));
    assert_int_equal(gguf_writer_add_tensor(w, "a", WTYPE_Q8_0, 2, ne, data, &e),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(e.msg, "duplicate tensor name a"));
    assert_int_equal(gguf_writer_add_tensor(w, "b", 5, 2, ne, data, &e), AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(gguf_writer_add_tensor(w, "b", WTYPE_Q4_K, 2, ne, data, &e),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(gguf_writer_add_tensor(w, "b", WTYPE_F32, 5, ne, data, &e),
                     AXVK_ERR_INVALID_ARGUMENT);
    uint64_t zero[2] = {32, 0};
    assert_int_equal(gguf_writer_add_tensor(w, "b", WTYPE_F32, 2, zero, data, &e),
                     AXVK_ERR_INVALID_ARGUMENT);
    /* a larger alignment is honoured by the reader */
    ok(gguf_writer_set_u32(w, "general.alignment", 256, &e));
    ok(gguf_writer_add_tensor(w, "c", WTYPE_F32, 1, ne, data, &e));
    ok(gguf_writer_write_file(w, TMP "align.gguf", &e));
    gguf_writer_destroy(w);
    struct gguf *g = open_ok(TMP "align.gguf");
    assert_int_equal(gguf_alignment(g), 256);
    const struct gguf_tensor *c = gguf_find_tensor(g, "c");
    assert_int_equal((uintptr_t)c->data % 256, 0);
    assert_memory_equal(c->data, data, 128);
    gguf_close(g);
}

static void test_gguf_write_metadata_only_file_ends_after_header(void **state)
{
    (void)state;
    struct gguf_writer *w;
    ok(gguf_writer_create(&w, &e));
    /* a large alignment must not pad a file that has no data section */
    ok(gguf_writer_set_u32(w, "general.alignment", 1u << 30, &e));
    ok(gguf_writer_set_str(w, "general.name", "empty", &e));
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    ok(gguf_writer_write(w, f, &e));
    fclose(f);
    gguf_writer_destroy(w);
    /* header 24 + alignment key (8 + 17 + 4 + 4) + name key (8 + 12 + 4 + 8 + 5) */
    assert_int_equal(size, 24 + 33 + 37);
    struct gguf *g;
    ok(gguf_open_memory(&g, buf, size, &e));
    assert_int_equal(gguf_n_tensors(g), 0);
    assert_int_equal(gguf_alignment(g), 1u << 30);
    gguf_close(g);
    free(buf);
}

/* Shard i of a 3-way split holding tensors s<i>.a, s<i>.b with bytes from `seed`. */
static void write_shard(const char *prefix, uint32_t i, uint32_t no, uint32_t count,
                        const char *dup_name, uint32_t seed)
{
    struct gguf_writer *w;
    ok(gguf_writer_create(&w, &e));
    if (i == 0)
        ok(gguf_writer_set_str(w, "general.architecture", "qwen2", &e));
    uint16_t no16 = (uint16_t)no, count16 = (uint16_t)count;
    ok(gguf_writer_set(w, "split.no", GGUF_TYPE_U16, &no16, &e));
    ok(gguf_writer_set(w, "split.count", GGUF_TYPE_U16, &count16, &e));
    ok(gguf_writer_set_i32(w, "split.tensors.count", 6, &e));
    uint8_t bytes[2][64 * 4 * 2]; /* f16 [4][64] */
    char name[2][32];
    uint64_t ne[2] = {64, 4};
    for (int k = 0; k < 2; k++) {
        fill_random(bytes[k], sizeof bytes[k], &seed);
        snprintf(name[k], sizeof name[k], "s%u.%c", i, 'a' + k);
        ok(gguf_writer_add_tensor(w, k == 1 && dup_name ? dup_name : name[k], WTYPE_F16, 2, ne,
                                  bytes[k], &e));
    }
    char path[256];
    snprintf(path, sizeof path, "%s-%05u-of-%05u.gguf", prefix, i + 1, count);
    ok(gguf_writer_write_file(w, path, &e));
    gguf_writer_destroy(w);
}

static void test_gguf_opens_all_shards_of_a_split_model(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 3; i++)
        write_shard(TMP "split", i, i, 3, NULL, 100 + i);
    struct gguf *g = open_ok(TMP "split-00001-of-00003.gguf");
    assert_int_equal(gguf_n_shards(g), 3);
    assert_int_equal(gguf_n_tensors(g), 6);
    const char *arch;
    ok(gguf_get_str(g, "general.architecture", &arch, NULL, &e));
    assert_string_equal(arch, "qwen2");
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t seed = 100 + i;
        uint8_t want[64 * 4 * 2];
        for (int k = 0; k < 2; k++) {
            fill_random(want, sizeof want, &seed);
            char name[32];
            snprintf(name, sizeof name, "s%u.%c", i, 'a' + k);
            const struct gguf_tensor *t = gguf_find_tensor(g, name);
            assert_non_null(t);
            assert_ptr_equal(t, gguf_tensor_at(g, 2 * i + k));
            assert_memory_equal(t->data, want, sizeof want);
        }
    }
    gguf_close(g);

    /* a later shard alone is refused with a hint */
    assert_int_equal(gguf_open(&g, TMP "split-00002-of-00003.gguf", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "shard 2 of a 3-file split model; open the first shard"));
}

static void test_gguf_split_refuses_inconsistent_shards(void **state)
{
    (void)state;
    struct gguf *g = (struct gguf *)&g;
    /* missing third shard */
    write_shard(TMP "miss", 0, 0, 3, NULL, 1);
    write_shard(TMP "miss", 1, 1, 3, NULL, 2);
    remove(TMP "miss-00003-of-00003.gguf");
    assert_int_equal(gguf_open(&g, TMP "miss-00001-of-00003.gguf", &e), AXVK_ERR_IO);
    assert_null(g);
    assert_non_null(strstr(e.msg, "miss-00003-of-00003.gguf"));
    /* second shard claiming to be the third */
    write_shard(TMP "order", 0, 0, 3, NULL, 1);
    write_shard(TMP "order", 1, 2, 3, NULL, 2);
    write_shard(TMP "order", 2, 2, 3, NULL, 3);
    assert_int_equal(gguf_open(&g, TMP "order-00001-of-00003.gguf", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "split.no 2 / split.count 3 where shard 2 of 3 expected"));
    /* the same tensor in two shards */
    write_shard(TMP "dup", 0, 0, 3, NULL, 1);
    write_shard(TMP "dup", 1, 1, 3, "s0.a", 2);
    write_shard(TMP "dup", 2, 2, 3, NULL, 3);
    assert_int_equal(gguf_open(&g, TMP "dup-00001-of-00003.gguf", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "duplicate tensor name s0.a"));
    /* split.count disagrees with the file name */
    write_shard(TMP "name", 0, 0, 2, NULL, 1);
    rename(TMP "name-00001-of-00002.gguf", TMP "name-00001-of-00003.gguf");
    assert_int_equal(gguf_open(&g, TMP "name-00001-of-00003.gguf", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "<name>-00001-of-00002.gguf"));
    /* a split image cannot be opened from memory */
    FILE *f = fopen(TMP "dup-00001-of-00003.gguf", "rb");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(gguf_open_memory(&g, buf, n, &e), AXVK_ERR_UNSUPPORTED);
    assert_null(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gguf_write_round_trips_every_type),
        cmocka_unit_test(test_gguf_write_streams_tensors_in_chunks),
        cmocka_unit_test(test_gguf_write_copies_metadata_of_a_real_model),
        cmocka_unit_test(test_gguf_write_refuses_bad_input),
        cmocka_unit_test(test_gguf_write_metadata_only_file_ends_after_header),
        cmocka_unit_test(test_gguf_opens_all_shards_of_a_split_model),
        cmocka_unit_test(test_gguf_split_refuses_inconsistent_shards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
