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
 * share nothing. A pipelined exchange (cssf_radius_exchange_many) does the
 * same for a set of requests that share one socket of their own.
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

/*
 * Pipelined exchange: up to 256 requests to one server in flight at once
 * on one connected UDP socket. Their identifiers must be distinct: an
 * answer goes to the request with its identifier and is believed only if
 * it verifies against that request (Response Authenticator,
 * Message-Authenticator), exactly as in cssf_radius_exchange. Each request
 * keeps its own timer, doubling wait and retransmissions of the same bytes.
 */
#define CSSF_RADIUS_WINDOW_MAX 256

typedef struct cssf_radius_mreq {
    const uint8_t *req; /* in: signed request (borrowed) */
    size_t req_len;
    cssf_radius_xchg_status_t status; /* out */
    unsigned invalid;                 /* out: datagrams for it dropped as not authentic */
    const char *reason;               /* out: last drop or failure reason (static) */
    /* private */
    uint64_t deadline;
    unsigned wait, attempt;
    int done;
} cssf_radius_mreq_t;

/* Called once per request that got an authentic answer; v points into a
 * buffer that is valid only during the call. */
typedef void (*cssf_radius_answer_fn)(void *ctx, size_t i, const cssf_radius_view_t *v);

typedef struct cssf_radius_mxchg {
    /* in (borrowed) */
    const struct sockaddr *addr;
    socklen_t addrlen;
    const uint8_t *secret;
    size_t slen;
    int require_ma;
    unsigned timeout_ms; /* first wait of each request */
    unsigned retries;    /* retransmissions of each request */
    cssf_radius_mreq_t *reqs;
    size_t n;
    cssf_radius_answer_fn on_answer; /* may be NULL */
    void *ctx;
    /* out */
    unsigned stray; /* datagrams whose identifier matches no request */
} cssf_radius_mxchg_t;

/* Runs all requests of m to completion; each ends with its own status.
 * Returns 0, or -1 for bad arguments (n of 0 or above the window, two
 * requests with one identifier), every status then ERROR. */
int cssf_radius_exchange_many(cssf_radius_mxchg_t *m);

#endif
