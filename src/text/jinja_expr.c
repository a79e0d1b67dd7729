/* jinja_expr: evaluation of expression nodes with Python's operator semantics — arithmetic with
 * floor division and modulo signs as Python has them, chained comparisons, `in`, attribute and
 * item lookup that yields undefined instead of failing, slicing by code point, and calls. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/jinja_eval.h"

/* Most items a list built by `*` or a slice may hold. */
#define MAX_ITEMS ((int64_t)1 << 22)

static bool as_int(struct jv v, int64_t *i)
{
    if (v.type == JV_INT)
        *i = v.u.i;
    else if (v.type == JV_BOOL)
        *i = v.u.b;
    else
        return false;
    return true;
}

/* Message for using an undefined operand, naming it as jinja2 does and pointing at it. */
static axvk_status undefined_error(struct jctx *ctx, const struct jnode *n)
{
    const struct jnode *saved = ctx->at;
    axvk_status st;
    if (n)
        ctx->at = n;
    if (n && n->kind == JN_NAME)
        st = jinja_fail(ctx, "'%.*s' is undefined", (int)n->name_len, n->name);
    else if (n && n->kind == JN_ATTR)
        st = jinja_fail(ctx, "'%.*s' is undefined (no such key or attribute)", (int)n->name_len, n->name);
    else if (n && n->kind == JN_ITEM)
        st = jinja_fail(ctx, "the item is undefined (index out of range or no such key)");
    else
        st = jinja_fail(ctx, "an undefined value was used");
    ctx->at = saved;
    return st;
}

static axvk_status concat_str(struct jctx *ctx, struct jv a, struct jv b, struct jv *out)
{
    struct jbuf buf;
    jbuf_init(&buf, JV_MAX_STRING, ctx->err);
    axvk_status st = jv_write_str(&buf, a);
    if (!st)
        st = jv_write_str(&buf, b);
    if (st) {
        jbuf_free(&buf);
        return st;
    }
    return jbuf_take(&buf, out);
}

static axvk_status concat_list(struct jctx *ctx, struct jv a, struct jv b, int64_t times, struct jv *out)
{
    size_t n = a.u.l->n + (b.type == JV_LIST ? b.u.l->n : 0);
    if (times > 0 && (int64_t)n * times > MAX_ITEMS)
        return jinja_fail(ctx, "list of more than %" PRId64 " items", MAX_ITEMS);
    axvk_status st = jv_new_list(out, n * (size_t)(times > 0 ? times : 0), a.u.l->tuple, ctx->err);
    for (int64_t t = 0; !st && t < times; t++) {
        for (size_t i = 0; !st && i < a.u.l->n; i++)
            st = jv_list_push(*out, jv_ref(a.u.l->items[i]), ctx->err);
        for (size_t i = 0; !st && b.type == JV_LIST && i < b.u.l->n; i++)
            st = jv_list_push(*out, jv_ref(b.u.l->items[i]), ctx->err);
    }
    return st;
}

static axvk_status repeat_str(struct jctx *ctx, struct jv s, int64_t times, struct jv *out)
{
    if (times > 0 && s.u.s->len && (uint64_t)times > JV_MAX_STRING / s.u.s->len)
        return jinja_fail(ctx, "string repetition past the %zu byte limit", JV_MAX_STRING);
    struct jbuf buf;
    jbuf_init(&buf, JV_MAX_STRING, ctx->err);
    axvk_status st = AXVK_OK;
    for (int64_t t = 0; !st && t < times; t++)
        st = jbuf_put(&buf, s.u.s->s, s.u.s->len);
    if (st) {
        jbuf_free(&buf);
        return st;
    }
    return jbuf_take(&buf, out);
}

/* Python float divmod: the floor quotient and a remainder with the divisor's sign. */
static void float_divmod(double x, double y, double *floordiv, double *mod)
{
    double m = fmod(x, y), div = (x - m) / y;
    if (m != 0.0) {
        if ((y < 0) != (m < 0)) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = copysign(0.0, y);
    }
    double fd = div != 0.0 ? floor(div) : copysign(0.0, x / y);
    if (div != 0.0 && div - fd > 0.5)
        fd += 1.0;
    *floordiv = fd;
    *mod = m;
}

