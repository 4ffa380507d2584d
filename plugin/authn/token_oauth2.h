/*
 * The plugin's use of liboauth2: its process-wide initialisation, a log
 * sink that keeps tokens and secrets out of the CSE log, one-key JWS
 * verifiers, and its HTTP client (libcurl) for JWKS and introspection.
 *
 * liboauth2 caches verification results by token string in a cache shared
 * by all verifiers (300 s by default): an expired token was accepted from
 * it. Every verifier made here uses a private cache with expiry 0, so
 * liboauth2 never answers from a cache; the plugin keeps its own results
 * (token_cache.h) bounded by each token's exp.
 *
 * liboauth2 (and cjose below it) is not documented as thread-safe and
 * cjose keys are reference-counted without atomics: every signature check
 * runs under one mutex. Only cache misses get there. HTTP calls run
 * without it.
 *
 * liboauth2 keeps process-wide state, so at most one runtime exists at a
 * time (the plugin opens it in init and closes it in cleanup).
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_OAUTH2_H
#define CSSF_AUTHN_TOKEN_OAUTH2_H

#include <jansson.h>
#include <stddef.h>

typedef struct cssf_oauth2 cssf_oauth2_t;
typedef struct oauth2_cfg_token_verify_t cssf_oauth2_verifier_t;

/* Initialises liboauth2. Returns NULL (reason in err) on failure. */
cssf_oauth2_t *cssf_oauth2_open(char *err, size_t err_cap);

/* Shuts liboauth2 down. Every verifier must be freed before. NULL is ignored. */
void cssf_oauth2_close(cssf_oauth2_t *rt);

/* A verifier for one JWK (JSON text). Returns NULL with the reason in err. */
cssf_oauth2_verifier_t *cssf_oauth2_verifier_new(cssf_oauth2_t *rt, const char *jwk_json, char *err,
                                                 size_t err_cap);

void cssf_oauth2_verifier_free(cssf_oauth2_t *rt, cssf_oauth2_verifier_t *v);

/* Checks the signature of token with v (liboauth2, serialised). Returns 1
 * with the verified payload in *claims (caller json_decref's it), else 0. */
int cssf_oauth2_verify(cssf_oauth2_t *rt, cssf_oauth2_verifier_t *v, const char *token,
                       json_t **claims);

/* One HTTP exchange. form: name/value pairs for a POST (NULL = GET), nform
 * pairs. basic_user/basic_pass (may be NULL): client_secret_basic. */
typedef struct cssf_oauth2_http {
    const char *url;
    const char *const *form;
    int nform;
    const char *basic_user, *basic_pass;
    int timeout; /* seconds */
} cssf_oauth2_http_t;

/*
 * Performs req. Returns 0 with the HTTP status in *status and the body in
 * *body (malloc'd, caller frees), or -1 when no HTTP answer came back
 * (connection refused, timeout, ...) with a short reason in err.
 */
int cssf_oauth2_http(cssf_oauth2_t *rt, const cssf_oauth2_http_t *req, long *status, char **body,
                     char *err, size_t err_cap);

#endif
