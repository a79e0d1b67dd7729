/* tokenizer_load: Hugging Face tokenizer directories -> tokenizer. Reads tokenizer.json, or the
 * older vocab.json + merges.txt + tokenizer_config.json (+ special_tokens_map.json). Every value
 * is untrusted and checked; anything beyond byte-level BPE is refused as unsupported rather
 * than approximated. Knows nothing of how text is encoded (tokenizer.c builds, the rest runs). */
#include "text/tokenizer_impl.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/mapfile.h"

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static axvk_status join(char *out, size_t cap, const char *dir, const char *name, struct err *err)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "path %s/%s too long", dir, name);
    return AXVK_OK;
}

static axvk_status read_json(const char *path, cJSON **out, struct err *err)
{
    char *text = NULL;
    size_t size = 0;
    *out = NULL;
    axvk_status st = file_read_all(path, &text, &size, err);
    if (st != AXVK_OK)
        return st;
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(text, size, &end, false);
    size_t at = end && end >= text ? (size_t)(end - text) : 0;
    mem_free(text);
    if (!*out)
        return err_set(err, AXVK_ERR_BAD_FILE, "%s: invalid JSON near byte %zu", path, at);
    return AXVK_OK;
}

/* A JSON number that is a valid token id. */
static bool json_id(const cJSON *v, uint32_t *id)
{
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    if (!(d >= 0) || d >= (double)INT32_MAX || d != floor(d))
        return false;
    *id = (uint32_t)d;
    return true;
}

/* A decimal object key ("151643") as a token id. */
static bool key_id(const char *s, uint32_t *id)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v >= INT32_MAX)
        return false;
    *id = (uint32_t)v;
    return true;
}

static bool json_flag(const cJSON *obj, const char *name, bool dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

/* Token content given either as "text" or as {"content": "text", ...}. */
static const char *token_content(const cJSON *v)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "content");
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

/* HF AddedToken attributes; `normalized` defaults to !special as in transformers. */
static unsigned added_attr(const cJSON *obj)
{
    bool special = json_flag(obj, "special", false);
    unsigned a = special ? ADDED_SPECIAL : 0;
    a |= json_flag(obj, "lstrip", false) ? ADDED_LSTRIP : 0;
    a |= json_flag(obj, "rstrip", false) ? ADDED_RSTRIP : 0;
    a |= json_flag(obj, "single_word", false) ? ADDED_SINGLE_WORD : 0;
    a |= json_flag(obj, "normalized", !special) ? ADDED_NORMALIZED : 0;
    return a;
}

/* Counts the entries of a {"token": id} object, raising *max_id to the largest valid id (the
 * ids themselves are checked when the tokens are added). */
static uint32_t vocab_max_id(const cJSON *vocab, uint32_t *max_id)
{
    uint32_t entries = 0, id;
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        if (json_id(it, &id) && id > *max_id)
            *max_id = id;
        entries++;
    }
    return entries;
}

/* Vocabulary size from the highest id; rejects ids so sparse that the tables would be mostly
 * holes (a corrupt or hostile file), and empty vocabularies. */
static axvk_status vocab_size(const char *what, uint32_t max_id, uint32_t entries, uint32_t *n,
                              struct err *err)
{
    if (entries == 0)
        return err_set(err, AXVK_ERR_TOKENIZER, "%s: empty vocabulary", what);
    if ((uint64_t)max_id + 1 > 2 * (uint64_t)entries + 256)
        return err_set(err, AXVK_ERR_TOKENIZER, "%s: token id %u out of range for %u tokens", what,
                       max_id, entries);
    *n = max_id + 1;
    return AXVK_OK;
}

static axvk_status add_vocab_object(struct tokenizer *tok, const cJSON *vocab, const char *what,
                                    struct err *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        uint32_t id;
        if (!json_id(it, &id))
            return err_set(err, AXVK_ERR_BAD_FILE, "%s: token '%.64s' has no valid id", what,
                           it->string ? it->string : "");
        axvk_status st = tok_add_token(tok, (int32_t)id, it->string, strlen(it->string),
                                       TOKEN_TYPE_NORMAL, err);
        if (st != AXVK_OK)
            return err_wrap(err, "%s", what);
    }
    return AXVK_OK;
}

