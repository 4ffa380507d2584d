/* String hash maps for the registry's lookups (see registry_index.h). */
#include "plugin/data/registry_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bit: short keys, no adversarial pressure worth a keyed hash
 * (keys come from the operator's registry, not from the network). */
static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

int cssf_strmap_init(cssf_strmap_t *m, size_t max) {
    size_t cap = 8;
    while (cap < 2 * max + 1)
        cap <<= 1;
    m->slots = calloc(cap, sizeof(*m->slots));
    m->mask = cap - 1;
    m->n = 0;
    return m->slots ? 0 : -1;
}

int cssf_strmap_put(cssf_strmap_t *m, const char *key, void *value) {
    if (2 * (m->n + 1) > m->mask + 1)
        return -1;
    for (size_t i = hash(key) & m->mask;; i = (i + 1) & m->mask) {
        if (!m->slots[i].key) {
            m->slots[i].key = key;
            m->slots[i].value = value;
            m->n++;
            return 0;
        }
        if (strcmp(m->slots[i].key, key) == 0)
            return 1;
    }
}

void *cssf_strmap_get(const cssf_strmap_t *m, const char *key) {
    if (!m->slots || !key)
        return NULL;
    for (size_t i = hash(key) & m->mask; m->slots[i].key; i = (i + 1) & m->mask)
        if (strcmp(m->slots[i].key, key) == 0)
            return m->slots[i].value;
    return NULL;
}

void cssf_strmap_free(cssf_strmap_t *m) {
    free(m->slots);
    m->slots = NULL;
    m->n = 0;
}
