/*
 * RFC 7662 token introspection with client authentication
 * (client_secret_basic or client_secret_post), over liboauth2's HTTP
 * client. Unlike liboauth2's own introspection verifier, this tells "the
 * AS says the token is not active" apart from "the AS could not be asked",
 * so the denial names the right reason.
 * Owner: plugin/authn (tokens).
 */
#ifndef CSSF_AUTHN_TOKEN_INTROSPECT_H
#define CSSF_AUTHN_TOKEN_INTROSPECT_H

#include <jansson.h>
#include <stddef.h>

#include "plugin/authn/token_config.h"
#include "plugin/authn/token_oauth2.h"

/*
 * Asks cfg's introspection endpoint about token. Returns CSSF_TOKEN_OK with
 * the response ({"active": true, ...}) in *resp (caller decrefs);
 * CSSF_TOKEN_INVALID when the AS answers that the token is not active;
 * CSSF_TOKEN_UNAVAILABLE when no usable answer came back (unreachable,
 * HTTP error, client authentication refused, malformed response). reason
 * gets a short text for every non-OK outcome.
 */
int cssf_token_introspect(cssf_oauth2_t *rt, const cssf_token_config_t *cfg, const char *token,
                          json_t **resp, char *reason, size_t reason_cap);

#endif
