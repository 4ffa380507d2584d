#include "cse/core/commit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cse/core/log.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    cse_txn_t *head, *tail;
    cse_store_t *store;
    pthread_t thread;
    int running, stop;
    cse_commit_fn commit;
    cse_store_op_t *ops; /* flusher scratch */
    size_t capops;
} cq = {.mu = PTHREAD_MUTEX_INITIALIZER,
        .work = PTHREAD_COND_INITIALIZER,
        .done = PTHREAD_COND_INITIALIZER};

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
        cse_txn_t *group = cq.head;
        cq.head = cq.tail = NULL;
        pthread_mutex_unlock(&cq.mu);

        size_t n = collect_ops(group);
        int rc = (cq.commit ? cq.commit : cse_store_commit)(cq.store, cq.ops, n);
        int state = 1;
        if (rc != 0) {
            cse_log(CSE_LOG_ERROR, "store commit of %zu operations failed: changes undone", n);
            group = undo_from(group);
            state = -1;
        }
        pthread_mutex_lock(&cq.mu);
        for (cse_txn_t *t = group; t;) {
            cse_txn_t *next = t->qnext;
            t->qnext = NULL;
            t->state = state; /* t may be freed by its writer once set */
            t = next;
        }
        pthread_cond_broadcast(&cq.done);
        pthread_mutex_unlock(&cq.mu);
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
    if (!store)
        return 0;
    if (pthread_create(&cq.thread, NULL, flusher, NULL) != 0)
        return -1;
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
        cq.running = 0;
    }
    cq.store = NULL;
    free(cq.ops);
    cq.ops = NULL;
    cq.capops = 0;
}

void cse_commit_submit(cse_txn_t *t) {
    t->qnext = NULL;
    if (t->nops == 0 || !cq.running) {
        t->state = 1;
        return;
    }
    t->state = 0;
    pthread_mutex_lock(&cq.mu);
    if (cq.tail)
        cq.tail->qnext = t;
    else
        cq.head = t;
    cq.tail = t;
    pthread_cond_signal(&cq.work);
    pthread_mutex_unlock(&cq.mu);
}

int cse_commit_wait(cse_txn_t *t) {
    pthread_mutex_lock(&cq.mu);
    while (t->state == 0)
        pthread_cond_wait(&cq.done, &cq.mu);
    int state = t->state;
    pthread_mutex_unlock(&cq.mu);
    return state == 1 ? 0 : -1;
}
