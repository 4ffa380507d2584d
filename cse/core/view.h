/* Copies of a resource as plugins see it (cse_resource_view_t), taken
 * under the tree lock so plugins can be called without it. */
#ifndef CSE_CORE_VIEW_H
#define CSE_CORE_VIEW_H

#include "cse/core/tree.h"
#include "cse/plugin.h"

typedef struct cse_view {
    cse_resource_view_t v;
    char *blob;        /* owned: every string of v */
    const char **acpi; /* owned array, strings in blob */
} cse_view_t;

/* Lock held. Fills vw from r (vw must be zeroed or cleared). */
void cse_view_fill(cse_view_t *vw, const cse_res_t *r);
void cse_view_clear(cse_view_t *vw);

#endif
