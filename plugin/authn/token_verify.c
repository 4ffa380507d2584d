/* Token verification (see token_verify.h). */
#include "plugin/authn/token_verify.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugin/authn/token_cache.h"
#include "plugin/authn/token_claims.h"
#include "plugin/authn/token_introspect.h"
#include "plugin/authn/token_jws.h"

enum { KIND_JWT = 1, KIND_OPAQUE = 2, KIND_M2M = 3 };

struct cssf_tokens {
    atomic_long refs;
    cssf_oauth2_t *rt;
    cssf_token_config_t *cfg;
    json_t *source;
    char *cse_id;
    cssf_token_keys_t *keys;     /* bearer JWTs; NULL without jwks/jwks_uri */
    cssf_token_keys_t *m2m_keys; /* oneM2M tokens; NULL without dynamic_authorization */
    cssf_token_cache_t *cache;
};

static void destroy(cssf_tokens_t *t) {
    cssf_token_keys_destroy(t->keys);
    cssf_token_keys_destroy(t->m2m_keys);
    cssf_token_cache_destroy(t->cache);
    cssf_token_config_free(t->cfg);
    json_decref(t->source);
    free(t->cse_id);
    free(t);
}

cssf_tokens_t *cssf_tokens_create(cssf_oauth2_t *rt, const json_t *section, const char *cse_id,
                                  int64_t now, char *err, size_t err_cap) {
    cssf_tokens_t *t = calloc(1, sizeof(*t));
    if (!t || !(t->cse_id = strdup(cse_id ? cse_id : "")) ||
        !(t->source = json_deep_copy(section))) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    atomic_init(&t->refs, 1);
    t->rt = rt;
    if (!(t->cfg = cssf_token_config_parse(section, err, err_cap)))
        goto fail;
    const cssf_token_config_t *c = t->cfg;
    if (!(t->cache = cssf_token_cache_create(c->cache_max_entries))) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    if (c->jwks_uri || c->jwks) {
        cssf_token_keys_opts_t o = {c->jwks_uri ? "jwks_uri" : "jwks",
                                    c->jwks_uri,
                                    c->jwks,
                                    (const char *const *)c->algorithms.v,
                                    c->algorithms.n,
                                    c->jwks_min_refresh,
                                    c->jwks_max_age,
                                    c->http_timeout};
        if (!(t->keys = cssf_token_keys_create(rt, &o, now, err, err_cap)))
            goto fail;
    }
    if (c->has_das) {
        cssf_token_keys_opts_t o = {"dynamic_authorization.jwks",
                                    NULL,
                                    c->das_jwks,
                                    (const char *const *)c->das_algorithms.v,
                                    c->das_algorithms.n,
                                    0,
                                    0,
                                    c->http_timeout};
        if (!(t->m2m_keys = cssf_token_keys_create(rt, &o, now, err, err_cap)))
            goto fail;
    }
    return t;
fail:
    if (t)
        destroy(t);
    return NULL;
}

void cssf_tokens_retain(cssf_tokens_t *t) {
    atomic_fetch_add(&t->refs, 1);
}

void cssf_tokens_release(cssf_tokens_t *t) {
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        destroy(t);
}

const cssf_token_config_t *cssf_tokens_config(const cssf_tokens_t *t) {
    return t->cfg;
}

int cssf_tokens_built_from(const cssf_tokens_t *t, const json_t *section) {
    return t && section && json_equal(t->source, (json_t *)section);
}

size_t cssf_tokens_cached(cssf_tokens_t *t) {
    return cssf_token_cache_size(t->cache);
}

void cssf_token_result_clear(cssf_token_result_t *r) {
    if (!r)
        return;
    json_decref(r->claims);
    r->claims = NULL;
}

static void set(cssf_token_result_t *out, int status, const char *reason) {
    out->status = status;
    snprintf(out->reason, sizeof(out->reason), "%s", reason ? reason : "");
}

/* The claim rules of bearer access tokens; introspected answers may omit
 * exp (the AS said "active" just now) but name the issuer when they can. */
static cssf_claim_rules_t bearer_rules(const cssf_tokens_t *t, int introspected,
                                       const json_t *claims) {
    const cssf_token_config_t *c = t->cfg;
    cssf_claim_rules_t r = {
        .issuer = introspected && !json_object_get(claims, "iss") ? NULL : c->issuer,
        .audiences = (const char *const *)c->audiences.v,
        .naudiences = c->audiences.n,
        .exp_required = !introspected,
        .skew = c->clock_skew,
    };
    return r;
}

