#include "cse/core/request.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cse_request_init(cse_request_t *req) {
    memset(req, 0, sizeof(*req));
    req->q.rcn = -1;
    req->q.fu = -1;
    req->q.drt = -1;
    req->q.lim = -1;
    req->q.lvl = -1;
    req->q.ofst = -1;
    req->q.sts = -1;
    req->q.stb = -1;
    req->sec.version = 1;
}

void cse_request_clear(cse_request_t *req) {
    for (int i = 0; i < req->q.nlbl; i++)
        free(req->q.lbl[i]);
    req->q.nlbl = 0;
}

void cse_response_init(cse_response_t *resp) {
    memset(resp, 0, sizeof(*resp));
    resp->authorized = -1;
}

void cse_response_clear(cse_response_t *resp) {
    free(resp->body);
    free(resp->reason);
    free(resp->www_authenticate);
    cse_response_init(resp);
}

int cse_response_error(cse_response_t *resp, int rsc, const char *fmt, ...) {
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    free(resp->body);
    free(resp->reason);
    resp->rsc = rsc;
    resp->reason = strdup(reason);
    json_t *obj = json_pack("{s:s}", "m2m:dbg", reason);
    resp->body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    resp->body_len = resp->body ? strlen(resp->body) : 0;
    json_decref(obj);
    return rsc;
}
