/*
 * Bearer tokens on the admin API (/cssf/v1). A request that carries
 * "Authorization: Bearer" is judged by its token alone (as on the oneM2M
 * side): a token that does not verify is refused with the reason; a valid
 * token authenticates its subject (sub, else client_id), who has admin
 * rights when the token's scopes include tokens.admin_scope or the subject
 * is listed in tokens.admins. Without a tokens section that checks bearer
 * tokens the header is left to the other credentials of the request.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_ADMIN_H
#define CSSF_AUTHN_TOKEN_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "cse/plugin.h"
#include "plugin/authn/token_events.h"

enum cssf_token_admin {
    CSSF_TOKEN_ADMIN_NONE = 0,  /* no bearer token (or none configured): decide without */
    CSSF_TOKEN_ADMIN_DENY = 1,  /* the token does not verify: reason says why */
    CSSF_TOKEN_ADMIN_USER = 2,  /* a valid token without admin rights */
    CSSF_TOKEN_ADMIN_ADMIN = 3, /* a valid token with admin rights */
};

/* Judges the bearer token of sec at time now; identity gets the subject
 * of a valid token, reason the cause of a refusal. */
int cssf_token_admin_check(cssf_token_holder_t *h, const cse_security_context_t *sec, int64_t now,
                           char *identity, size_t identity_cap, char *reason, size_t reason_cap);

#endif
