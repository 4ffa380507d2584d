/* Token verification end to end inside the plugin (plugin/authn/token_verify.c
 * with token_keys.c, token_oauth2.c and liboauth2): tokens signed here with
 * cjose against a local JWK set, at chosen times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/authn/token_verify.h"

#define NOW 1700000000
#define ISS "https://as.example"

typedef struct fixture {
    cssf_oauth2_t *rt;
    cjose_jwk_t *key, *other, *hmac, *das;
    char *pub_json, *das_json, *hmac_json;
} fixture_t;

static cjose_jwk_t *ec_key(const char *kid) {
    cjose_err err;
    cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
    assert_non_null(k);
    assert_true(cjose_jwk_set_kid(k, kid, strlen(kid), &err));
    return k;
}

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    char err[256];
    f->rt = cssf_oauth2_open(err, sizeof(err));
    assert_non_null(f->rt);
    f->key = ec_key("k1");
    f->other = ec_key("k1"); /* same kid, another key: a forger's */
    f->das = ec_key("das1");
    cjose_err cerr;
    static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";
    f->hmac = cjose_jwk_create_oct_spec(secret, sizeof(secret), &cerr);
    assert_true(cjose_jwk_set_kid(f->hmac, "h1", 2, &cerr));
    f->pub_json = cjose_jwk_to_json(f->key, false, &cerr);
    f->das_json = cjose_jwk_to_json(f->das, false, &cerr);
    f->hmac_json = cjose_jwk_to_json(f->hmac, true, &cerr);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    cjose_jwk_release(f->key);
    cjose_jwk_release(f->other);
    cjose_jwk_release(f->das);
    cjose_jwk_release(f->hmac);
    free(f->pub_json);
    free(f->das_json);
    free(f->hmac_json);
    cssf_oauth2_close(f->rt);
    free(f);
    return 0;
}

/* A compact JWS of payload, header {alg, typ, kid} (typ/kid NULL = absent). */
static char *sign(cjose_jwk_t *k, const char *alg, const char *typ, const char *kid,
                  const char *payload) {
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    cjose_header_set(h, "alg", alg, &err);
    if (typ)
        cjose_header_set(h, "typ", typ, &err);
    if (kid)
        cjose_header_set(h, "kid", kid, &err);
    cjose_jws_t *jws = cjose_jws_sign(k, h, (const uint8_t *)payload, strlen(payload), &err);
    assert_non_null(jws);
    const char *ser = NULL;
    assert_true(cjose_jws_export(jws, &ser, &err));
    char *out = strdup(ser);
    cjose_jws_release(jws);
    cjose_header_release(h);
    return out;
}

static char *claims(const char *sub, const char *aud, long exp, const char *scope) {
    char *out = malloc(512);
    snprintf(out, 512,
             "{\"iss\":\"" ISS "\",\"sub\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,\"iat\":%d,"
             "\"scope\":\"%s\"}",
             sub, aud, exp, NOW - 10, scope);
    return out;
}

static cssf_tokens_t *tokens(fixture_t *f, const char *extra) {
    char text[4096], err[256] = "";
    snprintf(text, sizeof(text),
             "{\"issuer\":\"" ISS "\",\"audience\":[\"urn:onem2m:cse\"],\"jwks\":{\"keys\":[%s]},"
             "\"clock_skew\":5,\"cache\":{\"max_entries\":4,\"max_ttl\":60},"
             "\"dynamic_authorization\":{\"issuer\":\"das\",\"jwks\":{\"keys\":[%s]}}%s}",
             f->pub_json, f->das_json, extra ? extra : "");
    json_t *section = json_loads(text, 0, NULL);
    assert_non_null(section);
    cssf_tokens_t *t = cssf_tokens_create(f->rt, section, "/id-in", NOW, err, sizeof(err));
    if (!t)
        fail_msg("tokens: %s", err);
    assert_int_equal(cssf_tokens_built_from(t, section), 1);
    json_decref(section);
    return t;
}

