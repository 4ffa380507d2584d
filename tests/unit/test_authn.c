/* Authentication decisions (plugin/authn/authn.c), originator
 * classification and AE registration rules, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "cse/plugin.h"
#include "plugin/authn/authn.h"
#include "plugin/authn/originator.h"
#include "plugin/authn/registration.h"
#include "plugin/data/policy.h"

#define HTTP CSE_BINDING_HTTP
#define COAPS CSE_BINDING_COAPS
#define NONE CSE_ASSOC_NONE
#define DPSK CSE_ASSOC_DTLS_PSK
#define TCERT CSE_ASSOC_TLS_CERT
#define C CSE_OP_CREATE
#define R CSE_OP_RETRIEVE
#define U CSE_OP_UPDATE

static const char *const policy_text =
    "{\"admins\": [\"admin@ops.example\"],"
    " \"identities\": {\"sensor1@psk.example\": [\"Csensor1\"],"
    "                  \"gw@psk.example\": [\"Cgw*\"],"
    "                  \"admin@ops.example\": [\"Cops\"]},"
    " \"unauthenticated\": [{\"operations\": [\"retrieve\"], \"targets\": [\"cse-in\"],"
    "                        \"bindings\": [\"http\"]},"
    "                       {\"operations\": [\"create\"], \"resource_types\": [2]}]}";

/* Registered AEs for the lookup callback. */
static int registered(void *ctx, const char *ri) {
    (void)ctx;
    if (strcmp(ri, "Cdtls1") == 0 ||
        strcmp(ri, "Cgone") == 0) /* registered inside an association */
        return CSSF_AE_RESERVED;
    return strcmp(ri, "Csensor1") == 0 || strcmp(ri, "Cgw7") == 0 || strcmp(ri, "Sglobal") == 0;
}

static cssf_policy_t *make_policy(int mode, int trust) {
    cssf_policy_defaults_t defs = {mode, trust, "cse-in"};
    cssf_policy_t *pol = cssf_policy_new(&defs);
    assert_non_null(pol);
    cssf_policy_report_t rep;
    cssf_policy_report_init(&rep);
    assert_int_equal(
        cssf_policy_parse_main(pol, "cssf.json", policy_text, strlen(policy_text), &rep), 0);
    cssf_policy_report_clear(&rep);
    return pol;
}

typedef struct authn_case {
    const char *name;
    int mode;  /* INI default mode */
    int trust; /* trust_claimed_admin */
    int binding, assoc;
    const char *identity, *from;
    int op, ty;
    const char *to;
    /* expected */
    int deny, rsc, authenticated, is_admin, trusted;
    const char *reason; /* substring, or NULL */
} authn_case_t;

#define REQ CSSF_AUTHN_REQUIRED
#define OPT CSSF_AUTHN_OPTIONAL

