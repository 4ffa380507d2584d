/* The resource tree: maps, creation order, detach/reattach, transactions,
 * undo after a failed commit, expiry index, timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "cse_test_util.h"
#include "cse/core/clock.h"
#include "cse/core/commit.h"
#include "cse/core/tree.h"
#include "cse/core/txn.h"
#include "cse/plugin.h"

static cse_res_t *mk(int ty, const char *ri, const char *rn) {
    json_t *a = json_pack("{s:i,s:s,s:s}", "ty", ty, "ri", ri, "rn", rn);
    return cse_res_new(ty, ri, rn, a);
}

static int setup(void **state) {
    (void)state;
    return cse_tree_init();
}

static int teardown(void **state) {
    (void)state;
    cse_tree_destroy();
    return 0;
}

static void test_attach_lookup_order(void **state) {
    (void)state;
    cse_res_t *root = mk(5, "id-in", "cse-in");
    assert_int_equal(cse_tree_attach(NULL, root), 0);
    char ri[32], rn[32];
    for (int i = 0; i < 3000; i++) { /* forces the maps to grow */
        snprintf(ri, sizeof(ri), "r%d", i);
        snprintf(rn, sizeof(rn), "n%d", i);
        assert_int_equal(cse_tree_attach(root, mk(3, ri, rn)), 0);
    }
    assert_int_equal(cse_tree_count(), 3001);
    assert_ptr_equal(cse_tree_by_ri("r1234"), cse_tree_by_path("cse-in/n1234", 12));
    assert_string_equal(cse_tree_by_ri("r7")->path, "cse-in/n7");
    assert_null(cse_tree_by_path("cse-in/n1234x", 13));
    /* Lookup with an explicit length ignores what follows. */
    assert_non_null(cse_tree_by_path("cse-in/n12/la", 10));
    /* Duplicates refused. */
    cse_res_t *dup = mk(3, "r5", "other");
    assert_int_equal(cse_tree_attach(root, dup), -1);
    cse_res_free(dup);
    dup = mk(3, "fresh", "n5");
    assert_int_equal(cse_tree_attach(root, dup), -1);
    cse_res_free(dup);
    /* Children in creation order. */
    int i = 0;
    for (cse_res_t *c = root->first; c; c = c->next, i++) {
        snprintf(ri, sizeof(ri), "r%d", i);
        assert_string_equal(c->ri, ri);
    }
    assert_int_equal(root->nchildren, 3000);
}

static void test_detach_reattach(void **state) {
    (void)state;
    cse_res_t *root = mk(5, "id-in", "cse-in");
    cse_tree_attach(NULL, root);
    cse_res_t *a = mk(3, "a", "a"), *b = mk(3, "b", "b"), *c = mk(3, "c", "c");
    cse_tree_attach(root, a);
    cse_tree_attach(root, b);
    cse_tree_attach(root, c);
    cse_res_t *bb = mk(4, "bb", "bb");
    cse_tree_attach(b, bb);
    cse_res_t *prev = b->prev;
    cse_tree_detach(b);
    assert_null(cse_tree_by_ri("b"));
    assert_null(cse_tree_by_ri("bb"));
    assert_ptr_equal(a->next, c);
    assert_int_equal(root->nchildren, 2);
    cse_tree_reattach(root, prev, b);
    assert_ptr_equal(a->next, b);
    assert_ptr_equal(b->next, c);
    assert_ptr_equal(cse_tree_by_path("cse-in/b/bb", 11), bb);
    /* First child. */
    cse_tree_detach(a);
    assert_ptr_equal(root->first, b);
    cse_tree_reattach(root, NULL, a);
    assert_ptr_equal(root->first, a);
    assert_ptr_equal(a->next, b);
}

static void test_json_cache(void **state) {
    (void)state;
    cse_res_t *root = mk(5, "id-in", "cse-in");
    cse_tree_attach(NULL, root);
    cse_buf_t *b1 = cse_res_json(root);
    cse_buf_t *b2 = cse_res_json(root);
    assert_ptr_equal(b1, b2);
    assert_string_equal(b1->data, "{\"m2m:cb\":{\"ty\":5,\"ri\":\"id-in\",\"rn\":\"cse-in\"}}");
    assert_string_equal(b1->data + b1->inner_off, "{\"ty\":5,\"ri\":\"id-in\",\"rn\":\"cse-in\"}}");
    cse_txn_t t;
    cse_txn_init(&t);
    uint64_t rev = root->revision;
    cse_txn_modify(&t, root);
    json_object_set_new(root->attrs, "lbl", json_pack("[s]", "x"));
    cse_txn_changed(&t, root, 1);
    assert_true(root->revision > rev);
    cse_buf_t *b3 = cse_res_json(root);
    assert_ptr_not_equal(b3, b1);
    assert_non_null(strstr(b3->data, "\"lbl\":[\"x\"]"));
    /* The old text stays valid for whoever holds it. */
    assert_null(strstr(b1->data, "lbl"));
    assert_int_equal(t.nops, 1);
    assert_int_equal(t.ops[0].kind, CSE_STORE_PUT);
    assert_int_equal((int)t.ops[0].json_len, (int)strlen(t.ops[0].json) - 1);
    cse_txn_undo(&t);
    assert_null(json_object_get(root->attrs, "lbl"));
    cse_txn_finish(&t);
    cse_buf_unref(b1);
    cse_buf_unref(b2);
    cse_buf_unref(b3);
}

