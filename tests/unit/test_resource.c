/* Resource types: the attribute validator (table-driven), container quotas,
 * expiry, AE rules that depend on the release, UPDATE semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <time.h>

#include "cse_test_util.h"
#include "cse/core/clock.h"
#include "cse/plugin.h"
#include "cse/resources/acp.h"
#include "cse/resources/ae.h"
#include "cse/resources/rtype.h"
#include "cse/resources/validator.h"

static int setup(void **state) {
    (void)state;
    return test_core_start(NULL);
}

static int teardown(void **state) {
    (void)state;
    cse_core_shutdown();
    return 0;
}

static void test_validator_table(void **state) {
    (void)state;
    struct {
        const cse_rtype_t *t;
        int op;
        const char *body;
        int rsc;
        const char *needle; /* must appear in the reason */
    } cases[] = {
        {&cse_rtype_cnt, CSE_OP_CREATE, "{}", 0, NULL},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"mni\":1,\"mbs\":0,\"mia\":5,\"lbl\":[],\"li\":\"x\"}",
         0, NULL},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"mni\":-1}", 4000, "mni"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"mni\":true}", 4000, "mni"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"lbl\":\"a\"}", 4000, "lbl"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"lbl\":[1]}", 4000, "lbl"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"et\":\"tomorrow\"}", 4000, "et"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"cr\":\"Cx\"}", 4000, "cr"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"cr\":null}", 0, NULL},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"st\":1}", 4000, "st"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"ct\":\"20240101T000000\"}", 4000, "ct"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "{\"con\":\"x\"}", 4000, "con"},
        {&cse_rtype_cnt, CSE_OP_UPDATE, "{\"rn\":\"x\"}", 4000, "rn"},
        {&cse_rtype_cnt, CSE_OP_UPDATE, "{\"cr\":null}", 4000, "cr"},
        {&cse_rtype_cnt, CSE_OP_UPDATE, "{\"lbl\":null,\"mni\":null}", 0, NULL},
        {&cse_rtype_cin, CSE_OP_CREATE, "{}", 4000, "con"},
        {&cse_rtype_cin, CSE_OP_CREATE, "{\"con\":null}", 4000, "con"},
        {&cse_rtype_cin, CSE_OP_CREATE, "{\"con\":{\"a\":1}}", 0, NULL},
        {&cse_rtype_cin, CSE_OP_CREATE, "{\"con\":\"x\",\"acpi\":[]}", 4000, "acpi"},
        {&cse_rtype_cin, CSE_OP_CREATE, "{\"con\":\"x\",\"cs\":1}", 4000, "cs"},
        {&cse_rtype_ae, CSE_OP_CREATE, "{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"]}", 0, NULL},
        {&cse_rtype_ae, CSE_OP_CREATE, "{\"api\":\"Nx\",\"srv\":[\"3\"]}", 4000, "rr"},
        {&cse_rtype_ae, CSE_OP_CREATE, "{\"api\":\"Nx\",\"rr\":true}", 4000, "srv"},
        {&cse_rtype_ae, CSE_OP_CREATE, "{\"rr\":true,\"srv\":[\"3\"]}", 4000, "api"},
        {&cse_rtype_ae, CSE_OP_CREATE, "{\"api\":\"Nx\",\"rr\":\"yes\",\"srv\":[\"3\"]}", 4000,
         "rr"},
        {&cse_rtype_ae, CSE_OP_CREATE, "{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"aei\":\"C\"}",
         4000, "aei"},
        {&cse_rtype_ae, CSE_OP_UPDATE, "{\"api\":\"Ny\"}", 4000, "api"},
        {&cse_rtype_ae, CSE_OP_UPDATE, "{\"rr\":null}", 4000, "rr"},
        {&cse_rtype_ae, CSE_OP_UPDATE, "{\"poa\":[\"http://x\"],\"apn\":\"n\"}", 0, NULL},
        {&cse_rtype_acp, CSE_OP_CREATE, "{\"pv\":{},\"pvs\":{}}", 0, NULL}, /* structure: hook */
        {&cse_rtype_acp, CSE_OP_CREATE, "{\"pv\":[],\"pvs\":{}}", 4000, "pv"},
        {&cse_rtype_acp, CSE_OP_CREATE, "{\"pvs\":{}}", 4000, "pv"},
        {&cse_rtype_cse_base, CSE_OP_UPDATE, "{\"csi\":\"x\"}", 4000, "csi"},
        {&cse_rtype_cnt, CSE_OP_CREATE, "[]", 4000, "object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        json_t *body = json_loads(cases[i].body, JSON_DECODE_ANY, NULL);
        int rsc = cse_validate_attrs(cases[i].t, body, cases[i].op, err, sizeof(err));
        if (rsc != cases[i].rsc || (cases[i].needle && !strstr(err, cases[i].needle)))
            fprintf(stderr, "case %zu %s: %d '%s'\n", i, cases[i].body, rsc, err);
        assert_int_equal(rsc, cases[i].rsc);
        if (cases[i].needle)
            assert_non_null(strstr(err, cases[i].needle));
        json_decref(body);
    }
}

