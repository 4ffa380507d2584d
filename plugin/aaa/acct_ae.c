/* AE registration accounting: a table keyed by AE-ID, mirrored to SQLite. */
#include "plugin/aaa/acct_ae.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cse/host.h"
#include "plugin/aaa/acct_usage.h"
#include "plugin/aaa/radius_crypto.h"
#include "plugin/data/sqlite_open.h"

#define DEFAULT_MAX 65536u
#define WRITE_RETRY_MS 1000u

typedef struct ae_sess {
    struct ae_sess *next; /* hash chain */
    char aei[CSSF_ACCT_AE_ID_MAX + 1];
    char acct_id[40];
    char user[254];
    int64_t start_s, last_report_s;
    cssf_acct_usage_t use;
} ae_sess_t;

/* A change for the file: a row to write (a snapshot), or one to delete. */
typedef struct wop {
    struct wop *next;
    int del;
    ae_sess_t row;
} wop_t;

struct cssf_acct_ae {
    pthread_mutex_t lock; /* the table; taken before wlock, never after */
    ae_sess_t **buckets;
    size_t mask, open, max;
    unsigned interim_s;
    cssf_acct_emit_fn emit;
    void *ctx;
    sqlite3 *db;
    pthread_mutex_t wlock; /* the writer's list */
    pthread_cond_t wake, written;
    wop_t *head, *tail;
    int writing, stopping;
    pthread_t writer;
};

/* FNV-1a: AE-IDs share long prefixes, so every byte counts. */
static size_t bucket_of(const cssf_acct_ae_t *t, const char *aei) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)aei; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return (size_t)(h ^ h >> 32) & t->mask;
}

static ae_sess_t **link_of(cssf_acct_ae_t *t, const char *aei) {
    ae_sess_t **l = &t->buckets[bucket_of(t, aei)];
    while (*l && strcmp((*l)->aei, aei) != 0)
        l = &(*l)->next;
    return l;
}

/* ---- file ---- */

static const char SCHEMA[] = "CREATE TABLE IF NOT EXISTS cssf_acct_ae("
                             " aei TEXT PRIMARY KEY, session_id TEXT NOT NULL, user_name TEXT,"
                             " start_s INTEGER NOT NULL, last_report_s INTEGER NOT NULL,"
                             " input_octets INTEGER, output_octets INTEGER,"
                             " input_packets INTEGER, output_packets INTEGER)";

