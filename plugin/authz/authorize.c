/* Authorization decision (see authorize.h). Fails closed: only admin passes. */
#include "plugin/authz/authorize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cssf_authz {
    cssf_authz_source_t src;
};

cssf_authz_t *cssf_authz_create_with(const cssf_authz_source_t *src, const char *cse_id,
                                     const char *sp_id) {
    (void)cse_id;
    (void)sp_id;
    if (!src || !src->get)
        return NULL;
    cssf_authz_t *az = calloc(1, sizeof(*az));
    if (az)
        az->src = *src;
    return az;
}

static int no_source(void *arg, const char *ri, uint64_t known, uint64_t *rev, char **json) {
    return -1;
}

cssf_authz_t *cssf_authz_create(void) {
    cssf_authz_source_t src = {.get = no_source};
    return cssf_authz_create_with(&src, "", "");
}

void cssf_authz_destroy(cssf_authz_t *az) {
    free(az);
}

int cssf_authz_decide(cssf_authz_t *az, const cse_evt_authorize_t *ev, const cssf_authz_env_t *env,
                      char *decision, size_t decision_cap, int *rsc) {
    int admin = ev && ev->is_admin;
    if (decision && decision_cap)
        snprintf(decision, decision_cap, "%s", admin ? "admin" : "no ACP evaluation");
    if (rsc)
        *rsc = admin ? 0 : 4103;
    return admin ? CSE_PLUGIN_OK : CSE_PLUGIN_DENY;
}
