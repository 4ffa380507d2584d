/* Persistent hash maps for the registry's lookups (see registry_index.h). */
#include "plugin/data/registry_index.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BITS 6       /* 64 slots a node: at 100,000 keys most sit three nodes down */
#define MAX_SHIFT 60 /* the last level indexed by hash bits (bits 60..63) */

/*
 * A node: bitmap says which of the 64 slots are present, nodemap which of
 * those hold a child node (the others hold a value); slot[] lists the
 * present ones in bit order. Below MAX_SHIFT the hash is used up: a node
 * there is a collision list of count values (bitmap and nodemap unused).
 */
struct cssf_hnode {
    atomic_uint refs;
    uint32_t count;
    uint64_t bitmap, nodemap;
    void *slot[];
};

/* FNV-1a with a final mix (murmur3 fmix64) so that every 5-bit level gets
 * well spread bits. Keys come from the operator's registry, not from the
 * network; a collision costs depth, never correctness. */
static uint64_t hash(const char *s) {
#ifdef CSSF_HAMT_TEST_HASH /* a unit test forcing full collisions */
    return CSSF_HAMT_TEST_HASH(s);
#endif
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static uint64_t bit_of(uint64_t h, unsigned shift) {
    return 1ull << ((h >> shift) & 63);
}

static unsigned pos_of(const cssf_hnode_t *n, uint64_t bit) {
    return (unsigned)__builtin_popcountll(n->bitmap & (bit - 1));
}

static unsigned size_of(const cssf_hnode_t *n, unsigned shift) {
    return shift > MAX_SHIFT ? n->count : (unsigned)__builtin_popcountll(n->bitmap);
}

static cssf_hnode_t *node_new(unsigned slots) {
    cssf_hnode_t *n = calloc(1, sizeof(*n) + slots * sizeof(void *));
    if (n)
        atomic_init(&n->refs, 1);
    return n;
}

cssf_hnode_t *cssf_hamt_ref(cssf_hnode_t *root) {
    if (root)
        atomic_fetch_add_explicit(&root->refs, 1, memory_order_relaxed);
    return root;
}

void cssf_hamt_release(cssf_hnode_t *n) {
    /* acq_rel: the thread that frees must see every other holder's use */
    if (!n || atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) != 1)
        return;
    uint64_t sub = n->nodemap;
    for (unsigned i = 0, k = 0; i < 64; i++) {
        uint64_t bit = 1ull << i;
        if (!(n->bitmap & bit))
            continue;
        if (sub & bit)
            cssf_hamt_release(n->slot[k]);
        k++;
    }
    free(n);
}

void *cssf_hamt_get(const cssf_hnode_t *n, const char *key, cssf_hamt_key_fn key_of) {
    if (!key)
        return NULL;
    uint64_t h = hash(key);
    for (unsigned shift = 0; n; shift += BITS) {
        if (shift > MAX_SHIFT) {
            for (unsigned i = 0; i < n->count; i++)
                if (strcmp(key_of(n->slot[i]), key) == 0)
                    return n->slot[i];
            return NULL;
        }
        uint64_t bit = bit_of(h, shift);
        if (!(n->bitmap & bit))
            return NULL;
        void *s = n->slot[pos_of(n, bit)];
        if (n->nodemap & bit) {
            n = s;
            continue;
        }
        return strcmp(key_of(s), key) == 0 ? s : NULL;
    }
    return NULL;
}

/*
 * A copy of n (at shift) with slot position pos replaced (op 0), inserted
 * before (op 1) or removed (op -1). The copy takes a new reference to every
 * child node it keeps from n; with op 0 or 1, slot is put at pos as given
 * (a child node passed in is owned by the copy), is_node saying which.
 */
