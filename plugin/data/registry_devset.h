/*
 * The devices of a registry view, ordered by id: a persistent treap (a
 * binary search tree by id, heap-ordered by a hash of the id, so its
 * expected depth is O(log n) whatever the order of changes).
 *
 * Persistent like registry_index.h: put and del copy only the O(log n)
 * nodes on the path to the change and share the rest with the old root,
 * which stays valid for its readers. Nodes and devices are reference
 * counted atomically; a device is freed (cssf_device_clear, which wipes
 * its key material) with the last node that holds it. The devices in a
 * set are never changed: a change puts a new device in its place.
 * Owner: plugin/data (registry). No I/O, no locks.
 */
#ifndef CSSF_DATA_REGISTRY_DEVSET_H
#define CSSF_DATA_REGISTRY_DEVSET_H

#include <stddef.h>

#include "plugin/data/registry_device.h"

typedef struct cssf_devnode cssf_devnode_t;

/* A set of n devices (ids unique) taken over from devs, which is freed,
 * also on failure; the devices need not be sorted. *out is NULL for n = 0.
 * 0, or -1 when out of memory. O(n) when devs is sorted by id. */
int cssf_devset_build(cssf_device_t *devs, size_t n, cssf_devnode_t **out);

/* The device with id under root, or NULL. */
const cssf_device_t *cssf_devset_get(const cssf_devnode_t *root, const char *id);

/* A new root: root plus *dev, which replaces the device with the same id.
 * *dev is taken over (zeroed) only on success; *stored then points at the
 * device as held by the new set. 0, or -1 when out of memory. */
int cssf_devset_put(const cssf_devnode_t *root, cssf_device_t *dev, cssf_devnode_t **out,
                    const cssf_device_t **stored);

/* A new root without the device id (NULL when the set becomes empty):
 * 0, 1 when there is no such device (*out untouched), -1 out of memory. */
int cssf_devset_del(const cssf_devnode_t *root, const char *id, cssf_devnode_t **out);

/* Calls fn on each device in id order until fn returns non-zero; returns
 * that value, or 0. */
int cssf_devset_each(const cssf_devnode_t *root, int (*fn)(const cssf_device_t *d, void *arg),
                     void *arg);

cssf_devnode_t *cssf_devset_ref(cssf_devnode_t *root);
void cssf_devset_release(cssf_devnode_t *root);

#endif
