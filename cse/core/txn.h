/*
 * Transactions over the resource tree: every change made under the write
 * lock is recorded with its undo step and its store operation, so that
 * the change can be acknowledged once durable or undone if the store
 * commit fails (cse/core/commit.h).
 *
 * Ownership: a transaction owns the resources it detached and the
 * attribute snapshots it took until cse_txn_finish(); store operations
 * borrow ri/pi from the resources, which outlive the commit.
 */
#ifndef CSE_CORE_TXN_H
#define CSE_CORE_TXN_H

#include <pthread.h>

#include "cse/core/tree.h"
#include "cse/store/store.h"

enum cse_undo_kind { CSE_UNDO_ADD = 1, CSE_UNDO_REMOVE = 2, CSE_UNDO_MODIFY = 3 };

typedef struct cse_undo {
    int kind;
    cse_res_t *res;
    cse_res_t *parent, *prev; /* REMOVE: where it was */
    json_t *old_attrs;        /* MODIFY: the attributes before */
} cse_undo_t;

typedef struct cse_txn {
    cse_undo_t *undo;
    size_t nundo, capundo;
    cse_store_op_t *ops;
    cse_buf_t **bufs; /* one per op, NULL for DELETE */
    size_t nops, capops;
    char **deregistered; /* AE-IDs removed: DEREGISTER_AE after the commit */
    size_t nderegistered;
    int state;  /* 0 pending, 1 durable, -1 failed (and undone); set by the flusher */
    int queued; /* set by the submitting thread: wait for state */
    struct cse_txn *qnext;
} cse_txn_t;

void cse_txn_init(cse_txn_t *t);

/* Write lock held. Attaches r under parent and records a PUT. Returns 0,
 * or -1 if its ri or path is taken (r is then still owned by the caller). */
int cse_txn_add(cse_txn_t *t, cse_res_t *parent, cse_res_t *r);

/* Write lock held. Detaches r with its subtree and records a DELETE for
 * every resource in it (children first). AEs are noted for DEREGISTER_AE. */
void cse_txn_remove(cse_txn_t *t, cse_res_t *r);

/* Write lock held. Snapshots r's attributes before the caller changes
 * them. Attribute values must be replaced, never changed in place. */
void cse_txn_modify(cse_txn_t *t, cse_res_t *r);

/* Write lock held. After changing r: re-reads derived fields, gives r a new
 * revision and, when persist is set, records a PUT of its new JSON. */
void cse_txn_changed(cse_txn_t *t, cse_res_t *r, int persist);

/* Write lock held. Reverts every change of t, newest first. */
void cse_txn_undo(cse_txn_t *t);

/* After the commit (durable or failed): frees what t still owns. */
void cse_txn_finish(cse_txn_t *t);

#endif
