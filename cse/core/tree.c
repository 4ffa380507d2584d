#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "cse/core/tree.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/core/clock.h"
#include "cse/resources/rtype.h"

/* Intrusive chained hash map: the chain pointer lives in the resource. */
typedef struct res_map {
    cse_res_t **slots;
    size_t nslots; /* power of two */
    size_t count;
} res_map_t;

/* Min-heap of (et, ri): which resources expire next. Entries are checked
 * lazily: a resource that changed its et or went away is skipped. */
typedef struct expiry {
    int64_t et_us;
    char *ri;
} expiry_t;

static struct {
    pthread_rwlock_t lock;
    pthread_mutex_t heap_mu;
    expiry_t *heap;
    size_t nheap, capheap;
    res_map_t by_ri, by_path;
    cse_res_t *root;
    atomic_uint_fast64_t revision;
    int ready;
} tree;

void *cse_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("onem2m-cse: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *cse_xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("onem2m-cse: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *cse_xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(cse_xmalloc(n), s, n);
}

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

#define CHAIN(r, by_path) ((by_path) ? &(r)->path_next : &(r)->ri_next)
#define KEY(r, by_path) ((by_path) ? (r)->path : (r)->ri)

static void map_grow(res_map_t *m, int by_path) {
    size_t n = m->nslots ? m->nslots * 2 : 1024;
    cse_res_t **slots = cse_xcalloc(n, sizeof(*slots));
    for (size_t i = 0; i < m->nslots; i++) {
        cse_res_t *r = m->slots[i];
        while (r) {
            cse_res_t *next = *CHAIN(r, by_path);
            const char *k = KEY(r, by_path);
            size_t at = hash_bytes(k, strlen(k)) & (n - 1);
            *CHAIN(r, by_path) = slots[at];
            slots[at] = r;
            r = next;
        }
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = n;
}

static cse_res_t *map_get(const res_map_t *m, int by_path, const char *key, size_t len) {
    if (!m->nslots)
        return NULL;
    for (cse_res_t *r = m->slots[hash_bytes(key, len) & (m->nslots - 1)]; r;
         r = *CHAIN(r, by_path)) {
        const char *k = KEY(r, by_path);
        if (strncmp(k, key, len) == 0 && k[len] == '\0')
            return r;
    }
    return NULL;
}

static void map_put(res_map_t *m, int by_path, cse_res_t *r) {
    if (m->count + 1 > m->nslots)
        map_grow(m, by_path);
    const char *k = KEY(r, by_path);
    size_t at = hash_bytes(k, strlen(k)) & (m->nslots - 1);
    *CHAIN(r, by_path) = m->slots[at];
    m->slots[at] = r;
    m->count++;
}

static void map_del(res_map_t *m, int by_path, cse_res_t *r) {
    const char *k = KEY(r, by_path);
    cse_res_t **pp = &m->slots[hash_bytes(k, strlen(k)) & (m->nslots - 1)];
    for (; *pp; pp = CHAIN(*pp, by_path)) {
        if (*pp == r) {
            *pp = *CHAIN(r, by_path);
            *CHAIN(r, by_path) = NULL;
            m->count--;
            return;
        }
    }
}

static void heap_push(const cse_res_t *r) {
    if (!r->et_us)
        return;
    pthread_mutex_lock(&tree.heap_mu);
    if (tree.nheap == tree.capheap) {
        size_t cap = tree.capheap ? tree.capheap * 2 : 1024;
        expiry_t *h = realloc(tree.heap, cap * sizeof(*h));
        if (!h)
            abort();
        tree.heap = h;
        tree.capheap = cap;
    }
    size_t i = tree.nheap++;
    expiry_t e = {r->et_us, cse_xstrdup(r->ri)};
    while (i > 0 && tree.heap[(i - 1) / 2].et_us > e.et_us) {
        tree.heap[i] = tree.heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tree.heap[i] = e;
    pthread_mutex_unlock(&tree.heap_mu);
}

static expiry_t heap_pop(void) {
    expiry_t top = tree.heap[0], last = tree.heap[--tree.nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= tree.nheap)
            break;
        if (c + 1 < tree.nheap && tree.heap[c + 1].et_us < tree.heap[c].et_us)
            c++;
        if (tree.heap[c].et_us >= last.et_us)
            break;
        tree.heap[i] = tree.heap[c];
        i = c;
    }
    if (tree.nheap)
        tree.heap[i] = last;
    return top;
}

char **cse_tree_take_expired(int64_t now_us, size_t *n) {
    char **out = NULL;
    size_t cap = 0;
    *n = 0;
    pthread_mutex_lock(&tree.heap_mu);
    while (tree.nheap && tree.heap[0].et_us <= now_us) {
        expiry_t e = heap_pop();
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **o = realloc(out, cap * sizeof(*o));
            if (!o)
                abort();
            out = o;
        }
        out[(*n)++] = e.ri;
    }
    pthread_mutex_unlock(&tree.heap_mu);
    return out;
}

