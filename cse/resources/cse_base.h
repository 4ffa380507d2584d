/* The <CSEBase> resource (ty 5): built on first start, never created,
 * updated or deleted by a request. */
#ifndef CSE_RESOURCES_CSE_BASE_H
#define CSE_RESOURCES_CSE_BASE_H

#include <jansson.h>

#include "cse/core/config.h"

/* Release versions this CSE accepts (and lists in srv). */
extern const char *const cse_supported_releases[];
int cse_release_supported(const char *rvi);

/* Attributes of a new CSEBase for cfg at time now (new reference). */
json_t *cse_cse_base_attrs(const cse_config_t *cfg, const char *now);

/* Refreshes the configuration-derived attributes (csi, rn, srv, poa) of an
 * existing CSEBase. Returns 1 when something changed. */
int cse_cse_base_refresh(json_t *attrs, const cse_config_t *cfg);

#endif
