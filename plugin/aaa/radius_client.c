/*
 * RADIUS client: server lists, failover, dead-server detection and the
 * Status-Server prober. Packet building is radius_message.c, integrity
 * radius_crypto.c, the UDP exchange radius_transport.c.
 */
#include "plugin/aaa/radius_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "cse/host.h"
#include "plugin/aaa/radius_crypto.h"
#include "plugin/aaa/radius_message.h"
#include "plugin/aaa/radius_transport.h"

#define DEFAULT_TIMEOUT_MS 1000u
#define DEFAULT_RETRIES 2u
#define DEFAULT_DEAD_AFTER 3u
#define DEFAULT_PROBE_MS 5000u
#define SECRET_MAX 128 /* FreeRADIUS limit; longer secrets are a config error */

typedef struct server {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char name[216];             /* "127.0.0.1:1812", "[::1]:1812" */
    uint8_t secret[SECRET_MAX]; /* under client.lock: swapped while requests run */
    size_t slen;                /* 0: none yet, requests to it fail closed */
    int acct;
    /* health, under client.lock */
    unsigned failures; /* consecutive requests without an authentic answer */
    int dead;
    uint64_t next_probe_ms;
    uint64_t next_trial_ms; /* when one real request may try it while dead */
} server_t;

struct cssf_radius_client {
    server_t servers[2 * CSSF_RADIUS_MAX_SERVERS]; /* auth servers, then accounting servers */
    size_t n_auth, n_acct;
    char *nas_identifier;
    cssf_radius_nas_t nas;
    unsigned timeout_ms, retries, dead_after, probe_ms;
    int acct_require_ma;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC */
    int stopping;
    pthread_t prober;
};

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *cssf_radius_result_name(cssf_radius_result_t r) {
    static const char *const names[] = {"ACCEPT",  "REJECT",  "CHALLENGE",
                                        "TIMEOUT", "INVALID", "ERROR"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "UNKNOWN";
}

void cssf_radius_config_init(cssf_radius_config_t *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->version = CSSF_RADIUS_CONFIG_VERSION;
    cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
    cfg->retries = DEFAULT_RETRIES;
    cfg->dead_after = DEFAULT_DEAD_AFTER;
    cfg->probe_interval_ms = DEFAULT_PROBE_MS;
}

void cssf_radius_reply_clear(cssf_radius_reply_t *r) {
    mbedtls_platform_zeroize(r, sizeof *r);
    r->server = -1;
}

/* "host:port[:secret]" ("[v6]:port[:secret]") into s. Writes err on
 * failure, naming the server by position only (the spec holds the secret). */
static int server_parse(server_t *s, const char *spec, int acct, size_t idx, char *err,
                        size_t cap) {
    char host[200];
    const char *kind = acct ? "accounting" : "authentication";
    const char *p = spec, *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end || end[1] != ':')
            goto bad;
        p++;
    } else {
        end = strchr(p, ':');
        if (!end)
            goto bad;
    }
    if ((size_t)(end - p) == 0 || (size_t)(end - p) >= sizeof host)
        goto bad;
    memcpy(host, p, (size_t)(end - p));
    host[end - p] = '\0';
    p = end + (*end == ']' ? 2 : 1);
    char *colon;
    errno = 0;
    unsigned long port = strtoul(p, &colon, 10);
    if (errno || colon == p || (*colon != ':' && *colon != '\0') || port == 0 || port > 65535)
        goto bad;
    const char *secret = *colon ? colon + 1 : NULL; /* none: set later (cssf_radius_set_secret) */
    size_t slen = secret ? strlen(secret) : 0;
    if (secret && (slen == 0 || slen > SECRET_MAX)) {
        snprintf(err, cap, "%s server %zu: secret must be 1..%d bytes", kind, idx + 1, SECRET_MAX);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%lu", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, cap, "%s server %zu: cannot resolve %s", kind, idx + 1, host);
        return -1;
    }
    memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
    s->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    snprintf(s->name, sizeof s->name, "%s%s%s:%lu", strchr(host, ':') ? "[" : "", host,
             strchr(host, ':') ? "]" : "", port);
    if (slen)
        memcpy(s->secret, secret, slen);
    s->slen = slen;
    s->acct = acct;
    return 0;
bad:
    snprintf(err, cap, "%s server %zu: expected host:port or host:port:secret", kind, idx + 1);
    return -1;
}

