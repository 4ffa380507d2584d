/* Token signature keys (see token_keys.h). */
#include "plugin/authn/token_keys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"

#pragma weak cse_log

typedef struct key {
    char kid[128];
    int has_kid;
    char kty[8];
    char crv[8];
    char alg[16]; /* "" when the JWK names none */
    cssf_oauth2_verifier_t *v;
} jwk_key_t;

typedef struct keyset {
    jwk_key_t *v;
    size_t n;
} keyset_t;

struct cssf_token_keys {
    cssf_oauth2_t *rt;
    char name[64];
    char *uri;
    char **algs;
    size_t nalgs;
    int64_t min_refresh, max_age;
    int timeout;
    pthread_mutex_t lock;
    pthread_cond_t fetched;
    keyset_t set;
    int fetching;
    int64_t last_attempt, last_success;
    int reachable; /* outcome of the last fetch */
    int attempted;
};

static const struct {
    const char *alg, *kty, *crv;
} fits[] = {
    {"ES256", "EC", "P-256"}, {"ES384", "EC", "P-384"}, {"ES512", "EC", "P-521"},
    {"RS256", "RSA", NULL},   {"RS384", "RSA", NULL},   {"RS512", "RSA", NULL},
    {"PS256", "RSA", NULL},   {"PS384", "RSA", NULL},   {"PS512", "RSA", NULL},
    {"HS256", "oct", NULL},   {"HS384", "oct", NULL},   {"HS512", "oct", NULL},
};

int cssf_jws_alg_known(const char *alg) {
    for (size_t i = 0; alg && i < sizeof(fits) / sizeof(fits[0]); i++)
        if (strcmp(alg, fits[i].alg) == 0)
            return 1;
    return 0;
}

int cssf_jwk_alg_fits(const char *alg, const char *kty, const char *crv) {
    for (size_t i = 0; alg && kty && i < sizeof(fits) / sizeof(fits[0]); i++)
        if (strcmp(alg, fits[i].alg) == 0)
            return strcmp(kty, fits[i].kty) == 0 &&
                   (!fits[i].crv || (crv && strcmp(crv, fits[i].crv) == 0));
    return 0;
}

static int alg_accepted(const cssf_token_keys_t *k, const char *alg) {
    for (size_t i = 0; i < k->nalgs; i++)
        if (strcmp(k->algs[i], alg) == 0)
            return 1;
    return 0;
}

static void keyset_clear(cssf_oauth2_t *rt, keyset_t *s) {
    for (size_t i = 0; i < s->n; i++)
        cssf_oauth2_verifier_free(rt, s->v[i].v);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int copy_str(json_t *jwk, const char *name, char *out, size_t cap) {
    const char *s = json_string_value(json_object_get(jwk, name));
    out[0] = '\0';
    if (!s)
        return json_object_get(jwk, name) ? -1 : 0;
    if (strlen(s) >= cap)
        return -1;
    memcpy(out, s, strlen(s) + 1);
    return 1;
}

/* 1 when the JWK may verify signatures: use "sig" (or none), key_ops with
 * "verify" (or none), no private part. */
static int usable_for_verify(json_t *jwk) {
    const char *use = json_string_value(json_object_get(jwk, "use"));
    if (json_object_get(jwk, "use") && (!use || strcmp(use, "sig") != 0))
        return 0;
    json_t *ops = json_object_get(jwk, "key_ops");
    if (ops) {
        size_t i;
        json_t *e;
        int ok = 0;
        json_array_foreach(ops, i, e) ok |=
            json_is_string(e) && !strcmp(json_string_value(e), "verify");
        if (!ok)
            return 0;
    }
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    /* "d" is the private part of EC, RSA and OKP keys; oct keys are secret by nature. */
    return kty && (strcmp(kty, "oct") == 0 || !json_object_get(jwk, "d"));
}

/* Builds one key; 0 = skipped (why says so), 1 = added, -1 = out of memory. */
static int add_key(cssf_token_keys_t *k, keyset_t *s, json_t *jwk, int local, char *why,
                   size_t cap) {
    jwk_key_t key;
    memset(&key, 0, sizeof(key));
    if (!json_is_object(jwk) || !usable_for_verify(jwk)) {
        snprintf(why, cap, "not a public signature key");
        return 0;
    }
    if (copy_str(jwk, "kty", key.kty, sizeof(key.kty)) != 1 ||
        copy_str(jwk, "crv", key.crv, sizeof(key.crv)) < 0 ||
        copy_str(jwk, "alg", key.alg, sizeof(key.alg)) < 0 ||
        (key.has_kid = copy_str(jwk, "kid", key.kid, sizeof(key.kid))) < 0) {
        snprintf(why, cap, "malformed kty, crv, alg or kid");
        return 0;
    }
    if (strcmp(key.kty, "oct") == 0 && !local) {
        snprintf(why, cap, "a symmetric key from a JWKS URI");
        return 0;
    }
    int fits_any = 0;
    for (size_t i = 0; i < k->nalgs; i++)
        fits_any |= cssf_jwk_alg_fits(k->algs[i], key.kty, key.crv[0] ? key.crv : NULL) &&
                    (!key.alg[0] || strcmp(key.alg, k->algs[i]) == 0);
    if (!fits_any) {
        snprintf(why, cap, "no accepted algorithm fits key type %s%s%s", key.kty,
                 key.alg[0] ? " alg " : "", key.alg);
        return 0;
    }
    char *text = json_dumps(jwk, JSON_COMPACT);
    if (!text)
        return -1;
    key.v = cssf_oauth2_verifier_new(k->rt, text, why, cap);
    free(text);
    if (!key.v)
        return 0;
    jwk_key_t *grown = realloc(s->v, (s->n + 1) * sizeof(*grown));
    if (!grown) {
        cssf_oauth2_verifier_free(k->rt, key.v);
        return -1;
    }
    s->v = grown;
    s->v[s->n++] = key;
    return 1;
}

/* Builds a key set from a JWK set document. Returns the keys added, or -1
 * (reason in err) for a document that is not a JWK set. */
static int keyset_build(cssf_token_keys_t *k, const json_t *doc, int local, keyset_t *out,
                        char *err, size_t cap) {
    memset(out, 0, sizeof(*out));
    json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        snprintf(err, cap, "not a JWK set ({\"keys\": [...]})");
        return -1;
    }
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk) {
        if (out->n >= CSSF_TOKEN_MAX_KEYS)
            break;
        char why[160] = "";
        int r = add_key(k, out, jwk, local, why, sizeof(why));
        if (r < 0) {
            keyset_clear(k->rt, out);
            snprintf(err, cap, "out of memory");
            return -1;
        }
        if (r == 0 && local) {
            keyset_clear(k->rt, out);
            snprintf(err, cap, "key %zu: %s", i, why);
            return -1;
        }
    }
    return (int)out->n;
}

