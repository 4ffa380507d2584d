#include "cse/coap/coap_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>
#include <mbedtls/x509_crt.h>

#include "cse/coap/coap_block.h"
#include "cse/coap/coap_dtls.h"
#include "cse/coap/coap_onem2m.h"

#define RX_MAX 16640
#define TX_MAX 2048
#define MAX_RESPONSE (16u << 20) /* bound on a Block2 body */

struct cse_coap_client {
    cse_coap_client_cfg_t cfg;
    int fd;
    uint16_t mid;
    int handshaken;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_timing_delay_context timer;
    mbedtls_x509_crt cert, ca;
    mbedtls_pk_context key;
    uint8_t rx[RX_MAX];
    uint8_t tx[TX_MAX];
};

static const int client_psk_suites[] = {
    MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8,
    MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256,
    0,
};
static const int client_cert_suites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    0,
};

void cse_coap_client_cfg_default(cse_coap_client_cfg_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = "127.0.0.1";
    cfg->port = 5683;
    cfg->timeout_ms = 2000;
    cfg->retransmits = 4;
    cfg->block_szx = CSE_COAP_BLOCK_MAX_SZX;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
    cse_coap_client_t *c = ctx;
    ssize_t n = send(c->fd, buf, len, 0);
    return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)n;
}

static int bio_recv_timeout(void *ctx, unsigned char *buf, size_t len, uint32_t timeout) {
    cse_coap_client_t *c = ctx;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int rc = poll(&p, 1, timeout ? (int)timeout : -1);
    if (rc == 0)
        return MBEDTLS_ERR_SSL_TIMEOUT;
    if (rc < 0)
        return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n < 0) /* ECONNREFUSED: nobody listens */
        return MBEDTLS_ERR_NET_RECV_FAILED;
    return (int)n;
}

static int connect_udp(const cse_coap_client_cfg_t *cfg, char *err, size_t err_cap) {
    struct addrinfo hints, *ai = NULL;
    char service[16];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(service, sizeof(service), "%d", cfg->port);
    int rc = getaddrinfo(cfg->host, service, &hints, &ai);
    if (rc) {
        snprintf(err, err_cap, "cannot resolve %s: %s", cfg->host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        snprintf(err, err_cap, "cannot connect udp %s:%d: %s", cfg->host, cfg->port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int mbed_fail(int ret, const char *what, char *err, size_t err_cap) {
    char msg[128];
    mbedtls_strerror(ret, msg, sizeof(msg));
    snprintf(err, err_cap, "%s: %s (-0x%04x)", what, msg, (unsigned)-ret);
    return -1;
}

static int setup_dtls(cse_coap_client_t *c, char *err, size_t err_cap) {
    const cse_coap_client_cfg_t *cfg = &c->cfg;
    static const char pers[] = "m2m-coap-client";
    int ret;
    if ((ret = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
                                     (const unsigned char *)pers, sizeof(pers) - 1)) ||
        (ret = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
                                           MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)))
        return mbed_fail(ret, "dtls setup", err, err_cap);
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
    mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_handshake_timeout(&c->conf, (uint32_t)cfg->timeout_ms,
                                       (uint32_t)cfg->timeout_ms * 8);
    if (cfg->psk_identity && cfg->psk) {
        if ((ret = mbedtls_ssl_conf_psk(&c->conf, cfg->psk, cfg->psk_len,
                                        (const unsigned char *)cfg->psk_identity,
                                        strlen(cfg->psk_identity))))
            return mbed_fail(ret, "psk", err, err_cap);
        mbedtls_ssl_conf_ciphersuites(&c->conf, client_psk_suites);
    } else {
        mbedtls_ssl_conf_ciphersuites(&c->conf, client_cert_suites);
    }
    if (cfg->cert_file && cfg->key_file) {
        if ((ret = mbedtls_x509_crt_parse_file(&c->cert, cfg->cert_file)) ||
            (ret = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL)) ||
            (ret = mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key)))
            return mbed_fail(ret, "client certificate", err, err_cap);
    }
    if (cfg->ca_file) {
        if ((ret = mbedtls_x509_crt_parse_file(&c->ca, cfg->ca_file)))
            return mbed_fail(ret, "CA file", err, err_cap);
        mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    if ((ret = mbedtls_ssl_setup(&c->ssl, &c->conf)))
        return mbed_fail(ret, "dtls setup", err, err_cap);
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, NULL, bio_recv_timeout);
    mbedtls_ssl_set_timer_cb(&c->ssl, &c->timer, mbedtls_timing_set_delay,
                             mbedtls_timing_get_delay);
    do
        ret = mbedtls_ssl_handshake(&c->ssl);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret)
        return mbed_fail(ret, "dtls handshake failed", err, err_cap);
    c->handshaken = 1;
    return 0;
}

