#include "cse/resources/ae.h"

#include <stdio.h>
#include <string.h>

#include "cse/core/rsc.h"
#include "cse/resources/cse_base.h"
#include "cse/resources/handler.h"
#include "cse/resources/rtype.h"
#include "cse/resources/validator.h"

static const cse_attr_rule_t rules[] = {
    {"api", CSE_AK_STR, CSE_AU_M, CSE_AU_NP},    {"apn", CSE_AK_STR, CSE_AU_O, CSE_AU_O},
    {"aei", CSE_AK_STR, CSE_AU_NP, CSE_AU_NP},   {"poa", CSE_AK_STRLIST, CSE_AU_O, CSE_AU_O},
    {"rr", CSE_AK_BOOL, CSE_AU_M, CSE_AU_O},     {"nl", CSE_AK_STR, CSE_AU_O, CSE_AU_O},
    {"or", CSE_AK_STR, CSE_AU_O, CSE_AU_O},      {"csz", CSE_AK_STRLIST, CSE_AU_O, CSE_AU_O},
    {"srv", CSE_AK_STRLIST, CSE_AU_M, CSE_AU_O}, {NULL, 0, 0, 0},
};

static const int parents[] = {CSE_TY_CSEBASE, 0};

int cse_ae_assign_id(const char *from, const char *cse_id, char *aei, size_t cap, char *err,
                     size_t err_cap) {
    const char *csi = cse_id[0] == '/' ? cse_id + 1 : cse_id;
    size_t csil = strlen(csi);
    if (!from || !from[0] || strcmp(from, "C") == 0 || strcmp(from, "S") == 0) {
        char prefix[2] = {from && from[0] == 'S' ? 'S' : 'C', '\0'};
        cse_handler_new_id(prefix, aei, cap);
        return 0;
    }
    if (strcmp(from, cse_id) == 0 || strcmp(from, csi) == 0) {
        snprintf(err, err_cap, "the CSE-ID %s cannot register as an AE", from);
        return CSE_RSC_SECURITY_ASSOCIATION_REQUIRED;
    }
    /* SP-relative form /<csi>/<AE-ID> of this CSE. */
    if (from[0] == '/' && strncmp(from + 1, csi, csil) == 0 && from[1 + csil] == '/')
        from += csil + 2;
    if ((from[0] != 'C' && from[0] != 'S') || strchr(from, '/') || strlen(from) >= cap ||
        cse_handler_check_rn(from, err, err_cap) != 0) {
        snprintf(err, err_cap, "originator %s is not an AE-ID (C... or S...)", from);
        return from[0] == '/' ? CSE_RSC_SECURITY_ASSOCIATION_REQUIRED : CSE_RSC_BAD_REQUEST;
    }
    snprintf(aei, cap, "%s", from);
    return 0;
}

int cse_ae_check_api(const char *api, const char *rvi, char *err, size_t cap) {
    /* Requests without a release version come from releases 1 and 2. */
    int old_release = !rvi || !rvi[0] || strcmp(rvi, "2a") == 0 || strcmp(rvi, "3") == 0;
    if (!api || !api[0] || !(api[0] == 'N' || api[0] == 'R' || (api[0] == 'r' && old_release))) {
        snprintf(err, cap, "api must start with 'N' or 'R'%s", old_release ? " (or 'r')" : "");
        return -1;
    }
    return 0;
}

static int check_srv(cse_op_t *op, json_t *srv) {
    static const char *const known[] = {"1", "2", "2a", "3", "4", "5", NULL};
    size_t i;
    json_t *e;
    int supported = 0;
    if (json_array_size(srv) == 0)
        return cse_op_fail(op, CSE_RSC_BAD_REQUEST, "srv must list at least one release");
    json_array_foreach(srv, i, e) {
        const char *v = json_string_value(e);
        int ok = 0;
        for (int k = 0; known[k]; k++)
            ok |= strcmp(v, known[k]) == 0;
        if (!ok)
            return cse_op_fail(op, CSE_RSC_BAD_REQUEST, "srv value %s is not a release", v);
        supported |= cse_release_supported(v);
    }
    if (!supported)
        return cse_op_fail(op, CSE_RSC_BAD_REQUEST, "none of the releases in srv is supported");
    return 0;
}

static int ae_create(cse_op_t *op) {
    const char *api = json_string_value(json_object_get(op->body, "api"));
    if (cse_ae_check_api(api, op->rvi, op->err, sizeof(op->err)) != 0)
        return CSE_RSC_BAD_REQUEST;
    int rsc = check_srv(op, json_object_get(op->body, "srv"));
    if (rsc)
        return rsc;
    json_object_set(op->attrs, "aei", json_object_get(op->attrs, "ri")); /* ri = aei */
    return 0;
}

static int ae_update(cse_op_t *op) {
    json_t *srv = json_object_get(op->body, "srv");
    return srv && !json_is_null(srv) ? check_srv(op, srv) : 0;
}

const cse_rtype_t cse_rtype_ae = {
    .ty = CSE_TY_AE,
    .wrapper = "m2m:ae",
    .prefix = "C",
    .rules = rules,
    .parents = parents,
    .updatable = 1,
    .deletable = 1,
    .has_acpi = 1,
    .has_cr = 1,
    .create = ae_create,
    .update = ae_update,
};
