/* vocab_gguf: tokenizer vocabularies to and from the GGUF tokenizer.ggml.* form (export and write
 * side; reading GGUF arrays back into a tokenizer is model_load's). No weights, no device. */
#include "model/vocab_gguf.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "text/chat_template.h"

axvk_status vocab_gguf_write(struct gguf_writer *w, const struct vocab_gguf *v, struct err *err)
{
    axvk_status s;
    if ((s = gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2", err)) ||
        (s = gguf_writer_set_str(w, "tokenizer.ggml.pre", v->pre ? v->pre : "gpt-2", err)) ||
        (s = gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", v->tokens, v->token_lens,
                                     v->n_tokens, err)) ||
        (s = gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_I32, v->token_types,
                                 v->n_tokens, err)) ||
        (s = gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", v->merges, v->merge_lens,
                                     v->n_merges, err)) ||
        (s = gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eos_id, err)))
        return s;
    if (v->bos_id >= 0 &&
        (s = gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)v->bos_id, err)))
        return s;
    if (v->pad_id >= 0 &&
        (s = gguf_writer_set_u32(w, "tokenizer.ggml.padding_token_id", (uint32_t)v->pad_id, err)))
        return s;
    if ((s = gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", false, err)))
        return s;
    if (v->chat_template &&
        (s = gguf_writer_set_str(w, "tokenizer.chat_template", v->chat_template, err)))
        return s;
    return AXVK_OK;
}

void vocab_gguf_export_free(struct vocab_gguf_export *e)
{
    for (uint32_t i = 0; e->tokens && i < e->n_tok; i++)
        mem_free(e->tokens[i]);
    for (uint32_t i = 0; e->merges && i < e->n_merge; i++)
        mem_free(e->merges[i]);
    mem_free(e->tokens);
    mem_free(e->token_lens);
    mem_free(e->types);
    mem_free(e->merges);
    mem_free(e->merge_lens);
    memset(e, 0, sizeof *e);
}

static char *token_copy(const struct tokenizer *tok, int32_t id, uint64_t *len)
{
    const char *p;
    size_t n;
    if (!tokenizer_token_text(tok, id, &p, &n))
        return NULL;
    *len = n;
    return mem_strndup(p, n);
}

/* Merge i as GGUF writes it: the two token texts joined by one space. */
static char *merge_text(const struct tokenizer *tok, uint32_t i, uint64_t *len)
{
    int32_t l, r;
    uint64_t ll = 0, rl = 0;
    char *ls = NULL, *rs = NULL, *out = NULL;
    if (tokenizer_merge(tok, i, &l, &r)) {
        ls = token_copy(tok, l, &ll);
        rs = token_copy(tok, r, &rl);
    }
    if (ls && rs && (out = mem_alloc(ll + rl + 2))) {
        memcpy(out, ls, ll);
        out[ll] = ' ';
        memcpy(out + ll + 1, rs, rl);
        out[ll + rl + 1] = '\0';
        *len = ll + rl + 1;
    }
    mem_free(ls);
    mem_free(rs);
    return out;
}

axvk_status vocab_gguf_export(struct vocab_gguf_export *e, struct tokenizer *tok, uint32_t n_vocab,
                              struct err *err)
{
    uint32_t n_merge = tokenizer_n_merges(tok);
    e->n_tok = n_vocab;
    e->n_merge = n_merge;
    e->tokens = mem_calloc(n_vocab, sizeof *e->tokens);
    e->token_lens = mem_calloc(n_vocab, sizeof *e->token_lens);
    e->types = mem_calloc(n_vocab, sizeof *e->types);
    e->merges = mem_calloc(n_merge, sizeof *e->merges);
    e->merge_lens = mem_calloc(n_merge, sizeof *e->merge_lens);
    if (!e->tokens || !e->token_lens || !e->types || !e->merges || !e->merge_lens)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "vocabulary of %u tokens", n_vocab);
    for (uint32_t i = 0; i < n_vocab; i++) {
        int32_t type = tokenizer_token_type(tok, (int32_t)i);
        char pad[32];
        e->tokens[i] = token_copy(tok, (int32_t)i, &e->token_lens[i]);
        if (!e->tokens[i]) { /* past the tokenizer, or an id it leaves empty */
            snprintf(pad, sizeof pad, "<|unused_%u|>", i);
            e->tokens[i] = mem_strdup(pad);
            e->token_lens[i] = strlen(pad);
            type = TOKEN_TYPE_UNUSED;
        }
        if (!e->tokens[i])
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "vocabulary");
        e->types[i] = type == TOKEN_TYPE_UNDEFINED ? TOKEN_TYPE_NORMAL : type;
    }
    for (uint32_t i = 0; i < n_merge; i++)
        if (!(e->merges[i] = merge_text(tok, i, &e->merge_lens[i])))
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "merge %u", i);
    int32_t eos = tokenizer_eos(tok);
    int32_t im_end = tokenizer_find_token(tok, "<|im_end|>");
    e->v = (struct vocab_gguf){
        .n_tokens = n_vocab, .tokens = (const char *const *)e->tokens, .token_lens = e->token_lens,
        .token_types = e->types, .n_merges = n_merge, .merges = (const char *const *)e->merges,
        .merge_lens = e->merge_lens, .pre = vocab_gguf_pre_name(tok),
        .eos_id = im_end >= 0 ? im_end : (eos >= 0 ? eos : 0), .bos_id = -1,
        .pad_id = tokenizer_find_token(tok, "<|pad|>")};
    return AXVK_OK;
}

