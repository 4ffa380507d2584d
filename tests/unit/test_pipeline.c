/* The request pipeline end to end in memory: CRUD of every resource type,
 * status codes, AE registration, result content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cse_test_util.h"
#include "cse/core/rsc.h"
#include "cse/plugin.h"
#include "cse/core/tree.h"
#include "cse/store/store.h"

#define AE_BODY "{\"m2m:ae\":{\"rn\":\"%s\",\"api\":\"Nweather\",\"rr\":true,\"srv\":[\"3\"]}}"

static int setup(void **state) {
    (void)state;
    return test_core_start(NULL);
}

static int teardown(void **state) {
    (void)state;
    cse_core_shutdown();
    return 0;
}

static test_resp_t create_ae(const char *from, const char *rn) {
    char body[256];
    snprintf(body, sizeof(body), AE_BODY, rn);
    return test_req(CSE_OP_CREATE, "/cse-in", from, 2, body, NULL);
}

static void test_cse_base(void **state) {
    (void)state;
    test_resp_t r = test_req(CSE_OP_RETRIEVE, "/cse-in", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2000);
    json_t *cb = test_inner(&r, "m2m:cb");
    assert_non_null(cb);
    assert_string_equal(json_string_value(json_object_get(cb, "ri")), "id-in");
    assert_string_equal(json_string_value(json_object_get(cb, "rn")), "cse-in");
    assert_string_equal(json_string_value(json_object_get(cb, "csi")), "/id-in");
    assert_int_equal(json_integer_value(json_object_get(cb, "ty")), 5);
    assert_int_equal(json_array_size(json_object_get(cb, "srv")), 4);
    assert_non_null(json_object_get(cb, "ct"));
    test_resp_free(&r);
    /* The same resource through every address form. */
    const char *forms[] = {"/id-in",
                           "/~/id-in",
                           "/~/id-in/cse-in",
                           "/_/example.net/id-in/cse-in",
                           "//example.net/id-in",
                           "cse-in"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        r = test_req(CSE_OP_RETRIEVE, forms[i], "CAdmin", 0, NULL, NULL);
        assert_int_equal(r.rsc, 2000);
        test_resp_free(&r);
    }
    r = test_req(CSE_OP_UPDATE, "/cse-in", "CAdmin", 0, "{\"m2m:cb\":{\"lbl\":[\"x\"]}}", NULL);
    assert_int_equal(r.rsc, 4005);
    test_resp_free(&r);
    r = test_req(CSE_OP_DELETE, "/cse-in", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4005);
    test_resp_free(&r);
}

static void test_ae_registration(void **state) {
    (void)state;
    test_resp_t r = create_ae("Cae1", "ae1");
    assert_int_equal(r.rsc, 2001);
    json_t *ae = test_inner(&r, "m2m:ae");
    assert_string_equal(json_string_value(json_object_get(ae, "aei")), "Cae1");
    assert_string_equal(json_string_value(json_object_get(ae, "ri")), "Cae1");
    assert_string_equal(json_string_value(json_object_get(ae, "pi")), "id-in");
    assert_string_equal(r.location, "/cse-in/ae1");
    test_resp_free(&r);
    /* Same AE-ID again: 4117; same name: 4105. */
    r = create_ae("Cae1", "other");
    assert_int_equal(r.rsc, 4117);
    test_resp_free(&r);
    r = create_ae("Cae2", "ae1");
    assert_int_equal(r.rsc, 4105);
    test_resp_free(&r);
    /* Assigned ids. */
    r = create_ae(NULL, "ae3");
    assert_int_equal(r.rsc, 2001);
    assert_int_equal(json_string_value(json_object_get(test_inner(&r, "m2m:ae"), "aei"))[0], 'C');
    test_resp_free(&r);
    r = create_ae("S", "ae4");
    assert_int_equal(r.rsc, 2001);
    assert_int_equal(json_string_value(json_object_get(test_inner(&r, "m2m:ae"), "aei"))[0], 'S');
    test_resp_free(&r);
    /* The CSE-ID as originator: 4107. AE under AE: 4108. */
    r = create_ae("/id-in", "ae5");
    assert_int_equal(r.rsc, 4107);
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in/ae1", "Cae6", 2,
                 "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"]}}", NULL);
    assert_int_equal(r.rsc, 4108);
    test_resp_free(&r);
    /* api must start with N or R. */
    r = test_req(CSE_OP_CREATE, "/cse-in", "Cae7", 2,
                 "{\"m2m:ae\":{\"api\":\"xyz\",\"rr\":true,\"srv\":[\"3\"]}}", NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    /* rr and srv mandatory. */
    r = test_req(CSE_OP_CREATE, "/cse-in", "Cae8", 2, "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":true}}",
                 NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    /* cr:null becomes the AE-ID. */
    r = test_req(CSE_OP_CREATE, "/cse-in", "Cae9", 2,
                 "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"cr\":null}}", NULL);
    assert_int_equal(r.rsc, 2001);
    assert_string_equal(json_string_value(json_object_get(test_inner(&r, "m2m:ae"), "cr")), "Cae9");
    test_resp_free(&r);
    /* Delete and re-register. */
    r = test_req(CSE_OP_DELETE, "/cse-in/ae1", "Cae1", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2002);
    test_resp_free(&r);
    r = create_ae("Cae1", "ae1");
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
}