/* A "left right" merge line: exactly one space, as HF tokenizers requires. */
static axvk_status add_merge_text(struct tokenizer *tok, const char *s, size_t len, const char *what,
                                  struct err *err)
{
    const char *sp = memchr(s, ' ', len);
    if (!sp || memchr(sp + 1, ' ', len - (size_t)(sp - s) - 1))
        return err_set(err, AXVK_ERR_BAD_FILE, "%s: merge %u '%.*s' is not \"left right\"", what,
                       tok->bpe.n_merges + 1, (int)(len > 64 ? 64 : len), s);
    axvk_status st = bpe_add_merge(&tok->bpe, s, (size_t)(sp - s), sp + 1, len - (size_t)(sp - s) - 1,
                                   err);
    return st == AXVK_OK ? st : err_wrap(err, "%s", what);
}

/* EOS named by tokenizer_config.json / special_tokens_map.json, if it is a token. */
static void set_eos(struct tokenizer *tok, const cJSON *cfg)
{
    const char *eos = token_content(cJSON_GetObjectItemCaseSensitive(cfg, "eos_token"));
    if (!eos || tok->eos_id >= 0)
        return;
    int32_t id = tok_find_added(tok, eos, strlen(eos));
    tok->eos_id = id >= 0 ? id : bpe_find(&tok->bpe, eos, strlen(eos));
}

/* Escapes a literal split string (Split pattern {"String": ...}) into regex syntax. */
static char *regex_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = mem_alloc(2 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr("\\^$.|?*+()[]{}-/#", s[i]) || s[i] == ' ')
            out[o++] = '\\';
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

static axvk_status parse_split(const cJSON *split, char **pattern, struct err *err)
{
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(split, "pattern");
    const cJSON *rx = cJSON_GetObjectItemCaseSensitive(pat, "Regex");
    const cJSON *lit = cJSON_GetObjectItemCaseSensitive(pat, "String");
    const cJSON *behavior = cJSON_GetObjectItemCaseSensitive(split, "behavior");
    if (!cJSON_IsString(behavior) || strcmp(behavior->valuestring, "Isolated") != 0 ||
        json_flag(split, "invert", false))
        return err_set(err, AXVK_ERR_UNSUPPORTED, "Split pre-tokenizer: only behavior Isolated "
                       "without invert is supported");
    if (cJSON_IsString(rx))
        *pattern = mem_strdup(rx->valuestring);
    else if (cJSON_IsString(lit))
        *pattern = regex_escape(lit->valuestring);
    else
        return err_set(err, AXVK_ERR_BAD_FILE, "Split pre-tokenizer without a pattern");
    return *pattern ? AXVK_OK : err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory");
}

/* Accepts ByteLevel alone (its own GPT-2 regex when use_regex), or Sequence[Split, ByteLevel
 * without regex] (the Split's regex): the two shapes byte-level BPE tokenizers use. */
static axvk_status parse_pre_tokenizer(const cJSON *pt, char **pattern, bool *found, struct err *err)
{
    *pattern = NULL;
    *found = false;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(pt, "type");
    if (!cJSON_IsString(type))
        return err_set(err, AXVK_ERR_UNSUPPORTED, "tokenizer.json: no byte-level pre-tokenizer");
    const cJSON *items = pt;
    bool sequence = strcmp(type->valuestring, "Sequence") == 0;
    if (sequence)
        items = cJSON_GetObjectItemCaseSensitive(pt, "pretokenizers");
    int n = sequence ? cJSON_GetArraySize(items) : 1;
    axvk_status st = AXVK_OK;
    for (int i = 0; i < n && st == AXVK_OK; i++) {
        const cJSON *p = sequence ? cJSON_GetArrayItem(items, i) : pt;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "type");
        const char *name = cJSON_IsString(t) ? t->valuestring : "?";
        if (strcmp(name, "Split") == 0 && !*pattern && !*found) {
            st = parse_split(p, pattern, err);
        } else if (strcmp(name, "ByteLevel") == 0 && !*found) {
            *found = true;
            if (json_flag(p, "add_prefix_space", false))
                st = err_set(err, AXVK_ERR_UNSUPPORTED, "ByteLevel add_prefix_space is not supported");
            else if (json_flag(p, "use_regex", true)) {
                if (*pattern)
                    st = err_set(err, AXVK_ERR_UNSUPPORTED, "Split followed by a regex ByteLevel is "
                                 "not supported");
                else if (!(*pattern = mem_strdup(pretok_gpt2_regex)))
                    st = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory");
            }
        } else {
            st = err_set(err, AXVK_ERR_UNSUPPORTED, "pre-tokenizer %s (position %d) is not supported",
                         name, i);
        }
    }
    if (st == AXVK_OK && !*found)
        st = err_set(err, AXVK_ERR_UNSUPPORTED, "tokenizer.json: no ByteLevel pre-tokenizer");
    if (st != AXVK_OK) {
        mem_free(*pattern);
        *pattern = NULL;
    }
    return st;
}

