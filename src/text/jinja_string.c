/* jinja_string: Python str semantics over UTF-8 — case mapping, strip, split, replace, find,
 * splitlines — and the str methods templates call ("a,b".split(","), s.strip("\n")).
 * Indices count code points; case mapping is utf8proc's one-to-one mapping (so 'ß'.upper() stays 'ß'). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "text/jinja_eval.h"

/* Letters that have case (Lu, Ll, Lt): what str.title() treats as word characters. */
static bool is_cased(uint32_t cp)
{
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT;
}

static bool is_title_sep(uint32_t cp)
{
    return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || jv_is_space(cp);
}

axvk_status jinja_str_case(struct jctx *ctx, struct jv s, enum jcase mode, struct jv *out)
{
    struct jv str;
    struct jbuf b;
    axvk_status st = jv_to_str(&str, s, ctx->err);
    if (st)
        return st;
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    bool word_start = true; /* JCASE_TITLE: previous char not cased; FILTER: previous was a separator */
    for (size_t i = 0; !st && i < str.u.s->len;) {
        uint32_t cp;
        size_t n = jv_utf8_next(str.u.s->s + i, str.u.s->len - i, &cp);
        utf8proc_int32_t c = (utf8proc_int32_t)cp;
        bool upper = mode == JCASE_UPPER || (mode == JCASE_CAPITALIZE && i == 0) ||
                     ((mode == JCASE_TITLE || mode == JCASE_TITLE_FILTER) && word_start);
        if (n == 1 && cp >= 0x80)
            st = jbuf_put(&b, str.u.s->s + i, 1); /* a stray byte passes through */
        else
            st = jbuf_put_cp(&b, (uint32_t)(upper ? (mode == JCASE_UPPER ? utf8proc_toupper(c) : utf8proc_totitle(c))
                                                  : utf8proc_tolower(c)));
        if (mode == JCASE_TITLE)
            word_start = !is_cased(cp);
        else if (mode == JCASE_TITLE_FILTER)
            word_start = is_title_sep(cp);
        i += n;
    }
    jv_unref(str);
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}

/* strip's character set: whitespace when no string was given. */
static bool in_chars(uint32_t cp, struct jv chars)
{
    if (chars.type != JV_STR)
        return jv_is_space(cp);
    for (size_t i = 0; i < chars.u.s->len;) {
        uint32_t c;
        i += jv_utf8_next(chars.u.s->s + i, chars.u.s->len - i, &c);
        if (c == cp)
            return true;
    }
    return false;
}

axvk_status jinja_str_strip(struct jctx *ctx, struct jv s, struct jv chars, bool left, bool right, struct jv *out)
{
    if (s.type != JV_STR)
        return jinja_fail(ctx, "strip needs a string, not '%s'", jv_type_name(s));
    if (chars.type != JV_STR && chars.type != JV_NONE && chars.type != JV_UNDEF)
        return jinja_fail(ctx, "strip arg must be None or str");
    const char *p = s.u.s->s;
    size_t b = 0, e = s.u.s->len;
    while (left && b < e) {
        uint32_t cp;
        size_t n = jv_utf8_next(p + b, e - b, &cp);
        if (!in_chars(cp, chars))
            break;
        b += n;
    }
    if (right) {
        /* scan forward so multi-byte sequences are decoded whole; remember the last kept end */
        size_t keep = b;
        for (size_t i = b; i < e;) {
            uint32_t cp;
            i += jv_utf8_next(p + i, e - i, &cp);
            if (!in_chars(cp, chars))
                keep = i;
        }
        e = keep;
    }
    return jv_new_str(out, p + b, e - b, ctx->err);
}

axvk_status jinja_str_replace(struct jctx *ctx, struct jv s, struct jv old, struct jv repl, int64_t count,
                              struct jv *out)
{
    if (s.type != JV_STR || old.type != JV_STR || repl.type != JV_STR)
        return jinja_fail(ctx, "replace needs strings");
    const char *p = s.u.s->s, *o = old.u.s->s;
    size_t n = s.u.s->len, on = old.u.s->len;
    struct jbuf b;
    axvk_status st = AXVK_OK;
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    size_t i = 0;
    for (int64_t done = 0; !st && (count < 0 || done < count); done++) {
        if (!on) {
            /* an empty pattern matches before every character and at the end */
            if ((st = jbuf_put(&b, repl.u.s->s, repl.u.s->len)) || i >= n) {
                i = n + 1;
                break;
            }
            uint32_t cp;
            size_t k = jv_utf8_next(p + i, n - i, &cp);
            st = jbuf_put(&b, p + i, k);
            i += k;
            continue;
        }
        const char *hit = i <= n ? memmem(p + i, n - i, o, on) : NULL;
        if (!hit)
            break;
        if (!(st = jbuf_put(&b, p + i, (size_t)(hit - (p + i)))))
            st = jbuf_put(&b, repl.u.s->s, repl.u.s->len);
        i = (size_t)(hit - p) + on;
    }
    if (!st && i < n)
        st = jbuf_put(&b, p + i, n - i);
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}

