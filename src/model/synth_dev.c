/* synth_dev: synthetic models made directly on the device — a preset's real shapes, each matrix
 * in the type llama.cpp's quantizer would give it, bytes written by the synth_fill kernel, so a
 * 72B model is ready in the time it takes to allocate it. No file, no host-side quantization.
 * Owns the shape-to-tensor plan and the fill order; the kernels own the random bytes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "kernels/rope.h"
#include "kernels/synth_fill.h"
#include "model/model.h"
#include "model/presets.h"
#include "model/quant_mix.h"
#include "model/synth.h"

/* One matrix of the graph: its GGUF name (quant_mix decides by name), shape and value size. */
struct synth_mat {
    char name[48];
    struct dev_mat *mat;
    uint32_t rows, k;
    uint32_t type;
    float rms;      /* of the decoded values: (1/sqrt(k)) / sqrt(3), as the file writer's */
};

/* One vector: norms are exactly 1, biases small random values. */
struct synth_vec {
    struct dev_vec *vec;
    uint32_t n;
    int is_norm;
};

/* Matrices per layer, and vectors per layer (two norms and three biases). */
#define LAYER_MATS 7
#define LAYER_VECS 5

static void hparams_from_preset(struct model_hparams *hp, const struct model_preset *p)
{
    memset(hp, 0, sizeof *hp);
    hp->arch = MODEL_ARCH_QWEN2;
    hp->n_vocab = p->n_vocab;
    hp->dim = p->dim;
    hp->n_layers = p->n_layers;
    hp->n_head = p->n_head;
    hp->n_kv_head = p->n_kv_head;
    hp->head_dim = p->n_head ? p->dim / p->n_head : 0;
    hp->ffn_dim = p->ffn_dim;
    hp->rms_eps = p->rms_eps;
    hp->rope_theta = p->rope_theta;
    hp->rope_style = ROPE_STYLE_NEOX;
    hp->n_ctx_train = p->n_ctx;
    hp->qkv_bias = true;
    hp->tied_output = p->tied_output != 0;
    hp->bos_id = -1;
    hp->eos_id = SYNTH_ID_IM_END;
    hp->n_stop = 2;
    hp->stop_ids[0] = SYNTH_ID_IM_END;
    hp->stop_ids[1] = SYNTH_ID_ENDOFTEXT;
}

