/* jinja_json: template values to and from JSON. cJSON documents (messages, tools, extra variables)
 * become values; `tojson` writes values byte for byte as Python's json.dumps does. */
#ifndef AXVK_TEXT_JINJA_JSON_H
#define AXVK_TEXT_JINJA_JSON_H

#include <cjson/cJSON.h>

#include "text/jinja_value.h"

/* json.dumps keyword arguments. Zero-initialised means transformers' tojson defaults:
 * no indent, separators (", ", ": "), keys in insertion order, non-ASCII written as is. */
struct json_style {
    bool indent_set;       /* indent=None when false */
    const char *indent;    /* one level of indentation (indent=N is N spaces) */
    size_t indent_len;
    const char *item_sep;  /* NULL: ", " without indent, "," with indent */
    size_t item_sep_len;
    const char *key_sep;   /* NULL: ": " */
    size_t key_sep_len;
    bool sort_keys;
    bool ensure_ascii;
};

/* Numbers without a fraction that fit in 53 bits become ints, others floats: cJSON keeps no
 * number text, so 1.0 and 1 read alike (as JSON.parse in the @huggingface/jinja reference). */
axvk_status jv_from_json(struct jv *out, const cJSON *json, struct err *err);

axvk_status jv_write_json(struct jbuf *b, struct jv v, const struct json_style *style);

#endif