static cssf_hnode_t *node_edit(const cssf_hnode_t *n, unsigned shift, uint64_t bit, unsigned pos,
                               int op, void *slot, int is_node) {
    unsigned size = size_of(n, shift), nsize = size + (unsigned)op;
    cssf_hnode_t *c = node_new(nsize);
    if (!c)
        return NULL;
    c->bitmap = n->bitmap;
    c->nodemap = n->nodemap;
    c->count = nsize;
    for (unsigned i = 0, k = 0; i < size; i++) {
        if (i == pos && op == -1)
            continue;
        if (i == pos && op == 1)
            k++; /* room for the new slot */
        c->slot[k++] = n->slot[i];
    }
    if (op >= 0)
        c->slot[pos] = slot;
    if (shift <= MAX_SHIFT) {
        if (op == 1)
            c->bitmap |= bit;
        if (op == -1)
            c->bitmap &= ~bit;
        c->nodemap = is_node && op >= 0 ? c->nodemap | bit : c->nodemap & ~bit;
        for (unsigned i = 0, k = 0; i < 64; i++) {
            uint64_t b = 1ull << i;
            if (!(c->bitmap & b))
                continue;
            if ((c->nodemap & b) && b != bit)
                cssf_hamt_ref(c->slot[k]);
            k++;
        }
    }
    return c;
}

/* A node (at shift) holding values a and b, whose hashes agree below shift. */
static cssf_hnode_t *node_pair(unsigned shift, void *a, uint64_t ha, void *b, uint64_t hb) {
    if (shift > MAX_SHIFT) {
        cssf_hnode_t *n = node_new(2);
        if (n) {
            n->count = 2;
            n->slot[0] = a;
            n->slot[1] = b;
        }
        return n;
    }
    uint64_t ba = bit_of(ha, shift), bb = bit_of(hb, shift);
    if (ba == bb) {
        cssf_hnode_t *sub = node_pair(shift + BITS, a, ha, b, hb);
        cssf_hnode_t *n = sub ? node_new(1) : NULL;
        if (!n) {
            cssf_hamt_release(sub);
            return NULL;
        }
        n->bitmap = n->nodemap = ba;
        n->slot[0] = sub;
        return n;
    }
    cssf_hnode_t *n = node_new(2);
    if (n) {
        n->bitmap = ba | bb;
        n->slot[0] = ba < bb ? a : b;
        n->slot[1] = ba < bb ? b : a;
    }
    return n;
}

static cssf_hnode_t *put(const cssf_hnode_t *n, unsigned shift, uint64_t h, const char *key,
                         void *value, cssf_hamt_key_fn key_of) {
    if (shift > MAX_SHIFT) {
        for (unsigned i = 0; i < n->count; i++)
            if (strcmp(key_of(n->slot[i]), key) == 0)
                return node_edit(n, shift, 0, i, 0, value, 0);
        return node_edit(n, shift, 0, n->count, 1, value, 0);
    }
    uint64_t bit = bit_of(h, shift);
    unsigned pos = pos_of(n, bit);
    if (!(n->bitmap & bit))
        return node_edit(n, shift, bit, pos, 1, value, 0);
    void *s = n->slot[pos];
    cssf_hnode_t *sub;
    if (n->nodemap & bit)
        sub = put(s, shift + BITS, h, key, value, key_of);
    else if (strcmp(key_of(s), key) == 0)
        return node_edit(n, shift, bit, pos, 0, value, 0);
    else
        sub = node_pair(shift + BITS, s, hash(key_of(s)), value, h);
    cssf_hnode_t *c = sub ? node_edit(n, shift, bit, pos, 0, sub, 1) : NULL;
    if (!c)
        cssf_hamt_release(sub);
    return c;
}

int cssf_hamt_put(const cssf_hnode_t *root, void *value, cssf_hamt_key_fn key_of,
                  cssf_hnode_t **out) {
    const char *key = key_of(value);
    uint64_t h = hash(key);
    cssf_hnode_t *c;
    if (!root) {
        if ((c = node_new(1))) {
            c->bitmap = bit_of(h, 0);
            c->slot[0] = value;
        }
    } else {
        c = put(root, 0, h, key, value, key_of);
    }
    if (!c)
        return -1;
    *out = c;
    return 0;
}

/* A node with a single value and no child: its parent holds the value in
 * its place, so that a path never ends in a chain of one-slot nodes. */
static int lone_value(const cssf_hnode_t *n, unsigned shift) {
    return size_of(n, shift) == 1 && (shift > MAX_SHIFT || n->nodemap == 0);
}

