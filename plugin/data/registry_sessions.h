/*
 * Which (D)TLS sessions each association identity has open, learnt from
 * the ACCOUNTING session start/stop events, so revoking a device can end
 * the accounting of its sessions at once. Bounded; thread-safe. Owner:
 * plugin/data (registry).
 */
#ifndef CSSF_DATA_REGISTRY_SESSIONS_H
#define CSSF_DATA_REGISTRY_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#define CSSF_SESSIONS_MAX 65536

typedef struct cssf_sessions cssf_sessions_t;

cssf_sessions_t *cssf_sessions_create(void);
void cssf_sessions_destroy(cssf_sessions_t *s);

/* Records session sid of identity (ignored when sid is 0, identity empty,
 * or the table is full). */
void cssf_sessions_start(cssf_sessions_t *s, uint64_t sid, const char *identity);
void cssf_sessions_stop(cssf_sessions_t *s, uint64_t sid);

/* Removes the sessions of identity and writes up to cap of their ids into
 * sids. Returns how many were written. */
size_t cssf_sessions_take(cssf_sessions_t *s, const char *identity, uint64_t *sids, size_t cap);

#endif
