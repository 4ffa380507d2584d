/* Token parsing and claim checks: plugin/authn/token_jws.c and token_claims.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authn/token_claims.h"
#include "plugin/authn/token_jws.h"

#define NOW 1700000000

static json_t *J(const char *text) {
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

/* base64url of text without padding, into out. */
static void b64url(const char *text, char *out) {
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(text), o = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = al[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = al[v & 63];
    }
    out[o] = '\0';
}

static char *jws_of(const char *header, const char *payload, const char *sig) {
    char h[512], p[1024];
    b64url(header, h);
    b64url(payload, p);
    char *t = malloc(strlen(h) + strlen(p) + strlen(sig) + 3);
    sprintf(t, "%s.%s.%s", h, p, sig);
    return t;
}

static void test_form(void **state) {
    (void)state;
    assert_int_equal(cssf_token_form("a.b.c"), CSSF_TOKEN_JWS);
    assert_int_equal(cssf_token_form("a.b.c.d.e"), CSSF_TOKEN_JWE);
    assert_int_equal(cssf_token_form("N6UBQLBnqGtDrzAG"), CSSF_TOKEN_OPAQUE);
    assert_int_equal(cssf_token_form("abc+/~=="), CSSF_TOKEN_OPAQUE);
    assert_int_equal(cssf_token_form("a.b"), CSSF_TOKEN_OPAQUE);
    assert_int_equal(cssf_token_form(""), CSSF_TOKEN_MALFORMED);
    assert_int_equal(cssf_token_form(NULL), CSSF_TOKEN_MALFORMED);
    assert_int_equal(cssf_token_form("a b"), CSSF_TOKEN_MALFORMED);
    assert_int_equal(cssf_token_form("a\"b"), CSSF_TOKEN_MALFORMED);
    assert_int_equal(cssf_token_form("===="), CSSF_TOKEN_MALFORMED);
    assert_int_equal(cssf_token_form("a=b"), CSSF_TOKEN_MALFORMED); /* '=' only at the end */
    char *big = malloc(CSSF_TOKEN_MAX_LEN + 2);
    memset(big, 'a', CSSF_TOKEN_MAX_LEN + 1);
    big[CSSF_TOKEN_MAX_LEN + 1] = '\0';
    assert_int_equal(cssf_token_form(big), CSSF_TOKEN_MALFORMED);
    big[CSSF_TOKEN_MAX_LEN] = '\0';
    assert_int_equal(cssf_token_form(big), CSSF_TOKEN_OPAQUE);
    free(big);
}

