/* chat_template: turns a conversation into a model's prompt text by running the model's chat
 * template (a Jinja subset) exactly as Hugging Face renders it: jinja2 semantics with
 * trim_blocks and lstrip_blocks, transformers' tojson (ensure_ascii=False), raise_exception and
 * strftime_now. Owns parsing and rendering of templates; knows nothing of tokens or models.
 *
 * Supported: if/elif/else, for (with loop.*, filters, else, break, continue), set (names, tuples,
 * namespace attributes, blocks), macro, with, filter blocks, raw, comments, generation, the
 * expression language with Python's operators and printf-style %, and the filters, tests and
 * str/dict methods chat templates use. Not supported (parse error): include, extends, import,
 * block, call, recursive loops. Integers are 64-bit (overflow is an error where Python would grow
 * them); case mapping is one-to-one; JSON numbers without a fraction become ints (cJSON keeps no
 * number text, so 1.0 reads as 1, as in @huggingface/jinja).
 *
 * Threading: a parsed template is immutable; any number of threads may render it at once. */
#ifndef AXVK_TEXT_CHAT_TEMPLATE_H
#define AXVK_TEXT_CHAT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/err.h"

/* Defaults for the render limits below. */
#define CHAT_TEMPLATE_MAX_OUTPUT ((size_t)64 << 20)
#define CHAT_TEMPLATE_MAX_STEPS ((uint64_t)50000000)

struct chat_template;

/* What the template sees. Zero-initialised fields mean: no tools (the template gets None), no
 * generation prompt, empty bos/eos tokens, default limits. */
struct chat_template_vars {
    const cJSON *messages;       /* array of {"role", "content", "tool_calls"?, ...}; required */
    const cJSON *tools;          /* array of tool schemas, or NULL */
    bool add_generation_prompt;
    const char *bos_token;       /* NULL: "" */
    const char *eos_token;       /* NULL: "" */
    const cJSON *extra_vars;     /* object whose members become variables (enable_thinking, ...), or NULL */
    size_t max_output;           /* bytes of rendered text; 0: CHAT_TEMPLATE_MAX_OUTPUT */
    uint64_t max_steps;          /* evaluation steps before giving up; 0: CHAT_TEMPLATE_MAX_STEPS */
};

/* Parses template source src[0..len). Syntax errors, unknown tags, filters and tests fail with
 * AXVK_ERR_TEMPLATE and "line L, column C: ..." in err. */
axvk_status chat_template_parse(struct chat_template **out, const char *src, size_t len, struct err *err);
/* NULL is harmless. */
void chat_template_destroy(struct chat_template *t);

/* Renders into a new NUL-terminated string (*out, freed with mem_free) of *out_len bytes.
 * Errors are AXVK_ERR_TEMPLATE with "line L, column C: ..." — except raise_exception(msg), whose
 * message is passed on verbatim — AXVK_ERR_JSON for unusable JSON input, or out of memory. */
axvk_status chat_template_apply(char **out, size_t *out_len, const struct chat_template *t,
                                const struct chat_template_vars *vars, struct err *err);

/* Parse and render in one call (parse once and apply many times where templates are reused). */
axvk_status chat_template_render(char **out, size_t *out_len, const char *template_src, const cJSON *messages,
                                 const cJSON *tools, bool add_generation_prompt, const char *bos_token,
                                 const char *eos_token, const cJSON *extra_vars, struct err *err);

/* The template source in a parsed tokenizer_config.json: `chat_template` as a string, or from a
 * list of {"name", "template"} the one called `name` (NULL: "default"). NULL when there is none. */
const char *chat_template_from_config(const cJSON *tokenizer_config, const char *name);

#endif
