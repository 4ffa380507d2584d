/*
 * CSSF plugin entry points: ABI negotiation, the one state struct, option
 * handling, callback registration and the glue from host events to the
 * decisions (authn/, authz/), the policy (data/policy*) and the audit log
 * (data/audit*). The state is owned by the host through *userdata between
 * init and cleanup; callbacks only read it, except the policy snapshot,
 * which RELOAD swaps atomically.
 */
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cse/host.h"
#include "cse/plugin.h"
#include "plugin/aaa/aaa.h"
#include "plugin/admin/admin.h"
#include "plugin/authn/authn.h"
#include "plugin/authn/basic_radius.h"
#include "plugin/authn/cert_bind.h"
#include "plugin/authn/registered_ae.h"
#include "plugin/authn/registration.h"
#include "plugin/authn/token_admin.h"
#include "plugin/authn/token_events.h"
#include "plugin/authz/authorize.h"
#include "plugin/cssf_options.h"
#include "plugin/data/aeid_reservations.h"
#include "plugin/data/audit.h"
#include "plugin/data/audit_line.h"
#include "plugin/data/policy.h"
#include "plugin/data/policy_apply.h"
#include "plugin/data/policy_snapshot.h"
#include "plugin/data/radius_secrets.h"
#include "plugin/data/registry.h"
#include "plugin/data/registry_events.h"
#include "plugin/data/registry_sessions.h"

/* Weak, so the plugin's objects also link into programs without the CSE
 * core (unit tests, fuzzers). A host that loads the plugin exports them
 * all; init refuses to start if one is missing. */
#pragma weak cse_resource_get
#pragma weak cse_resource_apply_all
#pragma weak cse_host_cse_id
#pragma weak cse_host_resource_name
#pragma weak cse_callback_register
#pragma weak cse_strdup
#pragma weak cse_free
#pragma weak cse_host_store_path

static int host_complete(void) {
    return cse_resource_get && cse_resource_apply_all && cse_host_cse_id &&
           cse_host_resource_name && cse_callback_register && cse_strdup && cse_free &&
           cse_host_store_path;
}

typedef struct cssf_state {
    cssf_options_t opts;
    cssf_policy_holder_t policy;
    cssf_audit_t *audit;
    cssf_authz_t *authz;
    cssf_aaa_t *aaa;                    /* NULL without radius_* servers */
    cssf_registry_t *registry;          /* devices (plugin/data/registry*) */
    cssf_aeid_reservations_t *reserved; /* AE-IDs registered inside an association */
    cssf_registered_ae_t *registered;   /* registered-AE lookups (claimed originators) */
    cssf_sessions_t *sessions;          /* open sessions per identity, for revocation */
    cssf_admin_t *admin;                /* /cssf/v1 (plugin/admin) */
    pthread_mutex_t reload_lock;        /* RELOAD and the admin's policy apply, one at a time */
    cssf_token_holder_t tokens;         /* bearer and oneM2M tokens (the policy's tokens section) */
} cssf_state_t;

CSE_PLUGIN_EXPORT int cse_plugin_version(int count, const int *supported) {
    for (int i = 0; i < count; i++)
        if (supported[i] == CSE_PLUGIN_ABI_VERSION)
            return CSE_PLUGIN_ABI_VERSION;
    return -1;
}

static cssf_policy_defaults_t policy_defaults(const cssf_options_t *o) {
    cssf_policy_defaults_t d = {o->authn_mode, o->trust_claimed_admin, cse_host_resource_name()};
    return d;
}

/* 1 when admin rights of this request came from a claimed From. */
static int trusted_claim(const cssf_policy_t *pol, const cse_security_context_t *sec,
                         const char *originator) {
    return pol->trust_claimed_admin && sec && sec->assoc_method == CSE_ASSOC_NONE &&
           cssf_policy_authn_mode(pol, sec->binding) == CSSF_AUTHN_OPTIONAL && originator &&
           strcmp(originator, pol->admin_originator) == 0;
}

/* Fills the parts of an audit record that come from the connection;
 * basic_user: the credential ID RADIUS checked for this request, or NULL. */
static void record_from_sec(cssf_audit_record_t *r, const cse_security_context_t *sec,
                            const char *basic_user) {
    if (!sec)
        return;
    r->binding = sec->binding;
    r->peer = &sec->peer;
    r->identity = sec->assoc_method != CSE_ASSOC_NONE ? sec->assoc_identity : NULL;
    r->method = cssf_audit_method_name(sec->assoc_method);
    if (basic_user) {
        r->identity = basic_user;
        r->method = CSSF_BASIC_METHOD;
    }
}

/* The identity a request authenticated by RADIUS-checked Basic
 * credentials speaks as (for REGISTER_AE, AUTHORIZE and audit lines,
 * which only learn that the request was authenticated), else NULL. */
static const char *basic_identity(const cssf_policy_t *pol, const cse_security_context_t *sec,
                                  int authenticated) {
    return authenticated ? cssf_basic_user(pol, sec) : NULL;
}