static void test_acp_privileges(void **state) {
    (void)state;
    struct {
        const char *pv;
        size_t min;
        int ok;
    } cases[] = {
        {"{\"acr\":[]}", 0, 1},
        {"{\"acr\":[]}", 1, 0},
        {"{\"acr\":[{\"acor\":[\"all\"],\"acop\":63}]}", 1, 1},
        {"{\"acr\":[{\"acor\":[\"all\"],\"acop\":0}]}", 1, 0},
        {"{\"acr\":[{\"acor\":[\"all\"],\"acop\":64}]}", 1, 0},
        {"{\"acr\":[{\"acor\":[\"all\"]}]}", 1, 0},
        {"{\"acr\":[{\"acop\":1}]}", 1, 0},
        {"{\"acr\":[{\"acor\":[1],\"acop\":1}]}", 1, 0},
        {"{\"acr\":[{\"acor\":[],\"acop\":1,\"acaf\":true,\"acco\":[{}],\"acod\":[{\"chty\":[4]}]}]"
         "}",
         1, 1},
        {"{\"acr\":[{\"acor\":[],\"acop\":1,\"acaf\":1}]}", 1, 0},
        {"{\"acr\":[{\"acor\":[],\"acop\":1,\"acco\":{}}]}", 1, 0},
        {"{\"acr\":[{\"acor\":[],\"acop\":1,\"acod\":[1]}]}", 1, 0},
        {"{\"acr\":[{\"acor\":[],\"acop\":1,\"extra\":1}]}", 1, 0},
        {"{\"acr\":[1]}", 1, 0},
        {"{\"acr\":{}}", 1, 0},
        {"{\"acr\":[],\"x\":1}", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256];
        json_t *pv = json_loads(cases[i].pv, 0, NULL);
        int rc = cse_acp_check_privileges("pvs", pv, cases[i].min, err, sizeof(err));
        if ((rc == 0) != cases[i].ok)
            fprintf(stderr, "case %zu %s: %d %s\n", i, cases[i].pv, rc, err);
        assert_int_equal(rc == 0, cases[i].ok);
        json_decref(pv);
    }
}