static void test_container_and_instances(void **state) {
    (void)state;
    test_resp_t r = create_ae("Cdev", "dev");
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in/dev", "Cdev", 3,
                 "{\"m2m:cnt\":{\"rn\":\"temp\",\"mni\":3,\"cr\":null}}", NULL);
    assert_int_equal(r.rsc, 2001);
    json_t *cnt = test_inner(&r, "m2m:cnt");
    assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), 0);
    assert_int_equal(json_integer_value(json_object_get(cnt, "st")), 0);
    assert_string_equal(json_string_value(json_object_get(cnt, "cr")), "Cdev");
    test_resp_free(&r);
    for (int i = 0; i < 5; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"m2m:cin\":{\"con\":\"v%d\",\"cnf\":\"text/plain:0\"}}", i);
        r = test_req(CSE_OP_CREATE, "/cse-in/dev/temp", "Cdev", 4, body, NULL);
        assert_int_equal(r.rsc, 2001);
        assert_int_equal(json_integer_value(json_object_get(test_inner(&r, "m2m:cin"), "cs")), 2);
        assert_int_equal(json_integer_value(json_object_get(test_inner(&r, "m2m:cin"), "st")),
                         i + 1);
        test_resp_free(&r);
    }
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/dev/temp", "Cdev", 0, NULL, NULL);
    cnt = test_inner(&r, "m2m:cnt");
    assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), 3);
    assert_int_equal(json_integer_value(json_object_get(cnt, "cbs")), 6);
    assert_int_equal(json_integer_value(json_object_get(cnt, "st")), 5);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/dev/temp/la", "Cdev", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2000);
    assert_string_equal(json_string_value(json_object_get(test_inner(&r, "m2m:cin"), "con")), "v4");
    test_resp_free(&r);
    /* Instances are kept compact: only their serialized form stays in memory. */
    cse_tree_rdlock();
    cse_res_t *cin = cse_tree_by_path("cse-in/dev/temp", 15)->last;
    assert_null(cin->attrs);
    json_t *a = cse_res_attrs(cin);
    assert_string_equal(json_string_value(json_object_get(a, "con")), "v4");
    json_decref(a);
    cse_tree_unlock();
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/dev/temp/ol", "Cdev", 0, NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(test_inner(&r, "m2m:cin"), "con")), "v2");
    test_resp_free(&r);
    /* contentInstance cannot be updated. */
    r = test_req(CSE_OP_UPDATE, "/cse-in/dev/temp/la", "Cdev", 0, "{\"m2m:cin\":{\"lbl\":[\"a\"]}}",
                 NULL);
    assert_int_equal(r.rsc, 4005);
    test_resp_free(&r);
    /* Deleting la removes the newest one. */
    r = test_req(CSE_OP_DELETE, "/cse-in/dev/temp/la", "Cdev", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2002);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/dev/temp/la", "Cdev", 0, NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(test_inner(&r, "m2m:cin"), "con")), "v3");
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/dev/temp", "Cdev", 0, NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(test_inner(&r, "m2m:cnt"), "cni")), 2);
    test_resp_free(&r);
    /* cin directly under an AE: 4108. */
    r = test_req(CSE_OP_CREATE, "/cse-in/dev", "Cdev", 4, "{\"m2m:cin\":{\"con\":\"x\"}}", NULL);
    assert_int_equal(r.rsc, 4108);
    test_resp_free(&r);
    /* Update of the container: mni lowered evicts. */
    r = test_req(CSE_OP_UPDATE, "/cse-in/dev/temp", "Cdev", 0, "{\"m2m:cnt\":{\"mni\":1}}", NULL);
    assert_int_equal(r.rsc, 2004);
    assert_int_equal(json_integer_value(json_object_get(test_inner(&r, "m2m:cnt"), "cni")), 1);
    test_resp_free(&r);
    /* Delete the AE: the whole subtree goes. */
    r = test_req(CSE_OP_DELETE, "/cse-in/dev", "Cdev", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2002);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/dev/temp", "Cdev", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4004);
    test_resp_free(&r);
}

