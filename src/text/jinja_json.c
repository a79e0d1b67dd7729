/* jinja_json: cJSON -> value conversion and Python json.dumps-compatible serialisation.
 * Must not depend on the evaluator: filters call jv_write_json with the options they parsed. */
#include "text/jinja_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* 2^53: the largest magnitude below which every integer is exact in a double */
#define JSON_EXACT_INT 9007199254740992.0

static axvk_status from_json_at(struct jv *out, const cJSON *j, int depth, struct err *err)
{
    axvk_status st = AXVK_OK;
    if (depth > JV_MAX_DEPTH)
        return err_set(err, AXVK_ERR_JSON, "JSON nested more than %d levels deep", JV_MAX_DEPTH);
    if (cJSON_IsNull(j)) {
        *out = jv_none();
    } else if (cJSON_IsBool(j)) {
        *out = jv_bool(cJSON_IsTrue(j));
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && fabs(d) <= JSON_EXACT_INT)
            *out = jv_int((int64_t)d);
        else
            *out = jv_float(d);
    } else if (cJSON_IsString(j)) {
        const char *s = j->valuestring ? j->valuestring : "";
        st = jv_new_str(out, s, strlen(s), err);
    } else if (cJSON_IsArray(j)) {
        if ((st = jv_new_list(out, (size_t)cJSON_GetArraySize(j), false, err)))
            return st;
        for (const cJSON *c = j->child; c && !st; c = c->next) {
            struct jv item;
            if (!(st = from_json_at(&item, c, depth + 1, err)))
                st = jv_list_push(*out, item, err);
        }
    } else if (cJSON_IsObject(j)) {
        if ((st = jv_new_dict(out, JV_DICT, err)))
            return st;
        for (const cJSON *c = j->child; c && !st; c = c->next) {
            struct jv key, val;
            const char *k = c->string ? c->string : "";
            if ((st = jv_new_str(&key, k, strlen(k), err)))
                break;
            if ((st = from_json_at(&val, c, depth + 1, err))) {
                jv_unref(key);
                break;
            }
            st = jv_dict_set(*out, key, val, err);
        }
    } else {
        return err_set(err, AXVK_ERR_JSON, "JSON item of unknown type %d", j->type);
    }
    if (st) {
        jv_unref(*out);
        *out = jv_undef();
    }
    return st;
}

axvk_status jv_from_json(struct jv *out, const cJSON *json, struct err *err)
{
    *out = jv_undef();
    if (!json)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "no JSON value given");
    return from_json_at(out, json, 0, err);
}

static axvk_status write_json_string(struct jbuf *b, const char *s, size_t len, bool ensure_ascii)
{
    axvk_status st = jbuf_put(b, "\"", 1);
    size_t run = 0; /* start of the pending span copied verbatim */
    for (size_t i = 0; !st && i < len;) {
        uint32_t cp;
        size_t n = jv_utf8_next(s + i, len - i, &cp);
        char esc[16];
        size_t elen = 0;
        switch (cp) {
        case '"': elen = 2, memcpy(esc, "\\\"", 2); break;
        case '\\': elen = 2, memcpy(esc, "\\\\", 2); break;
        case '\n': elen = 2, memcpy(esc, "\\n", 2); break;
        case '\r': elen = 2, memcpy(esc, "\\r", 2); break;
        case '\t': elen = 2, memcpy(esc, "\\t", 2); break;
        case '\b': elen = 2, memcpy(esc, "\\b", 2); break;
        case '\f': elen = 2, memcpy(esc, "\\f", 2); break;
        default:
            if (cp < 0x20 || (ensure_ascii && cp >= 0x80 && cp < 0x10000))
                elen = (size_t)snprintf(esc, sizeof esc, "\\u%04x", cp);
            else if (ensure_ascii && cp >= 0x10000) /* UTF-16 surrogate pair, as Python writes */
                elen = (size_t)snprintf(esc, sizeof esc, "\\u%04x\\u%04x",
                                        0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
        }
        if (elen) {
            st = jbuf_put(b, s + run, i - run);
            if (!st)
                st = jbuf_put(b, esc, elen);
            run = i + n;
        }
        i += n;
    }
    if (!st)
        st = jbuf_put(b, s + run, len - run);
    return st ? st : jbuf_put(b, "\"", 1);
}

static axvk_status write_newline(struct jbuf *b, const struct json_style *style, int level)
{
    axvk_status st = jbuf_put(b, "\n", 1);
    for (int i = 0; !st && i < level; i++)
        st = jbuf_put(b, style->indent, style->indent_len);
    return st;
}

static axvk_status write_number(struct jbuf *b, struct jv v)
{
    char num[32];
    if (v.type == JV_INT)
        return jbuf_put(b, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v.u.i));
    if (isnan(v.u.f))
        return jbuf_puts(b, "NaN");
    if (isinf(v.u.f))
        return jbuf_puts(b, v.u.f > 0 ? "Infinity" : "-Infinity");
    jv_format_float(num, v.u.f);
    return jbuf_puts(b, num);
}