static void audit(cssf_state_t *st, const cssf_audit_record_t *r) {
    cssf_audit_submit(st->audit, cssf_audit_line_format(r));
}

/* --- AUTHENTICATE ---------------------------------------------------------- */

/* CSSF_AE_* for ri: reserved AE-IDs first, then the host's resources. */
static int ae_registered(void *ctx, const char *ri) {
    cssf_state_t *st = ctx;
    if (cssf_aeid_reservations_has(st->reserved, ri))
        return CSSF_AE_RESERVED;
    return cssf_registered_ae(st->registered, ri) ? CSSF_AE_REGISTERED : CSSF_AE_UNKNOWN;
}

static int deny_with(int *rsc_out, char **reason_out, int rsc, const char *reason) {
    *rsc_out = rsc;
    *reason_out = cse_strdup(reason);
    return CSE_PLUGIN_DENY;
}

static void deny_decision(cssf_authn_decision_t *d, const char *from, const char *reason) {
    memset(d, 0, sizeof(*d));
    d->deny = 1;
    d->rsc = 4106;
    d->unauth_rule = -1;
    d->originator = from ? from : "";
    snprintf(d->reason, sizeof(d->reason), "%s", reason);
}

/* The authentication decision for a request (also for the admin API's
 * callers): a suspended device is refused first, HTTP Basic credentials
 * the policy gives to RADIUS are checked there, then the policy decides
 * with the registry as the second source of identity bindings. */
static void authenticate(cssf_state_t *st, const cssf_policy_t *pol,
                         const cse_security_context_t *sec, const char *from, int operation,
                         int resource_type, const char *to, cssf_authn_decision_t *d) {
    cssf_identity_source_t source = {cssf_registry_source_may_use, st->registry};
    cssf_authn_request_t req = {cse_host_cse_id(),   sec->binding, sec->assoc_method,
                                sec->assoc_identity, from,         operation,
                                resource_type,       to,           &source};
    char why[sizeof(d->reason)];
    if (cssf_registry_check_association(st->registry, sec, why, sizeof(why)) < 0) {
        deny_decision(d, from, why);
        return;
    }
    switch (cssf_basic_check(st->aaa, pol, sec, why, sizeof(why))) {
    case CSSF_BASIC_DENY:
        deny_decision(d, from, why);
        return;
    case CSSF_BASIC_ACCEPT: /* RADIUS proved the credential ID: an association */
        req.assoc_method = CSSF_ASSOC_RADIUS_BASIC;
        req.assoc_identity = sec->basic_user;
        break;
    default:
        break;
    }
    cssf_authn_decide(pol, &req, ae_registered, st, d);
}

static int on_authenticate(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_authenticate_t *ev = data;
    if (!ev || ev->version < 1 || !ev->sec)
        return CSE_PLUGIN_DEFER;
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    cssf_authn_decision_t d;
    cssf_token_authn_t tk;
    cssf_token_authenticate(&st->tokens, ev, cse_host_cse_id(), pol->admin_originator, &tk);
    if (tk.decided)
        d = tk.d;
    else
        authenticate(st, pol, ev->sec, ev->from, ev->operation, ev->resource_type, ev->to, &d);
    if (!d.deny && strlen(d.originator) >= ev->identity_cap) {
        d.deny = 1;
        d.rsc = 4000;
        snprintf(d.reason, sizeof(d.reason), "originator too long");
    }
    int result;
    if (d.deny) {
        cssf_audit_record_t r = {.event = "authenticate",
                                 .rqi = ev->rqi,
                                 .from = ev->from,
                                 .target = ev->to,
                                 .operation = ev->operation,
                                 .decision = "deny",
                                 .rsc = d.rsc,
                                 .reason = d.reason};
        record_from_sec(&r, ev->sec, cssf_basic_user(pol, ev->sec));
        if (tk.decided) {
            r.method = "bearer";
            r.identity = tk.identity[0] ? tk.identity : NULL;
        } else if (d.rsc == 4107) {
            tk.challenge = cssf_token_missing_challenge(&st->tokens, cse_host_cse_id());
        }
        audit(st, &r);
        result = deny_with(&ev->rsc, &ev->reason, d.rsc, d.reason);
        ev->challenge = tk.challenge;
        tk.challenge = NULL;
    } else {
        memcpy(ev->identity, d.originator, strlen(d.originator) + 1);
        ev->authenticated = d.authenticated;
        ev->is_admin = d.is_admin;
        result = CSE_PLUGIN_OK;
    }
    cse_free(tk.challenge);
    cssf_policy_release(pol);
    return result;
}

/* --- AUTHORIZE ------------------------------------------------------------- */

