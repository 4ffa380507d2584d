/* The shipped policy (policies/) and every example under
 * policies/examples/ pass the validator. The source tree is found from
 * this file's path, which CMake passes as an absolute path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/data/policy.h"

static void source_dir(char *out, size_t cap) {
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", __FILE__);
    /* tests/unit/test_policy_examples.c -> repository root */
    char *d = dirname(dirname(dirname(buf)));
    snprintf(out, cap, "%s", d);
}

static size_t check_dir(const char *dir) {
    cssf_policy_report_t *rep = malloc(sizeof(*rep));
    cssf_policy_report_init(rep);
    cssf_policy_defaults_t defs = {CSSF_AUTHN_REQUIRED, 0, "cse-in"};
    cssf_policy_t *pol = cssf_policy_load(dir, &defs, rep);
    size_t problems = rep->total;
    if (problems)
        cssf_policy_report_print(rep, stderr);
    else
        print_message("%s: OK (%zu ACPs)\n", dir, pol->nacps);
    cssf_policy_release(pol);
    cssf_policy_report_clear(rep);
    free(rep);
    return problems;
}

static void test_shipped_policy(void **state) {
    (void)state;
    char root[4096], dir[4200];
    source_dir(root, sizeof(root));
    snprintf(dir, sizeof(dir), "%s/policies", root);
    assert_int_equal(check_dir(dir), 0);
}

static void test_examples(void **state) {
    (void)state;
    char root[4096], dir[4200];
    source_dir(root, sizeof(root));
    snprintf(dir, sizeof(dir), "%s/policies/examples", root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4500];
        snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
        assert_int_equal(check_dir(sub), 0);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_policy),
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
