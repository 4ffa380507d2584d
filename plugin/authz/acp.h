/*
 * Parsed access-control policies and the resources that link them, as the
 * decision needs them. A cssf_res_t is immutable once parsed and owns all
 * its memory (one arena); the cache shares it between threads by reference
 * count.
 * Owner: plugin/authz.
 */
#ifndef CSSF_AUTHZ_ACP_H
#define CSSF_AUTHZ_ACP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/authz/acp_location.h"
#include "plugin/authz/cron.h"
#include "plugin/authz/ip_match.h"
#include "plugin/authz/originator_match.h"

/* Limits: a policy beyond them is malformed (fail closed), never truncated. */
#define CSSF_ACP_MAX_JSON (1024 * 1024)
#define CSSF_ACP_MAX_RULES 1024
#define CSSF_ACP_MAX_ITEMS 256 /* acor entries, addresses, windows, ... per list */
#define CSSF_ACP_MAX_ACPI 64

/* One accessControlContext: actw AND acip AND aclr; inside each, ORed.
 * A count of 0 means "no constraint". */
typedef struct cssf_acco {
    cssf_cron_t *actw;
    int nactw;
    cssf_ip_prefix_t *acip; /* ipv4 and ipv6 entries together */
    int nacip;
    cssf_region_t *aclr;
    int naclr;
} cssf_acco_t;

/* One accessControlObjectDetails entry. */
typedef struct cssf_acod {
    int ty;       /* target resource type, 0 = any */
    int has_spty; /* a specialization is required (this CSE hosts none) */
    int *chty;    /* child types allowed for CREATE; nchty 0 = any */
    int nchty;
} cssf_acod_t;

/* One accessControlRule. invalid != NULL marks a malformed rule: it is
 * indeterminate whenever evaluated. */
typedef struct cssf_acr {
    cssf_acor_t *acor;
    int nacor;
    unsigned acop;
    cssf_acco_t *acco; /* ORed; nacco 0 = no constraint */
    int nacco;
    int acaf;
    cssf_acod_t *acod; /* ORed; nacod 0 = no constraint */
    int nacod;
    const char *invalid;
} cssf_acr_t;

typedef struct cssf_acr_list {
    cssf_acr_t *r;
    int n;
} cssf_acr_list_t;

struct cssf_arena;

/* A resource: the attributes that decide which ACPs apply and, for an ACP
 * (ty 1), its privileges. */
typedef struct cssf_res {
    const char *ri;
    const char *pi; /* "" when absent */
    const char *cr; /* NULL when absent */
    int ty;
    int has_acpi;
    const char **acpi;
    int nacpi;
    cssf_acr_list_t pv, pvs; /* ty 1 only */
    const char *invalid;     /* ACP-level problem (e.g. pv not an object), NULL if none */
    uint64_t revision;
    atomic_int refs;
    struct cssf_arena *arena;
} cssf_res_t;

/*
 * Parses the JSON of a resource (short names, with or without its "m2m:xx"
 * wrapper). ri names the entry (NULL = take "ri" from the JSON). Problems
 * inside a policy do not fail the parse: they mark the rule or the ACP
 * invalid. Returns a resource with refs = 1 (free with cssf_res_release),
 * or NULL when json is not a JSON object or memory ran out; err then gets
 * a short reason.
 */
cssf_res_t *cssf_res_parse(const char *json, size_t len, const char *ri, uint64_t revision,
                           const cssf_ids_t *ids, char *err, size_t err_cap);

/* Takes one more reference. */
void cssf_res_ref(cssf_res_t *res);

/* Drops one reference; frees the resource with the last. NULL is ignored. */
void cssf_res_release(cssf_res_t *res);

#endif
