#include "cse/coap/coap_dtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/md.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "cse/coap/coap_dtls_peek.h"
#include "cse/coap/coap_psk_async.h"
#include "cse/host.h"

#define IDENTITY_MAX 256
#define PLAIN_MAX 16384 /* one DTLS record; the endpoint applies the CoAP limit */
#define REPLY_MAX 2048
#define SAN_URI_TAG (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 6) /* 0x86 */
#define PSK_WORKERS 2
#define PSK_QUEUE_MAX 64 /* lookups waiting or running; beyond, handshakes are refused */

/* The PSK of a handshake, looked up before mbedTLS asks for it. */
enum { PSK_NONE = 0, PSK_PENDING, PSK_READY, PSK_REFUSED };

typedef struct session {
    mbedtls_ssl_context ssl;
    struct cse_coap_dtls *d;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    uint8_t tid[18]; /* transport id for cookies: address + port */
    size_t tid_len;
    int established;
    const uint8_t *rx; /* the datagram being processed, borrowed */
    size_t rx_len;
    int timer_on;
    uint64_t int_deadline, fin_deadline;
    uint64_t last_active;
    uint64_t id;
    int method; /* enum cse_assoc_method */
    char identity[IDENTITY_MAX];
    uint32_t vflags;     /* verification flags seen along the chain */
    uint64_t park_tried; /* last_active when parking was refused (not yet saveable) */
    int psk_state;       /* PSK_* for psk_id */
    char psk_id[IDENTITY_MAX];
    unsigned char psk_key[MBEDTLS_PSK_MAX_LEN];
    size_t psk_len;
    uint8_t *held; /* the datagram waiting for a PSK lookup (owned) */
    size_t held_len;
    int index;            /* in d->list */
    struct session *next; /* hash chain */
} session_t;

/* A parked session: its serialized context (mbedtls_ssl_context_save) and
 * what the CSE needs without restoring it (peer, identity for revocation). */
typedef struct parked {
    struct parked *next;          /* hash chain */
    struct parked *older, *newer; /* park order, for eviction and idle expiry */
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } peer;
    socklen_t peer_len;
    uint8_t tid[18];
    uint8_t tid_len;
    int method;
    uint64_t id, last_active;
    size_t blob_len;
    char *identity;       /* points into data */
    unsigned char data[]; /* identity, NUL, then the serialized context */
} parked_t;

struct cse_coap_dtls {
    cse_coap_dtls_cfg_t cfg;
    int fd;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_cookie_ctx cookie;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt own_cert, ca;
    mbedtls_x509_crl crl;
    mbedtls_pk_context own_key;
    session_t **buckets;
    size_t nbuckets;
    session_t **list; /* every kept session, for timers and idle expiry */
    int count;
    session_t *spare;           /* runs ClientHellos of unknown peers */
    cse_psk_async_t *psk_async; /* PSK lookups that would block the loop */
    parked_t **pbuckets;
    size_t npbuckets;
    parked_t *oldest, *newest;
    int nparked;
    cse_coap_dtls_stats_t stats;
    uint64_t next_id;
    uint64_t last_full_log;
    uint8_t plain[PLAIN_MAX];
    uint8_t reply[REPLY_MAX];
};

/* Explicit, static lists (mbedTLS keeps the pointers): PSK first so PSK
 * clients never get a certificate suite, P-256 first for constrained peers. */
static const int suites_psk[] = {
    MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8,
    MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_PSK_WITH_AES_128_CBC_SHA256,
    0,
};
static const int suites_all[] = {
    MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8,
    MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_PSK_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    0,
};
static const mbedtls_ecp_group_id curves[] = {
    MBEDTLS_ECP_DP_SECP256R1,
    MBEDTLS_ECP_DP_SECP384R1,
    MBEDTLS_ECP_DP_NONE,
};

uint64_t cse_coap_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cse_coap_dtls_cfg_default(cse_coap_dtls_cfg_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_sessions = 1024;
    cfg->idle_timeout_ms = 300000;
    cfg->hs_timeout_min_ms = 1000;
    cfg->hs_timeout_max_ms = 16000;
    cfg->park_after_ms = 5000;
    cfg->max_parked = 100000;
}

/* "addr:port" of a peer, for logs. */
static const char *peer_str(const struct sockaddr_storage *p, char *buf, size_t cap) {
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (p->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)p;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (p->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)p;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    }
    snprintf(buf, cap, p->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
    return buf;
}

/* Printable copy of peer-supplied text for a log line. */
static const char *log_safe(const char *s, char *buf, size_t cap) {
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++)
        buf[i] = (s[i] > 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
    buf[i] = 0;
    return buf;
}

static size_t transport_id(const struct sockaddr *peer, uint8_t *tid) {
    if (peer->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)peer;
        memcpy(tid, &a->sin_addr, 4);
        memcpy(tid + 4, &a->sin_port, 2);
        return 6;
    }
    if (peer->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)peer;
        memcpy(tid, &a->sin6_addr, 16);
        memcpy(tid + 16, &a->sin6_port, 2);
        return 18;
    }
    return 0;
}

static uint64_t tid_hash(const uint8_t *tid, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ tid[i]) * 1099511628211ull;
    return h;
}

static size_t bucket_of(const cse_coap_dtls_t *d, const uint8_t *tid, size_t n) {
    return (size_t)(tid_hash(tid, n) % d->nbuckets);
}

