#include "cse/http/http_tls.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cse/core/rsc.h"
#include "cse/http/http_tls_crl.h"
#include "cse/host.h"

/* PEM files larger than this are refused (a bundle of a few hundred CAs
 * fits easily). */
#define PEM_MAX (1024 * 1024)
/* PSK_LOOKUP buffer: longer keys than this are refused. */
#define PSK_MAX 64
/* Revocations remembered per listener; a connection that missed more than
 * this many since its last request is closed (its client reconnects and
 * the handshake checks it afresh). */
#define REVOKED_MAX 64

/* X.509: TLS 1.2 and 1.3 only, no static-RSA key exchange (no forward
 * secrecy); SHA256 MACs added so the CBC-SHA256 suites of TS-0003 exist. */
static const char prio_x509[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:+SHA256";
/* PSK: TLS 1.2 (the PSK suites TS-0003 names), PSK and ECDHE-PSK key
 * exchanges (DHE-PSK would need DH parameters OpenSSL clients do not ask
 * for by name). */
static const char prio_psk[] = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK:+ECDHE-PSK:+SHA256";

struct cse_http_tls {
    int kind;
    int client_auth;
    char *cert_pem, *key_pem, *ca_pem; /* NUL-terminated file contents */
    cse_tls_crl_t *crl;                /* tls_crl, or NULL */
    cse_http_tls_event_fn run_event;
    /* revoked identities (cse_http_tls_revoke), a ring indexed by number */
    pthread_mutex_t lock;
    atomic_uint_fast64_t revocations; /* how many ever */
    struct {
        uint64_t seq;
        char identity[CSE_MAX_ID];
    } revoked[REVOKED_MAX];
    cse_http_tls_conn_t *open; /* connections with an association (under lock) */
};

/* Session ids of HTTPS connections carry the binding in their top byte so
 * they never collide with the ids other bindings count from 1. */
static atomic_uint_fast64_t next_session = 0;

/* --- helpers ---------------------------------------------------------------- */

/* Printable ASCII of s for a quoted log value. */
static const char *log_safe(const char *s, char *buf, size_t cap) {
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
    buf[i] = 0;
    return buf;
}

static const struct sockaddr *conn_peer(struct MHD_Connection *c, socklen_t *len) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *peer = ci ? ci->client_addr : NULL;
    *len = !peer                         ? 0
           : peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in);
    return peer;
}

