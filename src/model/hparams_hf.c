/* hparams_hf: hyper-parameters from a Hugging Face config.json and generation_config.json
 * (transformers' Qwen2Config / LlamaConfig field names and their documented defaults).
 * Reads only those two files; never looks at weights or tokenizer files. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "model/hparams.h"

#define CONFIG "config.json"

/* A present, non-null member; JSON null counts as absent, as transformers reads it. */
static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(v) ? NULL : v;
}

/* An integer in [lo, hi] exactly representable in a double. */
static bool json_int(const cJSON *v, double lo, double hi, int64_t *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

static axvk_status get_u32(const cJSON *obj, const char *key, bool required, uint32_t *out,
                           struct err *err)
{
    const cJSON *v = member(obj, key);
    int64_t i;
    if (!v)
        return required ? err_set(err, AXVK_ERR_BAD_MODEL, CONFIG ": missing %s", key) : AXVK_OK;
    if (!json_int(v, 0, UINT32_MAX, &i))
        return err_set(err, AXVK_ERR_BAD_MODEL, CONFIG ": %s is not an integer in [0, 2^32)",
                       key);
    *out = (uint32_t)i;
    return AXVK_OK;
}

static axvk_status get_f32(const cJSON *obj, const char *key, const char *file, bool required,
                           float *out, struct err *err)
{
    const cJSON *v = member(obj, key);
    if (!v)
        return required ? err_set(err, AXVK_ERR_BAD_MODEL, "%s: missing %s", file, key) : AXVK_OK;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 3.4e38)
        return err_set(err, AXVK_ERR_BAD_MODEL, "%s: %s is not a finite number", file, key);
    *out = (float)v->valuedouble;
    return AXVK_OK;
}

/* Token ids: a number or a list of numbers (eos_token_id of chat models). */
static axvk_status add_ids(struct model_hparams *hp, const cJSON *v, const char *file,
                           const char *key, int32_t *first, struct err *err)
{
    if (!v)
        return AXVK_OK;
    const cJSON *one = cJSON_IsArray(v) ? v->child : v;
    axvk_status s = AXVK_OK;
    for (; one && s == AXVK_OK; one = cJSON_IsArray(v) ? one->next : NULL) {
        int64_t id;
        if (!json_int(one, 0, INT32_MAX, &id))
            return err_set(err, AXVK_ERR_BAD_MODEL, "%s: %s is not a token id or a list of them",
                           file, key);
        if (first && *first < 0)
            *first = (int32_t)id;
        s = hparams_add_stop(hp, id, err);
    }
    return s;
}

static axvk_status read_arch(struct model_hparams *hp, const cJSON *c, struct err *err)
{
    const cJSON *type = member(c, "model_type");
    const cJSON *archs = member(c, "architectures");
    const char *name = cJSON_IsString(type) ? type->valuestring : NULL;
    if (!name && cJSON_IsArray(archs) && cJSON_IsString(archs->child))
        name = archs->child->valuestring;
    if (!name)
        return err_set(err, AXVK_ERR_BAD_MODEL, CONFIG ": missing model_type");
    /* Hugging Face rotates halves (rotate_half) for both: the NEOX pairing */
    hp->rope_style = ROPE_STYLE_NEOX;
    if (strcmp(name, "qwen2") == 0 || strcmp(name, "Qwen2ForCausalLM") == 0) {
        hp->arch = MODEL_ARCH_QWEN2;
        hp->qkv_bias = true;
    } else if (strcmp(name, "llama") == 0 || strcmp(name, "LlamaForCausalLM") == 0) {
        hp->arch = MODEL_ARCH_LLAMA;
        const cJSON *bias = member(c, "attention_bias");
        hp->qkv_bias = cJSON_IsTrue(bias);
        if (cJSON_IsTrue(member(c, "mlp_bias")))
            return err_set(err, AXVK_ERR_UNSUPPORTED, CONFIG ": mlp_bias not supported");
    } else {
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       CONFIG ": model type \"%.64s\" not supported (qwen2, llama)", name);
    }
    const cJSON *act = member(c, "hidden_act");
    if (act && (!cJSON_IsString(act) || strcmp(act->valuestring, "silu") != 0))
        return err_set(err, AXVK_ERR_UNSUPPORTED, CONFIG ": hidden_act %s not supported (silu)",
                       cJSON_IsString(act) ? act->valuestring : "?");
    if (cJSON_IsTrue(member(c, "use_sliding_window")))
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       CONFIG ": sliding-window attention not supported");
    return AXVK_OK;
}

static axvk_status read_rope_scaling(struct model_hparams *hp, const cJSON *c, struct err *err)
{
    const cJSON *rs = member(c, "rope_scaling");
    if (!rs)
        return AXVK_OK;
    if (!cJSON_IsObject(rs))
        return err_set(err, AXVK_ERR_BAD_MODEL, CONFIG ": rope_scaling is not an object");
    /* transformers renamed "type" to "rope_type"; both appear in published configs */
    const cJSON *type = member(rs, "rope_type");
    if (!type)
        type = member(rs, "type");
    if (!cJSON_IsString(type))
        return err_set(err, AXVK_ERR_BAD_MODEL, CONFIG ": rope_scaling has no rope_type");
    if (strcmp(type->valuestring, "default") == 0)
        return AXVK_OK;
    if (strcmp(type->valuestring, "yarn") != 0)
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       CONFIG ": rope scaling \"%.32s\" not supported (yarn)", type->valuestring);
    hp->rope_scaling.type = ROPE_SCALING_YARN;
    const char *file = CONFIG " rope_scaling";
    axvk_status s = get_f32(rs, "factor", file, true, &hp->rope_scaling.factor, err);
    if (s != AXVK_OK)
        return s;
    const cJSON *orig = member(rs, "original_max_position_embeddings");
    int64_t i;
    if (!orig || !json_int(orig, 1, UINT32_MAX, &i))
        return err_set(err, AXVK_ERR_BAD_MODEL,
                       "%s: original_max_position_embeddings missing or not a positive integer",
                       file);
    hp->rope_scaling.orig_ctx = (uint32_t)i;
    /* transformers' defaults for the optional YaRN fields */
    hp->rope_scaling.beta_fast = 32.0f;
    hp->rope_scaling.beta_slow = 1.0f;
    hp->rope_scaling.attn_factor = hparams_yarn_mscale(hp->rope_scaling.factor);
    s = get_f32(rs, "beta_fast", file, false, &hp->rope_scaling.beta_fast, err);
    if (s == AXVK_OK)
        s = get_f32(rs, "beta_slow", file, false, &hp->rope_scaling.beta_slow, err);
    if (s == AXVK_OK)
        s = get_f32(rs, "attention_factor", file, false, &hp->rope_scaling.attn_factor, err);
    return s;
}

