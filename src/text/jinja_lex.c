/* jinja_lex: the tokenizer, following jinja2's lexer rules for data, tags, comments, raw blocks,
 * string escapes and numbers. Whitespace control is settled here so the parser sees final text. */
#include "text/jinja_lex.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/jinja_value.h"

#define ARENA_CHUNK 16384

struct jarena_chunk {
    struct jarena_chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void *jarena_alloc(struct jarena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct jarena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        if (cap > SIZE_MAX - sizeof *c)
            return NULL;
        c = mem_alloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->size = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

void jarena_free(struct jarena *a)
{
    while (a->head) {
        struct jarena_chunk *next = a->head->next;
        mem_free(a->head);
        a->head = next;
    }
}

struct lexer {
    const char *src;
    size_t len, pos;
    struct jarena *arena;
    struct err *err;
    struct jtok *toks;
    size_t ntoks, cap;
    bool line_starting;       /* the last tag ended a line (or nothing came yet) */
    size_t at;                /* position tracking, only ever moves forward */
    uint32_t at_line, at_col;
};

/* Line and column of src[pos]; positions are asked for in increasing order. */
static void where(struct lexer *lx, size_t pos, uint32_t *line, uint32_t *col)
{
    while (lx->at < pos) {
        unsigned char c = (unsigned char)lx->src[lx->at++];
        if (c == '\n') {
            lx->at_line++;
            lx->at_col = 1;
        } else if ((c & 0xc0) != 0x80) {
            lx->at_col++;
        }
    }
    *line = lx->at_line;
    *col = lx->at_col;
}

static axvk_status fail_at(struct lexer *lx, size_t pos, const char *msg, const char *arg)
{
    uint32_t line, col;
    where(lx, pos, &line, &col);
    return err_set(lx->err, AXVK_ERR_TEMPLATE, "line %u, column %u: %s%s", line, col, msg, arg ? arg : "");
}

static axvk_status push(struct lexer *lx, enum jtok_type type, size_t pos, const char *s, size_t len,
                        struct jtok **out)
{
    if (mem_grow((void **)&lx->toks, &lx->cap, lx->ntoks + 1, sizeof *lx->toks))
        return err_set(lx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for template tokens");
    struct jtok *t = &lx->toks[lx->ntoks++];
    *t = (struct jtok){.type = (uint8_t)type, .s = s, .len = len};
    where(lx, pos, &t->line, &t->col);
    if (out)
        *out = t;
    return AXVK_OK;
}

/* Length of text[0..n) without trailing whitespace (Python str.rstrip()). */
static size_t rstrip_len(const char *text, size_t n)
{
    size_t keep = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += jv_utf8_next(text + i, n - i, &cp);
        if (!jv_is_space(cp))
            keep = i;
    }
    return keep;
}

static bool all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += jv_utf8_next(s + i, n - i, &cp);
        if (!jv_is_space(cp))
            return false;
    }
    return n > 0;
}

/* Skips Python \s* from pos. */
static size_t skip_space(const char *s, size_t n, size_t pos)
{
    while (pos < n) {
        uint32_t cp;
        size_t k = jv_utf8_next(s + pos, n - pos, &cp);
        if (!jv_is_space(cp))
            break;
        pos += k;
    }
    return pos;
}

/* Text before a tag, as jinja2 trims it: `-` strips all whitespace, otherwise lstrip_blocks removes
 * the indentation of a {% or {# tag standing alone at the start of its line. */
static axvk_status push_data(struct lexer *lx, size_t start, size_t end, char sign, bool lstrip)
{
    const char *text = lx->src + start;
    size_t n = end - start;
    if (sign == '-') {
        n = rstrip_len(text, n);
    } else if (sign != '+' && lstrip) {
        size_t l_pos = n;
        while (l_pos > 0 && text[l_pos - 1] != '\n')
            l_pos--;
        if ((l_pos > 0 || lx->line_starting) && all_space(text + l_pos, n - l_pos))
            n = l_pos;
    }
    return n ? push(lx, TK_DATA, start, text, n, NULL) : AXVK_OK;
}

