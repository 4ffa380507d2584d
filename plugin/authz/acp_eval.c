/* ACP rule matching and decision (see acp_eval.h). */
#include "plugin/authz/acp_eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cse/plugin.h"

unsigned cssf_acop_of_operation(int operation) {
    switch (operation) {
    case CSE_OP_CREATE:
        return CSE_ACOP_CREATE;
    case CSE_OP_RETRIEVE:
        return CSE_ACOP_RETRIEVE;
    case CSE_OP_UPDATE:
        return CSE_ACOP_UPDATE;
    case CSE_OP_DELETE:
        return CSE_ACOP_DELETE;
    case CSE_OP_NOTIFY:
        return CSE_ACOP_NOTIFY;
    case CSE_OP_DISCOVERY:
        return CSE_ACOP_DISCOVERY;
    default:
        return 0;
    }
}

static const struct tm *utc_now(cssf_eval_ctx_t *ctx) {
    if (!ctx->have_utc) {
        time_t t = ctx->now ? ctx->now : time(NULL);
        if (!gmtime_r(&t, &ctx->utc))
            return NULL;
        ctx->have_utc = 1;
    }
    return &ctx->utc;
}

static const cssf_location_t *location(cssf_eval_ctx_t *ctx) {
    if (!ctx->have_loc) {
        cssf_location_t *l = &ctx->loc;
        l->lat = l->lon = NAN;
        memset(l->country, 0, sizeof(l->country));
        const cssf_authz_env_t *env = ctx->env;
        if (env && env->locate &&
            env->locate(env->locate_arg, ctx->orig_raw, &l->lat, &l->lon, l->country) == 0) {
            l->country[2] = '\0';
        } else {
            l->lat = l->lon = NAN;
            l->country[0] = '\0';
        }
        ctx->have_loc = 1;
    }
    return &ctx->loc;
}

int cssf_acco_match(const cssf_acco_t *x, cssf_eval_ctx_t *ctx) {
    int ok = x->nactw == 0;
    const struct tm *utc = ok ? NULL : utc_now(ctx);
    for (int i = 0; !ok && utc && i < x->nactw; i++)
        ok = cssf_cron_match(&x->actw[i], utc);
    if (!ok)
        return 0;
    ok = x->nacip == 0;
    for (int i = 0; !ok && ctx->peer && i < x->nacip; i++)
        ok = cssf_ip_prefix_match(&x->acip[i], ctx->peer);
    if (!ok)
        return 0;
    ok = x->naclr == 0;
    const cssf_location_t *loc = ok ? NULL : location(ctx);
    for (int i = 0; !ok && i < x->naclr; i++)
        ok = cssf_region_match(&x->aclr[i], loc);
    return ok;
}

int cssf_acod_match(const cssf_acod_t *d, const cssf_eval_ctx_t *ctx) {
    if (d->has_spty || (d->ty && d->ty != ctx->target_ty))
        return 0;
    if (ctx->op_bit != CSE_ACOP_CREATE || d->nchty == 0)
        return 1;
    for (int i = 0; i < d->nchty; i++)
        if (d->chty[i] == ctx->create_ty)
            return 1;
    return 0;
}

int cssf_acr_match(const cssf_acr_t *r, cssf_eval_ctx_t *ctx) {
    if (r->invalid)
        return CSSF_INDETERMINATE;
    /* cheapest tests first: most rules fail on the operation */
    if (!(r->acop & ctx->op_bit) || (r->acaf && !ctx->authenticated))
        return CSSF_NO_MATCH;
    int ok = r->nacod == 0;
    for (int i = 0; !ok && i < r->nacod; i++)
        ok = cssf_acod_match(&r->acod[i], ctx);
    if (!ok)
        return CSSF_NO_MATCH;
    if (!ctx->orig_len)
        ctx->orig_len = strlen(ctx->orig_norm);
    ok = 0;
    for (int i = 0; !ok && i < r->nacor; i++)
        ok = cssf_acor_match(&r->acor[i], ctx->orig_raw, ctx->orig_norm, ctx->orig_len, ctx->env);
    if (!ok)
        return CSSF_NO_MATCH;
    ok = r->nacco == 0;
    for (int i = 0; !ok && i < r->nacco; i++)
        ok = cssf_acco_match(&r->acco[i], ctx);
    return ok ? CSSF_MATCH : CSSF_NO_MATCH;
}

/* Appends the list of ACP ris for the "no rule matches" reason. */
static void list_ris(const char *const *ris, int n, char *out, size_t cap) {
    size_t len = strlen(out);
    for (int i = 0; i < n && len + 1 < cap; i++) /* snprintf of %s cannot fail */
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", ris[i]);
}

int cssf_acp_decide(const cssf_res_t *const *acps, const char *const *ris, int n, int use_pvs,
                    cssf_eval_ctx_t *ctx, char *out, size_t cap) {
    char why[256] = "";
    const char *set = use_pvs ? "pvs " : "";
    for (int a = 0; a < n; a++) {
        const cssf_res_t *acp = acps[a];
        if (!acp || acp->ty != 1 || acp->invalid) {
            if (!why[0] && !acp)
                snprintf(why, sizeof(why), "acp %s missing", ris[a]);
            else if (!why[0] && acp->ty != 1)
                snprintf(why, sizeof(why), "acpi entry %s is not an ACP", ris[a]);
            else if (!why[0])
                snprintf(why, sizeof(why), "acp %s malformed (%s)", ris[a], acp->invalid);
            continue;
        }
        const cssf_acr_list_t *rules = use_pvs ? &acp->pvs : &acp->pv;
        for (int i = 0; i < rules->n; i++) {
            int m = cssf_acr_match(&rules->r[i], ctx);
            if (m == CSSF_MATCH) {
                if (cap)
                    snprintf(out, cap, "acp=%s %srule=%d", ris[a], set, i);
                return CSE_PLUGIN_OK;
            }
            if (m == CSSF_INDETERMINATE && !why[0])
                snprintf(why, sizeof(why), "acp %s %srule %d malformed (%s)", ris[a], set, i,
                         rules->r[i].invalid);
        }
    }
    if (cap == 0)
        return CSE_PLUGIN_DENY;
    if (why[0]) {
        snprintf(out, cap, "%s: indeterminate", why);
    } else {
        snprintf(out, cap, "no %srule of acp=", set);
        list_ris(ris, n, out, cap);
        size_t len = strlen(out);
        if (len + 1 < cap)
            snprintf(out + len, cap - len, " matches");
    }
    return CSE_PLUGIN_DENY;
}