static const char *peer_text(const struct sockaddr *peer, socklen_t len, char *buf, size_t cap) {
    char host[64] = "?", port[16] = "?";
    if (peer)
        getnameinfo(peer, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(buf, cap, peer && peer->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    return buf;
}

/* Reads a whole PEM file into a NUL-terminated string. */
static char *read_pem(const char *what, const char *path, char *err, size_t err_cap) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        snprintf(err, err_cap, "http: %s %s: cannot open: %s", what, path, strerror(errno));
        return NULL;
    }
    buf = malloc(PEM_MAX + 1);
    size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
    if (!buf || ferror(f) || n == 0 || n > PEM_MAX) {
        snprintf(err, err_cap, "http: %s %s: %s", what, path,
                 !buf        ? "out of memory"
                 : ferror(f) ? "read error"
                 : n == 0    ? "empty file"
                             : "larger than 1 MiB");
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

static gnutls_datum_t datum(const char *pem) {
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    return d;
}

/* Loads the credentials the way MHD will, to report problems at start-up
 * rather than on the first handshake. */
static int check_credentials(const cse_http_tls_t *t, const cse_http_tls_options_t *o, char *err,
                             size_t err_cap) {
    gnutls_certificate_credentials_t cred = NULL;
    int rc = -1;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        snprintf(err, err_cap, "http: tls: out of memory");
        return -1;
    }
    gnutls_datum_t cert = datum(t->cert_pem), key = datum(t->key_pem);
    int r = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
    if (r < 0) {
        snprintf(err, err_cap, "http: tls_cert %s / tls_key %s: %s", o->cert_file, o->key_file,
                 gnutls_strerror(r));
        goto out;
    }
    if (t->ca_pem) {
        gnutls_datum_t ca = datum(t->ca_pem);
        r = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
        if (r <= 0) {
            snprintf(err, err_cap, "http: tls_ca %s: %s", o->ca_file,
                     r < 0 ? gnutls_strerror(r) : "no certificate in the file");
            goto out;
        }
    }
    rc = 0;
out:
    gnutls_certificate_free_credentials(cred);
    return rc;
}

/* --- listener ------------------------------------------------------------------ */

cse_http_tls_t *cse_http_tls_create(const cse_http_tls_options_t *o, char *err, size_t err_cap) {
    cse_http_tls_t *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, err_cap, "http: tls: out of memory");
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    t->kind = o->kind;
    t->client_auth = o->client_auth;
    t->run_event = o->run_event;
    if (o->kind == CSE_HTTP_TLS_PSK) {
        t->client_auth = CSE_HTTP_CLIENT_AUTH_NONE;
        return t;
    }
    if (o->kind != CSE_HTTP_TLS_X509) {
        snprintf(err, err_cap, "http: tls: unknown listener kind %d", o->kind);
        goto fail;
    }
    int want_ca = o->client_auth != CSE_HTTP_CLIENT_AUTH_NONE;
    int has_ca = o->ca_file && o->ca_file[0];
    if (!o->cert_file || !o->cert_file[0] || !o->key_file || !o->key_file[0]) {
        snprintf(err, err_cap, "http: tls = 1 needs tls_cert and tls_key");
        goto fail;
    }
    if (want_ca != has_ca) {
        snprintf(err, err_cap,
                 want_ca ? "http: tls_client_auth = %s needs tls_ca (the CA of client "
                           "certificates)"
                         : "http: tls_ca is set but tls_client_auth = %s: set it to optional or "
                           "required, or remove tls_ca",
                 o->client_auth == CSE_HTTP_CLIENT_AUTH_REQUIRED   ? "required"
                 : o->client_auth == CSE_HTTP_CLIENT_AUTH_OPTIONAL ? "optional"
                                                                   : "none");
        goto fail;
    }
    if (!(t->cert_pem = read_pem("tls_cert", o->cert_file, err, err_cap)) ||
        !(t->key_pem = read_pem("tls_key", o->key_file, err, err_cap)) ||
        (has_ca && !(t->ca_pem = read_pem("tls_ca", o->ca_file, err, err_cap))))
        goto fail;
    if (check_credentials(t, o, err, err_cap) < 0)
        goto fail;
    if (o->crl_file && o->crl_file[0] &&
        !(t->crl = cse_tls_crl_load(o->crl_file, t->ca_pem, err, err_cap)))
        goto fail;
    return t;
fail:
    cse_http_tls_free(t);
    return NULL;
}

void cse_http_tls_free(cse_http_tls_t *t) {
    if (!t)
        return;
    if (t->key_pem) /* the private key does not linger in freed memory */
        gnutls_memset(t->key_pem, 0, strlen(t->key_pem));
    free(t->cert_pem);
    free(t->key_pem);
    free(t->ca_pem);
    cse_tls_crl_free(t->crl);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

void cse_http_tls_revoke(void *arg, const char *identity) {
    cse_http_tls_t *t = arg;
    if (!t || !identity || strlen(identity) >= CSE_MAX_ID)
        return;
    pthread_mutex_lock(&t->lock);
    uint64_t seq = atomic_load(&t->revocations) + 1;
    t->revoked[seq % REVOKED_MAX].seq = seq;
    memcpy(t->revoked[seq % REVOKED_MAX].identity, identity, strlen(identity) + 1);
    atomic_store(&t->revocations, seq);
    /* Idle connections too: shutting the socket down makes libmicrohttpd
     * end the connection. The fd cannot have been reused: a connection
     * leaves this list (under the lock) before its socket is closed. */
    char safe[CSE_MAX_ID];
    for (cse_http_tls_conn_t *tc = t->open; tc; tc = tc->next)
        if (strcmp(tc->identity, identity) == 0 && shutdown(tc->fd, SHUT_RDWR) == 0)
            cse_log(CSE_LOG_INFO, "http: revoked identity=\"%s\": open connection closed",
                    log_safe(identity, safe, sizeof(safe)));
    pthread_mutex_unlock(&t->lock);
}

/* Lists tc (an association just established) so a revocation finds it. */
static void list_open(cse_http_tls_t *t, struct MHD_Connection *c, cse_http_tls_conn_t *tc) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci || tc->assoc_method == CSE_ASSOC_NONE)
        return;
    tc->fd = ci->connect_fd;
    pthread_mutex_lock(&t->lock);
    tc->prev = NULL;
    tc->next = t->open;
    if (t->open)
        t->open->prev = tc;
    t->open = tc;
    tc->listed = 1;
    pthread_mutex_unlock(&t->lock);
}