static void test_bad_requests(void **state) {
    (void)state;
    test_resp_t r = create_ae("Cbad", "bad");
    test_resp_free(&r);
    struct {
        int ty;
        const char *body;
        int rsc;
    } cases[] = {
        {3, "{\"m2m:cnt\":{\"foo\":1}}", 4000},                  /* unknown attribute */
        {3, "{\"m2m:cnt\":{\"mni\":\"3\"}}", 4000},              /* wrong type */
        {3, "{\"m2m:cnt\":{\"mni\":3.0}}", 4000},                /* real is not an integer */
        {3, "{\"m2m:cnt\":{\"ri\":\"x\"}}", 4000},               /* read-only */
        {3, "{\"m2m:cnt\":{\"cni\":1}}", 4000},                  /* read-only */
        {3, "{\"m2m:ae\":{\"api\":\"Nx\"}}", 4000},              /* wrapper vs ty */
        {3, "{\"m2m:cnt\":{\"et\":\"20000101T000000\"}}", 4000}, /* et in the past */
        {3, "{\"m2m:cnt\":{\"acpi\":[\"nope\"]}}", 4000},        /* acpi must exist */
        {3, "{\"m2m:cnt\":{\"rn\":\"a/b\"}}", 4000},             /* bad name */
        {3, "not json", 4000},
        {3, "[]", 4000},
        {99, "{\"m2m:xyz\":{}}", 4000},
        {5, "{\"m2m:cb\":{}}", 4005},
        {1, "{\"m2m:acp\":{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[]}}}", 4000}, /* empty pvs */
        {1,
         "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":64}]},"
         "\"pvs\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":63}]}}}",
         4000},
        {1,
         "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":\"all\",\"acop\":3}]},"
         "\"pvs\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":63}]}}}",
         4000},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = test_req(CSE_OP_CREATE, "/cse-in/bad", "Cbad", cases[i].ty, cases[i].body, NULL);
        if (r.rsc != cases[i].rsc)
            fprintf(stderr, "case %zu: %s -> %d %s\n", i, cases[i].body, r.rsc, r.raw);
        assert_int_equal(r.rsc, cases[i].rsc);
        test_resp_free(&r);
    }
    r = test_req(CSE_OP_CREATE, "/cse-in/bad", "Cbad", 3, "{\"m2m:cnt\":{\"rn\":\"c\"}}", NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in/bad", "Cbad", 3, "{\"m2m:cnt\":{\"rn\":\"c\"}}", NULL);
    assert_int_equal(r.rsc, 4105);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/nothing", "Cbad", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4004);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/~/id-other/cse-in", "Cbad", 0, NULL, NULL);
    assert_int_equal(r.rsc, 5103);
    test_resp_free(&r);
    /* Missing From (not an AE CREATE): 4000. */
    r = test_req(CSE_OP_RETRIEVE, "/cse-in", NULL, 0, NULL, NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    /* Unsupported release version. */
    r = test_req(CSE_OP_RETRIEVE, "/cse-in", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2000);
    test_resp_free(&r);
    /* Fail closed: no plugin and not insecure. */
    cse_pipeline_set_insecure(0);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4106);
    test_resp_free(&r);
    r = create_ae("Cnope", "nope");
    assert_int_equal(r.rsc, 4106);
    test_resp_free(&r);
    cse_pipeline_set_insecure(1);
}

