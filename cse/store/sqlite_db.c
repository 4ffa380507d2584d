/* The store's SQLite connection: pragmas, schema, statements, transactions. */
#include "cse/store/sqlite_db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cse/host.h"

/* Bump when the schema changes; an older binary refuses a newer file. */
#define SCHEMA_VERSION 1

/* The WAL is checkpointed into the database every 1000 pages (4 MiB) by
 * the committing connection, and truncated back to 64 MiB at most
 * afterwards, so a burst does not leave a huge file behind. */
static const char *const open_pragmas = "PRAGMA synchronous=FULL;"
                                        "PRAGMA wal_autocheckpoint=1000;"
                                        "PRAGMA journal_size_limit=67108864;"
                                        "PRAGMA foreign_keys=OFF;";

/* seq orders rows by first insertion: an upsert keeps it, so a parent
 * (always stored before its children) is always loaded before them. */
static const char *const schema_sql = "CREATE TABLE IF NOT EXISTS cse_resources ("
                                      " seq INTEGER PRIMARY KEY,"
                                      " ri TEXT NOT NULL UNIQUE,"
                                      " pi TEXT,"
                                      " ty INTEGER NOT NULL,"
                                      " json TEXT NOT NULL);";

struct cse_sqlite_db {
    sqlite3 *conn;
    sqlite3_stmt *begin, *commit, *rollback, *put, *del;
    char path[PATH_MAX];
};

static void fail(char *err, size_t cap, const char *path, const char *what, const char *why) {
    if (err && cap)
        snprintf(err, cap, "store %s: %s: %s", path, what, why);
}

/* Creates the file with mode 0600 before SQLite does (which would use
 * 0644): resources may hold data other local users must not read. SQLite
 * gives its -wal and -shm files the database file's mode. Also turns a
 * missing directory or a permission problem into a clear errno text. */
