/* Ordered group commit under failing commits: many writers (requests and
 * cse_resource_apply_all) while some store commits fail. The store is a
 * model that applies a batch only when its commit succeeds, so at the end
 * the tree must equal the model exactly (a failed batch undone, nothing
 * else lost, commits in the order the tree changed), every acknowledged
 * write must be in it and no refused one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "cse_test_util.h"
#include "cse/core/commit.h"
#include "cse/core/tree.h"
#include "cse/host.h"
#include "cse/plugin.h"

#define THREADS 6
#define ROUNDS 60
#define MAX_ROWS 4096

typedef struct row {
    char ri[64], pi[64];
    int ty;
    char *json;
} row_t;

static struct {
    pthread_mutex_t mu;
    row_t rows[MAX_ROWS];
    size_t n;
    long calls, failed;
} model = {.mu = PTHREAD_MUTEX_INITIALIZER};

static row_t *model_find(const char *ri) {
    for (size_t i = 0; i < model.n; i++)
        if (strcmp(model.rows[i].ri, ri) == 0)
            return &model.rows[i];
    return NULL;
}

/* A slow store whose every fifth commit fails; a successful one applies
 * all its operations in order. */
static int model_commit(cse_store_t *st, const cse_store_op_t *ops, size_t n) {
    (void)st;
    usleep(300);
    pthread_mutex_lock(&model.mu);
    int fail = model.calls++ % 5 == 3;
    model.failed += fail;
    for (size_t i = 0; i < n && !fail; i++) {
        row_t *r = model_find(ops[i].ri);
        if (ops[i].kind == CSE_STORE_DELETE) {
            if (r) {
                free(r->json);
                *r = model.rows[--model.n];
            }
            continue;
        }
        if (!r) {
            assert_true(model.n < MAX_ROWS);
            r = &model.rows[model.n++];
            snprintf(r->ri, sizeof(r->ri), "%s", ops[i].ri);
        } else {
            free(r->json);
        }
        snprintf(r->pi, sizeof(r->pi), "%s", ops[i].pi);
        r->ty = ops[i].ty;
        r->json = strndup(ops[i].json, ops[i].json_len);
    }
    pthread_mutex_unlock(&model.mu);
    return fail ? -1 : 0;
}

static int acked_cin[THREADS][ROUNDS];   /* rsc of each cin create, 0 = none */
static int applied_all[THREADS][ROUNDS]; /* rsc of each apply_all + 1, 0 = none */
static atomic_int unexpected;

static void *writer(void *arg) {
    long id = (long)arg;
    char cnt[64], body[160], err[256], rn[32], lbl[64];
    snprintf(cnt, sizeof(cnt), "/cse-in/app/c%ld", id % 3);
    for (int i = 0; i < ROUNDS; i++) {
        test_resp_t r;
        memset(&r, 0, sizeof(r));
        switch (i % 5) {
        case 0:
        case 1:
            snprintf(body, sizeof(body), "{\"m2m:cin\":{\"con\":\"%ld-%d\"}}", id, i);
            r = test_req(CSE_OP_CREATE, cnt, "CAdmin", 4, body, NULL);
            acked_cin[id][i] = r.rsc;
            if (r.rsc != 2001 && r.rsc != 5000)
                atomic_fetch_add(&unexpected, 1);
            break;
        case 2:
            snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"lbl\":[\"u%ld-%d\"]}}", id, i);
            r = test_req(CSE_OP_UPDATE, cnt, "CAdmin", 0, body, NULL);
            if (r.rsc != 2004 && r.rsc != 5000)
                atomic_fetch_add(&unexpected, 1);
            break;
        case 3: {
            /* An update, a create and, every other time, a change that
             * fails: all or nothing. */
            snprintf(rn, sizeof(rn), "x%ld-%d", id, i);
            snprintf(lbl, sizeof(lbl), "{\"lbl\":[\"a%ld-%d\"]}", id, i);
            const cse_resource_change_t ch[] = {
                {"cse-in/app", 3, cnt + strlen("/cse-in/app/"), lbl},
                {"cse-in/app", 3, rn, "{\"mni\":7}"},
                {"cse-in/none", 3, "y", "{}"}};
            size_t n = i % 10 == 3 ? 3 : 2;
            int rsc = cse_resource_apply_all(ch, n, NULL, err, sizeof(err));
            applied_all[id][i] = rsc + 1;
            if (rsc != 0 && rsc != 5000 && rsc != 4004)
                atomic_fetch_add(&unexpected, 1);
            break;
        }
        default:
            snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"tmp%ld-%d\"}}", id, i);
            r = test_req(CSE_OP_CREATE, "/cse-in/app", "CAdmin", 3, body, NULL);
            if (r.rsc == 2001) {
                test_resp_free(&r);
                snprintf(body, sizeof(body), "/cse-in/app/tmp%ld-%d", id, i);
                r = test_req(CSE_OP_DELETE, body, "CAdmin", 0, NULL, NULL);
                if (r.rsc != 2002 && r.rsc != 5000)
                    atomic_fetch_add(&unexpected, 1);
            } else if (r.rsc != 5000) {
                atomic_fetch_add(&unexpected, 1);
            }
            break;
        }
        test_resp_free(&r);
    }
    return NULL;
}

