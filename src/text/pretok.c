/* pretok: split regexes on PCRE2 and NFC on utf8proc, made to behave like Hugging Face
 * tokenizers (Oniguruma regexes, Rust's unicode-normalization). Works on bytes: invalid UTF-8
 * never matches a regex item and is passed through NFC untouched, so any input is accepted. */
#include "text/pretok.h"

#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "text/utf8.h"

const char pretok_gpt2_regex[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char pretok_qwen2_regex[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* GGUF tokenizer.ggml.pre names this module can honour. Qwen2's Hugging Face tokenizer
 * normalises to NFC, so its name brings NFC along. */
static const struct {
    const char *name;
    const char *regex;
    bool nfc;
} known_pre[] = {
    {"gpt-2", pretok_gpt2_regex, false},
    {"a.x-4.0", pretok_gpt2_regex, false},
    {"qwen2", pretok_qwen2_regex, true},
};

/* Oniguruma's \s under Unicode: 09-0D, 85 and the Z categories. PCRE2's also takes U+180E
 * (via \h), so \s is spelled out; this text goes inside a character class. */
#define ONIG_SPACE "\\x{9}-\\x{d}\\x{85}\\p{Z}"

static void *gctx_alloc(PCRE2_SIZE size, void *data)
{
    (void)data;
    return mem_alloc(size);
}

static void gctx_free(void *ptr, void *data)
{
    (void)data;
    mem_free(ptr);
}

/* Copies pattern with \s and \S replaced by ONIG_SPACE classes. Tracks character classes so
 * that [^\s\p{L}] becomes [^<space>\p{L}]; \Q..\E and POSIX [:name:] are copied verbatim. */
static char *rewrite_spaces(const char *pat)
{
    size_t n = strlen(pat);
    size_t cap = n * (sizeof ONIG_SPACE + 3) + 1;
    char *out = mem_alloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    int in_class = 0;
    for (size_t i = 0; i < n;) {
        if (pat[i] == '\\' && i + 1 < n) {
            char c = pat[i + 1];
            if (c == 'Q') { /* literal text up to \E */
                const char *e = strstr(pat + i + 2, "\\E");
                size_t end = e ? (size_t)(e - pat) + 2 : n;
                memcpy(out + o, pat + i, end - i);
                o += end - i;
                i = end;
                continue;
            }
            if (c == 's' || (c == 'S' && !in_class)) {
                const char *open = in_class ? "" : c == 's' ? "[" : "[^";
                o += (size_t)(stpcpy(out + o, open) - (out + o));
                o += (size_t)(stpcpy(out + o, ONIG_SPACE) - (out + o));
                if (!in_class)
                    out[o++] = ']';
                i += 2;
                continue;
            }
            out[o++] = pat[i++];
            out[o++] = pat[i++];
            continue;
        }
        if (!in_class && pat[i] == '[') {
            in_class = 1;
            out[o++] = pat[i++];
            if (i < n && pat[i] == '^')
                out[o++] = pat[i++];
            if (i < n && pat[i] == ']') /* a leading ] is a literal */
                out[o++] = pat[i++];
            continue;
        }
        if (in_class && pat[i] == '[' && i + 1 < n && pat[i + 1] == ':') {
            const char *e = strstr(pat + i + 2, ":]");
            size_t end = e ? (size_t)(e - pat) + 2 : i + 1;
            memcpy(out + o, pat + i, end - i);
            o += end - i;
            i = end;
            continue;
        }
        if (in_class && pat[i] == ']')
            in_class = 0;
        out[o++] = pat[i++];
    }
    out[o] = '\0';
    return out;
}

static axvk_status compile(struct pretok *p, const char *pattern, struct err *err)
{
    char *rewritten = rewrite_spaces(pattern);
    p->pattern = mem_strdup(pattern);
    if (!rewritten || !p->pattern) {
        mem_free(rewritten);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "split regex: out of memory");
    }
    pcre2_compile_context *cctx = pcre2_compile_context_create(p->gctx);
    int code = 0;
    PCRE2_SIZE at = 0;
    /* MATCH_INVALID_UTF: bytes that are not UTF-8 simply never match, instead of failing the
     * whole call; they end up in the gaps between matches. */
    if (cctx)
        p->re = pcre2_compile((PCRE2_SPTR)rewritten, PCRE2_ZERO_TERMINATED,
                              PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code, &at, cctx);
    pcre2_compile_context_free(cctx);
    mem_free(rewritten);
    if (!cctx)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "split regex: out of memory");
    if (!p->re) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(code, msg, sizeof msg);
        return err_set(err, code == PCRE2_ERROR_HEAP_FAILED ? AXVK_ERR_OUT_OF_HOST_MEMORY
                       : AXVK_ERR_TOKENIZER, "split regex /%.80s/: %s at offset %zu", pattern,
                       (const char *)msg, (size_t)at);
    }
    /* JIT is an optimisation only: without it (no JIT support on this CPU) matching still works. */
    (void)pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE);
    return AXVK_OK;
}