static void *prober_main(void *arg);

void cssf_radius_destroy(cssf_radius_client_t *c) {
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->prober, NULL);
    mbedtls_platform_zeroize(c->servers, sizeof c->servers);
    free(c->nas_identifier);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Frees what create_servers/create set up before the prober started. */
static void free_partial(cssf_radius_client_t *c) {
    mbedtls_platform_zeroize(c->servers, sizeof c->servers);
    free(c->nas_identifier);
    free(c);
}

int cssf_radius_create(const cssf_radius_config_t *cfg, cssf_radius_client_t **out, char *err,
                       size_t err_cap) {
    cssf_radius_client_t *c = NULL;
    pthread_condattr_t ca;
    int have_lock = 0, have_cond = 0;
    *out = NULL;
    if (!cfg || cfg->version != CSSF_RADIUS_CONFIG_VERSION) {
        snprintf(err, err_cap, "unsupported RADIUS configuration version");
        return -1;
    }
    if (cfg->n_auth > CSSF_RADIUS_MAX_SERVERS || cfg->n_acct > CSSF_RADIUS_MAX_SERVERS ||
        cfg->n_auth + cfg->n_acct == 0) {
        snprintf(err, err_cap, "need 1..%d authentication or accounting servers",
                 CSSF_RADIUS_MAX_SERVERS);
        return -1;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_auth; i++)
        if (!cfg->auth_servers[i] ||
            server_parse(&c->servers[i], cfg->auth_servers[i], 0, i, err, err_cap) != 0)
            goto fail;
    for (size_t i = 0; i < cfg->n_acct; i++)
        if (!cfg->acct_servers[i] || server_parse(&c->servers[cfg->n_auth + i],
                                                  cfg->acct_servers[i], 1, i, err, err_cap) != 0)
            goto fail;
    c->n_auth = cfg->n_auth;
    c->n_acct = cfg->n_acct;
    if (cfg->nas_identifier && cfg->nas_identifier[0]) {
        if (strlen(cfg->nas_identifier) > CSSF_RADIUS_ATTR_MAX) {
            snprintf(err, err_cap, "NAS-Identifier longer than 253 bytes");
            goto fail;
        }
        c->nas_identifier = strdup(cfg->nas_identifier);
        if (!c->nas_identifier) {
            snprintf(err, err_cap, "out of memory");
            goto fail;
        }
        c->nas.identifier = c->nas_identifier;
    }
    if (cfg->nas_ip_address && cfg->nas_ip_address[0] &&
        cssf_radius_nas_set_ip(&c->nas, cfg->nas_ip_address) != 0) {
        snprintf(err, err_cap, "NAS IP address is not an IPv4 or IPv6 literal");
        goto fail;
    }
    if (!c->nas.identifier && !c->nas.ip_family) {
        snprintf(err, err_cap, "need a NAS identifier or a NAS IP address");
        goto fail;
    }
    c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->retries = cfg->retries;
    c->dead_after = cfg->dead_after ? cfg->dead_after : DEFAULT_DEAD_AFTER;
    c->probe_ms = cfg->probe_interval_ms ? cfg->probe_interval_ms : DEFAULT_PROBE_MS;
    c->acct_require_ma = !cfg->acct_allow_missing_ma;
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        goto fail_sys;
    have_lock = 1;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int crc = pthread_cond_init(&c->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (crc != 0)
        goto fail_sys;
    have_cond = 1;
    if (pthread_create(&c->prober, NULL, prober_main, c) != 0)
        goto fail_sys;
    *out = c;
    return 0;
fail_sys:
    snprintf(err, err_cap, "cannot start the RADIUS client thread");
fail:
    if (have_cond)
        pthread_cond_destroy(&c->wake);
    if (have_lock)
        pthread_mutex_destroy(&c->lock);
    free_partial(c);
    return -1;
}

/* ---- shared secrets ---- */

/* A copy of s's secret for one exchange (the live one may be swapped
 * meanwhile). Returns its length, 0 when the server has none. */
static size_t secret_snapshot(cssf_radius_client_t *c, const server_t *s, uint8_t out[SECRET_MAX]) {
    pthread_mutex_lock(&c->lock);
    size_t n = s->slen;
    memcpy(out, s->secret, n);
    pthread_mutex_unlock(&c->lock);
    return n;
}

static void no_secret_reason(const server_t *s, char *out, size_t cap) {
    snprintf(out, cap, "no shared secret for %.80s; set one with cssfctl radius set-secret",
             s->name);
}

int cssf_radius_set_secret(cssf_radius_client_t *c, const char *server, const uint8_t *secret,
                           size_t slen) {
    if (!c || !server || slen > SECRET_MAX || (slen && !secret) ||
        (slen && memchr(secret, 0, slen)))
        return -1;
    int n = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_auth + c->n_acct; i++) {
        server_t *s = &c->servers[i];
        if (strcmp(s->name, server) != 0)
            continue;
        mbedtls_platform_zeroize(s->secret, sizeof s->secret);
        if (slen)
            memcpy(s->secret, secret, slen);
        s->slen = slen;
        n++;
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

size_t cssf_radius_servers(cssf_radius_client_t *c, cssf_radius_server_info_t *out, size_t cap) {
    size_t n = 0;
    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_auth + c->n_acct && n < cap; i++, n++) {
        snprintf(out[n].name, sizeof out[n].name, "%s", c->servers[i].name);
        out[n].acct = c->servers[i].acct;
        out[n].has_secret = c->servers[i].slen > 0;
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* ---- health ---- */

/*
 * A live server is always tried. A dead one is skipped, except that once
 * per probe interval one real request may try it: servers that do not
 * answer Status-Server (it is optional, RFC 5997) still come back.
 */
static int server_usable(cssf_radius_client_t *c, server_t *s) {
    pthread_mutex_lock(&c->lock);
    int ok = !s->dead;
    if (!ok) {
        uint64_t now = now_ms();
        if (now >= s->next_trial_ms) {
            s->next_trial_ms = now + c->probe_ms;
            ok = 1;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

static void server_answered(cssf_radius_client_t *c, server_t *s) {
    pthread_mutex_lock(&c->lock);
    int was_dead = s->dead;
    s->failures = 0;
    s->dead = 0;
    pthread_mutex_unlock(&c->lock);
    if (was_dead)
        cse_log(CSE_LOG_INFO, "radius server=%s kind=%s state=alive", s->name,
                s->acct ? "acct" : "auth");
}

static void server_failed(cssf_radius_client_t *c, server_t *s, const char *reason) {
    pthread_mutex_lock(&c->lock);
    int newly_dead = 0;
    if (!s->dead && ++s->failures >= c->dead_after) {
        s->dead = 1;
        s->next_probe_ms = s->next_trial_ms = now_ms() + c->probe_ms;
        newly_dead = 1;
        pthread_cond_broadcast(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    if (newly_dead)
        cse_log(CSE_LOG_WARN, "radius server=%s kind=%s state=dead reason=\"%s\"", s->name,
                s->acct ? "acct" : "auth", reason);
}

/* ---- one request over the server list ---- */

/* Builds the request for server s with identifier id and (where the
 * packet type takes a random one) Request Authenticator auth. */
typedef int (*build_fn)(cssf_radius_client_t *c, const uint8_t *secret, size_t slen, uint8_t id,
                        const uint8_t *auth, void *ctx, cssf_radius_pkt_t *p);

/* A random identifier and Request Authenticator for a new request. */
static int fresh_id_auth(uint8_t *id, uint8_t auth[CSSF_RADIUS_AUTH_LEN]) {
    uint8_t r[1 + CSSF_RADIUS_AUTH_LEN];
    if (cssf_radius_random(r, sizeof r) != 0)
        return -1;
    *id = r[0];
    memcpy(auth, r + 1, CSSF_RADIUS_AUTH_LEN);
    return 0;
}

static void set_reason(cssf_radius_reply_t *r, const char *server, const char *why) {
    if (server)
        snprintf(r->reason, sizeof r->reason, "%s: %s", server, why);
    else
        snprintf(r->reason, sizeof r->reason, "%s", why);
}

/* Result of an authentic answer of the given code. */
static cssf_radius_result_t result_of(int code) {
    switch (code) {
    case CSSF_RADIUS_ACCESS_REJECT:
        return CSSF_RADIUS_REJECT;
    case CSSF_RADIUS_ACCESS_CHALLENGE:
        return CSSF_RADIUS_CHALLENGE;
    default: /* Access-Accept, Accounting-Response */
        return CSSF_RADIUS_ACCEPT;
    }
}

/*
 * Tries servers [first, first+n) in order, skipping dead ones, until one
 * gives an authentic answer. A server that gives none (timeout, closed
 * port, only forged or malformed datagrams) counts one failure and the
 * next is tried.
 */
static cssf_radius_result_t run_request(cssf_radius_client_t *c, size_t first, size_t n,
                                        int require_ma, build_fn build, void *ctx,
                                        cssf_radius_reply_t *reply) {
    cssf_radius_pkt_t *p = malloc(sizeof *p);
    cssf_radius_xchg_t *x = malloc(sizeof *x);
    cssf_radius_result_t res = CSSF_RADIUS_ERROR;
    int tried = 0, local_errors = 0, saw_invalid = 0, no_secret = 0;
    uint8_t secret[SECRET_MAX];
    if (!p || !x) {
        set_reason(reply, NULL, "out of memory");
        goto out;
    }
    if (n == 0) {
        set_reason(reply, NULL, "no RADIUS server configured for this request");
        goto out;
    }
    for (size_t i = first; i < first + n; i++) {
        server_t *s = &c->servers[i];
        size_t slen = secret_snapshot(c, s, secret);
        if (!slen) {
            /* Not the server's fault: no failure counted, the next is tried. */
            no_secret_reason(s, reply->reason, sizeof reply->reason);
            no_secret++;
            continue;
        }
        if (!server_usable(c, s))
            continue;
        tried++;
        uint8_t id, auth[CSSF_RADIUS_AUTH_LEN];
        if (fresh_id_auth(&id, auth) != 0) {
            set_reason(reply, NULL, "no randomness");
            goto out;
        }
        if (build(c, secret, slen, id, auth, ctx, p) != 0) {
            set_reason(reply, NULL, "request cannot be encoded (field too long or missing)");
            goto out;
        }
        memset(x, 0, sizeof *x);
        x->addr = (const struct sockaddr *)&s->addr;
        x->addrlen = s->addrlen;
        x->req = p->data;
        x->req_len = p->len;
        x->secret = secret;
        x->slen = slen;
        x->require_ma = require_ma;
        x->timeout_ms = c->timeout_ms;
        x->retries = c->retries;
        cssf_radius_xchg_status_t st = cssf_radius_exchange(x);
        if (x->invalid)
            cse_log(CSE_LOG_WARN, "radius server=%s dropped=%u reason=\"%s\"", s->name, x->invalid,
                    x->reason);
        if (st == CSSF_RADIUS_XCHG_OK) {
            server_answered(c, s);
            reply->server = (int)(i - first);
            res = result_of(x->view.code);
            reply->code = x->view.code;
            if (res == CSSF_RADIUS_ACCEPT) {
                const char *why = NULL;
                if (cssf_radius_msg_decode_reply(&x->view, p->data + 4, secret, slen, reply,
                                                 &why) != 0) {
                    /* Authentic but undecodable: believe none of it. */
                    cssf_radius_reply_clear(reply);
                    reply->code = x->view.code;
                    set_reason(reply, s->name, why);
                    res = CSSF_RADIUS_INVALID;
                }
            } else {
                set_reason(reply, s->name, cssf_radius_code_name(x->view.code));
            }
            goto out;
        }
        if (st == CSSF_RADIUS_XCHG_ERROR) {
            /* Our side failed (no socket): says nothing about the server. */
            local_errors++;
            set_reason(reply, s->name, x->reason ? x->reason : "socket error");
            continue;
        }
        saw_invalid |= x->invalid > 0;
        set_reason(reply, s->name, x->reason ? x->reason : "no answer");
        server_failed(c, s, x->reason ? x->reason : "no answer");
    }
    if (!tried && no_secret == (int)n) {
        res = CSSF_RADIUS_ERROR; /* fail closed; the reason names the server */
        goto out;
    }
    if (!tried)
        set_reason(reply, NULL, "every RADIUS server is marked dead");
    res = saw_invalid                      ? CSSF_RADIUS_INVALID
          : tried && local_errors == tried ? CSSF_RADIUS_ERROR
                                           : CSSF_RADIUS_TIMEOUT;
out:
    if (p)
        mbedtls_platform_zeroize(p, sizeof *p);
    mbedtls_platform_zeroize(secret, sizeof secret);
    free(p);
    free(x);
    return res;
}

typedef struct auth_ctx {
    const char *user;
    const uint8_t *pw;
    size_t pwlen;
    const char *calling;
} auth_ctx_t;

static int build_access(cssf_radius_client_t *c, const uint8_t *secret, size_t slen, uint8_t id,
                        const uint8_t *auth, void *ctx, cssf_radius_pkt_t *p) {
    auth_ctx_t *a = ctx;
    return cssf_radius_msg_access_request(p, id, auth, &c->nas, a->user, a->pw, a->pwlen,
                                          a->calling, secret, slen);
}

cssf_radius_result_t cssf_radius_authenticate(cssf_radius_client_t *c, const char *user,
                                              const uint8_t *password, size_t pwlen,
                                              const char *calling_station_id,
                                              cssf_radius_reply_t *reply) {
    cssf_radius_reply_clear(reply);
    if (!c || !user || !user[0] || strlen(user) > CSSF_RADIUS_ATTR_MAX || (!password && pwlen) ||
        pwlen > CSSF_RADIUS_PASSWORD_MAX) {
        set_reason(reply, NULL, "bad user name or password length");
        return CSSF_RADIUS_ERROR;
    }
    auth_ctx_t a = {user, password, pwlen, calling_station_id};
    return run_request(c, 0, c->n_auth, 1, build_access, &a, reply);
}

/* The Accounting-Request authenticator is a digest, not random. */
static int text_ok(const char *s, int required) {
    if (!s)
        return !required;
    size_t n = strlen(s);
    return n >= 1 && n <= CSSF_RADIUS_ATTR_MAX;
}

int cssf_radius_acct_valid(const cssf_radius_acct_t *rec) {
    return rec &&
           (rec->status_type == CSSF_RADIUS_ACCT_START ||
            rec->status_type == CSSF_RADIUS_ACCT_INTERIM ||
            rec->status_type == CSSF_RADIUS_ACCT_STOP) &&
           text_ok(rec->session_id, 1) && text_ok(rec->user_name, 0) &&
           text_ok(rec->calling_station_id, 0) && rec->class_len <= CSSF_RADIUS_ATTR_MAX &&
           (rec->class_attr || !rec->class_len);
}

static int build_acct(cssf_radius_client_t *c, const uint8_t *secret, size_t slen, uint8_t id,
                      const uint8_t *auth, void *ctx, cssf_radius_pkt_t *p) {
    (void)auth;
    return cssf_radius_msg_accounting_request(p, id, &c->nas, ctx, secret, slen);
}

cssf_radius_result_t cssf_radius_account(cssf_radius_client_t *c, const cssf_radius_acct_t *rec,
                                         cssf_radius_reply_t *reply) {
    cssf_radius_reply_t local;
    if (!reply)
        reply = &local;
    cssf_radius_reply_clear(reply);
    if (!c || !cssf_radius_acct_valid(rec)) {
        set_reason(reply, NULL, "accounting record cannot be encoded");
        return CSSF_RADIUS_ERROR;
    }
    cssf_radius_result_t r =
        run_request(c, c->n_auth, c->n_acct, c->acct_require_ma, build_acct, (void *)rec, reply);
    if (reply == &local)
        cssf_radius_reply_clear(&local);
    return r;
}

/* ---- pipelined accounting ---- */

/* Where the answers of one server's share of a pipelined call go. */
typedef struct many_ctx {
    const uint8_t *secret; /* the snapshot the requests were signed with */
    size_t slen;
    const uint8_t *const *req; /* per request in the exchange */
    const size_t *rec;         /* its record index */
    cssf_radius_result_t *results;
    const char **why; /* per record: why it is not acknowledged */
} many_ctx_t;

static void many_answered(void *ctx, size_t i, const cssf_radius_view_t *v) {
    many_ctx_t *m = ctx;
    size_t k = m->rec[i];
    cssf_radius_reply_t *reply = malloc(sizeof *reply);
    const char *why = "out of memory";
    m->results[k] = CSSF_RADIUS_INVALID;
    if (reply) {
        cssf_radius_reply_clear(reply);
        if (result_of(v->code) == CSSF_RADIUS_ACCEPT &&
            cssf_radius_msg_decode_reply(v, m->req[i] + 4, m->secret, m->slen, reply, &why) == 0)
            m->results[k] = CSSF_RADIUS_ACCEPT;
        else if (result_of(v->code) != CSSF_RADIUS_ACCEPT)
            why = cssf_radius_code_name(v->code);
        cssf_radius_reply_clear(reply);
        free(reply);
    }
    m->why[k] = m->results[k] == CSSF_RADIUS_ACCEPT ? NULL : why;
}

/* Distinct identifiers for n requests on one socket, in random order. */
static int many_ids(uint8_t *ids, size_t n) {
    uint8_t r[CSSF_RADIUS_ACCT_WINDOW_MAX], used[256] = {0};
    if (cssf_radius_random(r, n) != 0)
        return -1;
    for (size_t j = 0; j < n; j++) {
        uint8_t id = r[j];
        while (used[id])
            id++;
        used[id] = 1;
        ids[j] = id;
    }
    return 0;
}

/* Sends the records listed in grp (n_grp of them) to server s, all at
 * once. Returns 0, or -1 on a local failure (nothing sent). */
static int many_to_server(cssf_radius_client_t *c, server_t *s, const uint8_t *secret, size_t slen,
                          const cssf_radius_acct_t *const *recs, const size_t *grp, size_t n_grp,
                          cssf_radius_result_t *results, const char **why, uint8_t *saw_invalid,
                          uint8_t *local_error) {
    cssf_radius_pkt_t *p = malloc(sizeof *p);
    size_t used = 0, cap = n_grp * CSSF_RADIUS_MAX_LEN;
    uint8_t *arena = malloc(cap);
    cssf_radius_mreq_t *mr = calloc(n_grp, sizeof *mr);
    const uint8_t **req = calloc(n_grp, sizeof *req);
    uint8_t ids[CSSF_RADIUS_ACCT_WINDOW_MAX];
    int rc = -1;
    if (!p || !arena || !mr || !req || many_ids(ids, n_grp) != 0)
        goto out;
    for (size_t j = 0; j < n_grp; j++) {
        if (cssf_radius_msg_accounting_request(p, ids[j], &c->nas, recs[grp[j]], secret, slen) !=
                0 ||
            p->len > cap - used)
            goto out;
        memcpy(arena + used, p->data, p->len);
        req[j] = mr[j].req = arena + used;
        mr[j].req_len = p->len;
        used += p->len;
    }
    many_ctx_t ctx = {secret, slen, req, grp, results, why};
    cssf_radius_mxchg_t m = {.addr = (const struct sockaddr *)&s->addr,
                             .addrlen = s->addrlen,
                             .secret = secret,
                             .slen = slen,
                             .require_ma = c->acct_require_ma,
                             .timeout_ms = c->timeout_ms,
                             .retries = c->retries,
                             .reqs = mr,
                             .n = n_grp,
                             .on_answer = many_answered,
                             .ctx = &ctx};
    if (cssf_radius_exchange_many(&m) != 0)
        goto out;
    unsigned dropped = m.stray;
    const char *drop_why = m.stray ? "identifier does not match" : NULL;
    for (size_t j = 0; j < n_grp; j++) {
        size_t k = grp[j];
        if (mr[j].invalid) {
            dropped += mr[j].invalid;
            drop_why = mr[j].reason;
        }
        if (mr[j].status == CSSF_RADIUS_XCHG_OK) {
            server_answered(c, s);
            continue;
        }
        why[k] = mr[j].reason ? mr[j].reason : "no answer";
        if (mr[j].status == CSSF_RADIUS_XCHG_ERROR) {
            local_error[k] = 1;
            continue;
        }
        saw_invalid[k] |= mr[j].invalid > 0 || m.stray > 0;
        server_failed(c, s, why[k]);
    }
    if (dropped)
        cse_log(CSE_LOG_WARN, "radius server=%s dropped=%u reason=\"%s\"", s->name, dropped,
                drop_why ? drop_why : "not authentic");
    rc = 0;
out:
    free(req);
    free(mr);
    free(arena);
    free(p);
    return rc;
}

int cssf_radius_account_many(cssf_radius_client_t *c, const cssf_radius_acct_t *const *recs,
                             size_t n, cssf_radius_result_t *results, char *reason,
                             size_t reason_cap) {
    const char *why[CSSF_RADIUS_ACCT_WINDOW_MAX];
    const char *where[CSSF_RADIUS_ACCT_WINDOW_MAX];
    uint8_t tried[CSSF_RADIUS_ACCT_WINDOW_MAX] = {0}, local[CSSF_RADIUS_ACCT_WINDOW_MAX] = {0},
            local_errors[CSSF_RADIUS_ACCT_WINDOW_MAX] = {0},
            saw_invalid[CSSF_RADIUS_ACCT_WINDOW_MAX] = {0};
    size_t grp[CSSF_RADIUS_ACCT_WINDOW_MAX];
    int acked = 0;
    if (reason && reason_cap)
        reason[0] = '\0';
    if (!c || !recs || !results || n == 0 || n > CSSF_RADIUS_ACCT_WINDOW_MAX)
        return -1;
    for (size_t k = 0; k < n; k++) {
        results[k] = cssf_radius_acct_valid(recs[k]) ? CSSF_RADIUS_TIMEOUT : CSSF_RADIUS_ERROR;
        why[k] = results[k] == CSSF_RADIUS_ERROR ? "accounting record cannot be encoded" : NULL;
        where[k] = NULL;
    }
    uint8_t secret[SECRET_MAX];
    char no_secret[CSSF_RADIUS_REASON_MAX] = "";
    size_t n_no_secret = 0;
    for (size_t i = c->n_auth; i < c->n_auth + c->n_acct; i++) {
        server_t *s = &c->servers[i];
        size_t n_grp = 0;
        size_t slen = secret_snapshot(c, s, secret);
        if (!slen) {
            /* Not the server's fault: no failure counted, the next is tried. */
            no_secret_reason(s, no_secret, sizeof no_secret);
            n_no_secret++;
            continue;
        }
        /* Still open: not answered authentically, not refused as unencodable. */
        for (size_t k = 0; k < n; k++)
            if (results[k] == CSSF_RADIUS_TIMEOUT && server_usable(c, s)) {
                grp[n_grp++] = k;
                tried[k]++;
            }
        if (!n_grp)
            continue;
        for (size_t j = 0; j < n_grp; j++)
            local[grp[j]] = 0;
        if (many_to_server(c, s, secret, slen, recs, grp, n_grp, results, why, saw_invalid,
                           local) != 0) {
            for (size_t j = 0; j < n_grp; j++) {
                why[grp[j]] = "request cannot be built";
                results[grp[j]] = CSSF_RADIUS_ERROR;
            }
            continue;
        }
        for (size_t j = 0; j < n_grp; j++) {
            local_errors[grp[j]] += local[grp[j]];
            if (results[grp[j]] != CSSF_RADIUS_ACCEPT)
                where[grp[j]] = s->name;
        }
    }
    mbedtls_platform_zeroize(secret, sizeof secret);
    if (n_no_secret && n_no_secret == c->n_acct) {
        /* Fail closed: no server can be asked; the reason names one. */
        for (size_t k = 0; k < n; k++)
            results[k] = CSSF_RADIUS_ERROR;
        if (reason && reason_cap)
            snprintf(reason, reason_cap, "%s", no_secret);
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        if (results[k] == CSSF_RADIUS_ACCEPT) {
            acked++;
            continue;
        }
        if (results[k] == CSSF_RADIUS_TIMEOUT) {
            /* Not answered anywhere: the same verdict as run_request. */
            if (!tried[k])
                why[k] = "every RADIUS server is marked dead";
            results[k] = saw_invalid[k]                            ? CSSF_RADIUS_INVALID
                         : tried[k] && local_errors[k] == tried[k] ? CSSF_RADIUS_ERROR
                                                                   : CSSF_RADIUS_TIMEOUT;
        }
        if (reason && reason_cap && !reason[0]) {
            if (where[k])
                snprintf(reason, reason_cap, "%s: %s", where[k], why[k] ? why[k] : "no answer");
            else
                snprintf(reason, reason_cap, "%s", why[k] ? why[k] : "no answer");
        }
    }
    return acked;
}

/* ---- Status-Server ---- */

/* Sends one Status-Server to s (no retransmission, RFC 5997 §4: a probe
 * that is lost is simply followed by the next one; it waits as long as a
 * request would in total). Updates nothing; fills st. */
static void probe_one(cssf_radius_client_t *c, server_t *s, cssf_radius_server_status_t *st) {
    cssf_radius_pkt_t *p = malloc(sizeof *p);
    cssf_radius_xchg_t *x = malloc(sizeof *x);
    uint8_t id, auth[CSSF_RADIUS_AUTH_LEN], secret[SECRET_MAX];
    memset(st, 0, sizeof *st);
    snprintf(st->name, sizeof st->name, "%s %s", s->acct ? "acct" : "auth", s->name);
    st->acct = s->acct;
    st->result = CSSF_RADIUS_ERROR;
    size_t slen = secret_snapshot(c, s, secret);
    if (!slen) {
        no_secret_reason(s, st->reason, sizeof st->reason);
        goto out;
    }
    if (!p || !x || fresh_id_auth(&id, auth) != 0 ||
        cssf_radius_msg_status_server(p, id, auth, &c->nas, secret, slen) != 0) {
        snprintf(st->reason, sizeof st->reason, "cannot build Status-Server");
        goto out;
    }
    memset(x, 0, sizeof *x);
    x->addr = (const struct sockaddr *)&s->addr;
    x->addrlen = s->addrlen;
    x->req = p->data;
    x->req_len = p->len;
    x->secret = secret;
    x->slen = slen;
    x->require_ma = 1;
    unsigned total = c->timeout_ms;
    for (unsigned i = 0, w = c->timeout_ms; i < c->retries && total < 30000u; i++)
        total += (w *= 2);
    x->timeout_ms = total;
    x->retries = 0;
    cssf_radius_xchg_status_t xs = cssf_radius_exchange(x);
    if (xs == CSSF_RADIUS_XCHG_OK) {
        st->alive = 1;
        st->result = CSSF_RADIUS_ACCEPT;
        st->rtt_ms = x->rtt_ms;
    } else {
        st->result = x->invalid                     ? CSSF_RADIUS_INVALID
                     : xs == CSSF_RADIUS_XCHG_ERROR ? CSSF_RADIUS_ERROR
                                                    : CSSF_RADIUS_TIMEOUT;
        snprintf(st->reason, sizeof st->reason, "%s", x->reason ? x->reason : "no answer");
    }
out:
    mbedtls_platform_zeroize(secret, sizeof secret);
    free(p);
    free(x);
}

int cssf_radius_status(cssf_radius_client_t *c, cssf_radius_server_status_t *out, size_t cap,
                       size_t *n_out) {
    if (!c)
        return -1;
    int alive = 0;
    size_t n = c->n_auth + c->n_acct;
    for (size_t i = 0; i < n; i++) {
        cssf_radius_server_status_t st;
        server_t *s = &c->servers[i];
        probe_one(c, s, &st);
        if (st.alive) {
            alive++;
            server_answered(c, s);
        } else if (st.result != CSSF_RADIUS_ERROR) {
            server_failed(c, s, st.reason); /* not for a local failure or a missing secret */
        }
        if (out && i < cap)
            out[i] = st;
    }
    if (n_out)
        *n_out = n < cap ? n : cap;
    return alive;
}

/* Background: probes each dead server every probe_ms and revives it on
 * an authentic answer. Sleeps on c->wake so destroy stops it at once. */
static void *prober_main(void *arg) {
    cssf_radius_client_t *c = arg;
    size_t n = c->n_auth + c->n_acct;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        uint64_t now = now_ms(), next = UINT64_MAX;
        server_t *due = NULL;
        for (size_t i = 0; i < n; i++) {
            server_t *s = &c->servers[i];
            if (!s->dead)
                continue;
            if (s->next_probe_ms <= now && !due)
                due = s;
            else if (s->next_probe_ms < next)
                next = s->next_probe_ms;
        }
        if (due) {
            due->next_probe_ms = now + c->probe_ms;
            pthread_mutex_unlock(&c->lock);
            cssf_radius_server_status_t st;
            probe_one(c, due, &st);
            if (st.alive)
                server_answered(c, due);
            pthread_mutex_lock(&c->lock);
            continue;
        }
        if (next == UINT64_MAX) {
            pthread_cond_wait(&c->wake, &c->lock);
        } else {
            struct timespec ts = {.tv_sec = (time_t)(next / 1000u),
                                  .tv_nsec = (long)(next % 1000u) * 1000000L};
            pthread_cond_timedwait(&c->wake, &c->lock, &ts);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}
