/* jinja_builtin: tests (`is defined`, `is string`, ...), global functions (range, namespace, dict,
 * and transformers' raise_exception and strftime_now) and the methods of dicts and loops.
 * String methods live in jinja_string.c; filters in jinja_filter.c. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "text/jinja_eval.h"

/* Longest list range() may build. */
#define MAX_RANGE ((int64_t)1 << 20)

typedef axvk_status (*test_fn)(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out);

static axvk_status one_arg(struct jctx *ctx, const char *name, const struct jargs *a, struct jv *arg)
{
    if (a->npos != 1 || a->nkw)
        return jinja_fail(ctx, "test '%s' takes exactly one argument", name);
    *arg = a->pos[0];
    return AXVK_OK;
}

static axvk_status no_args(struct jctx *ctx, const char *name, const struct jargs *a)
{
    return a->npos || a->nkw ? jinja_fail(ctx, "test '%s' takes no arguments", name) : AXVK_OK;
}

/* Tests of a value's kind, taking no arguments. */
#define KIND_TEST(fname, name, expr)                                                      \
    static axvk_status fname(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out) \
    {                                                                                     \
        *out = (expr);                                                                    \
        return no_args(ctx, name, a);                                                     \
    }

KIND_TEST(t_defined, "defined", v.type != JV_UNDEF)
KIND_TEST(t_undefined, "undefined", v.type == JV_UNDEF)
KIND_TEST(t_none, "none", v.type == JV_NONE)
KIND_TEST(t_boolean, "boolean", v.type == JV_BOOL)
KIND_TEST(t_false, "false", v.type == JV_BOOL && !v.u.b)
KIND_TEST(t_true, "true", v.type == JV_BOOL && v.u.b)
KIND_TEST(t_integer, "integer", v.type == JV_INT)
KIND_TEST(t_float, "float", v.type == JV_FLOAT)
KIND_TEST(t_number, "number", jv_is_number(v))
KIND_TEST(t_string, "string", v.type == JV_STR)
KIND_TEST(t_mapping, "mapping", v.type == JV_DICT)
/* jinja2's Undefined is iterable, has a length and a __call__, so it passes these three */
KIND_TEST(t_iterable, "iterable", v.type == JV_STR || v.type == JV_LIST || v.type == JV_DICT || v.type == JV_UNDEF)
KIND_TEST(t_sequence, "sequence", v.type == JV_STR || v.type == JV_LIST || v.type == JV_DICT || v.type == JV_UNDEF)
KIND_TEST(t_callable, "callable", v.type == JV_MACRO || v.type == JV_FUNC || v.type == JV_UNDEF)
KIND_TEST(t_escaped, "escaped", false)

/* value % divisor == 0 with Python's numbers. */
static axvk_status divisible(struct jctx *ctx, struct jv v, struct jv d, bool *out)
{
    if (!jv_is_number(v) || !jv_is_number(d))
        return jinja_fail(ctx, "divisibility needs numbers, not '%s' and '%s'", jv_type_name(v), jv_type_name(d));
    if (v.type != JV_FLOAT && d.type != JV_FLOAT) {
        int64_t x = v.type == JV_INT ? v.u.i : v.u.b, y = d.type == JV_INT ? d.u.i : d.u.b;
        if (!y)
            return jinja_fail(ctx, "integer division or modulo by zero");
        *out = y == -1 || x % y == 0;
        return AXVK_OK;
    }
    double y = jv_to_double(d);
    if (y == 0.0)
        return jinja_fail(ctx, "float modulo");
    *out = fmod(jv_to_double(v), y) == 0.0;
    return AXVK_OK;
}

static axvk_status t_even(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out)
{
    axvk_status st = no_args(ctx, "even", a);
    return st ? st : divisible(ctx, v, jv_int(2), out);
}

