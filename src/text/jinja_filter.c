/* jinja_filter: the filters chat templates use, with jinja2's argument names and defaults, plus
 * transformers' tojson (json.dumps with ensure_ascii=False). Unknown filter names are caught by
 * the parser through jinja_filter_find; nothing here touches template syntax. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "text/jinja_filter.h"
#include "text/jinja_json.h"

/* join(d="", attribute=None): str() of each item, so numbers join too. */
static axvk_status f_join(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("join", "d", "attribute");
    struct jv items;
    struct jbuf b;
    if (p[0].type != JV_UNDEF && p[0].type != JV_STR)
        return jinja_fail(ctx, "join: separator must be a string");
    if ((st = jinja_iterate(ctx, in, &items)))
        return st;
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    for (size_t i = 0; !st && i < items.u.l->n; i++) {
        struct jv v;
        if (i && p[0].type == JV_STR && (st = jbuf_put(&b, p[0].u.s->s, p[0].u.s->len)))
            break;
        if ((st = filter_key_of(ctx, items.u.l->items[i], p[1], true, &v)))
            break;
        st = jv_write_str(&b, v);
        jv_unref(v);
    }
    jv_unref(items);
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}

static axvk_status f_tojson(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    /* transformers' signature: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False) */
    BIND("tojson", "ensure_ascii", "indent", "separators", "sort_keys");
    struct json_style style = {.ensure_ascii = jv_truthy(p[0]), .sort_keys = jv_truthy(p[3])};
    char spaces[64];
    if (p[1].type == JV_INT || p[1].type == JV_BOOL) {
        int64_t w = p[1].type == JV_INT ? p[1].u.i : p[1].u.b;
        if (w > (int64_t)sizeof spaces)
            return jinja_fail(ctx, "tojson: indent of %" PRId64 " is too large", w);
        memset(spaces, ' ', sizeof spaces);
        style.indent_set = true;
        style.indent = spaces;
        style.indent_len = w > 0 ? (size_t)w : 0;
    } else if (p[1].type == JV_STR) {
        style.indent_set = true;
        style.indent = p[1].u.s->s;
        style.indent_len = p[1].u.s->len;
    } else if (p[1].type != JV_UNDEF && p[1].type != JV_NONE) {
        return jinja_fail(ctx, "tojson: indent must be an integer or a string");
    }
    if (p[2].type == JV_LIST && p[2].u.l->n == 2 && p[2].u.l->items[0].type == JV_STR &&
        p[2].u.l->items[1].type == JV_STR) {
        style.item_sep = p[2].u.l->items[0].u.s->s;
        style.item_sep_len = p[2].u.l->items[0].u.s->len;
        style.key_sep = p[2].u.l->items[1].u.s->s;
        style.key_sep_len = p[2].u.l->items[1].u.s->len;
    } else if (p[2].type != JV_UNDEF && p[2].type != JV_NONE) {
        return jinja_fail(ctx, "tojson: separators must be a pair of strings");
    }
    struct jbuf b;
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    if ((st = jv_write_json(&b, in, &style))) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}

/* default(value, default_value="", boolean=False): only undefined is replaced unless boolean. */
static axvk_status f_default(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("default", "default_value", "boolean");
    bool use_default = in.type == JV_UNDEF || (jv_truthy(p[1]) && !jv_truthy(in));
    if (!use_default)
        *out = jv_ref(in);
    else if (given & 1)
        *out = jv_ref(p[0]);
    else
        st = jv_new_str(out, "", 0, ctx->err);
    return st;
}

/* length / count: code points for strings; 0 for undefined, which jinja2 gives a length. */
static axvk_status f_length(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("length");
    int64_t n = in.type == JV_UNDEF ? 0 : jv_length(in);
    if (n < 0)
        return jinja_fail(ctx, "object of type '%s' has no len()", jv_type_name(in));
    *out = jv_int(n);
    return st;
}

