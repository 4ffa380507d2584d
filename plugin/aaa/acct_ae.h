/*
 * AE registration accounting: each registered AE is one RADIUS accounting
 * session, from its registration (Start) to its deletion or expiry (Stop),
 * with an Interim-Update every interim seconds. Counters are those of the
 * requests whose originator is the AE-ID (octets in and out, one packet in
 * per request and one out per response).
 *
 * Registrations outlive restarts, so the open sessions live in a table of
 * an SQLite file (the accounting queue's): a row is written at Start and at
 * each Interim-Update (with the counters), deleted at Stop, and every row
 * is brought up to date at close. Writes go through a writer thread, never
 * the caller's. After a restart the same Acct-Session-Id continues, with
 * Acct-Session-Time counted from the registration. What a crash loses: the
 * counters since the last Interim-Update, and rows not yet written (the
 * writer writes them as soon as it wakes, typically within a millisecond).
 *
 * Records go to an emit callback (the accounting queue); time (wall clock
 * seconds, as the rows outlive the process) comes from the caller.
 * Thread-safe.
 */
#ifndef CSSF_AAA_ACCT_AE_H
#define CSSF_AAA_ACCT_AE_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/aaa/acct_session.h"

#define CSSF_ACCT_AE_ID_MAX 200 /* longest AE-ID accounted (the host's are shorter) */

/* Terminate causes of AE sessions (RFC 2866 §5.10), beside acct_session.h's. */
enum {
    CSSF_ACCT_CAUSE_LOST_SERVICE = 3, /* a new registration found the old one still open */
    CSSF_ACCT_CAUSE_SESSION_TIMEOUT = 5,
};

typedef struct cssf_acct_ae cssf_acct_ae_t;

typedef struct cssf_acct_ae_config {
    const char *path;   /* SQLite file holding the table (created if missing, mode 0600) */
    unsigned interim_s; /* seconds between Interim-Updates, 0 = none */
    size_t max;         /* open sessions, beyond which Start is refused (65536) */
    cssf_acct_emit_fn emit;
    void *ctx;
} cssf_acct_ae_config_t;

/* Opens the table and loads the sessions a previous run left open (they
 * continue; nothing is emitted). Returns 0 and *out, or -1 with err. */
int cssf_acct_ae_open(const cssf_acct_ae_config_t *cfg, cssf_acct_ae_t **out, char *err,
                      size_t err_cap);

/* An AE registered: emits Start (User-Name user, or the AE-ID when user is
 * NULL or empty; Calling-Station-Id the AE-ID), counting this request.
 * An AE-ID still open is first stopped with Lost-Service. Returns 0, or -1
 * (bad AE-ID, table full, no randomness for the session id). */
int cssf_acct_ae_start(cssf_acct_ae_t *t, const char *aei, const char *user, uint64_t bytes_in,
                       uint64_t bytes_out, int64_t now_s);

/* One request of originator: its session's counters grow. Others (not an
 * open AE-ID) are ignored. */
void cssf_acct_ae_traffic(cssf_acct_ae_t *t, const char *originator, uint64_t bytes_in,
                          uint64_t bytes_out);

/* The AE is gone: emits Stop with cause. Returns 0, or -1 if not open. */
int cssf_acct_ae_stop(cssf_acct_ae_t *t, const char *aei, uint32_t cause, int64_t now_s);

/* Emits Interim-Update for sessions whose last record is interim seconds
 * old, and writes their counters. Returns how many. */
size_t cssf_acct_ae_tick(cssf_acct_ae_t *t, int64_t now_s);

/* 1 if the AE-ID is registered with the CSE, 0 if not. */
typedef int (*cssf_acct_ae_exists_fn)(void *ctx, const char *aei);

/* Stops (with cause) every open session whose AE no longer exists: an AE
 * that expired while the CSE was down, or lost with a store that does not
 * persist. exists is asked without the table's lock. Returns how many. */
size_t cssf_acct_ae_reconcile(cssf_acct_ae_t *t, cssf_acct_ae_exists_fn exists, void *ctx,
                              uint32_t cause, int64_t now_s);

size_t cssf_acct_ae_open_count(cssf_acct_ae_t *t);

/* Waits up to timeout_ms until every change is in the file. 0 when it is. */
int cssf_acct_ae_sync(cssf_acct_ae_t *t, unsigned timeout_ms);

/* Writes every open session (counters included) for the next open, or,
 * with stop_cause non-zero, emits Stop for each and empties the table.
 * Then closes. NULL is fine. */
void cssf_acct_ae_close(cssf_acct_ae_t *t, uint32_t stop_cause, int64_t now_s);

#endif
