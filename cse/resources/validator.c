#include "cse/resources/validator.h"

#include <stdio.h>
#include <string.h>

#include "cse/core/clock.h"
#include "cse/core/rsc.h"
#include "cse/plugin.h"

static const cse_attr_rule_t universal[] = {
    {"ty", CSE_AK_NNINT, CSE_AU_NP, CSE_AU_NP},
    {"ri", CSE_AK_STR, CSE_AU_NP, CSE_AU_NP},
    {"pi", CSE_AK_STR, CSE_AU_NP, CSE_AU_NP},
    {"ct", CSE_AK_TIME, CSE_AU_NP, CSE_AU_NP},
    {"lt", CSE_AK_TIME, CSE_AU_NP, CSE_AU_NP},
    {"rn", CSE_AK_STR, CSE_AU_O, CSE_AU_NP},
    {"et", CSE_AK_TIME, CSE_AU_O, CSE_AU_O},
    {"lbl", CSE_AK_STRLIST, CSE_AU_O, CSE_AU_O},
    {NULL, 0, 0, 0},
};
static const cse_attr_rule_t rule_acpi = {"acpi", CSE_AK_STRLIST, CSE_AU_O, CSE_AU_O};
static const cse_attr_rule_t rule_cr = {"cr", CSE_AK_NULL, CSE_AU_O, CSE_AU_NP};
static const cse_attr_rule_t rule_st = {"st", CSE_AK_NNINT, CSE_AU_NP, CSE_AU_NP};

const cse_attr_rule_t *cse_attr_rule_find(const cse_rtype_t *t, const char *name) {
    for (const cse_attr_rule_t *r = universal; r->name; r++)
        if (strcmp(r->name, name) == 0)
            return r;
    if (t->has_acpi && strcmp(name, "acpi") == 0)
        return &rule_acpi;
    if (t->has_cr && strcmp(name, "cr") == 0)
        return &rule_cr;
    if (t->has_st && strcmp(name, "st") == 0)
        return &rule_st;
    for (const cse_attr_rule_t *r = t->rules; r && r->name; r++)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

int cse_attr_check_value(const cse_attr_rule_t *rule, json_t *v, char *err, size_t cap) {
    const char *want = NULL;
    switch (rule->kind) {
    case CSE_AK_STR:
        if (!json_is_string(v))
            want = "a string";
        break;
    case CSE_AK_NNINT:
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            want = "a non-negative integer";
        break;
    case CSE_AK_BOOL:
        if (!json_is_boolean(v))
            want = "a boolean";
        break;
    case CSE_AK_STRLIST: {
        size_t i;
        json_t *e;
        if (!json_is_array(v)) {
            want = "a list of strings";
            break;
        }
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                want = "a list of strings";
                break;
            }
        }
        break;
    }
    case CSE_AK_OBJ:
        if (!json_is_object(v))
            want = "an object";
        break;
    case CSE_AK_TIME: {
        int64_t us;
        if (!json_is_string(v) || cse_clock_parse(json_string_value(v), &us) != 0)
            want = "a timestamp YYYYMMDDTHHMMSS[,ffffff]";
        break;
    }
    case CSE_AK_ANY:
        if (json_is_null(v))
            want = "a value";
        break;
    case CSE_AK_NULL:
        if (!json_is_null(v))
            want = "null (it is assigned by the CSE)";
        break;
    }
    if (want) {
        snprintf(err, cap, "attribute %s must be %s", rule->name, want);
        return -1;
    }
    return 0;
}

static int check_mandatory(const cse_attr_rule_t *rules, json_t *body, char *err, size_t cap) {
    for (const cse_attr_rule_t *r = rules; r && r->name; r++) {
        json_t *v = json_object_get(body, r->name);
        if (r->create == CSE_AU_M && (!v || json_is_null(v))) {
            snprintf(err, cap, "mandatory attribute %s is missing", r->name);
            return CSE_RSC_BAD_REQUEST;
        }
    }
    return 0;
}

int cse_validate_attrs(const cse_rtype_t *t, json_t *body, int op, char *err, size_t cap) {
    const char *name;
    json_t *v;
    if (!json_is_object(body)) {
        snprintf(err, cap, "the resource representation must be an object");
        return CSE_RSC_BAD_REQUEST;
    }
    json_object_foreach(body, name, v) {
        const cse_attr_rule_t *r = cse_attr_rule_find(t, name);
        if (!r) {
            snprintf(err, cap, "unknown attribute %s for %s", name, t->wrapper);
            return CSE_RSC_BAD_REQUEST;
        }
        int use = op == CSE_OP_CREATE ? r->create : r->update;
        if (use == CSE_AU_NP) {
            snprintf(err, cap, "attribute %s cannot be set by %s", name,
                     op == CSE_OP_CREATE ? "CREATE" : "UPDATE");
            return CSE_RSC_BAD_REQUEST;
        }
        if (json_is_null(v) && r->kind != CSE_AK_NULL) {
            /* UPDATE: null removes an optional attribute; CREATE: absent. */
            if (op == CSE_OP_UPDATE && r->create == CSE_AU_M) {
                snprintf(err, cap, "mandatory attribute %s cannot be removed", name);
                return CSE_RSC_BAD_REQUEST;
            }
            continue;
        }
        if (cse_attr_check_value(r, v, err, cap) != 0)
            return CSE_RSC_BAD_REQUEST;
    }
    if (op == CSE_OP_CREATE)
        return check_mandatory(t->rules, body, err, cap);
    return 0;
}