static void add_mat(struct synth_mat *list, size_t *n, const char *name, struct dev_mat *mat,
                    uint32_t rows, uint32_t k, float amp, int scheme, uint32_t n_layers)
{
    struct synth_mat *s = &list[(*n)++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->mat = mat;
    s->rows = rows;
    s->k = k;
    s->rms = amp / sqrtf(3.0f);
    s->type = quant_mix_type(scheme, name, k, 2, n_layers);
}

/* Every matrix in GGUF order; m may be a shell whose layers only give addresses. Scales follow
 * the file writer (model/synth.c): rows of 1/sqrt(k) keep activations near unit size, the
 * embedding is O(1), the output 4x larger for peaked distributions. */
static size_t plan_mats(struct synth_mat *list, struct model *m, int scheme)
{
    const struct model_hparams *hp = &m->hp;
    uint32_t q_dim = hp->n_head * hp->head_dim, kv_dim = hp->n_kv_head * hp->head_dim;
    float in_dim = 1.0f / sqrtf((float)hp->dim), in_ffn = 1.0f / sqrtf((float)hp->ffn_dim);
    size_t n = 0;
    char name[48];
    add_mat(list, &n, "token_embd.weight", &m->token_embd, hp->n_vocab, hp->dim, 1.0f, scheme,
            hp->n_layers);
    for (uint32_t l = 0; l < hp->n_layers; l++) {
        struct model_layer *L = &m->layers[l];
#define MAT(suffix, field, rows, k, amp)                                                          \
    snprintf(name, sizeof name, "blk.%u." suffix, l);                                             \
    add_mat(list, &n, name, &L->field, rows, k, amp, scheme, hp->n_layers)
        MAT("attn_q.weight", wq, q_dim, hp->dim, in_dim);
        MAT("attn_k.weight", wk, kv_dim, hp->dim, in_dim);
        MAT("attn_v.weight", wv, kv_dim, hp->dim, in_dim);
        MAT("attn_output.weight", wo, hp->dim, q_dim, 1.0f / sqrtf((float)q_dim));
        MAT("ffn_gate.weight", w_gate, hp->ffn_dim, hp->dim, in_dim);
        MAT("ffn_up.weight", w_up, hp->ffn_dim, hp->dim, in_dim);
        MAT("ffn_down.weight", w_down, hp->dim, hp->ffn_dim, in_ffn);
#undef MAT
    }
    if (!hp->tied_output)
        add_mat(list, &n, "output.weight", &m->output, hp->n_vocab, hp->dim, 4.0f * in_dim, scheme,
                hp->n_layers);
    return n;
}

/* Vectors of layer l (and, for l == n_layers, the output norm). */
static size_t plan_vecs(struct synth_vec *v, struct model *m, uint32_t l)
{
    const struct model_hparams *hp = &m->hp;
    if (l == hp->n_layers) {
        v[0] = (struct synth_vec){&m->output_norm, hp->dim, 1};
        return 1;
    }
    struct model_layer *L = &m->layers[l];
    uint32_t q_dim = hp->n_head * hp->head_dim, kv_dim = hp->n_kv_head * hp->head_dim;
    v[0] = (struct synth_vec){&L->attn_norm, hp->dim, 1};
    v[1] = (struct synth_vec){&L->ffn_norm, hp->dim, 1};
    v[2] = (struct synth_vec){&L->bq, q_dim, 0};
    v[3] = (struct synth_vec){&L->bk, kv_dim, 0};
    v[4] = (struct synth_vec){&L->bv, kv_dim, 0};
    return LAYER_VECS;
}

static axvk_status check_shape(const struct model_preset *p, struct err *err)
{
    if (!p->n_head || !p->n_kv_head || p->dim % p->n_head || p->n_head % p->n_kv_head)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "synthetic %s: dim %u must split into %u heads, and the heads into groups "
                       "of %u KV heads", p->name, p->dim, p->n_head, p->n_kv_head);
    if (p->n_vocab < 3 + 256)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "synthetic %s: a byte-level vocabulary needs 259 ids, the shape has %u",
                       p->name, p->n_vocab);
    struct model_hparams hp;
    hparams_from_preset(&hp, p);
    return hparams_check(&hp, err);
}

/* Weight bytes of the plan (matrices in their types, vectors f32) and the dominant type. */
static axvk_status weight_bytes(const struct model_preset *p, int scheme, uint64_t *bytes,
                                uint32_t *main_type, uint64_t *n_params, struct err *err)
{
    struct model shell = {0};
    hparams_from_preset(&shell.hp, p);
    size_t cap = LAYER_MATS * (size_t)p->n_layers + 2;
    struct synth_mat *list = mem_calloc(cap, sizeof *list);
    shell.layers = mem_calloc(p->n_layers, sizeof *shell.layers);
    uint64_t by_type[WTYPE_COUNT] = {0};
    axvk_status s = AXVK_OK;
    if (!list || !shell.layers) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "plan of %u layers", p->n_layers);
        goto done;
    }
    size_t n = plan_mats(list, &shell, scheme);
    uint64_t total = 0, params = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = wtype_row_bytes(list[i].type, list[i].k) * list[i].rows;
        total += b;
        by_type[list[i].type] += b;
        params += (uint64_t)list[i].rows * list[i].k;
    }
    uint64_t q_dim = (uint64_t)shell.hp.n_head * shell.hp.head_dim;
    uint64_t kv_dim = (uint64_t)shell.hp.n_kv_head * shell.hp.head_dim;
    total += 4 * ((2 * (uint64_t)p->dim + q_dim + 2 * kv_dim) * p->n_layers + p->dim);
    *bytes = total;
    if (n_params)
        *n_params = params;
    if (main_type) {
        *main_type = WTYPE_F32;
        for (uint32_t t = 0; t < WTYPE_COUNT; t++)
            if (by_type[t] > by_type[*main_type])
                *main_type = t;
    }