static int check(cssf_tokens_t *t, const char *token, long now, char *why) {
    cssf_token_result_t r;
    cssf_tokens_check_bearer(t, token, now, &r);
    snprintf(why, 192, "%s", r.reason);
    int st = r.status == CSSF_TOKEN_OK ? (r.cached ? 10 : 0) : r.status;
    if (r.status == CSSF_TOKEN_OK)
        assert_string_equal(json_string_value(json_object_get(r.claims, "sub")), "sensor-1");
    cssf_token_result_clear(&r);
    return st;
}

static void test_valid_then_cached_then_expired(void **state) {
    fixture_t *f = *state;
    cssf_tokens_t *t = tokens(f, NULL);
    char *c = claims("sensor-1", "urn:onem2m:cse", NOW + 100, "cse.read");
    char *tok = sign(f->key, "ES256", "at+jwt", "k1", c);
    char why[192];
    assert_int_equal(check(t, tok, NOW, why), 0);
    assert_int_equal(check(t, tok, NOW + 1, why), 10); /* from our cache */
    assert_int_equal(cssf_tokens_cached(t), 1);
    /* once exp (+ skew) has passed, the cached result is worth nothing */
    assert_int_equal(check(t, tok, NOW + 106, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "token expired");
    assert_int_equal(cssf_tokens_cached(t), 0);
    free(tok);
    free(c);
    cssf_tokens_release(t);
}

static void test_cache_entry_bounded_by_max_ttl(void **state) {
    fixture_t *f = *state;
    cssf_tokens_t *t = tokens(f, NULL);
    char *c = claims("sensor-1", "urn:onem2m:cse", NOW + 1000, "cse.read");
    char *tok = sign(f->key, "ES256", "at+jwt", "k1", c);
    char why[192];
    assert_int_equal(check(t, tok, NOW, why), 0);
    assert_int_equal(check(t, tok, NOW + 59, why), 10);
    assert_int_equal(check(t, tok, NOW + 60, why), 0); /* verified again after max_ttl */
    free(tok);
    free(c);
    cssf_tokens_release(t);
}

static void test_bad_tokens(void **state) {
    fixture_t *f = *state;
    cssf_tokens_t *t = tokens(f, NULL);
    char why[192];
    static const struct {
        const char *sub, *aud;
        long exp;
        const char *alg, *typ, *kid;
        int forged;
        const char *why;
    } cases[] = {
        {"sensor-1", "urn:example:other", NOW + 100, "ES256", "at+jwt", "k1", 0, "wrong audience"},
        {"sensor-1", "urn:onem2m:cse", NOW - 100, "ES256", "at+jwt", "k1", 0, "token expired"},
        {"sensor-1", "urn:onem2m:cse", NOW + 100, "ES256", "at+jwt", "k1", 1, "bad signature"},
        {"sensor-1", "urn:onem2m:cse", NOW + 100, "ES256", "at+jwt", "k2", 0,
         "unknown signing key"},
        {"sensor-1", "urn:onem2m:cse", NOW + 100, "ES256", NULL, "k1", 0,
         "token type (typ) missing"},
        {"sensor-1", "urn:onem2m:cse", NOW + 100, "ES256", "id_token", "k1", 0,
         "wrong token type (typ)"},
        {"", "urn:onem2m:cse", NOW + 100, "ES256", "at+jwt", "k1", 0, "names no subject"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *c = claims(cases[i].sub, cases[i].aud, cases[i].exp, "s");
        char *tok =
            sign(cases[i].forged ? f->other : f->key, cases[i].alg, cases[i].typ, cases[i].kid, c);
        assert_int_equal(check(t, tok, NOW, why), CSSF_TOKEN_INVALID);
        if (!strstr(why, cases[i].why))
            fail_msg("case %zu: %s", i, why);
        free(tok);
        free(c);
    }
    /* no exp at all: liboauth2 would accept it, the plugin does not */
    char *tok = sign(f->key, "ES256", "at+jwt", "k1",
                     "{\"iss\":\"" ISS "\",\"sub\":\"sensor-1\",\"aud\":\"urn:onem2m:cse\"}");
    assert_int_equal(check(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "token has no expiry (exp)");
    free(tok);
    /* wrong issuer, right key */
    tok = sign(f->key, "ES256", "at+jwt", "k1",
               "{\"iss\":\"https://evil\",\"sub\":\"sensor-1\",\"aud\":\"urn:onem2m:cse\","
               "\"exp\":1700000100}");
    assert_int_equal(check(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "wrong issuer");
    free(tok);
    /* alg none, and HS256 made from the public key */
    assert_int_equal(check(t, "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.", NOW, why),
                     CSSF_TOKEN_INVALID);
    assert_string_equal(why, "unsigned token (alg none)");
    cjose_err err;
    cjose_jwk_t *confused =
        cjose_jwk_create_oct_spec((const uint8_t *)f->pub_json, strlen(f->pub_json), &err);
    char *c = claims("sensor-1", "urn:onem2m:cse", NOW + 100, "s");
    tok = sign(confused, "HS256", "at+jwt", "k1", c);
    assert_int_equal(check(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "token algorithm not accepted");
    free(tok);
    free(c);
    cjose_jwk_release(confused);
    /* shapes */
    assert_int_equal(check(t, "not a token", NOW, why), CSSF_TOKEN_INVALID);
    assert_int_equal(check(t, "a.b.c.d.e", NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "encrypted tokens are not supported");
    assert_int_equal(check(t, "opaque", NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "opaque tokens need an introspection endpoint");
    assert_int_equal(cssf_tokens_cached(t), 0); /* denials are never cached */
    cssf_tokens_release(t);
}

/* The cached path holds a token to nbf as the first check did
 * (from the integers its entry kept), and a token one byte off a cached
 * one is no hit: it is verified and its signature fails. */
static void test_cached_checks(void **state) {
    fixture_t *f = *state;
    cssf_tokens_t *t = tokens(f, NULL);
    char why[192];
    char *tok = sign(f->key, "ES256", "at+jwt", "k1",
                     "{\"iss\":\"" ISS "\",\"sub\":\"sensor-1\",\"aud\":\"urn:onem2m:cse\","
                     "\"exp\":1700000100,\"nbf\":1699999990,\"iat\":1699999980}");
    assert_int_equal(check(t, tok, NOW, why), 0);
    assert_int_equal(check(t, tok, NOW, why), 10);
    /* a clock stepped back to before nbf (beyond the 5 s skew) */
    assert_int_equal(check(t, tok, 1699999984, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "token not yet valid (nbf)");
    assert_int_equal(check(t, tok, NOW, why), 10); /* the entry stays */
    size_t len = strlen(tok);
    char *other = strdup(tok);
    other[len - 2] = other[len - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(check(t, other, NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "bad signature");
    other[len - 2] = '\0'; /* a prefix of the cached token */
    assert_int_equal(check(t, other, NOW, why), CSSF_TOKEN_INVALID);
    assert_int_equal(check(t, NULL, NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "malformed token");
    assert_int_equal(check(t, "", NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "malformed token");
    assert_int_equal(cssf_tokens_cached(t), 1);
    free(other);
    free(tok);
    cssf_tokens_release(t);
}

static void test_symmetric_local_key(void **state) {
    fixture_t *f = *state;
    char text[2048], err[256];
    snprintf(text, sizeof(text),
             "{\"issuer\":\"" ISS "\",\"audience\":\"urn:onem2m:cse\",\"jwks\":{\"keys\":[%s]},"
             "\"algorithms\":[\"HS256\"]}",
             f->hmac_json);
    json_t *section = json_loads(text, 0, NULL);
    cssf_tokens_t *t = cssf_tokens_create(f->rt, section, "/id-in", NOW, err, sizeof(err));
    if (!t)
        fail_msg("%s", err);
    json_decref(section);
    char *c = claims("sensor-1", "urn:onem2m:cse", NOW + 100, "s");
    char *tok = sign(f->hmac, "HS256", "JWT", "h1", c);
    char why[192];
    assert_int_equal(check(t, tok, NOW, why), 0);
    free(tok);
    tok = sign(f->key, "ES256", "JWT", "h1", c);
    assert_int_equal(check(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    free(tok);
    free(c);
    cssf_tokens_release(t);
}

static int check_m2m(cssf_tokens_t *t, const char *tok, long now, char *why) {
    cssf_token_result_t r;
    cssf_tokens_check_m2m(t, tok, strlen(tok), now, &r);
    snprintf(why, 192, "%s", r.reason);
    int st = r.status;
    cssf_token_result_clear(&r);
    return st;
}

static void test_m2m_tokens(void **state) {
    fixture_t *f = *state;
    cssf_tokens_t *t = tokens(f, NULL);
    char why[192];
    const char *ok = "{\"iss\":\"das\",\"tkid\":\"t1\",\"tkhd\":\"Cmeter\",\"aud\":[\"/id-*\"],"
                     "\"tknb\":\"20231114T221300\",\"tkna\":\"20231114T223000\","
                     "\"tkps\":{\"pm\":[]}}";
    char *tok = sign(f->das, "ES256", "JWT", "das1", ok);
    assert_int_equal(check_m2m(t, tok, NOW, why), CSSF_TOKEN_OK);
    assert_int_equal(check_m2m(t, tok, NOW + 1, why), CSSF_TOKEN_OK);
    assert_int_equal(check_m2m(t, tok, NOW + 2000, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "token expired");
    /* a bearer token is not a oneM2M token, nor the other way round */
    assert_int_equal(check(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    free(tok);
    tok = sign(f->key, "ES256", "JWT", "das1", ok); /* not the DAS key */
    assert_int_equal(check_m2m(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    free(tok);
    tok = sign(f->das, "ES256", "JWT", "das1",
               "{\"iss\":\"das\",\"aud\":\"/id-mn\",\"exp\":1700000100}");
    assert_int_equal(check_m2m(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "wrong audience");
    free(tok);
    tok = sign(f->das, "ES256", "JWT", "das1",
               "{\"iss\":\"other\",\"aud\":\"/id-in\",\"exp\":1700000100}");
    assert_int_equal(check_m2m(t, tok, NOW, why), CSSF_TOKEN_INVALID);
    assert_string_equal(why, "wrong issuer");
    free(tok);
    assert_int_equal(check_m2m(t, "x", NOW, why), CSSF_TOKEN_INVALID);
    cssf_tokens_release(t);
}

static void test_create_errors(void **state) {
    fixture_t *f = *state;
    char err[256];
    static const char *const bad[] = {
        "{\"issuer\":\"i\",\"audience\":\"a\",\"jwks\":{\"keys\":[{\"kty\":\"EC\"}]}}",
        "{\"issuer\":\"i\",\"audience\":\"a\",\"jwks\":{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\","
        "\"e\":\"AQAB\",\"use\":\"enc\"}]}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *s = json_loads(bad[i], 0, NULL);
        assert_null(cssf_tokens_create(f->rt, s, "/id-in", NOW, err, sizeof(err)));
        assert_non_null(strstr(err, "jwks"));
        json_decref(s);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_then_cached_then_expired),
        cmocka_unit_test(test_cache_entry_bounded_by_max_ttl),
        cmocka_unit_test(test_bad_tokens),
        cmocka_unit_test(test_cached_checks),
        cmocka_unit_test(test_symmetric_local_key),
        cmocka_unit_test(test_m2m_tokens),
        cmocka_unit_test(test_create_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