static axvk_status int_pow(struct jctx *ctx, int64_t base, int64_t e, struct jv *out)
{
    int64_t r = 1;
    while (e > 0) {
        if ((e & 1) && __builtin_mul_overflow(r, base, &r))
            return jinja_fail(ctx, "integer overflow in '**'");
        e >>= 1;
        if (e && __builtin_mul_overflow(base, base, &base))
            return jinja_fail(ctx, "integer overflow in '**'");
    }
    *out = jv_int(r);
    return AXVK_OK;
}

/* Binary operators. Bools count as ints, int results that overflow 64 bits are errors (Python
 * would grow them), / always gives a float, and + joins only values of one kind. */
static axvk_status arith(struct jctx *ctx, const struct jnode *n, struct jv a, struct jv b, struct jv *out)
{
    static const char *const names[] = {[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/",
                                        [OP_FLOORDIV] = "//", [OP_MOD] = "%", [OP_POW] = "**"};
    int op = n->op;
    int64_t x, y, r = 0;
    if (op == OP_TILDE)
        return concat_str(ctx, a, b, out);
    if (a.type == JV_UNDEF)
        return undefined_error(ctx, n->a);
    if (b.type == JV_UNDEF)
        return undefined_error(ctx, n->b);
    if (as_int(a, &x) && as_int(b, &y)) {
        bool ovf = false;
        switch (op) {
        case OP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
        case OP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
        case OP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
        case OP_DIV:
            if (!y)
                return jinja_fail(ctx, "division by zero");
            *out = jv_float((double)x / (double)y);
            return AXVK_OK;
        case OP_FLOORDIV:
        case OP_MOD:
            if (!y)
                return jinja_fail(ctx, "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) {
                ovf = op == OP_FLOORDIV;
                r = 0;
                break;
            }
            r = op == OP_FLOORDIV ? x / y : x % y;
            if (x % y && ((x % y < 0) != (y < 0)))
                r = op == OP_FLOORDIV ? r - 1 : r + y;
            break;
        case OP_POW:
            if (y < 0) {
                if (!x)
                    return jinja_fail(ctx, "0 cannot be raised to a negative power");
                *out = jv_float(pow((double)x, (double)y));
                return AXVK_OK;
            }
            return int_pow(ctx, x, y, out);
        }
        if (ovf)
            return jinja_fail(ctx, "integer overflow in '%s'", names[op]);
        *out = jv_int(r);
        return AXVK_OK;
    }
    if (jv_is_number(a) && jv_is_number(b)) {
        double fx = jv_to_double(a), fy = jv_to_double(b), fd, fm;
        switch (op) {
        case OP_ADD: *out = jv_float(fx + fy); break;
        case OP_SUB: *out = jv_float(fx - fy); break;
        case OP_MUL: *out = jv_float(fx * fy); break;
        case OP_POW:
            if (fx == 0.0 && fy < 0)
                return jinja_fail(ctx, "0.0 cannot be raised to a negative power");
            *out = jv_float(pow(fx, fy));
            break;
        default:
            if (fy == 0.0)
                return jinja_fail(ctx, "float division by zero");
            float_divmod(fx, fy, &fd, &fm);
            *out = jv_float(op == OP_DIV ? fx / fy : op == OP_FLOORDIV ? fd : fm);
        }
        return AXVK_OK;
    }
    if (op == OP_ADD && a.type == JV_STR && b.type == JV_STR)
        return concat_str(ctx, a, b, out);
    if (op == OP_ADD && a.type == JV_LIST && b.type == JV_LIST && a.u.l->tuple == b.u.l->tuple)
        return concat_list(ctx, a, b, 1, out);
    if (op == OP_MUL && (a.type == JV_STR || a.type == JV_LIST) && as_int(b, &y))
        return a.type == JV_STR ? repeat_str(ctx, a, y, out) : concat_list(ctx, a, jv_none(), y, out);
    if (op == OP_MUL && (b.type == JV_STR || b.type == JV_LIST) && as_int(a, &x))
        return b.type == JV_STR ? repeat_str(ctx, b, x, out) : concat_list(ctx, b, jv_none(), x, out);
    if (op == OP_MOD && a.type == JV_STR)
        return jinja_str_percent(ctx, a, b, out);
    return jinja_fail(ctx, "unsupported operand type(s) for %s: '%s' and '%s'", names[op], jv_type_name(a),
                      jv_type_name(b));
}

axvk_status jinja_contains(struct jctx *ctx, struct jv needle, struct jv hay, bool *out)
{
    switch (hay.type) {
    case JV_UNDEF: *out = false; return AXVK_OK;
    case JV_STR:
        if (needle.type != JV_STR)
            return jinja_fail(ctx, "'in <string>' requires string as left operand, not %s", jv_type_name(needle));
        *out = !needle.u.s->len || memmem(hay.u.s->s, hay.u.s->len, needle.u.s->s, needle.u.s->len);
        return AXVK_OK;
    case JV_LIST:
        *out = false;
        for (size_t i = 0; i < hay.u.l->n && !*out; i++)
            *out = jv_equal(hay.u.l->items[i], needle);
        return AXVK_OK;
    case JV_DICT:
        if (needle.type == JV_UNDEF) { /* hashable in jinja2, and never a key */
            *out = false;
            return AXVK_OK;
        }
        if (!jv_is_hashable(needle))
            return jinja_fail(ctx, "unhashable type: '%s'", jv_type_name(needle));
        *out = jv_dict_get(hay.u.d, needle) != NULL;
        return AXVK_OK;
    default: return jinja_fail(ctx, "argument of type '%s' is not iterable", jv_type_name(hay));
    }
}

static axvk_status compare_op(struct jctx *ctx, int op, struct jv a, struct jv b, bool *out)
{
    static const char *const names[] = {[OP_GT] = ">", [OP_GE] = ">=", [OP_LT] = "<", [OP_LE] = "<="};
    int cmp;
    switch (op) {
    case OP_EQ: *out = jv_equal(a, b); return AXVK_OK;
    case OP_NE: *out = !jv_equal(a, b); return AXVK_OK;
    case JN_OP_IN: return jinja_contains(ctx, a, b, out);
    case JN_OP_NOTIN: {
        axvk_status st = jinja_contains(ctx, a, b, out);
        *out = !*out;
        return st;
    }
    }
    if (!jv_compare(a, b, &cmp))
        return jinja_fail(ctx, "'%s' not supported between instances of '%s' and '%s'", names[op], jv_type_name(a),
                          jv_type_name(b));
    *out = cmp != 2 && (op == OP_GT ? cmp > 0 : op == OP_GE ? cmp >= 0 : op == OP_LT ? cmp < 0 : cmp <= 0);
    return AXVK_OK;
}

static axvk_status eval_compare(struct jctx *ctx, const struct jnode *n, struct jv *out)
{
    struct jv left, right;
    bool result = true;
    axvk_status st = jinja_eval(ctx, n->a, &left);
    for (const struct jnode *o = n->b; !st && o && result; o = o->next) {
        if ((st = jinja_eval(ctx, o->a, &right)))
            break;
        const struct jnode *saved = ctx->at;
        ctx->at = o;
        st = compare_op(ctx, o->op, left, right, &result);
        ctx->at = saved;
        jv_unref(left);
        left = right;
    }
    jv_unref(left);
    *out = jv_bool(result);
    return st;
}

static axvk_status loop_attr(struct jctx *ctx, const struct jloop *lp, const char *name, size_t len, struct jv *out)
{
    size_t i = lp->index0, n = lp->items.u.l->n;
#define IS(s) (len == sizeof(s) - 1 && !memcmp(name, s, len))
    if (IS("index"))
        *out = jv_int((int64_t)i + 1);
    else if (IS("index0"))
        *out = jv_int((int64_t)i);
    else if (IS("revindex"))
        *out = jv_int((int64_t)(n - i));
    else if (IS("revindex0"))
        *out = jv_int((int64_t)(n - i - 1));
    else if (IS("first"))
        *out = jv_bool(i == 0);
    else if (IS("last"))
        *out = jv_bool(i + 1 == n);
    else if (IS("length"))
        *out = jv_int((int64_t)n);
    else if (IS("depth"))
        *out = jv_int((int64_t)lp->depth0 + 1);
    else if (IS("depth0"))
        *out = jv_int((int64_t)lp->depth0);
    else if (IS("previtem"))
        *out = i > 0 ? jv_ref(lp->items.u.l->items[i - 1]) : jv_undef();
    else if (IS("nextitem"))
        *out = i + 1 < n ? jv_ref(lp->items.u.l->items[i + 1]) : jv_undef();
    else
        *out = jv_undef();
#undef IS
    (void)ctx;
    return AXVK_OK;
}

/* `obj.name`: a dict key, a namespace attribute or a loop field; anything else is undefined.
 * Methods are not values here: calls resolve them in eval_call. */
axvk_status jinja_getattr(struct jctx *ctx, struct jv obj, const char *name, size_t len, struct jv *out)
{
    const struct jv *v;
    *out = jv_undef();
    switch (obj.type) {
    case JV_UNDEF: return jinja_fail(ctx, "cannot read '%.*s' of an undefined value", (int)len, name);
    case JV_DICT:
    case JV_NS:
        if ((v = jv_dict_get_str(obj.u.d, name, len)))
            *out = jv_ref(*v);
        return AXVK_OK;
    case JV_LOOP: return loop_attr(ctx, obj.u.loop, name, len, out);
    default: return AXVK_OK;
    }
}

/* `obj[key]`: negative indices count from the end; out of range or missing is undefined. */
axvk_status jinja_getitem(struct jctx *ctx, struct jv obj, struct jv key, struct jv *out)
{
    int64_t i;
    *out = jv_undef();
    if (obj.type == JV_UNDEF)
        return jinja_fail(ctx, "cannot index an undefined value");
    if (obj.type == JV_DICT) {
        const struct jv *v = jv_dict_get(obj.u.d, key);
        if (v)
            *out = jv_ref(*v);
        return AXVK_OK;
    }
    if ((obj.type == JV_LIST || obj.type == JV_STR) && as_int(key, &i)) {
        int64_t n = jv_length(obj);
        if (i < 0)
            i += n;
        if (i < 0 || i >= n)
            return AXVK_OK;
        if (obj.type == JV_LIST) {
            *out = jv_ref(obj.u.l->items[i]);
            return AXVK_OK;
        }
        const char *s = obj.u.s->s;
        size_t at = 0, len = obj.u.s->len;
        uint32_t cp;
        if (obj.u.s->ncp == len)
            at = (size_t)i;
        else
            for (int64_t k = 0; k < i; k++)
                at += jv_utf8_next(s + at, len - at, &cp);
        return jv_new_str(out, s + at, jv_utf8_next(s + at, len - at, &cp), ctx->err);
    }
    /* jinja2 falls back to an attribute of that name */
    if (key.type == JV_STR)
        return jinja_getattr(ctx, obj, key.u.s->s, key.u.s->len, out);
    return AXVK_OK;
}

axvk_status jinja_getpath(struct jctx *ctx, struct jv obj, struct jv path, struct jv *out)
{
    if (path.type != JV_STR)
        return jinja_getitem(ctx, obj, path, out);
    struct jv v = jv_ref(obj);
    const char *s = path.u.s->s, *end = s + path.u.s->len;
    axvk_status st = AXVK_OK;
    for (;;) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        const char *part_end = dot ? dot : end;
        struct jv key, next;
        size_t plen = (size_t)(part_end - s);
        bool digits = plen > 0 && plen < 18;
        for (size_t k = 0; k < plen && digits; k++)
            digits = s[k] >= '0' && s[k] <= '9';
        if (digits)
            key = jv_int(strtoll(s, NULL, 10));
        else if ((st = jv_new_str(&key, s, plen, ctx->err)))
            break;
        st = jinja_getitem(ctx, v, key, &next);
        jv_unref(key);
        jv_unref(v);
        v = next;
        if (st || !dot)
            break;
        s = dot + 1;
    }
    *out = v;
    return st;
}

