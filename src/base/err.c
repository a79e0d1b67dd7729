/* err: status + message recording. A NULL err is allowed: the status still flows back. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

axvk_status err_set(struct err *err, axvk_status status, const char *fmt, ...)
{
    if (!err)
        return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = status;
    return status;
}

axvk_status err_wrap(struct err *err, const char *fmt, ...)
{
    if (!err)
        return AXVK_OK;
    char old[ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used < sizeof err->msg)
        snprintf(err->msg + used, sizeof err->msg - used, ": %.*s", (int)(sizeof err->msg - used),
                 old);
    return err->status;
}

void err_clear(struct err *err)
{
    if (!err)
        return;
    err->status = AXVK_OK;
    err->msg[0] = '\0';
}

const char *axvk_status_str(axvk_status status)
{
    switch (status) {
    case AXVK_OK: return "ok";
    case AXVK_ERR_INVALID_ARGUMENT: return "invalid argument";
    case AXVK_ERR_UNSUPPORTED: return "unsupported";
    case AXVK_ERR_OUT_OF_HOST_MEMORY: return "out of host memory";
    case AXVK_ERR_IO: return "input/output error";
    case AXVK_ERR_NO_VULKAN: return "Vulkan is not available";
    case AXVK_ERR_NO_DEVICE: return "no suitable Vulkan device";
    case AXVK_ERR_VULKAN: return "Vulkan error";
    case AXVK_ERR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
    case AXVK_ERR_DEVICE_LOST: return "device lost";
    case AXVK_ERR_BAD_FILE: return "malformed file";
    case AXVK_ERR_BAD_MODEL: return "unsupported or inconsistent model";
    case AXVK_ERR_TOKENIZER: return "tokenizer error";
    case AXVK_ERR_TEMPLATE: return "chat template error";
    case AXVK_ERR_JSON: return "malformed JSON";
    case AXVK_ERR_CONTEXT_FULL: return "context is full";
    case AXVK_ERR_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

uint32_t axvk_version(void)
{
    return AXVK_VERSION;
}
