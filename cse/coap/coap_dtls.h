/*
 * DTLS 1.2 server on mbedTLS 2.28 for CoAP over DTLS (coaps://): one UDP
 * socket, one session per peer address, HelloVerify cookies before any
 * state is kept, anti-replay, per-session retransmission timers driven by
 * the caller's event loop, idle expiry and a bound on sessions. Idle
 * established sessions are parked: serialized (mbedtls_ssl_context_save,
 * AEAD suites) with their identity, their 35 KB context freed, and restored
 * when their peer sends the next record.
 *
 * Keys and identities come from the security plugin through run_event:
 * PSK_LOOKUP for a PSK identity (unknown identity = handshake failure),
 * CERT_CHECK for a client certificate that chained to the configured CA
 * (its SAN URI, tag 0x86, is offered as the identity to bind).
 *
 * Not thread-safe: the CoAP event loop owns it.
 */
#ifndef CSE_COAP_DTLS_H
#define CSE_COAP_DTLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cse/plugin.h"

/* Runs a plugin event chain (cse_plugin_host_run in the CSE). */
typedef int (*cse_coap_event_fn)(int event, void *event_data);

/* Handles the plaintext of one application record from a session and writes
 * the reply into out; returns its length or 0 (nothing to send). */
typedef size_t (*cse_coap_dtls_app_fn)(void *user, const cse_security_context_t *sec,
                                       const uint8_t *in, size_t len, uint8_t *out, size_t cap);

typedef struct cse_coap_dtls_cfg {
    const char *cert_file;    /* server certificate (PEM); NULL/"" = PSK only */
    const char *key_file;     /* its private key (EC P-256 for ECDHE-ECDSA suites) */
    const char *ca_file;      /* CA for client certificates; NULL/"" = no certificate clients */
    const char *crl_file;     /* CRL(s) of that CA (PEM); NULL/"" = none */
    int max_sessions;         /* sessions kept, handshakes included (default 1024) */
    uint32_t idle_timeout_ms; /* an idle session is closed (default 300 s) */
    uint32_t park_after_ms;   /* an established session idle this long is parked
                                 (serialized, ~0.5 KB instead of ~35 KB); 0 = never (default 5 s) */
    int max_parked;           /* parked sessions kept; the oldest goes beyond it (default 100000) */
    uint32_t hs_timeout_min_ms, hs_timeout_max_ms; /* retransmission (1 s .. 16 s) */
    cse_coap_event_fn run_event; /* PSK_LOOKUP, CERT_CHECK, ACCOUNTING; NULL = none */
    cse_coap_dtls_app_fn on_app;
    void *app_user;
} cse_coap_dtls_cfg_t;

typedef struct cse_coap_dtls cse_coap_dtls_t;

void cse_coap_dtls_cfg_default(cse_coap_dtls_cfg_t *cfg);

/* Creates the server on the bound UDP socket fd (borrowed, non-blocking).
 * Loads certificates and keys. Returns NULL with a reason in err. */
cse_coap_dtls_t *cse_coap_dtls_new(const cse_coap_dtls_cfg_t *cfg, int fd, char *err,
                                   size_t err_cap);
/* Sends close_notify to every session and frees everything. */
void cse_coap_dtls_free(cse_coap_dtls_t *d);

/* One datagram received from peer at now (ms, monotonic). */
void cse_coap_dtls_input(cse_coap_dtls_t *d, const struct sockaddr *peer, socklen_t peer_len,
                         const uint8_t *buf, size_t len, uint64_t now);

/* Readable when PSK lookups that ran off the loop have finished (-1: none
 * can run); the loop then calls cse_coap_dtls_lookups_done, which resumes
 * the handshakes that waited for them. */
int cse_coap_dtls_lookup_fd(const cse_coap_dtls_t *d);
void cse_coap_dtls_lookups_done(cse_coap_dtls_t *d);

/* Fires due retransmission timers and closes idle sessions. Returns the ms
 * until the next deadline (capped at 1000). */
int cse_coap_dtls_tick(cse_coap_dtls_t *d, uint64_t now);

/* Closes (close_notify, accounting SESSION_STOP) every established session
 * whose association identity equals identity. Returns how many. Event-loop
 * thread only. */
int cse_coap_dtls_close_identity(cse_coap_dtls_t *d, const char *identity);

/* Sessions currently kept active (handshaking or established). */
int cse_coap_dtls_session_count(const cse_coap_dtls_t *d);

/* Established sessions parked (serialized; restored by the peer's next record). */
int cse_coap_dtls_parked_count(const cse_coap_dtls_t *d);

/* Counters (for tests and benchmarks). */
typedef struct cse_coap_dtls_stats {
    uint64_t handshakes; /* sessions established by a full handshake */
    uint64_t parked;     /* sessions parked */
    uint64_t restored;   /* parked sessions restored by a record of their peer */
    uint64_t evicted;    /* parked sessions dropped beyond max_parked */
} cse_coap_dtls_stats_t;
void cse_coap_dtls_stats(const cse_coap_dtls_t *d, cse_coap_dtls_stats_t *st);

/* Monotonic milliseconds (the clock every CoAP deadline uses). */
uint64_t cse_coap_now_ms(void);

#endif
