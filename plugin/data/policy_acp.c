/*
 * ACP definitions in policy files: validation against the oneM2M
 * accessControlPolicy representation (TS-0004 short names) and extraction
 * into cssf_acp_def_t. Unknown keys are errors, so a typo never silently
 * widens or narrows access.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/data/policy.h"
#include "plugin/data/policy_json.h"

#define ACP_NAME_MAX 64
#define ACP_PARENT_MAX 512

static const char *const file_keys[] = {"description", "acps", NULL};
static const char *const acp_keys[] = {"description", "rn", "parent", "pv", "pvs", "lbl", NULL};
static const char *const acl_keys[] = {"acr", NULL};
static const char *const acr_keys[] = {"acor", "acop", "acco", "acaf", "acod", NULL};
static const char *const acco_keys[] = {"actw", "acip", "aclr", NULL};
static const char *const acip_keys[] = {"ipv4", "ipv6", NULL};
static const char *const aclr_keys[] = {"accc", "accr", NULL};
static const char *const acod_keys[] = {"ty", "spty", "chty", NULL};

/* Resource-name characters (unreserved URI characters). */
static int name_ok(const char *s, size_t len) {
    if (len == 0 || len > ACP_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr("-._~", s[i])))
            return 0;
    return 1;
}

static int parent_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > ACP_PARENT_MAX)
        return 0;
    const char *seg = s;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        char buf[ACP_NAME_MAX + 1];
        if (len == 0 || len > ACP_NAME_MAX)
            return 0;
        memcpy(buf, seg, len);
        buf[len] = '\0';
        if (!name_ok(buf, len))
            return 0;
        if (!slash)
            return 1;
        seg = slash + 1;
    }
}

/* --- actw: "sec min hour dom month dow year" ------------------------------ */

static const struct {
    const char *name;
    long lo, hi;
} cron_fields[7] = {{"second", 0, 59},       {"minute", 0, 59}, {"hour", 0, 23},
                    {"day of month", 1, 31}, {"month", 1, 12},  {"day of week", 0, 6},
                    {"year", 1970, 9999}};

static int cron_number(const char **p, long *out) {
    if (!isdigit((unsigned char)**p))
        return -1;
    long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > 100000)
            return -1;
        (*p)++;
    }
    *out = v;
    return 0;
}

/* One field: item(,item)* with item = (*|n|n-m)(/step)?. */
static int cron_field(const char *f, size_t len, int idx, char *why, size_t why_cap) {
    char buf[128];
    if (len == 0 || len >= sizeof(buf)) {
        snprintf(why, why_cap, "%s field: bad length", cron_fields[idx].name);
        return -1;
    }
    memcpy(buf, f, len);
    buf[len] = '\0';
    const char *p = buf;
    long lo = cron_fields[idx].lo, hi = cron_fields[idx].hi;
    for (;;) {
        long a = lo, b = hi;
        if (*p == '*') {
            p++;
        } else {
            if (cron_number(&p, &a) < 0)
                goto syntax;
            b = a;
            if (*p == '-') {
                p++;
                if (cron_number(&p, &b) < 0)
                    goto syntax;
            }
            if (a < lo || b > hi || a > hi || b < lo) {
                snprintf(why, why_cap, "%s field: '%s' outside %ld-%ld", cron_fields[idx].name, buf,
                         lo, hi);
                return -1;
            }
            if (a > b) {
                snprintf(why, why_cap, "%s field: range %ld-%ld is reversed", cron_fields[idx].name,
                         a, b);
                return -1;
            }
        }
        if (*p == '/') {
            long step;
            p++;
            if (cron_number(&p, &step) < 0 || step < 1) {
                snprintf(why, why_cap, "%s field: step must be a positive number",
                         cron_fields[idx].name);
                return -1;
            }
        }
        if (*p == '\0')
            return 0;
        if (*p != ',')
            goto syntax;
        p++;
    }
syntax:
    snprintf(why, why_cap, "%s field: cannot parse '%s'", cron_fields[idx].name, buf);
    return -1;
}

/* Validates a 7-field schedule; 0 or -1 with the reason in why. */
static int cron_check(const char *s, char *why, size_t why_cap) {
    int idx = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (idx >= 7) {
            snprintf(why, why_cap, "expected 7 fields (sec min hour dom month dow year), got more");
            return -1;
        }
        if (cron_field(start, (size_t)(p - start), idx, why, why_cap) < 0)
            return -1;
        idx++;
    }
    if (idx != 7) {
        snprintf(why, why_cap, "expected 7 fields (sec min hour dom month dow year), got %d", idx);
        return -1;
    }
    return 0;
}

