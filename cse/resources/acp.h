/* The <accessControlPolicy> resource (ty 1): structure of pv / pvs. */
#ifndef CSE_RESOURCES_ACP_H
#define CSE_RESOURCES_ACP_H

#include <jansson.h>
#include <stddef.h>

/* Checks a privileges object {"acr":[rule...]}. min_rules is 1 for pvs.
 * Returns 0, or -1 with a reason naming the attribute (name). */
int cse_acp_check_privileges(const char *name, json_t *pv, size_t min_rules, char *err, size_t cap);

#endif