/* null, NFC, or a Sequence of NFC only. */
static axvk_status parse_normalizer(const cJSON *nz, bool *nfc, struct err *err)
{
    *nfc = false;
    if (!nz || cJSON_IsNull(nz))
        return AXVK_OK;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(nz, "type");
    const char *name = cJSON_IsString(type) ? type->valuestring : "?";
    if (strcmp(name, "NFC") == 0) {
        *nfc = true;
        return AXVK_OK;
    }
    if (strcmp(name, "Sequence") == 0) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(nz, "normalizers")) {
            axvk_status st = parse_normalizer(it, nfc, err);
            if (st != AXVK_OK)
                return st;
        }
        return AXVK_OK;
    }
    return err_set(err, AXVK_ERR_UNSUPPORTED, "normalizer %.64s is not supported", name);
}

/* BPE options that change ids: refuse the ones byte-level BPE does not use, honour the rest. */
static axvk_status check_bpe_model(struct tokenizer *tok, const cJSON *model, struct err *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "BPE") != 0)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "tokenizer model %.32s is not supported (BPE only)",
                       type->valuestring);
    if (json_flag(model, "byte_fallback", false))
        return err_set(err, AXVK_ERR_UNSUPPORTED, "BPE byte_fallback is not supported");
    const char *affix[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, affix[i]);
        if (cJSON_IsString(v) && v->valuestring[0])
            return err_set(err, AXVK_ERR_UNSUPPORTED, "BPE %s is not supported", affix[i]);
    }
    /* dropout only matters when training; inference encodes deterministically */
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    if (cJSON_IsString(unk))
        tok->bpe.unk_id = bpe_find(&tok->bpe, unk->valuestring, strlen(unk->valuestring));
    tok->bpe.fuse_unk = json_flag(model, "fuse_unk", false);
    tok->bpe.ignore_merges = json_flag(model, "ignore_merges", false);
    return AXVK_OK;
}

/* model.merges: "a b" strings (tokenizers < 0.20) or ["a", "b"] pairs (later versions). */
static axvk_status add_json_merges(struct tokenizer *tok, const cJSON *merges, struct err *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        axvk_status st;
        if (cJSON_IsString(m)) {
            st = add_merge_text(tok, m->valuestring, strlen(m->valuestring), "tokenizer.json", err);
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 &&
                   cJSON_IsString(cJSON_GetArrayItem(m, 0)) && cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
            const char *l = cJSON_GetArrayItem(m, 0)->valuestring;
            const char *r = cJSON_GetArrayItem(m, 1)->valuestring;
            st = bpe_add_merge(&tok->bpe, l, strlen(l), r, strlen(r), err);
        } else {
            st = err_set(err, AXVK_ERR_BAD_FILE, "merge %u is neither \"a b\" nor [\"a\", \"b\"]",
                         tok->bpe.n_merges + 1);
        }
        if (st != AXVK_OK)
            return st;
    }
    return AXVK_OK;
}

/* tokenizer.json as written by HF tokenizers: model (BPE vocab + merges), added_tokens,
 * normalizer, pre_tokenizer; decoder and post_processor do not change ids or bytes here. */
