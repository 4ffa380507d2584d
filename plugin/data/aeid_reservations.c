/* AE-IDs registered inside a security association (see aeid_reservations.h). */
#include "plugin/data/aeid_reservations.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/data/sqlite_open.h"

struct cssf_aeid_reservations {
    sqlite3 *db;           /* NULL for ":memory:" */
    pthread_rwlock_t lock; /* over set (jansson objects are not thread-safe) */
    json_t *set;           /* aeid -> true, the rows of the table */
    pthread_mutex_t write; /* one writer on db at a time */
};

static const char schema[] = "CREATE TABLE IF NOT EXISTS cssf_aeid_reservations("
                             " aeid TEXT PRIMARY KEY,"
                             " identity TEXT NOT NULL,"
                             " method TEXT NOT NULL,"
                             " created TEXT NOT NULL);";

static int load(cssf_aeid_reservations_t *r, char *err, size_t err_cap) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, "SELECT aeid FROM cssf_aeid_reservations", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *aeid = (const char *)sqlite3_column_text(st, 0);
        rc = aeid && json_object_set_new(r->set, aeid, json_true()) != 0 ? SQLITE_NOMEM : SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, err_cap, "AE-ID reservations: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    return 0;
}

int cssf_aeid_reservations_open(const char *db_path, cssf_aeid_reservations_t **out, char *err,
                                size_t err_cap) {
    *out = NULL;
    cssf_aeid_reservations_t *r = calloc(1, sizeof(*r));
    if (!r || !(r->set = json_object())) {
        free(r);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    pthread_rwlock_init(&r->lock, NULL);
    pthread_mutex_init(&r->write, NULL);
    if (db_path && strcmp(db_path, ":memory:") != 0 &&
        (cssf_sqlite_open(db_path, schema, 0, "AE-ID reservations", &r->db, err, err_cap) < 0 ||
         load(r, err, err_cap) < 0)) {
        cssf_aeid_reservations_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

void cssf_aeid_reservations_close(cssf_aeid_reservations_t *r) {
    if (!r)
        return;
    sqlite3_close_v2(r->db);
    json_decref(r->set);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->write);
    free(r);
}

/* Runs one statement with up to three text parameters. SQLITE_DONE or an error. */
static int run(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        const char *args[] = {a, b, c};
        for (int i = 0; i < 3 && args[i]; i++)
            sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int cssf_aeid_reservations_add(cssf_aeid_reservations_t *r, const char *aeid, const char *identity,
                               const char *method, char *err, size_t err_cap) {
    if (!r || !aeid || !*aeid) {
        snprintf(err, err_cap, "no AE-ID to reserve");
        return -1;
    }
    pthread_mutex_lock(&r->write);
    int rc = SQLITE_DONE;
    if (r->db)
        rc = run(r->db,
                 "INSERT OR REPLACE INTO cssf_aeid_reservations(aeid, identity, method, created)"
                 " VALUES(?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                 aeid, identity ? identity : "", method ? method : "");
    if (rc != SQLITE_DONE)
        snprintf(err, err_cap, "AE-ID reservation not stored: %s", sqlite3_errstr(rc));
    pthread_rwlock_wrlock(&r->lock);
    if (rc == SQLITE_DONE && json_object_set_new(r->set, aeid, json_true()) != 0) {
        snprintf(err, err_cap, "out of memory");
        rc = SQLITE_NOMEM;
    }
    pthread_rwlock_unlock(&r->lock);
    pthread_mutex_unlock(&r->write);
    return rc == SQLITE_DONE ? 0 : -1;
}

int cssf_aeid_reservations_remove(cssf_aeid_reservations_t *r, const char *aeid, char *err,
                                  size_t err_cap) {
    if (!r || !aeid)
        return 0;
    pthread_mutex_lock(&r->write);
    int rc = SQLITE_DONE;
    if (r->db)
        rc = run(r->db, "DELETE FROM cssf_aeid_reservations WHERE aeid=?", aeid, NULL, NULL);
    if (rc == SQLITE_DONE) {
        pthread_rwlock_wrlock(&r->lock);
        json_object_del(r->set, aeid);
        pthread_rwlock_unlock(&r->lock);
    } else {
        /* The row stays: the AE-ID keeps refusing claimed use (fail closed). */
        snprintf(err, err_cap, "AE-ID reservation not lifted: %s", sqlite3_errstr(rc));
    }
    pthread_mutex_unlock(&r->write);
    return rc == SQLITE_DONE ? 0 : -1;
}

int cssf_aeid_reservations_has(cssf_aeid_reservations_t *r, const char *aeid) {
    if (!r || !aeid)
        return 0;
    pthread_rwlock_rdlock(&r->lock);
    int has = json_object_get(r->set, aeid) != NULL;
    pthread_rwlock_unlock(&r->lock);
    return has;
}

size_t cssf_aeid_reservations_count(cssf_aeid_reservations_t *r) {
    if (!r)
        return 0;
    pthread_rwlock_rdlock(&r->lock);
    size_t n = json_object_size(r->set);
    pthread_rwlock_unlock(&r->lock);
    return n;
}
