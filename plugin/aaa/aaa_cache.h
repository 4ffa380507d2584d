/*
 * A small bounded cache of positive RADIUS answers (PSKs, checked
 * credentials) with per-entry expiry. Keys are 32-byte digests chosen by
 * the caller (never the secret itself); values are wiped when replaced and
 * at destroy. Thread-safe.
 */
#ifndef CSSF_AAA_AAA_CACHE_H
#define CSSF_AAA_AAA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CSSF_AAA_CACHE_KEY 32
#define CSSF_AAA_CACHE_VAL 253

typedef struct cssf_aaa_cache cssf_aaa_cache_t;

/* A cache of at most max entries (rounded up to a power of two). NULL on
 * allocation failure. */
cssf_aaa_cache_t *cssf_aaa_cache_create(size_t max);
void cssf_aaa_cache_destroy(cssf_aaa_cache_t *c);

/* Stores val (vlen <= 253) under key until expires_ms (monotonic). When
 * the key's neighbourhood is full, the entry that expires first goes. */
void cssf_aaa_cache_put(cssf_aaa_cache_t *c, const uint8_t key[CSSF_AAA_CACHE_KEY], const void *val,
                        size_t vlen, uint64_t expires_ms);

/* 1 and the value (copied into val, cap bytes) if key is present and not
 * expired at now_ms; 0 otherwise. */
int cssf_aaa_cache_get(cssf_aaa_cache_t *c, const uint8_t key[CSSF_AAA_CACHE_KEY], void *val,
                       size_t cap, size_t *vlen, uint64_t now_ms);

/* Forgets key (e.g. after a Reject). */
void cssf_aaa_cache_drop(cssf_aaa_cache_t *c, const uint8_t key[CSSF_AAA_CACHE_KEY]);

#endif
