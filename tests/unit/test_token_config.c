/* The policy's tokens section: plugin/authn/token_config.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/authn/token_config.h"

#define BASE "\"issuer\":\"https://as\",\"audience\":\"urn:onem2m:cse\""
#define KEY "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"x\",\"y\":\"y\"}]}"
#define OCT "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"

static cssf_token_config_t *parse(const char *text, char *err) {
    json_t *j = json_loads(text, 0, NULL);
    if (!j)
        fail_msg("bad test JSON: %s", text);
    cssf_token_config_t *c = cssf_token_config_parse(j, err, 256);
    json_decref(j);
    return c;
}

static void test_defaults(void **state) {
    (void)state;
    char err[256];
    cssf_token_config_t *c = parse("{" BASE ",\"jwks_uri\":\"https://as/jwks\"}", err);
    assert_non_null(c);
    assert_int_equal(c->has_bearer, 1);
    assert_int_equal(c->has_das, 0);
    assert_string_equal(c->issuer, "https://as");
    assert_int_equal(c->audiences.n, 1);
    assert_string_equal(c->jwks_uri, "https://as/jwks");
    assert_int_equal(c->algorithms.n, 5);
    assert_string_equal(c->algorithms.v[0], "ES256");
    assert_int_equal(c->types.n, 2);
    assert_int_equal(c->clock_skew, 30);
    assert_int_equal(c->cache_max_entries, 10000);
    assert_int_equal(c->cache_max_ttl, 300);
    assert_int_equal(c->jwks_min_refresh, 10);
    assert_int_equal(c->jwks_max_age, 3600);
    assert_int_equal(c->http_timeout, 3);
    assert_null(c->introspection_url);
    assert_null(c->admin_scope);
    assert_null(cssf_token_config_aeids(c, "x"));
    cssf_token_config_free(c);
}

static void test_full(void **state) {
    (void)state;
    char err[256];
    cssf_token_config_t *c = parse(
        "{" BASE ",\"description\":\"d\",\"jwks\":" KEY ","
        "\"introspection\":{\"endpoint\":\"http://127.0.0.1:1/i\",\"client_id\":\"cse\","
        "\"client_secret\":\"s\",\"auth\":\"client_secret_post\",\"interval\":0},"
        "\"algorithms\":[\"ES256\"],\"types\":[\"at+jwt\"],\"clock_skew\":0,"
        "\"cache\":{\"max_entries\":1,\"max_ttl\":1},\"jwks_refresh\":{\"min_interval\":0,"
        "\"max_age\":60},\"http_timeout\":60,\"subjects\":{\"s1\":[\"C1\",\"C1-*\"],\"s2\":\"C2\"},"
        "\"admins\":[\"ops\"],\"admin_scope\":\"cssf.admin\",\"scopes\":{\"r\":{\"ops\":["
        "\"RETRIEVE\"]}},"
        "\"dynamic_authorization\":{\"issuer\":\"das\",\"jwks\":" OCT
        ",\"algorithms\":[\"HS256\"]}}",
        err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->auth_post, 1);
    assert_int_equal(c->introspection_interval, 0);
    assert_string_equal(c->client_secret, "s");
    assert_int_equal(c->cache_max_entries, 1);
    const cssf_strlist_t *ids = cssf_token_config_aeids(c, "s1");
    assert_non_null(ids);
    assert_int_equal(ids->n, 2);
    assert_string_equal(cssf_token_config_aeids(c, "s2")->v[0], "C2");
    assert_int_equal(c->admins.n, 1);
    assert_string_equal(c->admin_scope, "cssf.admin");
    assert_int_equal(c->scopes.n, 1);
    assert_int_equal(c->has_das, 1);
    assert_string_equal(c->das_issuer, "das");
    assert_string_equal(c->das_algorithms.v[0], "HS256");
    cssf_token_config_free(c);
    /* nothing configured: every token will be refused */
    c = parse("{\"description\":\"later\"}", err);
    assert_non_null(c);
    assert_int_equal(c->has_bearer + c->has_das, 0);
    cssf_token_config_free(c);
    /* only dynamic authorization */
    c = parse("{\"dynamic_authorization\":{\"jwks\":" KEY "}}", err);
    assert_non_null(c);
    assert_int_equal(c->has_bearer, 0);
    assert_null(c->das_issuer);
    cssf_token_config_free(c);
}