static int on_authorize(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_authorize_t *ev = data;
    if (!ev || ev->version < 1 || !ev->target)
        return CSE_PLUGIN_DEFER;
    char decision[256] = "";
    int rsc = 4103;
    cssf_registry_locate_ctx_t where = {st->registry, ev->sec};
    cssf_authz_env_t env = {.locate = cssf_registry_locate_hook, .locate_arg = &where};
    int result = cssf_authz_decide(st->authz, ev, &env, decision, sizeof(decision), &rsc);
    char *challenge = NULL;
    /* Tokens may grant what the ACPs do not (docs/oauth.md). */
    if (result != CSE_PLUGIN_OK && rsc == 4103 &&
        cssf_token_authorize(&st->tokens, ev, decision, sizeof(decision), &challenge) ==
            CSE_PLUGIN_OK)
        result = CSE_PLUGIN_OK;
    if (result == CSE_PLUGIN_OK) {
        cse_free(challenge);
        /* The matching rule travels back to the host for the request's
         * audit line (ACCOUNTING decision_reason). */
        ev->reason = cse_strdup(decision);
        return CSE_PLUGIN_OK;
    }
    ev->challenge = challenge;
    if (rsc < 4000)
        rsc = 4103;
    /* Discovery asks once per candidate and hides the denied ones; the
     * request's own line records the outcome. */
    if (ev->operation == CSE_OP_DISCOVERY)
        return deny_with(&ev->rsc, &ev->reason, rsc, decision[0] ? decision : "access denied");
    char target[1100];
    snprintf(target, sizeof(target), "/%.1024s", ev->target->path ? ev->target->path : "");
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    cssf_audit_record_t r = {.event = "authorize",
                             .rqi = ev->rqi,
                             .from = ev->originator,
                             .target = target,
                             .operation = ev->operation,
                             .decision = "deny",
                             .rsc = rsc,
                             .reason = decision,
                             .trusted_claim = trusted_claim(pol, ev->sec, ev->originator)};
    record_from_sec(&r, ev->sec, basic_identity(pol, ev->sec, ev->authenticated));
    audit(st, &r);
    cssf_policy_release(pol);
    return deny_with(&ev->rsc, &ev->reason, rsc, decision[0] ? decision : "access denied");
}

/* --- REGISTER_AE / DEREGISTER_AE ------------------------------------------ */

/* How an authenticated registration was authenticated (for the reservation). */
static const char *registration_method(const cse_security_context_t *sec, const char *basic) {
    if (basic)
        return "radius-basic";
    if (sec && sec->assoc_method != CSE_ASSOC_NONE)
        return cssf_audit_method_name(sec->assoc_method);
    return sec && (sec->bearer_token || sec->onem2m_tokens) ? "token" : "plugin";
}

static int on_register_ae(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_register_ae_t *ev = data;
    if (!ev || ev->version < 1)
        return CSE_PLUGIN_DEFER;
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    const cse_security_context_t *sec = ev->sec;
    cssf_identity_source_t source = {cssf_registry_source_may_use, st->registry};
    const char *basic = basic_identity(pol, sec, ev->authenticated);
    cssf_registration_request_t req = {cse_host_cse_id(),
                                       basic ? CSSF_ASSOC_RADIUS_BASIC
                                       : sec ? sec->assoc_method
                                             : CSE_ASSOC_NONE,
                                       basic ? basic
                                       : sec ? sec->assoc_identity
                                             : NULL,
                                       ev->from,
                                       ev->aei,
                                       ev->api,
                                       &source};
    cssf_registration_decision_t d;
    cssf_registration_check(pol, &req, &d);
    /* Stored before the AE is: an acknowledged registration is never
     * claimable without its association, even after a crash. */
    if (!d.deny && ev->authenticated &&
        cssf_aeid_reservations_add(
            st->reserved, ev->aei, req.assoc_identity ? req.assoc_identity : "",
            registration_method(sec, basic), d.reason, sizeof(d.reason)) < 0) {
        d.deny = 1;
        d.rsc = 5000;
    }
    int result = CSE_PLUGIN_OK;
    if (d.deny) {
        cssf_audit_record_t r = {.event = "register",
                                 .from = ev->from ? ev->from : ev->aei,
                                 .target = ev->aei,
                                 .operation = CSE_OP_CREATE,
                                 .decision = "deny",
                                 .rsc = d.rsc,
                                 .reason = d.reason};
        record_from_sec(&r, sec, basic);
        audit(st, &r);
        result = deny_with(&ev->rsc, &ev->reason, d.rsc, d.reason);
    }
    cssf_policy_release(pol);
    return result;
}

static int on_deregister_ae(int event, void *data, void *userdata) {
    (void)event;
    cssf_state_t *st = userdata;
    cse_evt_deregister_ae_t *ev = data;
    char err[160];
    if (!ev || ev->version < 1 || !ev->aei)
        return CSE_PLUGIN_OK;
    if (cssf_aeid_reservations_remove(st->reserved, ev->aei, err, sizeof(err)) < 0)
        cse_log(CSE_LOG_WARN, "cssf: AE %s deregistered: %s (it stays reserved)", ev->aei, err);
    cssf_aaa_ae_deregister(st->aaa, ev->aei, ev->reason); /* its accounting session stops */
    return CSE_PLUGIN_OK;
}

