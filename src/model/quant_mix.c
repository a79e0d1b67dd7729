/* quant_mix: per-tensor type choice for quantization schemes, as llama.cpp's quantizer chooses. */
#include "model/quant_mix.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/wtype.h"

struct scheme_info {
    const char *name;
    uint32_t base_type; /* type of ordinary 2-D weights */
    uint32_t file_type; /* llama_ftype */
    int mixed;          /* _M: more bits for half of attn_v and ffn_down */
};

static const struct scheme_info schemes[] = {
    [QUANT_F32] = {"f32", WTYPE_F32, 0, 0},
    [QUANT_F16] = {"f16", WTYPE_F16, 1, 0},
    [QUANT_BF16] = {"bf16", WTYPE_BF16, 32, 0},
    [QUANT_Q8_0] = {"q8_0", WTYPE_Q8_0, 7, 0},
    [QUANT_Q4_0] = {"q4_0", WTYPE_Q4_0, 2, 0},
    [QUANT_Q4_1] = {"q4_1", WTYPE_Q4_1, 3, 0},
    [QUANT_Q5_0] = {"q5_0", WTYPE_Q5_0, 8, 0},
    [QUANT_Q5_1] = {"q5_1", WTYPE_Q5_1, 9, 0},
    [QUANT_Q4_K_S] = {"q4_k_s", WTYPE_Q4_K, 14, 0},
    [QUANT_Q4_K_M] = {"q4_k_m", WTYPE_Q4_K, 15, 1},
    [QUANT_Q5_K_S] = {"q5_k_s", WTYPE_Q5_K, 16, 0},
    [QUANT_Q5_K_M] = {"q5_k_m", WTYPE_Q5_K, 17, 1},
    [QUANT_Q6_K] = {"q6_k", WTYPE_Q6_K, 18, 0},
};

#define N_SCHEMES (int)(sizeof schemes / sizeof schemes[0])

int quant_scheme_from_name(const char *name)
{
    if (strcasecmp(name, "q4_k") == 0)
        return QUANT_Q4_K_S;
    if (strcasecmp(name, "q5_k") == 0)
        return QUANT_Q5_K_S;
    for (int i = 0; i < N_SCHEMES; i++)
        if (strcasecmp(schemes[i].name, name) == 0)
            return i;
    return -1;
}

const char *quant_scheme_name(int scheme)
{
    return scheme >= 0 && scheme < N_SCHEMES ? schemes[scheme].name : "?";
}

uint32_t quant_scheme_file_type(int scheme)
{
    return scheme >= 0 && scheme < N_SCHEMES ? schemes[scheme].file_type : 0;
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers, and every third between. */
static int use_more_bits(int layer, int n_layers)
{
    return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

/* K-quants need rows of whole 256-blocks; these are the types llama.cpp falls back to. */
static uint32_t fallback_type(uint32_t type, uint64_t ne0)
{
    if (ne0 % 256 == 0)
        return type;
    switch (type) {
    case WTYPE_Q4_K: return WTYPE_Q5_0;
    case WTYPE_Q5_K: return WTYPE_Q5_1;
    case WTYPE_Q6_K: return WTYPE_Q8_0;
    default: return type;
    }
}

static int layer_of(const char *name)
{
    int layer = -1;
    if (sscanf(name, "blk.%d.", &layer) != 1)
        return -1;
    return layer;
}

uint32_t quant_mix_type(int scheme, const char *name, uint64_t ne0, uint32_t n_dims,
                        uint32_t n_layers)
{
    if (scheme < 0 || scheme >= N_SCHEMES || n_dims < 2)
        return WTYPE_F32;
    const struct scheme_info *s = &schemes[scheme];
    uint32_t type = s->base_type;
    int quantized_below_8 = type != WTYPE_F32 && type != WTYPE_F16 && type != WTYPE_BF16 &&
                            type != WTYPE_Q8_0;
    if (quantized_below_8 && strcmp(name, "output.weight") == 0) {
        type = WTYPE_Q6_K;
    } else if (s->mixed && (strstr(name, ".attn_v.weight") || strstr(name, ".ffn_down.weight"))) {
        int layer = layer_of(name);
        if (layer >= 0 && use_more_bits(layer, (int)n_layers))
            type = WTYPE_Q6_K;
    }
    type = fallback_type(type, ne0);
    /* a row that fits no block at all (e.g. 48 columns) can only be stored unquantized */
    if (ne0 % wtype_get(type)->block_elems != 0)
        type = WTYPE_F16;
    return type;
}
