/*
 * ACP decision latency: cssf_authz_decide() with the ACP already parsed in
 * the cache (the source only confirms the revision), for
 *   1. one ACP of 100 rules where only the last one matches,
 *   2. 10,000 cached ACPs, each request linking a random one,
 *   3. the first read of the 100-rule ACP (JSON parse included),
 * and the decision rate of several threads sharing one cache.
 *
 *   bench_acp_eval [iterations=200000] [threads=2]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/authz/authorize.h"

#define NACPS 10000
#define RULES 100

typedef struct source {
    char *big;              /* "big": 100 rules, the last one matches */
    char small[NACPS][160]; /* "a<i>": 4 rules, the last one matches */
} source_t;

/* Every resource is at revision 1: a cached copy is always current. */
static int source_get(void *arg, const char *ri, uint64_t known, uint64_t *rev, char **json) {
    source_t *s = arg;
    const char *text = NULL;
    if (strcmp(ri, "big") == 0) {
        text = s->big;
    } else if (ri[0] == 'a') {
        int i = atoi(ri + 1);
        text = i >= 0 && i < NACPS ? s->small[i] : NULL;
    }
    if (!text)
        return -1;
    if (known == 1)
        return 1;
    *rev = 1;
    *json = strdup(text);
    return *json ? 0 : -1;
}

static void source_release(void *arg, char *json) {
    (void)arg;
    free(json);
}

static void source_fill(source_t *s) {
    size_t cap = 64 + RULES * 96, len = 0;
    s->big = malloc(cap);
    len += (size_t)snprintf(s->big, cap, "{\"ri\":\"big\",\"ty\":1,\"pv\":{\"acr\":[");
    for (int i = 0; i < RULES; i++) { /* the same operation everywhere: acor decides */
        char who[32];
        snprintf(who, sizeof(who), i == RULES - 1 ? "Cbench" : "Cother%d", i);
        len +=
            (size_t)snprintf(s->big + len, cap - len,
                             "%s{\"acor\":[\"%s\",\"/id-mn/C*\"],\"acop\":2}", i ? "," : "", who);
    }
    snprintf(s->big + len, cap - len, "]}}");
    for (int i = 0; i < NACPS; i++)
        snprintf(s->small[i], sizeof(s->small[i]),
                 "{\"ri\":\"a%d\",\"ty\":1,\"pv\":{\"acr\":[{\"acor\":[\"Cx\"],\"acop\":1},"
                 "{\"acor\":[\"Cy\"],\"acop\":2},{\"acor\":[\"S*\"],\"acop\":2},"
                 "{\"acor\":[\"Cbench\"],\"acop\":3}]}}",
                 i);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, double *ns, long n) {
    qsort(ns, (size_t)n, sizeof(*ns), cmp_double);
    printf("%-40s n=%-7ld p50=%7.2f us  p99=%7.2f us  p99.9=%7.2f us  max=%8.2f us\n", name, n,
           ns[n / 2] / 1e3, ns[n * 99 / 100] / 1e3, ns[n * 999 / 1000] / 1e3, ns[n - 1] / 1e3);
}

typedef struct run {
    cssf_authz_t *az;
    long iterations;
    int spread; /* 0: the 100-rule ACP; 1: a random one of 10,000 */
    unsigned seed;
    double *ns; /* per-decision times, or NULL */
    long permits;
} run_t;

static void *decide_loop(void *arg) {
    run_t *r = arg;
    char ri[16], out[256];
    const char *acpi[1] = {ri};
    cse_resource_view_t target = {.version = 1,
                                  .ri = "cnt1",
                                  .pi = "ae1",
                                  .ty = 3,
                                  .acpi = acpi,
                                  .acpi_count = 1,
                                  .has_acpi = 1,
                                  .revision = 1};
    cse_evt_authorize_t ev = {.version = 1,
                              .originator = "Cbench",
                              .authenticated = 1,
                              .operation = CSE_OP_RETRIEVE,
                              .target = &target};
    snprintf(ri, sizeof(ri), "big");
    for (long i = 0; i < r->iterations; i++) {
        if (r->spread)
            snprintf(ri, sizeof(ri), "a%d", (int)(rand_r(&r->seed) % NACPS));
        double t0 = r->ns ? now_ns() : 0;
        int rc = cssf_authz_decide(r->az, &ev, NULL, out, sizeof(out), NULL);
        if (r->ns)
            r->ns[i] = now_ns() - t0;
        r->permits += rc == CSE_PLUGIN_OK;
    }
    return NULL;
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (iterations < 1000 || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: bench_acp_eval [iterations>=1000] [threads 1-64]\n");
        return 2;
    }
    source_t *s = calloc(1, sizeof(*s));
    double *ns = malloc((size_t)iterations * sizeof(*ns));
    if (!s || !ns)
        return 1;
    source_fill(s);
    cssf_authz_source_t src = {source_get, source_release, s};
    cssf_authz_t *az = cssf_authz_create_with(&src, "/id-in", "sp.example");

    /* first read: parse the 100-rule ACP, then drop it by using a fresh cache */
    long cold = 2000;
    for (long i = 0; i < cold; i++) {
        cssf_authz_t *fresh = cssf_authz_create_with(&src, "/id-in", "sp.example");
        run_t one = {.az = fresh, .iterations = 1, .ns = ns + i};
        decide_loop(&one);
        cssf_authz_destroy(fresh);
    }
    report("100 rules, first read (parse)", ns, cold);

    run_t big = {.az = az, .iterations = iterations, .ns = ns};
    decide_loop(&(run_t){.az = az, .iterations = 1000}); /* warm */
    decide_loop(&big);
    report("100 rules, last matches, cached", ns, iterations);

    for (int i = 0; i < NACPS; i++) { /* load every small ACP into the cache */
        run_t warm = {.az = az, .iterations = 1, .spread = 1, .seed = (unsigned)i};
        char ri[16];
        snprintf(ri, sizeof(ri), "a%d", i);
        const char *acpi[1] = {ri};
        cse_resource_view_t t = {
            .ri = "c", .pi = "p", .ty = 3, .acpi = acpi, .acpi_count = 1, .has_acpi = 1};
        cse_evt_authorize_t ev = {
            .originator = "Cbench", .operation = CSE_OP_RETRIEVE, .target = &t};
        char out[128];
        cssf_authz_decide(az, &ev, NULL, out, sizeof(out), NULL);
        (void)warm;
    }
    run_t spread = {.az = az, .iterations = iterations, .spread = 1, .seed = 7, .ns = ns};
    decide_loop(&spread);
    report("10,000 cached ACPs, random one", ns, iterations);

    /* several threads, one cache: readers must not wait for each other */
    pthread_t tid[64];
    run_t runs[64];
    double t0 = now_ns();
    for (int i = 0; i < threads; i++) {
        runs[i] = (run_t){.az = az, .iterations = iterations, .spread = 1, .seed = (unsigned)i};
        pthread_create(&tid[i], NULL, decide_loop, &runs[i]);
    }
    long permits = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        permits += runs[i].permits;
    }
    double secs = (now_ns() - t0) / 1e9;
    printf("%-40s %d threads: %.0f decisions/s (%ld permits of %ld)\n",
           "10,000 cached ACPs, concurrent", threads, (double)threads * iterations / secs, permits,
           (long)threads * iterations);
    int ok = big.permits == iterations && spread.permits == iterations &&
             permits == (long)threads * iterations;
    cssf_authz_destroy(az);
    free(s->big);
    free(s);
    free(ns);
    if (!ok)
        fprintf(stderr, "bench_acp_eval: a decision that should permit was denied\n");
    return ok ? 0 : 1;
}