/* For the AE accounting sessions a restart finds open (reconciled once
 * DEREGISTER_AE is heard): the resource itself, not a reservation. */
static int ae_exists(void *ctx, const char *aei) {
    cssf_state_t *st = ctx;
    return cssf_registered_ae(st->registered, aei);
}

/* --- ACCOUNTING ------------------------------------------------------------ */

/* Who registered an AE, for its accounting: the RADIUS-checked Basic
 * credential ID or the association's identity; NULL without one. */
static const char *registrant(const cse_security_context_t *sec, const char *basic) {
    if (basic)
        return basic;
    return sec && sec->assoc_method != CSE_ASSOC_NONE ? sec->assoc_identity : NULL;
}

/* "acp=<ri> rule=<i>" / "acp=<ri> pvs rule=<i>" → acp and rule parts. */
static int split_rule(const char *text, char *acp, size_t acp_cap, const char **rule) {
    if (!text || strncmp(text, "acp=", 4) != 0)
        return 0;
    const char *sp = strchr(text + 4, ' ');
    size_t n = sp ? (size_t)(sp - text - 4) : strlen(text + 4);
    if (n >= acp_cap)
        return 0;
    memcpy(acp, text + 4, n);
    acp[n] = '\0';
    *rule = sp ? sp + 1 : NULL;
    return 1;
}

static int on_accounting(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_accounting_t *ev = data;
    if (!ev || ev->version < 1)
        return CSE_PLUGIN_OK;
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    cssf_audit_record_t r = {.rqi = ev->rqi,
                             .from = ev->originator,
                             .target = ev->to,
                             .operation = ev->operation,
                             .rsc = ev->rsc};
    const char *basic = ev->authn_method && strcmp(ev->authn_method, "none") != 0 &&
                                strcmp(ev->authn_method, "insecure") != 0
                            ? cssf_basic_user(pol, ev->sec)
                            : NULL;
    record_from_sec(&r, ev->sec, basic);
    if (!basic && ev->authn_method && *ev->authn_method)
        r.method = ev->authn_method;
    char acp[128];
    if (ev->kind == CSE_ACCT_REQUEST) {
        r.event = "request";
        r.decision = ev->authorized == 1 ? "permit" : ev->authorized == 0 ? "deny" : "not-reached";
        if (!split_rule(ev->decision_reason, acp, sizeof(acp), &r.rule))
            r.reason = ev->decision_reason;
        else
            r.acp = acp;
        r.trusted_claim = trusted_claim(pol, ev->sec, ev->originator);
    } else {
        r.event = ev->kind == CSE_ACCT_SESSION_START ? "session_start" : "session_stop";
    }
    int quiet = ev->kind == CSE_ACCT_REQUEST && ev->authorized == 1 && ev->rsc < 4000 &&
                !pol->audit_permits && !r.trusted_claim;
    if (!quiet)
        audit(st, &r);
    cssf_policy_release(pol);
    if (ev->sec && ev->kind == CSE_ACCT_SESSION_START && ev->sec->assoc_method != CSE_ASSOC_NONE)
        cssf_sessions_start(st->sessions, ev->sec->session_id, ev->sec->assoc_identity);
    else if (ev->sec && ev->kind == CSE_ACCT_SESSION_STOP)
        cssf_sessions_stop(st->sessions, ev->sec->session_id);
    /* An AE registered: its accounting session starts, as the identity
     * that registered it (else the AE-ID). */
    if (ev->kind == CSE_ACCT_REQUEST && ev->version >= 2 && ev->aei)
        cssf_aaa_ae_register(st->aaa, ev->aei, registrant(ev->sec, basic), ev->bytes_in,
                             ev->bytes_out);
    cssf_aaa_on_accounting(st->aaa, ev);
    return CSE_PLUGIN_OK;
}

/* --- PSK_LOOKUP (the device registry, then AAA) ------------------------------ */

static int on_psk_lookup(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_psk_lookup_t *ev = data;
    char reason[256], device[CSSF_DEVICE_ID_MAX + 1] = "";
    int aaa_backed = 0;
    int result = cssf_registry_on_psk_lookup(st->registry, ev, &aaa_backed, device, sizeof(device),
                                             reason, sizeof(reason));
    if (result == CSE_PLUGIN_DENY) {
        cssf_audit_record_t r = {.event = "psk_lookup",
                                 .binding = ev->binding,
                                 .identity = ev->identity,
                                 .method = "registry",
                                 .decision = "deny",
                                 .reason = reason};
        audit(st, &r);
        return result;
    }
    if (result == CSE_PLUGIN_OK)
        return result;
    result = cssf_aaa_on_psk_lookup(st->aaa, ev, reason, sizeof(reason));
    if (result != CSE_PLUGIN_OK && reason[0]) {
        cssf_audit_record_t r = {.event = "psk_lookup",
                                 .binding = ev->binding,
                                 .identity = ev->identity,
                                 .method = "radius",
                                 .decision = "deny",
                                 .reason = reason};
        audit(st, &r);
    }
    return result;
}

