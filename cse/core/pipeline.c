#include "cse/core/pipeline.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/core/address.h"
#include "cse/core/clock.h"
#include "cse/core/commit.h"
#include "cse/core/discovery.h"
#include "cse/core/log.h"
#include "cse/core/plugin_host.h"
#include "cse/core/result.h"
#include "cse/core/rsc.h"
#include "cse/core/tree.h"
#include "cse/core/view.h"
#include "cse/resources/ae.h"
#include "cse/resources/cse_base.h"
#include "cse/resources/handler.h"
#include "cse/resources/rtype.h"
#include "cse/resources/validator.h"

static atomic_int insecure_mode;

void cse_pipeline_set_insecure(int on) {
    atomic_store(&insecure_mode, on ? 1 : 0);
}

/* The resolved target, copied out of the tree. */
typedef struct target {
    char ri[CSE_MAX_ID];
    int ty;
    cse_view_t view, parent_view;
    int has_parent;
} target_t;

static void target_clear(target_t *t) {
    cse_view_clear(&t->view);
    cse_view_clear(&t->parent_view);
}

/* Sets an error response from a plugin's reason (cse_malloc'd, freed here). */
static void plugin_error(cse_response_t *resp, int rsc, char *reason, const char *dflt) {
    cse_response_error(resp, rsc, "%s", reason && reason[0] ? reason : dflt);
    cse_free(reason);
}

/* Keeps a plugin's challenge (cse_malloc'd) for the response of a denial
 * (resp NULL: dropped). */
static void take_challenge(cse_response_t *resp, char *challenge) {
    if (resp && challenge && !resp->www_authenticate)
        resp->www_authenticate = strdup(challenge);
    cse_free(challenge);
}

/* ---- AUTHENTICATE --------------------------------------------------- */

static int authenticate(cse_request_t *req, cse_response_t *resp, int op) {
    int ae_create = req->op == CSE_OP_CREATE && req->ty == CSE_TY_AE;
    req->originator[0] = '\0';
    req->authenticated = 0;
    req->is_admin = 0;
    if (cse_plugin_host_has(CSE_EVT_AUTHENTICATE)) {
        cse_evt_authenticate_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.version = 1;
        ev.sec = &req->sec;
        ev.from = req->has_from ? req->from : NULL;
        ev.operation = op;
        ev.resource_type = req->op == CSE_OP_CREATE ? req->ty : 0;
        ev.to = req->to;
        ev.rqi = req->rqi;
        ev.identity = req->originator;
        ev.identity_cap = sizeof(req->originator);
        int rc = cse_plugin_host_run(CSE_EVT_AUTHENTICATE, &ev);
        req->originator[sizeof(req->originator) - 1] = '\0';
        if (rc != CSE_PLUGIN_OK) {
            plugin_error(resp, ev.rsc ? ev.rsc : CSE_RSC_ORIGINATOR_NOT_AUTHENTICATED, ev.reason,
                         "the originator is not authenticated");
            take_challenge(resp, ev.challenge);
            return -1;
        }
        take_challenge(NULL, ev.challenge);
        cse_free(ev.reason);
        if (!req->originator[0] && req->has_from)
            snprintf(req->originator, sizeof(req->originator), "%s", req->from);
        req->authenticated = ev.authenticated;
        req->is_admin = ev.is_admin;
    } else if (atomic_load(&insecure_mode)) {
        if (req->has_from)
            snprintf(req->originator, sizeof(req->originator), "%s", req->from);
    } else {
        cse_response_error(resp, CSE_RSC_ORIGINATOR_NOT_AUTHENTICATED,
                           "no security plugin authenticates requests");
        return -1;
    }
    if (!req->originator[0] && !ae_create) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "the originator (From) is missing");
        return -1;
    }
    return 0;
}

/* ---- AUTHORIZE ------------------------------------------------------ */

