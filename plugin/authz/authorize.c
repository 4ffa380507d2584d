/*
 * The authorization decision (see authorize.h): which ACPs apply to the
 * request, the acpi-update rules, and the cache that keeps parsed ACPs
 * current by revision. Rule logic itself is in acp_eval.c.
 */
#include "plugin/authz/authorize.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authz/acp_cache.h"
#include "plugin/authz/acp_eval.h"

#define CACHE_MAX_ENTRIES 100000
#define MAX_DEPTH 32                /* ancestors walked to find an acpi */
#define UNKNOWN_REVISION UINT64_MAX /* never a real revision: forces a read */

struct cssf_authz {
    cssf_authz_source_t src;
    cssf_acp_cache_t *cache;
    char cse_id[128];
    char sp[256];
    cssf_ids_t ids;
};

/* Copies s into out (cap bytes) with exactly one leading slash ("/id-in"),
 * or none (strip_all: "sp.example"), lower-casing when fold. */
static void copy_id(const char *s, char *out, size_t cap, int strip_all, int fold) {
    while (s && *s == '/')
        s++;
    size_t len = 0;
    if (!strip_all)
        out[len++] = '/';
    for (; s && *s && len + 1 < cap; s++)
        out[len++] = (fold && *s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    out[len] = '\0';
}

cssf_authz_t *cssf_authz_create_with(const cssf_authz_source_t *src, const char *cse_id,
                                     const char *sp_id) {
    if (!src || !src->get)
        return NULL;
    cssf_authz_t *az = calloc(1, sizeof(*az));
    if (!az)
        return NULL;
    az->src = *src;
    az->cache = cssf_acp_cache_create(CACHE_MAX_ENTRIES);
    if (!az->cache) {
        free(az);
        return NULL;
    }
    copy_id(cse_id, az->cse_id, sizeof(az->cse_id), 0, 0);
    copy_id(sp_id, az->sp, sizeof(az->sp), 1, 1);
    az->ids.cse_id = az->cse_id;
    az->ids.sp = az->sp;
    return az;
}

void cssf_authz_destroy(cssf_authz_t *az) {
    if (!az)
        return;
    cssf_acp_cache_destroy(az->cache);
    free(az);
}

/*
 * The current parsed copy of ri (one reference for the caller), or NULL
 * when it does not exist or cannot be read. known_rev (0 = none) is a
 * revision the caller already knows to be current: a cached copy of that
 * revision is used without asking the source.
 */
static cssf_res_t *fetch(cssf_authz_t *az, const char *ri, uint64_t known_rev) {
    cssf_res_t *cached = cssf_acp_cache_find(az->cache, ri);
    if (cached && known_rev && cached->revision == known_rev)
        return cached;
    uint64_t rev = 0;
    char *json = NULL;
    int r = az->src.get(az->src.arg, ri, cached ? cached->revision : UNKNOWN_REVISION, &rev, &json);
    if (r == 1 && cached)
        return cached;
    cssf_res_t *res = NULL;
    if (r == 0 && json)
        res = cssf_res_parse(json, strlen(json), ri, rev, &az->ids, NULL, 0);
    if (json && az->src.release)
        az->src.release(az->src.arg, json);
    if (res)
        cssf_acp_cache_put(az->cache, res);
    else if (r == -1 && cached)
        cssf_acp_cache_remove(az->cache, ri);
    cssf_res_release(cached);
    return res;
}

/* The attributes that choose the policy, from a view or a parsed resource. */
typedef struct gov {
    const char *ri, *pi, *cr;
    int ty, has_acpi, nacpi;
    const char *const *acpi;
    uint64_t revision; /* 0 when it came from the cache */
} gov_t;

static gov_t gov_of_view(const cse_resource_view_t *v) {
    gov_t g = {v->ri ? v->ri : "", v->pi ? v->pi : "", v->creator, v->ty,
               v->has_acpi,        v->acpi_count,      v->acpi,    v->revision};
    if (!g.acpi)
        g.nacpi = 0;
    return g;
}

static gov_t gov_of_res(const cssf_res_t *r) {
    gov_t g = {r->ri, r->pi, r->cr, r->ty, r->has_acpi, r->nacpi, r->acpi, 0};
    return g;
}

static int deny(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int deny(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return CSE_PLUGIN_DENY;
}

/* 1 when g is the originator's own AE (its ri is its AE-ID). */
static int is_own_ae(cssf_authz_t *az, const gov_t *g, const char *orig_norm) {
    char aei[CSSF_ID_MAX];
    return g->ty == 2 && cssf_id_normalize(g->ri, &az->ids, aei, sizeof(aei)) >= 0 &&
           strcmp(aei, orig_norm) == 0;
}

#define GOVERNED_BY_OWNER 1

/*
 * Finds the resource whose acpi (or, for an ACP, whose pvs) governs the
 * target: the target itself, else the nearest ancestor with an acpi
 * attribute. *held gets the reference of a cached ancestor (or NULL).
 * Returns 0; GOVERNED_BY_OWNER when inheritance would leave the
 * originator's own AE without an acpi of its own (an AE owns the subtree it
 * registered and did not put under a policy); or CSE_PLUGIN_DENY with the
 * reason in out.
 */
static int find_governing(cssf_authz_t *az, const cse_evt_authorize_t *ev, const char *orig_norm,
                          gov_t *g, cssf_res_t **held, char *out, size_t cap) {
    *g = gov_of_view(ev->target);
    *held = NULL;
    for (int depth = 0; g->ty != 1 && !g->has_acpi; depth++) {
        if (is_own_ae(az, g, orig_norm))
            return GOVERNED_BY_OWNER;
        if (!g->pi[0])
            return deny(out, cap, "no acpi up to the CSEBase: admin only");
        if (depth >= MAX_DEPTH)
            return deny(out, cap, "resource tree too deep: indeterminate");
        if (depth == 0 && ev->parent && ev->parent->ri && strcmp(ev->parent->ri, g->pi) == 0) {
            *g = gov_of_view(ev->parent);
            continue;
        }
        cssf_res_t *up = fetch(az, g->pi, 0);
        if (!up)
            return deny(out, cap, "parent %s missing: indeterminate", g->pi);
        cssf_res_release(*held);
        *held = up;
        *g = gov_of_res(up);
    }
    return 0;
}

/* acpi present but empty: only the creator (admin passed earlier). An AE
 * has no cr attribute: it created itself, and its ri is its AE-ID. */
static int decide_creator(cssf_authz_t *az, const gov_t *g, const char *orig_norm, char *out,
                          size_t cap) {
    char cr[CSSF_ID_MAX];
    const char *creator = g->cr ? g->cr : g->ty == 2 ? g->ri : NULL;
    if (creator && cssf_id_normalize(creator, &az->ids, cr, sizeof(cr)) >= 0 &&
        strcmp(cr, orig_norm) == 0) {
        snprintf(out, cap, "creator");
        return CSE_PLUGIN_OK;
    }
    return deny(out, cap, "acpi empty: creator only");
}

static int decide_acps(cssf_authz_t *az, const gov_t *g, int use_pvs, cssf_eval_ctx_t *ctx,
                       char *out, size_t cap) {
    const cssf_res_t *acps[CSSF_ACP_MAX_ACPI];
    const char *ris[CSSF_ACP_MAX_ACPI];
    int n = 0;
    if (g->ty == 1) { /* a request on an ACP itself: its own pvs */
        ris[0] = g->ri;
        acps[0] = fetch(az, g->ri, g->revision);
        n = 1;
        use_pvs = 1;
    } else {
        for (; n < g->nacpi && n < CSSF_ACP_MAX_ACPI; n++) {
            ris[n] = g->acpi[n] ? g->acpi[n] : "";
            acps[n] = fetch(az, ris[n], 0);
        }
    }
    int rc = cssf_acp_decide(acps, ris, n, use_pvs, ctx, out, cap);
    for (int i = 0; i < n; i++)
        cssf_res_release((cssf_res_t *)acps[i]);
    return rc;
}

int cssf_authz_decide(cssf_authz_t *az, const cse_evt_authorize_t *ev, const cssf_authz_env_t *env,
                      char *decision, size_t decision_cap, int *rsc) {
    char local[256], orig_norm[CSSF_ID_MAX];
    char *out = decision && decision_cap ? decision : local;
    size_t cap = decision && decision_cap ? decision_cap : sizeof(local);
    cssf_res_t *held = NULL;
    gov_t g;
    int rc;
    if (rsc)
        *rsc = 4103;
    if (!az || !ev || !ev->target)
        return deny(out, cap, "no target");
    if (ev->is_admin) {
        snprintf(out, cap, "admin");
        return CSE_PLUGIN_OK;
    }
    cssf_ip_peer_t peer;
    cssf_eval_ctx_t ctx = {
        .orig_raw = ev->originator ? ev->originator : "",
        .orig_norm = orig_norm,
        .authenticated = ev->authenticated,
        .op_bit = cssf_acop_of_operation(ev->operation),
        .create_ty = ev->create_ty,
        .target_ty = ev->target->ty,
        .now = env ? env->now : 0,
        .env = env,
    };
    if (!ctx.op_bit)
        return deny(out, cap, "unknown operation");
    int acpi_update = ev->operation == CSE_OP_UPDATE && ev->updates_acpi;
    if (acpi_update && !ev->updates_only_acpi) {
        if (rsc)
            *rsc = 4000;
        return deny(out, cap, "acpi must be the only attribute of its UPDATE");
    }
    if (cssf_id_normalize(ctx.orig_raw, &az->ids, orig_norm, sizeof(orig_norm)) < 0)
        return deny(out, cap, "originator too long");
    if (ev->sec && cssf_ip_peer_from_sockaddr(&ev->sec->peer, ev->sec->peer_len, &peer) == 0)
        ctx.peer = &peer;
    rc = find_governing(az, ev, orig_norm, &g, &held, out, cap);
    if (rc == GOVERNED_BY_OWNER) {
        snprintf(out, cap, "owner AE (no acpi)");
        rc = CSE_PLUGIN_OK;
    } else if (rc == 0)
        rc = g.ty != 1 && g.nacpi == 0 ? decide_creator(az, &g, orig_norm, out, cap)
                                       : decide_acps(az, &g, acpi_update, &ctx, out, cap);
    cssf_res_release(held);
    return rc;
}