int cse_tree_init(void) {
    memset(&tree, 0, sizeof(tree));
    /* Writers first: a steady stream of readers must not starve creates.
     * No code path takes the read lock twice, so non-recursive is safe. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&tree.lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0)
        return -1;
    pthread_mutex_init(&tree.heap_mu, NULL);
    map_grow(&tree.by_ri, 0);
    map_grow(&tree.by_path, 1);
    atomic_init(&tree.revision, 0);
    tree.ready = 1;
    return 0;
}

void cse_tree_destroy(void) {
    if (!tree.ready)
        return;
    if (tree.root)
        cse_res_free(tree.root);
    free(tree.by_ri.slots);
    free(tree.by_path.slots);
    for (size_t i = 0; i < tree.nheap; i++)
        free(tree.heap[i].ri);
    free(tree.heap);
    pthread_mutex_destroy(&tree.heap_mu);
    pthread_rwlock_destroy(&tree.lock);
    memset(&tree, 0, sizeof(tree));
}

void cse_tree_rdlock(void) {
    pthread_rwlock_rdlock(&tree.lock);
}

void cse_tree_wrlock(void) {
    pthread_rwlock_wrlock(&tree.lock);
}

void cse_tree_unlock(void) {
    pthread_rwlock_unlock(&tree.lock);
}

cse_res_t *cse_tree_root(void) {
    return tree.root;
}

cse_res_t *cse_tree_by_ri(const char *ri) {
    return map_get(&tree.by_ri, 0, ri, strlen(ri));
}

cse_res_t *cse_tree_by_path(const char *path, size_t len) {
    return map_get(&tree.by_path, 1, path, len);
}

size_t cse_tree_count(void) {
    return tree.by_ri.count;
}

uint64_t cse_tree_next_revision(void) {
    return atomic_fetch_add(&tree.revision, 1) + 1;
}

static int64_t attr_time(json_t *attrs, const char *name) {
    int64_t us = 0;
    const char *s = json_string_value(json_object_get(attrs, name));
    if (s && cse_clock_parse(s, &us) != 0)
        us = 0;
    return us;
}

void cse_res_sync(cse_res_t *r) {
    int64_t old_et = r->et_us;
    r->ct_us = attr_time(r->attrs, "ct");
    r->lt_us = attr_time(r->attrs, "lt");
    r->et_us = attr_time(r->attrs, "et");
    if (r->path && r->et_us != old_et)
        heap_push(r); /* attached: index the new expiry */
    r->has_st = json_object_get(r->attrs, "st") != NULL;
    r->has_cr = json_object_get(r->attrs, "cr") != NULL;
    r->has_acpi = json_object_get(r->attrs, "acpi") != NULL;
    r->st = (long)json_integer_value(json_object_get(r->attrs, "st"));
    r->cs = (long)json_integer_value(json_object_get(r->attrs, "cs"));
    cse_buf_t *old = atomic_exchange(&r->cache, NULL);
    cse_buf_unref(old);
}

cse_res_t *cse_res_new(int ty, const char *ri, const char *rn, json_t *attrs) {
    cse_res_t *r = cse_xcalloc(1, sizeof(*r));
    r->ty = ty;
    r->ri = cse_xstrdup(ri);
    r->rn = cse_xstrdup(rn);
    r->attrs = attrs;
    atomic_init(&r->cache, NULL);
    r->revision = cse_tree_next_revision();
    cse_res_sync(r);
    return r;
}

void cse_res_free(cse_res_t *r) {
    /* Iterative over children to keep deep trees off the stack. */
    while (r->first) {
        cse_res_t *c = r->first;
        r->first = c->next;
        cse_res_free(c);
    }
    cse_buf_unref(atomic_load(&r->cache));
    json_decref(r->attrs);
    free(r->ri);
    free(r->rn);
    free(r->path);
    free(r);
}

static void index_subtree(cse_res_t *r) {
    map_put(&tree.by_ri, 0, r);
    map_put(&tree.by_path, 1, r);
    heap_push(r);
    for (cse_res_t *c = r->first; c; c = c->next)
        index_subtree(c);
}

static void unindex_subtree(cse_res_t *r) {
    map_del(&tree.by_ri, 0, r);
    map_del(&tree.by_path, 1, r);
    for (cse_res_t *c = r->first; c; c = c->next)
        unindex_subtree(c);
}