static session_t *find(cse_coap_dtls_t *d, const uint8_t *tid, size_t n) {
    for (session_t *s = d->buckets[bucket_of(d, tid, n)]; s; s = s->next)
        if (s->tid_len == n && memcmp(s->tid, tid, n) == 0)
            return s;
    return NULL;
}

static void table_insert(cse_coap_dtls_t *d, session_t *s) {
    size_t b = bucket_of(d, s->tid, s->tid_len);
    s->next = d->buckets[b];
    d->buckets[b] = s;
    s->index = d->count;
    d->list[d->count++] = s;
}

static void table_remove(cse_coap_dtls_t *d, session_t *s) {
    session_t **pp = &d->buckets[bucket_of(d, s->tid, s->tid_len)];
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
    d->list[s->index] = d->list[--d->count];
    d->list[s->index]->index = s->index;
}

/* --- mbedTLS callbacks ---------------------------------------------------- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
    session_t *s = ctx;
    ssize_t n = sendto(s->d->fd, buf, len, 0, (const struct sockaddr *)&s->peer, s->peer_len);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
        return MBEDTLS_ERR_NET_SEND_FAILED;
    return (int)len; /* a datagram lost to a full buffer is retransmitted like any loss */
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len) {
    session_t *s = ctx;
    if (!s->rx)
        return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = s->rx_len < len ? s->rx_len : len;
    memcpy(buf, s->rx, n);
    s->rx = NULL;
    return (int)n;
}

static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms) {
    session_t *s = ctx;
    if (fin_ms == 0) {
        s->timer_on = 0;
        return;
    }
    uint64_t now = cse_coap_now_ms();
    s->timer_on = 1;
    s->int_deadline = now + int_ms;
    s->fin_deadline = now + fin_ms;
}

static int timer_get(void *ctx) {
    session_t *s = ctx;
    if (!s->timer_on)
        return -1;
    uint64_t now = cse_coap_now_ms();
    return now >= s->fin_deadline ? 2 : now >= s->int_deadline ? 1 : 0;
}

static int run_event(cse_coap_dtls_t *d, int event, void *data) {
    return d->cfg.run_event ? d->cfg.run_event(event, data) : CSE_PLUGIN_DEFER;
}

/* The session being driven: callbacks are only called from inside
 * mbedtls_ssl_handshake, which the loop runs for one session at a time. */
static _Thread_local session_t *current;

/* Forgets the looked-up key and any datagram waiting for it. */
static void psk_clear(session_t *s) {
    mbedtls_platform_zeroize(s->psk_key, sizeof(s->psk_key));
    s->psk_len = 0;
    s->psk_state = PSK_NONE;
    s->psk_id[0] = 0;
    free(s->held);
    s->held = NULL;
    s->held_len = 0;
}

/* Asks the plugins for identity's key. nonblocking: from memory only;
 * then *would_block says the answer needs a remote lookup. Fills s's
 * psk_* fields: PSK_READY with the key, else PSK_REFUSED. */
static void psk_ask(cse_coap_dtls_t *d, session_t *s, const char *identity, int nonblocking,
                    int *would_block) {
    cse_evt_psk_lookup_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.binding = CSE_BINDING_COAPS;
    ev.identity = identity;
    ev.peer = (const struct sockaddr *)&s->peer;
    ev.peer_len = s->peer_len;
    ev.key = s->psk_key;
    ev.key_cap = sizeof(s->psk_key);
    ev.nonblocking = nonblocking;
    int r = run_event(d, CSE_EVT_PSK_LOOKUP, &ev);
    snprintf(s->psk_id, sizeof(s->psk_id), "%s", identity);
    int ok = r == CSE_PLUGIN_OK && ev.key_len > 0 && ev.key_len <= sizeof(s->psk_key);
    s->psk_len = ok ? ev.key_len : 0;
    s->psk_state = ok ? PSK_READY : PSK_REFUSED;
    if (!ok)
        mbedtls_platform_zeroize(s->psk_key, sizeof(s->psk_key));
    if (would_block)
        *would_block = !ok && r == CSE_PLUGIN_DEFER && ev.would_block;
}

/*
 * Before a handshake datagram reaches mbedTLS: if it carries a PSK
 * identity whose key the plugins cannot give from memory, the lookup goes
 * to a worker and the datagram waits in the session (1: held, do not
 * drive). The handshake resumes when the lookup finishes (psk_lookups_done),
 * so one slow lookup never stalls the other sessions of this loop.
 */
static int psk_hold(cse_coap_dtls_t *d, session_t *s, const uint8_t *buf, size_t len) {
    if (s->psk_state == PSK_PENDING)
        return 1; /* a retransmission of the datagram already held */
    char identity[IDENTITY_MAX];
    if (!d->psk_async || !cse_dtls_peek_psk_identity(buf, len, identity, sizeof(identity)))
        return 0;
    if (s->psk_state != PSK_NONE && strcmp(identity, s->psk_id) == 0)
        return 0;
    int would_block = 0;
    psk_ask(d, s, identity, 1, &would_block);
    if (!would_block)
        return 0;
    uint8_t *copy = malloc(len);
    if (!copy || cse_psk_async_submit(d->psk_async, s->id, identity,
                                      (const struct sockaddr *)&s->peer, s->peer_len) != 0) {
        free(copy);
        char peer[64], safe[IDENTITY_MAX];
        cse_log(CSE_LOG_WARN, "coap: dtls psk lookup queue full: identity=\"%s\" peer=%s refused",
                log_safe(identity, safe, sizeof(safe)), peer_str(&s->peer, peer, sizeof(peer)));
        return 0; /* PSK_REFUSED: the handshake fails now */
    }
    memcpy(copy, buf, len);
    s->held = copy;
    s->held_len = len;
    s->psk_state = PSK_PENDING;
    return 1;
}

