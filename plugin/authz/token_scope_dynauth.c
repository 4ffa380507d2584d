/* Permissions of oneM2M dynamic-authorization tokens (see token_scope_dynauth.h). */
#include "plugin/authz/token_scope_dynauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authz/acp.h"
#include "plugin/authz/acp_eval.h"
#include "plugin/authz/ip_match.h"

#define MAX_PERMISSIONS 64

static const char *str2(const json_t *claims, const char *a, const char *b) {
    const char *s = json_string_value(json_object_get(claims, a));
    if (s && *s)
        return s;
    s = json_string_value(json_object_get(claims, b));
    return s && *s ? s : NULL;
}

const char *cssf_dynauth_holder(const json_t *claims) {
    return str2(claims, "azp", "tkhd");
}

const char *cssf_dynauth_token_id(const json_t *claims) {
    const char *id = str2(claims, "jti", "tkid");
    return id ? id : "?";
}

static int deny(char *out, size_t cap, const char *why, const char *id) {
    snprintf(out, cap, "%s%s%.64s", why, id ? " " : "", id ? id : "");
    return 0;
}

/* 1 when one ris entry names the target: its ri, or its structured path
 * (with or without the leading slash). */
static int names_target(const json_t *ris, const cse_resource_view_t *t) {
    size_t i;
    json_t *e;
    json_array_foreach(ris, i, e) {
        const char *s = json_string_value(e);
        if (!s)
            continue;
        if (t->ri && strcmp(s, t->ri) == 0)
            return 1;
        if (t->path && strcmp(s[0] == '/' ? s + 1 : s, t->path) == 0)
            return 1;
    }
    return 0;
}

/* The permission's rules as an ACP the evaluator understands; rules
 * without acor apply to the holder. NULL when pv is malformed. */
static cssf_res_t *permission_acp(const json_t *pv, const char *holder, const cssf_ids_t *ids) {
    json_t *acr = json_object_get(pv, "acr");
    if (!json_is_object(pv) || !json_is_array(acr))
        return NULL;
    json_t *rules = json_array();
    json_t *doc = json_pack("{s:s, s:i, s:{s:o}}", "ri", "dynauth", "ty", 1, "pv", "acr", rules);
    if (!doc)
        return NULL;
    size_t i;
    json_t *r;
    json_array_foreach(acr, i, r) {
        json_t *copy = json_is_object(r) ? json_copy(r) : json_incref(r);
        if (copy && json_is_object(copy) && !json_object_get(copy, "acor"))
            json_object_set_new(copy, "acor", json_pack("[s]", holder));
        json_array_append_new(rules, copy);
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return NULL;
    cssf_res_t *res = cssf_res_parse(text, strlen(text), "dynauth", 0, ids, NULL, 0);
    free(text);
    return res;
}

int cssf_dynauth_permits(const json_t *claims, const cssf_ids_t *ids, const cse_evt_authorize_t *ev,
                         char *out, size_t cap) {
    const char *id = cssf_dynauth_token_id(claims);
    const char *holder = cssf_dynauth_holder(claims);
    char holder_norm[CSSF_ID_MAX], orig_norm[CSSF_ID_MAX];
    if (!holder)
        return deny(out, cap, "token names no holder (azp/tkhd):", id);
    if (!ev->originator || cssf_id_normalize(holder, ids, holder_norm, sizeof(holder_norm)) < 0 ||
        cssf_id_normalize(ev->originator, ids, orig_norm, sizeof(orig_norm)) < 0 ||
        strcmp(holder_norm, orig_norm) != 0)
        return deny(out, cap, "the originator is not the holder of token", id);
    json_t *perms = json_object_get(claims, "permissions");
    if (!perms)
        perms = json_object_get(claims, "tkps");
    json_t *pm = json_object_get(perms, "pm");
    if (!json_is_array(pm) || json_array_size(pm) == 0 || json_array_size(pm) > MAX_PERMISSIONS)
        return deny(out, cap, "no permissions (tkps.pm) in token", id);
    cssf_ip_peer_t peer;
    cssf_eval_ctx_t ctx = {
        .orig_raw = ev->originator,
        .orig_norm = orig_norm,
        .authenticated = ev->authenticated,
        .op_bit = cssf_acop_of_operation(ev->operation),
        .create_ty = ev->create_ty,
        .target_ty = ev->target->ty,
    };
    if (ev->sec && cssf_ip_peer_from_sockaddr(&ev->sec->peer, ev->sec->peer_len, &peer) == 0)
        ctx.peer = &peer;
    size_t i;
    json_t *p;
    json_array_foreach(pm, i, p) {
        json_t *rids = json_object_get(p, "rids");
        json_t *ris = json_object_get(p, "ris");
        if ((json_is_array(rids) && json_array_size(rids) > 0) || !json_is_array(ris) ||
            !names_target(ris, ev->target))
            continue;
        cssf_res_t *acp = permission_acp(json_object_get(p, "pv"), holder, ids);
        if (!acp)
            continue;
        const cssf_res_t *acps[1] = {acp};
        const char *names[1] = {"dynauth"};
        char rule[128];
        int rc = cssf_acp_decide(acps, names, 1, 0, &ctx, rule, sizeof(rule));
        cssf_res_release(acp);
        if (rc == CSE_PLUGIN_OK) {
            const char *r = strstr(rule, "rule=");
            snprintf(out, cap, "token=%.64s pm=%zu %s", id, i, r ? r : rule);
            return 1;
        }
    }
    return deny(out, cap, "no permission matches in token", id);
}