/* Python's slice index rules for a sequence of n items. */
static size_t slice_indices(int64_t n, const struct jv *parts, int64_t *start, int64_t *step)
{
    int64_t st = parts[2].type == JV_NONE ? 1 : parts[2].u.i;
    int64_t lo = st < 0 ? -1 : 0, hi = st < 0 ? n - 1 : n, b = st < 0 ? n - 1 : 0, e = st < 0 ? -1 : n;
    if (parts[0].type != JV_NONE) {
        b = parts[0].u.i < 0 ? parts[0].u.i + n : parts[0].u.i;
        b = b < lo ? lo : b > hi ? hi : b;
    }
    if (parts[1].type != JV_NONE) {
        e = parts[1].u.i < 0 ? parts[1].u.i + n : parts[1].u.i;
        e = e < lo ? lo : e > hi ? hi : e;
    }
    *start = b;
    *step = st;
    if (st > 0)
        return b < e ? (size_t)((e - b - 1) / st + 1) : 0;
    return e < b ? (size_t)((b - e - 1) / -st + 1) : 0;
}

/* Byte offset of code point `target`, walking from byte `at`, which is code point `cp_at`. */
static size_t byte_offset(const struct jstr *s, size_t at, size_t cp_at, size_t target)
{
    uint32_t cp;
    for (; cp_at < target && at < s->len; cp_at++)
        at += jv_utf8_next(s->s + at, s->len - at, &cp);
    return at;
}

