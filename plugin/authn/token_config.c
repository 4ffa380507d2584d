/* Parsing of the policy's tokens section (see token_config.h). */
#include "plugin/authn/token_config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/authn/token_keys.h"

#define MAX_LIST 256
#define MAX_SECRET 1024

static const char *const default_algs[] = {"ES256", "ES384", "ES512", "RS256", "PS256"};
static const char *const default_types[] = {"at+jwt", "JWT"};

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static void strlist_clear(cssf_strlist_t *l) {
    for (size_t i = 0; l->v && i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int strlist_set(cssf_strlist_t *l, const char *const *v, size_t n) {
    l->v = calloc(n ? n : 1, sizeof(char *));
    if (!l->v)
        return -1;
    for (; l->n < n; l->n++)
        if (!(l->v[l->n] = strdup(v[l->n])))
            return -1;
    return 0;
}

/* A string or a list of non-empty strings (single = 1 accepts a bare string). */
static int parse_strlist(const json_t *j, const char *path, int single, cssf_strlist_t *out,
                         char *err, size_t cap) {
    if (single && json_is_string(j)) {
        const char *s = json_string_value(j);
        if (!*s)
            return fail(err, cap, "%s: empty string", path);
        return strlist_set(out, &s, 1) < 0 ? fail(err, cap, "out of memory") : 0;
    }
    if (!json_is_array(j) || json_array_size(j) == 0 || json_array_size(j) > MAX_LIST)
        return fail(err, cap, "%s: expected a list of 1 to %d strings", path, MAX_LIST);
    const char *tmp[MAX_LIST];
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e) {
        tmp[i] = json_string_value(e);
        if (!tmp[i] || !*tmp[i] || strlen(tmp[i]) != json_string_length(e))
            return fail(err, cap, "%s[%zu]: expected a non-empty string", path, i);
    }
    return strlist_set(out, tmp, json_array_size(j)) < 0 ? fail(err, cap, "out of memory") : 0;
}

static int parse_string(const json_t *j, const char *path, char **out, char *err, size_t cap) {
    const char *s = json_string_value(j);
    if (!s || !*s || strlen(s) != json_string_length(j))
        return fail(err, cap, "%s: expected a non-empty string", path);
    if (!(*out = strdup(s)))
        return fail(err, cap, "out of memory");
    return 0;
}

static int parse_url(const json_t *j, const char *path, char **out, char *err, size_t cap) {
    if (parse_string(j, path, out, err, cap) < 0)
        return -1;
    if (strncmp(*out, "https://", 8) != 0 && strncmp(*out, "http://", 7) != 0)
        return fail(err, cap, "%s: expected an http:// or https:// URL", path);
    return 0;
}

/* An integer in [lo, hi], or def when absent. */
static int parse_int(const json_t *parent, const char *key, const char *path, int64_t lo,
                     int64_t hi, int64_t def, int64_t *out, char *err, size_t cap) {
    json_t *j = json_object_get(parent, key);
    if (!j) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(j) || json_integer_value(j) < lo || json_integer_value(j) > hi)
        return fail(err, cap, "%s.%s: expected an integer from %lld to %lld", path, key,
                    (long long)lo, (long long)hi);
    *out = json_integer_value(j);
    return 0;
}

/* Refuses keys outside allowed (NULL-terminated); "description" is always allowed. */
static int known_keys(const json_t *obj, const char *path, const char *const *allowed, char *err,
                      size_t cap) {
    if (!json_is_object(obj))
        return fail(err, cap, "%s: expected an object", path);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = strcmp(key, "description") == 0;
        for (size_t i = 0; !ok && allowed[i]; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok)
            return fail(err, cap, "%s: unknown key '%.60s'", path, key);
    }
    return 0;
}

/* Algorithms: known ones, never none; HS* only when symmetric_ok. */
static int parse_algs(const json_t *j, const char *path, int symmetric_ok, cssf_strlist_t *out,
                      char *err, size_t cap) {
    if (!j)
        return strlist_set(out, default_algs, sizeof(default_algs) / sizeof(default_algs[0])) < 0
                   ? fail(err, cap, "out of memory")
                   : 0;
    if (parse_strlist(j, path, 0, out, err, cap) < 0)
        return -1;
    for (size_t i = 0; i < out->n; i++) {
        if (strcmp(out->v[i], "none") == 0)
            return fail(err, cap, "%s[%zu]: alg none is never accepted", path, i);
        if (!cssf_jws_alg_known(out->v[i]))
            return fail(err, cap, "%s[%zu]: unknown algorithm '%.20s'", path, i, out->v[i]);
        if (strncmp(out->v[i], "HS", 2) == 0 && !symmetric_ok)
            return fail(err, cap,
                        "%s[%zu]: %s needs a local symmetric key (jwks with kty oct); it is never "
                        "accepted with public keys",
                        path, i, out->v[i]);
    }
    return 0;
}

