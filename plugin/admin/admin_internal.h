/*
 * Shared by the files of plugin/admin: the admin state, the request being
 * served, and the reply helpers. Not for other modules.
 */
#ifndef CSSF_ADMIN_INTERNAL_H
#define CSSF_ADMIN_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "plugin/admin/admin.h"
#include "plugin/admin/admin_json.h"

struct cssf_admin {
    cssf_registry_t *registry;
    cssf_audit_t *audit;
    char *audit_file, *policy_dir, *acp_parent;
    cssf_policy_defaults_t policy_defaults;
    cssf_admin_hooks_t hooks;
    pthread_mutex_t policy_lock; /* one policy write at a time */
};

/* One admin request. */
typedef struct cssf_admin_req {
    cse_evt_http_route_t *ev;
    const char *method;
    char path[512]; /* after the prefix, without query: "/devices/x/suspend" */
    cssf_admin_query_t query;
    cssf_admin_caller_t caller;
    const char *origin;
    /* filled by the handler for the audit line of a change */
    const char *change; /* e.g. "device.create"; NULL: not a change */
    char subject[128];  /* e.g. the device id */
} cssf_admin_req_t;

/* Sets the reply: status and body (stolen; NULL = no body). Returns
 * CSE_PLUGIN_OK so handlers can end with return reply(...). */
int cssf_admin_reply(cssf_admin_req_t *rq, int status, json_t *body);

/* {"error": msg, "field": field} with status. */
int cssf_admin_error(cssf_admin_req_t *rq, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses the request body as a JSON object: 415 without a JSON content
 * type, 413 above max bytes, 400 for malformed JSON or a non-object (the
 * reply is set and NULL returned). */
json_t *cssf_admin_body(cssf_admin_req_t *rq, size_t max);

/* Replies 400 if the query holds a parameter not in allowed (NULL-ended). */
int cssf_admin_query_only(cssf_admin_req_t *rq, const char *const *allowed);

/* Handlers: each sets the reply and returns CSE_PLUGIN_OK. */
int cssf_admin_devices(cssf_admin_t *a, cssf_admin_req_t *rq);
int cssf_admin_policies(cssf_admin_t *a, cssf_admin_req_t *rq);
int cssf_admin_audit_tail(cssf_admin_t *a, cssf_admin_req_t *rq);
int cssf_admin_health(cssf_admin_t *a, cssf_admin_req_t *rq);
int cssf_admin_master_key(cssf_admin_t *a, cssf_admin_req_t *rq);
int cssf_admin_radius(cssf_admin_t *a, cssf_admin_req_t *rq);

#endif
