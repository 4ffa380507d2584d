/* The registry under concurrent readers and a writer: readers never see a
 * change half applied (a device's PSK identity and SAN always move
 * together, the counts match the devices) and never touch freed memory
 * (run it under ASan: -DCSE_SANITIZE=ON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cse/plugin.h"
#include "plugin/data/registry.h"
#include "plugin/data/registry_internal.h"

#define PAIRS 32
#define READERS 3
#define SWAPS 20000 /* views published straight through cssf_registry_apply */
#define CHANGES 60  /* durable changes through the admin calls */

typedef struct shared {
    cssf_registry_t *r;
    atomic_int stop;
    atomic_long views, lookups;
    char failure[256];
    pthread_mutex_t lock;
} shared_t;

static void fail_once(shared_t *s, const char *what, size_t k) {
    pthread_mutex_lock(&s->lock);
    if (!s->failure[0])
        snprintf(s->failure, sizeof(s->failure), "%s (pair %zu)", what, k);
    pthread_mutex_unlock(&s->lock);
}

/* Device pair-k in variant b (0: a-k, 1: b-k); aaa so it needs no key. */
static json_t *pair_doc(size_t k, int b, int suspended, int aaa) {
    char id[32], aeid[32], ident[48], san[48];
    snprintf(id, sizeof(id), "pair-%02zu", k);
    snprintf(aeid, sizeof(aeid), "Cpair%02zu", k);
    snprintf(ident, sizeof(ident), "%c-%02zu@x", b ? 'b' : 'a', k);
    snprintf(san, sizeof(san), "urn:%c-%02zu", b ? 'b' : 'a', k);
    return json_pack("{s:s,s:[s],s:{s:{s:s},s:{s:s},s:b},s:s}", "id", id, "aeids", aeid,
                     "credentials", "psk", "identity", ident, "certificate", "san", san, "aaa", aaa,
                     "state", suspended ? "suspended" : "active");
}

static int count_one(const cssf_device_t *d, void *arg) {
    size_t *c = arg;
    c[0]++;
    c[1] += d->suspended != 0;
    return 0;
}

/* One view, checked whole: every pair consistent, counts right. */
static void check_view(shared_t *s, const cssf_regview_t *v) {
    for (size_t k = 0; k < PAIRS; k++) {
        char ia[32], ib[32], sa[32], sb[32], id[32];
        snprintf(ia, sizeof(ia), "a-%02zu@x", k);
        snprintf(ib, sizeof(ib), "b-%02zu@x", k);
        snprintf(sa, sizeof(sa), "urn:a-%02zu", k);
        snprintf(sb, sizeof(sb), "urn:b-%02zu", k);
        snprintf(id, sizeof(id), "pair-%02zu", k);
        const cssf_device_t *pa = cssf_registry_find(v, CSSF_REGIDX_PSK, ia);
        const cssf_device_t *pb = cssf_registry_find(v, CSSF_REGIDX_PSK, ib);
        const cssf_device_t *ca = cssf_registry_find(v, CSSF_REGIDX_SAN, sa);
        const cssf_device_t *cb = cssf_registry_find(v, CSSF_REGIDX_SAN, sb);
        const cssf_device_t *byid = cssf_registry_device(v, id);
        const cssf_device_t *d = pa ? pa : pb;
        if (pa && pb)
            fail_once(s, "both PSK identities of one device", k);
        if (pa != ca || pb != cb)
            fail_once(s, "PSK identity and SAN from different changes", k);
        if (d != byid)
            fail_once(s, "credential index and id index disagree", k);
        if (d && (strcmp(d->id, id) != 0 || d->naeids != 1 || d->aeids[0][0] != 'C'))
            fail_once(s, "a device that is not itself", k);
    }
    size_t c[2] = {0, 0};
    cssf_registry_each(v, count_one, c);
    if (c[0] != v->n || c[1] != v->suspended)
        fail_once(s, "counts do not match the devices", c[0]);
}

