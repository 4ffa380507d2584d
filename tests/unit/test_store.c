/* Store: order, atomicity, durability across reopen, group commit under
 * concurrency, isolation of a failing batch, draining on close, open
 * errors, and a second connection (a plugin's tables) on the same file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cse/store/store.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/cse-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/cse.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    char p[160];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s/garbage", f->dir);
    unlink(p);
    rmdir(f->dir);
    free(f);
    return 0;
}

static cse_store_t *open_ok(const char *path) {
    char err[256] = "";
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    if (!st)
        fail_msg("open %s: %s", path, err);
    return st;
}

static cse_store_op_t put(const char *ri, const char *pi, int ty, const char *json) {
    cse_store_op_t op = {.kind = CSE_STORE_PUT, .ri = ri, .pi = pi, .ty = ty, .json = json};
    op.json_len = json ? strlen(json) : 0;
    return op;
}

static cse_store_op_t del(const char *ri) {
    cse_store_op_t op = {.kind = CSE_STORE_DELETE, .ri = ri};
    return op;
}

/* Collects loaded rows as "ri|pi|ty|json" lines. */
typedef struct rows {
    char **line;
    size_t n, cap;
} rows_t;

static int collect(void *arg, const char *ri, const char *pi, int ty, const char *json,
                   size_t json_len) {
    rows_t *r = arg;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->line = realloc(r->line, r->cap * sizeof(char *));
    }
    size_t cap = strlen(ri) + (pi ? strlen(pi) : 0) + json_len + 32;
    r->line[r->n] = malloc(cap);
    snprintf(r->line[r->n], cap, "%s|%s|%d|%.*s", ri, pi ? pi : "-", ty, (int)json_len, json);
    r->n++;
    return 0;
}

static void rows_free(rows_t *r) {
    for (size_t i = 0; i < r->n; i++)
        free(r->line[i]);
    free(r->line);
    memset(r, 0, sizeof(*r));
}

static rows_t load_all(const char *path) {
    rows_t r = {0};
    cse_store_t *st = open_ok(path);
    assert_int_equal(cse_store_load(st, collect, &r), 0);
    cse_store_close(st);
    return r;
}

static int has_ri(const rows_t *r, const char *ri) {
    size_t n = strlen(ri);
    for (size_t i = 0; i < r->n; i++) {
        if (strncmp(r->line[i], ri, n) == 0 && r->line[i][n] == '|')
            return 1;
    }
    return 0;
}

static void test_put_delete_load_order(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    assert_string_equal(cse_store_path(st), f->path);
    cse_store_op_t b1[] = {put("cb", NULL, 5, "{\"rn\":\"cse-in\"}"),
                           put("ae1", "cb", 2, "{\"rn\":\"a\"}")};
    assert_int_equal(cse_store_commit(st, b1, 2), 0);
    cse_store_op_t b2[] = {put("cnt1", "ae1", 3, "{\"cni\":0}"), put("gone", "ae1", 3, "{}")};
    assert_int_equal(cse_store_commit(st, b2, 2), 0);
    /* Updating the parents must not move them after their children. */
    cse_store_op_t b3[] = {put("cb", NULL, 5, "{\"rn\":\"cse-in\",\"lt\":2}"),
                           put("ae1", "cb", 2, "{\"rn\":\"a2\"}"), del("gone"),
                           del("never-existed")};
    assert_int_equal(cse_store_commit(st, b3, 4), 0);
    assert_int_equal(cse_store_commit(st, NULL, 0), 0); /* empty batch */
    cse_store_close(st);

    rows_t r = load_all(f->path);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.line[0], "cb|-|5|{\"rn\":\"cse-in\",\"lt\":2}");
    assert_string_equal(r.line[1], "ae1|cb|2|{\"rn\":\"a2\"}");
    assert_string_equal(r.line[2], "cnt1|ae1|3|{\"cni\":0}");
    rows_free(&r);

    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_batch_is_atomic(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    cse_store_op_t bad[] = {put("x1", NULL, 2, "{}"), put("x2", "x1", 3, "{}"),
                            put(NULL, "x1", 3, "{}")};
    assert_int_equal(cse_store_commit(st, bad, 3), -1);
    cse_store_op_t bad_kind[] = {put("y1", NULL, 2, "{}"), {.kind = 99, .ri = "y2"}};
    assert_int_equal(cse_store_commit(st, bad_kind, 2), -1);
    cse_store_op_t no_json[] = {put("z1", NULL, 2, "{}"), put("z2", NULL, 2, NULL)};
    assert_int_equal(cse_store_commit(st, no_json, 2), -1);
    cse_store_op_t good[] = {put("ok", NULL, 2, "{}")};
    assert_int_equal(cse_store_commit(st, good, 1), 0);
    cse_store_stats_t s;
    cse_store_stats(st, &s);
    assert_int_equal(s.failed, 3);
    assert_int_equal(s.batches, 1);
    assert_int_equal(s.pending, 0);
    cse_store_close(st);

    rows_t r = load_all(f->path);
    assert_int_equal(r.n, 1);
    assert_true(has_ri(&r, "ok"));
    rows_free(&r);
}