static int del(const cssf_hnode_t *n, unsigned shift, uint64_t h, const char *key,
               cssf_hamt_key_fn key_of, cssf_hnode_t **out) {
    unsigned size = size_of(n, shift);
    if (shift > MAX_SHIFT) {
        for (unsigned i = 0; i < n->count; i++)
            if (strcmp(key_of(n->slot[i]), key) == 0) {
                *out = size == 1 ? NULL : node_edit(n, shift, 0, i, -1, NULL, 0);
                return size == 1 || *out ? 0 : -1;
            }
        return 1;
    }
    uint64_t bit = bit_of(h, shift);
    if (!(n->bitmap & bit))
        return 1;
    unsigned pos = pos_of(n, bit);
    void *s = n->slot[pos];
    if (!(n->nodemap & bit)) {
        if (strcmp(key_of(s), key) != 0)
            return 1;
        *out = size == 1 ? NULL : node_edit(n, shift, bit, pos, -1, NULL, 0);
        return size == 1 || *out ? 0 : -1;
    }
    cssf_hnode_t *sub = NULL;
    int rc = del(s, shift + BITS, h, key, key_of, &sub);
    if (rc != 0)
        return rc;
    cssf_hnode_t *c;
    if (!sub) {
        /* the child emptied (a lone value moves up, so only for safety) */
        *out = size == 1 ? NULL : node_edit(n, shift, bit, pos, -1, NULL, 0);
        return size == 1 || *out ? 0 : -1;
    }
    if (lone_value(sub, shift + BITS)) {
        c = node_edit(n, shift, bit, pos, 0, sub->slot[0], 0);
        cssf_hamt_release(sub);
    } else {
        c = node_edit(n, shift, bit, pos, 0, sub, 1);
        if (!c)
            cssf_hamt_release(sub);
    }
    if (!c)
        return -1;
    *out = c;
    return 0;
}

int cssf_hamt_del(const cssf_hnode_t *root, const char *key, cssf_hamt_key_fn key_of,
                  cssf_hnode_t **out) {
    if (!root || !key)
        return 1;
    return del(root, 0, hash(key), key, key_of, out);
}

/* A value with its hash, for the one-pass build. */
typedef struct hashed {
    uint64_t h;
    void *v;
} hashed_t;

/* The order of the trie: by the first 6-bit level where two hashes part. */
static int trie_order(const void *a, const void *b) {
    uint64_t x = ((const hashed_t *)a)->h, y = ((const hashed_t *)b)->h;
    if (x == y)
        return 0;
    unsigned level = (unsigned)__builtin_ctzll(x ^ y) / BITS;
    uint64_t cx = (x >> (level * BITS)) & 63, cy = (y >> (level * BITS)) & 63;
    return cx < cy ? -1 : 1;
}

/* The node (at shift) over e[0..n), n >= 1, e in trie order; NULL when out
 * of memory. */
static cssf_hnode_t *build(const hashed_t *e, size_t n, unsigned shift) {
    if (shift > MAX_SHIFT) {
        cssf_hnode_t *c = node_new((unsigned)n);
        if (c) {
            c->count = (uint32_t)n;
            for (size_t i = 0; i < n; i++)
                c->slot[i] = e[i].v;
        }
        return c;
    }
    unsigned slots = 0;
    for (size_t i = 0; i < n; i++)
        slots += i == 0 || bit_of(e[i].h, shift) != bit_of(e[i - 1].h, shift);
    cssf_hnode_t *c = node_new(slots);
    if (!c)
        return NULL;
    for (size_t i = 0, k = 0; i < n; k++) {
        uint64_t bit = bit_of(e[i].h, shift);
        size_t j = i + 1;
        while (j < n && bit_of(e[j].h, shift) == bit)
            j++;
        c->bitmap |= bit;
        if (j - i == 1) {
            c->slot[k] = e[i].v;
        } else {
            /* mark it a node first, so a release frees what is built */
            c->nodemap |= bit;
            if (!(c->slot[k] = build(e + i, j - i, shift + BITS))) {
                c->bitmap &= ~bit; /* not there: release skips it */
                c->nodemap &= ~bit;
                cssf_hamt_release(c);
                return NULL;
            }
        }
        i = j;
    }
    return c;
}

int cssf_hamt_build(void **values, size_t n, cssf_hamt_key_fn key_of, cssf_hnode_t **out) {
    *out = NULL;
    if (!n)
        return 0;
    hashed_t *e = malloc(n * sizeof(*e));
    if (!e)
        return -1;
    for (size_t i = 0; i < n; i++) {
        e[i].h = hash(key_of(values[i]));
        e[i].v = values[i];
    }
    qsort(e, n, sizeof(*e), trie_order);
    *out = build(e, n, 0);
    free(e);
    return *out ? 0 : -1;
}
