/*
 * Core benchmark without a binding: durable contentInstance creates from
 * N threads through cse_pipeline_handle (SQLite store, group commit), then
 * RETRIEVEs of one resource. Prints one line per figure.
 *
 * Usage: bench_core [threads=16] [creates_per_thread=5000] [get_seconds=2] [dir=/tmp]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cse/core/commit.h"
#include "cse/core/config.h"
#include "cse/core/cse.h"
#include "cse/core/log.h"
#include "cse/core/pipeline.h"
#include "cse/core/request.h"
#include "cse/plugin.h"
#include "cse/store/store.h"
#include "tests/bench/bench_util.h"

static int per_thread;
static double get_seconds;
static atomic_int stop_gets;

static void *creator(void *arg) {
    long *failed = arg;
    char body[128];
    for (int i = 0; i < per_thread; i++) {
        snprintf(body, sizeof(body), "{\"m2m:cin\":{\"cnf\":\"text/plain:0\",\"con\":\"%d\"}}", i);
        if (bench_pipeline(CSE_OP_CREATE, "/cse-in/bench/data", 4, body) != 2001)
            (*failed)++;
    }
    return NULL;
}

static void *getter(void *arg) {
    long *count = arg;
    while (!stop_gets) {
        if (bench_pipeline(CSE_OP_RETRIEVE, "/cse-in/bench/data", 0, NULL) == 2000)
            (*count)++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 16;
    per_thread = argc > 2 ? atoi(argv[2]) : 5000;
    get_seconds = argc > 3 ? atof(argv[3]) : 2;
    const char *base = argc > 4 ? argv[4] : "/tmp";
    char dir[512], path[600], err[256];
    snprintf(dir, sizeof(dir), "%s/bench-core-XXXXXX", base);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/cse.db", dir);
    cse_log_set_level_name("error");
    cse_store_t *st = cse_store_open(path, err, sizeof(err));
    static cse_config_t cfg;
    strcpy(cfg.cse_id, "/id-in");
    strcpy(cfg.resource_name, "cse-in");
    if (!st || cse_core_init(&cfg, st, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_core: %s\n", err);
        return 1;
    }
    cse_pipeline_set_insecure(1);
    bench_pipeline(CSE_OP_CREATE, "/cse-in", 2,
                   "{\"m2m:ae\":{\"rn\":\"bench\",\"api\":\"Nb\",\"rr\":true,\"srv\":[\"3\"]}}");
    bench_pipeline(CSE_OP_CREATE, "/cse-in/bench", 3,
                   "{\"m2m:cnt\":{\"rn\":\"data\",\"mni\":100000}}");

    cse_commit_stats_t c0, c1;
    cse_commit_stats(&c0);
    long rss_before = bench_rss_kb();
    pthread_t *t = calloc((size_t)threads, sizeof(*t));
    long *counts = calloc((size_t)threads, sizeof(*counts));
    double t0 = bench_now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, creator, &counts[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double dt = bench_now_s() - t0;
    long failed = 0;
    for (int i = 0; i < threads; i++)
        failed += counts[i];
    long total = (long)threads * per_thread;
    printf("durable contentInstance creates: %ld in %.2fs = %.0f/s (%d threads, %ld failed)\n",
           total, dt, total / dt, threads, failed);
    cse_commit_stats(&c1);
    uint64_t commits = c1.batches - c0.batches;
    double per = commits ? 1.0 / (double)commits : 0.0;
    printf("store commits: %llu, %.0f/s, %.1f creates each (largest %llu); per commit %.0f us in "
           "the store, %.0f us gathering (%llu cut short)\n",
           (unsigned long long)commits, commits / dt, (double)(c1.txns - c0.txns) * per,
           (unsigned long long)c1.max_batch, (double)(c1.commit_ns - c0.commit_ns) * per / 1e3,
           (double)(c1.gather_ns - c0.gather_ns) * per / 1e3,
           (unsigned long long)(c1.gather_timeouts - c0.gather_timeouts));
    printf("memory: %.0f bytes per contentInstance (RSS growth over the run)\n",
           (bench_rss_kb() - rss_before) * 1024.0 / (double)total);

    memset(counts, 0, (size_t)threads * sizeof(*counts));
    t0 = bench_now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, getter, &counts[i]);
    usleep((useconds_t)(get_seconds * 1e6));
    stop_gets = 1;
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    dt = bench_now_s() - t0;
    long gets = 0;
    for (int i = 0; i < threads; i++)
        gets += counts[i];
    printf("retrieves of one container: %ld in %.2fs = %.0f/s (%d threads)\n", gets, dt, gets / dt,
           threads);
    cse_core_shutdown();
    cse_store_close(st);
    free(t);
    free(counts);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) != 0;
}