/* --- RADIUS shared secrets: sealed in the registry, else the INI's --------- */

static int sealed_radius_secret(void *ctx, const char *name, uint8_t *out, size_t cap,
                                size_t *len) {
    return cssf_radius_secrets_get(ctx, name, out, cap, len);
}

/* Puts the right secrets in use: all of them (name NULL) or one. */
static void resolve_radius_secrets(cssf_state_t *st, const char *name, int warn) {
    if (st->aaa && st->registry)
        cssf_aaa_resolve_secrets(st->aaa, sealed_radius_secret, st->registry, name, warn);
}

static void admin_radius_changed(void *ctx, const char *name) {
    resolve_radius_secrets(ctx, name, 0);
}

static void admin_radius_servers(void *ctx, json_t *list) {
    cssf_state_t *st = ctx;
    cssf_aaa_secret_info_t info[2 * CSSF_RADIUS_MAX_SERVERS + 1];
    size_t n = cssf_aaa_secret_sources(st->aaa, info, sizeof(info) / sizeof(info[0]));
    for (size_t i = 0; i < n; i++) {
        json_t *roles = json_array();
        if (info[i].auth)
            json_array_append_new(roles, json_string("auth"));
        if (info[i].acct)
            json_array_append_new(roles, json_string("acct"));
        if (!info[i].auth && !info[i].acct)
            json_array_append_new(roles, json_string("psk"));
        json_array_append_new(list,
                              json_pack("{s:s,s:o,s:s}", "name", info[i].name, "roles", roles,
                                        "in_use", cssf_aaa_secret_source_name(info[i].source)));
    }
}

/* --- policy loading and RELOAD --------------------------------------------- */

/* Loads and applies the policy directory; logs every problem. Returns a
 * new snapshot, or NULL with a one-line summary in why. */
static cssf_policy_t *load_policy(const cssf_options_t *o, cssf_token_holder_t *tokens, char *why,
                                  size_t why_cap) {
    cssf_policy_report_t *rep = malloc(sizeof(*rep));
    cssf_policy_t *pol = NULL;
    if (!rep) {
        snprintf(why, why_cap, "out of memory");
        return NULL;
    }
    cssf_policy_report_init(rep);
    cssf_policy_defaults_t defs = policy_defaults(o);
    pol = cssf_policy_load(o->policy_dir, &defs, rep);
    if (!pol) {
        char line[1024];
        for (size_t i = 0; i < rep->n; i++) {
            cssf_policy_report_format(rep, i, line, sizeof(line));
            cse_log(CSE_LOG_ERROR, "cssf: policy: %s", line);
        }
        cssf_policy_report_format(rep, 0, line, sizeof(line));
        snprintf(why, why_cap, "invalid policy: %.700s%s", line,
                 rep->total > 1 ? " (and more, see the log)" : "");
        goto out;
    }
    char err[512];
    if (cssf_token_holder_prepare(tokens, pol->tokens, cse_host_cse_id(), err, sizeof(err)) < 0) {
        cse_log(CSE_LOG_ERROR, "cssf: policy: %s", err);
        snprintf(why, why_cap, "invalid policy: %.700s", err);
        cssf_policy_release(pol);
        pol = NULL;
        goto out;
    }
    if (cssf_policy_apply_acps(pol, cse_resource_apply_all, err, sizeof(err)) < 0) {
        cse_log(CSE_LOG_ERROR, "cssf: policy: %s", err);
        snprintf(why, why_cap, "cannot apply the policy: %.700s", err);
        cssf_policy_release(pol);
        pol = NULL;
    }
out:
    cssf_policy_report_clear(rep);
    free(rep);
    return pol;
}

static int on_reload(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_reload_t *ev = data;
    char why[1024] = "";
    cssf_policy_t *pol = load_policy(&st->opts, &st->tokens, why, sizeof(why));
    cssf_audit_record_t r = {.event = "reload", .target = st->opts.policy_dir};
    if (!pol) {
        cse_log(CSE_LOG_WARN, "cssf: reload refused, the previous policy stays: %s", why);
        r.decision = "deny";
        r.reason = why;
        audit(st, &r);
        if (ev && ev->version >= 1)
            ev->reason = cse_strdup(why);
        return CSE_PLUGIN_DENY;
    }
    cssf_audit_set_keep(st->audit, pol->audit_keep);
    resolve_radius_secrets(st, NULL, 0); /* a sealed secret changed behind the API wins now */
    size_t nacps = pol->nacps;
    cssf_token_holder_commit(&st->tokens);
    cssf_policy_holder_publish(&st->policy, pol);
    cse_log(CSE_LOG_INFO, "cssf: policy reloaded from %s (%zu ACPs)", st->opts.policy_dir, nacps);
    r.decision = "permit";
    audit(st, &r);
    return CSE_PLUGIN_OK;
}

