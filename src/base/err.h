/* err: the status + detail message every internal call reports through.
 * Owns formatting of messages only; knows nothing of Vulkan, files or models. */
#ifndef AXVK_BASE_ERR_H
#define AXVK_BASE_ERR_H

#include "axvk.h"

#define ERR_MSG_MAX 512

/* Filled by the first failing call down a call chain; callers may prefix context with err_wrap. */
struct err {
    axvk_status status;
    char msg[ERR_MSG_MAX];
};

/* Records status and a printf-style message; returns status so callers can `return err_set(...)`. */
axvk_status err_set(struct err *err, axvk_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with context ("loading model.gguf: <old message>"). */
axvk_status err_wrap(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void err_clear(struct err *err);

#endif