static axvk_status load_tokenizer_json(struct tokenizer **out, const char *dir, const char *path,
                                       struct err *err)
{
    struct tokenizer *tok = NULL;
    cJSON *root = NULL, *cfg = NULL;
    char *pattern = NULL;
    char cfg_path[PATH_MAX];
    axvk_status st = read_json(path, &root, err);
    if (st != AXVK_OK)
        goto fail;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!cJSON_IsObject(vocab) || (merges && !cJSON_IsArray(merges)) || (added && !cJSON_IsArray(added))) {
        st = err_set(err, AXVK_ERR_BAD_FILE, "%s: model.vocab must be an object, model.merges and "
                     "added_tokens arrays", path);
        goto fail;
    }
    /* First pass: the vocabulary size is the highest id of model.vocab and added_tokens (Qwen's
     * added tokens sit above model.vocab); ids themselves are checked when tokens are added. */
    uint32_t max_id = 0, id = 0, n_vocab = 0;
    uint32_t entries = vocab_max_id(vocab, &max_id);
    const cJSON *it;
    cJSON_ArrayForEach(it, added) {
        if (!json_id(cJSON_GetObjectItemCaseSensitive(it, "id"), &id) || !token_content(it)) {
            st = err_set(err, AXVK_ERR_BAD_FILE, "%s: added token without a valid id or content", path);
            goto fail;
        }
        max_id = id > max_id ? id : max_id;
        entries++;
    }
    if ((st = vocab_size(path, max_id, entries, &n_vocab, err)) != AXVK_OK ||
        (st = tok_new(&tok, n_vocab, err)) != AXVK_OK ||
        (st = add_vocab_object(tok, vocab, path, err)) != AXVK_OK ||
        (st = check_bpe_model(tok, model, err)) != AXVK_OK ||
        (st = add_json_merges(tok, merges, err)) != AXVK_OK)
        goto fail;
    /* validated in the first pass */
    cJSON_ArrayForEach(it, added) {
        const char *content = token_content(it);
        json_id(cJSON_GetObjectItemCaseSensitive(it, "id"), &id);
        if ((st = tok_add_added(tok, (int32_t)id, content, strlen(content), added_attr(it), err)))
            goto fail;
    }
    bool nfc, byte_level;
    if ((st = parse_normalizer(cJSON_GetObjectItemCaseSensitive(root, "normalizer"), &nfc, err)) ||
        (st = parse_pre_tokenizer(cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"), &pattern,
                                  &byte_level, err)) ||
        (st = pretok_init_regex(&tok->pre, pattern, nfc, err)))
        goto fail;
    /* tokenizer_config.json only adds the EOS name here; tokenizer.json has the rest */
    if ((st = join(cfg_path, sizeof cfg_path, dir, "tokenizer_config.json", err)))
        goto fail;
    if (file_exists(cfg_path)) {
        if ((st = read_json(cfg_path, &cfg, err)))
            goto fail;
        set_eos(tok, cfg);
    }
    if ((st = tok_finish(tok, err)))
        goto fail;
    cJSON_Delete(root);
    cJSON_Delete(cfg);
    mem_free(pattern);
    *out = tok;
    return AXVK_OK;
fail:
    cJSON_Delete(root);
    cJSON_Delete(cfg);
    mem_free(pattern);
    tokenizer_destroy(tok);
    return st;
}

/* merges.txt: one "left right" per line, "#version" lines skipped, \n or \r\n endings. */
static axvk_status add_merges_file(struct tokenizer *tok, const char *path, struct err *err)
{
    char *text = NULL;
    size_t size = 0;
    axvk_status st = file_read_all(path, &text, &size, err);
    for (size_t i = 0; st == AXVK_OK && i < size;) {
        const char *nl = memchr(text + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - text) : size;
        size_t len = end - i;
        if (len && text[i + len - 1] == '\r')
            len--;
        if (!(len >= 8 && memcmp(text + i, "#version", 8) == 0))
            st = add_merge_text(tok, text + i, len, path, err);
        i = end + 1;
    }
    mem_free(text);
    return st;
}

/* Tokens named in special_tokens_map.json that the vocabulary has but no added token covers. */
static axvk_status add_special_map(struct tokenizer *tok, const cJSON *map, struct err *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, map) {
        const cJSON *list = cJSON_IsArray(it) ? it : NULL;
        int n = list ? cJSON_GetArraySize(list) : 1;
        for (int i = 0; i < n; i++) {
            const char *c = token_content(list ? cJSON_GetArrayItem(list, i) : it);
            if (!c || tok_find_added(tok, c, strlen(c)) >= 0)
                continue;
            int32_t id = bpe_find(&tok->bpe, c, strlen(c));
            axvk_status st = id < 0 ? AXVK_OK : tok_add_added(tok, id, c, strlen(c), ADDED_SPECIAL, err);
            if (st != AXVK_OK)
                return st;
        }
    }
    return AXVK_OK;
}

