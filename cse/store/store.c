/*
 * Group commit: callers queue their batch and sleep; one writer thread
 * takes every queued batch, writes them all in one transaction (one fsync
 * for the lot), then wakes each caller with its own result. While the
 * writer waits for the disk, the next group forms in the queue, so the
 * number of fsyncs per second stays bounded while throughput grows with
 * concurrency.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "cse/store/store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cse/host.h"
#include "cse/store/sqlite_db.h"

/* One caller's batch, on the caller's stack while it waits. */
typedef struct pending {
    const cse_store_op_t *ops;
    size_t nops;
    int rc;
    /* Posted by the writer once rc is set. A semaphore rather than a
     * condition variable: the writer wakes the caller without holding the
     * queue lock, so the caller does not wake only to block on it. */
    sem_t done;
    struct pending *next;
} pending_t;

struct cse_store {
    cse_sqlite_db_t *db;
    char path[PATH_MAX];
    pthread_t writer;
    /* mu guards everything below; db_mu guards db (writer vs load). */
    pthread_mutex_t mu, db_mu;
    pthread_cond_t work_cv; /* the writer waits here for batches */
    pending_t *head, *tail;
    size_t queued; /* batches in the list head..tail */
    size_t want;   /* the writer waits for this many queued batches, 0 = any */
    int writer_idle, stopping;
    cse_store_stats_t stats;
    /* the writer's scratch arrays for one group */
    pending_t **g_batch;
    const cse_store_op_t **g_ops;
    size_t *g_nops, g_cap;
};

/* Makes the writer's scratch arrays hold n batches. */
static int reserve(cse_store_t *st, size_t n) {
    if (n <= st->g_cap)
        return 0;
    size_t cap = n * 2;
    pending_t **b = realloc(st->g_batch, cap * sizeof(*b));
    if (b)
        st->g_batch = b;
    const cse_store_op_t **o = b ? realloc(st->g_ops, cap * sizeof(*o)) : NULL;
    if (o)
        st->g_ops = o;
    size_t *c = o ? realloc(st->g_nops, cap * sizeof(*c)) : NULL;
    if (c) {
        st->g_nops = c;
        st->g_cap = cap;
    }
    return c ? 0 : -1;
}

/* Writes one group in one transaction and sets each batch's rc. When an
 * operation fails, its batch alone is dropped and the others are written
 * again, so one bad batch never fails its neighbours. */
static void write_group(cse_store_t *st, pending_t *group, size_t n) {
    int retried = 0;
    pthread_mutex_lock(&st->db_mu);
    if (reserve(st, n) != 0) {
        for (pending_t *p = group; p; p = p->next) /* no memory: one at a time */
            p->rc = cse_sqlite_db_apply(st->db, &p->ops, &p->nops, 1, NULL);
        goto out;
    }
    size_t k = 0;
    for (pending_t *p = group; p; p = p->next, k++) {
        p->rc = 0;
        st->g_batch[k] = p;
        st->g_ops[k] = p->ops;
        st->g_nops[k] = p->nops;
    }
    while (k > 0) {
        size_t bad;
        if (cse_sqlite_db_apply(st->db, st->g_ops, st->g_nops, k, &bad) == 0)
            break;
        if (bad >= k) { /* the transaction itself failed: all of it */
            for (size_t i = 0; i < k; i++)
                st->g_batch[i]->rc = -1;
            break;
        }
        st->g_batch[bad]->rc = -1;
        k--;
        memmove(st->g_batch + bad, st->g_batch + bad + 1, (k - bad) * sizeof(*st->g_batch));
        memmove(st->g_ops + bad, st->g_ops + bad + 1, (k - bad) * sizeof(*st->g_ops));
        memmove(st->g_nops + bad, st->g_nops + bad + 1, (k - bad) * sizeof(*st->g_nops));
        retried |= k > 0;
    }
out:
    pthread_mutex_unlock(&st->db_mu);
    pthread_mutex_lock(&st->mu);
    st->stats.groups++;
    st->stats.retried += (uint64_t)retried;
    if (n > st->stats.max_group)
        st->stats.max_group = n;
    pthread_mutex_unlock(&st->mu);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The callers of the group just written usually commit again at once. If
 * the writer started the next transaction with only the batches already
 * queued, the callers would settle into two alternating half-size groups;
 * waiting a fraction of a transaction's time for them (want = how many
 * were in flight) keeps them in one group. Called with st->mu held. */
static void gather(cse_store_t *st, size_t want, double txn_us) {
    if (want < 2 || st->queued >= want || st->stopping)
        return;
    double wait_us = txn_us / 4 < 1000 ? txn_us / 4 : 1000;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = (long long)ts.tv_nsec + (long long)(wait_us * 1e3);
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    st->want = want;
    while (st->queued < want && !st->stopping) {
        if (pthread_cond_timedwait(&st->work_cv, &st->mu, &ts) == ETIMEDOUT)
            break;
    }
    st->want = 0;
}