/* The stored form of r: its JSON without the counters a container keeps
 * in memory only (recomputed at start-up). */
static json_t *comparable(const char *json, size_t len, int ty) {
    json_t *j = json_loadb(json, len, 0, NULL);
    assert_non_null(j);
    if (ty == 3) {
        json_object_del(j, "cni");
        json_object_del(j, "cbs");
        json_object_del(j, "st");
    }
    return j;
}

/* Every resource of the subtree is in the model with the same JSON.
 * Returns how many there are. */
static size_t check_subtree(cse_res_t *r) {
    size_t n = 1;
    row_t *row = model_find(r->ri);
    if (!row)
        fprintf(stderr, "in memory, not stored: %s\n", r->path);
    assert_non_null(row);
    cse_buf_t *b = cse_res_json(r);
    json_t *mem = comparable(b->data + b->inner_off, b->len - b->inner_off - 1, r->ty);
    json_t *st = comparable(row->json, strlen(row->json), row->ty);
    if (!json_equal(mem, st)) {
        char *a = json_dumps(mem, JSON_COMPACT), *s = json_dumps(st, JSON_COMPACT);
        fprintf(stderr, "%s differs:\n memory %s\n stored %s\n", r->path, a, s);
        free(a);
        free(s);
    }
    assert_true(json_equal(mem, st));
    json_decref(mem);
    json_decref(st);
    cse_buf_unref(b);
    for (cse_res_t *c = r->first; c; c = c->next)
        n += check_subtree(c);
    return n;
}

static int model_has_con(const char *con) {
    char needle[64];
    snprintf(needle, sizeof(needle), "\"con\":\"%s\"", con);
    for (size_t i = 0; i < model.n; i++)
        if (model.rows[i].ty == 4 && strstr(model.rows[i].json, needle))
            return 1;
    return 0;
}

static void test_failing_commits_with_writers(void **state) {
    (void)state;
    assert_int_equal(test_core_start(NULL), 0);
    static int dummy;
    cse_commit_stop();
    cse_commit_set_fn(model_commit);
    assert_int_equal(cse_commit_start((cse_store_t *)&dummy), 0);
    /* The first commit succeeds: app and its containers are stored. */
    test_resp_t r =
        test_req(CSE_OP_CREATE, "/cse-in", "CAdmin", 3, "{\"m2m:cnt\":{\"rn\":\"app\"}}", NULL);
    assert_int_equal(r.rsc, 2001);
    test_resp_free(&r);
    for (int i = 0; i < 3; i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"c%d\"}}", i);
        do {
            test_resp_free(&r);
            r = test_req(CSE_OP_CREATE, "/cse-in/app", "CAdmin", 3, body, NULL);
        } while (r.rsc == 5000);
        assert_int_equal(r.rsc, 2001);
        test_resp_free(&r);
    }
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&unexpected), 0);
    cse_commit_stats_t s;
    cse_commit_stats(&s);

    pthread_mutex_lock(&model.mu);
    assert_true(model.failed > 0);
    assert_true(model.calls > model.failed);
    cse_tree_rdlock();
    cse_res_t *app = cse_tree_by_path("cse-in/app", 10);
    assert_non_null(app);
    /* Memory and store hold the same resources. */
    assert_int_equal(check_subtree(app), model.n);
    cse_tree_unlock();
    int acked = 0, refused = 0;
    for (int id = 0; id < THREADS; id++) {
        for (int i = 0; i < ROUNDS; i++) {
            char con[32];
            snprintf(con, sizeof(con), "%d-%d", id, i);
            if (acked_cin[id][i] == 2001) {
                acked++;
                assert_true(model_has_con(con));
            } else if (acked_cin[id][i] == 5000) {
                refused++;
                assert_false(model_has_con(con));
            }
            if (applied_all[id][i]) {
                char path[64];
                snprintf(path, sizeof(path), "cse-in/app/x%d-%d", id, i);
                int ok = cse_resource_get(path, 0, NULL, NULL) == 0;
                assert_int_equal(ok, applied_all[id][i] == 1);
            }
        }
    }
    pthread_mutex_unlock(&model.mu);
    assert_true(acked > 0);
    assert_true(refused > 0);
    fprintf(stderr,
            "commits %ld (%ld failed), %llu batches of up to %llu, cin %d acked %d refused\n",
            model.calls, model.failed, (unsigned long long)s.batches,
            (unsigned long long)s.max_batch, acked, refused);
    cse_commit_set_fn(NULL);
    cse_core_shutdown();
    for (size_t i = 0; i < model.n; i++)
        free(model.rows[i].json);
}

