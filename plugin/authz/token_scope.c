/* Scope mapping (see token_scope.h). */
#include "plugin/authz/token_scope.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cse/plugin.h"

static const struct {
    const char *name;
    int op;
} op_names[] = {
    {"CREATE", CSE_OP_CREATE}, {"RETRIEVE", CSE_OP_RETRIEVE}, {"UPDATE", CSE_OP_UPDATE},
    {"DELETE", CSE_OP_DELETE}, {"NOTIFY", CSE_OP_NOTIFY},     {"DISCOVERY", CSE_OP_DISCOVERY},
};

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t cap, const char *fmt, ...) {
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int parse_ops(const json_t *ops, const char *scope, unsigned *out, char *err, size_t cap) {
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        return fail(err, cap, "scopes.%.100s.ops: expected a non-empty list of operations", scope);
    size_t i;
    json_t *e;
    json_array_foreach(ops, i, e) {
        const char *name = json_string_value(e);
        size_t k = 0;
        for (; name && k < sizeof(op_names) / sizeof(op_names[0]); k++)
            if (strcasecmp(name, op_names[k].name) == 0)
                break;
        if (!name || k == sizeof(op_names) / sizeof(op_names[0]))
            return fail(err, cap, "scopes.%.100s.ops: unknown operation '%.40s'", scope,
                        name ? name : "(not a string)");
        *out |= 1u << op_names[k].op;
    }
    return 0;
}

/* "under" without trailing slashes, one leading slash; "/" stays "/". */
static char *normalize_under(const char *s) {
    size_t len = strlen(s);
    while (len > 1 && s[len - 1] == '/')
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

static int parse_grant(const char *scope, const json_t *g, cssf_scope_grant_t *out, char *err,
                       size_t cap) {
    if (!json_is_object(g))
        return fail(err, cap,
                    "scopes.%.100s: expected an object {\"ops\": [...], \"under\": \"/...\"}",
                    scope);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)g, key, v) {
        if (strcmp(key, "ops") && strcmp(key, "under") && strcmp(key, "description"))
            return fail(err, cap, "scopes.%.100s: unknown key '%.40s'", scope, key);
    }
    memset(out, 0, sizeof(*out));
    if (parse_ops(json_object_get(g, "ops"), scope, &out->ops, err, cap) < 0)
        return -1;
    json_t *under = json_object_get(g, "under");
    const char *u = under ? json_string_value(under) : "/";
    if (!u || u[0] != '/' || strstr(u, "//") || strlen(u) > 512)
        return fail(err, cap, "scopes.%.100s.under: expected a path starting with '/'", scope);
    out->scope = strdup(scope);
    out->under = normalize_under(u);
    if (!out->scope || !out->under) {
        free(out->scope);
        free(out->under);
        return fail(err, cap, "out of memory");
    }
    return 0;
}

int cssf_scope_map_parse(const json_t *scopes, cssf_scope_map_t *out, char *err, size_t err_cap) {
    memset(out, 0, sizeof(*out));
    if (!scopes)
        return 0;
    if (!json_is_object(scopes))
        return fail(err, err_cap, "scopes: expected an object");
    const char *scope;
    json_t *v;
    json_object_foreach((json_t *)scopes, scope, v) {
        if (!*scope || strchr(scope, ' ') || strchr(scope, '"') || strchr(scope, '\\')) {
            cssf_scope_map_clear(out); /* grants of earlier scopes */
            return fail(err, err_cap, "scopes: invalid scope name '%.100s'", scope);
        }
        size_t k = json_is_array(v) ? json_array_size(v) : 1;
        if (k == 0 || out->n + k > CSSF_SCOPE_MAX_GRANTS) {
            cssf_scope_map_clear(out);
            return fail(err, err_cap, "scopes.%.100s: expected 1 to %d grants", scope,
                        CSSF_SCOPE_MAX_GRANTS);
        }
        cssf_scope_grant_t *grown = realloc(out->v, (out->n + k) * sizeof(*grown));
        if (!grown) {
            cssf_scope_map_clear(out);
            return fail(err, err_cap, "out of memory");
        }
        out->v = grown;
        for (size_t i = 0; i < k; i++) {
            const json_t *g = json_is_array(v) ? json_array_get(v, i) : v;
            if (parse_grant(scope, g, &out->v[out->n], err, err_cap) < 0) {
                cssf_scope_map_clear(out);
                return -1;
            }
            out->n++;
        }
    }
    return 0;
}

void cssf_scope_map_clear(cssf_scope_map_t *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].scope);
        free(m->v[i].under);
    }
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

int cssf_scope_path_under(const char *prefix, const char *path) {
    if (!prefix || !path)
        return 0;
    while (*prefix == '/')
        prefix++;
    while (*path == '/')
        path++;
    size_t n = strlen(prefix);
    if (n == 0)
        return 1;
    return strncmp(prefix, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Appends word to out (space-separated); -1 when it does not fit. */
static int append_word(char *out, size_t cap, size_t *len, const char *word, size_t wlen) {
    size_t need = *len + (*len ? 1 : 0) + wlen;
    if (need + 1 > cap)
        return -1;
    if (*len)
        out[(*len)++] = ' ';
    memcpy(out + *len, word, wlen);
    *len += wlen;
    out[*len] = '\0';
    return 0;
}

int cssf_scope_from_claims(const json_t *claims, char *out, size_t cap) {
    if (!out || cap == 0)
        return -1;
    out[0] = '\0';
    size_t len = 0;
    json_t *scope = json_object_get(claims, "scope");
    json_t *scp = json_object_get(claims, "scp");
    if (scope) {
        const char *s = json_string_value(scope);
        if (!s || strlen(s) != json_string_length(scope) ||
            append_word(out, cap, &len, s, strlen(s)))
            goto bad;
        return (int)len;
    }
    if (!scp)
        return 0;
    if (!json_is_array(scp))
        goto bad;
    size_t i;
    json_t *e;
    json_array_foreach(scp, i, e) {
        const char *s = json_string_value(e);
        if (!s || !*s || strchr(s, ' ') || strlen(s) != json_string_length(e) ||
            append_word(out, cap, &len, s, strlen(s)))
            goto bad;
    }
    return (int)len;
bad:
    out[0] = '\0';
    return -1;
}

/* 1 when the space-separated list has the word scope. */
static int has_scope(const char *list, const char *scope) {
    size_t n = strlen(scope);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, scope, n) == 0)
            return 1;
        p = end;
    }
    return 0;
}

int cssf_scope_permits(const cssf_scope_map_t *m, const char *token_scopes, int operation,
                       const char *target_path, char *matched, size_t cap) {
    if (!m || !token_scopes || operation < CSE_OP_CREATE || operation > CSE_OP_DISCOVERY)
        return 0;
    for (size_t i = 0; i < m->n; i++) {
        const cssf_scope_grant_t *g = &m->v[i];
        if (!(g->ops & (1u << operation)) || !cssf_scope_path_under(g->under, target_path) ||
            !has_scope(token_scopes, g->scope))
            continue;
        if (matched && cap)
            snprintf(matched, cap, "scope=%s under=%s", g->scope, g->under);
        return 1;
    }
    return 0;
}
