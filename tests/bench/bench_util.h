/*
 * Helpers the benchmark programs share (each bench_*.c is its own
 * executable, so these are static inline). Not a public header.
 */
#ifndef CSE_TESTS_BENCH_UTIL_H
#define CSE_TESTS_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cse/core/pipeline.h"
#include "cse/core/request.h"

/* Resident memory of this process in kB, -1 if unknown. */
static inline long bench_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* Monotonic seconds. */
static inline double bench_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request through cse_pipeline_handle as originator Cbench, release 3;
 * returns the rsc. */
static inline int bench_pipeline(int op, const char *to, int ty, const char *body) {
    cse_request_t req;
    cse_response_t resp;
    cse_request_init(&req);
    cse_response_init(&resp);
    req.op = op;
    snprintf(req.to, sizeof(req.to), "%s", to);
    snprintf(req.from, sizeof(req.from), "Cbench");
    req.has_from = 1;
    snprintf(req.rvi, sizeof(req.rvi), "3");
    req.ty = ty;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    cse_pipeline_handle(&req, &resp);
    int rsc = resp.rsc;
    cse_response_clear(&resp);
    return rsc;
}

#endif
