/* acor matching: table tests for plugin/authz/originator_match.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "plugin/authz/originator_match.h"

static const cssf_ids_t ids = {"/id-in", "sp.example"};

static void test_normalize(void **state) {
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Cabc", "//sp.example/id-in/Cabc"},
        {"/id-in/Cabc", "//sp.example/id-in/Cabc"},
        {"//sp.example/id-in/Cabc", "//sp.example/id-in/Cabc"},
        {"//SP.Example/id-in/Cabc", "//sp.example/id-in/Cabc"}, /* domain folded */
        {"//sp.example/id-in/CABC", "//sp.example/id-in/CABC"}, /* IDs are not */
        {"Sxyz", "//sp.example/Sxyz"},
        {"/id-mn", "//sp.example/id-mn"},
        {"//other.example", "//other.example"},
        {"admin", "admin"}, /* not an ID form: unchanged */
        {"grp1", "grp1"},
        {"", ""},
        {NULL, ""},
    };
    char out[CSSF_ID_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(cssf_id_normalize(cases[i].in, &ids, out, sizeof(out)),
                         (int)strlen(cases[i].want));
        assert_string_equal(out, cases[i].want);
    }
    /* no identity configured */
    assert_int_equal(cssf_id_normalize("Cabc", NULL, out, sizeof(out)), 7);
    assert_string_equal(out, "///Cabc");
    cssf_ids_t empty = {NULL, NULL};
    assert_int_equal(cssf_id_normalize("Cabc", &empty, out, sizeof(out)), 7);
    /* every way of not fitting */
    assert_int_equal(cssf_id_normalize("Cabc", &ids, out, 0), -1);
    assert_int_equal(cssf_id_normalize("Cabc", &ids, out, 2), -1);  /* "//" */
    assert_int_equal(cssf_id_normalize("Cabc", &ids, out, 12), -1); /* sp */
    assert_int_equal(cssf_id_normalize("Cabc", &ids, out, 17), -1); /* cse-id */
    assert_int_equal(cssf_id_normalize("Cabc", &ids, out, 19), -1); /* "/" */
    assert_int_equal(cssf_id_normalize("Cabc", &ids, out, 22), -1); /* id */
    assert_int_equal(cssf_id_normalize("Cabc", &ids, out, 24), 23);
    assert_int_equal(cssf_id_normalize("//d/x", &ids, out, 2), -1);
    assert_int_equal(cssf_id_normalize("//d/x", &ids, out, 3), -1);
    assert_int_equal(cssf_id_normalize("//d/x", &ids, out, 4), -1);
    assert_int_equal(cssf_id_normalize("//d/x", &ids, out, 5), -1);
    assert_int_equal(cssf_id_normalize("admin", &ids, out, 5), -1);
}

