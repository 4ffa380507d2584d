/*
 * The "radius" section of cssf.json: which credentials RADIUS checks
 * (docs/tls.md, "HTTP Basic checked by RADIUS").
 *
 *   "radius": {"description": "...", "users": ["dev-*", "alice"]}
 *
 * users: patterns (`*` stops at '/') on the credential ID of HTTP Basic
 * credentials sent inside TLS; a match is checked with an Access-Request.
 */
#ifndef CSSF_DATA_POLICY_RADIUS_H
#define CSSF_DATA_POLICY_RADIUS_H

#include <jansson.h>

#include "plugin/data/policy.h"
#include "plugin/data/policy_json.h"

/* Validates v (at the current path of c) and fills pol->radius_users. */
void cssf_policy_parse_radius(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *v);

/* 1 if user's credentials are checked by RADIUS under pol. */
int cssf_policy_radius_user(const cssf_policy_t *pol, const char *user);

#endif
