/*
 * Lookup tables of the device registry: open-addressing hash maps from a
 * string key (PSK identity, SAN, fingerprint, client id, device id, exact
 * AE-ID) to a device. Built once per registry view and then only read, so
 * any number of threads may look up without locks. Keys are borrowed from
 * the devices of the view. Owner: plugin/data (registry). No I/O.
 */
#ifndef CSSF_DATA_REGISTRY_INDEX_H
#define CSSF_DATA_REGISTRY_INDEX_H

#include <stddef.h>

typedef struct cssf_strmap_slot {
    const char *key; /* NULL = empty */
    void *value;
} cssf_strmap_slot_t;

typedef struct cssf_strmap {
    cssf_strmap_slot_t *slots;
    size_t mask; /* capacity - 1; capacity a power of two, at least twice the entries */
    size_t n;
} cssf_strmap_t;

/* Room for up to max entries. 0, or -1 when out of memory. */
int cssf_strmap_init(cssf_strmap_t *m, size_t max);

/* Adds key → value (key borrowed). 0, 1 when the key is already there
 * (nothing changes), -1 when the map is full. */
int cssf_strmap_put(cssf_strmap_t *m, const char *key, void *value);

/* The value of key, or NULL. */
void *cssf_strmap_get(const cssf_strmap_t *m, const char *key);

void cssf_strmap_free(cssf_strmap_t *m);

#endif