static int psk_cb(void *p, mbedtls_ssl_context *ssl, const unsigned char *id, size_t id_len) {
    cse_coap_dtls_t *d = p;
    session_t *s = current;
    char ident[IDENTITY_MAX], peer[64], safe[IDENTITY_MAX];
    unsigned char key[MBEDTLS_PSK_MAX_LEN];
    int rc = -1;
    if (!s || &s->ssl != ssl)
        return -1;
    if (id_len == 0 || id_len >= sizeof(ident) || memchr(id, 0, id_len)) {
        cse_log(CSE_LOG_WARN, "coap: dtls psk identity rejected (length %zu) peer=%s", id_len,
                peer_str(&s->peer, peer, sizeof(peer)));
        return -1;
    }
    memcpy(ident, id, id_len);
    ident[id_len] = 0;
    /* Looked up before (psk_hold), or asked now, blocking: a message the
     * peek did not read (e.g. fragmented) still gets its answer. */
    if (s->psk_state == PSK_NONE || s->psk_state == PSK_PENDING || strcmp(s->psk_id, ident) != 0)
        psk_ask(d, s, ident, 0, NULL);
    if (s->psk_state != PSK_READY) {
        cse_log(CSE_LOG_WARN, "coap: dtls handshake refused: unknown psk identity=\"%s\" peer=%s",
                log_safe(ident, safe, sizeof(safe)), peer_str(&s->peer, peer, sizeof(peer)));
        goto out;
    }
    memcpy(key, s->psk_key, s->psk_len);
    if (mbedtls_ssl_set_hs_psk(ssl, key, s->psk_len) != 0)
        goto out;
    memcpy(s->identity, ident, id_len + 1);
    s->method = CSE_ASSOC_DTLS_PSK;
    rc = 0;
out:
    mbedtls_platform_zeroize(key, sizeof(key));
    psk_clear(s); /* mbedTLS holds the key now; never needed again */
    return rc;
}

/* First URI subjectAltName (mbedTLS 2.28 keeps them raw: tag 0x86). */
static int san_uri(const mbedtls_x509_crt *crt, char *out, size_t cap) {
    for (const mbedtls_x509_sequence *cur = &crt->subject_alt_names; cur; cur = cur->next) {
        if (cur->buf.tag != SAN_URI_TAG || !cur->buf.p || cur->buf.len == 0 ||
            cur->buf.len >= cap || memchr(cur->buf.p, 0, cur->buf.len))
            continue;
        memcpy(out, cur->buf.p, cur->buf.len);
        out[cur->buf.len] = 0;
        return 1;
    }
    out[0] = 0;
    return 0;
}

static int verify_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
    session_t *s = p;
    cse_coap_dtls_t *d = s->d;
    char san[IDENTITY_MAX], ident[IDENTITY_MAX] = "", peer[64], safe[IDENTITY_MAX];
    unsigned char fp[32];
    s->vflags |= *flags;
    if (depth != 0 || s->vflags) /* a broken chain fails on its own */
        return 0;
    san_uri(crt, san, sizeof(san));
    mbedtls_sha256_ret(crt->raw.p, crt->raw.len, fp, 0);
    cse_evt_cert_check_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 1;
    ev.binding = CSE_BINDING_COAPS;
    ev.san_uri = san[0] ? san : NULL;
    ev.sha256 = fp;
    ev.peer = (const struct sockaddr *)&s->peer;
    ev.peer_len = s->peer_len;
    ev.identity = ident;
    ev.identity_cap = sizeof(ident);
    int r = run_event(d, CSE_EVT_CERT_CHECK, &ev);
    ident[sizeof(ident) - 1] = 0;
    const char *bound = ident[0] ? ident : san;
    if (r != CSE_PLUGIN_OK || !bound[0]) {
        cse_log(CSE_LOG_WARN,
                "coap: dtls handshake refused: certificate not bound san=\"%s\" peer=%s",
                log_safe(san, safe, sizeof(safe)), peer_str(&s->peer, peer, sizeof(peer)));
        *flags |= MBEDTLS_X509_BADCERT_OTHER;
        return 0;
    }
    snprintf(s->identity, sizeof(s->identity), "%s", bound);
    s->method = CSE_ASSOC_DTLS_CERT;
    return 0;
}

/* --- sessions --------------------------------------------------------------- */

static session_t *session_new(cse_coap_dtls_t *d) {
    session_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->d = d;
    mbedtls_ssl_init(&s->ssl);
    if (mbedtls_ssl_setup(&s->ssl, &d->conf) != 0) {
        mbedtls_ssl_free(&s->ssl);
        free(s);
        return NULL;
    }
    return s;
}

/* Full reset for a new peer; bio, timers, verify and transport id must be
 * set again after every reset (a missing one fails with BAD_INPUT_DATA). */
static int session_prepare(session_t *s, const struct sockaddr *peer, socklen_t plen) {
    if (mbedtls_ssl_session_reset(&s->ssl) != 0)
        return -1;
    memset(&s->peer, 0, sizeof(s->peer));
    memcpy(&s->peer, peer, plen);
    s->peer_len = plen;
    s->tid_len = transport_id(peer, s->tid);
    s->established = 0;
    s->timer_on = 0;
    s->method = CSE_ASSOC_NONE;
    s->identity[0] = 0;
    s->vflags = 0;
    psk_clear(s);
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(&s->ssl, s, timer_set, timer_get);
    mbedtls_ssl_set_verify(&s->ssl, verify_cb, s);
    return mbedtls_ssl_set_client_transport_id(&s->ssl, s->tid, s->tid_len) == 0 ? 0 : -1;
}

