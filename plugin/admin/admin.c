/* The admin API: routing, who may call it, replies and the audit line of
 * every change (see admin.h). */
#include "plugin/admin/admin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"
#include "plugin/admin/admin_internal.h"
#include "plugin/data/audit_line.h"

cssf_admin_t *cssf_admin_create(const cssf_admin_config_t *cfg) {
    cssf_admin_t *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->registry = cfg->registry;
    a->audit = cfg->audit;
    a->hooks = cfg->hooks;
    a->policy_defaults = cfg->policy_defaults;
    a->audit_file = strdup(cfg->audit_file ? cfg->audit_file : "");
    a->policy_dir = strdup(cfg->policy_dir ? cfg->policy_dir : "");
    a->acp_parent =
        strdup(cfg->policy_defaults.acp_parent ? cfg->policy_defaults.acp_parent : "cse-in");
    pthread_mutex_init(&a->policy_lock, NULL);
    if (!a->audit_file || !a->policy_dir || !a->acp_parent) {
        cssf_admin_destroy(a);
        return NULL;
    }
    a->policy_defaults.acp_parent = a->acp_parent;
    return a;
}

void cssf_admin_destroy(cssf_admin_t *a) {
    if (!a)
        return;
    pthread_mutex_destroy(&a->policy_lock);
    free(a->audit_file);
    free(a->policy_dir);
    free(a->acp_parent);
    free(a);
}

/* --- replies -------------------------------------------------------------- */

int cssf_admin_reply(cssf_admin_req_t *rq, int status, json_t *body) {
    cse_evt_http_route_t *ev = rq->ev;
    ev->status = status;
    cse_free(ev->response_body);
    ev->response_body = NULL;
    snprintf(ev->response_content_type, sizeof(ev->response_content_type), "application/json");
    if (body) {
        char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(body);
        if (text) {
            ev->response_body = cse_strdup(text);
            free(text);
        }
        if (!ev->response_body) {
            ev->status = 500;
            ev->response_body = cse_strdup("{\"error\":\"out of memory\"}");
        }
    }
    return CSE_PLUGIN_OK;
}

int cssf_admin_error(cssf_admin_req_t *rq, int status, const char *field, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *body = json_pack("{s:s}", "error", msg);
    if (body && field && *field)
        json_object_set_new(body, "field", json_string(field));
    return cssf_admin_reply(rq, status, body);
}

json_t *cssf_admin_body(cssf_admin_req_t *rq, size_t max) {
    int status = 400;
    char why[256];
    json_t *doc = cssf_admin_parse_object(rq->ev->body, rq->ev->body_len, max, rq->ev->content_type,
                                          &status, why, sizeof(why));
    if (!doc)
        cssf_admin_error(rq, status, NULL, "%s", why);
    return doc;
}

int cssf_admin_query_only(cssf_admin_req_t *rq, const char *const *allowed) {
    for (size_t i = 0; i < rq->query.n; i++) {
        int ok = 0;
        for (size_t k = 0; allowed && allowed[k] && !ok; k++)
            ok = strcmp(rq->query.key[i], allowed[k]) == 0;
        if (!ok) {
            cssf_admin_error(rq, 400, rq->query.key[i], "unknown query parameter");
            return -1;
        }
    }
    return 0;
}

/* --- audit ----------------------------------------------------------------- */

static int operation_of(const char *method) {
    if (strcmp(method, "GET") == 0)
        return CSE_OP_RETRIEVE;
    if (strcmp(method, "POST") == 0)
        return CSE_OP_CREATE;
    if (strcmp(method, "DELETE") == 0)
        return CSE_OP_DELETE;
    return CSE_OP_UPDATE;
}

/* One line per change and per refused caller; reads are not audited. */
static void audit_request(cssf_admin_t *a, const cssf_admin_req_t *rq, const char *decision,
                          const char *what) {
    const cse_security_context_t *sec = rq->ev->sec;
    char target[600], reason[400];
    /* A device created through the collection is named by its own path,
     * so the lines of one device share a target prefix. */
    if (strcmp(rq->path, "/devices") == 0 && rq->subject[0])
        snprintf(target, sizeof(target), "%s/devices/%s", CSSF_ADMIN_PREFIX, rq->subject);
    else
        snprintf(target, sizeof(target), "%s%s", CSSF_ADMIN_PREFIX, rq->path);
    snprintf(reason, sizeof(reason), "%s%s%s: %d", what, rq->subject[0] ? " " : "", rq->subject,
             rq->ev->status);
    cssf_audit_record_t r = {.event = "admin",
                             .from = rq->origin,
                             .identity = rq->caller.identity[0] ? rq->caller.identity : NULL,
                             .target = target,
                             .operation = operation_of(rq->method),
                             .decision = decision,
                             .reason = reason,
                             .trusted_claim = rq->caller.trusted_claim};
    if (sec) {
        r.binding = sec->binding;
        r.peer = &sec->peer;
        r.method = cssf_audit_method_name(sec->assoc_method);
    }
    if (a->audit)
        cssf_audit_submit(a->audit, cssf_audit_line_format(&r));
}

/* --- routing -------------------------------------------------------------- */

