/*
 * PSK lookups off the CoAP event loop. A lookup the plugins cannot answer
 * from memory (e.g. a key held by a RADIUS server) runs here, on worker
 * threads, while the datagram that needs it waits in its session; the
 * loop learns of finished lookups through an eventfd and resumes the
 * handshake at once. The queue is bounded: when it is full a lookup is
 * refused (the handshake fails) rather than queued without end.
 * Owner: cse/coap.
 */
#ifndef CSE_COAP_PSK_ASYNC_H
#define CSE_COAP_PSK_ASYNC_H

#include <mbedtls/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cse/coap/coap_dtls.h"

#define CSE_PSK_ASYNC_IDENTITY_MAX 256

typedef struct cse_psk_async cse_psk_async_t;

typedef struct cse_psk_async_result {
    uint64_t session_id;
    char identity[CSE_PSK_ASYNC_IDENTITY_MAX];
    int found; /* 1: key[0..key_len) is the identity's key */
    unsigned char key[MBEDTLS_PSK_MAX_LEN];
    size_t key_len;
} cse_psk_async_result_t;

/* workers threads asking run_event(CSE_EVT_PSK_LOOKUP), at most max_queued
 * lookups waiting or running. NULL on failure. */
cse_psk_async_t *cse_psk_async_new(cse_coap_event_fn run_event, int binding, int workers,
                                   size_t max_queued);

/* Stops the workers (a lookup in progress finishes first) and frees. */
void cse_psk_async_free(cse_psk_async_t *a);

/* Readable when results are waiting (poll it in the event loop). */
int cse_psk_async_fd(const cse_psk_async_t *a);

/* Queues a lookup for session_id. 0, or -1 when the queue is full. */
int cse_psk_async_submit(cse_psk_async_t *a, uint64_t session_id, const char *identity,
                         const struct sockaddr *peer, socklen_t peer_len);

/* Takes one finished lookup into out (1), or 0 when none is waiting.
 * The caller wipes out->key when done with it. */
int cse_psk_async_take(cse_psk_async_t *a, cse_psk_async_result_t *out);

#endif