static const authn_case_t cases[] = {
    /* inside an association */
    {"assoc: bound AE-ID", REQ, 0, COAPS, DPSK, "sensor1@psk.example", "Csensor1", R, 0, "cse-in/x",
     0, 0, 1, 0, 0, NULL},
    {"assoc: SP-relative spelling of a bound AE-ID", REQ, 0, COAPS, DPSK, "sensor1@psk.example",
     "/id-in/Csensor1", R, 0, "cse-in/x", 0, 0, 1, 0, 0, NULL},
    {"assoc: wildcard binding", REQ, 0, COAPS, DPSK, "gw@psk.example", "Cgw42", U, 0, "cse-in/x", 0,
     0, 1, 0, 0, NULL},
    {"assoc: wildcard stops at slash", REQ, 0, COAPS, DPSK, "gw@psk.example", "Cgw4/x", U, 0,
     "cse-in/x", 1, 4106, 0, 0, 0, "not bound"},
    {"assoc: From of another AE", REQ, 0, COAPS, DPSK, "sensor1@psk.example", "Csensor2", R, 0,
     "cse-in/x", 1, 4106, 0, 0, 0, "'Csensor2' is not bound to the authenticated identity"},
    {"assoc: unknown identity", REQ, 0, COAPS, TCERT, "stranger", "Csensor1", R, 0, "cse-in", 1,
     4106, 0, 0, 0, "not bound"},
    {"assoc: no identity", REQ, 0, COAPS, DPSK, NULL, "Csensor1", R, 0, "cse-in", 1, 4106, 0, 0, 0,
     "no identity"},
    {"assoc: missing From", REQ, 0, COAPS, DPSK, "sensor1@psk.example", NULL, R, 0, "cse-in", 1,
     4000, 0, 0, 0, "missing originator"},
    {"assoc: missing From on AE CREATE", REQ, 0, COAPS, DPSK, "sensor1@psk.example", NULL, C, 2,
     "cse-in", 0, 0, 1, 0, 0, NULL},
    {"assoc: admin identity as its AE", REQ, 0, COAPS, TCERT, "admin@ops.example", "Cops", R, 0,
     "cse-in", 0, 0, 1, 1, 0, NULL},
    {"assoc: admin identity as admin originator", REQ, 0, COAPS, TCERT, "admin@ops.example",
     "CAdmin", R, 0, "cse-in", 0, 0, 1, 1, 0, NULL},
    {"assoc: non-admin claims admin originator", REQ, 0, COAPS, DPSK, "sensor1@psk.example",
     "CAdmin", R, 0, "cse-in", 1, 4106, 0, 0, 0, NULL},
    /* required, no association */
    {"required: claimed From denied", REQ, 0, HTTP, NONE, NULL, "Csensor1", R, 0, "cse-in/data", 1,
     4107, 0, 0, 0, "security association required"},
    {"required: bare CAdmin gets nothing", REQ, 0, HTTP, NONE, NULL, "CAdmin", R, 0, "cse-in/x", 1,
     4107, 0, 0, 0, NULL},
    {"required: allowed unauthenticated retrieve", REQ, 0, HTTP, NONE, NULL, "Csensor1", R, 0,
     "/cse-in", 0, 0, 0, 0, 0, NULL},
    {"required: allowance is per binding", REQ, 0, CSE_BINDING_COAP, NONE, NULL, "Csensor1", R, 0,
     "/cse-in", 1, 4107, 0, 0, 0, NULL},
    {"required: allowance is per operation", REQ, 0, HTTP, NONE, NULL, "Csensor1", U, 0, "/cse-in",
     1, 4107, 0, 0, 0, NULL},
    {"required: allowed AE registration", REQ, 0, HTTP, NONE, NULL, "Cnew", C, 2, "/cse-in", 0, 0,
     0, 0, 0, NULL},
    {"required: allowance keeps the CSE-ID rule", REQ, 0, HTTP, NONE, NULL, "/id-in", C, 2,
     "/cse-in", 1, 4107, 0, 0, 0, "CSE originator"},
    {"required: container create not allowed", REQ, 0, HTTP, NONE, NULL, "Csensor1", C, 3,
     "/cse-in", 1, 4107, 0, 0, 0, NULL},
    /* optional, no association */
    {"optional: registered AE", OPT, 0, HTTP, NONE, NULL, "Csensor1", R, 0, "cse-in/x", 0, 0, 0, 0,
     0, NULL},
    {"optional: registered S-AE (SP-relative)", OPT, 0, HTTP, NONE, NULL, "/Sglobal", R, 0,
     "cse-in/x", 0, 0, 0, 0, 0, NULL},
    {"optional: unregistered AE", OPT, 0, HTTP, NONE, NULL, "Cghost", R, 0, "cse-in/x", 1, 4106, 0,
     0, 0, "not a registered AE"},
    {"optional: unregistered AE may register", OPT, 0, HTTP, NONE, NULL, "Cghost", C, 2, "cse-in",
     0, 0, 0, 0, 0, NULL},
    {"optional: unregistered AE may not create a container", OPT, 0, HTTP, NONE, NULL, "Cghost", C,
     3, "cse-in", 1, 4106, 0, 0, 0, NULL},
    {"optional: AE registered inside an association is not claimable", OPT, 0, HTTP, NONE, NULL,
     "Cdtls1", R, 0, "cse-in/x", 1, 4106, 0, 0, 0, "must use one"},
    {"optional: nor in its SP-relative form", OPT, 0, HTTP, NONE, NULL, "/id-in/Cdtls1", U, 0,
     "cse-in/x", 1, 4106, 0, 0, 0, "must use one"},
    {"optional: a reserved AE-ID cannot be re-registered by a claim", OPT, 0, HTTP, NONE, NULL,
     "Cgone", C, 2, "cse-in", 1, 4106, 0, 0, 0, "must use one"},
    {"optional: CSE-ID", OPT, 0, HTTP, NONE, NULL, "/id-in", R, 0, "cse-in", 1, 4107, 0, 0, 0,
     NULL},
    {"optional: other CSE-ID", OPT, 0, HTTP, NONE, NULL, "/id-mn", R, 0, "cse-in", 1, 4107, 0, 0, 0,
     NULL},
    {"optional: absolute CSE-ID", OPT, 0, HTTP, NONE, NULL, "//sp.example/id-mn", R, 0, "cse-in", 1,
     4107, 0, 0, 0, NULL},
    {"optional: missing From", OPT, 0, HTTP, NONE, NULL, NULL, R, 0, "cse-in", 1, 4000, 0, 0, 0,
     "missing originator"},
    {"optional: empty From", OPT, 0, HTTP, NONE, NULL, "", U, 0, "cse-in", 1, 4000, 0, 0, 0, NULL},
    {"optional: missing From on AE CREATE", OPT, 0, HTTP, NONE, NULL, NULL, C, 2, "cse-in", 0, 0, 0,
     0, 0, NULL},
    {"optional: malformed From", OPT, 0, HTTP, NONE, NULL, "C a", R, 0, "cse-in", 1, 4000, 0, 0, 0,
     "malformed"},
    {"optional: bare CAdmin gets nothing", OPT, 0, HTTP, NONE, NULL, "CAdmin", R, 0, "cse-in", 1,
     4106, 0, 0, 0, NULL},
    {"optional+trust: claimed admin", OPT, 1, HTTP, NONE, NULL, "CAdmin", R, 0, "cse-in", 0, 0, 0,
     1, 1, NULL},
    {"optional+trust: other originators unchanged", OPT, 1, HTTP, NONE, NULL, "Cghost", R, 0,
     "cse-in", 1, 4106, 0, 0, 0, NULL},
    {"optional+trust: association ignores the claim", OPT, 1, COAPS, DPSK, "sensor1@psk.example",
     "CAdmin", R, 0, "cse-in", 1, 4106, 0, 0, 0, NULL},
};

