/* jinja_value: the values a chat template computes with — Python's None, bool, int, float, str,
 * list, tuple and dict plus Jinja's undefined, namespace, loop and macro — reference counted.
 * Owns lifetime, truthiness, equality, ordering, str()/repr() and the growable byte buffer;
 * knows nothing of template syntax, evaluation or JSON. */
#ifndef AXVK_TEXT_JINJA_VALUE_H
#define AXVK_TEXT_JINJA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum jv_type {
    JV_UNDEF,  /* a missing variable, key or attribute: prints as "", fails where it matters */
    JV_NONE,
    JV_BOOL,
    JV_INT,    /* 64-bit; overflow is an error, Python's big integers are not emulated */
    JV_FLOAT,
    JV_STR,    /* UTF-8; lengths and indices count code points as Python does */
    JV_LIST,   /* also tuples (jlist.tuple) */
    JV_DICT,   /* insertion ordered */
    JV_NS,     /* namespace(): the one mutable object, a dict whose entries `set ns.x` changes */
    JV_LOOP,   /* the `loop` variable of a for statement */
    JV_MACRO,  /* a macro's definition and the scope it was defined in */
    JV_FUNC,   /* a global function (range, namespace, raise_exception, ...) by number */
};

/* Objects of parsed templates are shared by concurrent renders: their count never changes. */
#define JOBJ_STATIC UINT32_MAX
/* Deepest nesting of lists and dicts, so that freeing, printing and comparing recurse boundedly. */
#define JV_MAX_DEPTH 400
/* Largest string any single operation may build (the rendered output has its own limit). */
#define JV_MAX_STRING ((size_t)64 << 20)

struct jv;

/* Header of every counted object; depth is 1 + the deepest child (namespaces count 0). */
struct jobj {
    uint32_t refs;
    uint32_t depth;
};

struct jstr {
    struct jobj h;
    size_t len;  /* bytes, without the terminating NUL */
    size_t ncp;  /* code points; invalid UTF-8 bytes count one each */
    char s[];
};

struct jlist {
    struct jobj h;
    bool tuple;
    size_t n, cap;
    struct jv *items;
};

/* Dict and namespace. Past a few entries, slots[] indexes entries by hash (entry + 1, 0 = free). */
struct jdict {
    struct jobj h;
    size_t n, cap;
    struct jv *keys, *vals;
    uint32_t *slots;
    size_t nslots;
};

struct jv {
    uint8_t type;
    union {
        bool b;
        int64_t i;
        double f;
        struct jstr *s;
        struct jlist *l;
        struct jdict *d;
        struct jloop *loop;
        struct jmacro *macro;
        int fn;
    } u;
};

/* State of one for statement; `items` is the (filtered) sequence being iterated. */
struct jloop {
    struct jobj h;
    struct jv items;
    size_t index0;
    uint32_t depth0;
};

/* A macro: its definition node and the scope (frame and that frame's serial number) its free
 * variables resolve in. The evaluator owns the meaning of both; values only keep them. */
struct jmacro {
    struct jobj h;
    const void *node;
    const void *scope;
    uint64_t serial;
};

static inline struct jv jv_undef(void) { return (struct jv){.type = JV_UNDEF}; }
static inline struct jv jv_none(void) { return (struct jv){.type = JV_NONE}; }
static inline struct jv jv_bool(bool b) { return (struct jv){.type = JV_BOOL, .u.b = b}; }
static inline struct jv jv_int(int64_t i) { return (struct jv){.type = JV_INT, .u.i = i}; }
static inline struct jv jv_float(double f) { return (struct jv){.type = JV_FLOAT, .u.f = f}; }

/* Counting: jv_ref returns its argument; jv_unref frees at zero. Scalars are ignored. */
struct jv jv_ref(struct jv v);
void jv_unref(struct jv v);

/* Constructors leave *out undefined when they fail. */
axvk_status jv_new_str(struct jv *out, const char *s, size_t len, struct err *err);
axvk_status jv_new_list(struct jv *out, size_t cap, bool tuple, struct err *err);
/* Appends `item`, taking its reference even when it fails. */
axvk_status jv_list_push(struct jv list, struct jv item, struct err *err);
/* type is JV_DICT or JV_NS. */
axvk_status jv_new_dict(struct jv *out, enum jv_type type, struct err *err);
/* Inserts or replaces; takes both references even when it fails. Keys: str, int, float, bool, None. */
axvk_status jv_dict_set(struct jv dict, struct jv key, struct jv val, struct err *err);
/* Borrowed pointer to the value stored under key, or NULL. */
const struct jv *jv_dict_get(const struct jdict *d, struct jv key);
const struct jv *jv_dict_get_str(const struct jdict *d, const char *key, size_t len);
/* Drops every entry (used to break reference cycles between namespaces). */
void jv_dict_clear(struct jdict *d);
axvk_status jv_new_loop(struct jv *out, struct jv items, uint32_t depth0, struct err *err);
axvk_status jv_new_macro(struct jv *out, const void *node, const void *scope, uint64_t serial, struct err *err);

bool jv_truthy(struct jv v);
bool jv_is_number(struct jv v);   /* bool, int or float, as Python's numbers.Number */
bool jv_is_hashable(struct jv v);
double jv_to_double(struct jv v); /* of a number */
/* Python ==. Nesting past JV_MAX_DEPTH compares unequal. */
bool jv_equal(struct jv a, struct jv b);
/* Python ordering: *cmp < 0, 0, > 0, or 2 when a NaN makes every ordering false; returns false
 * when the two types cannot be ordered at all. */
bool jv_compare(struct jv a, struct jv b, int *cmp);
/* Python's type name for messages ("str", "int", "dict", "NoneType", "Undefined", ...). */
const char *jv_type_name(struct jv v);
/* Number of items of a str, list, tuple or dict; -1 for other types. */
int64_t jv_length(struct jv v);

/* A growing byte string with a hard limit; failures are reported through `err`. */
struct jbuf {
    char *p;
    size_t len, cap, limit;
    struct err *err;
};

void jbuf_init(struct jbuf *b, size_t limit, struct err *err);
void jbuf_free(struct jbuf *b);
axvk_status jbuf_put(struct jbuf *b, const char *s, size_t n);
axvk_status jbuf_puts(struct jbuf *b, const char *s);
/* Appends code point cp as UTF-8. */
axvk_status jbuf_put_cp(struct jbuf *b, uint32_t cp);
/* Moves the contents into a new string value and empties the buffer. */
axvk_status jbuf_take(struct jbuf *b, struct jv *out);

/* Python str(): strings raw, undefined empty, everything else as repr(). */
axvk_status jv_write_str(struct jbuf *b, struct jv v);
axvk_status jv_write_repr(struct jbuf *b, struct jv v);
/* str(v) as a new reference (the same object when v already is a string). */
axvk_status jv_to_str(struct jv *out, struct jv v, struct err *err);
/* Python repr() of a float ("0.1", "1e-05", "1e+16", "2.0", "nan"), at most 32 bytes with NUL. */
void jv_format_float(char out[32], double f);

/* Decodes one UTF-8 sequence of s[0..n) (n > 0) into *cp; returns its length (>= 1). Invalid
 * bytes decode one at a time to themselves so that nothing is lost or split. */
size_t jv_utf8_next(const char *s, size_t n, uint32_t *cp);
/* Code points in s[0..n), counted as jv_utf8_next steps. */
size_t jv_utf8_count(const char *s, size_t n);
/* Python str.isspace() for one code point. */
bool jv_is_space(uint32_t cp);

#endif