static void *writer_main(void *arg) {
    cse_store_t *st = arg;
    size_t in_flight = 0;
    double txn_us = 0;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (!st->head && !st->stopping) {
            st->writer_idle = 1;
            pthread_cond_wait(&st->work_cv, &st->mu);
            st->writer_idle = 0;
        }
        if (!st->head)
            break; /* stopping and drained */
        gather(st, in_flight, txn_us);
        pending_t *group = st->head;
        size_t n = st->queued;
        st->head = st->tail = NULL;
        st->queued = 0;
        pthread_mutex_unlock(&st->mu);

        double t0 = now_us();
        write_group(st, group, n);
        double t = now_us() - t0;
        txn_us = txn_us > 0 ? (txn_us * 7 + t) / 8 : t;

        pthread_mutex_lock(&st->mu);
        for (pending_t *p = group; p; p = p->next) {
            if (p->rc == 0) {
                st->stats.batches++;
                st->stats.ops += p->nops;
            } else {
                st->stats.failed++;
            }
            st->stats.pending--;
        }
        in_flight = n + st->queued;
        pthread_mutex_unlock(&st->mu);
        /* Wake the first caller only; each caller wakes the next, so the
         * wake-ups run on the callers' threads, in parallel with the next
         * group's transaction. */
        sem_post(&group->done);
        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

static void store_free(cse_store_t *st) {
    cse_sqlite_db_close(st->db);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->db_mu);
    pthread_cond_destroy(&st->work_cv);
    free(st->g_batch);
    free(st->g_ops);
    free(st->g_nops);
    free(st);
}

cse_store_t *cse_store_open(const char *path, char *err, size_t err_cap) {
    cse_store_t *st = calloc(1, sizeof(*st));
    if (!st) {
        snprintf(err, err_cap, "store %s: out of memory", path ? path : "(none)");
        return NULL;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_mutex_init(&st->db_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st->work_cv, &ca);
    pthread_condattr_destroy(&ca);
    st->db = cse_sqlite_db_open(path, err, err_cap);
    if (!st->db)
        goto fail;
    snprintf(st->path, sizeof(st->path), "%s", path);
    if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
        snprintf(err, err_cap, "store %s: cannot start the writer thread", path);
        goto fail;
    }
    pthread_setname_np(st->writer, "cse-store");
    return st;
fail:
    store_free(st);
    return NULL;
}

void cse_store_close(cse_store_t *st) {
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    st->stopping = 1;
    pthread_cond_signal(&st->work_cv);
    pthread_mutex_unlock(&st->mu);
    /* The writer exits only once the queue is empty; the callers it woke
     * last touch nothing of st after their semaphore. */
    pthread_join(st->writer, NULL);
    store_free(st);
}

int cse_store_load(cse_store_t *st, cse_store_row_fn fn, void *arg) {
    /* A file database is read through a second connection, so fn may
     * commit; ":memory:" has only the writer's connection to share. */
    int shared = cse_sqlite_db_is_memory(st->db);
    if (shared)
        pthread_mutex_lock(&st->db_mu);
    int rc = cse_sqlite_db_load(st->db, fn, arg);
    if (shared)
        pthread_mutex_unlock(&st->db_mu);
    return rc;
}

int cse_store_commit(cse_store_t *st, const cse_store_op_t *ops, size_t nops) {
    if (nops == 0)
        return 0;
    if (!ops)
        return -1;
    pending_t p = {.ops = ops, .nops = nops};
    sem_init(&p.done, 0, 0);
    pthread_mutex_lock(&st->mu);
    if (st->stopping) {
        pthread_mutex_unlock(&st->mu);
        sem_destroy(&p.done);
        cse_log(CSE_LOG_WARN, "store: commit after close started, refused");
        return -1;
    }
    if (st->tail)
        st->tail->next = &p;
    else
        st->head = &p;
    st->tail = &p;
    st->queued++;
    st->stats.pending++;
    if (st->writer_idle || (st->want && st->queued >= st->want))
        pthread_cond_signal(&st->work_cv);
    pthread_mutex_unlock(&st->mu);
    while (sem_wait(&p.done) != 0)
        ; /* EINTR */
    /* p.next still waits on p to be woken, so it is still there. */
    if (p.next)
        sem_post(&p.next->done);
    sem_destroy(&p.done);
    return p.rc;
}

int cse_store_commit_now(cse_store_t *st, const cse_store_op_t *ops, size_t nops) {
    if (nops == 0)
        return 0;
    if (!ops)
        return -1;
    pthread_mutex_lock(&st->mu);
    int stopping = st->stopping;
    if (!stopping)
        st->stats.pending++;
    pthread_mutex_unlock(&st->mu);
    if (stopping) {
        cse_log(CSE_LOG_WARN, "store: commit after close started, refused");
        return -1;
    }
    /* db_mu orders this transaction with the writer thread's groups. */
    pthread_mutex_lock(&st->db_mu);
    int rc = cse_sqlite_db_apply(st->db, &ops, &nops, 1, NULL);
    pthread_mutex_unlock(&st->db_mu);
    pthread_mutex_lock(&st->mu);
    st->stats.pending--;
    st->stats.groups++;
    if (rc == 0) {
        st->stats.batches++;
        st->stats.ops += nops;
    } else {
        st->stats.failed++;
    }
    if (st->stats.max_group < 1)
        st->stats.max_group = 1;
    pthread_mutex_unlock(&st->mu);
    return rc;
}

const char *cse_store_path(const cse_store_t *st) {
    return st->path;
}

void cse_store_stats(cse_store_t *st, cse_store_stats_t *out) {
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    pthread_mutex_unlock(&st->mu);
}
