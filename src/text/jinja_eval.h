/* jinja_eval: rendering a parsed template — scopes, statements, expressions — and the interface
 * its built-in filters, tests, methods and global functions implement. Owns no parsing. */
#ifndef AXVK_TEXT_JINJA_EVAL_H
#define AXVK_TEXT_JINJA_EVAL_H

#include "text/jinja_ast.h"
#include "text/jinja_value.h"

/* Nested evaluation (expressions, statements, macro calls) deeper than this fails cleanly. */
#define JINJA_MAX_DEPTH 600
/* Macro calls in progress at once (recursion). */
#define JINJA_MAX_CALLS 64

struct jvar {
    const char *name; /* borrowed from the template or static */
    size_t len;
    struct jv v;
};

/* A scope: the template's top level, a macro call, one loop iteration, a with, set or filter
 * block. Frames live on the C stack and die in reverse order of creation; `below` chains the live
 * ones (newest first) and `serial` tells a frame apart from a later one at the same address. */
struct jframe {
    struct jframe *parent; /* where lookups continue */
    struct jframe *below;  /* the frame created before this one, still alive */
    uint64_t serial;
    struct jvar *vars;
    size_t n, cap;
};

struct jctx {
    struct jframe *root, *top;
    struct jframe *frames;   /* every live frame, newest first */
    uint64_t serials;
    struct jbuf *out;        /* where text goes: the result, or a capture for macros and set blocks */
    struct err *err;
    bool located;            /* the error message already names its line and column */
    int depth, calls;
    uint64_t steps, max_steps;
    size_t max_output;
    int ctl;                 /* pending break or continue */
    struct jv namespaces;    /* every namespace made, emptied at the end to break cycles */
    const struct jnode *at;  /* node under evaluation, for messages */
};

/* Evaluated call arguments: positional, then keyword. */
struct jkwarg {
    const char *name;
    size_t len;
    struct jv v;
};

struct jargs {
    struct jv *pos;
    size_t npos;
    struct jkwarg *kw;
    size_t nkw;
};

/* Renders the template into ctx->out; ctx->root holds the variables. */
axvk_status jinja_render(struct jctx *ctx, const struct jinja_template *t);
/* Evaluates one expression node into a new reference. */
axvk_status jinja_eval(struct jctx *ctx, const struct jnode *n, struct jv *out);
/* Applies filter node n (its arguments evaluated here) to `in`. */
axvk_status jinja_filter_node(struct jctx *ctx, const struct jnode *n, struct jv in, struct jv *out);
/* Looks a name up through the scopes, then the global functions; borrowed, JV_UNDEF if absent. */
struct jv jinja_lookup(const struct jctx *ctx, const char *name, size_t len);

/* Records an error at the node being evaluated (the evaluator adds line and column). */
axvk_status jinja_fail(struct jctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets or replaces a variable in a frame; takes the value's reference even when it fails. */
axvk_status jinja_frame_set(struct jctx *ctx, struct jframe *f, const char *name, size_t len, struct jv v);
void jinja_frame_clear(struct jframe *f);

/* obj.name and obj[key] as jinja2 resolves them: missing -> undefined, undefined -> error. */
axvk_status jinja_getattr(struct jctx *ctx, struct jv obj, const char *name, size_t len, struct jv *out);
axvk_status jinja_getitem(struct jctx *ctx, struct jv obj, struct jv key, struct jv *out);
/* "a.b.0" paths of filters' attribute= arguments, each part looked up as an item. */
axvk_status jinja_getpath(struct jctx *ctx, struct jv obj, struct jv path, struct jv *out);
/* Items of something iterable as a new list: a list or tuple itself, a dict's keys, a string's
 * characters, nothing for undefined. */
axvk_status jinja_iterate(struct jctx *ctx, struct jv v, struct jv *out);
/* Python's `needle in hay` (substring, list item or dict key; nothing is in undefined). */
axvk_status jinja_contains(struct jctx *ctx, struct jv needle, struct jv hay, bool *out);
/* Calls a macro value with arguments. */
axvk_status jinja_call_macro(struct jctx *ctx, struct jv macro, const struct jargs *args, struct jv *out);

/* Matches arguments to parameter names (Python-style); slots get borrowed values, JV_UNDEF where
 * absent. *given has bit i set when parameter i was passed. Extra or unknown arguments fail. */
axvk_status jinja_bind(struct jctx *ctx, const char *fname, const struct jargs *args, const char *const *params,
                       size_t nparams, struct jv *slots, uint32_t *given);

/* Filters and tests by name (the parser resolves names to ids once). */
int jinja_filter_find(const char *name, size_t len);
int jinja_test_find(const char *name, size_t len);
axvk_status jinja_filter_apply(struct jctx *ctx, int id, struct jv in, const struct jargs *args, struct jv *out);
axvk_status jinja_test_apply(struct jctx *ctx, int id, struct jv in, const struct jargs *args, bool *out);

/* Methods of strings, dicts and loops ("abc".upper(), d.items(), loop.cycle(a, b)).
 * *found is false (and nothing is reported) when obj has no such method. */
axvk_status jinja_method_call(struct jctx *ctx, struct jv obj, const char *name, size_t len, const struct jargs *args,
                              struct jv *out, bool *found);
/* String algorithms shared by filters and str methods, with Python's semantics. */
enum jcase {
    JCASE_LOWER,
    JCASE_UPPER,
    JCASE_CAPITALIZE,   /* first character upper, the rest lower */
    JCASE_TITLE,        /* str.title(): words are runs of cased letters */
    JCASE_TITLE_FILTER, /* jinja2's |title: words start after -, (, {, [, < or whitespace */
};
axvk_status jinja_str_case(struct jctx *ctx, struct jv s, enum jcase mode, struct jv *out);
/* chars: JV_NONE/JV_UNDEF for whitespace, or a string of characters to remove. */
axvk_status jinja_str_strip(struct jctx *ctx, struct jv s, struct jv chars, bool left, bool right, struct jv *out);
/* count < 0 replaces every occurrence. */
axvk_status jinja_str_replace(struct jctx *ctx, struct jv s, struct jv old, struct jv repl, int64_t count,
                              struct jv *out);
/* Python's `fmt % values` (jinja_format.c). */
axvk_status jinja_str_percent(struct jctx *ctx, struct jv fmt, struct jv values, struct jv *out);
/* str.splitlines(): a list of lines without their line breaks. */
axvk_status jinja_str_splitlines(struct jctx *ctx, struct jv s, bool keepends, struct jv *out);
axvk_status jinja_str_method(struct jctx *ctx, struct jv s, const char *name, size_t len, const struct jargs *args,
                             struct jv *out, bool *found);

/* Global functions: range, namespace, dict, raise_exception, strftime_now. -1 when unknown. */
int jinja_global_find(const char *name, size_t len);
axvk_status jinja_global_call(struct jctx *ctx, int fn, const struct jargs *args, struct jv *out);

#endif
