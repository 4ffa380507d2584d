/* The resource part of the host API (include/cse/host.h) offered to plugins. */
#include <stdio.h>
#include <stdlib.h>
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

/* Write lock held: applies one change into txn (create, or update of the
 * child named rn). body is owned by the caller. 0 or an rsc with op->err. */
static int apply_one(const cse_resource_change_t *c, json_t *body, cse_txn_t *txn, cse_op_t *op) {
    memset(op, 0, sizeof(*op));
    op->originator = cse_host_cse_id();
    op->rvi = "";
    op->body = body;
    op->txn = txn;
    op->ty = c->ty;
    cse_op_stamp(op);
    cse_res_t *parent = lookup(c->parent_path);
    char path[CSE_MAX_PATH];
    snprintf(path, sizeof(path), "%s/%s", parent ? parent->path : "", c->rn);
    cse_res_t *existing = parent ? cse_tree_by_path(path, strlen(path)) : NULL;
    if (!parent)
        return cse_op_fail(op, CSE_RSC_NOT_FOUND, "parent %s not found", c->parent_path);
    if (existing && existing->ty != c->ty)
        return cse_op_fail(op, CSE_RSC_CONFLICT, "%s exists with another resource type", path);
    if (existing) {
        op->target = existing;
        return cse_handler_update(op);
    }
    json_object_set_new(body, "rn", json_string(c->rn));
    op->target = parent;
    return cse_handler_create(op);
}

/* Parses the bodies of changes[0..n) into bodies. 0, or an rsc with err
 * and *failed set. */
static int parse_bodies(const cse_resource_change_t *changes, size_t n, json_t **bodies,
                        size_t *failed, char *err, size_t err_cap) {
    for (size_t i = 0; i < n; i++) {
        const cse_resource_change_t *c = &changes[i];
        *failed = i;
        if (!c->parent_path || !c->rn || !c->json) {
            snprintf(err, err_cap, "parent_path, rn and json are required");
            return CSE_RSC_BAD_REQUEST;
        }
        json_error_t jerr;
        bodies[i] = json_loads(c->json, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(bodies[i])) {
            snprintf(err, err_cap, "invalid JSON: %s", bodies[i] ? "not an object" : jerr.text);
            return CSE_RSC_BAD_REQUEST;
        }
        json_object_del(bodies[i], "rn");
    }
    return 0;
}

int cse_resource_apply_all(const cse_resource_change_t *changes, size_t n, size_t *failed,
                           char *err, size_t err_cap) {
    char dummy[1];
    size_t failed_at = 0;
    if (!err || !err_cap) {
        err = dummy;
        err_cap = sizeof(dummy);
    }
    if (!cse_core_config()) {
        snprintf(err, err_cap, "the CSE core is not running");
        return CSE_RSC_INTERNAL_SERVER_ERROR;
    }
    if (n && !changes) {
        snprintf(err, err_cap, "no changes given");
        return CSE_RSC_BAD_REQUEST;
    }
    json_t **bodies = n ? calloc(n, sizeof(*bodies)) : NULL;
    if (n && !bodies) {
        snprintf(err, err_cap, "out of memory");
        return CSE_RSC_INTERNAL_SERVER_ERROR;
    }
    int rsc = parse_bodies(changes, n, bodies, &failed_at, err, err_cap);
    if (!rsc && n) {
        /* One transaction for all: a failure undoes the changes before it,
         * and one commit makes them durable together. */
        cse_txn_t txn;
        cse_op_t op;
        cse_txn_init(&txn);
        cse_commit_begin();
        cse_tree_wrlock();
        for (size_t i = 0; i < n && !rsc; i++) {
            failed_at = i;
            rsc = apply_one(&changes[i], bodies[i], &txn, &op);
            json_decref(op.modified);
            if (rsc)
                snprintf(err, err_cap, "%s", op.err);
        }
        if (rsc) {
            cse_txn_undo(&txn);
            cse_tree_unlock();
            cse_commit_abandon();
        } else {
            cse_commit_submit(&txn);
            cse_tree_unlock();
            if (cse_commit_wait(&txn) != 0) {
                rsc = CSE_RSC_INTERNAL_SERVER_ERROR;
                failed_at = n; /* every change applied; their commit failed */
                snprintf(err, err_cap, "the change could not be stored");
            }
        }
        cse_txn_finish(&txn);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(bodies[i]);
    free(bodies);
    if (failed)
        *failed = rsc ? failed_at : 0;
    return rsc;
}

int cse_resource_apply(const char *parent_path, int ty, const char *rn, const char *json, char *err,
                       size_t err_cap) {
    cse_resource_change_t c = {parent_path, ty, rn, json};
    return cse_resource_apply_all(&c, 1, NULL, err, err_cap);
}
