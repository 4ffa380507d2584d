#include "cse/http/http_offload.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

/* One pool thread. An idle worker sleeps on its own semaphore and is handed
 * its next job directly: the submitter wakes exactly one thread, and the
 * woken thread does not contend with the submitter for the pool lock (a
 * shared condition variable made every wake-up re-take that lock). */
typedef struct worker {
    cse_http_offload_t *pool;
    pthread_t thread;
    sem_t wake;
    cse_http_job_t *job; /* set by the submitter before wake is posted */
    struct worker *next_idle;
} worker_t;

struct cse_http_offload {
    pthread_mutex_t lock;
    cse_http_job_t *head, *tail; /* jobs waiting for a worker */
    worker_t *idle;              /* idle workers, most recently idle first */
    int stopping;
    int nthreads;
    worker_t workers[];
};

static void *offload_main(void *arg) {
    worker_t *w = arg;
    cse_http_offload_t *pool = w->pool;
    int stop = 0;
    while (!stop) {
        while (sem_wait(&w->wake) != 0)
            ; /* EINTR */
        cse_http_job_t *job = w->job;
        if (!job)
            break; /* stopping while idle */
        while (job) {
            job->run(job);
            pthread_mutex_lock(&pool->lock);
            job = pool->head;
            if (job) {
                pool->head = job->next;
                if (!pool->head)
                    pool->tail = NULL;
            } else {
                stop = pool->stopping; /* drained: stop instead of idling */
                if (!stop) {
                    w->job = NULL;
                    w->next_idle = pool->idle;
                    pool->idle = w;
                }
            }
            pthread_mutex_unlock(&pool->lock);
        }
    }
    return NULL;
}

cse_http_offload_t *cse_http_offload_start(int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    cse_http_offload_t *pool = calloc(1, sizeof(*pool) + (size_t)nthreads * sizeof(worker_t));
    if (!pool)
        return NULL;
    pthread_mutex_init(&pool->lock, NULL);
    for (int i = 0; i < nthreads; i++) {
        worker_t *w = &pool->workers[i];
        w->pool = pool;
        sem_init(&w->wake, 0, 0);
        if (pthread_create(&w->thread, NULL, offload_main, w) != 0) {
            sem_destroy(&w->wake);
            break;
        }
        pthread_mutex_lock(&pool->lock);
        w->next_idle = pool->idle;
        pool->idle = w;
        pthread_mutex_unlock(&pool->lock);
        pool->nthreads++;
    }
    if (pool->nthreads == 0) {
        cse_http_offload_free(pool);
        return NULL;
    }
    return pool;
}

int cse_http_offload_submit(cse_http_offload_t *pool, cse_http_job_t *job) {
    job->next = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->stopping) {
        pthread_mutex_unlock(&pool->lock);
        return -1;
    }
    worker_t *w = pool->idle;
    if (w) {
        pool->idle = w->next_idle;
        w->job = job;
    } else if (pool->tail) {
        pool->tail->next = job;
        pool->tail = job;
    } else {
        pool->head = pool->tail = job;
    }
    pthread_mutex_unlock(&pool->lock);
    if (w)
        sem_post(&w->wake);
    return 0;
}

void cse_http_offload_drain(cse_http_offload_t *pool) {
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    /* Busy workers run the queue dry and then stop; idle ones are told to. */
    worker_t *idle = pool->idle;
    pool->idle = NULL;
    pthread_mutex_unlock(&pool->lock);
    for (worker_t *w = idle; w; w = w->next_idle) {
        w->job = NULL;
        sem_post(&w->wake);
    }
    for (int i = 0; i < pool->nthreads; i++)
        pthread_join(pool->workers[i].thread, NULL);
    for (int i = 0; i < pool->nthreads; i++)
        sem_destroy(&pool->workers[i].wake);
    pool->nthreads = 0;
}

void cse_http_offload_free(cse_http_offload_t *pool) {
    if (!pool)
        return;
    cse_http_offload_drain(pool);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