static void *reader(void *arg) {
    shared_t *s = arg;
    uint64_t x = (uint64_t)(uintptr_t)&x | 1;
    while (!atomic_load(&s->stop)) {
        cssf_regview_t *v = cssf_registry_view_acquire(s->r);
        if (!v) {
            fail_once(s, "no view", 0);
            break;
        }
        check_view(s, v);
        cssf_registry_view_release(v);
        atomic_fetch_add(&s->views, 1);
        /* the public lookups, each on its own view */
        for (int i = 0; i < 20; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t k = x % PAIRS;
            char ident[32], dev[CSSF_DEVICE_ID_MAX];
            uint8_t key[CSSF_PSK_MAX];
            size_t len;
            snprintf(ident, sizeof(ident), "%c-%02zu@x", (x >> 8) & 1 ? 'b' : 'a', k);
            int a = cssf_registry_psk(s->r, ident, key, sizeof(key), &len, dev, sizeof(dev));
            if (a == CSSF_REG_ERROR || a == CSSF_REG_MISMATCH)
                fail_once(s, "a PSK lookup failed", k);
            if (a != CSSF_REG_UNKNOWN && strncmp(dev, "pair-", 5) != 0)
                fail_once(s, "a PSK lookup named no device", k);
            atomic_fetch_add(&s->lookups, 1);
        }
    }
    return NULL;
}

/* Parses doc and publishes it as the change of pair k, straight. */
static void apply_direct(shared_t *s, size_t k, json_t *doc, int remove) {
    cssf_registry_t *r = s->r;
    char id[32], err[256];
    snprintf(id, sizeof(id), "pair-%02zu", k);
    pthread_mutex_lock(&r->write_lock);
    cssf_regview_t *v = cssf_registry_view_acquire(r);
    assert_non_null(v);
    const cssf_device_t *old = cssf_registry_device(v, id);
    cssf_device_t d;
    cssf_device_error_t e;
    assert_int_equal(cssf_device_parse(doc, "/id-in", &d, &e), 0);
    int rc = remove ? (old ? cssf_registry_apply(r, v, old, NULL, err, sizeof(err)) : 0)
                    : cssf_registry_apply(r, v, old, &d, err, sizeof(err));
    cssf_device_clear(&d);
    cssf_registry_view_release(v);
    pthread_mutex_unlock(&r->write_lock);
    assert_int_equal(rc, 0);
}

