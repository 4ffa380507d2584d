/* [plugin] options (see cssf_options.h). */
#include "plugin/cssf_options.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugin/data/audit.h"
#include "plugin/data/policy.h"

#define KNOWN_KEYS                                                                                 \
    "policy_dir, authentication, trust_claimed_admin, audit_file, audit_max_bytes, "               \
    "check_policies, master_key_file"

static int parse_bool(const char *v, int *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* "1048576", "512k", "10M", "1GiB" (powers of 1024). */
static int parse_size(const char *v, size_t *out) {
    static const struct {
        const char *suffix;
        unsigned long long mult;
    } units[] = {{"", 1},           {"k", 1ull << 10},   {"K", 1ull << 10}, {"KiB", 1ull << 10},
                 {"M", 1ull << 20}, {"MiB", 1ull << 20}, {"G", 1ull << 30}, {"GiB", 1ull << 30}};
    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            if (n > SIZE_MAX / units[i].mult)
                return -1;
            *out = (size_t)(n * units[i].mult);
            return 0;
        }
    }
    return -1;
}

static int copy_path(char *dst, size_t cap, const char *key, const char *v, char *err,
                     size_t err_cap) {
    if (!*v || strlen(v) >= cap) {
        snprintf(err, err_cap, "option %s: %s", key, *v ? "path too long" : "must not be empty");
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

int cssf_options_parse(cssf_options_t *o, const cse_plugin_opt_t *opts, int nopts, char *err,
                       size_t err_cap) {
    memset(o, 0, sizeof(*o));
    strcpy(o->policy_dir, "policies");
    strcpy(o->audit_file, "audit.log");
    o->authn_mode = CSSF_AUTHN_REQUIRED;
    o->audit_max_bytes = CSSF_AUDIT_DEFAULT_MAX_BYTES;
    for (int i = 0; i < nopts; i++) {
        const char *k = opts[i].key ? opts[i].key : "", *v = opts[i].value ? opts[i].value : "";
        if (strcmp(k, "policy_dir") == 0) {
            if (copy_path(o->policy_dir, sizeof(o->policy_dir), k, v, err, err_cap) < 0)
                return -1;
        } else if (strcmp(k, "audit_file") == 0) {
            if (copy_path(o->audit_file, sizeof(o->audit_file), k, v, err, err_cap) < 0)
                return -1;
        } else if (strcmp(k, "master_key_file") == 0) {
            if (copy_path(o->master_key_file, sizeof(o->master_key_file), k, v, err, err_cap) < 0)
                return -1;
        } else if (strcmp(k, "check_policies") == 0) {
            if (copy_path(o->check_policies, sizeof(o->check_policies), k, v, err, err_cap) < 0)
                return -1;
        } else if (strcmp(k, "authentication") == 0) {
            if (strcmp(v, "required") == 0) {
                o->authn_mode = CSSF_AUTHN_REQUIRED;
            } else if (strcmp(v, "optional") == 0) {
                o->authn_mode = CSSF_AUTHN_OPTIONAL;
            } else {
                snprintf(err, err_cap,
                         "option authentication: '%s' is neither required nor optional", v);
                return -1;
            }
        } else if (strcmp(k, "trust_claimed_admin") == 0) {
            if (parse_bool(v, &o->trust_claimed_admin) < 0) {
                snprintf(err, err_cap, "option trust_claimed_admin: '%s' is neither true nor false",
                         v);
                return -1;
            }
        } else if (strcmp(k, "audit_max_bytes") == 0) {
            if (parse_size(v, &o->audit_max_bytes) < 0 ||
                (o->audit_max_bytes > 0 && o->audit_max_bytes < 1024)) {
                snprintf(err, err_cap,
                         "option audit_max_bytes: '%s' is not a size of at least 1024 bytes "
                         "(suffixes k, M, G) or 0",
                         v);
                return -1;
            }
        } else {
            snprintf(err, err_cap, "unknown option '%s' (known: " KNOWN_KEYS ")", k);
            return -1;
        }
    }
    if (o->trust_claimed_admin && o->authn_mode != CSSF_AUTHN_OPTIONAL) {
        snprintf(err, err_cap, "option trust_claimed_admin=true needs authentication=optional");
        return -1;
    }
    return 0;
}
