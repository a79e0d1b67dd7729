/* jinja_filter_seq: filters over sequences — sort, dictsort, unique, min, max, sum, map,
 * select, reject, selectattr, rejectattr — with Python's stable sort and jinja2's
 * case-insensitive defaults. The filter table lives in jinja_filter.c. */
#include <string.h>

#include "base/alloc.h"
#include "text/jinja_filter.h"

axvk_status filter_key_of(struct jctx *ctx, struct jv item, struct jv attribute, bool case_sensitive, struct jv *key)
{
    axvk_status st = attribute.type == JV_UNDEF || attribute.type == JV_NONE
                         ? (*key = jv_ref(item), AXVK_OK)
                         : jinja_getpath(ctx, item, attribute, key);
    if (st || case_sensitive || key->type != JV_STR)
        return st;
    struct jv lower;
    st = jinja_str_case(ctx, *key, JCASE_LOWER, &lower);
    jv_unref(*key);
    *key = st ? jv_undef() : lower;
    return st;
}

/* a < b for sorting (b < a when reversed); records the first incomparable pair as the error. */
static bool key_less(struct jctx *ctx, struct jv a, struct jv b, bool reverse, bool *failed)
{
    int cmp;
    /* jinja2 compares key lists, which settle equal items (even undefined ones) by == first */
    if (jv_equal(a, b))
        return false;
    if (!jv_compare(a, b, &cmp)) {
        if (!*failed)
            jinja_fail(ctx, "'<' not supported between instances of '%s' and '%s'", jv_type_name(a), jv_type_name(b));
        *failed = true;
        return false;
    }
    return cmp != 2 && (reverse ? cmp > 0 : cmp < 0);
}

/* Stable merge sort of keys[0..n) into order[]; Python's sort semantics, reverse keeping ties in order. */
static axvk_status sort_order(struct jctx *ctx, const struct jv *keys, size_t n, bool reverse, size_t *order)
{
    size_t *tmp = mem_calloc(n ? n : 1, sizeof *tmp);
    bool failed = false;
    if (!tmp)
        return err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory sorting");
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t width = 1; width < n && !failed; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = key_less(ctx, keys[order[j]], keys[order[i]], reverse, &failed) ? order[j++] : order[i++];
            while (i < mid)
                tmp[k++] = order[i++];
            while (j < hi)
                tmp[k++] = order[j++];
        }
        memcpy(order, tmp, n * sizeof *order);
    }
    mem_free(tmp);
    return failed ? AXVK_ERR_TEMPLATE : AXVK_OK;
}

/* Items of `in` with their sort keys; the caller frees both. */
static axvk_status keyed_items(struct jctx *ctx, struct jv in, struct jv attribute, bool case_sensitive,
                               struct jv *items, struct jv **keys)
{
    axvk_status st = jinja_iterate(ctx, in, items);
    size_t n = st ? 0 : items->u.l->n;
    *keys = NULL;
    if (st)
        return st;
    if (!(*keys = mem_calloc(n ? n : 1, sizeof **keys)))
        return err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory sorting");
    for (size_t i = 0; !st && i < n; i++)
        st = filter_key_of(ctx, items->u.l->items[i], attribute, case_sensitive, &(*keys)[i]);
    return st;
}

/* Releases keys[0..n) (some may still be undefined after a failure). */
static void free_keys(struct jv *keys, size_t n)
{
    for (size_t i = 0; keys && i < n; i++)
        jv_unref(keys[i]);
    mem_free(keys);
}

/* sort(reverse=False, case_sensitive=False, attribute=None) */
axvk_status filter_sort(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("sort", "reverse", "case_sensitive", "attribute");
    struct jv items = jv_undef(), *keys = NULL;
    size_t *order = NULL;
    if ((st = keyed_items(ctx, in, p[2], jv_truthy(p[1]), &items, &keys)))
        goto done;
    size_t n = items.u.l->n;
    if (!(order = mem_calloc(n ? n : 1, sizeof *order))) {
        st = err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory sorting");
        goto done;
    }
    if (!(st = sort_order(ctx, keys, n, jv_truthy(p[0]), order)) && !(st = jv_new_list(out, n, false, ctx->err)))
        for (size_t i = 0; !st && i < n; i++)
            st = jv_list_push(*out, jv_ref(items.u.l->items[order[i]]), ctx->err);
done:
    free_keys(keys, items.type == JV_LIST ? items.u.l->n : 0);
    mem_free(order);
    jv_unref(items);
    return st;
}