/* 1 when the local set holds a symmetric key. */
static int has_oct_key(const json_t *jwks) {
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(jwks, "keys"), i, k) {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        if (kty && strcmp(kty, "oct") == 0)
            return 1;
    }
    return 0;
}

static int parse_jwks(const json_t *j, const char *path, json_t **out, char *err, size_t cap) {
    json_t *keys = json_object_get(j, "keys");
    if (!json_is_object(j) || !json_is_array(keys) || json_array_size(keys) == 0 ||
        json_array_size(keys) > CSSF_TOKEN_MAX_KEYS)
        return fail(err, cap, "%s: expected a JWK set {\"keys\": [...]} with 1 to %d keys", path,
                    CSSF_TOKEN_MAX_KEYS);
    *out = json_deep_copy(j);
    return *out ? 0 : fail(err, cap, "out of memory");
}

/* Reads a client secret from a file that only its owner may read. */
static int read_secret_file(const char *file, const char *path, char **out, char *err, size_t cap) {
    char buf[MAX_SECRET + 1];
    struct stat sb;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, cap, "%s: cannot open %.200s", path, file);
    if (fstat(fd, &sb) < 0 || (sb.st_mode & 077)) {
        close(fd);
        return fail(err, cap, "%s: %.200s must not be readable by group or others (chmod 600)",
                    path, file);
    }
    ssize_t n = read(fd, buf, MAX_SECRET + 1);
    close(fd);
    if (n <= 0 || n > MAX_SECRET)
        return fail(err, cap, "%s: %.200s is empty or longer than %d bytes", path, file,
                    MAX_SECRET);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (n == 0 || strlen(buf) != (size_t)n)
        return fail(err, cap, "%s: %.200s holds no usable secret", path, file);
    *out = strdup(buf);
    memset(buf, 0, sizeof(buf));
    return *out ? 0 : fail(err, cap, "out of memory");
}

static int parse_introspection(cssf_token_config_t *c, const json_t *j, char *err, size_t cap) {
    static const char *const keys[] = {
        "endpoint", "client_id", "client_secret", "client_secret_file", "auth", "interval", NULL};
    const char *p = "tokens.introspection";
    if (known_keys(j, p, keys, err, cap) < 0 ||
        parse_url(json_object_get(j, "endpoint"), "tokens.introspection.endpoint",
                  &c->introspection_url, err, cap) < 0 ||
        parse_string(json_object_get(j, "client_id"), "tokens.introspection.client_id",
                     &c->client_id, err, cap) < 0)
        return -1;
    json_t *secret = json_object_get(j, "client_secret");
    json_t *file = json_object_get(j, "client_secret_file");
    if (!!secret == !!file)
        return fail(err, cap, "%s: give exactly one of client_secret and client_secret_file", p);
    if (secret ? parse_string(secret, "tokens.introspection.client_secret", &c->client_secret, err,
                              cap)
        : !json_is_string(file) ? fail(err, cap, "%s.client_secret_file: expected a path", p)
                                : read_secret_file(json_string_value(file),
                                                   "tokens.introspection."
                                                   "client_secret_file",
                                                   &c->client_secret, err, cap))
        return -1;
    json_t *auth = json_object_get(j, "auth");
    const char *a = auth ? json_string_value(auth) : "client_secret_basic";
    if (!a || (strcmp(a, "client_secret_basic") && strcmp(a, "client_secret_post")))
        return fail(err, cap, "%s.auth: expected client_secret_basic or client_secret_post", p);
    c->auth_post = strcmp(a, "client_secret_post") == 0;
    return parse_int(j, "interval", p, 0, 3600, 30, &c->introspection_interval, err, cap);
}

