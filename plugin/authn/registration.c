/* AE registration rules (see registration.h). */
#include "plugin/authn/registration.h"

#include <stdio.h>
#include <string.h>

#include "cse/plugin.h"
#include "plugin/authn/authn.h"

void cssf_registration_check(const cssf_policy_t *pol, const cssf_registration_request_t *req,
                             cssf_registration_decision_t *out) {
    memset(out, 0, sizeof(*out));
    const char *aei = req->aei ? req->aei : "";
    /* The originator the rule looks at: From as sent, or the assigned
     * AE-ID when From was absent. */
    const char *who = req->from && *req->from ? req->from : aei;
    const char *api = req->api ? req->api : "";

    if (req->assoc_method != CSE_ASSOC_NONE && !cssf_policy_is_admin(pol, req->assoc_identity) &&
        !cssf_authn_bound(pol, req->source, req->assoc_method, req->assoc_identity, aei,
                          req->host_cse_id)) {
        out->deny = 1;
        out->rsc = 4106;
        snprintf(out->reason, sizeof(out->reason),
                 "AE-ID '%.64s' is not bound to the authenticated identity '%.64s'", aei,
                 req->assoc_identity ? req->assoc_identity : "");
        return;
    }
    if (pol->has_allowed_originators &&
        !cssf_authn_match_any(pol->allowed_originators.v, pol->allowed_originators.n, who)) {
        out->deny = 1;
        out->rsc = 4126;
        snprintf(out->reason, sizeof(out->reason),
                 "originator '%.64s' may not register (registration.allowed_originators)", who);
        return;
    }
    if (pol->has_allowed_app_ids &&
        !cssf_authn_match_any(pol->allowed_app_ids.v, pol->allowed_app_ids.n, api)) {
        out->deny = 1;
        out->rsc = 4126;
        snprintf(out->reason, sizeof(out->reason),
                 "app ID '%.64s' may not register (registration.allowed_app_ids)", api);
    }
}
