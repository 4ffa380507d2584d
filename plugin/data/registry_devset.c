/* The devices of a view, ordered by id (see registry_devset.h). */
#include "plugin/data/registry_devset.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A device shared by every node (of any version of the set) that holds it. */
typedef struct held_device {
    atomic_uint refs;
    cssf_device_t d;
} held_device_t;

struct cssf_devnode {
    atomic_uint refs;
    uint64_t prio; /* a hash of the id: the heap order */
    held_device_t *dev;
    cssf_devnode_t *left, *right;
};

/* The error flag of one change: a failed allocation makes the result
 * incomplete; the caller then drops it. */
typedef struct change {
    int oom;
} change_t;

static uint64_t prio_of(const char *id) {
    uint64_t h = 1469598103934665603ull;
    for (; *id; id++) {
        h ^= (unsigned char)*id;
        h *= 1099511628211ull;
    }
    h ^= h >> 31;
    h *= 0x7fb5d329728ea185ull;
    return h ^ (h >> 27);
}

static void device_release(held_device_t *h) {
    if (h && atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1) {
        cssf_device_clear(&h->d);
        free(h);
    }
}

cssf_devnode_t *cssf_devset_ref(cssf_devnode_t *t) {
    if (t)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void cssf_devset_release(cssf_devnode_t *t) {
    while (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        cssf_devnode_t *right = t->right;
        cssf_devset_release(t->left);
        device_release(t->dev);
        free(t);
        t = right; /* the right spine without recursion */
    }
}

/* A node over dev (a new reference) with the children l and r (taken
 * over). On failure l and r are released and the change marked. */
static cssf_devnode_t *node_new(change_t *c, held_device_t *dev, uint64_t prio, cssf_devnode_t *l,
                                cssf_devnode_t *r) {
    cssf_devnode_t *t = malloc(sizeof(*t));
    if (!t) {
        c->oom = 1;
        cssf_devset_release(l);
        cssf_devset_release(r);
        return NULL;
    }
    atomic_init(&t->refs, 1);
    atomic_fetch_add_explicit(&dev->refs, 1, memory_order_relaxed);
    t->prio = prio;
    t->dev = dev;
    t->left = l;
    t->right = r;
    return t;
}

/* A copy of t with new children (taken over). */
static cssf_devnode_t *copy_with(change_t *c, const cssf_devnode_t *t, cssf_devnode_t *l,
                                 cssf_devnode_t *r) {
    return node_new(c, t->dev, t->prio, l, r);
}

/* t split into the ids below id (*l) and the others (*r); new references,
 * t unchanged. */
static void split(change_t *c, const cssf_devnode_t *t, const char *id, cssf_devnode_t **l,
                  cssf_devnode_t **r) {
    cssf_devnode_t *a, *b;
    if (!t) {
        *l = *r = NULL;
    } else if (strcmp(t->dev->d.id, id) < 0) {
        split(c, t->right, id, &a, &b);
        *l = copy_with(c, t, cssf_devset_ref(t->left), a);
        *r = b;
    } else {
        split(c, t->left, id, &a, &b);
        *l = a;
        *r = copy_with(c, t, b, cssf_devset_ref(t->right));
    }
}

/* a and b joined (every id of a below every id of b); a new reference. */
static cssf_devnode_t *merge(change_t *c, const cssf_devnode_t *a, const cssf_devnode_t *b) {
    if (!a || !b)
        return cssf_devset_ref((cssf_devnode_t *)(a ? a : b));
    if (a->prio >= b->prio)
        return copy_with(c, a, cssf_devset_ref(a->left), merge(c, a->right, b));
    return copy_with(c, b, merge(c, a, b->left), cssf_devset_ref(b->right));
}

/* t with dev (prio) added, its id not being there; a new reference. */
static cssf_devnode_t *insert(change_t *c, const cssf_devnode_t *t, held_device_t *dev,
                              uint64_t prio) {
    if (!t)
        return node_new(c, dev, prio, NULL, NULL);
    if (prio > t->prio) {
        cssf_devnode_t *l, *r;
        split(c, t, dev->d.id, &l, &r);
        return node_new(c, dev, prio, l, r);
    }
    if (strcmp(dev->d.id, t->dev->d.id) < 0)
        return copy_with(c, t, insert(c, t->left, dev, prio), cssf_devset_ref(t->right));
    return copy_with(c, t, cssf_devset_ref(t->left), insert(c, t->right, dev, prio));
}

/* t with dev in place of the device with its id (which is there). */
static cssf_devnode_t *replace(change_t *c, const cssf_devnode_t *t, held_device_t *dev) {
    int cmp = strcmp(dev->d.id, t->dev->d.id);
    if (cmp == 0)
        return node_new(c, dev, t->prio, cssf_devset_ref(t->left), cssf_devset_ref(t->right));
    if (cmp < 0)
        return copy_with(c, t, replace(c, t->left, dev), cssf_devset_ref(t->right));
    return copy_with(c, t, cssf_devset_ref(t->left), replace(c, t->right, dev));
}

/* t without id (which is there); a new reference. */
static cssf_devnode_t *del(change_t *c, const cssf_devnode_t *t, const char *id) {
    int cmp = strcmp(id, t->dev->d.id);
    if (cmp == 0)
        return merge(c, t->left, t->right);
    if (cmp < 0)
        return copy_with(c, t, del(c, t->left, id), cssf_devset_ref(t->right));
    return copy_with(c, t, cssf_devset_ref(t->left), del(c, t->right, id));
}

const cssf_device_t *cssf_devset_get(const cssf_devnode_t *t, const char *id) {
    while (t && id) {
        int cmp = strcmp(id, t->dev->d.id);
        if (cmp == 0)
            return &t->dev->d;
        t = cmp < 0 ? t->left : t->right;
    }
    return NULL;
}

/* dev moved into a new holder with one reference (the caller's). */
static held_device_t *hold(cssf_device_t *dev) {
    held_device_t *h = malloc(sizeof(*h));
    if (h) {
        atomic_init(&h->refs, 1);
        h->d = *dev;
        memset(dev, 0, sizeof(*dev));
    }
    return h;
}

int cssf_devset_put(const cssf_devnode_t *root, cssf_device_t *dev, cssf_devnode_t **out,
                    const cssf_device_t **stored) {
    held_device_t *h = hold(dev);
    if (!h)
        return -1;
    change_t c = {0};
    cssf_devnode_t *t = cssf_devset_get(root, h->d.id) ? replace(&c, root, h)
                                                       : insert(&c, root, h, prio_of(h->d.id));
    if (c.oom) {
        /* no node holds the device any more: give it back untouched */
        cssf_devset_release(t);
        *dev = h->d;
        free(h);
        return -1;
    }
    device_release(h); /* the set holds it now */
    *out = t;
    *stored = &h->d;
    return 0;
}

int cssf_devset_del(const cssf_devnode_t *root, const char *id, cssf_devnode_t **out) {
    if (!cssf_devset_get(root, id))
        return 1;
    change_t c = {0};
    cssf_devnode_t *t = del(&c, root, id);
    if (c.oom) {
        cssf_devset_release(t);
        return -1;
    }
    *out = t;
    return 0;
}

int cssf_devset_each(const cssf_devnode_t *t, int (*fn)(const cssf_device_t *d, void *arg),
                     void *arg) {
    for (; t; t = t->right) {
        int rc = cssf_devset_each(t->left, fn, arg);
        if (rc || (rc = fn(&t->dev->d, arg)))
            return rc;
    }
    return 0;
}

static int by_id(const void *a, const void *b) {
    return strcmp(((const cssf_device_t *)a)->id, ((const cssf_device_t *)b)->id);
}

int cssf_devset_build(cssf_device_t *devs, size_t n, cssf_devnode_t **out) {
    /* The Cartesian tree of the sorted devices by prio, in one pass: the
     * stack holds the right spine of the tree built so far. */
    cssf_devnode_t **spine = n ? malloc(n * sizeof(*spine)) : NULL;
    size_t depth = 0, i = 0;
    change_t c = {0};
    int rc = -1;
    *out = NULL;
    if (n && !spine)
        goto out;
    for (size_t k = 1; k < n; k++)
        if (by_id(&devs[k - 1], &devs[k]) >= 0) {
            qsort(devs, n, sizeof(*devs), by_id);
            break;
        }
    for (; i < n; i++) {
        held_device_t *h = hold(&devs[i]);
        cssf_devnode_t *t = h ? node_new(&c, h, prio_of(h->d.id), NULL, NULL) : NULL;
        device_release(h); /* the node holds it, or nothing does */
        if (!t)
            goto out;
        cssf_devnode_t *last = NULL;
        while (depth && spine[depth - 1]->prio < t->prio)
            last = spine[--depth];
        t->left = last;
        if (depth)
            spine[depth - 1]->right = t;
        spine[depth++] = t;
    }
    *out = depth ? spine[0] : NULL;
    depth = 0;
    rc = 0;
out:
    if (depth)
        cssf_devset_release(spine[0]);
    for (; i < n; i++)
        cssf_device_clear(&devs[i]);
    free(spine);
    free(devs);
    return rc;
}
