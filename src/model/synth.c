/* synth: random-weight GGUF writer. Rows are generated and quantized while the file is written
 * (gguf_writer_add_tensor_fn), so even a 72B preset needs only one chunk of memory at a time. */
#include "model/synth.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/gguf_write.h"
#include "model/quant_mix.h"
#include "ref/quant.h"
#include "text/bpe.h"

/* One tensor's recipe: what its rows hold and how large the values are. */
struct synth_tensor {
    char name[64];
    uint32_t type;
    uint64_t ne[2];
    uint32_t n_dims;
    uint64_t index; /* stream id for the random generator */
    float scale;    /* values are offset + scale * uniform */
    float offset;
    const struct synth_desc *desc;
    uint64_t *bytes_done;
    uint64_t bytes_total;
};

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Fills n_rows rows: generates each in f32 (counter-based, so any row can be made alone) and
 * encodes it in the tensor's type. */
static axvk_status fill_rows(void *user, uint8_t *dst, uint64_t first_row, uint64_t n_rows,
                             struct err *err)
{
    struct synth_tensor *t = user;
    uint64_t k = t->ne[0];
    uint64_t row_bytes = wtype_row_bytes(t->type, k);
    float *row = mem_calloc(k, sizeof *row);
    if (!row)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "synthetic row of %llu values",
                       (unsigned long long)k);
    for (uint64_t r = 0; r < n_rows; r++) {
        /* a cheap per-row stream: one hash per row, then xorshift within the row */
        uint64_t s = splitmix64(t->desc->seed ^ splitmix64(t->index * 0x100000001b3ull + first_row + r));
        for (uint64_t i = 0; i < k; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            float u = (float)(s >> 40) * (2.0f / 16777216.0f) - 1.0f;
            row[i] = t->offset + t->scale * u;
        }
        ref_quantize(dst + r * row_bytes, row, t->type, (size_t)k);
    }
    mem_free(row);
    *t->bytes_done += n_rows * row_bytes;
    if (t->desc->progress)
        t->desc->progress(t->desc->progress_user, *t->bytes_done, t->bytes_total);
    return AXVK_OK;
}

static void add_tensor(struct synth_tensor *out, size_t *n, const struct synth_desc *d,
                       const char *name, uint64_t ne0, uint64_t ne1, float scale, float offset)
{
    struct synth_tensor *t = &out[*n];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ne[0] = ne0;
    t->ne[1] = ne1;
    t->n_dims = ne1 > 1 ? 2 : 1;
    t->scale = scale;
    t->offset = offset;
    t->index = *n;
    t->desc = d;
    t->type = quant_mix_type(d->scheme, name, ne0, t->n_dims, d->shape.n_layers);
    (*n)++;
}

/* The tensor list of the Qwen2 architecture, in GGUF's names and llama.cpp's order. Matrices are
 * scaled by 1/sqrt(k) so activations stay near unit size through every layer. */