static void test_acp(void **state) {
    (void)state;
    const char *acp = "{\"m2m:acp\":{\"rn\":\"acp1\",\"pv\":{\"acr\":[{\"acor\":[\"all\"],"
                      "\"acop\":2}]},\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63,"
                      "\"acaf\":true,\"acco\":[{\"actw\":[\"* * * * * * *\"]}]}]}}}";
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 1, acp, NULL);
    assert_int_equal(r.rsc, 2001);
    char ri[64];
    snprintf(ri, sizeof(ri), "%s",
             json_string_value(json_object_get(test_inner(&r, "m2m:acp"), "ri")));
    char body[256];
    snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"guarded\",\"acpi\":[\"%s\"]}}", ri);
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, body, NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    /* acpi given as a structured path is stored as the ri. */
    r = test_req(CSE_OP_UPDATE, "/cse-in/guarded", "CAdmin", 0,
                 "{\"m2m:cnt\":{\"acpi\":[\"cse-in/acp1\"]}}", "rcn=9");
    assert_int_equal(r.rsc, 2004);
    json_t *mod = test_inner(&r, "m2m:cnt");
    assert_int_equal(json_object_size(mod), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(mod, "acpi"), 0)), ri);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/acp1", "CAdmin", 0, "{\"m2m:acp\":{\"pvs\":{\"acr\":[]}}}",
                 NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/acp1", "CAdmin", 0, "{\"m2m:acp\":{\"pvs\":null}}", NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
}

static void test_rcn(void **state) {
    (void)state;
    test_resp_t r =
        test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, "{\"m2m:cnt\":{\"rn\":\"r0\"}}", "rcn=0");
    assert_int_equal(r.rsc, 2001);
    assert_null(r.raw);
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in/r0", "CAdmin", 3, "{\"m2m:cnt\":{\"rn\":\"r2\"}}",
                 "rcn=2");
    assert_string_equal(json_string_value(json_object_get(r.json, "m2m:uri")), "cse-in/r0/r2");
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in/r0", "CAdmin", 4, "{\"m2m:cin\":{\"con\":\"a\"}}",
                 "rcn=3");
    json_t *rce = json_object_get(r.json, "m2m:rce");
    assert_non_null(json_object_get(rce, "m2m:cin"));
    assert_non_null(json_object_get(rce, "uri"));
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3,
                 "{\"m2m:cnt\":{\"rn\":\"r9\",\"mni\":5,\"lbl\":[\"a\"]}}", "rcn=9");
    assert_int_equal(r.rsc, 2001);
    json_t *assigned = test_inner(&r, "m2m:cnt");
    assert_null(json_object_get(assigned, "rn"));
    assert_null(json_object_get(assigned, "mni"));
    assert_null(json_object_get(assigned, "lbl"));
    assert_non_null(json_object_get(assigned, "ri"));
    assert_non_null(json_object_get(assigned, "ct"));
    assert_int_equal(json_integer_value(json_object_get(assigned, "cni")), 0);
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in/r0", "CAdmin", 3, "{\"m2m:cnt\":{}}", "rcn=4");
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/r0", "CAdmin", 0, NULL, "rcn=4");
    json_t *cnt = test_inner(&r, "m2m:cnt");
    assert_non_null(json_object_get(cnt, "rn"));
    assert_int_equal(json_array_size(json_object_get(cnt, "m2m:cnt")), 1);
    assert_int_equal(json_array_size(json_object_get(cnt, "m2m:cin")), 1);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/r0", "CAdmin", 0, NULL, "rcn=5");
    json_t *ch = json_object_get(test_inner(&r, "m2m:cnt"), "ch");
    assert_int_equal(json_array_size(ch), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 0), "val")),
                        "cse-in/r0/r2");
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/r0", "CAdmin", 0, NULL, "rcn=6");
    assert_int_equal(json_array_size(json_object_get(json_object_get(r.json, "m2m:rrl"), "rrf")),
                     2);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/r0", "CAdmin", 0, NULL, "rcn=8");
    cnt = test_inner(&r, "m2m:cnt");
    assert_null(json_object_get(cnt, "rn"));
    assert_int_equal(json_array_size(json_object_get(cnt, "m2m:cin")), 1);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/r0", "CAdmin", 0, NULL, "rcn=0");
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/r0", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":[\"k\"]}}",
                 "rcn=0");
    assert_int_equal(r.rsc, 2004);
    assert_null(r.raw);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/r0", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":[\"k\"]}}",
                 "rcn=2");
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    r = test_req(CSE_OP_DELETE, "/cse-in/r0/r2", "CAdmin", 0, NULL, "rcn=1");
    assert_int_equal(r.rsc, 2002);
    assert_string_equal(json_string_value(json_object_get(test_inner(&r, "m2m:cnt"), "rn")), "r2");
    test_resp_free(&r);
    r = test_req(CSE_OP_DELETE, "/cse-in/r0", "CAdmin", 0, NULL, "rcn=4");
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
}

