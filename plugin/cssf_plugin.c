/*
 * CSSF plugin entry points: ABI negotiation, the one state struct, option
 * handling, callback registration and the glue from host events to the
 * decisions (authn/, authz/), the policy (data/policy*) and the audit log
 * (data/audit*). The state is owned by the host through *userdata between
 * init and cleanup; callbacks only read it, except the policy snapshot,
 * which RELOAD swaps atomically.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"
#include "cse/plugin.h"
#include "plugin/aaa/aaa.h"
#include "plugin/authn/authn.h"
#include "plugin/authn/registration.h"
#include "plugin/authz/authorize.h"
#include "plugin/cssf_options.h"
#include "plugin/data/audit.h"
#include "plugin/data/audit_line.h"
#include "plugin/data/policy.h"
#include "plugin/data/policy_apply.h"
#include "plugin/data/policy_snapshot.h"

/* Weak, so the plugin's objects also link into programs without the CSE
 * core (unit tests, fuzzers). A host that loads the plugin exports them
 * all; init refuses to start if one is missing. */
#pragma weak cse_resource_get
#pragma weak cse_resource_apply
#pragma weak cse_host_cse_id
#pragma weak cse_host_resource_name
#pragma weak cse_callback_register
#pragma weak cse_strdup
#pragma weak cse_free

static int host_complete(void) {
    return cse_resource_get && cse_resource_apply && cse_host_cse_id && cse_host_resource_name &&
           cse_callback_register && cse_strdup && cse_free;
}

typedef struct cssf_state {
    cssf_options_t opts;
    cssf_policy_holder_t policy;
    cssf_audit_t *audit;
    cssf_authz_t *authz;
    cssf_aaa_t *aaa; /* NULL without radius_* servers */
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

/* Fills the parts of an audit record that come from the connection. */
static void record_from_sec(cssf_audit_record_t *r, const cse_security_context_t *sec) {
    if (!sec)
        return;
    r->binding = sec->binding;
    r->peer = &sec->peer;
    r->identity = sec->assoc_method != CSE_ASSOC_NONE ? sec->assoc_identity : NULL;
    r->method = cssf_audit_method_name(sec->assoc_method);
}

static void audit(cssf_state_t *st, const cssf_audit_record_t *r) {
    cssf_audit_submit(st->audit, cssf_audit_line_format(r));
}

/* --- AUTHENTICATE ---------------------------------------------------------- */

/* 1 if an <AE> with this ri is registered. The host's lookup also
 * resolves structured paths, so the answer is checked to be an AE whose
 * ri is exactly ri (an AE's ri is its AE-ID, never a path). */
static int ae_registered(void *ctx, const char *ri) {
    (void)ctx;
    char *text = NULL;
    uint64_t revision = 0;
    if (strchr(ri, '/') || cse_resource_get(ri, UINT64_MAX, &revision, &text) != 0 || !text)
        return 0;
    json_t *res = json_loads(text, 0, NULL);
    cse_free(text);
    const char *got = json_string_value(json_object_get(res, "ri"));
    int is_ae = json_integer_value(json_object_get(res, "ty")) == 2 && got && strcmp(got, ri) == 0;
    json_decref(res);
    return is_ae;
}

static int deny_with(int *rsc_out, char **reason_out, int rsc, const char *reason) {
    *rsc_out = rsc;
    *reason_out = cse_strdup(reason);
    return CSE_PLUGIN_DENY;
}

static int on_authenticate(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_authenticate_t *ev = data;
    if (!ev || ev->version < 1 || !ev->sec)
        return CSE_PLUGIN_DEFER;
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    cssf_authn_request_t req = {
        cse_host_cse_id(), ev->sec->binding, ev->sec->assoc_method, ev->sec->assoc_identity,
        ev->from,          ev->operation,    ev->resource_type,     ev->to};
    cssf_authn_decision_t d;
    cssf_authn_decide(pol, &req, ae_registered, NULL, &d);
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
        record_from_sec(&r, ev->sec);
        audit(st, &r);
        result = deny_with(&ev->rsc, &ev->reason, d.rsc, d.reason);
    } else {
        memcpy(ev->identity, d.originator, strlen(d.originator) + 1);
        ev->authenticated = d.authenticated;
        ev->is_admin = d.is_admin;
        result = CSE_PLUGIN_OK;
    }
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
    int result = cssf_authz_decide(st->authz, ev, NULL, decision, sizeof(decision), &rsc);
    if (result == CSE_PLUGIN_OK) {
        /* The matching rule travels back to the host for the request's
         * audit line (ACCOUNTING decision_reason). */
        ev->reason = cse_strdup(decision);
        return CSE_PLUGIN_OK;
    }
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
    record_from_sec(&r, ev->sec);
    audit(st, &r);
    cssf_policy_release(pol);
    return deny_with(&ev->rsc, &ev->reason, rsc, decision[0] ? decision : "access denied");
}

