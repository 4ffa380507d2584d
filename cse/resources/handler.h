/*
 * Generic CREATE / UPDATE / DELETE of a resource, shared by every type:
 * validation through the attribute table, names and identifiers, common
 * attributes, parent/child rules, then the type's hooks. All functions run
 * with the tree's write lock held and record their changes in op->txn.
 * They return 0 or a oneM2M rsc with a reason in op->err.
 */
#ifndef CSE_RESOURCES_HANDLER_H
#define CSE_RESOURCES_HANDLER_H

#include <stddef.h>

#include "cse/resources/rtype.h"

/* Write lock held. Fills op->now / op->now_us with the current time,
 * strictly later than any earlier stamp. */
void cse_op_stamp(cse_op_t *op);

int cse_handler_create(cse_op_t *op);
int cse_handler_update(cse_op_t *op);
int cse_handler_delete(cse_op_t *op);

/* Writes prefix followed by a process-unique suffix into buf. */
void cse_handler_new_id(const char *prefix, char *buf, size_t cap);

/* Checks a resource name. Returns 0 or -1 with a reason. */
int cse_handler_check_rn(const char *rn, char *err, size_t cap);

/* Default expiration for resources created without et (seconds). */
#define CSE_DEFAULT_ET_SECONDS (5LL * 365 * 24 * 3600)

#endif