static axvk_status eval_slice(struct jctx *ctx, const struct jnode *n, struct jv obj, struct jv *out)
{
    struct jv parts[3] = {jv_none(), jv_none(), jv_none()};
    const struct jnode *exprs[3] = {n->b, n->c, n->d};
    axvk_status st = AXVK_OK;
    *out = jv_undef();
    /* jinja2 compiles slices to Python's own, so unlike [key] they fail instead of giving undefined */
    if (obj.type == JV_DICT)
        return jinja_fail(ctx, "unhashable type: 'slice'");
    if (obj.type != JV_LIST && obj.type != JV_STR)
        return jinja_fail(ctx, "'%s' object is not subscriptable", jv_type_name(obj));
    for (int k = 0; k < 3; k++) {
        if (exprs[k] && (st = jinja_eval(ctx, exprs[k], &parts[k])))
            goto done;
        if (parts[k].type == JV_BOOL)
            parts[k] = jv_int(parts[k].u.b);
        if (parts[k].type != JV_NONE && parts[k].type != JV_INT) {
            st = jinja_fail(ctx, "slice indices must be integers or None");
            goto done;
        }
    }
    if (parts[2].type == JV_INT && parts[2].u.i == 0) {
        st = jinja_fail(ctx, "slice step cannot be zero");
        goto done;
    }
    int64_t start, step;
    size_t count = slice_indices(jv_length(obj), parts, &start, &step);
    if (obj.type == JV_LIST) {
        st = jv_new_list(out, count, obj.u.l->tuple, ctx->err);
        for (size_t k = 0; !st && k < count; k++)
            st = jv_list_push(*out, jv_ref(obj.u.l->items[start + (int64_t)k * step]), ctx->err);
        goto done;
    }
    const struct jstr *s = obj.u.s;
    struct jbuf buf;
    jbuf_init(&buf, JV_MAX_STRING, ctx->err);
    if (s->ncp == s->len || step == 1) {
        /* ASCII indexes bytes directly; a forward run needs only its two ends */
        size_t b = (size_t)start, e = (size_t)start + count;
        if (s->ncp != s->len)
            b = byte_offset(s, 0, 0, (size_t)start), e = byte_offset(s, b, (size_t)start, e);
        for (size_t k = 0; !st && k < count && step != 1; k++)
            st = jbuf_put(&buf, s->s + start + (int64_t)k * step, 1);
        if (step == 1)
            st = jbuf_put(&buf, s->s + b, e - b);
    } else {
        /* any other step over multi-byte text: map code point indices to byte offsets once */
        size_t *offs = mem_calloc(s->ncp + 1, sizeof *offs);
        if (!offs) {
            jbuf_free(&buf);
            st = err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory slicing a string");
            goto done;
        }
        for (size_t k = 0; k <= s->ncp; k++)
            offs[k] = k ? byte_offset(s, offs[k - 1], k - 1, k) : 0;
        for (size_t k = 0; !st && k < count; k++) {
            int64_t i = start + (int64_t)k * step;
            st = jbuf_put(&buf, s->s + offs[i], offs[i + 1] - offs[i]);
        }
        mem_free(offs);
    }
    if (st)
        jbuf_free(&buf);
    else
        st = jbuf_take(&buf, out);
done:
    for (int k = 0; k < 3; k++)
        jv_unref(parts[k]);
    return st;
}

