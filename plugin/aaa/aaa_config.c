/* radius_* plugin options. */
#include "plugin/aaa/aaa_config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/platform_util.h>

#define DEFAULT_INTERIM 300u
#define DEFAULT_CACHE_TTL 300u
#define SECRET_FILE_MAX 256

void cssf_aaa_config_init(cssf_aaa_config_t *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->acct_interim = DEFAULT_INTERIM;
    cfg->cache_ttl = DEFAULT_CACHE_TTL;
    cfg->psk_format = CSSF_AAA_PSK_HEX;
}

static void free_secret_str(char *s) {
    if (s) {
        mbedtls_platform_zeroize(s, strlen(s));
        free(s);
    }
}

void cssf_aaa_config_free(cssf_aaa_config_t *cfg) {
    /* Server specs may hold inline secrets. */
    for (size_t i = 0; i < cfg->n_auth; i++)
        free_secret_str(cfg->auth_servers[i]);
    for (size_t i = 0; i < cfg->n_acct; i++)
        free_secret_str(cfg->acct_servers[i]);
    free_secret_str(cfg->secret);
    free_secret_str(cfg->psk_password);
    free(cfg->nas_identifier);
    free(cfg->nas_ip);
    free(cfg->acct_queue);
    cssf_aaa_config_init(cfg);
}