static void test_ae_ids(void **state) {
    (void)state;
    struct {
        const char *from;
        int rsc;
        const char *aei; /* NULL: generated, check prefix */
        char prefix;
    } cases[] = {
        {NULL, 0, NULL, 'C'},      {"", 0, NULL, 'C'},        {"C", 0, NULL, 'C'},
        {"S", 0, NULL, 'S'},       {"Cmine", 0, "Cmine", 0},  {"Smine", 0, "Smine", 0},
        {"/id-in/Cx", 0, "Cx", 0}, {"/id-in", 4107, NULL, 0}, {"id-in", 4107, NULL, 0},
        {"admin", 4000, NULL, 0},  {"C/x", 4000, NULL, 0},    {"/id-other/Cx", 4107, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char aei[80], err[256];
        int rsc = cse_ae_assign_id(cases[i].from, "/id-in", aei, sizeof(aei), err, sizeof(err));
        if (rsc != cases[i].rsc)
            fprintf(stderr, "case %s: %d %s\n", cases[i].from ? cases[i].from : "(null)", rsc, err);
        assert_int_equal(rsc, cases[i].rsc);
        if (!rsc && cases[i].aei)
            assert_string_equal(aei, cases[i].aei);
        if (!rsc && !cases[i].aei) {
            assert_int_equal(aei[0], cases[i].prefix);
            assert_true(strlen(aei) > 5);
        }
    }
    char a[80], b[80], err[64];
    cse_ae_assign_id("C", "/id-in", a, sizeof(a), err, sizeof(err));
    cse_ae_assign_id("C", "/id-in", b, sizeof(b), err, sizeof(err));
    assert_string_not_equal(a, b);
    assert_int_equal(cse_ae_check_api("rLegacy", "3", err, sizeof(err)), 0);
    assert_int_equal(cse_ae_check_api("rLegacy", "2a", err, sizeof(err)), 0);
    assert_int_equal(cse_ae_check_api("rLegacy", "4", err, sizeof(err)), -1);
    assert_int_equal(cse_ae_check_api("rLegacy", "5", err, sizeof(err)), -1);
    assert_int_equal(cse_ae_check_api("rLegacy", "", err, sizeof(err)), 0);
    assert_int_equal(cse_ae_check_api("Rreg", "4", err, sizeof(err)), 0);
    assert_int_equal(cse_ae_check_api("", "4", err, sizeof(err)), -1);
    assert_int_equal(cse_ae_check_api("nlower", "3", err, sizeof(err)), -1);
}

static int count_cin(const char *path) {
    test_resp_t r = test_req(CSE_OP_RETRIEVE, path, "CAdmin", 0, NULL, "fu=1&ty=4");
    int n = (int)json_array_size(json_object_get(r.json, "m2m:uril"));
    test_resp_free(&r);
    return n;
}

static json_t *get_cnt(const char *path) {
    test_resp_t r = test_req(CSE_OP_RETRIEVE, path, "CAdmin", 0, NULL, NULL);
    json_t *c = json_incref(json_object_get(r.json, "m2m:cnt"));
    test_resp_free(&r);
    return c;
}

static int add_cin(const char *path, const char *con) {
    char body[256];
    snprintf(body, sizeof(body), "{\"m2m:cin\":{\"con\":\"%s\"}}", con);
    test_resp_t r = test_req(CSE_OP_CREATE, path, "CAdmin", 4, body, NULL);
    int rsc = r.rsc;
    test_resp_free(&r);
    return rsc;
}

static void test_quotas(void **state) {
    (void)state;
    struct {
        const char *cnt;  /* container body */
        const char *cons; /* contents, comma separated */
        int cni, cbs;
    } cases[] = {
        {"{\"m2m:cnt\":{\"rn\":\"q1\",\"mni\":2}}", "a,bb,ccc", 2, 5},
        {"{\"m2m:cnt\":{\"rn\":\"q2\",\"mbs\":5}}", "aa,bb,cc", 2, 4},
        {"{\"m2m:cnt\":{\"rn\":\"q3\",\"mbs\":6,\"mni\":10}}", "aaa,bbb,c", 2, 4},
        {"{\"m2m:cnt\":{\"rn\":\"q4\",\"mni\":0}}", "a,b", 0, 0},
        {"{\"m2m:cnt\":{\"rn\":\"q5\"}}", "a,b,c,d", 4, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, cases[i].cnt, NULL);
        assert_int_equal(r.rsc, 2001);
        char path[64];
        snprintf(path, sizeof(path), "/%s",
                 json_string_value(json_object_get(test_inner(&r, "m2m:cnt"), "ri")));
        test_resp_free(&r);
        char cons[64];
        snprintf(cons, sizeof(cons), "%s", cases[i].cons);
        for (char *save = NULL, *c = strtok_r(cons, ",", &save); c; c = strtok_r(NULL, ",", &save))
            assert_int_equal(add_cin(path, c), 2001);
        json_t *cnt = get_cnt(path);
        assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), cases[i].cni);
        assert_int_equal(json_integer_value(json_object_get(cnt, "cbs")), cases[i].cbs);
        assert_int_equal(count_cin(path), cases[i].cni);
        json_decref(cnt);
    }
    /* One instance bigger than mbs: 5207, nothing changes. */
    assert_int_equal(add_cin("/cse-in/q2", "toolarge"), 5207);
    json_t *cnt = get_cnt("/cse-in/q2");
    assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), 2);
    json_decref(cnt);
    /* Lowering mbs evicts the oldest. */
    test_resp_t r =
        test_req(CSE_OP_UPDATE, "/cse-in/q5", "CAdmin", 0, "{\"m2m:cnt\":{\"mbs\":2}}", NULL);
    assert_int_equal(r.rsc, 2004);
    assert_int_equal(json_integer_value(json_object_get(test_inner(&r, "m2m:cnt"), "cbs")), 2);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/q5/ol", "CAdmin", 0, NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(test_inner(&r, "m2m:cin"), "con")), "c");
    test_resp_free(&r);
}