/* GETs the JWKS and builds a set from it. Returns the keys, or -1 with the
 * reason in err. Runs without the lock. */
static int fetch_set(cssf_token_keys_t *k, keyset_t *out, char *err, size_t cap) {
    long status = 0;
    char *body = NULL;
    cssf_oauth2_http_t req = {.url = k->uri, .timeout = k->timeout};
    memset(out, 0, sizeof(*out));
    if (cssf_oauth2_http(k->rt, &req, &status, &body, err, cap) < 0)
        return -1;
    int n = -1;
    json_t *doc = NULL;
    if (status != 200)
        snprintf(err, cap, "HTTP status %ld", status);
    else if (strlen(body) > CSSF_TOKEN_MAX_JWKS_BYTES)
        snprintf(err, cap, "JWKS larger than %d bytes", CSSF_TOKEN_MAX_JWKS_BYTES);
    else if (!(doc = json_loads(body, JSON_REJECT_DUPLICATES, NULL)))
        snprintf(err, cap, "JWKS is not JSON");
    else if ((n = keyset_build(k, doc, 0, out, err, cap)) == 0) {
        snprintf(err, cap, "JWKS holds no usable key");
        n = -1;
    }
    json_decref(doc);
    free(body);
    return n;
}

/* Fetches the set now. Called and returns with the lock held; releases it
 * while the request runs. */
static void refresh_locked(cssf_token_keys_t *k, int64_t now) {
    keyset_t fresh;
    char err[192] = "";
    k->fetching = 1;
    k->last_attempt = now;
    pthread_mutex_unlock(&k->lock);
    int n = fetch_set(k, &fresh, err, sizeof(err));
    pthread_mutex_lock(&k->lock);
    k->fetching = 0;
    int was = k->reachable, first = !k->attempted;
    k->attempted = 1;
    k->reachable = n >= 0;
    if (n >= 0) {
        keyset_t old = k->set;
        k->set = fresh;
        k->last_success = now;
        keyset_clear(k->rt, &old);
        if (cse_log && (first || !was))
            cse_log(CSE_LOG_INFO, "cssf: tokens: %s %s%s: %d keys", k->name, k->uri,
                    first ? "" : " reachable again", n);
    } else if (cse_log && (first || was)) {
        cse_log(CSE_LOG_WARN,
                "cssf: tokens: %s %s unreachable or unusable (%s); keeping %zu "
                "cached keys, tokens that need others are denied",
                k->name, k->uri, err, k->set.n);
    }
    pthread_cond_broadcast(&k->fetched);
}

static void free_algs(cssf_token_keys_t *k) {
    for (size_t i = 0; i < k->nalgs; i++)
        free(k->algs[i]);
    free(k->algs);
}