static int parse_bool(const char *v, int *out) {
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
        !strcmp(v, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
        !strcmp(v, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_uint(const char *v, unsigned max, unsigned *out) {
    char *end;
    if (!isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n > max)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* Splits a whitespace-separated server list into list[]. */
static int parse_servers(const char *key, const char *v, char **list, size_t *n, char *err,
                         size_t cap) {
    for (size_t i = 0; i < *n; i++)
        free_secret_str(list[i]);
    *n = 0;
    const char *p = v;
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && !isspace((unsigned char)*end) && *end != ',')
            end++;
        if (*n == CSSF_RADIUS_MAX_SERVERS) {
            snprintf(err, cap, "option %s: at most %d servers", key, CSSF_RADIUS_MAX_SERVERS);
            return -1;
        }
        list[*n] = strndup(p, (size_t)(end - p));
        if (!list[*n]) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        (*n)++;
        p = end;
    }
    if (*n == 0) {
        snprintf(err, cap, "option %s: no server given", key);
        return -1;
    }
    return 0;
}

/* The shared secret from a file: first line, trailing newline removed. */
static int read_secret_file(cssf_aaa_config_t *cfg, const char *path, char *err, size_t cap) {
    char buf[SECRET_FILE_MAX + 2];
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, cap, "option radius_secret_file: %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = fgets(buf, sizeof buf, f);
    fclose(f);
    int rc = -1;
    if (!line) {
        snprintf(err, cap, "option radius_secret_file: %s is empty", path);
        goto out;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    size_t n = strlen(buf);
    if (n == 0 || n > 128) {
        snprintf(err, cap, "option radius_secret_file: the secret in %s must be 1..128 bytes",
                 path);
        goto out;
    }
    free_secret_str(cfg->secret);
    cfg->secret = strdup(buf);
    rc = cfg->secret ? 0 : -1;
out:
    mbedtls_platform_zeroize(buf, sizeof buf);
    return rc;
}

int cssf_aaa_config_option(cssf_aaa_config_t *cfg, const char *key, const char *value, char *err,
                           size_t err_cap) {
    const char *v = value ? value : "";
    unsigned *num = NULL, max = 0;
    int *flag = NULL;
    char **str = NULL;
    if (strncmp(key, "radius_", 7) != 0)
        return 0;
    const char *k = key + 7;
    if (!strcmp(k, "auth_servers"))
        return parse_servers(key, v, cfg->auth_servers, &cfg->n_auth, err, err_cap) ? -1 : 1;
    if (!strcmp(k, "acct_servers"))
        return parse_servers(key, v, cfg->acct_servers, &cfg->n_acct, err, err_cap) ? -1 : 1;
    if (!strcmp(k, "secret_file"))
        return read_secret_file(cfg, v, err, err_cap) ? -1 : 1;
    if (!strcmp(k, "nas_identifier"))
        str = &cfg->nas_identifier;
    else if (!strcmp(k, "nas_ip"))
        str = &cfg->nas_ip;
    else if (!strcmp(k, "acct_queue"))
        str = &cfg->acct_queue;
    else if (!strcmp(k, "psk_password"))
        str = &cfg->psk_password;
    else if (!strcmp(k, "timeout_ms"))
        num = &cfg->timeout_ms, max = 60000;
    else if (!strcmp(k, "retries"))
        num = &cfg->retries, max = 10, cfg->retries_set = 1;
    else if (!strcmp(k, "dead_after"))
        num = &cfg->dead_after, max = 1000;
    else if (!strcmp(k, "probe_ms"))
        num = &cfg->probe_ms, max = 3600000;
    else if (!strcmp(k, "acct_interim"))
        num = &cfg->acct_interim, max = 86400;
    else if (!strcmp(k, "cache_ttl"))
        num = &cfg->cache_ttl, max = 86400;
    else if (!strcmp(k, "acct_allow_missing_ma"))
        flag = &cfg->acct_allow_missing_ma;
    else if (!strcmp(k, "psk"))
        flag = &cfg->psk;
    else if (!strcmp(k, "basic"))
        flag = &cfg->basic;
    else if (!strcmp(k, "psk_format")) {
        if (!strcmp(v, "hex"))
            cfg->psk_format = CSSF_AAA_PSK_HEX;
        else if (!strcmp(v, "raw"))
            cfg->psk_format = CSSF_AAA_PSK_RAW;
        else {
            snprintf(err, err_cap, "option %s: '%s' is neither hex nor raw", key, v);
            return -1;
        }
        return 1;
    } else {
        snprintf(err, err_cap, "unknown option '%s'", key);
        return -1;
    }
    if (str) {
        if (!*v || strlen(v) > (str == &cfg->acct_queue ? PATH_MAX - 1 : 253)) {
            snprintf(err, err_cap, "option %s: must be 1..%d bytes", key,
                     str == &cfg->acct_queue ? PATH_MAX - 1 : 253);
            return -1;
        }
        char *d = strdup(v);
        if (!d) {
            snprintf(err, err_cap, "out of memory");
            return -1;
        }
        free_secret_str(*str); /* psk_password is a secret; wiping the others costs nothing */
        *str = d;
        return 1;
    }
    if (num && parse_uint(v, max, num) != 0) {
        snprintf(err, err_cap, "option %s: '%s' is not a number in 0..%u", key, v, max);
        return -1;
    }
    if (flag && parse_bool(v, flag) != 0) {
        snprintf(err, err_cap, "option %s: '%s' is neither true nor false", key, v);
        return -1;
    }
    return 1;
}

int cssf_aaa_config_take(cssf_aaa_config_t *cfg, const cse_plugin_opt_t *opts, int nopts,
                         cse_plugin_opt_t *rest, int *nrest, char *err, size_t err_cap) {
    *nrest = 0;
    for (int i = 0; i < nopts; i++) {
        const char *k = opts[i].key ? opts[i].key : "";
        int rc = cssf_aaa_config_option(cfg, k, opts[i].value, err, err_cap);
        if (rc < 0)
            return -1;
        if (rc == 0)
            rest[(*nrest)++] = opts[i];
    }
    return 0;
}

int cssf_aaa_config_enabled(const cssf_aaa_config_t *cfg) {
    return cfg->n_auth + cfg->n_acct > 0;
}

int cssf_aaa_config_check(const cssf_aaa_config_t *cfg, char *err, size_t err_cap) {
    if ((cfg->psk || cfg->basic) && cfg->n_auth == 0) {
        snprintf(err, err_cap, "option radius_%s needs radius_auth_servers",
                 cfg->psk ? "psk" : "basic");
        return -1;
    }
    if (cfg->n_acct && !cfg->acct_queue) {
        snprintf(err, err_cap, "option radius_acct_servers needs radius_acct_queue (a file)");
        return -1;
    }
    /* No secret or PSK-lookup password here is not an error: it may be
     * sealed in the registry (cssfctl radius set-secret); until there is
     * one, requests fail closed with a reason. */
    return 0;
}

int cssf_aaa_server_split(const char *spec, char *name, size_t cap, const char **secret) {
    const char *p = spec, *end;
    char *colon;
    *secret = NULL;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end || end[1] != ':')
            return -1;
        end++;
    } else if (!(end = strchr(p, ':'))) {
        return -1;
    }
    if (end == p || (*p == '[' && end - p <= 2))
        return -1;
    errno = 0;
    unsigned long port = strtoul(end + 1, &colon, 10);
    if (errno || colon == end + 1 || !isdigit((unsigned char)end[1]) || port == 0 || port > 65535 ||
        (*colon && *colon != ':'))
        return -1;
    int n = snprintf(name, cap, "%.*s:%lu", (int)(end - p), p, port);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    if (*colon == ':')
        *secret = colon + 1;
    return 0;
}
