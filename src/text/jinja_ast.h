/* jinja_ast: the parsed form of a template — statement and expression nodes in one arena — and
 * the parser that builds it. Owns syntax only: nothing here evaluates or allocates values. */
#ifndef AXVK_TEXT_JINJA_AST_H
#define AXVK_TEXT_JINJA_AST_H

#include "text/jinja_lex.h"
#include "text/jinja_value.h"

/* Deepest nesting of statements and expressions the parser accepts. */
#define JINJA_MAX_NESTING 200

enum jnode_kind {
    /* statements; bodies are lists linked through `next` */
    JN_TEXT,         /* name/len: the text */
    JN_OUTPUT,       /* {{ a }} */
    JN_IF,           /* a: condition, b: body, c: else body (an elif is a nested JN_IF) */
    JN_FOR,          /* a: target, b: iterable, c: body, d: else body, e: filter condition */
    JN_SET,          /* a: target (JN_NAME, JN_TUPLE of names, JN_NSREF), b: value */
    JN_SET_BLOCK,    /* a: target, b: body captured as a string */
    JN_MACRO,        /* name: macro name, a: JN_PARAM list, b: body */
    JN_BREAK,
    JN_CONTINUE,
    JN_FILTER_BLOCK, /* a: JN_FILTER chain (objects unset) applied to the rendered body b */
    JN_WITH,         /* a: JN_SET list evaluated into a new scope, b: body */
    /* expressions */
    JN_CONST,        /* value */
    JN_NAME,         /* name */
    JN_LIST,         /* a: items */
    JN_TUPLE,        /* a: items */
    JN_DICT,         /* a: key, value, key, value, ... */
    JN_NEG,          /* -a */
    JN_POS,          /* +a */
    JN_NOT,          /* not a */
    JN_BINOP,        /* a op b, op from enum jop (add, sub, mul, div, floordiv, mod, pow, tilde) */
    JN_AND,
    JN_OR,
    JN_COMPARE,      /* a, then b: JN_OPERAND list (op, a) chained as Python does */
    JN_OPERAND,      /* op: OP_EQ.. OP_LE, or JN_OP_IN / JN_OP_NOTIN */
    JN_COND,         /* b if a else c (c may be NULL: undefined) */
    JN_ATTR,         /* a.name */
    JN_ITEM,         /* a[b] */
    JN_SLICE,        /* a[b:c:d], each of b, c, d may be NULL */
    JN_CALL,         /* a(b...), arguments positional first, then JN_KWARG */
    JN_KWARG,        /* name=a */
    JN_FILTER,       /* a | name(b...); id: filter number */
    JN_TEST,         /* a is [not] name(b...); id: test number; negated */
    JN_NSREF,        /* assignment target a.name, a being a JN_NAME */
    JN_PARAM,        /* macro parameter name, a: default or NULL */
};

/* Comparison operators beyond enum jop. */
#define JN_OP_IN 100
#define JN_OP_NOTIN 101

struct jnode {
    uint8_t kind;
    uint8_t op;
    bool negated;
    uint16_t id;
    uint32_t line, col;
    struct jnode *next;
    struct jnode *a, *b, *c, *d, *e;
    const char *name;
    size_t name_len;
    struct jv value; /* JN_CONST; strings are JOBJ_STATIC and live in the arena */
};

struct jinja_template {
    struct jarena arena;
    struct jnode *body;
};

/* Parses a whole template. Errors read "line L, column C: ..." and leave *out NULL. */
axvk_status jinja_parse(struct jinja_template **out, const char *src, size_t len, struct err *err);
void jinja_template_free(struct jinja_template *t);

#endif
