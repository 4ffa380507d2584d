/*
 * Configuration: defaults, then the INI file (libinih), then environment
 * overrides CSE_<SECTION>_<KEY>. One table describes every key, so the
 * file, the environment and the checks cannot disagree.
 */
#include "cse/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern char **environ;

enum key_type {
    T_STR,      /* any text that fits */
    T_NONEMPTY, /* text, not empty */
    T_PORT,     /* 0..65535, 0 = any free port */
    T_COUNT,    /* integer in [0, 1024] */
    T_SIZE,     /* bytes > 0, optional K/M/G suffix (powers of 1024) */
    T_LEVEL,    /* error|warn|info|debug */
    T_CSE_ID,   /* "/..." */
    T_RN,       /* resource name: not empty, no '/' */
    T_SP_ID,    /* "" or "//..." */
    T_CHOICE,   /* one of the '|'-separated words in key_def.choices */
    T_INT,      /* integer in [0, 100000000] (large bounds, milliseconds) */
};

typedef struct key_def {
    const char *section, *key;
    enum key_type type;
    size_t off, cap;     /* field offset in cse_config_t, and its size */
    const char *choices; /* T_CHOICE: "a|b|c" */
} key_def_t;

#define FIELD_OF(f) offsetof(cse_config_t, f), sizeof(((cse_config_t *)0)->f)
#define FIELD(f) FIELD_OF(f), NULL
#define CHOICE(f, words) FIELD_OF(f), words

static const key_def_t keys[] = {
    {"cse", "cse_id", T_CSE_ID, FIELD(cse_id)},
    {"cse", "resource_name", T_RN, FIELD(resource_name)},
    {"cse", "sp_id", T_SP_ID, FIELD(sp_id)},
    {"cse", "admin_originator", T_NONEMPTY, FIELD(admin_originator)},
    {"http", "listen", T_NONEMPTY, FIELD(http_listen)},
    {"http", "port", T_PORT, FIELD(http_port)},
    {"http", "threads", T_COUNT, FIELD(http_threads)},
    {"http", "max_body", T_SIZE, FIELD(http_max_body)},
    {"http", "max_header", T_SIZE, FIELD(http_max_header)},
    {"http", "tls_cert", T_STR, FIELD(http_tls_cert)},
    {"http", "tls_key", T_STR, FIELD(http_tls_key)},
    {"http", "tls_ca", T_STR, FIELD(http_tls_ca)},
    {"http", "tls_crl", T_STR, FIELD(http_tls_crl)},
    {"http", "plain", T_COUNT, FIELD(http_plain)},
    {"http", "tls", T_COUNT, FIELD(http_tls)},
    {"http", "tls_port", T_PORT, FIELD(http_tls_port)},
    {"http", "tls_client_auth", T_CHOICE, CHOICE(http_tls_client_auth, "none|optional|required")},
    {"http", "tls_psk", T_COUNT, FIELD(http_tls_psk)},
    {"http", "tls_psk_port", T_PORT, FIELD(http_tls_psk_port)},
    {"coap", "listen", T_NONEMPTY, FIELD(coap_listen)},
    {"coap", "port", T_PORT, FIELD(coap_port)},
    {"coap", "dtls_port", T_PORT, FIELD(coap_dtls_port)},
    {"coap", "dtls", T_COUNT, FIELD(coap_dtls)},
    {"coap", "plain", T_COUNT, FIELD(coap_plain)},
    {"coap", "dtls_cert", T_STR, FIELD(coap_dtls_cert)},
    {"coap", "dtls_key", T_STR, FIELD(coap_dtls_key)},
    {"coap", "dtls_ca", T_STR, FIELD(coap_dtls_ca)},
    {"coap", "dtls_crl", T_STR, FIELD(coap_dtls_crl)},
    {"coap", "dtls_max_sessions", T_INT, FIELD(coap_dtls_max_sessions)},
    {"coap", "dtls_park_after_ms", T_INT, FIELD(coap_dtls_park_after_ms)},
    {"coap", "dtls_max_parked", T_INT, FIELD(coap_dtls_max_parked)},
    {"coap", "max_body", T_SIZE, FIELD(coap_max_body)},
    {"store", "path", T_NONEMPTY, FIELD(store_path)},
    {"plugin", "path", T_STR, FIELD(plugin_path)},
    {"log", "level", T_LEVEL, FIELD(log_level)},
    {"log", "file", T_STR, FIELD(log_file)},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = {"cse", "http", "coap", "store", "plugin", "log"};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

void cse_config_defaults(cse_config_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->cse_id, sizeof(cfg->cse_id), "/id-in");
    snprintf(cfg->resource_name, sizeof(cfg->resource_name), "cse-in");
    snprintf(cfg->sp_id, sizeof(cfg->sp_id), "//example.net");
    snprintf(cfg->admin_originator, sizeof(cfg->admin_originator), "CAdmin");
    snprintf(cfg->http_listen, sizeof(cfg->http_listen), "127.0.0.1");
    cfg->http_port = 8080;
    cfg->http_threads = 0;
    cfg->http_max_body = 1024 * 1024;
    cfg->http_max_header = 16 * 1024;
    cfg->http_plain = 1;
    cfg->http_tls_port = 8443;
    snprintf(cfg->http_tls_client_auth, sizeof(cfg->http_tls_client_auth), "none");
    cfg->http_tls_psk_port = 8444;
    snprintf(cfg->coap_listen, sizeof(cfg->coap_listen), "127.0.0.1");
    cfg->coap_port = 5683;
    cfg->coap_dtls_port = 5684;
    cfg->coap_dtls_max_sessions = 1024;
    cfg->coap_dtls_park_after_ms = 5000;
    cfg->coap_dtls_max_parked = 100000;
    cfg->coap_max_body = 64 * 1024;
    snprintf(cfg->store_path, sizeof(cfg->store_path), "cse.db");
    snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
}

