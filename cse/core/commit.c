#include "cse/core/commit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cse/core/log.h"

/* How long the flusher waits for writers that are still applying their
 * change before it commits a partial group. */
#define GATHER_MAX_NS 200000

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work;
    cse_txn_t *head, *tail;
    size_t queued; /* transactions in head..tail */
    size_t active; /* writers between cse_commit_begin and durability */
    cse_store_t *store;
    pthread_t thread;
    int running, stop;
    cse_commit_fn commit;
    cse_store_op_t *ops; /* flusher scratch */
    size_t capops;
} cq = {.mu = PTHREAD_MUTEX_INITIALIZER};

static size_t collect_ops(cse_txn_t *group) {
    size_t n = 0;
    for (cse_txn_t *t = group; t; t = t->qnext)
        n += t->nops;
    if (n > cq.capops) {
        free(cq.ops);
        cq.ops = malloc(n * sizeof(*cq.ops));
        if (!cq.ops)
            abort();
        cq.capops = n;
    }
    n = 0;
    for (cse_txn_t *t = group; t; t = t->qnext) {
        memcpy(cq.ops + n, t->ops, t->nops * sizeof(*cq.ops));
        n += t->nops;
    }
    return n;
}

/* Undoes group and everything queued after it, newest first. */
static cse_txn_t *undo_from(cse_txn_t *group) {
    cse_tree_wrlock();
    pthread_mutex_lock(&cq.mu);
    cse_txn_t *last = group;
    while (last->qnext)
        last = last->qnext;
    last->qnext = cq.head; /* later writers were applied after this group */
    cq.head = cq.tail = NULL;
    cq.queued = 0;
    pthread_mutex_unlock(&cq.mu);
    size_t n = 0;
    for (cse_txn_t *t = group; t; t = t->qnext)
        n++;
    cse_txn_t **all = malloc(n * sizeof(*all));
    if (!all)
        abort();
    n = 0;
    for (cse_txn_t *t = group; t; t = t->qnext)
        all[n++] = t;
    while (n-- > 0)
        cse_txn_undo(all[n]);
    free(all);
    cse_tree_unlock();
    return group;
}

/* Lock held, queue not empty. Writers that are still applying their change
 * will submit within microseconds: waiting for them briefly makes one
 * fsync serve them all instead of two. */
static void gather(void) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += GATHER_MAX_NS;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (cq.queued < cq.active && !cq.stop)
        if (pthread_cond_timedwait(&cq.work, &cq.mu, &deadline) != 0)
            break;
}

static void *flusher(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&cq.mu);
        while (!cq.head && !cq.stop)
            pthread_cond_wait(&cq.work, &cq.mu);
        if (!cq.head) {
            pthread_mutex_unlock(&cq.mu);
            break;
        }
        gather();
        cse_txn_t *group = cq.head;
        cq.head = cq.tail = NULL;
        cq.queued = 0;
        pthread_mutex_unlock(&cq.mu);

        size_t n = collect_ops(group);
        int rc = (cq.commit ? cq.commit : cse_store_commit)(cq.store, cq.ops, n);
        int state = 1;
        if (rc != 0) {
            cse_log(CSE_LOG_ERROR, "store commit of %zu operations failed: changes undone", n);
            group = undo_from(group);
            state = -1;
        }
        size_t finished = 0;
        for (cse_txn_t *t = group; t; t = t->qnext)
            finished++;
        pthread_mutex_lock(&cq.mu);
        cq.active -= finished;
        pthread_mutex_unlock(&cq.mu);
        /* One semaphore per writer: waking them does not funnel through a
         * shared mutex. t may be freed by its writer once posted. */
        for (cse_txn_t *t = group; t;) {
            cse_txn_t *next = t->qnext;
            t->qnext = NULL;
            t->state = state;
            sem_post(&t->done);
            t = next;
        }
    }
    return NULL;
}

void cse_commit_set_fn(cse_commit_fn fn) {
    cq.commit = fn;
}

int cse_commit_start(cse_store_t *store) {
    cq.store = store;
    cq.stop = 0;
    cq.head = cq.tail = NULL;
    cq.queued = cq.active = 0;
    if (!store)
        return 0;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cq.work, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&cq.thread, NULL, flusher, NULL) != 0) {
        pthread_cond_destroy(&cq.work);
        return -1;
    }
    cq.running = 1;
    return 0;
}

void cse_commit_stop(void) {
    if (cq.running) {
        pthread_mutex_lock(&cq.mu);
        cq.stop = 1;
        pthread_cond_signal(&cq.work);
        pthread_mutex_unlock(&cq.mu);
        pthread_join(cq.thread, NULL);
        pthread_cond_destroy(&cq.work);
        cq.running = 0;
    }
    cq.store = NULL;
    free(cq.ops);
    cq.ops = NULL;
    cq.capops = 0;
}

void cse_commit_begin(void) {
    if (!cq.running)
        return;
    pthread_mutex_lock(&cq.mu);
    cq.active++;
    pthread_mutex_unlock(&cq.mu);
}

void cse_commit_abandon(void) {
    if (!cq.running)
        return;
    pthread_mutex_lock(&cq.mu);
    cq.active--;
    pthread_cond_signal(&cq.work); /* the flusher may be waiting for us */
    pthread_mutex_unlock(&cq.mu);
}

void cse_commit_submit(cse_txn_t *t) {
    t->qnext = NULL;
    t->queued = 0;
    if (!cq.running) {
        t->state = 1;
        return;
    }
    if (t->nops == 0) {
        t->state = 1;
        cse_commit_abandon();
        return;
    }
    t->state = 0;
    t->queued = 1;
    sem_init(&t->done, 0, 0);
    pthread_mutex_lock(&cq.mu);
    if (cq.tail)
        cq.tail->qnext = t;
    else
        cq.head = t;
    cq.tail = t;
    cq.queued++;
    pthread_cond_signal(&cq.work);
    pthread_mutex_unlock(&cq.mu);
}

int cse_commit_wait(cse_txn_t *t) {
    if (t->queued) {
        while (sem_wait(&t->done) != 0)
            ; /* EINTR */
        sem_destroy(&t->done);
        t->queued = 0;
    }
    return t->state == 1 ? 0 : -1;
}