/* vocab.json + merges.txt: GPT-2 split unless tokenizer_config.json names the Qwen2 tokenizer
 * class, whose slow implementation also applies NFC. */
static axvk_status choose_legacy_pre(struct tokenizer *tok, const cJSON *cfg, struct err *err)
{
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer_class");
    if (json_flag(cfg, "add_prefix_space", false))
        return err_set(err, AXVK_ERR_UNSUPPORTED, "tokenizer_config.json: add_prefix_space is not "
                       "supported");
    bool qwen2 = cJSON_IsString(cls) && strncmp(cls->valuestring, "Qwen2Tokenizer", 14) == 0;
    return pretok_init_named(&tok->pre, qwen2 ? "qwen2" : "gpt-2", err);
}

static axvk_status load_vocab_merges(struct tokenizer **out, const char *dir, struct err *err)
{
    struct tokenizer *tok = NULL;
    cJSON *vocab = NULL, *cfg = NULL, *map = NULL;
    char vocab_path[PATH_MAX], merges_path[PATH_MAX], cfg_path[PATH_MAX], map_path[PATH_MAX];
    axvk_status st;
    if ((st = join(vocab_path, sizeof vocab_path, dir, "vocab.json", err)) ||
        (st = join(merges_path, sizeof merges_path, dir, "merges.txt", err)) ||
        (st = join(cfg_path, sizeof cfg_path, dir, "tokenizer_config.json", err)) ||
        (st = join(map_path, sizeof map_path, dir, "special_tokens_map.json", err)) ||
        (st = read_json(vocab_path, &vocab, err)))
        goto fail;
    if (file_exists(cfg_path) && (st = read_json(cfg_path, &cfg, err)))
        goto fail;
    if (file_exists(map_path) && (st = read_json(map_path, &map, err)))
        goto fail;
    if (!cJSON_IsObject(vocab)) {
        st = err_set(err, AXVK_ERR_BAD_FILE, "%s: not a JSON object", vocab_path);
        goto fail;
    }
    /* added_tokens_decoder: {"27": {"content": "<|im_end|>", "special": true, ...}, ...} */
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder");
    uint32_t max_id = 0, id = 0, n_vocab = 0;
    uint32_t entries = vocab_max_id(vocab, &max_id);
    const cJSON *it;
    cJSON_ArrayForEach(it, added) {
        if (!key_id(it->string, &id) || !token_content(it)) {
            st = err_set(err, AXVK_ERR_BAD_FILE, "%s: added token '%.32s' without a valid id or "
                         "content", cfg_path, it->string ? it->string : "");
            goto fail;
        }
        max_id = id > max_id ? id : max_id;
        entries++;
    }
    if ((st = vocab_size(vocab_path, max_id, entries, &n_vocab, err)) ||
        (st = tok_new(&tok, n_vocab, err)) ||
        (st = add_vocab_object(tok, vocab, vocab_path, err)) ||
        (st = add_merges_file(tok, merges_path, err)))
        goto fail;
    cJSON_ArrayForEach(it, added) {
        const char *content = token_content(it);
        key_id(it->string, &id);
        if ((st = tok_add_added(tok, (int32_t)id, content, strlen(content), added_attr(it), err)))
            goto fail;
    }
    if ((st = add_special_map(tok, map, err)) || (st = choose_legacy_pre(tok, cfg, err)))
        goto fail;
    set_eos(tok, cfg);
    set_eos(tok, map);
    if ((st = tok_finish(tok, err)))
        goto fail;
    *out = tok;
    tok = NULL;
fail:
    cJSON_Delete(vocab);
    cJSON_Delete(cfg);
    cJSON_Delete(map);
    tokenizer_destroy(tok);
    return st;
}

axvk_status tokenizer_load_dir(struct tokenizer **out, const char *dir, struct err *err)
{
    char path[PATH_MAX];
    *out = NULL;
    axvk_status st = join(path, sizeof path, dir, "tokenizer.json", err);
    if (st != AXVK_OK)
        return st;
    if (file_exists(path))
        return load_tokenizer_json(out, dir, path, err);
    if ((st = join(path, sizeof path, dir, "vocab.json", err)) != AXVK_OK)
        return st;
    if (file_exists(path))
        return load_vocab_merges(out, dir, err);
    return err_set(err, AXVK_ERR_BAD_FILE, "%s: no tokenizer.json, nor vocab.json + merges.txt", dir);
}