/* --- concurrency ---------------------------------------------------- */

#define THREADS 16
#define COMMITS 150

typedef struct worker {
    cse_store_t *st;
    int id, ok, bad_every;
    int now; /* cse_store_commit_now instead of cse_store_commit */
} worker_t;

static void *commit_many(void *arg) {
    worker_t *w = arg;
    char ri[32], ri2[32], json[64];
    for (int i = 0; i < COMMITS; i++) {
        snprintf(ri, sizeof(ri), "cin-%d-%d", w->id, i);
        snprintf(ri2, sizeof(ri2), "cnt-%d", w->id);
        snprintf(json, sizeof(json), "{\"con\":\"%d\"}", i);
        int bad = w->bad_every && i % w->bad_every == 0;
        /* A contentInstance plus its container's update, as a CREATE does. */
        cse_store_op_t ops[] = {put(ri2, "cb", 3, json), put(ri, ri2, 4, json),
                                put(NULL, ri2, 4, json)};
        if ((w->now ? cse_store_commit_now : cse_store_commit)(w->st, ops, bad ? 3 : 2) == 0)
            w->ok++;
    }
    return NULL;
}

/* now_every: every now_every-th thread commits on its own thread. */
static void concurrent_commits(fixture_t *f, int now_every) {
    cse_store_t *st = open_ok(f->path);
    pthread_t t[THREADS];
    worker_t w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){.st = st,
                          .id = i,
                          .bad_every = i == 3 ? 10 : 0,
                          .now = now_every && i % now_every == 0};
        assert_int_equal(pthread_create(&t[i], NULL, commit_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    cse_store_stats_t s;
    cse_store_stats(st, &s);
    cse_store_close(st);

    int bad = COMMITS / 10;
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(w[i].ok, i == 3 ? COMMITS - bad : COMMITS);
    assert_int_equal(s.failed, bad);
    assert_int_equal(s.batches, THREADS * COMMITS - bad);
    assert_true(s.groups <= s.batches + s.failed);

    rows_t r = load_all(f->path);
    assert_int_equal(r.n, THREADS * COMMITS - bad + THREADS);
    char ri[32];
    for (int i = 0; i < THREADS; i++) {
        for (int k = 0; k < COMMITS; k++) {
            snprintf(ri, sizeof(ri), "cin-%d-%d", i, k);
            assert_int_equal(has_ri(&r, ri), !(i == 3 && k % 10 == 0));
        }
    }
    rows_free(&r);
}

static void test_concurrent_commits_durable(void **state) {
    concurrent_commits(*state, 0);
}

/* Commits on the callers' threads beside the writer thread's groups: the
 * same results, every acknowledged batch durable. */
static void test_commit_now_beside_groups(void **state) {
    concurrent_commits(*state, 2);
}

/* cse_store_commit_now: one atomic, durable transaction of the caller's
 * batch, counted like a group of one. */
static void test_commit_now(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    cse_store_op_t good[] = {put("n1", NULL, 2, "{}"), put("n2", "n1", 3, "{\"a\":1}")};
    assert_int_equal(cse_store_commit_now(st, good, 2), 0);
    cse_store_op_t bad[] = {put("n3", "n1", 3, "{}"), put(NULL, "n1", 3, "{}")};
    assert_int_equal(cse_store_commit_now(st, bad, 2), -1);
    assert_int_equal(cse_store_commit_now(st, NULL, 1), -1);
    assert_int_equal(cse_store_commit_now(st, NULL, 0), 0);
    cse_store_op_t gone[] = {del("n2"), put("n4", "n1", 4, "{}")};
    assert_int_equal(cse_store_commit_now(st, gone, 2), 0);
    cse_store_stats_t s;
    cse_store_stats(st, &s);
    assert_int_equal(s.batches, 2);
    assert_int_equal(s.failed, 1);
    assert_int_equal(s.ops, 4);
    assert_int_equal(s.pending, 0);
    cse_store_close(st);

    rows_t r = load_all(f->path);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.line[0], "n1|-|2|{}");
    assert_string_equal(r.line[1], "n4|n1|4|{}");
    rows_free(&r);
}