/* jinja2 tests value % 2 == 1, so 2.5 is neither even nor odd. */
static axvk_status t_odd(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out)
{
    axvk_status st = no_args(ctx, "odd", a);
    if (st)
        return st;
    if (!jv_is_number(v))
        return jinja_fail(ctx, "odd needs a number, not '%s'", jv_type_name(v));
    if (v.type == JV_FLOAT) {
        double m = fmod(v.u.f, 2.0);
        *out = (m < 0 ? m + 2.0 : m) == 1.0;
    } else {
        *out = (v.type == JV_INT ? v.u.i : v.u.b) & 1;
    }
    return AXVK_OK;
}

static axvk_status t_divisibleby(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out)
{
    struct jv d;
    axvk_status st = one_arg(ctx, "divisibleby", a, &d);
    return st ? st : divisible(ctx, v, d, out);
}

static axvk_status compare_test(struct jctx *ctx, struct jv v, const struct jargs *a, int op, bool *out)
{
    struct jv other;
    int cmp;
    axvk_status st = one_arg(ctx, "comparison", a, &other);
    if (st)
        return st;
    if (op == OP_EQ || op == OP_NE) {
        *out = jv_equal(v, other) == (op == OP_EQ);
        return AXVK_OK;
    }
    if (!jv_compare(v, other, &cmp))
        return jinja_fail(ctx, "cannot compare '%s' with '%s'", jv_type_name(v), jv_type_name(other));
    *out = cmp != 2 && (op == OP_LT ? cmp < 0 : op == OP_LE ? cmp <= 0 : op == OP_GT ? cmp > 0 : cmp >= 0);
    return AXVK_OK;
}

#define COMPARE_TEST(fname, op)                                                           \
    static axvk_status fname(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out) \
    {                                                                                     \
        return compare_test(ctx, v, a, op, out);                                          \
    }

COMPARE_TEST(t_eq, OP_EQ)
COMPARE_TEST(t_ne, OP_NE)
COMPARE_TEST(t_lt, OP_LT)
COMPARE_TEST(t_le, OP_LE)
COMPARE_TEST(t_gt, OP_GT)
COMPARE_TEST(t_ge, OP_GE)

static axvk_status t_in(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out)
{
    struct jv seq;
    axvk_status st = one_arg(ctx, "in", a, &seq);
    return st ? st : jinja_contains(ctx, v, seq, out);
}

static axvk_status t_sameas(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out)
{
    struct jv other;
    axvk_status st = one_arg(ctx, "sameas", a, &other);
    if (st)
        return st;
    /* identity: the same object, or the same scalar of the same type */
    *out = v.type == other.type &&
           (v.type == JV_STR || v.type == JV_LIST || v.type == JV_DICT || v.type == JV_NS || v.type == JV_LOOP
                ? v.u.s == other.u.s || (v.type == JV_STR && v.u.s->len == 0 && other.u.s->len == 0)
                : jv_equal(v, other));
    return AXVK_OK;
}

static axvk_status case_test(struct jctx *ctx, struct jv v, const struct jargs *a, const char *method, bool *out)
{
    struct jv s, r;
    bool found;
    struct jargs none = {0};
    axvk_status st = no_args(ctx, method + 2, a);
    if (st || (st = jv_to_str(&s, v, ctx->err)))
        return st;
    if (!(st = jinja_str_method(ctx, s, method, strlen(method), &none, &r, &found)))
        *out = r.type == JV_BOOL && r.u.b;
    jv_unref(s);
    return st;
}

static axvk_status t_lower(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out)
{
    return case_test(ctx, v, a, "islower", out);
}

static axvk_status t_upper(struct jctx *ctx, struct jv v, const struct jargs *a, bool *out)
{
    return case_test(ctx, v, a, "isupper", out);
}

static const struct {
    const char *name;
    test_fn fn;
} tests[] = {
    {"boolean", t_boolean}, {"callable", t_callable}, {"defined", t_defined}, {"divisibleby", t_divisibleby},
    {"eq", t_eq}, {"equalto", t_eq}, {"escaped", t_escaped}, {"even", t_even}, {"false", t_false},
    {"float", t_float}, {"ge", t_ge}, {"greaterthan", t_gt}, {"gt", t_gt}, {"in", t_in},
    {"integer", t_integer}, {"iterable", t_iterable}, {"le", t_le}, {"lessthan", t_lt}, {"lower", t_lower},
    {"lt", t_lt}, {"mapping", t_mapping}, {"ne", t_ne}, {"none", t_none}, {"number", t_number},
    {"odd", t_odd}, {"sameas", t_sameas}, {"sequence", t_sequence}, {"string", t_string}, {"true", t_true},
    {"undefined", t_undefined}, {"upper", t_upper},
};

