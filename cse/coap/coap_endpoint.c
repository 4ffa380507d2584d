#include "cse/coap/coap_endpoint.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cse/coap/coap_block.h"
#include "cse/coap/coap_cache.h"
#include "cse/coap/coap_onem2m.h"
#include "cse/core/plugin_host.h"
#include "cse/core/rsc.h"
#include "cse/host.h"

#define PEER_KEY_MAX 40
#define CODE_CONTINUE CSE_COAP_CODE(2, 31)

struct cse_coap_endpoint {
    cse_coap_endpoint_cfg_t cfg;
    cse_coap_cache_t *dedup;  /* peer+MID -> reply datagram */
    cse_coap_cache_t *reasm;  /* peer+request -> Block1 body so far */
    cse_coap_cache_t *block2; /* peer+request -> b2_blob_t + body */
    uint16_t next_mid;        /* for NON replies */
    cse_coap_endpoint_stats_t stats;
};

/* A large response kept for its next Block2 requests. */
typedef struct b2_blob {
    int rsc;
    int op;
    int code; /* CoAP code override, 0 = from rsc */
    int cf;
    char location[CSE_MAX_TO];
    size_t body_len;
    /* body follows */
} b2_blob_t;

/* Everything one exchange needs until its reply is serialized. */
typedef struct exchange {
    const cse_coap_msg_t *in;
    cse_coap_msg_t out;
    cse_request_t req;
    cse_response_t resp;
    char rqi[CSE_MAX_ID], rvi[8];
    char tokens[4096];
    uint8_t *body1; /* reassembled Block1 body, owned */
    size_t body1_len;
    /* the response to send: points into resp or a cached blob */
    int rsc, op, code, cf;
    const char *body;
    size_t body_len;
    const char *location;
    int has_block1;
    cse_coap_block_t block1; /* echoed in the final response */
    int has_block2;
    cse_coap_block_t block2; /* as requested */
    int from_cache;          /* body is a cached Block2 response */
    uint32_t size1;          /* for 4.13 */
    int hint_block1;         /* 4.13 on a whole message: suggest Block1 */
    uint8_t etag[4];
    uint8_t rkey[PEER_KEY_MAX + 9]; /* peer + request hash */
    size_t rkey_len;
} exchange_t;

void cse_coap_endpoint_cfg_default(cse_coap_endpoint_cfg_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cse_coap_limits_default(&cfg->limits);
    cfg->max_body = 64 * 1024;
    cfg->block_szx = CSE_COAP_BLOCK_MAX_SZX;
    cfg->dedup_entries = 1024;
    cfg->reasm_entries = 64;
    cfg->block2_entries = 64;
    cfg->exchange_lifetime_ms = 247000;
    cfg->block_lifetime_ms = 60000;
}

cse_coap_endpoint_t *cse_coap_endpoint_new(const cse_coap_endpoint_cfg_t *cfg) {
    cse_coap_endpoint_t *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return NULL;
    ep->cfg = *cfg;
    if (ep->cfg.block_szx < 0 || ep->cfg.block_szx > CSE_COAP_BLOCK_MAX_SZX)
        ep->cfg.block_szx = CSE_COAP_BLOCK_MAX_SZX;
    ep->dedup = cse_coap_cache_new(cfg->dedup_entries);
    ep->reasm = cse_coap_cache_new(cfg->reasm_entries);
    ep->block2 = cse_coap_cache_new(cfg->block2_entries);
    if (!ep->dedup || !ep->reasm || !ep->block2) {
        cse_coap_endpoint_free(ep);
        return NULL;
    }
    if (getrandom(&ep->next_mid, sizeof(ep->next_mid), 0) != sizeof(ep->next_mid))
        ep->next_mid = 1;
    return ep;
}

void cse_coap_endpoint_free(cse_coap_endpoint_t *ep) {
    if (!ep)
        return;
    cse_coap_cache_free(ep->dedup);
    cse_coap_cache_free(ep->reasm);
    cse_coap_cache_free(ep->block2);
    free(ep);
}

void cse_coap_endpoint_stats(const cse_coap_endpoint_t *ep, cse_coap_endpoint_stats_t *st) {
    *st = ep->stats;
}

