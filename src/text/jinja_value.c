/* jinja_value: counted template values and their Python semantics (truthiness, ==, <, str, repr).
 * Every allocation goes through base/alloc; nothing here evaluates templates or reads JSON. */
#include "text/jinja_value.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/alloc.h"

/* Dicts up to this size are searched linearly; larger ones get a hash index. */
#define DICT_LINEAR_MAX 8

static struct jobj *obj_of(struct jv v)
{
    switch (v.type) {
    case JV_STR: return &v.u.s->h;
    case JV_LIST: return &v.u.l->h;
    case JV_DICT:
    case JV_NS: return &v.u.d->h;
    case JV_LOOP: return &v.u.loop->h;
    case JV_MACRO: return &v.u.macro->h;
    default: return NULL;
    }
}

static uint32_t depth_of(struct jv v)
{
    struct jobj *o = obj_of(v);
    return o && v.type != JV_NS ? o->depth : 0;
}

struct jv jv_ref(struct jv v)
{
    struct jobj *o = obj_of(v);
    if (o && o->refs != JOBJ_STATIC)
        o->refs++;
    return v;
}

void jv_unref(struct jv v)
{
    struct jobj *o = obj_of(v);
    if (!o || o->refs == JOBJ_STATIC || --o->refs > 0)
        return;
    switch (v.type) {
    case JV_LIST:
        for (size_t i = 0; i < v.u.l->n; i++)
            jv_unref(v.u.l->items[i]);
        mem_free(v.u.l->items);
        break;
    case JV_DICT:
    case JV_NS:
        jv_dict_clear(v.u.d);
        mem_free(v.u.d->keys);
        mem_free(v.u.d->vals);
        mem_free(v.u.d->slots);
        break;
    case JV_LOOP: jv_unref(v.u.loop->items); break;
    default: break;
    }
    mem_free(o);
}

size_t jv_utf8_next(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = u[0] < 0x80 ? 1 : u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc2 ? 2 : 0;
    if (len == 1 || len == 0 || len > n) {
        *cp = u[0];
        return 1;
    }
    uint32_t c = u[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            *cp = u[0];
            return 1;
        }
        c = c << 6 | (u[i] & 0x3f);
    }
    /* overlong forms, surrogates and values past U+10FFFF are not valid UTF-8 */
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_cp[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *cp = u[0];
        return 1;
    }
    *cp = c;
    return len;
}

size_t jv_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; count++) {
        uint32_t cp;
        i += jv_utf8_next(s + i, n - i, &cp);
    }
    return count;
}

bool jv_is_space(uint32_t cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

axvk_status jv_new_str(struct jv *out, const char *s, size_t len, struct err *err)
{
    *out = jv_undef();
    if (len > JV_MAX_STRING)
        return err_set(err, AXVK_ERR_TEMPLATE, "string of %zu bytes exceeds the %zu byte limit", len,
                       JV_MAX_STRING);
    struct jstr *str = mem_alloc(sizeof *str + len + 1);
    if (!str)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a %zu byte string", len);
    str->h = (struct jobj){1, 1};
    str->len = len;
    if (len)
        memcpy(str->s, s, len);
    str->s[len] = '\0';
    str->ncp = jv_utf8_count(s, len);
    *out = (struct jv){.type = JV_STR, .u.s = str};
    return AXVK_OK;
}

axvk_status jv_new_list(struct jv *out, size_t cap, bool tuple, struct err *err)
{
    *out = jv_undef();
    struct jlist *l = mem_calloc(1, sizeof *l);
    if (!l || (cap && !(l->items = mem_calloc(cap, sizeof *l->items)))) {
        mem_free(l);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a list of %zu", cap);
    }
    l->h = (struct jobj){1, 1};
    l->tuple = tuple;
    l->cap = cap;
    *out = (struct jv){.type = JV_LIST, .u.l = l};
    return AXVK_OK;
}

axvk_status jv_list_push(struct jv list, struct jv item, struct err *err)
{
    struct jlist *l = list.u.l;
    uint32_t depth = depth_of(item) + 1;
    if (depth > JV_MAX_DEPTH) {
        jv_unref(item);
        return err_set(err, AXVK_ERR_TEMPLATE, "value nested more than %d levels deep", JV_MAX_DEPTH);
    }
    if (mem_grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items)) {
        jv_unref(item);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory growing a list");
    }
    l->items[l->n++] = item;
    if (depth > l->h.depth)
        l->h.depth = depth;
    return AXVK_OK;
}

