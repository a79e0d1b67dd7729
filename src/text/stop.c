/* stop: hold-back matching of stop strings (what OpenAI's `stop` parameter promises). */
#include "text/stop.h"

#include <string.h>

#include "base/alloc.h"

struct stop_matcher {
    char **stops;
    size_t *lens;
    size_t n;
    char *buf;          /* held-back text, then the text handed out */
    size_t len, cap;
    size_t emitted;     /* bytes of buf already handed out by the last call */
    bool stopped;
};

axvk_status stop_create(struct stop_matcher **out, const char *const *stops, size_t n,
                        struct err *err)
{
    struct stop_matcher *m = mem_calloc(1, sizeof *m);
    if (!m || !(m->stops = mem_calloc(n ? n : 1, sizeof *m->stops)) ||
        !(m->lens = mem_calloc(n ? n : 1, sizeof *m->lens)))
        goto oom;
    for (size_t i = 0; i < n; i++) {
        if (!stops[i] || !stops[i][0])
            continue;
        if (!(m->stops[m->n] = mem_strdup(stops[i])))
            goto oom;
        m->lens[m->n++] = strlen(stops[i]);
    }
    *out = m;
    return AXVK_OK;
oom:
    stop_destroy(m);
    return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "stop strings");
}

void stop_destroy(struct stop_matcher *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->stops && i < m->n; i++)
        mem_free(m->stops[i]);
    mem_free(m->stops);
    mem_free(m->lens);
    mem_free(m->buf);
    mem_free(m);
}

void stop_reset(struct stop_matcher *m)
{
    m->len = 0;
    m->emitted = 0;
    m->stopped = false;
}

/* Length of the longest suffix of buf that is a proper prefix of some stop string. */
static size_t partial_suffix(const struct stop_matcher *m)
{
    size_t best = 0;
    for (size_t i = 0; i < m->n; i++) {
        size_t max = m->lens[i] - 1 < m->len ? m->lens[i] - 1 : m->len;
        for (size_t k = max; k > best; k--)
            if (memcmp(m->buf + m->len - k, m->stops[i], k) == 0) {
                best = k;
                break;
            }
    }
    return best;
}

bool stop_push(struct stop_matcher *m, const char *text, size_t len, const char **emit,
               size_t *emit_len, struct err *err)
{
    *emit = "";
    *emit_len = 0;
    if (m->stopped)
        return true;
    /* drop what the previous call handed out (before the first push buf is still NULL, which
     * memmove may not be given even for 0 bytes) */
    if (m->emitted)
        memmove(m->buf, m->buf + m->emitted, m->len - m->emitted);
    m->len -= m->emitted;
    m->emitted = 0;
    if (mem_grow((void **)&m->buf, &m->cap, m->len + len + 1, 1)) {
        err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "stop-string buffer");
        return false;
    }
    memcpy(m->buf + m->len, text, len);
    m->len += len;
    /* earliest complete match wins */
    size_t cut = m->len;
    for (size_t i = 0; i < m->n; i++) {
        const char *hit = memmem(m->buf, m->len, m->stops[i], m->lens[i]);
        if (hit && (size_t)(hit - m->buf) < cut)
            cut = (size_t)(hit - m->buf);
    }
    if (cut < m->len) {
        m->stopped = true;
        *emit = m->buf;
        *emit_len = cut;
        m->emitted = m->len;
        return true;
    }
    size_t safe = m->len - partial_suffix(m);
    *emit = m->buf;
    *emit_len = safe;
    m->emitted = safe;
    return false;
}

void stop_flush(struct stop_matcher *m, const char **emit, size_t *emit_len)
{
    if (m->stopped) {
        *emit = "";
        *emit_len = 0;
        return;
    }
    *emit = m->buf + m->emitted;
    *emit_len = m->len - m->emitted;
    m->emitted = m->len;
}
