/* jinja_parse_expr: expressions by recursive descent with jinja2's precedence, loosest first:
 * condexpr < or < and < not < compare (chained, in, not in) < +,- < ~ < *,/,//,% < ** < unary
 * < filters and tests < postfix (.name, [index], [a:b:c], calls). Filters and tests are resolved
 * to ids here, so unknown names fail at parse time. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text/jinja_eval.h"
#include "text/jinja_parse.h"

axvk_status jp_fail(struct jparser *p, const struct jtok *t, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(p->err, AXVK_ERR_TEMPLATE, "line %u, column %u: %s", t->line, t->col, msg);
}

axvk_status jp_expect_op(struct jparser *p, enum jop op, const char *what)
{
    char buf[64];
    if (!jp_is_op(jp_cur(p), op))
        return jp_fail(p, jp_cur(p), "expected '%s', got %s", what, jinja_tok_desc(jp_cur(p), buf, sizeof buf));
    jp_advance(p);
    return AXVK_OK;
}

axvk_status jp_expect(struct jparser *p, enum jtok_type type, const char *what)
{
    char buf[64];
    if (jp_cur(p)->type != type)
        return jp_fail(p, jp_cur(p), "expected %s, got %s", what, jinja_tok_desc(jp_cur(p), buf, sizeof buf));
    jp_advance(p);
    return AXVK_OK;
}

struct jnode *jp_node(struct jparser *p, enum jnode_kind kind, const struct jtok *at)
{
    struct jnode *n = jarena_alloc(p->arena, sizeof *n);
    if (!n) {
        err_set(p->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for the template tree");
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->line = at->line;
    n->col = at->col;
    return n;
}

/* A string constant owned by the arena, shared read-only by every render. */
static struct jnode *const_str(struct jparser *p, const struct jtok *at, const char *s, size_t len)
{
    struct jnode *n = jp_node(p, JN_CONST, at);
    struct jstr *str = n ? jarena_alloc(p->arena, sizeof *str + len + 1) : NULL;
    if (!str) {
        err_set(p->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a string constant");
        return NULL;
    }
    str->h = (struct jobj){JOBJ_STATIC, 1};
    str->len = len;
    memcpy(str->s, s, len);
    str->s[len] = '\0';
    str->ncp = jv_utf8_count(s, len);
    n->value = (struct jv){.type = JV_STR, .u.s = str};
    return n;
}

static struct jnode *parse_unary(struct jparser *p, bool with_filter);
static struct jnode *parse_primary(struct jparser *p);

bool jp_enter(struct jparser *p)
{
    if (++p->depth > JINJA_MAX_NESTING) {
        jp_fail(p, jp_cur(p), "template nested more than %d levels deep", JINJA_MAX_NESTING);
        return false;
    }
    return true;
}

/* Arguments of a call, filter or test after '(': positional, then name=value. */
static struct jnode *parse_args(struct jparser *p, bool *ok)
{
    /* *ok tells an empty argument list (NULL) from a failure */
    struct jnode *first = NULL, **tail = &first;
    bool kw_seen = false;
    *ok = false;
    if (jp_expect_op(p, OP_LPAREN, "("))
        return NULL;
    while (!jp_is_op(jp_cur(p), OP_RPAREN)) {
        if (first && jp_expect_op(p, OP_COMMA, ","))
            return NULL;
        if (jp_is_op(jp_cur(p), OP_RPAREN))
            break;
        if (jp_is_op(jp_cur(p), OP_MUL) || jp_is_op(jp_cur(p), OP_POW)) {
            jp_fail(p, jp_cur(p), "*args and **kwargs in calls are not supported");
            return NULL;
        }
        struct jnode *arg;
        if (jp_cur(p)->type == TK_NAME && jp_is_op(jp_peek(p), OP_ASSIGN)) {
            const struct jtok *name = jp_cur(p);
            arg = jp_node(p, JN_KWARG, name);
            if (!arg)
                return NULL;
            arg->name = name->s;
            arg->name_len = name->len;
            p->pos += 2;
            if (!(arg->a = jp_expr(p, true)))
                return NULL;
            kw_seen = true;
        } else {
            if (kw_seen) {
                jp_fail(p, jp_cur(p), "positional argument follows keyword argument");
                return NULL;
            }
            if (!(arg = jp_expr(p, true)))
                return NULL;
        }
        *tail = arg;
        tail = &arg->next;
    }
    jp_advance(p);
    *ok = true;
    return first;
}

static struct jnode *parse_call(struct jparser *p, struct jnode *callee)
{
    struct jnode *n = jp_node(p, JN_CALL, jp_cur(p));
    bool ok;
    if (!n)
        return NULL;
    n->a = callee;
    n->b = parse_args(p, &ok);
    return ok ? n : NULL;
}

/* `.name`, `.0`, `[key]` or `[a:b:c]` after an expression. */
static struct jnode *parse_subscript(struct jparser *p, struct jnode *obj)
{
    const struct jtok *at = jp_cur(p);
    char buf[64];
    if (jp_is_op(at, OP_DOT)) {
        jp_advance(p);
        const struct jtok *t = jp_cur(p);
        struct jnode *n;
        if (t->type == TK_NAME) {
            if (!(n = jp_node(p, JN_ATTR, t)))
                return NULL;
            n->name = t->s;
            n->name_len = t->len;
        } else if (t->type == TK_INT) {
            if (!(n = jp_node(p, JN_ITEM, t)) || !(n->b = jp_node(p, JN_CONST, t)))
                return NULL;
            n->b->value = jv_int(t->i);
        } else {
            jp_fail(p, t, "expected a name after '.', got %s", jinja_tok_desc(t, buf, sizeof buf));
            return NULL;
        }
        jp_advance(p);
        n->a = obj;
        return n;
    }
    jp_advance(p); /* '[' */
    struct jnode *parts[3] = {NULL, NULL, NULL};
    int nparts = 0;
    for (;;) {
        if (!jp_is_op(jp_cur(p), OP_COLON) && !jp_is_op(jp_cur(p), OP_RBRACKET) &&
            !(parts[nparts] = jp_expr(p, true)))
            return NULL;
        if (!jp_is_op(jp_cur(p), OP_COLON))
            break;
        if (++nparts > 2) {
            jp_fail(p, jp_cur(p), "a slice takes at most three parts");
            return NULL;
        }
        jp_advance(p);
    }
    if (jp_expect_op(p, OP_RBRACKET, "]"))
        return NULL;
    struct jnode *n = jp_node(p, nparts ? JN_SLICE : JN_ITEM, at);
    if (!n)
        return NULL;
    if (!nparts && !parts[0]) {
        jp_fail(p, at, "expected an index inside '[]'");
        return NULL;
    }
    n->a = obj;
    n->b = parts[0];
    n->c = parts[1];
    n->d = parts[2];
    return n;
}

/* jinja2 binds `.`, `[]` and calls tighter than filters: `x|first.name` is a syntax error, not
 * (x|first).name, and `-x|abs` filters the negation. */
static struct jnode *parse_postfix(struct jparser *p, struct jnode *n)
{
    while (n) {
        if (jp_is_op(jp_cur(p), OP_DOT) || jp_is_op(jp_cur(p), OP_LBRACKET))
            n = parse_subscript(p, n);
        else if (jp_is_op(jp_cur(p), OP_LPAREN))
            n = parse_call(p, n);
        else
            break;
    }
    return n;
}

struct jnode *jp_filter(struct jparser *p, struct jnode *obj)
{
    const struct jtok *t = jp_cur(p);
    char buf[64];
    if (t->type != TK_NAME) {
        jp_fail(p, t, "expected a filter name after '|', got %s", jinja_tok_desc(t, buf, sizeof buf));
        return NULL;
    }
    int id = jinja_filter_find(t->s, t->len);
    if (id < 0) {
        jp_fail(p, t, "no filter named '%.*s'", (int)t->len, t->s);
        return NULL;
    }
    struct jnode *n = jp_node(p, JN_FILTER, t);
    if (!n)
        return NULL;
    n->a = obj;
    n->id = (uint16_t)id;
    n->name = t->s;
    n->name_len = t->len;
    jp_advance(p);
    if (jp_is_op(jp_cur(p), OP_LPAREN)) {
        bool ok;
        n->b = parse_args(p, &ok);
        if (!ok)
            return NULL;
    }
    return n;
}

/* `x is [not] name`, `x is name(args)` or `x is name arg` (one bare argument, which may not
 * start with else/or/and so that `a is defined and b` still parses). */
static struct jnode *parse_test(struct jparser *p, struct jnode *obj)
{
    jp_advance(p); /* 'is' */
    bool negated = jp_is_name(jp_cur(p), "not");
    if (negated)
        jp_advance(p);
    const struct jtok *t = jp_cur(p);
    char buf[64];
    if (t->type != TK_NAME) {
        jp_fail(p, t, "expected a test name after 'is', got %s", jinja_tok_desc(t, buf, sizeof buf));
        return NULL;
    }
    int id = jinja_test_find(t->s, t->len);
    if (id < 0) {
        jp_fail(p, t, "no test named '%.*s'", (int)t->len, t->s);
        return NULL;
    }
    struct jnode *n = jp_node(p, JN_TEST, t);
    if (!n)
        return NULL;
    n->a = obj;
    n->id = (uint16_t)id;
    n->negated = negated;
    n->name = t->s;
    n->name_len = t->len;
    jp_advance(p);
    const struct jtok *a = jp_cur(p);
    if (jp_is_op(a, OP_LPAREN)) {
        bool ok;
        n->b = parse_args(p, &ok);
        if (!ok)
            return NULL;
    } else if ((a->type == TK_NAME || a->type == TK_STRING || a->type == TK_INT || a->type == TK_FLOAT ||
                jp_is_op(a, OP_LBRACKET) || jp_is_op(a, OP_LBRACE)) &&
               !jp_is_name(a, "else") && !jp_is_name(a, "or") && !jp_is_name(a, "and")) {
        /* `x is divisibleby 3`: one argument without parentheses */
        if (jp_is_name(a, "is")) {
            jp_fail(p, a, "tests cannot be chained with 'is'");
            return NULL;
        }
        if (!(n->b = parse_postfix(p, parse_primary(p))))
            return NULL;
    }
    return n;
}

static struct jnode *parse_filter_expr(struct jparser *p, struct jnode *n)
{
    while (n) {
        if (jp_is_op(jp_cur(p), OP_PIPE)) {
            jp_advance(p);
            n = jp_filter(p, n);
        }
        else if (jp_is_name(jp_cur(p), "is"))
            n = parse_test(p, n);
        else if (jp_is_op(jp_cur(p), OP_LPAREN))
            n = parse_call(p, n);
        else
            break;
    }
    return n;
}

static struct jnode *parse_list_items(struct jparser *p, enum jnode_kind kind, enum jop close, const struct jtok *at)
{
    struct jnode *n = jp_node(p, kind, at), **tail;
    if (!n)
        return NULL;
    tail = &n->a;
    jp_advance(p);
    while (!jp_is_op(jp_cur(p), close)) {
        if (n->a && jp_expect_op(p, OP_COMMA, ","))
            return NULL;
        if (jp_is_op(jp_cur(p), close))
            break;
        struct jnode *key = jp_expr(p, true);
        if (!key)
            return NULL;
        *tail = key;
        tail = &key->next;
        if (kind == JN_DICT) {
            if (jp_expect_op(p, OP_COLON, ":"))
                return NULL;
            struct jnode *val = jp_expr(p, true);
            if (!val)
                return NULL;
            *tail = val;
            tail = &val->next;
        }
    }
    jp_advance(p);
    return n;
}

/* Literals, names, parenthesised expressions or tuples, list and dict displays. true/false/none
 * are names to the lexer; jinja2 also accepts their Python spellings. */
static struct jnode *parse_primary(struct jparser *p)
{
    const struct jtok *t = jp_cur(p);
    char buf[64];
    struct jnode *n = NULL;
    if (!jp_enter(p))
        return NULL;
    switch (t->type) {
    case TK_NAME:
        if (!(n = jp_node(p, JN_CONST, t)))
            break;
        if (jp_is_name(t, "true") || jp_is_name(t, "True") || jp_is_name(t, "false") || jp_is_name(t, "False")) {
            n->value = jv_bool(t->s[0] == 't' || t->s[0] == 'T');
        } else if (jp_is_name(t, "none") || jp_is_name(t, "None")) {
            n->value = jv_none();
        } else {
            n->kind = JN_NAME;
            n->name = t->s;
            n->name_len = t->len;
        }
        jp_advance(p);
        break;
    case TK_STRING: {
        /* adjacent literals concatenate: 'a' "b" is "ab" */
        size_t total = 0, i = p->pos;
        for (; p->toks[i].type == TK_STRING; i++)
            total += p->toks[i].len;
        char *joined = jarena_alloc(p->arena, total + 1);
        if (!joined) {
            err_set(p->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a string constant");
            break;
        }
        total = 0;
        for (; jp_cur(p)->type == TK_STRING; jp_advance(p)) {
            memcpy(joined + total, jp_cur(p)->s, jp_cur(p)->len);
            total += jp_cur(p)->len;
        }
        n = const_str(p, t, joined, total);
        break;
    }
    case TK_INT:
    case TK_FLOAT:
        if ((n = jp_node(p, JN_CONST, t)))
            n->value = t->type == TK_INT ? jv_int(t->i) : jv_float(t->f);
        jp_advance(p);
        break;
    case TK_OP:
        if (t->op == OP_LPAREN) {
            jp_advance(p);
            n = jp_tuple(p, true, true);
            if (n && jp_expect_op(p, OP_RPAREN, ")"))
                n = NULL;
        } else if (t->op == OP_LBRACKET) {
            n = parse_list_items(p, JN_LIST, OP_RBRACKET, t);
        } else if (t->op == OP_LBRACE) {
            n = parse_list_items(p, JN_DICT, OP_RBRACE, t);
        } else {
            jp_fail(p, t, "unexpected %s", jinja_tok_desc(t, buf, sizeof buf));
        }
        break;
    default: jp_fail(p, t, "unexpected %s", jinja_tok_desc(t, buf, sizeof buf)); break;
    }
    p->depth--;
    return n;
}

/* Unary minus applies to a bare operand, so `-2 ** 2` is (-2) ** 2 = 4 as in jinja2 (not Python). */
static struct jnode *parse_unary(struct jparser *p, bool with_filter)
{
    const struct jtok *t = jp_cur(p);
    struct jnode *n;
    if (!jp_enter(p))
        return NULL;
    if (jp_is_op(t, OP_SUB) || jp_is_op(t, OP_ADD)) {
        jp_advance(p);
        n = jp_node(p, jp_is_op(t, OP_SUB) ? JN_NEG : JN_POS, t);
        if (n && !(n->a = parse_unary(p, false)))
            n = NULL;
    } else {
        n = parse_primary(p);
    }
    n = parse_postfix(p, n);
    if (with_filter)
        n = parse_filter_expr(p, n);
    p->depth--;
    return n;
}

static struct jnode *binop(struct jparser *p, const struct jtok *at, enum jnode_kind kind, int op,
                           struct jnode *a, struct jnode *b)
{
    if (!a || !b)
        return NULL;
    struct jnode *n = jp_node(p, kind, at);
    if (n) {
        n->op = (uint8_t)op;
        n->a = a;
        n->b = b;
    }
    return n;
}

/* Binary levels from tightest: ** < *,/,//,% < ~ < +,- (jinja2 puts ~ between the two). */
static struct jnode *parse_pow(struct jparser *p)
{
    struct jnode *n = parse_unary(p, true);
    while (n && jp_is_op(jp_cur(p), OP_POW)) {
        const struct jtok *t = jp_cur(p);
        jp_advance(p);
        n = binop(p, t, JN_BINOP, OP_POW, n, parse_unary(p, true));
    }
    return n;
}

static struct jnode *parse_math2(struct jparser *p)
{
    struct jnode *n = parse_pow(p);
    while (n && (jp_is_op(jp_cur(p), OP_MUL) || jp_is_op(jp_cur(p), OP_DIV) || jp_is_op(jp_cur(p), OP_FLOORDIV) ||
                 jp_is_op(jp_cur(p), OP_MOD))) {
        const struct jtok *t = jp_cur(p);
        jp_advance(p);
        n = binop(p, t, JN_BINOP, t->op, n, parse_pow(p));
    }
    return n;
}

static struct jnode *parse_concat(struct jparser *p)
{
    struct jnode *n = parse_math2(p);
    while (n && jp_is_op(jp_cur(p), OP_TILDE)) {
        const struct jtok *t = jp_cur(p);
        jp_advance(p);
        n = binop(p, t, JN_BINOP, OP_TILDE, n, parse_math2(p));
    }
    return n;
}

static struct jnode *parse_math1(struct jparser *p)
{
    struct jnode *n = parse_concat(p);
    while (n && (jp_is_op(jp_cur(p), OP_ADD) || jp_is_op(jp_cur(p), OP_SUB))) {
        const struct jtok *t = jp_cur(p);
        jp_advance(p);
        n = binop(p, t, JN_BINOP, t->op, n, parse_concat(p));
    }
    return n;
}

/* `a < b < c` keeps every operand in one JN_COMPARE so each is evaluated once, as Python does. */
static struct jnode *parse_compare(struct jparser *p)
{
    struct jnode *first = parse_math1(p);
    struct jnode *cmp = NULL, **tail = NULL;
    while (first) {
        const struct jtok *t = jp_cur(p);
        int op;
        if (t->type == TK_OP && t->op >= OP_EQ && t->op <= OP_LE) {
            op = t->op;
            jp_advance(p);
        } else if (jp_is_name(t, "in")) {
            op = JN_OP_IN;
            jp_advance(p);
        } else if (jp_is_name(t, "not") && jp_is_name(jp_peek(p), "in")) {
            op = JN_OP_NOTIN;
            p->pos += 2;
        } else {
            break;
        }
        if (!cmp) {
            if (!(cmp = jp_node(p, JN_COMPARE, t)))
                return NULL;
            cmp->a = first;
            tail = &cmp->b;
        }
        struct jnode *operand = jp_node(p, JN_OPERAND, t);
        if (!operand || !(operand->a = parse_math1(p)))
            return NULL;
        operand->op = (uint8_t)op;
        *tail = operand;
        tail = &operand->next;
    }
    return cmp ? cmp : first;
}

static struct jnode *parse_not(struct jparser *p)
{
    if (!jp_is_name(jp_cur(p), "not"))
        return parse_compare(p);
    const struct jtok *t = jp_cur(p);
    if (!jp_enter(p))
        return NULL;
    jp_advance(p);
    struct jnode *n = jp_node(p, JN_NOT, t);
    if (n && !(n->a = parse_not(p)))
        n = NULL;
    p->depth--;
    return n;
}

static struct jnode *parse_and(struct jparser *p)
{
    struct jnode *n = parse_not(p);
    while (n && jp_is_name(jp_cur(p), "and")) {
        const struct jtok *t = jp_cur(p);
        jp_advance(p);
        n = binop(p, t, JN_AND, 0, n, parse_not(p));
    }
    return n;
}

static struct jnode *parse_or(struct jparser *p)
{
    struct jnode *n = parse_and(p);
    while (n && jp_is_name(jp_cur(p), "or")) {
        const struct jtok *t = jp_cur(p);
        jp_advance(p);
        n = binop(p, t, JN_OR, 0, n, parse_and(p));
    }
    return n;
}

/* `x if cond else y`; without else the value is undefined when cond is false. for-loop iterables
 * are parsed without it so that `for x in xs if cond` keeps its filter. */
struct jnode *jp_expr(struct jparser *p, bool with_condexpr)
{
    if (!jp_enter(p))
        return NULL;
    struct jnode *n = parse_or(p);
    while (with_condexpr && n && jp_is_name(jp_cur(p), "if")) {
        const struct jtok *t = jp_cur(p);
        jp_advance(p);
        struct jnode *c = jp_node(p, JN_COND, t);
        if (!c || !(c->a = parse_or(p))) {
            n = NULL;
            break;
        }
        c->b = n;
        if (jp_is_name(jp_cur(p), "else")) {
            jp_advance(p);
            if (!(c->c = jp_expr(p, true))) {
                n = NULL;
                break;
            }
        }
        n = c;
    }
    p->depth--;
    return n;
}

/* Does the current token end an expression list (a tuple without parentheses)? */
static bool tuple_ends(const struct jparser *p, bool explicit_parens)
{
    const struct jtok *t = jp_cur(p);
    if (explicit_parens)
        return jp_is_op(t, OP_RPAREN);
    return t->type == TK_VAR_END || t->type == TK_BLOCK_END || t->type == TK_EOF || jp_is_op(t, OP_RPAREN) ||
           jp_is_name(t, "if") || jp_is_name(t, "in") || jp_is_op(t, OP_ASSIGN);
}

struct jnode *jp_tuple(struct jparser *p, bool with_condexpr, bool explicit_parens)
{
    const struct jtok *at = jp_cur(p);
    struct jnode *first = NULL, **tail = &first;
    bool comma = false;
    while (!tuple_ends(p, explicit_parens)) {
        struct jnode *item = jp_expr(p, with_condexpr);
        if (!item)
            return NULL;
        *tail = item;
        tail = &item->next;
        if (!jp_is_op(jp_cur(p), OP_COMMA))
            break;
        comma = true;
        jp_advance(p);
    }
    if (first && !comma)
        return first;
    if (!first && !explicit_parens) {
        char buf[64];
        jp_fail(p, jp_cur(p), "expected an expression, got %s", jinja_tok_desc(jp_cur(p), buf, sizeof buf));
        return NULL;
    }
    struct jnode *n = jp_node(p, JN_TUPLE, at);
    if (n)
        n->a = first;
    return n;
}

struct jnode *jp_target(struct jparser *p, bool with_namespace)
{
    struct jnode *first = NULL, **tail = &first;
    const struct jtok *at = jp_cur(p);
    bool comma = false, parens = jp_is_op(at, OP_LPAREN);
    char buf[64];
    if (parens)
        jp_advance(p);
    for (;;) {
        const struct jtok *t = jp_cur(p);
        if (t->type != TK_NAME) {
            jp_fail(p, t, "expected a name to assign to, got %s", jinja_tok_desc(t, buf, sizeof buf));
            return NULL;
        }
        struct jnode *n = jp_node(p, JN_NAME, t);
        if (!n)
            return NULL;
        n->name = t->s;
        n->name_len = t->len;
        jp_advance(p);
        if (with_namespace && !comma && !parens && jp_is_op(jp_cur(p), OP_DOT)) {
            jp_advance(p);
            const struct jtok *attr = jp_cur(p);
            if (attr->type != TK_NAME) {
                jp_fail(p, attr, "expected an attribute name, got %s", jinja_tok_desc(attr, buf, sizeof buf));
                return NULL;
            }
            struct jnode *ref = jp_node(p, JN_NSREF, t);
            if (!ref)
                return NULL;
            ref->a = n;
            ref->name = attr->s;
            ref->name_len = attr->len;
            jp_advance(p);
            return ref;
        }
        *tail = n;
        tail = &n->next;
        if (!jp_is_op(jp_cur(p), OP_COMMA))
            break;
        comma = true;
        jp_advance(p);
        if (parens && jp_is_op(jp_cur(p), OP_RPAREN))
            break;
    }
    if (parens && jp_expect_op(p, OP_RPAREN, ")"))
        return NULL;
    if (!comma && !parens)
        return first;
    struct jnode *tuple = jp_node(p, JN_TUPLE, at);
    if (tuple)
        tuple->a = first;
    return tuple;
}
