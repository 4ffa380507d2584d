/*
 * The HTTPS listeners the [http] configuration asks for (docs/tls.md):
 * X.509 on tls_port when tls = 1, TLS-PSK on tls_psk_port when
 * tls_psk = 1, both wired to the plugin host (PSK_LOOKUP, CERT_CHECK,
 * ACCOUNTING) and to revocations (cse_sessions_close), and sharing the
 * plain listener's address, threads and limits.
 */
#ifndef CSE_HTTP_HTTP_TLS_START_H
#define CSE_HTTP_HTTP_TLS_START_H

#include <stddef.h>

#include "cse/core/config.h"
#include "cse/http/http_server.h"

typedef struct cse_http_tls_listeners {
    cse_http_server_t *x509, *psk; /* NULL when not configured */
    cse_http_tls_t *x509_tls, *psk_tls;
} cse_http_tls_listeners_t;

/* Starts the configured TLS listeners into *l (zeroed first). base gives
 * listen, threads and limits. Returns 0, or -1 with err (whatever had
 * started is stopped again). */
int cse_http_tls_start_config(const cse_config_t *cfg, const cse_http_options_t *base,
                              cse_http_tls_listeners_t *l, char *err, size_t err_cap);

/* Stops the listeners and frees their credentials; a zeroed l is fine. */
void cse_http_tls_stop(cse_http_tls_listeners_t *l);

#endif