/* Line breaks as str.splitlines() knows them; returns the break's length at p (0: none). */
static size_t line_break_at(const char *p, size_t n)
{
    uint32_t cp;
    size_t k = jv_utf8_next(p, n, &cp);
    if (cp == '\r' && n > 1 && p[1] == '\n')
        return 2;
    if (cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || (cp >= 0x1c && cp <= 0x1e) || cp == 0x85 ||
        cp == 0x2028 || cp == 0x2029)
        return k;
    return 0;
}

axvk_status jinja_str_splitlines(struct jctx *ctx, struct jv s, bool keepends, struct jv *out)
{
    axvk_status st = jv_new_list(out, 0, false, ctx->err);
    const char *p = s.u.s->s;
    size_t n = s.u.s->len, start = 0;
    for (size_t i = 0; !st && i < n;) {
        size_t br = line_break_at(p + i, n - i);
        uint32_t cp;
        if (!br) {
            i += jv_utf8_next(p + i, n - i, &cp);
            continue;
        }
        struct jv line;
        if (!(st = jv_new_str(&line, p + start, i - start + (keepends ? br : 0), ctx->err)))
            st = jv_list_push(*out, line, ctx->err);
        i += br;
        start = i;
    }
    if (!st && start < n) {
        struct jv line;
        if (!(st = jv_new_str(&line, p + start, n - start, ctx->err)))
            st = jv_list_push(*out, line, ctx->err);
    }
    return st;
}

/* Appends a new string s[0..n) to a list. */
static axvk_status push_str(struct jctx *ctx, struct jv list, const char *s, size_t n)
{
    struct jv v;
    axvk_status st = jv_new_str(&v, s, n, ctx->err);
    return st ? st : jv_list_push(list, v, ctx->err);
}

/* Python str.split / str.rsplit; without sep, words are runs of non-whitespace. */
static axvk_status split(struct jctx *ctx, struct jv s, struct jv sep, int64_t maxsplit, bool from_right,
                         struct jv *out)
{
    const char *p = s.u.s->s;
    size_t n = s.u.s->len;
    axvk_status st;
    if (sep.type == JV_STR && !sep.u.s->len)
        return jinja_fail(ctx, "empty separator");
    if (sep.type != JV_STR && sep.type != JV_NONE && sep.type != JV_UNDEF)
        return jinja_fail(ctx, "must be str or None, not %s", jv_type_name(sep));
    if ((st = jv_new_list(out, 0, false, ctx->err)))
        return st;
    if (sep.type == JV_STR) {
        const char *sp = sep.u.s->s;
        size_t sn = sep.u.s->len, b = 0, e = n;
        for (int64_t done = 0; !st && (maxsplit < 0 || done < maxsplit); done++) {
            const char *hit = NULL;
            if (!from_right) {
                hit = memmem(p + b, e - b, sp, sn);
            } else {
                for (size_t i = e >= sn ? e - sn + 1 : 0; i-- > 0 && !hit;)
                    if (!memcmp(p + i, sp, sn))
                        hit = p + i;
            }
            if (!hit)
                break;
            size_t h = (size_t)(hit - p);
            st = from_right ? push_str(ctx, *out, p + h + sn, e - h - sn) : push_str(ctx, *out, p + b, h - b);
            if (from_right)
                e = h;
            else
                b = h + sn;
        }
        if (!st)
            st = push_str(ctx, *out, p + b, e - b);
    } else {
        /* word spans [begin, end) */
        size_t (*words)[2] = NULL, nw = 0, cap = 0;
        for (size_t i = 0; !st && i < n;) {
            uint32_t cp;
            size_t k = jv_utf8_next(p + i, n - i, &cp);
            if (jv_is_space(cp)) {
                i += k;
                continue;
            }
            if (mem_grow((void **)&words, &cap, nw + 1, sizeof *words)) {
                st = err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory splitting a string");
                break;
            }
            words[nw][0] = i;
            while (i < n && !jv_is_space(cp)) {
                i += k;
                if (i < n)
                    k = jv_utf8_next(p + i, n - i, &cp);
            }
            words[nw++][1] = i;
        }
        size_t keep = maxsplit < 0 || (uint64_t)maxsplit >= nw ? nw : (size_t)maxsplit;
        if (!st && keep < nw && from_right) /* the rest, with its leading whitespace */
            st = push_str(ctx, *out, p, words[nw - keep - 1][1]);
        for (size_t w = from_right ? nw - keep : 0; !st && w < (from_right ? nw : keep); w++)
            st = push_str(ctx, *out, p + words[w][0], words[w][1] - words[w][0]);
        if (!st && keep < nw && !from_right) /* the rest, with its trailing whitespace */
            st = push_str(ctx, *out, p + words[keep][0], n - words[keep][0]);
        mem_free(words);
        return st;
    }
    if (!st && from_right) {
        struct jlist *l = out->u.l;
        for (size_t i = 0; i < l->n / 2; i++) {
            struct jv t = l->items[i];
            l->items[i] = l->items[l->n - 1 - i];
            l->items[l->n - 1 - i] = t;
        }
    }
    return st;
}