cse_coap_client_t *cse_coap_client_open(const cse_coap_client_cfg_t *cfg, char *err,
                                        size_t err_cap) {
    cse_coap_client_t *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    if (c->cfg.timeout_ms <= 0)
        c->cfg.timeout_ms = 2000;
    if (c->cfg.block_szx < 0 || c->cfg.block_szx > CSE_COAP_BLOCK_MAX_SZX)
        c->cfg.block_szx = CSE_COAP_BLOCK_MAX_SZX;
    mbedtls_entropy_init(&c->entropy);
    mbedtls_ctr_drbg_init(&c->drbg);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_ssl_init(&c->ssl);
    mbedtls_x509_crt_init(&c->cert);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_pk_init(&c->key);
    if (getrandom(&c->mid, sizeof(c->mid), 0) != sizeof(c->mid))
        c->mid = 1;
    c->fd = connect_udp(cfg, err, err_cap);
    if (c->fd < 0 || (cfg->dtls && setup_dtls(c, err, err_cap) < 0)) {
        cse_coap_client_close(c);
        return NULL;
    }
    return c;
}

void cse_coap_client_close(cse_coap_client_t *c) {
    if (!c)
        return;
    if (c->cfg.dtls && c->fd >= 0 && c->handshaken)
        mbedtls_ssl_close_notify(&c->ssl);
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_x509_crt_free(&c->cert);
    mbedtls_x509_crt_free(&c->ca);
    mbedtls_pk_free(&c->key);
    mbedtls_ctr_drbg_free(&c->drbg);
    mbedtls_entropy_free(&c->entropy);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

int cse_coap_client_send_raw(cse_coap_client_t *c, const uint8_t *buf, size_t len) {
    if (!c->cfg.dtls)
        return send(c->fd, buf, len, 0) == (ssize_t)len ? 0 : -1;
    int ret;
    do
        ret = mbedtls_ssl_write(&c->ssl, buf, len);
    while (ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    return ret == (int)len ? 0 : -1;
}

long cse_coap_client_recv_raw(cse_coap_client_t *c, uint8_t *buf, size_t cap, int timeout_ms) {
    if (!c->cfg.dtls) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int rc = poll(&p, 1, timeout_ms);
        if (rc <= 0)
            return rc;
        ssize_t n = recv(c->fd, buf, cap, 0);
        return n < 0 ? -1 : n;
    }
    mbedtls_ssl_conf_read_timeout(&c->conf, (uint32_t)(timeout_ms > 0 ? timeout_ms : 1));
    for (;;) {
        int ret = mbedtls_ssl_read(&c->ssl, buf, cap);
        if (ret > 0)
            return ret;
        if (ret == MBEDTLS_ERR_SSL_TIMEOUT)
            return 0;
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
            return -1;
    }
}

/* One confirmable exchange: sends m (MID assigned here), retransmits with
 * exponential back-off, waits for the piggybacked or separate response.
 * rsp borrows c->rx. */
static int exchange(cse_coap_client_t *c, cse_coap_msg_t *m, cse_coap_msg_t *rsp, char *err,
                    size_t err_cap) {
    m->type = CSE_COAP_CON;
    m->mid = c->mid++;
    long n = cse_coap_serialize(m, c->tx, sizeof(c->tx));
    if (n < 0) {
        snprintf(err, err_cap, "request does not fit in a datagram");
        return -1;
    }
    int timeout = c->cfg.timeout_ms, acked = 0;
    for (int attempt = 0; attempt <= c->cfg.retransmits; attempt++, timeout *= 2) {
        if (!acked && cse_coap_client_send_raw(c, c->tx, (size_t)n) < 0) {
            snprintf(err, err_cap, "send failed");
            return -1;
        }
        uint64_t deadline = cse_coap_now_ms() + (uint64_t)timeout;
        for (;;) {
            uint64_t now = cse_coap_now_ms();
            if (now >= deadline)
                break;
            long r = cse_coap_client_recv_raw(c, c->rx, sizeof(c->rx), (int)(deadline - now));
            if (r < 0) {
                snprintf(err, err_cap, "receive failed (connection refused or closed)");
                return -1;
            }
            if (r == 0 || cse_coap_parse(c->rx, (size_t)r, NULL, rsp) != CSE_COAP_OK)
                continue;
            if (rsp->type == CSE_COAP_RST && rsp->mid == m->mid) {
                snprintf(err, err_cap, "request reset by the server");
                return -1;
            }
            int ours =
                rsp->token_len == m->token_len && !memcmp(rsp->token, m->token, m->token_len);
            if (rsp->type == CSE_COAP_ACK && rsp->mid == m->mid && rsp->code == 0) {
                acked = 1; /* separate response follows */
                continue;
            }
            if (!ours || CSE_COAP_CLASS(rsp->code) < 2)
                continue;
            if (rsp->type == CSE_COAP_ACK && rsp->mid != m->mid)
                continue;
            if (rsp->type == CSE_COAP_CON) {
                uint8_t ack[4] = {(CSE_COAP_VERSION << 6) | (CSE_COAP_ACK << 4), 0,
                                  (uint8_t)(rsp->mid >> 8), (uint8_t)rsp->mid};
                cse_coap_client_send_raw(c, ack, sizeof(ack));
            }
            return 0;
        }
    }
    snprintf(err, err_cap, "no response (timeout)");
    return -1;
}

static int append(cse_coap_client_result_t *res, const uint8_t *p, size_t n) {
    if (res->payload_len + n > MAX_RESPONSE)
        return -1;
    uint8_t *grown = realloc(res->payload, res->payload_len + n + 1);
    if (!grown)
        return -1;
    if (n)
        memcpy(grown + res->payload_len, p, n);
    res->payload = grown;
    res->payload_len += n;
    res->payload[res->payload_len] = 0;
    return 0;
}

/* Copies what the result reports from one response. */
static void take_meta(const cse_coap_msg_t *rsp, cse_coap_client_result_t *res) {
    const cse_coap_option_t *o;
    uint32_t v;
    res->code = rsp->code;
    if ((o = cse_coap_msg_find(rsp, CSE_COAP_OPT_M2M_RSC)) && cse_coap_opt_uint(o, &v) == 0) {
        res->has_rsc = 1;
        res->rsc = v;
    }
    if ((o = cse_coap_msg_find(rsp, CSE_COAP_OPT_M2M_RQI)) && o->len < sizeof(res->rqi)) {
        memcpy(res->rqi, cse_coap_opt_value(o), o->len);
        res->rqi[o->len] = 0;
    }
    if ((o = cse_coap_msg_find(rsp, CSE_COAP_OPT_CONTENT_FORMAT)) && cse_coap_opt_uint(o, &v) == 0)
        res->cf = (int)v;
    size_t n = 0;
    for (o = NULL; (o = cse_coap_msg_next(rsp, CSE_COAP_OPT_LOCATION_PATH, o));) {
        if (n + 1 + o->len >= sizeof(res->location))
            break;
        res->location[n++] = '/';
        memcpy(res->location + n, cse_coap_opt_value(o), o->len);
        n += o->len;
    }
    if (n)
        res->location[n] = 0;
}

/* Sends the body in Block1 blocks (or whole); rsp is the final response. */
static int send_body(cse_coap_client_t *c, const cse_coap_msg_t *base, const uint8_t *body,
                     size_t body_len, cse_coap_msg_t *rsp, cse_coap_client_result_t *res, char *err,
                     size_t err_cap) {
    cse_coap_msg_t m;
    int szx = c->cfg.block_szx;
    if (body_len <= cse_coap_block_size(szx)) {
        m = *base;
        m.payload = body;
        m.payload_len = body_len;
        res->blocks++;
        return exchange(c, &m, rsp, err, err_cap);
    }
    for (size_t off = 0;;) {
        size_t size = cse_coap_block_size(szx);
        size_t len = body_len - off < size ? body_len - off : size;
        cse_coap_block_t b = {(uint32_t)(off / size), off + len < body_len, szx};
        m = *base;
        if (cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK1, cse_coap_block_value(&b)) ||
            (off == 0 && cse_coap_msg_add_uint(&m, CSE_COAP_OPT_SIZE1, (uint32_t)body_len))) {
            snprintf(err, err_cap, "too many options");
            return -1;
        }
        m.payload = body + off;
        m.payload_len = len;
        res->blocks++;
        if (exchange(c, &m, rsp, err, err_cap) < 0)
            return -1;
        if (rsp->code != CSE_COAP_CODE(2, 31) || !b.more)
            return 0;
        off += len;
        cse_coap_block_t ack;
        if (cse_coap_block_get(rsp, CSE_COAP_OPT_BLOCK1, &ack) == 1 && ack.szx < szx)
            szx = ack.szx; /* the server asked for smaller blocks */
    }
}