axvk_status jv_new_dict(struct jv *out, enum jv_type type, struct err *err)
{
    *out = jv_undef();
    struct jdict *d = mem_calloc(1, sizeof *d);
    if (!d)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a dict");
    d->h = (struct jobj){1, 1};
    *out = (struct jv){.type = (uint8_t)type, .u.d = d};
    return AXVK_OK;
}

axvk_status jv_new_loop(struct jv *out, struct jv items, uint32_t depth0, struct err *err)
{
    *out = jv_undef();
    struct jloop *lp = mem_calloc(1, sizeof *lp);
    if (!lp)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a loop");
    lp->h = (struct jobj){1, depth_of(items) + 1};
    lp->items = jv_ref(items);
    lp->depth0 = depth0;
    *out = (struct jv){.type = JV_LOOP, .u.loop = lp};
    return AXVK_OK;
}

axvk_status jv_new_macro(struct jv *out, const void *node, const void *scope, uint64_t serial, struct err *err)
{
    *out = jv_undef();
    struct jmacro *m = mem_calloc(1, sizeof *m);
    if (!m)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a macro");
    *m = (struct jmacro){{1, 1}, node, scope, serial};
    *out = (struct jv){.type = JV_MACRO, .u.macro = m};
    return AXVK_OK;
}

