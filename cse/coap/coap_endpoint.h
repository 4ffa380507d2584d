/*
 * The CoAP message layer of the CSE (RFC 7252 §4, RFC 7959): takes one
 * datagram from a peer (plain UDP or decrypted DTLS application data) and
 * produces at most one reply datagram. It answers duplicates (same peer,
 * same message ID) from a cache without running the request again,
 * piggybacks responses on ACKs, reassembles Block1 request bodies, serves
 * large responses in Block2 blocks, and calls the request handler (the
 * pipeline) for complete requests.
 *
 * One endpoint is owned by one thread (the CoAP event loop): not
 * thread-safe. All memory is bounded by the configuration.
 */
#ifndef CSE_COAP_ENDPOINT_H
#define CSE_COAP_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "cse/coap/coap_msg.h"
#include "cse/core/request.h"

/* Handles a complete request; same contract as cse_pipeline_handle. */
typedef void (*cse_coap_handler_fn)(cse_request_t *req, cse_response_t *resp);

typedef struct cse_coap_endpoint_cfg {
    cse_coap_limits_t limits;      /* incoming messages; also bounds replies */
    size_t max_body;               /* bound on a reassembled Block1 body */
    int block_szx;                 /* preferred Block2 size exponent (6 = 1024 bytes) */
    int dedup_entries;             /* responses remembered for duplicate detection */
    int reasm_entries;             /* Block1 bodies in progress */
    int block2_entries;            /* large responses kept for their next blocks */
    uint32_t exchange_lifetime_ms; /* how long a response is remembered */
    uint32_t block_lifetime_ms;    /* how long a partial transfer is kept */
    cse_coap_handler_fn handler;
} cse_coap_endpoint_cfg_t;

typedef struct cse_coap_endpoint cse_coap_endpoint_t;

/* Defaults: RFC limits, 64 KiB bodies, 1024-byte blocks, 1024 remembered
 * responses for 247 s (EXCHANGE_LIFETIME), 64 transfers for 60 s; handler NULL. */
void cse_coap_endpoint_cfg_default(cse_coap_endpoint_cfg_t *cfg);

/* Creates an endpoint (cfg copied). NULL on allocation failure. */
cse_coap_endpoint_t *cse_coap_endpoint_new(const cse_coap_endpoint_cfg_t *cfg);
void cse_coap_endpoint_free(cse_coap_endpoint_t *ep);

/*
 * Handles datagram in (len bytes) received at now (ms, monotonic) from the
 * peer described by sec (binding, peer address, session, proven identity;
 * borrowed for the call). Writes the reply into out (cap bytes, at least
 * limits.max_message) and returns its length, or 0 when nothing is sent.
 */
size_t cse_coap_endpoint_input(cse_coap_endpoint_t *ep, const cse_security_context_t *sec,
                               const uint8_t *in, size_t len, uint64_t now, uint8_t *out,
                               size_t cap);

/* Counters (for tests and logs). */
typedef struct cse_coap_endpoint_stats {
    uint64_t requests;   /* requests handed to the handler */
    uint64_t duplicates; /* answered from the duplicate cache */
    uint64_t dropped;    /* datagrams ignored */
} cse_coap_endpoint_stats_t;
void cse_coap_endpoint_stats(const cse_coap_endpoint_t *ep, cse_coap_endpoint_stats_t *st);

#endif