int cse_coap_client_request(cse_coap_client_t *c, const cse_coap_msg_t *req, const uint8_t *body,
                            size_t body_len, cse_coap_client_result_t *res, char *err,
                            size_t err_cap) {
    cse_coap_msg_t *base = malloc(sizeof(*base)), *rsp = malloc(sizeof(*rsp)), *m = NULL;
    int rc = -1;
    memset(res, 0, sizeof(*res));
    res->cf = -1;
    if (!base || !rsp || !(m = malloc(sizeof(*m)))) {
        snprintf(err, err_cap, "out of memory");
        goto out;
    }
    *base = *req;
    cse_coap_msg_remove(base, CSE_COAP_OPT_BLOCK1);
    cse_coap_msg_remove(base, CSE_COAP_OPT_BLOCK2);
    if (c->cfg.block_szx < CSE_COAP_BLOCK_MAX_SZX) {
        /* ask for smaller response blocks from the start (RFC 7959 §2.4) */
        cse_coap_block_t want = {0, 0, c->cfg.block_szx};
        cse_coap_msg_add_uint(base, CSE_COAP_OPT_BLOCK2, cse_coap_block_value(&want));
    }
    base->token_len = 4;
    if (getrandom(base->token, 4, 0) != 4)
        memcpy(base->token, &c->mid, 2);
    if (send_body(c, base, body, body_len, rsp, res, err, err_cap) < 0)
        goto out;
    take_meta(rsp, res);
    uint8_t etag[8];
    size_t etag_len = 0;
    const cse_coap_option_t *o = cse_coap_msg_find(rsp, CSE_COAP_OPT_ETAG);
    if (o && o->len <= sizeof(etag)) {
        etag_len = o->len;
        memcpy(etag, cse_coap_opt_value(o), etag_len);
    }
    for (;;) {
        if (append(res, rsp->payload, rsp->payload_len) < 0) {
            snprintf(err, err_cap, "response too large");
            goto out;
        }
        cse_coap_block_t b2;
        if (cse_coap_block_get(rsp, CSE_COAP_OPT_BLOCK2, &b2) != 1 || !b2.more)
            break;
        cse_coap_block_t next = {(uint32_t)(res->payload_len / cse_coap_block_size(b2.szx)), 0,
                                 b2.szx};
        *m = *base;
        cse_coap_msg_remove(m, CSE_COAP_OPT_BLOCK2);
        cse_coap_msg_add_uint(m, CSE_COAP_OPT_BLOCK2, cse_coap_block_value(&next));
        res->blocks++;
        if (exchange(c, m, rsp, err, err_cap) < 0)
            goto out;
        o = cse_coap_msg_find(rsp, CSE_COAP_OPT_ETAG);
        if (CSE_COAP_CLASS(rsp->code) != 2 ||
            (etag_len &&
             (!o || o->len != etag_len || memcmp(cse_coap_opt_value(o), etag, etag_len)))) {
            snprintf(err, err_cap, "response changed during a Block2 transfer");
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0)
        cse_coap_client_result_free(res);
    free(base);
    free(rsp);
    free(m);
    return rc;
}

void cse_coap_client_result_free(cse_coap_client_result_t *res) {
    free(res->payload);
    res->payload = NULL;
    res->payload_len = 0;
}
