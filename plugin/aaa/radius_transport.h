/*
 * One RADIUS exchange over UDP: send a signed request to one server, wait
 * with a per-try timeout that doubles on every retransmission (the same
 * bytes, so the same identifier and authenticator, RFC 5080 §2.2.1), and
 * return the first datagram that verifies as an answer. Datagrams that do
 * not verify are dropped and counted; the wait goes on, so a forger racing
 * the real server cannot turn an answer into a failure.
 *
 * Each exchange opens its own connected UDP socket: the kernel then
 * delivers only datagrams from the server's address and port, the source
 * port is fresh and random for every request, and concurrent exchanges
 * share nothing.
 */
#ifndef CSSF_AAA_RADIUS_TRANSPORT_H
#define CSSF_AAA_RADIUS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "plugin/aaa/radius_packet.h"

typedef enum cssf_radius_xchg_status {
    CSSF_RADIUS_XCHG_OK = 0,      /* resp/view hold an authentic answer */
    CSSF_RADIUS_XCHG_TIMEOUT = 1, /* no authentic answer before the last wait ended */
    CSSF_RADIUS_XCHG_REFUSED = 2, /* the server's port is closed (ICMP port unreachable) */
    CSSF_RADIUS_XCHG_ERROR = 3,   /* local socket failure */
} cssf_radius_xchg_status_t;

typedef struct cssf_radius_xchg {
    /* in (borrowed) */
    const struct sockaddr *addr;
    socklen_t addrlen;
    const uint8_t *req; /* signed request */
    size_t req_len;
    const uint8_t *secret;
    size_t slen;
    int require_ma;
    unsigned timeout_ms; /* first wait */
    unsigned retries;    /* retransmissions */
    /* out */
    uint8_t resp[CSSF_RADIUS_MAX_LEN];
    size_t resp_len;
    cssf_radius_view_t view; /* into resp */
    unsigned invalid;        /* datagrams dropped as not authentic */
    const char *reason;      /* last drop or failure reason (static), NULL if none */
    unsigned rtt_ms;         /* from the first transmission to the answer */
} cssf_radius_xchg_t;

/* Runs the exchange described by x. See cssf_radius_xchg_status_t. */
cssf_radius_xchg_status_t cssf_radius_exchange(cssf_radius_xchg_t *x);

#endif
