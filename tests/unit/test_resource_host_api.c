/* The resource part of the host API: cse_resource_get (revisions, JSON
 * copies) and cse_resource_apply (create-or-update as the hosting CSE). */
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