/* A dict key as json.dumps turns it into a string. */
static axvk_status write_key(struct jbuf *b, struct jv k, const struct json_style *style)
{
    char num[40];
    switch (k.type) {
    case JV_STR: return write_json_string(b, k.u.s->s, k.u.s->len, style->ensure_ascii);
    case JV_BOOL: return jbuf_puts(b, k.u.b ? "\"true\"" : "\"false\"");
    case JV_NONE: return jbuf_puts(b, "\"null\"");
    case JV_INT:
        return jbuf_put(b, num, (size_t)snprintf(num, sizeof num, "\"%" PRId64 "\"", k.u.i));
    default: {
        struct jbuf tmp;
        jbuf_init(&tmp, 64, b->err);
        axvk_status st = write_number(&tmp, k);
        if (!st)
            st = write_json_string(b, tmp.p, tmp.len, false);
        jbuf_free(&tmp);
        return st;
    }
    }
}

static int key_order(const void *a, const void *b, void *failed)
{
    int cmp = 0;
    if (!jv_compare(*(const struct jv *)a, *(const struct jv *)b, &cmp))
        *(bool *)failed = true;
    return cmp == 2 ? 0 : cmp;
}

/* Entry indices of d in key order; stable so equal keys (1 and 1.0) keep insertion order. */
static axvk_status sorted_entries(const struct jdict *d, size_t **order, struct err *err)
{
    size_t *idx = mem_calloc(d->n ? d->n : 1, sizeof *idx);
    if (!idx)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory sorting keys");
    bool failed = false;
    for (size_t i = 0; i < d->n; i++) {
        size_t j = i;
        /* insertion sort: dicts are small and it is stable */
        while (j > 0 && key_order(&d->keys[idx[j - 1]], &d->keys[i], &failed) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    if (failed) {
        mem_free(idx);
        return err_set(err, AXVK_ERR_TEMPLATE, "tojson: sort_keys needs keys of one comparable type");
    }
    *order = idx;
    return AXVK_OK;
}

static axvk_status write_json_at(struct jbuf *b, struct jv v, const struct json_style *style, int level)
{
    axvk_status st = AXVK_OK;
    if (level > JV_MAX_DEPTH)
        return err_set(b->err, AXVK_ERR_TEMPLATE, "tojson: value nested too deeply (or containing itself)");
    const char *item_sep = style->item_sep ? style->item_sep : style->indent_set ? "," : ", ";
    size_t item_sep_len = style->item_sep ? style->item_sep_len : strlen(item_sep);
    switch (v.type) {
    case JV_NONE: return jbuf_puts(b, "null");
    case JV_BOOL: return jbuf_puts(b, v.u.b ? "true" : "false");
    case JV_INT:
    case JV_FLOAT: return write_number(b, v);
    case JV_STR: return write_json_string(b, v.u.s->s, v.u.s->len, style->ensure_ascii);
    case JV_LIST: {
        const struct jlist *l = v.u.l;
        if (!l->n)
            return jbuf_puts(b, "[]");
        st = jbuf_puts(b, "[");
        for (size_t i = 0; !st && i < l->n; i++) {
            if (i)
                st = jbuf_put(b, item_sep, item_sep_len);
            if (!st && style->indent_set)
                st = write_newline(b, style, level + 1);
            if (!st)
                st = write_json_at(b, l->items[i], style, level + 1);
        }
        if (!st && style->indent_set)
            st = write_newline(b, style, level);
        return st ? st : jbuf_puts(b, "]");
    }
    case JV_DICT: {
        const struct jdict *d = v.u.d;
        if (!d->n)
            return jbuf_puts(b, "{}");
        size_t *order = NULL;
        if (style->sort_keys && (st = sorted_entries(d, &order, b->err)))
            return st;
        st = jbuf_puts(b, "{");
        for (size_t i = 0; !st && i < d->n; i++) {
            size_t e = order ? order[i] : i;
            if (i)
                st = jbuf_put(b, item_sep, item_sep_len);
            if (!st && style->indent_set)
                st = write_newline(b, style, level + 1);
            if (!st)
                st = write_key(b, d->keys[e], style);
            if (!st)
                st = style->key_sep ? jbuf_put(b, style->key_sep, style->key_sep_len) : jbuf_puts(b, ": ");
            if (!st)
                st = write_json_at(b, d->vals[e], style, level + 1);
        }
        mem_free(order);
        if (!st && style->indent_set)
            st = write_newline(b, style, level);
        return st ? st : jbuf_puts(b, "}");
    }
    default:
        return err_set(b->err, AXVK_ERR_TEMPLATE, "Object of type %s is not JSON serializable",
                       jv_type_name(v));
    }
}

axvk_status jv_write_json(struct jbuf *b, struct jv v, const struct json_style *style)
{
    static const struct json_style defaults;
    return write_json_at(b, v, style ? style : &defaults, 0);
}
