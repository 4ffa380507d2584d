/* Parsed-resource cache: tests for plugin/authz/acp_cache.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "plugin/authz/acp_cache.h"

static const cssf_ids_t ids = {"/id-in", "sp.example"};

static cssf_res_t *res(const char *ri, uint64_t rev) {
    char json[128];
    snprintf(json, sizeof(json), "{\"ri\":\"%s\",\"ty\":1}", ri);
    cssf_res_t *r = cssf_res_parse(json, strlen(json), NULL, rev, &ids, NULL, 0);
    assert_non_null(r);
    return r;
}

static void test_put_find_remove(void **state) {
    (void)state;
    cssf_acp_cache_t *c = cssf_acp_cache_create(100);
    assert_null(cssf_acp_cache_find(c, "a"));
    cssf_res_t *a1 = res("a", 1);
    assert_int_equal(cssf_acp_cache_put(c, a1), 0);
    cssf_res_release(a1); /* the cache holds its own reference */
    cssf_res_t *got = cssf_acp_cache_find(c, "a");
    assert_ptr_equal(got, a1);
    assert_int_equal(got->revision, 1);
    /* replacing keeps the old copy alive for its reader */
    cssf_res_t *a2 = res("a", 2);
    assert_int_equal(cssf_acp_cache_put(c, a2), 0);
    cssf_res_release(a2);
    assert_int_equal(cssf_acp_cache_count(c), 1);
    assert_int_equal(got->revision, 1);
    assert_string_equal(got->ri, "a");
    cssf_res_release(got);
    got = cssf_acp_cache_find(c, "a");
    assert_int_equal(got->revision, 2);
    cssf_res_release(got);
    cssf_acp_cache_remove(c, "a");
    cssf_acp_cache_remove(c, "a");
    assert_null(cssf_acp_cache_find(c, "a"));
    assert_int_equal(cssf_acp_cache_count(c), 0);
    cssf_acp_cache_destroy(c);
    cssf_acp_cache_destroy(NULL);
}

static void test_grow_and_bound(void **state) {
    (void)state;
    cssf_acp_cache_t *c = cssf_acp_cache_create(5000);
    char ri[32];
    for (int i = 0; i < 5000; i++) { /* many resizes */
        snprintf(ri, sizeof(ri), "acp%d", i);
        cssf_res_t *r = res(ri, (uint64_t)i + 1);
        assert_int_equal(cssf_acp_cache_put(c, r), 0);
        cssf_res_release(r);
    }
    assert_int_equal(cssf_acp_cache_count(c), 5000);
    for (int i = 0; i < 5000; i += 97) {
        snprintf(ri, sizeof(ri), "acp%d", i);
        cssf_res_t *r = cssf_acp_cache_find(c, ri);
        assert_non_null(r);
        assert_int_equal(r->revision, (uint64_t)i + 1);
        cssf_res_release(r);
    }
    /* full: a new ri empties the cache first */
    cssf_res_t *r = res("one-more", 1);
    assert_int_equal(cssf_acp_cache_put(c, r), 0);
    cssf_res_release(r);
    assert_int_equal(cssf_acp_cache_count(c), 1);
    assert_null(cssf_acp_cache_find(c, "acp0"));
    cssf_acp_cache_destroy(c);
    /* a zero bound still holds one entry */
    c = cssf_acp_cache_create(0);
    r = res("x", 1);
    cssf_acp_cache_put(c, r);
    cssf_res_release(r);
    assert_int_equal(cssf_acp_cache_count(c), 1);
    cssf_acp_cache_destroy(c);
}

typedef struct shared {
    cssf_acp_cache_t *c;
    int stop;
    long reads;
} shared_t;

static void *reader(void *arg) {
    shared_t *s = arg;
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        cssf_res_t *r = cssf_acp_cache_find(s->c, "hot");
        if (r) {
            assert_string_equal(r->ri, "hot"); /* never freed under the reader */
            cssf_res_release(r);
        }
        __atomic_add_fetch(&s->reads, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Readers race a writer that keeps replacing and removing the entry. */
static void test_concurrent(void **state) {
    (void)state;
    shared_t s = {.c = cssf_acp_cache_create(100)};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, reader, &s);
    for (int i = 0; i < 3000; i++) {
        cssf_res_t *r = res("hot", (uint64_t)i);
        cssf_acp_cache_put(s.c, r);
        cssf_res_release(r);
        if (i % 7 == 0)
            cssf_acp_cache_remove(s.c, "hot");
    }
    /* On a loaded machine the readers may not have run yet: let them read
     * at least once before stopping, so the race is really exercised. */
    while (__atomic_load_n(&s.reads, __ATOMIC_RELAXED) < 3)
        sched_yield();
    __atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    assert_true(s.reads > 0);
    cssf_acp_cache_destroy(s.c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_find_remove),
        cmocka_unit_test(test_grow_and_bound),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
