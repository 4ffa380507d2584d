/*
 * Which bindings keep (D)TLS sessions, so that a revocation
 * (cse_sessions_close in include/cse/host.h) reaches all of them.
 */
#ifndef CSE_CORE_SESSIONS_H
#define CSE_CORE_SESSIONS_H

/* Asks a binding to close the sessions of identity. Must not block: the
 * binding queues the request for its own event loop. */
typedef void (*cse_session_closer_fn)(void *arg, const char *identity);

#define CSE_SESSIONS_MAX_CLOSERS 8

/* Registers a binding's closer. Returns 0, or -1 when the table is full. */
int cse_sessions_add_closer(cse_session_closer_fn fn, void *arg);

/* Unregisters it; after return fn is not running and will not be called. */
void cse_sessions_remove_closer(cse_session_closer_fn fn, void *arg);

#endif
