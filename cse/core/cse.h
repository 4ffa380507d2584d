/*
 * The CSE core's lifetime: the resource tree loaded from the store, the
 * CSEBase created on first start, expiration of resources.
 * One CSE per process; the host API (include/cse/host.h) reads it.
 */
#ifndef CSE_CORE_CSE_H
#define CSE_CORE_CSE_H

#include <stddef.h>
#include <stdint.h>

#include "cse/core/config.h"
#include "cse/store/store.h"

/* Loads every resource from store into memory, creates the CSEBase on
 * first start, starts expiration. cfg and store are borrowed and must
 * outlive the core. Returns 0, or -1 with a reason in err. */
int cse_core_init(const cse_config_t *cfg, cse_store_t *store, char *err, size_t err_cap);

/* Stops expiration and frees the in-memory tree (the store stays open). */
void cse_core_shutdown(void);

/* The configuration the core runs with (borrowed), NULL before init. */
const cse_config_t *cse_core_config(void);

/* The store the core commits to (borrowed), NULL before init. */
cse_store_t *cse_core_store(void);

/* Removes every resource expired at now_us (the periodic sweep calls this
 * every second). Returns how many were removed. */
size_t cse_core_expire(int64_t now_us);

#endif