bool jv_is_hashable(struct jv v)
{
    return v.type == JV_STR || v.type == JV_INT || v.type == JV_FLOAT || v.type == JV_BOOL ||
           v.type == JV_NONE;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Keys that compare equal must hash equal: 1, 1.0 and True are one key, as in Python. */
static uint64_t hash_key(struct jv k)
{
    if (k.type == JV_STR)
        return hash_bytes(k.u.s->s, k.u.s->len);
    /* equal numbers must hash alike: 1 == 1.0 == True */
    int64_t i = 0;
    if (k.type == JV_INT)
        i = k.u.i;
    else if (k.type == JV_BOOL)
        i = k.u.b;
    else if (k.type == JV_FLOAT) {
        if (k.u.f == floor(k.u.f) && fabs(k.u.f) < 9.2e18)
            i = (int64_t)k.u.f;
        else
            memcpy(&i, &k.u.f, sizeof i);
    } else
        return 7;
    return ((uint64_t)i * 0x9e3779b97f4a7c15ull) ^ (uint64_t)i >> 29;
}

/* Rebuilds the open-addressing index at twice the entry count or more (load <= 1/2). */
static axvk_status dict_reindex(struct jdict *d, struct err *err)
{
    size_t nslots = 16;
    while (nslots < d->n * 2)
        nslots *= 2;
    uint32_t *slots = mem_calloc(nslots, sizeof *slots);
    if (!slots)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory indexing a dict");
    for (size_t e = 0; e < d->n; e++) {
        size_t s = hash_key(d->keys[e]) & (nslots - 1);
        while (slots[s])
            s = (s + 1) & (nslots - 1);
        slots[s] = (uint32_t)e + 1;
    }
    mem_free(d->slots);
    d->slots = slots;
    d->nslots = nslots;
    return AXVK_OK;
}

static ptrdiff_t dict_find(const struct jdict *d, struct jv key)
{
    if (!d->slots) {
        for (size_t e = 0; e < d->n; e++)
            if (jv_equal(d->keys[e], key))
                return (ptrdiff_t)e;
        return -1;
    }
    for (size_t s = hash_key(key) & (d->nslots - 1); d->slots[s]; s = (s + 1) & (d->nslots - 1))
        if (jv_equal(d->keys[d->slots[s] - 1], key))
            return (ptrdiff_t)d->slots[s] - 1;
    return -1;
}

const struct jv *jv_dict_get(const struct jdict *d, struct jv key)
{
    if (!jv_is_hashable(key))
        return NULL;
    ptrdiff_t e = dict_find(d, key);
    return e < 0 ? NULL : &d->vals[e];
}

const struct jv *jv_dict_get_str(const struct jdict *d, const char *key, size_t len)
{
    if (!d->slots) {
        for (size_t e = 0; e < d->n; e++) {
            const struct jv *k = &d->keys[e];
            if (k->type == JV_STR && k->u.s->len == len && !memcmp(k->u.s->s, key, len))
                return &d->vals[e];
        }
        return NULL;
    }
    for (size_t s = hash_bytes(key, len) & (d->nslots - 1); d->slots[s]; s = (s + 1) & (d->nslots - 1)) {
        const struct jv *k = &d->keys[d->slots[s] - 1];
        if (k->type == JV_STR && k->u.s->len == len && !memcmp(k->u.s->s, key, len))
            return &d->vals[d->slots[s] - 1];
    }
    return NULL;
}

axvk_status jv_dict_set(struct jv dict, struct jv key, struct jv val, struct err *err)
{
    struct jdict *d = dict.u.d;
    axvk_status st = AXVK_OK;
    if (!jv_is_hashable(key)) {
        st = err_set(err, AXVK_ERR_TEMPLATE, "unhashable type: '%s'", jv_type_name(key));
        goto fail;
    }
    uint32_t depth = dict.type == JV_NS ? 1 : depth_of(val) + 1;
    if (depth > JV_MAX_DEPTH) {
        st = err_set(err, AXVK_ERR_TEMPLATE, "value nested more than %d levels deep", JV_MAX_DEPTH);
        goto fail;
    }
    ptrdiff_t e = dict_find(d, key);
    if (e >= 0) {
        jv_unref(d->vals[e]);
        d->vals[e] = val;
        jv_unref(key);
    } else {
        size_t cap = d->cap;
        if (mem_grow((void **)&d->keys, &cap, d->n + 1, sizeof *d->keys) ||
            mem_grow((void **)&d->vals, &d->cap, d->n + 1, sizeof *d->vals)) {
            st = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory growing a dict");
            goto fail;
        }
        d->keys[d->n] = key;
        d->vals[d->n] = val;
        d->n++;
        if (d->n > DICT_LINEAR_MAX && d->n * 2 > d->nslots && (st = dict_reindex(d, err))) {
            d->n--;
            goto fail;
        }
    }
    if (depth > d->h.depth)
        d->h.depth = depth;
    return AXVK_OK;
fail:
    jv_unref(key);
    jv_unref(val);
    return st;
}

void jv_dict_clear(struct jdict *d)
{
    /* detach first: releasing values may reach this dict again through a namespace cycle */
    size_t n = d->n;
    d->n = 0;
    for (size_t e = 0; e < n; e++) {
        jv_unref(d->keys[e]);
        jv_unref(d->vals[e]);
    }
    mem_free(d->slots);
    d->slots = NULL;
    d->nslots = 0;
}

/* Python truthiness; undefined is false, namespaces, loops and callables are true. */
bool jv_truthy(struct jv v)
{
    switch (v.type) {
    case JV_UNDEF:
    case JV_NONE: return false;
    case JV_BOOL: return v.u.b;
    case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0.0;
    case JV_STR: return v.u.s->len > 0;
    case JV_LIST: return v.u.l->n > 0;
    case JV_DICT: return v.u.d->n > 0;
    default: return true;
    }
}

bool jv_is_number(struct jv v)
{
    return v.type == JV_BOOL || v.type == JV_INT || v.type == JV_FLOAT;
}

double jv_to_double(struct jv v)
{
    return v.type == JV_FLOAT ? v.u.f : v.type == JV_INT ? (double)v.u.i : v.type == JV_BOOL ? v.u.b : 0;
}

/* Python ==: numbers by value across types, lists and tuples never equal each other, dicts
 * regardless of order, namespaces and loops by identity. */
static bool equal_at(struct jv a, struct jv b, int depth)
{
    if (depth > JV_MAX_DEPTH)
        return false;
    if (jv_is_number(a) && jv_is_number(b)) {
        if (a.type != JV_FLOAT && b.type != JV_FLOAT)
            return (a.type == JV_INT ? a.u.i : a.u.b) == (b.type == JV_INT ? b.u.i : b.u.b);
        return jv_to_double(a) == jv_to_double(b);
    }
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case JV_UNDEF:
    case JV_NONE: return true;
    case JV_STR: return a.u.s->len == b.u.s->len && !memcmp(a.u.s->s, b.u.s->s, a.u.s->len);
    case JV_LIST:
        if (a.u.l->tuple != b.u.l->tuple || a.u.l->n != b.u.l->n)
            return false;
        for (size_t i = 0; i < a.u.l->n; i++)
            if (!equal_at(a.u.l->items[i], b.u.l->items[i], depth + 1))
                return false;
        return true;
    case JV_DICT:
        if (a.u.d->n != b.u.d->n)
            return false;
        for (size_t e = 0; e < a.u.d->n; e++) {
            const struct jv *bv = jv_dict_get(b.u.d, a.u.d->keys[e]);
            if (!bv || !equal_at(a.u.d->vals[e], *bv, depth + 1))
                return false;
        }
        return true;
    case JV_NS: return a.u.d == b.u.d;
    case JV_LOOP: return a.u.loop == b.u.loop;
    case JV_MACRO: return a.u.macro == b.u.macro;
    case JV_FUNC: return a.u.fn == b.u.fn;
    default: return false;
    }
}

