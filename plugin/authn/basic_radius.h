/*
 * HTTP Basic credentials checked by RADIUS (docs/tls.md). They count only
 * on an HTTPS connection without a (D)TLS association (a certificate or a
 * PSK already proves who the peer is), and only for a credential ID the
 * policy's radius.users names: an Access-Request with User-Name = the
 * credential ID (NAS-Identifier = the CSE-ID unless radius_nas_identifier
 * says otherwise). Accept → the credential ID is the authenticated
 * identity; anything else denies (fail closed: a Reject, no server
 * answering, RADIUS credential checks not configured).
 */
#ifndef CSSF_AUTHN_BASIC_RADIUS_H
#define CSSF_AUTHN_BASIC_RADIUS_H

#include <stddef.h>

#include "cse/plugin.h"
#include "plugin/aaa/aaa.h"
#include "plugin/data/policy.h"

/* Audit method name of a request authenticated this way. */
#define CSSF_BASIC_METHOD "radius-basic"
/* assoc_method the plugin's decisions (authn.h, registration.h) see for
 * it: any value but CSE_ASSOC_NONE means "an identity was proved". */
#define CSSF_ASSOC_RADIUS_BASIC 0x100

enum cssf_basic_result {
    CSSF_BASIC_NONE = 0,   /* nothing to check: the request goes on without it */
    CSSF_BASIC_ACCEPT = 1, /* sec->basic_user is authenticated */
    CSSF_BASIC_DENY = 2,   /* reason set */
};

/* The credential ID whose credentials would be checked for sec under pol,
 * or NULL (not HTTPS, an association, no Basic, not a RADIUS user). */
const char *cssf_basic_user(const cssf_policy_t *pol, const cse_security_context_t *sec);

/* Checks the Basic credentials of sec (aaa may be NULL: RADIUS off).
 * Returns an enum cssf_basic_result; with DENY the reason is in reason. */
int cssf_basic_check(cssf_aaa_t *aaa, const cssf_policy_t *pol, const cse_security_context_t *sec,
                     char *reason, size_t reason_cap);

#endif
