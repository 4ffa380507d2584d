/*
 * What a verified oneM2M dynamic-authorization token (TS-0003 §7.3,
 * TS-0004 §6.3.5.42) permits: its holder must be the originator, and one
 * of its permissions must name the target and carry an access-control rule
 * that matches the request. Claims come in either spelling: holder azp or
 * tkhd, permissions "permissions" or tkps, token ID jti or tkid. A
 * permission is {"ris": [target IDs], "pv": {"acr": [rules]}, "rids": [role
 * IDs]}; its rules are evaluated like an ACP's privileges (acp_eval.h),
 * a rule without acor applying to the holder. Permissions restricted to
 * role IDs are skipped (this CSE assigns no roles). No I/O.
 * Owner: plugin/authz (token scopes).
 */
#ifndef CSSF_AUTHZ_TOKEN_SCOPE_DYNAUTH_H
#define CSSF_AUTHZ_TOKEN_SCOPE_DYNAUTH_H

#include <jansson.h>
#include <stddef.h>

#include "cse/plugin.h"
#include "plugin/authz/originator_match.h"

/* The holder a token names (azp, else tkhd), or NULL. Borrowed from claims. */
const char *cssf_dynauth_holder(const json_t *claims);

/* The token's ID (jti, else tkid), or "?" . Borrowed from claims. */
const char *cssf_dynauth_token_id(const json_t *claims);

/*
 * Decides ev by the permissions of one verified token's claims. ids is
 * this CSE's identity (to compare IDs in one form). Returns 1 (permit; out
 * gets "token=<id> pm=<i> rule=<j>") or 0 (deny; out gets the reason).
 */
int cssf_dynauth_permits(const json_t *claims, const cssf_ids_t *ids, const cse_evt_authorize_t *ev,
                         char *out, size_t cap);

#endif
