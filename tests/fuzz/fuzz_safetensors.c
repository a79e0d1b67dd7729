/* fuzz_safetensors: libFuzzer target for the safetensors reader. Any input must be refused with a
 * message or parsed into tensors whose bytes all lie inside the input. */
#include <stdlib.h>
#include <string.h>

#include "model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct st_set *set;
    struct err e;
    err_clear(&e);
    if (st_open_memory(&set, data, size, &e) != AXVK_OK) {
        if (!e.msg[0])
            abort(); /* every refusal says why */
        return 0;
    }
    uint64_t sum = 0;
    for (uint64_t i = 0; i < st_n_tensors(set); i++) {
        const struct st_tensor *t = st_tensor_at(set, i);
        if (st_find(set, t->name) != t || t->data < data || t->size > size ||
            t->data + t->size > data + size)
            abort();
        if (t->size)
            sum += t->data[0] + t->data[t->size - 1];
    }
    /* keep the reads: the bytes must be there */
    volatile uint64_t sink = sum;
    (void)sink;
    st_close(set);
    return 0;
}
