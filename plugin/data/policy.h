/*
 * The plugin's policy: an immutable snapshot built from a policy directory
 * (cssf.json and the *.json files of acps/, see docs/policies.md). Once built it is never
 * modified, so any number of threads read it without locks; its lifetime
 * is a reference count (policy_snapshot.h hands snapshots out).
 */
#ifndef CSSF_DATA_POLICY_H
#define CSSF_DATA_POLICY_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "plugin/data/policy_report.h"

#define CSSF_POLICY_MAX_FILE_BYTES (1024 * 1024) /* a policy file larger than this is refused */
#define CSSF_POLICY_MAX_ACP_FILES 1024
#define CSSF_POLICY_BINDINGS 5 /* indexed by enum cse_binding (1..4), 0 unused */

enum cssf_authn_mode { CSSF_AUTHN_REQUIRED = 0, CSSF_AUTHN_OPTIONAL = 1 };

typedef struct cssf_strlist {
    char **v;
    size_t n;
} cssf_strlist_t;

/* identities: an authenticated identity and the AE-IDs (patterns) it may use. */
typedef struct cssf_identity_binding {
    char *identity;
    cssf_strlist_t aeids;
} cssf_identity_binding_t;

/* unauthenticated: requests allowed without a security association when
 * the binding's mode is "required". A field left out matches anything. */
typedef struct cssf_unauth_rule {
    unsigned ops;           /* bit (1 << enum cse_operation) per allowed operation */
    cssf_strlist_t targets; /* patterns on the target without its leading '/'; n == 0: any */
    int *types;             /* resource types (of a CREATE); NULL: any */
    size_t ntypes;
    unsigned bindings; /* bit (1 << enum cse_binding); 0: any */
} cssf_unauth_rule_t;

/* One ACP the policy creates or updates in the CSE under a stable name. */
typedef struct cssf_acp_def {
    char *file;   /* where it was defined (for messages) */
    char *parent; /* structured path of the parent, e.g. "cse-in" */
    char *rn;     /* resource name */
    char *body;   /* JSON text {"pv":..,"pvs":..[,"lbl":..]} */
} cssf_acp_def_t;

typedef struct cssf_policy {
    atomic_long refs;
    /* authentication */
    int authn_mode[CSSF_POLICY_BINDINGS];
    int trust_claimed_admin; /* from the [plugin] options; only where the mode is optional */
    char *admin_originator;  /* "CAdmin" unless the policy says otherwise */
    cssf_strlist_t admins;   /* authenticated identities with admin rights */
    cssf_identity_binding_t *identities;
    size_t nidentities;
    cssf_unauth_rule_t *unauth;
    size_t nunauth;
    /* registration (REGISTER_AE); has_* = 0: the list is absent, anything goes */
    int has_allowed_originators, has_allowed_app_ids;
    cssf_strlist_t allowed_originators, allowed_app_ids;
    /* audit */
    int audit_keep;    /* rotated files to keep */
    int audit_permits; /* 0: log only denials */
    /* reserved sections, validated as objects; NULL when absent (owned) */
    json_t *tokens, *radius;
    /* ACPs to apply */
    cssf_acp_def_t *acps;
    size_t nacps;
    /* radius.users: credential IDs (patterns) whose HTTP Basic passwords
     * RADIUS checks (policy_radius.h) */
    cssf_strlist_t radius_users;
} cssf_policy_t;

/* What the [plugin] options contribute to a snapshot. */
typedef struct cssf_policy_defaults {
    int authn_mode; /* enum cssf_authn_mode, for bindings the policy does not name */
    int trust_claimed_admin;
    const char *acp_parent; /* default ACP parent path (the CSEBase's resource name) */
} cssf_policy_defaults_t;

/*
 * Loads and validates the policy directory dir: dir/cssf.json (required)
 * and every .json file in dir/acps (in name order). Every problem goes into rep.
 * Returns a new snapshot with one reference (release with
 * cssf_policy_release) only if there was no problem, else NULL.
 */
cssf_policy_t *cssf_policy_load(const char *dir, const cssf_policy_defaults_t *defs,
                                cssf_policy_report_t *rep);

/* An empty snapshot with the defaults (refs = 1), or NULL when out of memory. */
cssf_policy_t *cssf_policy_new(const cssf_policy_defaults_t *defs);

/*
 * Parses the text of a cssf.json (file names it in messages) into pol.
 * Returns the number of problems added to rep (0 = accepted).
 */
size_t cssf_policy_parse_main(cssf_policy_t *pol, const char *file, const char *text, size_t len,
                              cssf_policy_report_t *rep);

/*
 * Parses the text of an ACP file (one ACP object, or {"acps":[...]}) and
 * appends its ACPs to pol (default parent from acp_parent). Returns the
 * number of problems added to rep.
 */
size_t cssf_policy_parse_acps(cssf_policy_t *pol, const char *file, const char *text, size_t len,
                              const char *acp_parent, cssf_policy_report_t *rep);

/* Adds a reference. */
void cssf_policy_retain(cssf_policy_t *pol);
/* Drops a reference; the last one frees the snapshot. NULL is ignored. */
void cssf_policy_release(cssf_policy_t *pol);

/* 1 if identity is listed in admins. */
int cssf_policy_is_admin(const cssf_policy_t *pol, const char *identity);
/* The binding of identity, or NULL. */
const cssf_identity_binding_t *cssf_policy_identity(const cssf_policy_t *pol, const char *identity);
/* The effective mode of a binding (enum cse_binding; unknown → required). */
int cssf_policy_authn_mode(const cssf_policy_t *pol, int binding);

#endif
