/* [plugin] options of the CSSF plugin (plugin/cssf_options.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "plugin/cssf_options.h"
#include "plugin/data/policy.h"

static int parse(const char *k1, const char *v1, const char *k2, const char *v2, cssf_options_t *o,
                 char *err) {
    cse_plugin_opt_t opts[2] = {{k1, v1}, {k2, v2}};
    return cssf_options_parse(o, opts, k2 ? 2 : (k1 ? 1 : 0), err, 256);
}

static void test_defaults(void **state) {
    (void)state;
    cssf_options_t o;
    char err[256];
    assert_int_equal(parse(NULL, NULL, NULL, NULL, &o, err), 0);
    assert_string_equal(o.policy_dir, "policies");
    assert_string_equal(o.audit_file, "audit.log");
    assert_int_equal(o.authn_mode, CSSF_AUTHN_REQUIRED);
    assert_int_equal(o.trust_claimed_admin, 0);
    assert_int_equal(o.audit_max_bytes, 10 * 1024 * 1024);
    assert_string_equal(o.check_policies, "");
}

static void test_values(void **state) {
    (void)state;
    cssf_options_t o;
    char err[256];
    assert_int_equal(parse("authentication", "optional", "trust_claimed_admin", "true", &o, err),
                     0);
    assert_int_equal(o.authn_mode, CSSF_AUTHN_OPTIONAL);
    assert_int_equal(o.trust_claimed_admin, 1);
    assert_int_equal(parse("audit_max_bytes", "64k", "policy_dir", "/etc/cssf", &o, err), 0);
    assert_int_equal(o.audit_max_bytes, 65536);
    assert_string_equal(o.policy_dir, "/etc/cssf");
    assert_int_equal(parse("audit_max_bytes", "2MiB", "check_policies", "p", &o, err), 0);
    assert_int_equal(o.audit_max_bytes, 2 * 1024 * 1024);
    assert_string_equal(o.check_policies, "p");
    assert_int_equal(parse("audit_max_bytes", "0", "audit_file", "/var/log/a.log", &o, err), 0);
    assert_int_equal(o.audit_max_bytes, 0);
    assert_string_equal(o.audit_file, "/var/log/a.log");
}

static void test_errors(void **state) {
    (void)state;
    cssf_options_t o;
    char err[256];
    assert_int_equal(parse("polcy_dir", "x", NULL, NULL, &o, err), -1);
    assert_string_equal(err, "unknown option 'polcy_dir' (known: policy_dir, authentication, "
                             "trust_claimed_admin, audit_file, audit_max_bytes, check_policies, "
                             "master_key_file)");
    assert_int_equal(parse("authentication", "sometimes", NULL, NULL, &o, err), -1);
    assert_string_equal(err, "option authentication: 'sometimes' is neither required nor optional");
    assert_int_equal(parse("trust_claimed_admin", "true", NULL, NULL, &o, err), -1);
    assert_string_equal(err, "option trust_claimed_admin=true needs authentication=optional");
    assert_int_equal(parse("trust_claimed_admin", "maybe", NULL, NULL, &o, err), -1);
    assert_int_equal(parse("audit_max_bytes", "12", NULL, NULL, &o, err), -1);
    assert_int_equal(parse("audit_max_bytes", "-5", NULL, NULL, &o, err), -1);
    assert_int_equal(parse("audit_max_bytes", "10X", NULL, NULL, &o, err), -1);
    assert_int_equal(parse("audit_max_bytes", "99999999999999999999", NULL, NULL, &o, err), -1);
    assert_int_equal(parse("policy_dir", "", NULL, NULL, &o, err), -1);
    assert_string_equal(err, "option policy_dir: must not be empty");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
