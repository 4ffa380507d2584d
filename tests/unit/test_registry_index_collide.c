/* The registry's hash maps when whole 64-bit hashes collide: this file
 * compiles registry_index.c again (under other names) with a hash that
 * depends only on a key's first character, so keys that share it meet in
 * the collision lists below the last hash level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define cssf_hamt_get collide_hamt_get
#define cssf_hamt_put collide_hamt_put
#define cssf_hamt_del collide_hamt_del
#define cssf_hamt_ref collide_hamt_ref
#define cssf_hamt_release collide_hamt_release
#define cssf_hamt_build collide_hamt_build
/* 'a'..'d' differ in the lowest bits only: they part at the first level */
#define CSSF_HAMT_TEST_HASH(s) ((uint64_t)(unsigned char)(s)[0])
#include "../../plugin/data/registry_index.c"

#define KEYS 64
#define OPS 4000

typedef struct item {
    char key[16];
} item_t;

static const char *item_key(const void *v) {
    return ((const item_t *)v)->key;
}

static void check(const cssf_hnode_t *root, const item_t *items, const unsigned char *present) {
    for (size_t i = 0; i < KEYS; i++) {
        const void *got = cssf_hamt_get(root, items[i].key, item_key);
        if (present[i])
            assert_ptr_equal(got, &items[i]);
        else
            assert_null(got);
    }
    assert_null(cssf_hamt_get(root, "a-none", item_key));
}

static void test_full_collisions(void **state) {
    (void)state;
    static item_t items[KEYS];
    static unsigned char present[KEYS], before[KEYS];
    for (size_t i = 0; i < KEYS; i++)
        snprintf(items[i].key, sizeof(items[i].key), "%c-%zu", "abcd"[i % 4], i);
    uint64_t x = 7;
    cssf_hnode_t *root = NULL;
    for (size_t op = 0; op < OPS; op++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t i = x % KEYS;
        cssf_hnode_t *next = NULL, *prev = cssf_hamt_ref(root);
        memcpy(before, present, KEYS);
        if ((x >> 20) % 3) {
            assert_int_equal(cssf_hamt_put(root, &items[i], item_key, &next), 0);
            present[i] = 1;
        } else {
            int rc = cssf_hamt_del(root, items[i].key, item_key, &next);
            assert_int_equal(rc, present[i] ? 0 : 1);
            if (rc)
                next = cssf_hamt_ref(root);
            present[i] = 0;
        }
        cssf_hamt_release(root);
        root = next;
        check(root, items, present);
        check(prev, items, before); /* the previous version is untouched */
        cssf_hamt_release(prev);
    }
    cssf_hamt_release(root);
}

static void test_build_with_collisions(void **state) {
    (void)state;
    static item_t items[KEYS];
    static unsigned char present[KEYS];
    void *values[KEYS];
    for (size_t i = 0; i < KEYS; i++) {
        snprintf(items[i].key, sizeof(items[i].key), "%c-%zu", "abcd"[i % 4], i);
        values[i] = &items[i];
        present[i] = 1;
    }
    cssf_hnode_t *root = NULL, *next = NULL;
    assert_int_equal(cssf_hamt_build(values, KEYS, item_key, &root), 0);
    check(root, items, present);
    assert_int_equal(cssf_hamt_del(root, items[5].key, item_key, &next), 0);
    check(root, items, present);
    present[5] = 0;
    check(next, items, present);
    cssf_hamt_release(next);
    cssf_hamt_release(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_collisions),
        cmocka_unit_test(test_build_with_collisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