/* Vocabularies recognised by the ids they give FINGERPRINT_TEXT: FNV-1a over the ids' little-
 * endian bytes. The text mixes what tokenizers split differently: contractions, digit runs,
 * Hangul next to Latin, code, runs of spaces and newlines. */
#define FINGERPRINT_TEXT                                                                          \
    "Hello world! I'm here, we've 3 cats and 12345 dogs.\n\n  \t 한국어 문장과 English가 섞인 "  \
    "텍스트입니다.\nint main() { return 0x1F; }  // 🙂 ÀÉÎ  \r\n   end"

static const struct {
    uint64_t hash;
    const char *pre;
} known_vocab[] = {
    /* SK Telecom A.X 4.0 and A.X 4.0 Light (vocab.json of 102,400 ids, GPT-2 split regex) */
    {0x2683bf76ea947c24ull, "a.x-4.0"},
};

const char *vocab_gguf_pre_name(struct tokenizer *tok)
{
    struct tokenizer_ids ids = {0};
    struct err err = {0};
    const char *name = tokenizer_pre_name(tok);
    if (tokenizer_encode(tok, FINGERPRINT_TEXT, sizeof FINGERPRINT_TEXT - 1, 0, &ids, &err))
        goto done; /* out of memory: the regex's name is still right for this tokenizer */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < ids.n; i++)
        for (int b = 0; b < 4; b++) {
            h ^= ((uint32_t)ids.ids[i] >> (8 * b)) & 0xffu;
            h *= 0x100000001b3ull;
        }
    for (size_t i = 0; i < sizeof known_vocab / sizeof known_vocab[0]; i++)
        if (known_vocab[i].hash == h)
            name = known_vocab[i].pre;
done:
    tokenizer_ids_free(&ids);
    return name;
}

axvk_status vocab_gguf_dir_template(const char *dir, char **out, struct err *err)
{
    char path[4096], *text = NULL;
    *out = NULL;
    snprintf(path, sizeof path, "%s/chat_template.jinja", dir);
    if (file_read_all(path, &text, NULL, NULL) == AXVK_OK) {
        *out = text;
        return AXVK_OK;
    }
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (file_read_all(path, &text, NULL, NULL) != AXVK_OK)
        return AXVK_OK; /* no tokenizer_config.json: no template */
    cJSON *json = cJSON_Parse(text);
    mem_free(text);
    if (!json)
        return err_set(err, AXVK_ERR_BAD_FILE, "%s: not valid JSON", path);
    const char *t = chat_template_from_config(json, NULL);
    axvk_status s = AXVK_OK;
    if (t && !(*out = mem_strdup(t)))
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "chat template");
    cJSON_Delete(json);
    return s;
}