int cse_tree_attach(cse_res_t *parent, cse_res_t *r) {
    char *path;
    if (parent) {
        size_t pl = strlen(parent->path), nl = strlen(r->rn);
        path = cse_xmalloc(pl + nl + 2);
        memcpy(path, parent->path, pl);
        path[pl] = '/';
        memcpy(path + pl + 1, r->rn, nl + 1);
    } else {
        if (tree.root)
            return -1;
        path = cse_xstrdup(r->rn);
    }
    if (cse_tree_by_ri(r->ri) || cse_tree_by_path(path, strlen(path))) {
        free(path);
        return -1;
    }
    free(r->path);
    r->path = path;
    r->parent = parent;
    r->next = NULL;
    if (parent) {
        r->prev = parent->last;
        if (parent->last)
            parent->last->next = r;
        else
            parent->first = r;
        parent->last = r;
        parent->nchildren++;
    } else {
        r->prev = NULL;
        tree.root = r;
    }
    map_put(&tree.by_ri, 0, r);
    map_put(&tree.by_path, 1, r);
    heap_push(r);
    return 0;
}

void cse_tree_reattach(cse_res_t *parent, cse_res_t *prev, cse_res_t *r) {
    r->parent = parent;
    if (!parent) {
        r->prev = r->next = NULL;
        tree.root = r;
    } else {
        r->prev = prev;
        r->next = prev ? prev->next : parent->first;
        if (r->next)
            r->next->prev = r;
        else
            parent->last = r;
        if (prev)
            prev->next = r;
        else
            parent->first = r;
        parent->nchildren++;
    }
    index_subtree(r);
}

void cse_tree_detach(cse_res_t *r) {
    unindex_subtree(r);
    cse_res_t *p = r->parent;
    if (!p) {
        if (tree.root == r)
            tree.root = NULL;
        return;
    }
    if (r->prev)
        r->prev->next = r->next;
    else
        p->first = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        p->last = r->prev;
    p->nchildren--;
    /* Keep parent/prev so the detached subtree still knows where it was. */
}

cse_buf_t *cse_buf_ref(cse_buf_t *b) {
    if (b)
        atomic_fetch_add(&b->refs, 1);
    return b;
}

void cse_buf_unref(cse_buf_t *b) {
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

cse_buf_t *cse_buf_wrap(const char *wrapper, const char *inner, size_t inner_len) {
    size_t wl = strlen(wrapper);
    size_t len = wl + inner_len + 5; /* {"w":inner} */
    cse_buf_t *b = malloc(sizeof(*b) + len + 1);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    char *p = b->data;
    *p++ = '{';
    *p++ = '"';
    memcpy(p, wrapper, wl);
    p += wl;
    *p++ = '"';
    *p++ = ':';
    b->inner_off = (size_t)(p - b->data);
    memcpy(p, inner, inner_len);
    p += inner_len;
    *p++ = '}';
    *p = '\0';
    b->len = len;
    return b;
}

cse_buf_t *cse_res_json(cse_res_t *r) {
    cse_buf_t *b = atomic_load(&r->cache);
    if (b)
        return cse_buf_ref(b);
    char *inner = json_dumps(r->attrs, JSON_COMPACT);
    if (!inner)
        return NULL;
    b = cse_buf_wrap(cse_rtype_wrapper(r->ty), inner, strlen(inner));
    free(inner);
    if (!b)
        return NULL;
    atomic_fetch_add(&b->refs, 1); /* one for the cache, one for the caller */
    cse_buf_t *expected = NULL;
    if (!atomic_compare_exchange_strong(&r->cache, &expected, b)) {
        /* Another reader built it first: use theirs. */
        free(b);
        return cse_buf_ref(expected);
    }
    return b;
}

json_t *cse_res_attrs(cse_res_t *r) {
    if (r->attrs)
        return json_incref(r->attrs);
    cse_buf_t *b = cse_res_json(r);
    if (!b)
        return NULL;
    json_t *a = json_loadb(b->data + b->inner_off, b->len - b->inner_off - 1, 0, NULL);
    cse_buf_unref(b);
    return a;
}

void cse_res_expand(cse_res_t *r) {
    if (!r->attrs) {
        r->attrs = cse_res_attrs(r);
        if (!r->attrs)
            abort();
    }
}

void cse_res_compact(cse_res_t *r, const char *text, size_t len) {
    const cse_rtype_t *t = cse_rtype_find(r->ty);
    if (!t || !t->compact || !r->attrs)
        return;
    if (text) {
        cse_buf_t *b = cse_buf_wrap(t->wrapper, text, len);
        cse_buf_t *old = b ? atomic_exchange(&r->cache, b) : NULL;
        cse_buf_unref(old);
    }
    cse_buf_t *b = cse_res_json(r);
    if (!b)
        return; /* out of memory: keep the attributes */
    cse_buf_unref(b);
    json_decref(r->attrs);
    r->attrs = NULL;
}

int cse_res_expired(const cse_res_t *r, int64_t now_us) {
    for (; r; r = r->parent)
        if (r->et_us && r->et_us <= now_us)
            return 1;
    return 0;
}
