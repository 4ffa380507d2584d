/* Many threads creating, updating, deleting, retrieving and discovering at
 * once with the SQLite store: the tree stays consistent (counters match the
 * children), every acknowledged write is in the store (a restart shows the
 * same tree), and nothing races (run it under ThreadSanitizer too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "cse_test_util.h"
#include "cse/core/tree.h"
#include "cse/plugin.h"
#include "cse/store/store.h"

#define THREADS 8
#define ROUNDS 150

/* cmocka assertions must stay on the main thread: workers count failures. */
static atomic_int failures;

static void expect_rsc(const test_resp_t *r, int a, int b, const char *what) {
    if (r->rsc != a && r->rsc != b) {
        fprintf(stderr, "%s: rsc %d %s\n", what, r->rsc, r->raw ? r->raw : "");
        atomic_fetch_add(&failures, 1);
    }
}

static void *worker(void *arg) {
    long id = (long)arg;
    char cnt[64], body[128];
    snprintf(cnt, sizeof(cnt), "/cse-in/app/c%ld", id % 3);
    for (int i = 0; i < ROUNDS; i++) {
        test_resp_t r;
        switch (i % 6) {
        case 0:
        case 1:
            snprintf(body, sizeof(body), "{\"m2m:cin\":{\"con\":\"%ld-%d\"}}", id, i);
            r = test_req(CSE_OP_CREATE, cnt, "CAdmin", 4, body, NULL);
            expect_rsc(&r, 2001, 2001, "create cin");
            break;
        case 2:
            snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"lbl\":[\"t%ld\"]}}", id);
            r = test_req(CSE_OP_UPDATE, cnt, "CAdmin", 0, body, NULL);
            expect_rsc(&r, 2004, 2004, "update");
            break;
        case 3:
            r = test_req(CSE_OP_DELETE, i % 12 == 3 ? "/cse-in/app/c0/ol" : "/cse-in/app/c1/la",
                         "CAdmin", 0, NULL, NULL);
            expect_rsc(&r, 2002, 4004, "delete la/ol");
            break;
        case 4:
            r = test_req(CSE_OP_RETRIEVE, "/cse-in/app", "CAdmin", 0, NULL, "fu=1&ty=4&lim=20");
            expect_rsc(&r, 2000, 2000, "discovery");
            break;
        default:
            snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"tmp%ld-%d\"}}", id, i);
            r = test_req(CSE_OP_CREATE, "/cse-in/app", "CAdmin", 3, body, NULL);
            expect_rsc(&r, 2001, 2001, "create cnt");
            test_resp_free(&r);
            snprintf(body, sizeof(body), "/cse-in/app/tmp%ld-%d", id, i);
            r = test_req(CSE_OP_DELETE, body, "CAdmin", 0, NULL, NULL);
            expect_rsc(&r, 2002, 2002, "delete cnt");
            break;
        }
        test_resp_free(&r);
    }
    return NULL;
}

/* cni/cbs of every container equal what its children say. */
static void check_counters(void) {
    cse_tree_rdlock();
    cse_res_t *app = cse_tree_by_path("cse-in/app", 10);
    assert_non_null(app);
    for (cse_res_t *c = app->first; c; c = c->next) {
        long n = 0, bytes = 0;
        for (cse_res_t *i = c->first; i; i = i->next) {
            n++;
            bytes += i->cs;
        }
        assert_int_equal(json_integer_value(json_object_get(c->attrs, "cni")), n);
        assert_int_equal(json_integer_value(json_object_get(c->attrs, "cbs")), bytes);
        assert_true(n <= 50);
    }
    cse_tree_unlock();
}

static char *snapshot(void) {
    test_resp_t r = test_req(CSE_OP_RETRIEVE, "/cse-in/app", "CAdmin", 0, NULL, "rcn=4");
    assert_int_equal(r.rsc, 2000);
    char *s = r.raw;
    r.raw = NULL;
    test_resp_free(&r);
    return s;
}

static void test_concurrent_mix(void **state) {
    (void)state;
    char dir[] = "/tmp/cse-conc-XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cse.db", dir);
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(test_core_start(st), 0);
    test_resp_t r =
        test_req(CSE_OP_CREATE, "/cse-in", "Capp", 2,
                 "{\"m2m:ae\":{\"rn\":\"app\",\"api\":\"Na\",\"rr\":true,\"srv\":[\"3\"]}}", NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    for (int i = 0; i < 3; i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"c%d\",\"mni\":50}}", i);
        r = test_req(CSE_OP_CREATE, "/cse-in/app", "CAdmin", 3, body, NULL);
        assert_int_equal(r.rsc, 2001);
        test_resp_free(&r);
    }
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&failures), 0);
    check_counters();
    char *before = snapshot();
    cse_core_shutdown();
    cse_store_close(st);

    st = cse_store_open(path, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(test_core_start(st), 0);
    check_counters();
    char *after = snapshot();
    assert_string_equal(before, after);
    free(before);
    free(after);
    cse_core_shutdown();
    cse_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
