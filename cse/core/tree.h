/*
 * The in-memory resource tree: every resource of the CSE, found by ri or by
 * structured path through two hash maps, children kept in creation order.
 *
 * Locking: one process-wide rwlock. Readers (cse_tree_rdlock) may run in
 * parallel and must copy what they need before unlocking; every change
 * happens under cse_tree_wrlock through a transaction (cse/core/txn.h) so
 * that it can be undone if its store commit fails.
 *
 * Ownership: the tree owns every attached resource. A detached resource
 * (deleted, waiting for its commit) is owned by the transaction.
 */
#ifndef CSE_CORE_TREE_H
#define CSE_CORE_TREE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CSE_MAX_PATH 1024 /* longest structured path */

/* Immutable reference-counted text: the serialized resource
 * {"m2m:xx":{...}}; the attribute object is data[inner_off .. len-1). */
typedef struct cse_buf {
    atomic_int refs;
    size_t len;
    size_t inner_off;
    char data[];
} cse_buf_t;

typedef struct cse_res {
    char *ri, *rn, *path; /* owned; path has no leading slash */
    int ty;
    json_t *attrs; /* owned: every attribute, short names, ri/pi/ty included;
                    * NULL for a compact resource (its cache holds them) */
    struct cse_res *parent;
    struct cse_res *first, *last; /* children in creation order */
    struct cse_res *prev, *next;  /* siblings */
    size_t nchildren;
    struct cse_res *ri_next, *path_next; /* hash chains */
    _Atomic(cse_buf_t *) cache;          /* built lazily, dropped on change */
    uint64_t revision;
    int64_t ct_us, lt_us, et_us;    /* et 0 = never expires */
    long st;                        /* stateTag (containers and instances) */
    long cs;                        /* contentSize of an instance */
    unsigned char has_st;           /* st is one of its attributes */
    unsigned char has_cr, has_acpi; /* cr / acpi are among its attributes (views of a
                                     * compact resource without them need no parse) */
} cse_res_t;

/* Creates the empty tree. Returns 0 or -1. */
int cse_tree_init(void);
/* Frees every resource and the maps. No lock may be held. */
void cse_tree_destroy(void);

void cse_tree_rdlock(void);
void cse_tree_wrlock(void);
void cse_tree_unlock(void);

/* Lookups (any lock held). NULL when absent. */
cse_res_t *cse_tree_root(void);
cse_res_t *cse_tree_by_ri(const char *ri);
cse_res_t *cse_tree_by_path(const char *path, size_t len);
size_t cse_tree_count(void);

/* A new detached resource; takes ownership of attrs. Derived fields
 * (ct/lt/et/st/cs) are read from attrs. */
cse_res_t *cse_res_new(int ty, const char *ri, const char *rn, json_t *attrs);
/* Frees r and its whole (detached) subtree. */
void cse_res_free(cse_res_t *r);
/* Re-reads the derived fields from attrs and drops the cached JSON. */
void cse_res_sync(cse_res_t *r);

/* Write lock held. Appends r as the last child of parent (NULL: r becomes
 * the root), computes its path and indexes it. Returns 0, or -1 when the ri
 * or path is already taken. */
int cse_tree_attach(cse_res_t *parent, cse_res_t *r);
/* Write lock held. Puts back a subtree detached by cse_tree_detach, after
 * sibling prev (NULL = first child). */
void cse_tree_reattach(cse_res_t *parent, cse_res_t *prev, cse_res_t *r);
/* Write lock held. Unlinks r from its parent and unindexes its subtree. */
void cse_tree_detach(cse_res_t *r);

/* A new revision number (unique, increasing, process-wide). */
uint64_t cse_tree_next_revision(void);

/* Serialized resource (new reference; release with cse_buf_unref). Built
 * on first use; safe under the read lock. NULL only when out of memory. */
cse_buf_t *cse_res_json(cse_res_t *r);
cse_buf_t *cse_buf_ref(cse_buf_t *b);
void cse_buf_unref(cse_buf_t *b);
/* A buffer holding "{wrapper:" inner "}". */
cse_buf_t *cse_buf_wrap(const char *wrapper, const char *inner, size_t inner_len);

/* The attributes of r as a new reference (parsed again for a compact
 * resource). Any lock held. NULL only when out of memory. */
json_t *cse_res_attrs(cse_res_t *r);
/* Write lock held (or r not shared): gives a compact resource its parsed
 * attributes back, before they are changed. */
void cse_res_expand(cse_res_t *r);
/* Drops the parsed attributes of a compact type once its JSON is cached.
 * With text (the stored attribute object), the cache is built from it. */
void cse_res_compact(cse_res_t *r, const char *text, size_t len);

/* 1 when r or an ancestor has expired at now_us. */
int cse_res_expired(const cse_res_t *r, int64_t now_us);

/* Removes from the expiry index and returns (malloc'd array of malloc'd
 * ri, *n entries) every resource whose et was at or before now_us when it
 * was indexed. The caller re-checks each under the write lock. */
char **cse_tree_take_expired(int64_t now_us, size_t *n);

/* Allocation that aborts the process when memory is exhausted: used for
 * the tree's small internal structures where recovery is impossible. */
void *cse_xmalloc(size_t n);
void *cse_xcalloc(size_t n, size_t size);
char *cse_xstrdup(const char *s);

#endif