static cssf_claim_rules_t m2m_rules(const cssf_tokens_t *t) {
    static const cssf_claim_names_t names = {"exp", "tkna", "nbf", "tknb"};
    cssf_claim_rules_t r = {
        .issuer = t->cfg->das_issuer,
        .audiences = (const char *const *)&t->cse_id,
        .naudiences = 1,
        .aud_patterns = 1,
        .exp_required = 1,
        .skew = t->cfg->clock_skew,
        .names = &names,
    };
    return r;
}

/* Flags of an entry's passed checks: a cached result counts only with all. */
#define PASSED_CLAIMS 1u  /* iss and aud under these rules (immutable per object) */
#define PASSED_SUBJECT 2u /* names a subject (bearer tokens) */

static void ok(cssf_token_result_t *out, json_t *claims, int cached) {
    out->claims = claims;
    out->cached = cached;
    out->status = CSSF_TOKEN_OK;
    out->reason[0] = '\0';
}

/* Checks fresh claims and stores the result, with its times as integers
 * and the flags of the checks it passed. */
static void accept(cssf_tokens_t *t, const char *token, size_t len, int kind, json_t *claims,
                   const cssf_claim_rules_t *rules, int64_t now, cssf_token_result_t *out) {
    cssf_claim_times_t times;
    char why[160];
    if (cssf_claims_check_times(claims, rules, now, &times, why, sizeof(why)) < 0) {
        json_decref(claims);
        set(out, CSSF_TOKEN_INVALID, why);
        return;
    }
    if (kind != KIND_M2M && !cssf_claim_subject(claims)) {
        json_decref(claims);
        set(out, CSSF_TOKEN_INVALID, "token names no subject (sub or client_id)");
        return;
    }
    int64_t limit = now + t->cfg->cache_max_ttl;
    cssf_token_entry_t e = {kind, claims, times.exp < limit ? times.exp : limit,
                            now,  times,  PASSED_CLAIMS | (kind != KIND_M2M ? PASSED_SUBJECT : 0)};
    cssf_token_cache_put_token(t->cache, token, len, &e, now);
    ok(out, claims, 0);
}

/* A cached result: the checks of accept again, against what the entry
 * kept (iss, aud and the subject cannot change under the same rules; the
 * times are compared with now), without reading the claims. */
static void accept_cached(cssf_tokens_t *t, cssf_token_entry_t *e, int64_t now,
                          cssf_token_result_t *out) {
    unsigned want = PASSED_CLAIMS | (e->kind != KIND_M2M ? PASSED_SUBJECT : 0);
    char why[160];
    if ((e->passed & want) != want) {
        json_decref(e->claims);
        set(out, CSSF_TOKEN_INVALID, "token claims not verified");
        return;
    }
    if (cssf_claim_times_check(&e->times, t->cfg->clock_skew, now, why, sizeof(why)) < 0) {
        json_decref(e->claims);
        set(out, CSSF_TOKEN_INVALID, why);
        return;
    }
    ok(out, e->claims, 1);
}

static int typ_ok(const cssf_tokens_t *t, const cssf_jws_t *jws) {
    return cssf_claim_typ_allowed(jws->typ, (const char *const *)t->cfg->types.v, t->cfg->types.n);
}

static void check_jwt(cssf_tokens_t *t, const char *token, size_t len, int64_t now,
                      cssf_token_result_t *out) {
    cssf_jws_t jws;
    char why[160];
    json_t *claims = NULL;
    if (cssf_jws_parse(token, len, &jws, why, sizeof(why)) < 0) {
        set(out, CSSF_TOKEN_INVALID, why);
        return;
    }
    if (!typ_ok(t, &jws))
        set(out, CSSF_TOKEN_INVALID,
            jws.typ[0] ? "wrong token type (typ)" : "token type (typ) missing");
    else {
        int st = cssf_token_keys_verify(t->keys, &jws, token, now, &claims, why, sizeof(why));
        if (st != CSSF_TOKEN_OK)
            set(out, st, why);
    }
    cssf_jws_clear(&jws);
    if (claims) {
        cssf_claim_rules_t rules = bearer_rules(t, 0, claims);
        accept(t, token, len, KIND_JWT, claims, &rules, now, out);
    }
}

static void introspect(cssf_tokens_t *t, const char *token, size_t len, int64_t now,
                       cssf_token_result_t *out) {
    json_t *resp = NULL;
    char why[160];
    int st = cssf_token_introspect(t->rt, t->cfg, token, &resp, why, sizeof(why));
    if (st == CSSF_TOKEN_INVALID)
        cssf_token_cache_remove_token(t->cache, token, len); /* revoked: forget it at once */
    if (st != CSSF_TOKEN_OK) {
        set(out, st, why);
        return;
    }
    const char *type = json_string_value(json_object_get(resp, "token_type"));
    if (type && strcasecmp(type, "Bearer") != 0 && strcasecmp(type, "access_token") != 0) {
        json_decref(resp);
        set(out, CSSF_TOKEN_INVALID, "not an access token (token_type)");
        return;
    }
    cssf_claim_rules_t rules = bearer_rules(t, 1, resp);
    accept(t, token, len, KIND_OPAQUE, resp, &rules, now, out);
}