static void unlist(cse_http_tls_conn_t *tc) {
    cse_http_tls_t *t = (cse_http_tls_t *)tc->tls;
    if (!tc->listed || !t)
        return;
    pthread_mutex_lock(&t->lock);
    if (tc->prev)
        tc->prev->next = tc->next;
    else
        t->open = tc->next;
    if (tc->next)
        tc->next->prev = tc->prev;
    tc->prev = tc->next = NULL;
    tc->listed = 0;
    pthread_mutex_unlock(&t->lock);
}

/* 1 if identity was revoked after revocation number seen (up to now), or
 * if too many revocations came since to know. */
static int revoked_since(cse_http_tls_t *t, uint64_t seen, uint64_t now, const char *identity) {
    if (now - seen > REVOKED_MAX)
        return 1;
    int hit = 0;
    pthread_mutex_lock(&t->lock);
    for (uint64_t s = seen + 1; s <= now && !hit; s++)
        hit = t->revoked[s % REVOKED_MAX].seq == s &&
              strcmp(t->revoked[s % REVOKED_MAX].identity, identity) == 0;
    pthread_mutex_unlock(&t->lock);
    return hit;
}

const char *cse_http_tls_scheme(const cse_http_tls_t *t) {
    return t->kind == CSE_HTTP_TLS_PSK ? "https-psk" : "https";
}

/* MHD_OPTION_GNUTLS_PSK_CRED_HANDLER: the key of a PSK identity, from the
 * plugins; MHD copies it and frees our malloc'd buffer. */
static int psk_handler(void *cls, const struct MHD_Connection *connection, const char *username,
                       void **psk, size_t *psk_size) {
    const cse_http_tls_t *t = cls;
    struct MHD_Connection *c = (struct MHD_Connection *)connection;
    unsigned char key[PSK_MAX];
    char safe[CSE_MAX_ID], peer[80];
    socklen_t plen;
    const struct sockaddr *sa = conn_peer(c, &plen);
    int rc = -1;
    size_t idlen = username ? strlen(username) : 0;
    if (idlen == 0 || idlen >= CSE_MAX_ID) {
        cse_log(CSE_LOG_WARN, "http: tls handshake refused: psk identity of length %zu peer=%s",
                idlen, peer_text(sa, plen, peer, sizeof(peer)));
        return -1;
    }
    cse_evt_psk_lookup_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 1;
    ev.binding = CSE_BINDING_HTTPS;
    ev.identity = username;
    ev.peer = sa;
    ev.peer_len = plen;
    ev.key = key;
    ev.key_cap = sizeof(key);
    int r = t->run_event ? t->run_event(CSE_EVT_PSK_LOOKUP, &ev) : CSE_PLUGIN_DENY;
    if (r != CSE_PLUGIN_OK || ev.key_len == 0 || ev.key_len > sizeof(key)) {
        cse_log(CSE_LOG_WARN, "http: tls handshake refused: unknown psk identity=\"%s\" peer=%s",
                log_safe(username, safe, sizeof(safe)), peer_text(sa, plen, peer, sizeof(peer)));
        goto out;
    }
    if (!(*psk = malloc(ev.key_len)))
        goto out;
    memcpy(*psk, key, ev.key_len);
    *psk_size = ev.key_len;
    rc = 0;
out:
    gnutls_memset(key, 0, sizeof(key));
    return rc;
}

int cse_http_tls_mhd_options(const cse_http_tls_t *t, struct MHD_OptionItem *ops) {
    int n = 0;
    if (t->kind == CSE_HTTP_TLS_PSK) {
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CRED_TYPE, GNUTLS_CRD_PSK, NULL};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)prio_psk};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_GNUTLS_PSK_CRED_HANDLER,
                                           (intptr_t)psk_handler, (void *)t};
        return n;
    }
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert_pem};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, t->key_pem};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)prio_x509};
    if (t->ca_pem) /* MHD then requests (never verifies) client certificates */
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, t->ca_pem};
    return n;
}

/* --- connections --------------------------------------------------------------- */

static int refuse(cse_http_tls_conn_t *tc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(cse_http_tls_conn_t *tc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tc->reason, sizeof(tc->reason), fmt, ap);
    va_end(ap);
    tc->refused_rsc = CSE_RSC_SECURITY_ASSOCIATION_REQUIRED;
    tc->assoc_method = CSE_ASSOC_NONE;
    tc->identity[0] = 0;
    return -1;
}

