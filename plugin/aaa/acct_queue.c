/* Durable accounting queue: memory hand-over, SQLite file, one sender. */
#include "plugin/aaa/acct_queue.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cse/host.h"
#include "plugin/aaa/radius_packet.h"
#include "plugin/data/sqlite_open.h"

#define DEFAULT_MAX 100000u
#define DEFAULT_RETRY_MIN_MS 1000u
#define DEFAULT_RETRY_MAX_MS 60000u
#define DEFAULT_WINDOW 64u
#define LOOKAHEAD 4u /* rows read per window slot, to find records of other sessions */

/* A record handed over and not yet written: owns its strings. */
typedef struct mrec {
    struct mrec *next;
    int64_t enqueued_ms; /* wall clock, survives restarts */
    cssf_radius_acct_t rec;
    char *session_id, *user_name, *calling_station_id;
    uint8_t *class_attr;
} mrec_t;

/* A record read back from the file. */
typedef struct drec {
    int64_t id, enqueued_ms;
    cssf_radius_acct_t rec;
    char session_id[254], user_name[254], calling[254];
    uint8_t class_attr[253];
} drec_t;

struct cssf_acct_queue {
    cssf_radius_client_t *client;
    sqlite3 *db;
    size_t max_records;
    unsigned retry_min_ms, retry_max_ms;
    size_t window;
    /* the sender's window (sender thread only) */
    drec_t *win;
    const cssf_radius_acct_t **win_recs;
    cssf_radius_result_t *win_results;
    int64_t *win_ids;
    uint64_t *seen; /* session hashes of one read, open addressing */
    pthread_mutex_t lock;
    pthread_cond_t wake;                  /* to the sender: records, flush, stop */
    pthread_cond_t drained;               /* to flush: a record left */
    mrec_t *head, *tail;                  /* handed over, not yet written */
    uint64_t in_memory, writing, on_disk; /* pending = their sum */
    uint64_t sent, refused, discarded, failures;
    uint64_t retry_at; /* monotonic ms; 0 = now */
    unsigned backoff_ms;
    int stopping;
    pthread_t sender;
};

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mrec_free(mrec_t *m) {
    free(m->session_id);
    free(m->user_name);
    free(m->calling_station_id);
    free(m->class_attr);
    free(m);
}

static char *dup_opt(const char *s, int *fail) {
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = 1;
    return d;
}

static uint64_t pending_locked(const cssf_acct_queue_t *q) {
    return q->in_memory + q->writing + q->on_disk;
}

/* ---- file ---- */

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS cssf_acct_queue("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " enqueued_ms INTEGER NOT NULL, status_type INTEGER NOT NULL, session_id TEXT NOT NULL,"
    " user_name TEXT, calling_station_id TEXT, class BLOB, session_time INTEGER,"
    " input_octets INTEGER, output_octets INTEGER, input_packets INTEGER,"
    " output_packets INTEGER, terminate_cause INTEGER, delay_time INTEGER)";

static int db_open(cssf_acct_queue_t *q, const char *path, char *err, size_t cap) {
    /* Mode 0600, never readable by others: it holds user names and
     * session data. */
    if (cssf_sqlite_open(path, SCHEMA, 0600, "accounting queue", &q->db, err, cap) < 0)
        return -1;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(q->db, "SELECT count(*) FROM cssf_acct_queue", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        q->on_disk = (uint64_t)sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        snprintf(err, cap, "accounting queue %s: %s", path, sqlite3_errmsg(q->db));
    }
    sqlite3_finalize(st);
    return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Writes the chain in one transaction. Returns 0, or -1 (nothing written). */
static int db_write(cssf_acct_queue_t *q, const mrec_t *chain) {
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(q->db,
                           "INSERT INTO cssf_acct_queue(enqueued_ms, status_type, session_id,"
                           " user_name, calling_station_id, class, session_time, input_octets,"
                           " output_octets, input_packets, output_packets, terminate_cause,"
                           " delay_time) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    for (const mrec_t *m = chain; m; m = m->next) {
        const cssf_radius_acct_t *r = &m->rec;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, m->enqueued_ms);
        sqlite3_bind_int(st, 2, r->status_type);
        bind_text(st, 3, r->session_id);
        bind_text(st, 4, r->user_name);
        bind_text(st, 5, r->calling_station_id);
        if (r->class_len)
            sqlite3_bind_blob(st, 6, r->class_attr, (int)r->class_len, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_int64(st, 7, r->session_time);
        sqlite3_bind_int64(st, 8, (int64_t)r->input_octets);
        sqlite3_bind_int64(st, 9, (int64_t)r->output_octets);
        sqlite3_bind_int64(st, 10, r->input_packets);
        sqlite3_bind_int64(st, 11, r->output_packets);
        sqlite3_bind_int64(st, 12, r->terminate_cause);
        sqlite3_bind_int64(st, 13, r->delay_time);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
    sqlite3_finalize(st);
    if (rc != 0) {
        cse_log(CSE_LOG_ERROR, "radius accounting queue write failed: %s", sqlite3_errmsg(q->db));
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

static void copy_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap, const char **out) {
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t) {
        *out = NULL;
        return;
    }
    snprintf(dst, cap, "%s", (const char *)t);
    *out = dst;
}

static uint64_t session_hash(const unsigned char *t) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *t; t++)
        h = (h ^ *t) * 1099511628211ull;
    return h ? h : 1;
}

/* Adds h to the set of sessions seen in this read. Returns 1 if it was
 * new. A collision only defers a record to the next window. */
static int seen_add(uint64_t *set, size_t cap, uint64_t h) {
    for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (set[i] == h)
            return 0;
        if (!set[i]) {
            set[i] = h;
            return 1;
        }
    }
}

