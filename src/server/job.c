/* server/job: the state one request shares between its HTTP thread and the scheduler, behind
 * one mutex per job (never held while taking the scheduler's lock, so the two cannot deadlock).
 * Output only grows; readers copy out what lies past their cursor. */
#include "server/job.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct srv_job {
    pthread_mutex_t mu;
    pthread_cond_t cv;  /* signalled on new output and at the end */
    int refs;           /* under mu */
    atomic_int cancelled;
    struct srv_job_spec spec;
    char *stop[SRV_MAX_STOP];

    /* output, under mu */
    char *text;
    size_t text_len, text_cap;
    struct srv_lp *lps;
    size_t n_lps, lps_cap;
    uint32_t n_generated;
    int done;
    enum srv_finish finish;
    axvk_status status;
    char errmsg[320];
};

/* The stop strings are copied so the request body can be freed as soon as the job is queued. */
struct srv_job *job_create(const struct srv_job_spec *spec)
{
    if (spec->n_stop > SRV_MAX_STOP)
        return NULL;
    struct srv_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    for (size_t i = 0; i < spec->n_stop; i++)
        if (!(j->stop[i] = strdup(spec->stop[i]))) {
            while (i--)
                free(j->stop[i]);
            free(j);
            return NULL;
        }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* timed waits immune to clock changes */
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&j->mu, NULL);
    j->refs = 1;
    j->spec = *spec;
    j->spec.stop = j->stop;
    return j;
}

void job_retain(struct srv_job *job)
{
    pthread_mutex_lock(&job->mu);
    job->refs++;
    pthread_mutex_unlock(&job->mu);
}

void job_release(struct srv_job *job)
{
    if (!job)
        return;
    pthread_mutex_lock(&job->mu);
    int last = --job->refs == 0;
    pthread_mutex_unlock(&job->mu);
    if (!last)
        return;
    for (size_t i = 0; i < job->spec.n_stop; i++)
        free(job->stop[i]);
    free(job->spec.prompt);
    free(job->text);
    free(job->lps);
    pthread_cond_destroy(&job->cv);
    pthread_mutex_destroy(&job->mu);
    free(job);
}

const struct srv_job_spec *job_spec(const struct srv_job *job)
{
    return &job->spec;
}

int job_append(struct srv_job *job, const char *text, size_t len, const struct srv_lp *lp)
{
    /* text and entries grow by doubling: a whole answer of n tokens costs O(log n) reallocs */
    int rc = 0;
    pthread_mutex_lock(&job->mu);
    if (len && job->text_len + len + 1 > job->text_cap) {
        size_t cap = job->text_cap ? job->text_cap : 256;
        while (cap < job->text_len + len + 1)
            cap *= 2;
        char *grown = realloc(job->text, cap);
        if (grown) {
            job->text = grown;
            job->text_cap = cap;
        } else {
            rc = -1;
        }
    }
    if (!rc && len) {
        memcpy(job->text + job->text_len, text, len);
        job->text_len += len;
        job->text[job->text_len] = '\0';
    }
    if (!rc && lp && job->n_lps == job->lps_cap) {
        size_t cap = job->lps_cap ? 2 * job->lps_cap : 16;
        struct srv_lp *grown = realloc(job->lps, cap * sizeof *grown);
        if (grown) {
            job->lps = grown;
            job->lps_cap = cap;
        } else {
            rc = -1;
        }
    }
    if (!rc && lp)
        job->lps[job->n_lps++] = *lp;
    /* one waiter per job (its HTTP thread); broadcast costs nothing more */
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
    return rc;
}

void job_count_token(struct srv_job *job)
{
    pthread_mutex_lock(&job->mu);
    job->n_generated++;
    pthread_mutex_unlock(&job->mu);
}

/* A job can be ended from two sides at once — the scheduler finishing it and a cancelled queued
 * job being dropped — so only the first end counts. */
void job_finish(struct srv_job *job, enum srv_finish finish, axvk_status status, const char *msg)
{
    pthread_mutex_lock(&job->mu);
    if (!job->done) {
        job->done = 1;
        job->finish = finish;
        job->status = status;
        snprintf(job->errmsg, sizeof job->errmsg, "%s", msg ? msg : "");
    }
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
}

int job_cancelled(const struct srv_job *job)
{
    return atomic_load(&job->cancelled);
}

void job_cancel_flag(struct srv_job *job)
{
    atomic_store(&job->cancelled, 1);
}

/* Now + ms on CLOCK_MONOTONIC, the clock the condition variables wait on. */
static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int job_wait(struct srv_job *job, struct srv_job_cursor *cur, int timeout_ms,
             struct srv_job_update *up)
{
    memset(up, 0, sizeof *up);
    struct timespec until;
    deadline_in(&until, timeout_ms);
    pthread_mutex_lock(&job->mu);
    int rc = 0;
    while (!job->done && cur->text == job->text_len && cur->lps == job->n_lps && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&job->cv, &job->mu, &until);
    int news = job->done || cur->text < job->text_len || cur->lps < job->n_lps;
    if (!news) {
        pthread_mutex_unlock(&job->mu);
        return 0;
    }
    /* copied under the lock: the scheduler may grow (and move) the buffers right after */
    size_t n_text = job->text_len - cur->text, n_lps = job->n_lps - cur->lps;
    up->text = malloc(n_text + 1);
    up->lps = n_lps ? malloc(n_lps * sizeof *up->lps) : NULL;
    if (!up->text || (n_lps && !up->lps)) {
        pthread_mutex_unlock(&job->mu);
        srv_job_update_free(up);
        return -1;
    }
    if (n_text)
        memcpy(up->text, job->text + cur->text, n_text);
    up->text[n_text] = '\0';
    up->text_len = n_text;
    if (n_lps)
        memcpy(up->lps, job->lps + cur->lps, n_lps * sizeof *up->lps);
    up->n_lps = n_lps;
    cur->text = job->text_len;
    cur->lps = job->n_lps;
    up->done = job->done;
    up->finish = job->finish;
    up->status = job->status;
    memcpy(up->errmsg, job->errmsg, sizeof up->errmsg);
    up->n_prompt = (uint32_t)job->spec.n_prompt;
    up->n_generated = job->n_generated;
    pthread_mutex_unlock(&job->mu);
    return 1;
}

void srv_job_update_free(struct srv_job_update *up)
{
    free(up->text);
    free(up->lps);
    up->text = NULL;
    up->lps = NULL;
}

int job_wait_done(struct srv_job *job, int timeout_ms)
{
    struct timespec until;
    deadline_in(&until, timeout_ms);
    pthread_mutex_lock(&job->mu);
    int rc = 0;
    while (!job->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&job->cv, &job->mu, &until);
    int done = job->done;
    pthread_mutex_unlock(&job->mu);
    return done;
}
