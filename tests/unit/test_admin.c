/* Admin API input parsing: URL decoding, query strings, counts, content
 * types and JSON bodies with their statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "plugin/admin/admin_json.h"

static void test_url_decode(void **state) {
    (void)state;
    char out[16];
    assert_int_equal(cssf_admin_url_decode("a%2Fb+c", 7, out, sizeof(out), 1), 5);
    assert_string_equal(out, "a/b c");
    assert_int_equal(cssf_admin_url_decode("a+b", 3, out, sizeof(out), 0), 3);
    assert_string_equal(out, "a+b");
    assert_int_equal(cssf_admin_url_decode("%zz", 3, out, sizeof(out), 1), -1);
    assert_int_equal(cssf_admin_url_decode("%4", 2, out, sizeof(out), 1), -1);
    assert_int_equal(cssf_admin_url_decode("%", 1, out, sizeof(out), 1), -1);
    assert_int_equal(cssf_admin_url_decode("%00", 3, out, sizeof(out), 1), -1); /* NUL */
    assert_int_equal(cssf_admin_url_decode("0123456789abcdef", 16, out, sizeof(out), 1), -1);
    assert_int_equal(cssf_admin_url_decode("0123456789abcde", 15, out, sizeof(out), 1), 15);
}

static void test_query(void **state) {
    (void)state;
    cssf_admin_query_t q;
    char why[128];
    assert_int_equal(
        cssf_admin_query_parse("state=active&label=floor%3A3&dry_run", &q, why, sizeof(why)), 0);
    assert_int_equal(q.n, 3);
    assert_string_equal(cssf_admin_query_get(&q, "label"), "floor:3");
    assert_string_equal(cssf_admin_query_get(&q, "dry_run"), "");
    assert_null(cssf_admin_query_get(&q, "group"));
    assert_int_equal(cssf_admin_query_parse(NULL, &q, why, sizeof(why)), 0);
    assert_int_equal(q.n, 0);
    assert_int_equal(cssf_admin_query_parse("&&a=1&", &q, why, sizeof(why)), 0);
    assert_int_equal(q.n, 1);
    assert_int_equal(cssf_admin_query_parse("a=1&a=2", &q, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "twice"));
    assert_int_equal(cssf_admin_query_parse("=1", &q, why, sizeof(why)), -1);
    assert_int_equal(cssf_admin_query_parse("a=%GG", &q, why, sizeof(why)), -1);
    char many[512] = "";
    for (int i = 0; i < 17; i++)
        sprintf(many + strlen(many), "k%d=v&", i);
    assert_int_equal(cssf_admin_query_parse(many, &q, why, sizeof(why)), -1);
    char longkey[64];
    memset(longkey, 'k', 40);
    strcpy(longkey + 40, "=1");
    assert_int_equal(cssf_admin_query_parse(longkey, &q, why, sizeof(why)), -1);
}

static void test_count(void **state) {
    (void)state;
    size_t v;
    assert_int_equal(cssf_admin_parse_count("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cssf_admin_parse_count("10", 10, &v), 0);
    assert_int_equal(cssf_admin_parse_count("11", 10, &v), -1);
    assert_int_equal(cssf_admin_parse_count("-1", 10, &v), -1);
    assert_int_equal(cssf_admin_parse_count("1x", 10, &v), -1);
    assert_int_equal(cssf_admin_parse_count("", 10, &v), -1);
    assert_int_equal(cssf_admin_parse_count("99999999999999999999", (size_t)-1, &v), -1);
}

static void test_content_type(void **state) {
    (void)state;
    assert_true(cssf_admin_json_type("application/json"));
    assert_true(cssf_admin_json_type("Application/JSON; charset=utf-8"));
    assert_false(cssf_admin_json_type("application/jsonx"));
    assert_false(cssf_admin_json_type("text/plain"));
    assert_false(cssf_admin_json_type(NULL));
}

static void test_body(void **state) {
    (void)state;
    int status = 0;
    char why[256];
    const char *ct = "application/json";
    json_t *j = cssf_admin_parse_object("{\"a\":1}", 7, 100, ct, &status, why, sizeof(why));
    assert_non_null(j);
    json_decref(j);
    assert_null(cssf_admin_parse_object("{\"a\":1}", 7, 6, ct, &status, why, sizeof(why)));
    assert_int_equal(status, 413);
    assert_null(
        cssf_admin_parse_object("{\"a\":1}", 7, 100, "text/plain", &status, why, sizeof(why)));
    assert_int_equal(status, 415);
    assert_null(cssf_admin_parse_object("{\"a\":", 5, 100, ct, &status, why, sizeof(why)));
    assert_int_equal(status, 400);
    assert_non_null(strstr(why, "malformed JSON"));
    assert_null(cssf_admin_parse_object("[1]", 3, 100, ct, &status, why, sizeof(why)));
    assert_int_equal(status, 400);
    assert_null(
        cssf_admin_parse_object("{\"a\":1,\"a\":2}", 13, 100, ct, &status, why, sizeof(why)));
    assert_int_equal(status, 400); /* duplicate keys are ambiguous: refused */
    assert_null(cssf_admin_parse_object(NULL, 0, 100, ct, &status, why, sizeof(why)));
    assert_int_equal(status, 400);
    assert_null(cssf_admin_parse_object("{} {}", 5, 100, ct, &status, why, sizeof(why)));
    assert_int_equal(status, 400);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_decode), cmocka_unit_test(test_query),
        cmocka_unit_test(test_count),      cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