static void test_errors(void **state) {
    (void)state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"[]", "tokens: expected an object"},
        {"{\"isuer\":\"x\"}", "tokens: unknown key 'isuer'"},
        {"{\"audience\":\"a\",\"jwks_uri\":\"https://x\"}", "tokens.issuer: expected a non-empty"},
        {"{\"issuer\":\"i\",\"jwks_uri\":\"https://x\"}", "tokens.audience: expected a list"},
        {"{" BASE "}", "give jwks_uri, jwks or introspection"},
        {"{" BASE ",\"jwks_uri\":\"ftp://x\"}", "tokens.jwks_uri: expected an http"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"jwks\":" KEY "}", "not both"},
        {"{" BASE ",\"jwks\":{\"keys\":[]}}", "tokens.jwks: expected a JWK set"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"algorithms\":[\"none\"]}",
         "tokens.algorithms[0]: alg none is never accepted"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"algorithms\":[\"ES256\",\"HS256\"]}",
         "tokens.algorithms[1]: HS256 needs a local symmetric key"},
        {"{" BASE ",\"jwks\":" KEY ",\"algorithms\":[\"HS256\"]}", "needs a local symmetric key"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"algorithms\":[\"EdDSA\"]}", "unknown algorithm"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"algorithms\":[]}", "tokens.algorithms: expected"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"clock_skew\":601}", "tokens.clock_skew"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"cache\":{\"max_entries\":0}}",
         "tokens.cache.max_entries"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"cache\":{\"size\":1}}", "unknown key 'size'"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"jwks_refresh\":{\"max_age\":1}}",
         "tokens.jwks_refresh.max_age"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"http_timeout\":\"3\"}", "tokens.http_timeout"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"subjects\":[]}", "tokens.subjects: expected"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"subjects\":{\"s\":[]}}", "tokens.subjects.s:"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"admins\":\"ops\"}", "tokens.admins"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"admin_scope\":[\"a\"]}",
         "tokens.admin_scope: expected a non-empty string"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"admin_scope\":\"a b\"}",
         "tokens.admin_scope: expected one scope"},
        {"{" BASE ",\"jwks_uri\":\"https://x\",\"scopes\":{\"a\":{}}}", "scopes.a.ops"},
        {"{" BASE ",\"introspection\":{\"endpoint\":\"https://x\"}}",
         "tokens.introspection.client_id"},
        {"{" BASE ",\"introspection\":{\"endpoint\":\"https://x\",\"client_id\":\"c\"}}",
         "exactly one of client_secret and client_secret_file"},
        {"{" BASE ",\"introspection\":{\"endpoint\":\"https://x\",\"client_id\":\"c\","
         "\"client_secret\":\"s\",\"auth\":\"private_key_jwt\"}}",
         "tokens.introspection.auth"},
        {"{" BASE ",\"introspection\":{\"endpoint\":\"https://x\",\"client_id\":\"c\","
         "\"client_secret_file\":\"/nonexistent/secret\"}}",
         "cannot open"},
        {"{\"dynamic_authorization\":{}}", "tokens.dynamic_authorization.jwks"},
        {"{\"dynamic_authorization\":{\"jwks\":" KEY ",\"keys\":1}}", "unknown key 'keys'"},
        {"{\"dynamic_authorization\":{\"jwks\":" KEY ",\"algorithms\":[\"HS256\"]}}",
         "needs a local symmetric key"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        cssf_token_config_t *c = parse(bad[i].text, err);
        if (c || !strstr(err, bad[i].why))
            fail_msg("case %zu: got '%s', want '%s'", i, err, bad[i].why);
    }
}

static void test_secret_file(void **state) {
    (void)state;
    char path[] = "/tmp/cssf-secret-XXXXXX", text[512], err[256] = "";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "from-file\n", 10), 10);
    close(fd);
    snprintf(text, sizeof(text),
             "{" BASE ",\"introspection\":{\"endpoint\":\"https://x\",\"client_id\":\"c\","
             "\"client_secret_file\":\"%s\"}}",
             path);
    cssf_token_config_t *c = parse(text, err);
    assert_non_null(c);
    assert_string_equal(c->client_secret, "from-file");
    assert_int_equal(c->auth_post, 0);
    assert_int_equal(c->introspection_interval, 30);
    cssf_token_config_free(c);
    chmod(path, 0644); /* readable by others: refused */
    assert_null(parse(text, err));
    assert_non_null(strstr(err, "chmod 600"));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_secret_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
