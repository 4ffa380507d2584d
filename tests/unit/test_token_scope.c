/* Token rights: scope mapping (plugin/authz/token_scope.c) and the
 * permissions of oneM2M dynamic-authorization tokens (token_scope_dynauth.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "cse/plugin.h"
#include "plugin/authz/token_scope.h"
#include "plugin/authz/token_scope_dynauth.h"

static json_t *J(const char *text) {
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void parse_ok(const char *text, cssf_scope_map_t *m) {
    json_t *j = J(text);
    char err[256] = "";
    assert_int_equal(cssf_scope_map_parse(j, m, err, sizeof(err)), 0);
    json_decref(j);
}

static void test_parse_errors(void **state) {
    (void)state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"[]", "scopes: expected an object"},
        {"{\"a\": 5}", "scopes.a: expected an object"},
        {"{\"a\": {\"under\": \"/x\"}}", "scopes.a.ops: expected a non-empty list"},
        {"{\"a\": {\"ops\": []}}", "scopes.a.ops: expected a non-empty list"},
        {"{\"a\": {\"ops\": [\"READ\"]}}", "unknown operation 'READ'"},
        {"{\"a\": {\"ops\": [1]}}", "unknown operation '(not a string)'"},
        {"{\"a\": {\"ops\": [\"CREATE\"], \"under\": \"cse-in\"}}", "scopes.a.under"},
        {"{\"a\": {\"ops\": [\"CREATE\"], \"under\": \"/a//b\"}}", "scopes.a.under"},
        {"{\"a\": {\"ops\": [\"CREATE\"], \"path\": \"/\"}}", "unknown key 'path'"},
        {"{\"a b\": {\"ops\": [\"CREATE\"]}}", "invalid scope name"},
        {"{\"\": {\"ops\": [\"CREATE\"]}}", "invalid scope name"},
        /* a bad name after a good scope: the good scope's grant is freed (ASan) */
        {"{\"a\": {\"ops\": [\"CREATE\"]}, \"b c\": {\"ops\": [\"CREATE\"]}}",
         "invalid scope name"},
        {"{\"a\": []}", "expected 1 to 256 grants"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = J(bad[i].text);
        cssf_scope_map_t m;
        char err[256] = "";
        assert_int_equal(cssf_scope_map_parse(j, &m, err, sizeof(err)), -1);
        assert_non_null(strstr(err, bad[i].why));
        assert_int_equal(m.n, 0);
        json_decref(j);
    }
    cssf_scope_map_t m;
    assert_int_equal(cssf_scope_map_parse(NULL, &m, NULL, 0), 0);
    assert_int_equal(m.n, 0);
}

static void test_path_under(void **state) {
    (void)state;
    assert_int_equal(cssf_scope_path_under("/cse-in", "cse-in"), 1);
    assert_int_equal(cssf_scope_path_under("/cse-in", "/cse-in/ae1"), 1);
    assert_int_equal(cssf_scope_path_under("/cse-in", "cse-inx"), 0);
    assert_int_equal(cssf_scope_path_under("/cse-in/ae1", "cse-in"), 0);
    assert_int_equal(cssf_scope_path_under("/", "anything/at/all"), 1);
    assert_int_equal(cssf_scope_path_under("/cse-in", NULL), 0);
}

static void test_permits(void **state) {
    (void)state;
    cssf_scope_map_t m;
    parse_ok("{\"cse.read\": {\"ops\": [\"RETRIEVE\", \"discovery\"], \"under\": \"/cse-in/\"},"
             " \"meter.write\": [{\"ops\": [\"CREATE\", \"UPDATE\"], \"under\": \"/cse-in/meter\"},"
             "                   {\"ops\": [\"DELETE\"], \"under\": \"/cse-in/meter/old\"}],"
             " \"all\": {\"ops\": [\"NOTIFY\"], \"description\": \"everywhere\"}}",
             &m);
    assert_int_equal(m.n, 4);
    char out[128];
    assert_int_equal(cssf_scope_permits(&m, "cse.read", CSE_OP_RETRIEVE, "cse-in/x", out, 128), 1);
    assert_string_equal(out, "scope=cse.read under=/cse-in");
    assert_int_equal(cssf_scope_permits(&m, "cse.read", CSE_OP_DISCOVERY, "cse-in", out, 128), 1);
    assert_int_equal(cssf_scope_permits(&m, "cse.read", CSE_OP_CREATE, "cse-in", out, 128), 0);
    assert_int_equal(cssf_scope_permits(&m, "cse.readx", CSE_OP_RETRIEVE, "cse-in", out, 128), 0);
    assert_int_equal(cssf_scope_permits(&m, "x cse.read y", CSE_OP_RETRIEVE, "cse-in", NULL, 0), 1);
    assert_int_equal(cssf_scope_permits(&m, "meter.write", CSE_OP_CREATE, "cse-in/meter", out, 128),
                     1);
    assert_int_equal(cssf_scope_permits(&m, "meter.write", CSE_OP_CREATE, "cse-in", out, 128), 0);
    assert_int_equal(cssf_scope_permits(&m, "meter.write", CSE_OP_DELETE, "cse-in/meter", out, 128),
                     0);
    assert_int_equal(
        cssf_scope_permits(&m, "meter.write", CSE_OP_DELETE, "cse-in/meter/old/a", out, 128), 1);
    assert_int_equal(cssf_scope_permits(&m, "all", CSE_OP_NOTIFY, "x/y", out, 128), 1);
    assert_string_equal(out, "scope=all under=/");
    assert_int_equal(cssf_scope_permits(&m, "", CSE_OP_NOTIFY, "x", out, 128), 0);
    assert_int_equal(cssf_scope_permits(&m, "all", 0, "x", out, 128), 0);
    assert_int_equal(cssf_scope_permits(&m, "all", 7, "x", out, 128), 0);
    cssf_scope_map_clear(&m);
}

