/*
 * Tokens in the plugin's AUTHENTICATE and AUTHORIZE callbacks, and the
 * holder of the current token verifier (replaced when RELOAD brings a
 * different tokens section).
 *
 * AUTHENTICATE: a request with "Authorization: Bearer" is authenticated by
 * its token alone: a token that does not verify is denied 4103 with the
 * reason (and an RFC 6750 challenge); a valid token gives its subject (sub,
 * else client_id) as the authenticated identity, and From must be one of
 * the AE-IDs tokens.subjects maps it to (4106 otherwise; the admin
 * originator for subjects listed in tokens.admins).
 * Over CoAP a client may instead POST its access token to /authz-info
 * inside its DTLS session (RFC 9200 §5.10.1): the token is verified and
 * bound to that session, and every later request of the session is
 * treated as carrying it (and checked again on every use).
 * AUTHORIZE: when the ACPs deny, a bearer token's scopes (tokens.scopes)
 * or a oneM2M token (tkns, TS-0004 order: ACP first, then dynamic
 * authorization) may still permit: a request is permitted if either
 * grants it.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_EVENTS_H
#define CSSF_AUTHN_TOKEN_EVENTS_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "cse/plugin.h"
#include "plugin/authn/authn.h"
#include "plugin/authn/token_cache.h"
#include "plugin/authn/token_oauth2.h"
#include "plugin/authn/token_verify.h"

typedef struct cssf_token_holder {
    pthread_mutex_t lock;
    cssf_oauth2_t *rt;      /* opened with the first tokens section */
    cssf_tokens_t *cur;     /* NULL: the policy has no tokens section */
    cssf_tokens_t *pending; /* prepared, not yet committed */
    int pending_set;
    cssf_token_cache_t *sessions; /* DTLS session → token from /authz-info; made on first use */
} cssf_token_holder_t;

void cssf_token_holder_init(cssf_token_holder_t *h);
void cssf_token_holder_destroy(cssf_token_holder_t *h);

/*
 * Prepares the verifier for a policy's tokens section (NULL: none): keeps
 * the current one when the section is unchanged, else builds a new one
 * (fetching a JWKS URI once). Nothing changes for requests until
 * cssf_token_holder_commit. Returns 0, or -1 with the problem in err (the
 * policy must then be refused).
 */
int cssf_token_holder_prepare(cssf_token_holder_t *h, const json_t *section, const char *cse_id,
                              char *err, size_t err_cap);

/* Makes the prepared verifier current (no-op without a prepare). */
void cssf_token_holder_commit(cssf_token_holder_t *h);

/* The current verifier with a reference (release it), or NULL. */
cssf_tokens_t *cssf_token_holder_acquire(cssf_token_holder_t *h);

typedef struct cssf_token_authn {
    int decided;             /* 0: no bearer token; the caller decides as without tokens */
    cssf_authn_decision_t d; /* when decided: deny (rsc, reason) or the accepted originator */
    char identity[128];      /* the token's subject, for the audit line */
    char *challenge;         /* with a denial: WWW-Authenticate value (cse_malloc'd) or NULL */
} cssf_token_authn_t;

/*
 * AUTHENTICATE with tokens. host_cse_id completes relative AE-IDs;
 * admin_originator is the policy's admin originator. out->challenge is
 * handed to the host (event field challenge) or freed with cse_free.
 */
void cssf_token_authenticate(cssf_token_holder_t *h, const cse_evt_authenticate_t *ev,
                             const char *host_cse_id, const char *admin_originator,
                             cssf_token_authn_t *out);

/*
 * The challenge for a request that was refused for lack of a security
 * association while bearer tokens are configured ("Bearer realm=..."),
 * cse_malloc'd; NULL when tokens are not configured.
 */
char *cssf_token_missing_challenge(cssf_token_holder_t *h, const char *realm);

/*
 * AUTHORIZE after the ACPs denied ev: returns CSE_PLUGIN_OK when a token
 * grants it (decision gets e.g. "token scope=cse.read under=/cse-in"), else
 * CSE_PLUGIN_DENY; with a bearer token decision then gets why, and
 * *challenge an insufficient_scope challenge (cse_malloc'd, may be NULL).
 * decision is left alone when the request carries no token.
 */
int cssf_token_authorize(cssf_token_holder_t *h, const cse_evt_authorize_t *ev, char *decision,
                         size_t cap, char **challenge);

/*
 * HTTP_ROUTE for POST /authz-info from the CoAP binding: verifies the
 * access token in the body and binds it to the request's DTLS session.
 * Returns CSE_PLUGIN_DEFER for any other path or binding; otherwise
 * CSE_PLUGIN_OK with ev->status 201 (bound), or 4xx with a reason body:
 * 401 for a token that does not verify, 403 outside a DTLS session or
 * without bearer tokens configured, 400 for an empty or oversized body.
 */
int cssf_token_authz_info(cssf_token_holder_t *h, cse_evt_http_route_t *ev);

/* The RFC 6750 challenge for error ("invalid_token", "insufficient_scope")
 * with description (quotes and backslashes replaced), cse_malloc'd. */
char *cssf_token_challenge(const char *error, const char *description);

#endif
