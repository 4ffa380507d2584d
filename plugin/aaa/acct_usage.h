/*
 * What an accounting session has carried since its Start, and how it goes
 * into an Interim-Update or Stop record (RFC 2866: Acct-Session-Time,
 * octet and packet counters, Acct-Terminate-Cause). Shared by the
 * (D)TLS sessions (acct_session.c) and the AE registrations (acct_ae.c).
 * Pure functions; the caller holds its own lock. Owner: plugin/aaa.
 */
#ifndef CSSF_AAA_ACCT_USAGE_H
#define CSSF_AAA_ACCT_USAGE_H

#include <stdint.h>

#include "plugin/aaa/radius_client.h"

typedef struct cssf_acct_usage {
    uint64_t in_octets, out_octets;
    uint32_t in_packets, out_packets;
} cssf_acct_usage_t;

/* One request and its response: one packet each way. */
void cssf_acct_usage_add(cssf_acct_usage_t *u, uint64_t bytes_in, uint64_t bytes_out);

/* Completes record r of type (Start needs nothing): the session time of
 * secs (capped at 32 bits), the counters, and for a Stop the cause. */
void cssf_acct_usage_fill(cssf_radius_acct_t *r, int type, const cssf_acct_usage_t *u,
                          uint64_t secs, uint32_t cause);

#endif