bool jv_equal(struct jv a, struct jv b)
{
    return equal_at(a, b, 0);
}

static bool compare_at(struct jv a, struct jv b, int *cmp, int depth)
{
    if (depth > JV_MAX_DEPTH)
        return false;
    if (jv_is_number(a) && jv_is_number(b)) {
        if (a.type != JV_FLOAT && b.type != JV_FLOAT) {
            int64_t x = a.type == JV_INT ? a.u.i : a.u.b, y = b.type == JV_INT ? b.u.i : b.u.b;
            *cmp = (x > y) - (x < y);
        } else {
            double x = jv_to_double(a), y = jv_to_double(b);
            if (isnan(x) || isnan(y))
                *cmp = 2; /* every ordering of NaN is false; the caller maps 2 to "unordered" */
            else
                *cmp = (x > y) - (x < y);
        }
        return true;
    }
    if (a.type == JV_STR && b.type == JV_STR) {
        /* byte order of UTF-8 is code point order, as Python compares str */
        size_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
        int c = memcmp(a.u.s->s, b.u.s->s, n);
        *cmp = c ? (c > 0) - (c < 0) : (a.u.s->len > b.u.s->len) - (a.u.s->len < b.u.s->len);
        return true;
    }
    if (a.type == JV_LIST && b.type == JV_LIST && a.u.l->tuple == b.u.l->tuple) {
        size_t n = a.u.l->n < b.u.l->n ? a.u.l->n : b.u.l->n;
        for (size_t i = 0; i < n; i++) {
            if (equal_at(a.u.l->items[i], b.u.l->items[i], depth + 1))
                continue;
            return compare_at(a.u.l->items[i], b.u.l->items[i], cmp, depth + 1);
        }
        *cmp = (a.u.l->n > b.u.l->n) - (a.u.l->n < b.u.l->n);
        return true;
    }
    return false;
}

bool jv_compare(struct jv a, struct jv b, int *cmp)
{
    return compare_at(a, b, cmp, 0);
}

const char *jv_type_name(struct jv v)
{
    switch (v.type) {
    case JV_UNDEF: return "Undefined";
    case JV_NONE: return "NoneType";
    case JV_BOOL: return "bool";
    case JV_INT: return "int";
    case JV_FLOAT: return "float";
    case JV_STR: return "str";
    case JV_LIST: return v.u.l->tuple ? "tuple" : "list";
    case JV_DICT: return "dict";
    case JV_NS: return "Namespace";
    case JV_LOOP: return "LoopContext";
    case JV_MACRO: return "Macro";
    case JV_FUNC: return "function";
    }
    return "object";
}