int jinja_test_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof tests / sizeof *tests; i++)
        if (strlen(tests[i].name) == len && !memcmp(tests[i].name, name, len))
            return (int)i;
    return -1;
}

axvk_status jinja_test_apply(struct jctx *ctx, int id, struct jv in, const struct jargs *args, bool *out)
{
    *out = false;
    if (id < 0 || (size_t)id >= sizeof tests / sizeof *tests)
        return jinja_fail(ctx, "unknown test");
    return tests[id].fn(ctx, in, args, out);
}

static axvk_status dict_method(struct jctx *ctx, struct jv d, const char *name, size_t len, const struct jargs *a,
                               struct jv *out, bool *found)
{
    const struct jdict *dict = d.u.d;
    bool items = len == 5 && !memcmp(name, "items", 5), keys = len == 4 && !memcmp(name, "keys", 4);
    bool values = len == 6 && !memcmp(name, "values", 6), get = len == 3 && !memcmp(name, "get", 3);
    axvk_status st = AXVK_OK;
    *found = items || keys || values || get;
    if (get) {
        if (a->nkw || a->npos < 1 || a->npos > 2)
            return jinja_fail(ctx, "dict.get() takes a key and an optional default");
        const struct jv *v = jv_dict_get(dict, a->pos[0]);
        *out = jv_ref(v ? *v : a->npos == 2 ? a->pos[1] : jv_none());
        return AXVK_OK;
    }
    if (!*found)
        return AXVK_OK;
    if (a->npos || a->nkw)
        return jinja_fail(ctx, "dict.%.*s() takes no arguments", (int)len, name);
    if ((st = jv_new_list(out, dict->n, false, ctx->err)))
        return st;
    for (size_t e = 0; !st && e < dict->n; e++) {
        struct jv item;
        if (!items) {
            st = jv_list_push(*out, jv_ref(keys ? dict->keys[e] : dict->vals[e]), ctx->err);
            continue;
        }
        if ((st = jv_new_list(&item, 2, true, ctx->err)))
            break;
        jv_list_push(item, jv_ref(dict->keys[e]), ctx->err);
        jv_list_push(item, jv_ref(dict->vals[e]), ctx->err);
        st = jv_list_push(*out, item, ctx->err);
    }
    return st;
}

axvk_status jinja_method_call(struct jctx *ctx, struct jv obj, const char *name, size_t len, const struct jargs *args,
                              struct jv *out, bool *found)
{
    *found = false;
    *out = jv_undef();
    if (obj.type == JV_STR)
        return jinja_str_method(ctx, obj, name, len, args, out, found);
    if (obj.type == JV_DICT)
        return dict_method(ctx, obj, name, len, args, out, found);
    if (obj.type == JV_LOOP && len == 5 && !memcmp(name, "cycle", 5)) {
        *found = true;
        if (!args->npos || args->nkw)
            return jinja_fail(ctx, "loop.cycle() needs at least one positional argument");
        *out = jv_ref(args->pos[obj.u.loop->index0 % args->npos]);
    }
    return AXVK_OK;
}

enum { G_RANGE, G_NAMESPACE, G_DICT, G_RAISE, G_STRFTIME };
static const char *const globals[] = {"range", "namespace", "dict", "raise_exception", "strftime_now"};

int jinja_global_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof globals / sizeof *globals; i++)
        if (strlen(globals[i]) == len && !memcmp(globals[i], name, len))
            return (int)i;
    return -1;
}

