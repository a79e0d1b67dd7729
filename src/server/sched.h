/* server/sched: continuous batching. One thread owns the axvk_session (n_seq KV slots): each
 * step it feeds one chunk of prompt (at most n_batch tokens) to a request still prefilling, then
 * samples every slot whose prompt is in with one call and decodes them together, so a long
 * prompt delays the others' tokens by one chunk per step, not by its whole prefill. A finished
 * or cancelled request leaves its slot at once and the next queued request takes it. Requests
 * wait in a bounded FIFO queue. Nothing of HTTP. */
#ifndef AXVK_SERVER_SCHED_H
#define AXVK_SERVER_SCHED_H

#include <stdint.h>

#include "axvk.h"
#include "server/job.h"

struct sched_opts {
    axvk_context *ctx;      /* the session's context: its messages explain failures */
    axvk_model *model;
    axvk_session *session;  /* used by the scheduler thread only, from sched_create on */
    uint32_t n_seq, n_ctx;
    uint32_t max_queue;     /* requests waiting for a slot; more are refused */
    uint32_t n_batch;       /* prompt tokens fed per step; 0: 512 */
};

struct sched;

/* Starts the scheduler thread. -1 with msg (msg_size bytes) filled on failure. */
int sched_create(const struct sched_opts *o, struct sched **out, char *msg, size_t msg_size);
/* Ends every queued and running request (an error saying the server stops) and joins the
 * thread; later submissions get SCHED_STOPPING. Idempotent. */
void sched_stop(struct sched *s);
/* sched_stop, then frees. */
void sched_destroy(struct sched *s);

enum sched_submit_result {
    SCHED_OK = 0,
    SCHED_QUEUE_FULL = 1,
    SCHED_STOPPING = 2,
};

/* Queues the job; the scheduler takes its own reference. */
enum sched_submit_result sched_submit(struct sched *s, struct srv_job *job);
/* The client is gone: a queued job is dropped now, a running one leaves its slot at the next
 * step. Harmless on a finished job. */
void sched_cancel(struct sched *s, struct srv_job *job);

/* Counters since start, for /metrics. */
struct sched_stats {
    uint64_t requests_done;      /* finished with stop or length */
    uint64_t requests_cancelled;
    uint64_t requests_failed;
    uint64_t prompt_tokens;      /* prefilled */
    uint64_t generated_tokens;   /* sampled */
    uint64_t steps;              /* batched sample + decode steps */
    double prompt_seconds;       /* wall time in prefill */
    double generate_seconds;     /* wall time in steps */
    uint32_t queued;             /* waiting now */
    uint32_t active;             /* slots in use now */
    uint32_t n_seq;
    uint64_t kv_used;            /* tokens held by active slots */
    uint64_t kv_capacity;        /* n_seq * n_ctx */
};

void sched_get_stats(struct sched *s, struct sched_stats *out);

#endif
