/*
 * Applying a policy's ACPs to the CSE (create, or update under the same
 * stable name). The apply function is passed in so tests can record calls;
 * the plugin passes the host's cse_resource_apply.
 */
#ifndef CSSF_DATA_POLICY_APPLY_H
#define CSSF_DATA_POLICY_APPLY_H

#include <stddef.h>

#include "plugin/data/policy.h"

typedef int (*cssf_resource_apply_fn)(const char *parent_path, int ty, const char *rn,
                                      const char *json, char *err, size_t err_cap);

/*
 * Applies every ACP of pol in order. Stops at the first failure: returns
 * -1 with "ACP PARENT/RN (FILE): rsc N: reason" in err (ACPs before it stay
 * applied). Returns the number applied on success.
 */
int cssf_policy_apply_acps(const cssf_policy_t *pol, cssf_resource_apply_fn apply, char *err,
                           size_t err_cap);

#endif