static void test_authn_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const authn_case_t *c = &cases[i];
        cssf_policy_t *pol = make_policy(c->mode, c->trust);
        cssf_authn_request_t req = {"/id-in", c->binding, c->assoc, c->identity, c->from,
                                    c->op,    c->ty,      c->to,    NULL};
        cssf_authn_decision_t d;
        cssf_authn_decide(pol, &req, registered, NULL, &d);
        print_message("case: %s -> deny=%d rsc=%d reason=%s\n", c->name, d.deny, d.rsc, d.reason);
        assert_int_equal(d.deny, c->deny);
        assert_int_equal(d.rsc, c->rsc);
        assert_int_equal(d.authenticated, c->authenticated);
        assert_int_equal(d.is_admin, c->is_admin);
        assert_int_equal(d.trusted_claim, c->trusted);
        if (c->reason)
            assert_non_null(strstr(d.reason, c->reason));
        if (!c->deny)
            assert_string_equal(d.originator, c->from ? c->from : "");
        cssf_policy_release(pol);
    }
}

/* The policy can make one binding optional while the default stays required. */
static void test_authn_mode_per_binding(void **state) {
    (void)state;
    cssf_policy_defaults_t defs = {REQ, 0, "cse-in"};
    cssf_policy_t *pol = cssf_policy_new(&defs);
    const char *text = "{\"authentication\": {\"http\": \"optional\"}}";
    cssf_policy_report_t rep;
    cssf_policy_report_init(&rep);
    assert_int_equal(cssf_policy_parse_main(pol, "cssf.json", text, strlen(text), &rep), 0);
    cssf_authn_request_t req = {"/id-in", HTTP, NONE, NULL, "Csensor1", R, 0, "cse-in", NULL};
    cssf_authn_decision_t d;
    cssf_authn_decide(pol, &req, registered, NULL, &d);
    assert_int_equal(d.deny, 0);
    req.binding = CSE_BINDING_COAP;
    cssf_authn_decide(pol, &req, registered, NULL, &d);
    assert_int_equal(d.rsc, 4107);
    req.binding = 99; /* unknown binding: the strict mode */
    cssf_authn_decide(pol, &req, registered, NULL, &d);
    assert_int_equal(d.rsc, 4107);
    cssf_policy_report_clear(&rep);
    cssf_policy_release(pol);
}

