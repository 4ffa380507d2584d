/*
 * Token verification as one object built from the policy's tokens
 * section: bearer access tokens (JWT through the AS's keys, opaque through
 * RFC 7662 introspection) and oneM2M dynamic-authorization tokens (JWS
 * from a Dynamic Authorization Server's keys). Every use re-checks the
 * claims (iss, aud, exp, nbf, iat) even when the result comes from the
 * cache; cached results never outlive the token's exp (nor cache.max_ttl);
 * an introspected token is asked about again once its result is older than
 * introspection.interval, so a revocation is seen within it.
 *
 * An object is immutable except for its caches and keys (internally
 * locked), reference-counted, and replaced as a whole when the policy's
 * tokens section changes.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_VERIFY_H
#define CSSF_AUTHN_TOKEN_VERIFY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/authn/token_config.h"
#include "plugin/authn/token_keys.h"
#include "plugin/authn/token_oauth2.h"

typedef struct cssf_tokens cssf_tokens_t;

typedef struct cssf_token_result {
    int status; /* enum cssf_token_status */
    char reason[192];
    json_t *claims; /* with CSSF_TOKEN_OK: the verified claims (owned: cssf_token_result_clear) */
    int cached;     /* 1 when the signature/introspection result came from the cache */
} cssf_token_result_t;

/*
 * Builds the verifier for a tokens section (JSON object). cse_id is this
 * CSE's ID, the audience oneM2M tokens must name. JWKS URIs are fetched
 * once here (a failure is logged, not fatal). rt is borrowed and must
 * outlive the object. Returns a verifier with one reference, or NULL with
 * the problem in err.
 */
cssf_tokens_t *cssf_tokens_create(cssf_oauth2_t *rt, const json_t *section, const char *cse_id,
                                  int64_t now, char *err, size_t err_cap);

void cssf_tokens_retain(cssf_tokens_t *t);
/* Drops a reference; the last frees t. NULL is ignored. */
void cssf_tokens_release(cssf_tokens_t *t);

const cssf_token_config_t *cssf_tokens_config(const cssf_tokens_t *t);

/* 1 when t was built from a section equal to section. */
int cssf_tokens_built_from(const cssf_tokens_t *t, const json_t *section);

/* Checks a bearer access token at time now. out is overwritten. */
void cssf_tokens_check_bearer(cssf_tokens_t *t, const char *token, int64_t now,
                              cssf_token_result_t *out);

/* Checks one JWS (len bytes) of a tkns list at time now. out is overwritten. */
void cssf_tokens_check_m2m(cssf_tokens_t *t, const char *jws, size_t len, int64_t now,
                           cssf_token_result_t *out);

void cssf_token_result_clear(cssf_token_result_t *r);

/* Entries in the results cache (for tests and health). */
size_t cssf_tokens_cached(cssf_tokens_t *t);

#endif