static void fill_sec(const session_t *s, cse_security_context_t *sec) {
    memset(sec, 0, sizeof(*sec));
    sec->version = 1;
    sec->binding = CSE_BINDING_COAPS;
    sec->assoc_method = s->method;
    sec->assoc_identity = s->method != CSE_ASSOC_NONE ? s->identity : NULL;
    memcpy(&sec->peer, &s->peer, sizeof(sec->peer));
    sec->peer_len = s->peer_len;
    sec->session_id = s->id;
}

static void account(cse_coap_dtls_t *d, const session_t *s, int kind) {
    cse_security_context_t sec;
    cse_evt_accounting_t ev;
    fill_sec(s, &sec);
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.kind = kind;
    ev.sec = &sec;
    ev.originator = sec.assoc_identity;
    ev.authn_method = s->method == CSE_ASSOC_DTLS_PSK    ? "dtls-psk"
                      : s->method == CSE_ASSOC_DTLS_CERT ? "dtls-cert"
                                                         : "dtls";
    ev.authorized = -1;
    run_event(d, CSE_EVT_ACCOUNTING, &ev);
}

static void session_close(cse_coap_dtls_t *d, session_t *s, int notify, const char *why) {
    char peer[64];
    if (s->established) {
        if (notify)
            mbedtls_ssl_close_notify(&s->ssl);
        account(d, s, CSE_ACCT_SESSION_STOP);
    }
    cse_log(CSE_LOG_DEBUG, "coap: dtls session closed peer=%s reason=%s",
            peer_str(&s->peer, peer, sizeof(peer)), why);
    table_remove(d, s);
    psk_clear(s);
    mbedtls_ssl_free(&s->ssl);
    free(s);
}

static void handshake_failed(cse_coap_dtls_t *d, session_t *s, int ret) {
    char peer[64], msg[128];
    if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) /* mbedTLS sends no alert here */
        mbedtls_ssl_send_alert_message(&s->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                       MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
    mbedtls_strerror(ret, msg, sizeof(msg));
    cse_log(CSE_LOG_WARN, "coap: dtls handshake failed peer=%s error=-0x%04x (%s)",
            peer_str(&s->peer, peer, sizeof(peer)), (unsigned)-ret, msg);
    session_close(d, s, 0, "handshake");
}

static void established(cse_coap_dtls_t *d, session_t *s) {
    char peer[64], safe[IDENTITY_MAX];
    s->established = 1;
    d->stats.handshakes++;
    s->timer_on = 0;
    cse_log(CSE_LOG_INFO, "coap: dtls session up peer=%s method=%s identity=\"%s\" suite=%s",
            peer_str(&s->peer, peer, sizeof(peer)),
            s->method == CSE_ASSOC_DTLS_PSK    ? "psk"
            : s->method == CSE_ASSOC_DTLS_CERT ? "cert"
                                               : "none",
            log_safe(s->identity, safe, sizeof(safe)), mbedtls_ssl_get_ciphersuite(&s->ssl));
    account(d, s, CSE_ACCT_SESSION_START);
}

static void app_record(cse_coap_dtls_t *d, session_t *s, size_t n) {
    cse_security_context_t sec;
    fill_sec(s, &sec);
    size_t out = d->cfg.on_app
                     ? d->cfg.on_app(d->cfg.app_user, &sec, d->plain, n, d->reply, sizeof(d->reply))
                     : 0;
    if (out)
        mbedtls_ssl_write(&s->ssl, d->reply, out);
}

/* Runs the handshake or reads application records; may free s. */
static void drive(cse_coap_dtls_t *d, session_t *s) {
    for (int restarts = 0; restarts < 2; restarts++) {
        if (!s->established) {
            int ret = mbedtls_ssl_handshake(&s->ssl);
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
                return;
            if (ret != 0) {
                handshake_failed(d, s, ret);
                return;
            }
            established(d, s);
        }
        for (;;) {
            int ret = mbedtls_ssl_read(&s->ssl, d->plain, sizeof(d->plain));
            if (ret > 0) {
                app_record(d, s, (size_t)ret);
                continue;
            }
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
                return;
            if (ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
                /* The peer restarted on the same port: a new handshake on
                 * this context (mbedTLS kept the ClientHello), a new session. */
                account(d, s, CSE_ACCT_SESSION_STOP);
                s->established = 0;
                s->method = CSE_ASSOC_NONE;
                s->identity[0] = 0;
                s->vflags = 0;
                psk_clear(s);
                s->id = ++d->next_id;
                break;
            }
            session_close(d, s, 0,
                          ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ? "close_notify" : "error");
            return;
        }
    }
}

/* --- parking ---------------------------------------------------------------- */

static parked_t **parked_slot(cse_coap_dtls_t *d, const uint8_t *tid, size_t n) {
    parked_t **pp = &d->pbuckets[tid_hash(tid, n) % d->npbuckets];
    while (*pp && !((*pp)->tid_len == n && memcmp((*pp)->tid, tid, n) == 0))
        pp = &(*pp)->next;
    return pp;
}

