/* test_chat_template: helpers shared by the two halves of the test_chat_template executable. */
#ifndef AXVK_TEST_CHAT_TEMPLATE_H
#define AXVK_TEST_CHAT_TEMPLATE_H

#include <stdbool.h>

#include "base/err.h"

/* Renders `tpl` with messages/tools given as JSON text (tools may be NULL) and the vectors'
 * tokens (bos "", eos "<|im_end|>"); returns the text (mem_free it) or NULL with *err filled. */
char *tmpl_render(const char *tpl, const char *messages_json, const char *tools_json, bool add_generation_prompt,
                  struct err *err);

/* Renders with a fixed two-message conversation and asserts the exact result. */
void tmpl_expect(const char *tpl, const char *expected);

/* Asserts that parsing or rendering fails with AXVK_ERR_TEMPLATE and a message containing
 * `fragment` (e.g. "line 2, column 5"). */
void tmpl_expect_error(const char *tpl, const char *fragment);

/* The unit tests of each construct; returns the number that failed. */
int chat_template_unit_tests(void);
/* The Llama 3 and 3.1 templates; returns the number that failed. */
int chat_template_llama_tests(void);

#endif