/* "/cssf/v1/x?y" → rq->path "/x"; 0, or -1 when not ours. */
static int split_path(const char *full, cssf_admin_req_t *rq) {
    size_t plen = strlen(CSSF_ADMIN_PREFIX);
    if (!full || strncmp(full, CSSF_ADMIN_PREFIX, plen) != 0 ||
        (full[plen] != '\0' && full[plen] != '/' && full[plen] != '?'))
        return -1;
    const char *rest = full + plen;
    size_t n = strcspn(rest, "?");
    if (n >= sizeof(rq->path))
        n = sizeof(rq->path) - 1;
    memcpy(rq->path, rest, n);
    rq->path[n] = '\0';
    /* One trailing slash is allowed: "/devices/" is "/devices". */
    if (n > 1 && rq->path[n - 1] == '/')
        rq->path[n - 1] = '\0';
    return 0;
}

static int dispatch(cssf_admin_t *a, cssf_admin_req_t *rq) {
    const char *p = rq->path;
    if (strcmp(p, "/devices") == 0 || strncmp(p, "/devices/", 9) == 0)
        return cssf_admin_devices(a, rq);
    if (strcmp(p, "/policies") == 0)
        return cssf_admin_policies(a, rq);
    if (strcmp(p, "/audit") == 0)
        return cssf_admin_audit_tail(a, rq);
    if (strcmp(p, "/health") == 0)
        return cssf_admin_health(a, rq);
    if (strcmp(p, "/master-key/rotate") == 0)
        return cssf_admin_master_key(a, rq);
    if (strcmp(p, "/radius/secrets") == 0 || strncmp(p, "/radius/secrets/", 16) == 0)
        return cssf_admin_radius(a, rq);
    return cssf_admin_error(rq, 404, NULL, "no such endpoint: %s%.200s", CSSF_ADMIN_PREFIX, p);
}

int cssf_admin_route(cssf_admin_t *a, cse_evt_http_route_t *ev) {
    if (!a || !ev || ev->version < 1 || !ev->method)
        return CSE_PLUGIN_DEFER;
    cssf_admin_req_t *rq = calloc(1, sizeof(*rq));
    if (!rq)
        return CSE_PLUGIN_DEFER;
    if (split_path(ev->path, rq) < 0) {
        free(rq);
        return CSE_PLUGIN_DEFER;
    }
    rq->ev = ev;
    rq->method = ev->method;
    rq->origin = ev->version >= 2 ? ev->origin : NULL;
    char why[128];
    if (a->hooks.authenticate)
        a->hooks.authenticate(a->hooks.ctx, ev->sec, rq->origin, operation_of(rq->method), ev->path,
                              &rq->caller);
    else
        snprintf(rq->caller.reason, sizeof(rq->caller.reason), "no authentication available");
    if (rq->caller.denied || !a->hooks.authenticate) {
        cssf_admin_error(rq, 401, NULL, "not authenticated: %s", rq->caller.reason);
        audit_request(a, rq, "deny", rq->caller.reason);
    } else if (!rq->caller.is_admin) {
        cssf_admin_error(rq, 403, NULL, "admin rights required");
        audit_request(a, rq, "deny", "admin rights required");
    } else if (cssf_admin_query_parse(ev->query, &rq->query, why, sizeof(why)) < 0) {
        cssf_admin_error(rq, 400, NULL, "%s", why);
    } else {
        dispatch(a, rq);
        if (rq->change)
            audit_request(a, rq, ev->status < 400 ? "permit" : "deny", rq->change);
    }
    free(rq);
    return CSE_PLUGIN_OK;
}

/* --- health and master key -------------------------------------------------- */

int cssf_admin_health(cssf_admin_t *a, cssf_admin_req_t *rq) {
    if (strcmp(rq->method, "GET") != 0)
        return cssf_admin_error(rq, 405, NULL, "only GET");
    if (cssf_admin_query_only(rq, NULL) < 0)
        return CSE_PLUGIN_OK;
    cssf_registry_health_t h;
    cssf_registry_health(a->registry, &h);
    int ok = h.store_ok && !h.stale;
    json_t *doc = json_object();
    json_object_set_new(doc, "store",
                        h.store_ok ? json_pack("{s:b}", "ok", 1)
                                   : json_pack("{s:b,s:s}", "ok", 0, "error", h.error));
    json_object_set_new(doc, "registry",
                        json_pack("{s:I,s:I,s:s,s:b}", "devices", (json_int_t)h.devices,
                                  "suspended", (json_int_t)h.suspended, "key_id", h.key_id, "stale",
                                  h.stale));
    if (a->audit)
        json_object_set_new(
            doc, "audit", json_pack("{s:I}", "dropped", (json_int_t)cssf_audit_dropped(a->audit)));
    if (a->hooks.health)
        a->hooks.health(a->hooks.ctx, doc, &ok);
    json_object_set_new(doc, "status", json_string(ok ? "ok" : "degraded"));
    return cssf_admin_reply(rq, ok ? 200 : 503, doc);
}

int cssf_admin_master_key(cssf_admin_t *a, cssf_admin_req_t *rq) {
    if (strcmp(rq->method, "POST") != 0)
        return cssf_admin_error(rq, 405, NULL, "only POST");
    if (cssf_admin_query_only(rq, NULL) < 0)
        return CSE_PLUGIN_OK;
    rq->change = "master-key.rotate";
    cssf_registry_result_t res;
    cssf_registry_rotate_key(a->registry, &res);
    int rc = res.status == CSSF_REG_OK ? cssf_admin_reply(rq, 200, json_incref(res.doc))
                                       : cssf_admin_error(rq, res.status, NULL, "%s", res.error);
    cssf_registry_result_clear(&res);
    return rc;
}
