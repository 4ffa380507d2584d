/* Cost of a bearer-token check in the plugin: a first use (liboauth2
 * signature check plus the plugin's claim checks, ES256) and a cached use
 * (the plugin's result cache plus the claim checks again). Each check is
 * timed on its own: mean, p50 and p99. The cached figures are over
 * PASSES passes of all tokens.
 *   bench_token_verify [tokens]   (default 2000) */
#include <cjose/cjose.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/authn/token_verify.h"

#define NOW 1700000000
#define PASSES 5

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double seconds(void) {
    return clock_s(CLOCK_MONOTONIC);
}

/* A token of about 700 bytes, the size of the test AS's access tokens
 * (the pad claim stands for the claims a real AS adds). */
static char *sign(cjose_jwk_t *k, int i) {
    char payload[768], pad[301];
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(payload, sizeof(payload),
             "{\"iss\":\"https://as\",\"sub\":\"sensor-%d\",\"aud\":\"urn:onem2m:cse\","
             "\"exp\":%d,\"iat\":%d,\"scope\":\"cse.read\",\"jti\":\"%d\",\"pad\":\"%s\"}",
             i, NOW + 3600, NOW - 10, i, pad);
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    cjose_header_set(h, "alg", "ES256", &err);
    cjose_header_set(h, "typ", "at+jwt", &err);
    cjose_header_set(h, "kid", "k1", &err);
    cjose_jws_t *jws = cjose_jws_sign(k, h, (const uint8_t *)payload, strlen(payload), &err);
    const char *ser = NULL;
    char *out = jws && cjose_jws_export(jws, &ser, &err) ? strdup(ser) : NULL;
    cjose_jws_release(jws);
    cjose_header_release(h);
    return out;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Checks every token passes times; prints mean, p50 and p99 in us. With
 * cpu, also p50/p99 of the thread's CPU time per check: wall-clock tails
 * that the CPU time lacks are the scheduler's (other work on the cores),
 * not the check's. Reading that clock is a system call, so cached checks
 * (below a microsecond) are timed without it. */
static int run(cssf_tokens_t *t, char **tokens, int n, int passes, int cpu, const char *what) {
    double *us = calloc((size_t)n * (size_t)passes, sizeof(double));
    double *cpu_us = calloc((size_t)n * (size_t)passes, sizeof(double));
    if (!us || !cpu_us) {
        free(us);
        free(cpu_us);
        return 1;
    }
    int ok = 0, m = n * passes;
    double total = 0;
    for (int i = 0; i < m; i++) {
        cssf_token_result_t r;
        double c0 = cpu ? clock_s(CLOCK_THREAD_CPUTIME_ID) : 0;
        double t0 = seconds();
        cssf_tokens_check_bearer(t, tokens[i % n], NOW, &r);
        double dt = seconds() - t0;
        cpu_us[i] = cpu ? (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6 : 0;
        ok += r.status == CSSF_TOKEN_OK;
        cssf_token_result_clear(&r);
        us[i] = dt * 1e6;
        total += dt;
    }
    qsort(us, (size_t)m, sizeof(double), by_value);
    qsort(cpu_us, (size_t)m, sizeof(double), by_value);
    size_t p99 = (size_t)((double)m * 0.99);
    printf("%-10s %6d checks  mean %7.2f us  p50 %7.2f us  p99 %7.2f us  %9.0f checks/s  (%d ok)",
           what, m, total * 1e6 / m, us[m / 2], us[p99], m / total, ok);
    if (cpu)
        printf("  cpu p50 %.2f us p99 %.2f us", cpu_us[m / 2], cpu_us[p99]);
    printf("\n");
    free(us);
    free(cpu_us);
    return ok == m ? 0 : 1;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    if (n < 1)
        n = 1;
    char err[256];
    cjose_err cerr;
    cssf_oauth2_t *rt = cssf_oauth2_open(err, sizeof(err));
    cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &cerr);
    if (!rt || !k || !cjose_jwk_set_kid(k, "k1", 2, &cerr))
        return 1;
    char *pub = cjose_jwk_to_json(k, false, &cerr);
    char section[2048];
    snprintf(section, sizeof(section),
             "{\"issuer\":\"https://as\",\"audience\":\"urn:onem2m:cse\",\"jwks\":{\"keys\":[%s]},"
             "\"cache\":{\"max_entries\":%d}}",
             pub, n);
    json_t *s = json_loads(section, 0, NULL);
    cssf_tokens_t *t = cssf_tokens_create(rt, s, "/id-in", NOW, err, sizeof(err));
    if (!t) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    char **tokens = calloc((size_t)n, sizeof(char *));
    for (int i = 0; i < n; i++)
        tokens[i] = sign(k, i);
    printf("token size %zu bytes\n", strlen(tokens[0]));
    int rc = run(t, tokens, n, 1, 1, "first use") | run(t, tokens, n, PASSES, 0, "cached");
    for (int i = 0; i < n; i++)
        free(tokens[i]);
    free(tokens);
    json_decref(s);
    free(pub);
    cjose_jwk_release(k);
    cssf_tokens_release(t);
    cssf_oauth2_close(rt);
    return rc;
}
