#include "cse/http/http_offload.h"

#include <pthread.h>
#include <stdlib.h>

struct cse_http_offload {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    cse_http_job_t *head, *tail;
    int stopping;
    int nthreads;
    pthread_t threads[];
};

static void *offload_main(void *arg) {
    cse_http_offload_t *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->stopping)
            pthread_cond_wait(&pool->ready, &pool->lock);
        cse_http_job_t *job = pool->head;
        if (!job)
            break; /* stopping and drained */
        pool->head = job->next;
        if (!pool->head)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);
        job->run(job);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

cse_http_offload_t *cse_http_offload_start(int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    cse_http_offload_t *pool = calloc(1, sizeof(*pool) + (size_t)nthreads * sizeof(pthread_t));
    if (!pool)
        return NULL;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->ready, NULL);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&pool->threads[i], NULL, offload_main, pool) != 0)
            break;
        pool->nthreads++;
    }
    if (pool->nthreads == 0) {
        cse_http_offload_free(pool);
        return NULL;
    }
    return pool;
}

int cse_http_offload_submit(cse_http_offload_t *pool, cse_http_job_t *job) {
    pthread_mutex_lock(&pool->lock);
    if (pool->stopping) {
        pthread_mutex_unlock(&pool->lock);
        return -1;
    }
    job->next = NULL;
    if (pool->tail)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    pthread_cond_signal(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

void cse_http_offload_drain(cse_http_offload_t *pool) {
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    pool->nthreads = 0;
}

void cse_http_offload_free(cse_http_offload_t *pool) {
    if (!pool)
        return;
    cse_http_offload_drain(pool);
    pthread_cond_destroy(&pool->ready);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
