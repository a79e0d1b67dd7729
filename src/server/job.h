/* server/job: one generation request in flight, shared by the HTTP thread that serves it and the
 * scheduler thread that runs it. The scheduler appends text and log-probabilities and finally
 * marks it done; the HTTP side takes what is new since its cursor, or cancels. Reference
 * counted: whichever side lets go last frees it. Knows nothing of HTTP or of the session. */
#ifndef AXVK_SERVER_JOB_H
#define AXVK_SERVER_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "axvk.h"
#include "server/request.h"

enum srv_finish {
    SRV_FINISH_NONE = 0,  /* still running */
    SRV_FINISH_STOP,      /* a stop id or stop string */
    SRV_FINISH_LENGTH,    /* max_tokens, or the sequence's context is full */
    SRV_FINISH_CANCELLED, /* the client went away */
    SRV_FINISH_ERROR,     /* status and errmsg say why */
};

/* Log-probabilities of one generated token. */
struct srv_lp {
    axvk_sample_logprobs lp;
    uint32_t n_top; /* valid entries of lp.top */
};

/* What a request asks the scheduler for. */
struct srv_job_spec {
    int32_t *prompt;          /* [n_prompt]; the job takes ownership (free()) */
    size_t n_prompt;
    axvk_sampling sampling;
    uint32_t max_tokens;      /* 0: until a stop or the context is full */
    char *const *stop;        /* [n_stop], copied */
    size_t n_stop;
    int logprobs;             /* record srv_lp per token */
    uint32_t top_logprobs;
};

struct srv_job;

/* NULL when out of memory (spec->prompt is then still the caller's). One reference held. */
struct srv_job *job_create(const struct srv_job_spec *spec);
void job_retain(struct srv_job *job);
void job_release(struct srv_job *job);

/* The request as the scheduler reads it (immutable after job_create). */
const struct srv_job_spec *job_spec(const struct srv_job *job);

/* ---- scheduler side ---- */

/* Appends delivered text and (lp may be NULL) one token's log-probabilities; wakes readers.
 * -1 when out of memory. */
int job_append(struct srv_job *job, const char *text, size_t len, const struct srv_lp *lp);
/* Counts one sampled token. */
void job_count_token(struct srv_job *job);
/* Marks the job done (first call wins); msg is used with SRV_FINISH_ERROR. */
void job_finish(struct srv_job *job, enum srv_finish finish, axvk_status status, const char *msg);
int job_cancelled(const struct srv_job *job);

/* ---- HTTP side ---- */

void job_cancel_flag(struct srv_job *job);

struct srv_job_cursor {
    size_t text, lps; /* how much a reader has taken */
};

/* New output since the cursor, copied out (srv_job_update_free), and the state. */
struct srv_job_update {
    char *text;              /* NUL-terminated, text_len bytes of new text */
    size_t text_len;
    struct srv_lp *lps;      /* [n_lps] new entries */
    size_t n_lps;
    int done;
    enum srv_finish finish;
    axvk_status status;
    char errmsg[320];
    uint32_t n_prompt, n_generated;
};

/* Waits up to timeout_ms for output past the cursor or for the end, then copies out what is
 * new and advances the cursor. 1: something new or done; 0: timed out (nothing to free);
 * -1: out of memory. */
int job_wait(struct srv_job *job, struct srv_job_cursor *cur, int timeout_ms,
             struct srv_job_update *up);
void srv_job_update_free(struct srv_job_update *up);
/* Waits up to timeout_ms for the end: 1 done, 0 not yet. */
int job_wait_done(struct srv_job *job, int timeout_ms);

#endif
