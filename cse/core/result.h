/*
 * Result content (rcn, TS-0004 §6.3.4.2.?): which rcn each operation
 * allows, and the response bodies they produce.
 */
#ifndef CSE_CORE_RESULT_H
#define CSE_CORE_RESULT_H

#include <jansson.h>
#include <stddef.h>

#include "cse/core/discovery.h"
#include "cse/core/tree.h"

#define CSE_RCN_DISCOVERY_RESULT_REFERENCES 11

/* Checks rcn (-1 = not given) for op (DISCOVERY for fu=1) and returns the
 * one to use (the default when not given), or -1 when op does not allow it. */
int cse_result_rcn(int op, int rcn);

/* Lock held. Body for rcn 0/1/2/3/7/9 of r (modified: the changed or
 * assigned attributes for rcn 9). Returns malloc'd JSON (NULL for rcn 0). */
char *cse_result_single(cse_res_t *r, int rcn, json_t *modified, size_t *len);

/* CREATE with rcn 9: the attributes the CSE assigned or changed, i.e. those
 * of attrs that request does not carry with the same value (new ref). */
json_t *cse_result_assigned(json_t *attrs, json_t *request);

/* Body for rcn 4/5/6/8 of target (its serialized JSON) and found (its
 * descendants, pre-order, with JSON for 4/8), or for discovery (rcn 11/2:
 * m2m:uril, rcn 6: m2m:rrl). drt 2 lists ri instead of structured paths.
 * Returns malloc'd JSON. */
char *cse_result_listing(const cse_buf_t *target, int ty, int rcn, int discovery, int drt,
                         const cse_found_list_t *found, size_t *len);

#endif
