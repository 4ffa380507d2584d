/* Authentication decision (see authn.h). */
#include "plugin/authn/authn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cse/plugin.h"
#include "plugin/authn/originator.h"
#include "plugin/authz/originator_match.h"

static void deny(cssf_authn_decision_t *out, int rsc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void deny(cssf_authn_decision_t *out, int rsc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
    out->deny = 1;
    out->rsc = rsc;
    out->authenticated = 0;
    out->is_admin = 0;
    out->trusted_claim = 0;
}

int cssf_authn_match_any(char *const *patterns, size_t n, const char *text) {
    if (!text)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (cssf_wildcard_match(patterns[i], text))
            return 1;
    return 0;
}

static int is_ae_create(const cssf_authn_request_t *req) {
    return req->operation == CSE_OP_CREATE && req->resource_type == 2;
}

int cssf_authn_identity_may_use(const cssf_policy_t *pol, const char *identity, const char *from,
                                const char *host_cse_id) {
    if (!identity || !from || !*from)
        return 0;
    if (cssf_policy_is_admin(pol, identity) && strcmp(from, pol->admin_originator) == 0)
        return 1;
    const cssf_identity_binding_t *b = cssf_policy_identity(pol, identity);
    if (!b)
        return 0;
    if (cssf_authn_match_any(b->aeids.v, b->aeids.n, from))
        return 1;
    /* Also accept the other spelling of the same AE: "/id-in/Cabc" for a
     * pattern "Cabc" and vice versa. */
    char ri[CSSF_ORIG_MAX];
    if (cssf_originator_classify(from, host_cse_id, ri, sizeof(ri)) == CSSF_ORIG_AE &&
        strcmp(ri, from) != 0)
        return cssf_authn_match_any(b->aeids.v, b->aeids.n, ri);
    return 0;
}

int cssf_authn_bound(const cssf_policy_t *pol, const cssf_identity_source_t *source,
                     int assoc_method, const char *identity, const char *from,
                     const char *host_cse_id) {
    if (cssf_authn_identity_may_use(pol, identity, from, host_cse_id))
        return 1;
    return source && source->may_use &&
           source->may_use(source->ctx, assoc_method, identity, from) == 1;
}

/* Strips leading slashes so "/cse-in/x" and "cse-in/x" compare alike. */
static const char *target_key(const char *to) {
    if (!to)
        return "";
    while (*to == '/')
        to++;
    return to;
}

/* Index of the first unauthenticated rule that admits req, else -1. */
static int unauth_rule(const cssf_policy_t *pol, const cssf_authn_request_t *req) {
    for (size_t i = 0; i < pol->nunauth; i++) {
        const cssf_unauth_rule_t *r = &pol->unauth[i];
        if (req->operation < 1 || req->operation > CSE_OP_DISCOVERY ||
            !(r->ops & (1u << req->operation)))
            continue;
        if (r->bindings &&
            (req->binding < 1 || req->binding > 31 || !(r->bindings & (1u << req->binding))))
            continue;
        if (r->targets.n && !cssf_authn_match_any(r->targets.v, r->targets.n, target_key(req->to)))
            continue;
        if (r->types) {
            int hit = 0;
            for (size_t t = 0; t < r->ntypes; t++)
                hit |= r->types[t] == req->resource_type;
            if (!hit)
                continue;
        }
        return (int)i;
    }
    return -1;
}

static void decide_association(const cssf_policy_t *pol, const cssf_authn_request_t *req,
                               cssf_authn_decision_t *out) {
    const char *id = req->assoc_identity;
    if (!id || !*id) {
        deny(out, 4106, "security association carries no identity");
        return;
    }
    if (!req->from || !*req->from) {
        if (is_ae_create(req)) {
            out->authenticated = 1;
            out->is_admin = cssf_policy_is_admin(pol, id);
            return;
        }
        deny(out, 4000, "missing originator (From)");
        return;
    }
    if (!cssf_authn_bound(pol, req->source, req->assoc_method, id, req->from, req->host_cse_id)) {
        deny(out, 4106, "originator '%.64s' is not bound to the authenticated identity '%.64s'",
             req->from, id);
        return;
    }
    out->authenticated = 1;
    out->is_admin = cssf_policy_is_admin(pol, id);
}

/* No association: the claimed From is taken as unauthenticated, with the
 * checks TS-0004 §7.3.2.1 asks for. */
static void decide_claimed(const cssf_policy_t *pol, const cssf_authn_request_t *req, int mode,
                           cssf_ae_registered_fn registered, void *ctx,
                           cssf_authn_decision_t *out) {
    if (!req->from || !*req->from) {
        if (!is_ae_create(req))
            deny(out, 4000, "missing originator (From)");
        return;
    }
    char ri[CSSF_ORIG_MAX];
    int kind = cssf_originator_classify(req->from, req->host_cse_id, ri, sizeof(ri));
    if (kind == CSSF_ORIG_INVALID) {
        deny(out, 4000, "malformed originator");
        return;
    }
    if (kind == CSSF_ORIG_CSE) {
        deny(out, 4107, "a CSE originator needs a security association");
        return;
    }
    if (mode == CSSF_AUTHN_OPTIONAL && pol->trust_claimed_admin &&
        strcmp(req->from, pol->admin_originator) == 0) {
        out->is_admin = 1;
        out->trusted_claim = 1;
        return;
    }
    int known = registered ? registered(ctx, ri) : CSSF_AE_UNKNOWN;
    if (known == CSSF_AE_RESERVED)
        deny(out, 4106, "AE '%.64s' registered inside a security association: it must use one",
             req->from);
    else if (!is_ae_create(req) && known != CSSF_AE_REGISTERED)
        deny(out, 4106, "originator '%.64s' is not a registered AE", req->from);
}

void cssf_authn_decide(const cssf_policy_t *pol, const cssf_authn_request_t *req,
                       cssf_ae_registered_fn registered, void *ctx, cssf_authn_decision_t *out) {
    memset(out, 0, sizeof(*out));
    out->unauth_rule = -1;
    out->originator = req->from ? req->from : "";
    if (req->assoc_method != CSE_ASSOC_NONE) {
        decide_association(pol, req, out);
        return;
    }
    int mode = cssf_policy_authn_mode(pol, req->binding);
    if (mode == CSSF_AUTHN_REQUIRED) {
        out->unauth_rule = unauth_rule(pol, req);
        if (out->unauth_rule < 0) {
            deny(out, 4107, "security association required");
            return;
        }
    }
    decide_claimed(pol, req, mode, registered, ctx, out);
}