/* Returns 1 (permit) or 0 (deny, *rsc and *reason set; reason is
 * cse_malloc'd or NULL; a challenge goes into resp, which may be NULL). */
static int run_authorize(const cse_request_t *req, int op, int create_ty,
                         const cse_resource_view_t *tv, const cse_resource_view_t *pv,
                         int updates_acpi, int only_acpi, int *rsc, char **reason,
                         cse_response_t *resp) {
    *reason = NULL;
    if (!cse_plugin_host_has(CSE_EVT_AUTHORIZE)) {
        *rsc = CSE_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
        return atomic_load(&insecure_mode);
    }
    cse_evt_authorize_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 1;
    ev.sec = &req->sec;
    ev.originator = req->originator;
    ev.authenticated = req->authenticated;
    ev.is_admin = req->is_admin;
    ev.operation = op;
    ev.create_ty = create_ty;
    ev.target = tv;
    ev.parent = pv;
    ev.rqi = req->rqi;
    ev.updates_acpi = updates_acpi;
    ev.updates_only_acpi = only_acpi;
    int rc = cse_plugin_host_run(CSE_EVT_AUTHORIZE, &ev);
    take_challenge(rc == CSE_PLUGIN_OK ? NULL : resp, ev.challenge);
    *reason = ev.reason;
    *rsc = ev.rsc ? ev.rsc : CSE_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
    return rc == CSE_PLUGIN_OK;
}

static int authorize(const cse_request_t *req, cse_response_t *resp, int op, int create_ty,
                     const target_t *t, int updates_acpi, int only_acpi) {
    int rsc;
    char *reason;
    int ok = run_authorize(req, op, create_ty, &t->view.v, t->has_parent ? &t->parent_view.v : NULL,
                           updates_acpi, only_acpi, &rsc, &reason, resp);
    resp->authorized = ok;
    const char *why = reason ? reason
                      : ok
                          ? (cse_plugin_host_has(CSE_EVT_AUTHORIZE) ? "permitted" : "insecure mode")
                          : "no security plugin authorized the request";
    snprintf(resp->decision, sizeof(resp->decision), "%s", why);
    if (ok) {
        cse_free(reason);
        return 0;
    }
    plugin_error(resp, rsc, reason, "the originator has no privilege");
    return -1;
}

/* ---- target resolution ---------------------------------------------- */

static int find_target(const cse_request_t *req, cse_response_t *resp, target_t *t, int64_t now) {
    cse_res_t *r;
    int virt;
    char err[320];
    int views = cse_plugin_host_has(CSE_EVT_AUTHORIZE);
    cse_tree_rdlock();
    int rsc = cse_address_resolve(req->to, now, &r, &virt, err, sizeof(err));
    if (rsc == 0) {
        snprintf(t->ri, sizeof(t->ri), "%s", r->ri);
        t->ty = r->ty;
        if (views) {
            cse_view_fill(&t->view, r);
            if (r->parent) {
                cse_view_fill(&t->parent_view, r->parent);
                t->has_parent = 1;
            }
        }
    }
    cse_tree_unlock();
    if (rsc)
        cse_response_error(resp, rsc, "%s", err);
    return rsc;
}

/* Lock held: the target again (it may have gone while unlocked). */
static cse_res_t *refind(const target_t *t, int64_t now, cse_response_t *resp) {
    cse_res_t *r = cse_tree_by_ri(t->ri);
    if (!r || cse_res_expired(r, now)) {
        cse_response_error(resp, CSE_RSC_NOT_FOUND, "resource %s not found", t->ri);
        return NULL;
    }
    return r;
}

/* Parses a CREATE/UPDATE body {"m2m:xx":{...}}; returns the inner object
 * (owned by *doc) and the wrapper name, or NULL with an error set. */
