#include "cse/resources/container.h"

#include <string.h>

#include "cse/core/rsc.h"
#include "cse/resources/rtype.h"
#include "cse/resources/validator.h"

static const cse_attr_rule_t rules[] = {
    {"mni", CSE_AK_NNINT, CSE_AU_O, CSE_AU_O},   {"mbs", CSE_AK_NNINT, CSE_AU_O, CSE_AU_O},
    {"mia", CSE_AK_NNINT, CSE_AU_O, CSE_AU_O},   {"cni", CSE_AK_NNINT, CSE_AU_NP, CSE_AU_NP},
    {"cbs", CSE_AK_NNINT, CSE_AU_NP, CSE_AU_NP}, {"li", CSE_AK_STR, CSE_AU_O, CSE_AU_O},
    {"or", CSE_AK_STR, CSE_AU_O, CSE_AU_O},      {NULL, 0, 0, 0},
};

static const int parents[] = {CSE_TY_CSEBASE, CSE_TY_AE, CSE_TY_CNT, 0};

cse_res_t *cse_container_oldest(cse_res_t *cnt) {
    for (cse_res_t *c = cnt->first; c; c = c->next)
        if (c->ty == CSE_TY_CIN)
            return c;
    return NULL;
}

cse_res_t *cse_container_latest(cse_res_t *cnt) {
    for (cse_res_t *c = cnt->last; c; c = c->prev)
        if (c->ty == CSE_TY_CIN)
            return c;
    return NULL;
}

static json_int_t geti(cse_res_t *r, const char *k, json_int_t dflt) {
    json_t *v = json_object_get(r->attrs, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

void cse_container_enforce(cse_txn_t *txn, cse_res_t *cnt, int64_t now_us, int *touched) {
    json_int_t mni = geti(cnt, "mni", -1), mbs = geti(cnt, "mbs", -1), mia = geti(cnt, "mia", -1);
    json_int_t cni = geti(cnt, "cni", 0), cbs = geti(cnt, "cbs", 0);
    int removed = 0;
    for (;;) {
        cse_res_t *old = cse_container_oldest(cnt);
        if (!old)
            break;
        int too_old = mia >= 0 && old->ct_us + (int64_t)mia * 1000000 <= now_us;
        if (!(mni >= 0 && cni > mni) && !(mbs >= 0 && cbs > mbs) && !too_old)
            break;
        if (!removed && !(touched && *touched))
            cse_txn_modify(txn, cnt);
        cni--;
        cbs -= old->cs;
        cse_txn_remove(txn, old);
        removed = 1;
    }
    if (removed) {
        json_object_set_new(cnt->attrs, "cni", json_integer(cni));
        json_object_set_new(cnt->attrs, "cbs", json_integer(cbs < 0 ? 0 : cbs));
        if (touched)
            *touched = 1;
    }
}

void cse_container_recount(cse_res_t *cnt) {
    json_int_t cni = 0, cbs = 0;
    long st = cnt->st;
    for (cse_res_t *c = cnt->first; c; c = c->next) {
        if (c->ty != CSE_TY_CIN)
            continue;
        cni++;
        cbs += c->cs;
        if (c->st > st)
            st = c->st;
    }
    json_object_set_new(cnt->attrs, "cni", json_integer(cni));
    json_object_set_new(cnt->attrs, "cbs", json_integer(cbs));
    json_object_set_new(cnt->attrs, "st", json_integer(st));
    cse_res_sync(cnt);
}

static int cnt_create(cse_op_t *op) {
    json_object_set_new(op->attrs, "st", json_integer(0));
    json_object_set_new(op->attrs, "cni", json_integer(0));
    json_object_set_new(op->attrs, "cbs", json_integer(0));
    return 0;
}

/* A shorter mia also shortens the life of the instances that remain. */
static void apply_mia(cse_op_t *op, json_int_t mia) {
    for (cse_res_t *c = op->target->first; c; c = c->next) {
        if (c->ty != CSE_TY_CIN)
            continue;
        int64_t limit = c->ct_us + (int64_t)mia * 1000000;
        if (c->et_us && c->et_us <= limit)
            continue;
        char et[CSE_TIME_LEN];
        cse_clock_format(limit, et, sizeof(et));
        cse_txn_modify(op->txn, c);
        json_object_set_new(c->attrs, "et", json_string(et));
        cse_txn_changed(op->txn, c, 1);
    }
}

static int cnt_updated(cse_op_t *op) {
    int touched = 1; /* already snapshotted by the generic update */
    cse_container_enforce(op->txn, op->target, op->now_us, &touched);
    json_t *mia = json_object_get(op->body, "mia");
    if (json_is_integer(mia))
        apply_mia(op, json_integer_value(mia));
    return 0;
}

const cse_rtype_t cse_rtype_cnt = {
    .ty = CSE_TY_CNT,
    .wrapper = "m2m:cnt",
    .prefix = "cnt",
    .rules = rules,
    .parents = parents,
    .updatable = 1,
    .deletable = 1,
    .has_acpi = 1,
    .has_cr = 1,
    .has_st = 1,
    .create = cnt_create,
    .updated = cnt_updated,
};