/* Unlinks p from the hash and the park order (does not free it). */
static void parked_unlink(cse_coap_dtls_t *d, parked_t *p) {
    parked_t **pp = parked_slot(d, p->tid, p->tid_len);
    if (*pp == p)
        *pp = p->next;
    if (p->older)
        p->older->newer = p->newer;
    else
        d->oldest = p->newer;
    if (p->newer)
        p->newer->older = p->older;
    else
        d->newest = p->older;
    d->nparked--;
}

/* Ends a parked session for good (idle, evicted, revoked, shutdown). */
static void parked_drop(cse_coap_dtls_t *d, parked_t *p, const char *why) {
    char peer[64];
    session_t tmp; /* what accounting needs, without a TLS context */
    memset(&tmp, 0, sizeof(tmp));
    memcpy(&tmp.peer, &p->peer, sizeof(p->peer));
    tmp.peer_len = p->peer_len;
    tmp.method = p->method;
    tmp.id = p->id;
    snprintf(tmp.identity, sizeof(tmp.identity), "%s", p->identity);
    account(d, &tmp, CSE_ACCT_SESSION_STOP);
    cse_log(CSE_LOG_DEBUG, "coap: dtls parked session closed peer=%s reason=%s",
            peer_str(&tmp.peer, peer, sizeof(peer)), why);
    parked_unlink(d, p);
    mbedtls_platform_zeroize(p->data, strlen(p->identity) + 1 + p->blob_len);
    free(p);
}

/* Serializes an idle established session and frees its context. Returns 0,
 * or -1 when it cannot be saved yet (the handshake state is kept until the
 * first application record) or at all (non-AEAD suite): it stays active. */
static int park(cse_coap_dtls_t *d, session_t *s) {
    size_t need = 0, ilen = strlen(s->identity);
    if (!d->pbuckets || !s->established || s->method == CSE_ASSOC_NONE ||
        s->park_tried == s->last_active)
        return -1;
    s->park_tried = s->last_active;
    if (mbedtls_ssl_context_save(&s->ssl, NULL, 0, &need) != MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL ||
        need == 0)
        return -1;
    parked_t *p = malloc(sizeof(*p) + ilen + 1 + need);
    if (!p)
        return -1;
    size_t used = 0;
    if (mbedtls_ssl_context_save(&s->ssl, p->data + ilen + 1, need, &used) != 0) {
        free(p); /* the context is untouched unless the save succeeded */
        return -1;
    }
    while (d->nparked >= d->cfg.max_parked && d->oldest) {
        d->stats.evicted++;
        parked_drop(d, d->oldest, "evicted");
    }
    memcpy(p->data, s->identity, ilen + 1);
    p->identity = (char *)p->data;
    p->blob_len = used;
    memset(&p->peer, 0, sizeof(p->peer));
    memcpy(&p->peer, &s->peer, s->peer_len <= sizeof(p->peer) ? s->peer_len : sizeof(p->peer));
    p->peer_len = s->peer_len;
    memcpy(p->tid, s->tid, s->tid_len);
    p->tid_len = (uint8_t)s->tid_len;
    p->method = s->method;
    p->id = s->id;
    p->last_active = s->last_active;
    parked_t **slot = parked_slot(d, p->tid, p->tid_len);
    p->next = *slot; /* NULL: a peer has an active or a parked session, not both */
    *slot = p;
    p->newer = NULL;
    p->older = d->newest;
    if (d->newest)
        d->newest->newer = p;
    else
        d->oldest = p;
    d->newest = p;
    d->nparked++;
    d->stats.parked++;
    char peer[64];
    cse_log(CSE_LOG_DEBUG, "coap: dtls session parked peer=%s bytes=%zu",
            peer_str(&s->peer, peer, sizeof(peer)), used);
    table_remove(d, s);
    mbedtls_ssl_free(&s->ssl); /* already reset by the save */
    free(s);
    return 0;
}

/* Parks the least recently active established session to free a slot. */
static int park_oldest(cse_coap_dtls_t *d) {
    session_t *best = NULL;
    for (int i = 0; i < d->count; i++) {
        session_t *s = d->list[i];
        if (s->established && s->park_tried != s->last_active &&
            (!best || s->last_active < best->last_active))
            best = s;
    }
    return best ? park(d, best) : -1;
}

/* Brings a parked session back into the table; NULL if it cannot (no slot,
 * no memory, a context that does not load): the record is then dropped. */
static session_t *restore(cse_coap_dtls_t *d, parked_t *p) {
    if (d->count >= d->cfg.max_sessions && park_oldest(d) < 0)
        return NULL; /* the datagram is lost; the peer retransmits */
    session_t *s = session_new(d);
    if (!s)
        return NULL;
    const unsigned char *blob = p->data + strlen(p->identity) + 1;
    int ret = mbedtls_ssl_context_load(&s->ssl, blob, p->blob_len);
    memcpy(&s->peer, &p->peer, sizeof(p->peer));
    s->peer_len = p->peer_len;
    memcpy(s->tid, p->tid, p->tid_len);
    s->tid_len = p->tid_len;
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(&s->ssl, s, timer_set, timer_get);
    mbedtls_ssl_set_verify(&s->ssl, verify_cb, s);
    if (ret != 0 || mbedtls_ssl_set_client_transport_id(&s->ssl, s->tid, s->tid_len) != 0) {
        char msg[128];
        mbedtls_strerror(ret, msg, sizeof(msg));
        cse_log(CSE_LOG_WARN, "coap: dtls parked session cannot be restored: -0x%04x (%s)",
                (unsigned)-ret, msg);
        mbedtls_ssl_free(&s->ssl);
        free(s);
        parked_drop(d, p, "restore");
        return NULL;
    }
    s->established = 1;
    s->method = p->method;
    snprintf(s->identity, sizeof(s->identity), "%s", p->identity);
    s->id = p->id;
    s->last_active = p->last_active;
    parked_unlink(d, p);
    mbedtls_platform_zeroize(p->data, strlen(p->identity) + 1 + p->blob_len);
    free(p);
    table_insert(d, s);
    d->stats.restored++;
    char peer[64];
    cse_log(CSE_LOG_DEBUG, "coap: dtls session restored peer=%s",
            peer_str(&s->peer, peer, sizeof(peer)));
    return s;
}

