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
#pragma weak cse_log
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
    cssf_token_cache_destroy(h->sessions);
    h->sessions = NULL;
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

/* --- tokens bound to a DTLS session (/authz-info) --------------------------- */

#define SESSION_KIND 4
#define MAX_SESSIONS 10000
#define SESSION_MAX_LIFE 86400 /* a token without exp stays bound at most a day */
#define SESSION_GRACE 300      /* seconds an expired token stays bound, to be named */

static void session_key(uint64_t session_id, unsigned char key[CSSF_TOKEN_KEY_LEN]) {
    char text[32];
    int n = snprintf(text, sizeof(text), "dtls-session:%llu", (unsigned long long)session_id);
    cssf_token_cache_key(text, (size_t)n, key);
}

/* The request's bearer token: its own, else the one its DTLS session got
 * through /authz-info (*ref then holds a reference to release). */
static const char *bearer_of(cssf_token_holder_t *h, const cse_security_context_t *sec,
                             json_t **ref) {
    *ref = NULL;
    if (!sec)
        return NULL;
    if (sec->bearer_token)
        return sec->bearer_token;
    if (sec->binding != CSE_BINDING_COAPS || !sec->session_id)
        return NULL;
    pthread_mutex_lock(&h->lock);
    cssf_token_cache_t *sessions = h->sessions;
    pthread_mutex_unlock(&h->lock);
    unsigned char key[CSSF_TOKEN_KEY_LEN];
    cssf_token_entry_t e;
    session_key(sec->session_id, key);
    if (!sessions || !cssf_token_cache_get(sessions, key, (int64_t)time(NULL), &e))
        return NULL;
    *ref = e.claims;
    return json_string_value(e.claims);
}

static int route_reply(cse_evt_http_route_t *ev, int status, const char *reason) {
    ev->status = status;
    if (reason) {
        char *text = NULL;
        json_t *doc = json_pack("{s:s}", "m2m:dbg", reason);
        if (doc)
            text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        ev->response_body = text ? dup_host(text) : NULL;
        free(text);
        snprintf(ev->response_content_type, sizeof(ev->response_content_type), "%s",
                 "application/json");
    }
    return CSE_PLUGIN_OK;
}

int cssf_token_authz_info(cssf_token_holder_t *h, cse_evt_http_route_t *ev) {
    if (!ev || ev->version < 1 || !ev->path || strcmp(ev->path, "/authz-info") != 0 || !ev->sec ||
        (ev->sec->binding != CSE_BINDING_COAP && ev->sec->binding != CSE_BINDING_COAPS))
        return CSE_PLUGIN_DEFER;
    if (!ev->method || strcmp(ev->method, "POST") != 0)
        return route_reply(ev, 405, "POST the access token to /authz-info");
    if (ev->sec->binding != CSE_BINDING_COAPS || !ev->sec->session_id)
        return route_reply(ev, 403, "a token can only be bound to a DTLS session");
    size_t len = ev->body_len;
    while (len && ev->body && (ev->body[len - 1] == '\n' || ev->body[len - 1] == '\r'))
        len--;
    if (!ev->body || len == 0 || len > CSSF_TOKEN_MAX_LEN || memchr(ev->body, 0, len))
        return route_reply(ev, 400, "the body must be the access token");
    char *token = strndup(ev->body, len);
    cssf_tokens_t *t = cssf_token_holder_acquire(h);
    int64_t now = (int64_t)time(NULL);
    cssf_token_result_t res = {.status = CSSF_TOKEN_INVALID};
    if (!token || !t || !cssf_tokens_config(t)->has_bearer) {
        route_reply(ev, 403, "bearer tokens are not accepted (the policy configures none)");
        goto out;
    }
    cssf_tokens_check_bearer(t, token, now, &res);
    if (res.status != CSSF_TOKEN_OK) {
        char why[224];
        snprintf(why, sizeof(why), "invalid bearer token: %s", res.reason);
        route_reply(ev, 401, why);
        goto out;
    }
    /* Bound a little past exp, so the session hears "token expired" rather
     * than falling back to its association's identity at once. */
    int64_t exp = now + SESSION_MAX_LIFE;
    if (cssf_claim_time(res.claims, "exp", NULL, &exp) < 0 ||
        exp > now + SESSION_MAX_LIFE - SESSION_GRACE)
        exp = now + SESSION_MAX_LIFE - SESSION_GRACE;
    exp += SESSION_GRACE;
    pthread_mutex_lock(&h->lock);
    if (!h->sessions)
        h->sessions = cssf_token_cache_create(MAX_SESSIONS);
    cssf_token_cache_t *sessions = h->sessions;
    pthread_mutex_unlock(&h->lock);
    json_t *value = json_string(token);
    unsigned char key[CSSF_TOKEN_KEY_LEN];
    session_key(ev->sec->session_id, key);
    cssf_token_entry_t e = {.kind = SESSION_KIND, .claims = value, .expires = exp, .checked = now};
    if (sessions && value)
        cssf_token_cache_put(sessions, key, &e, now);
    json_decref(value);
    if (!sessions || !value) {
        route_reply(ev, 500, "out of memory");
        goto out;
    }
    if (cse_log)
        cse_log(CSE_LOG_INFO, "cssf: tokens: token of '%.64s' bound to DTLS session %llu",
                cssf_claim_subject(res.claims), (unsigned long long)ev->sec->session_id);
    route_reply(ev, 201, NULL);
out:
    cssf_token_result_clear(&res);
    cssf_tokens_release(t);
    free(token);
    return CSE_PLUGIN_OK;
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
    json_t *bound = NULL;
    const char *token = bearer_of(h, ev->sec, &bound);
    if (!token)
        return;
    out->decided = 1;
    out->d.originator = ev->from ? ev->from : "";
    cssf_tokens_t *t = cssf_token_holder_acquire(h);
    if (!t || !cssf_tokens_config(t)->has_bearer) {
        deny(out, 4103, "bearer tokens are not accepted (the policy configures none)");
        out->challenge = cssf_token_challenge("invalid_token", out->d.reason);
        cssf_tokens_release(t);
        json_decref(bound);
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
    json_decref(bound);
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

static int authorize_bearer(cssf_tokens_t *t, const cse_evt_authorize_t *ev, const char *token,
                            char *decision, size_t cap, char **challenge) {
    cssf_token_result_t res;
    char scopes[CSSF_SCOPE_MAX_TEXT], matched[200];
    cssf_tokens_check_bearer(t, token, (int64_t)time(NULL), &res);
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
    json_t *bound = NULL;
    const char *bearer = bearer_of(h, sec, &bound);
    if (!sec || (!bearer && !sec->onem2m_tokens) || !ev->target) {
        json_decref(bound);
        return CSE_PLUGIN_DENY;
    }
    cssf_tokens_t *t = cssf_token_holder_acquire(h);
    int rc = CSE_PLUGIN_DENY;
    if (!t)
        append(decision, cap, "%stokens are not accepted (the policy configures none)",
               decision[0] ? "; " : "");
    else if (bearer)
        rc = authorize_bearer(t, ev, bearer, decision, cap, challenge);
    else
        rc = authorize_m2m(t, ev, decision, cap);
    cssf_tokens_release(t);
    json_decref(bound);
    return rc;
}
