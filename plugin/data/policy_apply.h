/*
 * Applying a policy's ACPs to the CSE (create, or update under the same
 * stable name), all or nothing. The apply function is passed in so tests
 * can record calls; the plugin passes the host's cse_resource_apply_all.
 */
#ifndef CSSF_DATA_POLICY_APPLY_H
#define CSSF_DATA_POLICY_APPLY_H

#include <stddef.h>

#include "cse/host.h"
#include "plugin/data/policy.h"

typedef int (*cssf_resource_apply_all_fn)(const cse_resource_change_t *changes, size_t n,
                                          size_t *failed, char *err, size_t err_cap);

/*
 * Applies every ACP of pol in one all-or-nothing call. Returns the number
 * applied, or -1 with "ACP PARENT/RN (FILE): rsc N: reason" naming the ACP
 * that failed in err (then none is applied: the CSE keeps the ACPs it had).
 */
int cssf_policy_apply_acps(const cssf_policy_t *pol, cssf_resource_apply_all_fn apply, char *err,
                           size_t err_cap);

#endif