/* Holds the database's write lock from another connection, so batches
 * queue up behind the writer deterministically. */
static sqlite3 *lock_db(const char *path) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static void unlock_db(sqlite3 *db) {
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void wait_pending(cse_store_t *st, size_t n) {
    cse_store_stats_t s;
    for (int i = 0; i < 2000; i++) {
        cse_store_stats(st, &s);
        if (s.pending == n)
            return;
        usleep(1000);
    }
    fail_msg("pending stayed at %zu, wanted %zu", s.pending, n);
}

typedef struct one {
    cse_store_t *st;
    cse_store_op_t ops[2];
    size_t nops;
    int rc;
} one_t;

static void *commit_one(void *arg) {
    one_t *o = arg;
    o->rc = cse_store_commit(o->st, o->ops, o->nops);
    return NULL;
}

static void test_failing_batch_fails_alone(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    sqlite3 *lock = lock_db(f->path);
    enum { N = 5 };
    one_t o[N] = {
        {.st = st, .ops = {put("a", NULL, 2, "{}")}, .nops = 1},
        {.st = st, .ops = {put("b", NULL, 2, "{}"), put(NULL, NULL, 2, "{}")}, .nops = 2},
        {.st = st, .ops = {put("c", NULL, 2, "{}")}, .nops = 1},
        {.st = st, .ops = {put("d", NULL, 2, "{}"), {.kind = 42, .ri = "d2"}}, .nops = 2},
        {.st = st, .ops = {put("e", NULL, 2, "{}"), del("a")}, .nops = 2},
    };
    pthread_t t[N];
    /* a goes first and waits for the lock; the others queue up behind it
     * and form one group when the lock is released. */
    pthread_create(&t[0], NULL, commit_one, &o[0]);
    wait_pending(st, 1);
    for (int i = 1; i < N; i++)
        pthread_create(&t[i], NULL, commit_one, &o[i]);
    wait_pending(st, N);
    unlock_db(lock);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    int want[N] = {0, -1, 0, -1, 0};
    for (int i = 0; i < N; i++)
        assert_int_equal(o[i].rc, want[i]);
    cse_store_stats_t s;
    cse_store_stats(st, &s);
    assert_true(s.retried >= 1); /* bad batches shared a transaction */
    assert_true(s.max_group >= 2);
    assert_int_equal(s.failed, 2);
    assert_int_equal(s.batches, 3);
    cse_store_close(st);

    rows_t r = load_all(f->path);
    assert_int_equal(r.n, 2); /* c and e; e deleted a */
    assert_true(has_ri(&r, "c") && has_ri(&r, "e"));
    rows_free(&r);
}

static void *close_store(void *arg) {
    cse_store_close(arg);
    return NULL;
}

static void test_close_drains(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    sqlite3 *lock = lock_db(f->path);
    enum { N = 8 };
    one_t o[N];
    char ri[N][16];
    pthread_t t[N], closer;
    for (int i = 0; i < N; i++) {
        snprintf(ri[i], sizeof(ri[i]), "r%d", i);
        o[i] = (one_t){.st = st, .ops = {put(ri[i], NULL, 2, "{}")}, .nops = 1, .rc = 99};
        pthread_create(&t[i], NULL, commit_one, &o[i]);
    }
    wait_pending(st, N);
    pthread_create(&closer, NULL, close_store, st);
    usleep(50 * 1000); /* close is now waiting for the queue */
    unlock_db(lock);
    pthread_join(closer, NULL);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(o[i].rc, 0);
    }
    rows_t r = load_all(f->path);
    assert_int_equal(r.n, N);
    rows_free(&r);
}

/* A plugin opens its own connection on the same file for its tables. */
typedef struct plugin_side {
    const char *path;
    int ok;
} plugin_side_t;

static void *plugin_writes(void *arg) {
    plugin_side_t *p = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open(p->path, &db) != SQLITE_OK)
        return NULL;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS cssf_audit (id INTEGER PRIMARY KEY, t TEXT)",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    for (int i = 0; i < 200; i++) {
        if (sqlite3_exec(db, "INSERT INTO cssf_audit (t) VALUES ('x')", NULL, NULL, NULL) !=
            SQLITE_OK)
            goto out;
        p->ok++;
    }