static void test_b64url(void **state) {
    (void)state;
    unsigned char out[16];
    assert_int_equal(cssf_b64url_decode("aGk", 3, out, sizeof(out)), 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(cssf_b64url_decode("-_8", 3, out, sizeof(out)), 2);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(cssf_b64url_decode("aGk=", 4, out, sizeof(out)), -1); /* padding */
    assert_int_equal(cssf_b64url_decode("a+k", 3, out, sizeof(out)), -1);  /* base64, not url */
    assert_int_equal(cssf_b64url_decode("aGl", 3, out, sizeof(out)), -1);  /* stray bits */
    assert_int_equal(cssf_b64url_decode("a", 1, out, sizeof(out)), -1);
    assert_int_equal(cssf_b64url_decode("aGVsbG8", 7, out, 4), -1); /* does not fit */
    assert_int_equal(cssf_b64url_decode("", 0, out, sizeof(out)), 0);
}

static void test_jws_parse(void **state) {
    (void)state;
    cssf_jws_t jws;
    char err[128];
    char *t =
        jws_of("{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}", "{\"sub\":\"s\"}", "c2ln");
    assert_int_equal(cssf_jws_parse(t, strlen(t), &jws, err, sizeof(err)), 0);
    assert_string_equal(jws.alg, "ES256");
    assert_string_equal(jws.typ, "at+jwt");
    assert_string_equal(jws.kid, "k1");
    assert_int_equal(jws.has_kid, 1);
    assert_string_equal(json_string_value(json_object_get(jws.payload, "sub")), "s");
    cssf_jws_clear(&jws);
    free(t);

    /* alg none parses (the policy check refuses it with its own reason) */
    t = jws_of("{\"alg\":\"none\"}", "{}", "");
    assert_int_equal(cssf_jws_parse(t, strlen(t), &jws, err, sizeof(err)), 0);
    assert_string_equal(jws.alg, "none");
    assert_int_equal(jws.has_kid, 0);
    cssf_jws_clear(&jws);
    free(t);

    static const struct {
        const char *header, *payload, *sig, *why;
    } bad[] = {
        {"{\"typ\":\"JWT\"}", "{}", "", "no valid alg"},
        {"{\"alg\":5}", "{}", "", "no valid alg"},
        {"{\"alg\":\"\"}", "{}", "", "no valid alg"},
        {"{\"alg\":\"ES256\",\"typ\":1}", "{}", "", "typ"},
        {"{\"alg\":\"ES256\",\"kid\":[]}", "{}", "", "kid"},
        {"{\"alg\":\"ES256\",\"crit\":[\"b64\"]}", "{}", "", "critical"},
        {"{\"alg\":\"ES256\",\"alg\":\"none\"}", "{}", "", "header is not"}, /* duplicate */
        {"[1]", "{}", "", "header is not"},
        {"{\"alg\":\"ES256\"}", "[]", "", "payload is not"},
        {"{\"alg\":\"ES256\"}", "{\"a\":1,\"a\":2}", "", "payload is not"},
        {"{\"alg\":\"ES256\"}", "{}", "***", "signature"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = jws_of(bad[i].header, bad[i].payload, bad[i].sig);
        assert_int_equal(cssf_jws_parse(t, strlen(t), &jws, err, sizeof(err)), -1);
        assert_non_null(strstr(err, bad[i].why));
        assert_null(jws.header);
        free(t);
    }
    assert_int_equal(cssf_jws_parse("a.b", 3, &jws, err, sizeof(err)), -1);
    assert_int_equal(cssf_jws_parse("a.b.c.d", 7, &jws, err, sizeof(err)), -1);
    assert_int_equal(cssf_jws_parse("..", 2, &jws, err, sizeof(err)), -1);
    assert_int_equal(cssf_jws_parse("a\0b.c.d", 7, &jws, err, sizeof(err)), -1);
}

static void test_tkns_split(void **state) {
    (void)state;
    const char *s[CSSF_TOKEN_MAX_TKNS];
    size_t l[CSSF_TOKEN_MAX_TKNS];
    assert_int_equal(cssf_tkns_split("a.b.c+d.e.f", s, l, CSSF_TOKEN_MAX_TKNS), 2);
    assert_int_equal(l[0], 5);
    assert_memory_equal(s[1], "d.e.f", 5);
    assert_int_equal(cssf_tkns_split("a.b.c", s, l, CSSF_TOKEN_MAX_TKNS), 1);
    assert_int_equal(cssf_tkns_split("a++b", s, l, CSSF_TOKEN_MAX_TKNS), -1);
    assert_int_equal(cssf_tkns_split("a+", s, l, CSSF_TOKEN_MAX_TKNS), -1);
    assert_int_equal(cssf_tkns_split("", s, l, CSSF_TOKEN_MAX_TKNS), -1);
    assert_int_equal(cssf_tkns_split("a+b+c", s, l, 2), -1);
}

static void test_times(void **state) {
    (void)state;
    int64_t t;
    assert_int_equal(cssf_m2m_time_parse("20231114T221320", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(cssf_m2m_time_parse("20231114T221320,123456", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(cssf_m2m_time_parse("19700101T000000", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(cssf_m2m_time_parse("20240229T000000", &t), 0); /* leap day */
    assert_int_equal(cssf_m2m_time_parse("20230229T000000", &t), -1);
    assert_int_equal(cssf_m2m_time_parse("20231314T000000", &t), -1);
    assert_int_equal(cssf_m2m_time_parse("20231114 221320", &t), -1);
    assert_int_equal(cssf_m2m_time_parse("20231114T221320,", &t), -1);
    assert_int_equal(cssf_m2m_time_parse("20231114T2213", &t), -1);

    json_t *c = J("{\"exp\": 5, \"nbf\": 6.9, \"tkna\": \"19700101T000010\", \"x\": true, "
                  "\"y\": \"soon\"}");
    assert_int_equal(cssf_claim_time(c, "exp", NULL, &t), 1);
    assert_int_equal(t, 5);
    assert_int_equal(cssf_claim_time(c, "nbf", NULL, &t), 1);
    assert_int_equal(t, 6);
    assert_int_equal(cssf_claim_time(c, "absent", "tkna", &t), 1);
    assert_int_equal(t, 10);
    assert_int_equal(cssf_claim_time(c, "absent", NULL, &t), 0);
    assert_int_equal(cssf_claim_time(c, "x", NULL, &t), -1);
    assert_int_equal(cssf_claim_time(c, "y", NULL, &t), -1);
    json_decref(c);
}

static void test_audience(void **state) {
    (void)state;
    const char *want[] = {"urn:onem2m:cse", "/id-in"};
    json_t *c = J("{\"a\": \"urn:onem2m:cse\", \"b\": [\"x\", \"/id-in\"], \"c\": [\"x\"], "
                  "\"d\": 5, \"e\": [\"/id-*\"], \"f\": \"*\"}");
    assert_int_equal(cssf_claim_aud_matches(json_object_get(c, "a"), want, 2, 0), 1);
    assert_int_equal(cssf_claim_aud_matches(json_object_get(c, "b"), want, 2, 0), 1);
    assert_int_equal(cssf_claim_aud_matches(json_object_get(c, "c"), want, 2, 0), 0);
    assert_int_equal(cssf_claim_aud_matches(json_object_get(c, "d"), want, 2, 0), 0);
    assert_int_equal(cssf_claim_aud_matches(NULL, want, 2, 0), 0);
    /* patterns only when asked for: an AS's "*" never matches exactly */
    assert_int_equal(cssf_claim_aud_matches(json_object_get(c, "e"), want + 1, 1, 0), 0);
    assert_int_equal(cssf_claim_aud_matches(json_object_get(c, "e"), want + 1, 1, 1), 1);
    assert_int_equal(cssf_claim_aud_matches(json_object_get(c, "f"), want + 1, 1, 1), 0);
    json_decref(c);
}

static int check(const char *claims, const cssf_claim_rules_t *r, int64_t now, char *why) {
    json_t *c = J(claims);
    int rc = cssf_claims_check(c, r, now, NULL, why, 128);
    json_decref(c);
    return rc;
}

static void test_claims_check(void **state) {
    (void)state;
    const char *aud[] = {"urn:onem2m:cse"};
    cssf_claim_rules_t r = {"https://as", aud, 1, 0, 1, 30, NULL};
    char why[128];
    const char *ok = "{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100}";
    assert_int_equal(check(ok, &r, NOW, why), 0);
    json_t *c = J(ok);
    int64_t exp = 0;
    assert_int_equal(cssf_claims_check(c, &r, NOW, &exp, why, sizeof(why)), 0);
    assert_int_equal(exp, 1700000100);
    json_decref(c);
    /* exp: valid only before it (RFC 7519); the skew tolerates 30 s, no more */
    assert_int_equal(check(ok, &r, 1700000129, why), 0);
    assert_int_equal(check(ok, &r, 1700000130, why), -1);
    assert_string_equal(why, "token expired");
    static const struct {
        const char *claims, *why;
    } bad[] = {
        {"{\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100}", "token has no issuer (iss)"},
        {"{\"iss\":\"https://other\",\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100}",
         "wrong issuer"},
        {"{\"iss\":\"https://as\",\"exp\":1700000100}", "token has no audience (aud)"},
        {"{\"iss\":\"https://as\",\"aud\":[\"x\"],\"exp\":1700000100}", "wrong audience"},
        {"{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\"}", "token has no expiry (exp)"},
        {"{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\",\"exp\":\"x\"}",
         "malformed expiry (exp)"},
        {"{\"iss\":\"https://"
         "as\",\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100,\"nbf\":1700000031}",
         "token not yet valid (nbf)"},
        {"{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100,\"nbf\":[]}",
         "malformed not-before (nbf)"},
        {"{\"iss\":\"https://"
         "as\",\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100,\"iat\":1700000031}",
         "token issued in the future (iat)"},
        {"{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100,\"iat\":{}}",
         "malformed issue time (iat)"},
        {"{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\",\"exp\":-9223372036854775807}",
         "token expired"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(check(bad[i].claims, &r, NOW, why), -1);
        assert_string_equal(why, bad[i].why);
    }
    /* nbf and iat within the skew pass */
    assert_int_equal(check("{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\",\"exp\":1700000100,"
                           "\"nbf\":1700000030,\"iat\":1700000030}",
                           &r, NOW, why),
                     0);
    /* exp optional (introspection answers) */
    r.exp_required = 0;
    assert_int_equal(check("{\"iss\":\"https://as\",\"aud\":\"urn:onem2m:cse\"}", &r, NOW, why), 0);
    /* the oneM2M names */
    static const cssf_claim_names_t m2m = {"exp", "tkna", "nbf", "tknb"};
    const char *cse[] = {"/id-in"};
    cssf_claim_rules_t d = {NULL, cse, 1, 1, 1, 0, &m2m};
    assert_int_equal(check("{\"aud\":[\"/id-*\"],\"tkna\":\"20231114T221330\","
                           "\"tknb\":\"20231114T221300\"}",
                           &d, NOW, why),
                     0);
    assert_int_equal(check("{\"aud\":[\"/id-*\"],\"tkna\":\"20231114T221319\"}", &d, NOW, why), -1);
    assert_string_equal(why, "token expired");
    assert_int_equal(check("{\"aud\":\"/id-in\",\"tkna\":\"20231114T221330\","
                           "\"tknb\":\"20231114T221321\"}",
                           &d, NOW, why),
                     -1);
    assert_string_equal(why, "token not yet valid (nbf)");
    assert_int_equal(check("{\"aud\":\"/id-mn\",\"exp\":1700000100}", &d, NOW, why), -1);
    assert_string_equal(why, "wrong audience");
    assert_int_equal(check("[]", &d, NOW, why), -1);
}

/* The integer form of the time checks (what a cached result is held to),
 * and the times cssf_claims_check_times extracts for it. */
static void test_times_check(void **state) {
    (void)state;
    char why[64];
    cssf_claim_times_t t = {1000, 100, 50};
    assert_int_equal(cssf_claim_times_check(&t, 0, 999, why, sizeof(why)), 0);
    assert_int_equal(cssf_claim_times_check(&t, 0, 1000, why, sizeof(why)), -1);
    assert_string_equal(why, "token expired");
    assert_int_equal(cssf_claim_times_check(&t, 5, 1004, why, sizeof(why)), 0);
    assert_int_equal(cssf_claim_times_check(&t, 5, 1005, why, sizeof(why)), -1);
    assert_int_equal(cssf_claim_times_check(&t, 0, 99, why, sizeof(why)), -1);
    assert_string_equal(why, "token not yet valid (nbf)");
    assert_int_equal(cssf_claim_times_check(&t, 1, 99, why, sizeof(why)), 0);
    t = (cssf_claim_times_t){1000, INT64_MIN, 500};
    assert_int_equal(cssf_claim_times_check(&t, 0, 499, why, sizeof(why)), -1);
    assert_string_equal(why, "token issued in the future (iat)");
    t = (cssf_claim_times_t){INT64_MAX, INT64_MIN, INT64_MIN};
    assert_int_equal(cssf_claim_times_check(&t, 600, INT64_MAX - 600, why, sizeof(why)), 0);

    json_t *claims = json_pack("{s:s,s:i,s:i}", "aud", "a", "exp", 200, "nbf", 10);
    const char *aud[] = {"a"};
    cssf_claim_rules_t r = {.audiences = aud, .naudiences = 1, .exp_required = 1};
    cssf_claim_times_t got;
    assert_int_equal(cssf_claims_check_times(claims, &r, 100, &got, why, sizeof(why)), 0);
    assert_int_equal(got.exp, 200);
    assert_int_equal(got.nbf, 10);
    assert_true(got.iat == INT64_MIN);
    json_decref(claims);
}

static void test_subject_and_typ(void **state) {
    (void)state;
    json_t *c = J("{\"sub\":\"s1\",\"client_id\":\"c1\"}");
    assert_string_equal(cssf_claim_subject(c), "s1");
    json_decref(c);
    c = J("{\"sub\":\"\",\"client_id\":\"c1\"}");
    assert_string_equal(cssf_claim_subject(c), "c1");
    json_decref(c);
    c = J("{\"sub\":5}");
    assert_null(cssf_claim_subject(c));
    json_decref(c);
    const char *types[] = {"at+jwt", "JWT"};
    assert_int_equal(cssf_claim_typ_allowed("at+jwt", types, 2), 1);
    assert_int_equal(cssf_claim_typ_allowed("application/at+JWT", types, 2), 1);
    assert_int_equal(cssf_claim_typ_allowed("jwt", types, 2), 1);
    assert_int_equal(cssf_claim_typ_allowed("dpop+jwt", types, 2), 0);
    assert_int_equal(cssf_claim_typ_allowed("", types, 2), 0);
    assert_int_equal(cssf_claim_typ_allowed(NULL, types, 2), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form),         cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_jws_parse),    cmocka_unit_test(test_tkns_split),
        cmocka_unit_test(test_times),        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_claims_check), cmocka_unit_test(test_subject_and_typ),
        cmocka_unit_test(test_times_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
