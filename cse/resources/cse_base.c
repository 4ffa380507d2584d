#include "cse/resources/cse_base.h"

#include <stdio.h>
#include <string.h>

#include "cse/resources/rtype.h"
#include "cse/resources/validator.h"

const char *const cse_supported_releases[] = {"2a", "3", "4", "5", NULL};

int cse_release_supported(const char *rvi) {
    for (int i = 0; cse_supported_releases[i]; i++)
        if (strcmp(rvi, cse_supported_releases[i]) == 0)
            return 1;
    return 0;
}

static const cse_attr_rule_t rules[] = {
    {"csi", CSE_AK_STR, CSE_AU_NP, CSE_AU_NP},
    {"cst", CSE_AK_NNINT, CSE_AU_NP, CSE_AU_NP},
    {"srv", CSE_AK_STRLIST, CSE_AU_NP, CSE_AU_NP},
    {"poa", CSE_AK_STRLIST, CSE_AU_NP, CSE_AU_NP},
    {"nl", CSE_AK_STR, CSE_AU_NP, CSE_AU_NP},
    {"csz", CSE_AK_STRLIST, CSE_AU_NP, CSE_AU_NP},
    {NULL, 0, 0, 0},
};

const cse_rtype_t cse_rtype_cse_base = {
    .ty = CSE_TY_CSEBASE,
    .wrapper = "m2m:cb",
    .prefix = "cb",
    .rules = rules,
    .parents = NULL,
    .has_acpi = 1,
};

static json_t *srv_list(void) {
    json_t *a = json_array();
    for (int i = 0; cse_supported_releases[i]; i++)
        json_array_append_new(a, json_string(cse_supported_releases[i]));
    return a;
}

static json_t *poa_list(const cse_config_t *cfg) {
    json_t *a = json_array();
    if (cfg->http_port > 0) {
        char poa[128];
        snprintf(poa, sizeof(poa), "http://%s:%d", cfg->http_listen, cfg->http_port);
        json_array_append_new(a, json_string(poa));
    }
    return a;
}

static const char *ri_of(const cse_config_t *cfg) {
    return cfg->cse_id[0] == '/' ? cfg->cse_id + 1 : cfg->cse_id;
}

json_t *cse_cse_base_attrs(const cse_config_t *cfg, const char *now) {
    json_t *a = json_object();
    json_object_set_new(a, "ty", json_integer(CSE_TY_CSEBASE));
    json_object_set_new(a, "ri", json_string(ri_of(cfg)));
    json_object_set_new(a, "rn", json_string(cfg->resource_name));
    json_object_set_new(a, "pi", json_string(""));
    json_object_set_new(a, "ct", json_string(now));
    json_object_set_new(a, "lt", json_string(now));
    json_object_set_new(a, "csi", json_string(cfg->cse_id));
    json_object_set_new(a, "cst", json_integer(1)); /* IN-CSE */
    json_object_set_new(a, "srv", srv_list());
    json_object_set_new(a, "poa", poa_list(cfg));
    json_object_set_new(a, "acpi", json_array());
    return a;
}

static int set_if_changed(json_t *attrs, const char *k, json_t *v) {
    int changed = !json_equal(json_object_get(attrs, k), v);
    if (changed)
        json_object_set(attrs, k, v);
    json_decref(v);
    return changed;
}

int cse_cse_base_refresh(json_t *attrs, const cse_config_t *cfg) {
    int changed = 0;
    changed |= set_if_changed(attrs, "csi", json_string(cfg->cse_id));
    changed |= set_if_changed(attrs, "srv", srv_list());
    json_t *poa = poa_list(cfg);
    if (json_array_size(poa) > 0)
        changed |= set_if_changed(attrs, "poa", poa);
    else
        json_decref(poa);
    return changed;
}
