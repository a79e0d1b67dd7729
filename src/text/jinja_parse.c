/* jinja_parse: tokens -> AST by recursive descent with jinja2's grammar and operator precedence
 * (condexpr < or < and < not < compare < +,- < ~ < *,/,//,% < ** < unary < filters/tests < postfix).
 * Unknown tags, filters and tests are rejected here, with their line and column. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "text/jinja_ast.h"
#include "text/jinja_eval.h"

struct parser {
    const struct jtok *toks;
    size_t pos;
    struct jarena *arena;
    struct err *err;
    int depth;       /* nesting, against JINJA_MAX_NESTING */
    int loops;       /* enclosing for statements within the current macro */
};

static const struct jtok *cur(const struct parser *p) { return &p->toks[p->pos]; }
static const struct jtok *peek(const struct parser *p) { return cur(p)->type == TK_EOF ? cur(p) : &p->toks[p->pos + 1]; }
static void advance(struct parser *p) { if (cur(p)->type != TK_EOF) p->pos++; }

__attribute__((format(printf, 3, 4)))
static axvk_status fail(struct parser *p, const struct jtok *t, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(p->err, AXVK_ERR_TEMPLATE, "line %u, column %u: %s", t->line, t->col, msg);
}

static bool is_name(const struct jtok *t, const char *name)
{
    return t->type == TK_NAME && t->len == strlen(name) && !memcmp(t->s, name, t->len);
}

static bool is_op(const struct jtok *t, enum jop op)
{
    return t->type == TK_OP && t->op == op;
}

static axvk_status expect_op(struct parser *p, enum jop op, const char *what)
{
    char buf[64];
    if (!is_op(cur(p), op))
        return fail(p, cur(p), "expected '%s', got %s", what, jinja_tok_desc(cur(p), buf, sizeof buf));
    advance(p);
    return AXVK_OK;
}

static axvk_status expect(struct parser *p, enum jtok_type type, const char *what)
{
    char buf[64];
    if (cur(p)->type != type)
        return fail(p, cur(p), "expected %s, got %s", what, jinja_tok_desc(cur(p), buf, sizeof buf));
    advance(p);
    return AXVK_OK;
}

