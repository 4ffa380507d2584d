/* Tokens in AUTHENTICATE and AUTHORIZE (see token_events.h). */
#include "plugin/authn/token_events.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cse/host.h"
#include "plugin/authn/originator.h"
#include "plugin/authn/token_claims.h"
#include "plugin/authz/originator_match.h"
#include "plugin/authz/token_scope.h"
#include "plugin/authz/token_scope_dynauth.h"

#pragma weak cse_malloc
#pragma weak cse_host_sp_id
#pragma weak cse_host_cse_id

static const char *const op_names[] = {"?",      "CREATE", "RETRIEVE", "UPDATE",
                                       "DELETE", "NOTIFY", "DISCOVERY"};

static const char *op_name(int op) {
    return op >= 1 && op <= 6 ? op_names[op] : "?";
}

/* --- holder ---------------------------------------------------------------- */

void cssf_token_holder_init(cssf_token_holder_t *h) {
    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
}

void cssf_token_holder_destroy(cssf_token_holder_t *h) {
    cssf_tokens_release(h->cur);
    cssf_tokens_release(h->pending);
    h->cur = h->pending = NULL;
    cssf_oauth2_close(h->rt);
    h->rt = NULL;
    pthread_mutex_destroy(&h->lock);
}

int cssf_token_holder_prepare(cssf_token_holder_t *h, const json_t *section, const char *cse_id,
                              char *err, size_t err_cap) {
    cssf_tokens_release(h->pending);
    h->pending = NULL;
    h->pending_set = 0;
    if (section && json_object_size(section) == (json_object_get(section, "description") ? 1u : 0u))
        section = NULL; /* "tokens": {} configures nothing: no liboauth2 needed */
    if (section) {
        cssf_tokens_t *cur = cssf_token_holder_acquire(h);
        if (cur && cssf_tokens_built_from(cur, section)) {
            h->pending = cur; /* unchanged: keep its keys and cached results */
        } else {
            cssf_tokens_release(cur);
            if (!h->rt && !(h->rt = cssf_oauth2_open(err, err_cap)))
                return -1;
            h->pending =
                cssf_tokens_create(h->rt, section, cse_id, (int64_t)time(NULL), err, err_cap);
            if (!h->pending)
                return -1;
        }
    }
    h->pending_set = 1;
    return 0;
}

void cssf_token_holder_commit(cssf_token_holder_t *h) {
    if (!h->pending_set)
        return;
    pthread_mutex_lock(&h->lock);
    cssf_tokens_t *old = h->cur;
    h->cur = h->pending;
    pthread_mutex_unlock(&h->lock);
    h->pending = NULL;
    h->pending_set = 0;
    cssf_tokens_release(old);
}

cssf_tokens_t *cssf_token_holder_acquire(cssf_token_holder_t *h) {
    pthread_mutex_lock(&h->lock);
    cssf_tokens_t *t = h->cur;
    if (t)
        cssf_tokens_retain(t);
    pthread_mutex_unlock(&h->lock);
    return t;
}

/* --- challenges ------------------------------------------------------------ */

static char *dup_host(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = cse_malloc ? cse_malloc(n) : NULL;
    if (p)
        memcpy(p, s, n);
    return p;
}

/* RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E. */
static void quote_safe(char *out, size_t cap, const char *s) {
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        out[n++] = c == '"' || c == '\\' ? '\'' : (c < 0x20 || c > 0x7e) ? '?' : (char)c;
    }
    out[n] = '\0';
}

char *cssf_token_challenge(const char *error, const char *description) {
    char desc[256], text[400];
    quote_safe(desc, sizeof(desc), description);
    snprintf(text, sizeof(text), "Bearer error=\"%s\", error_description=\"%s\"", error, desc);
    return dup_host(text);
}

char *cssf_token_missing_challenge(cssf_token_holder_t *h, const char *realm) {
    cssf_tokens_t *t = cssf_token_holder_acquire(h);
    int bearer = t && cssf_tokens_config(t)->has_bearer;
    cssf_tokens_release(t);
    if (!bearer)
        return NULL;
    char r[200], text[256];
    quote_safe(r, sizeof(r), realm ? realm : "");
    snprintf(text, sizeof(text), "Bearer realm=\"%s\"", r);
    return dup_host(text);
}

