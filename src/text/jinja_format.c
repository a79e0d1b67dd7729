/* jinja_format: Python's printf-style string formatting, `"%s: %d" % (a, b)` and the `format`
 * filter: conversions s r a d i u o x X e E f F g G c %, flags #0- +, width, precision, `*`
 * and %(key)s with a dict. Widths and precisions of strings count code points, as Python does. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "text/jinja_eval.h"

struct spec {
    bool left, zero, plus, space, alt;
    int64_t width, prec; /* -1: not given */
    char type;
};

/* Pads `body` (already signed/prefixed where numeric) to the width. */
static axvk_status put_padded(struct jbuf *b, const struct spec *sp, const char *body, size_t len, size_t ncp,
                              size_t sign_len)
{
    size_t pad = sp->width > 0 && (uint64_t)sp->width > ncp ? (size_t)sp->width - ncp : 0;
    axvk_status st = AXVK_OK;
    if (sp->left) {
        st = jbuf_put(b, body, len);
        for (size_t i = 0; !st && i < pad; i++)
            st = jbuf_put(b, " ", 1);
        return st;
    }
    if (sp->zero && sp->type != 's' && sp->type != 'r' && sp->type != 'a' && sp->type != 'c') {
        /* zeros go between the sign (and 0x prefix) and the digits */
        st = jbuf_put(b, body, sign_len);
        for (size_t i = 0; !st && i < pad; i++)
            st = jbuf_put(b, "0", 1);
        return st ? st : jbuf_put(b, body + sign_len, len - sign_len);
    }
    for (size_t i = 0; !st && i < pad; i++)
        st = jbuf_put(b, " ", 1);
    return st ? st : jbuf_put(b, body, len);
}

static axvk_status put_int(struct jctx *ctx, struct jbuf *b, const struct spec *sp, struct jv v)
{
    int64_t i;
    if (v.type == JV_FLOAT && strchr("diu", sp->type)) {
        if (!isfinite(v.u.f) || fabs(v.u.f) >= 9.2e18)
            return jinja_fail(ctx, "cannot convert float %g to integer", v.u.f);
        i = (int64_t)v.u.f;
    } else if (v.type == JV_INT || v.type == JV_BOOL) {
        i = v.type == JV_INT ? v.u.i : v.u.b;
    } else {
        return jinja_fail(ctx, "%%%c format: an integer is required, not %s", sp->type, jv_type_name(v));
    }
    uint64_t mag = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    int base = sp->type == 'o' ? 8 : sp->type == 'x' || sp->type == 'X' ? 16 : 10;
    const char *digits = sp->type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[96], body[160];
    size_t n = 0;
    do {
        tmp[n++] = digits[mag % (uint64_t)base];
        mag /= (uint64_t)base;
    } while (mag);
    for (int64_t k = (int64_t)n; k < sp->prec && n < 64; k++) /* precision: minimum digits */
        tmp[n++] = '0';
    size_t len = 0;
    if (i < 0 || sp->plus || sp->space)
        body[len++] = i < 0 ? '-' : sp->plus ? '+' : ' ';
    if (sp->alt && base != 10) {
        body[len++] = '0';
        body[len++] = sp->type == 'o' ? 'o' : sp->type;
    }
    size_t sign_len = len;
    while (n)
        body[len++] = tmp[--n];
    return put_padded(b, sp, body, len, len, sign_len);
}

static axvk_status put_float(struct jctx *ctx, struct jbuf *b, const struct spec *sp, struct jv v)
{
    if (!jv_is_number(v))
        return jinja_fail(ctx, "must be real number, not %s", jv_type_name(v));
    char fmt[16], body[400];
    int prec = sp->prec < 0 ? 6 : sp->prec > 300 ? 300 : (int)sp->prec;
    snprintf(fmt, sizeof fmt, "%%%s%s%s.*%c", sp->plus ? "+" : "", sp->space ? " " : "", sp->alt ? "#" : "",
             sp->type);
    int len = snprintf(body, sizeof body, fmt, prec, jv_to_double(v));
    size_t n = len < 0 ? 0 : (size_t)len >= sizeof body ? sizeof body - 1 : (size_t)len;
    return put_padded(b, sp, body, n, n, body[0] == '-' || body[0] == '+' || body[0] == ' ');
}

static axvk_status put_text(struct jctx *ctx, struct jbuf *b, const struct spec *sp, struct jv v)
{
    struct jbuf text;
    axvk_status st;
    jbuf_init(&text, JV_MAX_STRING, ctx->err);
    if (sp->type == 'c') {
        if (v.type == JV_STR && v.u.s->ncp == 1)
            st = jbuf_put(&text, v.u.s->s, v.u.s->len);
        else if ((v.type == JV_INT && v.u.i >= 0 && v.u.i <= 0x10ffff) || v.type == JV_BOOL)
            st = jbuf_put_cp(&text, (uint32_t)(v.type == JV_INT ? v.u.i : v.u.b));
        else
            st = jinja_fail(ctx, "%%c requires an int or a single character");
    } else {
        st = sp->type == 's' ? jv_write_str(&text, v) : jv_write_repr(&text, v);
    }
    if (st) {
        jbuf_free(&text);
        return st;
    }
    /* precision truncates to that many code points */
    size_t len = text.len, ncp = jv_utf8_count(text.p ? text.p : "", text.len);
    if (sp->prec >= 0 && (uint64_t)sp->prec < ncp) {
        len = 0;
        for (int64_t k = 0; k < sp->prec; k++) {
            uint32_t cp;
            len += jv_utf8_next(text.p + len, text.len - len, &cp);
        }
        ncp = (size_t)sp->prec;
    }
    st = put_padded(b, sp, text.p ? text.p : "", len, ncp, 0);
    jbuf_free(&text);
    return st;
}

