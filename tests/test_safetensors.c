/* test_safetensors: reading safetensors images, files and Hugging Face directories (single file,
 * sharded with an index), and a corpus of lying headers each refused with a message naming the
 * problem; none may crash (run under ASan too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/safetensors.h"
#include "test_gguf_fixture.h"

#define TMP AXVK_TEST_TMP "/"

static struct err e;

static void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
}

static void test_safetensors_reads_sample(void **state)
{
    (void)state;
    uint8_t *p;
    size_t n;
    sample_safetensors(&p, &n, NULL);
    struct st_set *set;
    assert_int_equal(st_open_memory(&set, p, n, &e), AXVK_OK);
    assert_int_equal(st_n_tensors(set), 3);
    assert_int_equal(st_n_files(set), 1);
    const uint8_t *data = p + n - 36; /* the data section is the last 36 bytes */
    const struct st_tensor *a = st_find(set, "a");
    assert_non_null(a);
    assert_ptr_equal(a, st_tensor_at(set, 0));
    assert_int_equal(a->type, WTYPE_F32);
    assert_int_equal(a->n_dims, 2);
    assert_int_equal(a->shape[0], 2);
    assert_int_equal(a->shape[1], 3);
    assert_int_equal(a->ne[0], 3); /* GGUF order: contiguous first */
    assert_int_equal(a->ne[1], 2);
    assert_int_equal(a->ne[2], 1);
    assert_int_equal(a->size, 24);
    assert_ptr_equal(a->data, data);
    const struct st_tensor *b = st_find(set, "b");
    assert_int_equal(b->type, WTYPE_BF16);
    assert_int_equal(b->n_dims, 1);
    assert_int_equal(b->ne[0], 4);
    assert_ptr_equal(b->data, data + 24);
    const struct st_tensor *c = st_find(set, "c");
    assert_int_equal(c->type, WTYPE_F16);
    assert_int_equal(c->size, 4);
    assert_ptr_equal(c->data, data + 32);
    assert_null(st_find(set, "__metadata__"));
    assert_null(st_find(set, "d"));
    assert_null(st_tensor_at(set, 3));
    st_close(set);

    /* the same bytes from a file */
    write_file(TMP "sample.safetensors", p, n);
    assert_int_equal(st_open_file(&set, TMP "sample.safetensors", &e), AXVK_OK);
    assert_memory_equal(st_find(set, "b")->data, data + 24, 8);
    st_close(set);
    free(p);
    st_close(NULL);
}

static void test_safetensors_accepts_scalars_empty_tensors_and_padding(void **state)
{
    (void)state;
    uint8_t *p;
    size_t n;
    /* a scalar, a tensor with a zero dimension (no bytes, may share its offset) and the header
     * padded with spaces, as writers do to align the data section */
    sample_safetensors(&p, &n,
                       "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                       "\"z\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
                       "\"t\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[4,36]}}   ");
    struct st_set *set;
    assert_int_equal(st_open_memory(&set, p, n, &e), AXVK_OK);
    const struct st_tensor *s = st_find(set, "s");
    assert_int_equal(s->n_dims, 0);
    assert_int_equal(s->size, 4);
    assert_int_equal(s->ne[0], 1);
    const struct st_tensor *z = st_find(set, "z");
    assert_int_equal(z->size, 0);
    assert_int_equal(z->ne[0], 3);
    assert_int_equal(z->ne[1], 0);
    st_close(set);
    free(p);
}

static void expect_header(const char *header, axvk_status want, const char *what)
{
    uint8_t *p;
    size_t n;
    sample_safetensors(&p, &n, header);
    struct st_set *set = (struct st_set *)&set;
    err_clear(&e);
    axvk_status s = st_open_memory(&set, p, n, &e);
    free(p);
    if (s != want)
        fail_msg("header %s: expected status %d, got %d: %s", header, (int)want, (int)s, e.msg);
    assert_null(set);
    if (!strstr(e.msg, what))
        fail_msg("message \"%s\" does not mention \"%s\"", e.msg, what);
}

#define BAD(header, what) expect_header(header, AXVK_ERR_BAD_FILE, what)

