/* test_gguf_fixture: builds the sample GGUF with the writer under test, and the sample
 * safetensors image by hand (its format is simple enough to spell out). */
#include "test_gguf_fixture.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/wtype.h"
#include "model/gguf_write.h"

const char *const sample_tensor_names[SAMPLE_N_TENSORS] = {
    "tok.weight", "blk.0.q", "blk.0.k", "out.weight",
};

void fill_random(uint8_t *dst, size_t n, uint32_t *state)
{
    for (size_t i = 0; i < n; i++) {
        /* xorshift32 */
        uint32_t x = *state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *state = x;
        dst[i] = (uint8_t)(x >> 24) | 1;
    }
}

static void must(axvk_status s, const struct err *e)
{
    if (s != AXVK_OK) {
        fprintf(stderr, "sample GGUF: %s\n", e->msg);
        abort();
    }
}

void sample_gguf(uint8_t **data, size_t *size, uint32_t seed)
{
    struct err e;
    err_clear(&e);
    struct gguf_writer *w;
    must(gguf_writer_create(&w, &e), &e);
    must(gguf_writer_set_str(w, "general.architecture", "qwen2", &e), &e);
    must(gguf_writer_set_u32(w, "general.alignment", 32, &e), &e);
    uint8_t u8 = 200;
    int8_t i8 = -100;
    uint16_t u16 = 60000;
    int16_t i16 = -30000;
    int64_t i64 = -5000000000ll;
    double f64 = 0.125;
    must(gguf_writer_set(w, "test.u8", GGUF_TYPE_U8, &u8, &e), &e);
    must(gguf_writer_set(w, "test.i8", GGUF_TYPE_I8, &i8, &e), &e);
    must(gguf_writer_set(w, "test.u16", GGUF_TYPE_U16, &u16, &e), &e);
    must(gguf_writer_set(w, "test.i16", GGUF_TYPE_I16, &i16, &e), &e);
    must(gguf_writer_set_i32(w, "test.i32", -7, &e), &e);
    must(gguf_writer_set_f32(w, "test.f32", 1.5f, &e), &e);
    must(gguf_writer_set_bool(w, "test.bool", true, &e), &e);
    must(gguf_writer_set_u64(w, "test.u64", 1ull << 40, &e), &e);
    must(gguf_writer_set(w, "test.i64", GGUF_TYPE_I64, &i64, &e), &e);
    must(gguf_writer_set(w, "test.f64", GGUF_TYPE_F64, &f64, &e), &e);
    const char *tokens[] = {"<s>", "a", "\xea\xb0\x80", "", "hello"};
    must(gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", tokens, NULL, 5, &e), &e);
    int32_t types[] = {3, 1, 1, 1, 1};
    must(gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_I32, types, 5, &e), &e);
    bool flags[] = {true, false, true};
    must(gguf_writer_set_arr(w, "test.bools", GGUF_TYPE_BOOL, flags, 3, &e), &e);

    static const uint32_t ttype[SAMPLE_N_TENSORS] = {WTYPE_F32, WTYPE_Q8_0, WTYPE_F16, WTYPE_Q4_K};
    static const uint64_t ne[SAMPLE_N_TENSORS][2] = {{8, 4}, {64, 2}, {16, 3}, {256, 1}};
    uint8_t *bytes[SAMPLE_N_TENSORS];
    for (int i = 0; i < SAMPLE_N_TENSORS; i++) {
        size_t n = (size_t)(wtype_row_bytes(ttype[i], ne[i][0]) * ne[i][1]);
        bytes[i] = malloc(n);
        fill_random(bytes[i], n, &seed);
        must(gguf_writer_add_tensor(w, sample_tensor_names[i], ttype[i], 2, ne[i], bytes[i], &e),
             &e);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    must(gguf_writer_write(w, f, &e), &e);
    fclose(f);
    for (int i = 0; i < SAMPLE_N_TENSORS; i++)
        free(bytes[i]);
    gguf_writer_destroy(w);
    *data = (uint8_t *)buf;
    *size = len;
}

static const char sample_header[] =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
    "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]},"
    "\"c\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[32,36]}}";

void sample_safetensors(uint8_t **data, size_t *size, const char *header)
{
    if (!header)
        header = sample_header;
    size_t n = strlen(header), total = 8 + n + 36;
    uint8_t *p = malloc(total);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(p + 8, header, n);
    uint32_t seed = 0x5eed;
    fill_random(p + 8 + n, 36, &seed);
    *data = p;
    *size = total;
}