static void free_args(struct jargs *a)
{
    for (size_t i = 0; i < a->npos; i++)
        jv_unref(a->pos[i]);
    for (size_t i = 0; i < a->nkw; i++)
        jv_unref(a->kw[i].v);
    mem_free(a->pos);
    mem_free(a->kw);
    *a = (struct jargs){0};
}

/* Evaluates call arguments in order; on failure nothing is left to free. */
static axvk_status eval_args(struct jctx *ctx, const struct jnode *first, struct jargs *a)
{
    size_t npos = 0, nkw = 0;
    *a = (struct jargs){0};
    for (const struct jnode *n = first; n; n = n->next)
        n->kind == JN_KWARG ? nkw++ : npos++;
    if ((npos && !(a->pos = mem_calloc(npos, sizeof *a->pos))) || (nkw && !(a->kw = mem_calloc(nkw, sizeof *a->kw)))) {
        free_args(a);
        return err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for call arguments");
    }
    for (const struct jnode *n = first; n; n = n->next) {
        axvk_status st;
        if (n->kind == JN_KWARG) {
            struct jkwarg *kw = &a->kw[a->nkw];
            kw->name = n->name;
            kw->len = n->name_len;
            st = jinja_eval(ctx, n->a, &kw->v);
            a->nkw += !st;
        } else {
            st = jinja_eval(ctx, n, &a->pos[a->npos]);
            a->npos += !st;
        }
        if (st) {
            free_args(a);
            return st;
        }
    }
    return AXVK_OK;
}