/* binding, session and address+port: who the peer is for every cache. */
static size_t peer_key(const cse_security_context_t *sec, uint8_t *key) {
    size_t n = 0;
    key[n++] = (uint8_t)sec->binding;
    memcpy(key + n, &sec->session_id, 8);
    n += 8;
    if (sec->peer.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&sec->peer;
        memcpy(key + n, &a->sin_addr, 4);
        memcpy(key + n + 4, &a->sin_port, 2);
        n += 6;
    } else if (sec->peer.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&sec->peer;
        memcpy(key + n, &a->sin6_addr, 16);
        memcpy(key + n + 16, &a->sin6_port, 2);
        n += 18;
    }
    return n;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Identifies "the same request" across the blocks of a transfer: method,
 * Uri-Path, Uri-Query and FR (RFC 7959 §2.4: not the MID, token or Block options). */
static uint64_t request_hash(const cse_coap_msg_t *m) {
    static const uint16_t nums[] = {CSE_COAP_OPT_URI_PATH, CSE_COAP_OPT_URI_QUERY,
                                    CSE_COAP_OPT_M2M_FR};
    uint64_t h = fnv(1469598103934665603ull, &m->code, 1);
    for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
        const cse_coap_option_t *o = NULL;
        while ((o = cse_coap_msg_next(m, nums[k], o))) {
            h = fnv(h, &o->num, sizeof(o->num));
            h = fnv(h, &o->len, sizeof(o->len));
            h = fnv(h, cse_coap_opt_value(o), o->len);
        }
    }
    return h;
}

/* Copies an option as a string for echoing; empty when absent or unusable. */
static void echo_str(const cse_coap_msg_t *m, uint16_t num, char *dst, size_t cap) {
    const cse_coap_option_t *o = cse_coap_msg_find(m, num);
    dst[0] = 0;
    if (o && o->len < cap && !memchr(cse_coap_opt_value(o), 0, o->len)) {
        memcpy(dst, cse_coap_opt_value(o), o->len);
        dst[o->len] = 0;
    }
}

/* Sets the exchange's reply to an error: CoAP code (0 = from rsc), rsc, reason. */
static void set_error(exchange_t *x, int code, int rsc, const char *reason) {
    cse_response_error(&x->resp, rsc, "%s", reason);
    x->rsc = rsc;
    x->code = code;
    x->cf = CSE_COAP_CF_JSON;
    x->body = x->resp.body;
    x->body_len = x->resp.body_len;
    x->location = "";
    x->has_block2 = 0; /* errors are small: sent whole */
    x->from_cache = 0;
}

static void use_response(exchange_t *x) {
    x->rsc = x->resp.rsc;
    x->op = x->req.op;
    x->code = 0;
    x->body = x->resp.body;
    x->body_len = x->resp.body_len;
    x->location = x->resp.location;
}

/* Block1: stores a non-final block (reply 2.31) or completes the body.
 * Returns 1 when the request is complete and may run, 0 when the reply is set. */
