/* presets: table of real model shapes (A.X 4.0 Light/72B, Qwen2.5 0.5B-72B) and a tiny one. */
#include "model/presets.h"

#include <string.h>

/* name, label, vocab, dim, layers, heads, kv heads, ffn, ctx, theta, eps, tied */
static const struct model_preset presets[] = {
    {"ax4-light", "A.X 4.0 Light (synthetic)", 102400, 3584, 28, 28, 4, 18944, 16384, 1e6f, 1e-5f, 0},
    {"ax4", "A.X 4.0 (synthetic)", 102400, 8192, 80, 64, 8, 29568, 131072, 1e6f, 1e-6f, 0},
    {"qwen2.5-0.5b", "Qwen2.5 0.5B (synthetic)", 151936, 896, 24, 14, 2, 4864, 32768, 1e6f, 1e-6f, 1},
    {"qwen2.5-1.5b", "Qwen2.5 1.5B (synthetic)", 151936, 1536, 28, 12, 2, 8960, 32768, 1e6f, 1e-6f, 1},
    {"qwen2.5-3b", "Qwen2.5 3B (synthetic)", 151936, 2048, 36, 16, 2, 11008, 32768, 1e6f, 1e-6f, 1},
    {"qwen2.5-7b", "Qwen2.5 7B (synthetic)", 152064, 3584, 28, 28, 4, 18944, 32768, 1e6f, 1e-6f, 0},
    {"qwen2.5-14b", "Qwen2.5 14B (synthetic)", 152064, 5120, 48, 40, 8, 13824, 32768, 1e6f, 1e-5f, 0},
    {"qwen2.5-32b", "Qwen2.5 32B (synthetic)", 152064, 5120, 64, 40, 8, 27648, 32768, 1e6f, 1e-5f, 0},
    {"qwen2.5-72b", "Qwen2.5 72B (synthetic)", 152064, 8192, 80, 64, 8, 29568, 32768, 1e6f, 1e-6f, 0},
    /* tests and quick benchmark runs on CPU devices: every dimension a multiple of 32 */
    {"tiny", "tiny (synthetic)", 512, 128, 2, 4, 2, 256, 2048, 1e6f, 1e-6f, 0},
};

const struct model_preset *preset_find(const char *name)
{
    for (size_t i = 0; i < preset_count(); i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

size_t preset_count(void)
{
    return sizeof presets / sizeof presets[0];
}

const struct model_preset *preset_at(size_t i)
{
    return i < preset_count() ? &presets[i] : NULL;
}

uint64_t preset_n_params(const struct model_preset *p)
{
    uint64_t dim = p->dim, head_dim = p->dim / p->n_head;
    uint64_t kv_dim = head_dim * p->n_kv_head;
    uint64_t attn = dim * dim * 2 + dim * kv_dim * 2 + dim + 2 * kv_dim; /* q, o, k, v + biases */
    uint64_t ffn = 3 * dim * (uint64_t)p->ffn_dim;
    uint64_t layer = attn + ffn + 2 * dim; /* two norms */
    uint64_t embd = (uint64_t)p->n_vocab * dim;
    return embd * (p->tied_output ? 1 : 2) + layer * p->n_layers + dim;
}