static axvk_status read_sizes(struct model_hparams *hp, const cJSON *c, struct err *err)
{
    struct {
        const char *key;
        uint32_t *out;
    } req[] = {
        {"vocab_size", &hp->n_vocab},
        {"hidden_size", &hp->dim},
        {"num_hidden_layers", &hp->n_layers},
        {"num_attention_heads", &hp->n_head},
        {"intermediate_size", &hp->ffn_dim},
        {"max_position_embeddings", &hp->n_ctx_train},
    };
    axvk_status s = AXVK_OK;
    for (size_t i = 0; i < sizeof req / sizeof req[0] && s == AXVK_OK; i++)
        s = get_u32(c, req[i].key, true, req[i].out, err);
    if (s != AXVK_OK)
        return s;
    if (hp->n_head == 0)
        return err_set(err, AXVK_ERR_BAD_MODEL, CONFIG ": num_attention_heads is 0");
    /* transformers: num_key_value_heads absent means one per query head */
    hp->n_kv_head = hp->n_head;
    s = get_u32(c, "num_key_value_heads", false, &hp->n_kv_head, err);
    if (s != AXVK_OK)
        return s;
    if (member(c, "head_dim")) {
        s = get_u32(c, "head_dim", true, &hp->head_dim, err);
    } else if (hp->dim % hp->n_head) {
        return err_set(err, AXVK_ERR_BAD_MODEL,
                       CONFIG ": hidden_size %u not a multiple of num_attention_heads %u", hp->dim,
                       hp->n_head);
    } else {
        hp->head_dim = hp->dim / hp->n_head;
    }
    if (s == AXVK_OK)
        s = get_f32(c, "rms_norm_eps", CONFIG, true, &hp->rms_eps, err);
    if (s == AXVK_OK)
        s = get_f32(c, "rope_theta", CONFIG, true, &hp->rope_theta, err);
    return s;
}

static cJSON *parse_object(const char *text, const char *file, struct err *err)
{
    cJSON *root = cJSON_Parse(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        err_set(err, AXVK_ERR_BAD_FILE, "%s: not a JSON object", file);
        return NULL;
    }
    return root;
}

axvk_status hparams_from_hf_json(struct model_hparams *hp, const char *config,
                                 const char *generation, struct err *err)
{
    memset(hp, 0, sizeof *hp);
    hp->bos_id = -1;
    hp->eos_id = -1;
    cJSON *gen = NULL;
    cJSON *c = parse_object(config, CONFIG, err);
    if (!c)
        return AXVK_ERR_BAD_FILE;
    axvk_status s = read_arch(hp, c, err);
    if (s == AXVK_OK)
        s = read_sizes(hp, c, err);
    if (s == AXVK_OK)
        s = read_rope_scaling(hp, c, err);
    if (s != AXVK_OK)
        goto done;
    /* both classes default to separate embedding and output matrices */
    hp->tied_output = cJSON_IsTrue(member(c, "tie_word_embeddings"));
    const cJSON *bos = member(c, "bos_token_id");
    int64_t id;
    if (bos && !json_int(bos, 0, INT32_MAX, &id)) {
        s = err_set(err, AXVK_ERR_BAD_MODEL, CONFIG ": bos_token_id is not a token id");
        goto done;
    }
    hp->bos_id = bos ? (int32_t)id : -1;
    /* generation_config.json's eos ids are what generate() stops on; config.json's follow */
    if (generation) {
        gen = parse_object(generation, "generation_config.json", err);
        if (!gen) {
            s = AXVK_ERR_BAD_FILE;
            goto done;
        }
        s = add_ids(hp, member(gen, "eos_token_id"), "generation_config.json", "eos_token_id",
                    &hp->eos_id, err);
    }
    if (s == AXVK_OK)
        s = add_ids(hp, member(c, "eos_token_id"), CONFIG, "eos_token_id", &hp->eos_id, err);
    if (s == AXVK_OK)
        s = hparams_check(hp, err);
done:
    cJSON_Delete(gen);
    cJSON_Delete(c);
    return s;
}

axvk_status hparams_from_hf_dir(struct model_hparams *hp, const char *dir, struct err *err)
{
    char path[4096];
    char *config = NULL, *generation = NULL;
    snprintf(path, sizeof path, "%s/" CONFIG, dir);
    axvk_status s = file_read_all(path, &config, NULL, err);
    if (s != AXVK_OK)
        return s;
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    if (access(path, F_OK) == 0)
        s = file_read_all(path, &generation, NULL, err);
    if (s == AXVK_OK && (s = hparams_from_hf_json(hp, config, generation, err)) != AXVK_OK)
        err_wrap(err, "%s", dir);
    mem_free(generation);
    mem_free(config);
    return s;
}