/* A datagram from an address without a session: only a ClientHello in
 * epoch 0 gets any work, and state is kept only once its cookie checks. */
static void new_peer(cse_coap_dtls_t *d, const struct sockaddr *peer, socklen_t plen,
                     const uint8_t *buf, size_t len, uint64_t now) {
    if (len < 25 || buf[0] != 22 || buf[1] != 0xfe || buf[3] != 0 || buf[4] != 0 || buf[13] != 1)
        return;
    if (d->count >= d->cfg.max_sessions) {
        cse_coap_dtls_tick(d, now); /* close idle sessions first */
        if (d->count >= d->cfg.max_sessions)
            park_oldest(d);
        if (d->count >= d->cfg.max_sessions) {
            if (now - d->last_full_log > 10000) {
                cse_log(CSE_LOG_WARN, "coap: dtls session table full (%d), refusing new peers",
                        d->count);
                d->last_full_log = now;
            }
            return;
        }
    }
    if (!d->spare && !(d->spare = session_new(d)))
        return;
    session_t *s = d->spare;
    if (session_prepare(s, peer, plen) < 0)
        return;
    s->rx = buf;
    s->rx_len = len;
    current = s;
    int ret = mbedtls_ssl_handshake(&s->ssl);
    current = NULL;
    s->rx = NULL;
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
        return; /* HELLO_VERIFY_REQUIRED (cookie sent) or a bad hello: nothing kept */
    d->spare = NULL;
    s->id = ++d->next_id;
    s->last_active = now;
    table_insert(d, s);
}

/* A DTLS 1.x record header, in a later epoch or a ClientHello (a peer that
 * restarted): anything else from a parked peer is dropped unread. */
static int plausible_record(const uint8_t *buf, size_t len) {
    return len >= 13 && buf[1] == 0xfe && ((buf[3] | buf[4]) != 0 || buf[0] == 22);
}

void cse_coap_dtls_input(cse_coap_dtls_t *d, const struct sockaddr *peer, socklen_t peer_len,
                         const uint8_t *buf, size_t len, uint64_t now) {
    uint8_t tid[18];
    size_t n = transport_id(peer, tid);
    if (!n)
        return;
    session_t *s = find(d, tid, n);
    if (s && now - s->last_active >= d->cfg.idle_timeout_ms) {
        session_close(d, s, 1, "idle"); /* expired before the sweep saw it */
        s = NULL;
    }
    if (!s && d->pbuckets) {
        parked_t *p = *parked_slot(d, tid, n);
        if (p && now - p->last_active >= d->cfg.idle_timeout_ms)
            parked_drop(d, p, "idle");
        else if (p && !plausible_record(buf, len))
            return; /* not worth 35 KB and a restore */
        else if (p && !(s = restore(d, p)))
            return;
    }
    if (!s) {
        new_peer(d, peer, peer_len, buf, len, now);
        return;
    }
    s->last_active = now;
    if (!s->established && psk_hold(d, s, buf, len))
        return;
    s->rx = buf;
    s->rx_len = len;
    current = s;
    drive(d, s);
    current = NULL;
    /* s may be freed; the datagram is not referenced after this call */
}

int cse_coap_dtls_lookup_fd(const cse_coap_dtls_t *d) {
    return d ? cse_psk_async_fd(d->psk_async) : -1;
}

void cse_coap_dtls_lookups_done(cse_coap_dtls_t *d) {
    cse_psk_async_result_t r;
    while (d && cse_psk_async_take(d->psk_async, &r)) {
        session_t *s = NULL;
        for (int i = 0; i < d->count && !s; i++)
            if (d->list[i]->id == r.session_id)
                s = d->list[i];
        /* Gone (closed, timed out) or moved on: the answer is not needed. */
        if (s && s->psk_state == PSK_PENDING && strcmp(s->psk_id, r.identity) == 0) {
            s->psk_state = r.found ? PSK_READY : PSK_REFUSED;
            memcpy(s->psk_key, r.key, r.key_len);
            s->psk_len = r.key_len;
            uint8_t *held = s->held;
            s->held = NULL;
            s->rx = held;
            s->rx_len = s->held_len;
            current = s;
            drive(d, s); /* may free s */
            current = NULL;
            free(held);
        }
        mbedtls_platform_zeroize(&r, sizeof(r));
    }
}

