/* Registered-AE lookups with their revision cache, against the real core:
 * only an AE whose ri is the AE-ID counts, and a deletion, an update or a
 * new AE under the same AE-ID is seen at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cse_test_util.h"
#include "plugin/authn/registered_ae.h"

static int setup(void **state) {
    (void)state;
    return test_core_start(NULL);
}

static int teardown(void **state) {
    (void)state;
    cse_core_shutdown();
    return 0;
}

static int request(int op, const char *to, const char *from, int ty, const char *body) {
    test_resp_t r = test_req(op, to, from, ty, body, NULL);
    int rsc = r.rsc;
    test_resp_free(&r);
    return rsc;
}

static const char AE[] =
    "{\"m2m:ae\":{\"rn\":\"meter\",\"api\":\"Nmeter\",\"rr\":false,\"srv\":[\"3\"]}}";

static void test_lookups(void **state) {
    (void)state;
    cssf_registered_ae_t *c = cssf_registered_ae_create();
    assert_non_null(c);
    assert_int_equal(cssf_registered_ae(c, "Cmeter"), 0);
    assert_int_equal(request(CSE_OP_CREATE, "/cse-in", "Cmeter", 2, AE), 2001);
    assert_int_equal(
        request(CSE_OP_CREATE, "/cse-in/meter", "Cmeter", 3, "{\"m2m:cnt\":{\"rn\":\"data\"}}"),
        2001);
    for (int i = 0; i < 3; i++) /* first read, then the cached revision */
        assert_int_equal(cssf_registered_ae(c, "Cmeter"), 1);
    /* Only an AE by its ri: not a path, not the CSEBase, not a container. */
    assert_int_equal(cssf_registered_ae(c, "cse-in"), 0);
    assert_int_equal(cssf_registered_ae(c, "id-in"), 0);
    assert_int_equal(cssf_registered_ae(c, "cse-in/meter"), 0);
    assert_int_equal(cssf_registered_ae(c, ""), 0);
    assert_int_equal(cssf_registered_ae(c, NULL), 0);
    test_resp_t r = test_req(CSE_OP_RETRIEVE, "/cse-in/meter/data", "Cmeter", 0, NULL, NULL);
    char cnt_ri[64];
    snprintf(cnt_ri, sizeof(cnt_ri), "%s",
             json_string_value(json_object_get(test_inner(&r, "m2m:cnt"), "ri")));
    test_resp_free(&r);
    assert_int_equal(cssf_registered_ae(c, cnt_ri), 0);

    /* An update gives a new revision: read again, still an AE. */
    assert_int_equal(
        request(CSE_OP_UPDATE, "/cse-in/meter", "Cmeter", 0, "{\"m2m:ae\":{\"lbl\":[\"x\"]}}"),
        2004);
    assert_int_equal(cssf_registered_ae(c, "Cmeter"), 1);
    /* Deleted: gone at once, although the cache saw it a moment ago. */
    assert_int_equal(request(CSE_OP_DELETE, "/cse-in/meter", "Cmeter", 0, NULL), 2002);
    assert_int_equal(cssf_registered_ae(c, "Cmeter"), 0);
    /* Registered again under the same AE-ID: found again. */
    assert_int_equal(request(CSE_OP_CREATE, "/cse-in", "Cmeter", 2, AE), 2001);
    assert_int_equal(cssf_registered_ae(c, "Cmeter"), 1);
    /* Without a cache the answers are the same. */
    assert_int_equal(cssf_registered_ae(NULL, "Cmeter"), 1);
    assert_int_equal(cssf_registered_ae(NULL, "Cnobody"), 0);
    cssf_registered_ae_destroy(c);
    cssf_registered_ae_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
