/*
 * TLS for the HTTP binding (docs/tls.md): the credentials and daemon
 * options of an HTTPS listener, and the security association of each of
 * its connections.
 *
 * One libmicrohttpd daemon holds one GnuTLS credential type, so there are
 * two kinds of listener:
 * - X.509: a server certificate and key. With client_auth optional or
 *   required, client certificates are requested (MHD_OPTION_HTTPS_MEM_TRUST)
 *   and verified here, because MHD only requests them: chain to the client
 *   CA, validity period, key purpose (TLS client, when the certificate
 *   names purposes). CERT_CHECK then binds the certificate (SAN URI,
 *   SHA-256 fingerprint) to an identity: association TLS_CERT.
 * - PSK: keys come from PSK_LOOKUP during the handshake; the PSK identity
 *   is the association identity (TLS_PSK). An unknown identity fails the
 *   handshake.
 * Suites: TLS 1.2 and 1.3 with forward-secret key exchanges for X.509;
 * TLS 1.2 PSK, DHE-PSK and ECDHE-PSK suites (TLS_PSK_WITH_AES_128_CBC_SHA256
 * included, TS-0003 §10) for PSK.
 *
 * The association is established once per connection, at its first
 * request: a connection whose certificate does not verify (or, with
 * required, that has none) gets 4107 with the reason on every request and
 * is closed.
 */
#ifndef CSE_HTTP_HTTP_TLS_H
#define CSE_HTTP_HTTP_TLS_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "cse/core/request.h"
#include "cse/plugin.h"

typedef struct cse_http_tls cse_http_tls_t;

enum cse_http_tls_kind {
    CSE_HTTP_TLS_X509 = 1,
    CSE_HTTP_TLS_PSK = 2,
};

enum cse_http_client_auth {
    CSE_HTTP_CLIENT_AUTH_NONE = 0,     /* no client certificate is asked for */
    CSE_HTTP_CLIENT_AUTH_OPTIONAL = 1, /* asked for; absent = no association */
    CSE_HTTP_CLIENT_AUTH_REQUIRED = 2, /* absent = 4107 */
};

/* Runs a plugin event (cse_plugin_host_run in the CSE). */
typedef int (*cse_http_tls_event_fn)(int event, void *data);

typedef struct cse_http_tls_options {
    int kind;                        /* enum cse_http_tls_kind */
    const char *cert_file;           /* PEM server certificate (chain); X.509 only */
    const char *key_file;            /* PEM private key; X.509 only */
    const char *ca_file;             /* PEM client CAs; needed unless client_auth is none */
    int client_auth;                 /* enum cse_http_client_auth; X.509 only */
    cse_http_tls_event_fn run_event; /* PSK_LOOKUP, CERT_CHECK, ACCOUNTING; NULL = refuse */
    const char *crl_file;            /* PEM CRLs of the client CAs; NULL/"" = none */
} cse_http_tls_options_t;

/* Reads and checks the credentials (the key must match the certificate,
 * the CA file must hold at least one certificate). Returns the listener's
 * TLS state, or NULL with a reason naming the file in err. */
cse_http_tls_t *cse_http_tls_create(const cse_http_tls_options_t *o, char *err, size_t err_cap);

/* Frees t (after the daemon that uses it has stopped). NULL is fine. */
void cse_http_tls_free(cse_http_tls_t *t);

/* Most options cse_http_tls_mhd_options() appends. */
#define CSE_HTTP_TLS_MAX_OPTIONS 6

/* Appends the daemon options (credentials, priorities, PSK handler) to
 * ops, which has room for CSE_HTTP_TLS_MAX_OPTIONS; the daemon needs the
 * flag MHD_USE_TLS as well. Returns the number appended. The options
 * point into t, which must outlive the daemon. */
int cse_http_tls_mhd_options(const cse_http_tls_t *t, struct MHD_OptionItem *ops);

/* "https" or "https-psk": the scheme of the listener's start-up line. */
const char *cse_http_tls_scheme(const cse_http_tls_t *t);

/* The association of one connection; zero-initialised with it. */
typedef struct cse_http_tls_conn {
    const cse_http_tls_t *tls; /* set by the first check */
    int refused_rsc;           /* 0, or the rsc every request of it gets */
    int assoc_method;          /* enum cse_assoc_method */
    char identity[CSE_MAX_ID]; /* bound identity when assoc_method != NONE */
    char reason[192];          /* why it was refused */
    uint64_t session_id;       /* non-zero once checked */
    int accounted;             /* SESSION_START was sent */
    uint64_t revocations_seen; /* the listener's revocation count at its last request */
    int fd;                    /* its socket, while listed */
    int listed;                /* in the listener's list of open associations */
    struct cse_http_tls_conn *prev, *next;
} cse_http_tls_conn_t;

/*
 * Establishes the association of connection c at its first request (later
 * calls return the cached outcome, unless the identity was revoked since).
 * Returns 0, or -1 when the connection is refused (tc->refused_rsc and
 * tc->reason say why; the refusal is logged once).
 */
int cse_http_tls_conn_check(cse_http_tls_t *t, struct MHD_Connection *c, cse_http_tls_conn_t *tc);

/*
 * Revocation (a cse_session_closer_fn, arg = the listener): connections
 * whose association identity equals identity are closed at once (their
 * socket is shut down, so libmicrohttpd ends them: SESSION_STOP), and a
 * request already on its way is refused (4107, closed). Never blocks for
 * long; safe from any thread.
 */
void cse_http_tls_revoke(void *arg, const char *identity);

/* Copies the association into a request's security context (binding
 * HTTPS, method, identity borrowed from tc, session id). */
void cse_http_tls_conn_apply(const cse_http_tls_conn_t *tc, cse_security_context_t *sec);

/* The connection closed (or is about to): ends its accounting session and
 * takes it off the listener's list. Called before its socket is closed. */
void cse_http_tls_conn_closed(cse_http_tls_conn_t *tc);

#endif