static void test_safetensors_rejects_lying_headers(void **state)
{
    (void)state;
    BAD("", "header is not valid JSON");
    BAD("{\"a\":{\"dtype\":\"F32\",", "header is not valid JSON");
    BAD("[1,2]", "header is not a JSON object");
    BAD("{} x", "header has bytes after its JSON object (at byte 3)");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,240]}}",
        "tensor a: data_offsets [0, 240] past end of data (size 36)");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,24]}}",
        "tensor a: F32 [2, 4] is 32 bytes but data_offsets span 24");
    BAD("{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,4]}}",
        "tensor a: BF16 [3] is 6 bytes but data_offsets span 4");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[24,0]}}",
        "tensor a: data_offsets end 0 before begin 24");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        "duplicate tensor name a");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
        "tensors a and b overlap (data_offsets [0, 8] and [4, 12])");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[4503599627370496,4503599627370496],"
        "\"data_offsets\":[0,0]}}",
        "tensor a: shape [4503599627370496, 4503599627370496] overflows");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,24]}}",
        "tensor a: shape[0] is not a non-negative integer");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}",
        "tensor a: shape[0] is not a non-negative integer");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8]}}",
        "tensor a: data_offsets is not a pair of non-negative integers");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e300]}}",
        "tensor a: data_offsets is not a pair");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}",
        "tensor a: data_offsets is not a pair");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\"0-8\"}}",
        "tensor a: data_offsets is not a pair");
    BAD("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor a: dtype missing");
    BAD("{\"a\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        "tensor a: unknown dtype \"F17\"");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}",
        "tensor a: 5 dimensions (at most 4)");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":7,\"data_offsets\":[0,8]}}",
        "tensor a: shape missing or not an array");
    BAD("{\"a\":[1,2]}", "tensor a: entry is not a JSON object");
    BAD("{\"__metadata__\":\"pt\"}", "__metadata__ is not a JSON object");
    BAD("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "empty tensor name");
    expect_header("{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}",
                  AXVK_ERR_UNSUPPORTED, "tensor ids: dtype I64 not supported");
}

static void test_safetensors_rejects_bad_length_fields(void **state)
{
    (void)state;
    uint8_t *p;
    size_t n;
    sample_safetensors(&p, &n, NULL);
    struct st_set *set;
    assert_int_equal(st_open_memory(&set, p, 7, &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "file too small for a safetensors header (7 bytes)"));
    uint8_t saved = p[5];
    p[5] = 1; /* header length += 2^40 */
    assert_int_equal(st_open_memory(&set, p, n, &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "larger than the file"));
    p[5] = saved;
    memset(p, 0xff, 8);
    assert_int_equal(st_open_memory(&set, p, n, &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "header length 18446744073709551615 larger than the file"));
    /* every cut that loses header or data bytes */
    free(p);
    sample_safetensors(&p, &n, NULL);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *q = malloc(cut ? cut : 1);
        memcpy(q, p, cut);
        set = (struct st_set *)&set;
        if (st_open_memory(&set, q, cut, &e) != AXVK_ERR_BAD_FILE || set)
            fail_msg("truncation at %zu not refused", cut);
        free(q);
    }
    free(p);
}

static void test_safetensors_survives_random_mutations(void **state)
{
    (void)state;
    uint8_t *p;
    size_t n;
    sample_safetensors(&p, &n, NULL);
    uint8_t *q = malloc(n);
    uint32_t seed = 0x600d;
    /* JSON-shaped bytes make the parser get further than uniform noise would */
    static const char alphabet[] = "{}[],:\"0123456789-.eE \\uF";
    for (int round = 0; round < 3000; round++) {
        memcpy(q, p, n);
        uint8_t r[4];
        fill_random(r, sizeof r, &seed);
        size_t at = (size_t)(r[0] | r[1] << 8) % (n - 36);
        q[at] = r[2] & 1 ? (uint8_t)alphabet[r[3] % (sizeof alphabet - 1)] : r[3];
        struct st_set *set;
        if (st_open_memory(&set, q, n, NULL) == AXVK_OK) {
            for (uint64_t i = 0; i < st_n_tensors(set); i++) {
                const struct st_tensor *t = st_tensor_at(set, i);
                assert_true(t->data >= q && t->data + t->size <= q + n);
            }
            st_close(set);
        }
    }
    free(q);
    free(p);
}

/* Every allocation of ours may fail (cJSON's own are not routed through alloc.h). */
static void test_safetensors_open_fails_cleanly_when_memory_runs_out(void **state)
{
    (void)state;
    uint8_t *p;
    size_t n;
    sample_safetensors(&p, &n, NULL);
    for (long k = 0;; k++) {
        struct st_set *set = (struct st_set *)&set;
        err_clear(&e);
        mem_fail_after(k);
        axvk_status s = st_open_memory(&set, p, n, &e);
        mem_fail_after(-1);
        if (s == AXVK_OK) {
            assert_true(k > 3);
            assert_int_equal(st_n_tensors(set), 3);
            st_close(set);
            break;
        }
        assert_int_equal(s, AXVK_ERR_OUT_OF_HOST_MEMORY);
        assert_null(set);
        assert_non_null(strstr(e.msg, "out of memory"));
    }
    free(p);
}

static void make_dir(const char *path)
{
    mkdir(path, 0755);
}