/* The same with SQLite: every fifth batch fails inside its transaction
 * (an operation the store refuses after the others were written), so
 * SQLite rolls it back; after a restart the tree is what it was. */
static atomic_long sqlite_calls;
static int sqlite_commit(cse_store_t *st, const cse_store_op_t *ops, size_t n) {
    if (atomic_fetch_add(&sqlite_calls, 1) % 5 != 3)
        return cse_store_commit_now(st, ops, n);
    cse_store_op_t *bad = calloc(n + 1, sizeof(*bad));
    assert_non_null(bad);
    memcpy(bad, ops, n * sizeof(*ops));
    bad[n].kind = 99;
    bad[n].ri = "refused";
    int rc = cse_store_commit_now(st, bad, n + 1);
    free(bad);
    return rc;
}

static char *snapshot(void) {
    test_resp_t r = test_req(CSE_OP_RETRIEVE, "/cse-in/app", "CAdmin", 0, NULL, "rcn=4");
    assert_int_equal(r.rsc, 2000);
    char *s = r.raw;
    r.raw = NULL;
    test_resp_free(&r);
    return s;
}

static void test_failing_sqlite_commits_with_writers(void **state) {
    (void)state;
    char dir[] = "/tmp/cse-cfail-XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cse.db", dir);
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    assert_non_null(st);
    cse_commit_set_fn(sqlite_commit);
    assert_int_equal(test_core_start(st), 0);
    test_resp_t r;
    const char *setup[] = {"/cse-in",     "{\"m2m:cnt\":{\"rn\":\"app\"}}",
                           "/cse-in/app", "{\"m2m:cnt\":{\"rn\":\"c0\"}}",
                           "/cse-in/app", "{\"m2m:cnt\":{\"rn\":\"c1\"}}",
                           "/cse-in/app", "{\"m2m:cnt\":{\"rn\":\"c2\"}}"};
    for (int i = 0; i < 8; i += 2) {
        r = test_req(CSE_OP_CREATE, setup[i], "CAdmin", 3, setup[i + 1], NULL);
        while (r.rsc == 5000) {
            test_resp_free(&r);
            r = test_req(CSE_OP_CREATE, setup[i], "CAdmin", 3, setup[i + 1], NULL);
        }
        assert_int_equal(r.rsc, 2001);
        test_resp_free(&r);
    }
    memset(acked_cin, 0, sizeof(acked_cin));
    memset(applied_all, 0, sizeof(applied_all));
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&unexpected), 0);
    char *before = snapshot();
    cse_core_shutdown();
    cse_store_close(st);
    cse_commit_set_fn(NULL);

    st = cse_store_open(path, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(test_core_start(st), 0);
    char *after = snapshot();
    assert_string_equal(before, after);
    int acked = 0, refused = 0;
    for (int id = 0; id < THREADS; id++) {
        for (int i = 0; i < ROUNDS; i++) {
            char con[32];
            snprintf(con, sizeof(con), "\"con\":\"%d-%d\"", id, i);
            if (acked_cin[id][i] == 2001) {
                acked++;
                assert_non_null(strstr(after, con));
            } else if (acked_cin[id][i] == 5000) {
                refused++;
                assert_null(strstr(after, con));
            }
            if (applied_all[id][i]) {
                char p[64];
                snprintf(p, sizeof(p), "cse-in/app/x%d-%d", id, i);
                assert_int_equal(cse_resource_get(p, 0, NULL, NULL) == 0, applied_all[id][i] == 1);
            }
        }
    }
    assert_true(acked > 0);
    assert_true(refused > 0);
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
        cmocka_unit_test(test_failing_commits_with_writers),
        cmocka_unit_test(test_failing_sqlite_commits_with_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
