#include "cse/resources/handler.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cse/core/rsc.h"
#include "cse/plugin.h"
#include "cse/resources/validator.h"

void cse_op_stamp(cse_op_t *op) {
    /* Strictly increasing under the write lock: creation times order the
     * resources exactly as they were created, also after a restart. */
    static int64_t last_us;
    op->now_us = cse_clock_now_us();
    if (op->now_us <= last_us)
        op->now_us = last_us + 1;
    last_us = op->now_us;
    cse_clock_format(op->now_us, op->now, sizeof(op->now));
}

void cse_handler_new_id(const char *prefix, char *buf, size_t cap) {
    static atomic_uint_fast64_t counter;
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint64_t v = atomic_fetch_add(&counter, 1);
    if (v == 0) {
        /* First use: start from the clock so identifiers differ across restarts. */
        uint64_t seed = (uint64_t)cse_clock_now_us() * 16;
        uint_fast64_t expected = 1;
        atomic_compare_exchange_strong(&counter, &expected, seed);
        v = atomic_fetch_add(&counter, 1);
    }
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = digits[v % 36];
        v /= 36;
    } while (v && n < (int)sizeof(tmp));
    size_t pl = strlen(prefix);
    if (pl + (size_t)n + 1 > cap) {
        buf[0] = '\0';
        return;
    }
    memcpy(buf, prefix, pl);
    for (int i = 0; i < n; i++)
        buf[pl + i] = tmp[n - 1 - i];
    buf[pl + n] = '\0';
}

int cse_handler_check_rn(const char *rn, char *err, size_t cap) {
    size_t n = strlen(rn);
    if (n == 0 || n > 255) {
        snprintf(err, cap, "rn must have 1 to 255 characters");
        return -1;
    }
    if (strcmp(rn, "la") == 0 || strcmp(rn, "ol") == 0 || strcmp(rn, ".") == 0 ||
        strcmp(rn, "..") == 0) {
        snprintf(err, cap, "rn '%s' is reserved", rn);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)rn; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || strchr("/?#%\"\\", *p)) {
            snprintf(err, cap, "rn contains a character that is not allowed");
            return -1;
        }
    }
    return 0;
}

/* Resolves acpi entries (ri or structured path) to ACP ri. Returns a new
 * array or NULL with a reason. */
static json_t *resolve_acpi(cse_op_t *op, json_t *acpi, int *rsc) {
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(acpi, i, e) {
        const char *id = json_string_value(e);
        cse_res_t *a = cse_tree_by_ri(id);
        if (!a) {
            const char *p = id[0] == '/' ? id + 1 : id;
            a = cse_tree_by_path(p, strlen(p));
        }
        if (!a || a->ty != CSE_TY_ACP) {
            *rsc = cse_op_fail(op, CSE_RSC_BAD_REQUEST,
                               "acpi entry %s is not an existing accessControlPolicy", id);
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_string(a->ri));
    }
    return out;
}

static int check_et(cse_op_t *op, json_t *et) {
    int64_t us;
    if (et && json_is_string(et) && cse_clock_parse(json_string_value(et), &us) == 0 &&
        us <= op->now_us)
        return cse_op_fail(op, CSE_RSC_BAD_REQUEST, "et %s is in the past", json_string_value(et));
    return 0;
}

static int parent_allowed(const cse_rtype_t *t, int parent_ty) {
    for (const int *p = t->parents; p && *p; p++)
        if (*p == parent_ty)
            return 1;
    return 0;
}

/* Copies the request attributes into op->attrs (acpi resolved, nulls and
 * cr skipped). */
static int copy_body(cse_op_t *op, const cse_rtype_t *t) {
    const char *k;
    json_t *v;
    json_object_foreach(op->body, k, v) {
        if (json_is_null(v) || strcmp(k, "rn") == 0 || strcmp(k, "cr") == 0)
            continue;
        if (t->has_acpi && strcmp(k, "acpi") == 0) {
            int rsc = 0;
            json_t *a = resolve_acpi(op, v, &rsc);
            if (!a)
                return rsc;
            json_object_set_new(op->attrs, k, a);
            continue;
        }
        json_object_set(op->attrs, k, v);
    }
    return 0;
}

