/* HTTP Basic credentials checked by RADIUS: which requests qualify
 * (plugin/authn/basic_radius.c), the policy's radius section
 * (plugin/data/policy_radius.c), and failing closed without RADIUS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cse/plugin.h"
#include "plugin/authn/basic_radius.h"
#include "plugin/data/policy.h"
#include "plugin/data/policy_radius.h"

/* Parses text as cssf.json; returns the policy, or NULL with the first
 * problem in why. */
static cssf_policy_t *parse(const char *text, char *why, size_t cap) {
    cssf_policy_t *pol = cssf_policy_new(NULL);
    cssf_policy_report_t *rep = malloc(sizeof(*rep));
    assert_non_null(pol);
    assert_non_null(rep);
    cssf_policy_report_init(rep);
    why[0] = '\0';
    if (cssf_policy_parse_main(pol, "cssf.json", text, strlen(text), rep) != 0) {
        cssf_policy_report_format(rep, 0, why, cap);
        cssf_policy_release(pol);
        pol = NULL;
    }
    cssf_policy_report_clear(rep);
    free(rep);
    return pol;
}

static cse_security_context_t sec_of(int binding, int assoc, const char *user, const char *pw) {
    cse_security_context_t sec;
    memset(&sec, 0, sizeof(sec));
    sec.version = 1;
    sec.binding = binding;
    sec.assoc_method = assoc;
    sec.assoc_identity = assoc ? "psk-id" : NULL;
    sec.basic_user = user;
    sec.basic_password = pw;
    return sec;
}

static void test_which_requests(void **state) {
    char why[512];
    cssf_policy_t *pol = parse("{\"radius\":{\"description\":\"d\",\"users\":[\"alice\","
                               "\"dev-*\"]}}",
                               why, sizeof(why));
    assert_non_null(pol);
    assert_int_equal(pol->radius_users.n, 2);
    struct {
        int binding, assoc;
        const char *user, *pw;
        int qualifies;
    } cases[] = {
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "alice", "pw", 1},
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "dev-17", "pw", 1},
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "dev-1/x", "pw", 0}, /* '*' stops at '/' */
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "alicex", "pw", 0},
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "carol", "pw", 0},
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "", "pw", 0},
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "alice", NULL, 0},
        {CSE_BINDING_HTTPS, CSE_ASSOC_NONE, NULL, NULL, 0},
        {CSE_BINDING_HTTP, CSE_ASSOC_NONE, "alice", "pw", 0}, /* never in clear text */
        {CSE_BINDING_COAP, CSE_ASSOC_NONE, "alice", "pw", 0},
        {CSE_BINDING_HTTPS, CSE_ASSOC_TLS_CERT, "alice", "pw", 0}, /* association wins */
        {CSE_BINDING_HTTPS, CSE_ASSOC_TLS_PSK, "alice", "pw", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cse_security_context_t sec =
            sec_of(cases[i].binding, cases[i].assoc, cases[i].user, cases[i].pw);
        const char *u = cssf_basic_user(pol, &sec);
        if (cases[i].qualifies != (u != NULL))
            fail_msg("case %zu (%s)", i, cases[i].user ? cases[i].user : "(null)");
        if (u)
            assert_ptr_equal(u, cases[i].user);
    }
    assert_null(cssf_basic_user(pol, NULL));
    cssf_policy_release(pol);
}

static void test_fails_closed_without_radius(void **state) {
    char why[512], reason[256];
    cssf_policy_t *pol = parse("{\"radius\":{\"users\":[\"alice\"]}}", why, sizeof(why));
    assert_non_null(pol);
    cse_security_context_t sec = sec_of(CSE_BINDING_HTTPS, CSE_ASSOC_NONE, "alice", "pw");
    assert_int_equal(cssf_basic_check(NULL, pol, &sec, reason, sizeof(reason)), CSSF_BASIC_DENY);
    assert_string_equal(reason, "credentials of 'alice' need RADIUS, which is not configured "
                                "(radius_basic)");
    sec.basic_user = "bob";
    assert_int_equal(cssf_basic_check(NULL, pol, &sec, reason, sizeof(reason)), CSSF_BASIC_NONE);
    assert_string_equal(reason, "");
    cssf_policy_release(pol);
    /* No radius section: nobody's credentials are checked. */
    pol = parse("{}", why, sizeof(why));
    sec.basic_user = "alice";
    assert_int_equal(cssf_basic_check(NULL, pol, &sec, reason, sizeof(reason)), CSSF_BASIC_NONE);
    cssf_policy_release(pol);
}

static void test_policy_errors(void **state) {
    char why[512];
    struct {
        const char *text, *want;
    } cases[] = {
        {"{\"radius\":{\"user\":[\"a\"]}}", "cssf.json: $.radius.user: unknown key"},
        {"{\"radius\":{\"users\":\"alice\"}}", "cssf.json: $.radius.users: expected"},
        {"{\"radius\":{\"users\":[1]}}", "cssf.json: $.radius.users[0]: expected"},
        {"{\"radius\":{\"description\":3}}", "cssf.json: $.radius.description: expected a string"},
        {"{\"radius\":[]}", "cssf.json: $.radius: expected an object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cssf_policy_t *pol = parse(cases[i].text, why, sizeof(why));
        assert_null(pol);
        if (strncmp(why, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("%s: got '%s'", cases[i].text, why);
    }
    cssf_policy_t *pol = parse("{\"radius\":{\"users\":[]}}", why, sizeof(why));
    assert_non_null(pol); /* an empty list names nobody */
    assert_int_equal(cssf_policy_radius_user(pol, "alice"), 0);
    cssf_policy_release(pol);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_which_requests),
        cmocka_unit_test(test_fails_closed_without_radius),
        cmocka_unit_test(test_policy_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