static int on_reload_serialized(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    pthread_mutex_lock(&st->reload_lock);
    int result = on_reload(event, data, userdata);
    pthread_mutex_unlock(&st->reload_lock);
    return result;
}

/* --- CERT_CHECK, HTTP_ROUTE and the admin API's hooks ------------------------- */

/* A registered device's certificate binds its identity; otherwise the
 * certificate's own identity (SAN URI, or "sha256:<hex>" without one,
 * cert_bind.h) binds itself when the policy names it (identities or
 * admins). */
static int on_cert_check(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_cert_check_t *ev = data;
    char reason[256], device[CSSF_DEVICE_ID_MAX + 1] = "";
    int result = cssf_registry_on_cert_check(st->registry, ev, device, sizeof(device), reason,
                                             sizeof(reason));
    if (result == CSE_PLUGIN_DENY) {
        cssf_audit_record_t r = {.event = "cert_check",
                                 .binding = ev->binding,
                                 .identity = ev->san_uri,
                                 .method = "certificate",
                                 .decision = "deny",
                                 .reason = reason};
        audit(st, &r);
    }
    char id[256]; /* the host's identity buffers hold 256 bytes */
    if (result != CSE_PLUGIN_DEFER || !ev || ev->version < 1 || !ev->identity ||
        cssf_cert_identity(ev->san_uri, ev->sha256, id, sizeof(id)) < 0 ||
        strlen(id) >= ev->identity_cap)
        return result;
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    if (cssf_policy_is_admin(pol, id) || cssf_policy_identity(pol, id)) {
        memcpy(ev->identity, id, strlen(id) + 1);
        result = CSE_PLUGIN_OK;
    }
    cssf_policy_release(pol);
    return result;
}

static int on_http_route(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    int rc = cssf_token_authz_info(&st->tokens, data); /* CoAP POST /authz-info */
    return rc != CSE_PLUGIN_DEFER ? rc : cssf_admin_route(st->admin, data);
}

static void admin_authenticate(void *ctx, const cse_security_context_t *sec, const char *origin,
                               int operation, const char *path, cssf_admin_caller_t *out) {
    cssf_state_t *st = ctx;
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    cssf_authn_decision_t d;
    memset(out, 0, sizeof(*out));
    /* A bearer token speaks for the caller alone, as on the oneM2M side. */
    int tk = cssf_token_admin_check(&st->tokens, sec, (int64_t)time(NULL), out->identity,
                                    sizeof(out->identity), out->reason, sizeof(out->reason));
    if (tk != CSSF_TOKEN_ADMIN_NONE) {
        out->denied = tk == CSSF_TOKEN_ADMIN_DENY;
        out->is_admin = tk == CSSF_TOKEN_ADMIN_ADMIN;
        cssf_policy_release(pol);
        return;
    }
    authenticate(st, pol, sec, origin, operation, 0, path, &d);
    out->denied = d.deny;
    out->is_admin = !d.deny && d.is_admin;
    out->trusted_claim = !d.deny && d.trusted_claim;
    if (sec->assoc_method != CSE_ASSOC_NONE && sec->assoc_identity)
        snprintf(out->identity, sizeof(out->identity), "%s", sec->assoc_identity);
    snprintf(out->reason, sizeof(out->reason), "%s", d.reason);
    cssf_policy_release(pol);
}

static int admin_reload(void *ctx, char *why, size_t why_cap) {
    cse_evt_reload_t ev = {.version = 1};
    int result = on_reload_serialized(CSE_EVT_RELOAD, &ev, ctx);
    snprintf(why, why_cap, "%s", ev.reason ? ev.reason : "");
    cse_free(ev.reason);
    return result == CSE_PLUGIN_OK ? 0 : -1;
}

/* A revoked credential: the host closes its (D)TLS sessions (and AUTHENTICATE
 * refuses anything still in flight on them); their accounting stops now. */
static void admin_revoked(void *ctx, const char *device, const char *psk_identity,
                          const char *cert) {
    cssf_state_t *st = ctx;
    const char *ids[2] = {psk_identity, cert};
    uint64_t sids[64];
    for (int i = 0; i < 2; i++) {
        size_t n;
        cse_sessions_close(ids[i]);
        while ((n = cssf_sessions_take(st->sessions, ids[i], sids, 64)) > 0)
            for (size_t k = 0; k < n; k++)
                cssf_aaa_session_stop(st->aaa, sids[k]);
    }
    cse_log(CSE_LOG_INFO, "cssf: device %s: credentials revoked", device);
}

static void admin_health(void *ctx, json_t *doc, int *ok) {
    cssf_state_t *st = ctx;
    cssf_radius_server_status_t servers[8];
    size_t n = 0;
    if (!st->aaa)
        return;
    int alive = cssf_radius_status(cssf_aaa_radius(st->aaa), servers, 8, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < 8; i++)
        json_array_append_new(list,
                              json_pack("{s:s,s:b,s:I,s:s}", "server", servers[i].name, "alive",
                                        servers[i].alive, "rtt_ms", (json_int_t)servers[i].rtt_ms,
                                        "reason", servers[i].reason));
    json_object_set_new(doc, "radius", json_pack("{s:b,s:o}", "ok", alive > 0, "servers", list));
    if (alive <= 0)
        *ok = 0;
}