/* dictsort(case_sensitive=False, by="key", reverse=False): (key, value) tuples in order. */
axvk_status filter_dictsort(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("dictsort", "case_sensitive", "by", "reverse");
    if (in.type != JV_DICT)
        return jinja_fail(ctx, "dictsort: expected a dict, got '%s'", jv_type_name(in));
    bool by_value = p[1].type == JV_STR && !strcmp(p[1].u.s->s, "value");
    if (p[1].type != JV_UNDEF && !by_value && !(p[1].type == JV_STR && !strcmp(p[1].u.s->s, "key")))
        return jinja_fail(ctx, "dictsort: You can only sort by either \"key\" or \"value\"");
    size_t n = in.u.d->n;
    struct jv *keys = mem_calloc(n ? n : 1, sizeof *keys);
    size_t *order = mem_calloc(n ? n : 1, sizeof *order);
    if (!keys || !order) {
        st = err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory sorting");
        goto done;
    }
    for (size_t i = 0; !st && i < n; i++)
        st = filter_key_of(ctx, by_value ? in.u.d->vals[i] : in.u.d->keys[i], jv_undef(), jv_truthy(p[0]), &keys[i]);
    if (st || (st = sort_order(ctx, keys, n, jv_truthy(p[2]), order)) || (st = jv_new_list(out, n, false, ctx->err)))
        goto done;
    for (size_t i = 0; !st && i < n; i++) {
        struct jv pair;
        if ((st = jv_new_list(&pair, 2, true, ctx->err)))
            break;
        jv_list_push(pair, jv_ref(in.u.d->keys[order[i]]), ctx->err);
        jv_list_push(pair, jv_ref(in.u.d->vals[order[i]]), ctx->err);
        st = jv_list_push(*out, pair, ctx->err);
    }
done:
    free_keys(keys, keys ? n : 0);
    mem_free(order);
    return st;
}

/* unique(case_sensitive=False, attribute=None): first occurrences, in order (quadratic: the
 * keys may be unhashable, and template lists are short). */
axvk_status filter_unique(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("unique", "case_sensitive", "attribute");
    struct jv items = jv_undef(), *keys = NULL;
    if (!(st = keyed_items(ctx, in, p[1], jv_truthy(p[0]), &items, &keys)) &&
        !(st = jv_new_list(out, 0, false, ctx->err))) {
        for (size_t i = 0; !st && i < items.u.l->n; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = jv_equal(keys[j], keys[i]);
            if (!seen)
                st = jv_list_push(*out, jv_ref(items.u.l->items[i]), ctx->err);
        }
    }
    free_keys(keys, items.type == JV_LIST ? items.u.l->n : 0);
    jv_unref(items);
    return st;
}

/* min and max: the first extreme item, by key. */
static axvk_status extreme(struct jctx *ctx, struct jv in, const struct jargs *a, bool want_max, struct jv *out)
{
    BIND(want_max ? "max" : "min", "case_sensitive", "attribute");
    struct jv items = jv_undef(), *keys = NULL;
    bool failed = false;
    if (!(st = keyed_items(ctx, in, p[1], jv_truthy(p[0]), &items, &keys))) {
        size_t best = 0, n = items.u.l->n;
        for (size_t i = 1; i < n && !failed; i++)
            if (key_less(ctx, want_max ? keys[best] : keys[i], want_max ? keys[i] : keys[best], false, &failed))
                best = i;
        if (failed)
            st = AXVK_ERR_TEMPLATE;
        else
            *out = n ? jv_ref(items.u.l->items[best]) : jv_undef();
    }
    free_keys(keys, items.type == JV_LIST ? items.u.l->n : 0);
    jv_unref(items);
    return st;
}

axvk_status filter_max(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return extreme(ctx, in, a, true, out);
}

axvk_status filter_min(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return extreme(ctx, in, a, false, out);
}

/* sum(attribute=None, start=0): ints stay exact until a float joins. */
axvk_status filter_sum(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    BIND("sum", "attribute", "start");
    struct jv items;
    int64_t isum = 0;
    double fsum = 0;
    bool is_float = false;
    if (p[1].type != JV_UNDEF && !jv_is_number(p[1]))
        return jinja_fail(ctx, "sum: start must be a number");
    if (p[1].type == JV_FLOAT)
        is_float = true, fsum = p[1].u.f;
    else if (p[1].type != JV_UNDEF)
        int_arg(p[1], 0, &isum);
    if ((st = jinja_iterate(ctx, in, &items)))
        return st;
    for (size_t i = 0; !st && i < items.u.l->n; i++) {
        struct jv v;
        if ((st = filter_key_of(ctx, items.u.l->items[i], p[0], true, &v)))
            break;
        if (!jv_is_number(v)) {
            st = jinja_fail(ctx, "unsupported operand type(s) for +: 'int' and '%s'", jv_type_name(v));
        } else if (v.type == JV_FLOAT || is_float) {
            if (!is_float)
                fsum = (double)isum, is_float = true;
            fsum += jv_to_double(v);
        } else if (__builtin_add_overflow(isum, v.type == JV_INT ? v.u.i : v.u.b, &isum)) {
            st = jinja_fail(ctx, "integer overflow in sum");
        }
        jv_unref(v);
    }
    jv_unref(items);
    *out = is_float ? jv_float(fsum) : jv_int(isum);
    return st;
}

