/*
 * Store throughput: group commit with concurrent committers versus a naive
 * loop of one durable transaction per commit, measured in the same run on
 * the same disk.
 *
 *   bench_store [threads=16] [seconds=2] [ops_per_commit=1] [dir=/tmp]
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cse/store/store.h"

#define MAX_OPS 64
/* Identifiers grow monotonically, as the core's do (prefix + counter). */
static atomic_long keyseq;
/* Commit latencies of every group round, in microseconds. */
#define MAX_SAMPLES (1 << 21)
static float *latency;
static atomic_size_t nlatency;

static const char payload[] =
    "{\"rn\":\"cin_0123456789\",\"ty\":4,\"pi\":\"cnt0001\",\"ct\":\"20260101T000000,000000\","
    "\"lt\":\"20260101T000000,000000\",\"et\":\"20270101T000000\",\"st\":0,\"cnf\":\"text/"
    "plain:0\",\"cs\":24,\"con\":\"{\\\"temperature\\\":21.5}\",\"acpi\":[\"acp0001\"]}";

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void) {
    return clock_s(CLOCK_MONOTONIC);
}

static void remove_db(const char *path) {
    char p[512];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* Leaves a checkpointed 8 MiB WAL file behind, so both runs measure the
 * steady state, where commits overwrite WAL space (cheap fsync) instead
 * of growing the file (each fsync also journals the new file size). */
static int warm_up(const char *path) {
    sqlite3 *db = NULL;
    int one = 1, rc = -1;
    remove_db(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        goto out;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
    if (sqlite3_exec(
            db,
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
            "CREATE TABLE warm (x BLOB);"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2048)"
            " INSERT INTO warm SELECT zeroblob(4000) FROM n;"
            "PRAGMA wal_checkpoint(PASSIVE); DROP TABLE warm;"
            "PRAGMA wal_checkpoint(PASSIVE);",
            NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "warm-up: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_close(db);
    return rc;
}

/* One transaction per commit, same pragmas and statement as the store. */
static double bench_naive(const char *path, double seconds, int ops_per_commit) {
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    double rate = -1;
    if (warm_up(path) != 0)
        return -1;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE r (seq INTEGER PRIMARY KEY, ri TEXT NOT NULL UNIQUE, pi TEXT,"
                     " ty INTEGER NOT NULL, json TEXT NOT NULL)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO r (ri, pi, ty, json) VALUES (?1, ?2, ?3, ?4) ON CONFLICT"
                           " (ri) DO UPDATE SET json = excluded.json",
                           -1, &ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "naive: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    long ops = 0;
    char ri[32];
    double t0 = now(), t = t0;
    while (t - t0 < seconds) {
        for (int k = 0; k < 64; k++) {
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
            for (int i = 0; i < ops_per_commit; i++, ops++) {
                snprintf(ri, sizeof(ri), "cin%ld", ops);
                sqlite3_bind_text(ins, 1, ri, -1, SQLITE_STATIC);
                sqlite3_bind_text(ins, 2, "cnt0001", -1, SQLITE_STATIC);
                sqlite3_bind_int(ins, 3, 4);
                sqlite3_bind_text(ins, 4, payload, -1, SQLITE_STATIC);
                sqlite3_step(ins);
                sqlite3_reset(ins);
            }
            if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                fprintf(stderr, "naive: %s\n", sqlite3_errmsg(db));
                goto out;
            }
        }
        t = now();
    }
    rate = (double)ops / (t - t0);
out:
    sqlite3_finalize(ins);
    sqlite3_close(db);
    remove_db(path);
    return rate;
}

typedef struct worker {
    cse_store_t *st;
    int id, ops_per_commit;
    double deadline;
    long ops, failed;
} worker_t;

static void *work(void *arg) {
    worker_t *w = arg;
    cse_store_op_t ops[MAX_OPS];
    char ri[MAX_OPS][32];
    while (now() < w->deadline) {
        for (int k = 0; k < 16; k++) {
            for (int i = 0; i < w->ops_per_commit; i++) {
                snprintf(ri[i], sizeof(ri[i]), "cin%012ld", atomic_fetch_add(&keyseq, 1));
                ops[i] = (cse_store_op_t){.kind = CSE_STORE_PUT,
                                          .ri = ri[i],
                                          .pi = "cnt0001",
                                          .ty = 4,
                                          .json = payload,
                                          .json_len = sizeof(payload) - 1};
            }
            double t0 = now();
            int rc = cse_store_commit(w->st, ops, (size_t)w->ops_per_commit);
            size_t at = atomic_fetch_add(&nlatency, 1);
            if (at < MAX_SAMPLES)
                latency[at] = (float)((now() - t0) * 1e6);
            if (rc == 0)
                w->ops += w->ops_per_commit;
            else
                w->failed++;
        }
    }
    return NULL;
}

/* Process CPU time spent per committed batch in the last group run. */
static double cpu_per_commit_us;

static double bench_group(const char *path, int threads, double seconds, int ops_per_commit,
                          cse_store_stats_t *stats) {
    char err[256];
    if (warm_up(path) != 0)
        return -1;
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    pthread_t *t = calloc((size_t)threads, sizeof(*t));
    worker_t *w = calloc((size_t)threads, sizeof(*w));
    double t0 = now(), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < threads; i++) {
        w[i] = (worker_t){
            .st = st, .id = i, .ops_per_commit = ops_per_commit, .deadline = t0 + seconds};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    long ops = 0, failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        ops += w[i].ops;
        failed += w[i].failed;
    }
    double elapsed = now() - t0;
    cse_store_stats(st, stats);
    cpu_per_commit_us = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0) * 1e6 /
                        (double)(stats->batches ? stats->batches : 1);
    cse_store_close(st);
    remove_db(path);
    free(t);
    free(w);
    if (failed) {
        fprintf(stderr, "group: %ld commits failed\n", failed);
        return -1;
    }
    return (double)ops / elapsed;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 16;
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    int per = argc > 3 ? atoi(argv[3]) : 1;
    const char *dir = argc > 4 ? argv[4] : "/tmp";
    if (threads < 1 || seconds <= 0 || per < 1 || per > MAX_OPS) {
        fprintf(stderr, "usage: %s [threads] [seconds] [ops_per_commit<=%d] [dir]\n", argv[0],
                MAX_OPS);
        return 2;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/bench_store_%d.db", dir, (int)getpid());
    latency = malloc(MAX_SAMPLES * sizeof(*latency));
    if (!latency)
        return 1;

    /* Alternating short rounds: the disk is shared, and its latency drifts;
     * the ratio of neighbouring rounds is what the design controls. */
    enum { ROUNDS = 5 };
    double naive[ROUNDS], group[ROUNDS], ratio[ROUNDS], cpu[ROUNDS], per_tx = 0;
    uint64_t max_group = 0;
    for (int r = 0; r < ROUNDS; r++) {
        cse_store_stats_t s;
        naive[r] = bench_naive(path, seconds / ROUNDS, per);
        group[r] = bench_group(path, threads, seconds / ROUNDS, per, &s);
        if (naive[r] <= 0 || group[r] <= 0)
            return 1;
        ratio[r] = group[r] / naive[r];
        cpu[r] = cpu_per_commit_us;
        per_tx += s.groups ? (double)s.batches / (double)s.groups / ROUNDS : 0;
        if (s.max_group > max_group)
            max_group = s.max_group;
    }
    printf("naive (1 transaction per commit): %.0f ops/s (median of %d rounds)\n",
           median(naive, ROUNDS), ROUNDS);
    printf("group commit (%d committers, %d op%s per commit): %.0f ops/s, %.1f commits per "
           "transaction (max %llu)\n",
           threads, per, per == 1 ? "" : "s", median(group, ROUNDS), per_tx,
           (unsigned long long)max_group);
    printf("ratio: %.1fx (median of per-round ratios)\n", median(ratio, ROUNDS));
    printf("cpu: %.1f us per commit (all threads)\n", median(cpu, ROUNDS));
    size_t n = nlatency < MAX_SAMPLES ? nlatency : MAX_SAMPLES;
    qsort(latency, n, sizeof(*latency), cmp_float);
    printf("commit latency: p50 %.0f us, p99 %.0f us, max %.0f us\n", latency[n / 2],
           latency[n * 99 / 100], latency[n - 1]);
    free(latency);
    return 0;
}