int cse_coap_dtls_tick(cse_coap_dtls_t *d, uint64_t now) {
    uint64_t next = 1000;
    for (int i = d->count - 1; i >= 0; i--) {
        if (i >= d->count)
            continue;
        session_t *s = d->list[i];
        uint64_t idle_at = s->last_active + d->cfg.idle_timeout_ms;
        if (now >= idle_at) {
            session_close(d, s, 1, "idle");
            continue;
        }
        if (idle_at - now < next)
            next = idle_at - now;
        if (s->established && d->cfg.park_after_ms && s->park_tried != s->last_active) {
            uint64_t park_at = s->last_active + d->cfg.park_after_ms;
            if (now >= park_at && park(d, s) == 0)
                continue;
            if (park_at > now && park_at - now < next)
                next = park_at - now;
        }
        if (s->established || !s->timer_on)
            continue;
        if (now >= s->int_deadline) {
            s->rx = NULL;
            current = s;
            drive(d, s); /* retransmits the last flight, or times out */
            current = NULL;
        } else if (s->int_deadline - now < next) {
            next = s->int_deadline - now;
        }
    }
    while (d->oldest && now - d->oldest->last_active >= d->cfg.idle_timeout_ms)
        parked_drop(d, d->oldest, "idle");
    if (d->oldest && d->oldest->last_active + d->cfg.idle_timeout_ms - now < next)
        next = d->oldest->last_active + d->cfg.idle_timeout_ms - now;
    return (int)next;
}

int cse_coap_dtls_close_identity(cse_coap_dtls_t *d, const char *identity) {
    int closed = 0;
    for (int i = d->count - 1; i >= 0; i--) {
        if (i >= d->count) /* closing one moves the last into its slot */
            continue;
        session_t *s = d->list[i];
        if (s->established && s->method != CSE_ASSOC_NONE && strcmp(s->identity, identity) == 0) {
            session_close(d, s, 1, "revoked");
            closed++;
        }
    }
    for (parked_t *p = d->oldest, *newer; p; p = newer) {
        newer = p->newer;
        if (p->method != CSE_ASSOC_NONE && strcmp(p->identity, identity) == 0) {
            parked_drop(d, p, "revoked"); /* its next record finds no session */
            closed++;
        }
    }
    return closed;
}

int cse_coap_dtls_session_count(const cse_coap_dtls_t *d) {
    return d->count;
}

int cse_coap_dtls_parked_count(const cse_coap_dtls_t *d) {
    return d->nparked;
}

void cse_coap_dtls_stats(const cse_coap_dtls_t *d, cse_coap_dtls_stats_t *st) {
    *st = d->stats;
}

/* The CRL(s) of the client CA: mbedTLS then refuses a revoked certificate
 * (and every certificate once a CRL is past its next update). Refused at
 * start when not signed by the CA or already expired: a mistake noticed
 * now rather than as handshakes failing later. */
static int load_crl(cse_coap_dtls_t *d, char *err, size_t err_cap) {
    const char *path = d->cfg.crl_file;
    char msg[128];
    if (!path || !*path)
        return 0;
    int ret = mbedtls_x509_crl_parse_file(&d->crl, path);
    if (ret != 0) {
        mbedtls_strerror(ret, msg, sizeof(msg));
        snprintf(err, err_cap, "coap dtls: cannot load CRL %s: %s", path, msg);
        return -1;
    }
    for (const mbedtls_x509_crl *c = &d->crl; c && c->version; c = c->next) {
        const mbedtls_x509_crt *ca = &d->ca;
        while (ca && ca->version &&
               (ca->subject_raw.len != c->issuer_raw.len ||
                memcmp(ca->subject_raw.p, c->issuer_raw.p, c->issuer_raw.len) != 0))
            ca = ca->next;
        const mbedtls_md_info_t *md = mbedtls_md_info_from_type(c->sig_md);
        unsigned char hash[MBEDTLS_MD_MAX_SIZE];
        if (!ca || !ca->version || !md || mbedtls_md(md, c->tbs.p, c->tbs.len, hash) != 0 ||
            mbedtls_pk_verify_ext(c->sig_pk, c->sig_opts, (mbedtls_pk_context *)&ca->pk, c->sig_md,
                                  hash, mbedtls_md_get_size(md), c->sig.p, c->sig.len) != 0) {
            snprintf(err, err_cap, "coap dtls: CRL %s is not signed by dtls_ca", path);
            return -1;
        }
        if (mbedtls_x509_time_is_past(&c->next_update)) {
            snprintf(err, err_cap, "coap dtls: CRL %s is past its next update", path);
            return -1;
        }
    }
    return 0;
}

