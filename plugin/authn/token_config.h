/*
 * The tokens section of the policy (cssf.json "tokens", see docs/oauth.md)
 * as an immutable configuration: who issues bearer tokens, for which
 * audience, how to check them (JWKS URI, local JWK set, RFC 7662
 * introspection), which subjects may speak for which AE-IDs, what scopes
 * grant, and the oneM2M dynamic-authorization (tkns) keys. Parsing only:
 * no network, no keys built.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_CONFIG_H
#define CSSF_AUTHN_TOKEN_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/authz/token_scope.h"
#include "plugin/data/policy.h"

typedef struct cssf_token_subject {
    char *subject;        /* token sub or client_id */
    cssf_strlist_t aeids; /* AE-ID patterns it may use as From */
} cssf_token_subject_t;

typedef struct cssf_token_config {
    /* bearer tokens (RFC 6750); has_bearer = 0 when none is configured */
    int has_bearer;
    char *issuer;
    cssf_strlist_t audiences;
    char *jwks_uri;          /* NULL, or the AS's JWKS URI */
    json_t *jwks;            /* NULL, or a local JWK set (owned) */
    char *introspection_url; /* NULL, or the RFC 7662 endpoint */
    char *client_id, *client_secret;
    int auth_post; /* 0: client_secret_basic, 1: client_secret_post */
    int64_t introspection_interval;
    cssf_strlist_t algorithms, types;
    int64_t clock_skew;
    size_t cache_max_entries;
    int64_t cache_max_ttl;
    int64_t jwks_min_refresh, jwks_max_age;
    int http_timeout;
    cssf_token_subject_t *subjects;
    size_t nsubjects;
    cssf_strlist_t admins; /* subjects with admin rights */
    char *admin_scope;     /* NULL, or the scope that grants admin on the admin API */
    cssf_scope_map_t scopes;
    /* oneM2M dynamic-authorization tokens (tkns); has_das = 0 when absent */
    int has_das;
    char *das_issuer; /* NULL: any issuer the keys verify */
    json_t *das_jwks; /* owned */
    cssf_strlist_t das_algorithms;
} cssf_token_config_t;

/*
 * Parses a tokens section. An empty section (or one with a description
 * only) configures nothing: has_bearer and has_das are 0, so every token
 * is refused. Returns a configuration (free with
 * cssf_token_config_free), or NULL with the first problem in err, named by
 * its path ("tokens.algorithms[1]: alg none is never accepted").
 */
cssf_token_config_t *cssf_token_config_parse(const json_t *section, char *err, size_t err_cap);

void cssf_token_config_free(cssf_token_config_t *cfg);

/* The AE-ID patterns of subject, or NULL when it is not mapped. */
const cssf_strlist_t *cssf_token_config_aeids(const cssf_token_config_t *cfg, const char *subject);

#endif
