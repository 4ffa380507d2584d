/*
 * Lookup tables of the device registry: persistent hash maps (hash array
 * mapped tries, 64 slots a node) from a string key (PSK identity, SAN,
 * fingerprint, client id) to a value that carries its own key.
 *
 * Persistent: put and del never change a published node. They return a new
 * root that shares every untouched node with the old one and copies only
 * the path to the changed slot (at most 12 nodes, about 3 at 100,000
 * keys), so a registry view is derived from the previous one in O(1) work
 * per change while readers of the old root go on undisturbed. Nodes are
 * reference counted (atomically: the last holder of a view may be any
 * thread); a node is freed when the last root reaching it is released.
 *
 * Values are borrowed: the map never frees them, and key_of(value) must
 * give the same key for as long as the value is in a map. Owner:
 * plugin/data (registry). No I/O, no locks.
 */
#ifndef CSSF_DATA_REGISTRY_INDEX_H
#define CSSF_DATA_REGISTRY_INDEX_H

#include <stddef.h>

typedef struct cssf_hnode cssf_hnode_t;

/* The key of a value held by a map. */
typedef const char *(*cssf_hamt_key_fn)(const void *value);

/* The value of key under root (NULL = empty map), or NULL. Lock-free:
 * needs only that root stays referenced during the call. */
void *cssf_hamt_get(const cssf_hnode_t *root, const char *key, cssf_hamt_key_fn key_of);

/* A new root: root plus value (replacing a value with the same key), into
 * *out (a new reference; root is unchanged and keeps its reference).
 * 0, or -1 when out of memory (*out untouched). */
int cssf_hamt_put(const cssf_hnode_t *root, void *value, cssf_hamt_key_fn key_of,
                  cssf_hnode_t **out);

/* A new root: root without key, into *out (a new reference, NULL when the
 * map becomes empty). 0 when removed, 1 when key is not there (*out
 * untouched), -1 when out of memory. */
int cssf_hamt_del(const cssf_hnode_t *root, const char *key, cssf_hamt_key_fn key_of,
                  cssf_hnode_t **out);

/* A new map of the n values (keys unique) in one pass, into *out (NULL
 * for n = 0): what a full reload uses instead of n puts. values is
 * reordered. 0, or -1 when out of memory. */
int cssf_hamt_build(void **values, size_t n, cssf_hamt_key_fn key_of, cssf_hnode_t **out);

/* Another reference to root (NULL is fine); returns root. */
cssf_hnode_t *cssf_hamt_ref(cssf_hnode_t *root);

/* Drops a reference; frees the nodes no other root reaches. NULL is fine. */
void cssf_hamt_release(cssf_hnode_t *root);

#endif
