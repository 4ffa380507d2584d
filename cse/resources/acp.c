#include "cse/resources/acp.h"

#include <stdio.h>
#include <string.h>

#include "cse/core/rsc.h"
#include "cse/resources/rtype.h"
#include "cse/resources/validator.h"

static const cse_attr_rule_t rules[] = {
    {"pv", CSE_AK_OBJ, CSE_AU_M, CSE_AU_O},
    {"pvs", CSE_AK_OBJ, CSE_AU_M, CSE_AU_O},
    {NULL, 0, 0, 0},
};

static const int parents[] = {CSE_TY_CSEBASE, CSE_TY_AE, 0};

static int list_of(json_t *v, int (*is)(const json_t *)) {
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, e) {
        if (!is(e))
            return 0;
    }
    return 1;
}

static int is_string(const json_t *v) {
    return json_is_string(v);
}

static int is_object(const json_t *v) {
    return json_is_object(v);
}

static int check_rule(json_t *rule, char *what, size_t wcap) {
    const char *k;
    json_t *v;
    if (!json_is_object(rule)) {
        snprintf(what, wcap, "must be an object");
        return -1;
    }
    json_object_foreach(rule, k, v) {
        int ok;
        if (strcmp(k, "acor") == 0)
            ok = list_of(v, is_string);
        else if (strcmp(k, "acop") == 0)
            ok = json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 63;
        else if (strcmp(k, "acco") == 0 || strcmp(k, "acod") == 0)
            ok = list_of(v, is_object);
        else if (strcmp(k, "acaf") == 0)
            ok = json_is_boolean(v);
        else {
            snprintf(what, wcap, "has an unknown field %s", k);
            return -1;
        }
        if (!ok) {
            snprintf(what, wcap, "has an invalid %s", k);
            return -1;
        }
    }
    if (!json_object_get(rule, "acor") || !json_object_get(rule, "acop")) {
        snprintf(what, wcap, "needs acor and acop");
        return -1;
    }
    return 0;
}

int cse_acp_check_privileges(const char *name, json_t *pv, size_t min_rules, char *err,
                             size_t cap) {
    json_t *acr = json_object_get(pv, "acr");
    if (!json_is_object(pv) || json_object_size(pv) != 1 || !json_is_array(acr)) {
        snprintf(err, cap, "%s must be {\"acr\":[...]}", name);
        return -1;
    }
    if (json_array_size(acr) < min_rules) {
        snprintf(err, cap, "%s must contain at least %zu rule", name, min_rules);
        return -1;
    }
    size_t i;
    json_t *rule;
    json_array_foreach(acr, i, rule) {
        char what[128];
        if (check_rule(rule, what, sizeof(what)) != 0) {
            snprintf(err, cap, "%s rule %zu %s", name, i, what);
            return -1;
        }
    }
    return 0;
}

static int check_body(cse_op_t *op) {
    json_t *pv = json_object_get(op->body, "pv"), *pvs = json_object_get(op->body, "pvs");
    if (pv && !json_is_null(pv) &&
        cse_acp_check_privileges("pv", pv, 0, op->err, sizeof(op->err)) != 0)
        return CSE_RSC_BAD_REQUEST;
    if (pvs && cse_acp_check_privileges("pvs", pvs, 1, op->err, sizeof(op->err)) != 0)
        return CSE_RSC_BAD_REQUEST;
    return 0;
}

const cse_rtype_t cse_rtype_acp = {
    .ty = CSE_TY_ACP,
    .wrapper = "m2m:acp",
    .prefix = "acp",
    .rules = rules,
    .parents = parents,
    .updatable = 1,
    .deletable = 1,
    .has_cr = 1,
    .create = check_body,
    .update = check_body,
};
