/*
 * cssf.json, the plugin's own policy: authentication per binding, admins,
 * identities, unauthenticated exceptions, registration rules, audit
 * settings, the reserved section tokens and radius (policy_radius.c). Validation and
 * extraction into a cssf_policy_t in one pass; unknown keys are errors.
 */
#include <stdlib.h>
#include <string.h>

#include "cse/plugin.h"
#include "plugin/data/policy.h"
#include "plugin/data/policy_json.h"
#include "plugin/data/policy_radius.h"

#define AUDIT_KEEP_MAX 100

static const char *const main_keys[] = {
    "description",  "authentication", "admin_originator", "admins", "identities", "unauthenticated",
    "registration", "audit",          "tokens",           "radius", NULL};
static const char *const unauth_keys[] = {"description",    "operations", "targets",
                                          "resource_types", "bindings",   NULL};
static const char *const registration_keys[] = {"description", "allowed_originators",
                                                "allowed_app_ids", NULL};
static const char *const audit_keys[] = {"description", "keep", "permits", NULL};

static const char *const binding_names[CSSF_POLICY_BINDINGS] = {NULL, "http", "https", "coap",
                                                                "coaps"};
static const char *const op_names[] = {NULL,     "create", "retrieve", "update",
                                       "delete", "notify", "discovery"};

static int binding_index(const char *name) {
    for (int i = 1; i < CSSF_POLICY_BINDINGS; i++)
        if (strcmp(name, binding_names[i]) == 0)
            return i;
    return -1;
}

static int op_index(const char *name) {
    for (int i = CSE_OP_CREATE; i <= CSE_OP_DISCOVERY; i++)
        if (strcmp(name, op_names[i]) == 0)
            return i;
    return -1;
}

/* "required" | "optional" → mode, else -1 */
static int mode_value(const json_t *v) {
    if (!json_is_string(v))
        return -1;
    if (strcmp(json_string_value(v), "required") == 0)
        return CSSF_AUTHN_REQUIRED;
    if (strcmp(json_string_value(v), "optional") == 0)
        return CSSF_AUTHN_OPTIONAL;
    return -1;
}

static void parse_authentication(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *v) {
    int m = mode_value(v);
    if (m >= 0) {
        for (int i = 1; i < CSSF_POLICY_BINDINGS; i++)
            pol->authn_mode[i] = m;
        return;
    }
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected \"required\", \"optional\" or an object per binding "
                         "(http, https, coap, coaps)");
        return;
    }
    const char *key;
    json_t *mode;
    json_object_foreach((json_t *)v, key, mode) {
        size_t s = cssf_pctx_key(c, key);
        int b = binding_index(key);
        if (b < 0)
            cssf_pctx_err(c, "unknown binding (expected http, https, coap or coaps)");
        else if ((m = mode_value(mode)) < 0)
            cssf_pctx_err(c, "expected \"required\" or \"optional\"");
        else
            pol->authn_mode[b] = m;
        cssf_pctx_pop(c, s);
    }
}

static void parse_identities(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *v) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object mapping an identity to the AE-IDs it may use");
        return;
    }
    size_t n = json_object_size(v);
    if (n == 0)
        return;
    pol->identities = calloc(n, sizeof(*pol->identities));
    if (!pol->identities) {
        cssf_pctx_err(c, "out of memory");
        return;
    }
    const char *key;
    json_t *list;
    json_object_foreach((json_t *)v, key, list) {
        size_t s = cssf_pctx_key(c, key);
        cssf_identity_binding_t *b = &pol->identities[pol->nidentities];
        if (*key == '\0') {
            cssf_pctx_err(c, "identity must not be empty");
        } else if (cssf_pctx_strlist(c, list, 0, &b->aeids) == 0) {
            b->identity = strdup(key);
            if (b->identity)
                pol->nidentities++;
            else
                cssf_strlist_free(&b->aeids);
        }
        cssf_pctx_pop(c, s);
    }
}

