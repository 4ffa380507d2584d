/* CERT_CHECK identities (plugin/authn/cert_bind.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "plugin/authn/cert_bind.h"

static const unsigned char fp[32] = {0x00, 0x01, 0x02, 0xab, 0xcd, 0xef, 0x10, 0xff, [31] = 0x7e};

static void test_san_uri_wins(void **state) {
    char out[64];
    assert_int_equal(cssf_cert_identity("urn:m2m:dev1", fp, out, sizeof(out)), 0);
    assert_string_equal(out, "urn:m2m:dev1");
}

static void test_fingerprint_without_san(void **state) {
    char out[80];
    assert_int_equal(cssf_cert_identity(NULL, fp, out, sizeof(out)), 0);
    assert_string_equal(out, "sha256:000102abcdef10ff"
                             "00000000000000000000000000000000000000000000007e");
    assert_int_equal(strlen(out), CSSF_CERT_FP_ID_LEN);
    assert_int_equal(cssf_cert_identity("", fp, out, sizeof(out)), 0);
    assert_memory_equal(out, "sha256:", 7);
}

static void test_does_not_fit(void **state) {
    char out[CSSF_CERT_FP_ID_LEN + 1];
    assert_int_equal(cssf_cert_identity(NULL, fp, out, CSSF_CERT_FP_ID_LEN), -1);
    assert_string_equal(out, "");
    assert_int_equal(cssf_cert_identity(NULL, fp, out, sizeof(out)), 0);
    assert_int_equal(cssf_cert_identity("urn:0123456789", fp, out, 14), -1);
    assert_string_equal(out, "");
    assert_int_equal(cssf_cert_identity("urn:0123456789", fp, out, 15), 0);
    assert_int_equal(cssf_cert_identity(NULL, NULL, out, sizeof(out)), -1);
    assert_int_equal(cssf_cert_identity("urn:x", fp, NULL, 8), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_san_uri_wins),
        cmocka_unit_test(test_fingerprint_without_san),
        cmocka_unit_test(test_does_not_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