/* Opens the registry in the CSE's store; the master key defaults to
 * master.key beside the store (or in the policy directory without one). */
static int open_registry(cssf_state_t *st, char *err, size_t err_cap) {
    const char *db = cse_host_store_path();
    char key[PATH_MAX], dir[PATH_MAX];
    int file_store = db && *db && strcmp(db, ":memory:") != 0;
    if (st->opts.master_key_file[0])
        snprintf(key, sizeof(key), "%s", st->opts.master_key_file);
    else {
        snprintf(dir, sizeof(dir), "%s", file_store ? db : st->opts.policy_dir);
        snprintf(key, sizeof(key), "%.4000s/master.key", file_store ? dirname(dir) : dir);
    }
    cssf_registry_options_t ro = {file_store ? db : ":memory:", key, cse_host_cse_id()};
    if (cssf_registry_open(&ro, &st->registry, err, err_cap) < 0 ||
        cssf_aeid_reservations_open(ro.db_path, &st->reserved, err, err_cap) < 0)
        return -1;
    cssf_admin_config_t ac = {st->registry,
                              st->audit,
                              st->opts.audit_file,
                              st->opts.policy_dir,
                              policy_defaults(&st->opts),
                              {admin_authenticate, admin_reload, admin_revoked, admin_health, st,
                               admin_radius_servers, admin_radius_changed}};
    if (!(st->sessions = cssf_sessions_create()) ||
        !(st->registered = cssf_registered_ae_create()) || !(st->admin = cssf_admin_create(&ac))) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    return 0;
}

/* --- init / cleanup -------------------------------------------------------- */

/* --check-policies: validate a directory, report, no side effects. */
static int check_policies(const cssf_options_t *o) {
    cssf_policy_report_t *rep = malloc(sizeof(*rep));
    if (!rep)
        return 1;
    cssf_policy_report_init(rep);
    cssf_policy_defaults_t defs = policy_defaults(o);
    cssf_policy_t *pol = cssf_policy_load(o->check_policies, &defs, rep);
    int rc = pol ? 0 : 1;
    char err[512];
    cssf_token_config_t *tc = NULL;
    if (pol && pol->tokens && !(tc = cssf_token_config_parse(pol->tokens, err, sizeof(err)))) {
        fprintf(stderr, "%s: cssf.json: %s\n%s: 1 problem(s)\n", o->check_policies, err,
                o->check_policies);
        rc = 1;
    } else if (pol) {
        fprintf(stderr, "%s: OK (%zu ACPs)\n", o->check_policies, pol->nacps);
    } else {
        cssf_policy_report_print(rep, stderr);
        fprintf(stderr, "%s: %zu problem(s)\n", o->check_policies, rep->total);
    }
    cssf_token_config_free(tc);
    cssf_policy_release(pol);
    cssf_policy_report_clear(rep);
    free(rep);
    return rc;
}

static void warn_trust_claimed_admin(const cssf_options_t *o) {
    cse_log(CSE_LOG_WARN, "cssf: ******************************************************");
    cse_log(CSE_LOG_WARN, "cssf: trust_claimed_admin=true: a request without a security "
                          "association that merely claims the admin originator gets admin "
                          "rights on every binding whose authentication is optional.");
    cse_log(CSE_LOG_WARN, "cssf: for development only; every such decision is audited with "
                          "\"trusted_claim\":true");
    cse_log(CSE_LOG_WARN, "cssf: ******************************************************");
}

static void state_free(cssf_state_t *st) {
    if (!st)
        return;
    cssf_admin_destroy(st->admin);
    /* Before what its timer asks (registered AEs); queues the Stop of open
     * (D)TLS sessions. */
    cssf_aaa_destroy(st->aaa);
    cssf_registry_close(st->registry);
    cssf_aeid_reservations_close(st->reserved);
    cssf_registered_ae_destroy(st->registered);
    cssf_sessions_destroy(st->sessions);
    cssf_audit_close(st->audit);
    if (st->authz)
        cssf_authz_destroy(st->authz);
    cssf_policy_holder_destroy(&st->policy);
    pthread_mutex_destroy(&st->reload_lock);
    cssf_token_holder_destroy(&st->tokens);
    free(st);
}

static const struct {
    int event;
    cse_plugin_callback_fn fn;
} callbacks[] = {
    {CSE_EVT_AUTHENTICATE, on_authenticate},   {CSE_EVT_AUTHORIZE, on_authorize},
    {CSE_EVT_REGISTER_AE, on_register_ae},     {CSE_EVT_ACCOUNTING, on_accounting},
    {CSE_EVT_RELOAD, on_reload_serialized},    {CSE_EVT_PSK_LOOKUP, on_psk_lookup},
    {CSE_EVT_CERT_CHECK, on_cert_check},       {CSE_EVT_HTTP_ROUTE, on_http_route},
    {CSE_EVT_DEREGISTER_AE, on_deregister_ae},
};