static int db_write(cssf_acct_ae_t *t, const wop_t *chain) {
    sqlite3_stmt *up = NULL, *del = NULL;
    int rc = -1;
    if (sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(t->db,
                           "INSERT OR REPLACE INTO cssf_acct_ae(aei, session_id, user_name,"
                           " start_s, last_report_s, input_octets, output_octets, input_packets,"
                           " output_packets) VALUES(?,?,?,?,?,?,?,?,?)",
                           -1, &up, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(t->db, "DELETE FROM cssf_acct_ae WHERE aei = ?", -1, &del, NULL) !=
            SQLITE_OK)
        goto out;
    for (const wop_t *w = chain; w; w = w->next) {
        const ae_sess_t *s = &w->row;
        sqlite3_stmt *st = w->del ? del : up;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, s->aei, -1, SQLITE_STATIC);
        if (!w->del) {
            sqlite3_bind_text(st, 2, s->acct_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, s->user, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, s->start_s);
            sqlite3_bind_int64(st, 5, s->last_report_s);
            sqlite3_bind_int64(st, 6, (int64_t)s->use.in_octets);
            sqlite3_bind_int64(st, 7, (int64_t)s->use.out_octets);
            sqlite3_bind_int64(st, 8, s->use.in_packets);
            sqlite3_bind_int64(st, 9, s->use.out_packets);
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    rc = sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
    sqlite3_finalize(up);
    sqlite3_finalize(del);
    if (rc != 0) {
        cse_log(CSE_LOG_ERROR, "radius accounting of AEs: write failed: %s", sqlite3_errmsg(t->db));
        sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

static void wop_free_chain(wop_t *w) {
    while (w) {
        wop_t *next = w->next;
        free(w);
        w = next;
    }
}

static void *writer_main(void *arg) {
    cssf_acct_ae_t *t = arg;
    pthread_mutex_lock(&t->wlock);
    for (;;) {
        if (t->head) {
            wop_t *chain = t->head;
            t->head = t->tail = NULL;
            t->writing = 1;
            pthread_mutex_unlock(&t->wlock);
            int ok = db_write(t, chain) == 0;
            pthread_mutex_lock(&t->wlock);
            t->writing = 0;
            if (ok || t->stopping) {
                /* At close a failing file gets no more attempts: the rows
                 * of open sessions then keep their last written state. */
                wop_free_chain(chain);
            } else {
                wop_t *last = chain;
                while (last->next)
                    last = last->next;
                last->next = t->head;
                if (!t->head)
                    t->tail = last;
                t->head = chain;
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += WRITE_RETRY_MS / 1000u;
                pthread_cond_timedwait(&t->wake, &t->wlock, &ts);
                continue;
            }
            pthread_cond_broadcast(&t->written);
            continue;
        }
        if (t->stopping)
            break;
        pthread_cond_wait(&t->wake, &t->wlock);
    }
    pthread_mutex_unlock(&t->wlock);
    return NULL;
}

/* Queues a snapshot of s (or its deletion) for the file. Called with the
 * table's lock held, so the file sees changes in the table's order. */
static void persist(cssf_acct_ae_t *t, const ae_sess_t *s, int del) {
    wop_t *w = malloc(sizeof *w);
    if (!w) {
        cse_log(CSE_LOG_ERROR, "radius accounting of AEs: out of memory, %s not written", s->aei);
        return;
    }
    w->next = NULL;
    w->del = del;
    w->row = *s;
    w->row.next = NULL;
    pthread_mutex_lock(&t->wlock);
    if (t->tail)
        t->tail->next = w;
    else
        t->head = w;
    t->tail = w;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->wlock);
}

static void copy_text(sqlite3_stmt *st, int col, char *dst, size_t cap) {
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", v ? (const char *)v : "");
}

/* Loads the rows a previous run left: those sessions continue. */
static int db_load(cssf_acct_ae_t *t) {
    sqlite3_stmt *st = NULL;
    int rc = -1, step;
    if (sqlite3_prepare_v2(t->db,
                           "SELECT aei, session_id, user_name, start_s, last_report_s,"
                           " input_octets, output_octets, input_packets, output_packets"
                           " FROM cssf_acct_ae",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *aei = sqlite3_column_text(st, 0);
        if (!aei || !aei[0] || strlen((const char *)aei) > CSSF_ACCT_AE_ID_MAX || t->open >= t->max)
            continue;
        ae_sess_t **l = link_of(t, (const char *)aei);
        if (*l)
            continue;
        ae_sess_t *s = calloc(1, sizeof *s);
        if (!s)
            goto out;
        copy_text(st, 0, s->aei, sizeof s->aei);
        copy_text(st, 1, s->acct_id, sizeof s->acct_id);
        copy_text(st, 2, s->user, sizeof s->user);
        s->start_s = sqlite3_column_int64(st, 3);
        s->last_report_s = sqlite3_column_int64(st, 4);
        s->use.in_octets = (uint64_t)sqlite3_column_int64(st, 5);
        s->use.out_octets = (uint64_t)sqlite3_column_int64(st, 6);
        s->use.in_packets = (uint32_t)sqlite3_column_int64(st, 7);
        s->use.out_packets = (uint32_t)sqlite3_column_int64(st, 8);
        if (!s->acct_id[0]) {
            free(s);
            continue;
        }
        *l = s;
        t->open++;
    }
    rc = step == SQLITE_DONE ? 0 : -1;
out:
    sqlite3_finalize(st);
    return rc;
}

static int db_open(cssf_acct_ae_t *t, const char *path, char *err, size_t cap) {
    /* Mode 0600 when the queue has not created it yet: it holds user names. */
    if (cssf_sqlite_open(path, SCHEMA, 0600, "accounting of AEs", &t->db, err, cap) < 0)
        return -1;
    if (db_load(t) != 0) {
        snprintf(err, cap, "accounting of AEs %s: %s", path, sqlite3_errmsg(t->db));
        return -1;
    }
    return 0;
}

/* ---- records ---- */

static void emit(cssf_acct_ae_t *t, ae_sess_t *s, int type, uint32_t cause, int64_t now_s) {
    cssf_radius_acct_t r = {.status_type = type,
                            .session_id = s->acct_id,
                            .user_name = s->user[0] ? s->user : s->aei,
                            .calling_station_id = s->aei};
    cssf_acct_usage_fill(&r, type, &s->use, now_s > s->start_s ? (uint64_t)(now_s - s->start_s) : 0,
                         cause);
    s->last_report_s = now_s;
    t->emit(t->ctx, &r);
}

/* Emits Stop for the session at *l, unlinks and frees it. Lock held. */
static void stop_at(cssf_acct_ae_t *t, ae_sess_t **l, uint32_t cause, int64_t now_s) {
    ae_sess_t *s = *l;
    emit(t, s, CSSF_RADIUS_ACCT_STOP, cause, now_s);
    persist(t, s, 1);
    *l = s->next;
    t->open--;
    free(s);
}

static int valid_aei(const char *aei) {
    return aei && aei[0] && strlen(aei) <= CSSF_ACCT_AE_ID_MAX;
}

int cssf_acct_ae_start(cssf_acct_ae_t *t, const char *aei, const char *user, uint64_t bytes_in,
                       uint64_t bytes_out, int64_t now_s) {
    uint8_t rnd[8];
    if (!t || !valid_aei(aei) || cssf_radius_random(rnd, sizeof rnd) != 0)
        return -1;
    int rc = -1;
    pthread_mutex_lock(&t->lock);
    ae_sess_t **l = link_of(t, aei);
    if (*l) /* its end went unseen (accounting was off, or the file was lost) */
        stop_at(t, l, CSSF_ACCT_CAUSE_LOST_SERVICE, now_s);
    ae_sess_t *s = t->open < t->max ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        cse_log(CSE_LOG_ERROR, "radius accounting of AEs: AE %s not accounted (open=%zu max=%zu)",
                aei, t->open, t->max);
        goto out;
    }
    snprintf(s->aei, sizeof s->aei, "%s", aei);
    /* Random, not derived from the AE-ID: a re-registration is a new session. */
    snprintf(s->acct_id, sizeof s->acct_id, "ae-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    snprintf(s->user, sizeof s->user, "%s", user && user[0] ? user : aei);
    s->start_s = now_s;
    cssf_acct_usage_add(&s->use, bytes_in, bytes_out); /* the registration itself */
    *l = s;
    t->open++;
    emit(t, s, CSSF_RADIUS_ACCT_START, 0, now_s);
    persist(t, s, 0);
    rc = 0;
out:
    pthread_mutex_unlock(&t->lock);
    return rc;
}

void cssf_acct_ae_traffic(cssf_acct_ae_t *t, const char *originator, uint64_t bytes_in,
                          uint64_t bytes_out) {
    if (!t || !valid_aei(originator))
        return;
    pthread_mutex_lock(&t->lock);
    ae_sess_t *s = *link_of(t, originator);
    if (s) {
        cssf_acct_usage_add(&s->use, bytes_in, bytes_out);
    }
    pthread_mutex_unlock(&t->lock);
}

/* Stops aei's session if open (and, with acct_id, only if it is that one). */
static int stop_if(cssf_acct_ae_t *t, const char *aei, const char *acct_id, uint32_t cause,
                   int64_t now_s) {
    int rc = -1;
    pthread_mutex_lock(&t->lock);
    ae_sess_t **l = link_of(t, aei);
    if (*l && (!acct_id || strcmp((*l)->acct_id, acct_id) == 0)) {
        stop_at(t, l, cause, now_s);
        rc = 0;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int cssf_acct_ae_stop(cssf_acct_ae_t *t, const char *aei, uint32_t cause, int64_t now_s) {
    if (!t || !valid_aei(aei))
        return -1;
    return stop_if(t, aei, NULL, cause, now_s);
}

size_t cssf_acct_ae_tick(cssf_acct_ae_t *t, int64_t now_s) {
    size_t n = 0;
    if (!t || t->interim_s == 0)
        return 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i <= t->mask; i++)
        for (ae_sess_t *s = t->buckets[i]; s; s = s->next)
            if (now_s >= s->last_report_s + (int64_t)t->interim_s) {
                emit(t, s, CSSF_RADIUS_ACCT_INTERIM, 0, now_s);
                persist(t, s, 0);
                n++;
            }
    pthread_mutex_unlock(&t->lock);
    return n;
}

size_t cssf_acct_ae_reconcile(cssf_acct_ae_t *t, cssf_acct_ae_exists_fn exists, void *ctx,
                              uint32_t cause, int64_t now_s) {
    typedef struct {
        char aei[CSSF_ACCT_AE_ID_MAX + 1];
        char acct_id[40];
    } ae_key_t;
    size_t n = 0, stopped = 0;
    if (!t || !exists)
        return 0;
    pthread_mutex_lock(&t->lock);
    ae_key_t *keys = t->open ? malloc(t->open * sizeof *keys) : NULL;
    for (size_t i = 0; keys && i <= t->mask; i++)
        for (ae_sess_t *s = t->buckets[i]; s; s = s->next) {
            memcpy(keys[n].aei, s->aei, sizeof keys[n].aei);
            memcpy(keys[n].acct_id, s->acct_id, sizeof keys[n].acct_id);
            n++;
        }
    pthread_mutex_unlock(&t->lock);
    /* Asked without the lock: a lookup may take a while per AE. A session
     * replaced meanwhile keeps running (acct_id differs). */
    for (size_t i = 0; i < n; i++)
        if (!exists(ctx, keys[i].aei) &&
            stop_if(t, keys[i].aei, keys[i].acct_id, cause, now_s) == 0)
            stopped++;
    free(keys);
    return stopped;
}

size_t cssf_acct_ae_open_count(cssf_acct_ae_t *t) {
    pthread_mutex_lock(&t->lock);
    size_t n = t->open;
    pthread_mutex_unlock(&t->lock);
    return n;
}

int cssf_acct_ae_sync(cssf_acct_ae_t *t, unsigned timeout_ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)timeout_ms * 1000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    pthread_mutex_lock(&t->wlock);
    while ((t->head || t->writing) &&
           pthread_cond_timedwait(&t->written, &t->wlock, &ts) != ETIMEDOUT)
        ;
    int rc = t->head || t->writing ? -1 : 0;
    pthread_mutex_unlock(&t->wlock);
    return rc;
}

/* ---- lifetime ---- */

static void free_table(cssf_acct_ae_t *t) {
    for (size_t i = 0; t->buckets && i <= t->mask; i++)
        while (t->buckets[i]) {
            ae_sess_t *s = t->buckets[i];
            t->buckets[i] = s->next;
            free(s);
        }
    free(t->buckets);
}

int cssf_acct_ae_open(const cssf_acct_ae_config_t *cfg, cssf_acct_ae_t **out, char *err,
                      size_t err_cap) {
    *out = NULL;
    if (!cfg || !cfg->path || !cfg->path[0] || !cfg->emit) {
        snprintf(err, err_cap, "accounting of AEs needs a file and a record sink");
        return -1;
    }
    cssf_acct_ae_t *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    t->max = cfg->max ? cfg->max : DEFAULT_MAX;
    size_t nb = 64;
    while (nb < t->max / 2)
        nb <<= 1;
    t->buckets = calloc(nb, sizeof *t->buckets);
    t->mask = nb - 1;
    t->interim_s = cfg->interim_s;
    t->emit = cfg->emit;
    t->ctx = cfg->ctx;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->wlock, NULL);
    pthread_cond_init(&t->wake, &ca);
    pthread_cond_init(&t->written, &ca);
    pthread_condattr_destroy(&ca);
    if (!t->buckets) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    if (db_open(t, cfg->path, err, err_cap) != 0)
        goto fail;
    if (pthread_create(&t->writer, NULL, writer_main, t) != 0) {
        snprintf(err, err_cap, "cannot start the writer of AE accounting");
        goto fail;
    }
    if (t->open)
        cse_log(CSE_LOG_INFO, "radius accounting of AEs resumed open=%zu", t->open);
    *out = t;
    return 0;
fail:
    sqlite3_close(t->db);
    free_table(t);
    pthread_cond_destroy(&t->written);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->wlock);
    pthread_mutex_destroy(&t->lock);
    free(t);
    return -1;
}

void cssf_acct_ae_close(cssf_acct_ae_t *t, uint32_t stop_cause, int64_t now_s) {
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i <= t->mask; i++) {
        if (stop_cause) {
            while (t->buckets[i])
                stop_at(t, &t->buckets[i], stop_cause, now_s);
        } else {
            for (ae_sess_t *s = t->buckets[i]; s; s = s->next)
                persist(t, s, 0); /* counters since the last Interim-Update */
        }
    }
    pthread_mutex_unlock(&t->lock);
    pthread_mutex_lock(&t->wlock);
    t->stopping = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->wlock);
    pthread_join(t->writer, NULL); /* writes everything queued first */
    sqlite3_close(t->db);
    free_table(t);
    pthread_cond_destroy(&t->written);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->wlock);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