/* Code point index of byte offset `at`. */
static int64_t cp_index(const struct jstr *s, size_t at)
{
    return s->ncp == s->len ? (int64_t)at : (int64_t)jv_utf8_count(s->s, at);
}

/* startswith / endswith for one affix. */
static bool starts_or_ends(struct jv s, struct jv affix, bool end)
{
    size_t n = s.u.s->len, an = affix.u.s->len;
    return an <= n && !memcmp(s.u.s->s + (end ? n - an : 0), affix.u.s->s, an);
}

/* isdigit, isalpha, ...: every character passes (and there is at least one) */
static bool all_chars(struct jv s, int kind)
{
    bool any_cased = false;
    if (!s.u.s->len)
        return false;
    for (size_t i = 0; i < s.u.s->len;) {
        uint32_t cp;
        i += jv_utf8_next(s.u.s->s + i, s.u.s->len - i, &cp);
        utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
        bool letter = c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
        bool digit = c == UTF8PROC_CATEGORY_ND;
        bool ok = kind == 'd' ? digit : kind == 'a' ? letter : kind == 'n' ? letter || c == UTF8PROC_CATEGORY_ND ||
                  c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO : kind == 's' ? jv_is_space(cp) : true;
        if (kind == 'l' || kind == 'u') {
            if (c == UTF8PROC_CATEGORY_LT || c == (kind == 'l' ? UTF8PROC_CATEGORY_LU : UTF8PROC_CATEGORY_LL))
                return false;
            any_cased |= is_cased(cp);
        }
        if (!ok)
            return false;
    }
    return kind == 'l' || kind == 'u' ? any_cased : true;
}

/* Methods templates call on strings; *found stays false for other names so that the caller can
 * report "no method". Arguments bind by Python's parameter names. */