done:
    mem_free(list);
    mem_free(shell.layers);
    return s;
}

static double gib(uint64_t b)
{
    return (double)b / (1024.0 * 1024.0 * 1024.0);
}

axvk_status model_plan_synthetic(const struct model_preset *p, int scheme,
                                 const struct model_opts *opts, uint32_t n_batch,
                                 const struct vkdev_info *info, struct model_plan *plan,
                                 struct err *err)
{
    memset(plan, 0, sizeof *plan);
    axvk_status s = check_shape(p, err);
    if (s || (s = weight_bytes(p, scheme, &plan->weights, NULL, NULL, err)))
        return s;
    struct model_hparams hp;
    hparams_from_preset(&hp, p);
    uint32_t n_ctx = opts->n_ctx ? opts->n_ctx : (p->n_ctx < 4096 ? p->n_ctx : 4096);
    uint32_t n_seq = opts->n_seq ? opts->n_seq : 1;
    plan->kv = model_kv_bytes(&hp, opts->kv_type, n_ctx, n_seq);
    plan->scratch = model_scratch_bytes(&hp, n_batch ? n_batch : 512, n_seq, opts->numerics);
    plan->need = plan->weights + plan->kv + plan->scratch;
    if (info)
        plan->avail = info->plan_bytes;
    return AXVK_OK;
}

axvk_status model_synthetic_spec(const char *spec, const struct model_preset **preset,
                                 int *scheme, struct err *err)
{
    char name[64];
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len >= sizeof name)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "synthetic model \"%s\": expected PRESET[:TYPE], e.g. ax4-light:q4_k_m",
                       spec);
    memcpy(name, spec, len);
    name[len] = '\0';
    *preset = preset_find(name);
    if (!*preset) {
        char known[512] = "";
        for (size_t i = 0, used = 0; i < preset_count() && used < sizeof known; i++) {
            int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                             preset_at(i)->name);
            used += w > 0 ? (size_t)w : 0;
        }
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "unknown preset \"%s\" (known: %s)", name,
                       known);
    }
    *scheme = quant_scheme_from_name(colon ? colon + 1 : "q4_k_m");
    if (*scheme < 0)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "synthetic model \"%s\": unknown weight type \"%s\"", spec, colon + 1);
    return AXVK_OK;
}

/* The byte-level vocabulary of synth_byte_token. Token texts live in one arena: a 152k-token
 * vocabulary is a few MiB. */
static axvk_status make_tokenizer(struct model *m, struct err *err)
{
    uint32_t n = m->hp.n_vocab;
    const char **text = mem_calloc(n, sizeof *text);
    uint32_t *lens = mem_calloc(n, sizeof *lens);
    int32_t *types = mem_calloc(n, sizeof *types);
    char *arena = mem_alloc((size_t)n * SYNTH_TOKEN_MAX);
    axvk_status s = AXVK_OK;
    if (!text || !lens || !types || !arena) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "byte-level vocabulary of %u tokens", n);
        goto done;
    }
    char *at = arena;
    for (uint32_t i = 0; i < n; i++) {
        types[i] = synth_byte_token(i, at, &lens[i]);
        text[i] = at;
        at += lens[i];
    }
    struct tokenizer_desc d = {.n_tokens = n, .tokens = text, .token_lens = lens,
                               .token_types = types, .pre = "gpt-2", .eog_ids = m->hp.stop_ids,
                               .n_eog_ids = m->hp.n_stop};
    s = tokenizer_create(&m->tok, &d, err);
done:
    mem_free(text);
    mem_free(lens);
    mem_free(types);
    mem_free(arena);
    return s;
}

/* Allocates matrices list[first, first + n) and records their filling on rec; a matrix's
 * random stream is its index in the plan (and the part). */