static axvk_status init_common(struct pretok *p, struct err *err)
{
    memset(p, 0, sizeof *p);
    p->gctx = pcre2_general_context_create(gctx_alloc, gctx_free, NULL);
    if (!p->gctx)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "split regex: out of memory");
    return AXVK_OK;
}

axvk_status pretok_init_named(struct pretok *p, const char *name, struct err *err)
{
    axvk_status s = init_common(p, err);
    if (s != AXVK_OK)
        return s;
    for (size_t i = 0; i < sizeof known_pre / sizeof known_pre[0]; i++) {
        if (strcmp(name, known_pre[i].name) != 0)
            continue;
        snprintf(p->name, sizeof p->name, "%s", name);
        p->nfc = known_pre[i].nfc;
        return compile(p, known_pre[i].regex, err);
    }
    return err_set(err, AXVK_ERR_UNSUPPORTED, "pre-tokenizer '%.64s' is not supported", name);
}

axvk_status pretok_init_regex(struct pretok *p, const char *pattern, bool nfc, struct err *err)
{
    axvk_status s = init_common(p, err);
    if (s != AXVK_OK)
        return s;
    p->nfc = nfc;
    if (!pattern) {
        p->pattern = mem_strdup("");
        return p->pattern ? AXVK_OK : err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory");
    }
    /* Name the regex when it is a known one, so a GGUF written from it says what it is. */
    for (size_t i = 0; i < sizeof known_pre / sizeof known_pre[0]; i++)
        if (strcmp(pattern, known_pre[i].regex) == 0 && known_pre[i].nfc == nfc) {
            snprintf(p->name, sizeof p->name, "%s", known_pre[i].name);
            break;
        }
    return compile(p, pattern, err);
}

void pretok_free(struct pretok *p)
{
    pcre2_code_free(p->re);
    pcre2_general_context_free(p->gctx);
    mem_free(p->pattern);
    memset(p, 0, sizeof *p);
}

axvk_status pretok_iter_begin(struct pretok_iter *it, const struct pretok *p, const uint8_t *s, size_t n,
                              struct err *err)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->s = s;
    it->n = n;
    it->err = err;
    if (p->re) {
        it->md = pcre2_match_data_create_from_pattern(p->re, p->gctx);
        if (!it->md)
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "split regex: out of memory");
    }
    return AXVK_OK;
}