static struct jnode *node(struct parser *p, enum jnode_kind kind, const struct jtok *at)
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
static struct jnode *const_str(struct parser *p, const struct jtok *at, const char *s, size_t len)
{
    struct jnode *n = node(p, JN_CONST, at);
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

static struct jnode *parse_expr(struct parser *p, bool with_condexpr);
static struct jnode *parse_tuple(struct parser *p, bool with_condexpr, bool explicit_parens);
static struct jnode *parse_unary(struct parser *p, bool with_filter);
static struct jnode *parse_primary(struct parser *p);

static bool enter(struct parser *p)
{
    if (++p->depth > JINJA_MAX_NESTING) {
        fail(p, cur(p), "template nested more than %d levels deep", JINJA_MAX_NESTING);
        return false;
    }
    return true;
}

/* Arguments of a call, filter or test after '(': positional, then name=value. */
static struct jnode *parse_args(struct parser *p, bool *ok)
{
    struct jnode *first = NULL, **tail = &first;
    bool kw_seen = false;
    *ok = false;
    if (expect_op(p, OP_LPAREN, "("))
        return NULL;
    while (!is_op(cur(p), OP_RPAREN)) {
        if (first && expect_op(p, OP_COMMA, ","))
            return NULL;
        if (is_op(cur(p), OP_RPAREN))
            break;
        if (is_op(cur(p), OP_MUL) || is_op(cur(p), OP_POW)) {
            fail(p, cur(p), "*args and **kwargs in calls are not supported");
            return NULL;
        }
        struct jnode *arg;
        if (cur(p)->type == TK_NAME && is_op(peek(p), OP_ASSIGN)) {
            const struct jtok *name = cur(p);
            arg = node(p, JN_KWARG, name);
            if (!arg)
                return NULL;
            arg->name = name->s;
            arg->name_len = name->len;
            p->pos += 2;
            if (!(arg->a = parse_expr(p, true)))
                return NULL;
            kw_seen = true;
        } else {
            if (kw_seen) {
                fail(p, cur(p), "positional argument follows keyword argument");
                return NULL;
            }
            if (!(arg = parse_expr(p, true)))
                return NULL;
        }
        *tail = arg;
        tail = &arg->next;
    }
    advance(p);
    *ok = true;
    return first;
}

static struct jnode *parse_call(struct parser *p, struct jnode *callee)
{
    struct jnode *n = node(p, JN_CALL, cur(p));
    bool ok;
    if (!n)
        return NULL;
    n->a = callee;
    n->b = parse_args(p, &ok);
    return ok ? n : NULL;
}

/* `.name`, `.0`, `[key]` or `[a:b:c]` after an expression. */
static struct jnode *parse_subscript(struct parser *p, struct jnode *obj)
{
    const struct jtok *at = cur(p);
    char buf[64];
    if (is_op(at, OP_DOT)) {
        advance(p);
        const struct jtok *t = cur(p);
        struct jnode *n;
        if (t->type == TK_NAME) {
            if (!(n = node(p, JN_ATTR, t)))
                return NULL;
            n->name = t->s;
            n->name_len = t->len;
        } else if (t->type == TK_INT) {
            if (!(n = node(p, JN_ITEM, t)) || !(n->b = node(p, JN_CONST, t)))
                return NULL;
            n->b->value = jv_int(t->i);
        } else {
            fail(p, t, "expected a name after '.', got %s", jinja_tok_desc(t, buf, sizeof buf));
            return NULL;
        }
        advance(p);
        n->a = obj;
        return n;
    }
    advance(p); /* '[' */
    struct jnode *parts[3] = {NULL, NULL, NULL};
    int nparts = 0;
    for (;;) {
        if (!is_op(cur(p), OP_COLON) && !is_op(cur(p), OP_RBRACKET) &&
            !(parts[nparts] = parse_expr(p, true)))
            return NULL;
        if (!is_op(cur(p), OP_COLON))
            break;
        if (++nparts > 2) {
            fail(p, cur(p), "a slice takes at most three parts");
            return NULL;
        }
        advance(p);
    }
    if (expect_op(p, OP_RBRACKET, "]"))
        return NULL;
    struct jnode *n = node(p, nparts ? JN_SLICE : JN_ITEM, at);
    if (!n)
        return NULL;
    if (!nparts && !parts[0]) {
        fail(p, at, "expected an index inside '[]'");
        return NULL;
    }
    n->a = obj;
    n->b = parts[0];
    n->c = parts[1];
    n->d = parts[2];
    return n;
}

static struct jnode *parse_postfix(struct parser *p, struct jnode *n)
{
    while (n) {
        if (is_op(cur(p), OP_DOT) || is_op(cur(p), OP_LBRACKET))
            n = parse_subscript(p, n);
        else if (is_op(cur(p), OP_LPAREN))
            n = parse_call(p, n);
        else
            break;
    }
    return n;
}

/* `name` or `name(args)` of a filter, the '|' already consumed. */
static struct jnode *parse_filter(struct parser *p, struct jnode *obj)
{
    const struct jtok *t = cur(p);
    char buf[64];
    if (t->type != TK_NAME) {
        fail(p, t, "expected a filter name after '|', got %s", jinja_tok_desc(t, buf, sizeof buf));
        return NULL;
    }
    int id = jinja_filter_find(t->s, t->len);
    if (id < 0) {
        fail(p, t, "no filter named '%.*s'", (int)t->len, t->s);
        return NULL;
    }
    struct jnode *n = node(p, JN_FILTER, t);
    if (!n)
        return NULL;
    n->a = obj;
    n->id = (uint16_t)id;
    n->name = t->s;
    n->name_len = t->len;
    advance(p);
    if (is_op(cur(p), OP_LPAREN)) {
        bool ok;
        n->b = parse_args(p, &ok);
        if (!ok)
            return NULL;
    }
    return n;
}

static struct jnode *parse_test(struct parser *p, struct jnode *obj)
{
    advance(p); /* 'is' */
    bool negated = is_name(cur(p), "not");
    if (negated)
        advance(p);
    const struct jtok *t = cur(p);
    char buf[64];
    if (t->type != TK_NAME) {
        fail(p, t, "expected a test name after 'is', got %s", jinja_tok_desc(t, buf, sizeof buf));
        return NULL;
    }
    int id = jinja_test_find(t->s, t->len);
    if (id < 0) {
        fail(p, t, "no test named '%.*s'", (int)t->len, t->s);
        return NULL;
    }
    struct jnode *n = node(p, JN_TEST, t);
    if (!n)
        return NULL;
    n->a = obj;
    n->id = (uint16_t)id;
    n->negated = negated;
    n->name = t->s;
    n->name_len = t->len;
    advance(p);
    const struct jtok *a = cur(p);
    if (is_op(a, OP_LPAREN)) {
        bool ok;
        n->b = parse_args(p, &ok);
        if (!ok)
            return NULL;
    } else if ((a->type == TK_NAME || a->type == TK_STRING || a->type == TK_INT || a->type == TK_FLOAT ||
                is_op(a, OP_LBRACKET) || is_op(a, OP_LBRACE)) &&
               !is_name(a, "else") && !is_name(a, "or") && !is_name(a, "and")) {
        /* `x is divisibleby 3`: one argument without parentheses */
        if (is_name(a, "is")) {
            fail(p, a, "tests cannot be chained with 'is'");
            return NULL;
        }
        if (!(n->b = parse_postfix(p, parse_primary(p))))
            return NULL;
    }
    return n;
}

static struct jnode *parse_filter_expr(struct parser *p, struct jnode *n)
{
    while (n) {
        if (is_op(cur(p), OP_PIPE)) {
            advance(p);
            n = parse_filter(p, n);
        }
        else if (is_name(cur(p), "is"))
            n = parse_test(p, n);
        else if (is_op(cur(p), OP_LPAREN))
            n = parse_call(p, n);
        else
            break;
    }
    return n;
}

static struct jnode *parse_list_items(struct parser *p, enum jnode_kind kind, enum jop close, const struct jtok *at)
{
    struct jnode *n = node(p, kind, at), **tail;
    if (!n)
        return NULL;
    tail = &n->a;
    advance(p);
    while (!is_op(cur(p), close)) {
        if (n->a && expect_op(p, OP_COMMA, ","))
            return NULL;
        if (is_op(cur(p), close))
            break;
        struct jnode *key = parse_expr(p, true);
        if (!key)
            return NULL;
        *tail = key;
        tail = &key->next;
        if (kind == JN_DICT) {
            if (expect_op(p, OP_COLON, ":"))
                return NULL;
            struct jnode *val = parse_expr(p, true);
            if (!val)
                return NULL;
            *tail = val;
            tail = &val->next;
        }
    }
    advance(p);
    return n;
}

static struct jnode *parse_primary(struct parser *p)
{
    const struct jtok *t = cur(p);
    char buf[64];
    struct jnode *n = NULL;
    if (!enter(p))
        return NULL;
    switch (t->type) {
    case TK_NAME:
        if (!(n = node(p, JN_CONST, t)))
            break;
        if (is_name(t, "true") || is_name(t, "True") || is_name(t, "false") || is_name(t, "False")) {
            n->value = jv_bool(t->s[0] == 't' || t->s[0] == 'T');
        } else if (is_name(t, "none") || is_name(t, "None")) {
            n->value = jv_none();
        } else {
            n->kind = JN_NAME;
            n->name = t->s;
            n->name_len = t->len;
        }
        advance(p);
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
        for (; cur(p)->type == TK_STRING; advance(p)) {
            memcpy(joined + total, cur(p)->s, cur(p)->len);
            total += cur(p)->len;
        }
        n = const_str(p, t, joined, total);
        break;
    }
    case TK_INT:
    case TK_FLOAT:
        if ((n = node(p, JN_CONST, t)))
            n->value = t->type == TK_INT ? jv_int(t->i) : jv_float(t->f);
        advance(p);
        break;
    case TK_OP:
        if (t->op == OP_LPAREN) {
            advance(p);
            n = parse_tuple(p, true, true);
            if (n && expect_op(p, OP_RPAREN, ")"))
                n = NULL;
        } else if (t->op == OP_LBRACKET) {
            n = parse_list_items(p, JN_LIST, OP_RBRACKET, t);
        } else if (t->op == OP_LBRACE) {
            n = parse_list_items(p, JN_DICT, OP_RBRACE, t);
        } else {
            fail(p, t, "unexpected %s", jinja_tok_desc(t, buf, sizeof buf));
        }
        break;
    default: fail(p, t, "unexpected %s", jinja_tok_desc(t, buf, sizeof buf)); break;
    }
    p->depth--;
    return n;
}