axvk_status jinja_str_method(struct jctx *ctx, struct jv s, const char *name, size_t len, const struct jargs *args,
                             struct jv *out, bool *found)
{
    struct jv a[3];
    uint32_t given;
    axvk_status st;
    char fname[40];
    snprintf(fname, sizeof fname, "str.%.*s", len > 30 ? 30 : (int)len, name);
    *found = true;
#define IS(x) (len == sizeof(x) - 1 && !memcmp(name, x, len))
#define BIND(...)                                                                                          \
    do {                                                                                                   \
        static const char *const params_[] = {__VA_ARGS__};                                                \
        if ((st = jinja_bind(ctx, fname, args, params_, sizeof params_ / sizeof *params_, a, &given)))     \
            return st;                                                                                     \
    } while (0)
#define NO_ARGS()                                                                                          \
    do {                                                                                                   \
        if (args->npos || args->nkw)                                                                       \
            return jinja_fail(ctx, "%s() takes no arguments", fname);                                      \
    } while (0)
    if (IS("strip") || IS("lstrip") || IS("rstrip")) {
        BIND("chars");
        return jinja_str_strip(ctx, s, a[0], name[0] != 'r', name[0] != 'l', out);
    }
    if (IS("upper") || IS("lower") || IS("title") || IS("capitalize")) {
        NO_ARGS();
        return jinja_str_case(ctx, s, IS("upper") ? JCASE_UPPER : IS("lower") ? JCASE_LOWER : IS("title") ? JCASE_TITLE
                                                                                                       : JCASE_CAPITALIZE,
                              out);
    }
    if (IS("split") || IS("rsplit")) {
        BIND("sep", "maxsplit");
        if (a[1].type != JV_UNDEF && a[1].type != JV_INT)
            return jinja_fail(ctx, "maxsplit must be an integer");
        return split(ctx, s, a[0], a[1].type == JV_INT ? a[1].u.i : -1, name[0] == 'r', out);
    }
    if (IS("splitlines")) {
        BIND("keepends");
        return jinja_str_splitlines(ctx, s, jv_truthy(a[0]), out);
    }
    if (IS("startswith") || IS("endswith")) {
        BIND("prefix");
        bool end = name[0] == 'e', hit = false;
        if (a[0].type == JV_STR) {
            hit = starts_or_ends(s, a[0], end);
        } else if (a[0].type == JV_LIST && a[0].u.l->tuple) {
            for (size_t i = 0; i < a[0].u.l->n && !hit; i++) {
                if (a[0].u.l->items[i].type != JV_STR)
                    return jinja_fail(ctx, "%.*s: tuple items must be str", (int)len, name);
                hit = starts_or_ends(s, a[0].u.l->items[i], end);
            }
        } else {
            return jinja_fail(ctx, "%.*s first arg must be str or a tuple of str", (int)len, name);
        }
        *out = jv_bool(hit);
        return AXVK_OK;
    }
    if (IS("replace")) {
        BIND("old", "new", "count");
        if (a[2].type != JV_UNDEF && a[2].type != JV_INT)
            return jinja_fail(ctx, "replace count must be an integer");
        return jinja_str_replace(ctx, s, a[0], a[1], a[2].type == JV_INT ? a[2].u.i : -1, out);
    }
    if (IS("find") || IS("rfind") || IS("count")) {
        BIND("sub");
        if (a[0].type != JV_STR)
            return jinja_fail(ctx, "%.*s needs a string argument", (int)len, name);
        const char *p = s.u.s->s, *sub = a[0].u.s->s;
        size_t n = s.u.s->len, sn = a[0].u.s->len;
        if (IS("count")) {
            int64_t c = 0;
            if (!sn)
                c = (int64_t)s.u.s->ncp + 1;
            for (const char *h = p; sn && (h = memmem(h, n - (size_t)(h - p), sub, sn)); h += sn)
                c++;
            *out = jv_int(c);
            return AXVK_OK;
        }
        int64_t at = -1;
        for (size_t i = 0; i + sn <= n; i++) {
            if (!memcmp(p + i, sub, sn)) {
                at = (int64_t)i;
                if (name[0] == 'f')
                    break;
            }
        }
        *out = jv_int(at < 0 ? -1 : cp_index(s.u.s, (size_t)at));
        return AXVK_OK;
    }
    if (IS("join")) {
        BIND("iterable");
        struct jv items;
        struct jbuf b;
        if ((st = jinja_iterate(ctx, a[0], &items)))
            return st;
        jbuf_init(&b, JV_MAX_STRING, ctx->err);
        for (size_t i = 0; !st && i < items.u.l->n; i++) {
            if (items.u.l->items[i].type != JV_STR)
                st = jinja_fail(ctx, "sequence item %zu: expected str instance, %s found", i,
                                jv_type_name(items.u.l->items[i]));
            else if (!(st = i ? jbuf_put(&b, s.u.s->s, s.u.s->len) : AXVK_OK))
                st = jv_write_str(&b, items.u.l->items[i]);
        }
        jv_unref(items);
        if (st) {
            jbuf_free(&b);
            return st;
        }
        return jbuf_take(&b, out);
    }
    static const struct {
        const char *name;
        int kind;
    } preds[] = {{"isdigit", 'd'}, {"isalpha", 'a'}, {"isalnum", 'n'}, {"isspace", 's'}, {"islower", 'l'},
                 {"isupper", 'u'}};
    for (size_t i = 0; i < sizeof preds / sizeof *preds; i++) {
        if (strlen(preds[i].name) == len && !memcmp(preds[i].name, name, len)) {
            NO_ARGS();
            *out = jv_bool(all_chars(s, preds[i].kind));
            return AXVK_OK;
        }
    }
#undef NO_ARGS
#undef BIND
#undef IS
    *found = false;
    return AXVK_OK;
}
