/*
 * Helpers for core unit tests: a CSE core on an in-memory (non-durable)
 * setup, requests through cse_pipeline_handle, JSON checks.
 */
#ifndef CSE_TEST_UTIL_H
#define CSE_TEST_UTIL_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/core/config.h"
#include "cse/core/cse.h"
#include "cse/core/log.h"
#include "cse/core/pipeline.h"
#include "cse/core/request.h"

static cse_config_t test_cfg;

/* Starts the core without a store, insecure (From trusted). */
static inline int test_core_start(cse_store_t *store) {
    memset(&test_cfg, 0, sizeof(test_cfg));
    strcpy(test_cfg.cse_id, "/id-in");
    strcpy(test_cfg.resource_name, "cse-in");
    strcpy(test_cfg.sp_id, "//example.net");
    strcpy(test_cfg.admin_originator, "CAdmin");
    strcpy(test_cfg.http_listen, "127.0.0.1");
    test_cfg.http_port = 8080;
    char err[256];
    cse_log_set_level_name(getenv("CSE_TEST_LOG") ? getenv("CSE_TEST_LOG") : "error");
    cse_pipeline_set_insecure(1);
    if (cse_core_init(&test_cfg, store, err, sizeof(err)) != 0) {
        fprintf(stderr, "core init: %s\n", err);
        return -1;
    }
    return 0;
}

typedef struct test_resp {
    int rsc;
    json_t *json; /* parsed body or NULL */
    char location[1024];
    char *raw;
} test_resp_t;

static inline void test_resp_free(test_resp_t *r) {
    json_decref(r->json);
    free(r->raw);
    memset(r, 0, sizeof(*r));
}

/* One request. query: "rcn=1&ty=3..." style subset parsed here. */
static inline test_resp_t test_req(int op, const char *to, const char *from, int ty,
                                   const char *body, const char *query) {
    cse_request_t req;
    cse_response_t resp;
    cse_request_init(&req);
    cse_response_init(&resp);
    req.op = op;
    snprintf(req.to, sizeof(req.to), "%s", to);
    if (from) {
        snprintf(req.from, sizeof(req.from), "%s", from);
        req.has_from = 1;
    }
    snprintf(req.rqi, sizeof(req.rqi), "rqi-1");
    snprintf(req.rvi, sizeof(req.rvi), "3");
    req.ty = ty;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    char q[512];
    snprintf(q, sizeof(q), "%s", query ? query : "");
    for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = kv, *v = eq + 1;
        if (!strcmp(k, "rcn"))
            req.q.rcn = atoi(v);
        else if (!strcmp(k, "fu"))
            req.q.fu = atoi(v);
        else if (!strcmp(k, "drt"))
            req.q.drt = atoi(v);
        else if (!strcmp(k, "lim"))
            req.q.lim = atoi(v);
        else if (!strcmp(k, "lvl"))
            req.q.lvl = atoi(v);
        else if (!strcmp(k, "ofst"))
            req.q.ofst = atoi(v);
        else if (!strcmp(k, "ty"))
            req.q.ty[req.q.nty++] = atoi(v);
        else if (!strcmp(k, "lbl"))
            req.q.lbl[req.q.nlbl++] = strdup(v);
        else if (!strcmp(k, "crb"))
            snprintf(req.q.crb, sizeof(req.q.crb), "%s", v);
        else if (!strcmp(k, "cra"))
            snprintf(req.q.cra, sizeof(req.q.cra), "%s", v);
        else if (!strcmp(k, "ms"))
            snprintf(req.q.ms, sizeof(req.q.ms), "%s", v);
        else if (!strcmp(k, "us"))
            snprintf(req.q.us, sizeof(req.q.us), "%s", v);
        else if (!strcmp(k, "exb"))
            snprintf(req.q.exb, sizeof(req.q.exb), "%s", v);
        else if (!strcmp(k, "exa"))
            snprintf(req.q.exa, sizeof(req.q.exa), "%s", v);
        else if (!strcmp(k, "sts"))
            req.q.sts = atol(v);
        else if (!strcmp(k, "stb"))
            req.q.stb = atol(v);
    }
    cse_pipeline_handle(&req, &resp);
    test_resp_t out;
    memset(&out, 0, sizeof(out));
    out.rsc = resp.rsc;
    snprintf(out.location, sizeof(out.location), "%s", resp.location);
    if (resp.body) {
        out.raw = strndup(resp.body, resp.body_len);
        out.json = json_loads(out.raw, 0, NULL);
    }
    cse_response_clear(&resp);
    cse_request_clear(&req);
    return out;
}

/* The attribute object of a {"m2m:xx":{...}} body (borrowed). */
static inline json_t *test_inner(const test_resp_t *r, const char *wrapper) {
    return json_object_get(r->json, wrapper);
}

#endif
