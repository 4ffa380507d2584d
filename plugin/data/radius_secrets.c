/* Sealed RADIUS shared secrets in the registry's store (see radius_secrets.h). */
#include "plugin/data/radius_secrets.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "cse/host.h"
#include "plugin/data/registry_internal.h"

#define BLOB_MAX (CSSF_RADIUS_SECRET_MAX + CSSF_SEAL_OVERHEAD)

static int host_ok(const char *h, size_t n) {
    if (n == 0)
        return 0;
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
                return 0;
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
            return 0;
    return 1;
}

int cssf_radius_secrets_name_ok(const char *name) {
    if (!name)
        return 0;
    if (strcmp(name, CSSF_RADIUS_SECRETS_PSK_PASSWORD) == 0)
        return 1;
    size_t len = strlen(name);
    const char *colon = strrchr(name, ':');
    if (len >= CSSF_RADIUS_SECRET_NAME_MAX || !colon ||
        (name[0] != '[' && strchr(name, ':') != colon) || !host_ok(name, (size_t)(colon - name)))
        return 0;
    const char *port = colon + 1;
    size_t digits = strlen(port);
    if (digits == 0 || digits > 5 || port[0] == '0')
        return 0;
    for (size_t i = 0; i < digits; i++)
        if (!isdigit((unsigned char)port[i]))
            return 0;
    return atol(port) <= 65535;
}

int cssf_radius_secrets_value_ok(const char *secret, size_t len) {
    return secret && len >= 1 && len <= CSSF_RADIUS_SECRET_MAX && !memchr(secret, 0, len);
}

void cssf_radius_secrets_context(const char *name, char *out, size_t cap) {
    snprintf(out, cap, "radius:%s", name);
}

static void now_text(char *out, size_t cap) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- statements on the store's connection (under its lock) ----------------- */

typedef struct op {
    const char *name;
    const uint8_t *blob; /* put */
    size_t blob_len;
    const char *key_id, *updated;
    int existed;                     /* put: the row was there */
    uint8_t got[BLOB_MAX];           /* get */
    size_t got_len;                  /* get: 0 when absent */
    cssf_radius_secret_info_t *list; /* list / info */
    size_t cap, n;
    char err[160];
} op_t;

static void op_fail(op_t *o, sqlite3 *db) {
    snprintf(o->err, sizeof(o->err), "registry store: %s", sqlite3_errmsg(db));
}

static int count_rows(sqlite3 *db, const char *name, int *existed, size_t *rows) {
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*), sum(name=?) FROM cssf_radius_secrets", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *rows = (size_t)sqlite3_column_int64(st, 0);
            *existed = sqlite3_column_int(st, 1) > 0;
            rc = 0;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int do_put(sqlite3 *db, void *arg) {
    op_t *o = arg;
    sqlite3_stmt *st = NULL;
    size_t rows = 0;
    int rc = -1;
    if (count_rows(db, o->name, &o->existed, &rows) < 0) {
        op_fail(o, db);
        return -1;
    }
    if (!o->existed && rows >= CSSF_RADIUS_SECRETS_ROWS)
        return 1;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO cssf_radius_secrets(name, sealed, key_id, "
                           "updated) VALUES(?,?,?,?)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, o->blob, (int)o->blob_len, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, o->key_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, o->updated, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = 0;
    }
    if (rc < 0)
        op_fail(o, db);
    sqlite3_finalize(st);
    return rc;
}

