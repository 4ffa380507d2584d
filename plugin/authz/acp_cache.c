/* Parsed-resource cache: chained hash map under a read-write lock (see acp_cache.h). */
#include "plugin/authz/acp_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
    struct node *next;
    uint64_t hash;
    cssf_res_t *res;
} node_t;

struct cssf_acp_cache {
    pthread_rwlock_t lock;
    node_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count, max;
};

#define INITIAL_BUCKETS 64

static uint64_t hash_str(const char *s) { /* FNV-1a */
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

cssf_acp_cache_t *cssf_acp_cache_create(size_t max_entries) {
    cssf_acp_cache_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->nbuckets = INITIAL_BUCKETS;
    c->max = max_entries ? max_entries : 1;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    if (!c->buckets || pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c->buckets);
        free(c);
        return NULL;
    }
    return c;
}

static void clear_locked(cssf_acp_cache_t *c) {
    for (size_t i = 0; i < c->nbuckets; i++) {
        node_t *n = c->buckets[i];
        while (n) {
            node_t *next = n->next;
            cssf_res_release(n->res);
            free(n);
            n = next;
        }
        c->buckets[i] = NULL;
    }
    c->count = 0;
}

void cssf_acp_cache_destroy(cssf_acp_cache_t *c) {
    if (!c)
        return;
    clear_locked(c);
    pthread_rwlock_destroy(&c->lock);
    free(c->buckets);
    free(c);
}

static node_t **slot(cssf_acp_cache_t *c, uint64_t h, const char *ri) {
    node_t **p = &c->buckets[h & (c->nbuckets - 1)];
    while (*p && ((*p)->hash != h || strcmp((*p)->res->ri, ri) != 0))
        p = &(*p)->next;
    return p;
}

cssf_res_t *cssf_acp_cache_find(cssf_acp_cache_t *c, const char *ri) {
    uint64_t h = hash_str(ri);
    cssf_res_t *res = NULL;
    pthread_rwlock_rdlock(&c->lock);
    node_t *n = *slot(c, h, ri);
    if (n) {
        res = n->res;
        cssf_res_ref(res);
    }
    pthread_rwlock_unlock(&c->lock);
    return res;
}

/* Doubles the table when it is fuller than one entry per bucket. */
static void grow_locked(cssf_acp_cache_t *c) {
    size_t n = c->nbuckets * 2;
    node_t **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* stay at this size: slower chains, still correct */
    for (size_t i = 0; i < c->nbuckets; i++) {
        node_t *e = c->buckets[i];
        while (e) {
            node_t *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

int cssf_acp_cache_put(cssf_acp_cache_t *c, cssf_res_t *res) {
    uint64_t h = hash_str(res->ri);
    int rc = 0;
    cssf_res_t *old = NULL;
    pthread_rwlock_wrlock(&c->lock);
    node_t **p = slot(c, h, res->ri);
    if (*p) {
        old = (*p)->res;
        (*p)->res = res;
        cssf_res_ref(res);
        goto out;
    }
    if (c->count >= c->max)
        clear_locked(c);
    else if (c->count >= c->nbuckets)
        grow_locked(c);
    node_t *n = malloc(sizeof(*n));
    if (!n) {
        rc = -1;
        goto out;
    }
    n->hash = h;
    n->res = res;
    cssf_res_ref(res);
    p = &c->buckets[h & (c->nbuckets - 1)];
    n->next = *p;
    *p = n;
    c->count++;
out:
    pthread_rwlock_unlock(&c->lock);
    cssf_res_release(old); /* outside the lock: freeing may take a while */
    return rc;
}

void cssf_acp_cache_remove(cssf_acp_cache_t *c, const char *ri) {
    uint64_t h = hash_str(ri);
    node_t *gone = NULL;
    pthread_rwlock_wrlock(&c->lock);
    node_t **p = slot(c, h, ri);
    if (*p) {
        gone = *p;
        *p = gone->next;
        c->count--;
    }
    pthread_rwlock_unlock(&c->lock);
    if (gone) {
        cssf_res_release(gone->res);
        free(gone);
    }
}

size_t cssf_acp_cache_count(cssf_acp_cache_t *c) {
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->count;
    pthread_rwlock_unlock(&c->lock);
    return n;
}
