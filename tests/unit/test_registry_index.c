/* The registry's persistent indexes: the hash maps (registry_index.c) and
 * the ordered device set (registry_devset.c) against a plain model, with
 * every older version checked again after later changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/data/registry_devset.h"
#include "plugin/data/registry_index.h"

#define KEYS 600
#define OPS 3000
#define KEPT 40 /* versions kept and re-checked at the end */

typedef struct item {
    char key[24];
} item_t;

static const char *item_key(const void *v) {
    return ((const item_t *)v)->key;
}

static uint64_t rnd(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Every key of items is under root exactly when present[i]. */
static void check_map(const cssf_hnode_t *root, const item_t *items, const unsigned char *present) {
    for (size_t i = 0; i < KEYS; i++) {
        const void *got = cssf_hamt_get(root, items[i].key, item_key);
        if (present[i])
            assert_ptr_equal(got, &items[i]);
        else
            assert_null(got);
    }
    assert_null(cssf_hamt_get(root, "no-such-key", item_key));
    assert_null(cssf_hamt_get(root, NULL, item_key));
}

static void test_hamt_persistent(void **state) {
    (void)state;
    static item_t items[KEYS];
    static unsigned char present[KEYS], kept_present[KEPT][KEYS];
    cssf_hnode_t *kept[KEPT] = {0}, *root = NULL;
    for (size_t i = 0; i < KEYS; i++)
        snprintf(items[i].key, sizeof(items[i].key), "id-%zu@x", i);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t nkept = 0;
    for (size_t op = 0; op < OPS; op++) {
        size_t i = rnd(&x) % KEYS;
        cssf_hnode_t *next = NULL;
        if (rnd(&x) % 3) {
            assert_int_equal(cssf_hamt_put(root, &items[i], item_key, &next), 0);
            present[i] = 1;
        } else {
            int rc = cssf_hamt_del(root, items[i].key, item_key, &next);
            assert_int_equal(rc, present[i] ? 0 : 1);
            if (rc == 1)
                next = cssf_hamt_ref(root);
            present[i] = 0;
        }
        cssf_hamt_release(root);
        root = next;
        check_map(root, items, present);
        if (op % (OPS / KEPT) == 0 && nkept < KEPT) {
            kept[nkept] = cssf_hamt_ref(root);
            memcpy(kept_present[nkept++], present, KEYS);
        }
    }
    /* Every kept version still answers as it did when it was current. */
    for (size_t j = 0; j < nkept; j++)
        check_map(kept[j], items, kept_present[j]);
    for (size_t j = 0; j < nkept; j++)
        cssf_hamt_release(kept[j]);
    /* Empty it: the last delete gives an empty map. */
    for (size_t i = 0; i < KEYS; i++) {
        cssf_hnode_t *next = NULL;
        if (cssf_hamt_del(root, items[i].key, item_key, &next) == 0) {
            cssf_hamt_release(root);
            root = next;
        }
    }
    assert_null(root);
}

static void test_hamt_replace_and_empty(void **state) {
    (void)state;
    item_t a = {"same"}, b = {"same"}, c = {"other"};
    cssf_hnode_t *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
    assert_int_equal(cssf_hamt_del(NULL, "same", item_key, &r1), 1);
    assert_int_equal(cssf_hamt_put(NULL, &a, item_key, &r1), 0);
    assert_int_equal(cssf_hamt_put(r1, &b, item_key, &r2), 0);
    assert_ptr_equal(cssf_hamt_get(r1, "same", item_key), &a);
    assert_ptr_equal(cssf_hamt_get(r2, "same", item_key), &b);
    assert_int_equal(cssf_hamt_del(r2, "other", item_key, &r3), 1);
    assert_int_equal(cssf_hamt_put(r2, &c, item_key, &r3), 0);
    assert_int_equal(cssf_hamt_del(r3, "same", item_key, &r4), 0);
    assert_null(cssf_hamt_get(r4, "same", item_key));
    assert_ptr_equal(cssf_hamt_get(r4, "other", item_key), &c);
    assert_ptr_equal(cssf_hamt_get(r3, "same", item_key), &b);
    cssf_hamt_release(r1);
    cssf_hamt_release(r2);
    cssf_hamt_release(r3);
    cssf_hamt_release(r4);
}

static void test_hamt_build(void **state) {
    (void)state;
    static item_t items[KEYS];
    static unsigned char present[KEYS], all[KEYS];
    void *values[KEYS];
    size_t n = 0;
    for (size_t i = 0; i < KEYS; i++) {
        snprintf(items[i].key, sizeof(items[i].key), "build-%zu", i);
        all[i] = 1;
        if ((present[i] = i % 3 != 0))
            values[n++] = &items[i];
    }
    cssf_hnode_t *root = NULL, *next = NULL, *more = NULL;
    assert_int_equal(cssf_hamt_build(values, 0, item_key, &root), 0);
    assert_null(root);
    assert_int_equal(cssf_hamt_build(values, n, item_key, &root), 0);
    check_map(root, items, present);
    /* a built map changes like any other, and stays as built */
    assert_int_equal(cssf_hamt_put(root, &items[0], item_key, &next), 0);
    assert_int_equal(cssf_hamt_del(root, items[1].key, item_key, &more), 0);
    check_map(root, items, present);
    present[0] = 1;
    check_map(next, items, present);
    cssf_hamt_release(next);
    cssf_hamt_release(more);
    cssf_hamt_release(root);
    n = 0;
    for (size_t i = 0; i < KEYS; i++)
        values[n++] = &items[i];
    assert_int_equal(cssf_hamt_build(values, n, item_key, &root), 0);
    check_map(root, items, all);
    cssf_hamt_release(root);
}

/* A device with only an id (what the set looks at). */
static cssf_device_t dev_of(size_t i, const char *group) {
    cssf_device_t d;
    memset(&d, 0, sizeof(d));
    char id[32];
    snprintf(id, sizeof(id), "d-%04zu", i);
    d.id = strdup(id);
    d.group = group ? strdup(group) : NULL;
    return d;
}

struct walk {
    char last[32];
    size_t n;
};

static int walk_one(const cssf_device_t *d, void *arg) {
    struct walk *w = arg;
    if (w->n)
        assert_true(strcmp(w->last, d->id) < 0);
    snprintf(w->last, sizeof(w->last), "%s", d->id);
    w->n++;
    return 0;
}

static void check_set(const cssf_devnode_t *root, const unsigned char *present, size_t keys,
                      const char *const *groups) {
    size_t n = 0;
    for (size_t i = 0; i < keys; i++) {
        char id[32];
        snprintf(id, sizeof(id), "d-%04zu", i);
        const cssf_device_t *d = cssf_devset_get(root, id);
        if (!present[i]) {
            assert_null(d);
            continue;
        }
        n++;
        assert_non_null(d);
        assert_string_equal(d->id, id);
        if (groups)
            assert_string_equal(d->group ? d->group : "", groups[i] ? groups[i] : "");
    }
    struct walk w = {"", 0};
    assert_int_equal(cssf_devset_each(root, walk_one, &w), 0);
    assert_int_equal(w.n, n);
}

static void test_devset_persistent(void **state) {
    (void)state;
    enum { N = 400, ROUNDS = 2000 };
    static unsigned char present[N], before[N];
    static const char *groups[N];
    uint64_t x = 12345;
    cssf_devnode_t *root = NULL;
    for (size_t op = 0; op < ROUNDS; op++) {
        size_t i = rnd(&x) % N;
        cssf_devnode_t *next = NULL;
        cssf_devnode_t *old = cssf_devset_ref(root);
        memcpy(before, present, N);
        if (rnd(&x) % 3) {
            const char *g = op % 2 ? "odd" : "even";
            cssf_device_t d = dev_of(i, g);
            const cssf_device_t *stored = NULL;
            assert_int_equal(cssf_devset_put(root, &d, &next, &stored), 0);
            assert_null(d.id); /* taken over */
            assert_string_equal(stored->group, g);
            present[i] = 1;
            groups[i] = g;
        } else {
            char id[32];
            snprintf(id, sizeof(id), "d-%04zu", i);
            int rc = cssf_devset_del(root, id, &next);
            assert_int_equal(rc, present[i] ? 0 : 1);
            if (rc == 1)
                next = cssf_devset_ref(root);
            present[i] = 0;
        }
        cssf_devset_release(root);
        root = next;
        check_set(root, present, N, groups);
        /* the version before the change is intact (its groups may differ
         * where the change replaced a device, so ids only) */
        check_set(old, before, N, NULL);
        cssf_devset_release(old);
    }
    cssf_devset_release(root);
}

static void test_devset_build(void **state) {
    (void)state;
    enum { N = 1000 };
    static unsigned char present[N];
    cssf_device_t *devs = calloc(N, sizeof(*devs));
    assert_non_null(devs);
    /* not in id order: the build sorts */
    for (size_t i = 0; i < N; i++) {
        devs[i] = dev_of((i * 7919) % N, NULL);
        present[i] = 1;
    }
    cssf_devnode_t *root = NULL;
    assert_int_equal(cssf_devset_build(devs, N, &root), 0);
    check_set(root, present, N, NULL);
    cssf_devset_release(root);
    assert_int_equal(cssf_devset_build(NULL, 0, &root), 0);
    assert_null(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hamt_persistent), cmocka_unit_test(test_hamt_replace_and_empty),
        cmocka_unit_test(test_hamt_build),      cmocka_unit_test(test_devset_persistent),
        cmocka_unit_test(test_devset_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
