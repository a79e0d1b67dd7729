/* presets: the shapes of real A.X and Qwen2.5 models, for synthetic models (mkmodel, bench) and
 * memory planning. Numbers come from each model's published config.json. No weights here. */
#ifndef AXVK_MODEL_PRESETS_H
#define AXVK_MODEL_PRESETS_H

#include <stddef.h>
#include <stdint.h>

struct model_preset {
    const char *name;     /* "ax4-light" */
    const char *label;    /* general.name written into synthetic files */
    uint32_t n_vocab;
    uint32_t dim;         /* hidden size */
    uint32_t n_layers;
    uint32_t n_head;
    uint32_t n_kv_head;
    uint32_t ffn_dim;     /* intermediate size */
    uint32_t n_ctx;       /* trained context length */
    float rope_theta;
    float rms_eps;
    int tied_output;      /* lm_head shares token_embd */
};

/* NULL when unknown. */
const struct model_preset *preset_find(const char *name);
size_t preset_count(void);
const struct model_preset *preset_at(size_t i);

/* Parameters of one preset (weights only, biases and norms included), for sizing. */
uint64_t preset_n_params(const struct model_preset *p);

#endif
