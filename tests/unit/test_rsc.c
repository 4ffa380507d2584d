#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cse/core/rsc.h"
#include "cse/plugin.h"

static void test_http_mapping(void **state) {
    (void)state;
    assert_int_equal(cse_rsc_to_http(2000), 200);
    assert_int_equal(cse_rsc_to_http(2001), 201);
    assert_int_equal(cse_rsc_to_http(4105), 409);
    assert_int_equal(cse_rsc_to_http(4103), 403);
    assert_int_equal(cse_rsc_to_http(4008), 504);
    assert_int_equal(cse_rsc_to_http(1234), 500);
}

static void test_coap_mapping(void **state) {
    (void)state;
    assert_int_equal(cse_rsc_to_coap(2000, CSE_OP_RETRIEVE), 2 * 32 + 5);
    assert_int_equal(cse_rsc_to_coap(2000, CSE_OP_NOTIFY), 2 * 32 + 4);
    assert_int_equal(cse_rsc_to_coap(2001, CSE_OP_CREATE), 2 * 32 + 1);
    assert_int_equal(cse_rsc_to_coap(4105, CSE_OP_CREATE), 4 * 32 + 3);
    assert_int_equal(cse_rsc_to_coap(9999, CSE_OP_CREATE), 5 * 32 + 0);
}

static void test_names(void **state) {
    (void)state;
    assert_string_equal(cse_rsc_name(4117), "ORIGINATOR_HAS_ALREADY_REGISTERED");
    assert_string_equal(cse_rsc_name(42), "UNKNOWN");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_mapping),
        cmocka_unit_test(test_coap_mapping),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
