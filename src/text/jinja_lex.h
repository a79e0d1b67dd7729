/* jinja_lex: template source -> tokens, with Hugging Face's whitespace settings (trim_blocks and
 * lstrip_blocks on, one trailing newline dropped, newlines normalised) and `-`/`+` controls applied.
 * Owns the arena that parsed templates live in; knows nothing of statements or values. */
#ifndef AXVK_TEXT_JINJA_LEX_H
#define AXVK_TEXT_JINJA_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Bump allocator: everything of one parsed template, freed at once. */
struct jarena {
    struct jarena_chunk *head;
};

void *jarena_alloc(struct jarena *a, size_t size);
void jarena_free(struct jarena *a);

enum jtok_type {
    TK_EOF,
    TK_DATA,        /* template text, whitespace control already applied */
    TK_VAR_BEGIN,   /* {{ */
    TK_VAR_END,     /* }} */
    TK_BLOCK_BEGIN, /* {% */
    TK_BLOCK_END,   /* %} */
    TK_NAME,
    TK_INT,
    TK_FLOAT,
    TK_STRING,      /* s/len hold the unescaped value */
    TK_OP,
};

enum jop {
    OP_NONE,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_TILDE,
    OP_LBRACKET, OP_RBRACKET, OP_LPAREN, OP_RPAREN, OP_LBRACE, OP_RBRACE,
    OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE,
    OP_ASSIGN, OP_DOT, OP_COLON, OP_PIPE, OP_COMMA, OP_SEMICOLON,
};

struct jtok {
    uint8_t type;
    uint8_t op;      /* enum jop for TK_OP */
    uint32_t line;   /* 1-based */
    uint32_t col;    /* 1-based, in code points */
    const char *s;   /* text (arena or normalised source) */
    size_t len;
    int64_t i;       /* TK_INT */
    double f;        /* TK_FLOAT */
};

/* Tokenises src[0..len). The token array is the caller's to mem_free; token text lives in `arena`.
 * Errors read "line L, column C: ...". */
axvk_status jinja_lex(struct jtok **toks, size_t *ntoks, const char *src, size_t len, struct jarena *arena,
                      struct err *err);

/* Printable description of a token for messages ("'endfor'", "end of template", "'+'"). */
const char *jinja_tok_desc(const struct jtok *t, char *buf, size_t size);

#endif
