/* Bounded TTL cache: open addressing, a fixed probe window, no tombstones. */
#include "plugin/aaa/aaa_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>

#define WINDOW 8 /* slots probed per key */

typedef struct entry {
    uint8_t key[CSSF_AAA_CACHE_KEY];
    uint8_t val[CSSF_AAA_CACHE_VAL];
    uint8_t vlen;
    uint64_t expires_ms; /* 0 = empty */
} entry_t;

struct cssf_aaa_cache {
    pthread_mutex_t lock;
    size_t mask;
    entry_t *slots;
};

cssf_aaa_cache_t *cssf_aaa_cache_create(size_t max) {
    size_t n = WINDOW;
    while (n < max && n < ((size_t)1 << 20))
        n <<= 1;
    cssf_aaa_cache_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->slots = calloc(n, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void cssf_aaa_cache_destroy(cssf_aaa_cache_t *c) {
    if (!c)
        return;
    mbedtls_platform_zeroize(c->slots, (c->mask + 1) * sizeof *c->slots);
    free(c->slots);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static size_t home(const cssf_aaa_cache_t *c, const uint8_t *key) {
    uint64_t h;
    memcpy(&h, key, sizeof h); /* keys are digests: any 8 bytes are uniform */
    return (size_t)h & c->mask;
}

static entry_t *find(cssf_aaa_cache_t *c, const uint8_t *key) {
    size_t h = home(c, key);
    for (size_t i = 0; i < WINDOW; i++) {
        entry_t *e = &c->slots[(h + i) & c->mask];
        if (e->expires_ms && mbedtls_ct_memcmp(e->key, key, CSSF_AAA_CACHE_KEY) == 0)
            return e;
    }
    return NULL;
}

void cssf_aaa_cache_put(cssf_aaa_cache_t *c, const uint8_t key[CSSF_AAA_CACHE_KEY], const void *val,
                        size_t vlen, uint64_t expires_ms) {
    if (vlen > CSSF_AAA_CACHE_VAL || expires_ms == 0)
        return;
    pthread_mutex_lock(&c->lock);
    entry_t *e = find(c, key);
    if (!e) {
        size_t h = home(c, key);
        e = &c->slots[h];
        for (size_t i = 0; i < WINDOW; i++) {
            entry_t *s = &c->slots[(h + i) & c->mask];
            if (s->expires_ms < e->expires_ms)
                e = s; /* empty (0) or the first to expire */
        }
    }
    mbedtls_platform_zeroize(e, sizeof *e);
    memcpy(e->key, key, CSSF_AAA_CACHE_KEY);
    memcpy(e->val, val, vlen);
    e->vlen = (uint8_t)vlen;
    e->expires_ms = expires_ms;
    pthread_mutex_unlock(&c->lock);
}

int cssf_aaa_cache_get(cssf_aaa_cache_t *c, const uint8_t key[CSSF_AAA_CACHE_KEY], void *val,
                       size_t cap, size_t *vlen, uint64_t now_ms) {
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    entry_t *e = find(c, key);
    if (e && e->expires_ms > now_ms && e->vlen <= cap) {
        memcpy(val, e->val, e->vlen);
        *vlen = e->vlen;
        hit = 1;
    } else if (e && e->expires_ms <= now_ms) {
        mbedtls_platform_zeroize(e, sizeof *e);
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void cssf_aaa_cache_drop(cssf_aaa_cache_t *c, const uint8_t key[CSSF_AAA_CACHE_KEY]) {
    pthread_mutex_lock(&c->lock);
    entry_t *e = find(c, key);
    if (e)
        mbedtls_platform_zeroize(e, sizeof *e);
    pthread_mutex_unlock(&c->lock);
}