/* --- acip ---------------------------------------------------------------- */

static int cidr_ok(const char *s, int family) {
    char buf[INET6_ADDRSTRLEN + 8];
    if (strlen(s) >= sizeof(buf))
        return 0;
    strcpy(buf, s);
    int maxbits = family == AF_INET ? 32 : 128;
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = '\0';
        const char *b = slash + 1;
        long bits;
        if (cron_number(&b, &bits) < 0 || *b || bits > maxbits || (slash[1] == '0' && slash[2]))
            return 0;
    }
    unsigned char addr[16];
    return inet_pton(family, buf, addr) == 1;
}

static void check_addresses(cssf_pctx_t *c, const json_t *v, int family) {
    cssf_strlist_t l;
    if (cssf_pctx_strlist(c, v, 0, &l) < 0)
        return;
    for (size_t i = 0; i < l.n; i++) {
        if (!cidr_ok(l.v[i], family)) {
            size_t s = cssf_pctx_index(c, i);
            cssf_pctx_err(c, "'%s' is not an %s address or prefix", l.v[i],
                          family == AF_INET ? "IPv4" : "IPv6");
            cssf_pctx_pop(c, s);
        }
    }
    cssf_strlist_free(&l);
}

/* --- rule parts ------------------------------------------------------------ */

static void check_actw(cssf_pctx_t *c, const json_t *v) {
    cssf_strlist_t l;
    if (cssf_pctx_strlist(c, v, 0, &l) < 0)
        return;
    for (size_t i = 0; i < l.n; i++) {
        char why[160];
        if (cron_check(l.v[i], why, sizeof(why)) < 0) {
            size_t s = cssf_pctx_index(c, i);
            cssf_pctx_err(c, "%s", why);
            cssf_pctx_pop(c, s);
        }
    }
    cssf_strlist_free(&l);
}

static void check_acip(cssf_pctx_t *c, const json_t *v) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object with ipv4 and/or ipv6");
        return;
    }
    cssf_pctx_known_keys(c, v, acip_keys);
    if (json_object_size(v) == 0)
        cssf_pctx_err(c, "needs ipv4 or ipv6");
    const char *names[2] = {"ipv4", "ipv6"};
    for (int i = 0; i < 2; i++) {
        json_t *list = json_object_get(v, names[i]);
        if (!list)
            continue;
        size_t s = cssf_pctx_key(c, names[i]);
        check_addresses(c, list, i == 0 ? AF_INET : AF_INET6);
        cssf_pctx_pop(c, s);
    }
}

static void check_accr(cssf_pctx_t *c, const json_t *v) {
    static const char *const what[3] = {"latitude", "longitude", "radius"};
    static const double lo[3] = {-90, -180, 0}, hi[3] = {90, 180, 40075000};
    if (!json_is_array(v) || json_array_size(v) != 3) {
        cssf_pctx_err(c, "expected [latitude, longitude, radius in metres]");
        return;
    }
    for (size_t i = 0; i < 3; i++) {
        json_t *n = json_array_get(v, i);
        size_t s = cssf_pctx_index(c, i);
        if (!json_is_number(n))
            cssf_pctx_err(c, "%s must be a number", what[i]);
        else if (json_number_value(n) < lo[i] || json_number_value(n) > hi[i] ||
                 (i == 2 && json_number_value(n) <= 0))
            cssf_pctx_err(c, "%s out of range", what[i]);
        cssf_pctx_pop(c, s);
    }
}

static void check_aclr(cssf_pctx_t *c, const json_t *v) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object with accc or accr (or a list of them)");
        return;
    }
    cssf_pctx_known_keys(c, v, aclr_keys);
    json_t *accc = json_object_get(v, "accc"), *accr = json_object_get(v, "accr");
    if (accc && accr)
        cssf_pctx_err(c, "accc (country codes) and accr (circular region) exclude each other");
    else if (!accc && !accr)
        cssf_pctx_err(c, "needs accc or accr");
    if (accc) {
        size_t s = cssf_pctx_key(c, "accc");
        cssf_strlist_t l;
        if (cssf_pctx_strlist(c, accc, 0, &l) == 0) {
            for (size_t i = 0; i < l.n; i++) {
                const char *cc = l.v[i];
                if (strlen(cc) != 2 || !isupper((unsigned char)cc[0]) ||
                    !isupper((unsigned char)cc[1])) {
                    size_t s2 = cssf_pctx_index(c, i);
                    cssf_pctx_err(c, "'%s' is not an ISO 3166-1 alpha-2 country code", cc);
                    cssf_pctx_pop(c, s2);
                }
            }
            cssf_strlist_free(&l);
        }
        cssf_pctx_pop(c, s);
    }
    if (accr) {
        size_t s = cssf_pctx_key(c, "accr");
        check_accr(c, accr);
        cssf_pctx_pop(c, s);
    }
}