static axvk_status fill_mats(struct vkdev *dev, struct vkrec *rec, struct synth_mat *list,
                             size_t first, size_t n, uint64_t seed, uint64_t *done,
                             struct err *err)
{
    for (size_t i = first; i < first + n; i++) {
        struct synth_mat *s = &list[i];
        uint64_t row = wtype_row_bytes(s->type, s->k);
        axvk_status st = vkmem_alloc_split(dev, row * s->rows, row, s->name, &s->mat->w, err);
        if (st)
            return st;
        s->mat->type = s->type;
        s->mat->rows = s->rows;
        s->mat->k = s->k;
        for (uint32_t p = 0; p < s->mat->w.n; p++) {
            struct kern_synth f = {.wtype = s->type, .rms = s->rms, .seed = seed,
                                   .stream = ((uint64_t)(i + 1) << 8) | p};
            if ((st = kern_synth_fill(rec, &s->mat->w.parts[p], s->mat->w.parts[p].size, &f))) {
                *err = *vkrec_err(rec);
                return st;
            }
        }
        *done += row * s->rows;
    }
    return AXVK_OK;
}

/* Allocates vectors and records their filling: norms 1, biases uniform of RMS 0.058 (the file
 * writer's 0.1-wide uniform). */
static axvk_status fill_vecs(struct vkdev *dev, struct vkrec *rec, struct synth_vec *v, size_t n,
                             uint64_t seed, uint64_t stream, uint64_t *done, struct err *err)
{
    for (size_t i = 0; i < n; i++) {
        axvk_status st = vkmem_alloc(dev, 4ull * v[i].n, v[i].is_norm ? "norm" : "bias",
                                     &v[i].vec->buf, err);
        if (st)
            return st;
        v[i].vec->n = v[i].n;
        if (v[i].is_norm) {
            st = vkrec_fill(rec, &v[i].vec->buf, 0x3f800000u); /* 1.0f */
        } else {
            struct kern_synth f = {.wtype = WTYPE_F32, .rms = 0.0577f, .seed = seed,
                                   .stream = stream + i};
            st = kern_synth_fill(rec, &v[i].vec->buf, 4ull * v[i].n, &f);
        }
        if (st) {
            *err = *vkrec_err(rec);
            return st;
        }
        *done += 4ull * v[i].n;
    }
    return AXVK_OK;
}

/* Allocates every tensor and writes it, one submission per layer (progress between them). */
static axvk_status make_weights(struct model *m, int scheme, uint64_t seed,
                                const struct model_opts *o, struct err *err)
{
    const struct model_hparams *hp = &m->hp;
    size_t cap = LAYER_MATS * (size_t)hp->n_layers + 2;
    struct synth_mat *list = mem_calloc(cap, sizeof *list);
    struct vkrec *rec = NULL;
    struct vkrec_desc rd = {.max_dispatches = 64};
    axvk_status s = AXVK_OK;
    if (!list)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor plan of %u layers", hp->n_layers);
    size_t n = plan_mats(list, m, scheme);
    uint64_t done = 0;
    if ((s = vkrec_create(m->dev, &rd, &rec, err)))
        goto done;
    /* step 0: embedding (and output); steps 1..n_layers: a layer; the last: the output norm */
    for (uint32_t step = 0; step <= hp->n_layers + 1 && !s; step++) {
        struct synth_vec vecs[LAYER_VECS];
        size_t first = step == 0 ? 0 : 1 + LAYER_MATS * (size_t)(step - 1);
        size_t n_mats = step == 0 ? 1 : step <= hp->n_layers ? LAYER_MATS : 0;
        size_t n_vecs = step == 0 ? 0 : plan_vecs(vecs, m, step - 1);
        if ((s = vkrec_begin(rec))) {
            *err = *vkrec_err(rec);
            break;
        }
        if (step == 0 && !hp->tied_output)
            s = fill_mats(m->dev, rec, list, n - 1, 1, seed, &done, err);
        if (!s)
            s = fill_mats(m->dev, rec, list, first, n_mats, seed, &done, err);
        if (!s)
            s = fill_vecs(m->dev, rec, vecs, n_vecs, seed, (uint64_t)(step + 1) << 40, &done, err);
        if (!s && (s = vkrec_run(rec)))
            *err = *vkrec_err(rec);
        if (!s && o->progress)
            o->progress(o->progress_user, done, m->weight_bytes);
    }
    if (hp->tied_output) {
        m->output = m->token_embd; /* handles only: freed once, through token_embd */
        m->output_tied = 1;
    }
done:
    vkrec_destroy(rec);
    mem_free(list);
    return s;
}

