/* Open sessions per association identity (see registry_sessions.h). */
#include "plugin/data/registry_sessions.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    uint64_t sid;
    char *identity;
} entry_t;

struct cssf_sessions {
    pthread_mutex_t lock;
    entry_t *v;
    size_t n, cap;
};

cssf_sessions_t *cssf_sessions_create(void) {
    cssf_sessions_t *s = calloc(1, sizeof(*s));
    if (s)
        pthread_mutex_init(&s->lock, NULL);
    return s;
}

void cssf_sessions_destroy(cssf_sessions_t *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].identity);
    free(s->v);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void cssf_sessions_start(cssf_sessions_t *s, uint64_t sid, const char *identity) {
    if (!s || !sid || !identity || !*identity)
        return;
    char *copy = strdup(identity);
    pthread_mutex_lock(&s->lock);
    if (copy && s->n == s->cap && s->cap < CSSF_SESSIONS_MAX) {
        size_t ncap = s->cap ? 2 * s->cap : 64;
        entry_t *grown = realloc(s->v, ncap * sizeof(*grown));
        if (grown) {
            s->v = grown;
            s->cap = ncap;
        }
    }
    if (copy && s->n < s->cap) {
        s->v[s->n].sid = sid;
        s->v[s->n].identity = copy;
        s->n++;
        copy = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    free(copy);
}

/* Lock held: removes entry i (order does not matter). */
static void remove_at(cssf_sessions_t *s, size_t i) {
    free(s->v[i].identity);
    s->v[i] = s->v[--s->n];
}

void cssf_sessions_stop(cssf_sessions_t *s, uint64_t sid) {
    if (!s || !sid)
        return;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].sid == sid) {
            remove_at(s, i);
            break;
        }
    pthread_mutex_unlock(&s->lock);
}

size_t cssf_sessions_take(cssf_sessions_t *s, const char *identity, uint64_t *sids, size_t cap) {
    size_t k = 0;
    if (!s || !identity || !*identity)
        return 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n && k < cap;) {
        if (strcmp(s->v[i].identity, identity) == 0) {
            sids[k++] = s->v[i].sid;
            remove_at(s, i);
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return k;
}