static axvk_status g_range(struct jctx *ctx, const struct jargs *a, struct jv *out)
{
    int64_t v[3] = {0, 0, 1};
    if (a->nkw || a->npos < 1 || a->npos > 3)
        return jinja_fail(ctx, "range expected 1 to 3 integer arguments");
    for (size_t i = 0; i < a->npos; i++) {
        struct jv x = a->pos[i];
        if (x.type != JV_INT && x.type != JV_BOOL)
            return jinja_fail(ctx, "'%s' object cannot be interpreted as an integer", jv_type_name(x));
        v[a->npos == 1 ? 1 : i] = x.type == JV_INT ? x.u.i : x.u.b;
    }
    if (!v[2])
        return jinja_fail(ctx, "range() arg 3 must not be zero");
    /* count in floating point: the integers may be far apart */
    double count = v[2] > 0 ? ceil(((double)v[1] - (double)v[0]) / (double)v[2])
                            : ceil(((double)v[0] - (double)v[1]) / -(double)v[2]);
    if (count > (double)MAX_RANGE)
        return jinja_fail(ctx, "range of more than %" PRId64 " items", MAX_RANGE);
    axvk_status st = jv_new_list(out, count > 0 ? (size_t)count : 0, false, ctx->err);
    for (int64_t i = 0; !st && i < (int64_t)count; i++)
        st = jv_list_push(*out, jv_int(v[0] + i * v[2]), ctx->err);
    return st;
}

/* namespace(...) and dict(...): an optional mapping, then keyword arguments. */
static axvk_status g_mapping(struct jctx *ctx, const struct jargs *a, enum jv_type type, struct jv *out)
{
    axvk_status st;
    if (a->npos > 1 || (a->npos && a->pos[0].type != JV_DICT))
        return jinja_fail(ctx, "%s() takes an optional mapping and keyword arguments", type == JV_NS ? "namespace" : "dict");
    if ((st = jv_new_dict(out, type, ctx->err)))
        return st;
    for (size_t e = 0; a->npos && !st && e < a->pos[0].u.d->n; e++)
        st = jv_dict_set(*out, jv_ref(a->pos[0].u.d->keys[e]), jv_ref(a->pos[0].u.d->vals[e]), ctx->err);
    for (size_t k = 0; !st && k < a->nkw; k++) {
        struct jv key;
        if (!(st = jv_new_str(&key, a->kw[k].name, a->kw[k].len, ctx->err)))
            st = jv_dict_set(*out, key, jv_ref(a->kw[k].v), ctx->err);
    }
    if (!st && type == JV_NS) {
        /* remembered so the render can empty it at the end (namespaces can form cycles) */
        if (ctx->namespaces.type != JV_LIST)
            st = jv_new_list(&ctx->namespaces, 0, false, ctx->err);
        if (!st)
            st = jv_list_push(ctx->namespaces, jv_ref(*out), ctx->err);
    }
    return st;
}

static axvk_status g_strftime(struct jctx *ctx, const struct jargs *a, struct jv *out)
{
    if (a->npos != 1 || a->nkw || a->pos[0].type != JV_STR)
        return jinja_fail(ctx, "strftime_now() takes one format string");
    char buf[512];
    time_t now = time(NULL);
    struct tm tm;
    size_t n = localtime_r(&now, &tm) ? strftime(buf, sizeof buf, a->pos[0].u.s->s, &tm) : 0;
    return jv_new_str(out, buf, n, ctx->err);
}

axvk_status jinja_global_call(struct jctx *ctx, int fn, const struct jargs *args, struct jv *out)
{
    struct jv msg;
    axvk_status st;
    *out = jv_undef();
    switch (fn) {
    case G_RANGE: return g_range(ctx, args, out);
    case G_NAMESPACE: return g_mapping(ctx, args, JV_NS, out);
    case G_DICT: return g_mapping(ctx, args, JV_DICT, out);
    case G_STRFTIME: return g_strftime(ctx, args, out);
    case G_RAISE:
        /* the template's own words, unprefixed: they are meant for the user */
        if ((st = jv_to_str(&msg, args->npos ? args->pos[0] : jv_undef(), ctx->err)))
            return st;
        err_set(ctx->err, AXVK_ERR_TEMPLATE, "%s", msg.u.s->s);
        jv_unref(msg);
        ctx->located = true;
        return AXVK_ERR_TEMPLATE;
    }
    return jinja_fail(ctx, "unknown function");
}