/* --- AUTHENTICATE ---------------------------------------------------------- */

static void deny(cssf_token_authn_t *out, int rsc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void deny(cssf_token_authn_t *out, int rsc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->d.reason, sizeof(out->d.reason), fmt, ap);
    va_end(ap);
    out->d.deny = 1;
    out->d.rsc = rsc;
    out->d.authenticated = 0;
    out->d.is_admin = 0;
}

static int listed(const cssf_strlist_t *l, const char *s) {
    for (size_t i = 0; s && i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* 1 when the subject's AE-ID patterns admit from, in either spelling
 * ("Cabc" and "/id-in/Cabc"). */
static int subject_may_use(const cssf_token_config_t *cfg, const char *subject, const char *from,
                           const char *host_cse_id) {
    const cssf_strlist_t *ids = cssf_token_config_aeids(cfg, subject);
    if (!ids)
        return 0;
    if (cssf_authn_match_any(ids->v, ids->n, from))
        return 1;
    char ri[CSSF_ORIG_MAX];
    return cssf_originator_classify(from, host_cse_id, ri, sizeof(ri)) == CSSF_ORIG_AE &&
           strcmp(ri, from) != 0 && cssf_authn_match_any(ids->v, ids->n, ri);
}

void cssf_token_authenticate(cssf_token_holder_t *h, const cse_evt_authenticate_t *ev,
                             const char *host_cse_id, const char *admin_originator,
                             cssf_token_authn_t *out) {
    memset(out, 0, sizeof(*out));
    out->d.unauth_rule = -1;
    const char *token = ev->sec ? ev->sec->bearer_token : NULL;
    if (!token)
        return;
    out->decided = 1;
    out->d.originator = ev->from ? ev->from : "";
    cssf_tokens_t *t = cssf_token_holder_acquire(h);
    if (!t || !cssf_tokens_config(t)->has_bearer) {
        deny(out, 4103, "bearer tokens are not accepted (the policy configures none)");
        out->challenge = cssf_token_challenge("invalid_token", out->d.reason);
        cssf_tokens_release(t);
        return;
    }
    const cssf_token_config_t *cfg = cssf_tokens_config(t);
    cssf_token_result_t res;
    cssf_tokens_check_bearer(t, token, (int64_t)time(NULL), &res);
    if (res.status != CSSF_TOKEN_OK) {
        deny(out, 4103, "invalid bearer token: %s", res.reason);
        out->challenge = cssf_token_challenge("invalid_token", res.reason);
        goto out;
    }
    const char *subject = cssf_claim_subject(res.claims);
    snprintf(out->identity, sizeof(out->identity), "%s", subject);
    int admin = listed(&cfg->admins, subject);
    const char *from = ev->from;
    int ae_create = ev->operation == CSE_OP_CREATE && ev->resource_type == 2;
    if (!from || !*from) {
        if (!ae_create)
            deny(out, 4000, "missing originator (From)");
        else if (!admin)
            deny(out, 4106,
                 "an AE registered with a token must name its AE-ID (From) bound to "
                 "token subject '%.64s'",
                 subject);
    } else if (!(admin && admin_originator && strcmp(from, admin_originator) == 0) &&
               !subject_may_use(cfg, subject, from, host_cse_id)) {
        deny(out, 4106, "originator '%.64s' is not bound to token subject '%.64s'", from, subject);
    }
    if (!out->d.deny) {
        out->d.authenticated = 1;
        out->d.is_admin = admin;
    }
out:
    cssf_token_result_clear(&res);
    cssf_tokens_release(t);
}

/* --- AUTHORIZE ------------------------------------------------------------- */

/* This CSE's identity as the ACP evaluator compares IDs. */
static cssf_ids_t host_ids(char *cse, size_t cse_cap, char *sp, size_t sp_cap) {
    const char *c = cse_host_cse_id ? cse_host_cse_id() : "";
    const char *s = cse_host_sp_id ? cse_host_sp_id() : "";
    snprintf(cse, cse_cap, "/%s", c + strspn(c, "/"));
    size_t n = 0;
    for (s += strspn(s, "/"); *s && n + 1 < sp_cap; s++)
        sp[n++] = (char)tolower((unsigned char)*s);
    sp[n] = '\0';
    cssf_ids_t ids = {cse, sp};
    return ids;
}

static void append(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *out, size_t cap, const char *fmt, ...) {
    size_t n = strlen(out);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}

static int authorize_bearer(cssf_tokens_t *t, const cse_evt_authorize_t *ev, char *decision,
                            size_t cap, char **challenge) {
    cssf_token_result_t res;
    char scopes[CSSF_SCOPE_MAX_TEXT], matched[200];
    cssf_tokens_check_bearer(t, ev->sec->bearer_token, (int64_t)time(NULL), &res);
    int rc = CSE_PLUGIN_DENY;
    if (res.status != CSSF_TOKEN_OK) {
        snprintf(decision, cap, "invalid bearer token: %s", res.reason);
        *challenge = cssf_token_challenge("invalid_token", res.reason);
    } else if (cssf_scope_from_claims(res.claims, scopes, sizeof(scopes)) >= 0 &&
               cssf_scope_permits(&cssf_tokens_config(t)->scopes, scopes, ev->operation,
                                  ev->target->path, matched, sizeof(matched))) {
        snprintf(decision, cap, "token %s", matched);
        rc = CSE_PLUGIN_OK;
    } else {
        append(decision, cap, "%sno token scope grants %s on /%.200s", decision[0] ? "; " : "",
               op_name(ev->operation), ev->target->path ? ev->target->path : "");
        *challenge = cssf_token_challenge("insufficient_scope", decision);
    }
    cssf_token_result_clear(&res);
    return rc;
}

static int authorize_m2m(cssf_tokens_t *t, const cse_evt_authorize_t *ev, char *decision,
                         size_t cap) {
    const char *starts[CSSF_TOKEN_MAX_TKNS];
    size_t lens[CSSF_TOKEN_MAX_TKNS];
    char why[256] = "malformed tkns list", cse[160], sp[160];
    cssf_ids_t ids = host_ids(cse, sizeof(cse), sp, sizeof(sp));
    int n = cssf_tkns_split(ev->sec->onem2m_tokens, starts, lens, CSSF_TOKEN_MAX_TKNS);
    int64_t now = (int64_t)time(NULL);
    for (int i = 0; i < n; i++) {
        cssf_token_result_t res;
        cssf_tokens_check_m2m(t, starts[i], lens[i], now, &res);
        int ok = res.status == CSSF_TOKEN_OK;
        if (ok && cssf_dynauth_permits(res.claims, &ids, ev, why, sizeof(why))) {
            snprintf(decision, cap, "dynamic authorization %s", why);
            cssf_token_result_clear(&res);
            return CSE_PLUGIN_OK;
        }
        if (!ok)
            snprintf(why, sizeof(why), "%s", res.reason);
        cssf_token_result_clear(&res);
    }
    append(decision, cap, "%soneM2M token: %s", decision[0] ? "; " : "", why);
    return CSE_PLUGIN_DENY;
}

int cssf_token_authorize(cssf_token_holder_t *h, const cse_evt_authorize_t *ev, char *decision,
                         size_t cap, char **challenge) {
    *challenge = NULL;
    const cse_security_context_t *sec = ev->sec;
    if (!sec || (!sec->bearer_token && !sec->onem2m_tokens) || !ev->target)
        return CSE_PLUGIN_DENY;
    cssf_tokens_t *t = cssf_token_holder_acquire(h);
    int rc = CSE_PLUGIN_DENY;
    if (!t)
        append(decision, cap, "%stokens are not accepted (the policy configures none)",
               decision[0] ? "; " : "");
    else if (sec->bearer_token)
        rc = authorize_bearer(t, ev, decision, cap, challenge);
    else
        rc = authorize_m2m(t, ev, decision, cap);
    cssf_tokens_release(t);
    return rc;
}
