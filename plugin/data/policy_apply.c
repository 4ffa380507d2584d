/* Applying ACPs (see policy_apply.h). */
#include "plugin/data/policy_apply.h"

#include <stdio.h>

#define ACP_TY 1

int cssf_policy_apply_acps(const cssf_policy_t *pol, cssf_resource_apply_fn apply, char *err,
                           size_t err_cap) {
    for (size_t i = 0; i < pol->nacps; i++) {
        const cssf_acp_def_t *d = &pol->acps[i];
        char why[256] = "";
        int rsc = apply(d->parent, ACP_TY, d->rn, d->body, why, sizeof(why));
        if (rsc != 0) {
            snprintf(err, err_cap, "ACP %s/%s (%s): rsc %d: %s", d->parent, d->rn, d->file, rsc,
                     why[0] ? why : "refused");
            return -1;
        }
    }
    return (int)pol->nacps;
}
