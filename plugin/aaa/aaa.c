/* AAA facade: PSK lookups, credential checks and session accounting over RADIUS. */
#include "plugin/aaa/aaa.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "cse/host.h"
#include "plugin/aaa/aaa_cache.h"
#include "plugin/aaa/acct_session.h"
#include "plugin/aaa/radius_crypto.h"

#define CACHE_ENTRIES 4096
#define MAX_SESSIONS 65536
#define SHUTDOWN_FLUSH_MS 2000
#define SECRETS_MAX (2 * CSSF_RADIUS_MAX_SERVERS + 1)

/* Where a shared secret (or the PSK-lookup password) comes from: the
 * plaintext of the configuration is the fallback of a sealed one. */
typedef struct secret_slot {
    char name[216]; /* "127.0.0.1:1812", or CSSF_AAA_PSK_PASSWORD_NAME */
    int auth, acct;
    char *fallback; /* plaintext from the INI file, or NULL */
    int fallback_source;
    int source; /* CSSF_AAA_SECRET_*, what is in use */
} secret_slot_t;

struct cssf_aaa {
    cssf_radius_client_t *radius;
    cssf_acct_queue_t *queue;
    cssf_acct_sessions_t *sessions;
    cssf_acct_ae_t *aes; /* AE registrations (acct_ae.h) */
    cssf_aaa_cache_t *cache;
    uint8_t cache_key[32]; /* keys credential digests; random per process */
    unsigned cache_ttl_s;
    int psk, basic, psk_format;
    char *psk_password; /* under secret_lock; NULL: lookups fail closed */
    secret_slot_t slots[SECRETS_MAX];
    size_t nslots;
    pthread_mutex_t secret_lock;  /* psk_password, slots[].source */
    pthread_mutex_t resolve_lock; /* one resolution at a time: a late one never undoes a newer */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping, ticking;
    pthread_t ticker;
    /* AE sessions: set by cssf_aaa_ae_arm, under lock. */
    int ae_armed, ae_reconciled, ae_persistent;
    cssf_acct_ae_exists_fn ae_exists;
    void *ae_ctx;
};

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cssf_aaa_peer_text(const struct sockaddr *peer, char *buf, size_t cap) {
    buf[0] = '\0';
    if (!peer)
        return;
    if (peer->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, buf, (socklen_t)cap);
    else if (peer->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, buf, (socklen_t)cap);
}

/* "host:port" + shared secret -> "host:port:secret" (caller frees, wiping). */
static char *with_secret(const char *spec, const char *secret) {
    const char *p = spec;
    if (*p == '[') {
        p = strchr(p, ']');
        if (!p)
            return strdup(spec);
    }
    const char *c1 = strchr(p, ':');
    if (!c1 || strchr(c1 + 1, ':') || !secret)
        return strdup(spec); /* has its own secret (or is malformed: the client says so) */
    size_t n = strlen(spec) + 1 + strlen(secret) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s:%s", spec, secret);
    return s;
}

/* The queue counts and logs refusals itself. */
static void emit_to_queue(void *ctx, const cssf_radius_acct_t *rec) {
    cssf_aaa_t *a = ctx;
    (void)cssf_acct_queue_push(a->queue, rec);
}

static void free_secret(char *s) {
    if (s) {
        mbedtls_platform_zeroize(s, strlen(s));
        free(s);
    }
}