/* Next positional argument, or a failure when they ran out. */
static axvk_status next_arg(struct jctx *ctx, const struct jv *args, size_t nargs, size_t *used, struct jv *out)
{
    if (*used >= nargs)
        return jinja_fail(ctx, "not enough arguments for format string");
    *out = args[(*used)++];
    return AXVK_OK;
}

axvk_status jinja_str_percent(struct jctx *ctx, struct jv fmt, struct jv values, struct jv *out)
{
    /* a tuple spreads into arguments; anything else is the single argument (and a dict also
     * serves %(key)s) */
    const struct jv *args = &values;
    size_t nargs = 1, used = 0;
    const struct jdict *mapping = values.type == JV_DICT ? values.u.d : NULL;
    if (values.type == JV_LIST && values.u.l->tuple) {
        args = values.u.l->items;
        nargs = values.u.l->n;
    }
    const char *s = fmt.u.s->s;
    size_t n = fmt.u.s->len;
    struct jbuf b;
    axvk_status st = AXVK_OK;
    jbuf_init(&b, JV_MAX_STRING, ctx->err);
    for (size_t i = 0; !st && i < n;) {
        const char *pct = memchr(s + i, '%', n - i);
        size_t lit = pct ? (size_t)(pct - (s + i)) : n - i;
        if ((st = jbuf_put(&b, s + i, lit)) || !pct)
            break;
        i += lit + 1;
        struct spec sp = {.width = -1, .prec = -1};
        struct jv arg = jv_undef();
        bool keyed = false;
        if (i < n && s[i] == '(') {
            const char *close = memchr(s + i, ')', n - i);
            const struct jv *v = NULL;
            if (!close || !mapping || !(v = jv_dict_get_str(mapping, s + i + 1, (size_t)(close - s - i - 1)))) {
                st = jinja_fail(ctx, !close ? "incomplete format key" : !mapping ? "format requires a mapping"
                                                                                  : "format key not found");
                break;
            }
            arg = *v;
            keyed = true;
            i = (size_t)(close - s) + 1;
        }
        for (; i < n && strchr("#0- +", s[i]) && s[i]; i++)
            sp.alt |= s[i] == '#', sp.zero |= s[i] == '0', sp.left |= s[i] == '-', sp.plus |= s[i] == '+',
                sp.space |= s[i] == ' ';
        for (int part = 0; part < 2 && !st; part++) {
            int64_t *dst = part ? &sp.prec : &sp.width;
            if (part) {
                if (i >= n || s[i] != '.')
                    break;
                i++;
                *dst = 0;
            }
            struct jv star = jv_undef();
            if (i < n && s[i] == '*') {
                i++;
                if (!(st = next_arg(ctx, args, nargs, &used, &star)) && star.type != JV_INT)
                    st = jinja_fail(ctx, "* wants int");
                *dst = st ? 0 : star.u.i;
                if (!part && *dst < 0)
                    sp.left = true, *dst = -*dst;
            }
            for (; i < n && s[i] >= '0' && s[i] <= '9' && *dst < 100000000; i++)
                *dst = (*dst < 0 ? 0 : *dst) * 10 + (s[i] - '0');
        }
        while (i < n && strchr("hlL", s[i]) && s[i])
            i++;
        if (st)
            break;
        if (i >= n) {
            st = jinja_fail(ctx, "incomplete format");
            break;
        }
        sp.type = s[i++];
        if (sp.type == '%') {
            st = jbuf_put(&b, "%", 1);
            continue;
        }
        if (!strchr("sradiuoxXeEfFgGc", sp.type) || !sp.type) {
            st = jinja_fail(ctx, "unsupported format character '%c' (0x%x)", sp.type, (unsigned char)sp.type);
            break;
        }
        if (arg.type == JV_UNDEF && !keyed && (st = next_arg(ctx, args, nargs, &used, &arg)))
            break;
        if (strchr("diuoxX", sp.type))
            st = put_int(ctx, &b, &sp, arg);
        else if (strchr("eEfFgG", sp.type))
            st = put_float(ctx, &b, &sp, arg);
        else
            st = put_text(ctx, &b, &sp, arg);
    }
    /* Python forgives unused arguments only when the right side could serve as a mapping */
    bool mapping_like = mapping || (values.type == JV_LIST && !values.u.l->tuple);
    if (!st && !mapping_like && used < nargs)
        st = jinja_fail(ctx, "not all arguments converted during string formatting");
    if (st) {
        jbuf_free(&b);
        return st;
    }
    return jbuf_take(&b, out);
}