static void test_readers_during_changes(void **state) {
    (void)state;
    char dir[] = "/tmp/test_regconc_XXXXXX", db[64], keyf[64], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/cse.db", dir);
    snprintf(keyf, sizeof(keyf), "%s/master.key", dir);
    shared_t s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.lock, NULL);
    cssf_registry_options_t o = {db, keyf, "/id-in"};
    assert_int_equal(cssf_registry_open(&o, &s.r, err, sizeof(err)), 0);
    for (size_t k = 0; k < PAIRS; k++) {
        cssf_registry_result_t res;
        json_t *doc = pair_doc(k, 0, 0, 1);
        cssf_registry_create(s.r, doc, &res);
        json_decref(doc);
        assert_int_equal(res.status, CSSF_REG_CREATED);
        cssf_registry_result_clear(&res);
    }
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &s), 0);

    /* Many views in a short time: the reclamation under pressure. */
    uint64_t x = 42;
    int variant[PAIRS] = {0}, gone[PAIRS] = {0};
    for (int i = 0; i < SWAPS && !s.failure[0]; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t k = x % PAIRS;
        int op = (int)((x >> 16) % 4);
        if (op == 0) {
            gone[k] = !gone[k];
        } else {
            gone[k] = 0;
            variant[k] = op == 1 ? !variant[k] : variant[k];
        }
        json_t *doc = pair_doc(k, variant[k], op == 3, 1);
        apply_direct(&s, k, doc, gone[k]);
        json_decref(doc);
    }

    /* The full reload (start-up, rotation) under the same readers; the
     * direct changes never reached the store, so this puts every pair
     * back as created. */
    pthread_mutex_lock(&s.r->write_lock);
    assert_int_equal(cssf_registry_publish(s.r, err, sizeof(err)), 0);
    pthread_mutex_unlock(&s.r->write_lock);
    memset(gone, 0, sizeof(gone));

    /* Durable changes through the admin calls. */
    for (int i = 0; i < CHANGES && !s.failure[0]; i++) {
        size_t k = (size_t)i % PAIRS;
        char id[32];
        snprintf(id, sizeof(id), "pair-%02zu", k);
        cssf_registry_result_t res;
        json_t *doc = pair_doc(k, i % 3 == 0, 0, 1);
        if (gone[k]) {
            cssf_registry_create(s.r, doc, &res);
            assert_int_equal(res.status, CSSF_REG_CREATED);
            gone[k] = 0;
        } else if (i % 4 == 1) {
            cssf_registry_set_suspended(s.r, id, 1, &res);
            assert_int_equal(res.status, CSSF_REG_OK);
        } else if (i % 4 == 2) {
            cssf_registry_delete(s.r, id, &res);
            assert_int_equal(res.status, CSSF_REG_NO_CONTENT);
            gone[k] = 1;
        } else {
            cssf_registry_update(s.r, id, doc, 0, &res);
            assert_int_equal(res.status, CSSF_REG_OK);
        }
        json_decref(doc);
        cssf_registry_result_clear(&res);
    }
    atomic_store(&s.stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    if (s.failure[0])
        fail_msg("%s", s.failure);
    assert_true(atomic_load(&s.views) > 0);
    assert_true(atomic_load(&s.lookups) > 0);
    print_message("%ld views checked, %ld PSK lookups during %d swaps and %d changes\n",
                  (long)atomic_load(&s.views), (long)atomic_load(&s.lookups), SWAPS, CHANGES);

    /* What the changes left equals what the store gives back. */
    json_t *live = NULL, *stored = NULL;
    cssf_registry_filter_t all = {.limit = 1000};
    live = cssf_registry_list(s.r, &all);
    cssf_registry_close(s.r);
    assert_int_equal(cssf_registry_open(&o, &s.r, err, sizeof(err)), 0);
    stored = cssf_registry_list(s.r, &all);
    assert_non_null(live);
    assert_true(json_equal(live, stored));
    json_decref(live);
    json_decref(stored);
    cssf_registry_close(s.r);
    pthread_mutex_destroy(&s.lock);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A change of pair 0 on its own thread: suspend or resume in turn. */
typedef struct change_thread {
    cssf_registry_t *r;
    int suspended;
    atomic_int done;
} change_thread_t;

static void *change_pair0(void *arg) {
    change_thread_t *c = arg;
    cssf_registry_result_t res;
    cssf_registry_set_suspended(c->r, "pair-00", c->suspended, &res);
    cssf_registry_result_clear(&res);
    atomic_store(&c->done, 1);
    return NULL;
}

/*
 * The reader protocol step by step: a reader reads the epoch, stalls
 * while a change is published, then counts itself and loads the view but
 * has not yet taken its reference when the next change is published. That
 * change must wait for it (the view it loaded is the one being replaced);
 * once it takes its reference and leaves, the change completes and the
 * view stays usable until the reader releases it.
 */
static void test_stalled_reader_holds_back_the_writer(void **state) {
    (void)state;
    char dir[] = "/tmp/test_regstall_XXXXXX", db[64], keyf[64], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/cse.db", dir);
    snprintf(keyf, sizeof(keyf), "%s/master.key", dir);
    cssf_registry_options_t o = {db, keyf, "/id-in"};
    cssf_registry_t *r = NULL;
    assert_int_equal(cssf_registry_open(&o, &r, err, sizeof(err)), 0);
    cssf_registry_result_t res;
    json_t *doc = pair_doc(0, 0, 0, 1);
    cssf_registry_create(r, doc, &res);
    json_decref(doc);
    assert_int_equal(res.status, CSSF_REG_CREATED);
    cssf_registry_result_clear(&res);

    unsigned slot = atomic_load(&r->epoch) & 1; /* the reader reads the epoch ... */
    change_thread_t c1 = {.r = r, .suspended = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, change_pair0, &c1), 0);
    pthread_join(th, NULL);                  /* ... stalls through a change ... */
    atomic_fetch_add(&r->entering[slot], 1); /* ... counts itself, loads */
    cssf_regview_t *v = atomic_load(&r->view);
    change_thread_t c2 = {.r = r, .suspended = 0};
    assert_int_equal(pthread_create(&th, NULL, change_pair0, &c2), 0);
    usleep(200 * 1000);
    assert_int_equal(atomic_load(&c2.done), 0); /* the writer waits for it */
    atomic_fetch_add(&v->refs, 1);
    atomic_fetch_sub(&r->entering[slot], 1);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&c2.done), 1);
    /* the reader's view is the suspended one, and still whole */
    const cssf_device_t *d = cssf_registry_device(v, "pair-00");
    assert_non_null(d);
    assert_true(d->suspended);
    cssf_registry_view_release(v);
    char dev[CSSF_DEVICE_ID_MAX];
    assert_int_equal(cssf_registry_identity(r, CSE_ASSOC_DTLS_PSK, "a-00@x", dev, sizeof(dev)),
                     CSSF_REG_ACTIVE);
    cssf_registry_close(r);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readers_during_changes),
        cmocka_unit_test(test_stalled_reader_holds_back_the_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