void cssf_tokens_check_bearer(cssf_tokens_t *t, const char *token, int64_t now,
                              cssf_token_result_t *out) {
    memset(out, 0, sizeof(*out));
    const cssf_token_config_t *c = t->cfg;
    if (!c->has_bearer) {
        set(out, CSSF_TOKEN_INVALID, "bearer tokens are not accepted (policy has no issuer)");
        return;
    }
    /* The cache first: it holds only tokens that passed every check below,
     * compared byte for byte, so a hit needs no second look at the form. */
    size_t len = token ? strnlen(token, CSSF_TOKEN_MAX_LEN + 1) : 0;
    cssf_token_entry_t e;
    if (len && len <= CSSF_TOKEN_MAX_LEN &&
        cssf_token_cache_get_token(t->cache, token, len, now, &e)) {
        if (e.kind == KIND_M2M) {
            json_decref(e.claims); /* a oneM2M token is no bearer token */
        } else if (e.kind == KIND_OPAQUE && now - e.checked >= c->introspection_interval) {
            json_decref(e.claims);
            introspect(t, token, len, now, out);
            if (out->status == CSSF_TOKEN_UNAVAILABLE)
                snprintf(out->reason, sizeof(out->reason), "%s",
                         "cannot revalidate the token: introspection endpoint unavailable");
            return;
        } else {
            accept_cached(t, &e, now, out);
            return;
        }
    }
    int form = cssf_token_form(token);
    if (form == CSSF_TOKEN_MALFORMED) {
        set(out, CSSF_TOKEN_INVALID, "malformed token");
        return;
    }
    if (form == CSSF_TOKEN_JWE) {
        set(out, CSSF_TOKEN_INVALID, "encrypted tokens are not supported");
        return;
    }
    if (form == CSSF_TOKEN_JWS && t->keys) {
        check_jwt(t, token, len, now, out);
        return;
    }
    if (!c->introspection_url) {
        set(out, CSSF_TOKEN_INVALID,
            form == CSSF_TOKEN_JWS ? "JWT access tokens need jwks_uri or jwks"
                                   : "opaque tokens need an introspection endpoint");
        return;
    }
    introspect(t, token, len, now, out);
}

void cssf_tokens_check_m2m(cssf_tokens_t *t, const char *jws_text, size_t len, int64_t now,
                           cssf_token_result_t *out) {
    memset(out, 0, sizeof(*out));
    if (!t->m2m_keys) {
        set(out, CSSF_TOKEN_INVALID, "oneM2M tokens are not accepted (no dynamic_authorization)");
        return;
    }
    if (len == 0 || len > CSSF_TOKEN_MAX_LEN) {
        set(out, CSSF_TOKEN_INVALID, "malformed token");
        return;
    }
    char *token = strndup(jws_text, len);
    if (!token) {
        set(out, CSSF_TOKEN_UNAVAILABLE, "out of memory");
        return;
    }
    cssf_claim_rules_t rules = m2m_rules(t);
    cssf_token_entry_t e;
    if (cssf_token_cache_get_token(t->cache, token, len, now, &e)) {
        if (e.kind == KIND_M2M) {
            accept_cached(t, &e, now, out);
            free(token);
            return;
        }
        json_decref(e.claims);
    }
    cssf_jws_t jws;
    char why[160];
    json_t *claims = NULL;
    if (cssf_token_form(token) != CSSF_TOKEN_JWS ||
        cssf_jws_parse(token, len, &jws, why, sizeof(why)) < 0) {
        set(out, CSSF_TOKEN_INVALID, "malformed oneM2M token (not a compact JWS)");
        free(token);
        return;
    }
    if (jws.typ[0] && strcasecmp(jws.typ, "JWT") != 0)
        set(out, CSSF_TOKEN_INVALID, "wrong token type (typ)");
    else {
        int st = cssf_token_keys_verify(t->m2m_keys, &jws, token, now, &claims, why, sizeof(why));
        if (st != CSSF_TOKEN_OK)
            set(out, st, why);
    }
    cssf_jws_clear(&jws);
    if (claims)
        accept(t, token, len, KIND_M2M, claims, &rules, now, out);
    free(token);
}