out:
    sqlite3_close(db);
    return NULL;
}

static void test_second_connection_coexists(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    plugin_side_t p = {.path = cse_store_path(st)};
    pthread_t pt, t[4];
    worker_t w[4];
    pthread_create(&pt, NULL, plugin_writes, &p);
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){.st = st, .id = i};
        pthread_create(&t[i], NULL, commit_many, &w[i]);
    }
    pthread_join(pt, NULL);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, COMMITS);
    }
    assert_int_equal(p.ok, 200);
    cse_store_close(st);
    rows_t r = load_all(f->path);
    assert_int_equal(r.n, 4 * COMMITS + 4);
    rows_free(&r);
}

static void expect_open_error(const char *path, const char *want) {
    char err[256] = "";
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    assert_null(st);
    if (!strstr(err, path) || !strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", err, path, want);
}

static void test_open_errors(void **state) {
    fixture_t *f = *state;
    char p[160];
    snprintf(p, sizeof(p), "%s/no/such/dir/cse.db", f->dir);
    expect_open_error(p, "No such file or directory");
    expect_open_error(f->dir, "Is a directory");
    snprintf(p, sizeof(p), "%s/garbage", f->dir);
    FILE *g = fopen(p, "w");
    for (int i = 0; i < 512; i++)
        fputs("this is not a database ", g);
    fclose(g);
    expect_open_error(p, "not a usable SQLite database");

    /* A file from a newer schema is refused, not silently misread. */
    cse_store_close(open_ok(f->path));
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_open_error(f->path, "schema version 99 is newer");
}

static int stop_at_second(void *arg, const char *ri, const char *pi, int ty, const char *json,
                          size_t json_len) {
    int *n = arg;
    return ++*n == 2 ? -1 : 0;
}

static void test_load_stops_on_callback_error(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    cse_store_op_t b[] = {put("a", NULL, 2, "{}"), put("b", NULL, 2, "{}"),
                          put("c", NULL, 2, "{}")};
    assert_int_equal(cse_store_commit(st, b, 3), 0);
    int n = 0;
    assert_int_equal(cse_store_load(st, stop_at_second, &n), -1);
    assert_int_equal(n, 2);
    cse_store_close(st);
}

typedef struct reentrant {
    cse_store_t *st;
    int rows, commits_ok;
} reentrant_t;

static int commit_while_loading(void *arg, const char *ri, const char *pi, int ty, const char *json,
                                size_t json_len) {
    reentrant_t *r = arg;
    char child[64];
    snprintf(child, sizeof(child), "%s-fixed", ri);
    cse_store_op_t op = put(child, ri, 3, "{}");
    r->rows++;
    if (cse_store_commit(r->st, &op, 1) == 0)
        r->commits_ok++;
    return 0;
}

static void test_load_callback_may_commit(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    cse_store_op_t b[] = {put("a", NULL, 2, "{}"), put("b", NULL, 2, "{}")};
    assert_int_equal(cse_store_commit(st, b, 2), 0);
    reentrant_t r = {.st = st};
    assert_int_equal(cse_store_load(st, commit_while_loading, &r), 0);
    assert_int_equal(r.rows, 2); /* the load reads one snapshot */
    assert_int_equal(r.commits_ok, 2);
    cse_store_close(st);
    rows_t all = load_all(f->path);
    assert_int_equal(all.n, 4);
    assert_true(has_ri(&all, "a-fixed") && has_ri(&all, "b-fixed"));
    rows_free(&all);
}

static void test_memory_store(void **state) {
    cse_store_t *st = open_ok(":memory:");
    cse_store_op_t b[] = {put("m1", NULL, 2, "{\"x\":1}"), put("m2", "m1", 3, "{}")};
    assert_int_equal(cse_store_commit(st, b, 2), 0);
    rows_t r = {0};
    assert_int_equal(cse_store_load(st, collect, &r), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.line[0], "m1|-|2|{\"x\":1}");
    rows_free(&r);
    cse_store_close(st);
}

static void test_wal_mode(void **state) {
    fixture_t *f = *state;
    cse_store_t *st = open_ok(f->path);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(db);
    cse_store_close(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_delete_load_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_commits_durable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_now_beside_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_batch_fails_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_drains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_connection_coexists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_stops_on_callback_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_callback_may_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