/* Matches the end of a block tag at pos: `+%}`, `-%}` + whitespace, or `%}` + one newline. */
static size_t block_end_at(const struct lexer *lx, size_t pos)
{
    const char *s = lx->src;
    size_t n = lx->len;
    if (pos + 3 <= n && s[pos] == '+' && s[pos + 1] == '%' && s[pos + 2] == '}')
        return pos + 3;
    if (pos + 3 <= n && s[pos] == '-' && s[pos + 1] == '%' && s[pos + 2] == '}')
        return skip_space(s, n, pos + 3);
    if (pos + 2 <= n && s[pos] == '%' && s[pos + 1] == '}')
        return pos + 2 + (pos + 2 < n && s[pos + 2] == '\n');
    return 0;
}

static size_t var_end_at(const struct lexer *lx, size_t pos)
{
    const char *s = lx->src;
    size_t n = lx->len;
    if (pos + 3 <= n && s[pos] == '-' && s[pos + 1] == '}' && s[pos + 2] == '}')
        return skip_space(s, n, pos + 3);
    if (pos + 2 <= n && s[pos] == '}' && s[pos + 1] == '}')
        return pos + 2;
    return 0;
}

/* `{%[-+]? \s* word \s*` followed by a block end; returns the end, or 0. *sign gets the sign. */
static size_t word_tag_at(const struct lexer *lx, size_t pos, const char *word, bool allow_plus_end, char *sign)
{
    const char *s = lx->src;
    size_t n = lx->len, wl = strlen(word);
    if (pos + 2 > n || s[pos] != '{' || s[pos + 1] != '%')
        return 0;
    pos += 2;
    *sign = pos < n && (s[pos] == '-' || s[pos] == '+') ? s[pos++] : 0;
    pos = skip_space(s, n, pos);
    if (pos + wl > n || memcmp(s + pos, word, wl))
        return 0;
    pos = skip_space(s, n, pos + wl);
    if (!allow_plus_end && pos < n && s[pos] == '+')
        return 0;
    if (!allow_plus_end && pos + 2 <= n && s[pos] == '%' && s[pos + 1] == '}')
        return pos + 2; /* the opening raw tag never eats a newline */
    return block_end_at(lx, pos);
}

static axvk_status lex_raw(struct lexer *lx, size_t body)
{
    for (size_t p = body; p + 1 < lx->len; p++) {
        char sign;
        size_t end = lx->src[p] == '{' ? word_tag_at(lx, p, "endraw", true, &sign) : 0;
        if (!end)
            continue;
        axvk_status st = push_data(lx, body, p, sign, true);
        lx->line_starting = lx->src[end - 1] == '\n';
        lx->pos = end;
        return st;
    }
    return fail_at(lx, body, "missing end of raw directive", NULL);
}

static axvk_status lex_comment(struct lexer *lx, size_t begin, size_t body)
{
    const char *s = lx->src;
    for (size_t p = body; p + 1 < lx->len; p++) {
        if (s[p] != '#' || s[p + 1] != '}')
            continue;
        size_t end = p + 2;
        if (p > body && s[p - 1] == '-')
            end = skip_space(s, lx->len, end);
        else if (!(p > body && s[p - 1] == '+') && end < lx->len && s[end] == '\n')
            end++;
        lx->line_starting = s[end - 1] == '\n';
        lx->pos = end;
        return AXVK_OK;
    }
    return fail_at(lx, begin, "unclosed comment", NULL);
}

/* d(_?d)* in the given base from pos; returns the end (pos when no digit). */
static size_t digits(const char *s, size_t n, size_t pos, int base)
{
    size_t p = pos;
    while (p < n) {
        size_t q = p + (s[p] == '_' && p > pos);
        if (q >= n)
            break;
        char c = s[q];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
        if (v >= base)
            break;
        p = q + 1;
    }
    return p;
}

