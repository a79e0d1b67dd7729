/* api/internal: the structs behind the public handles, shared by the src/api files only. */
#ifndef AXVK_API_INTERNAL_H
#define AXVK_API_INTERNAL_H

#include "axvk.h"
#include "base/err.h"

struct vkdev;

struct axvk_context {
    struct vkdev *dev; /* NULL for AXVK_CONTEXT_NO_GPU */
    struct err err;    /* detail of the last failure, read by axvk_errmsg */
};

/* Records a failure of a call that has no context (axvk_errmsg(NULL) reads it back). */
axvk_status api_fail_global(const struct err *err);
/* Starts a call on ctx: clears its message. */
void api_begin(axvk_context *ctx);

struct model;
/* The model behind a handle, and the context it reports through (api/model.c). */
struct model *api_model(const axvk_model *model);
axvk_context *api_model_context(const axvk_model *model);

#endif
