/*
 * Authorization: the oneM2M access-control-policy decision (TS-0003 §7.1,
 * TS-0004 §6.3.5.26-28) over a thread-safe cache of parsed ACPs.
 *
 * Owner: plugin/authz. The AUTHORIZE callback calls cssf_authz_decide() for
 * every request; the cache is filled on demand through a resource source
 * (by default the host's cse_resource_get()).
 */
#ifndef CSSF_AUTHZ_AUTHORIZE_H
#define CSSF_AUTHZ_AUTHORIZE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cse/plugin.h"

/* Facts about the request that the host's event does not carry. All
 * members may be zero/NULL. Borrowed for the duration of the call. */
typedef struct cssf_authz_env {
    /* Registered location of an originator, for aclr. Returns 0 when known:
     * lat/lon in degrees (NaN when only the country is known), country the
     * ISO 3166 alpha-2 code ("" when unknown). NULL = no location known. */
    int (*locate)(void *arg, const char *originator, double *lat, double *lon, char country[3]);
    void *locate_arg;
    /* Role IDs (name@fqdn) the originator holds, for acor role entries. */
    const char *const *roles;
    int nroles;
    /* <group> membership for acor group entries: returns 1 when group_id
     * names a group that has originator as a member. NULL = no groups. */
    int (*group_has_member)(void *arg, const char *group_id, const char *originator);
    void *group_arg;
    time_t now; /* 0 = time(NULL) */
} cssf_authz_env_t;

/*
 * Where ACPs (and ancestors without acpi) come from. get() has the contract
 * of cse_resource_get(): 1 = known_revision is current, 0 = *revision and
 * *json set (json released with release()), -1 = no such resource.
 */
typedef struct cssf_authz_source {
    int (*get)(void *arg, const char *ri, uint64_t known_revision, uint64_t *revision, char **json);
    void (*release)(void *arg, char *json);
    void *arg;
} cssf_authz_source_t;

typedef struct cssf_authz cssf_authz_t; /* parsed-ACP cache, thread-safe */

/* Creates a decision cache reading from the host (cse_resource_get) with the
 * host's CSE-ID and SP-ID. Returns NULL when out of memory. */
cssf_authz_t *cssf_authz_create(void);

/* Same with an explicit source and identity (tests, benchmarks). src is
 * copied; cse_id ("/id-in") and sp_id ("example.net" or "//example.net")
 * are copied. Returns NULL when out of memory or src->get is NULL. */
cssf_authz_t *cssf_authz_create_with(const cssf_authz_source_t *src, const char *cse_id,
                                     const char *sp_id);

/* Frees az and every cached ACP. No call may be running on az. */
void cssf_authz_destroy(cssf_authz_t *az);

/*
 * Which policy applies: admin (ev->is_admin) always passes. A request on an
 * ACP (target ty 1) uses that ACP's pvs. Otherwise the target's acpi, or,
 * when the target has no acpi attribute, the nearest ancestor's (the target
 * of a CREATE is the parent; a CSEBase without acpi admits only admin).
 * acpi present but empty admits only the creator (an AE is its own creator).
 * An AE without acpi owns its subtree: when inheritance would pass through
 * the originator's own AE, the AE is permitted ("owner AE (no acpi)") and
 * everyone else gets the inherited policy.
 * An UPDATE of acpi must carry nothing else (4000) and needs UPDATE in the
 * pvs of a linked ACP. Rules: permit-overrides; a missing ACP or a malformed
 * rule is indeterminate and denies unless another rule permits.
 *
 * Decides ev. Thread-safe. Returns CSE_PLUGIN_OK (permit) or CSE_PLUGIN_DENY.
 * decision (capacity decision_cap, always NUL-terminated when cap > 0) gets
 * "admin", "creator", "owner AE (no acpi)" or "acp=<ri> rule=<i>" (pvs rules: "acp=<ri> pvs rule=<i>")
 * for a permit, a short reason for a denial ("no rule of acp=... matches",
 * "acpi empty: creator only", "acp <ri> missing: indeterminate", ...).
 * rsc (may be NULL) gets the oneM2M code for a denial: 4103, or 4000 when an
 * UPDATE of acpi carries other attributes. Sets nothing in ev: the caller
 * copies the outcome into ev->rsc/ev->reason.
 */
int cssf_authz_decide(cssf_authz_t *az, const cse_evt_authorize_t *ev, const cssf_authz_env_t *env,
                      char *decision, size_t decision_cap, int *rsc);

#endif