/* The rotary table of a plain (unscaled) NeoX rope, as model loading makes it. */
static axvk_status make_rope(struct model *m, struct err *err)
{
    memset(&m->rope, 0, sizeof m->rope);
    m->rope.style = KERN_ROPE_NEOX;
    m->rope.n_rot = m->hp.head_dim;
    m->rope.theta_base = m->hp.rope_theta;
    m->rope.freq_scale = 1.0f;
    m->rope.attn_factor = 1.0f;
    axvk_status s = kern_rope_check(&m->rope, m->hp.head_dim, err);
    if (s)
        return s;
    uint64_t bytes = kern_rope_table_bytes(&m->rope);
    uint32_t *tab = mem_alloc(bytes);
    if (!tab)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "rope table");
    kern_rope_table(tab, &m->rope);
    s = vkmem_alloc(m->dev, bytes, "rope table", &m->rope_tab, err);
    if (!s)
        s = vkmem_upload(m->dev, &m->rope_tab, 0, tab, bytes, NULL, NULL, err);
    mem_free(tab);
    if (!s)
        s = vkmem_flush(m->dev, err);
    return s;
}

axvk_status model_create_synthetic(struct model **out, struct vkdev *dev,
                                   const struct model_preset *p, uint64_t seed,
                                   const struct model_opts *opts, struct err *err)
{
    struct model_opts o = *opts;
    int scheme = o.quant_scheme >= 0 ? o.quant_scheme : QUANT_F16;
    struct model_plan plan;
    *out = NULL;
    if (!dev)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "a synthetic model needs a device");
    if (!o.n_ctx)
        o.n_ctx = p->n_ctx < 4096 ? p->n_ctx : 4096;
    if (!o.n_seq)
        o.n_seq = 1;
    axvk_status s = model_plan_synthetic(p, scheme, &o, 512, &dev->info, &plan, err);
    if (s)
        return s;
    if (plan.need > plan.avail)
        return err_set(err, AXVK_ERR_OUT_OF_DEVICE_MEMORY,
                       "synthetic %s:%s needs %.2f GiB (weights %.2f, KV cache %.2f for -c %u x "
                       "%u sequences, scratch %.2f) but %s has %.2f GiB", p->name,
                       quant_scheme_name(scheme), gib(plan.need), gib(plan.weights), gib(plan.kv),
                       o.n_ctx, o.n_seq, gib(plan.scratch), dev->info.name, gib(plan.avail));
    struct model *m = mem_calloc(1, sizeof *m);
    if (!m)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "model");
    m->dev = dev;
    m->numerics = o.numerics;
    hparams_from_preset(&m->hp, p);
    snprintf(m->name, sizeof m->name, "%s", p->label ? p->label : p->name);
    m->plan_ctx = o.n_ctx;
    m->plan_seq = o.n_seq;
    m->kv_type = o.kv_type;
    m->layers = mem_calloc(p->n_layers, sizeof *m->layers);
    if (!m->layers)
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%u layers", p->n_layers);
    if (!s)
        s = weight_bytes(p, scheme, &m->weight_bytes, &m->main_type, &m->n_params, err);
    if (!s)
        s = make_weights(m, scheme, seed, &o, err);
    if (!s)
        s = make_rope(m, err);
    if (!s)
        s = make_tokenizer(m, err);
    const char *tmpl = o.chat_template ? o.chat_template : synth_chatml;
    if (!s && !(m->chat_template = mem_strdup(tmpl)))
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "chat template");
    if (!s) {
        struct err terr = {0};
        if (chat_template_parse(&m->tmpl, m->chat_template, strlen(m->chat_template), &terr))
            snprintf(m->tmpl_error, sizeof m->tmpl_error, "chat template: %.480s", terr.msg);
    }
    if (s) {
        err_wrap(err, "synthetic %s:%s", p->name, quant_scheme_name(scheme));
        model_destroy(m);
        return s;
    }
    *out = m;
    return AXVK_OK;
}
