/* AAA throughput of the plugin against a real RADIUS server (started by
 * tests/bench/radius_bench.sh):
 *   auth: cssf_aaa_check_password (PAP Access-Request, result cache off)
 *         from THREADS threads for SECONDS; checks/s and p50/p99 latency.
 *   acct: SESSIONS sessions started and stopped (two records each) into
 *         the durable queue, then flushed; records/s acknowledged by the
 *         server, from the first push to an empty queue.
 *
 *   bench_radius auth AUTH_SERVER USER PASSWORD THREADS SECONDS
 *   bench_radius acct ACCT_SERVER QUEUE_FILE SESSIONS
 * A server is "host:port:secret". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "plugin/aaa/aaa.h"

#define MAX_THREADS 64
#define MAX_SAMPLES 200000

typedef struct worker {
    cssf_aaa_t *aaa;
    const char *user, *password;
    double until;
    double *lat_us; /* MAX_SAMPLES per worker */
    size_t n, ok;
} worker_t;

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static cssf_aaa_t *make_aaa(const char *const *opts, size_t nopts) {
    cssf_aaa_config_t cfg;
    cssf_aaa_t *a = NULL;
    char err[256] = "";
    cssf_aaa_config_init(&cfg);
    for (size_t i = 0; i + 1 < nopts; i += 2) {
        if (cssf_aaa_config_option(&cfg, opts[i], opts[i + 1], err, sizeof err) != 1) {
            fprintf(stderr, "bench_radius: %s: %s\n", opts[i], err);
            goto out;
        }
    }
    if (cssf_aaa_create(&cfg, "/id-bench", &a, err, sizeof err) != 0) {
        fprintf(stderr, "bench_radius: %s\n", err);
        a = NULL;
    }
out:
    cssf_aaa_config_free(&cfg);
    return a;
}

static void *auth_worker(void *arg) {
    worker_t *w = arg;
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char reason[160];
    double t;
    while ((t = seconds()) < w->until && w->n < MAX_SAMPLES) {
        int ok = cssf_aaa_check_password(w->aaa, w->user, w->password, (struct sockaddr *)&peer,
                                         reason, sizeof reason);
        w->lat_us[w->n++] = (seconds() - t) * 1e6;
        w->ok += ok == 1;
    }
    return NULL;
}

static int bench_auth(const char *server, const char *user, const char *password, int threads,
                      double secs) {
    const char *opts[] = {"radius_auth_servers", server, "radius_basic",      "true",
                          "radius_cache_ttl",    "0",    "radius_timeout_ms", "1000"};
    worker_t w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    double *all = NULL;
    int rc = 1, started = 0;
    cssf_aaa_t *a = make_aaa(opts, sizeof opts / sizeof opts[0]);
    if (!a)
        return 1;
    memset(w, 0, sizeof w);
    double t0 = seconds();
    for (; started < threads; started++) {
        w[started] = (worker_t){.aaa = a, .user = user, .password = password, .until = t0 + secs};
        w[started].lat_us = malloc(MAX_SAMPLES * sizeof(double));
        if (!w[started].lat_us || pthread_create(&tid[started], NULL, auth_worker, &w[started])) {
            free(w[started].lat_us);
            break;
        }
    }
    size_t n = 0, ok = 0;
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    double dt = seconds() - t0;
    for (int i = 0; i < started; i++)
        n += w[i].n, ok += w[i].ok;
    all = malloc((n ? n : 1) * sizeof(double));
    if (!all || started < threads || n == 0)
        goto out;
    for (int i = 0, k = 0; i < started; i++)
        for (size_t j = 0; j < w[i].n; j++)
            all[k++] = w[i].lat_us[j];
    qsort(all, n, sizeof(double), cmp_double);
    printf("auth threads=%d checks=%zu accepted=%zu rate=%.0f/s p50_us=%.0f p99_us=%.0f "
           "max_us=%.0f\n",
           threads, n, ok, n / dt, all[n / 2], all[(size_t)((double)n * 0.99)], all[n - 1]);
    rc = ok == n ? 0 : 1;
out:
    for (int i = 0; i < started; i++)
        free(w[i].lat_us);
    free(all);
    cssf_aaa_destroy(a);
    return rc;
}

static int bench_acct(const char *server, const char *queue, int sessions) {
    const char *opts[] = {"radius_acct_servers", server, "radius_acct_queue",     queue,
                          "radius_acct_interim", "0",    "radius_nas_identifier", "/id-bench"};
    cssf_acct_queue_stats_t st;
    int rc = 1;
    cssf_aaa_t *a = make_aaa(opts, sizeof opts / sizeof opts[0]);
    if (!a)
        return 1;
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    double t0 = seconds();
    for (int i = 1; i <= sessions; i++) {
        char user[32];
        snprintf(user, sizeof user, "ae-%d", i);
        cssf_aaa_session_start(a, (uint64_t)i, user, (struct sockaddr *)&peer);
        cssf_aaa_session_traffic(a, (uint64_t)i, 100, 200);
        cssf_aaa_session_stop(a, (uint64_t)i);
    }
    double pushed = seconds() - t0;
    int empty = cssf_aaa_acct_flush(a, 120000) == 0;
    double dt = seconds() - t0;
    cssf_aaa_acct_stats(a, &st);
    printf("acct records=%d push_s=%.3f total_s=%.3f rate=%.0f/s sent=%llu pending=%llu "
           "failures=%llu\n",
           2 * sessions, pushed, dt, (double)st.sent / dt, (unsigned long long)st.sent,
           (unsigned long long)st.pending, (unsigned long long)st.failures);
    rc = empty && st.sent == 2u * (uint64_t)sessions ? 0 : 1;
    cssf_aaa_destroy(a);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 7 && !strcmp(argv[1], "auth")) {
        int threads = atoi(argv[5]);
        if (threads < 1 || threads > MAX_THREADS)
            threads = 1;
        return bench_auth(argv[2], argv[3], argv[4], threads, atof(argv[6]));
    }
    if (argc == 5 && !strcmp(argv[1], "acct"))
        return bench_acct(argv[2], argv[3], atoi(argv[4]) > 0 ? atoi(argv[4]) : 1000);
    fprintf(stderr, "usage: bench_radius auth SERVER USER PASSWORD THREADS SECONDS\n"
                    "       bench_radius acct SERVER QUEUE_FILE SESSIONS\n");
    return 2;
}
