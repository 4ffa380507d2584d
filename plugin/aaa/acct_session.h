/*
 * Accounting sessions: turns the CSE's session events (a DTLS/TLS session
 * starts, carries requests, stops) into RADIUS accounting records: Start,
 * Interim-Update every interim seconds, Stop with the session's time and
 * counters (octets in both directions; one packet in per request, one out
 * per response). Pure bookkeeping: records go to an emit callback (the
 * accounting queue), time comes from the caller. Thread-safe.
 */
#ifndef CSSF_AAA_ACCT_SESSION_H
#define CSSF_AAA_ACCT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/aaa/radius_client.h"

/* Receives each record (borrowed for the call), under the table's lock:
 * it must not call back into the table. */
typedef void (*cssf_acct_emit_fn)(void *ctx, const cssf_radius_acct_t *rec);

typedef struct cssf_acct_sessions cssf_acct_sessions_t;

/* Terminate causes used (RFC 2866 §5.10). */
enum {
    CSSF_ACCT_CAUSE_USER_REQUEST = 1,
    CSSF_ACCT_CAUSE_ADMIN_RESET = 6,
    CSSF_ACCT_CAUSE_NAS_REBOOT = 11,
};

/* tag (at most 16 chars) prefixes every Acct-Session-Id so ids stay unique
 * across restarts; max bounds the open sessions. NULL on failure. */
cssf_acct_sessions_t *cssf_acct_sessions_create(const char *tag, unsigned interim_s, size_t max,
                                                cssf_acct_emit_fn emit, void *ctx);

/* Emits Stop (NAS-Reboot) for every open session, then frees. */
void cssf_acct_sessions_destroy(cssf_acct_sessions_t *t, uint64_t now_s);

/* A session began: emits Start. user and calling may be NULL. Returns 0,
 * or -1 if the id is already open or the table is full. */
int cssf_acct_sessions_start(cssf_acct_sessions_t *t, uint64_t sid, const char *user,
                             const char *calling, uint64_t now_s);

/* One request/response on the session: counters grow. Unknown ids are
 * ignored (0 = no session). */
void cssf_acct_sessions_traffic(cssf_acct_sessions_t *t, uint64_t sid, uint64_t bytes_in,
                                uint64_t bytes_out);

/* The session ended: emits Stop with cause. Unknown ids are ignored. */
void cssf_acct_sessions_stop(cssf_acct_sessions_t *t, uint64_t sid, uint32_t cause, uint64_t now_s);

/* Emits Interim-Update for sessions whose last record is interim seconds
 * old. Returns how many. */
size_t cssf_acct_sessions_tick(cssf_acct_sessions_t *t, uint64_t now_s);

size_t cssf_acct_sessions_open(cssf_acct_sessions_t *t);

#endif