void cse_config_free(cse_config_t *cfg) {
    for (int i = 0; i < cfg->nplugin_opts; i++) {
        free((char *)cfg->plugin_opts[i].key);
        free((char *)cfg->plugin_opts[i].value);
    }
    cfg->nplugin_opts = 0;
}

/* Parses a decimal integer that is the whole of s. */
static int parse_long(const char *s, long long *out) {
    if (!*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, size_t *out) {
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end && !end[1]) {
        const char *suffix = "KMG", *at = strchr(suffix, toupper((unsigned char)*end));
        if (!at)
            return -1;
        shift = 10 * (unsigned)(at - suffix + 1);
        end++;
    }
    if (errno || *end || v == 0 || v > (SIZE_MAX >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

/* 1 if value is one of the '|'-separated words of choices. */
static int choice_valid(const char *choices, const char *value) {
    size_t n = strlen(value);
    for (const char *c = choices; n && c && *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && strncmp(c, value, n) == 0)
            return 1;
        c = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* Checks value against k and stores it in cfg. Returns 0, or -1 with the
 * reason in why. */
static int set_value(cse_config_t *cfg, const key_def_t *k, const char *value, char *why,
                     size_t why_cap) {
    char *field = (char *)cfg + k->off;
    long long n;
    size_t len = strlen(value);
    switch (k->type) {
    case T_PORT:
    case T_COUNT:
    case T_INT: {
        long long max = k->type == T_PORT ? 65535 : k->type == T_COUNT ? 1024 : 100000000;
        if (parse_long(value, &n) != 0 || n < 0 || n > max) {
            snprintf(why, why_cap, "\"%s\" is not %s (0-%lld)", value,
                     k->type == T_PORT ? "a port number" : "a count", max);
            return -1;
        }
        *(int *)(void *)field = (int)n;
        return 0;
    }
    case T_SIZE:
        if (parse_size(value, (size_t *)(void *)field) != 0) {
            snprintf(why, why_cap, "\"%s\" is not a size (bytes > 0, optional K, M or G suffix)",
                     value);
            return -1;
        }
        return 0;
    case T_LEVEL:
        if (strcmp(value, "error") && strcmp(value, "warn") && strcmp(value, "info") &&
            strcmp(value, "debug")) {
            snprintf(why, why_cap, "\"%s\" is not one of error, warn, info, debug", value);
            return -1;
        }
        break;
    case T_NONEMPTY:
        if (len == 0) {
            snprintf(why, why_cap, "must not be empty");
            return -1;
        }
        break;
    case T_CSE_ID:
        if (value[0] != '/' || value[1] == '\0' || value[1] == '/') {
            snprintf(why, why_cap, "\"%s\" is not a CSE-ID (\"/\" then a name)", value);
            return -1;
        }
        break;
    case T_RN:
        if (len == 0 || strchr(value, '/')) {
            snprintf(why, why_cap, "\"%s\" is not a resource name (not empty, no \"/\")", value);
            return -1;
        }
        break;
    case T_SP_ID:
        if (len > 0 && (strncmp(value, "//", 2) != 0 || len == 2)) {
            snprintf(why, why_cap, "\"%s\" is not an SP-ID (\"//\" then a domain, or empty)",
                     value);
            return -1;
        }
        break;
    case T_CHOICE:
        if (!choice_valid(k->choices, value)) {
            snprintf(why, why_cap, "\"%s\" is not one of %s", value, k->choices);
            return -1;
        }
        break;
    case T_STR:
        break;
    }
    if (len >= k->cap) {
        snprintf(why, why_cap, "value too long (%zu bytes, at most %zu)", len, k->cap - 1);
        return -1;
    }
    memcpy(field, value, len + 1);
    return 0;
}

/* Sets plugin option key (replacing an earlier value of the same key,
 * compared without case, or appending). */
static int set_plugin_opt(cse_config_t *cfg, const char *key, const char *value, char *why,
                          size_t why_cap) {
    int i = 0;
    while (i < cfg->nplugin_opts && strcasecmp(cfg->plugin_opts[i].key, key) != 0)
        i++;
    if (i == CSE_CONFIG_MAX_PLUGIN_OPTS) {
        snprintf(why, why_cap, "too many plugin options (at most %d)", CSE_CONFIG_MAX_PLUGIN_OPTS);
        return -1;
    }
    char *v = strdup(value);
    char *k = i < cfg->nplugin_opts ? NULL : strdup(key);
    if (!v || (i == cfg->nplugin_opts && !k)) {
        free(v);
        free(k);
        snprintf(why, why_cap, "out of memory");
        return -1;
    }
    if (i < cfg->nplugin_opts) {
        free((char *)cfg->plugin_opts[i].value);
    } else {
        cfg->plugin_opts[i].key = k;
        cfg->nplugin_opts++;
    }
    cfg->plugin_opts[i].value = v;
    return 0;
}

static const key_def_t *find_key(const char *section, const char *key) {
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcasecmp(keys[i].section, section) == 0 && strcasecmp(keys[i].key, key) == 0)
            return &keys[i];
    }
    return NULL;
}

static int known_section(const char *section) {
    for (size_t i = 0; i < NSECTIONS; i++) {
        if (strcasecmp(sections[i], section) == 0)
            return 1;
    }
    return 0;
}

/* Applies one "section key value" from either source. */
static int apply(cse_config_t *cfg, const char *section, const char *key, const char *value,
                 char *why, size_t why_cap) {
    const key_def_t *k = find_key(section, key);
    if (k)
        return set_value(cfg, k, value, why, why_cap);
    if (strcasecmp(section, "plugin") == 0)
        return set_plugin_opt(cfg, key, value, why, why_cap);
    snprintf(why, why_cap, "%s",
             !*section                ? "key outside any [section]"
             : known_section(section) ? "unknown key"
                                      : "unknown section");
    return -1;
}

/* --- the INI file ------------------------------------------------------ */

typedef struct ini_ctx {
    cse_config_t *cfg;
    const char *path;
    FILE *f;
    char *buf;
    size_t buf_cap;
    int lineno, failed;
    char *err;
    size_t err_cap;
} ini_ctx_t;

/* Feeds inih whole lines: an over-long line is an error here rather than
 * being split by inih into two lines. Leading blanks are dropped so an
 * indented key is a key, not the continuation of the previous value. */
static char *read_line(char *str, int num, void *stream) {
    ini_ctx_t *c = stream;
    ssize_t n = getline(&c->buf, &c->buf_cap, c->f);
    if (n < 0)
        return NULL;
    c->lineno++;
    const char *s = c->buf;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t text = strcspn(s, "\r\n"); /* without the line end */
    /* inih's buffer holds num bytes: the text, "\n" and the final NUL. */
    if (text + 2 > (size_t)num) {
        if (!c->failed)
            snprintf(c->err, c->err_cap, "%s:%d: line too long (%zu bytes, at most %d)", c->path,
                     c->lineno, text, num - 2);
        c->failed = 1;
        str[0] = '\0';
        return str;
    }
    memcpy(str, s, text);
    str[text] = '\n';
    str[text + 1] = '\0';
    return str;
}

static int on_ini_value(void *user, const char *section, const char *key, const char *value) {
    ini_ctx_t *c = user;
    char why[256];
    if (c->failed)
        return 0;
    if (apply(c->cfg, section, key, value, why, sizeof(why)) == 0)
        return 1;
    snprintf(c->err, c->err_cap, "%s:%d: [%s] %s: %s", c->path, c->lineno, section, key, why);
    c->failed = 1;
    return 0;
}

static int load_file(cse_config_t *cfg, const char *path, char *err, size_t err_cap) {
    ini_ctx_t c = {.cfg = cfg, .path = path, .err = err, .err_cap = err_cap};
    c.f = fopen(path, "r");
    if (!c.f) {
        snprintf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int rc = ini_parse_stream(read_line, &c, on_ini_value, &c);
    if (rc != 0 && !c.failed)
        snprintf(err, err_cap,
                 rc > 0 ? "%s:%d: syntax error (expected [section] or key = value)"
                        : "%s:%d: cannot parse (out of memory)",
                 path, rc > 0 ? rc : c.lineno);
    free(c.buf);
    fclose(c.f);
    return rc == 0 && !c.failed ? 0 : -1;
}

/* --- the environment --------------------------------------------------- */

/* Matches "CSE_<SECTION>_" at the start of name; returns the key part. */
static const char *env_key(const char *name, const char *section) {
    if (strncmp(name, "CSE_", 4) != 0)
        return NULL;
    size_t n = strlen(section);
    if (strncasecmp(name + 4, section, n) != 0 || name[4 + n] != '_')
        return NULL;
    return name + 5 + n;
}

/* Applies one NAME=VALUE environment entry if it is ours. */
static int apply_env(cse_config_t *cfg, const char *entry, char *err, size_t err_cap) {
    const char *eq = strchr(entry, '=');
    char name[256], key[256], why[256];
    if (!eq || (size_t)(eq - entry) >= sizeof(name))
        return 0;
    memcpy(name, entry, (size_t)(eq - entry));
    name[eq - entry] = '\0';
    for (size_t s = 0; s < NSECTIONS; s++) {
        const char *k = env_key(name, sections[s]);
        if (!k)
            continue;
        size_t i = 0;
        for (; k[i]; i++)
            key[i] = (char)tolower((unsigned char)k[i]);
        key[i] = '\0';
        if (!key[0]) {
            snprintf(err, err_cap, "environment %s: [%s]: empty key", name, sections[s]);
            return -1;
        }
        if (apply(cfg, sections[s], key, eq + 1, why, sizeof(why)) != 0) {
            snprintf(err, err_cap, "environment %s: [%s] %s: %s", name, sections[s], key, why);
            return -1;
        }
        return 0;
    }
    return 0; /* CSE_ but not a section of ours (e.g. a test harness's) */
}

static int load_env(cse_config_t *cfg, char *err, size_t err_cap) {
    for (char **e = environ; e && *e; e++) {
        if (apply_env(cfg, *e, err, err_cap) != 0)
            return -1;
    }
    return 0;
}

int cse_config_load(cse_config_t *cfg, const char *path, char *err, size_t err_cap) {
    if (path) {
        if (snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", path) >=
            (int)sizeof(cfg->config_path)) {
            snprintf(err, err_cap, "config path too long");
            return -1;
        }
        if (load_file(cfg, path, err, err_cap) != 0)
            return -1;
    }
    return load_env(cfg, err, err_cap);
}
