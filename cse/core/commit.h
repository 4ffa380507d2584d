/*
 * Ordered group commit of tree transactions. Writers submit their
 * transaction while still holding the tree's write lock, so the queue has
 * exactly the order in which changes were applied in memory; one flusher
 * thread commits everything queued in one store transaction. If a commit
 * fails, the flusher undoes that batch and every later one (newest first),
 * so memory returns to the last durable state, and their writers see -1.
 */
#ifndef CSE_CORE_COMMIT_H
#define CSE_CORE_COMMIT_H

#include <stdint.h>

#include "cse/core/txn.h"
#include "cse/store/store.h"

/* Starts the flusher for store (NULL: every transaction is durable at once,
 * for unit tests). Returns 0 or -1. */
int cse_commit_start(cse_store_t *store);
/* The function that makes a batch durable (cse_store_commit by default).
 * Tests use it to inject failures; set it before cse_commit_start. */
typedef int (*cse_commit_fn)(cse_store_t *st, const cse_store_op_t *ops, size_t nops);
void cse_commit_set_fn(cse_commit_fn fn);

/* Commits what is queued, then stops the flusher. */
void cse_commit_stop(void);

/* A writer announces itself before it takes the write lock, so the flusher
 * can wait for it to join the next group. Every cse_commit_begin is ended
 * by exactly one cse_commit_submit or cse_commit_abandon. */
void cse_commit_begin(void);
void cse_commit_abandon(void);

/* Write lock held. Queues t (a transaction without operations is done). */
void cse_commit_submit(cse_txn_t *t);

/* Without the tree lock. Blocks until t is durable (0) or failed and
 * undone (-1). */
int cse_commit_wait(cse_txn_t *t);

/* Counters since cse_commit_start, for benchmarks and tests. */
typedef struct cse_commit_stats {
    uint64_t batches;         /* store commits */
    uint64_t txns;            /* transactions they made durable (or failed) */
    uint64_t max_batch;       /* most transactions in one store commit */
    uint64_t gather_timeouts; /* batches committed before all expected writers */
    uint64_t commit_ns;       /* time spent in store commits */
    uint64_t gather_ns;       /* time spent waiting for writers to join a batch */
} cse_commit_stats_t;
void cse_commit_stats(cse_commit_stats_t *out);

#endif