static axvk_status f_first_last(struct jctx *ctx, struct jv in, const struct jargs *a, bool last, struct jv *out)
{
    BIND0(last ? "last" : "first");
    struct jv items;
    if ((st = jinja_iterate(ctx, in, &items)))
        return st;
    size_t n = items.u.l->n;
    *out = n ? jv_ref(items.u.l->items[last ? n - 1 : 0]) : jv_undef();
    jv_unref(items);
    return st;
}

static axvk_status f_first(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return f_first_last(ctx, in, a, false, out);
}

static axvk_status f_last(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return f_first_last(ctx, in, a, true, out);
}

/* list: a tuple becomes a list; a list is returned itself, since lists never change. */
static axvk_status f_list(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("list");
    struct jv items;
    if ((st = jinja_iterate(ctx, in, &items)))
        return st;
    if (!items.u.l->tuple) {
        *out = items;
        return AXVK_OK;
    }
    st = jv_new_list(out, items.u.l->n, false, ctx->err);
    for (size_t i = 0; !st && i < items.u.l->n; i++)
        st = jv_list_push(*out, jv_ref(items.u.l->items[i]), ctx->err);
    jv_unref(items);
    return st;
}

static axvk_status f_items(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("items");
    if (in.type == JV_UNDEF)
        return jv_new_list(out, 0, false, ctx->err);
    if (in.type != JV_DICT)
        return jinja_fail(ctx, "Can only get item pairs from a mapping.");
    return jinja_method_call(ctx, in, "items", 5, a, out, &(bool){false});
}

/* reverse: strings by code point, everything iterable as a new list. */
static axvk_status f_reverse(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("reverse");
    struct jv items;
    if (in.type == JV_STR) {
        struct jbuf b;
        jbuf_init(&b, JV_MAX_STRING, ctx->err);
        for (size_t e = in.u.s->len; !st && e > 0;) {
            size_t s = e - 1; /* back to the start of the sequence ending at e */
            while (s > 0 && e - s < 4 && ((unsigned char)in.u.s->s[s] & 0xc0) == 0x80)
                s--;
            uint32_t cp;
            if (jv_utf8_next(in.u.s->s + s, e - s, &cp) != e - s)
                s = e - 1;
            st = jbuf_put(&b, in.u.s->s + s, e - s);
            e = s;
        }
        if (st) {
            jbuf_free(&b);
            return st;
        }
        return jbuf_take(&b, out);
    }
    if ((st = jinja_iterate(ctx, in, &items)))
        return st;
    st = jv_new_list(out, items.u.l->n, false, ctx->err);
    for (size_t i = items.u.l->n; !st && i-- > 0;)
        st = jv_list_push(*out, jv_ref(items.u.l->items[i]), ctx->err);
    jv_unref(items);
    return st;
}

static axvk_status f_string(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("string");
    return jv_to_str(out, in, ctx->err);
}

static axvk_status f_trim(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("trim", "chars");
    struct jv s;
    if ((st = jv_to_str(&s, in, ctx->err)))
        return st;
    st = jinja_str_strip(ctx, s, p[0], true, true, out);
    jv_unref(s);
    return st;
}

static axvk_status case_filter(struct jctx *ctx, struct jv in, const struct jargs *a, enum jcase mode, struct jv *out)
{
    if (a->npos || a->nkw)
        return jinja_fail(ctx, "this filter takes no arguments");
    return jinja_str_case(ctx, in, mode, out);
}

static axvk_status f_upper(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return case_filter(ctx, in, a, JCASE_UPPER, out);
}

static axvk_status f_lower(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return case_filter(ctx, in, a, JCASE_LOWER, out);
}

static axvk_status f_capitalize(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return case_filter(ctx, in, a, JCASE_CAPITALIZE, out);
}

static axvk_status f_title(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return case_filter(ctx, in, a, JCASE_TITLE_FILTER, out);
}

static axvk_status f_replace(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("replace", "old", "new", "count");
    struct jv s, old, repl;
    int64_t count;
    if (!int_arg(p[2], -1, &count))
        return jinja_fail(ctx, "replace: count must be an integer");
    if ((st = jv_to_str(&s, in, ctx->err)))
        return st;
    if (!(st = jv_to_str(&old, p[0], ctx->err))) {
        if (!(st = jv_to_str(&repl, p[1], ctx->err))) {
            st = jinja_str_replace(ctx, s, old, repl, count, out);
            jv_unref(repl);
        }
        jv_unref(old);
    }
    jv_unref(s);
    return st;
}

