/* fuzz_hparams: libFuzzer target for reading config.json. The input, split at its first NUL,
 * is config.json then generation_config.json; any text must be refused with a message or give
 * hyper-parameters that pass hparams_check. */
#include <stdlib.h>
#include <string.h>

#include "model/hparams.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* two NUL-terminated texts from one input */
    char *text = malloc(size + 2);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = text[size + 1] = '\0';
    size_t first = strlen(text);
    const char *generation = first < size ? text + first + 1 : NULL;
    struct model_hparams hp;
    struct err e;
    err_clear(&e);
    axvk_status s = hparams_from_hf_json(&hp, text, generation, &e);
    if (s != AXVK_OK && !e.msg[0])
        abort(); /* every refusal says why */
    if (s == AXVK_OK && hparams_check(&hp, NULL) != AXVK_OK)
        abort();
    free(text);
    return 0;
}