static axvk_status lex_number(struct lexer *lx, size_t pos, size_t *end)
{
    const char *s = lx->src;
    size_t n = lx->len, p = digits(s, n, pos, 10), q = p;
    bool is_float = false;
    if (pos == 0 || s[pos - 1] != '.') { /* jinja2: a float never directly follows a dot */
        if (q + 1 < n && s[q] == '.' && digits(s, n, q + 1, 10) > q + 1) {
            q = digits(s, n, q + 1, 10);
            is_float = true;
        }
        if (q < n && (s[q] == 'e' || s[q] == 'E')) {
            size_t e = q + 1 + (q + 1 < n && (s[q + 1] == '+' || s[q + 1] == '-'));
            size_t e_end = digits(s, n, e, 10);
            if (e_end > e) {
                q = e_end;
                is_float = true;
            }
        }
    }
    int base = 10;
    if (!is_float && s[pos] == '0' && pos + 1 < n && strchr("bBoOxX", s[pos + 1]) && s[pos + 1]) {
        base = s[pos + 1] == 'b' || s[pos + 1] == 'B' ? 2 : s[pos + 1] == 'o' || s[pos + 1] == 'O' ? 8 : 16;
        size_t start = pos + 2 + (pos + 2 < n && s[pos + 2] == '_');
        q = digits(s, n, start, base);
        if (q == start)
            return fail_at(lx, pos, "malformed number literal", NULL);
    } else if (!is_float && s[pos] == '0') { /* 0(_?0)*: "012" is 0 followed by 12 */
        q = pos + 1;
        while (q < n && (s[q] == '0' || (s[q] == '_' && q + 1 < n && s[q + 1] == '0')))
            q += s[q] == '_' ? 2 : 1;
    }
    char buf[80];
    size_t bl = 0;
    for (size_t i = pos + (base != 10 ? 2 : 0); i < q && bl + 1 < sizeof buf; i++)
        if (s[i] != '_')
            buf[bl++] = s[i];
    buf[bl] = '\0';
    if (q - pos >= sizeof buf - 1)
        return fail_at(lx, pos, "number literal too long", NULL);
    struct jtok *t;
    axvk_status st = push(lx, is_float ? TK_FLOAT : TK_INT, pos, s + pos, q - pos, &t);
    if (st)
        return st;
    if (is_float) {
        t->f = strtod(buf, NULL);
    } else {
        char *endp;
        unsigned long long v = strtoull(buf, &endp, base);
        if (v > INT64_MAX)
            return fail_at(lx, pos, "integer literal does not fit in 64 bits", NULL);
        t->i = (int64_t)v;
    }
    *end = q;
    return AXVK_OK;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Python string-literal escapes (\n, \t, \xhh, \uXXXX, \UXXXXXXXX, octal, line continuation);
 * unknown escapes keep their backslash. */
static axvk_status lex_string(struct lexer *lx, size_t pos, size_t *end)
{
    const char *s = lx->src;
    char q = s[pos];
    size_t p = pos + 1;
    while (p < lx->len && s[p] != q)
        p += s[p] == '\\' && p + 1 < lx->len ? 2 : 1;
    if (p >= lx->len)
        return fail_at(lx, pos, "unterminated string", NULL);
    /* unescaping never lengthens: each escape is at least as long as its UTF-8 */
    char *out = jarena_alloc(lx->arena, p - pos + 1);
    if (!out)
        return err_set(lx->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for a string literal");
    size_t o = 0;
    for (size_t i = pos + 1; i < p;) {
        if (s[i] != '\\') {
            out[o++] = s[i++];
            continue;
        }
        char c = s[i + 1];
        const char *simple = strchr("\\'\"abfnrtv", c);
        if (c && simple) {
            static const char map[] = "\\'\"\a\b\f\n\r\t\v";
            out[o++] = map[simple - "\\'\"abfnrtv"];
            i += 2;
        } else if (c == '\n') {
            i += 2;
        } else if (c >= '0' && c <= '7') {
            uint32_t cp = 0;
            size_t k = i + 1;
            for (int d = 0; d < 3 && k < p && s[k] >= '0' && s[k] <= '7'; d++)
                cp = cp * 8 + (uint32_t)(s[k++] - '0');
            o += put_utf8(out + o, cp); /* at most U+01FF: 2 bytes, from at least 2 */
            i = k;
        } else if (c == 'x' || c == 'u' || c == 'U') {
            size_t nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (size_t d = 0; d < nd; d++) {
                int h = i + 2 + d < p ? hexval(s[i + 2 + d]) : -1;
                if (h < 0)
                    return fail_at(lx, i, "truncated \\", c == 'x' ? "xXX escape" : "u escape");
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return fail_at(lx, i, "escape is not a valid code point", NULL);
            o += put_utf8(out + o, cp); /* the escape is 2 + nd bytes: never shorter */
            i += 2 + nd;
        } else if (c == 'N') {
            return fail_at(lx, i, "\\N{...} escapes are not supported", NULL);
        } else {
            out[o++] = s[i++]; /* unknown escape: the backslash stays, the next char follows */
        }
    }
    out[o] = '\0';
    struct jtok *t;
    axvk_status st = push(lx, TK_STRING, pos, out, o, &t);
    *end = p + 1;
    return st;
}

static const struct {
    const char *text;
    enum jop op;
} ops[] = {
    {"//", OP_FLOORDIV}, {"**", OP_POW}, {"==", OP_EQ}, {"!=", OP_NE}, {">=", OP_GE}, {"<=", OP_LE},
    {"+", OP_ADD}, {"-", OP_SUB}, {"*", OP_MUL}, {"/", OP_DIV}, {"%", OP_MOD}, {"~", OP_TILDE},
    {"[", OP_LBRACKET}, {"]", OP_RBRACKET}, {"(", OP_LPAREN}, {")", OP_RPAREN}, {"{", OP_LBRACE},
    {"}", OP_RBRACE}, {">", OP_GT}, {"<", OP_LT}, {"=", OP_ASSIGN}, {".", OP_DOT}, {":", OP_COLON},
    {"|", OP_PIPE}, {",", OP_COMMA}, {";", OP_SEMICOLON},
};

/* Tokens inside {{ }} or {% %} up to the matching end, which only counts with brackets balanced. */
static axvk_status lex_tag(struct lexer *lx, size_t begin, bool block)
{
    const char *s = lx->src;
    char stack[256];
    size_t depth = 0;
    size_t pos = lx->pos;
    uint32_t begin_line, begin_col;
    where(lx, begin, &begin_line, &begin_col);
    for (;;) {
        size_t end = depth ? 0 : block ? block_end_at(lx, pos) : var_end_at(lx, pos);
        if (end) {
            axvk_status st = push(lx, block ? TK_BLOCK_END : TK_VAR_END, pos, s + pos, end - pos, NULL);
            lx->line_starting = s[end - 1] == '\n';
            lx->pos = end;
            return st;
        }
        if (pos >= lx->len)
            return err_set(lx->err, AXVK_ERR_TEMPLATE, "line %u, column %u: unclosed '%s'", begin_line,
                           begin_col, block ? "{%" : "{{");
        uint32_t cp;
        size_t k = jv_utf8_next(s + pos, lx->len - pos, &cp);
        unsigned char c = (unsigned char)s[pos];
        axvk_status st = AXVK_OK;
        if (jv_is_space(cp)) {
            pos += k;
            continue;
        }
        if (c >= '0' && c <= '9') {
            st = lex_number(lx, pos, &pos);
        } else if (c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
            size_t e = pos;
            while (e < lx->len && (s[e] == '_' || (s[e] >= '0' && s[e] <= '9') ||
                                   ((s[e] | 0x20) >= 'a' && (s[e] | 0x20) <= 'z')))
                e++;
            st = push(lx, TK_NAME, pos, s + pos, e - pos, NULL);
            pos = e;
        } else if (c == '\'' || c == '"') {
            st = lex_string(lx, pos, &pos);
        } else {
            size_t i = 0;
            for (; i < sizeof ops / sizeof ops[0]; i++)
                if (!strncmp(s + pos, ops[i].text, strlen(ops[i].text)))
                    break;
            if (i == sizeof ops / sizeof ops[0]) {
                char ch[8];
                snprintf(ch, sizeof ch, "%.*s'", (int)k, s + pos);
                return fail_at(lx, pos, "unexpected character '", ch);
            }
            enum jop op = ops[i].op;
            if (op == OP_LPAREN || op == OP_LBRACKET || op == OP_LBRACE) {
                if (depth == sizeof stack)
                    return fail_at(lx, pos, "brackets nested too deeply", NULL);
                stack[depth++] = op == OP_LPAREN ? ')' : op == OP_LBRACKET ? ']' : '}';
            } else if (op == OP_RPAREN || op == OP_RBRACKET || op == OP_RBRACE) {
                if (!depth || stack[depth - 1] != s[pos])
                    return fail_at(lx, pos, depth ? "mismatched closing bracket " : "unexpected ",
                                   op == OP_RPAREN ? "')'" : op == OP_RBRACKET ? "']'" : "'}'");
                depth--;
            }
            struct jtok *t;
            st = push(lx, TK_OP, pos, s + pos, strlen(ops[i].text), &t);
            if (!st)
                t->op = (uint8_t)op;
            pos += strlen(ops[i].text);
        }
        if (st)
            return st;
    }
}

/* jinja2 with keep_trailing_newline off: \r\n and \r become \n, one final newline is dropped. */
static char *normalise(const char *src, size_t len, size_t *out_len, struct jarena *arena)
{
    char *s = jarena_alloc(arena, len + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            s[o++] = '\n';
            i += i + 1 < len && src[i + 1] == '\n';
        } else {
            s[o++] = src[i];
        }
    }
    if (o && s[o - 1] == '\n')
        o--;
    s[o] = '\0';
    *out_len = o;
    return s;
}

axvk_status jinja_lex(struct jtok **toks, size_t *ntoks, const char *src, size_t len, struct jarena *arena,
                      struct err *err)
{
    struct lexer lx = {.arena = arena, .err = err, .line_starting = true, .at_line = 1, .at_col = 1};
    axvk_status st = AXVK_OK;
    lx.src = normalise(src, len, &lx.len, arena);
    if (!lx.src) {
        st = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "out of memory for the template source");
        goto fail;
    }
    while (lx.pos < lx.len) {
        const char *s = lx.src;
        size_t q = lx.pos;
        while (q + 1 < lx.len && !(s[q] == '{' && (s[q + 1] == '{' || s[q + 1] == '%' || s[q + 1] == '#')))
            q++;
        if (q + 1 >= lx.len) { /* plain text to the end: no trimming applies */
            st = push(&lx, TK_DATA, lx.pos, s + lx.pos, lx.len - lx.pos, NULL);
            if (st)
                goto fail;
            break;
        }
        char kind = s[q + 1];
        char sign = q + 2 < lx.len && (s[q + 2] == '-' || s[q + 2] == '+') ? s[q + 2] : 0;
        char raw_sign;
        size_t raw_end = kind == '%' ? word_tag_at(&lx, q, "raw", false, &raw_sign) : 0;
        if ((st = push_data(&lx, lx.pos, q, sign, kind != '{')))
            goto fail;
        size_t body = q + 2 + (sign != 0);
        if (raw_end) {
            lx.line_starting = s[raw_end - 1] == '\n';
            st = lex_raw(&lx, raw_end);
        } else if (kind == '#') {
            st = lex_comment(&lx, q, body);
        } else {
            st = push(&lx, kind == '%' ? TK_BLOCK_BEGIN : TK_VAR_BEGIN, q, s + q, body - q, NULL);
            lx.pos = body;
            if (!st)
                st = lex_tag(&lx, q, kind == '%');
        }
        if (st)
            goto fail;
    }
    if ((st = push(&lx, TK_EOF, lx.len, lx.src + lx.len, 0, NULL)))
        goto fail;
    *toks = lx.toks;
    *ntoks = lx.ntoks;
    return AXVK_OK;
fail:
    mem_free(lx.toks);
    *toks = NULL;
    *ntoks = 0;
    return st;
}

const char *jinja_tok_desc(const struct jtok *t, char *buf, size_t size)
{
    switch (t->type) {
    case TK_EOF: return "end of template";
    case TK_DATA: return "template text";
    case TK_VAR_BEGIN: return "'{{'";
    case TK_VAR_END: return "end of print statement '}}'";
    case TK_BLOCK_BEGIN: return "'{%'";
    case TK_BLOCK_END: return "end of statement block '%}'";
    case TK_STRING: return "string literal";
    default: snprintf(buf, size, "'%.*s'", t->len > 40 ? 40 : (int)t->len, t->s); return buf;
    }
}