static size_t plan_tensors(struct synth_tensor *out, const struct synth_desc *d)
{
    const struct model_preset *p = &d->shape;
    uint64_t head_dim = p->dim / p->n_head, kv_dim = head_dim * p->n_kv_head;
    float inv_dim = 1.0f / sqrtf((float)p->dim), inv_ffn = 1.0f / sqrtf((float)p->ffn_dim);
    size_t n = 0;
    char name[64];
    add_tensor(out, &n, d, "token_embd.weight", p->dim, p->n_vocab, 1.0f, 0.0f);
    for (uint32_t l = 0; l < p->n_layers; l++) {
#define LAYER(suffix, d0, d1, sc, off)                                                            \
    snprintf(name, sizeof name, "blk.%u." suffix, l);                                             \
    add_tensor(out, &n, d, name, d0, d1, sc, off)
        LAYER("attn_norm.weight", p->dim, 1, 0.1f, 1.0f);
        LAYER("attn_q.weight", p->dim, p->dim, inv_dim, 0.0f);
        LAYER("attn_q.bias", p->dim, 1, 0.1f, 0.0f);
        LAYER("attn_k.weight", p->dim, kv_dim, inv_dim, 0.0f);
        LAYER("attn_k.bias", kv_dim, 1, 0.1f, 0.0f);
        LAYER("attn_v.weight", p->dim, kv_dim, inv_dim, 0.0f);
        LAYER("attn_v.bias", kv_dim, 1, 0.1f, 0.0f);
        LAYER("attn_output.weight", p->dim, p->dim, inv_dim, 0.0f);
        LAYER("ffn_norm.weight", p->dim, 1, 0.1f, 1.0f);
        LAYER("ffn_gate.weight", p->dim, p->ffn_dim, inv_dim, 0.0f);
        LAYER("ffn_up.weight", p->dim, p->ffn_dim, inv_dim, 0.0f);
        LAYER("ffn_down.weight", p->ffn_dim, p->dim, inv_ffn, 0.0f);
#undef LAYER
    }
    add_tensor(out, &n, d, "output_norm.weight", p->dim, 1, 0.1f, 1.0f);
    /* a larger output scale gives peaked distributions, so greedy tests have clear margins */
    if (!p->tied_output)
        add_tensor(out, &n, d, "output.weight", p->dim, p->n_vocab, 4.0f * inv_dim, 0.0f);
    return n;
}

/* Byte-level vocabulary: 3 chat specials, 256 byte symbols, unused fillers. */
struct byte_vocab {
    char **tokens;
    int32_t *types;
    uint32_t n;
};

static void byte_vocab_free(struct byte_vocab *v)
{
    if (v->tokens)
        for (uint32_t i = 0; i < v->n; i++)
            mem_free(v->tokens[i]);
    mem_free(v->tokens);
    mem_free(v->types);
}

int32_t synth_byte_token(uint32_t id, char *buf, uint32_t *len)
{
    static const char *const specials[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    const uint32_t n_special = 3;
    int32_t type = 5; /* unused */
    if (id < n_special) {
        snprintf(buf, SYNTH_TOKEN_MAX, "%s", specials[id]);
        type = 3; /* control */
    } else if (id < n_special + 256) {
        uint32_t cp = bpe_byte_to_cp((uint8_t)(id - n_special));
        /* the byte symbols are U+0021..U+0143: one or two UTF-8 bytes */
        if (cp < 0x80) {
            buf[0] = (char)cp;
            buf[1] = 0;
        } else {
            buf[0] = (char)(0xc0 | (cp >> 6));
            buf[1] = (char)(0x80 | (cp & 0x3f));
            buf[2] = 0;
        }
        type = 1;
    } else {
        snprintf(buf, SYNTH_TOKEN_MAX, "<|unused_%u|>", id);
    }
    *len = (uint32_t)strlen(buf);
    return type;
}

const char synth_chatml[] =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

static axvk_status byte_vocab_make(struct byte_vocab *v, uint32_t n_vocab, struct err *err)
{
    v->n = n_vocab;
    v->tokens = mem_calloc(n_vocab, sizeof *v->tokens);
    v->types = mem_calloc(n_vocab, sizeof *v->types);
    if (!v->tokens || !v->types)
        goto oom;
    for (uint32_t i = 0; i < n_vocab; i++) {
        char buf[SYNTH_TOKEN_MAX];
        uint32_t len;
        v->types[i] = synth_byte_token(i, buf, &len);
        v->tokens[i] = mem_strdup(buf);
        if (!v->tokens[i])
            goto oom;
    }
    return AXVK_OK;
oom:
    byte_vocab_free(v);
    return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "byte-level vocabulary of %u tokens", n_vocab);
}

