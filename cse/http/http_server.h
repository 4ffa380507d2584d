/*
 * The TS-0009 HTTP binding: a libmicrohttpd daemon (epoll, internal thread
 * pool) that turns each request into a cse_request_t (http_request.h), runs
 * cse_pipeline_handle() and writes the response back. Requests a plugin
 * claims through CSE_EVT_HTTP_ROUTE (its own REST endpoints) go to the
 * plugin instead.
 *
 * Limits: header fields above max_header bytes → 431, a body above max_body
 * (announced by Content-Length, or counted while chunks arrive) → 413. Both
 * carry X-M2M-RSC 4000: TS-0004 has no status code for an oversized
 * request, and BAD_REQUEST is the one that says "the request itself is not
 * acceptable"; the HTTP status keeps the precise reason for HTTP clients.
 * Every response the binding builds carries X-M2M-RSC; responses that
 * libmicrohttpd generates itself (a malformed request line, headers beyond
 * its connection memory, which is sized well above max_header) cannot.
 */
#ifndef CSE_HTTP_HTTP_SERVER_H
#define CSE_HTTP_HTTP_SERVER_H

#include <stddef.h>

#include "cse/http/http_tls.h"

typedef struct cse_http_server cse_http_server_t;

typedef struct cse_http_options {
    const char *listen;  /* numeric address or host name, e.g. "127.0.0.1", "::1" */
    int port;            /* 0 = any free port (see cse_http_server_port) */
    int threads;         /* worker threads; 0 = number of cores */
    size_t max_body;     /* bytes; 413 above */
    size_t max_header;   /* bytes of header fields; 431 above */
    cse_http_tls_t *tls; /* NULL = plain HTTP; else HTTPS (http_tls.h), outlives the server */
} cse_http_options_t;

/* Starts listening and serving. Returns the server, or NULL with a reason
 * in err (bad address, port in use, ...). The caller stops it with
 * cse_http_server_stop(). */
cse_http_server_t *cse_http_server_start(const cse_http_options_t *opt, char *err, size_t err_cap);

/* The port actually bound (useful when the options asked for port 0). */
int cse_http_server_port(const cse_http_server_t *srv);

/* Writes "http://HOST:PORT" (IPv6 hosts in brackets; the scheme of a TLS
 * listener is cse_http_tls_scheme()) into buf. */
void cse_http_server_url(const cse_http_server_t *srv, char *buf, size_t cap);

/* Stops accepting, waits for the requests in progress and frees srv. */
void cse_http_server_stop(cse_http_server_t *srv);

#endif
