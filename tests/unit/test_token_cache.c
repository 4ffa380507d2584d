/* The token result cache: plugin/authn/token_cache.c (bound, expiry, LRU, threads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "plugin/authn/token_cache.h"

static void key_of(int i, unsigned char key[CSSF_TOKEN_KEY_LEN]) {
    char token[32];
    snprintf(token, sizeof(token), "token-%d", i);
    cssf_token_cache_key(token, strlen(token), key);
}

static void put(cssf_token_cache_t *c, int i, int64_t expires, int64_t now) {
    unsigned char key[CSSF_TOKEN_KEY_LEN];
    key_of(i, key);
    json_t *claims = json_pack("{s:i}", "i", i);
    cssf_token_entry_t e = {.kind = 1, .claims = claims, .expires = expires, .checked = now};
    cssf_token_cache_put(c, key, &e, now);
    json_decref(claims);
}

/* The claim "i" of entry i, or -1 when it is not cached. */
static int get(cssf_token_cache_t *c, int i, int64_t now) {
    unsigned char key[CSSF_TOKEN_KEY_LEN];
    cssf_token_entry_t e;
    key_of(i, key);
    if (!cssf_token_cache_get(c, key, now, &e))
        return -1;
    int v = (int)json_integer_value(json_object_get(e.claims, "i"));
    json_decref(e.claims);
    return v;
}

static void test_key(void **state) {
    (void)state;
    unsigned char a[CSSF_TOKEN_KEY_LEN], b[CSSF_TOKEN_KEY_LEN];
    cssf_token_cache_key("abc", 3, a);
    /* SHA-256("abc") */
    static const unsigned char want[] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea};
    assert_memory_equal(a, want, sizeof(want));
    cssf_token_cache_key("abd", 3, b);
    assert_memory_not_equal(a, b, CSSF_TOKEN_KEY_LEN);
}

static void test_bound_and_lru(void **state) {
    (void)state;
    cssf_token_cache_t *c = cssf_token_cache_create(3);
    for (int i = 0; i < 3; i++)
        put(c, i, 1000, 0);
    assert_int_equal(cssf_token_cache_size(c), 3);
    assert_int_equal(get(c, 0, 1), 0); /* 0 is now the most recently used */
    put(c, 3, 1000, 2);                /* evicts 1, the least recently used */
    assert_int_equal(cssf_token_cache_size(c), 3);
    assert_int_equal(get(c, 1, 3), -1);
    assert_int_equal(get(c, 0, 3), 0);
    assert_int_equal(get(c, 2, 3), 2);
    assert_int_equal(get(c, 3, 3), 3);
    for (int i = 10; i < 100; i++)
        put(c, i, 1000, 4);
    assert_int_equal(cssf_token_cache_size(c), 3);
    assert_int_equal(get(c, 99, 5), 99);
    assert_int_equal(get(c, 96, 5), -1);
    cssf_token_cache_destroy(c);
}

static void test_never_outlives_expiry(void **state) {
    (void)state;
    cssf_token_cache_t *c = cssf_token_cache_create(10);
    put(c, 1, 100, 50);
    assert_int_equal(get(c, 1, 99), 1);
    assert_int_equal(get(c, 1, 100), -1); /* gone at its expiry, and removed */
    assert_int_equal(cssf_token_cache_size(c), 0);
    put(c, 2, 100, 100); /* already expired: not stored */
    put(c, 3, 10, 100);
    assert_int_equal(cssf_token_cache_size(c), 0);
    cssf_token_cache_destroy(c);
}

static void test_replace_and_remove(void **state) {
    (void)state;
    cssf_token_cache_t *c = cssf_token_cache_create(10);
    unsigned char key[CSSF_TOKEN_KEY_LEN];
    key_of(7, key);
    json_t *a = json_pack("{s:s}", "v", "a"), *b = json_pack("{s:s}", "v", "b");
    cssf_token_entry_t e = {.kind = 2, .claims = a, .expires = 100, .checked = 5};
    cssf_token_cache_put(c, key, &e, 0);
    e.claims = b;
    e.checked = 9;
    cssf_token_cache_put(c, key, &e, 0);
    assert_int_equal(cssf_token_cache_size(c), 1);
    cssf_token_entry_t got;
    assert_int_equal(cssf_token_cache_get(c, key, 1, &got), 1);
    assert_string_equal(json_string_value(json_object_get(got.claims, "v")), "b");
    assert_int_equal(got.kind, 2);
    assert_int_equal(got.checked, 9);
    assert_int_equal(got.expires, 100);
    json_decref(got.claims);
    cssf_token_cache_remove(c, key);
    cssf_token_cache_remove(c, key);
    assert_int_equal(cssf_token_cache_get(c, key, 1, &got), 0);
    json_decref(a);
    json_decref(b);
    cssf_token_cache_destroy(c);
    cssf_token_cache_destroy(NULL);
}