static void check_acco(cssf_pctx_t *c, const json_t *v) {
    if (!json_is_array(v)) {
        cssf_pctx_err(c, "expected an array of contexts");
        return;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *ctx = json_array_get(v, i);
        size_t s = cssf_pctx_index(c, i);
        if (!json_is_object(ctx)) {
            cssf_pctx_err(c, "expected an object with actw, acip and/or aclr");
        } else {
            cssf_pctx_known_keys(c, ctx, acco_keys);
            if (!json_object_get(ctx, "actw") && !json_object_get(ctx, "acip") &&
                !json_object_get(ctx, "aclr"))
                cssf_pctx_err(c, "a context needs actw, acip or aclr");
            json_t *part;
            if ((part = json_object_get(ctx, "actw"))) {
                size_t s2 = cssf_pctx_key(c, "actw");
                check_actw(c, part);
                cssf_pctx_pop(c, s2);
            }
            if ((part = json_object_get(ctx, "acip"))) {
                size_t s2 = cssf_pctx_key(c, "acip");
                check_acip(c, part);
                cssf_pctx_pop(c, s2);
            }
            if ((part = json_object_get(ctx, "aclr"))) {
                size_t s2 = cssf_pctx_key(c, "aclr");
                if (json_is_array(part) && json_array_size(part) > 0) {
                    for (size_t k = 0; k < json_array_size(part); k++) {
                        size_t s3 = cssf_pctx_index(c, k);
                        check_aclr(c, json_array_get(part, k));
                        cssf_pctx_pop(c, s3);
                    }
                } else {
                    check_aclr(c, part);
                }
                cssf_pctx_pop(c, s2);
            }
        }
        cssf_pctx_pop(c, s);
    }
}

static int resource_type_ok(const json_t *v) {
    return json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 65535;
}

static void check_acod_item(cssf_pctx_t *c, const json_t *od) {
    if (!json_is_object(od)) {
        cssf_pctx_err(c, "expected an object with ty, spty and/or chty");
        return;
    }
    cssf_pctx_known_keys(c, od, acod_keys);
    if (json_object_size(od) == 0)
        cssf_pctx_err(c, "needs ty, spty or chty");
    json_t *v;
    if ((v = json_object_get(od, "ty")) && !resource_type_ok(v)) {
        size_t s = cssf_pctx_key(c, "ty");
        cssf_pctx_err(c, "must be a resource type (integer 1-65535)");
        cssf_pctx_pop(c, s);
    }
    if ((v = json_object_get(od, "spty")) && !resource_type_ok(v)) {
        size_t s = cssf_pctx_key(c, "spty");
        if (!json_is_string(v))
            cssf_pctx_err(c, "must be a resource type (integer) or a specialization name");
        else
            cssf_pctx_check_string(c, v);
        cssf_pctx_pop(c, s);
    }
    if ((v = json_object_get(od, "chty"))) {
        size_t s = cssf_pctx_key(c, "chty");
        if (!json_is_array(v) || json_array_size(v) == 0) {
            cssf_pctx_err(c, "expected a non-empty array of resource types");
        } else {
            for (size_t i = 0; i < json_array_size(v); i++) {
                if (!resource_type_ok(json_array_get(v, i))) {
                    size_t s2 = cssf_pctx_index(c, i);
                    cssf_pctx_err(c, "must be a resource type (integer 1-65535)");
                    cssf_pctx_pop(c, s2);
                }
            }
        }
        cssf_pctx_pop(c, s);
    }
}