static void test_txn_undo_order(void **state) {
    (void)state;
    cse_res_t *root = mk(5, "id-in", "cse-in");
    cse_tree_attach(NULL, root);
    cse_res_t *a = mk(3, "a", "a");
    cse_tree_attach(root, a);
    cse_txn_t t;
    cse_txn_init(&t);
    /* add x under a, remove a (with x), add y: undo restores exactly. */
    assert_int_equal(cse_txn_add(&t, a, mk(4, "x", "x")), 0);
    cse_txn_remove(&t, a);
    assert_int_equal(cse_txn_add(&t, root, mk(3, "y", "y")), 0);
    assert_null(cse_tree_by_ri("a"));
    assert_int_equal(t.nops, 4); /* PUT x, DELETE x, DELETE a, PUT y */
    assert_int_equal(t.ops[1].kind, CSE_STORE_DELETE);
    assert_string_equal(t.ops[1].ri, "x");
    assert_string_equal(t.ops[2].ri, "a");
    cse_txn_undo(&t);
    cse_txn_finish(&t);
    assert_ptr_equal(cse_tree_by_ri("a"), a);
    assert_null(cse_tree_by_ri("x"));
    assert_null(cse_tree_by_ri("y"));
    assert_null(a->first);
    assert_int_equal(cse_tree_count(), 2);
}

static void test_expiry_index(void **state) {
    (void)state;
    cse_res_t *root = mk(5, "id-in", "cse-in");
    cse_tree_attach(NULL, root);
    const char *ets[] = {"20300101T000000", "20200101T000000", "20250101T000000"};
    for (int i = 0; i < 3; i++) {
        char ri[8];
        snprintf(ri, sizeof(ri), "e%d", i);
        json_t *a = json_pack("{s:s,s:s}", "rn", ri, "et", ets[i]);
        cse_tree_attach(root, cse_res_new(3, ri, ri, a));
    }
    int64_t t;
    assert_int_equal(cse_clock_parse("20260101T000000", &t), 0);
    size_t n;
    char **ris = cse_tree_take_expired(t, &n);
    assert_int_equal(n, 2);
    assert_string_equal(ris[0], "e1");
    assert_string_equal(ris[1], "e2");
    for (size_t i = 0; i < n; i++)
        free(ris[i]);
    free(ris);
    ris = cse_tree_take_expired(t, &n);
    assert_int_equal(n, 0);
    free(ris);
}

