#define _GNU_SOURCE /* memrchr */
#include "cse/core/address.h"

#include <stdio.h>
#include <string.h>

#include "cse/core/rsc.h"
#include "cse/resources/container.h"
#include "cse/resources/rtype.h"

static char own_csi[64];  /* CSE-ID without the leading slash */
static char own_spid[64]; /* SP-ID without the leading slashes */

void cse_address_configure(const char *cse_id, const char *sp_id) {
    while (*cse_id == '/')
        cse_id++;
    while (*sp_id == '/')
        sp_id++;
    snprintf(own_csi, sizeof(own_csi), "%s", cse_id);
    snprintf(own_spid, sizeof(own_spid), "%s", sp_id);
}

/* Length of the first path segment of s. */
static size_t seg_len(const char *s) {
    const char *e = strchr(s, '/');
    return e ? (size_t)(e - s) : strlen(s);
}

static int seg_is(const char *s, size_t n, const char *word) {
    return strlen(word) == n && strncmp(s, word, n) == 0;
}

static cse_res_t *live(cse_res_t *r, int64_t now_us) {
    return r && !cse_res_expired(r, now_us) ? r : NULL;
}

/* la / ol of a container: the newest / oldest instance still alive. */
static cse_res_t *virtual_child(cse_res_t *cnt, int virt, int64_t now_us) {
    if (!cnt || cnt->ty != CSE_TY_CNT)
        return NULL;
    if (virt == CSE_VIRTUAL_LA) {
        for (cse_res_t *c = cnt->last; c; c = c->prev)
            if (c->ty == CSE_TY_CIN && !cse_res_expired(c, now_us))
                return c;
    } else {
        for (cse_res_t *c = cnt->first; c; c = c->next)
            if (c->ty == CSE_TY_CIN && !cse_res_expired(c, now_us))
                return c;
    }
    return NULL;
}

/* A structured path (no leading slash), possibly ending in la/ol. */
static cse_res_t *by_path(const char *p, size_t n, int64_t now_us, int *virt) {
    cse_res_t *r = cse_tree_by_path(p, n);
    if (r)
        return live(r, now_us);
    const char *slash = n ? memrchr(p, '/', n) : NULL;
    if (!slash)
        return NULL;
    const char *last = slash + 1;
    size_t ll = n - (size_t)(last - p);
    int v = seg_is(last, ll, "la") ? CSE_VIRTUAL_LA : seg_is(last, ll, "ol") ? CSE_VIRTUAL_OL : 0;
    if (!v)
        return NULL;
    cse_res_t *cnt = live(cse_tree_by_path(p, (size_t)(slash - p)), now_us);
    if (!cnt)
        return NULL;
    *virt = v;
    return virtual_child(cnt, v, now_us);
}

/* CSE-relative: structured, unstructured or hybrid. */
static cse_res_t *cse_relative(const char *p, int64_t now_us, int *virt) {
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    if (n == 0)
        return NULL;
    cse_res_t *r = by_path(p, n, now_us, virt);
    if (r || *virt)
        return r;
    size_t first = seg_len(p);
    if (first > n)
        first = n;
    char ri[CSE_MAX_PATH];
    if (first >= sizeof(ri))
        return NULL;
    memcpy(ri, p, first);
    ri[first] = '\0';
    cse_res_t *base = live(cse_tree_by_ri(ri), now_us);
    if (!base || first == n)
        return base;
    /* Hybrid: <ri>/<child names...> */
    char path[CSE_MAX_PATH];
    int len = snprintf(path, sizeof(path), "%s%.*s", base->path, (int)(n - first), p + first);
    if (len < 0 || (size_t)len >= sizeof(path))
        return NULL;
    return by_path(path, (size_t)len, now_us, virt);
}

int cse_address_resolve(const char *to, int64_t now_us, cse_res_t **res, int *virt, char *err,
                        size_t cap) {
    const char *p = to;
    int sp_relative = 0;
    *res = NULL;
    *virt = CSE_VIRTUAL_NONE;
    if (strncmp(p, "/_/", 3) == 0 || (p[0] == '/' && p[1] == '/')) {
        p += p[1] == '_' ? 3 : 2;
        size_t n = seg_len(p);
        if (!own_spid[0] || !seg_is(p, n, own_spid)) {
            snprintf(err, cap, "SP-ID %.*s is not this CSE's SP (retargeting is not supported)",
                     (int)(n > 64 ? 64 : n), p);
            return CSE_RSC_TARGET_NOT_REACHABLE;
        }
        p += n;
        if (*p == '/')
            p++;
        sp_relative = 1;
    } else if (strncmp(p, "/~/", 3) == 0) {
        p += 3;
        sp_relative = 1;
    } else if (p[0] == '/') {
        p++;
        /* "/<csi>/..." is SP-relative; anything else CSE-relative. */
        size_t n = seg_len(p);
        sp_relative = seg_is(p, n, own_csi) && p[n] == '/';
    }
    if (sp_relative) {
        size_t n = seg_len(p);
        if (!seg_is(p, n, own_csi)) {
            snprintf(err, cap, "CSE %.*s is not this CSE (retargeting is not supported)",
                     (int)(n > 64 ? 64 : n), p);
            return CSE_RSC_TARGET_NOT_REACHABLE;
        }
        p += n;
        while (*p == '/')
            p++;
        if (!*p) {
            *res = live(cse_tree_root(), now_us);
            if (*res)
                return 0;
        }
    }
    if (!*res)
        *res = cse_relative(p, now_us, virt);
    if (!*res) {
        snprintf(err, cap, "resource %.200s not found", to);
        return CSE_RSC_NOT_FOUND;
    }
    return 0;
}