/* A list of names mapped to bits; names outside the table are reported. */
static unsigned parse_name_bits(cssf_pctx_t *c, const json_t *v, int (*index)(const char *),
                                const char *expected) {
    cssf_strlist_t l;
    unsigned bits = 0;
    if (cssf_pctx_strlist(c, v, 0, &l) < 0)
        return 0;
    for (size_t i = 0; i < l.n; i++) {
        int b = index(l.v[i]);
        if (b < 0) {
            size_t s = cssf_pctx_index(c, i);
            cssf_pctx_err(c, "unknown value '%s' (expected %s)", l.v[i], expected);
            cssf_pctx_pop(c, s);
        } else {
            bits |= 1u << b;
        }
    }
    cssf_strlist_free(&l);
    return bits;
}

static void parse_unauth_rule(cssf_pctx_t *c, cssf_unauth_rule_t *r, const json_t *v) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object (operations, targets, resource_types, bindings)");
        return;
    }
    cssf_pctx_known_keys(c, v, unauth_keys);
    json_t *f;
    size_t s;
    if (!(f = json_object_get(v, "operations"))) {
        cssf_pctx_err(c, "missing required key 'operations'");
    } else {
        s = cssf_pctx_key(c, "operations");
        r->ops = parse_name_bits(c, f, op_index,
                                 "create, retrieve, update, delete, notify or discovery");
        cssf_pctx_pop(c, s);
    }
    if ((f = json_object_get(v, "targets"))) {
        s = cssf_pctx_key(c, "targets");
        cssf_pctx_strlist(c, f, 0, &r->targets);
        cssf_pctx_pop(c, s);
    }
    if ((f = json_object_get(v, "bindings"))) {
        s = cssf_pctx_key(c, "bindings");
        r->bindings = parse_name_bits(c, f, binding_index, "http, https, coap or coaps");
        cssf_pctx_pop(c, s);
    }
    if ((f = json_object_get(v, "resource_types"))) {
        s = cssf_pctx_key(c, "resource_types");
        size_t n = json_is_array(f) ? json_array_size(f) : 0;
        if (n == 0) {
            cssf_pctx_err(c, "expected a non-empty array of resource types");
        } else if ((r->types = calloc(n, sizeof(int)))) {
            for (size_t i = 0; i < n; i++) {
                json_t *t = json_array_get(f, i);
                if (!json_is_integer(t) || json_integer_value(t) < 1 ||
                    json_integer_value(t) > 65535) {
                    size_t s2 = cssf_pctx_index(c, i);
                    cssf_pctx_err(c, "must be a resource type (integer 1-65535)");
                    cssf_pctx_pop(c, s2);
                } else {
                    r->types[r->ntypes++] = (int)json_integer_value(t);
                }
            }
        }
        cssf_pctx_pop(c, s);
    }
}

static void parse_unauthenticated(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *v) {
    if (!json_is_array(v)) {
        cssf_pctx_err(c, "expected an array of rules");
        return;
    }
    size_t n = json_array_size(v);
    if (n == 0)
        return;
    pol->unauth = calloc(n, sizeof(*pol->unauth));
    if (!pol->unauth) {
        cssf_pctx_err(c, "out of memory");
        return;
    }
    pol->nunauth = n;
    for (size_t i = 0; i < n; i++) {
        size_t s = cssf_pctx_index(c, i);
        parse_unauth_rule(c, &pol->unauth[i], json_array_get(v, i));
        cssf_pctx_pop(c, s);
    }
}

static void parse_registration(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *v) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object (allowed_originators, allowed_app_ids)");
        return;
    }
    cssf_pctx_known_keys(c, v, registration_keys);
    json_t *f;
    size_t s;
    if ((f = json_object_get(v, "allowed_originators"))) {
        s = cssf_pctx_key(c, "allowed_originators");
        if (cssf_pctx_strlist(c, f, 1, &pol->allowed_originators) == 0)
            pol->has_allowed_originators = 1;
        cssf_pctx_pop(c, s);
    }
    if ((f = json_object_get(v, "allowed_app_ids"))) {
        s = cssf_pctx_key(c, "allowed_app_ids");
        if (cssf_pctx_strlist(c, f, 1, &pol->allowed_app_ids) == 0)
            pol->has_allowed_app_ids = 1;
        cssf_pctx_pop(c, s);
    }
}

