/*
 * Discovery (fu=1) and the child listings of rcn 4/5/6/8: filter criteria
 * (ty, lbl, crb/cra, ms/us, exb/exa, sts/stb, lvl) matched against the
 * descendants of a target in pre-order; ofst/lim are applied by the caller
 * after authorization.
 */
#ifndef CSE_CORE_DISCOVERY_H
#define CSE_CORE_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "cse/core/request.h"
#include "cse/core/tree.h"
#include "cse/core/view.h"

#define CSE_DISCOVERY_MAX 10000 /* most results one request collects */

/* Parsed filter criteria (times in µs, 0 / -1 = not given). */
typedef struct cse_filter {
    const int *ty;
    int nty;
    char *const *lbl;
    int nlbl;
    int64_t crb, cra, ms, us, exb, exa;
    long sts, stb;
    int lvl; /* -1 = unlimited */
} cse_filter_t;

/* Fills f from q. Returns 0, or -1 with the bad parameter named in err. */
int cse_filter_from_query(cse_filter_t *f, const cse_query_t *q, char *err, size_t cap);

/* 1 when r matches every given criterion (ty and lbl: any of the values). */
int cse_filter_match(const cse_filter_t *f, const cse_res_t *r);

/* One discovered resource, copied out of the tree. */
typedef struct cse_found {
    char *ri, *pi, *rn, *path;
    int ty;
    cse_buf_t *json; /* with CSE_FOUND_JSON */
    cse_view_t view; /* with CSE_FOUND_VIEW */
} cse_found_t;

typedef struct cse_found_list {
    cse_found_t *items;
    size_t n, cap;
} cse_found_list_t;

enum { CSE_FOUND_JSON = 1, CSE_FOUND_VIEW = 2 };

/* Read lock held. Appends the matching live descendants of root (root
 * excluded) in pre-order, at most max of them. */
void cse_discovery_collect(cse_res_t *root, const cse_filter_t *f, int64_t now_us, int flags,
                           size_t max, cse_found_list_t *out);

/* Frees what one item owns. */
void cse_found_clear(cse_found_t *f);
void cse_found_list_clear(cse_found_list_t *l);

#endif
