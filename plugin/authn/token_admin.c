/* Bearer tokens on the admin API (see token_admin.h). */
#include "plugin/authn/token_admin.h"

#include <stdio.h>
#include <string.h>

#include "plugin/authn/token_claims.h"
#include "plugin/authz/token_scope.h"

/* 1 when the space-separated scopes hold scope as a whole word. */
static int has_scope(const char *scopes, const char *scope) {
    size_t n = strlen(scope);
    for (const char *p = scopes; *p;) {
        while (*p == ' ')
            p++;
        size_t w = strcspn(p, " ");
        if (w == n && w && strncmp(p, scope, n) == 0)
            return 1;
        p += w;
    }
    return 0;
}

static int listed(const cssf_strlist_t *l, const char *s) {
    for (size_t i = 0; s && i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

int cssf_token_admin_check(cssf_token_holder_t *h, const cse_security_context_t *sec, int64_t now,
                           char *identity, size_t identity_cap, char *reason, size_t reason_cap) {
    if (identity_cap)
        identity[0] = '\0';
    if (reason_cap)
        reason[0] = '\0';
    if (!sec || !sec->bearer_token)
        return CSSF_TOKEN_ADMIN_NONE;
    cssf_tokens_t *t = cssf_token_holder_acquire(h);
    if (!t || !cssf_tokens_config(t)->has_bearer) {
        cssf_tokens_release(t);
        return CSSF_TOKEN_ADMIN_NONE;
    }
    const cssf_token_config_t *cfg = cssf_tokens_config(t);
    cssf_token_result_t res;
    cssf_tokens_check_bearer(t, sec->bearer_token, now, &res);
    int rc = CSSF_TOKEN_ADMIN_DENY;
    if (res.status != CSSF_TOKEN_OK) {
        snprintf(reason, reason_cap, "invalid bearer token: %s", res.reason);
        goto out;
    }
    const char *subject = cssf_claim_subject(res.claims);
    char scopes[CSSF_SCOPE_MAX_TEXT];
    if (cssf_scope_from_claims(res.claims, scopes, sizeof(scopes)) < 0) {
        snprintf(reason, reason_cap, "invalid bearer token: malformed scope");
        goto out;
    }
    snprintf(identity, identity_cap, "%s", subject ? subject : "");
    int admin =
        listed(&cfg->admins, subject) || (cfg->admin_scope && has_scope(scopes, cfg->admin_scope));
    rc = admin ? CSSF_TOKEN_ADMIN_ADMIN : CSSF_TOKEN_ADMIN_USER;
    if (!admin)
        snprintf(reason, reason_cap, "token subject '%.64s' lacks the admin scope",
                 subject ? subject : "");
out:
    cssf_token_result_clear(&res);
    cssf_tokens_release(t);
    return rc;
}
