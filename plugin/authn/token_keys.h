/*
 * A set of signature keys for tokens: a local JWK set from the policy, or
 * the Authorization Server's JWKS URI. A fetched set is kept and used for
 * as long as it must: it is fetched again when a token names an unknown
 * kid or when it is older than max_age, never more often than once per
 * min_refresh seconds. When the endpoint cannot be reached the cached keys
 * keep verifying; a token that needs a key the set lacks is denied as
 * "unavailable". Transitions (unreachable, reachable again) are logged once.
 * The signature itself is checked by liboauth2 (token_oauth2.h) with the
 * one key the token names, after the algorithm was checked against the
 * accepted list and against the key's type (no HS* with a public key).
 * Thread-safe.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_KEYS_H
#define CSSF_AUTHN_TOKEN_KEYS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/authn/token_jws.h"
#include "plugin/authn/token_oauth2.h"

#define CSSF_TOKEN_MAX_KEYS 32
#define CSSF_TOKEN_MAX_JWKS_BYTES (64 * 1024)

/* Outcome of a token check. */
enum cssf_token_status {
    CSSF_TOKEN_OK = 0,
    CSSF_TOKEN_INVALID = 1,     /* the token is bad: deny */
    CSSF_TOKEN_UNAVAILABLE = 2, /* it cannot be checked now (AS unreachable): deny */
};

typedef struct cssf_token_keys_opts {
    const char *name;        /* for messages: "jwks_uri", "dynamic_authorization.jwks" */
    const char *uri;         /* JWKS URI; NULL for a local set */
    const json_t *local;     /* {"keys": [...]} when uri is NULL */
    const char *const *algs; /* accepted algorithms */
    size_t nalgs;
    int64_t min_refresh, max_age; /* seconds */
    int timeout;                  /* HTTP timeout, seconds */
} cssf_token_keys_opts_t;

typedef struct cssf_token_keys cssf_token_keys_t;

/*
 * A key set. A local set must hold at least one usable key (else NULL with
 * the reason in err). A URI set is fetched once here; a failure is logged,
 * not fatal (requests are denied until the endpoint answers). rt is
 * borrowed and must outlive the set.
 */
cssf_token_keys_t *cssf_token_keys_create(cssf_oauth2_t *rt, const cssf_token_keys_opts_t *o,
                                          int64_t now, char *err, size_t err_cap);

void cssf_token_keys_destroy(cssf_token_keys_t *k);

/*
 * Verifies the signature of token (parsed as jws) at time now. Returns
 * CSSF_TOKEN_OK with the verified claims in *claims (caller decrefs), or
 * INVALID / UNAVAILABLE with a short reason.
 */
int cssf_token_keys_verify(cssf_token_keys_t *k, const cssf_jws_t *jws, const char *token,
                           int64_t now, json_t **claims, char *reason, size_t reason_cap);

/* Keys currently held. */
size_t cssf_token_keys_count(cssf_token_keys_t *k);

/* 1 when alg may be used with a key of type kty (curve crv for EC):
 * ES256/P-256, ES384/P-384, ES512/P-521, RS* and PS* with RSA, HS* with oct. */
int cssf_jwk_alg_fits(const char *alg, const char *kty, const char *crv);

/* 1 when alg is a signature algorithm the plugin knows (never "none"). */
int cssf_jws_alg_known(const char *alg);

#endif
