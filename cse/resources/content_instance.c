/* The <contentInstance> resource (ty 4): immutable, counted by its container. */
#include <string.h>

#include "cse/core/rsc.h"
#include "cse/resources/container.h"
#include "cse/resources/rtype.h"
#include "cse/resources/validator.h"

static const cse_attr_rule_t rules[] = {
    {"cnf", CSE_AK_STR, CSE_AU_O, CSE_AU_NP},  {"cs", CSE_AK_NNINT, CSE_AU_NP, CSE_AU_NP},
    {"con", CSE_AK_ANY, CSE_AU_M, CSE_AU_NP},  {"or", CSE_AK_STR, CSE_AU_O, CSE_AU_NP},
    {"conr", CSE_AK_STR, CSE_AU_O, CSE_AU_NP}, {NULL, 0, 0, 0},
};

static const int parents[] = {CSE_TY_CNT, 0};

/* contentSize: bytes of con (its JSON text when it is not a string). */
static json_int_t content_size(json_t *con) {
    if (json_is_string(con))
        return (json_int_t)json_string_length(con);
    char *s = json_dumps(con, JSON_COMPACT | JSON_ENCODE_ANY);
    json_int_t n = s ? (json_int_t)strlen(s) : 0;
    free(s);
    return n;
}

static int cin_create(cse_op_t *op) {
    cse_res_t *cnt = op->target;
    json_int_t cs = content_size(json_object_get(op->body, "con"));
    json_t *mbs = json_object_get(cnt->attrs, "mbs");
    if (json_is_integer(mbs) && cs > json_integer_value(mbs))
        return cse_op_fail(op, CSE_RSC_NOT_ACCEPTABLE, "content size %lld exceeds mbs %lld",
                           (long long)cs, (long long)json_integer_value(mbs));
    json_object_set_new(op->attrs, "st", json_integer(cnt->st + 1));
    json_object_set_new(op->attrs, "cs", json_integer(cs));
    json_t *mia = json_object_get(cnt->attrs, "mia");
    if (json_is_integer(mia)) {
        int64_t limit = op->now_us + (int64_t)json_integer_value(mia) * 1000000, et_us = 0;
        const char *et = json_string_value(json_object_get(op->attrs, "et"));
        if (!et || cse_clock_parse(et, &et_us) != 0 || et_us > limit) {
            char buf[CSE_TIME_LEN];
            cse_clock_format(limit, buf, sizeof(buf));
            json_object_set_new(op->attrs, "et", json_string(buf));
        }
    }
    return 0;
}

/* The container counts the new instance, then sheds what its quotas exceed. */
static int cin_added(cse_op_t *op) {
    cse_res_t *cnt = op->target;
    cse_txn_modify(op->txn, cnt);
    json_int_t cni = json_integer_value(json_object_get(cnt->attrs, "cni")) + 1;
    json_int_t cbs = json_integer_value(json_object_get(cnt->attrs, "cbs")) + op->res->cs;
    json_object_set_new(cnt->attrs, "cni", json_integer(cni));
    json_object_set_new(cnt->attrs, "cbs", json_integer(cbs));
    json_object_set_new(cnt->attrs, "st", json_integer(op->res->st));
    int touched = 1;
    cse_container_enforce(op->txn, cnt, op->now_us, &touched);
    /* Derived counters are recomputed at start-up: no container write here. */
    cse_txn_changed(op->txn, cnt, 0);
    return 0;
}

static void cin_removed(cse_op_t *op) {
    cse_res_t *cnt = op->res; /* former parent */
    if (!cnt)
        return;
    cse_txn_modify(op->txn, cnt);
    json_int_t cni = json_integer_value(json_object_get(cnt->attrs, "cni")) - 1;
    json_int_t cbs = json_integer_value(json_object_get(cnt->attrs, "cbs")) - op->target->cs;
    json_object_set_new(cnt->attrs, "cni", json_integer(cni < 0 ? 0 : cni));
    json_object_set_new(cnt->attrs, "cbs", json_integer(cbs < 0 ? 0 : cbs));
    json_object_set_new(cnt->attrs, "st", json_integer(cnt->st + 1));
    cse_txn_changed(op->txn, cnt, 1);
}

const cse_rtype_t cse_rtype_cin = {
    .ty = CSE_TY_CIN,
    .wrapper = "m2m:cin",
    .prefix = "cin",
    .rules = rules,
    .parents = parents,
    .updatable = 0,
    .deletable = 1,
    .has_cr = 1,
    .has_st = 1,
    .compact = 1,
    .create = cin_create,
    .added = cin_added,
    .removed = cin_removed,
};
