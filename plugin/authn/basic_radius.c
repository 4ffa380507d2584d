/* HTTP Basic credentials checked by RADIUS (see basic_radius.h). */
#include "plugin/authn/basic_radius.h"

#include <stdio.h>

#include "plugin/data/policy_radius.h"

const char *cssf_basic_user(const cssf_policy_t *pol, const cse_security_context_t *sec) {
    if (!sec || sec->binding != CSE_BINDING_HTTPS || sec->assoc_method != CSE_ASSOC_NONE ||
        !sec->basic_user || !sec->basic_password || !cssf_policy_radius_user(pol, sec->basic_user))
        return NULL;
    return sec->basic_user;
}

int cssf_basic_check(cssf_aaa_t *aaa, const cssf_policy_t *pol, const cse_security_context_t *sec,
                     char *reason, size_t reason_cap) {
    const char *user = cssf_basic_user(pol, sec);
    reason[0] = '\0';
    if (!user)
        return CSSF_BASIC_NONE;
    if (!cssf_aaa_basic_enabled(aaa)) {
        snprintf(reason, reason_cap,
                 "credentials of '%.64s' need RADIUS, which is not configured (radius_basic)",
                 user);
        return CSSF_BASIC_DENY;
    }
    const struct sockaddr *peer = sec->peer.ss_family ? (const struct sockaddr *)&sec->peer : NULL;
    char why[160];
    if (cssf_aaa_check_password(aaa, user, sec->basic_password, peer, why, sizeof(why)) == 1)
        return CSSF_BASIC_ACCEPT;
    snprintf(reason, reason_cap, "credentials of '%.64s' refused: %s", user, why);
    return CSSF_BASIC_DENY;
}