static json_t *parse_body(const cse_request_t *req, cse_response_t *resp, json_t **doc,
                          const char **wrapper) {
    json_error_t jerr;
    *doc = NULL;
    if (!req->body || req->body_len == 0) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "the request has no content");
        return NULL;
    }
    *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*doc) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "invalid JSON: %s", jerr.text);
        return NULL;
    }
    json_t *inner;
    if (!json_is_object(*doc) || json_object_size(*doc) != 1) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST,
                           "the content must be one resource {\"m2m:<type>\":{...}}");
        return NULL;
    }
    void *it = json_object_iter(*doc);
    *wrapper = json_object_iter_key(it);
    inner = json_object_iter_value(it);
    if (!json_is_object(inner)) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "%s must be an object", *wrapper);
        return NULL;
    }
    return inner;
}

/* ---- after the write lock ------------------------------------------- */

static void deregister(const cse_txn_t *txn, const char *why) {
    if (!cse_plugin_host_has(CSE_EVT_DEREGISTER_AE))
        return;
    for (size_t i = 0; i < txn->nderegistered; i++) {
        cse_evt_deregister_ae_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.version = 1;
        ev.aei = txn->deregistered[i];
        ev.reason = why;
        cse_plugin_host_run(CSE_EVT_DEREGISTER_AE, &ev);
    }
}

/* Write lock held, change applied: queue, unlock, wait until durable. */
static int commit_and_wait(cse_txn_t *txn, cse_response_t *resp) {
    cse_commit_submit(txn);
    cse_tree_unlock();
    if (cse_commit_wait(txn) != 0) {
        cse_response_error(resp, CSE_RSC_INTERNAL_SERVER_ERROR,
                           "the change could not be stored durably and was undone");
        return -1;
    }
    return 0;
}

static void set_body(cse_response_t *resp, char *body, size_t len) {
    free(resp->body);
    resp->body = body;
    resp->body_len = body ? len : 0;
}

/* ---- CREATE ---------------------------------------------------------- */

/* AE registration checks before the resource exists (TS-0004 §7.4.5.2.1). */
static int register_ae(cse_request_t *req, cse_response_t *resp, const target_t *t, json_t *inner,
                       char *aei, size_t cap) {
    char err[256];
    if (t->ty != CSE_TY_CSEBASE) {
        cse_response_error(resp, CSE_RSC_INVALID_CHILD_RESOURCE_TYPE,
                           "an AE can only be registered under the CSEBase");
        return -1;
    }
    int rsc = cse_validate_attrs(&cse_rtype_ae, inner, CSE_OP_CREATE, err, sizeof(err));
    if (!rsc) {
        const char *api = json_string_value(json_object_get(inner, "api"));
        if (cse_ae_check_api(api, req->rvi, err, sizeof(err)) != 0)
            rsc = CSE_RSC_BAD_REQUEST;
    }
    if (!rsc)
        rsc = cse_ae_assign_id(req->has_from ? req->from : NULL, cse_host_cse_id(), aei, cap, err,
                               sizeof(err));
    if (rsc) {
        cse_response_error(resp, rsc, "%s", err);
        return -1;
    }
    cse_tree_rdlock();
    const char *rn = json_string_value(json_object_get(inner, "rn"));
    cse_res_t *root = cse_tree_root();
    char path[CSE_MAX_PATH];
    snprintf(path, sizeof(path), "%s/%s", root ? root->path : "", rn ? rn : aei);
    int exists = cse_tree_by_ri(aei) != NULL, dup = cse_tree_by_path(path, strlen(path)) != NULL;
    cse_tree_unlock();
    if (exists) {
        cse_response_error(resp, CSE_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED,
                           "an AE with AE-ID %s is already registered", aei);
        return -1;
    }
    if (dup) {
        cse_response_error(resp, CSE_RSC_CONFLICT, "a resource named %s already exists",
                           rn ? rn : aei);
        return -1;
    }
    if (!cse_plugin_host_has(CSE_EVT_REGISTER_AE) && atomic_load(&insecure_mode))
        return 0;
    cse_evt_register_ae_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 1;
    ev.sec = &req->sec;
    ev.from = req->has_from ? req->from : NULL;
    ev.aei = aei;
    ev.api = json_string_value(json_object_get(inner, "api"));
    ev.rn = rn;
    ev.authenticated = req->authenticated;
    int rc = cse_plugin_host_run(CSE_EVT_REGISTER_AE, &ev);
    resp->authorized = rc == CSE_PLUGIN_OK;
    snprintf(resp->decision, sizeof(resp->decision), "%s",
             ev.reason             ? ev.reason
             : rc == CSE_PLUGIN_OK ? "registration permitted"
                                   : "registration refused");
    if (rc != CSE_PLUGIN_OK) {
        plugin_error(resp, ev.rsc ? ev.rsc : CSE_RSC_APP_RULE_VALIDATION_FAILED, ev.reason,
                     "the AE registration was refused");
        return -1;
    }
    cse_free(ev.reason);
    return 0;
}