/* First URI subjectAltName of crt into out ("" if none fits). */
static void san_uri(gnutls_x509_crt_t crt, char *out, size_t cap) {
    out[0] = 0;
    for (unsigned i = 0;; i++) {
        char buf[CSE_MAX_ID];
        size_t len = sizeof(buf);
        unsigned critical = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &len, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            return;
        if (type == GNUTLS_SAN_URI && len > 0 && len < cap && len < sizeof(buf) &&
            !memchr(buf, 0, len)) {
            memcpy(out, buf, len);
            out[len] = 0;
            return;
        }
        /* Other names, and URIs too long to be an identity, are skipped. */
    }
}

/* Verifies the client certificate of session s and binds it through
 * CERT_CHECK. Returns 0 (maybe without a certificate, when optional) or -1. */
static int check_certificate(const cse_http_tls_t *t, gnutls_session_t s,
                             const struct sockaddr *peer, socklen_t plen, cse_http_tls_conn_t *tc) {
    unsigned n = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(s, &n);
    if (!chain || n == 0) {
        if (t->client_auth == CSE_HTTP_CLIENT_AUTH_REQUIRED)
            return refuse(tc, "a client certificate is required");
        return 0;
    }
    /* A certificate that names its purposes must allow TLS client use. */
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    unsigned status = 0;
    int r = gnutls_certificate_verify_peers(s, &purpose, 1, &status);
    if (r < 0)
        return refuse(tc, "client certificate not verified: %s", gnutls_strerror(r));
    if (status) {
        gnutls_datum_t why = {NULL, 0};
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
        size_t len = why.data ? strlen((const char *)why.data) : 0;
        while (len && why.data[len - 1] == ' ')
            why.data[--len] = 0;
        refuse(tc, "client certificate not trusted: %s",
               len ? (const char *)why.data : "verification failed");
        gnutls_free(why.data);
        return -1;
    }
    char revoked[96];
    if (cse_tls_crl_check(t->crl, chain, n, revoked, sizeof(revoked)) < 0)
        return refuse(tc, "%s", revoked);
    gnutls_x509_crt_t crt = NULL;
    if (gnutls_x509_crt_init(&crt) < 0)
        return refuse(tc, "client certificate: out of memory");
    if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        return refuse(tc, "client certificate cannot be parsed");
    }
    char san[CSE_MAX_ID], ident[CSE_MAX_ID] = "";
    san_uri(crt, san, sizeof(san));
    gnutls_x509_crt_deinit(crt);
    unsigned char fp[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, chain[0].data, chain[0].size, fp) < 0)
        return refuse(tc, "client certificate: cannot hash");

    cse_evt_cert_check_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 1;
    ev.binding = CSE_BINDING_HTTPS;
    ev.san_uri = san[0] ? san : NULL;
    ev.sha256 = fp;
    ev.peer = peer;
    ev.peer_len = plen;
    ev.identity = ident;
    ev.identity_cap = sizeof(ident);
    r = t->run_event ? t->run_event(CSE_EVT_CERT_CHECK, &ev) : CSE_PLUGIN_DENY;
    ident[sizeof(ident) - 1] = 0;
    const char *bound = ident[0] ? ident : san;
    if (r != CSE_PLUGIN_OK || !bound[0])
        return refuse(tc,
                      san[0] ? "client certificate (SAN URI %.96s) is not bound to an identity"
                             : "client certificate%.0s has no URI subjectAltName and is not "
                               "bound to an identity",
                      san);
    snprintf(tc->identity, sizeof(tc->identity), "%s", bound);
    tc->assoc_method = CSE_ASSOC_TLS_CERT;
    return 0;
}

static int check_psk(gnutls_session_t s, cse_http_tls_conn_t *tc) {
    const char *id = gnutls_psk_server_get_username(s);
    if (!id || !id[0] || strlen(id) >= sizeof(tc->identity))
        return refuse(tc, "TLS-PSK session without a usable identity");
    snprintf(tc->identity, sizeof(tc->identity), "%s", id);
    tc->assoc_method = CSE_ASSOC_TLS_PSK;
    return 0;
}

