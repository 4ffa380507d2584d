/* acor matching (see originator_match.h). */
#include "plugin/authz/originator_match.h"

#include <string.h>
#include <strings.h>

static char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Appends s (at most n bytes, lower-cased when fold) to out at *len. */
static int put(char *out, size_t cap, size_t *len, const char *s, size_t n, int fold) {
    if (*len + n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[*len + i] = fold ? lower(s[i]) : s[i];
    *len += n;
    out[*len] = '\0';
    return 0;
}

int cssf_id_normalize(const char *id, const cssf_ids_t *ids, char *out, size_t cap) {
    size_t len = 0;
    const char *sp = ids && ids->sp ? ids->sp : "";
    const char *cse = ids && ids->cse_id ? ids->cse_id : "";
    if (cap == 0)
        return -1;
    out[0] = '\0';
    if (!id)
        id = "";
    if (id[0] == '/' && id[1] == '/') { /* absolute: fold the domain only */
        const char *dom = id + 2;
        size_t dlen = strcspn(dom, "/");
        if (put(out, cap, &len, "//", 2, 0) < 0 || put(out, cap, &len, dom, dlen, 1) < 0 ||
            put(out, cap, &len, dom + dlen, strlen(dom + dlen), 0) < 0)
            return -1;
        return (int)len;
    }
    int relative_ae = id[0] == 'C';
    if (id[0] != '/' && id[0] != 'C' && id[0] != 'S')
        return put(out, cap, &len, id, strlen(id), 0) < 0 ? -1 : (int)len;
    if (put(out, cap, &len, "//", 2, 0) < 0 || put(out, cap, &len, sp, strlen(sp), 1) < 0)
        return -1;
    if (relative_ae && put(out, cap, &len, cse, strlen(cse), 0) < 0)
        return -1;
    if (id[0] != '/' && put(out, cap, &len, "/", 1, 0) < 0)
        return -1;
    return put(out, cap, &len, id, strlen(id), 0) < 0 ? -1 : (int)len;
}

int cssf_acor_classify(const char *entry) {
    if (strcmp(entry, "all") == 0)
        return CSSF_ACOR_ALL;
    if (entry[0] != '/' && strchr(entry, '@') && !strchr(entry, '/'))
        return CSSF_ACOR_ROLE;
    if (entry[0] == '/' && entry[1] == '/' && entry[2] && !strchr(entry + 2, '/'))
        return CSSF_ACOR_DOMAIN; /* "//sp.example" */
    if (entry[0] != '/' && entry[0] != 'C' && entry[0] != 'S' && strchr(entry, '.'))
        return CSSF_ACOR_DOMAIN; /* "sp.example", "*.sp.example" */
    return CSSF_ACOR_ID;
}

int cssf_acor_normalize(const char *entry, int kind, const cssf_ids_t *ids, char *out, size_t cap) {
    size_t len = 0;
    if (cap == 0)
        return -1;
    out[0] = '\0';
    switch (kind) {
    case CSSF_ACOR_ID:
        return cssf_id_normalize(entry, ids, out, cap);
    case CSSF_ACOR_DOMAIN:
        while (*entry == '/')
            entry++;
        return put(out, cap, &len, entry, strlen(entry), 1) < 0 ? -1 : (int)len;
    default:
        return put(out, cap, &len, entry, strlen(entry), 0) < 0 ? -1 : (int)len;
    }
}

void cssf_acor_init(cssf_acor_t *e, int kind, const char *raw, const char *norm) {
    e->kind = kind;
    e->raw = raw;
    e->norm = norm;
    e->norm_len = strlen(norm);
    e->literal_len = strcspn(norm, "*");
}

int cssf_wildcard_match(const char *p, const char *s) {
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '*') {
            star_p = p++;
            star_s = s;
        } else if (*p == *s) {
            /* '*' never spans '/', so a matched '/' fixes the alignment */
            if (*s == '/')
                star_p = NULL;
            p++;
            s++;
        } else if (star_p && *star_s != '/') {
            s = ++star_s;
            p = star_p + 1;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int cssf_role_equal(const char *role, const char *want) {
    const char *at_r = strrchr(role, '@'), *at_w = strrchr(want, '@');
    if (!at_r || !at_w || at_r - role != at_w - want)
        return 0;
    return strncmp(role, want, (size_t)(at_r - role)) == 0 && strcasecmp(at_r, at_w) == 0;
}

/* The domain of an absolute ID ("//dom/..."): writes it into out. */
static int domain_of(const char *norm, char *out, size_t cap) {
    if (strncmp(norm, "//", 2) != 0)
        return -1;
    size_t n = strcspn(norm + 2, "/");
    if (n >= cap)
        return -1;
    memcpy(out, norm + 2, n);
    out[n] = '\0';
    return 0;
}

/* An ID entry against the originator: the literal head is compared at
 * memcmp speed, so most non-matching entries cost a few instructions. */
static int id_match(const cssf_acor_t *e, const char *orig, size_t len) {
    size_t lit = e->literal_len;
    if (lit == e->norm_len)
        return len == lit && memcmp(e->norm, orig, len) == 0;
    return len >= lit && memcmp(e->norm, orig, lit) == 0 &&
           cssf_wildcard_match(e->norm + lit, orig + lit);
}

int cssf_acor_match(const cssf_acor_t *e, const char *orig_raw, const char *orig_norm,
                    size_t norm_len, const cssf_authz_env_t *env) {
    char dom[256];
    switch (e->kind) {
    case CSSF_ACOR_ALL:
        return 1;
    case CSSF_ACOR_DOMAIN:
        return domain_of(orig_norm, dom, sizeof(dom)) == 0 && cssf_wildcard_match(e->norm, dom);
    case CSSF_ACOR_ROLE:
        for (int i = 0; env && i < env->nroles; i++)
            if (env->roles[i] && cssf_role_equal(e->norm, env->roles[i]))
                return 1;
        return 0;
    case CSSF_ACOR_ID:
        if (id_match(e, orig_norm, norm_len))
            return 1;
        /* not the originator itself: maybe a <group> it belongs to */
        return env && env->group_has_member && !strchr(e->raw, '*') &&
               env->group_has_member(env->group_arg, e->raw, orig_raw) == 1;
    default:
        return 0;
    }
}
