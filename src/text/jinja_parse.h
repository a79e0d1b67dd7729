/* jinja_parse: what the statement parser (jinja_parse.c) and the expression parser
 * (jinja_parse_expr.c) share — the parser state, token helpers and the expression entry points.
 * Private to those two files. */
#ifndef AXVK_TEXT_JINJA_PARSE_H
#define AXVK_TEXT_JINJA_PARSE_H

#include <string.h>

#include "text/jinja_ast.h"

struct jparser {
    const struct jtok *toks;
    size_t pos;
    struct jarena *arena;
    struct err *err;
    int depth; /* nesting, against JINJA_MAX_NESTING */
    int loops; /* enclosing for statements within the current macro */
};

static inline const struct jtok *jp_cur(const struct jparser *p)
{
    return &p->toks[p->pos];
}

/* The token after the current one (the end token stays put). */
static inline const struct jtok *jp_peek(const struct jparser *p)
{
    return jp_cur(p)->type == TK_EOF ? jp_cur(p) : &p->toks[p->pos + 1];
}

static inline void jp_advance(struct jparser *p)
{
    if (jp_cur(p)->type != TK_EOF)
        p->pos++;
}

static inline bool jp_is_name(const struct jtok *t, const char *name)
{
    return t->type == TK_NAME && t->len == strlen(name) && !memcmp(t->s, name, t->len);
}

static inline bool jp_is_op(const struct jtok *t, enum jop op)
{
    return t->type == TK_OP && t->op == op;
}

/* Records "line L, column C: message" at token t; returns AXVK_ERR_TEMPLATE. */
axvk_status jp_fail(struct jparser *p, const struct jtok *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
axvk_status jp_expect_op(struct jparser *p, enum jop op, const char *what);
axvk_status jp_expect(struct jparser *p, enum jtok_type type, const char *what);
/* A zeroed node at token `at`; NULL (with err set) when out of memory. */
struct jnode *jp_node(struct jparser *p, enum jnode_kind kind, const struct jtok *at);
/* Counts one level of nesting; false (with err set) past JINJA_MAX_NESTING. */
bool jp_enter(struct jparser *p);

/* Expression entry points; NULL means failure, with err set. */
struct jnode *jp_expr(struct jparser *p, bool with_condexpr);
/* `a`, `a, b`, `(a,)`: a JN_TUPLE when a comma appears, the bare expression otherwise. */
struct jnode *jp_tuple(struct jparser *p, bool with_condexpr, bool explicit_parens);
/* Assignment targets: a name, `ns.attr` (with_namespace), or a tuple of names. */
struct jnode *jp_target(struct jparser *p, bool with_namespace);
/* A filter `name` or `name(args)` applied to obj (NULL in filter blocks), '|' already consumed. */
struct jnode *jp_filter(struct jparser *p, struct jnode *obj);

#endif