static int handle_block1(cse_coap_endpoint_t *ep, exchange_t *x, uint64_t now) {
    int got = cse_coap_block_get(x->in, CSE_COAP_OPT_BLOCK1, &x->block1);
    if (got < 0) {
        set_error(x, CSE_COAP_CODE(4, 0), CSE_RSC_BAD_REQUEST, "invalid Block1 option");
        return 0;
    }
    if (got == 0)
        return 1;
    uint8_t key[sizeof(x->rkey) + 1];
    key[0] = '1';
    memcpy(key + 1, x->rkey, x->rkey_len);
    size_t blen = 0;
    int r = cse_coap_reasm_feed(ep->reasm, key, x->rkey_len + 1, &x->block1, x->in->payload,
                                x->in->payload_len, ep->cfg.max_body, now,
                                ep->cfg.block_lifetime_ms, &x->body1, &blen);
    switch (r) {
    case CSE_COAP_REASM_MORE:
        x->has_block1 = 1;
        if (x->block1.szx > ep->cfg.block_szx)
            x->block1.szx = ep->cfg.block_szx; /* ask for smaller blocks */
        x->code = CODE_CONTINUE;
        x->rsc = 0;
        x->body = NULL;
        x->body_len = 0;
        x->location = "";
        return 0;
    case CSE_COAP_REASM_DONE:
        x->has_block1 = 1;
        x->body1_len = blen;
        return 1;
    case CSE_COAP_REASM_INCOMPLETE:
        set_error(x, CSE_COAP_CODE(4, 8), CSE_RSC_BAD_REQUEST, "Block1 out of sequence");
        return 0;
    case CSE_COAP_REASM_TOO_LARGE:
        x->size1 = (uint32_t)ep->cfg.max_body;
        set_error(x, CSE_COAP_CODE(4, 13), CSE_RSC_BAD_REQUEST, "request body too large");
        return 0;
    case CSE_COAP_REASM_BAD:
        set_error(x, CSE_COAP_CODE(4, 0), CSE_RSC_BAD_REQUEST, "Block1 size mismatch");
        return 0;
    default:
        set_error(x, CSE_COAP_CODE(5, 3), CSE_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        return 0;
    }
}

/* A later block of a large response still in the cache: no new request. */
static int serve_cached_block2(cse_coap_endpoint_t *ep, exchange_t *x, uint64_t now) {
    if (!x->has_block2 || x->block2.num == 0)
        return 0;
    uint8_t key[sizeof(x->rkey) + 1];
    key[0] = '2';
    memcpy(key + 1, x->rkey, x->rkey_len);
    b2_blob_t *b = cse_coap_cache_get(ep->block2, key, x->rkey_len + 1, now, NULL);
    if (!b)
        return 0;
    x->rsc = b->rsc;
    x->op = b->op;
    x->code = b->code;
    x->cf = b->cf;
    x->location = b->location;
    x->body = (const char *)(b + 1);
    x->body_len = b->body_len;
    x->from_cache = 1;
    return 1;
}

static void keep_block2(cse_coap_endpoint_t *ep, exchange_t *x, uint64_t now) {
    b2_blob_t *b = malloc(sizeof(*b) + x->body_len);
    if (!b)
        return; /* the next block re-runs a GET or gets 4.08 */
    memset(b, 0, sizeof(*b));
    b->rsc = x->rsc;
    b->op = x->op;
    b->code = x->code;
    b->cf = x->cf;
    snprintf(b->location, sizeof(b->location), "%s", x->location ? x->location : "");
    b->body_len = x->body_len;
    memcpy(b + 1, x->body, x->body_len);
    uint8_t key[sizeof(x->rkey) + 1];
    key[0] = '2';
    memcpy(key + 1, x->rkey, x->rkey_len);
    cse_coap_cache_put(ep->block2, key, x->rkey_len + 1, b, sizeof(*b) + x->body_len,
                       now + ep->cfg.block_lifetime_ms);
}

/* 1 when the request's Uri-Path is exactly /authz-info. */
static int is_authz_info(const cse_coap_msg_t *m) {
    const cse_coap_option_t *o = cse_coap_msg_next(m, CSE_COAP_OPT_URI_PATH, NULL);
    return o && o->len == 10 && memcmp(cse_coap_opt_value(o), "authz-info", 10) == 0 &&
           !cse_coap_msg_next(m, CSE_COAP_OPT_URI_PATH, o);
}

/* POST /authz-info (RFC 9200 §5.10.1): the access token in the body goes to
 * the security plugin (HTTP_ROUTE with this security context), which binds
 * it to the DTLS session. Returns 1 when the reply is set. */
static int authz_info(exchange_t *x, const cse_security_context_t *sec) {
    if (x->in->code != CSE_COAP_POST || !is_authz_info(x->in) ||
        !cse_plugin_host_has(CSE_EVT_HTTP_ROUTE))
        return 0;
    cse_evt_http_route_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.sec = sec;
    ev.method = "POST";
    ev.path = "/authz-info";
    ev.body = x->body1 ? (const char *)x->body1 : (const char *)x->in->payload;
    ev.body_len = x->body1 ? x->body1_len : x->in->payload_len;
    int res = cse_plugin_host_run(CSE_EVT_HTTP_ROUTE, &ev);
    int status = res == CSE_PLUGIN_DEFER ? 404 : ev.status ? ev.status : 403;
    int code = (status / 100 == 2 || status / 100 == 4 || status / 100 == 5) && status % 100 < 32
                   ? CSE_COAP_CODE(status / 100, status % 100)
                   : CSE_COAP_CODE(5, 0);
    int rsc = status < 300    ? CSE_RSC_CREATED
              : status == 400 ? CSE_RSC_BAD_REQUEST
              : status == 404 ? CSE_RSC_NOT_FOUND
              : status >= 500 ? CSE_RSC_INTERNAL_SERVER_ERROR
                              : CSE_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
    set_error(x, code, rsc, "");
    free(x->resp.body);
    x->resp.body = ev.response_body ? strdup(ev.response_body) : NULL;
    x->resp.body_len = x->resp.body ? strlen(x->resp.body) : 0;
    x->body = x->resp.body;
    x->body_len = x->resp.body_len;
    cse_free(ev.response_body);
    return 1;
}

static void run_request(cse_coap_endpoint_t *ep, exchange_t *x, const cse_security_context_t *sec,
                        uint64_t now) {
    char err[160];
    int crit = cse_coap_onem2m_unknown_critical(x->in);
    if (crit == CSE_COAP_OPT_PROXY_URI || crit == CSE_COAP_OPT_PROXY_SCHEME) {
        set_error(x, CSE_COAP_CODE(5, 5), CSE_RSC_NOT_IMPLEMENTED, "proxying not supported");
        return;
    }
    if (crit) {
        snprintf(err, sizeof(err), "unrecognized critical option %d", crit);
        set_error(x, CSE_COAP_CODE(4, 2), CSE_RSC_BAD_REQUEST, err);
        return;
    }
    int b2 = cse_coap_block_get(x->in, CSE_COAP_OPT_BLOCK2, &x->block2);
    if (b2 < 0) {
        set_error(x, CSE_COAP_CODE(4, 0), CSE_RSC_BAD_REQUEST, "invalid Block2 option");
        return;
    }
    x->has_block2 = b2;
    if (!handle_block1(ep, x, now) || serve_cached_block2(ep, x, now))
        return;
    if (x->has_block2 && x->block2.num > 0 && x->in->code != CSE_COAP_GET) {
        set_error(x, CSE_COAP_CODE(4, 8), CSE_RSC_BAD_REQUEST, "Block2 transfer expired");
        return;
    }
    if (authz_info(x, sec))
        return;
    cse_request_init(&x->req);
    x->req.sec = *sec;
    int rsc =
        cse_coap_onem2m_to_request(x->in, &x->req, x->tokens, sizeof(x->tokens), err, sizeof(err));
    x->op = x->req.op;
    if (rsc) {
        set_error(x, 0, rsc, err);
        return;
    }
    if (x->body1) {
        x->req.body = (const char *)x->body1;
        x->req.body_len = x->body1_len;
    }
    if (!ep->cfg.handler) {
        set_error(x, 0, CSE_RSC_INTERNAL_SERVER_ERROR, "no request handler");
        return;
    }
    ep->cfg.handler(&x->req, &x->resp);
    ep->stats.requests++;
    use_response(x);
}

/* Adds Block2/Size2/ETag and the slice of the body this reply carries. */
static int add_block2(cse_coap_endpoint_t *ep, exchange_t *x, size_t room, uint64_t now) {
    int szx = ep->cfg.block_szx;
    size_t off = 0;
    if (x->has_block2) {
        if (x->block2.szx < szx)
            szx = x->block2.szx;
        off = (size_t)x->block2.num * cse_coap_block_size(x->block2.szx);
    }
    int fit = cse_coap_block_szx_fit(room);
    if (fit < 0)
        return -1;
    if (fit < szx)
        szx = fit;
    size_t size = cse_coap_block_size(szx);
    off -= off % size;
    size_t len = x->body_len - off < size ? x->body_len - off : size;
    cse_coap_block_t b = {(uint32_t)(off / size), off + len < x->body_len, szx};
    uint64_t h = fnv(1469598103934665603ull, x->body, x->body_len);
    memcpy(x->etag, &h, sizeof(x->etag));
    if (cse_coap_msg_add_uint(&x->out, CSE_COAP_OPT_BLOCK2, cse_coap_block_value(&b)) ||
        cse_coap_msg_add_uint(&x->out, CSE_COAP_OPT_SIZE2, (uint32_t)x->body_len) ||
        cse_coap_msg_add(&x->out, CSE_COAP_OPT_ETAG, x->etag, sizeof(x->etag)))
        return -1;
    x->out.payload = (const uint8_t *)x->body + off;
    x->out.payload_len = len;
    if (!x->from_cache && b.more)
        keep_block2(ep, x, now);
    return 0;
}

/* Builds and serializes the reply; returns its length (never 0 on success). */
static long finalize(cse_coap_endpoint_t *ep, exchange_t *x, uint64_t now, uint8_t *out,
                     size_t max_out) {
    cse_coap_msg_t *o = &x->out;
    o->code = (uint8_t)(x->code ? x->code : cse_rsc_to_coap(x->rsc, x->op));
    int rc = 0;
    if (x->code != CODE_CONTINUE)
        rc = cse_coap_onem2m_response_options(o, x->rsc, x->rqi, x->rvi, x->cf, x->body_len > 0,
                                              x->location);
    if (!rc && x->has_block1)
        rc = cse_coap_msg_add_uint(o, CSE_COAP_OPT_BLOCK1, cse_coap_block_value(&x->block1));
    if (!rc && x->size1)
        rc = cse_coap_msg_add_uint(o, CSE_COAP_OPT_SIZE1, x->size1);
    if (!rc && x->hint_block1) {
        cse_coap_block_t hint = {0, 0, ep->cfg.block_szx};
        rc = cse_coap_msg_add_uint(o, CSE_COAP_OPT_BLOCK1, cse_coap_block_value(&hint));
    }
    if (rc)
        return -1;
    if (x->body_len) {
        long hlen = cse_coap_serialize(o, out, max_out);
        /* room left for the payload marker, Block2, Size2 and ETag */
        if (hlen < 0 || (size_t)hlen + 24 >= max_out)
            return -1;
        size_t room = max_out - (size_t)hlen - 24;
        int whole = x->body_len <= room && !x->from_cache &&
                    (!x->has_block2 ||
                     (x->block2.num == 0 && x->body_len <= cse_coap_block_size(x->block2.szx)));
        if (whole) {
            o->payload = (const uint8_t *)x->body;
            o->payload_len = x->body_len;
        } else if (add_block2(ep, x, room, now) < 0) {
            return -1;
        }
    }
    return cse_coap_serialize(o, out, max_out);
}

/* When the reply cannot be built: 5.00 with only oneM2M-RSC. */
static size_t fallback(exchange_t *x, uint8_t *out, size_t cap) {
    cse_coap_msg_t *o = &x->out;
    o->nopts = 0;
    o->payload = NULL;
    o->payload_len = 0;
    o->code = CSE_COAP_CODE(5, 0);
    cse_coap_msg_add_uint(o, CSE_COAP_OPT_M2M_RSC, CSE_RSC_INTERNAL_SERVER_ERROR);
    long n = cse_coap_serialize(o, out, cap);
    return n > 0 ? (size_t)n : 0;
}

static size_t reply_empty(uint8_t type, uint16_t mid, uint8_t *out, size_t cap) {
    if (cap < 4)
        return 0;
    out[0] = (uint8_t)((CSE_COAP_VERSION << 6) | (type << 4));
    out[1] = 0;
    out[2] = (uint8_t)(mid >> 8);
    out[3] = (uint8_t)mid;
    return 4;
}

size_t cse_coap_endpoint_input(cse_coap_endpoint_t *ep, const cse_security_context_t *sec,
                               const uint8_t *in, size_t len, uint64_t now, uint8_t *out,
                               size_t cap) {
    exchange_t *x = calloc(1, sizeof(*x));
    cse_coap_msg_t *m = malloc(sizeof(*m));
    size_t n = 0;
    if (!x || !m)
        goto done;
    int rc = cse_coap_parse(in, len, &ep->cfg.limits, m);
    x->in = m;
    int is_request = m->header_ok && CSE_COAP_CLASS(m->code) == 0 && m->code != 0 &&
                     (m->type == CSE_COAP_CON || m->type == CSE_COAP_NON);
    if (!is_request || rc == CSE_COAP_E_FORMAT) {
        /* Pings, responses sent to us and malformed CONs get an RST (RFC 7252 §4.2). */
        if (m->header_ok && m->type == CSE_COAP_CON)
            n = reply_empty(CSE_COAP_RST, m->mid, out, cap);
        else
            ep->stats.dropped++;
        goto done;
    }
    uint8_t pkey[PEER_KEY_MAX], dkey[PEER_KEY_MAX + 3];
    size_t plen = peer_key(sec, pkey);
    memcpy(dkey, pkey, plen);
    dkey[plen] = 'M';
    dkey[plen + 1] = (uint8_t)(m->mid >> 8);
    dkey[plen + 2] = (uint8_t)m->mid;
    size_t cached_len;
    const uint8_t *cached = cse_coap_cache_get(ep->dedup, dkey, plen + 3, now, &cached_len);
    if (cached) {
        ep->stats.duplicates++;
        n = cached_len <= cap ? cached_len : 0;
        memcpy(out, cached, n);
        goto done;
    }

    cse_response_init(&x->resp);
    x->out.type = m->type == CSE_COAP_CON ? CSE_COAP_ACK : CSE_COAP_NON;
    x->out.mid = m->type == CSE_COAP_CON ? m->mid : ep->next_mid++;
    x->out.token_len = m->token_len;
    memcpy(x->out.token, m->token, m->token_len);
    echo_str(m, CSE_COAP_OPT_M2M_RQI, x->rqi, sizeof(x->rqi));
    echo_str(m, CSE_COAP_OPT_M2M_RVI, x->rvi, sizeof(x->rvi));
    x->cf = rc == CSE_COAP_OK ? cse_coap_onem2m_response_format(m) : CSE_COAP_CF_JSON;
    memcpy(x->rkey, pkey, plen);
    uint64_t rh = request_hash(m);
    memcpy(x->rkey + plen, &rh, 8);
    x->rkey_len = plen + 8;

    if (rc == CSE_COAP_E_TOO_BIG) {
        x->size1 = (uint32_t)ep->cfg.limits.max_message;
        x->hint_block1 = 1;
        set_error(x, CSE_COAP_CODE(4, 13), CSE_RSC_BAD_REQUEST, "message too large");
    } else if (rc == CSE_COAP_E_OPTIONS || rc == CSE_COAP_E_OPTION_LEN) {
        set_error(x, CSE_COAP_CODE(4, 2), CSE_RSC_BAD_REQUEST,
                  rc == CSE_COAP_E_OPTIONS ? "too many options" : "option value too long");
    } else {
        run_request(ep, x, sec, now);
        if (x->has_block2 && x->body_len && x->code != CODE_CONTINUE &&
            (size_t)x->block2.num * cse_coap_block_size(x->block2.szx) >= x->body_len)
            set_error(x, CSE_COAP_CODE(4, 2), CSE_RSC_BAD_REQUEST, "Block2 beyond the end");
    }
    size_t max_out = cap < ep->cfg.limits.max_message ? cap : ep->cfg.limits.max_message;
    long built = finalize(ep, x, now, out, max_out);
    n = built > 0 ? (size_t)built : fallback(x, out, max_out);
    uint8_t *copy = n ? malloc(n) : NULL;
    if (copy) {
        memcpy(copy, out, n);
        cse_coap_cache_put(ep->dedup, dkey, plen + 3, copy, n, now + ep->cfg.exchange_lifetime_ms);
    }
done:
    if (x) {
        cse_request_clear(&x->req);
        cse_response_clear(&x->resp);
        free(x->body1);
    }
    free(x);
    free(m);
    return n;
}