static void do_create(cse_request_t *req, cse_response_t *resp, int rcn, int64_t now) {
    json_t *doc;
    const char *wrapper;
    target_t t;
    char aei[80] = "";
    memset(&t, 0, sizeof(t));
    json_t *inner = parse_body(req, resp, &doc, &wrapper);
    if (!inner)
        goto out;
    const cse_rtype_t *type = cse_rtype_find(req->ty);
    if (!type) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "unsupported resource type %d", req->ty);
        goto out;
    }
    if (strcmp(wrapper, type->wrapper) != 0) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "content %s does not match ty %d (%s)",
                           wrapper, req->ty, type->wrapper);
        goto out;
    }
    if (find_target(req, resp, &t, now))
        goto out;
    if (req->ty == CSE_TY_AE) {
        if (register_ae(req, resp, &t, inner, aei, sizeof(aei)))
            goto out;
    } else if (authorize(req, resp, CSE_OP_CREATE, req->ty, &t, 0, 0)) {
        goto out;
    }

    cse_txn_t txn;
    cse_op_t op;
    cse_txn_init(&txn);
    memset(&op, 0, sizeof(op));
    op.ty = req->ty;
    op.originator = aei[0] ? aei : req->originator;
    op.rvi = req->rvi;
    op.body = inner;
    op.txn = &txn;
    op.aei = aei[0] ? aei : NULL;
    cse_commit_begin();
    cse_tree_wrlock();
    cse_op_stamp(&op);
    op.target = refind(&t, op.now_us, resp);
    int rsc = op.target ? cse_handler_create(&op) : CSE_RSC_NOT_FOUND;
    if (rsc) {
        cse_txn_undo(&txn);
        cse_tree_unlock();
        cse_commit_abandon();
        if (op.target)
            cse_response_error(resp, rsc, "%s", op.err);
        cse_txn_finish(&txn);
        goto out;
    }
    size_t len;
    json_t *assigned = NULL;
    if (rcn == CSE_RCN_MODIFIED_ATTRIBUTES) {
        json_t *all = cse_res_attrs(op.res);
        assigned = cse_result_assigned(all, inner);
        json_decref(all);
    }
    char *body = cse_result_single(op.res, rcn, assigned, &len);
    json_decref(assigned);
    snprintf(resp->location, sizeof(resp->location), "/%s", op.res->path);
    if (commit_and_wait(&txn, resp) == 0) {
        resp->rsc = CSE_RSC_CREATED;
        set_body(resp, body, len);
        snprintf(resp->aei, sizeof(resp->aei), "%s", aei);
    } else {
        free(body);
        resp->location[0] = '\0';
    }
    cse_txn_finish(&txn);
out:
    target_clear(&t);
    json_decref(doc);
}

/* ---- RETRIEVE and discovery ----------------------------------------- */

/* Keeps the candidates the originator may see (op), then applies ofst
 * (1-based) and lim, preserving order. */
