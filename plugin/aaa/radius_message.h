/*
 * The RADIUS messages the client sends, built from their fields, and the
 * decoding of an authentic answer into a cssf_radius_reply_t. Pure
 * functions: randomness (identifier, authenticator) and secrets come from
 * the caller, so tests can reproduce RFC examples byte for byte.
 */
#ifndef CSSF_AAA_RADIUS_MESSAGE_H
#define CSSF_AAA_RADIUS_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/aaa/radius_client.h"
#include "plugin/aaa/radius_packet.h"

/* How the client names itself in every request (RFC 2865 §4.1: at least
 * one of NAS-IP-Address, NAS-IPv6-Address, NAS-Identifier). */
typedef struct cssf_radius_nas {
    const char *identifier; /* NULL if absent */
    int ip_family;          /* 0 (absent), AF_INET or AF_INET6 */
    uint8_t ip[16];
} cssf_radius_nas_t;

/* Parses a NAS address literal into nas. Returns 0 or -1. */
int cssf_radius_nas_set_ip(cssf_radius_nas_t *nas, const char *literal);

/*
 * Access-Request: User-Name, hidden User-Password, NAS identification,
 * Calling-Station-Id (optional), Message-Authenticator; signed. Returns 0,
 * or -1 (field too long or empty user, password over 128 bytes).
 */
int cssf_radius_msg_access_request(cssf_radius_pkt_t *p, uint8_t id, const uint8_t auth[16],
                                   const cssf_radius_nas_t *nas, const char *user,
                                   const uint8_t *pw, size_t pwlen, const char *calling_station_id,
                                   const uint8_t *secret, size_t slen);

/* Accounting-Request from rec, with Message-Authenticator and the
 * Request Authenticator. Returns 0 or -1 (bad status type, no session). */
int cssf_radius_msg_accounting_request(cssf_radius_pkt_t *p, uint8_t id,
                                       const cssf_radius_nas_t *nas, const cssf_radius_acct_t *rec,
                                       const uint8_t *secret, size_t slen);

/* Status-Server (RFC 5997 §3): NAS identification and
 * Message-Authenticator only. Returns 0 or -1. */
int cssf_radius_msg_status_server(cssf_radius_pkt_t *p, uint8_t id, const uint8_t auth[16],
                                  const cssf_radius_nas_t *nas, const uint8_t *secret, size_t slen);

/*
 * Decodes the attributes of an answer already verified by
 * cssf_radius_verify_response into r (code, Reply-Message, Filter-Id,
 * Session-Timeout, Class, Tunnel-Password decrypted with the request's
 * authenticator). A Tunnel-Password that does not decrypt is left out and
 * reported: returns 0, or -1 with *reason.
 */
int cssf_radius_msg_decode_reply(const cssf_radius_view_t *v, const uint8_t *req_auth,
                                 const uint8_t *secret, size_t slen, cssf_radius_reply_t *r,
                                 const char **reason);

#endif
