/* The pipeline with a security plugin: what AUTHORIZE sees (views, acpi
 * flags, DISCOVERY per candidate), REGISTER_AE / DEREGISTER_AE, denials
 * reaching the client, fail-closed without a plugin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <unistd.h>

#include "cse_test_util.h"
#include "cse/core/clock.h"
#include "cse/core/plugin_host.h"
#include "cse/core/rsc.h"
#include "cse/plugin.h"

static char record[64];

/* Every recorded line with event == name, as a JSON array (new reference). */
static json_t *events(const char *name) {
    json_t *all = json_array();
    FILE *f = fopen(record, "r");
    char line[8192];
    while (f && fgets(line, sizeof(line), f)) {
        json_t *j = json_loads(line, 0, NULL);
        if (j && strcmp(json_string_value(json_object_get(j, "event")), name) == 0)
            json_array_append(all, j);
        json_decref(j);
    }
    if (f)
        fclose(f);
    return all;
}

static json_t *last_event(const char *name) {
    json_t *all = events(name);
    json_t *last = json_incref(json_array_get(all, json_array_size(all) - 1));
    json_decref(all);
    return last;
}

static int setup(void **state) {
    (void)state;
    snprintf(record, sizeof(record), "/tmp/cse-probe-%d.jsonl", (int)getpid());
    unlink(record);
    cse_plugin_opt_t opts[] = {{"record_file", record},
                               {"deny_rn", "secret"},
                               {"deny_op", "6"},
                               {"deny_register", "refused"}};
    char err[256];
    if (cse_plugin_host_load(CSE_TEST_PLUGIN_DIR "/plugin_core_probe.so", opts, 4, err,
                             sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (test_core_start(NULL) != 0)
        return -1;
    cse_pipeline_set_insecure(0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cse_core_shutdown();
    cse_plugin_host_unload_all();
    unlink(record);
    return 0;
}

#define AE(rn) "{\"m2m:ae\":{\"rn\":\"" rn "\",\"api\":\"Nprobe\",\"rr\":false,\"srv\":[\"4\"]}}"

static void test_register_and_views(void **state) {
    (void)state;
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "Crefused", 2, AE("refused"), NULL);
    assert_int_equal(r.rsc, 4126);
    assert_string_equal(json_string_value(json_object_get(r.json, "m2m:dbg")),
                        "probe: registration refused");
    test_resp_free(&r);
    r = test_req(CSE_OP_CREATE, "/cse-in", "Cok", 2, AE("ok"), NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    json_t *reg = last_event("register_ae");
    assert_string_equal(json_string_value(json_object_get(reg, "aei")), "Cok");
    assert_string_equal(json_string_value(json_object_get(reg, "api")), "Nprobe");
    json_decref(reg);
    /* AE CREATE skips AUTHORIZE. */
    json_t *az = events("authorize");
    assert_int_equal(json_array_size(az), 0);
    json_decref(az);

    r = test_req(CSE_OP_CREATE, "/cse-in/ok", "Cok", 1,
                 "{\"m2m:acp\":{\"rn\":\"pol\",\"pv\":{\"acr\":[{\"acor\":[\"Cok\"],\"acop\":63}]},"
                 "\"pvs\":{\"acr\":[{\"acor\":[\"Cok\"],\"acop\":63}]}}}",
                 NULL);
    assert_int_equal(r.rsc, 2001);
    char acp_ri[64];
    snprintf(acp_ri, sizeof(acp_ri), "%s",
             json_string_value(json_object_get(test_inner(&r, "m2m:acp"), "ri")));
    test_resp_free(&r);
    az = last_event("authorize");
    assert_int_equal(json_integer_value(json_object_get(az, "op")), CSE_OP_CREATE);
    assert_int_equal(json_integer_value(json_object_get(az, "create_ty")), 1);
    json_t *tv = json_object_get(az, "target");
    assert_string_equal(json_string_value(json_object_get(tv, "ri")), "Cok");
    assert_string_equal(json_string_value(json_object_get(tv, "path")), "cse-in/ok");
    assert_string_equal(json_string_value(json_object_get(json_object_get(az, "parent"), "ri")),
                        "id-in");
    json_decref(az);

    char body[256];
    snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"box\",\"acpi\":[\"%s\"],\"cr\":null}}",
             acp_ri);
    r = test_req(CSE_OP_CREATE, "/cse-in/ok", "Cok", 3, body, NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"acpi\":[\"%s\"]}}", acp_ri);
    r = test_req(CSE_OP_UPDATE, "/cse-in/ok/box", "Cok", 0, body, NULL);
    assert_int_equal(r.rsc, 2004);
    test_resp_free(&r);
    az = last_event("authorize");
    assert_int_equal(json_integer_value(json_object_get(az, "updates_acpi")), 1);
    assert_int_equal(json_integer_value(json_object_get(az, "updates_only_acpi")), 1);
    tv = json_object_get(az, "target");
    assert_string_equal(json_string_value(json_object_get(tv, "creator")), "Cok");
    assert_int_equal(json_integer_value(json_object_get(tv, "has_acpi")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(tv, "acpi"), 0)), acp_ri);
    json_int_t rev1 = json_integer_value(json_object_get(tv, "revision"));
    json_decref(az);
    r = test_req(CSE_OP_UPDATE, "/cse-in/ok/box", "Cok", 0,
                 "{\"m2m:cnt\":{\"lbl\":[\"a\"],\"mni\":5}}", NULL);
    assert_int_equal(r.rsc, 2004);
    test_resp_free(&r);
    az = last_event("authorize");
    assert_int_equal(json_integer_value(json_object_get(az, "updates_acpi")), 0);
    assert_true(json_integer_value(json_object_get(json_object_get(az, "target"), "revision")) >
                rev1);
    json_decref(az);
    /* A contentInstance has no acpi: the plugin sees has_acpi 0 and the parent. */
    r = test_req(CSE_OP_CREATE, "/cse-in/ok/box", "Cok", 4,
                 "{\"m2m:cin\":{\"rn\":\"c1\",\"con\":\"1\"}}", NULL);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/ok/box/c1", "Cok", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2000);
    test_resp_free(&r);
    az = last_event("authorize");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(az, "target"), "has_acpi")),
                     0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(az, "parent"), "ri")),
                        json_string_value(json_object_get(json_object_get(az, "parent"), "ri")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(az, "parent"), "rn")),
                        "box");
    assert_true(json_is_null(json_object_get(json_object_get(az, "target"), "creator")));
    json_decref(az);
    /* One created with cr: its view (read back from the compact form) names the creator. */
    r = test_req(CSE_OP_CREATE, "/cse-in/ok/box", "Cok", 4,
                 "{\"m2m:cin\":{\"rn\":\"c2\",\"con\":\"2\",\"cr\":null}}", NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/ok/box/c2", "Cok", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2000);
    test_resp_free(&r);
    az = last_event("authorize");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(az, "target"), "creator")), "Cok");
    json_decref(az);
    /* Accounting saw every request, with the decision. */
    json_t *acc = last_event("accounting");
    assert_int_equal(json_integer_value(json_object_get(acc, "rsc")), 2000);
    assert_int_equal(json_integer_value(json_object_get(acc, "authorized")), 1);
    json_decref(acc);
}

