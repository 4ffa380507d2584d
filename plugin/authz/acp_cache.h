/*
 * Cache of parsed resources (ACPs and ancestors without acpi) keyed by ri.
 * Readers share a read lock, so lookups never wait on each other; an entry
 * leaves the cache only by reference count, so a reader may keep using an
 * entry that a writer just replaced.
 * Owner: plugin/authz.
 */
#ifndef CSSF_AUTHZ_ACP_CACHE_H
#define CSSF_AUTHZ_ACP_CACHE_H

#include <stddef.h>

#include "plugin/authz/acp.h"

typedef struct cssf_acp_cache cssf_acp_cache_t;

/* max_entries bounds memory: inserting a new ri into a full cache empties
 * it first (entries are re-read on demand). Returns NULL when out of memory. */
cssf_acp_cache_t *cssf_acp_cache_create(size_t max_entries);

/* Drops every entry's cache reference and frees the cache. */
void cssf_acp_cache_destroy(cssf_acp_cache_t *c);

/* The entry for ri with one reference taken for the caller (release with
 * cssf_res_release), or NULL. */
cssf_res_t *cssf_acp_cache_find(cssf_acp_cache_t *c, const char *ri);

/* Stores res under res->ri, replacing any entry with that ri. The cache
 * takes its own reference. Returns 0, or -1 when out of memory. */
int cssf_acp_cache_put(cssf_acp_cache_t *c, cssf_res_t *res);

/* Forgets ri (no-op when absent). */
void cssf_acp_cache_remove(cssf_acp_cache_t *c, const char *ri);

/* Number of entries. */
size_t cssf_acp_cache_count(cssf_acp_cache_t *c);

#endif
