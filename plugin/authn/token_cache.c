/* Token result cache (see token_cache.h): chained hash table plus an LRU list. */
#include "plugin/authn/token_cache.h"

#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
    unsigned char key[CSSF_TOKEN_KEY_LEN];
    cssf_token_entry_t e;
    struct node *chain;       /* next in the bucket */
    struct node *prev, *next; /* LRU list: head = most recent */
} node_t;

struct cssf_token_cache {
    pthread_mutex_t lock;
    node_t **buckets;
    size_t nbuckets; /* power of two */
    size_t n, max;
    node_t *head, *tail;
};

void cssf_token_cache_key(const char *token, size_t len, unsigned char key[CSSF_TOKEN_KEY_LEN]) {
    mbedtls_sha256_ret((const unsigned char *)token, len, key, 0);
}

cssf_token_cache_t *cssf_token_cache_create(size_t max_entries) {
    if (max_entries < 1)
        max_entries = 1;
    cssf_token_cache_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->nbuckets = 16;
    while (c->nbuckets < max_entries && c->nbuckets < ((size_t)1 << 24))
        c->nbuckets <<= 1;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->max = max_entries;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static size_t bucket_of(const cssf_token_cache_t *c, const unsigned char *key) {
    size_t h;
    memcpy(&h, key, sizeof(h)); /* a SHA-256 output is already uniform */
    return h & (c->nbuckets - 1);
}

static void lru_unlink(cssf_token_cache_t *c, node_t *n) {
    if (n->prev)
        n->prev->next = n->next;
    else
        c->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        c->tail = n->prev;
    n->prev = n->next = NULL;
}

static void lru_push_front(cssf_token_cache_t *c, node_t *n) {
    n->prev = NULL;
    n->next = c->head;
    if (c->head)
        c->head->prev = n;
    c->head = n;
    if (!c->tail)
        c->tail = n;
}

/* The slot that points at key's node (or at the NULL ending its bucket). */
static node_t **find_slot(cssf_token_cache_t *c, const unsigned char *key) {
    node_t **p = &c->buckets[bucket_of(c, key)];
    while (*p && memcmp((*p)->key, key, CSSF_TOKEN_KEY_LEN) != 0)
        p = &(*p)->chain;
    return p;
}

static void drop(cssf_token_cache_t *c, node_t **slot) {
    node_t *n = *slot;
    *slot = n->chain;
    lru_unlink(c, n);
    json_decref(n->e.claims);
    free(n);
    c->n--;
}

void cssf_token_cache_destroy(cssf_token_cache_t *c) {
    if (!c)
        return;
    for (node_t *n = c->head, *next; n; n = next) {
        next = n->next;
        json_decref(n->e.claims);
        free(n);
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int cssf_token_cache_get(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN],
                         int64_t now, cssf_token_entry_t *out) {
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    node_t **slot = find_slot(c, key);
    if (*slot && (*slot)->e.expires <= now) {
        drop(c, slot);
    } else if (*slot) {
        node_t *n = *slot;
        lru_unlink(c, n);
        lru_push_front(c, n);
        *out = n->e;
        json_incref(out->claims);
        hit = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void cssf_token_cache_put(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN],
                          const cssf_token_entry_t *e, int64_t now) {
    if (!c || !e || e->expires <= now)
        return;
    node_t *fresh = calloc(1, sizeof(*fresh));
    if (!fresh)
        return; /* nothing cached: the next use verifies again */
    memcpy(fresh->key, key, CSSF_TOKEN_KEY_LEN);
    fresh->e = *e;
    json_incref(fresh->e.claims);
    pthread_mutex_lock(&c->lock);
    node_t **slot = find_slot(c, key);
    if (*slot)
        drop(c, slot);
    while (c->n >= c->max && c->tail)
        drop(c, find_slot(c, c->tail->key));
    slot = find_slot(c, key);
    *slot = fresh;
    lru_push_front(c, fresh);
    c->n++;
    pthread_mutex_unlock(&c->lock);
}

void cssf_token_cache_remove(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN]) {
    pthread_mutex_lock(&c->lock);
    node_t **slot = find_slot(c, key);
    if (*slot)
        drop(c, slot);
    pthread_mutex_unlock(&c->lock);
}

size_t cssf_token_cache_size(cssf_token_cache_t *c) {
    pthread_mutex_lock(&c->lock);
    size_t n = c->n;
    pthread_mutex_unlock(&c->lock);
    return n;
}