static void test_discovery_filtered(void **state) {
    (void)state;
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "Cd", 2, AE("d"), NULL);
    test_resp_free(&r);
    const char *names[] = {"public", "secret", "other"};
    for (int i = 0; i < 3; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"%s\"}}", names[i]);
        r = test_req(CSE_OP_CREATE, "/cse-in/d", "Cd", 3, body, NULL);
        assert_int_equal(r.rsc, 2001);
        test_resp_free(&r);
    }
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/d", "Cd", 0, NULL, "fu=1");
    assert_int_equal(r.rsc, 2000);
    json_t *uril = json_object_get(r.json, "m2m:uril");
    assert_int_equal(json_array_size(uril), 2);
    assert_string_equal(json_string_value(json_array_get(uril, 0)), "cse-in/d/public");
    assert_string_equal(json_string_value(json_array_get(uril, 1)), "cse-in/d/other");
    test_resp_free(&r);
    /* lim counts only what may be seen. */
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/d", "Cd", 0, NULL, "fu=1&lim=2&ty=3");
    assert_int_equal(json_array_size(json_object_get(r.json, "m2m:uril")), 2);
    test_resp_free(&r);
    json_t *az = events("authorize");
    size_t n = json_array_size(az), discovery = 0;
    for (size_t i = 0; i < n; i++)
        discovery += json_integer_value(json_object_get(json_array_get(az, i), "op")) == 6;
    assert_true(discovery >= 4); /* target + 3 candidates for the first request */
    json_decref(az);
    /* Denial on the target itself reaches the client. */
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/d/secret", "Cd", 0, NULL, "fu=1");
    assert_int_equal(r.rsc, 4103);
    assert_string_equal(json_string_value(json_object_get(r.json, "m2m:dbg")),
                        "probe: denied secret");
    test_resp_free(&r);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/d/secret", "Cd", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2000);
    test_resp_free(&r);
}

static void test_deregister(void **state) {
    (void)state;
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "Cgone", 2, AE("gone"), NULL);
    test_resp_free(&r);
    r = test_req(CSE_OP_DELETE, "/cse-in/gone", "Cgone", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2002);
    test_resp_free(&r);
    json_t *d = last_event("deregister_ae");
    assert_string_equal(json_string_value(json_object_get(d, "aei")), "Cgone");
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "delete");
    json_decref(d);
    /* Expiry of an AE deregisters it too. */
    char et[CSE_TIME_LEN], body[256];
    int64_t now = cse_clock_now_us();
    cse_clock_format(now + 60 * 1000000LL, et, sizeof(et));
    snprintf(
        body, sizeof(body),
        "{\"m2m:ae\":{\"rn\":\"brief\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"et\":\"%s\"}}",
        et);
    r = test_req(CSE_OP_CREATE, "/cse-in", "Cbrief", 2, body, NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    assert_int_equal(cse_core_expire(now + 61 * 1000000LL), 1);
    d = last_event("deregister_ae");
    assert_string_equal(json_string_value(json_object_get(d, "aei")), "Cbrief");
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "expired");
    json_decref(d);
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/brief", "Cbrief", 0, NULL, NULL);
    assert_int_equal(r.rsc, 4004);
    test_resp_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_and_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discovery_filtered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deregister, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