static void row_to_drec(sqlite3_stmt *st, drec_t *d) {
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    d->enqueued_ms = sqlite3_column_int64(st, 1);
    d->rec.status_type = sqlite3_column_int(st, 2);
    copy_col_text(st, 3, d->session_id, sizeof d->session_id, &d->rec.session_id);
    copy_col_text(st, 4, d->user_name, sizeof d->user_name, &d->rec.user_name);
    copy_col_text(st, 5, d->calling, sizeof d->calling, &d->rec.calling_station_id);
    int blen = sqlite3_column_bytes(st, 6);
    if (blen > 0 && (size_t)blen <= sizeof d->class_attr) {
        memcpy(d->class_attr, sqlite3_column_blob(st, 6), (size_t)blen);
        d->rec.class_attr = d->class_attr;
        d->rec.class_len = (size_t)blen;
    }
    d->rec.session_time = (uint32_t)sqlite3_column_int64(st, 7);
    d->rec.input_octets = (uint64_t)sqlite3_column_int64(st, 8);
    d->rec.output_octets = (uint64_t)sqlite3_column_int64(st, 9);
    d->rec.input_packets = (uint32_t)sqlite3_column_int64(st, 10);
    d->rec.output_packets = (uint32_t)sqlite3_column_int64(st, 11);
    d->rec.terminate_cause = (uint32_t)sqlite3_column_int64(st, 12);
    d->rec.delay_time = (uint32_t)sqlite3_column_int64(st, 13);
}

/*
 * Reads the next window into q->win: from the oldest records, at most
 * max, each the oldest of its session (a later record of a session never
 * travels with, or before, an earlier one). Returns how many, -1 on error.
 */
static int db_window(cssf_acct_queue_t *q, size_t max) {
    sqlite3_stmt *st = NULL;
    int n = -1;
    size_t set_cap = 2 * LOOKAHEAD * CSSF_RADIUS_ACCT_WINDOW_MAX;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT id, enqueued_ms, status_type, session_id, user_name,"
                           " calling_station_id, class, session_time, input_octets,"
                           " output_octets, input_packets, output_packets, terminate_cause,"
                           " delay_time FROM cssf_acct_queue ORDER BY id LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(st, 1, (int64_t)(max * LOOKAHEAD));
    memset(q->seen, 0, set_cap * sizeof *q->seen);
    n = 0;
    int step;
    while ((size_t)n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *sid = sqlite3_column_text(st, 3);
        if (!seen_add(q->seen, set_cap, session_hash(sid ? sid : (const unsigned char *)"")))
            continue;
        row_to_drec(st, &q->win[n++]);
    }
    if ((size_t)n < max && step != SQLITE_DONE)
        n = -1;
out:
    if (n < 0)
        cse_log(CSE_LOG_ERROR, "radius accounting queue read failed: %s", sqlite3_errmsg(q->db));
    sqlite3_finalize(st);
    return n;
}