static axvk_status call_value(struct jctx *ctx, const struct jnode *callee, struct jv fn, const struct jargs *args,
                              struct jv *out)
{
    if (fn.type == JV_MACRO)
        return jinja_call_macro(ctx, fn, args, out);
    if (fn.type == JV_FUNC)
        return jinja_global_call(ctx, fn.u.fn, args, out);
    if (fn.type == JV_UNDEF)
        return undefined_error(ctx, callee);
    return jinja_fail(ctx, "'%s' object is not callable", jv_type_name(fn));
}

/* `a.b(...)` is a method call when a's type has method b (str, dict, loop); otherwise, like
 * `f(...)`, the callee must evaluate to a macro or a global function. */
static axvk_status eval_call(struct jctx *ctx, const struct jnode *n, struct jv *out)
{
    struct jv obj = jv_undef(), fn = jv_undef();
    struct jargs args = {0};
    const struct jnode *callee = n->a;
    bool method = callee->kind == JN_ATTR, found = false;
    axvk_status st = jinja_eval(ctx, method ? callee->a : callee, method ? &obj : &fn);
    if (!st)
        st = eval_args(ctx, n->b, &args);
    if (st)
        goto done;
    if (method) {
        if ((st = jinja_method_call(ctx, obj, callee->name, callee->name_len, &args, out, &found)) || found)
            goto done;
        if (obj.type == JV_UNDEF) {
            st = undefined_error(ctx, callee->a);
            goto done;
        }
        if ((st = jinja_getattr(ctx, obj, callee->name, callee->name_len, &fn)))
            goto done;
        if (fn.type == JV_UNDEF) {
            st = jinja_fail(ctx, "'%s' object has no method '%.*s'", jv_type_name(obj), (int)callee->name_len,
                            callee->name);
            goto done;
        }
    }
    st = call_value(ctx, callee, fn, &args, out);
done:
    free_args(&args);
    jv_unref(obj);
    jv_unref(fn);
    return st;
}

