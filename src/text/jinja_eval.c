/* jinja_eval: statement execution and scopes. A for iteration, macro call or with block gets its
 * own frame, so `set` inside them does not leak out (jinja2's scoping); if blocks share their
 * parent's. Limits on depth, steps and output keep hostile templates from hanging or crashing. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "text/jinja_eval.h"

enum { CTL_NONE, CTL_BREAK, CTL_CONTINUE };

axvk_status jinja_fail(struct jctx *ctx, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->located = true;
    if (!ctx->at)
        return err_set(ctx->err, AXVK_ERR_TEMPLATE, "%s", msg);
    return err_set(ctx->err, AXVK_ERR_TEMPLATE, "line %u, column %u: %s", ctx->at->line, ctx->at->col, msg);
}

axvk_status jinja_frame_set(struct jctx *ctx, struct jframe *f, const char *name, size_t len, struct jv v)
{
    for (size_t i = 0; i < f->n; i++) {
        if (f->vars[i].len == len && !memcmp(f->vars[i].name, name, len)) {
            jv_unref(f->vars[i].v);
            f->vars[i].v = v;
            return AXVK_OK;
        }
    }
    if (mem_grow((void **)&f->vars, &f->cap, f->n + 1, sizeof *f->vars)) {
        jv_unref(v);
        return err_set(ctx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a variable");
    }
    f->vars[f->n++] = (struct jvar){name, len, v};
    return AXVK_OK;
}

void jinja_frame_clear(struct jframe *f)
{
    for (size_t i = 0; i < f->n; i++)
        jv_unref(f->vars[i].v);
    f->n = 0;
}

/* Starts a scope whose lookups continue in `parent`. */
static void frame_open(struct jctx *ctx, struct jframe *f, struct jframe *parent)
{
    *f = (struct jframe){.parent = parent, .below = ctx->frames, .serial = ++ctx->serials};
    ctx->frames = f;
}

/* Ends the newest scope. */
static void frame_close(struct jctx *ctx, struct jframe *f)
{
    ctx->frames = f->below;
    jinja_frame_clear(f);
    mem_free(f->vars);
    f->vars = NULL;
    f->cap = 0;
}

struct jv jinja_lookup(const struct jctx *ctx, const char *name, size_t len)
{
    /* innermost scope first; globals only when no template variable shadows them */
    for (const struct jframe *f = ctx->top; f; f = f->parent)
        for (size_t i = f->n; i-- > 0;)
            if (f->vars[i].len == len && !memcmp(f->vars[i].name, name, len))
                return f->vars[i].v;
    int fn = jinja_global_find(name, len);
    return fn < 0 ? jv_undef() : (struct jv){.type = JV_FUNC, .u.fn = fn};
}

axvk_status jinja_iterate(struct jctx *ctx, struct jv v, struct jv *out)
{
    axvk_status st = AXVK_OK;
    *out = jv_undef();
    switch (v.type) {
    case JV_LIST: *out = jv_ref(v); return AXVK_OK; /* lists never change, so sharing is safe */
    case JV_UNDEF: return jv_new_list(out, 0, false, ctx->err); /* jinja2's Undefined iterates as empty */
    case JV_DICT:
        st = jv_new_list(out, v.u.d->n, false, ctx->err);
        for (size_t e = 0; !st && e < v.u.d->n; e++)
            st = jv_list_push(*out, jv_ref(v.u.d->keys[e]), ctx->err);
        break;
    case JV_STR:
        st = jv_new_list(out, v.u.s->ncp, false, ctx->err);
        for (size_t i = 0; !st && i < v.u.s->len;) {
            uint32_t cp;
            size_t k = jv_utf8_next(v.u.s->s + i, v.u.s->len - i, &cp);
            struct jv ch;
            if (!(st = jv_new_str(&ch, v.u.s->s + i, k, ctx->err)))
                st = jv_list_push(*out, ch, ctx->err);
            i += k;
        }
        break;
    default: return jinja_fail(ctx, "'%s' object is not iterable", jv_type_name(v));
    }
    if (st) {
        jv_unref(*out);
        *out = jv_undef();
    }
    return st;
}