/* Deletes the n records in one transaction. Returns 0, or -1 (none). */
static int db_delete(cssf_acct_queue_t *q, const int64_t *ids, size_t n) {
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(q->db, "DELETE FROM cssf_acct_queue WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
    sqlite3_finalize(st);
    if (rc != 0) {
        cse_log(CSE_LOG_ERROR, "radius accounting queue delete failed: %s", sqlite3_errmsg(q->db));
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

/* ---- sender ---- */

/* Moves handed-over records to the file. Called with q->lock held; drops
 * it during the write. On failure the records go back to the front. */
static void persist_locked(cssf_acct_queue_t *q) {
    mrec_t *chain = q->head;
    uint64_t n = q->in_memory;
    q->head = q->tail = NULL;
    q->in_memory = 0;
    q->writing = n;
    pthread_mutex_unlock(&q->lock);
    int ok = db_write(q, chain) == 0;
    pthread_mutex_lock(&q->lock);
    q->writing = 0;
    if (ok) {
        q->on_disk += n;
        while (chain) {
            mrec_t *next = chain->next;
            mrec_free(chain);
            chain = next;
        }
        return;
    }
    /* Put them back in front of anything pushed meanwhile. */
    mrec_t *last = chain;
    while (last->next)
        last = last->next;
    last->next = q->head;
    if (!q->head)
        q->tail = last;
    q->head = chain;
    q->in_memory += n;
}

static void wait_until(cssf_acct_queue_t *q, uint64_t when_ms) {
    struct timespec ts = {.tv_sec = (time_t)(when_ms / 1000u),
                          .tv_nsec = (long)(when_ms % 1000u) * 1000000L};
    pthread_cond_timedwait(&q->wake, &q->lock, &ts);
}

/*
 * Sends the next window and deletes what was acknowledged, in one
 * transaction. While backing off after a failure the window is the oldest
 * record alone: the rest wait behind it until the servers answer again.
 * Called without the lock.
 */
static void send_window(cssf_acct_queue_t *q) {
    pthread_mutex_lock(&q->lock);
    size_t max = q->backoff_ms ? 1 : q->window;
    pthread_mutex_unlock(&q->lock);
    int n = db_window(q, max);
    if (n <= 0) {
        pthread_mutex_lock(&q->lock);
        if (n == 0)
            q->on_disk = 0; /* the count drifted: trust the file */
        else
            q->retry_at = mono_ms() + q->retry_min_ms;
        pthread_mutex_unlock(&q->lock);
        return;
    }
    int64_t now = wall_ms();
    size_t n_send = 0, n_del = 0, n_acked = 0, n_discarded = 0;
    for (int i = 0; i < n; i++) {
        drec_t *d = &q->win[i];
        int64_t late_s = (now - d->enqueued_ms) / 1000;
        if (late_s > 0)
            d->rec.delay_time += (uint32_t)(late_s > UINT32_MAX ? UINT32_MAX : late_s);
        if (!cssf_radius_acct_valid(&d->rec)) {
            /* A damaged row never encodes: keeping it would block the queue. */
            cse_log(CSE_LOG_ERROR, "radius accounting record discarded id=%lld", (long long)d->id);
            q->win_ids[n_del++] = d->id;
            n_discarded++;
            continue;
        }
        q->win_recs[n_send++] = &d->rec;
    }
    char reason[CSSF_RADIUS_REASON_MAX] = "";
    cssf_radius_result_t first_fail = CSSF_RADIUS_ACCEPT;
    if (n_send && cssf_radius_account_many(q->client, q->win_recs, n_send, q->win_results, reason,
                                           sizeof reason) < 0)
        for (size_t j = 0; j < n_send; j++)
            q->win_results[j] = CSSF_RADIUS_ERROR;
    for (size_t j = 0, i = 0; j < n_send; j++) {
        /* win_recs[j] is the j-th valid record of the window. */
        while (&q->win[i].rec != q->win_recs[j])
            i++;
        if (q->win_results[j] == CSSF_RADIUS_ACCEPT) {
            q->win_ids[n_del++] = q->win[i].id;
            n_acked++;
        } else if (first_fail == CSSF_RADIUS_ACCEPT) {
            first_fail = q->win_results[j];
        }
    }
    size_t n_failed = n_send - n_acked;
    if (n_del && db_delete(q, q->win_ids, n_del) != 0) {
        /* Acknowledged but still in the file: sent again later (a
         * duplicate the server tolerates), never lost. */
        n_failed += n_del;
        n_acked = n_discarded = n_del = 0;
        first_fail = CSSF_RADIUS_ERROR;
        snprintf(reason, sizeof reason, "queue file write failed");
    }
    pthread_mutex_lock(&q->lock);
    if (n_del) {
        q->on_disk -= q->on_disk >= n_del ? n_del : q->on_disk;
        q->sent += n_acked;
        q->discarded += n_discarded;
        pthread_cond_broadcast(&q->drained);
    }
    if (!n_failed) {
        if (q->backoff_ms)
            cse_log(CSE_LOG_INFO, "radius accounting resumed pending=%llu",
                    (unsigned long long)pending_locked(q));
        q->backoff_ms = 0;
    } else {
        q->failures += n_failed;
        if (!q->backoff_ms)
            cse_log(CSE_LOG_WARN,
                    "radius accounting delayed result=%s reason=\"%s\" failed=%zu pending=%llu",
                    cssf_radius_result_name(first_fail), reason, n_failed,
                    (unsigned long long)pending_locked(q));
        q->backoff_ms = q->backoff_ms ? q->backoff_ms * 2 : q->retry_min_ms;
        if (q->backoff_ms > q->retry_max_ms)
            q->backoff_ms = q->retry_max_ms;
        q->retry_at = mono_ms() + q->backoff_ms;
    }
    pthread_mutex_unlock(&q->lock);
}

static void *sender_main(void *arg) {
    cssf_acct_queue_t *q = arg;
    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        if (q->head) {
            persist_locked(q);
            if (q->head) /* the write failed: try again later */
                wait_until(q, mono_ms() + q->retry_min_ms);
            continue;
        }
        if (!q->on_disk) {
            pthread_cond_wait(&q->wake, &q->lock);
            continue;
        }
        if (q->retry_at > mono_ms()) {
            wait_until(q, q->retry_at);
            continue;
        }
        pthread_mutex_unlock(&q->lock);
        send_window(q);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* ---- API ---- */

static void window_free(cssf_acct_queue_t *q) {
    free(q->win);
    free(q->win_recs);
    free(q->win_results);
    free(q->win_ids);
    free(q->seen);
}

int cssf_acct_queue_open(const cssf_acct_queue_config_t *cfg, cssf_radius_client_t *client,
                         cssf_acct_queue_t **out, char *err, size_t err_cap) {
    *out = NULL;
    if (!cfg || !cfg->path || !cfg->path[0] || !client) {
        snprintf(err, err_cap, "accounting queue needs a file and a RADIUS client");
        return -1;
    }
    cssf_acct_queue_t *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    q->client = client;
    q->max_records = cfg->max_records ? cfg->max_records : DEFAULT_MAX;
    q->retry_min_ms = cfg->retry_min_ms ? cfg->retry_min_ms : DEFAULT_RETRY_MIN_MS;
    q->retry_max_ms = cfg->retry_max_ms ? cfg->retry_max_ms : DEFAULT_RETRY_MAX_MS;
    if (q->retry_max_ms < q->retry_min_ms)
        q->retry_max_ms = q->retry_min_ms;
    q->window = cfg->window ? cfg->window : DEFAULT_WINDOW;
    if (q->window > CSSF_RADIUS_ACCT_WINDOW_MAX)
        q->window = CSSF_RADIUS_ACCT_WINDOW_MAX;
    q->win = calloc(q->window, sizeof *q->win);
    q->win_recs = calloc(q->window, sizeof *q->win_recs);
    q->win_results = calloc(q->window, sizeof *q->win_results);
    q->win_ids = calloc(q->window, sizeof *q->win_ids);
    q->seen = calloc(2 * LOOKAHEAD * CSSF_RADIUS_ACCT_WINDOW_MAX, sizeof *q->seen);
    if (!q->win || !q->win_recs || !q->win_results || !q->win_ids || !q->seen) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    if (db_open(q, cfg->path, err, err_cap) != 0)
        goto fail;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, &ca);
    pthread_cond_init(&q->drained, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&q->sender, NULL, sender_main, q) != 0) {
        snprintf(err, err_cap, "cannot start the accounting sender");
        pthread_cond_destroy(&q->drained);
        pthread_cond_destroy(&q->wake);
        pthread_mutex_destroy(&q->lock);
        goto fail;
    }
    if (q->on_disk)
        cse_log(CSE_LOG_INFO, "radius accounting queue resumed pending=%llu",
                (unsigned long long)q->on_disk);
    *out = q;
    return 0;
fail:
    sqlite3_close(q->db);
    window_free(q);
    free(q);
    return -1;
}

int cssf_acct_queue_push(cssf_acct_queue_t *q, const cssf_radius_acct_t *rec) {
    if (!q || !cssf_radius_acct_valid(rec)) {
        if (q) {
            pthread_mutex_lock(&q->lock);
            q->refused++;
            pthread_mutex_unlock(&q->lock);
        }
        return -1;
    }
    int fail = 0;
    mrec_t *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    m->rec = *rec;
    m->enqueued_ms = wall_ms();
    m->rec.session_id = m->session_id = dup_opt(rec->session_id, &fail);
    m->rec.user_name = m->user_name = dup_opt(rec->user_name, &fail);
    m->rec.calling_station_id = m->calling_station_id = dup_opt(rec->calling_station_id, &fail);
    if (rec->class_len) {
        m->class_attr = malloc(rec->class_len);
        if (m->class_attr)
            memcpy(m->class_attr, rec->class_attr, rec->class_len);
        else
            fail = 1;
    }
    m->rec.class_attr = m->class_attr;
    pthread_mutex_lock(&q->lock);
    uint64_t refused = 0;
    if (fail || pending_locked(q) >= q->max_records) {
        refused = ++q->refused;
    } else {
        if (q->tail)
            q->tail->next = m;
        else
            q->head = m;
        q->tail = m;
        q->in_memory++;
        pthread_cond_signal(&q->wake);
    }
    pthread_mutex_unlock(&q->lock);
    if (refused) {
        /* One line for the first refusal and then every 1000th. */
        if (refused % 1000 == 1)
            cse_log(CSE_LOG_ERROR, "radius accounting queue full refused=%llu max=%zu",
                    (unsigned long long)refused, q->max_records);
        mrec_free(m);
        return -1;
    }
    return 0;
}

int cssf_acct_queue_flush(cssf_acct_queue_t *q, unsigned timeout_ms) {
    uint64_t deadline = mono_ms() + timeout_ms;
    pthread_mutex_lock(&q->lock);
    q->retry_at = 0;
    q->backoff_ms = 0;
    pthread_cond_signal(&q->wake);
    while (pending_locked(q) > 0) {
        uint64_t now = mono_ms();
        if (now >= deadline)
            break;
        struct timespec ts = {.tv_sec = (time_t)(deadline / 1000u),
                              .tv_nsec = (long)(deadline % 1000u) * 1000000L};
        pthread_cond_timedwait(&q->drained, &q->lock, &ts);
    }
    int rc = pending_locked(q) == 0 ? 0 : -1;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void cssf_acct_queue_get_stats(cssf_acct_queue_t *q, cssf_acct_queue_stats_t *out) {
    pthread_mutex_lock(&q->lock);
    out->pending = pending_locked(q);
    out->sent = q->sent;
    out->refused = q->refused;
    out->discarded = q->discarded;
    out->failures = q->failures;
    pthread_mutex_unlock(&q->lock);
}

void cssf_acct_queue_close(cssf_acct_queue_t *q) {
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = 1;
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->sender, NULL);
    if (q->head && db_write(q, q->head) != 0)
        cse_log(CSE_LOG_ERROR, "radius accounting records lost at close count=%llu",
                (unsigned long long)q->in_memory);
    while (q->head) {
        mrec_t *next = q->head->next;
        mrec_free(q->head);
        q->head = next;
    }
    sqlite3_close(q->db);
    pthread_cond_destroy(&q->drained);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    window_free(q);
    free(q);
}
