/* dequant_vectors: walks testdata/gguf/dequant.json (see dequant_vectors.h). Reads files only;
 * what is decoded and how it is compared is the caller's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "base/wtype.h"
#include "dequant_vectors.h"
#include "model/gguf.h"

#define GGUF_DIR AXVK_SHARED_DIR "/testdata/gguf/"

/* Opens one entry's tensor and values, runs check, closes both. Returns the tensor's type. */
static uint32_t run_entry(const cJSON *entry, void (*check)(const struct dequant_vector *v),
                          uint64_t *n)
{
    const char *file = cJSON_GetObjectItem(entry, "file")->valuestring;
    const char *tensor = cJSON_GetObjectItem(entry, "tensor")->valuestring;
    const char *type_name = cJSON_GetObjectItem(entry, "type")->valuestring;
    const char *f32 = cJSON_GetObjectItem(entry, "f32")->valuestring;
    char path[512];
    struct err err = {0};
    struct gguf *g = NULL;
    struct mapfile want;
    snprintf(path, sizeof path, GGUF_DIR "%s", file);
    if (gguf_open(&g, path, &err))
        fail_msg("%s: %s", path, err.msg);
    const struct gguf_tensor *t = gguf_find_tensor(g, tensor);
    assert_non_null(t);
    assert_int_equal(t->type, wtype_from_name(type_name));
    *n = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    snprintf(path, sizeof path, GGUF_DIR "%s", f32);
    if (mapfile_open(&want, path, &err))
        fail_msg("%s: %s", path, err.msg);
    assert_int_equal(want.size, *n * sizeof(float));
    /* copied: a mapped file promises no float alignment */
    float *values = mem_alloc(want.size);
    assert_non_null(values);
    memcpy(values, want.data, want.size);
    const struct dequant_vector v = {
        .file = file, .tensor = tensor, .t = t, .want = values, .n = *n};
    check(&v);
    mem_free(values);
    mapfile_close(&want);
    uint32_t type = t->type;
    gguf_close(g);
    return type;
}

uint32_t dequant_vectors_each(void (*check)(const struct dequant_vector *v), size_t *entries,
                              size_t *values)
{
    char *json = NULL;
    size_t len;
    struct err err = {0};
    if (file_read_all(GGUF_DIR "dequant.json", &json, &len, &err))
        fail_msg("%s", err.msg);
    cJSON *list = cJSON_Parse(json);
    assert_non_null(list);
    uint32_t seen = 0;
    *entries = *values = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, list) {
        uint64_t n;
        seen |= 1u << run_entry(entry, check, &n);
        *values += (size_t)n;
        (*entries)++;
    }
    cJSON_Delete(list);
    mem_free(json);
    return seen;
}
