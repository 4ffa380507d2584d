/*
 * Resource types: one descriptor per supported type (cse_base.c, ae.c,
 * container.c, content_instance.c, acp.c) with its JSON wrapper, its
 * attribute table (validator.h), its allowed parents and the hooks the
 * generic handlers (resource.h) call under the tree's write lock.
 */
#ifndef CSE_RESOURCES_RTYPE_H
#define CSE_RESOURCES_RTYPE_H

#include <jansson.h>
#include <stdint.h>

#include "cse/core/clock.h"
#include "cse/core/tree.h"
#include "cse/core/txn.h"

enum cse_ty {
    CSE_TY_ACP = 1,
    CSE_TY_AE = 2,
    CSE_TY_CNT = 3,
    CSE_TY_CIN = 4,
    CSE_TY_CSEBASE = 5,
};

struct cse_attr_rule;

/* One CREATE/UPDATE/DELETE being applied (write lock held). */
typedef struct cse_op {
    int ty;                 /* CREATE: type to create; else the target's */
    const char *originator; /* authenticated originator, "" if none */
    const char *rvi;        /* release version of the request, "" if none */
    json_t *body;           /* the attribute object of the request (borrowed) */
    cse_res_t *target;      /* CREATE: the parent; UPDATE/DELETE: the resource */
    cse_txn_t *txn;
    int64_t now_us;
    char now[CSE_TIME_LEN];
    const char *aei; /* AE CREATE: the AE-ID to register */
    /* outputs */
    json_t *attrs;    /* CREATE: attributes of the new resource being built */
    cse_res_t *res;   /* CREATE: the new resource once attached */
    json_t *modified; /* UPDATE: attributes as changed (owned by the op) */
    char err[256];
} cse_op_t;

typedef struct cse_rtype {
    int ty;
    const char *wrapper;               /* "m2m:cnt" */
    const char *prefix;                /* prefix of generated ri / rn */
    const struct cse_attr_rule *rules; /* type attributes, {NULL} ends */
    const int *parents;                /* allowed parent types, 0 ends; NULL = not creatable */
    int updatable, deletable;
    int has_acpi, has_cr, has_st;
    int compact; /* keep only the serialized form in memory (immutable, numerous) */
    /* CREATE: validates and completes op->attrs. Returns 0 or an rsc. */
    int (*create)(cse_op_t *op);
    /* After op->res is attached (e.g. container bookkeeping). Returns 0 or an rsc. */
    int (*added)(cse_op_t *op);
    /* UPDATE: validates op->body against op->target before it is applied. */
    int (*update)(cse_op_t *op);
    /* After an UPDATE was applied to op->target. Returns 0 or an rsc. */
    int (*updated)(cse_op_t *op);
    /* DELETE: after op->target was detached. */
    void (*removed)(cse_op_t *op);
} cse_rtype_t;

const cse_rtype_t *cse_rtype_find(int ty);
/* "m2m:xx" for ty, "m2m:res" for an unknown type. */
const char *cse_rtype_wrapper(int ty);
/* The type whose wrapper is name, or NULL. */
const cse_rtype_t *cse_rtype_by_wrapper(const char *name);

/* Sets op->err and returns rsc. */
int cse_op_fail(cse_op_t *op, int rsc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

extern const cse_rtype_t cse_rtype_acp, cse_rtype_ae, cse_rtype_cnt, cse_rtype_cin,
    cse_rtype_cse_base;

#endif