CSE_PLUGIN_EXPORT int cse_plugin_init(cse_plugin_t *plugin, void **userdata,
                                      const cse_plugin_opt_t *opts, int nopts) {
    char err[1024];
    *userdata = NULL;
    cssf_state_t *st = calloc(1, sizeof(*st));
    if (!st) {
        cse_log(CSE_LOG_ERROR, "cssf: out of memory");
        return 1;
    }
    cssf_policy_holder_init(&st->policy, NULL);
    pthread_mutex_init(&st->reload_lock, NULL);
    cssf_token_holder_init(&st->tokens);
    /* radius_* options belong to plugin/aaa; the rest to cssf_options. */
    cssf_aaa_config_t aaa_cfg;
    cssf_aaa_config_init(&aaa_cfg);
    cse_plugin_opt_t *rest = calloc(nopts > 0 ? (size_t)nopts : 1, sizeof(*rest));
    int nrest = 0;
    if (!rest || cssf_aaa_config_take(&aaa_cfg, opts, nopts, rest, &nrest, err, sizeof(err)) < 0 ||
        cssf_options_parse(&st->opts, rest, nrest, err, sizeof(err)) < 0) {
        cse_log(CSE_LOG_ERROR, "cssf: %s", rest ? err : "out of memory");
        free(rest);
        cssf_aaa_config_free(&aaa_cfg);
        goto fail;
    }
    free(rest);
    if (!host_complete()) {
        cse_log(CSE_LOG_ERROR, "cssf: the host does not offer the full host API (cse/host.h)");
        cssf_aaa_config_free(&aaa_cfg);
        goto fail;
    }
    if (st->opts.check_policies[0]) {
        cssf_aaa_config_free(&aaa_cfg);
        int rc = check_policies(&st->opts);
        state_free(st);
        return rc;
    }
    int aaa_rc = cssf_aaa_create(&aaa_cfg, cse_host_cse_id(), &st->aaa, err, sizeof(err));
    cssf_aaa_config_free(&aaa_cfg);
    if (aaa_rc < 0) {
        cse_log(CSE_LOG_ERROR, "cssf: radius: %s", err);
        goto fail;
    }
    if (st->opts.trust_claimed_admin)
        warn_trust_claimed_admin(&st->opts);
    cssf_policy_t *pol = load_policy(&st->opts, &st->tokens, err, sizeof(err));
    if (!pol) {
        cse_log(CSE_LOG_ERROR, "cssf: %s", err);
        goto fail;
    }
    cssf_token_holder_commit(&st->tokens);
    cssf_policy_holder_publish(&st->policy, pol);
    cssf_audit_options_t ao = {st->opts.audit_file, st->opts.audit_max_bytes, pol->audit_keep, 0,
                               0};
    if (!(st->audit = cssf_audit_open(&ao, err, sizeof(err)))) {
        cse_log(CSE_LOG_ERROR, "cssf: %s", err);
        goto fail;
    }
    if (!(st->authz = cssf_authz_create())) {
        cse_log(CSE_LOG_ERROR, "cssf: cannot create the authorization cache");
        goto fail;
    }
    if (open_registry(st, err, sizeof(err)) < 0) {
        cse_log(CSE_LOG_ERROR, "cssf: device registry: %s", err);
        goto fail;
    }
    resolve_radius_secrets(st, NULL, 1);
    for (size_t i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]); i++) {
        if (cse_callback_register(plugin, callbacks[i].event, callbacks[i].fn, st) != 0) {
            cse_log(CSE_LOG_ERROR, "cssf: cannot register callback for event %d",
                    callbacks[i].event);
            goto fail;
        }
    }
    /* AEs of a store that keeps them outlive a restart, and their
     * accounting sessions with them. */
    const char *db = cse_host_store_path();
    cssf_aaa_ae_arm(st->aaa, db && *db && strcmp(db, ":memory:") != 0, ae_exists, st);
    cse_log(CSE_LOG_INFO,
            "cssf: policy %s (%zu ACPs), authentication http=%s https=%s coap=%s coaps=%s, "
            "audit %s",
            st->opts.policy_dir, pol->nacps,
            pol->authn_mode[CSE_BINDING_HTTP] ? "optional" : "required",
            pol->authn_mode[CSE_BINDING_HTTPS] ? "optional" : "required",
            pol->authn_mode[CSE_BINDING_COAP] ? "optional" : "required",
            pol->authn_mode[CSE_BINDING_COAPS] ? "optional" : "required", st->opts.audit_file);
    *userdata = st;
    return 0;
fail:
    state_free(st);
    return 1;
}

CSE_PLUGIN_EXPORT int cse_plugin_cleanup(void *userdata, const cse_plugin_opt_t *opts, int nopts) {
    (void)opts;
    (void)nopts;
    state_free(userdata);
    return 0;
}