static void account(cse_http_tls_conn_t *tc, const struct sockaddr *peer, socklen_t plen,
                    int kind) {
    const cse_http_tls_t *t = tc->tls;
    if (!t || !t->run_event || tc->assoc_method == CSE_ASSOC_NONE)
        return;
    cse_security_context_t sec;
    memset(&sec, 0, sizeof(sec));
    cse_http_tls_conn_apply(tc, &sec);
    if (peer && plen <= sizeof(sec.peer)) {
        memcpy(&sec.peer, peer, plen);
        sec.peer_len = plen;
    }
    cse_evt_accounting_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.kind = kind;
    ev.sec = &sec;
    ev.originator = tc->identity;
    ev.authn_method = tc->assoc_method == CSE_ASSOC_TLS_PSK ? "tls-psk" : "tls-cert";
    ev.authorized = -1;
    t->run_event(CSE_EVT_ACCOUNTING, &ev);
}

/* A connection checked before: still fine unless its identity was revoked
 * since its last request. */
static int recheck(cse_http_tls_t *t, struct MHD_Connection *c, cse_http_tls_conn_t *tc) {
    uint64_t now = atomic_load(&t->revocations);
    if (tc->refused_rsc || now == tc->revocations_seen)
        return tc->refused_rsc ? -1 : 0;
    int hit = tc->assoc_method != CSE_ASSOC_NONE &&
              revoked_since(t, tc->revocations_seen, now, tc->identity);
    tc->revocations_seen = now;
    if (!hit)
        return 0;
    socklen_t plen;
    const struct sockaddr *peer = conn_peer(c, &plen);
    char safe[CSE_MAX_ID], where[80];
    cse_log(CSE_LOG_INFO, "http: revoked identity=\"%s\" peer=%s: connection closed",
            log_safe(tc->identity, safe, sizeof(safe)),
            peer_text(peer, plen, where, sizeof(where)));
    cse_http_tls_conn_closed(tc);
    return refuse(tc, "the security association was revoked");
}

int cse_http_tls_conn_check(cse_http_tls_t *t, struct MHD_Connection *c, cse_http_tls_conn_t *tc) {
    if (tc->tls)
        return recheck(t, c, tc);
    tc->tls = t;
    tc->revocations_seen = atomic_load(&t->revocations);
    tc->session_id = ((uint64_t)CSE_BINDING_HTTPS << 56) | (atomic_fetch_add(&next_session, 1) + 1);
    socklen_t plen;
    const struct sockaddr *peer = conn_peer(c, &plen);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s = ci ? (gnutls_session_t)ci->tls_session : NULL;
    int rc;
    if (!s)
        rc = refuse(tc, "no TLS session");
    else if (t->kind == CSE_HTTP_TLS_PSK)
        rc = check_psk(s, tc);
    else if (t->client_auth != CSE_HTTP_CLIENT_AUTH_NONE)
        rc = check_certificate(t, s, peer, plen, tc);
    else
        rc = 0;
    char safe[CSE_MAX_ID], where[80];
    peer_text(peer, plen, where, sizeof(where));
    if (rc < 0) {
        cse_log(CSE_LOG_WARN, "http: tls connection refused peer=%s reason=\"%s\"", where,
                log_safe(tc->reason, safe, sizeof(safe)));
        return -1;
    }
    cse_log(CSE_LOG_DEBUG, "http: tls connection peer=%s method=%s identity=\"%s\" suite=%s", where,
            tc->assoc_method == CSE_ASSOC_TLS_PSK    ? "psk"
            : tc->assoc_method == CSE_ASSOC_TLS_CERT ? "cert"
                                                     : "none",
            log_safe(tc->identity, safe, sizeof(safe)),
            s ? gnutls_ciphersuite_get(s) ? gnutls_ciphersuite_get(s) : "?" : "?");
    account(tc, peer, plen, CSE_ACCT_SESSION_START);
    tc->accounted = tc->assoc_method != CSE_ASSOC_NONE;
    list_open(t, c, tc);
    return 0;
}

void cse_http_tls_conn_apply(const cse_http_tls_conn_t *tc, cse_security_context_t *sec) {
    sec->binding = CSE_BINDING_HTTPS;
    sec->assoc_method = tc->refused_rsc ? CSE_ASSOC_NONE : tc->assoc_method;
    sec->assoc_identity = sec->assoc_method != CSE_ASSOC_NONE ? tc->identity : NULL;
    sec->session_id = tc->session_id;
}

void cse_http_tls_conn_closed(cse_http_tls_conn_t *tc) {
    unlist(tc);
    if (tc->accounted)
        account(tc, NULL, 0, CSE_ACCT_SESSION_STOP);
    tc->accounted = 0;
}