static axvk_status write_hparams(struct gguf_writer *w, const struct synth_desc *d, struct err *err)
{
    const struct model_preset *p = &d->shape;
    axvk_status s;
    if ((s = gguf_writer_set_str(w, "general.architecture", "qwen2", err)) ||
        (s = gguf_writer_set_str(w, "general.name", p->label ? p->label : p->name, err)) ||
        (s = gguf_writer_set_u32(w, "general.file_type", quant_scheme_file_type(d->scheme), err)) ||
        (s = gguf_writer_set_u32(w, "general.quantization_version", 2, err)) ||
        (s = gguf_writer_set_u32(w, "qwen2.context_length", p->n_ctx, err)) ||
        (s = gguf_writer_set_u32(w, "qwen2.embedding_length", p->dim, err)) ||
        (s = gguf_writer_set_u32(w, "qwen2.block_count", p->n_layers, err)) ||
        (s = gguf_writer_set_u32(w, "qwen2.feed_forward_length", p->ffn_dim, err)) ||
        (s = gguf_writer_set_u32(w, "qwen2.attention.head_count", p->n_head, err)) ||
        (s = gguf_writer_set_u32(w, "qwen2.attention.head_count_kv", p->n_kv_head, err)) ||
        (s = gguf_writer_set_f32(w, "qwen2.rope.freq_base", p->rope_theta, err)) ||
        (s = gguf_writer_set_f32(w, "qwen2.attention.layer_norm_rms_epsilon", p->rms_eps, err)))
        return s;
    return AXVK_OK;
}

static axvk_status check_shape(const struct model_preset *p, struct err *err)
{
    if (!p->n_vocab || !p->dim || !p->n_layers || !p->n_head || !p->n_kv_head || !p->ffn_dim ||
        !p->n_ctx)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "synthetic model: every dimension must be > 0");
    if (p->dim % p->n_head || (p->dim / p->n_head) % 2 || p->n_head % p->n_kv_head)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "synthetic model: dim %u must split into %u heads of even size, "
                       "and heads %u into groups of kv heads %u",
                       p->dim, p->n_head, p->n_head, p->n_kv_head);
    if (p->n_vocab < 259 || p->n_layers > 512)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "synthetic model: vocabulary needs >= 259 tokens (has %u), layers <= 512",
                       p->n_vocab);
    return AXVK_OK;
}

axvk_status synth_write(const struct synth_desc *desc, const char *path, struct err *err)
{
    const struct model_preset *p = &desc->shape;
    struct gguf_writer *w = NULL;
    struct synth_tensor *tensors = NULL;
    struct byte_vocab bytes = {0};
    uint64_t bytes_done = 0, bytes_total = 0;
    axvk_status s = check_shape(p, err);
    if (s)
        return s;
    if (desc->vocab && desc->vocab->n_tokens != p->n_vocab)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "synthetic model: vocabulary has %u tokens, shape wants %u",
                       desc->vocab->n_tokens, p->n_vocab);
    tensors = mem_calloc(12 * (size_t)p->n_layers + 3, sizeof *tensors);
    if (!tensors)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "synthetic tensor table");
    if ((s = gguf_writer_create(&w, err)) || (s = write_hparams(w, desc, err)))
        goto done;
    if (desc->vocab) {
        s = vocab_gguf_write(w, desc->vocab, err);
    } else {
        if ((s = byte_vocab_make(&bytes, p->n_vocab, err)))
            goto done;
        struct vocab_gguf v = {.n_tokens = bytes.n, .tokens = (const char *const *)bytes.tokens,
                               .token_types = bytes.types, .pre = "gpt-2",
                               .eos_id = SYNTH_ID_IM_END, .bos_id = -1, .pad_id = -1,
                               .chat_template = synth_chatml};
        s = vocab_gguf_write(w, &v, err);
    }
    if (s)
        goto done;
    size_t n = plan_tensors(tensors, desc);
    for (size_t i = 0; i < n; i++)
        bytes_total += wtype_row_bytes(tensors[i].type, tensors[i].ne[0]) * tensors[i].ne[1];
    for (size_t i = 0; i < n && !s; i++) {
        tensors[i].bytes_done = &bytes_done;
        tensors[i].bytes_total = bytes_total;
        s = gguf_writer_add_tensor_fn(w, tensors[i].name, tensors[i].type, tensors[i].n_dims,
                                      tensors[i].ne, fill_rows, &tensors[i], err);
    }
    if (!s)
        s = gguf_writer_write_file(w, path, err);
done:
    gguf_writer_destroy(w);
    byte_vocab_free(&bytes);
    mem_free(tensors);
    return s;
}