/* Python float() of a string: surrounding whitespace allowed, no hex; false when it is no number. */
static bool parse_float(const char *s, double *out)
{
    char buf[128];
    size_t n = 0;
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    for (; *s && n + 1 < sizeof buf; s++)
        if (*s != '_')
            buf[n++] = *s;
    while (n && (buf[n - 1] == ' ' || (buf[n - 1] >= '\t' && buf[n - 1] <= '\r')))
        n--;
    buf[n] = '\0';
    if (!n || *s || strchr(buf, 'x') || strchr(buf, 'X'))
        return false;
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0';
}

/* Python int(s, base): sign, digits with single underscores between them, surrounding whitespace. */
static bool parse_int(const char *s, int base, int64_t *out)
{
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    bool neg = *s == '-';
    s += *s == '-' || *s == '+';
    uint64_t v = 0;
    int ndigits = 0;
    for (; *s; s++) {
        if (*s == '_' && ndigits && s[1] && s[1] != '_')
            continue;
        int d = *s >= '0' && *s <= '9' ? *s - '0' : (*s | 0x20) >= 'a' && (*s | 0x20) <= 'z' ? (*s | 0x20) - 'a' + 10 : 99;
        if (d >= base)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
        ndigits++;
    }
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    if (!ndigits || *s || v > (uint64_t)INT64_MAX + neg)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* int(default=0, base=10): jinja2 tries int(s, base), then int(float(s)), then the default. */
static axvk_status f_int(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("int", "default", "base");
    int64_t base, i;
    double f;
    if (!int_arg(p[1], 10, &base) || base < 2 || base > 36)
        return jinja_fail(ctx, "int: base must be between 2 and 36");
    if (in.type == JV_UNDEF) /* Undefined refuses int(), and jinja2 lets that error through */
        return jinja_fail(ctx, "int: the value is undefined");
    *out = given & 1 ? jv_ref(p[0]) : jv_int(0);
    if (in.type == JV_INT || in.type == JV_BOOL) {
        jv_unref(*out);
        *out = jv_int(in.type == JV_INT ? in.u.i : in.u.b);
    } else if (in.type == JV_FLOAT || (in.type == JV_STR && !parse_int(in.u.s->s, (int)base, &i) &&
                                       parse_float(in.u.s->s, &f))) {
        /* "42.23"|int is 42: through float, truncated */
        double v = in.type == JV_FLOAT ? in.u.f : f;
        if (isfinite(v) && v > -9.2e18 && v < 9.2e18) {
            jv_unref(*out);
            *out = jv_int((int64_t)v);
        }
    } else if (in.type == JV_STR && parse_int(in.u.s->s, (int)base, &i)) {
        jv_unref(*out);
        *out = jv_int(i);
    }
    return st;
}

static axvk_status f_float(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("float", "default");
    double f;
    if (in.type == JV_UNDEF)
        return jinja_fail(ctx, "float: the value is undefined");
    if (jv_is_number(in))
        *out = jv_float(jv_to_double(in));
    else if (in.type == JV_STR && parse_float(in.u.s->s, &f))
        *out = jv_float(f);
    else
        *out = given & 1 ? jv_ref(p[0]) : jv_float(0.0);
    return st;
}

static axvk_status f_abs(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("abs");
    if (in.type == JV_FLOAT)
        *out = jv_float(fabs(in.u.f));
    else if ((in.type == JV_INT && in.u.i != INT64_MIN) || in.type == JV_BOOL)
        *out = jv_int(in.type == JV_BOOL ? in.u.b : in.u.i < 0 ? -in.u.i : in.u.i);
    else
        return jinja_fail(ctx, "bad operand type for abs(): '%s'", jv_type_name(in));
    return st;
}

/* round(precision=0, method="common"): an int stays an int; floor and ceil give floats. */
static axvk_status f_round(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("round", "precision", "method");
    int64_t prec;
    const char *method = p[1].type == JV_STR ? p[1].u.s->s : "common";
    if (!int_arg(p[0], 0, &prec) || prec < -300 || prec > 300)
        return jinja_fail(ctx, "round: precision must be a small integer");
    if (strcmp(method, "common") && strcmp(method, "floor") && strcmp(method, "ceil"))
        return jinja_fail(ctx, "round: method must be 'common', 'ceil' or 'floor'");
    if (!jv_is_number(in))
        return jinja_fail(ctx, "round: expected a number, got '%s'", jv_type_name(in));
    if (in.type != JV_FLOAT && !strcmp(method, "common") && prec >= 0) {
        *out = jv_int(in.type == JV_INT ? in.u.i : in.u.b); /* round(int) stays an int */
        return st;
    }
    double x = jv_to_double(in), scale = pow(10.0, (double)prec);
    if (!strcmp(method, "common") && prec >= 0 && isfinite(x)) {
        /* printf rounds the exact binary value half-to-even, as Python's round does */
        char buf[400];
        snprintf(buf, sizeof buf, "%.*f", (int)prec, x);
        *out = jv_float(strtod(buf, NULL));
    } else if (!strcmp(method, "common")) {
        *out = jv_float(isfinite(x) ? nearbyint(x * scale) / scale : x);
    } else {
        *out = jv_float((method[0] == 'f' ? floor(x * scale) : ceil(x * scale)) / scale);
    }
    return st;
}

/* str(v) + "\n" */
static axvk_status concat_newline(struct jctx *ctx, struct jv v, struct jv *out)
{
    struct jbuf b;
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    axvk_status st = jv_write_str(&b, v);
    if (!st)
        st = jbuf_put(&b, "\n", 1);
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}

static axvk_status f_indent(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("indent", "width", "first", "blank");
    struct jv s = jv_undef(), lines = jv_undef();
    struct jbuf pad, b;
    jbuf_init(&pad, 4096, ctx->err);
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    if (in.type != JV_STR) { /* jinja2 appends "\n" to the value itself, which only strings allow */
        st = jinja_fail(ctx, "indent: expected a string, got '%s'", jv_type_name(in));
        goto done;
    }
    if (p[0].type == JV_STR) {
        st = jbuf_put(&pad, p[0].u.s->s, p[0].u.s->len);
    } else {
        int64_t w;
        if (!int_arg(p[0], 4, &w) || w > 4096) {
            st = jinja_fail(ctx, "indent: width must be a small integer or a string");
            goto done;
        }
        for (int64_t i = 0; !st && i < w; i++)
            st = jbuf_put(&pad, " ", 1);
    }
    if (st || (st = concat_newline(ctx, in, &s)) || (st = jinja_str_splitlines(ctx, s, false, &lines)))
        goto done;
    /* jinja2 splits text + "\n", indents every line after the first (empty ones only when blank),
     * then the first when first=True */
    if (jv_truthy(p[1]))
        st = jbuf_put(&b, pad.p, pad.len);
    for (size_t i = 0; !st && i < lines.u.l->n; i++) {
        const struct jstr *line = lines.u.l->items[i].u.s;
        if (i && (st = jbuf_put(&b, "\n", 1)))
            break;
        if (i && (line->len || jv_truthy(p[2])) && (st = jbuf_put(&b, pad.p, pad.len)))
            break;
        st = jbuf_put(&b, line->s, line->len);
    }
done:
    jv_unref(s);
    jv_unref(lines);
    jbuf_free(&pad);
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}

/* escape / e: the five characters markupsafe replaces, with its entity spellings. */
static axvk_status f_escape(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("escape");
    struct jv s;
    struct jbuf b;
    if ((st = jv_to_str(&s, in, ctx->err)))
        return st;
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    for (size_t i = 0; !st && i < s.u.s->len; i++) {
        char c = s.u.s->s[i];
        const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&#34;"
                        : c == '\'' ? "&#39;" : NULL;
        st = rep ? jbuf_puts(&b, rep) : jbuf_put(&b, &c, 1);
    }
    jv_unref(s);
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}

static axvk_status f_safe(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("safe");
    return jv_to_str(out, in, ctx->err);
}

static axvk_status f_attr(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("attr", "name");
    if (p[0].type != JV_STR)
        return jinja_fail(ctx, "attr: name must be a string");
    /* jinja2's attr reads Python attributes only: a dict's keys are not among them */
    if (in.type == JV_DICT) {
        *out = jv_undef();
        return st;
    }
    return jinja_getattr(ctx, in, p[0].u.s->s, p[0].u.s->len, out);
}

/* wordcount: runs of what Python's regex \w matches (letters, digits, underscore). */
static axvk_status f_wordcount(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND0("wordcount");
    struct jv s;
    int64_t words = 0;
    bool in_word = false;
    if ((st = jv_to_str(&s, in, ctx->err)))
        return st;
    for (size_t i = 0; i < s.u.s->len;) {
        uint32_t cp;
        i += jv_utf8_next(s.u.s->s + i, s.u.s->len - i, &cp);
        utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
        bool word = cp == '_' || (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
                    (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
        words += word && !in_word;
        in_word = word;
    }
    jv_unref(s);
    *out = jv_int(words);
    return st;
}

/* format(*args, **kwargs): `value % args` (or % kwargs), as jinja2's do_format. */
static axvk_status f_format(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    struct jv s, values;
    axvk_status st;
    if (a->npos && a->nkw)
        return jinja_fail(ctx, "format: can't handle positional and keyword arguments at the same time");
    if ((st = a->nkw ? jv_new_dict(&values, JV_DICT, ctx->err) : jv_new_list(&values, a->npos, true, ctx->err)))
        return st;
    for (size_t i = 0; !st && i < a->npos; i++)
        st = jv_list_push(values, jv_ref(a->pos[i]), ctx->err);
    for (size_t k = 0; !st && k < a->nkw; k++) {
        struct jv key;
        if (!(st = jv_new_str(&key, a->kw[k].name, a->kw[k].len, ctx->err)))
            st = jv_dict_set(values, key, jv_ref(a->kw[k].v), ctx->err);
    }
    if (!st && !(st = jv_to_str(&s, in, ctx->err))) {
        st = jinja_str_percent(ctx, s, values, out);
        jv_unref(s);
    }
    jv_unref(values);
    return st;
}

/* By name; the parser stores an entry's index in JN_FILTER nodes. */
static const struct {
    const char *name;
    filter_fn fn;
} filters[] = {
    {"abs", f_abs}, {"attr", f_attr}, {"capitalize", f_capitalize}, {"count", f_length},
    {"d", f_default}, {"default", f_default}, {"dictsort", filter_dictsort}, {"e", f_escape},
    {"escape", f_escape}, {"first", f_first}, {"float", f_float}, {"format", f_format}, {"indent", f_indent},
    {"int", f_int}, {"items", f_items}, {"join", f_join}, {"last", f_last},
    {"length", f_length}, {"list", f_list}, {"lower", f_lower}, {"map", filter_map},
    {"max", filter_max}, {"min", filter_min}, {"reject", filter_reject}, {"rejectattr", filter_rejectattr},
    {"replace", f_replace}, {"reverse", f_reverse}, {"round", f_round}, {"safe", f_safe},
    {"select", filter_select}, {"selectattr", filter_selectattr}, {"sort", filter_sort}, {"string", f_string},
    {"sum", filter_sum}, {"title", f_title}, {"tojson", f_tojson}, {"trim", f_trim},
    {"unique", filter_unique}, {"upper", f_upper}, {"wordcount", f_wordcount},
};

int jinja_filter_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++)
        if (strlen(filters[i].name) == len && !memcmp(filters[i].name, name, len))
            return (int)i;
    return -1;
}

axvk_status jinja_filter_apply(struct jctx *ctx, int id, struct jv in, const struct jargs *args, struct jv *out)
{
    *out = jv_undef();
    if (id < 0 || (size_t)id >= sizeof filters / sizeof *filters)
        return jinja_fail(ctx, "unknown filter");
    return filters[id].fn(ctx, in, args, out);
}
