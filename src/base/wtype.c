/* wtype: block geometry table. Sizes follow the GGUF block layouts exactly:
 *  q4_0 {f16 d; u8 qs[16]}, q4_1 {f16 d, m; u8 qs[16]}, q5_0 {f16 d; u8 qh[4]; u8 qs[16]},
 *  q5_1 {f16 d, m; u8 qh[4]; u8 qs[16]}, q8_0 {f16 d; i8 qs[32]},
 *  q4_k {f16 d, dmin; u8 scales[12]; u8 qs[128]}, q5_k {f16 d, dmin; u8 scales[12]; u8 qh[32];
 *  u8 qs[128]}, q6_k {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}. */
#include "base/wtype.h"

#include <strings.h>

static const struct wtype_info table[WTYPE_COUNT] = {
    [WTYPE_F32] = {"f32", 1, 4},
    [WTYPE_F16] = {"f16", 1, 2},
    [WTYPE_Q4_0] = {"q4_0", 32, 18},
    [WTYPE_Q4_1] = {"q4_1", 32, 20},
    [WTYPE_Q5_0] = {"q5_0", 32, 22},
    [WTYPE_Q5_1] = {"q5_1", 32, 24},
    [WTYPE_Q8_0] = {"q8_0", 32, 34},
    [WTYPE_Q4_K] = {"q4_k", 256, 144},
    [WTYPE_Q5_K] = {"q5_k", 256, 176},
    [WTYPE_Q6_K] = {"q6_k", 256, 210},
    [WTYPE_BF16] = {"bf16", 1, 2},
};

const struct wtype_info *wtype_get(uint32_t type)
{
    if (type >= WTYPE_COUNT || !table[type].name)
        return NULL;
    return &table[type];
}

int wtype_from_name(const char *name)
{
    for (int t = 0; t < WTYPE_COUNT; t++)
        if (table[t].name && strcasecmp(table[t].name, name) == 0)
            return t;
    return -1;
}

uint64_t wtype_row_bytes(uint32_t type, uint64_t n)
{
    const struct wtype_info *info = wtype_get(type);
    if (!info || n % info->block_elems)
        return 0;
    uint64_t blocks = n / info->block_elems;
    if (blocks > UINT64_MAX / info->block_bytes)
        return 0;
    return blocks * info->block_bytes;
}