static int parse_subjects(cssf_token_config_t *c, const json_t *j, char *err, size_t cap) {
    if (!json_is_object(j) || json_object_size(j) > 65536)
        return fail(err, cap, "tokens.subjects: expected an object {subject: [AE-ID, ...]}");
    c->subjects = calloc(json_object_size(j) ? json_object_size(j) : 1, sizeof(*c->subjects));
    if (!c->subjects)
        return fail(err, cap, "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        char path[192];
        snprintf(path, sizeof(path), "tokens.subjects.%.100s", key);
        cssf_token_subject_t *s = &c->subjects[c->nsubjects++];
        if (!*key || !(s->subject = strdup(key)))
            return fail(err, cap, "%s: empty subject or out of memory", path);
        if (parse_strlist(v, path, 1, &s->aeids, err, cap) < 0)
            return -1;
    }
    return 0;
}

static int parse_das(cssf_token_config_t *c, const json_t *j, char *err, size_t cap) {
    static const char *const keys[] = {"issuer", "jwks", "algorithms", NULL};
    const char *p = "tokens.dynamic_authorization";
    if (known_keys(j, p, keys, err, cap) < 0)
        return -1;
    c->has_das = 1;
    json_t *iss = json_object_get(j, "issuer");
    if (iss && parse_string(iss, "tokens.dynamic_authorization.issuer", &c->das_issuer, err, cap))
        return -1;
    if (parse_jwks(json_object_get(j, "jwks"), "tokens.dynamic_authorization.jwks", &c->das_jwks,
                   err, cap) < 0)
        return -1;
    return parse_algs(json_object_get(j, "algorithms"), "tokens.dynamic_authorization.algorithms",
                      has_oct_key(c->das_jwks), &c->das_algorithms, err, cap);
}

static int parse_limits(cssf_token_config_t *c, const json_t *s, char *err, size_t cap) {
    static const char *const cache_keys[] = {"max_entries", "max_ttl", NULL};
    static const char *const refresh_keys[] = {"min_interval", "max_age", NULL};
    int64_t entries = 0, timeout = 0; /* set by the parsers below before use */
    json_t *cache = json_object_get(s, "cache");
    json_t *refresh = json_object_get(s, "jwks_refresh");
    json_t *empty = json_object();
    int rc = -1;
    if (!empty)
        return fail(err, cap, "out of memory");
    if ((cache && known_keys(cache, "tokens.cache", cache_keys, err, cap) < 0) ||
        (refresh && known_keys(refresh, "tokens.jwks_refresh", refresh_keys, err, cap) < 0) ||
        parse_int(cache ? cache : empty, "max_entries", "tokens.cache", 1, 1000000, 10000, &entries,
                  err, cap) < 0 ||
        parse_int(cache ? cache : empty, "max_ttl", "tokens.cache", 1, 86400, 300,
                  &c->cache_max_ttl, err, cap) < 0 ||
        parse_int(refresh ? refresh : empty, "min_interval", "tokens.jwks_refresh", 0, 3600, 10,
                  &c->jwks_min_refresh, err, cap) < 0 ||
        parse_int(refresh ? refresh : empty, "max_age", "tokens.jwks_refresh", 60, 604800, 3600,
                  &c->jwks_max_age, err, cap) < 0 ||
        parse_int(s, "clock_skew", "tokens", 0, 600, 30, &c->clock_skew, err, cap) < 0 ||
        parse_int(s, "http_timeout", "tokens", 1, 60, 3, &timeout, err, cap) < 0)
        goto out;
    c->cache_max_entries = (size_t)entries;
    c->http_timeout = (int)timeout;
    rc = 0;
out:
    json_decref(empty);
    return rc;
}