static void test_clock(void **state) {
    (void)state;
    int64_t us;
    char buf[CSE_TIME_LEN];
    assert_int_equal(cse_clock_parse("20240229T235959,123456", &us), 0);
    cse_clock_format(us, buf, sizeof(buf));
    assert_string_equal(buf, "20240229T235959,123456");
    assert_int_equal(cse_clock_parse("19700101T000000", &us), 0);
    assert_int_equal(us, 0);
    assert_int_equal(cse_clock_parse("19700101T000001,5", &us), 0);
    assert_int_equal(us, 1500000);
    assert_int_equal(cse_clock_parse("20240101T000000Z", &us), 0);
    const char *bad[] = {"",
                         "2024",
                         "20241301T000000",
                         "20240132T000000",
                         "20240101X000000",
                         "20240101T250000",
                         "20240101T000000,",
                         "20240101T000000,1234567",
                         "20240101T000000 ",
                         "2024010aT000000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cse_clock_parse(bad[i], &us), -1);
}

/* ---- commit failure through the pipeline ---- */

static int fail_commits;
static int fake_commit(cse_store_t *st, const cse_store_op_t *ops, size_t n) {
    (void)st;
    (void)ops;
    (void)n;
    return fail_commits ? -1 : 0;
}

static void test_failed_commit_undone(void **state) {
    (void)state;
    cse_tree_destroy(); /* the core makes its own tree */
    assert_int_equal(test_core_start(NULL), 0);
    static int dummy;
    cse_commit_stop();
    cse_commit_set_fn(fake_commit);
    assert_int_equal(cse_commit_start((cse_store_t *)&dummy), 0);
    test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3,
                             "{\"m2m:cnt\":{\"rn\":\"c\",\"mni\":2}}", NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    for (int i = 0; i < 2; i++) {
        r = test_req(CSE_OP_CREATE, "/cse-in/c", "CAdmin", 4, "{\"m2m:cin\":{\"con\":\"ok\"}}",
                     NULL);
        assert_int_equal(r.rsc, 2001);
        test_resp_free(&r);
    }
    fail_commits = 1;
    /* A create that would evict: refused with 5000, nothing changed. */
    r = test_req(CSE_OP_CREATE, "/cse-in/c", "CAdmin", 4, "{\"m2m:cin\":{\"con\":\"lost\"}}", NULL);
    assert_int_equal(r.rsc, 5000);
    test_resp_free(&r);
    r = test_req(CSE_OP_UPDATE, "/cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":[\"z\"]}}", NULL);
    assert_int_equal(r.rsc, 5000);
    test_resp_free(&r);
    r = test_req(CSE_OP_DELETE, "/cse-in/c", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 5000);
    test_resp_free(&r);
    fail_commits = 0;
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/c", "CAdmin", 0, NULL, "rcn=4");
    assert_int_equal(r.rsc, 2000);
    json_t *cnt = json_object_get(r.json, "m2m:cnt");
    assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), 2);
    assert_null(json_object_get(cnt, "lbl"));
    json_t *cins = json_object_get(cnt, "m2m:cin");
    assert_int_equal(json_array_size(cins), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cins, 1), "con")), "ok");
    test_resp_free(&r);
    cse_commit_set_fn(NULL);
    cse_core_shutdown();
    cse_tree_init(); /* for teardown */
}

/* ---- group commit ---- */

#define WRITERS 8
#define WRITES 25

static atomic_int slow_calls, slow_bad;
/* A slow disk: while one commit runs, the other writers queue up. Each
 * batch must hold the container's PUTs in the order cni grew. */
static int slow_commit(cse_store_t *st, const cse_store_op_t *ops, size_t n) {
    (void)st;
    usleep(3000);
    long last = -1;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].kind != CSE_STORE_PUT || ops[i].ty != 3)
            continue;
        json_t *j = json_loadb(ops[i].json, ops[i].json_len, 0, NULL);
        long cni = (long)json_integer_value(json_object_get(j, "cni"));
        json_decref(j);
        if (cni <= last)
            atomic_fetch_add(&slow_bad, 1);
        last = cni;
    }
    atomic_fetch_add(&slow_calls, 1);
    return 0;
}

static void *write_many(void *arg) {
    atomic_int *failed = arg;
    for (int i = 0; i < WRITES; i++) {
        test_resp_t r = test_req(CSE_OP_CREATE, "/cse-in/g", "CAdmin", 4,
                                 "{\"m2m:cin\":{\"con\":\"x\"}}", NULL);
        if (r.rsc != 2001)
            atomic_fetch_add(failed, 1);
        test_resp_free(&r);
    }
    return NULL;
}

static void test_group_commit_shares_commits(void **state) {
    (void)state;
    cse_tree_destroy();
    assert_int_equal(test_core_start(NULL), 0);
    static int dummy;
    cse_commit_stop();
    cse_commit_set_fn(slow_commit);
    assert_int_equal(cse_commit_start((cse_store_t *)&dummy), 0);
    test_resp_t r =
        test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, "{\"m2m:cnt\":{\"rn\":\"g\"}}", NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    pthread_t t[WRITERS];
    atomic_int failed = 0;
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, write_many, &failed), 0);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&failed), 0);
    assert_int_equal(atomic_load(&slow_bad), 0);
    cse_commit_stats_t s;
    cse_commit_stats(&s);
    assert_int_equal(s.txns, WRITERS * WRITES + 1);
    assert_int_equal(s.batches, atomic_load(&slow_calls));
    assert_true(s.max_batch > 1);
    assert_true(s.batches < s.txns); /* commits were shared */
    r = test_req(CSE_OP_RETRIEVE, "/cse-in/g", "CAdmin", 0, NULL, NULL);
    assert_int_equal(r.rsc, 2000);
    json_t *cnt = json_object_get(r.json, "m2m:cnt");
    assert_int_equal(json_integer_value(json_object_get(cnt, "cni")), WRITERS * WRITES);
    test_resp_free(&r);
    cse_commit_set_fn(NULL);
    cse_core_shutdown();
    cse_tree_init(); /* for teardown */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attach_lookup_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detach_reattach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_txn_undo_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_index, setup, teardown),
        cmocka_unit_test(test_clock),
        cmocka_unit_test_setup_teardown(test_failed_commit_undone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_shares_commits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