/* map(attribute="a.b", default=...) picks a field; map("filter", args...) applies a filter. */
axvk_status filter_map(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    struct jv items, attribute = jv_undef(), dflt = jv_undef();
    bool by_attr = false;
    int id = -1;
    for (size_t k = 0; k < a->nkw; k++) {
        if (a->kw[k].len == 9 && !memcmp(a->kw[k].name, "attribute", 9))
            attribute = a->kw[k].v, by_attr = true;
        else if (a->kw[k].len == 7 && !memcmp(a->kw[k].name, "default", 7))
            dflt = a->kw[k].v;
    }
    if (!by_attr) {
        if (!a->npos || a->pos[0].type != JV_STR)
            return jinja_fail(ctx, "map: expected a filter name or attribute=");
        if ((id = jinja_filter_find(a->pos[0].u.s->s, a->pos[0].u.s->len)) < 0)
            return jinja_fail(ctx, "map: no filter named '%s'", a->pos[0].u.s->s);
    }
    struct jargs rest = {a->npos ? a->pos + 1 : NULL, a->npos ? a->npos - 1 : 0, a->kw, a->nkw};
    /* jinja2 guards with `if value:`, so a falsy non-sequence maps to nothing */
    axvk_status st = jv_truthy(in) ? jinja_iterate(ctx, in, &items) : jv_new_list(&items, 0, false, ctx->err);
    if (!st)
        st = jv_new_list(out, items.u.l->n, false, ctx->err);
    for (size_t i = 0; !st && i < items.u.l->n; i++) {
        struct jv v;
        if (by_attr) {
            st = jinja_getpath(ctx, items.u.l->items[i], attribute, &v);
            if (!st && v.type == JV_UNDEF)
                v = jv_ref(dflt);
        } else {
            st = jinja_filter_apply(ctx, id, items.u.l->items[i], &rest, &v);
        }
        if (!st)
            st = jv_list_push(*out, v, ctx->err);
    }
    jv_unref(items);
    return st;
}

/* select, reject, selectattr, rejectattr: keep items for which the test (or truthiness) holds. */
static axvk_status select_items(struct jctx *ctx, struct jv in, const struct jargs *a, bool attr, bool keep,
                                 struct jv *out)
{
    size_t first = attr ? 1 : 0;
    int id = -1;
    if (a->nkw)
        return jinja_fail(ctx, "select filters take no keyword arguments");
    if (attr && !a->npos)
        return jinja_fail(ctx, "%sattr: missing attribute name", keep ? "select" : "reject");
    if (a->npos > first) {
        struct jv name = a->pos[first];
        if (name.type != JV_STR || (id = jinja_test_find(name.u.s->s, name.u.s->len)) < 0)
            return jinja_fail(ctx, "no test named '%s'", name.type == JV_STR ? name.u.s->s : "?");
    }
    struct jargs rest = {a->npos > first + 1 ? a->pos + first + 1 : NULL, a->npos > first + 1 ? a->npos - first - 1 : 0,
                         NULL, 0};
    struct jv items;
    axvk_status st = jv_truthy(in) ? jinja_iterate(ctx, in, &items) : jv_new_list(&items, 0, false, ctx->err);
    if (!st)
        st = jv_new_list(out, 0, false, ctx->err);
    for (size_t i = 0; !st && i < items.u.l->n; i++) {
        struct jv v = jv_ref(items.u.l->items[i]);
        bool pass = false;
        if (attr) {
            jv_unref(v);
            st = jinja_getpath(ctx, items.u.l->items[i], a->pos[0], &v);
        }
        if (!st)
            st = id < 0 ? (pass = jv_truthy(v), AXVK_OK) : jinja_test_apply(ctx, id, v, &rest, &pass);
        jv_unref(v);
        if (!st && pass == keep)
            st = jv_list_push(*out, jv_ref(items.u.l->items[i]), ctx->err);
    }
    jv_unref(items);
    return st;
}

axvk_status filter_select(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return select_items(ctx, in, a, false, true, out);
}

axvk_status filter_reject(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return select_items(ctx, in, a, false, false, out);
}

axvk_status filter_selectattr(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return select_items(ctx, in, a, true, true, out);
}

axvk_status filter_rejectattr(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out)
{
    return select_items(ctx, in, a, true, false, out);
}