static void test_mia_and_expiry(void **state) {
    (void)state;
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3,
                             "{\"m2m:cnt\":{\"rn\":\"aged\",\"mia\":30}}", NULL);
    test_resp_free(&r);
    assert_int_equal(add_cin("/cse-in/aged", "old"), 2001);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/aged/la", "CAdmin", 0, NULL, NULL);
    json_t *cin = test_inner(&r, "m2m:cin");
    int64_t ct, et;
    cse_clock_parse(json_string_value(json_object_get(cin, "ct")), &ct);
    cse_clock_parse(json_string_value(json_object_get(cin, "et")), &et);
    assert_int_equal(et - ct, 30 * 1000000LL); /* et bounded by mia */
    test_resp_free(&r);
    /* The sweep removes it and the container counts it out. */
    assert_int_equal(cse_core_expire(ct + 31 * 1000000LL), 1);
    json_t *cnt = get_cnt("/cse-in/aged");
    assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), 0);
    json_decref(cnt);
    /* Expired but not yet swept: already invisible. */
    char body[256], etxt[CSE_TIME_LEN];
    cse_clock_format(cse_clock_now_us() + 1200000, etxt, sizeof(etxt));
    snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"brief\",\"et\":\"%s\"}}", etxt);
    r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, body, NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    assert_int_equal(add_cin("/cse-in/brief", "x"), 2001);
    struct timespec ts = {1, 300000000};
    nanosleep(&ts, NULL);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/brief/la", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4004);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in", "CAdmin", 0, NULL, "fu=1&ty=3");
    assert_null(strstr(r.raw, "brief"));
    test_resp_free(&r);
    /* Lowering mia shortens the remaining instances' life. */
    r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, "{\"m2m:cnt\":{\"rn\":\"m2\"}}", NULL);
    test_resp_free(&r);
    assert_int_equal(add_cin("/cse-in/m2", "y"), 2001);
    r = test_req(CSE_OP_UPDATE, "/cse-in/m2", "CAdmin", 0, "{\"m2m:cnt\":{\"mia\":1}}", NULL);
    assert_int_equal(r.rsc, 2004);
    test_resp_free(&r);
    nanosleep(&ts, NULL);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/m2/la", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4004);
    test_resp_free(&r);
}

static void test_update_semantics(void **state) {
    (void)state;
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3,
                             "{\"m2m:cnt\":{\"rn\":\"u\",\"lbl\":[\"a\"],\"mni\":4}}", NULL);
    json_t *c = test_inner(&r, "m2m:cnt");
    char ct[32], lt[32];
    snprintf(ct, sizeof(ct), "%s", json_string_value(json_object_get(c, "ct")));
    snprintf(lt, sizeof(lt), "%s", json_string_value(json_object_get(c, "lt")));
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/u", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":null}}", NULL);
    assert_int_equal(r.rsc, 2004);
    c = test_inner(&r, "m2m:cnt");
    assert_null(json_object_get(c, "lbl"));
    assert_int_equal(json_integer_value(json_object_get(c, "mni")), 4);
    assert_int_equal(json_integer_value(json_object_get(c, "st")), 1);
    assert_string_equal(json_string_value(json_object_get(c, "ct")), ct);
    assert_true(strcmp(json_string_value(json_object_get(c, "lt")), lt) >= 0);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/u", "CAdmin", 0, "{\"m2m:cin\":{\"lbl\":[\"x\"]}}", NULL);
    assert_int_equal(r.rsc, 4000); /* wrapper does not match the target */
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/u", "CAdmin", 0,
                 "{\"m2m:cnt\":{\"et\":\"20000101T000000\"}}", NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/u", "CAdmin", 0, "{\"m2m:cnt\":{\"cni\":3}}", NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/u", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4000);
    test_resp_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_table),
        cmocka_unit_test(test_acp_privileges),
        cmocka_unit_test_setup_teardown(test_ae_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quotas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mia_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_semantics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