int64_t jv_length(struct jv v)
{
    switch (v.type) {
    case JV_STR: return (int64_t)v.u.s->ncp;
    case JV_LIST: return (int64_t)v.u.l->n;
    case JV_DICT: return (int64_t)v.u.d->n;
    default: return -1;
    }
}

void jbuf_init(struct jbuf *b, size_t limit, struct err *err)
{
    *b = (struct jbuf){.limit = limit, .err = err};
}

void jbuf_free(struct jbuf *b)
{
    mem_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

axvk_status jbuf_put(struct jbuf *b, const char *s, size_t n)
{
    if (n > b->limit - b->len)
        return err_set(b->err, AXVK_ERR_TEMPLATE, "text grows past the %zu byte limit", b->limit);
    if (mem_grow((void **)&b->p, &b->cap, b->len + n + 1, 1))
        return err_set(b->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for %zu bytes of text",
                       b->len + n);
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return AXVK_OK;
}

axvk_status jbuf_puts(struct jbuf *b, const char *s)
{
    return jbuf_put(b, s, strlen(s));
}

axvk_status jbuf_put_cp(struct jbuf *b, uint32_t cp)
{
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, enc);
    return jbuf_put(b, (const char *)enc, (size_t)n);
}

axvk_status jbuf_take(struct jbuf *b, struct jv *out)
{
    axvk_status st = jv_new_str(out, b->p ? b->p : "", b->len, b->err);
    jbuf_free(b);
    return st;
}