/* The slot of name, added if new (NULL when full). */
static secret_slot_t *slot_of(cssf_aaa_t *a, const char *name) {
    for (size_t i = 0; i < a->nslots; i++)
        if (strcmp(a->slots[i].name, name) == 0)
            return &a->slots[i];
    if (a->nslots == SECRETS_MAX)
        return NULL;
    secret_slot_t *s = &a->slots[a->nslots++];
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* Records each server's name and plaintext fallback (inline, else the
 * file's). Malformed specs are left to the RADIUS client to report. */
static int note_servers(cssf_aaa_t *a, char *const *specs, size_t n, int acct, const char *file) {
    for (size_t i = 0; i < n; i++) {
        char name[216];
        const char *inline_secret;
        if (cssf_aaa_server_split(specs[i], name, sizeof name, &inline_secret) != 0)
            continue;
        secret_slot_t *s = slot_of(a, name);
        if (!s)
            continue;
        s->auth |= !acct;
        s->acct |= acct;
        if (s->fallback)
            continue;
        const char *fb = inline_secret && *inline_secret ? inline_secret : file;
        if (fb && !(s->fallback = strdup(fb)))
            return -1;
        s->fallback_source = !fb          ? CSSF_AAA_SECRET_NONE
                             : fb == file ? CSSF_AAA_SECRET_FILE
                                          : CSSF_AAA_SECRET_INLINE;
        s->source = s->fallback_source;
    }
    return 0;
}

static void *ticker_main(void *arg) {
    cssf_aaa_t *a = arg;
    pthread_mutex_lock(&a->lock);
    while (!a->stopping) {
        uint64_t next = mono_ms() + 1000;
        struct timespec ts = {.tv_sec = (time_t)(next / 1000u),
                              .tv_nsec = (long)(next % 1000u) * 1000000L};
        pthread_cond_timedwait(&a->wake, &a->lock, &ts);
        if (a->stopping)
            break;
        int reconcile = a->ae_armed && !a->ae_reconciled;
        a->ae_reconciled |= reconcile;
        pthread_mutex_unlock(&a->lock);
        if (reconcile) {
            size_t n = cssf_acct_ae_reconcile(a->aes, a->ae_exists, a->ae_ctx,
                                              a->ae_persistent ? CSSF_ACCT_CAUSE_SESSION_TIMEOUT
                                                               : CSSF_ACCT_CAUSE_NAS_REBOOT,
                                              (int64_t)time(NULL));
            if (n)
                cse_log(CSE_LOG_INFO, "radius accounting of AEs: %zu gone while down, stopped", n);
        }
        cssf_acct_sessions_tick(a->sessions, mono_ms() / 1000u);
        cssf_acct_ae_tick(a->aes, (int64_t)time(NULL));
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

void cssf_aaa_destroy(cssf_aaa_t *a) {
    if (!a)
        return;
    if (a->ticking) {
        pthread_mutex_lock(&a->lock);
        a->stopping = 1;
        pthread_cond_broadcast(&a->wake);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->ticker, NULL);
    }
    /* Open sessions end here. Their Stop records (and anything else
     * waiting) get a short chance to go out; what does not stays in the
     * file for the next start. */
    cssf_acct_sessions_destroy(a->sessions, mono_ms() / 1000u);
    /* AE registrations outlive a restart when the store keeps them: their
     * sessions continue at the next start, without a Stop. */
    cssf_acct_ae_close(a->aes, a->ae_armed && !a->ae_persistent ? CSSF_ACCT_CAUSE_NAS_REBOOT : 0,
                       (int64_t)time(NULL));
    if (a->queue)
        cssf_acct_queue_flush(a->queue, SHUTDOWN_FLUSH_MS);
    cssf_acct_queue_close(a->queue);
    cssf_radius_destroy(a->radius);
    cssf_aaa_cache_destroy(a->cache);
    free_secret(a->psk_password);
    for (size_t i = 0; i < a->nslots; i++)
        free_secret(a->slots[i].fallback);
    mbedtls_platform_zeroize(a->cache_key, sizeof a->cache_key);
    pthread_mutex_destroy(&a->secret_lock);
    pthread_mutex_destroy(&a->resolve_lock);
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* Builds the RADIUS client configuration from cfg and creates the client. */
static int create_radius(cssf_aaa_t *a, const cssf_aaa_config_t *cfg, const char *nas_default,
                         char *err, size_t cap) {
    cssf_radius_config_t rc;
    char *specs[2 * CSSF_RADIUS_MAX_SERVERS] = {0};
    size_t n = 0;
    int ret = -1;
    cssf_radius_config_init(&rc);
    for (size_t i = 0; i < cfg->n_auth; i++) {
        if (!(specs[n] = with_secret(cfg->auth_servers[i], cfg->secret)))
            goto out;
        rc.auth_servers[rc.n_auth++] = specs[n++];
    }
    for (size_t i = 0; i < cfg->n_acct; i++) {
        if (!(specs[n] = with_secret(cfg->acct_servers[i], cfg->secret)))
            goto out;
        rc.acct_servers[rc.n_acct++] = specs[n++];
    }
    rc.nas_identifier = cfg->nas_identifier ? cfg->nas_identifier : nas_default;
    rc.nas_ip_address = cfg->nas_ip;
    if (cfg->timeout_ms)
        rc.timeout_ms = cfg->timeout_ms;
    if (cfg->retries_set)
        rc.retries = cfg->retries;
    if (cfg->dead_after)
        rc.dead_after = cfg->dead_after;
    if (cfg->probe_ms)
        rc.probe_interval_ms = cfg->probe_ms;
    rc.acct_allow_missing_ma = cfg->acct_allow_missing_ma;
    ret = cssf_radius_create(&rc, &a->radius, err, cap);
out:
    if (ret != 0 && !err[0])
        snprintf(err, cap, "out of memory");
    for (size_t i = 0; i < n; i++) {
        mbedtls_platform_zeroize(specs[i], strlen(specs[i]));
        free(specs[i]);
    }
    return ret;
}

int cssf_aaa_create(const cssf_aaa_config_t *cfg, const char *nas_default, cssf_aaa_t **out,
                    char *err, size_t err_cap) {
    *out = NULL;
    err[0] = '\0';
    if (!cssf_aaa_config_enabled(cfg))
        return 0;
    if (cssf_aaa_config_check(cfg, err, err_cap) != 0)
        return -1;
    cssf_aaa_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->secret_lock, NULL);
    pthread_mutex_init(&a->resolve_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->wake, &ca);
    pthread_condattr_destroy(&ca);
    a->psk = cfg->psk;
    a->basic = cfg->basic;
    a->psk_format = cfg->psk_format;
    a->cache_ttl_s = cfg->cache_ttl;
    if (cfg->psk_password && !(a->psk_password = strdup(cfg->psk_password)))
        goto oom;
    if (note_servers(a, cfg->auth_servers, cfg->n_auth, 0, cfg->secret) != 0 ||
        note_servers(a, cfg->acct_servers, cfg->n_acct, 1, cfg->secret) != 0)
        goto oom;
    if (a->psk) {
        secret_slot_t *s = slot_of(a, CSSF_AAA_PSK_PASSWORD_NAME);
        if (!s || (cfg->psk_password && !(s->fallback = strdup(cfg->psk_password))))
            goto oom;
        s->fallback_source = s->source =
            cfg->psk_password ? CSSF_AAA_SECRET_INLINE : CSSF_AAA_SECRET_NONE;
    }
    if (cssf_radius_random(a->cache_key, sizeof a->cache_key) != 0 ||
        !(a->cache = cssf_aaa_cache_create(CACHE_ENTRIES)))
        goto oom;
    if (create_radius(a, cfg, nas_default, err, err_cap) != 0)
        goto fail;
    if (cfg->n_acct) {
        cssf_acct_queue_config_t qc = {.path = cfg->acct_queue};
        uint8_t tag_bytes[4];
        char tag[9];
        if (cssf_acct_queue_open(&qc, a->radius, &a->queue, err, err_cap) != 0)
            goto fail;
        /* A random tag per start keeps Acct-Session-Ids unique across restarts. */
        if (cssf_radius_random(tag_bytes, sizeof tag_bytes) != 0)
            goto oom;
        snprintf(tag, sizeof tag, "%02x%02x%02x%02x", tag_bytes[0], tag_bytes[1], tag_bytes[2],
                 tag_bytes[3]);
        a->sessions =
            cssf_acct_sessions_create(tag, cfg->acct_interim, MAX_SESSIONS, emit_to_queue, a);
        if (!a->sessions)
            goto oom;
        cssf_acct_ae_config_t ac = {cfg->acct_queue, cfg->acct_interim, MAX_SESSIONS, emit_to_queue,
                                    a};
        if (cssf_acct_ae_open(&ac, &a->aes, err, err_cap) != 0)
            goto fail;
        /* Always: besides Interim-Updates it stops AE sessions found gone. */
        if (pthread_create(&a->ticker, NULL, ticker_main, a) != 0) {
            snprintf(err, err_cap, "cannot start the accounting timer");
            goto fail;
        }
        a->ticking = 1;
    }
    cse_log(CSE_LOG_INFO,
            "cssf: radius auth_servers=%zu acct_servers=%zu psk=%s basic=%s accounting=%s",
            cfg->n_auth, cfg->n_acct, a->psk ? "on" : "off", a->basic ? "on" : "off",
            a->queue ? cfg->acct_queue : "off");
    *out = a;
    return 0;
oom:
    snprintf(err, err_cap, "out of memory");
fail:
    cssf_aaa_destroy(a);
    return -1;
}

int cssf_aaa_psk_enabled(const cssf_aaa_t *a) {
    return a && a->psk;
}

int cssf_aaa_basic_enabled(const cssf_aaa_t *a) {
    return a && a->basic;
}

int cssf_aaa_acct_enabled(const cssf_aaa_t *a) {
    return a && a->queue;
}

cssf_radius_client_t *cssf_aaa_radius(cssf_aaa_t *a) {
    return a->radius;
}

int cssf_aaa_acct_stats(cssf_aaa_t *a, cssf_acct_queue_stats_t *out) {
    if (!a || !a->queue)
        return -1;
    cssf_acct_queue_get_stats(a->queue, out);
    return 0;
}

int cssf_aaa_acct_flush(cssf_aaa_t *a, unsigned timeout_ms) {
    if (!a || !a->queue)
        return -1;
    return cssf_acct_queue_flush(a->queue, timeout_ms);
}

/* Cache key: HMAC-SHA256 under the per-process key of kind|0|a|0|b. */
static void cache_key(const cssf_aaa_t *a, const char *kind, const char *x, const char *y,
                      uint8_t out[CSSF_AAA_CACHE_KEY]) {
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    mbedtls_md_context_t ctx;
    static const uint8_t zero = 0;
    mbedtls_md_init(&ctx);
    if (mbedtls_md_setup(&ctx, md, 1) != 0 ||
        mbedtls_md_hmac_starts(&ctx, a->cache_key, sizeof a->cache_key) != 0) {
        memset(out, 0, CSSF_AAA_CACHE_KEY); /* all-zero: never stored, never hit */
        out[0] = 1;
        goto done;
    }
    mbedtls_md_hmac_update(&ctx, (const uint8_t *)kind, strlen(kind));
    mbedtls_md_hmac_update(&ctx, &zero, 1);
    mbedtls_md_hmac_update(&ctx, (const uint8_t *)x, strlen(x));
    mbedtls_md_hmac_update(&ctx, &zero, 1);
    if (y)
        mbedtls_md_hmac_update(&ctx, (const uint8_t *)y, strlen(y));
    mbedtls_md_hmac_finish(&ctx, out);
done:
    mbedtls_md_free(&ctx);
}

/* How long an Accept may be reused: radius_cache_ttl, at most its
 * Session-Timeout. 0 = not at all. */
static uint64_t cache_until(const cssf_aaa_t *a, const cssf_radius_reply_t *r) {
    uint64_t ttl = a->cache_ttl_s;
    if (r->session_timeout && r->session_timeout < ttl)
        ttl = r->session_timeout;
    return ttl ? mono_ms() + ttl * 1000u : 0;
}

static int hex_val(uint8_t c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The key carried by a Tunnel-Password: raw bytes or hex text. */
static int decode_key(const cssf_aaa_t *a, const uint8_t *v, size_t n, uint8_t *key, size_t cap,
                      size_t *len, const char **why) {
    if (a->psk_format == CSSF_AAA_PSK_RAW) {
        if (n > cap) {
            *why = "key longer than the TLS layer accepts";
            return -1;
        }
        memcpy(key, v, n);
        *len = n;
        return 0;
    }
    if (n % 2 || n / 2 > cap) {
        *why = n % 2 ? "Tunnel-Password is not hex" : "key longer than the TLS layer accepts";
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_val(v[2 * i]), lo = hex_val(v[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            mbedtls_platform_zeroize(key, i);
            *why = "Tunnel-Password is not hex";
            return -1;
        }
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return 0;
}

int cssf_aaa_psk_lookup(cssf_aaa_t *a, const char *identity, const struct sockaddr *peer,
                        uint8_t *key, size_t cap, size_t *len, char *reason, size_t reason_cap) {
    uint8_t ck[CSSF_AAA_CACHE_KEY];
    char peer_text[INET6_ADDRSTRLEN];
    cssf_radius_reply_t r;
    const char *why = NULL;
    int rc = -1;
    reason[0] = '\0';
    if (!cssf_aaa_psk_enabled(a) || !identity || !identity[0]) {
        snprintf(reason, reason_cap, "PSK lookup by RADIUS is not enabled");
        return -1;
    }
    cache_key(a, "psk", identity, NULL, ck);
    if (cssf_aaa_cache_get(a->cache, ck, key, cap, len, mono_ms()))
        return 0;
    char pw[CSSF_RADIUS_PASSWORD_MAX + 1] = "";
    pthread_mutex_lock(&a->secret_lock);
    if (a->psk_password)
        snprintf(pw, sizeof pw, "%s", a->psk_password);
    pthread_mutex_unlock(&a->secret_lock);
    if (!pw[0]) {
        cssf_radius_reply_clear(&r);
        snprintf(reason, reason_cap,
                 "no RADIUS PSK-lookup password; set one with cssfctl radius set-secret %s",
                 CSSF_AAA_PSK_PASSWORD_NAME);
        goto out;
    }
    cssf_aaa_peer_text(peer, peer_text, sizeof peer_text);
    cssf_radius_result_t res = cssf_radius_authenticate(
        a->radius, identity, (const uint8_t *)pw, strlen(pw), peer_text[0] ? peer_text : NULL, &r);
    mbedtls_platform_zeroize(pw, sizeof pw);
    if (res != CSSF_RADIUS_ACCEPT) {
        snprintf(reason, reason_cap, "RADIUS %s: %s", cssf_radius_result_name(res), r.reason);
        goto out;
    }
    if (!r.has_tunnel_password) {
        snprintf(reason, reason_cap, "RADIUS accepted %s without a Tunnel-Password", identity);
        goto out;
    }
    if (decode_key(a, r.tunnel_password, r.tunnel_password_len, key, cap, len, &why) != 0 ||
        *len == 0) {
        snprintf(reason, reason_cap, "RADIUS key for %s: %s", identity, why ? why : "empty");
        goto out;
    }
    uint64_t until = cache_until(a, &r);
    if (until)
        cssf_aaa_cache_put(a->cache, ck, key, *len, until);
    rc = 0;
out:
    cssf_radius_reply_clear(&r);
    return rc;
}

int cssf_aaa_check_password(cssf_aaa_t *a, const char *user, const char *password,
                            const struct sockaddr *peer, char *reason, size_t reason_cap) {
    uint8_t ck[CSSF_AAA_CACHE_KEY], dummy[1];
    size_t dlen;
    char peer_text[INET6_ADDRSTRLEN];
    cssf_radius_reply_t r;
    reason[0] = '\0';
    if (!cssf_aaa_basic_enabled(a) || !user || !user[0] || !password) {
        snprintf(reason, reason_cap, "no RADIUS credential check configured or no credentials");
        return 0;
    }
    cache_key(a, "pw", user, password, ck);
    if (cssf_aaa_cache_get(a->cache, ck, dummy, sizeof dummy, &dlen, mono_ms()))
        return 1;
    cssf_aaa_peer_text(peer, peer_text, sizeof peer_text);
    cssf_radius_result_t res =
        cssf_radius_authenticate(a->radius, user, (const uint8_t *)password, strlen(password),
                                 peer_text[0] ? peer_text : NULL, &r);
    int ok = res == CSSF_RADIUS_ACCEPT;
    if (ok) {
        uint64_t until = cache_until(a, &r);
        if (until)
            cssf_aaa_cache_put(a->cache, ck, "", 0, until);
    } else {
        snprintf(reason, reason_cap, "RADIUS %s: %s", cssf_radius_result_name(res), r.reason);
    }
    cssf_radius_reply_clear(&r);
    return ok;
}

void cssf_aaa_session_start(cssf_aaa_t *a, uint64_t sid, const char *user,
                            const struct sockaddr *peer) {
    char peer_text[INET6_ADDRSTRLEN];
    if (!cssf_aaa_acct_enabled(a) || !sid)
        return;
    cssf_aaa_peer_text(peer, peer_text, sizeof peer_text);
    cssf_acct_sessions_start(a->sessions, sid, user, peer_text[0] ? peer_text : NULL,
                             mono_ms() / 1000u);
}

void cssf_aaa_session_traffic(cssf_aaa_t *a, uint64_t sid, uint64_t bytes_in, uint64_t bytes_out) {
    if (cssf_aaa_acct_enabled(a))
        cssf_acct_sessions_traffic(a->sessions, sid, bytes_in, bytes_out);
}

void cssf_aaa_session_stop(cssf_aaa_t *a, uint64_t sid) {
    if (cssf_aaa_acct_enabled(a))
        cssf_acct_sessions_stop(a->sessions, sid, CSSF_ACCT_CAUSE_USER_REQUEST, mono_ms() / 1000u);
}

int cssf_aaa_on_psk_lookup(cssf_aaa_t *a, cse_evt_psk_lookup_t *ev, char *reason,
                           size_t reason_cap) {
    reason[0] = '\0';
    if (!cssf_aaa_psk_enabled(a) || !ev || ev->version < 1 || !ev->key || !ev->identity)
        return CSE_PLUGIN_DEFER;
    size_t len = 0;
    if (ev->version >= 2 && ev->nonblocking) {
        /* Only what is at hand: a cached key, else tell the host to ask
         * again off its event loop (the RADIUS round trip would block it). */
        uint8_t ck[CSSF_AAA_CACHE_KEY];
        cache_key(a, "psk", ev->identity, NULL, ck);
        if (!cssf_aaa_cache_get(a->cache, ck, ev->key, ev->key_cap, &len, mono_ms())) {
            ev->would_block = 1;
            return CSE_PLUGIN_DEFER;
        }
        ev->key_len = len;
        return CSE_PLUGIN_OK;
    }
    if (cssf_aaa_psk_lookup(a, ev->identity, ev->peer, ev->key, ev->key_cap, &len, reason,
                            reason_cap) != 0)
        return CSE_PLUGIN_DEFER;
    ev->key_len = len;
    return CSE_PLUGIN_OK;
}

void cssf_aaa_ae_register(cssf_aaa_t *a, const char *aei, const char *user, uint64_t bytes_in,
                          uint64_t bytes_out) {
    if (cssf_aaa_acct_enabled(a))
        cssf_acct_ae_start(a->aes, aei, user, bytes_in, bytes_out, (int64_t)time(NULL));
}

void cssf_aaa_ae_deregister(cssf_aaa_t *a, const char *aei, const char *reason) {
    if (!cssf_aaa_acct_enabled(a))
        return;
    uint32_t cause = reason && strcmp(reason, "expired") == 0 ? CSSF_ACCT_CAUSE_SESSION_TIMEOUT
                                                              : CSSF_ACCT_CAUSE_USER_REQUEST;
    cssf_acct_ae_stop(a->aes, aei, cause, (int64_t)time(NULL));
}

void cssf_aaa_ae_arm(cssf_aaa_t *a, int persistent, cssf_acct_ae_exists_fn exists, void *ctx) {
    if (!cssf_aaa_acct_enabled(a))
        return;
    pthread_mutex_lock(&a->lock);
    a->ae_persistent = persistent;
    a->ae_exists = exists;
    a->ae_ctx = ctx;
    a->ae_armed = 1;
    pthread_mutex_unlock(&a->lock);
}

size_t cssf_aaa_ae_open(cssf_aaa_t *a) {
    return cssf_aaa_acct_enabled(a) ? cssf_acct_ae_open_count(a->aes) : 0;
}

void cssf_aaa_on_accounting(cssf_aaa_t *a, const cse_evt_accounting_t *ev) {
    if (!cssf_aaa_acct_enabled(a) || !ev || ev->version < 1)
        return;
    /* One hash lookup per request, only with accounting on. */
    if (ev->kind == CSE_ACCT_REQUEST && !(ev->version >= 2 && ev->aei))
        cssf_acct_ae_traffic(a->aes, ev->originator, ev->bytes_in, ev->bytes_out);
    if (!ev->sec || !ev->sec->session_id)
        return;
    const cse_security_context_t *sec = ev->sec;
    const struct sockaddr *peer = sec->peer.ss_family ? (const struct sockaddr *)&sec->peer : NULL;
    switch (ev->kind) {
    case CSE_ACCT_SESSION_START:
        cssf_aaa_session_start(a, sec->session_id,
                               sec->assoc_identity ? sec->assoc_identity : ev->originator, peer);
        break;
    case CSE_ACCT_SESSION_STOP:
        cssf_aaa_session_stop(a, sec->session_id);
        break;
    case CSE_ACCT_REQUEST:
        cssf_aaa_session_traffic(a, sec->session_id, ev->bytes_in, ev->bytes_out);
        break;
    default:
        break;
    }
}

const char *cssf_aaa_secret_source_name(int source) {
    switch (source) {
    case CSSF_AAA_SECRET_SEALED:
        return "sealed";
    case CSSF_AAA_SECRET_INLINE:
        return "inline";
    case CSSF_AAA_SECRET_FILE:
        return "file";
    default:
        return "none";
    }
}

static int psk_slot(const secret_slot_t *s) {
    return strcmp(s->name, CSSF_AAA_PSK_PASSWORD_NAME) == 0;
}

/* Puts value (NULL: none) in use for slot s. */
static void apply_secret(cssf_aaa_t *a, secret_slot_t *s, const char *value, size_t len,
                         int source) {
    if (psk_slot(s)) {
        char *copy = value ? strndup(value, len) : NULL;
        pthread_mutex_lock(&a->secret_lock);
        char *old = a->psk_password;
        a->psk_password = copy;
        s->source = copy ? source : CSSF_AAA_SECRET_NONE;
        pthread_mutex_unlock(&a->secret_lock);
        free_secret(old);
        /* Keys looked up with the old password stay valid: they are the
         * devices' keys, not the password's. */
        return;
    }
    cssf_radius_set_secret(a->radius, s->name, (const uint8_t *)value, value ? len : 0);
    pthread_mutex_lock(&a->secret_lock);
    int was = s->source;
    s->source = value ? source : CSSF_AAA_SECRET_NONE;
    pthread_mutex_unlock(&a->secret_lock);
    /* Records that waited for a secret go out now, not after the backoff. */
    if (value && was == CSSF_AAA_SECRET_NONE && s->acct && a->queue)
        cssf_acct_queue_flush(a->queue, 0);
}

static const char *fallback_option(const secret_slot_t *s) {
    if (psk_slot(s))
        return "radius_psk_password";
    if (s->fallback_source == CSSF_AAA_SECRET_FILE)
        return "radius_secret_file";
    return s->auth ? "radius_auth_servers" : "radius_acct_servers";
}

int cssf_aaa_resolve_secrets(cssf_aaa_t *a, cssf_aaa_sealed_fn fn, void *ctx, const char *only,
                             int warn) {
    int n = 0;
    if (!a)
        return 0;
    pthread_mutex_lock(&a->resolve_lock);
    for (size_t i = 0; i < a->nslots; i++) {
        secret_slot_t *s = &a->slots[i];
        uint8_t sealed[CSSF_RADIUS_PASSWORD_MAX + 1];
        size_t len = 0;
        if (only && strcmp(only, s->name) != 0)
            continue;
        int found = fn ? fn(ctx, s->name, sealed, sizeof sealed - 1, &len) : 0;
        if (found < 0) {
            cse_log(CSE_LOG_ERROR,
                    "cssf: radius: cannot read the sealed secret of %s; the one in use stays",
                    s->name);
            continue;
        }
        n++;
        if (found > 0) {
            apply_secret(a, s, (const char *)sealed, len, CSSF_AAA_SECRET_SEALED);
            mbedtls_platform_zeroize(sealed, sizeof sealed);
            if (warn && s->fallback)
                cse_log(CSE_LOG_INFO,
                        "cssf: radius: %s uses its sealed secret; the plaintext one in %s is "
                        "ignored and can be removed",
                        s->name, fallback_option(s));
            continue;
        }
        apply_secret(a, s, s->fallback, s->fallback ? strlen(s->fallback) : 0, s->fallback_source);
        if (!warn)
            continue;
        if (s->fallback)
            cse_log(CSE_LOG_WARN,
                    "cssf: radius: the secret of %s is plaintext at rest (%s); seal it with "
                    "'cssfctl radius set-secret %s' and remove it from the configuration",
                    s->name, fallback_option(s), s->name);
        else
            cse_log(CSE_LOG_WARN,
                    "cssf: radius: no %s %s; its requests fail until one is set with "
                    "'cssfctl radius set-secret %s'",
                    psk_slot(s) ? "PSK-lookup password" : "shared secret for",
                    psk_slot(s) ? "(psk-password)" : s->name, s->name);
    }
    pthread_mutex_unlock(&a->resolve_lock);
    return n;
}

size_t cssf_aaa_secret_sources(cssf_aaa_t *a, cssf_aaa_secret_info_t *out, size_t cap) {
    size_t n = 0;
    if (!a)
        return 0;
    pthread_mutex_lock(&a->secret_lock);
    for (size_t i = 0; i < a->nslots && n < cap; i++, n++) {
        snprintf(out[n].name, sizeof out[n].name, "%s", a->slots[i].name);
        out[n].auth = a->slots[i].auth;
        out[n].acct = a->slots[i].acct;
        out[n].source = a->slots[i].source;
    }
    pthread_mutex_unlock(&a->secret_lock);
    return n;
}