static struct jnode *parse_unary(struct parser *p, bool with_filter)
{
    const struct jtok *t = cur(p);
    struct jnode *n;
    if (!enter(p))
        return NULL;
    if (is_op(t, OP_SUB) || is_op(t, OP_ADD)) {
        advance(p);
        n = node(p, is_op(t, OP_SUB) ? JN_NEG : JN_POS, t);
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

static struct jnode *binop(struct parser *p, const struct jtok *at, enum jnode_kind kind, int op,
                           struct jnode *a, struct jnode *b)
{
    if (!a || !b)
        return NULL;
    struct jnode *n = node(p, kind, at);
    if (n) {
        n->op = (uint8_t)op;
        n->a = a;
        n->b = b;
    }
    return n;
}

/* Binary levels from tightest: ** < *,/,//,% < ~ < +,- (jinja2 puts ~ between the two). */
static struct jnode *parse_pow(struct parser *p)
{
    struct jnode *n = parse_unary(p, true);
    while (n && is_op(cur(p), OP_POW)) {
        const struct jtok *t = cur(p);
        advance(p);
        n = binop(p, t, JN_BINOP, OP_POW, n, parse_unary(p, true));
    }
    return n;
}

static struct jnode *parse_math2(struct parser *p)
{
    struct jnode *n = parse_pow(p);
    while (n && (is_op(cur(p), OP_MUL) || is_op(cur(p), OP_DIV) || is_op(cur(p), OP_FLOORDIV) ||
                 is_op(cur(p), OP_MOD))) {
        const struct jtok *t = cur(p);
        advance(p);
        n = binop(p, t, JN_BINOP, t->op, n, parse_pow(p));
    }
    return n;
}

static struct jnode *parse_concat(struct parser *p)
{
    struct jnode *n = parse_math2(p);
    while (n && is_op(cur(p), OP_TILDE)) {
        const struct jtok *t = cur(p);
        advance(p);
        n = binop(p, t, JN_BINOP, OP_TILDE, n, parse_math2(p));
    }
    return n;
}

static struct jnode *parse_math1(struct parser *p)
{
    struct jnode *n = parse_concat(p);
    while (n && (is_op(cur(p), OP_ADD) || is_op(cur(p), OP_SUB))) {
        const struct jtok *t = cur(p);
        advance(p);
        n = binop(p, t, JN_BINOP, t->op, n, parse_concat(p));
    }
    return n;
}

static struct jnode *parse_compare(struct parser *p)
{
    struct jnode *first = parse_math1(p);
    struct jnode *cmp = NULL, **tail = NULL;
    while (first) {
        const struct jtok *t = cur(p);
        int op;
        if (t->type == TK_OP && t->op >= OP_EQ && t->op <= OP_LE) {
            op = t->op;
            advance(p);
        } else if (is_name(t, "in")) {
            op = JN_OP_IN;
            advance(p);
        } else if (is_name(t, "not") && is_name(peek(p), "in")) {
            op = JN_OP_NOTIN;
            p->pos += 2;
        } else {
            break;
        }
        if (!cmp) {
            if (!(cmp = node(p, JN_COMPARE, t)))
                return NULL;
            cmp->a = first;
            tail = &cmp->b;
        }
        struct jnode *operand = node(p, JN_OPERAND, t);
        if (!operand || !(operand->a = parse_math1(p)))
            return NULL;
        operand->op = (uint8_t)op;
        *tail = operand;
        tail = &operand->next;
    }
    return cmp ? cmp : first;
}

static struct jnode *parse_not(struct parser *p)
{
    if (!is_name(cur(p), "not"))
        return parse_compare(p);
    const struct jtok *t = cur(p);
    if (!enter(p))
        return NULL;
    advance(p);
    struct jnode *n = node(p, JN_NOT, t);
    if (n && !(n->a = parse_not(p)))
        n = NULL;
    p->depth--;
    return n;
}

static struct jnode *parse_and(struct parser *p)
{
    struct jnode *n = parse_not(p);
    while (n && is_name(cur(p), "and")) {
        const struct jtok *t = cur(p);
        advance(p);
        n = binop(p, t, JN_AND, 0, n, parse_not(p));
    }
    return n;
}

static struct jnode *parse_or(struct parser *p)
{
    struct jnode *n = parse_and(p);
    while (n && is_name(cur(p), "or")) {
        const struct jtok *t = cur(p);
        advance(p);
        n = binop(p, t, JN_OR, 0, n, parse_and(p));
    }
    return n;
}

static struct jnode *parse_expr(struct parser *p, bool with_condexpr)
{
    if (!enter(p))
        return NULL;
    struct jnode *n = parse_or(p);
    while (with_condexpr && n && is_name(cur(p), "if")) {
        const struct jtok *t = cur(p);
        advance(p);
        struct jnode *c = node(p, JN_COND, t);
        if (!c || !(c->a = parse_or(p))) {
            n = NULL;
            break;
        }
        c->b = n;
        if (is_name(cur(p), "else")) {
            advance(p);
            if (!(c->c = parse_expr(p, true))) {
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
static bool tuple_ends(const struct parser *p, bool explicit_parens)
{
    const struct jtok *t = cur(p);
    if (explicit_parens)
        return is_op(t, OP_RPAREN);
    return t->type == TK_VAR_END || t->type == TK_BLOCK_END || t->type == TK_EOF || is_op(t, OP_RPAREN) ||
           is_name(t, "if") || is_name(t, "in") || is_op(t, OP_ASSIGN);
}

/* `a`, `a, b`, `(a,)` or `()`: a tuple when a comma appears, the bare expression otherwise. */
static struct jnode *parse_tuple(struct parser *p, bool with_condexpr, bool explicit_parens)
{
    const struct jtok *at = cur(p);
    struct jnode *first = NULL, **tail = &first;
    bool comma = false;
    while (!tuple_ends(p, explicit_parens)) {
        struct jnode *item = parse_expr(p, with_condexpr);
        if (!item)
            return NULL;
        *tail = item;
        tail = &item->next;
        if (!is_op(cur(p), OP_COMMA))
            break;
        comma = true;
        advance(p);
    }
    if (first && !comma)
        return first;
    if (!first && !explicit_parens) {
        char buf[64];
        fail(p, cur(p), "expected an expression, got %s", jinja_tok_desc(cur(p), buf, sizeof buf));
        return NULL;
    }
    struct jnode *n = node(p, JN_TUPLE, at);
    if (n)
        n->a = first;
    return n;
}

/* Assignment targets: a name, `ns.attr` (when allowed), or a tuple of names. */
static struct jnode *parse_target(struct parser *p, bool with_namespace)
{
    struct jnode *first = NULL, **tail = &first;
    const struct jtok *at = cur(p);
    bool comma = false, parens = is_op(at, OP_LPAREN);
    char buf[64];
    if (parens)
        advance(p);
    for (;;) {
        const struct jtok *t = cur(p);
        if (t->type != TK_NAME) {
            fail(p, t, "expected a name to assign to, got %s", jinja_tok_desc(t, buf, sizeof buf));
            return NULL;
        }
        struct jnode *n = node(p, JN_NAME, t);
        if (!n)
            return NULL;
        n->name = t->s;
        n->name_len = t->len;
        advance(p);
        if (with_namespace && !comma && !parens && is_op(cur(p), OP_DOT)) {
            advance(p);
            const struct jtok *attr = cur(p);
            if (attr->type != TK_NAME) {
                fail(p, attr, "expected an attribute name, got %s", jinja_tok_desc(attr, buf, sizeof buf));
                return NULL;
            }
            struct jnode *ref = node(p, JN_NSREF, t);
            if (!ref)
                return NULL;
            ref->a = n;
            ref->name = attr->s;
            ref->name_len = attr->len;
            advance(p);
            return ref;
        }
        *tail = n;
        tail = &n->next;
        if (!is_op(cur(p), OP_COMMA))
            break;
        comma = true;
        advance(p);
        if (parens && is_op(cur(p), OP_RPAREN))
            break;
    }
    if (parens && expect_op(p, OP_RPAREN, ")"))
        return NULL;
    if (!comma && !parens)
        return first;
    struct jnode *tuple = node(p, JN_TUPLE, at);
    if (tuple)
        tuple->a = first;
    return tuple;
}

static struct jnode *parse_body(struct parser *p, const char *const *ends, const struct jtok *opener);

/* Tag names parse_body stops at, each list NULL-terminated. */
static const char *const ends_if[] = {"elif", "else", "endif", NULL};
static const char *const ends_endif[] = {"endif", NULL};
static const char *const ends_for[] = {"else", "endfor", NULL};
static const char *const ends_endfor[] = {"endfor", NULL};

static struct jnode *parse_if(struct parser *p, const struct jtok *tag)
{
    struct jnode *n = node(p, JN_IF, tag);
    if (!n)
        return NULL;
    advance(p);
    if (!(n->a = parse_tuple(p, true, false)) || expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    n->b = parse_body(p, ends_if, tag);
    if (p->err && p->err->status)
        return NULL;
    const struct jtok *end = cur(p);
    if (is_name(end, "elif")) {
        n->c = parse_if(p, end);
        return n->c ? n : NULL;
    }
    if (is_name(end, "else")) {
        advance(p);
        if (expect(p, TK_BLOCK_END, "'%}'"))
            return NULL;
        n->c = parse_body(p, ends_endif, tag);
        if (p->err && p->err->status)
            return NULL;
    }
    advance(p); /* endif */
    return expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

static struct jnode *parse_for(struct parser *p, const struct jtok *tag)
{
    struct jnode *n = node(p, JN_FOR, tag);
    if (!n)
        return NULL;
    advance(p);
    if (!(n->a = parse_target(p, false)))
        return NULL;
    if (!is_name(cur(p), "in")) {
        fail(p, cur(p), "expected 'in' in a for statement");
        return NULL;
    }
    advance(p);
    if (!(n->b = parse_tuple(p, false, false)))
        return NULL;
    if (is_name(cur(p), "if")) {
        advance(p);
        if (!(n->e = parse_expr(p, true)))
            return NULL;
    }
    if (is_name(cur(p), "recursive")) {
        fail(p, cur(p), "recursive loops are not supported");
        return NULL;
    }
    if (expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    p->loops++;
    n->c = parse_body(p, ends_for, tag);
    p->loops--;
    if (p->err && p->err->status)
        return NULL;
    if (is_name(cur(p), "else")) {
        advance(p);
        if (expect(p, TK_BLOCK_END, "'%}'"))
            return NULL;
        n->d = parse_body(p, ends_endfor, tag);
        if (p->err && p->err->status)
            return NULL;
    }
    advance(p); /* endfor */
    return expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

/* `set target = value` or the block form `set target %}...{% endset`. */
static struct jnode *parse_set(struct parser *p, const struct jtok *tag)
{
    static const char *const ends[] = {"endset", NULL};
    struct jnode *n = node(p, JN_SET, tag);
    if (!n)
        return NULL;
    advance(p);
    if (!(n->a = parse_target(p, true)))
        return NULL;
    if (is_op(cur(p), OP_ASSIGN)) {
        advance(p);
        if (!(n->b = parse_tuple(p, true, false)))
            return NULL;
        return expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
    }
    if (n->a->kind == JN_TUPLE) {
        fail(p, cur(p), "a block set takes a single name");
        return NULL;
    }
    if (expect(p, TK_BLOCK_END, "'=' or '%}'"))
        return NULL;
    n->kind = JN_SET_BLOCK;
    n->b = parse_body(p, ends, tag);
    if (p->err && p->err->status)
        return NULL;
    advance(p);
    return expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

static struct jnode *parse_macro(struct parser *p, const struct jtok *tag)
{
    static const char *const ends[] = {"endmacro", NULL};
    struct jnode *n = node(p, JN_MACRO, tag), **tail;
    if (!n)
        return NULL;
    advance(p);
    const struct jtok *name = cur(p);
    if (name->type != TK_NAME) {
        fail(p, name, "expected a macro name");
        return NULL;
    }
    n->name = name->s;
    n->name_len = name->len;
    advance(p);
    if (expect_op(p, OP_LPAREN, "("))
        return NULL;
    tail = &n->a;
    bool defaults = false;
    while (!is_op(cur(p), OP_RPAREN)) {
        if (n->a && expect_op(p, OP_COMMA, ","))
            return NULL;
        const struct jtok *t = cur(p);
        if (t->type != TK_NAME) {
            fail(p, t, "expected a parameter name");
            return NULL;
        }
        struct jnode *param = node(p, JN_PARAM, t);
        if (!param)
            return NULL;
        param->name = t->s;
        param->name_len = t->len;
        advance(p);
        if (is_op(cur(p), OP_ASSIGN)) {
            advance(p);
            if (!(param->a = parse_expr(p, true)))
                return NULL;
            defaults = true;
        } else if (defaults) {
            fail(p, t, "parameter without a default follows one with a default");
            return NULL;
        }
        *tail = param;
        tail = &param->next;
    }
    advance(p);
    if (expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    int loops = p->loops;
    p->loops = 0; /* break/continue cannot cross a macro */
    n->b = parse_body(p, ends, tag);
    p->loops = loops;
    if (p->err && p->err->status)
        return NULL;
    advance(p);
    return expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

/* `filter name(args)|name2 %}...{% endfilter`, `with a = 1, b = 2 %}...{% endwith`, and
 * `generation %}...{% endgeneration` (transformers' marker, rendered as its body). */
static struct jnode *parse_scoped(struct parser *p, const struct jtok *tag, enum jnode_kind kind,
                                  const char *end)
{
    const char *const ends[] = {end, NULL};
    struct jnode *n = node(p, kind, tag), **tail = &n->a;
    if (!n)
        return NULL;
    advance(p);
    while (kind == JN_FILTER_BLOCK) {
        struct jnode *f = parse_filter(p, NULL);
        if (!f)
            return NULL;
        *tail = f;
        tail = &f->next;
        if (!is_op(cur(p), OP_PIPE))
            break;
        advance(p);
    }
    while (kind == JN_WITH && cur(p)->type != TK_BLOCK_END && !is_name(tag, "generation")) {
        if (n->a && expect_op(p, OP_COMMA, ","))
            return NULL;
        struct jnode *set = node(p, JN_SET, cur(p));
        if (!set || !(set->a = parse_target(p, false)) || expect_op(p, OP_ASSIGN, "=") ||
            !(set->b = parse_expr(p, true)))
            return NULL;
        *tail = set;
        tail = &set->next;
    }
    if (expect(p, TK_BLOCK_END, "'%}'"))
        return NULL;
    n->b = parse_body(p, ends, tag);
    if (p->err && p->err->status)
        return NULL;
    advance(p);
    return expect(p, TK_BLOCK_END, "'%}'") ? NULL : n;
}

static struct jnode *parse_statement(struct parser *p)
{
    const struct jtok *tag = cur(p);
    char buf[64];
    if (tag->type != TK_NAME) {
        fail(p, tag, "expected a statement name, got %s", jinja_tok_desc(tag, buf, sizeof buf));
        return NULL;
    }
    if (!enter(p))
        return NULL;
    struct jnode *n = NULL;
    if (is_name(tag, "if"))
        n = parse_if(p, tag);
    else if (is_name(tag, "for"))
        n = parse_for(p, tag);
    else if (is_name(tag, "set"))
        n = parse_set(p, tag);
    else if (is_name(tag, "macro"))
        n = parse_macro(p, tag);
    else if (is_name(tag, "filter"))
        n = parse_scoped(p, tag, JN_FILTER_BLOCK, "endfilter");
    else if (is_name(tag, "with"))
        n = parse_scoped(p, tag, JN_WITH, "endwith");
    else if (is_name(tag, "generation"))
        n = parse_scoped(p, tag, JN_WITH, "endgeneration");
    else if (is_name(tag, "break") || is_name(tag, "continue")) {
        if (!p->loops)
            fail(p, tag, "'%.*s' outside of a loop", (int)tag->len, tag->s);
        else if ((n = node(p, is_name(tag, "break") ? JN_BREAK : JN_CONTINUE, tag))) {
            advance(p);
            if (expect(p, TK_BLOCK_END, "'%}'"))
                n = NULL;
        }
    } else if (is_name(tag, "block") || is_name(tag, "extends") || is_name(tag, "include") ||
               is_name(tag, "import") || is_name(tag, "from") || is_name(tag, "call") ||
               is_name(tag, "autoescape") || is_name(tag, "do") || is_name(tag, "print")) {
        fail(p, tag, "the '%.*s' statement is not supported in chat templates", (int)tag->len, tag->s);
    } else if ((tag->len > 3 && !memcmp(tag->s, "end", 3)) || is_name(tag, "else") || is_name(tag, "elif")) {
        fail(p, tag, "unexpected '%.*s'", (int)tag->len, tag->s);
    } else {
        fail(p, tag, "unknown tag '%.*s'", (int)tag->len, tag->s);
    }
    p->depth--;
    return n;
}

static bool in_list(const struct jtok *t, const char *const *names)
{
    for (; names && *names; names++)
        if (is_name(t, *names))
            return true;
    return false;
}

/* Statements until a {% tag %} named in `ends` (left current, its '{%' consumed) or the end. */
static struct jnode *parse_body(struct parser *p, const char *const *ends, const struct jtok *opener)
{
    struct jnode *first = NULL, **tail = &first;
    for (;;) {
        const struct jtok *t = cur(p);
        struct jnode *n = NULL;
        if (t->type == TK_EOF) {
            if (ends) {
                const char *const *last = ends;
                while (last[1])
                    last++;
                fail(p, t, "unexpected end of template, expected '%s' to close the '%.*s' at line %u", *last,
                     (int)opener->len, opener->s, opener->line);
            }
            return first;
        }
        if (t->type == TK_DATA) {
            if ((n = node(p, JN_TEXT, t))) {
                n->name = t->s;
                n->name_len = t->len;
            }
            advance(p);
        } else if (t->type == TK_VAR_BEGIN) {
            advance(p);
            if ((n = node(p, JN_OUTPUT, t)) &&
                (!(n->a = parse_tuple(p, true, false)) || expect(p, TK_VAR_END, "'}}'")))
                n = NULL;
        } else if (t->type == TK_BLOCK_BEGIN) {
            if (in_list(peek(p), ends)) {
                advance(p);
                return first;
            }
            advance(p);
            n = parse_statement(p);
        } else {
            char buf[64];
            fail(p, t, "unexpected %s", jinja_tok_desc(t, buf, sizeof buf));
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
    struct parser p = {.toks = toks, .arena = &t->arena, .err = err};
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
