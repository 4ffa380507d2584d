#include "cse/coap/coap_cache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define WAYS 4

typedef struct slot {
    uint64_t hash;
    uint64_t expires; /* 0 = free */
    size_t klen;
    uint8_t key[CSE_COAP_CACHE_MAX_KEY];
    void *blob;
    size_t len;
} slot_t;

struct cse_coap_cache {
    size_t nsets;
    uint64_t seed; /* random, so remote peers cannot aim at one set */
    slot_t *slots;
};

static uint64_t hash_key(uint64_t seed, const uint8_t *k, size_t n) {
    uint64_t h = 1469598103934665603ull ^ seed; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= k[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

cse_coap_cache_t *cse_coap_cache_new(int entries) {
    cse_coap_cache_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->nsets = entries > WAYS ? (size_t)(entries + WAYS - 1) / WAYS : 1;
    c->slots = calloc(c->nsets * WAYS, sizeof(slot_t));
    if (!c->slots) {
        free(c);
        return NULL;
    }
    if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
        c->seed = (uint64_t)(uintptr_t)c;
    return c;
}

static void slot_clear(slot_t *s) {
    free(s->blob);
    memset(s, 0, sizeof(*s));
}

void cse_coap_cache_free(cse_coap_cache_t *c) {
    if (!c)
        return;
    for (size_t i = 0; i < c->nsets * WAYS; i++)
        free(c->slots[i].blob);
    free(c->slots);
    free(c);
}

static slot_t *find(cse_coap_cache_t *c, const void *key, size_t klen, uint64_t now) {
    if (klen > CSE_COAP_CACHE_MAX_KEY)
        return NULL;
    uint64_t h = hash_key(c->seed, key, klen);
    slot_t *set = &c->slots[(h % c->nsets) * WAYS];
    for (int i = 0; i < WAYS; i++) {
        slot_t *s = &set[i];
        if (!s->expires)
            continue;
        if (s->expires <= now) {
            slot_clear(s);
            continue;
        }
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return s;
    }
    return NULL;
}

void *cse_coap_cache_get(cse_coap_cache_t *c, const void *key, size_t klen, uint64_t now,
                         size_t *len) {
    slot_t *s = find(c, key, klen, now);
    if (!s)
        return NULL;
    if (len)
        *len = s->len;
    return s->blob;
}

void *cse_coap_cache_take(cse_coap_cache_t *c, const void *key, size_t klen, uint64_t now,
                          size_t *len) {
    slot_t *s = find(c, key, klen, now);
    if (!s)
        return NULL;
    void *blob = s->blob;
    if (len)
        *len = s->len;
    s->blob = NULL;
    slot_clear(s);
    return blob;
}

int cse_coap_cache_put(cse_coap_cache_t *c, const void *key, size_t klen, void *blob, size_t len,
                       uint64_t expires) {
    if (klen > CSE_COAP_CACHE_MAX_KEY) {
        free(blob);
        return -1;
    }
    uint64_t h = hash_key(c->seed, key, klen);
    slot_t *set = &c->slots[(h % c->nsets) * WAYS];
    slot_t *victim = NULL;
    for (int i = 0; i < WAYS && !victim; i++) {
        slot_t *s = &set[i];
        if (s->expires && s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            victim = s;
    }
    for (int i = 0; i < WAYS && !victim; i++)
        if (!set[i].expires)
            victim = &set[i];
    if (!victim) {
        victim = &set[0];
        for (int i = 1; i < WAYS; i++)
            if (set[i].expires < victim->expires)
                victim = &set[i];
    }
    slot_clear(victim);
    victim->hash = h;
    victim->expires = expires ? expires : 1;
    victim->klen = klen;
    memcpy(victim->key, key, klen);
    victim->blob = blob;
    victim->len = len;
    return 0;
}

int cse_coap_cache_count(cse_coap_cache_t *c, uint64_t now) {
    int n = 0;
    for (size_t i = 0; i < c->nsets * WAYS; i++)
        if (c->slots[i].expires > now)
            n++;
    return n;
}