void jv_format_float(char out[32], double f)
{
    if (isnan(f) || isinf(f)) {
        snprintf(out, 32, "%s", isnan(f) ? "nan" : f > 0 ? "inf" : "-inf");
        return;
    }
    /* shortest digit string that reads back to the same double, as Python's repr chooses */
    char sci[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec - 1, f);
        if (strtod(sci, NULL) == f)
            break;
    }
    const char *p = sci;
    char digits[24];
    size_t nd = 0;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int decpt = atoi(p + 1) + 1; /* value = 0.<digits> * 10^decpt */
    char *o = out;
    if (neg)
        *o++ = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            o += sprintf(o, "0.");
            for (int i = 0; i < -decpt; i++)
                *o++ = '0';
            memcpy(o, digits, nd);
            o += nd;
        } else if ((size_t)decpt >= nd) {
            memcpy(o, digits, nd);
            o += nd;
            for (size_t i = nd; i < (size_t)decpt; i++)
                *o++ = '0';
            o += sprintf(o, ".0");
        } else {
            memcpy(o, digits, (size_t)decpt);
            o += decpt;
            *o++ = '.';
            memcpy(o, digits + decpt, nd - (size_t)decpt);
            o += nd - (size_t)decpt;
        }
        *o = '\0';
        return;
    }
    *o++ = digits[0];
    if (nd > 1) {
        *o++ = '.';
        memcpy(o, digits + 1, nd - 1);
        o += nd - 1;
    }
    int e = decpt - 1;
    sprintf(o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

/* Python's str.isprintable() for one code point: not a control, format, separator (bar ' ')... */
static bool is_printable(uint32_t cp)
{
    if (cp == ' ')
        return true;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return !(c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CS ||
             c == UTF8PROC_CATEGORY_CO || c == UTF8PROC_CATEGORY_CN || c == UTF8PROC_CATEGORY_ZS ||
             c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP);
}

static axvk_status write_str_repr(struct jbuf *b, const struct jstr *s)
{
    /* Python prefers single quotes, and switches to double only to avoid escaping a ' */
    char q = memchr(s->s, '\'', s->len) && !memchr(s->s, '"', s->len) ? '"' : '\'';
    axvk_status st = jbuf_put(b, &q, 1);
    for (size_t i = 0; !st && i < s->len;) {
        uint32_t cp;
        size_t n = jv_utf8_next(s->s + i, s->len - i, &cp);
        char esc[16];
        if (cp == (uint32_t)q || cp == '\\')
            st = jbuf_put(b, (const char[]){'\\', (char)cp}, 2);
        else if (cp == '\n' || cp == '\r' || cp == '\t')
            st = jbuf_put(b, cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : "\\t", 2);
        else if (n == 1 && cp >= 0x80) /* a stray byte: show it, as Python shows surrogateescapes */
            st = jbuf_put(b, esc, (size_t)snprintf(esc, sizeof esc, "\\x%02x", cp));
        else if (is_printable(cp))
            st = jbuf_put(b, s->s + i, n);
        else if (cp < 0x100)
            st = jbuf_put(b, esc, (size_t)snprintf(esc, sizeof esc, "\\x%02x", cp));
        else if (cp < 0x10000)
            st = jbuf_put(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", cp));
        else
            st = jbuf_put(b, esc, (size_t)snprintf(esc, sizeof esc, "\\U%08x", cp));
        i += n;
    }
    return st ? st : jbuf_put(b, &q, 1);
}

static axvk_status write_repr_at(struct jbuf *b, struct jv v, int depth)
{
    char num[32];
    axvk_status st = AXVK_OK;
    if (depth > JV_MAX_DEPTH)
        return err_set(b->err, AXVK_ERR_TEMPLATE, "value nested too deeply (or containing itself) to print");
    switch (v.type) {
    case JV_UNDEF: return jbuf_puts(b, "Undefined");
    case JV_NONE: return jbuf_puts(b, "None");
    case JV_BOOL: return jbuf_puts(b, v.u.b ? "True" : "False");
    case JV_INT: return jbuf_put(b, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v.u.i));
    case JV_FLOAT: jv_format_float(num, v.u.f); return jbuf_puts(b, num);
    case JV_STR: return write_str_repr(b, v.u.s);
    case JV_LIST: {
        const struct jlist *l = v.u.l;
        st = jbuf_puts(b, l->tuple ? "(" : "[");
        for (size_t i = 0; !st && i < l->n; i++) {
            if (i)
                st = jbuf_puts(b, ", ");
            if (!st)
                st = write_repr_at(b, l->items[i], depth + 1);
        }
        if (!st && l->tuple && l->n == 1)
            st = jbuf_puts(b, ",");
        return st ? st : jbuf_puts(b, l->tuple ? ")" : "]");
    }
    case JV_DICT:
    case JV_NS: {
        const struct jdict *d = v.u.d;
        st = jbuf_puts(b, v.type == JV_NS ? "<Namespace {" : "{");
        for (size_t e = 0; !st && e < d->n; e++) {
            if (e)
                st = jbuf_puts(b, ", ");
            if (!st)
                st = write_repr_at(b, d->keys[e], depth + 1);
            if (!st)
                st = jbuf_puts(b, ": ");
            if (!st)
                st = write_repr_at(b, d->vals[e], depth + 1);
        }
        return st ? st : jbuf_puts(b, v.type == JV_NS ? "}>" : "}");
    }
    case JV_LOOP:
        return jbuf_put(b, num,
                        (size_t)snprintf(num, sizeof num, "<LoopContext %zu/%zu>", v.u.loop->index0 + 1,
                                         v.u.loop->items.u.l->n));
    case JV_MACRO: return jbuf_puts(b, "<Macro>");
    case JV_FUNC: return jbuf_puts(b, "<function>");
    }
    return st;
}

axvk_status jv_write_repr(struct jbuf *b, struct jv v)
{
    return write_repr_at(b, v, 0);
}

axvk_status jv_write_str(struct jbuf *b, struct jv v)
{
    if (v.type == JV_UNDEF)
        return AXVK_OK;
    if (v.type == JV_STR)
        return jbuf_put(b, v.u.s->s, v.u.s->len);
    return write_repr_at(b, v, 0);
}

axvk_status jv_to_str(struct jv *out, struct jv v, struct err *err)
{
    if (v.type == JV_STR) {
        *out = jv_ref(v);
        return AXVK_OK;
    }
    struct jbuf b;
    jbuf_init(&b, JV_MAX_STRING, err);
    axvk_status st = jv_write_str(&b, v);
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}