static void check_rule(cssf_pctx_t *c, const json_t *r) {
    if (!json_is_object(r)) {
        cssf_pctx_err(c, "expected a rule object (acor, acop, ...)");
        return;
    }
    cssf_pctx_known_keys(c, r, acr_keys);
    json_t *v;
    size_t s;
    if (!(v = json_object_get(r, "acor"))) {
        cssf_pctx_err(c, "missing required key 'acor'");
    } else {
        cssf_strlist_t l;
        s = cssf_pctx_key(c, "acor");
        if (cssf_pctx_strlist(c, v, 0, &l) == 0)
            cssf_strlist_free(&l);
        cssf_pctx_pop(c, s);
    }
    if (!(v = json_object_get(r, "acop"))) {
        cssf_pctx_err(c, "missing required key 'acop'");
    } else if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 63) {
        s = cssf_pctx_key(c, "acop");
        cssf_pctx_err(c, "must be an integer between 1 and 63 (CREATE 1, RETRIEVE 2, UPDATE 4, "
                         "DELETE 8, NOTIFY 16, DISCOVERY 32)");
        cssf_pctx_pop(c, s);
    }
    if ((v = json_object_get(r, "acco"))) {
        s = cssf_pctx_key(c, "acco");
        check_acco(c, v);
        cssf_pctx_pop(c, s);
    }
    if ((v = json_object_get(r, "acaf")) && !json_is_boolean(v)) {
        s = cssf_pctx_key(c, "acaf");
        cssf_pctx_err(c, "expected true or false");
        cssf_pctx_pop(c, s);
    }
    if ((v = json_object_get(r, "acod"))) {
        s = cssf_pctx_key(c, "acod");
        if (json_is_object(v)) {
            check_acod_item(c, v);
        } else if (!json_is_array(v)) {
            cssf_pctx_err(c, "expected object details or an array of them");
        } else {
            for (size_t i = 0; i < json_array_size(v); i++) {
                size_t s2 = cssf_pctx_index(c, i);
                check_acod_item(c, json_array_get(v, i));
                cssf_pctx_pop(c, s2);
            }
        }
        cssf_pctx_pop(c, s);
    }
}

/* pv / pvs: {"acr":[rule...]}; pvs needs at least one rule (TS-0004). */
static void check_privileges(cssf_pctx_t *c, const json_t *v, int need_rule) {
    if (!json_is_object(v)) {
        cssf_pctx_err(c, "expected an object {\"acr\": [...]}");
        return;
    }
    cssf_pctx_known_keys(c, v, acl_keys);
    json_t *acr = json_object_get(v, "acr");
    if (!acr) {
        cssf_pctx_err(c, "missing required key 'acr'");
        return;
    }
    size_t s = cssf_pctx_key(c, "acr");
    if (!json_is_array(acr)) {
        cssf_pctx_err(c, "expected an array of rules");
    } else if (need_rule && json_array_size(acr) == 0) {
        cssf_pctx_err(c, "pvs needs at least one rule");
    } else {
        for (size_t i = 0; i < json_array_size(acr); i++) {
            size_t s2 = cssf_pctx_index(c, i);
            check_rule(c, json_array_get(acr, i));
            cssf_pctx_pop(c, s2);
        }
    }
    cssf_pctx_pop(c, s);
}

static const cssf_acp_def_t *find_acp(const cssf_policy_t *pol, const char *parent,
                                      const char *rn) {
    for (size_t i = 0; i < pol->nacps; i++)
        if (strcmp(pol->acps[i].rn, rn) == 0 && strcmp(pol->acps[i].parent, parent) == 0)
            return &pol->acps[i];
    return NULL;
}

static int append_acp(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *acp, const char *parent,
                      const char *rn) {
    json_t *body = json_object();
    char *text = NULL;
    cssf_acp_def_t *grown = NULL;
    int rc = -1;
    if (!body)
        goto out;
    json_object_set(body, "pv", json_object_get(acp, "pv"));
    json_object_set(body, "pvs", json_object_get(acp, "pvs"));
    if (json_object_get(acp, "lbl"))
        json_object_set(body, "lbl", json_object_get(acp, "lbl"));
    text = json_dumps(body, JSON_COMPACT);
    grown = realloc(pol->acps, (pol->nacps + 1) * sizeof(*pol->acps));
    if (!text || !grown)
        goto out;
    pol->acps = grown;
    cssf_acp_def_t *d = &pol->acps[pol->nacps];
    d->file = strdup(c->file ? c->file : "");
    d->parent = strdup(parent);
    d->rn = strdup(rn);
    d->body = text;
    if (!d->file || !d->parent || !d->rn) {
        free(d->file);
        free(d->parent);
        free(d->rn);
        goto out;
    }
    text = NULL;
    pol->nacps++;
    rc = 0;
out:
    if (rc < 0)
        cssf_pctx_err(c, "out of memory");
    free(text);
    json_decref(body);
    return rc;
}

