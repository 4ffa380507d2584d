/*
 * Internals shared by registry.c (open, lookups) and registry_admin.c
 * (changes): the view and the registry struct. Not for other modules.
 */
#ifndef CSSF_DATA_REGISTRY_INTERNAL_H
#define CSSF_DATA_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "plugin/data/registry.h"
#include "plugin/data/registry_devset.h"
#include "plugin/data/registry_index.h"
#include "plugin/data/registry_store.h"
#include "plugin/data/seal.h"

#define CSSF_REGISTRY_META_KEY_ID "key_id"

/* The credential indexes of a view. */
enum cssf_regidx {
    CSSF_REGIDX_PSK,    /* PSK identity */
    CSSF_REGIDX_SAN,    /* certificate SAN */
    CSSF_REGIDX_FP,     /* certificate SHA-256, 64 lower-case hex digits */
    CSSF_REGIDX_CLIENT, /* OAuth client id */
    CSSF_REGIDX_COUNT
};

/* An immutable snapshot of every device, with the key its PSKs are sealed
 * under, so a lookup never sees a blob and a key from different times.
 * Its indexes are persistent (registry_devset.h, registry_index.h): a
 * change derives the next view from this one in O(log n), sharing every
 * node it does not touch. Every device in a credential index is in
 * by_id, which holds the references to the devices. */
typedef struct cssf_regview {
    atomic_long refs;
    size_t n, suspended;
    cssf_seal_key_t key;
    cssf_devnode_t *by_id;
    cssf_hnode_t *idx[CSSF_REGIDX_COUNT];
} cssf_regview_t;

struct cssf_registry {
    cssf_regstore_t *store;
    cssf_rng_t *rng;
    char *host_cse_id, *key_path;
    pthread_mutex_t write_lock; /* one change at a time */
    /* The current view. Readers take a reference without a lock: see
     * cssf_registry_view_acquire for the protocol with epoch and entering. */
    _Atomic(cssf_regview_t *) view;
    atomic_uint epoch;
    atomic_long entering[2];
    atomic_int stale;
    cssf_seal_key_t key; /* current master key; changed under write_lock */
};

/* The current view with a reference (release it), or NULL when stale. */
cssf_regview_t *cssf_registry_view_acquire(cssf_registry_t *r);
void cssf_registry_view_release(cssf_regview_t *v);

/* Rebuilds the view from the store and publishes it (start-up, key
 * rotation, recovery from a stale view): O(devices). On failure the
 * registry turns stale (lookups fail closed) and -1 comes back with err. */
int cssf_registry_publish(cssf_registry_t *r, char *err, size_t err_cap);

/*
 * Publishes the view that follows prev (the current view, held by the
 * caller under write_lock) after one committed change: old (a device of
 * prev, or NULL) leaves, dev (or NULL) comes in, taken over and zeroed.
 * O(log n): no store read. When that cannot be built (out of memory) the
 * view is rebuilt from the store instead. 0, or -1 with err (stale).
 */
int cssf_registry_apply(cssf_registry_t *r, const cssf_regview_t *prev, const cssf_device_t *old,
                        cssf_device_t *dev, char *err, size_t err_cap);

/* Calls fn on every device of v in id order until fn returns non-zero. */
int cssf_registry_each(const cssf_regview_t *v, int (*fn)(const cssf_device_t *d, void *arg),
                       void *arg);

/* The device of v whose credential of index i is key, or NULL. */
const cssf_device_t *cssf_registry_find(const cssf_regview_t *v, enum cssf_regidx i,
                                        const char *key);

/* d's credential of index i, or NULL when it has none. */
const char *cssf_registry_credential(const cssf_device_t *d, enum cssf_regidx i);

/* The device of v with this id, or NULL. */
const cssf_device_t *cssf_registry_device(const cssf_regview_t *v, const char *id);

/* The device behind an association identity in v, or NULL. */
const cssf_device_t *cssf_registry_device_of(const cssf_regview_t *v, int assoc_method,
                                             const char *identity);

#endif
