/* stop: stop strings over streamed text. Text that might still become a stop string is held
 * back until it no longer can, so a client never sees part of a stop string; text after a
 * match is dropped. Bytes only: callers feed complete UTF-8 (tokenizer_stream does that). */
#ifndef AXVK_TEXT_STOP_H
#define AXVK_TEXT_STOP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct stop_matcher;

/* stops[n] NUL-terminated; empty strings are ignored. Copies them. */
axvk_status stop_create(struct stop_matcher **out, const char *const *stops, size_t n,
                        struct err *err);
void stop_destroy(struct stop_matcher *m);
void stop_reset(struct stop_matcher *m);

/* Appends text; *emit and *emit_len receive what is now safe to deliver (valid until the next call).
 * Returns true once a stop string has matched: the emitted text then ends just before it. */
bool stop_push(struct stop_matcher *m, const char *text, size_t len, const char **emit,
               size_t *emit_len, struct err *err);
/* At the end of generation: the held-back text, which can no longer become a stop string. */
void stop_flush(struct stop_matcher *m, const char **emit, size_t *emit_len);

#endif
