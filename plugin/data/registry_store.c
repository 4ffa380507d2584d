/* SQLite tables of the device registry (see registry_store.h). */
#include "plugin/data/registry_store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"
#include "plugin/data/sqlite_open.h"

struct cssf_regstore {
    sqlite3 *db;
    pthread_mutex_t lock; /* one statement at a time on the connection */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS cssf_devices("
    " id TEXT PRIMARY KEY,"
    " doc TEXT NOT NULL,"
    " psk_identity TEXT UNIQUE,"
    " psk_sealed BLOB,"
    " cert_san TEXT UNIQUE,"
    " cert_sha256 TEXT UNIQUE,"
    " client_id TEXT UNIQUE,"
    " suspended INTEGER NOT NULL DEFAULT 0,"
    " created TEXT NOT NULL,"
    " updated TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cssf_meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    /* rows of plugin/data/radius_secrets.c */
    "CREATE TABLE IF NOT EXISTS cssf_radius_secrets("
    " name TEXT PRIMARY KEY, sealed BLOB NOT NULL, key_id TEXT NOT NULL, updated TEXT NOT NULL);";

int cssf_regstore_open(const char *path, cssf_regstore_t **out, char *err, size_t err_cap) {
    *out = NULL;
    cssf_regstore_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    if (cssf_sqlite_open(path, schema, 0, "registry store", &s->db, err, err_cap) < 0) {
        cssf_regstore_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void cssf_regstore_close(cssf_regstore_t *s) {
    if (!s)
        return;
    sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int cssf_regstore_meta_get(cssf_regstore_t *s, const char *key, char *out, size_t cap) {
    sqlite3_stmt *st = NULL;
    int found = -1;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, "SELECT v FROM cssf_meta WHERE k=?", -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    } else if (rc == SQLITE_DONE) {
        found = 0;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return found;
}

int cssf_regstore_meta_set(cssf_regstore_t *s, const char *key, const char *value) {
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO cssf_meta(k, v) VALUES(?, ?)", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Duplicates column i's text into *out (NULL stays NULL). -1: no memory. */
static int column_dup(sqlite3_stmt *st, int i, char **out) {
    const char *t = (const char *)sqlite3_column_text(st, i);
    *out = t && *t ? strdup(t) : NULL;
    return t && *t && !*out ? -1 : 0;
}

/* A row whose document does not parse: kept as a suspended device with the
 * credentials of its own columns, so each of them is refused (never
 * "unknown", which would let another source answer for it, or forget a
 * suspension). 0, or -1 when out of memory. */
static int quarantine(sqlite3_stmt *st, const char *id, cssf_device_t *d) {
    cssf_device_clear(d);
    const char *fp = (const char *)sqlite3_column_text(st, 8);
    if (!(d->id = strdup(id ? id : "?")) || column_dup(st, 6, &d->psk_identity) < 0 ||
        column_dup(st, 7, &d->cert_san) < 0 || column_dup(st, 9, &d->client_id) < 0)
        return -1;
    snprintf(d->cert_sha256, sizeof(d->cert_sha256), "%s", fp && strlen(fp) == 64 ? fp : "");
    d->suspended = 1;
    return 0;
}

/* One row into d; 0, or -1 when out of memory (the load must fail). */
static int row_to_device(sqlite3_stmt *st, const char *host_cse_id, cssf_device_t *d) {
    memset(d, 0, sizeof(*d)); /* cleared below whether or not the parser ran */
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *doc = (const char *)sqlite3_column_text(st, 1);
    json_t *j = doc ? json_loads(doc, JSON_REJECT_DUPLICATES, NULL) : NULL;
    cssf_device_error_t e;
    int rc = j ? cssf_device_parse(j, host_cse_id, d, &e) : -1;
    json_decref(j);
    if (rc < 0 || strcmp(d->id, id ? id : "") != 0) {
        cse_log(CSE_LOG_ERROR,
                "cssf: registry: device %s has an invalid stored record (%s); "
                "its credentials are refused until it is written again",
                id ? id : "?", rc < 0 && j ? e.msg : "not JSON");
        if (quarantine(st, id, d) < 0) {
            cssf_device_clear(d);
            return -1;
        }
    }
    const void *blob = sqlite3_column_blob(st, 2);
    int blob_len = sqlite3_column_bytes(st, 2);
    if (blob && blob_len > 0) {
        if (!(d->psk_sealed = malloc((size_t)blob_len))) {
            cssf_device_clear(d);
            return -1;
        }
        memcpy(d->psk_sealed, blob, (size_t)blob_len);
        d->psk_sealed_len = (size_t)blob_len;
    }
    d->suspended |= sqlite3_column_int(st, 3) != 0; /* a quarantined record stays suspended */
    snprintf(d->created, sizeof(d->created), "%s", (const char *)sqlite3_column_text(st, 4));
    snprintf(d->updated, sizeof(d->updated), "%s", (const char *)sqlite3_column_text(st, 5));
    return 0;
}

int cssf_regstore_load(cssf_regstore_t *s, const char *host_cse_id, cssf_device_t **devs, size_t *n,
                       char *err, size_t err_cap) {
    sqlite3_stmt *st = NULL;
    cssf_device_t *v = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    *devs = NULL;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, doc, psk_sealed, suspended, created, updated, "
                           "psk_identity, cert_san, cert_sha256, client_id "
                           "FROM cssf_devices ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, err_cap, "registry store: %s", sqlite3_errmsg(s->db));
        goto out;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            cssf_device_t *grown = realloc(v, ncap * sizeof(*v));
            if (!grown) {
                snprintf(err, err_cap, "out of memory");
                goto out;
            }
            v = grown;
            cap = ncap;
        }
        if (row_to_device(st, host_cse_id, &v[len]) != 0) {
            snprintf(err, err_cap, "out of memory");
            goto out;
        }
        len++;
    }
    if (step != SQLITE_DONE) {
        snprintf(err, err_cap, "registry store: %s", sqlite3_errmsg(s->db));
        goto out;
    }
    *devs = v;
    *n = len;
    v = NULL;
    len = 0;
    rc = 0;
out:
    for (size_t i = 0; i < len; i++)
        cssf_device_clear(&v[i]);
    free(v);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *v) {
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int cssf_regstore_put(cssf_regstore_t *s, const cssf_device_t *d, int insert, char *err,
                      size_t err_cap) {
    static const char ins[] =
        "INSERT INTO cssf_devices(doc, psk_identity, psk_sealed, cert_san, cert_sha256, "
        "client_id, suspended, created, updated, id) VALUES(?,?,?,?,?,?,?,?,?,?)";
    static const char upd[] =
        "UPDATE cssf_devices SET doc=?, psk_identity=?, psk_sealed=?, cert_san=?, "
        "cert_sha256=?, client_id=?, suspended=?, created=?, updated=? WHERE id=?";
    json_t *j = cssf_device_to_json(d);
    char *doc = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (!doc) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, insert ? ins : upd, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, err_cap, "registry store: %s", sqlite3_errmsg(s->db));
        goto out;
    }
    sqlite3_bind_text(st, 1, doc, -1, SQLITE_STATIC);
    bind_opt_text(st, 2, d->psk_identity);
    if (d->psk_sealed)
        sqlite3_bind_blob(st, 3, d->psk_sealed, (int)d->psk_sealed_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    bind_opt_text(st, 4, d->cert_san);
    bind_opt_text(st, 5, d->cert_sha256);
    bind_opt_text(st, 6, d->client_id);
    sqlite3_bind_int(st, 7, d->suspended);
    sqlite3_bind_text(st, 8, d->created, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, d->updated, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, d->id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        rc = insert || sqlite3_changes(s->db) == 1 ? 0 : 2;
    else if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT)
        rc = 1;
    else
        snprintf(err, err_cap, "registry store: %s", sqlite3_errmsg(s->db));
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    free(doc);
    return rc;
}

int cssf_regstore_delete(cssf_regstore_t *s, const char *id, char *err, size_t err_cap) {
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, "DELETE FROM cssf_devices WHERE id=?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = sqlite3_changes(s->db) == 1 ? 0 : 1;
    }
    if (rc < 0)
        snprintf(err, err_cap, "registry store: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int exec(cssf_regstore_t *s, const char *sql) {
    pthread_mutex_lock(&s->lock);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int cssf_regstore_begin(cssf_regstore_t *s) {
    return exec(s, "BEGIN IMMEDIATE");
}

int cssf_regstore_commit(cssf_regstore_t *s) {
    return exec(s, "COMMIT");
}

void cssf_regstore_rollback(cssf_regstore_t *s) {
    exec(s, "ROLLBACK");
}

int cssf_regstore_ping(cssf_regstore_t *s, char *err, size_t err_cap) {
    pthread_mutex_lock(&s->lock);
    int rc = sqlite3_exec(s->db, "SELECT count(*) FROM cssf_devices", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        snprintf(err, err_cap, "registry store: %s", sqlite3_errmsg(s->db));
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_OK ? 0 : -1;
}

int cssf_regstore_run(cssf_regstore_t *s, int (*fn)(sqlite3 *db, void *arg), void *arg) {
    pthread_mutex_lock(&s->lock);
    int rc = fn(s->db, arg);
    pthread_mutex_unlock(&s->lock);
    return rc;
}
