/* jinja_filter: what the filter files (jinja_filter.c: text, numbers, JSON and the table;
 * jinja_filter_seq.c: sorting, selecting and mapping sequences) share. Private to them. */
#ifndef AXVK_TEXT_JINJA_FILTER_H
#define AXVK_TEXT_JINJA_FILTER_H

#include "text/jinja_eval.h"

typedef axvk_status (*filter_fn)(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);

/* Declares p[] bound from the call's arguments by parameter name; returns on a binding error. */
#define BIND(fname, ...)                                                                                \
    static const char *const params_[] = {__VA_ARGS__};                                               \
    struct jv p[sizeof params_ / sizeof *params_];                                                    \
    uint32_t given;                                                                                   \
    axvk_status st = jinja_bind(ctx, fname, a, params_, sizeof params_ / sizeof *params_, p, &given); \
    if (st)                                                                                           \
        return st

/* For filters without parameters: only the filtered value may be passed. */
#define BIND0(fname)                                                                                \
    axvk_status st = a->npos || a->nkw ? jinja_fail(ctx, "%s takes no arguments", fname) : AXVK_OK; \
    if (st)                                                                                         \
        return st

/* An optional integer argument: false when it is given but is no integer. */
static inline bool int_arg(struct jv v, int64_t dflt, int64_t *out)
{
    *out = v.type == JV_UNDEF || v.type == JV_NONE ? dflt : v.type == JV_INT ? v.u.i : v.type == JV_BOOL ? v.u.b : 0;
    return v.type == JV_UNDEF || v.type == JV_NONE || v.type == JV_INT || v.type == JV_BOOL;
}

/* Sort key of an item: the attribute path if given, lower-cased unless case-sensitive. */
axvk_status filter_key_of(struct jctx *ctx, struct jv item, struct jv attribute, bool case_sensitive, struct jv *key);

/* Sequence filters (jinja_filter_seq.c). */
axvk_status filter_sort(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_dictsort(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_unique(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_max(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_min(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_sum(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_map(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_select(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_reject(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_selectattr(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);
axvk_status filter_rejectattr(struct jctx *ctx, struct jv in, const struct jargs *a, struct jv *out);

#endif