cssf_token_keys_t *cssf_token_keys_create(cssf_oauth2_t *rt, const cssf_token_keys_opts_t *o,
                                          int64_t now, char *err, size_t err_cap) {
    cssf_token_keys_t *k = calloc(1, sizeof(*k));
    if (!k || !(k->algs = calloc(o->nalgs ? o->nalgs : 1, sizeof(char *))))
        goto oom;
    for (; k->nalgs < o->nalgs; k->nalgs++)
        if (!(k->algs[k->nalgs] = strdup(o->algs[k->nalgs])))
            goto oom;
    k->rt = rt;
    snprintf(k->name, sizeof(k->name), "%s", o->name ? o->name : "jwks");
    k->min_refresh = o->min_refresh;
    k->max_age = o->max_age;
    k->timeout = o->timeout;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->fetched, NULL);
    if (!o->uri) {
        char why[192];
        if (keyset_build(k, o->local, 1, &k->set, why, sizeof(why)) <= 0) {
            snprintf(err, err_cap, "%s: %s", k->name, k->set.n ? why : why[0] ? why : "no key");
            cssf_token_keys_destroy(k);
            return NULL;
        }
        return k;
    }
    if (!(k->uri = strdup(o->uri)))
        goto oom;
    pthread_mutex_lock(&k->lock);
    refresh_locked(k, now);
    pthread_mutex_unlock(&k->lock);
    return k;
oom:
    snprintf(err, err_cap, "out of memory");
    if (k) {
        free_algs(k);
        free(k);
    }
    return NULL;
}

void cssf_token_keys_destroy(cssf_token_keys_t *k) {
    if (!k)
        return;
    keyset_clear(k->rt, &k->set);
    free(k->uri);
    free_algs(k);
    pthread_mutex_destroy(&k->lock);
    pthread_cond_destroy(&k->fetched);
    free(k);
}

size_t cssf_token_keys_count(cssf_token_keys_t *k) {
    pthread_mutex_lock(&k->lock);
    size_t n = k->set.n;
    pthread_mutex_unlock(&k->lock);
    return n;
}

/* Keys that may have made this signature: same kid (when the token names
 * one), a type that fits alg, and the JWK's own alg (if any) equal to it. */
static size_t candidates(const cssf_token_keys_t *k, const cssf_jws_t *jws, size_t *idx) {
    size_t n = 0;
    for (size_t i = 0; i < k->set.n; i++) {
        const jwk_key_t *key = &k->set.v[i];
        if (jws->has_kid && (!key->has_kid || strcmp(key->kid, jws->kid) != 0))
            continue;
        if (!cssf_jwk_alg_fits(jws->alg, key->kty, key->crv[0] ? key->crv : NULL) ||
            (key->alg[0] && strcmp(key->alg, jws->alg) != 0))
            continue;
        idx[n++] = i;
    }
    return n;
}

static int result(int status, char *reason, size_t cap, const char *why) {
    if (reason && cap)
        snprintf(reason, cap, "%s", why);
    return status;
}

int cssf_token_keys_verify(cssf_token_keys_t *k, const cssf_jws_t *jws, const char *token,
                           int64_t now, json_t **claims, char *reason, size_t reason_cap) {
    size_t idx[CSSF_TOKEN_MAX_KEYS];
    *claims = NULL;
    if (strcmp(jws->alg, "none") == 0)
        return result(CSSF_TOKEN_INVALID, reason, reason_cap, "unsigned token (alg none)");
    if (!alg_accepted(k, jws->alg))
        return result(CSSF_TOKEN_INVALID, reason, reason_cap, "token algorithm not accepted");
    pthread_mutex_lock(&k->lock);
    while (k->fetching)
        pthread_cond_wait(&k->fetched, &k->lock);
    int may_fetch = k->uri && now - k->last_attempt >= k->min_refresh;
    if (may_fetch && now - k->last_success >= k->max_age)
        refresh_locked(k, now);
    size_t n = candidates(k, jws, idx);
    int limited = 0;
    if (n == 0 && k->uri) {
        while (k->fetching)
            pthread_cond_wait(&k->fetched, &k->lock);
        limited = now - k->last_attempt < k->min_refresh;
        if (!limited)
            refresh_locked(k, now); /* an unknown kid: the AS may have rotated its keys */
        n = candidates(k, jws, idx);
    }
    int status = CSSF_TOKEN_INVALID;
    const char *why = "bad signature";
    if (n == 0 && k->uri && !k->reachable) {
        status = CSSF_TOKEN_UNAVAILABLE;
        why = "signing key unknown and the JWKS endpoint is unreachable";
    } else if (n == 0) {
        why = limited ? "unknown signing key (JWKS fetched moments ago)" : "unknown signing key";
    }
    for (size_t i = 0; i < n && status != CSSF_TOKEN_OK; i++)
        if (cssf_oauth2_verify(k->rt, k->set.v[idx[i]].v, token, claims))
            status = CSSF_TOKEN_OK;
    pthread_mutex_unlock(&k->lock);
    return status == CSSF_TOKEN_OK ? status : result(status, reason, reason_cap, why);
}