/* Validates one ACP object at the current path and, if valid, appends it. */
static void parse_one_acp(cssf_pctx_t *c, cssf_policy_t *pol, const json_t *acp,
                          const char *default_parent) {
    size_t before = c->problems;
    if (!json_is_object(acp)) {
        cssf_pctx_err(c, "expected an ACP object (rn, pv, pvs, ...)");
        return;
    }
    cssf_pctx_known_keys(c, acp, acp_keys);
    json_t *v;
    size_t s;
    const char *rn = NULL, *parent = default_parent;
    if ((v = json_object_get(acp, "description"))) {
        s = cssf_pctx_key(c, "description");
        if (!json_is_string(v))
            cssf_pctx_err(c, "expected a string");
        cssf_pctx_pop(c, s);
    }
    if (!(v = json_object_get(acp, "rn"))) {
        cssf_pctx_err(c, "missing required key 'rn' (the ACP's stable resource name)");
    } else {
        s = cssf_pctx_key(c, "rn");
        if (!json_is_string(v) || !name_ok(json_string_value(v), json_string_length(v)))
            cssf_pctx_err(c, "must be a resource name of 1-%d characters A-Z a-z 0-9 - . _ ~",
                          ACP_NAME_MAX);
        else
            rn = json_string_value(v);
        cssf_pctx_pop(c, s);
    }
    if ((v = json_object_get(acp, "parent"))) {
        s = cssf_pctx_key(c, "parent");
        if (!json_is_string(v) || !parent_ok(json_string_value(v)))
            cssf_pctx_err(c, "must be a structured resource path such as \"cse-in\" or "
                             "\"cse-in/gateway\" (no leading slash)");
        else
            parent = json_string_value(v);
        cssf_pctx_pop(c, s);
    }
    if (!(v = json_object_get(acp, "pv"))) {
        cssf_pctx_err(c, "missing required key 'pv'");
    } else {
        s = cssf_pctx_key(c, "pv");
        check_privileges(c, v, 0);
        cssf_pctx_pop(c, s);
    }
    if (!(v = json_object_get(acp, "pvs"))) {
        cssf_pctx_err(c, "missing required key 'pvs'");
    } else {
        s = cssf_pctx_key(c, "pvs");
        check_privileges(c, v, 1);
        cssf_pctx_pop(c, s);
    }
    if ((v = json_object_get(acp, "lbl"))) {
        cssf_strlist_t l;
        s = cssf_pctx_key(c, "lbl");
        if (cssf_pctx_strlist(c, v, 1, &l) == 0)
            cssf_strlist_free(&l);
        cssf_pctx_pop(c, s);
    }
    if (c->problems != before || !rn)
        return;
    const cssf_acp_def_t *dup = find_acp(pol, parent, rn);
    if (dup) {
        s = cssf_pctx_key(c, "rn");
        cssf_pctx_err(c, "duplicate ACP '%s' under '%s' (already defined in %s)", rn, parent,
                      dup->file);
        cssf_pctx_pop(c, s);
        return;
    }
    append_acp(c, pol, acp, parent, rn);
}

size_t cssf_policy_parse_acps(cssf_policy_t *pol, const char *file, const char *text, size_t len,
                              const char *acp_parent, cssf_policy_report_t *rep) {
    cssf_pctx_t c;
    cssf_pctx_init(&c, file, rep);
    json_t *root = cssf_pctx_parse(&c, text, len);
    if (!root)
        return c.problems;
    json_t *list = json_object_get(root, "acps");
    if (!list) {
        parse_one_acp(&c, pol, root, acp_parent);
        goto out;
    }
    cssf_pctx_known_keys(&c, root, file_keys);
    json_t *d = json_object_get(root, "description");
    if (d && !json_is_string(d)) {
        size_t s = cssf_pctx_key(&c, "description");
        cssf_pctx_err(&c, "expected a string");
        cssf_pctx_pop(&c, s);
    }
    size_t s = cssf_pctx_key(&c, "acps");
    if (!json_is_array(list) || json_array_size(list) == 0) {
        cssf_pctx_err(&c, "expected a non-empty array of ACP objects");
    } else {
        for (size_t i = 0; i < json_array_size(list); i++) {
            size_t s2 = cssf_pctx_index(&c, i);
            parse_one_acp(&c, pol, json_array_get(list, i), acp_parent);
            cssf_pctx_pop(&c, s2);
        }
    }
    cssf_pctx_pop(&c, s);
out:
    json_decref(root);
    return c.problems;
}
