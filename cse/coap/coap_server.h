/*
 * The CoAP binding's listeners: plain CoAP (coap://) and CoAP over DTLS
 * (coaps://) on UDP sockets, served by one event-loop thread that owns the
 * message layer (coap_endpoint.h) and the DTLS sessions (coap_dtls.h).
 * main.c starts it after the core and the plugins, and stops it first.
 */
#ifndef CSE_COAP_SERVER_H
#define CSE_COAP_SERVER_H

#include <stddef.h>

#include "cse/coap/coap_dtls.h"
#include "cse/coap/coap_endpoint.h"
#include "cse/core/config.h"

typedef struct cse_coap_server_opts {
    const char *listen;               /* address to bind, e.g. "127.0.0.1" or "::1" */
    int port;                         /* plain CoAP; 0 = pick a free port, -1 = disabled */
    int dtls_port;                    /* CoAP over DTLS; 0 = pick a free port, -1 = disabled */
    cse_coap_endpoint_cfg_t endpoint; /* limits, block sizes; handler = the pipeline */
    cse_coap_dtls_cfg_t dtls;         /* credentials, session bounds, run_event */
} cse_coap_server_opts_t;

typedef struct cse_coap_server cse_coap_server_t;

/* Defaults of coap_endpoint.h and coap_dtls.h, plain disabled, DTLS on 5684. */
void cse_coap_server_opts_default(cse_coap_server_opts_t *opts);

/* Binds the sockets, loads DTLS credentials and starts the loop thread.
 * Returns the server, or NULL with a reason in err. */
cse_coap_server_t *cse_coap_server_start(const cse_coap_server_opts_t *opts, char *err,
                                         size_t err_cap);

/* The bound port of the plain (dtls = 0) or DTLS (dtls = 1) listener, -1 if off. */
int cse_coap_server_port(const cse_coap_server_t *srv, int dtls);

/* Stops the thread (waits for the request in progress), closes every DTLS
 * session with close_notify, frees everything. NULL is a no-op. */
void cse_coap_server_stop(cse_coap_server_t *srv);

/* Writes "coap://HOST:PORT" (dtls = 0) or "coaps://HOST:PORT" into buf. */
void cse_coap_server_url(const cse_coap_server_t *srv, int dtls, char *buf, size_t cap);

/*
 * Starts the listeners the [coap] section asks for (dtls = 1, plain = 1),
 * wired to cse_pipeline_handle() and the plugin host (PSK_LOOKUP,
 * CERT_CHECK, ACCOUNTING). Sets *srv to NULL when neither is enabled.
 * Returns 0, or -1 with a reason in err. (coap_start.c)
 */
int cse_coap_server_start_config(const cse_config_t *cfg, cse_coap_server_t **srv, char *err,
                                 size_t err_cap);

#endif
