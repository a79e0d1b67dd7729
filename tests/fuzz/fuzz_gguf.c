/* fuzz_gguf: libFuzzer target for the GGUF reader. Any input must be refused with a message or
 * parsed into a table whose every value and tensor byte can be read; an accepted file written
 * back by the writer must parse again. Also feeds accepted files to hparams_from_gguf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/gguf.h"
#include "model/gguf_write.h"
#include "model/hparams.h"

/* Reads every element of every value, so out-of-bounds offsets show up under ASan. */
static uint64_t touch_metadata(const struct gguf *g)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < gguf_n_keys(g); i++) {
        const char *key = gguf_key_at(g, i);
        uint32_t type = gguf_key_type(g, key);
        uint64_t u;
        int64_t s;
        double d;
        bool b;
        const char *str;
        size_t len;
        struct gguf_arr a;
        sum += gguf_get_u64(g, key, &u, NULL) == AXVK_OK ? u : 0;
        sum += gguf_get_i64(g, key, &s, NULL) == AXVK_OK ? (uint64_t)s : 0;
        sum += gguf_get_f64(g, key, &d, NULL) == AXVK_OK && d > 0;
        sum += gguf_get_bool(g, key, &b, NULL) == AXVK_OK && b;
        if (gguf_get_str(g, key, &str, &len, NULL) == AXVK_OK)
            sum += len ? (uint8_t)str[len - 1] + strlen(str) : 0;
        if (type != GGUF_TYPE_ARR || gguf_get_arr(g, key, &a, NULL) != AXVK_OK)
            continue;
        for (uint64_t k = 0; k < a.n; k++) {
            const char *p;
            uint64_t n;
            if (gguf_arr_str(&a, k, &p, &n))
                sum += n ? (uint8_t)p[0] + (uint8_t)p[n - 1] : 1;
            sum += gguf_arr_int(&a, k, &s) ? (uint64_t)s : 0;
            sum += gguf_arr_f64(&a, k, &d) && d > 0;
        }
    }
    return sum;
}

static uint64_t touch_tensors(const struct gguf *g)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < gguf_n_tensors(g); i++) {
        const struct gguf_tensor *t = gguf_tensor_at(g, i);
        if (gguf_find_tensor(g, t->name) != t)
            abort();
        sum += t->data[0] + t->data[t->size - 1];
    }
    return sum;
}

/* Writes g back with the writer; the result must parse to the same tensor table. */
static void rewrite(const struct gguf *g)
{
    struct gguf_writer *w;
    if (gguf_writer_create(&w, NULL) != AXVK_OK)
        return;
    bool copied = true;
    for (uint64_t i = 0; i < gguf_n_keys(g) && copied; i++)
        copied = gguf_writer_copy_key(w, g, gguf_key_at(g, i), NULL) == AXVK_OK;
    for (uint64_t i = 0; i < gguf_n_tensors(g) && copied; i++) {
        const struct gguf_tensor *t = gguf_tensor_at(g, i);
        copied = gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, NULL) ==
                 AXVK_OK;
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *f = copied ? open_memstream(&buf, &size) : NULL;
    if (f && gguf_writer_write(w, f, NULL) == AXVK_OK) {
        fclose(f);
        f = NULL;
        struct gguf *again;
        struct err e;
        if (gguf_open_memory(&again, buf, size, &e) != AXVK_OK) {
            fprintf(stderr, "rewritten file refused: %s\n", e.msg);
            abort();
        }
        if (gguf_n_tensors(again) != gguf_n_tensors(g) || gguf_n_keys(again) != gguf_n_keys(g))
            abort();
        gguf_close(again);
    }
    if (f)
        fclose(f);
    free(buf);
    gguf_writer_destroy(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gguf *g;
    struct err e;
    err_clear(&e);
    if (gguf_open_memory(&g, data, size, &e) != AXVK_OK) {
        if (!e.msg[0])
            abort(); /* every refusal says why */
        return 0;
    }
    volatile uint64_t sink = touch_metadata(g) + touch_tensors(g);
    (void)sink;
    struct model_hparams hp;
    hparams_from_gguf(&hp, g, NULL);
    rewrite(g);
    gguf_close(g);
    return 0;
}
