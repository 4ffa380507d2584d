/*
 * A bounded, set-associative cache of byte blobs keyed by byte strings, with
 * expiry. The CoAP message layer keeps three of them: responses by message ID
 * (duplicate detection), Block1 reassembly buffers and Block2 response bodies.
 * Memory is bounded by the slot count and by what callers put in.
 *
 * Not thread-safe: one endpoint (one event-loop thread) owns each cache.
 * Ownership: the cache owns stored blobs (malloc'd by the caller, freed with
 * free() on eviction, expiry, replacement or cse_coap_cache_free).
 */
#ifndef CSE_COAP_CACHE_H
#define CSE_COAP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CSE_COAP_CACHE_MAX_KEY 128

typedef struct cse_coap_cache cse_coap_cache_t;

/* A cache of about `entries` slots (rounded up to whole sets of 4).
 * Returns NULL on allocation failure. */
cse_coap_cache_t *cse_coap_cache_new(int entries);
void cse_coap_cache_free(cse_coap_cache_t *c);

/* The blob stored under key if present and not expired at now (ms);
 * sets *len. The pointer stays valid until the next put/take on the cache. */
void *cse_coap_cache_get(cse_coap_cache_t *c, const void *key, size_t klen, uint64_t now,
                         size_t *len);

/* Removes the entry under key and hands its blob to the caller (NULL if
 * absent or expired). */
void *cse_coap_cache_take(cse_coap_cache_t *c, const void *key, size_t klen, uint64_t now,
                          size_t *len);

/* Stores blob (ownership passes to the cache, even on failure) under key
 * until expires (ms). Replaces an entry with the same key; otherwise takes a
 * free or expired slot of the key's set, else evicts the one expiring first.
 * Returns 0, or -1 when klen exceeds CSE_COAP_CACHE_MAX_KEY (blob freed). */
int cse_coap_cache_put(cse_coap_cache_t *c, const void *key, size_t klen, void *blob, size_t len,
                       uint64_t expires);

/* Number of live entries at now (for tests and stats). */
int cse_coap_cache_count(cse_coap_cache_t *c, uint64_t now);

#endif
