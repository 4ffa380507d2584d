/* Validation helpers for policy JSON (see policy_json.h). */
#include "plugin/data/policy_json.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/data/policy.h"

void cssf_pctx_init(cssf_pctx_t *c, const char *file, cssf_policy_report_t *rep) {
    memset(c, 0, sizeof(*c));
    c->file = file;
    c->rep = rep;
    c->path[0] = '$';
    c->len = 1;
}

void cssf_pctx_err(cssf_pctx_t *c, const char *fmt, ...) {
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    c->problems++;
    cssf_policy_report_add(c->rep, c->file, c->path, "%s", reason);
}

static void pctx_append(cssf_pctx_t *c, const char *s) {
    size_t n = strlen(s);
    if (c->len + n >= sizeof(c->path)) /* keep the prefix; deep paths are cut */
        n = sizeof(c->path) - 1 - c->len;
    memcpy(c->path + c->len, s, n);
    c->len += n;
    c->path[c->len] = '\0';
}

static int plain_key(const char *key) {
    if (!*key || !(isalpha((unsigned char)*key) || *key == '_'))
        return 0;
    for (const char *k = key; *k; k++)
        if (!(isalnum((unsigned char)*k) || *k == '_'))
            return 0;
    return 1;
}

size_t cssf_pctx_key(cssf_pctx_t *c, const char *key) {
    size_t saved = c->len;
    if (plain_key(key)) {
        pctx_append(c, ".");
        pctx_append(c, key);
        return saved;
    }
    /* ["key"] with quotes and backslashes escaped, control bytes as '?' */
    char buf[160];
    size_t o = 0;
    buf[o++] = '[';
    buf[o++] = '"';
    for (const char *k = key; *k && o < sizeof(buf) - 6; k++) {
        unsigned char ch = (unsigned char)*k;
        if (ch == '"' || ch == '\\')
            buf[o++] = '\\';
        buf[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    buf[o++] = '"';
    buf[o++] = ']';
    buf[o] = '\0';
    pctx_append(c, buf);
    return saved;
}

size_t cssf_pctx_index(cssf_pctx_t *c, size_t i) {
    size_t saved = c->len;
    char buf[32];
    snprintf(buf, sizeof(buf), "[%zu]", i);
    pctx_append(c, buf);
    return saved;
}

void cssf_pctx_pop(cssf_pctx_t *c, size_t saved) {
    c->len = saved;
    c->path[saved] = '\0';
}

size_t cssf_pctx_known_keys(cssf_pctx_t *c, const json_t *obj, const char *const *allowed) {
    size_t unknown = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0)
                ok = 1;
        if (!ok) {
            size_t s = cssf_pctx_key(c, key);
            cssf_pctx_err(c, "unknown key");
            cssf_pctx_pop(c, s);
            unknown++;
        }
    }
    return unknown;
}

json_t *cssf_pctx_parse(cssf_pctx_t *c, const char *text, size_t len) {
    if (len > CSSF_POLICY_MAX_FILE_BYTES) {
        cssf_pctx_err(c, "file larger than %d bytes", CSSF_POLICY_MAX_FILE_BYTES);
        return NULL;
    }
    json_error_t e;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        cssf_pctx_err(c, "invalid JSON at line %d column %d: %s", e.line, e.column, e.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        cssf_pctx_err(c, "expected an object");
        json_decref(root);
        return NULL;
    }
    return root;
}

int cssf_pctx_check_string(cssf_pctx_t *c, const json_t *value) {
    if (!json_is_string(value)) {
        cssf_pctx_err(c, "expected a string");
        return -1;
    }
    const char *s = json_string_value(value);
    size_t n = json_string_length(value);
    if (n == 0) {
        cssf_pctx_err(c, "must not be empty");
        return -1;
    }
    if (n > CSSF_POLICY_MAX_STRING) {
        cssf_pctx_err(c, "longer than %d bytes", CSSF_POLICY_MAX_STRING);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            cssf_pctx_err(c, "contains a control character");
            return -1;
        }
    }
    return 0;
}

void cssf_strlist_free(struct cssf_strlist *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int cssf_pctx_strlist(cssf_pctx_t *c, const json_t *value, int allow_empty,
                      struct cssf_strlist *out) {
    out->v = NULL;
    out->n = 0;
    if (!json_is_array(value)) {
        cssf_pctx_err(c, "expected an array of strings");
        return -1;
    }
    size_t n = json_array_size(value);
    if (n == 0 && !allow_empty) {
        cssf_pctx_err(c, "must not be empty");
        return -1;
    }
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = cssf_pctx_index(c, i);
        if (cssf_pctx_check_string(c, json_array_get(value, i)) < 0)
            bad = 1;
        cssf_pctx_pop(c, s);
    }
    if (bad || n == 0)
        return bad ? -1 : 0;
    out->v = calloc(n, sizeof(char *));
    if (!out->v) {
        cssf_pctx_err(c, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        out->v[i] = strdup(json_string_value(json_array_get(value, i)));
        if (!out->v[i]) {
            out->n = i;
            cssf_strlist_free(out);
            cssf_pctx_err(c, "out of memory");
            return -1;
        }
    }
    out->n = n;
    return 0;
}