axvk_status jinja_bind(struct jctx *ctx, const char *fname, const struct jargs *args, const char *const *params,
                       size_t nparams, struct jv *slots, uint32_t *given)
{
    *given = 0; /* nparams is a builtin's (at most a handful), so 32 bits are plenty */
    for (size_t i = 0; i < nparams; i++)
        slots[i] = jv_undef();
    if (args->npos > nparams)
        return jinja_fail(ctx, "%s() takes at most %zu argument(s), %zu given", fname, nparams, args->npos);
    for (size_t i = 0; i < args->npos; i++) {
        slots[i] = args->pos[i];
        *given |= 1u << i;
    }
    for (size_t k = 0; k < args->nkw; k++) {
        size_t i = 0;
        while (i < nparams && !(strlen(params[i]) == args->kw[k].len && !memcmp(params[i], args->kw[k].name, args->kw[k].len)))
            i++;
        if (i == nparams)
            return jinja_fail(ctx, "%s() got an unexpected keyword argument '%.*s'", fname, (int)args->kw[k].len,
                              args->kw[k].name);
        if (*given & 1u << i)
            return jinja_fail(ctx, "%s() got multiple values for argument '%s'", fname, params[i]);
        slots[i] = args->kw[k].v;
        *given |= 1u << i;
    }
    return AXVK_OK;
}

static axvk_status exec_body(struct jctx *ctx, const struct jnode *n);

/* Renders a body into a string of its own (macros, set blocks, filter blocks). Set and filter
 * blocks get a scope of their own, as jinja2 compiles them to inner functions. */
static axvk_status capture(struct jctx *ctx, const struct jnode *body, bool scoped, struct jv *out)
{
    struct jbuf buf, *saved = ctx->out;
    struct jframe f, *saved_top = ctx->top;
    jbuf_init(&buf, ctx->max_output, ctx->err);
    ctx->out = &buf;
    if (scoped) {
        frame_open(ctx, &f, ctx->top);
        ctx->top = &f;
    }
    axvk_status st = exec_body(ctx, body);
    if (scoped) {
        ctx->top = saved_top;
        frame_close(ctx, &f);
    }
    ctx->out = saved;
    if (st) {
        jbuf_free(&buf);
        *out = jv_undef();
        return st;
    }
    return jbuf_take(&buf, out);
}

/* Binds `value` to a name or unpacks it into a tuple of names. Takes the reference. */
static axvk_status assign(struct jctx *ctx, struct jframe *f, const struct jnode *target, struct jv value)
{
    if (target->kind == JN_NAME)
        return jinja_frame_set(ctx, f, target->name, target->name_len, value);
    if (target->kind == JN_NSREF) {
        struct jv ns = jinja_lookup(ctx, target->a->name, target->a->name_len), key;
        axvk_status st;
        if (ns.type != JV_NS) {
            jv_unref(value);
            return jinja_fail(ctx, "cannot assign attribute on non-namespace object '%.*s'", (int)target->a->name_len,
                              target->a->name);
        }
        if ((st = jv_new_str(&key, target->name, target->name_len, ctx->err))) {
            jv_unref(value);
            return st;
        }
        return jv_dict_set(ns, key, value, ctx->err);
    }
    /* tuple target: any iterable of exactly that many items, as Python unpacks */
    struct jv items;
    axvk_status st = jinja_iterate(ctx, value, &items);
    size_t want = 0;
    for (const struct jnode *t = target->a; t; t = t->next)
        want++;
    if (!st && items.u.l->n != want)
        st = jinja_fail(ctx, "%s values to unpack (expected %zu, got %zu)", items.u.l->n > want ? "too many" : "not enough",
                        want, items.u.l->n);
    size_t i = 0;
    for (const struct jnode *t = target->a; !st && t; t = t->next)
        st = jinja_frame_set(ctx, f, t->name, t->name_len, jv_ref(items.u.l->items[i++]));
    jv_unref(items);
    jv_unref(value);
    return st;
}

/* Items for a for loop: the iterable, filtered by the `if` condition with the target bound. */
static axvk_status loop_items(struct jctx *ctx, const struct jnode *n, struct jv *items)
{
    struct jv it, keep;
    axvk_status st = jinja_eval(ctx, n->b, &it);
    if (!st) {
        const struct jnode *saved = ctx->at;
        ctx->at = n->b;
        st = jinja_iterate(ctx, it, items);
        ctx->at = saved;
    }
    jv_unref(it);
    if (st || !n->e)
        return st;
    /* jinja2 filters before iterating, so loop.length and loop.last count kept items only */
    struct jframe f;
    frame_open(ctx, &f, ctx->top);
    if ((st = jv_new_list(&keep, 0, false, ctx->err)))
        goto done;
    ctx->top = &f;
    for (size_t i = 0; !st && i < items->u.l->n; i++) {
        struct jv cond;
        if ((st = assign(ctx, &f, n->a, jv_ref(items->u.l->items[i]))) || (st = jinja_eval(ctx, n->e, &cond)))
            break;
        if (jv_truthy(cond))
            st = jv_list_push(keep, jv_ref(items->u.l->items[i]), ctx->err);
        jv_unref(cond);
    }
    ctx->top = f.parent;
    jv_unref(*items);
    *items = keep;
done:
    frame_close(ctx, &f);
    return st;
}