static int precreate(const char *path, char *err, size_t cap) {
    if (strcmp(path, ":memory:") == 0)
        return 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail(err, cap, path, "cannot open", strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

static int exec_sql(cse_sqlite_db_t *db, const char *sql, const char *what, char *err, size_t cap) {
    char *msg = NULL;
    if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    fail(err, cap, db->path, what, msg ? msg : sqlite3_errmsg(db->conn));
    sqlite3_free(msg);
    return -1;
}

/* Runs a one-row, one-column query and copies the text result. */
static int query_text(cse_sqlite_db_t *db, const char *sql, char *out, size_t out_cap) {
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, out_cap, "%s", t ? (const char *)t : "");
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static int set_wal(cse_sqlite_db_t *db, char *err, size_t cap) {
    char mode[32];
    if (query_text(db, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) != 0) {
        fail(err, cap, db->path, "not a usable SQLite database", sqlite3_errmsg(db->conn));
        return -1;
    }
    /* ":memory:" reports "memory": not durable, accepted for unit tests. */
    if (strcmp(mode, "wal") != 0 && strcmp(db->path, ":memory:") != 0) {
        fail(err, cap, db->path, "cannot enable WAL journal mode, got", mode);
        return -1;
    }
    return 0;
}

static int check_schema(cse_sqlite_db_t *db, char *err, size_t cap) {
    char v[32];
    if (query_text(db, "PRAGMA user_version", v, sizeof(v)) != 0) {
        fail(err, cap, db->path, "cannot read schema version", sqlite3_errmsg(db->conn));
        return -1;
    }
    long version = strtol(v, NULL, 10);
    if (version > SCHEMA_VERSION) {
        char why[96];
        snprintf(why, sizeof(why), "schema version %ld is newer than this program's (%d)", version,
                 SCHEMA_VERSION);
        fail(err, cap, db->path, "refusing to open", why);
        return -1;
    }
    if (exec_sql(db, "BEGIN IMMEDIATE", "cannot start schema transaction", err, cap) != 0)
        return -1;
    char sql[512];
    snprintf(sql, sizeof(sql), "%s PRAGMA user_version=%d; COMMIT;", schema_sql, SCHEMA_VERSION);
    if (exec_sql(db, sql, "cannot create schema", err, cap) != 0) {
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int prepare(cse_sqlite_db_t *db, char *err, size_t cap) {
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        {&db->begin, "BEGIN IMMEDIATE"},
        {&db->commit, "COMMIT"},
        {&db->rollback, "ROLLBACK"},
        {&db->put, "INSERT INTO cse_resources (ri, pi, ty, json) VALUES (?1, ?2, ?3, ?4)"
                   " ON CONFLICT (ri) DO UPDATE SET pi = excluded.pi, ty = excluded.ty,"
                   " json = excluded.json"},
        {&db->del, "DELETE FROM cse_resources WHERE ri = ?1"},
    };
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
        if (sqlite3_prepare_v3(db->conn, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, stmts[i].st,
                               NULL) != SQLITE_OK) {
            fail(err, cap, db->path, "cannot prepare statement", sqlite3_errmsg(db->conn));
            return -1;
        }
    }
    return 0;
}

cse_sqlite_db_t *cse_sqlite_db_open(const char *path, char *err, size_t err_cap) {
    if (!path || !*path) {
        fail(err, err_cap, "(none)", "cannot open", "empty path");
        return NULL;
    }
    cse_sqlite_db_t *db = calloc(1, sizeof(*db));
    if (!db) {
        fail(err, err_cap, path, "cannot open", "out of memory");
        return NULL;
    }
    if (snprintf(db->path, sizeof(db->path), "%s", path) >= (int)sizeof(db->path)) {
        fail(err, err_cap, "(too long)", "cannot open", "path too long");
        goto fail;
    }
    if (precreate(path, err, err_cap) != 0)
        goto fail;
    /* NOMUTEX: the store serialises every use of this connection itself. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db->conn, flags, NULL) != SQLITE_OK) {
        fail(err, err_cap, path, "cannot open",
             db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db->conn, 1);
    sqlite3_busy_timeout(db->conn, CSE_SQLITE_BUSY_TIMEOUT_MS);
    if (set_wal(db, err, err_cap) != 0 ||
        exec_sql(db, open_pragmas, "cannot set pragmas", err, err_cap) != 0 ||
        check_schema(db, err, err_cap) != 0 || prepare(db, err, err_cap) != 0)
        goto fail;
    return db;
fail:
    cse_sqlite_db_close(db);
    return NULL;
}

void cse_sqlite_db_close(cse_sqlite_db_t *db) {
    if (!db)
        return;
    sqlite3_finalize(db->begin);
    sqlite3_finalize(db->commit);
    sqlite3_finalize(db->rollback);
    sqlite3_finalize(db->put);
    sqlite3_finalize(db->del);
    /* The last connection to close checkpoints the WAL and removes it. */
    if (db->conn && sqlite3_close(db->conn) != SQLITE_OK)
        cse_log(CSE_LOG_WARN, "store: close %s: %s", db->path, sqlite3_errmsg(db->conn));
    free(db);
}

/* Steps a statement that returns no row and resets it for reuse. */
static int run(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Applies one op; on failure sets *why when SQLite has no message for it. */
static int apply_op(cse_sqlite_db_t *db, const cse_store_op_t *op, const char **why) {
    sqlite3_stmt *st;
    if (op->kind == CSE_STORE_PUT) {
        if (op->json_len > INT_MAX) {
            *why = "resource too large";
            return -1;
        }
        st = db->put;
        sqlite3_bind_text(st, 2, op->pi, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, op->ty);
        sqlite3_bind_text(st, 4, op->json, (int)op->json_len, SQLITE_STATIC);
    } else if (op->kind == CSE_STORE_DELETE) {
        st = db->del;
    } else {
        *why = "unknown operation kind";
        return -1;
    }
    /* A NULL ri binds NULL and fails the NOT NULL constraint. */
    sqlite3_bind_text(st, 1, op->ri, -1, SQLITE_STATIC);
    int rc = run(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int cse_sqlite_db_apply(cse_sqlite_db_t *db, const cse_store_op_t *const *ops, const size_t *nops,
                        size_t nbatches, size_t *bad) {
    const char *why = NULL;
    const cse_store_op_t *op = NULL;
    size_t b = nbatches;
    if (run(db->begin) != 0)
        goto fail;
    for (b = 0; b < nbatches; b++) {
        for (size_t i = 0; i < nops[b]; i++) {
            op = &ops[b][i];
            if (apply_op(db, op, &why) != 0)
                goto fail;
        }
    }
    if (run(db->commit) != 0)
        goto fail;
    return 0;
fail:
    if (b < nbatches)
        cse_log(CSE_LOG_WARN, "store: batch refused: ri=%s reason=\"%s\"",
                op->ri ? op->ri : "(null)", why ? why : sqlite3_errmsg(db->conn));
    else
        cse_log(CSE_LOG_ERROR, "store: commit of %zu batches failed: %s", nbatches,
                sqlite3_errmsg(db->conn));
    if (!sqlite3_get_autocommit(db->conn))
        run(db->rollback);
    if (bad)
        *bad = b;
    return -1;
}

static int load_rows(sqlite3 *conn, const char *path, cse_store_row_fn fn, void *arg) {
    sqlite3_stmt *st = NULL;
    int rc = -1, stopped = 0;
    if (sqlite3_prepare_v2(conn, "SELECT ri, pi, ty, json FROM cse_resources ORDER BY seq", -1, &st,
                           NULL) != SQLITE_OK)
        goto out;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *ri = (const char *)sqlite3_column_text(st, 0);
        const char *pi = (const char *)sqlite3_column_text(st, 1);
        int ty = sqlite3_column_int(st, 2);
        const char *json = (const char *)sqlite3_column_text(st, 3);
        size_t json_len = (size_t)sqlite3_column_bytes(st, 3);
        if (fn(arg, ri, pi, ty, json ? json : "", json_len) != 0) {
            stopped = 1; /* the callback reports its own reason */
            goto out;
        }
    }
    if (step == SQLITE_DONE)
        rc = 0;
out:
    if (rc != 0 && !stopped)
        cse_log(CSE_LOG_ERROR, "store: load %s: %s", path, sqlite3_errmsg(conn));
    sqlite3_finalize(st);
    return rc;
}

int cse_sqlite_db_load(cse_sqlite_db_t *db, cse_store_row_fn fn, void *arg) {
    if (cse_sqlite_db_is_memory(db))
        return load_rows(db->conn, db->path, fn, arg);
    /* A reader of its own: WAL lets it run beside the writer, so fn may
     * commit while rows are still being read. */
    sqlite3 *conn = NULL;
    int rc = -1;
    if (sqlite3_open_v2(db->path, &conn, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        cse_log(CSE_LOG_ERROR, "store: load %s: %s", db->path,
                conn ? sqlite3_errmsg(conn) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(conn, CSE_SQLITE_BUSY_TIMEOUT_MS);
    rc = load_rows(conn, db->path, fn, arg);
out:
    sqlite3_close(conn);
    return rc;
}

int cse_sqlite_db_is_memory(const cse_sqlite_db_t *db) {
    return strcmp(db->path, ":memory:") == 0;
}
