/* The resource part of the host API: cse_resource_get (revisions, JSON
 * copies), cse_resource_apply (create-or-update as the hosting CSE) and
 * cse_resource_apply_all (the same, all or nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cse_test_util.h"
#include "cse/core/rsc.h"
#include "cse/host.h"
#include "cse/plugin.h"

static int setup(void **state) {
    (void)state;
    return test_core_start(NULL);
}

static int teardown(void **state) {
    (void)state;
    cse_core_shutdown();
    return 0;
}

#define POLICY                                                                                     \
    "{\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":2}]},\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"]" \
    ",\"acop\":63}]}}"

static void test_identity(void **state) {
    (void)state;
    assert_string_equal(cse_host_cse_id(), "/id-in");
    assert_string_equal(cse_host_resource_name(), "cse-in");
    assert_string_equal(cse_host_sp_id(), "//example.net");
}

static void test_get(void **state) {
    (void)state;
    uint64_t rev = 0, rev2 = 0;
    char *json = NULL;
    assert_int_equal(cse_resource_get("id-in", 0, &rev, &json), 0);
    assert_non_null(json);
    json_t *cb = json_loads(json, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(cb, "ri")), "id-in");
    assert_null(json_object_get(cb, "m2m:cb")); /* no wrapper */
    json_decref(cb);
    cse_free(json);
    assert_true(rev > 0);
    /* Same revision: 1, nothing copied. */
    json = (char *)0x1;
    assert_int_equal(cse_resource_get("id-in", rev, &rev2, &json), 1);
    /* Existence check without JSON, by path too. */
    assert_int_equal(cse_resource_get("cse-in", 0, &rev2, NULL), 0);
    assert_int_equal(rev2, rev);
    assert_int_equal(cse_resource_get("nothing", 0, &rev2, NULL), -1);
    assert_int_equal(cse_resource_get(NULL, 0, NULL, NULL), -1);
}

static void test_apply(void **state) {
    (void)state;
    char err[256];
    assert_int_equal(cse_resource_apply("cse-in", 1, "policyA", POLICY, err, sizeof(err)), 0);
    uint64_t rev1, rev2;
    char *json;
    assert_int_equal(cse_resource_get("cse-in/policyA", 0, &rev1, &json), 0);
    json_t *acp = json_loads(json, 0, NULL);
    cse_free(json);
    assert_int_equal(json_integer_value(json_object_get(acp, "ty")), 1);
    char ri[64];
    snprintf(ri, sizeof(ri), "%s", json_string_value(json_object_get(acp, "ri")));
    json_decref(acp);
    /* Again with the same name: an update of the same resource. */
    assert_int_equal(cse_resource_apply("/cse-in", 1, "policyA",
                                        "{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[{\"acor\":[\"x\"],"
                                        "\"acop\":1}]}}",
                                        err, sizeof(err)),
                     0);
    assert_int_equal(cse_resource_get(ri, rev1, &rev2, &json), 0);
    assert_true(rev2 > rev1);
    assert_non_null(strstr(json, "\"acor\":[\"x\"]"));
    cse_free(json);
    /* Usable as acpi by requests. */
    char body[128];
    snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"acpi\":[\"%s\"]}}", ri);
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, body, NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    /* Errors. */
    assert_int_equal(cse_resource_apply("cse-in/none", 1, "p", POLICY, err, sizeof(err)), 4004);
    assert_int_equal(cse_resource_apply("cse-in", 1, "p",
                                        "{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[]}}", err,
                                        sizeof(err)),
                     4000);
    assert_non_null(strstr(err, "pvs"));
    assert_int_equal(cse_resource_apply("cse-in", 1, "p", "not json", err, sizeof(err)), 4000);
    assert_int_equal(cse_resource_apply("cse-in", 3, "policyA", "{}", err, sizeof(err)), 4105);
    assert_int_equal(cse_resource_apply("cse-in", 1, "bad/name", POLICY, err, sizeof(err)), 4000);
    assert_int_equal(cse_resource_apply(NULL, 1, "p", POLICY, err, sizeof(err)), 4000);
    /* A container applied the same way. */
    assert_int_equal(cse_resource_apply("cse-in", 3, "box", "{\"mni\":3}", err, sizeof(err)), 0);
    assert_int_equal(cse_resource_apply("cse-in", 3, "box", "{\"mni\":4}", err, sizeof(err)), 0);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/box", "CAdmin", 0, NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(test_inner(&r, "m2m:cnt"), "mni")), 4);
    test_resp_free(&r);
}

static int mni_of(const char *path) {
    test_resp_t r = test_req(CSE_OP_RETRIEVE, path, "CAdmin", 0, NULL, NULL);
    int mni = r.rsc == 2000
                  ? (int)json_integer_value(json_object_get(test_inner(&r, "m2m:cnt"), "mni"))
                  : -r.rsc;
    test_resp_free(&r);
    return mni;
}

/* All or nothing: a later change may build on an earlier one; a failing
 * change undoes every change before it. */
static void test_apply_all(void **state) {
    (void)state;
    char err[256];
    size_t failed = 99;
    const cse_resource_change_t ok[] = {{"cse-in", 3, "box2", "{\"mni\":2}"},
                                        {"cse-in/box2", 3, "inner", "{\"mni\":5}"},
                                        {"cse-in", 3, "box2", "{\"mni\":3}"}};
    assert_int_equal(cse_resource_apply_all(ok, 3, &failed, err, sizeof(err)), 0);
    assert_int_equal(failed, 0);
    assert_int_equal(mni_of("/cse-in/box2"), 3);
    assert_int_equal(mni_of("/cse-in/box2/inner"), 5);

    const cse_resource_change_t bad[] = {
        {"cse-in", 3, "box2", "{\"mni\":9}"},
        {"cse-in", 3, "box4", "{\"mni\":1}"},
        {"cse-in", 1, "p", "{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[]}}"}};
    assert_int_equal(cse_resource_apply_all(bad, 3, &failed, err, sizeof(err)), 4000);
    assert_int_equal(failed, 2);
    assert_non_null(strstr(err, "pvs"));
    assert_int_equal(mni_of("/cse-in/box2"), 3);     /* the update was undone */
    assert_int_equal(mni_of("/cse-in/box4"), -4004); /* the create too */
    assert_int_equal(cse_resource_get("cse-in/p", 0, NULL, NULL), -1);

    const cse_resource_change_t orphan[] = {{"cse-in", 3, "box5", "{}"},
                                            {"cse-in/none", 3, "x", "{}"}};
    assert_int_equal(cse_resource_apply_all(orphan, 2, &failed, err, sizeof(err)), 4004);
    assert_int_equal(failed, 1);
    assert_int_equal(mni_of("/cse-in/box5"), -4004);
    const cse_resource_change_t unparsable[] = {{"cse-in", 3, "box6", "{}"},
                                                {"cse-in", 3, "box7", "not json"}};
    assert_int_equal(cse_resource_apply_all(unparsable, 2, &failed, err, sizeof(err)), 4000);
    assert_int_equal(failed, 1);
    assert_int_equal(mni_of("/cse-in/box6"), -4004);
    assert_int_equal(cse_resource_apply_all(NULL, 0, &failed, err, sizeof(err)), 0);
    assert_int_equal(cse_resource_apply_all(NULL, 1, &failed, err, sizeof(err)), 4000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_all, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
