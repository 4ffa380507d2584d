/*
 * AE registration rules (REGISTER_AE): which originators and app IDs may
 * register, and, inside a security association, which AE-IDs the
 * authenticated identity may register. Pure function of the policy.
 */
#ifndef CSSF_AUTHN_REGISTRATION_H
#define CSSF_AUTHN_REGISTRATION_H

#include "plugin/authn/authn.h"
#include "plugin/data/policy.h"

typedef struct cssf_registration_request {
    const char *host_cse_id;
    int assoc_method;                     /* enum cse_assoc_method */
    const char *assoc_identity;           /* NULL outside an association */
    const char *from;                     /* as sent: NULL, "C", "S", or a full AE-ID */
    const char *aei;                      /* the AE-ID about to be assigned */
    const char *api;                      /* app ID */
    const cssf_identity_source_t *source; /* NULL: the policy's identities only */
} cssf_registration_request_t;

typedef struct cssf_registration_decision {
    int deny;
    int rsc; /* 4106 or 4126 */
    char reason[192];
} cssf_registration_decision_t;

void cssf_registration_check(const cssf_policy_t *pol, const cssf_registration_request_t *req,
                             cssf_registration_decision_t *out);

#endif