axvk_status jinja_filter_node(struct jctx *ctx, const struct jnode *n, struct jv in, struct jv *out)
{
    struct jargs args;
    const struct jnode *saved = ctx->at;
    axvk_status st = eval_args(ctx, n->b, &args);
    *out = jv_undef();
    if (st)
        return st;
    ctx->at = n;
    st = jinja_filter_apply(ctx, n->id, in, &args, out);
    ctx->at = saved;
    free_args(&args);
    return st;
}

static axvk_status eval_filter(struct jctx *ctx, const struct jnode *n, struct jv *out)
{
    struct jv in;
    axvk_status st = jinja_eval(ctx, n->a, &in);
    if (st)
        return st;
    st = jinja_filter_node(ctx, n, in, out);
    jv_unref(in);
    return st;
}

static axvk_status eval_test(struct jctx *ctx, const struct jnode *n, struct jv *out)
{
    struct jv in;
    struct jargs args;
    bool result = false;
    axvk_status st = jinja_eval(ctx, n->a, &in);
    if (st)
        return st;
    if (!(st = eval_args(ctx, n->b, &args))) {
        st = jinja_test_apply(ctx, n->id, in, &args, &result);
        free_args(&args);
    }
    jv_unref(in);
    *out = jv_bool(result != n->negated);
    return st;
}

static axvk_status eval_items(struct jctx *ctx, const struct jnode *n, struct jv *out)
{
    axvk_status st = n->kind == JN_DICT ? jv_new_dict(out, JV_DICT, ctx->err)
                                        : jv_new_list(out, 0, n->kind == JN_TUPLE, ctx->err);
    for (const struct jnode *item = n->a; !st && item; item = item->next) {
        struct jv v, val;
        if ((st = jinja_eval(ctx, item, &v)))
            break;
        if (n->kind != JN_DICT) {
            st = jv_list_push(*out, v, ctx->err);
            continue;
        }
        item = item->next;
        if ((st = jinja_eval(ctx, item, &val))) {
            jv_unref(v);
            break;
        }
        st = jv_dict_set(*out, v, val, ctx->err);
    }
    return st;
}