static axvk_status exec_for(struct jctx *ctx, const struct jnode *n)
{
    struct jv items, loop = jv_undef();
    struct jframe f;
    axvk_status st = loop_items(ctx, n, &items);
    if (st)
        return st;
    if (!items.u.l->n) { /* {% else %} runs only when nothing was iterated */
        st = exec_body(ctx, n->d);
        jv_unref(items);
        return st;
    }
    frame_open(ctx, &f, ctx->top);
    if ((st = jv_new_loop(&loop, items, 0, ctx->err)))
        goto done;
    ctx->top = &f;
    for (size_t i = 0; !st && i < items.u.l->n; i++) {
        loop.u.loop->index0 = i;
        jinja_frame_clear(&f); /* each iteration starts from a fresh scope, as in jinja2 */
        if ((st = assign(ctx, &f, n->a, jv_ref(items.u.l->items[i]))) ||
            (st = jinja_frame_set(ctx, &f, "loop", 4, jv_ref(loop))))
            break;
        st = exec_body(ctx, n->c);
        /* exec_body stops at a pending break/continue; only this loop consumes it */
        if (ctx->ctl == CTL_BREAK) {
            ctx->ctl = CTL_NONE;
            break;
        }
        ctx->ctl = CTL_NONE;
    }
    ctx->top = f.parent;
done:
    frame_close(ctx, &f);
    jv_unref(loop);
    jv_unref(items);
    return st;
}

axvk_status jinja_call_macro(struct jctx *ctx, struct jv macro, const struct jargs *args, struct jv *out)
{
    const struct jnode *m = macro.u.macro->node;
    struct jframe f, *saved_top = ctx->top, *scope = ctx->root;
    size_t nparams = 0;
    uint64_t bound = 0;
    axvk_status st = AXVK_OK;
    *out = jv_undef();
    for (const struct jnode *p = m->a; p; p = p->next)
        nparams++;
    if (ctx->calls >= JINJA_MAX_CALLS)
        return jinja_fail(ctx, "macro calls nested more than %d deep", JINJA_MAX_CALLS);
    if (args->npos > nparams || nparams > 64)
        return jinja_fail(ctx, "macro '%.*s' takes not more than %zu argument(s)", (int)m->name_len, m->name, nparams);
    /* free variables resolve where the macro was defined (jinja2 macros are closures), as long as
     * that scope is alive; otherwise in the top level */
    for (struct jframe *live = ctx->frames; live; live = live->below)
        if (live == macro.u.macro->scope && live->serial == macro.u.macro->serial)
            scope = live;
    frame_open(ctx, &f, scope);
    const struct jnode *p = m->a;
    for (size_t i = 0; !st && i < args->npos; i++, p = p->next) {
        st = jinja_frame_set(ctx, &f, p->name, p->name_len, jv_ref(args->pos[i]));
        bound |= 1ull << i;
    }
    for (size_t k = 0; !st && k < args->nkw; k++) {
        size_t i = 0;
        for (p = m->a; p && !(p->name_len == args->kw[k].len && !memcmp(p->name, args->kw[k].name, p->name_len));
             p = p->next)
            i++;
        if (!p) {
            st = jinja_fail(ctx, "macro '%.*s' takes no keyword argument '%.*s'", (int)m->name_len, m->name,
                            (int)args->kw[k].len, args->kw[k].name);
        } else if (bound & 1ull << i) {
            st = jinja_fail(ctx, "macro '%.*s' got multiple values for argument '%.*s'", (int)m->name_len, m->name,
                            (int)p->name_len, p->name);
        } else {
            st = jinja_frame_set(ctx, &f, p->name, p->name_len, jv_ref(args->kw[k].v));
            bound |= 1ull << i;
        }
    }
    /* defaults are evaluated inside the call, so they may refer to earlier parameters */
    ctx->top = &f;
    ctx->calls++;
    size_t i = 0;
    for (p = m->a; !st && p; p = p->next, i++) {
        struct jv v = jv_undef();
        if (bound & 1ull << i)
            continue;
        if (!p->a || !(st = jinja_eval(ctx, p->a, &v)))
            st = jinja_frame_set(ctx, &f, p->name, p->name_len, v);
    }
    if (!st)
        st = capture(ctx, m->b, false, out);
    ctx->calls--;
    ctx->top = saved_top;
    frame_close(ctx, &f);
    return st;
}