static int load_credentials(cse_coap_dtls_t *d, char *err, size_t err_cap) {
    const cse_coap_dtls_cfg_t *c = &d->cfg;
    char msg[128];
    int ret;
    int have_cert = c->cert_file && *c->cert_file;
    if (have_cert != (c->key_file && *c->key_file)) {
        snprintf(err, err_cap, "coap dtls: certificate and key must be given together");
        return -1;
    }
    if (have_cert) {
        if ((ret = mbedtls_x509_crt_parse_file(&d->own_cert, c->cert_file)) != 0 ||
            (ret = mbedtls_pk_parse_keyfile(&d->own_key, c->key_file, NULL)) != 0 ||
            (ret = mbedtls_ssl_conf_own_cert(&d->conf, &d->own_cert, &d->own_key)) != 0) {
            mbedtls_strerror(ret, msg, sizeof(msg));
            snprintf(err, err_cap, "coap dtls: cannot load %s / %s: %s", c->cert_file, c->key_file,
                     msg);
            return -1;
        }
        if (!mbedtls_pk_can_do(&d->own_key, MBEDTLS_PK_ECKEY)) {
            snprintf(err, err_cap, "coap dtls: %s is not an EC key (ECDHE-ECDSA suites)",
                     c->key_file);
            return -1;
        }
    }
    if (c->ca_file && *c->ca_file) {
        if (!have_cert) {
            snprintf(err, err_cap, "coap dtls: client certificates need a server certificate");
            return -1;
        }
        if ((ret = mbedtls_x509_crt_parse_file(&d->ca, c->ca_file)) != 0) {
            mbedtls_strerror(ret, msg, sizeof(msg));
            snprintf(err, err_cap, "coap dtls: cannot load CA %s: %s", c->ca_file, msg);
            return -1;
        }
        if (load_crl(d, err, err_cap) < 0)
            return -1;
        mbedtls_ssl_conf_ca_chain(&d->conf, &d->ca, d->crl.version ? &d->crl : NULL);
        mbedtls_ssl_conf_authmode(&d->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else if (c->crl_file && *c->crl_file) {
        snprintf(err, err_cap, "coap dtls: dtls_crl needs dtls_ca (the CA that signed it)");
        return -1;
    } else {
        mbedtls_ssl_conf_authmode(&d->conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    mbedtls_ssl_conf_ciphersuites(&d->conf, have_cert ? suites_all : suites_psk);
    return 0;
}

cse_coap_dtls_t *cse_coap_dtls_new(const cse_coap_dtls_cfg_t *cfg, int fd, char *err,
                                   size_t err_cap) {
    static const char pers[] = "onem2m-cse coaps";
    cse_coap_dtls_t *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, err_cap, "coap dtls: out of memory");
        return NULL;
    }
    d->cfg = *cfg;
    d->fd = fd;
    if (d->cfg.max_sessions < 1)
        d->cfg.max_sessions = 1;
    mbedtls_entropy_init(&d->entropy);
    mbedtls_ctr_drbg_init(&d->drbg);
    mbedtls_ssl_cookie_init(&d->cookie);
    mbedtls_ssl_config_init(&d->conf);
    mbedtls_x509_crt_init(&d->own_cert);
    mbedtls_x509_crt_init(&d->ca);
    mbedtls_x509_crl_init(&d->crl);
    mbedtls_pk_init(&d->own_key);
    d->nbuckets = (size_t)d->cfg.max_sessions * 2 + 1;
    d->buckets = calloc(d->nbuckets, sizeof(*d->buckets));
    d->list = calloc((size_t)d->cfg.max_sessions, sizeof(*d->list));
    if (d->cfg.park_after_ms && d->cfg.max_parked > 0) {
        d->npbuckets = (size_t)d->cfg.max_parked + 1;
        if (!(d->pbuckets = calloc(d->npbuckets, sizeof(*d->pbuckets)))) {
            snprintf(err, err_cap, "coap dtls: out of memory");
            goto fail;
        }
    }
    if (!d->buckets || !d->list) {
        snprintf(err, err_cap, "coap dtls: out of memory");
        goto fail;
    }
    if (mbedtls_ctr_drbg_seed(&d->drbg, mbedtls_entropy_func, &d->entropy,
                              (const unsigned char *)pers, sizeof(pers) - 1) != 0 ||
        mbedtls_ssl_cookie_setup(&d->cookie, mbedtls_ctr_drbg_random, &d->drbg) != 0 ||
        mbedtls_ssl_config_defaults(&d->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
        snprintf(err, err_cap, "coap dtls: cannot initialise mbedTLS");
        goto fail;
    }
    mbedtls_ssl_conf_rng(&d->conf, mbedtls_ctr_drbg_random, &d->drbg);
    mbedtls_ssl_conf_min_version(&d->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3); /* DTLS 1.2 */
    mbedtls_ssl_conf_dtls_cookies(&d->conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check,
                                  &d->cookie);
    mbedtls_ssl_conf_dtls_anti_replay(&d->conf, MBEDTLS_SSL_ANTI_REPLAY_ENABLED);
    mbedtls_ssl_conf_handshake_timeout(&d->conf, d->cfg.hs_timeout_min_ms,
                                       d->cfg.hs_timeout_max_ms);
    mbedtls_ssl_conf_curves(&d->conf, curves);
    mbedtls_ssl_conf_psk_cb(&d->conf, psk_cb, d);
    if (load_credentials(d, err, err_cap) < 0)
        goto fail;
    if (d->cfg.run_event && !(d->psk_async = cse_psk_async_new(d->cfg.run_event, CSE_BINDING_COAPS,
                                                               PSK_WORKERS, PSK_QUEUE_MAX))) {
        snprintf(err, err_cap, "coap dtls: cannot start the PSK lookup threads");
        goto fail;
    }
    return d;
fail:
    cse_coap_dtls_free(d);
    return NULL;
}

void cse_coap_dtls_free(cse_coap_dtls_t *d) {
    if (!d)
        return;
    cse_psk_async_free(d->psk_async); /* no worker refers to a session */
    while (d->count > 0)
        session_close(d, d->list[d->count - 1], 1, "shutdown");
    while (d->oldest)
        parked_drop(d, d->oldest, "shutdown");
    free(d->pbuckets);
    if (d->spare) {
        mbedtls_ssl_free(&d->spare->ssl);
        free(d->spare);
    }
    free(d->buckets);
    free(d->list);
    mbedtls_pk_free(&d->own_key);
    mbedtls_x509_crt_free(&d->ca);
    mbedtls_x509_crl_free(&d->crl);
    mbedtls_x509_crt_free(&d->own_cert);
    mbedtls_ssl_config_free(&d->conf);
    mbedtls_ssl_cookie_free(&d->cookie);
    mbedtls_ctr_drbg_free(&d->drbg);
    mbedtls_entropy_free(&d->entropy);
    free(d);
}