static axvk_status eval_node(struct jctx *ctx, const struct jnode *n, struct jv *out)
{
    struct jv a = jv_undef(), b = jv_undef();
    axvk_status st = AXVK_OK;
    *out = jv_undef();
    switch (n->kind) {
    case JN_CONST: *out = jv_ref(n->value); return AXVK_OK;
    case JN_NAME: *out = jv_ref(jinja_lookup(ctx, n->name, n->name_len)); return AXVK_OK;
    case JN_LIST:
    case JN_TUPLE:
    case JN_DICT: return eval_items(ctx, n, out);
    case JN_COMPARE: return eval_compare(ctx, n, out);
    case JN_CALL: return eval_call(ctx, n, out);
    case JN_FILTER: return eval_filter(ctx, n, out);
    case JN_TEST: return eval_test(ctx, n, out);
    case JN_NOT:
        if (!(st = jinja_eval(ctx, n->a, &a)))
            *out = jv_bool(!jv_truthy(a));
        break;
    case JN_NEG:
    case JN_POS:
        if ((st = jinja_eval(ctx, n->a, &a)))
            break;
        if (a.type == JV_UNDEF)
            st = undefined_error(ctx, n->a);
        else if (a.type == JV_FLOAT)
            *out = jv_float(n->kind == JN_NEG ? -a.u.f : a.u.f);
        else if (a.type == JV_INT || a.type == JV_BOOL) {
            int64_t i = a.type == JV_INT ? a.u.i : a.u.b;
            if (n->kind == JN_NEG && i == INT64_MIN)
                st = jinja_fail(ctx, "integer overflow in unary '-'");
            *out = jv_int(n->kind == JN_NEG ? -(i == INT64_MIN ? 0 : i) : i);
        } else
            st = jinja_fail(ctx, "bad operand type for unary %s: '%s'", n->kind == JN_NEG ? "-" : "+",
                            jv_type_name(a));
        break;
    case JN_AND:
    case JN_OR:
        /* Python returns the deciding operand itself */
        if ((st = jinja_eval(ctx, n->a, &a)))
            break;
        if (jv_truthy(a) == (n->kind == JN_OR)) {
            *out = a;
            return AXVK_OK;
        }
        jv_unref(a);
        return jinja_eval(ctx, n->b, out);
    case JN_COND:
        if ((st = jinja_eval(ctx, n->a, &a)))
            break;
        if (jv_truthy(a))
            st = jinja_eval(ctx, n->b, out);
        else if (n->c)
            st = jinja_eval(ctx, n->c, out);
        break;
    case JN_BINOP:
        if (!(st = jinja_eval(ctx, n->a, &a)) && !(st = jinja_eval(ctx, n->b, &b)))
            st = arith(ctx, n, a, b, out);
        break;
    case JN_ATTR:
    case JN_ITEM:
    case JN_SLICE:
        if ((st = jinja_eval(ctx, n->a, &a)))
            break;
        if (a.type == JV_UNDEF) /* name what is missing, as jinja2 does */
            st = undefined_error(ctx, n->a);
        else if (n->kind == JN_ATTR)
            st = jinja_getattr(ctx, a, n->name, n->name_len, out);
        else if (n->kind == JN_SLICE)
            st = eval_slice(ctx, n, a, out);
        else if (!(st = jinja_eval(ctx, n->b, &b)))
            st = jinja_getitem(ctx, a, b, out);
        break;
    default: st = jinja_fail(ctx, "statement used as an expression"); break;
    }
    jv_unref(a);
    jv_unref(b);
    return st;
}

/* Every expression passes here: depth and step limits, cost accounting, error positions. */
axvk_status jinja_eval(struct jctx *ctx, const struct jnode *n, struct jv *out)
{
    const struct jnode *saved = ctx->at;
    axvk_status st;
    ctx->at = n;
    *out = jv_undef();
    if (++ctx->depth > JINJA_MAX_DEPTH)
        st = jinja_fail(ctx, "expression nested more than %d levels deep", JINJA_MAX_DEPTH);
    else if (++ctx->steps > ctx->max_steps)
        st = jinja_fail(ctx, "rendering took more than %" PRIu64 " steps", ctx->max_steps);
    else
        st = eval_node(ctx, n, out);
    /* building text costs time too: charge long strings by size */
    if (!st && out->type == JV_STR)
        ctx->steps += out->u.s->len >> 4;
    else if (!st && out->type == JV_LIST)
        ctx->steps += out->u.l->n >> 2;
    if (st) {
        jv_unref(*out);
        *out = jv_undef();
        if (!ctx->located) {
            err_wrap(ctx->err, "line %u, column %u", n->line, n->col);
            ctx->located = true;
        }
    }
    ctx->depth--;
    ctx->at = saved;
    return st;
}