static uint64_t same_hash(const char *token, size_t len) {
    (void)token;
    (void)len;
    return 42;
}

/* Every token has the same hash: lookups still tell them apart by the
 * full compare (same length, prefixes, one byte off). */
static void test_hash_collisions(void **state) {
    (void)state;
    cssf_token_cache_t *c = cssf_token_cache_create(10);
    cssf_token_cache_set_hash(c, same_hash);
    static const char *const tokens[] = {"eyJ.a.b", "eyJ.a.c", "eyJ.a.bc", "eyJ.a"};
    for (int i = 0; i < 4; i++) {
        json_t *claims = json_pack("{s:i}", "i", i);
        cssf_token_entry_t e = {.kind = 1, .claims = claims, .expires = 100, .checked = 0};
        cssf_token_cache_put_token(c, tokens[i], strlen(tokens[i]), &e, 0);
        json_decref(claims);
    }
    assert_int_equal(cssf_token_cache_size(c), 4);
    cssf_token_entry_t got;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cssf_token_cache_get_token(c, tokens[i], strlen(tokens[i]), 1, &got), 1);
        assert_int_equal(json_integer_value(json_object_get(got.claims, "i")), i);
        json_decref(got.claims);
    }
    assert_int_equal(cssf_token_cache_get_token(c, "eyJ.a.d", 7, 1, &got), 0);
    assert_int_equal(cssf_token_cache_get_token(c, "eyJ.", 4, 1, &got), 0);
    /* a length that cuts a stored token short is another token */
    assert_int_equal(cssf_token_cache_get_token(c, "eyJ.a.bc", 6, 1, &got), 0);
    cssf_token_cache_remove_token(c, "eyJ.a.b", 7);
    assert_int_equal(cssf_token_cache_get_token(c, "eyJ.a.b", 7, 1, &got), 0);
    assert_int_equal(cssf_token_cache_get_token(c, "eyJ.a.bc", 8, 1, &got), 1);
    assert_int_equal(json_integer_value(json_object_get(got.claims, "i")), 2);
    json_decref(got.claims);
    assert_int_equal(cssf_token_cache_size(c), 3);
    cssf_token_cache_destroy(c);
}

/* Entries keep the pre-extracted times and flags their owner gave. */
static void test_keeps_times(void **state) {
    (void)state;
    cssf_token_cache_t *c = cssf_token_cache_create(4);
    json_t *claims = json_object();
    cssf_token_entry_t e = {.kind = 1,
                            .claims = claims,
                            .expires = 100,
                            .checked = 3,
                            .times = {90, 10, 5},
                            .passed = 3};
    cssf_token_cache_put_token(c, "t", 1, &e, 0);
    json_decref(claims);
    cssf_token_entry_t got;
    assert_int_equal(cssf_token_cache_get_token(c, "t", 1, 50, &got), 1);
    assert_int_equal(got.times.exp, 90);
    assert_int_equal(got.times.nbf, 10);
    assert_int_equal(got.times.iat, 5);
    assert_int_equal(got.passed, 3);
    json_decref(got.claims);
    cssf_token_cache_destroy(c);
}

static void *hammer(void *arg) {
    cssf_token_cache_t *c = arg;
    for (int i = 0; i < 5000; i++) {
        put(c, i % 64, 1000, 0);
        int v = get(c, (i * 7) % 64, 1);
        if (v != -1 && v != (i * 7) % 64)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    cssf_token_cache_t *c = cssf_token_cache_create(32);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, c);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
    assert_true(cssf_token_cache_size(c) <= 32);
    cssf_token_cache_destroy(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_bound_and_lru),
        cmocka_unit_test(test_never_outlives_expiry),
        cmocka_unit_test(test_replace_and_remove),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_hash_collisions),
        cmocka_unit_test(test_keeps_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
