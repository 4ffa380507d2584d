/*
 * The admin REST API under /cssf/v1/ (devices, policies, audit, health,
 * master-key, radius/secrets), served through the HTTP_ROUTE event: JSON in and out,
 * precise HTTP statuses, unknown fields refused, no partial writes, and an
 * audit line for every change and every refused caller. Only callers that
 * AUTHENTICATE accepts with admin rights get in (see docs/registry.md).
 *
 * What the admin needs from the rest of the plugin comes through hooks, so
 * it depends on no private state: who is calling (the plugin's own
 * AUTHENTICATE decision), applying a policy, what a revocation must stop,
 * and health probes of outside servers. Owner: plugin/admin.
 */
#ifndef CSSF_ADMIN_ADMIN_H
#define CSSF_ADMIN_ADMIN_H

#include <jansson.h>
#include <stddef.h>

#include "cse/plugin.h"
#include "plugin/data/audit.h"
#include "plugin/data/policy.h"
#include "plugin/data/registry.h"

#define CSSF_ADMIN_PREFIX "/cssf/v1"
#define CSSF_ADMIN_MAX_BODY (64 * 1024)          /* device documents */
#define CSSF_ADMIN_MAX_POLICY_BODY (1024 * 1024) /* a whole policy */

/* The caller of an admin request, as AUTHENTICATE sees it. */
typedef struct cssf_admin_caller {
    int denied;         /* 1: AUTHENTICATE refused the request (reason says why) */
    int is_admin;       /* admin rights proved (or trusted_claim) */
    int trusted_claim;  /* admin rights from a claimed originator (testbed) */
    char identity[256]; /* authenticated identity, "" for none */
    char reason[192];
} cssf_admin_caller_t;

typedef struct cssf_admin_hooks {
    /* Decides who sent a request with security context sec and
     * X-M2M-Origin origin (may be NULL); operation is enum cse_operation. */
    void (*authenticate)(void *ctx, const cse_security_context_t *sec, const char *origin,
                         int operation, const char *path, cssf_admin_caller_t *out);
    /* Re-reads the policy directory and applies it, as RELOAD does.
     * 0, or -1 with the reason in why (the previous policy stays). */
    int (*reload)(void *ctx, char *why, size_t why_cap);
    /* A device lost credentials (suspend, delete, change): end what they
     * opened. Any argument may be "" when that credential did not change. */
    void (*revoked)(void *ctx, const char *device, const char *psk_identity, const char *cert);
    /* Adds members to the health document (e.g. "radius"); sets *ok = 0
     * when a configured server cannot be reached. May be NULL. */
    void (*health)(void *ctx, json_t *doc, int *ok);
    void *ctx;
    /* Appends one object per configured RADIUS server (and the PSK-lookup
     * password) to list: {"name", "roles": ["auth"|"acct"|"psk"],
     * "in_use": "sealed"|"inline"|"file"|"none"}. May be NULL. */
    void (*radius_servers)(void *ctx, json_t *list);
    /* The sealed secret of name was set or deleted: put the right one in
     * use now. May be NULL. */
    void (*radius_changed)(void *ctx, const char *name);
} cssf_admin_hooks_t;

typedef struct cssf_admin_config {
    cssf_registry_t *registry; /* borrowed */
    cssf_audit_t *audit;       /* borrowed; change lines go here */
    const char *audit_file;    /* read back by GET audit */
    const char *policy_dir;    /* written by PUT policies */
    cssf_policy_defaults_t policy_defaults;
    cssf_admin_hooks_t hooks;
} cssf_admin_config_t;

typedef struct cssf_admin cssf_admin_t;

/* Copies cfg (strings too). NULL when out of memory. */
cssf_admin_t *cssf_admin_create(const cssf_admin_config_t *cfg);
void cssf_admin_destroy(cssf_admin_t *a);

/*
 * Serves ev if its path is under /cssf/v1 (returns CSE_PLUGIN_OK with
 * ev->status and a JSON body), else returns CSE_PLUGIN_DEFER.
 */
int cssf_admin_route(cssf_admin_t *a, cse_evt_http_route_t *ev);

#endif
