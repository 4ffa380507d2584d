/* The "radius" section of cssf.json (see policy_radius.h). */
#include "plugin/data/policy_radius.h"

#include "plugin/authz/originator_match.h"

static const char *const radius_keys[] = {"description", "users", NULL};

void cssf_policy_parse_radius(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *v) {
    if (!json_is_object(v))
        return; /* reported as "expected an object" by the caller */
    cssf_pctx_known_keys(c, v, radius_keys);
    const json_t *d = json_object_get(v, "description");
    if (d) {
        size_t s = cssf_pctx_key(c, "description");
        if (!json_is_string(d))
            cssf_pctx_err(c, "expected a string");
        cssf_pctx_pop(c, s);
    }
    const json_t *users = json_object_get(v, "users");
    if (users) {
        size_t s = cssf_pctx_key(c, "users");
        cssf_strlist_free(&pol->radius_users);
        cssf_pctx_strlist(c, users, 1, &pol->radius_users);
        cssf_pctx_pop(c, s);
    }
}

int cssf_policy_radius_user(const cssf_policy_t *pol, const char *user) {
    if (!user || !*user)
        return 0;
    for (size_t i = 0; i < pol->radius_users.n; i++)
        if (cssf_wildcard_match(pol->radius_users.v[i], user))
            return 1;
    return 0;
}
