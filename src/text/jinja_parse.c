/* jinja_parse: tokens -> statement tree (if, for, set, macro, with, filter blocks, break,
 * continue) and the parser's entry point. Expressions are parsed in jinja_parse_expr.c; unknown
 * or unsupported tags are rejected here with their line and column. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "text/jinja_parse.h"

static struct jnode *parse_body(struct jparser *p, const char *const *ends, const struct jtok *opener);

/* Tag names parse_body stops at, each list NULL-terminated. */
static const char *const ends_if[] = {"elif", "else", "endif", NULL};
static const char *const ends_endif[] = {"endif", NULL};
static const char *const ends_for[] = {"else", "endfor", NULL};
static const char *const ends_endfor[] = {"endfor", NULL};

/* An elif becomes a nested JN_IF in the else branch; all of them share one endif. */
static struct jnode *parse_if(struct jparser *p, const struct jtok *tag)
{
    struct jnode *n = jp_node(p, JN_IF, tag);
    if (!n)
        return NULL;
    jp_advance(p);
    if (!(n->a = jp_tuple(p, true, false)) || jp_expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    n->b = parse_body(p, ends_if, tag);
    if (p->err && p->err->status)
        return NULL;
    const struct jtok *end = jp_cur(p);
    if (jp_is_name(end, "elif")) {
        n->c = parse_if(p, end);
        return n->c ? n : NULL;
    }
    if (jp_is_name(end, "else")) {
        jp_advance(p);
        if (jp_expect(p, TK_BLOCK_END, "'%}'"))
            return NULL;
        n->c = parse_body(p, ends_endif, tag);
        if (p->err && p->err->status)
            return NULL;
    }
    jp_advance(p); /* endif */
    return jp_expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

/* `for target in iterable [if cond] [recursive]`; recursive loops (loop(...)) are refused. */
static struct jnode *parse_for(struct jparser *p, const struct jtok *tag)
{
    struct jnode *n = jp_node(p, JN_FOR, tag);
    if (!n)
        return NULL;
    jp_advance(p);
    if (!(n->a = jp_target(p, false)))
        return NULL;
    if (!jp_is_name(jp_cur(p), "in")) {
        jp_fail(p, jp_cur(p), "expected 'in' in a for statement");
        return NULL;
    }
    jp_advance(p);
    if (!(n->b = jp_tuple(p, false, false)))
        return NULL;
    if (jp_is_name(jp_cur(p), "if")) {
        jp_advance(p);
        if (!(n->e = jp_expr(p, true)))
            return NULL;
    }
    if (jp_is_name(jp_cur(p), "recursive")) {
        jp_fail(p, jp_cur(p), "recursive loops are not supported");
        return NULL;
    }
    if (jp_expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    p->loops++;
    n->c = parse_body(p, ends_for, tag);
    p->loops--;
    if (p->err && p->err->status)
        return NULL;
    if (jp_is_name(jp_cur(p), "else")) {
        jp_advance(p);
        if (jp_expect(p, TK_BLOCK_END, "'%}'"))
            return NULL;
        n->d = parse_body(p, ends_endfor, tag);
        if (p->err && p->err->status)
            return NULL;
    }
    jp_advance(p); /* endfor */
    return jp_expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

/* `set target = value` or the block form `set target %}...{% endset`. */
static struct jnode *parse_set(struct jparser *p, const struct jtok *tag)
{
    static const char *const ends[] = {"endset", NULL};
    struct jnode *n = jp_node(p, JN_SET, tag);
    if (!n)
        return NULL;
    jp_advance(p);
    if (!(n->a = jp_target(p, true)))
        return NULL;
    if (jp_is_op(jp_cur(p), OP_ASSIGN)) {
        jp_advance(p);
        if (!(n->b = jp_tuple(p, true, false)))
            return NULL;
        return jp_expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
    }
    if (n->a->kind == JN_TUPLE) {
        jp_fail(p, jp_cur(p), "a block set takes a single name");
        return NULL;
    }
    if (jp_expect(p, TK_BLOCK_END, "'=' or '%}'"))
        return NULL;
    n->kind = JN_SET_BLOCK;
    n->b = parse_body(p, ends, tag);
    if (p->err && p->err->status)
        return NULL;
    jp_advance(p);
    return jp_expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

/* `macro name(a, b=default)`: parameters with defaults come last, as in Python. */
static struct jnode *parse_macro(struct jparser *p, const struct jtok *tag)
{
    static const char *const ends[] = {"endmacro", NULL};
    struct jnode *n = jp_node(p, JN_MACRO, tag), **tail;
    if (!n)
        return NULL;
    jp_advance(p);
    const struct jtok *name = jp_cur(p);
    if (name->type != TK_NAME) {
        jp_fail(p, name, "expected a macro name");
        return NULL;
    }
    n->name = name->s;
    n->name_len = name->len;
    jp_advance(p);
    if (jp_expect_op(p, OP_LPAREN, "("))
        return NULL;
    tail = &n->a;
    bool defaults = false;
    while (!jp_is_op(jp_cur(p), OP_RPAREN)) {
        if (n->a && jp_expect_op(p, OP_COMMA, ","))
            return NULL;
        const struct jtok *t = jp_cur(p);
        if (t->type != TK_NAME) {
            jp_fail(p, t, "expected a parameter name");
            return NULL;
        }
        struct jnode *param = jp_node(p, JN_PARAM, t);
        if (!param)
            return NULL;
        param->name = t->s;
        param->name_len = t->len;
        jp_advance(p);
        if (jp_is_op(jp_cur(p), OP_ASSIGN)) {
            jp_advance(p);
            if (!(param->a = jp_expr(p, true)))
                return NULL;
            defaults = true;
        } else if (defaults) {
            jp_fail(p, t, "parameter without a default follows one with a default");
            return NULL;
        }
        *tail = param;
        tail = &param->next;
    }
    jp_advance(p);
    if (jp_expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    int loops = p->loops;
    p->loops = 0; /* break/continue cannot cross a macro */
    n->b = parse_body(p, ends, tag);
    p->loops = loops;
    if (p->err && p->err->status)
        return NULL;
    jp_advance(p);
    return jp_expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

/* `filter name(args)|name2 %}...{% endfilter`, `with a = 1, b = 2 %}...{% endwith`, and
 * `generation %}...{% endgeneration` (transformers' marker, rendered as its body). */
static struct jnode *parse_scoped(struct jparser *p, const struct jtok *tag, enum jnode_kind kind,
                                  const char *end)
{
    const char *const ends[] = {end, NULL};
    struct jnode *n = jp_node(p, kind, tag), **tail = &n->a;
    if (!n)
        return NULL;
    jp_advance(p);
    while (kind == JN_FILTER_BLOCK) {
        struct jnode *f = jp_filter(p, NULL);
        if (!f)
            return NULL;
        *tail = f;
        tail = &f->next;
        if (!jp_is_op(jp_cur(p), OP_PIPE))
            break;
        jp_advance(p);
    }
    while (kind == JN_WITH && jp_cur(p)->type != TK_BLOCK_END && !jp_is_name(tag, "generation")) {
        if (n->a && jp_expect_op(p, OP_COMMA, ","))
            return NULL;
        struct jnode *set = jp_node(p, JN_SET, jp_cur(p));
        if (!set || !(set->a = jp_target(p, false)) || jp_expect_op(p, OP_ASSIGN, "=") ||
            !(set->b = jp_expr(p, true)))
            return NULL;
        *tail = set;
        tail = &set->next;
    }
    if (jp_expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    n->b = parse_body(p, ends, tag);
    if (p->err && p->err->status)
        return NULL;
    jp_advance(p);
    return jp_expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

static struct jnode *parse_statement(struct jparser *p)
{
    const struct jtok *tag = jp_cur(p);
    char buf[64];
    if (tag->type != TK_NAME) {
        jp_fail(p, tag, "expected a statement name, got %s", jinja_tok_desc(tag, buf, sizeof buf));
        return NULL;
    }
    if (!jp_enter(p))
        return NULL;
    struct jnode *n = NULL;
    if (jp_is_name(tag, "if"))
        n = parse_if(p, tag);
    else if (jp_is_name(tag, "for"))
        n = parse_for(p, tag);
    else if (jp_is_name(tag, "set"))
        n = parse_set(p, tag);
    else if (jp_is_name(tag, "macro"))
        n = parse_macro(p, tag);
    else if (jp_is_name(tag, "filter"))
        n = parse_scoped(p, tag, JN_FILTER_BLOCK, "endfilter");
    else if (jp_is_name(tag, "with"))
        n = parse_scoped(p, tag, JN_WITH, "endwith");
    else if (jp_is_name(tag, "generation"))
        n = parse_scoped(p, tag, JN_WITH, "endgeneration");
    else if (jp_is_name(tag, "break") || jp_is_name(tag, "continue")) {
        if (!p->loops)
            jp_fail(p, tag, "'%.*s' outside of a loop", (int)tag->len, tag->s);
        else if ((n = jp_node(p, jp_is_name(tag, "break") ? JN_BREAK : JN_CONTINUE, tag))) {
            jp_advance(p);
            if (jp_expect(p, TK_BLOCK_END, "'%}'"))
                n = NULL;
        }
    } else if (jp_is_name(tag, "block") || jp_is_name(tag, "extends") || jp_is_name(tag, "include") ||
               jp_is_name(tag, "import") || jp_is_name(tag, "from") || jp_is_name(tag, "call") ||
               jp_is_name(tag, "autoescape") || jp_is_name(tag, "do") || jp_is_name(tag, "print")) {
        jp_fail(p, tag, "the '%.*s' statement is not supported in chat templates", (int)tag->len, tag->s);
    } else if ((tag->len > 3 && !memcmp(tag->s, "end", 3)) || jp_is_name(tag, "else") || jp_is_name(tag, "elif")) {
        jp_fail(p, tag, "unexpected '%.*s'", (int)tag->len, tag->s);
    } else {
        jp_fail(p, tag, "unknown tag '%.*s'", (int)tag->len, tag->s);
    }
    p->depth--;
    return n;
}

static bool in_list(const struct jtok *t, const char *const *names)
{
    for (; names && *names; names++)
        if (jp_is_name(t, *names))
            return true;
    return false;
}

/* Statements until a {% tag %} named in `ends` (left current, its '{%' consumed) or the end. */
static struct jnode *parse_body(struct jparser *p, const char *const *ends, const struct jtok *opener)
{
    struct jnode *first = NULL, **tail = &first;
    for (;;) {
        const struct jtok *t = jp_cur(p);
        struct jnode *n = NULL;
        if (t->type == TK_EOF) {
            if (ends) {
                const char *const *last = ends;
                while (last[1])
                    last++;
                jp_fail(p, t, "unexpected end of template, expected '%s' to close the '%.*s' at line %u", *last,
                     (int)opener->len, opener->s, opener->line);
            }
            return first;
        }
        if (t->type == TK_DATA) {
            if ((n = jp_node(p, JN_TEXT, t))) {
                n->name = t->s;
                n->name_len = t->len;
            }
            jp_advance(p);
        } else if (t->type == TK_VAR_BEGIN) {
            jp_advance(p);
            if ((n = jp_node(p, JN_OUTPUT, t)) &&
                (!(n->a = jp_tuple(p, true, false)) || jp_expect(p, TK_VAR_END, "'}}'")))
                n = NULL;
        } else if (t->type == TK_BLOCK_BEGIN) {
            if (in_list(jp_peek(p), ends)) {
                jp_advance(p);
                return first;
            }
            jp_advance(p);
            n = parse_statement(p);
        } else {
            char buf[64];
            jp_fail(p, t, "unexpected %s", jinja_tok_desc(t, buf, sizeof buf));
        }
        if (!n)
            return NULL;
        *tail = n;
        tail = &n->next;
    }
}

axvk_status jinja_parse(struct jinja_template **out, const char *src, size_t len, struct err *err)
{
    struct jtok *toks = NULL;
    size_t ntoks = 0;
    struct jinja_template *t = mem_calloc(1, sizeof *t);
    struct err local;
    axvk_status st;
    *out = NULL;
    if (!err) /* the parser reads the status back to tell "no statements" from "failed" */
        err = &local;
    err_clear(err);
    if (!t)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a template");
    if ((st = jinja_lex(&toks, &ntoks, src, len, &t->arena, err)))
        goto fail;
    struct jparser p = {.toks = toks, .arena = &t->arena, .err = err};
    t->body = parse_body(&p, NULL, NULL);
    if ((st = err->status))
        goto fail;
    mem_free(toks);
    *out = t;
    return AXVK_OK;
fail:
    mem_free(toks);
    jinja_template_free(t);
    return st;
}

void jinja_template_free(struct jinja_template *t)
{
    if (!t)
        return;
    jarena_free(&t->arena);
    mem_free(t);
}
