#include "cse/core/commit.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cse/core/log.h"

/* How long the flusher waits for writers still applying their change. */
#define GATHER_ACTIVE_NS 200000LL

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work;
    cse_txn_t *head, *tail;
    size_t queued;         /* transactions in head..tail */
    size_t active;         /* writers between cse_commit_begin and durability */
    size_t expect;         /* writers of the last batch not yet back in begin */
    size_t want;           /* while gathering: commit once this many are queued */
    int gather_expect;     /* this gather waits for the expected writers too */
    int returning;         /* the last batch's writers are coming back */
    long long released_ns; /* when the last batch was acknowledged */
    long long return_ns;   /* moving average: release until all are back */
    int idle;              /* the flusher waits for a first transaction */
    long long commit_ns;   /* moving average of one store commit */
    cse_store_t *store;
    pthread_t thread;
    int running, stop;
    cse_commit_fn commit;
    cse_store_op_t *ops; /* flusher scratch */
    size_t capops;
    cse_commit_stats_t stats;
} cq = {.mu = PTHREAD_MUTEX_INITIALIZER};

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Publishes t's result and wakes its writer, which may free t at once: a
 * wake on an address no longer waited on is harmless (waiters re-check). */
static void state_set(cse_txn_t *t, int state) {
    __atomic_store_n(&t->state, state, __ATOMIC_RELEASE);
    syscall(SYS_futex, &t->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static size_t collect_ops(cse_txn_t *group) {
    size_t n = 0;
    for (cse_txn_t *t = group; t; t = t->qnext)
        n += t->nops;
    if (n > cq.capops) {
        free(cq.ops);
        cq.ops = malloc(n * 2 * sizeof(*cq.ops));
        if (!cq.ops)
            abort();
        cq.capops = n * 2;
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

/* Writers to wait for: those applying their change now and, when they
 * come back quickly, those of the batch just acknowledged. Lock held. */
static size_t gather_target(void) {
    return cq.active + (cq.gather_expect ? cq.expect : 0);
}

/* The writers of the last batch are all back, or the next batch leaves
 * without some of them (then took is a lower bound, doubled when the
 * gather waited for them in vain: they may not write again at all). */
static void returned(long long now, int waited) {
    long long took = (now - cq.released_ns) * (waited ? 2 : 1);
    cq.return_ns = cq.return_ns ? (cq.return_ns * 3 + took) / 4 : took;
    cq.returning = 0;
}

/* Lock held, queue not empty. Writers that are applying their change now
 * submit within microseconds: waiting for them makes one fsync serve them
 * all. The writers of the batch just acknowledged usually write again at
 * once; when they have been coming back within a quarter of a commit,
 * waiting for them too keeps them in one batch (without it the batches
 * split into two that alternate, and every writer waits for two commits
 * instead of one). When they come back slower (long round trips, busy
 * cores), the disk would idle while waiting: the batch goes as it is, and
 * the next one forms during its commit. Returns 1 if it waited in vain
 * for writers of the last batch. */
static int gather(void) {
    long long now = now_ns(), end = now + GATHER_ACTIVE_NS;
    cq.gather_expect = cq.expect > 0 && cq.return_ns < cq.commit_ns / 4;
    if (cq.gather_expect) {
        long long by = cq.released_ns + 2 * cq.return_ns, cap = now + cq.commit_ns / 4;
        end = by > cap ? cap : by > end ? by : end;
    }
    size_t want = gather_target();
    if (cq.queued >= want || cq.stop)
        return 0;
    struct timespec deadline = {.tv_sec = (time_t)(end / 1000000000LL),
                                .tv_nsec = (long)(end % 1000000000LL)};
    cq.want = want;
    while (cq.queued < want && !cq.stop) {
        if (pthread_cond_timedwait(&cq.work, &cq.mu, &deadline) != 0)
            break;
        want = gather_target();
        cq.want = want;
    }
    cq.want = 0;
    int short_of = cq.queued < want;
    cq.stats.gather_timeouts += (uint64_t)short_of;
    cq.stats.gather_ns += (uint64_t)(now_ns() - now);
    return short_of && cq.gather_expect;
}

static void *flusher(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&cq.mu);
        cq.idle = 1;
        while (!cq.head && !cq.stop)
            pthread_cond_wait(&cq.work, &cq.mu);
        cq.idle = 0;
        if (!cq.head) {
            pthread_mutex_unlock(&cq.mu);
            break;
        }
        int waited = gather();
        if (cq.returning)
            returned(now_ns(), waited);
        cse_txn_t *group = cq.head;
        size_t finished = cq.queued;
        cq.head = cq.tail = NULL;
        cq.queued = 0;
        cq.expect = 0;
        pthread_mutex_unlock(&cq.mu);

        size_t n = collect_ops(group);
        long long t0 = now_ns();
        int rc = (cq.commit ? cq.commit : cse_store_commit_now)(cq.store, cq.ops, n);
        long long took = now_ns() - t0;
        int state = 1;
        if (rc != 0) {
            cse_log(CSE_LOG_ERROR, "store commit of %zu operations failed: changes undone", n);
            group = undo_from(group);
            state = -1;
            finished = 0;
            for (cse_txn_t *t = group; t; t = t->qnext)
                finished++;
        }
        pthread_mutex_lock(&cq.mu);
        cq.active -= finished;
        cq.expect = finished;
        cq.returning = finished > 0;
        cq.released_ns = now_ns();
        cq.commit_ns = cq.commit_ns ? (cq.commit_ns * 7 + took) / 8 : took;
        cq.stats.batches++;
        cq.stats.txns += finished;
        cq.stats.commit_ns += (uint64_t)took;
        if (finished > cq.stats.max_batch)
            cq.stats.max_batch = finished;
        pthread_mutex_unlock(&cq.mu);
        /* Each writer sleeps on its own state word, and they are woken one
         * by one in queue order: waking the whole batch at once made them
         * all contend for the tree lock and the queue lock together. */
        for (cse_txn_t *t = group; t;) {
            cse_txn_t *next = t->qnext; /* t may be freed once its state is set */
            t->qnext = NULL;
            state_set(t, state);
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
    cq.queued = cq.active = cq.expect = cq.want = 0;
    cq.commit_ns = cq.return_ns = 0;
    cq.returning = 0;
    memset(&cq.stats, 0, sizeof(cq.stats));
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
    if (cq.stats.batches)
        cse_log(CSE_LOG_INFO,
                "commit: %llu transactions in %llu store commits (%.1f each, largest %llu), "
                "%.0f us per commit, %.0f us gathering",
                (unsigned long long)cq.stats.txns, (unsigned long long)cq.stats.batches,
                (double)cq.stats.txns / (double)cq.stats.batches,
                (unsigned long long)cq.stats.max_batch,
                (double)cq.stats.commit_ns / 1e3 / (double)cq.stats.batches,
                (double)cq.stats.gather_ns / 1e3 / (double)cq.stats.batches);
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

void cse_commit_stats(cse_commit_stats_t *out) {
    pthread_mutex_lock(&cq.mu);
    *out = cq.stats;
    pthread_mutex_unlock(&cq.mu);
}

void cse_commit_begin(void) {
    if (!cq.running)
        return;
    pthread_mutex_lock(&cq.mu);
    cq.active++;
    if (cq.expect > 0 && --cq.expect == 0 && cq.returning)
        returned(now_ns(), 0); /* counted in active from now on */
    pthread_mutex_unlock(&cq.mu);
}

void cse_commit_abandon(void) {
    if (!cq.running)
        return;
    pthread_mutex_lock(&cq.mu);
    cq.active--;
    if (cq.want && cq.queued >= gather_target())
        pthread_cond_signal(&cq.work); /* the flusher was waiting for us */
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
    pthread_mutex_lock(&cq.mu);
    if (cq.tail)
        cq.tail->qnext = t;
    else
        cq.head = t;
    cq.tail = t;
    cq.queued++;
    /* Wake the flusher only when it has something to do: every needless
     * wake-up costs a context switch on the commit's critical path. */
    if (cq.idle || (cq.want && cq.queued >= cq.want))
        pthread_cond_signal(&cq.work);
    pthread_mutex_unlock(&cq.mu);
}

int cse_commit_wait(cse_txn_t *t) {
    if (t->queued) {
        while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == 0)
            syscall(SYS_futex, &t->state, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        t->queued = 0;
    }
    return t->state == 1 ? 0 : -1;
}