int cse_handler_create(cse_op_t *op) {
    const cse_rtype_t *t = cse_rtype_find(op->ty);
    cse_res_t *parent = op->target;
    int rsc;
    if (!t)
        return cse_op_fail(op, CSE_RSC_BAD_REQUEST, "unsupported resource type %d", op->ty);
    if (!t->parents)
        return cse_op_fail(op, CSE_RSC_OPERATION_NOT_ALLOWED, "%s cannot be created", t->wrapper);
    if (!parent_allowed(t, parent->ty))
        return cse_op_fail(op, CSE_RSC_INVALID_CHILD_RESOURCE_TYPE, "%s cannot be a child of %s",
                           t->wrapper, cse_rtype_wrapper(parent->ty));
    if ((rsc = cse_validate_attrs(t, op->body, CSE_OP_CREATE, op->err, sizeof(op->err))))
        return rsc;
    if ((rsc = check_et(op, json_object_get(op->body, "et"))))
        return rsc;

    char ri[80];
    if (op->aei)
        snprintf(ri, sizeof(ri), "%s", op->aei);
    else
        cse_handler_new_id(t->prefix, ri, sizeof(ri));
    const char *rn = json_string_value(json_object_get(op->body, "rn"));
    if (rn && cse_handler_check_rn(rn, op->err, sizeof(op->err)) != 0)
        return CSE_RSC_BAD_REQUEST;
    if (!rn)
        rn = ri;
    char path[CSE_MAX_PATH];
    int pl = snprintf(path, sizeof(path), "%s/%s", parent->path, rn);
    if (pl < 0 || (size_t)pl >= sizeof(path))
        return cse_op_fail(op, CSE_RSC_BAD_REQUEST, "the resource path would be too long");
    if (cse_tree_by_path(path, (size_t)pl))
        return cse_op_fail(op, CSE_RSC_CONFLICT, "a resource named %s already exists under %s", rn,
                           parent->path);
    if (cse_tree_by_ri(ri))
        return cse_op_fail(op,
                           op->aei ? CSE_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED : CSE_RSC_CONFLICT,
                           "resource %s already exists", ri);

    char et[CSE_TIME_LEN];
    cse_clock_format(op->now_us + CSE_DEFAULT_ET_SECONDS * 1000000, et, sizeof(et));
    op->attrs = json_object();
    json_object_set_new(op->attrs, "ty", json_integer(t->ty));
    json_object_set_new(op->attrs, "ri", json_string(ri));
    json_object_set_new(op->attrs, "rn", json_string(rn));
    json_object_set_new(op->attrs, "pi", json_string(parent->ri));
    json_object_set_new(op->attrs, "ct", json_string(op->now));
    json_object_set_new(op->attrs, "lt", json_string(op->now));
    json_object_set_new(op->attrs, "et", json_string(et));
    if ((rsc = copy_body(op, t)))
        goto fail;
    if (t->has_cr && json_object_get(op->body, "cr"))
        json_object_set_new(op->attrs, "cr",
                            json_string(op->aei          ? op->aei
                                        : op->originator ? op->originator
                                                         : ""));
    if (t->create && (rsc = t->create(op)))
        goto fail;
    op->res = cse_res_new(t->ty, ri, rn, op->attrs);
    op->attrs = NULL;
    if (cse_txn_add(op->txn, parent, op->res) != 0) {
        cse_res_free(op->res);
        op->res = NULL;
        return cse_op_fail(op, CSE_RSC_CONFLICT, "resource %s already exists", ri);
    }
    if (t->added && (rsc = t->added(op)))
        return rsc; /* the caller undoes the transaction */
    return 0;
fail:
    json_decref(op->attrs);
    op->attrs = NULL;
    return rsc;
}

int cse_handler_update(cse_op_t *op) {
    const cse_rtype_t *t = cse_rtype_find(op->target->ty);
    cse_res_t *r = op->target;
    int rsc;
    if (!t || !t->updatable)
        return cse_op_fail(op, CSE_RSC_OPERATION_NOT_ALLOWED, "%s cannot be updated",
                           cse_rtype_wrapper(r->ty));
    if ((rsc = cse_validate_attrs(t, op->body, CSE_OP_UPDATE, op->err, sizeof(op->err))))
        return rsc;
    if ((rsc = check_et(op, json_object_get(op->body, "et"))))
        return rsc;
    json_t *acpi = NULL;
    json_t *given = json_object_get(op->body, "acpi");
    if (given && !json_is_null(given) && !(acpi = resolve_acpi(op, given, &rsc)))
        return rsc;
    if (t->update && (rsc = t->update(op))) {
        json_decref(acpi);
        return rsc;
    }

    cse_txn_modify(op->txn, r);
    op->modified = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(op->body, k, v) {
        if (json_is_null(v)) {
            json_object_del(r->attrs, k);
        } else if (acpi && strcmp(k, "acpi") == 0) {
            json_object_set(r->attrs, k, acpi);
            v = acpi;
        } else {
            json_object_set(r->attrs, k, v);
        }
        json_object_set(op->modified, k, v);
    }
    json_decref(acpi);
    json_object_set_new(r->attrs, "lt", json_string(op->now));
    if (t->has_st) {
        json_int_t st = json_integer_value(json_object_get(r->attrs, "st")) + 1;
        json_object_set_new(r->attrs, "st", json_integer(st));
    }
    if (t->updated && (rsc = t->updated(op)))
        return rsc;
    cse_txn_changed(op->txn, r, 1);
    return 0;
}

int cse_handler_delete(cse_op_t *op) {
    const cse_rtype_t *t = cse_rtype_find(op->target->ty);
    if (!t || !t->deletable)
        return cse_op_fail(op, CSE_RSC_OPERATION_NOT_ALLOWED, "%s cannot be deleted",
                           cse_rtype_wrapper(op->target->ty));
    cse_res_t *parent = op->target->parent;
    cse_txn_remove(op->txn, op->target);
    if (t->removed) {
        cse_res_t *saved = op->target;
        op->res = parent; /* the hook may need the former parent */
        t->removed(op);
        op->target = saved;
    }
    return 0;
}
