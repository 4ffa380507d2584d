/* Token result cache (see token_cache.h): chained hash table under a
 * read-write lock plus a second-chance LRU list. */
#include "plugin/authn/token_cache.h"

#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

typedef struct node {
    uint64_t hash;
    cssf_token_entry_t e;
    atomic_int used;          /* set by lookups: spares the node once at eviction */
    struct node *chain;       /* next in the bucket */
    struct node *prev, *next; /* LRU list: head = most recently placed */
    size_t len;
    unsigned char token[]; /* the whole token, for the exact compare */
} node_t;

struct cssf_token_cache {
    pthread_rwlock_t lock;
    node_t **buckets;
    size_t nbuckets; /* power of two */
    size_t n, max;
    node_t *head, *tail;
    uint64_t k0, k1; /* SipHash secret */
    uint64_t (*hash)(const char *, size_t);
};

void cssf_token_cache_key(const char *token, size_t len, unsigned char key[CSSF_TOKEN_KEY_LEN]) {
    mbedtls_sha256_ret((const unsigned char *)token, len, key, 0);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t load64_le(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* SipHash-2-4 (Aumasson and Bernstein) of in under (k0, k1). */
static uint64_t siphash(uint64_t k0, uint64_t k1, const unsigned char *in, size_t len) {
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    const unsigned char *end = in + (len & ~(size_t)7);
    for (; in != end; in += 8) {
        uint64_t m = load64_le(in);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)in[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t hash_of(const cssf_token_cache_t *c, const char *token, size_t len) {
    if (c->hash)
        return c->hash(token, len);
    return siphash(c->k0, c->k1, (const unsigned char *)token, len);
}

/* Equal lengths and bytes, in time independent of where they differ
 * (eight bytes a step: every byte is read, none ends the loop early). */
static int same_token(const node_t *n, const char *token, size_t len) {
    if (n->len != len)
        return 0;
    const unsigned char *a = n->token, *b = (const unsigned char *)token;
    uint64_t diff = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }
    for (; i < len; i++)
        diff |= (uint64_t)(a[i] ^ b[i]);
    return diff == 0;
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
    uint64_t k[2];
    if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k)) {
        /* Without the kernel's randomness the secret is weaker, the compare
         * still exact: a collision costs time, never a wrong result. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        k[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)c << 16);
        k[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)c->buckets;
    }
    c->k0 = k[0];
    c->k1 = k[1];
    c->max = max_entries;
    pthread_rwlock_init(&c->lock, NULL);
    return c;
}

void cssf_token_cache_set_hash(cssf_token_cache_t *c, uint64_t (*hash)(const char *, size_t)) {
    c->hash = hash;
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

/* The slot that points at the token's node (or at the NULL ending its bucket). */
static node_t **find_slot(cssf_token_cache_t *c, uint64_t h, const char *token, size_t len) {
    node_t **p = &c->buckets[h & (c->nbuckets - 1)];
    while (*p && ((*p)->hash != h || !same_token(*p, token, len)))
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

/* Drops the least recently placed node not used since; a used one goes back
 * to the front once. Ends: every node it passes loses its mark. */
static void evict_one(cssf_token_cache_t *c) {
    node_t *n;
    while ((n = c->tail) && atomic_exchange_explicit(&n->used, 0, memory_order_relaxed)) {
        lru_unlink(c, n);
        lru_push_front(c, n);
    }
    if (n)
        drop(c, find_slot(c, n->hash, (const char *)n->token, n->len));
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
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

int cssf_token_cache_get_token(cssf_token_cache_t *c, const char *token, size_t len, int64_t now,
                               cssf_token_entry_t *out) {
    uint64_t h = hash_of(c, token, len);
    int hit = 0, expired = 0;
    pthread_rwlock_rdlock(&c->lock);
    node_t *n = *find_slot(c, h, token, len);
    if (n && n->e.expires <= now) {
        expired = 1;
    } else if (n) {
        /* Only the first use after a placement writes: no cache-line
         * ping-pong between readers of a hot token. */
        if (!atomic_load_explicit(&n->used, memory_order_relaxed))
            atomic_store_explicit(&n->used, 1, memory_order_relaxed);
        *out = n->e;
        json_incref(out->claims); /* jansson's reference counts are atomic */
        hit = 1;
    }
    pthread_rwlock_unlock(&c->lock);
    if (expired) {
        pthread_rwlock_wrlock(&c->lock);
        node_t **slot = find_slot(c, h, token, len);
        if (*slot && (*slot)->e.expires <= now)
            drop(c, slot);
        pthread_rwlock_unlock(&c->lock);
    }
    return hit;
}

void cssf_token_cache_put_token(cssf_token_cache_t *c, const char *token, size_t len,
                                const cssf_token_entry_t *e, int64_t now) {
    if (!c || !e || e->expires <= now)
        return;
    node_t *fresh = calloc(1, sizeof(*fresh) + len);
    if (!fresh)
        return; /* nothing cached: the next use verifies again */
    fresh->hash = hash_of(c, token, len);
    fresh->len = len;
    memcpy(fresh->token, token, len);
    fresh->e = *e;
    atomic_init(&fresh->used, 0);
    json_incref(fresh->e.claims);
    pthread_rwlock_wrlock(&c->lock);
    node_t **slot = find_slot(c, fresh->hash, token, len);
    if (*slot)
        drop(c, slot);
    while (c->n >= c->max && c->tail)
        evict_one(c);
    slot = find_slot(c, fresh->hash, token, len);
    *slot = fresh;
    lru_push_front(c, fresh);
    c->n++;
    pthread_rwlock_unlock(&c->lock);
}

void cssf_token_cache_remove_token(cssf_token_cache_t *c, const char *token, size_t len) {
    uint64_t h = hash_of(c, token, len);
    pthread_rwlock_wrlock(&c->lock);
    node_t **slot = find_slot(c, h, token, len);
    if (*slot)
        drop(c, slot);
    pthread_rwlock_unlock(&c->lock);
}

/* The key forms: the 32 key bytes are the "token". */
int cssf_token_cache_get(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN],
                         int64_t now, cssf_token_entry_t *out) {
    return cssf_token_cache_get_token(c, (const char *)key, CSSF_TOKEN_KEY_LEN, now, out);
}

void cssf_token_cache_put(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN],
                          const cssf_token_entry_t *e, int64_t now) {
    cssf_token_cache_put_token(c, (const char *)key, CSSF_TOKEN_KEY_LEN, e, now);
}

void cssf_token_cache_remove(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN]) {
    cssf_token_cache_remove_token(c, (const char *)key, CSSF_TOKEN_KEY_LEN);
}

size_t cssf_token_cache_size(cssf_token_cache_t *c) {
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->n;
    pthread_rwlock_unlock(&c->lock);
    return n;
}
