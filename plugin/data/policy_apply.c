/* Applying ACPs (see policy_apply.h). */
#include "plugin/data/policy_apply.h"

#include <stdio.h>
#include <stdlib.h>

#define ACP_TY 1

int cssf_policy_apply_acps(const cssf_policy_t *pol, cssf_resource_apply_all_fn apply, char *err,
                           size_t err_cap) {
    if (!pol->nacps)
        return 0;
    cse_resource_change_t *changes = calloc(pol->nacps, sizeof(*changes));
    if (!changes) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < pol->nacps; i++)
        changes[i] = (cse_resource_change_t){pol->acps[i].parent, ACP_TY, pol->acps[i].rn,
                                             pol->acps[i].body};
    char why[256] = "";
    size_t failed = 0;
    int rsc = apply(changes, pol->nacps, &failed, why, sizeof(why));
    free(changes);
    if (rsc != 0 && failed >= pol->nacps) { /* none refused: storing them failed */
        snprintf(err, err_cap, "ACPs (%zu): rsc %d: %s", pol->nacps, rsc,
                 why[0] ? why : "not stored");
        return -1;
    }
    if (rsc != 0) {
        const cssf_acp_def_t *d = &pol->acps[failed];
        snprintf(err, err_cap, "ACP %s/%s (%s): rsc %d: %s", d->parent, d->rn, d->file, rsc,
                 why[0] ? why : "refused");
        return -1;
    }
    return (int)pol->nacps;
}