/* Finds the next non-empty match at or after `from`; false if none or on error (it->status). */
static bool find_match(struct pretok_iter *it, size_t from, size_t *ms, size_t *me)
{
    while (from < it->n) {
        int rc = pcre2_match(it->p->re, it->s, it->n, from, 0, it->md, NULL);
        /* The JIT's stack is small; the interpreter keeps its backtracking on the heap. */
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
            rc = pcre2_match(it->p->re, it->s, it->n, from, PCRE2_NO_JIT, it->md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            return false;
        if (rc < 0) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(rc, msg, sizeof msg);
            it->status = err_set(it->err, rc == PCRE2_ERROR_NOMEMORY ? AXVK_ERR_OUT_OF_HOST_MEMORY
                                 : AXVK_ERR_TOKENIZER, "split regex at byte %zu: %s", from,
                                 (const char *)msg);
            return false;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(it->md);
        if (ov[1] > ov[0]) {
            *ms = ov[0];
            *me = ov[1];
            return true;
        }
        /* An empty match splits nothing (HF drops empty pieces): search on one character later. */
        int k = utf8_scan(it->s + ov[0], it->n - ov[0], NULL);
        from = ov[0] + (k > 0 ? (size_t)k : 1);
    }
    return false;
}

bool pretok_iter_next(struct pretok_iter *it, size_t *start, size_t *len)
{
    if (it->pos >= it->n)
        return false;
    if (!it->p->re) {
        *start = 0;
        *len = it->n;
        it->pos = it->n;
        return true;
    }
    if (!it->have_match) {
        size_t ms, me;
        if (!find_match(it, it->pos, &ms, &me)) {
            if (it->status != AXVK_OK)
                return false;
            *start = it->pos;
            *len = it->n - it->pos;
            it->pos = it->n;
            return true;
        }
        it->match_start = ms;
        it->match_end = me;
        it->have_match = true;
    }
    if (it->match_start > it->pos) { /* the gap before the match is a word of its own */
        *start = it->pos;
        *len = it->match_start - it->pos;
        it->pos = it->match_start;
        return true;
    }
    *start = it->match_start;
    *len = it->match_end - it->match_start;
    it->pos = it->match_end;
    it->have_match = false;
    return true;
}

void pretok_iter_end(struct pretok_iter *it)
{
    pcre2_match_data_free(it->md);
    it->md = NULL;
}

/* True when NFC leaves cp unchanged whatever its neighbours, judged conservatively:
 * a character that may combine, reorder or decompose canonically sends the run to utf8proc. */
static bool nfc_inert(uint32_t cp)
{
    if (cp < 0x300) /* Latin-1 and Latin Extended: starters, composites are primary */
        return true;
    if (cp >= 0xAC00 && cp <= 0xD7A3) /* precomposed Hangul; a trailing jamo is checked itself */
        return true;
    if (cp >= 0x1100 && cp <= 0x11FF) /* conjoining jamo compose algorithmically */
        return false;
    const utf8proc_property_t *pr = utf8proc_get_property((utf8proc_int32_t)cp);
    if (pr->combining_class != 0 || pr->comb_index != UINT16_MAX)
        return false;
    return pr->decomp_seqindex == UINT16_MAX || pr->decomp_type != 0; /* none, or compatibility */
}

/* NFC of one valid UTF-8 run, appended at (*buf)[*o]. */
static axvk_status nfc_run(const uint8_t *s, size_t n, uint8_t **buf, size_t *cap, size_t *o,
                           struct err *err)
{
    const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    utf8proc_int32_t *cps = NULL;
    utf8proc_ssize_t m = utf8proc_decompose(s, (utf8proc_ssize_t)n, NULL, 0, opt);
    if (m < 0)
        return err_set(err, AXVK_ERR_TOKENIZER, "NFC: %s", utf8proc_errmsg(m));
    cps = mem_calloc((size_t)m + 1, sizeof *cps);
    if (!cps)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "NFC of %zu bytes: out of memory", n);
    m = utf8proc_decompose(s, (utf8proc_ssize_t)n, cps, m, opt);
    /* reencode composes in place and leaves UTF-8 bytes at the start of the buffer */
    utf8proc_ssize_t bytes = m < 0 ? m : utf8proc_reencode(cps, m, opt);
    void *p = *buf;
    if (bytes < 0) {
        mem_free(cps);
        return err_set(err, AXVK_ERR_TOKENIZER, "NFC: %s", utf8proc_errmsg(bytes));
    }
    if (mem_grow(&p, cap, *o + (size_t)bytes, 1)) {
        mem_free(cps);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "NFC of %zu bytes: out of memory", n);
    }
    *buf = p;
    memcpy(*buf + *o, cps, (size_t)bytes);
    *o += (size_t)bytes;
    mem_free(cps);
    return AXVK_OK;
}

axvk_status pretok_nfc(const uint8_t *s, size_t n, uint8_t **buf, size_t *cap, const uint8_t **out,
                       size_t *out_len, struct err *err)
{
    size_t i = 0;
    bool inert = true;
    while (i < n && inert) {
        uint32_t cp;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int k = utf8_scan(s + i, n - i, &cp);
        if (k <= 0) {
            i++;
            continue;
        }
        inert = nfc_inert(cp);
        i += (size_t)k;
    }
    if (inert) {
        *out = s;
        *out_len = n;
        return AXVK_OK;
    }
    /* Normalise each maximal valid run; copy each invalid byte as it is. */
    size_t o = 0;
    i = 0;
    while (i < n) {
        size_t v = utf8_valid_prefix(s + i, n - i);
        if (v) {
            axvk_status st = nfc_run(s + i, v, buf, cap, &o, err);
            if (st != AXVK_OK)
                return st;
            i += v;
            continue;
        }
        void *p = *buf;
        if (mem_grow(&p, cap, o + 1, 1))
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "NFC: out of memory");
        *buf = p;
        (*buf)[o++] = s[i++];
    }
    *out = *buf;
    *out_len = o;
    return AXVK_OK;
}

bool pretok_is_white_space(uint32_t cp)
{
    if (cp <= 0x20)
        return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool pretok_is_word_char(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               cp == '_';
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_PC:
        return true;
    default:
        return false;
    }
}
