/* api/stream: the streaming text objects of include/axvk.h — a detokenizer that never splits a
 * UTF-8 character and a stop-string matcher that holds back possible matches. Thin wrappers of
 * src/text; they report through the calling thread's axvk_errmsg(NULL), never through a context,
 * so a server may run one per request on any thread. */
#include "api/internal.h"
#include "base/alloc.h"
#include "model/model.h"
#include "text/stop.h"
#include "text/tokenizer.h"

struct axvk_detok_stream {
    struct tokenizer_stream *s;
};

struct axvk_stop_matcher {
    struct stop_matcher *m;
};

axvk_status axvk_detok_stream_create(const axvk_model *model, uint32_t flags,
                                     axvk_detok_stream **out)
{
    struct err err = {0};
    if (!model || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    *out = NULL;
    axvk_detok_stream *ds = mem_calloc(1, sizeof *ds);
    if (!ds) {
        err_set(&err, AXVK_ERR_OUT_OF_HOST_MEMORY, "detokenizer stream");
        return api_fail_global(&err);
    }
    unsigned f = (flags & AXVK_DETOKENIZE_SKIP_SPECIAL) ? TOKENIZER_SKIP_SPECIAL : 0;
    if (tokenizer_stream_create(&ds->s, api_model(model)->tok, f, &err)) {
        mem_free(ds);
        return api_fail_global(&err);
    }
    *out = ds;
    return AXVK_OK;
}

axvk_status axvk_detok_stream_push(axvk_detok_stream *stream, int32_t id, const char **text,
                                   size_t *len)
{
    struct err err = {0};
    if (!stream || !text || !len)
        return AXVK_ERR_INVALID_ARGUMENT;
    if (tokenizer_stream_push(stream->s, id, text, len, &err)) {
        *text = "";
        *len = 0;
        return api_fail_global(&err);
    }
    return AXVK_OK;
}

void axvk_detok_stream_flush(axvk_detok_stream *stream, const char **text, size_t *len)
{
    *text = "";
    *len = 0;
    if (stream)
        tokenizer_stream_flush(stream->s, text, len);
}

void axvk_detok_stream_destroy(axvk_detok_stream *stream)
{
    if (!stream)
        return;
    tokenizer_stream_destroy(stream->s);
    mem_free(stream);
}

axvk_status axvk_stop_matcher_create(const char *const *stops, size_t n, axvk_stop_matcher **out)
{
    struct err err = {0};
    if (!out || (!stops && n))
        return AXVK_ERR_INVALID_ARGUMENT;
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (!stops[i])
            return AXVK_ERR_INVALID_ARGUMENT;
    axvk_stop_matcher *sm = mem_calloc(1, sizeof *sm);
    if (!sm) {
        err_set(&err, AXVK_ERR_OUT_OF_HOST_MEMORY, "stop-string matcher");
        return api_fail_global(&err);
    }
    if (stop_create(&sm->m, stops, n, &err)) {
        mem_free(sm);
        return api_fail_global(&err);
    }
    *out = sm;
    return AXVK_OK;
}

axvk_status axvk_stop_matcher_push(axvk_stop_matcher *matcher, const char *text, size_t len,
                                   const char **emit, size_t *emit_len, int *matched)
{
    struct err err = {0};
    if (!matcher || (!text && len) || !emit || !emit_len || !matched)
        return AXVK_ERR_INVALID_ARGUMENT;
    *matched = stop_push(matcher->m, text ? text : "", len, emit, emit_len, &err);
    if (err.status)
        return api_fail_global(&err);
    return AXVK_OK;
}

void axvk_stop_matcher_flush(axvk_stop_matcher *matcher, const char **emit, size_t *emit_len)
{
    *emit = "";
    *emit_len = 0;
    if (matcher)
        stop_flush(matcher->m, emit, emit_len);
}

void axvk_stop_matcher_destroy(axvk_stop_matcher *matcher)
{
    if (!matcher)
        return;
    stop_destroy(matcher->m);
    mem_free(matcher);
}
