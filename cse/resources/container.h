/* The <container> resource (ty 3): quotas over its contentInstances. */
#ifndef CSE_RESOURCES_CONTAINER_H
#define CSE_RESOURCES_CONTAINER_H

#include "cse/core/tree.h"
#include "cse/core/txn.h"

/* Write lock held. Evicts the oldest instances of cnt until cni <= mni and
 * cbs <= mbs, and every instance older than mia. Updates cni/cbs/st when
 * something was removed (cnt must have been snapshotted with
 * cse_txn_modify when touched is NULL; *touched tells the caller). */
void cse_container_enforce(cse_txn_t *txn, cse_res_t *cnt, int64_t now_us, int *touched);

/* Recomputes cni, cbs and st of cnt from its instances (start-up). */
void cse_container_recount(cse_res_t *cnt);

/* The oldest / latest instance of cnt, or NULL. */
cse_res_t *cse_container_oldest(cse_res_t *cnt);
cse_res_t *cse_container_latest(cse_res_t *cnt);

#endif