static void authorize_found(const cse_request_t *req, int op, cse_found_list_t *found) {
    int check = cse_plugin_host_has(CSE_EVT_AUTHORIZE);
    size_t skip = req->q.ofst > 1 ? (size_t)req->q.ofst - 1 : 0;
    size_t lim = req->q.lim >= 0 ? (size_t)req->q.lim : (size_t)-1;
    size_t keep = 0;
    for (size_t i = 0; i < found->n; i++) {
        cse_found_t *f = &found->items[i];
        int ok = keep < lim;
        if (ok && check) {
            int rsc;
            char *reason = NULL;
            ok = run_authorize(req, op, 0, &f->view.v, NULL, 0, 0, &rsc, &reason, NULL);
            cse_free(reason);
        }
        if (ok && skip > 0) {
            skip--;
            ok = 0;
        }
        if (ok)
            found->items[keep++] = *f;
        else
            cse_found_clear(f);
    }
    found->n = keep;
}

static void do_retrieve(cse_request_t *req, cse_response_t *resp, int op, int rcn, int64_t now) {
    target_t t;
    cse_filter_t filter;
    cse_found_list_t found = {NULL, 0, 0};
    char err[128];
    memset(&t, 0, sizeof(t));
    int listing = op == CSE_OP_DISCOVERY || rcn == CSE_RCN_ATTRIBUTES_CHILD_RESOURCES ||
                  rcn == CSE_RCN_ATTRIBUTES_CHILD_RESOURCE_REFS ||
                  rcn == CSE_RCN_CHILD_RESOURCE_REFS || rcn == CSE_RCN_CHILD_RESOURCES;
    if (listing && cse_filter_from_query(&filter, &req->q, err, sizeof(err)) != 0) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "%s", err);
        return;
    }
    if (find_target(req, resp, &t, now) || authorize(req, resp, op, 0, &t, 0, 0))
        goto out;
    cse_tree_rdlock();
    cse_res_t *r = refind(&t, now, resp);
    if (!r) {
        cse_tree_unlock();
        goto out;
    }
    cse_buf_t *json = cse_res_json(r);
    int ty = r->ty;
    if (listing) {
        int flags = (rcn == CSE_RCN_ATTRIBUTES_CHILD_RESOURCES || rcn == CSE_RCN_CHILD_RESOURCES
                         ? CSE_FOUND_JSON
                         : 0) |
                    (cse_plugin_host_has(CSE_EVT_AUTHORIZE) ? CSE_FOUND_VIEW : 0);
        size_t max = CSE_DISCOVERY_MAX;
        if (!(flags & CSE_FOUND_VIEW) && req->q.lim >= 0)
            max = (size_t)req->q.lim + (size_t)(req->q.ofst > 1 ? req->q.ofst - 1 : 0);
        cse_discovery_collect(r, &filter, now, flags,
                              max < CSE_DISCOVERY_MAX ? max : CSE_DISCOVERY_MAX, &found);
    }
    cse_tree_unlock();
    if (!json) {
        cse_response_error(resp, CSE_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        goto out;
    }
    size_t len = 0;
    char *body;
    if (listing) {
        authorize_found(req, op == CSE_OP_DISCOVERY ? CSE_OP_DISCOVERY : CSE_OP_RETRIEVE, &found);
        body = cse_result_listing(json, ty, rcn, op == CSE_OP_DISCOVERY, req->q.drt, &found, &len);
    } else {
        body = malloc(json->len + 1);
        if (body) {
            memcpy(body, json->data, json->len + 1);
            len = json->len;
        }
    }
    cse_buf_unref(json);
    if (!body) {
        cse_response_error(resp, CSE_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        goto out;
    }
    resp->rsc = CSE_RSC_OK;
    set_body(resp, body, len);
out:
    cse_found_list_clear(&found);
    target_clear(&t);
}

/* ---- UPDATE / DELETE ------------------------------------------------- */

static void do_update(cse_request_t *req, cse_response_t *resp, int rcn, int64_t now) {
    json_t *doc;
    const char *wrapper;
    target_t t;
    memset(&t, 0, sizeof(t));
    json_t *inner = parse_body(req, resp, &doc, &wrapper);
    if (!inner || find_target(req, resp, &t, now))
        goto out;
    int only_acpi = json_object_get(inner, "acpi") && json_object_size(inner) == 1;
    if (authorize(req, resp, CSE_OP_UPDATE, 0, &t, json_object_get(inner, "acpi") != NULL,
                  only_acpi))
        goto out;

    cse_txn_t txn;
    cse_op_t op;
    cse_txn_init(&txn);
    memset(&op, 0, sizeof(op));
    op.originator = req->originator;
    op.rvi = req->rvi;
    op.body = inner;
    op.txn = &txn;
    cse_commit_begin();
    cse_tree_wrlock();
    cse_op_stamp(&op);
    op.target = refind(&t, op.now_us, resp);
    int rsc = 0;
    if (!op.target) {
        rsc = CSE_RSC_NOT_FOUND;
    } else {
        const cse_rtype_t *type = cse_rtype_find(op.target->ty);
        op.ty = op.target->ty;
        if (type && type->updatable && strcmp(wrapper, type->wrapper) != 0)
            rsc = cse_op_fail(&op, CSE_RSC_BAD_REQUEST, "content %s does not match the target (%s)",
                              wrapper, type->wrapper);
        else
            rsc = cse_handler_update(&op);
        if (rsc)
            cse_response_error(resp, rsc, "%s", op.err);
    }
    if (rsc) {
        cse_txn_undo(&txn);
        cse_tree_unlock();
        cse_commit_abandon();
        cse_txn_finish(&txn);
        json_decref(op.modified);
        goto out;
    }
    size_t len;
    char *body = cse_result_single(op.target, rcn, op.modified, &len);
    if (commit_and_wait(&txn, resp) == 0) {
        resp->rsc = CSE_RSC_UPDATED;
        set_body(resp, body, len);
    } else {
        free(body);
    }
    cse_txn_finish(&txn);
    json_decref(op.modified);
out:
    target_clear(&t);
    json_decref(doc);
}

static void do_delete(cse_request_t *req, cse_response_t *resp, int rcn, int64_t now) {
    target_t t;
    memset(&t, 0, sizeof(t));
    if (find_target(req, resp, &t, now) || authorize(req, resp, CSE_OP_DELETE, 0, &t, 0, 0))
        goto out;
    cse_txn_t txn;
    cse_op_t op;
    cse_txn_init(&txn);
    memset(&op, 0, sizeof(op));
    op.originator = req->originator;
    op.txn = &txn;
    cse_commit_begin();
    cse_tree_wrlock();
    cse_op_stamp(&op);
    op.target = refind(&t, op.now_us, resp);
    if (!op.target) {
        cse_tree_unlock();
        cse_commit_abandon();
        goto out;
    }
    size_t len = 0;
    char *body = rcn == CSE_RCN_ATTRIBUTES ? cse_result_single(op.target, rcn, NULL, &len) : NULL;
    int rsc = cse_handler_delete(&op);
    if (rsc) {
        cse_txn_undo(&txn);
        cse_tree_unlock();
        cse_commit_abandon();
        cse_txn_finish(&txn);
        free(body);
        cse_response_error(resp, rsc, "%s", op.err);
        goto out;
    }
    if (commit_and_wait(&txn, resp) == 0) {
        resp->rsc = CSE_RSC_DELETED;
        set_body(resp, body, len);
        deregister(&txn, "delete");
    } else {
        free(body);
    }
    cse_txn_finish(&txn);
out:
    target_clear(&t);
}

/* ---- ACCOUNTING ------------------------------------------------------ */

static const char *authn_method(const cse_request_t *req) {
    if (!req->authenticated)
        return atomic_load(&insecure_mode) ? "insecure" : "none";
    switch (req->sec.assoc_method) {
    case CSE_ASSOC_TLS_PSK:
        return "tls-psk";
    case CSE_ASSOC_TLS_CERT:
        return "tls-cert";
    case CSE_ASSOC_DTLS_PSK:
        return "dtls-psk";
    case CSE_ASSOC_DTLS_CERT:
        return "dtls-cert";
    default:
        return req->sec.bearer_token ? "bearer" : req->sec.onem2m_tokens ? "token" : "plugin";
    }
}

static void account(const cse_request_t *req, const cse_response_t *resp, int op) {
    if (!cse_plugin_host_has(CSE_EVT_ACCOUNTING))
        return;
    cse_evt_accounting_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.kind = CSE_ACCT_REQUEST;
    ev.sec = &req->sec;
    ev.originator = req->originator[0] ? req->originator : (req->has_from ? req->from : "");
    ev.authn_method = authn_method(req);
    ev.operation = op;
    ev.to = req->to;
    ev.rqi = req->rqi;
    ev.rsc = resp->rsc;
    ev.authorized = resp->authorized;
    ev.decision_reason = resp->decision[0] ? resp->decision : resp->reason ? resp->reason : "";
    ev.bytes_in = req->body_len;
    ev.bytes_out = resp->body_len;
    if (resp->rsc == CSE_RSC_CREATED && resp->aei[0])
        ev.aei = resp->aei; /* an AE registration: the plugin may account it */
    cse_plugin_host_run(CSE_EVT_ACCOUNTING, &ev);
}

/* ---- the pipeline ---------------------------------------------------- */

void cse_pipeline_handle(cse_request_t *req, cse_response_t *resp) {
    int op = req->op == CSE_OP_RETRIEVE && req->q.fu == 1 ? CSE_OP_DISCOVERY : req->op;
    int64_t now = cse_clock_now_us();
    resp->rsc = 0;
    resp->authorized = -1;
    if (atomic_load(&insecure_mode))
        cse_log(CSE_LOG_WARN, "insecure mode: request rqi=%s from=%s op=%d to=%s is not secured",
                req->rqi, req->has_from ? req->from : "-", req->op, req->to);
    if (authenticate(req, resp, op) != 0)
        goto done;
    if (req->rvi[0] && !cse_release_supported(req->rvi)) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "release version %s is not supported",
                           req->rvi);
        goto done;
    }
    int rcn = cse_result_rcn(op, req->q.rcn);
    if (rcn < 0) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "rcn %d is not allowed for this operation",
                           req->q.rcn);
        goto done;
    }
    if (req->q.fu != -1 && req->q.fu != 1 && req->q.fu != 2) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "fu must be 1 or 2");
        goto done;
    }
    if (req->q.drt != -1 && req->q.drt != 1 && req->q.drt != 2) {
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "drt must be 1 or 2");
        goto done;
    }
    switch (req->op) {
    case CSE_OP_CREATE:
        do_create(req, resp, rcn, now);
        break;
    case CSE_OP_RETRIEVE:
        do_retrieve(req, resp, op, rcn, now);
        break;
    case CSE_OP_UPDATE:
        do_update(req, resp, rcn, now);
        break;
    case CSE_OP_DELETE:
        do_delete(req, resp, rcn, now);
        break;
    case CSE_OP_NOTIFY:
        cse_response_error(resp, CSE_RSC_OPERATION_NOT_ALLOWED,
                           "NOTIFY is not accepted by this CSE's resources");
        break;
    default:
        cse_response_error(resp, CSE_RSC_BAD_REQUEST, "unknown operation %d", req->op);
        break;
    }
done:
    if (!resp->rsc)
        cse_response_error(resp, CSE_RSC_INTERNAL_SERVER_ERROR, "no response was produced");
    account(req, resp, op);
}