static void test_from_claims(void **state) {
    (void)state;
    char out[32];
    json_t *c = J("{\"scope\": \"a b\"}");
    assert_int_equal(cssf_scope_from_claims(c, out, sizeof(out)), 3);
    assert_string_equal(out, "a b");
    json_decref(c);
    c = J("{\"scp\": [\"a\", \"b\", \"c\"]}");
    assert_int_equal(cssf_scope_from_claims(c, out, sizeof(out)), 5);
    assert_string_equal(out, "a b c");
    json_decref(c);
    c = J("{}");
    assert_int_equal(cssf_scope_from_claims(c, out, sizeof(out)), 0);
    json_decref(c);
    static const char *const bad[] = {
        "{\"scope\": 5}",
        "{\"scp\": \"a\"}",
        "{\"scp\": [\"a b\"]}",
        "{\"scp\": [1]}",
        "{\"scope\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = J(bad[i]);
        assert_int_equal(cssf_scope_from_claims(c, out, sizeof(out)), -1);
        assert_string_equal(out, "");
        json_decref(c);
    }
}

/* --- dynamic authorization ----------------------------------------------- */

static const cssf_ids_t ids = {"/id-in", "sp.example"};

static int decide(const char *claims, const char *originator, int op, int create_ty, char *out) {
    cse_resource_view_t target = {
        .version = 1, .ri = "cnt42", .path = "cse-in/meter/data", .ty = 3};
    cse_evt_authorize_t ev = {.version = 1,
                              .originator = originator,
                              .authenticated = 1,
                              .operation = op,
                              .create_ty = create_ty,
                              .target = &target};
    json_t *c = J(claims);
    int rc = cssf_dynauth_permits(c, &ids, &ev, out, 160);
    json_decref(c);
    return rc;
}

static void test_dynauth(void **state) {
    (void)state;
    char out[160];
    /* long names */
    const char *t1 = "{\"jti\":\"t1\",\"azp\":\"Cmeter\",\"permissions\":{\"pm\":["
                     "{\"ris\":[\"/cse-in/meter/data\"],\"pv\":{\"acr\":[{\"acop\":2}]}}]}}";
    assert_int_equal(decide(t1, "Cmeter", CSE_OP_RETRIEVE, 0, out), 1);
    assert_string_equal(out, "token=t1 pm=0 rule=0");
    assert_int_equal(decide(t1, "/id-in/Cmeter", CSE_OP_RETRIEVE, 0, out), 1); /* same AE */
    assert_int_equal(decide(t1, "Cmeter", CSE_OP_DELETE, 0, out), 0);
    assert_non_null(strstr(out, "no permission matches in token t1"));
    assert_int_equal(decide(t1, "Cother", CSE_OP_RETRIEVE, 0, out), 0);
    assert_non_null(strstr(out, "not the holder of token t1"));
    /* short names, target named by ri, explicit acor */
    const char *t2 = "{\"tkid\":\"t2\",\"tkhd\":\"Cmeter\",\"tkps\":{\"pm\":["
                     "{\"ris\":[\"other\"],\"pv\":{\"acr\":[{\"acop\":63}]}},"
                     "{\"ris\":[\"cnt42\"],\"pv\":{\"acr\":[{\"acor\":[\"Cnobody\"],\"acop\":63},"
                     "{\"acor\":[\"Cmeter\"],\"acop\":1}]}}]}}";
    assert_int_equal(decide(t2, "Cmeter", CSE_OP_CREATE, 4, out), 1);
    assert_string_equal(out, "token=t2 pm=1 rule=1");
    assert_int_equal(decide(t2, "Cmeter", CSE_OP_RETRIEVE, 0, out), 0);
    /* role-bound permissions are skipped; malformed ones deny */
    assert_int_equal(decide("{\"azp\":\"Cmeter\",\"tkps\":{\"pm\":[{\"ris\":[\"cnt42\"],"
                            "\"rids\":[\"r@x\"],\"pv\":{\"acr\":[{\"acop\":63}]}}]}}",
                            "Cmeter", CSE_OP_RETRIEVE, 0, out),
                     0);
    assert_int_equal(
        decide("{\"azp\":\"Cmeter\",\"tkps\":{\"pm\":[{\"pv\":{\"acr\":[{\"acop\":63}]}}]}}",
               "Cmeter", CSE_OP_RETRIEVE, 0, out),
        0);
    assert_int_equal(
        decide("{\"azp\":\"Cmeter\",\"tkps\":{\"pm\":[{\"ris\":[\"cnt42\"],\"pv\":5}]}}", "Cmeter",
               CSE_OP_RETRIEVE, 0, out),
        0);
    assert_int_equal(decide("{\"azp\":\"Cmeter\"}", "Cmeter", CSE_OP_RETRIEVE, 0, out), 0);
    assert_non_null(strstr(out, "no permissions"));
    assert_int_equal(decide("{\"tkps\":{}}", "Cmeter", CSE_OP_RETRIEVE, 0, out), 0);
    assert_non_null(strstr(out, "no holder"));
    json_t *c = J("{}");
    assert_string_equal(cssf_dynauth_token_id(c), "?");
    assert_null(cssf_dynauth_holder(c));
    json_decref(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_path_under),
        cmocka_unit_test(test_permits),      cmocka_unit_test(test_from_claims),
        cmocka_unit_test(test_dynauth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
