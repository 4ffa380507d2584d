/* The <AE> resource (ty 2) and AE registration (TS-0001 §10.2.2.2). */
#ifndef CSE_RESOURCES_AE_H
#define CSE_RESOURCES_AE_H

#include <stddef.h>

/*
 * Decides the AE-ID of an AE CREATE from From (NULL or "" when absent):
 * absent or "C" → a new "C..." id, "S" → a new "S..." id, a full C.../S...
 * stem (optionally "/<csi>/" prefixed) → that id. From equal to the CSE-ID
 * (cse_id, e.g. "/id-in") → 4107. Returns 0 or an rsc with a reason.
 */
int cse_ae_assign_id(const char *from, const char *cse_id, char *aei, size_t cap, char *err,
                     size_t err_cap);

/* Checks an api value for release rvi ("" or NULL: no release given, as
 * from releases 1 and 2, where a lower-case 'r' is still allowed).
 * Returns 0 or -1 with a reason. */
int cse_ae_check_api(const char *api, const char *rvi, char *err, size_t cap);

#endif
