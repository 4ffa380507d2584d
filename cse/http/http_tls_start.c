#include "cse/http/http_tls_start.h"

#include <stdio.h>
#include <string.h>

#include "cse/core/plugin_host.h"
#include "cse/core/sessions.h"

static int client_auth_of(const char *name) {
    return strcmp(name, "required") == 0   ? CSE_HTTP_CLIENT_AUTH_REQUIRED
           : strcmp(name, "optional") == 0 ? CSE_HTTP_CLIENT_AUTH_OPTIONAL
                                           : CSE_HTTP_CLIENT_AUTH_NONE;
}

/* One listener: its credentials, then its daemon. */
static int start_one(const cse_http_tls_options_t *to, const cse_http_options_t *base, int port,
                     cse_http_tls_t **tls, cse_http_server_t **srv, char *err, size_t err_cap) {
    *tls = cse_http_tls_create(to, err, err_cap);
    if (!*tls)
        return -1;
    if (cse_sessions_add_closer(cse_http_tls_revoke, *tls) != 0) {
        snprintf(err, err_cap, "http: too many session closers");
        cse_http_tls_free(*tls);
        *tls = NULL;
        return -1;
    }
    cse_http_options_t o = *base;
    o.port = port;
    o.tls = *tls;
    *srv = cse_http_server_start(&o, err, err_cap);
    return *srv ? 0 : -1;
}

int cse_http_tls_start_config(const cse_config_t *cfg, const cse_http_options_t *base,
                              cse_http_tls_listeners_t *l, char *err, size_t err_cap) {
    memset(l, 0, sizeof(*l));
    if (cfg->http_tls) {
        cse_http_tls_options_t to = {
            .kind = CSE_HTTP_TLS_X509,
            .cert_file = cfg->http_tls_cert,
            .key_file = cfg->http_tls_key,
            .ca_file = cfg->http_tls_ca,
            .crl_file = cfg->http_tls_crl,
            .client_auth = client_auth_of(cfg->http_tls_client_auth),
            .run_event = cse_plugin_host_run,
        };
        if (start_one(&to, base, cfg->http_tls_port, &l->x509_tls, &l->x509, err, err_cap) < 0)
            goto fail;
    }
    if (cfg->http_tls_psk) {
        cse_http_tls_options_t to = {.kind = CSE_HTTP_TLS_PSK, .run_event = cse_plugin_host_run};
        if (start_one(&to, base, cfg->http_tls_psk_port, &l->psk_tls, &l->psk, err, err_cap) < 0)
            goto fail;
    }
    return 0;
fail:
    cse_http_tls_stop(l);
    return -1;
}

void cse_http_tls_stop(cse_http_tls_listeners_t *l) {
    for (int i = 0; i < 2; i++) {
        cse_http_tls_t *t = i ? l->psk_tls : l->x509_tls;
        if (t)
            cse_sessions_remove_closer(cse_http_tls_revoke, t);
    }
    cse_http_server_stop(l->x509);
    cse_http_server_stop(l->psk);
    cse_http_tls_free(l->x509_tls);
    cse_http_tls_free(l->psk_tls);
    memset(l, 0, sizeof(*l));
}