static void parse_audit(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *v) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object (keep, permits)");
        return;
    }
    cssf_pctx_known_keys(c, v, audit_keys);
    json_t *f;
    size_t s;
    if ((f = json_object_get(v, "keep"))) {
        s = cssf_pctx_key(c, "keep");
        if (!json_is_integer(f) || json_integer_value(f) < 0 ||
            json_integer_value(f) > AUDIT_KEEP_MAX)
            cssf_pctx_err(c, "must be an integer between 0 and %d", AUDIT_KEEP_MAX);
        else
            pol->audit_keep = (int)json_integer_value(f);
        cssf_pctx_pop(c, s);
    }
    if ((f = json_object_get(v, "permits"))) {
        s = cssf_pctx_key(c, "permits");
        if (!json_is_boolean(f))
            cssf_pctx_err(c, "expected true or false");
        else
            pol->audit_permits = json_is_true(f);
        cssf_pctx_pop(c, s);
    }
}

/* Reserved sections: objects whose content later features define. */
static json_t *parse_reserved(cssf_pctx_t *c, const json_t *v) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object");
        return NULL;
    }
    return json_deep_copy(v);
}

static void parse_string_list(cssf_pctx_t *c, const json_t *v, cssf_strlist_t *out) {
    if (cssf_pctx_strlist(c, v, 1, out) < 0)
        return;
    for (size_t i = 1; i < out->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(out->v[i], out->v[j]) == 0) {
                size_t s = cssf_pctx_index(c, i);
                cssf_pctx_err(c, "duplicate entry '%s'", out->v[i]);
                cssf_pctx_pop(c, s);
                break;
            }
        }
    }
}

size_t cssf_policy_parse_main(cssf_policy_t *pol, const char *file, const char *text, size_t len,
                              cssf_policy_report_t *rep) {
    cssf_pctx_t c;
    cssf_pctx_init(&c, file, rep);
    json_t *root = cssf_pctx_parse(&c, text, len);
    if (!root)
        return c.problems;
    cssf_pctx_known_keys(&c, root, main_keys);
    json_t *v;
    size_t s;
    if ((v = json_object_get(root, "description"))) {
        s = cssf_pctx_key(&c, "description");
        if (!json_is_string(v))
            cssf_pctx_err(&c, "expected a string");
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "authentication"))) {
        s = cssf_pctx_key(&c, "authentication");
        parse_authentication(&c, pol, v);
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "admin_originator"))) {
        s = cssf_pctx_key(&c, "admin_originator");
        if (cssf_pctx_check_string(&c, v) == 0) {
            char *dup = strdup(json_string_value(v));
            if (dup) {
                free(pol->admin_originator);
                pol->admin_originator = dup;
            }
        }
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "admins"))) {
        s = cssf_pctx_key(&c, "admins");
        parse_string_list(&c, v, &pol->admins);
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "identities"))) {
        s = cssf_pctx_key(&c, "identities");
        parse_identities(&c, pol, v);
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "unauthenticated"))) {
        s = cssf_pctx_key(&c, "unauthenticated");
        parse_unauthenticated(&c, pol, v);
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "registration"))) {
        s = cssf_pctx_key(&c, "registration");
        parse_registration(&c, pol, v);
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "audit"))) {
        s = cssf_pctx_key(&c, "audit");
        parse_audit(&c, pol, v);
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "tokens"))) {
        s = cssf_pctx_key(&c, "tokens");
        json_decref(pol->tokens);
        pol->tokens = parse_reserved(&c, v);
        cssf_pctx_pop(&c, s);
    }
    if ((v = json_object_get(root, "radius"))) {
        s = cssf_pctx_key(&c, "radius");
        json_decref(pol->radius);
        pol->radius = parse_reserved(&c, v);
        cssf_policy_parse_radius(&c, pol, v);
        cssf_pctx_pop(&c, s);
    }
    json_decref(root);
    return c.problems;
}
