/*
 * A small CoAP client for oneM2M requests over coap:// or coaps:// (DTLS 1.2
 * with a PSK or a certificate, mbedTLS): confirmable requests with
 * retransmission, Block1 for large bodies and Block2 for large responses.
 * Used by the device client tool (tools/m2m-coap-client.c) and by tests.
 * One client = one UDP socket = one DTLS session; not thread-safe.
 */
#ifndef CSE_COAP_CLIENT_H
#define CSE_COAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cse/coap/coap_msg.h"

typedef struct cse_coap_client_cfg {
    const char *host; /* name or address */
    int port;
    int dtls;                 /* 1 = coaps:// */
    const char *psk_identity; /* DTLS-PSK (with psk) */
    const uint8_t *psk;
    size_t psk_len;
    const char *cert_file, *key_file; /* DTLS with a client certificate */
    const char *ca_file;              /* verify the server's certificate; NULL = do not */
    int timeout_ms;                   /* first retransmission timeout (default 2000) */
    int retransmits;                  /* default 4 (RFC 7252 MAX_RETRANSMIT) */
    int block_szx;                    /* block size for Block1/Block2 (default 6 = 1024) */
} cse_coap_client_cfg_t;

typedef struct cse_coap_client_result {
    int code; /* CoAP response code of the last block */
    int has_rsc;
    uint32_t rsc;        /* oneM2M-RSC option */
    char rqi[256];       /* oneM2M-RQI echoed */
    int cf;              /* Content-Format, -1 if absent */
    char location[1024]; /* Location-Path segments joined with '/' */
    uint8_t *payload;    /* malloc'd, NUL-terminated; whole body across Block2 */
    size_t payload_len;
    int blocks; /* number of exchanges it took */
} cse_coap_client_result_t;

typedef struct cse_coap_client cse_coap_client_t;

void cse_coap_client_cfg_default(cse_coap_client_cfg_t *cfg);

/* Opens the socket and, for coaps, completes the DTLS handshake.
 * Returns NULL with a reason in err (e.g. the handshake failed). */
cse_coap_client_t *cse_coap_client_open(const cse_coap_client_cfg_t *cfg, char *err,
                                        size_t err_cap);
void cse_coap_client_close(cse_coap_client_t *c);

/*
 * Sends req (code and options; type, MID, token and Block options are set
 * by the client) with body, using Block1 when the body exceeds one block and
 * following Block2 until the whole response arrived. Fills res (free with
 * cse_coap_client_result_free). Returns 0, or -1 with a reason in err
 * (timeout, RST, malformed reply).
 */
int cse_coap_client_request(cse_coap_client_t *c, const cse_coap_msg_t *req, const uint8_t *body,
                            size_t body_len, cse_coap_client_result_t *res, char *err,
                            size_t err_cap);
void cse_coap_client_result_free(cse_coap_client_result_t *res);

/* Raw datagrams (through DTLS when enabled), for tests of duplicates and
 * malformed input. recv returns the length, 0 on timeout, -1 on error. */
int cse_coap_client_send_raw(cse_coap_client_t *c, const uint8_t *buf, size_t len);
long cse_coap_client_recv_raw(cse_coap_client_t *c, uint8_t *buf, size_t cap, int timeout_ms);

#endif
