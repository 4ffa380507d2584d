/*
 * Internals shared by registry.c (open, lookups) and registry_admin.c
 * (changes): the view and the registry struct. Not for other modules.
 */
#ifndef CSSF_DATA_REGISTRY_INTERNAL_H
#define CSSF_DATA_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "plugin/data/registry.h"
#include "plugin/data/registry_index.h"
#include "plugin/data/registry_store.h"
#include "plugin/data/seal.h"

#define CSSF_REGISTRY_META_KEY_ID "key_id"

/* An immutable snapshot of every device, with the key its PSKs are sealed
 * under, so a lookup never sees a blob and a key from different times. */
typedef struct cssf_regview {
    atomic_long refs;
    cssf_device_t *devs;
    size_t n, suspended;
    cssf_seal_key_t key;
    cssf_strmap_t by_id, by_psk, by_san, by_fp, by_client;
} cssf_regview_t;

struct cssf_registry {
    cssf_regstore_t *store;
    cssf_rng_t *rng;
    char *host_cse_id, *key_path;
    pthread_mutex_t write_lock; /* one change at a time */
    pthread_mutex_t view_lock;  /* guards the view pointer only */
    cssf_regview_t *view;
    atomic_int stale;
    cssf_seal_key_t key; /* current master key; changed under write_lock */
};

/* The current view with a reference (release it), or NULL when stale. */
cssf_regview_t *cssf_registry_view_acquire(cssf_registry_t *r);
void cssf_registry_view_release(cssf_regview_t *v);

/* Rebuilds the view from the store and publishes it; on failure the
 * registry turns stale (lookups fail closed) and -1 comes back with err. */
int cssf_registry_publish(cssf_registry_t *r, char *err, size_t err_cap);

/* The device behind an association identity in v, or NULL. */
const cssf_device_t *cssf_registry_device_of(const cssf_regview_t *v, int assoc_method,
                                             const char *identity);

#endif