/* --- REGISTER_AE ----------------------------------------------------------- */

static int on_register_ae(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_register_ae_t *ev = data;
    if (!ev || ev->version < 1)
        return CSE_PLUGIN_DEFER;
    cssf_policy_t *pol = cssf_policy_holder_acquire(&st->policy);
    const cse_security_context_t *sec = ev->sec;
    cssf_registration_request_t req = {cse_host_cse_id(),
                                       sec ? sec->assoc_method : CSE_ASSOC_NONE,
                                       sec ? sec->assoc_identity : NULL,
                                       ev->from,
                                       ev->aei,
                                       ev->api};
    cssf_registration_decision_t d;
    cssf_registration_check(pol, &req, &d);
    int result = CSE_PLUGIN_OK;
    if (d.deny) {
        cssf_audit_record_t r = {.event = "register",
                                 .from = ev->from ? ev->from : ev->aei,
                                 .target = ev->aei,
                                 .operation = CSE_OP_CREATE,
                                 .decision = "deny",
                                 .rsc = d.rsc,
                                 .reason = d.reason};
        record_from_sec(&r, sec);
        audit(st, &r);
        result = deny_with(&ev->rsc, &ev->reason, d.rsc, d.reason);
    }
    cssf_policy_release(pol);
    return result;
}

/* --- ACCOUNTING ------------------------------------------------------------ */

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
    record_from_sec(&r, ev->sec);
    if (ev->authn_method && *ev->authn_method)
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
    cssf_aaa_on_accounting(st->aaa, ev);
    return CSE_PLUGIN_OK;
}

/* --- PSK_LOOKUP (PSKs from AAA) -------------------------------------------- */

static int on_psk_lookup(int event, void *data, void *userdata) {
    cssf_state_t *st = userdata;
    cse_evt_psk_lookup_t *ev = data;
    char reason[256];
    int result = cssf_aaa_on_psk_lookup(st->aaa, ev, reason, sizeof(reason));
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

/* --- policy loading and RELOAD --------------------------------------------- */

/* Loads and applies the policy directory; logs every problem. Returns a
 * new snapshot, or NULL with a one-line summary in why. */
static cssf_policy_t *load_policy(const cssf_options_t *o, char *why, size_t why_cap) {
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
    if (cssf_policy_apply_acps(pol, cse_resource_apply, err, sizeof(err)) < 0) {
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
    cssf_policy_t *pol = load_policy(&st->opts, why, sizeof(why));
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
    size_t nacps = pol->nacps;
    cssf_policy_holder_publish(&st->policy, pol);
    cse_log(CSE_LOG_INFO, "cssf: policy reloaded from %s (%zu ACPs)", st->opts.policy_dir, nacps);
    r.decision = "permit";
    audit(st, &r);
    return CSE_PLUGIN_OK;
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
    if (pol)
        fprintf(stderr, "%s: OK (%zu ACPs)\n", o->check_policies, pol->nacps);
    else {
        cssf_policy_report_print(rep, stderr);
        fprintf(stderr, "%s: %zu problem(s)\n", o->check_policies, rep->total);
    }
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
    cssf_aaa_destroy(st->aaa); /* queues the Stop of open sessions */
    cssf_audit_close(st->audit);
    if (st->authz)
        cssf_authz_destroy(st->authz);
    cssf_policy_holder_destroy(&st->policy);
    free(st);
}

static const struct {
    int event;
    cse_plugin_callback_fn fn;
} callbacks[] = {
    {CSE_EVT_AUTHENTICATE, on_authenticate},
    {CSE_EVT_AUTHORIZE, on_authorize},
    {CSE_EVT_REGISTER_AE, on_register_ae},
    {CSE_EVT_ACCOUNTING, on_accounting},
    {CSE_EVT_RELOAD, on_reload},
    {CSE_EVT_PSK_LOOKUP, on_psk_lookup},
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
    cssf_policy_t *pol = load_policy(&st->opts, err, sizeof(err));
    if (!pol) {
        cse_log(CSE_LOG_ERROR, "cssf: %s", err);
        goto fail;
    }
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
    for (size_t i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]); i++) {
        if (cse_callback_register(plugin, callbacks[i].event, callbacks[i].fn, st) != 0) {
            cse_log(CSE_LOG_ERROR, "cssf: cannot register callback for event %d",
                    callbacks[i].event);
            goto fail;
        }
    }
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
