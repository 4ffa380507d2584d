/*
 * A small pool of threads for work that blocks: durable writes wait for
 * their commit, and an event-loop thread of the HTTP daemon must not wait
 * with them (every connection it serves would stall, and the store could
 * only group as many commits as there are loop threads). The daemon
 * suspends the connection, submits a job here, and the job resumes it.
 *
 * Jobs are intrusive (no allocation per job) and run in submission order.
 */
#ifndef CSE_HTTP_HTTP_OFFLOAD_H
#define CSE_HTTP_HTTP_OFFLOAD_H

#include <stddef.h>

typedef struct cse_http_job cse_http_job_t;
struct cse_http_job {
    void (*run)(cse_http_job_t *job); /* called on a pool thread */
    cse_http_job_t *next;             /* owned by the pool while queued */
};

typedef struct cse_http_offload cse_http_offload_t;

/* Starts nthreads threads. Returns NULL if none could be started. */
cse_http_offload_t *cse_http_offload_start(int nthreads);

/* Queues job. Returns 0, or -1 once stopping has begun: the caller then
 * runs the work itself. The job must stay valid until run returns. */
int cse_http_offload_submit(cse_http_offload_t *pool, cse_http_job_t *job);

/* Refuses new jobs from now on, runs every queued one and joins the
 * threads. The pool stays valid (submit returns -1) until freed. */
void cse_http_offload_drain(cse_http_offload_t *pool);

/* Drains (if not done yet) and frees pool. NULL is a no-op. */
void cse_http_offload_free(cse_http_offload_t *pool);

#endif
