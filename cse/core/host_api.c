/* The resource part of the host API (include/cse/host.h) offered to plugins. */
#include <stdio.h>
#include <string.h>

#include "cse/core/address.h"
#include "cse/core/clock.h"
#include "cse/core/commit.h"
#include "cse/core/cse.h"
#include "cse/core/rsc.h"
#include "cse/core/tree.h"
#include "cse/host.h"
#include "cse/resources/handler.h"
#include "cse/resources/rtype.h"

const char *cse_host_cse_id(void) {
    const cse_config_t *cfg = cse_core_config();
    return cfg ? cfg->cse_id : "";
}

const char *cse_host_resource_name(void) {
    const cse_config_t *cfg = cse_core_config();
    return cfg ? cfg->resource_name : "";
}

const char *cse_host_sp_id(void) {
    const cse_config_t *cfg = cse_core_config();
    return cfg ? cfg->sp_id : "";
}

const char *cse_host_store_path(void) {
    cse_store_t *st = cse_core_store();
    if (st)
        return cse_store_path(st);
    const cse_config_t *cfg = cse_core_config();
    return cfg ? cfg->store_path : "";
}

/* Lock held: a resource by ri, or by structured path as a convenience. */
static cse_res_t *lookup(const char *id) {
    cse_res_t *r = cse_tree_by_ri(id);
    if (!r) {
        const char *p = id[0] == '/' ? id + 1 : id;
        r = cse_tree_by_path(p, strlen(p));
    }
    return r && !cse_res_expired(r, cse_clock_now_us()) ? r : NULL;
}

int cse_resource_get(const char *ri, uint64_t known_revision, uint64_t *revision, char **json) {
    if (!ri || !cse_core_config())
        return -1;
    if (json)
        *json = NULL;
    cse_tree_rdlock();
    cse_res_t *r = lookup(ri);
    if (!r) {
        cse_tree_unlock();
        return -1;
    }
    if (r->revision == known_revision) {
        cse_tree_unlock();
        return 1;
    }
    if (revision)
        *revision = r->revision;
    cse_buf_t *b = json ? cse_res_json(r) : NULL;
    cse_tree_unlock();
    if (json && b) {
        size_t n = b->len - b->inner_off - 1;
        *json = cse_malloc(n + 1);
        if (*json) {
            memcpy(*json, b->data + b->inner_off, n);
            (*json)[n] = '\0';
        }
    }
    cse_buf_unref(b);
    return json && !*json ? -1 : 0;
}

int cse_resource_apply(const char *parent_path, int ty, const char *rn, const char *json, char *err,
                       size_t err_cap) {
    json_error_t jerr;
    char dummy[1];
    if (!err || !err_cap) {
        err = dummy;
        err_cap = sizeof(dummy);
    }
    if (!cse_core_config()) {
        snprintf(err, err_cap, "the CSE core is not running");
        return CSE_RSC_INTERNAL_SERVER_ERROR;
    }
    if (!parent_path || !rn || !json) {
        snprintf(err, err_cap, "parent_path, rn and json are required");
        return CSE_RSC_BAD_REQUEST;
    }
    json_t *body = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(body)) {
        snprintf(err, err_cap, "invalid JSON: %s", body ? "not an object" : jerr.text);
        json_decref(body);
        return CSE_RSC_BAD_REQUEST;
    }
    json_object_del(body, "rn");
    cse_txn_t txn;
    cse_op_t op;
    cse_txn_init(&txn);
    memset(&op, 0, sizeof(op));
    op.originator = cse_host_cse_id();
    op.rvi = "";
    op.body = body;
    op.txn = &txn;
    op.ty = ty;
    int rsc;
    cse_commit_begin();
    cse_tree_wrlock();
    cse_op_stamp(&op);
    cse_res_t *parent = lookup(parent_path);
    char path[CSE_MAX_PATH];
    snprintf(path, sizeof(path), "%s/%s", parent ? parent->path : "", rn);
    cse_res_t *existing = parent ? cse_tree_by_path(path, strlen(path)) : NULL;
    if (!parent) {
        rsc = cse_op_fail(&op, CSE_RSC_NOT_FOUND, "parent %s not found", parent_path);
    } else if (existing && existing->ty != ty) {
        rsc = cse_op_fail(&op, CSE_RSC_CONFLICT, "%s exists with another resource type", path);
    } else if (existing) {
        op.target = existing;
        rsc = cse_handler_update(&op);
    } else {
        json_object_set_new(body, "rn", json_string(rn));
        op.target = parent;
        rsc = cse_handler_create(&op);
    }
    if (rsc) {
        cse_txn_undo(&txn);
        cse_tree_unlock();
        cse_commit_abandon();
    } else {
        cse_commit_submit(&txn);
        cse_tree_unlock();
        if (cse_commit_wait(&txn) != 0)
            rsc = cse_op_fail(&op, CSE_RSC_INTERNAL_SERVER_ERROR, "the change could not be stored");
    }
    if (rsc)
        snprintf(err, err_cap, "%s", op.err);
    cse_txn_finish(&txn);
    json_decref(op.modified);
    json_decref(body);
    return rsc;
}
