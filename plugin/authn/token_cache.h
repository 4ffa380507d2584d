/*
 * The plugin's own cache of token verification results. Entries are found
 * by a keyed 64-bit hash (SipHash-2-4 under a random per-cache secret, so
 * nobody can aim collisions at a bucket) and confirmed by a constant-time
 * compare of the whole token, which the entry keeps: two tokens with the
 * same hash are still two entries. Bounded in entries (an entry not used
 * since it was last placed goes first: second-chance LRU) and in time: an
 * entry never outlives the expiry its owner gives it, which is at most the
 * token's exp. Only successful verifications are stored. Thread-safe:
 * lookups share a read lock (readers never wait for each other), changes
 * take the write lock.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_CACHE_H
#define CSSF_AUTHN_TOKEN_CACHE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/authn/token_claims.h"

#define CSSF_TOKEN_KEY_LEN 32

typedef struct cssf_token_cache cssf_token_cache_t;

/* A result as stored. claims is a reference: the one in the cache is owned
 * by it; the one cssf_token_cache_get hands out is the caller's. */
typedef struct cssf_token_entry {
    int kind;        /* the owner's tag (JWT, introspected, oneM2M token) */
    json_t *claims;  /* verified claims, never modified once stored */
    int64_t expires; /* the entry is gone at this time (seconds) */
    int64_t checked; /* when the token was last verified or introspected */
    /* Set by the owner when it stores a result, so a later use re-checks
     * the times against integers instead of reading the claims again. */
    cssf_claim_times_t times;
    unsigned passed; /* the owner's flags of the checks the claims passed */
} cssf_token_entry_t;

/* A fixed key for any byte string: SHA-256 of its len bytes (for callers
 * that look up by a derived name rather than by the token itself). */
void cssf_token_cache_key(const char *token, size_t len, unsigned char key[CSSF_TOKEN_KEY_LEN]);

/* A cache of at most max_entries (>= 1). NULL when out of memory. */
cssf_token_cache_t *cssf_token_cache_create(size_t max_entries);

/* Frees the cache and its claims. NULL is ignored. */
void cssf_token_cache_destroy(cssf_token_cache_t *c);

/*
 * Looks key up at time now. Returns 1 with a copy in *out (out->claims is
 * a new reference: json_decref it), or 0 when absent or expired (an expired
 * entry is removed).
 */
int cssf_token_cache_get(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN],
                         int64_t now, cssf_token_entry_t *out);

/*
 * Stores (or replaces) key → *e; takes its own reference to e->claims.
 * Ignored when e->expires <= now. A full cache drops its least recently
 * used entry.
 */
void cssf_token_cache_put(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN],
                          const cssf_token_entry_t *e, int64_t now);

/* Removes key (no-op when absent). */
void cssf_token_cache_remove(cssf_token_cache_t *c, const unsigned char key[CSSF_TOKEN_KEY_LEN]);

/* The same three operations keyed by the token's own len bytes (no
 * SHA-256 on the way: the keyed hash plus a full compare). */
int cssf_token_cache_get_token(cssf_token_cache_t *c, const char *token, size_t len, int64_t now,
                               cssf_token_entry_t *out);
void cssf_token_cache_put_token(cssf_token_cache_t *c, const char *token, size_t len,
                                const cssf_token_entry_t *e, int64_t now);
void cssf_token_cache_remove_token(cssf_token_cache_t *c, const char *token, size_t len);

/* Replaces the keyed hash (tests: a constant one makes every token collide).
 * Call before the cache is used. */
void cssf_token_cache_set_hash(cssf_token_cache_t *c, uint64_t (*hash)(const char *, size_t));

/* Number of entries (expired ones included until they are looked up or evicted). */
size_t cssf_token_cache_size(cssf_token_cache_t *c);

#endif
