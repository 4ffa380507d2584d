/*
 * CSE configuration: documented defaults, then the INI file (--config),
 * then CSE_<SECTION>_<KEY> environment overrides (upper case).
 */
#ifndef CSE_CORE_CONFIG_H
#define CSE_CORE_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "cse/plugin.h"

#define CSE_CONFIG_MAX_PLUGIN_OPTS 64

typedef struct cse_config {
    /* [cse] */
    char cse_id[64];           /* "/id-in" */
    char resource_name[64];    /* "cse-in" */
    char sp_id[64];            /* "//example.net" style SP-ID, "" = none */
    char admin_originator[64]; /* "CAdmin" */
    /* [http] */
    char http_listen[64];   /* "127.0.0.1" */
    int http_port;          /* 8080; 0 = pick a free port (printed) */
    int http_threads;       /* thread pool size, 0 = 32 (4 per core above 8 cores) */
    size_t http_max_body;   /* 413 above this; default 1 MiB */
    size_t http_max_header; /* 431 above this; default 16 KiB */
    char http_tls_cert[PATH_MAX], http_tls_key[PATH_MAX], http_tls_ca[PATH_MAX];
    char http_tls_crl[PATH_MAX]; /* CRL of tls_ca (PEM); "" = none */
    /* [coap] */
    char coap_listen[64];
    int coap_port;      /* 5683 */
    int coap_dtls_port; /* 5684 */
    /* [store] */
    char store_path[PATH_MAX]; /* "cse.db" */
    /* [plugin] */
    char plugin_path[PATH_MAX];                               /* "" = no plugin */
    cse_plugin_opt_t plugin_opts[CSE_CONFIG_MAX_PLUGIN_OPTS]; /* owned strings */
    int nplugin_opts;
    /* [log] */
    char log_level[16];      /* error|warn|info|debug */
    char log_file[PATH_MAX]; /* "" = stderr */
    /* command line */
    int insecure; /* --insecure: run without a security plugin */
    char config_path[PATH_MAX];
    /* [coap] listeners and DTLS credentials (off by default: no UDP port is
     * taken unless asked for) */
    int coap_dtls;  /* 1 = CoAP over DTLS on coap_dtls_port */
    int coap_plain; /* 1 = plain CoAP on coap_port (no security association) */
    char coap_dtls_cert[PATH_MAX], coap_dtls_key[PATH_MAX]; /* EC server certificate */
    char coap_dtls_ca[PATH_MAX];  /* CA of client certificates; "" = PSK only */
    char coap_dtls_crl[PATH_MAX]; /* CRL of that CA (PEM); "" = none */
    int coap_dtls_max_sessions;   /* 1024 */
    int coap_dtls_park_after_ms;  /* 5000; idle established sessions serialized; 0 = never */
    int coap_dtls_max_parked;     /* 100000; oldest parked session dropped beyond it */
    size_t coap_max_body;         /* Block1 bodies, 4.13 above; default 64 KiB */
    /* [http] listeners besides plain HTTP (docs/tls.md); TLS is off unless
     * asked for, so no TCP port is taken by default */
    int http_plain;                /* 1 = plain HTTP on http_port (default) */
    int http_tls;                  /* 1 = HTTPS with X.509 credentials on http_tls_port */
    int http_tls_port;             /* 8443; 0 = pick a free port (printed) */
    char http_tls_client_auth[16]; /* none (default) | optional | required */
    int http_tls_psk;              /* 1 = HTTPS with TLS-PSK on http_tls_psk_port */
    int http_tls_psk_port;         /* 8444; 0 = pick a free port (printed) */
} cse_config_t;

/* Fills cfg with defaults. */
void cse_config_defaults(cse_config_t *cfg);

/* Loads path (NULL = no file) over the defaults, then applies environment
 * overrides. Returns 0, or -1 with "file:line: [section] key: reason" in err. */
int cse_config_load(cse_config_t *cfg, const char *path, char *err, size_t err_cap);

/* Frees owned plugin option strings. */
void cse_config_free(cse_config_t *cfg);

#endif