static void test_classify(void **state) {
    (void)state;
    static const struct {
        const char *entry;
        int kind;
    } cases[] = {
        {"all", CSSF_ACOR_ALL},
        {"All", CSSF_ACOR_ID},
        {"operator@sp.example", CSSF_ACOR_ROLE},
        {"/id-in/x@y", CSSF_ACOR_ID}, /* '@' inside a path is not a role */
        {"a@b/c", CSSF_ACOR_ID},
        {"//sp.example", CSSF_ACOR_DOMAIN},
        {"//", CSSF_ACOR_ID},
        {"//sp.example/id-in", CSSF_ACOR_ID},
        {"sp.example", CSSF_ACOR_DOMAIN},
        {"*.sp.example", CSSF_ACOR_DOMAIN},
        {"Cabc.1", CSSF_ACOR_ID}, /* AE-ID with a dot */
        {"S.x", CSSF_ACOR_ID},
        {"Cabc", CSSF_ACOR_ID},
        {"/id-in", CSSF_ACOR_ID},
        {"grp1", CSSF_ACOR_ID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cssf_acor_classify(cases[i].entry) != cases[i].kind)
            fail_msg("%s: want kind %d", cases[i].entry, cases[i].kind);
}

static void test_acor_normalize(void **state) {
    (void)state;
    char out[64];
    assert_int_equal(cssf_acor_normalize("//SP.example", CSSF_ACOR_DOMAIN, &ids, out, 64), 10);
    assert_string_equal(out, "sp.example");
    assert_int_equal(cssf_acor_normalize("C9*", CSSF_ACOR_ID, &ids, out, 64), 22);
    assert_string_equal(out, "//sp.example/id-in/C9*");
    assert_int_equal(cssf_acor_normalize("r@X.example", CSSF_ACOR_ROLE, &ids, out, 64), 11);
    assert_string_equal(out, "r@X.example");
    assert_int_equal(cssf_acor_normalize("all", CSSF_ACOR_ALL, &ids, out, 64), 3);
    assert_int_equal(cssf_acor_normalize("all", CSSF_ACOR_ALL, &ids, out, 0), -1);
    assert_int_equal(cssf_acor_normalize("sp.example", CSSF_ACOR_DOMAIN, &ids, out, 5), -1);
    assert_int_equal(cssf_acor_normalize("all", CSSF_ACOR_ALL, &ids, out, 2), -1);
}

static void test_wildcard(void **state) {
    (void)state;
    static const struct {
        const char *pattern, *s;
        int want;
    } cases[] = {
        {"/myCSE/C98*", "/myCSE/C9812", 1}, /* the spec's example */
        {"/myCSE/C98*", "/myCSE/C98/x", 0},
        {"/myCSE/C98*", "/myCSE/C98", 1},
        {"/myCSE/C98*", "/myCSE/C9", 0},
        {"*", "abc", 1},
        {"*", "", 1},
        {"*", "a/b", 0},
        {"", "", 1},
        {"", "a", 0},
        {"a", "", 0},
        {"**", "ab", 1},
        {"a*c", "abbbc", 1},
        {"a*c", "abbbd", 0},
        {"a*b*c", "axxbyyc", 1},
        {"a*b*c", "axxbyy", 0},
        {"*c", "abcabc", 1}, /* backtracking */
        {"*/C*", "id-in/Cx", 1},
        {"*/C*", "id/in/Cx", 0},
        {"/*/C1", "/id-in/C1", 1},
        {"/*/C1", "/id-in/x/C1", 0},
        {"//*.sp.example/*/C*", "//a.sp.example/id-in/Cabc", 1},
        {"//*.sp.example/*/C*", "//sp.example/id-in/Cabc", 0},
        {"a/*", "a/", 1},
        {"a/*b", "a/xb/b", 0},
        {"x*", "y", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cssf_wildcard_match(cases[i].pattern, cases[i].s) != cases[i].want)
            fail_msg("\"%s\" vs \"%s\": want %d", cases[i].pattern, cases[i].s, cases[i].want);
}

static void test_role_equal(void **state) {
    (void)state;
    assert_true(cssf_role_equal("op@SP.example", "op@sp.example"));
    assert_false(cssf_role_equal("Op@sp.example", "op@sp.example")); /* name is exact */
    assert_false(cssf_role_equal("op@sp.example", "opx@sp.example"));
    assert_false(cssf_role_equal("op@a.example", "op@b.example"));
    assert_false(cssf_role_equal("op", "op"));
    assert_false(cssf_role_equal("op@x", "op"));
}

static int groups(void *arg, const char *group_id, const char *originator) {
    (void)arg;
    return strcmp(group_id, "grp1") == 0 && strcmp(originator, "Cmember") == 0;
}

/* Prepares entry and tells whether originator matches it. */
static int matches(const char *entry, const char *originator, const cssf_authz_env_t *env) {
    char norm[CSSF_ID_MAX], orig[CSSF_ID_MAX];
    cssf_acor_t e;
    int kind = cssf_acor_classify(entry);
    assert_true(cssf_acor_normalize(entry, kind, &ids, norm, sizeof(norm)) >= 0);
    cssf_acor_init(&e, kind, entry, norm);
    int len = cssf_id_normalize(originator, &ids, orig, sizeof(orig));
    assert_true(len >= 0);
    return cssf_acor_match(&e, originator, orig, (size_t)len, env);
}

static void test_match(void **state) {
    (void)state;
    static const char *const roles[] = {"operator@sp.example", NULL};
    cssf_authz_env_t env = {.roles = roles, .nroles = 2, .group_has_member = groups};
    static const struct {
        const char *entry, *originator;
        int want;
    } cases[] = {
        {"all", "Cabc", 1},
        {"all", "", 1},
        /* the forms of one AE-ID name the same AE */
        {"Cabc", "Cabc", 1},
        {"Cabc", "/id-in/Cabc", 1},
        {"/id-in/Cabc", "Cabc", 1},
        {"//sp.example/id-in/Cabc", "Cabc", 1},
        {"//SP.EXAMPLE/id-in/Cabc", "/id-in/Cabc", 1},
        {"Cabc", "Cabd", 0},
        {"Cabc", "cabc", 0},
        {"Cabc", "/id-mn/Cabc", 0}, /* same name under another CSE */
        {"Cabc", "//other.example/id-in/Cabc", 0},
        {"Sabc", "Sabc", 1},
        {"Sabc", "//sp.example/Sabc", 1},
        /* wildcards stop at '/' */
        {"C98*", "C9812", 1},
        {"C98*", "C9", 0}, /* shorter than the literal head */
        {"Cabc", "Cabcd", 0},
        {"C*x", "Cabx", 1},
        {"C*x", "Caby", 0},
        {"C98*", "/id-in/C98x", 1},
        {"/id-in/C*", "Cx", 1},
        {"/id-in/C*", "/id-mn/Cx", 0},
        {"/*/Cx", "/id-mn/Cx", 1},
        {"/id-*", "/id-mn", 1}, /* CSE-ID pattern */
        {"/id-*", "/id-mn/Cx", 0},
        {"/id-in", "/id-in", 1},
        {"/id-in", "Cabc", 0}, /* the CSE, not its AEs */
        /* domains */
        {"sp.example", "Cabc", 1},
        {"//sp.example", "/id-mn/Cx", 1},
        {"other.example", "Cabc", 0},
        {"other.example", "//other.example/id-x/Cq", 1},
        {"*.example", "//a.example/id-x/Cq", 1},
        {"*.example", "admin", 0}, /* a bare name has no domain */
        /* roles come from the environment */
        {"operator@sp.example", "Cabc", 1},
        {"operator@SP.example", "Cabc", 1},
        {"auditor@sp.example", "Cabc", 0},
        /* groups through the hook */
        {"grp1", "Cmember", 1},
        {"grp1", "Cother", 0},
        {"grp2", "Cmember", 0},
        {"admin", "admin", 1}, /* a bare entry matches itself */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (matches(cases[i].entry, cases[i].originator, &env) != cases[i].want)
            fail_msg("%s vs %s: want %d", cases[i].entry, cases[i].originator, cases[i].want);
    /* without an environment: no roles, no groups */
    assert_int_equal(matches("operator@sp.example", "Cabc", NULL), 0);
    assert_int_equal(matches("grp1", "Cmember", NULL), 0);
    cssf_authz_env_t no_groups = {0};
    assert_int_equal(matches("grp1", "Cmember", &no_groups), 0);
    /* a wildcard entry is never asked as a group */
    assert_int_equal(matches("grp*", "Cmember", &env), 0);
    /* a domain too long to be one */
    char longdom[300];
    memset(longdom, 'a', sizeof(longdom));
    memcpy(longdom, "//", 2);
    memcpy(longdom + 290, "/id-in/C1", 10);
    assert_int_equal(matches("*.a", longdom, &env), 0);
    cssf_acor_t unknown;
    cssf_acor_init(&unknown, 99, "x", "x");
    assert_int_equal(cssf_acor_match(&unknown, "x", "x", 1, &env), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),      cmocka_unit_test(test_classify),
        cmocka_unit_test(test_acor_normalize), cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_role_equal),     cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
