/* tensors: GGUF-named lookup over GGUF or safetensors storage, with shape checks. */
#include "model/tensors.h"

#include <stdio.h>
#include <string.h>

/* GGUF suffix -> Hugging Face suffix inside a layer (transformers' Qwen2/Llama module names). */
static const struct {
    const char *gguf, *hf;
} layer_names[] = {
    {"attn_norm.weight", "input_layernorm.weight"},
    {"attn_q.weight", "self_attn.q_proj.weight"},
    {"attn_q.bias", "self_attn.q_proj.bias"},
    {"attn_k.weight", "self_attn.k_proj.weight"},
    {"attn_k.bias", "self_attn.k_proj.bias"},
    {"attn_v.weight", "self_attn.v_proj.weight"},
    {"attn_v.bias", "self_attn.v_proj.bias"},
    {"attn_output.weight", "self_attn.o_proj.weight"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"ffn_gate.weight", "mlp.gate_proj.weight"},
    {"ffn_up.weight", "mlp.up_proj.weight"},
    {"ffn_down.weight", "mlp.down_proj.weight"},
};

int tensors_hf_name(const char *gguf_name, char *out, size_t size)
{
    if (!strcmp(gguf_name, "token_embd.weight"))
        return snprintf(out, size, "model.embed_tokens.weight") < (int)size;
    if (!strcmp(gguf_name, "output_norm.weight"))
        return snprintf(out, size, "model.norm.weight") < (int)size;
    if (!strcmp(gguf_name, "output.weight"))
        return snprintf(out, size, "lm_head.weight") < (int)size;
    unsigned layer;
    int consumed = 0;
    if (sscanf(gguf_name, "blk.%u.%n", &layer, &consumed) != 1 || consumed == 0)
        return 0;
    const char *suffix = gguf_name + consumed;
    for (size_t i = 0; i < sizeof layer_names / sizeof layer_names[0]; i++)
        if (!strcmp(suffix, layer_names[i].gguf))
            return snprintf(out, size, "model.layers.%u.%s", layer, layer_names[i].hf) < (int)size;
    return 0;
}

axvk_status tensors_find(const struct tensor_source *src, const char *gguf_name, int required,
                         struct tensor_view *view, struct err *err)
{
    memset(view, 0, sizeof *view);
    if (src->gguf) {
        const struct gguf_tensor *t = gguf_find_tensor(src->gguf, gguf_name);
        if (t) {
            *view = (struct tensor_view){t->name, t->type, t->n_dims,
                                         {t->ne[0], t->ne[1], t->ne[2], t->ne[3]}, t->size, t->data};
            return AXVK_OK;
        }
    } else {
        char hf[160];
        const struct st_tensor *t = tensors_hf_name(gguf_name, hf, sizeof hf) ? st_find(src->st, hf)
                                                                               : NULL;
        if (t) {
            *view = (struct tensor_view){t->name, t->type, t->n_dims,
                                         {t->ne[0], t->ne[1], t->ne[2], t->ne[3]}, t->size, t->data};
            return AXVK_OK;
        }
    }
    if (!required)
        return AXVK_OK;
    return err_set(err, AXVK_ERR_BAD_MODEL, "tensor %s is missing", gguf_name);
}

axvk_status tensors_check_shape(const struct tensor_view *v, uint64_t ne0, uint64_t ne1,
                                struct err *err)
{
    uint32_t want_dims = ne1 ? 2 : 1;
    uint64_t rows = 1;
    for (uint32_t d = 1; d < 4; d++)
        rows *= v->ne[d] ? v->ne[d] : 1;
    int ok = v->ne[0] == ne0 && rows == (ne1 ? ne1 : 1) && v->n_dims >= 1 &&
             (v->n_dims == want_dims || (v->n_dims > want_dims && v->ne[2] == 1 && v->ne[3] == 1));
    if (ok)
        return AXVK_OK;
    if (ne1)
        return err_set(err, AXVK_ERR_BAD_MODEL,
                       "tensor %s: shape [%llu, %llu] (%u dims), expected [%llu, %llu] from the "
                       "hyper-parameters", v->name, (unsigned long long)v->ne[0],
                       (unsigned long long)v->ne[1], v->n_dims, (unsigned long long)ne0,
                       (unsigned long long)ne1);
    return err_set(err, AXVK_ERR_BAD_MODEL,
                   "tensor %s: shape [%llu] x %llu rows, expected [%llu] from the hyper-parameters",
                   v->name, (unsigned long long)v->ne[0], (unsigned long long)rows,
                   (unsigned long long)ne0);
}
