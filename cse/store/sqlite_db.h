/*
 * The SQL side of the store: one SQLite connection in WAL mode with its
 * schema and prepared statements. Not thread-safe: only the store's writer
 * thread uses it (and cse_store_load() for ":memory:", under the store's
 * lock).
 * Internal to cse/store.
 */
#ifndef CSE_STORE_SQLITE_DB_H
#define CSE_STORE_SQLITE_DB_H

#include <stddef.h>

#include "cse/store/store.h"

typedef struct cse_sqlite_db cse_sqlite_db_t;

/* Busy timeout for the store's own connection; other connections on the
 * same file (a plugin's tables) should use one of the same order. */
#define CSE_SQLITE_BUSY_TIMEOUT_MS 5000

/* Opens or creates path, sets WAL, synchronous=FULL, busy timeout, creates
 * the schema and prepares the statements. Returns NULL with "store PATH:
 * reason" in err. The caller owns the result (cse_sqlite_db_close). */
cse_sqlite_db_t *cse_sqlite_db_open(const char *path, char *err, size_t err_cap);
void cse_sqlite_db_close(cse_sqlite_db_t *db);

/* One transaction (BEGIN IMMEDIATE .. COMMIT) applying every batch in
 * order: ops[i][0..nops[i]). Returns 0 if all were committed durably; -1
 * if anything failed, in which case nothing was applied and *bad (if not
 * NULL) is the index of the batch whose operation failed, or nbatches if
 * the transaction failed as a whole (busy, I/O error, disk full). */
int cse_sqlite_db_apply(cse_sqlite_db_t *db, const cse_store_op_t *const *ops, const size_t *nops,
                        size_t nbatches, size_t *bad);

/* Calls fn for every row in insertion order; stops at the first non-zero
 * return of fn. Returns 0 or -1. Reads through a connection of its own,
 * except for ":memory:" where the caller must hold off the writer. */
int cse_sqlite_db_load(cse_sqlite_db_t *db, cse_store_row_fn fn, void *arg);

/* 1 for ":memory:" (one connection only, not durable). */
int cse_sqlite_db_is_memory(const cse_sqlite_db_t *db);

#endif
