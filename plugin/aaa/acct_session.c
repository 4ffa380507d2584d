/* Accounting sessions: a small table keyed by the CSE's session id. */
#include "plugin/aaa/acct_session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/aaa/acct_usage.h"

typedef struct session {
    uint64_t sid; /* 0 = free slot */
    char acct_id[40];
    char user[254];
    char calling[64];
    uint64_t start_s, last_report_s;
    cssf_acct_usage_t use;
} session_t;

struct cssf_acct_sessions {
    pthread_mutex_t lock;
    char tag[17];
    unsigned interim_s;
    size_t max, open;
    size_t mask; /* slots: a power of two, at least twice max */
    session_t *slots;
    cssf_acct_emit_fn emit;
    void *ctx;
};

cssf_acct_sessions_t *cssf_acct_sessions_create(const char *tag, unsigned interim_s, size_t max,
                                                cssf_acct_emit_fn emit, void *ctx) {
    if (!emit || max == 0)
        return NULL;
    cssf_acct_sessions_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    size_t cap = 16;
    while (cap < 2 * max)
        cap <<= 1;
    t->slots = calloc(cap, sizeof *t->slots);
    t->mask = cap - 1;
    if (!t->slots) {
        free(t);
        return NULL;
    }
    snprintf(t->tag, sizeof t->tag, "%s", tag ? tag : "");
    t->interim_s = interim_s;
    t->max = max;
    t->emit = emit;
    t->ctx = ctx;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

/* Open addressing with linear probing; sids may be sequential, so mix. */
static size_t home(const cssf_acct_sessions_t *t, uint64_t sid) {
    sid ^= sid >> 33;
    sid *= 0xff51afd7ed558ccdull;
    sid ^= sid >> 33;
    return (size_t)sid & t->mask;
}

/* The slot holding sid, or (when absent) the empty slot where it goes. */
static session_t *slot_for(cssf_acct_sessions_t *t, uint64_t sid) {
    size_t i = home(t, sid);
    while (t->slots[i].sid && t->slots[i].sid != sid)
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

static session_t *find(cssf_acct_sessions_t *t, uint64_t sid) {
    session_t *s = slot_for(t, sid);
    return s->sid ? s : NULL;
}

/* Frees slot s and shifts later entries of its run back, so probing never
 * meets a hole before a key's slot (no tombstones needed). */
static void remove_slot(cssf_acct_sessions_t *t, session_t *s) {
    size_t i = (size_t)(s - t->slots), j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        if (!t->slots[j].sid)
            break;
        size_t k = home(t, t->slots[j].sid);
        /* Move j to i unless its home lies cyclically in (i, j]. */
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    memset(&t->slots[i], 0, sizeof t->slots[i]);
    t->open--;
}

static void emit(cssf_acct_sessions_t *t, session_t *s, int type, uint32_t cause, uint64_t now_s) {
    cssf_radius_acct_t r = {.status_type = type,
                            .session_id = s->acct_id,
                            .user_name = s->user[0] ? s->user : NULL,
                            .calling_station_id = s->calling[0] ? s->calling : NULL};
    cssf_acct_usage_fill(&r, type, &s->use, now_s > s->start_s ? now_s - s->start_s : 0, cause);
    s->last_report_s = now_s;
    t->emit(t->ctx, &r);
}

int cssf_acct_sessions_start(cssf_acct_sessions_t *t, uint64_t sid, const char *user,
                             const char *calling, uint64_t now_s) {
    int rc = -1;
    if (sid == 0)
        return -1;
    pthread_mutex_lock(&t->lock);
    session_t *s = slot_for(t, sid);
    if (s->sid || t->open >= t->max)
        goto out;
    memset(s, 0, sizeof *s);
    s->sid = sid;
    snprintf(s->acct_id, sizeof s->acct_id, "%s%s%016llx", t->tag, t->tag[0] ? "-" : "",
             (unsigned long long)sid);
    snprintf(s->user, sizeof s->user, "%s", user ? user : "");
    snprintf(s->calling, sizeof s->calling, "%s", calling ? calling : "");
    s->start_s = now_s;
    t->open++;
    emit(t, s, CSSF_RADIUS_ACCT_START, 0, now_s);
    rc = 0;
out:
    pthread_mutex_unlock(&t->lock);
    return rc;
}

void cssf_acct_sessions_traffic(cssf_acct_sessions_t *t, uint64_t sid, uint64_t bytes_in,
                                uint64_t bytes_out) {
    if (sid == 0)
        return;
    pthread_mutex_lock(&t->lock);
    session_t *s = find(t, sid);
    if (s) {
        cssf_acct_usage_add(&s->use, bytes_in, bytes_out);
    }
    pthread_mutex_unlock(&t->lock);
}

void cssf_acct_sessions_stop(cssf_acct_sessions_t *t, uint64_t sid, uint32_t cause,
                             uint64_t now_s) {
    if (sid == 0)
        return;
    pthread_mutex_lock(&t->lock);
    session_t *s = find(t, sid);
    if (s) {
        emit(t, s, CSSF_RADIUS_ACCT_STOP, cause, now_s);
        remove_slot(t, s);
    }
    pthread_mutex_unlock(&t->lock);
}

size_t cssf_acct_sessions_tick(cssf_acct_sessions_t *t, uint64_t now_s) {
    size_t n = 0;
    if (t->interim_s == 0)
        return 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i <= t->mask; i++) {
        session_t *s = &t->slots[i];
        if (s->sid && now_s >= s->last_report_s + t->interim_s) {
            emit(t, s, CSSF_RADIUS_ACCT_INTERIM, 0, now_s);
            n++;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

size_t cssf_acct_sessions_open(cssf_acct_sessions_t *t) {
    pthread_mutex_lock(&t->lock);
    size_t n = t->open;
    pthread_mutex_unlock(&t->lock);
    return n;
}

void cssf_acct_sessions_destroy(cssf_acct_sessions_t *t, uint64_t now_s) {
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i <= t->mask; i++)
        if (t->slots[i].sid)
            emit(t, &t->slots[i], CSSF_RADIUS_ACCT_STOP, CSSF_ACCT_CAUSE_NAS_REBOOT, now_s);
    pthread_mutex_unlock(&t->lock);
    pthread_mutex_destroy(&t->lock);
    free(t->slots);
    free(t);
}
