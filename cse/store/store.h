/*
 * Durable resource store: SQLite in WAL mode behind a small interface, so a
 * server database can replace it. The store persists resources as rows
 * (ri, pi, ty, JSON text); it knows nothing of oneM2M semantics.
 *
 * Durability: cse_store_commit() returns only after the batch is committed
 * with synchronous=FULL. Concurrent callers are grouped into one
 * transaction (group commit) by a single writer thread.
 */
#ifndef CSE_STORE_STORE_H
#define CSE_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cse_store cse_store_t;

enum cse_store_op_kind { CSE_STORE_PUT = 1, CSE_STORE_DELETE = 2 };

typedef struct cse_store_op {
    int kind;
    const char *ri;   /* borrowed */
    const char *pi;   /* PUT only */
    int ty;           /* PUT only */
    const char *json; /* PUT only: the full attribute object */
    size_t json_len;
} cse_store_op_t;

/* Opens (creating if needed) the database at path. ":memory:" is not
 * durable and only for unit tests. Returns NULL and fills err on failure. */
cse_store_t *cse_store_open(const char *path, char *err, size_t err_cap);
void cse_store_close(cse_store_t *st);

/* Calls fn for every stored resource, parents before children (ordered by
 * insertion). Used once at start-up. Returns 0 or -1. */
typedef int (*cse_store_row_fn)(void *arg, const char *ri, const char *pi, int ty, const char *json,
                                size_t json_len);
int cse_store_load(cse_store_t *st, cse_store_row_fn fn, void *arg);

/* Applies ops atomically and durably, in one transaction together with
 * other concurrent callers' batches. Blocks until durable. Returns 0, or -1
 * if the commit failed (nothing of this batch was applied). Thread-safe. */
int cse_store_commit(cse_store_t *st, const cse_store_op_t *ops, size_t nops);

/* Path of the database file (borrowed). */
const char *cse_store_path(const cse_store_t *st);

/* Notes on the functions above:
 * - cse_store_load() reads a file database through a connection of its
 *   own, so its callback may call cse_store_commit() (not with ":memory:").
 * - Another connection on cse_store_path() (a plugin's own tables) must set
 *   a busy timeout (sqlite3_busy_timeout, e.g. 5000 ms), keep transactions
 *   short and leave journal_mode alone: the file stays in WAL mode, so its
 *   readers never block the store's writer. Table names starting with
 *   "cse_" belong to the store. */

/* Counters since open, for benchmarks, tests and health reports. */
typedef struct cse_store_stats {
    uint64_t batches;   /* batches committed */
    uint64_t failed;    /* batches that failed */
    uint64_t ops;       /* operations committed */
    uint64_t groups;    /* transactions run for groups of batches */
    uint64_t retried;   /* groups that failed and were retried batch by batch */
    uint64_t max_group; /* largest number of batches in one transaction */
    size_t pending;     /* batches waiting now (queued or being written) */
} cse_store_stats_t;

/* Copies the counters into out. Thread-safe. */
void cse_store_stats(cse_store_t *st, cse_store_stats_t *out);

/* Like cse_store_commit, but on the caller's thread and in a transaction
 * of its own: no hand-over to the writer thread, no waiting for other
 * callers. For a caller that groups commits itself (the core's ordered
 * group commit), where a second grouping stage would only add a thread
 * switch and latency. Thread-safe; ordered with the writer's groups. */
int cse_store_commit_now(cse_store_t *st, const cse_store_op_t *ops, size_t nops);

#endif