static axvk_status exec_filter_block(struct jctx *ctx, const struct jnode *n)
{
    struct jv v;
    axvk_status st = capture(ctx, n->b, true, &v);
    /* the body's text goes through the chain left to right, as `text|f1|f2` would */
    for (const struct jnode *f = n->a; !st && f; f = f->next) {
        struct jv next;
        st = jinja_filter_node(ctx, f, v, &next);
        jv_unref(v);
        v = st ? jv_undef() : next;
    }
    if (!st)
        st = jv_write_str(ctx->out, v);
    jv_unref(v);
    return st;
}

static axvk_status exec_with(struct jctx *ctx, const struct jnode *n)
{
    struct jframe f;
    axvk_status st = AXVK_OK;
    frame_open(ctx, &f, ctx->top);
    /* values are computed in the outer scope, then visible only inside the block */
    for (const struct jnode *set = n->a; !st && set; set = set->next) {
        struct jv v;
        if (!(st = jinja_eval(ctx, set->b, &v)))
            st = assign(ctx, &f, set->a, v);
    }
    ctx->top = &f;
    if (!st)
        st = exec_body(ctx, n->b);
    ctx->top = f.parent;
    frame_close(ctx, &f);
    return st;
}

static axvk_status exec_node(struct jctx *ctx, const struct jnode *n)
{
    struct jv v;
    axvk_status st;
    switch (n->kind) {
    case JN_TEXT: return jbuf_put(ctx->out, n->name, n->name_len);
    case JN_OUTPUT:
        if ((st = jinja_eval(ctx, n->a, &v)))
            return st;
        st = jv_write_str(ctx->out, v);
        jv_unref(v);
        return st;
    case JN_IF:
        if ((st = jinja_eval(ctx, n->a, &v)))
            return st;
        st = exec_body(ctx, jv_truthy(v) ? n->b : n->c);
        jv_unref(v);
        return st;
    case JN_FOR: return exec_for(ctx, n);
    case JN_SET:
        if ((st = jinja_eval(ctx, n->b, &v)))
            return st;
        return assign(ctx, ctx->top, n->a, v);
    case JN_SET_BLOCK:
        if ((st = capture(ctx, n->b, true, &v)))
            return st;
        return assign(ctx, ctx->top, n->a, v);
    case JN_MACRO: /* defining binds the name; the body runs at each call */
        if ((st = jv_new_macro(&v, n, ctx->top, ctx->top->serial, ctx->err)))
            return st;
        return jinja_frame_set(ctx, ctx->top, n->name, n->name_len, v);
    case JN_BREAK: ctx->ctl = CTL_BREAK; return AXVK_OK;
    case JN_CONTINUE: ctx->ctl = CTL_CONTINUE; return AXVK_OK;
    case JN_FILTER_BLOCK: return exec_filter_block(ctx, n);
    case JN_WITH: return exec_with(ctx, n);
    default: return jinja_fail(ctx, "expression used as a statement");
    }
}

static axvk_status exec_body(struct jctx *ctx, const struct jnode *n)
{
    for (; n && ctx->ctl == CTL_NONE; n = n->next) {
        const struct jnode *saved = ctx->at;
        axvk_status st;
        ctx->at = n;
        if (++ctx->depth > JINJA_MAX_DEPTH)
            st = jinja_fail(ctx, "statements nested more than %d levels deep", JINJA_MAX_DEPTH);
        else if (++ctx->steps > ctx->max_steps)
            st = jinja_fail(ctx, "rendering took more than %" PRIu64 " steps", ctx->max_steps);
        else
            st = exec_node(ctx, n);
        ctx->depth--;
        ctx->at = saved;
        if (st) {
            /* errors from below (out of memory, limits) get the innermost statement's position */
            if (!ctx->located) {
                err_wrap(ctx->err, "line %u, column %u", n->line, n->col);
                ctx->located = true;
            }
            return st;
        }
    }
    return AXVK_OK;
}

axvk_status jinja_render(struct jctx *ctx, const struct jinja_template *t)
{
    ctx->top = ctx->root;
    ctx->frames = ctx->root;
    ctx->ctl = CTL_NONE;
    axvk_status st = exec_body(ctx, t->body);
    /* namespaces may reference each other: empty them all so that counting can free them */
    if (ctx->namespaces.type == JV_LIST)
        for (size_t i = 0; i < ctx->namespaces.u.l->n; i++)
            jv_dict_clear(ctx->namespaces.u.l->items[i].u.d);
    jv_unref(ctx->namespaces);
    ctx->namespaces = jv_undef();
    return st;
}