static int parse_bearer(cssf_token_config_t *c, const json_t *s, char *err, size_t cap) {
    json_t *uri = json_object_get(s, "jwks_uri"), *jwks = json_object_get(s, "jwks");
    json_t *intro = json_object_get(s, "introspection");
    c->has_bearer = 1;
    if (parse_string(json_object_get(s, "issuer"), "tokens.issuer", &c->issuer, err, cap) < 0 ||
        parse_strlist(json_object_get(s, "audience"), "tokens.audience", 1, &c->audiences, err,
                      cap) < 0)
        return -1;
    if (uri && jwks)
        return fail(err, cap, "tokens: give jwks_uri or jwks, not both");
    if (!uri && !jwks && !intro)
        return fail(err, cap, "tokens: give jwks_uri, jwks or introspection to check tokens");
    if ((uri && parse_url(uri, "tokens.jwks_uri", &c->jwks_uri, err, cap) < 0) ||
        (jwks && parse_jwks(jwks, "tokens.jwks", &c->jwks, err, cap) < 0) ||
        (intro && parse_introspection(c, intro, err, cap) < 0) ||
        parse_algs(json_object_get(s, "algorithms"), "tokens.algorithms",
                   c->jwks && has_oct_key(c->jwks), &c->algorithms, err, cap) < 0)
        return -1;
    json_t *types = json_object_get(s, "types");
    if (types ? parse_strlist(types, "tokens.types", 0, &c->types, err, cap)
        : strlist_set(&c->types, default_types, 2) < 0 ? fail(err, cap, "out of memory")
                                                       : 0)
        return -1;
    json_t *admins = json_object_get(s, "admins");
    json_t *subjects = json_object_get(s, "subjects");
    json_t *admin_scope = json_object_get(s, "admin_scope");
    if ((admins && parse_strlist(admins, "tokens.admins", 0, &c->admins, err, cap) < 0) ||
        (subjects && parse_subjects(c, subjects, err, cap) < 0) ||
        (admin_scope &&
         parse_string(admin_scope, "tokens.admin_scope", &c->admin_scope, err, cap) < 0))
        return -1;
    /* One scope-token (RFC 6749 §3.3): printable, no space, no quote or backslash. */
    for (const char *p = c->admin_scope; p && *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            return fail(err, cap, "tokens.admin_scope: expected one scope (no spaces)");
    return cssf_scope_map_parse(json_object_get(s, "scopes"), &c->scopes, err, cap);
}

cssf_token_config_t *cssf_token_config_parse(const json_t *section, char *err, size_t err_cap) {
    static const char *const keys[] = {"issuer",
                                       "audience",
                                       "jwks_uri",
                                       "jwks",
                                       "introspection",
                                       "algorithms",
                                       "types",
                                       "clock_skew",
                                       "cache",
                                       "jwks_refresh",
                                       "http_timeout",
                                       "subjects",
                                       "admins",
                                       "admin_scope",
                                       "scopes",
                                       "dynamic_authorization",
                                       NULL};
    static const char *const bearer_keys[] = {"issuer", "audience", "jwks_uri", "jwks",
                                              "introspection"};
    cssf_token_config_t *c = calloc(1, sizeof(*c));
    if (!c) {
        fail(err, err_cap, "out of memory");
        return NULL;
    }
    if (known_keys(section, "tokens", keys, err, err_cap) < 0 ||
        parse_limits(c, section, err, err_cap) < 0)
        goto bad;
    int bearer = 0;
    for (size_t i = 0; i < sizeof(bearer_keys) / sizeof(bearer_keys[0]); i++)
        bearer |= json_object_get(section, bearer_keys[i]) != NULL;
    if (bearer && parse_bearer(c, section, err, err_cap) < 0)
        goto bad;
    json_t *das = json_object_get(section, "dynamic_authorization");
    if (das && parse_das(c, das, err, err_cap) < 0)
        goto bad;
    return c;
bad:
    cssf_token_config_free(c);
    return NULL;
}

void cssf_token_config_free(cssf_token_config_t *c) {
    if (!c)
        return;
    free(c->issuer);
    strlist_clear(&c->audiences);
    free(c->jwks_uri);
    json_decref(c->jwks);
    free(c->introspection_url);
    free(c->client_id);
    if (c->client_secret) {
        memset(c->client_secret, 0, strlen(c->client_secret));
        free(c->client_secret);
    }
    strlist_clear(&c->algorithms);
    strlist_clear(&c->types);
    for (size_t i = 0; i < c->nsubjects; i++) {
        free(c->subjects[i].subject);
        strlist_clear(&c->subjects[i].aeids);
    }
    free(c->subjects);
    strlist_clear(&c->admins);
    free(c->admin_scope);
    cssf_scope_map_clear(&c->scopes);
    free(c->das_issuer);
    json_decref(c->das_jwks);
    strlist_clear(&c->das_algorithms);
    free(c);
}

const cssf_strlist_t *cssf_token_config_aeids(const cssf_token_config_t *cfg, const char *subject) {
    for (size_t i = 0; subject && i < cfg->nsubjects; i++)
        if (strcmp(cfg->subjects[i].subject, subject) == 0)
            return &cfg->subjects[i].aeids;
    return NULL;
}