/* Two shards: "a" in the first, "b" and "c" in the second (the sample's data section). */
static void write_sharded(const char *dir, const char *index)
{
    char path[512];
    uint8_t *p;
    size_t n;
    make_dir(dir);
    sample_safetensors(&p, &n,
                       "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}");
    snprintf(path, sizeof path, "%s/model-00001-of-00002.safetensors", dir);
    write_file(path, p, n);
    free(p);
    sample_safetensors(&p, &n,
                       "{\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                       "\"c\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[32,36]}}");
    snprintf(path, sizeof path, "%s/model-00002-of-00002.safetensors", dir);
    write_file(path, p, n);
    free(p);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    write_file(path, index, strlen(index));
}

static const char good_index[] =
    "{\"metadata\":{\"total_size\":36},\"weight_map\":{"
    "\"a\":\"model-00001-of-00002.safetensors\","
    "\"b\":\"model-00002-of-00002.safetensors\","
    "\"c\":\"model-00002-of-00002.safetensors\"}}";

static void test_safetensors_opens_sharded_and_single_dirs(void **state)
{
    (void)state;
    write_sharded(TMP "st_sharded", good_index);
    struct st_set *set;
    err_clear(&e);
    assert_int_equal(st_open_dir(&set, TMP "st_sharded", &e), AXVK_OK);
    assert_int_equal(st_n_files(set), 2);
    assert_int_equal(st_n_tensors(set), 3);
    assert_int_equal(st_find(set, "a")->file, 0);
    assert_int_equal(st_find(set, "b")->file, 1);
    assert_int_equal(st_find(set, "c")->file, 1);
    assert_int_equal(st_find(set, "c")->size, 4);
    st_close(set);

    uint8_t *p;
    size_t n;
    make_dir(TMP "st_single");
    sample_safetensors(&p, &n, NULL);
    write_file(TMP "st_single/model.safetensors", p, n);
    free(p);
    assert_int_equal(st_open_dir(&set, TMP "st_single", &e), AXVK_OK);
    assert_int_equal(st_n_tensors(set), 3);
    st_close(set);

    make_dir(TMP "st_empty");
    assert_int_equal(st_open_dir(&set, TMP "st_empty", &e), AXVK_ERR_IO);
    assert_non_null(strstr(e.msg, "neither model.safetensors.index.json nor model.safetensors"));
}

static void test_safetensors_index_must_match_shards(void **state)
{
    (void)state;
    struct st_set *set = (struct st_set *)&set;
    write_sharded(TMP "st_wrong",
                  "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\","
                  "\"b\":\"model-00001-of-00002.safetensors\"}}");
    assert_int_equal(st_open_dir(&set, TMP "st_wrong", &e), AXVK_ERR_BAD_FILE);
    assert_null(set);
    assert_non_null(
        strstr(e.msg, "index lists tensor a in model-00002-of-00002.safetensors, which does not"));
    write_sharded(TMP "st_escape",
                  "{\"weight_map\":{\"a\":\"../model-00001-of-00002.safetensors\"}}");
    assert_int_equal(st_open_dir(&set, TMP "st_escape", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "weight_map entry a: file is not a plain file name"));
    write_sharded(TMP "st_nomap", "{\"weights\":{}}");
    assert_int_equal(st_open_dir(&set, TMP "st_nomap", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "no \"weight_map\" object"));
    write_sharded(TMP "st_badjson", "{\"weight_map\":");
    assert_int_equal(st_open_dir(&set, TMP "st_badjson", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "not valid JSON"));
    write_sharded(TMP "st_dup",
                  "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                  "\"b\":\"model-00002-of-00002.safetensors\"}}");
    /* a shard that repeats a tensor of another */
    uint8_t *p;
    size_t n;
    sample_safetensors(&p, &n,
                       "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                       "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]}}");
    write_file(TMP "st_dup/model-00002-of-00002.safetensors", p, n);
    free(p);
    assert_int_equal(st_open_dir(&set, TMP "st_dup", &e), AXVK_ERR_BAD_FILE);
    assert_non_null(strstr(e.msg, "duplicate tensor name a"));

    /* A.X 4.0 Light's real index: parsed, then its first shard is missing (no weights shipped) */
    assert_int_equal(st_open_dir(&set, AXVK_SHARED_DIR "/models/ax-4.0-light", &e), AXVK_ERR_IO);
    assert_null(set);
    assert_non_null(strstr(e.msg, "model-00001-of-00003.safetensors"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safetensors_reads_sample),
        cmocka_unit_test(test_safetensors_accepts_scalars_empty_tensors_and_padding),
        cmocka_unit_test(test_safetensors_rejects_lying_headers),
        cmocka_unit_test(test_safetensors_rejects_bad_length_fields),
        cmocka_unit_test(test_safetensors_survives_random_mutations),
        cmocka_unit_test(test_safetensors_open_fails_cleanly_when_memory_runs_out),
        cmocka_unit_test(test_safetensors_opens_sharded_and_single_dirs),
        cmocka_unit_test(test_safetensors_index_must_match_shards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