static int do_get(sqlite3 *db, void *arg) {
    op_t *o = arg;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    o->got_len = 0;
    if (sqlite3_prepare_v2(db, "SELECT sealed FROM cssf_radius_secrets WHERE name=?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            int n = sqlite3_column_bytes(st, 0);
            const void *b = sqlite3_column_blob(st, 0);
            if (b && n > 0 && (size_t)n <= sizeof(o->got)) {
                memcpy(o->got, b, (size_t)n);
                o->got_len = (size_t)n;
                rc = 1;
            }
        } else if (step == SQLITE_DONE) {
            rc = 0;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int do_delete(sqlite3 *db, void *arg) {
    op_t *o = arg;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "DELETE FROM cssf_radius_secrets WHERE name=?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = sqlite3_changes(db) == 1 ? 0 : 1;
    }
    if (rc < 0)
        op_fail(o, db);
    sqlite3_finalize(st);
    return rc;
}

/* Rows (all, or only o->name when set) into o->list. */
static int do_list(sqlite3 *db, void *arg) {
    op_t *o = arg;
    sqlite3_stmt *st = NULL;
    int step = SQLITE_ERROR;
    o->n = 0;
    if (sqlite3_prepare_v2(db,
                           o->name ? "SELECT name, key_id, updated FROM cssf_radius_secrets "
                                     "WHERE name=?"
                                   : "SELECT name, key_id, updated FROM cssf_radius_secrets "
                                     "ORDER BY name",
                           -1, &st, NULL) == SQLITE_OK) {
        if (o->name)
            sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
        while ((step = sqlite3_step(st)) == SQLITE_ROW && o->n < o->cap) {
            cssf_radius_secret_info_t *i = &o->list[o->n++];
            snprintf(i->name, sizeof(i->name), "%s", (const char *)sqlite3_column_text(st, 0));
            snprintf(i->key_id, sizeof(i->key_id), "%s", (const char *)sqlite3_column_text(st, 1));
            snprintf(i->updated, sizeof(i->updated), "%s",
                     (const char *)sqlite3_column_text(st, 2));
        }
    }
    int rc = step == SQLITE_DONE || (step == SQLITE_ROW && o->n == o->cap) ? 0 : -1;
    if (rc < 0)
        op_fail(o, db);
    sqlite3_finalize(st);
    return rc;
}

/* --- the API ---------------------------------------------------------------- */

int cssf_radius_secrets_put(cssf_registry_t *r, const char *name, const char *secret, size_t len,
                            int *created, cssf_radius_secret_info_t *info, char *err,
                            size_t err_cap) {
    char context[CSSF_RADIUS_SECRET_NAME_MAX + 8];
    uint8_t blob[BLOB_MAX];
    op_t *o = calloc(1, sizeof(*o));
    int rc = -1;
    *created = 0;
    if (!o) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    if (!cssf_radius_secrets_name_ok(name) || !cssf_radius_secrets_value_ok(secret, len)) {
        snprintf(err, err_cap, "bad name or secret");
        goto out;
    }
    cssf_radius_secrets_context(name, context, sizeof(context));
    memset(info, 0, sizeof(*info));
    snprintf(info->name, sizeof(info->name), "%s", name);
    now_text(info->updated, sizeof(info->updated));
    o->name = name;
    o->updated = info->updated;
    pthread_mutex_lock(&r->write_lock);
    snprintf(info->key_id, sizeof(info->key_id), "%s", r->key.id);
    o->key_id = info->key_id;
    if (cssf_seal(&r->key, r->rng, (const uint8_t *)secret, len, context, blob, sizeof(blob),
                  &o->blob_len) < 0) {
        snprintf(err, err_cap, "cannot seal the secret");
    } else {
        o->blob = blob;
        rc = cssf_regstore_run(r->store, do_put, o);
        if (rc < 0)
            snprintf(err, err_cap, "%s", o->err);
        else if (rc == 0)
            *created = !o->existed;
    }
    pthread_mutex_unlock(&r->write_lock);
out:
    mbedtls_platform_zeroize(blob, sizeof(blob));
    free(o);
    return rc;
}

int cssf_radius_secrets_get(cssf_registry_t *r, const char *name, uint8_t *out, size_t cap,
                            size_t *len) {
    char context[CSSF_RADIUS_SECRET_NAME_MAX + 8];
    op_t *o = calloc(1, sizeof(*o));
    int rc = -1;
    *len = 0;
    if (!o)
        return -1;
    o->name = name;
    cssf_radius_secrets_context(name, context, sizeof(context));
    pthread_mutex_lock(&r->write_lock);
    rc = cssf_regstore_run(r->store, do_get, o);
    if (rc == 1 && cssf_unseal(&r->key, o->got, o->got_len, context, out, cap, len) < 0) {
        cse_log(CSE_LOG_ERROR,
                "cssf: the sealed RADIUS secret of %s does not open (altered, or moved from "
                "another row); set it again",
                name);
        rc = -1;
    }
    pthread_mutex_unlock(&r->write_lock);
    free(o);
    return rc;
}

int cssf_radius_secrets_info(cssf_registry_t *r, const char *name, cssf_radius_secret_info_t *out) {
    op_t o = {.name = name, .list = out, .cap = 1};
    if (cssf_regstore_run(r->store, do_list, &o) < 0)
        return -1;
    return o.n == 1;
}

int cssf_radius_secrets_delete(cssf_registry_t *r, const char *name, char *err, size_t err_cap) {
    op_t *o = calloc(1, sizeof(*o));
    if (!o) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    o->name = name;
    pthread_mutex_lock(&r->write_lock);
    int rc = cssf_regstore_run(r->store, do_delete, o);
    pthread_mutex_unlock(&r->write_lock);
    if (rc < 0)
        snprintf(err, err_cap, "%s", o->err);
    free(o);
    return rc;
}

int cssf_radius_secrets_list(cssf_registry_t *r, cssf_radius_secret_info_t *out, size_t cap,
                             size_t *n, char *err, size_t err_cap) {
    op_t o = {.list = out, .cap = cap};
    int rc = cssf_regstore_run(r->store, do_list, &o);
    *n = o.n;
    if (rc < 0)
        snprintf(err, err_cap, "%s", o.err);
    return rc;
}

/* --- key rotation -------------------------------------------------------------- */

typedef struct reseal {
    const cssf_seal_key_t *old, *next;
    cssf_rng_t *rng;
    size_t count;
    char err[200];
} reseal_t;

/* One row: opened under old, sealed under next, written back. */
static int reseal_row(sqlite3 *db, reseal_t *rs, const char *name, const void *b, int n) {
    char context[CSSF_RADIUS_SECRET_NAME_MAX + 8];
    uint8_t pt[CSSF_RADIUS_SECRET_MAX], blob[BLOB_MAX];
    size_t len = 0, blen = 0;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    cssf_radius_secrets_context(name, context, sizeof(context));
    if (!b || n <= 0 || cssf_unseal(rs->old, b, (size_t)n, context, pt, sizeof(pt), &len) < 0) {
        snprintf(rs->err, sizeof(rs->err),
                 "RADIUS secret '%.64s': its sealed value does not open under the current key",
                 name);
        goto out;
    }
    if (cssf_seal(rs->next, rs->rng, pt, len, context, blob, sizeof(blob), &blen) < 0 ||
        sqlite3_prepare_v2(db, "UPDATE cssf_radius_secrets SET sealed=?, key_id=? WHERE name=?", -1,
                           &st, NULL) != SQLITE_OK) {
        snprintf(rs->err, sizeof(rs->err), "RADIUS secret '%.64s': cannot re-seal it", name);
        goto out;
    }
    sqlite3_bind_blob(st, 1, blob, (int)blen, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rs->next->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(rs->err, sizeof(rs->err), "RADIUS secret '%.64s': %s", name, sqlite3_errmsg(db));
        goto out;
    }
    rs->count++;
    rc = 0;
out:
    sqlite3_finalize(st);
    mbedtls_platform_zeroize(pt, sizeof(pt));
    mbedtls_platform_zeroize(blob, sizeof(blob));
    return rc;
}

typedef struct row {
    char name[CSSF_RADIUS_SECRET_NAME_MAX];
    uint8_t blob[BLOB_MAX];
    int len;
} row_t;

/* Reads every row first (no table changes while a SELECT steps over it),
 * then re-seals them one by one. */
static int do_reseal(sqlite3 *db, void *arg) {
    reseal_t *rs = arg;
    sqlite3_stmt *st = NULL;
    row_t *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = -1, step;
    if (sqlite3_prepare_v2(db, "SELECT name, sealed FROM cssf_radius_secrets ORDER BY name", -1,
                           &st, NULL) != SQLITE_OK) {
        snprintf(rs->err, sizeof(rs->err), "registry store: %s", sqlite3_errmsg(db));
        return -1;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            row_t *grown = realloc(rows, ncap * sizeof(*rows));
            if (!grown) {
                snprintf(rs->err, sizeof(rs->err), "out of memory");
                goto out;
            }
            rows = grown;
            cap = ncap;
        }
        row_t *w = &rows[n++];
        int len = sqlite3_column_bytes(st, 1);
        const void *b = sqlite3_column_blob(st, 1);
        snprintf(w->name, sizeof(w->name), "%s", (const char *)sqlite3_column_text(st, 0));
        w->len = b && len > 0 && (size_t)len <= sizeof(w->blob) ? len : 0;
        if (w->len)
            memcpy(w->blob, b, (size_t)len);
    }
    if (step != SQLITE_DONE) {
        snprintf(rs->err, sizeof(rs->err), "registry store: %s", sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    for (size_t i = 0; i < n; i++)
        if (reseal_row(db, rs, rows[i].name, rows[i].len ? rows[i].blob : NULL, rows[i].len) < 0)
            goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    if (rows)
        mbedtls_platform_zeroize(rows, cap * sizeof(*rows));
    free(rows);
    return rc;
}

int cssf_radius_secrets_reseal(cssf_regstore_t *s, const cssf_seal_key_t *old,
                               const cssf_seal_key_t *next, cssf_rng_t *rng, size_t *count,
                               char *err, size_t err_cap) {
    reseal_t rs = {.old = old, .next = next, .rng = rng};
    int rc = cssf_regstore_run(s, do_reseal, &rs);
    *count = rs.count;
    if (rc < 0)
        snprintf(err, err_cap, "%s", rs.err);
    return rc;
}
