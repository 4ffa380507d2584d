/*
 * Authentication decision (AUTHENTICATE): who is this request from?
 * A pure function of the policy snapshot and the request; the only outside
 * fact it needs (is an AE registered here?) comes through a callback, so
 * unit tests can drive every branch.
 */
#ifndef CSSF_AUTHN_AUTHN_H
#define CSSF_AUTHN_AUTHN_H

#include <stddef.h>

#include "plugin/data/policy.h"

/* A second source of identity bindings beside the policy's identities (the
 * device registry, plugin/data/registry*): may_use(ctx, assoc_method, identity,
 * from) returns 1 when the identity may use from, 0 when it may not, -1
 * when the source does not know the identity. */
typedef struct cssf_identity_source {
    int (*may_use)(void *ctx, int assoc_method, const char *identity, const char *from);
    void *ctx;
} cssf_identity_source_t;

typedef struct cssf_authn_request {
    const char *host_cse_id;              /* this CSE's ID, e.g. "/id-in" */
    int binding;                          /* enum cse_binding */
    int assoc_method;                     /* enum cse_assoc_method */
    const char *assoc_identity;           /* proved by the association, or NULL */
    const char *from;                     /* NULL or "" when absent */
    int operation;                        /* enum cse_operation */
    int resource_type;                    /* ty of a CREATE */
    const char *to;                       /* target as sent */
    const cssf_identity_source_t *source; /* NULL: the policy's identities only */
} cssf_authn_request_t;

typedef struct cssf_authn_decision {
    int deny; /* 0: accept, 1: deny with rsc and reason */
    int rsc;  /* 4000, 4106, 4107 */
    char reason[192];
    const char *originator; /* borrowed from the request: From, or "" */
    int authenticated;
    int is_admin;
    int trusted_claim; /* admin rights from a claimed From (trust_claimed_admin) */
    int unauth_rule;   /* index of the unauthenticated rule that let it in, else -1 */
} cssf_authn_decision_t;

/* Answers of the registered-AE callback. */
enum {
    CSSF_AE_UNKNOWN = 0,    /* no <AE> with this AE-ID */
    CSSF_AE_REGISTERED = 1, /* registered without a security association */
    CSSF_AE_RESERVED = 2,   /* registered inside one (registered or not now): claims refused */
};

/* CSSF_AE_* for the AE whose resource identifier (AE-ID) is ri. */
typedef int (*cssf_ae_registered_fn)(void *ctx, const char *ri);

/* Decides req under pol (see docs/policies.md, "Who is the originator"). */
void cssf_authn_decide(const cssf_policy_t *pol, const cssf_authn_request_t *req,
                       cssf_ae_registered_fn registered, void *ctx, cssf_authn_decision_t *out);

/* 1 if text matches one of the n patterns; `*` matches any run of
 * characters except '/' (the acor wildcard of TS-0003, shared with authz). */
int cssf_authn_match_any(char *const *patterns, size_t n, const char *text);

/* 1 if identity (authenticated) may speak as AE-ID from: its identities
 * entry lists a matching pattern, or it is an admin and from is the
 * policy's admin originator. */
int cssf_authn_identity_may_use(const cssf_policy_t *pol, const char *identity, const char *from,
                                const char *host_cse_id);

/* cssf_authn_identity_may_use, or else source's answer (source may be NULL). */
int cssf_authn_bound(const cssf_policy_t *pol, const cssf_identity_source_t *source,
                     int assoc_method, const char *identity, const char *from,
                     const char *host_cse_id);

#endif