static void test_originator_classify(void **state) {
    (void)state;
    static const struct {
        const char *from;
        int kind;
        const char *ri;
    } t[] = {
        {"Cabc", CSSF_ORIG_AE, "Cabc"},
        {"Sabc", CSSF_ORIG_AE, "Sabc"},
        {"/Sabc", CSSF_ORIG_AE, "Sabc"},
        {"/id-in/Cabc", CSSF_ORIG_AE, "Cabc"},
        {"//sp.example/id-in/Cabc", CSSF_ORIG_AE, "Cabc"},
        {"/id-mn/Cabc", CSSF_ORIG_AE, "id-mn/Cabc"},
        {"/id-in", CSSF_ORIG_CSE, ""},
        {"/id-mn", CSSF_ORIG_CSE, ""},
        {"//sp.example/id-in", CSSF_ORIG_CSE, ""},
        {"", CSSF_ORIG_INVALID, ""},
        {"/", CSSF_ORIG_INVALID, ""},
        {"//sp.example", CSSF_ORIG_INVALID, ""},
        {"//sp.example/", CSSF_ORIG_INVALID, ""},
        {"/id-in/", CSSF_ORIG_INVALID, ""},
        {"/id-in/C/x", CSSF_ORIG_INVALID, ""},
        {"Cab/c", CSSF_ORIG_INVALID, ""},
        {"C\x01", CSSF_ORIG_INVALID, ""},
        {"C?x", CSSF_ORIG_INVALID, ""},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char ri[64];
        print_message("from %s\n", t[i].from);
        assert_int_equal(cssf_originator_classify(t[i].from, "/id-in", ri, sizeof(ri)), t[i].kind);
        assert_string_equal(ri, t[i].ri);
    }
    char small[4];
    assert_int_equal(cssf_originator_classify("Cabcdef", "/id-in", small, sizeof(small)),
                     CSSF_ORIG_INVALID);
    char longid[300];
    memset(longid, 'C', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    char ri[512];
    assert_int_equal(cssf_originator_classify(longid, "/id-in", ri, sizeof(ri)), CSSF_ORIG_INVALID);
    assert_int_equal(cssf_originator_classify(NULL, "/id-in", ri, sizeof(ri)), CSSF_ORIG_INVALID);
}

typedef struct reg_case {
    const char *name;
    int assoc;
    const char *identity, *from, *aei, *api;
    int deny, rsc;
    const char *reason;
} reg_case_t;

static void test_registration_table(void **state) {
    (void)state;
    const char *text = "{\"admins\": [\"admin@ops\"],"
                       " \"identities\": {\"gw@psk\": [\"Cgw*\"]},"
                       " \"registration\": {\"allowed_originators\": [\"C*\", \"Sfixed\"],"
                       "                    \"allowed_app_ids\": [\"Nsensor*\", \"Rgw\"]}}";
    cssf_policy_t *pol = cssf_policy_new(NULL);
    cssf_policy_report_t rep;
    cssf_policy_report_init(&rep);
    assert_int_equal(cssf_policy_parse_main(pol, "cssf.json", text, strlen(text), &rep), 0);
    static const reg_case_t t[] = {
        {"allowed originator and app", NONE, NULL, "Cabc", "Cabc", "Nsensor1", 0, 0, NULL},
        {"absent From: assigned AE-ID checked", NONE, NULL, NULL, "C123", "Rgw", 0, 0, NULL},
        {"S originator not listed", NONE, NULL, "Sother", "Sother", "Rgw", 1, 4126,
         "originator 'Sother' may not register (registration.allowed_originators)"},
        {"listed S originator", NONE, NULL, "Sfixed", "Sfixed", "Rgw", 0, 0, NULL},
        {"app ID not listed", NONE, NULL, "Cabc", "Cabc", "Nother", 1, 4126,
         "app ID 'Nother' may not register (registration.allowed_app_ids)"},
        {"missing app ID", NONE, NULL, "Cabc", "Cabc", NULL, 1, 4126, "app ID ''"},
        {"association: bound AE-ID", DPSK, "gw@psk", "Cgw1", "Cgw1", "Rgw", 0, 0, NULL},
        {"association: foreign AE-ID", DPSK, "gw@psk", "Cabc", "Cabc", "Rgw", 1, 4106,
         "AE-ID 'Cabc' is not bound to the authenticated identity 'gw@psk'"},
        {"association: admin may register any AE-ID", TCERT, "admin@ops", "Cxyz", "Cxyz", "Rgw", 0,
         0, NULL},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        cssf_registration_request_t req = {"/id-in", t[i].assoc, t[i].identity, t[i].from,
                                           t[i].aei, t[i].api,   NULL};
        cssf_registration_decision_t d;
        cssf_registration_check(pol, &req, &d);
        print_message("case: %s -> %d %s\n", t[i].name, d.rsc, d.reason);
        assert_int_equal(d.deny, t[i].deny);
        assert_int_equal(d.rsc, t[i].rsc);
        if (t[i].reason)
            assert_non_null(strstr(d.reason, t[i].reason));
    }
    /* No registration section: anything goes. */
    cssf_policy_t *open_pol = cssf_policy_new(NULL);
    cssf_registration_request_t req = {"/id-in", NONE, NULL, "Sother", "Sother", "Xbad", NULL};
    cssf_registration_decision_t d;
    cssf_registration_check(open_pol, &req, &d);
    assert_int_equal(d.deny, 0);
    cssf_policy_release(open_pol);
    cssf_policy_report_clear(&rep);
    cssf_policy_release(pol);
}

static void test_match_any(void **state) {
    (void)state;
    char *p[] = {"C98*", "Nexact"};
    assert_int_equal(cssf_authn_match_any(p, 2, "C9812"), 1);
    assert_int_equal(cssf_authn_match_any(p, 2, "C98"), 1);
    assert_int_equal(cssf_authn_match_any(p, 2, "C98/x"), 0);
    assert_int_equal(cssf_authn_match_any(p, 2, "Nexact"), 1);
    assert_int_equal(cssf_authn_match_any(p, 2, "Nexactly"), 0);
    assert_int_equal(cssf_authn_match_any(p, 2, NULL), 0);
    assert_int_equal(cssf_authn_match_any(p, 0, "C98"), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authn_table),         cmocka_unit_test(test_authn_mode_per_binding),
        cmocka_unit_test(test_originator_classify), cmocka_unit_test(test_registration_table),
        cmocka_unit_test(test_match_any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