/* Everything acknowledged survives a restart; derived counters are rebuilt. */
static void test_persistence(void **state) {
    (void)state;
    char dir[] = "/tmp/cse-test-XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cse.db", dir);
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(test_core_start(st), 0);
    test_resp_t r = create_ae("Cp", "p");
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in/p", "Cp", 3, "{\"m2m:cnt\":{\"rn\":\"c\",\"mni\":2}}",
                 NULL);
    test_resp_free(&r);
    for (int i = 0; i < 4; i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"m2m:cin\":{\"con\":\"%d\"}}", i);
        r = test_req(CSE_OP_CREATE, "/cse-in/p/c", "Cp", 4, body, NULL);
        assert_int_equal(r.rsc, 2001);
        test_resp_free(&r);
    }
    r = test_req(CSE_OP_UPDATE, "/cse-in/p", "Cp", 0, "{\"m2m:ae\":{\"lbl\":[\"kept\"]}}", NULL);
    assert_int_equal(r.rsc, 2004);
    test_resp_free(&r);
    cse_core_shutdown();
    cse_store_close(st);

    st = cse_store_open(path, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(test_core_start(st), 0);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/p/c", "Cp", 0, NULL, "rcn=4");
    assert_int_equal(r.rsc, 2000);
    json_t *cnt = test_inner(&r, "m2m:cnt");
    assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), 2);
    assert_int_equal(json_integer_value(json_object_get(cnt, "st")), 4);
    json_t *cins = json_object_get(cnt, "m2m:cin");
    assert_int_equal(json_array_size(cins), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cins, 0), "con")), "2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(cins, 1), "con")), "3");
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/p", "Cp", 0, NULL, NULL);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(test_inner(&r, "m2m:ae"), "lbl"), 0)),
        "kept");
    test_resp_free(&r);
    r = create_ae("Cp", "again");
    assert_int_equal(r.rsc, 4117);
    test_resp_free(&r);
    cse_core_shutdown();
    cse_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cse_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ae_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_container_and_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rcn, setup, teardown),
        cmocka_unit_test(test_persistence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
