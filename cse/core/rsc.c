#include "cse/core/rsc.h"

#include "cse/plugin.h"

typedef struct rsc_entry {
    int rsc;
    int http;
    int coap; /* class*32 + detail; 0 = by operation (2000) */
    const char *name;
} rsc_entry_t;

#define COAP(c, d) ((c) * 32 + (d))

/* TS-0009 Table 6.3.2-1 and TS-0008 Table 6.3.3-1 (digest in ONEM2M.md). */
static const rsc_entry_t rsc_table[] = {
    {2000, 200, 0, "OK"},
    {2001, 201, COAP(2, 1), "CREATED"},
    {2002, 200, COAP(2, 2), "DELETED"},
    {2004, 200, COAP(2, 4), "UPDATED"},
    {4000, 400, COAP(4, 0), "BAD_REQUEST"},
    {4004, 404, COAP(4, 4), "NOT_FOUND"},
    {4005, 405, COAP(4, 5), "OPERATION_NOT_ALLOWED"},
    {4008, 504, COAP(5, 4), "REQUEST_TIMEOUT"},
    {4015, 415, COAP(4, 15), "UNSUPPORTED_MEDIA_TYPE"},
    {4103, 403, COAP(4, 3), "ORIGINATOR_HAS_NO_PRIVILEGE"},
    {4105, 409, COAP(4, 3), "CONFLICT"},
    {4106, 403, COAP(4, 3), "ORIGINATOR_NOT_AUTHENTICATED"},
    {4107, 403, COAP(4, 3), "SECURITY_ASSOCIATION_REQUIRED"},
    {4108, 403, COAP(4, 3), "INVALID_CHILD_RESOURCE_TYPE"},
    {4116, 403, COAP(4, 3), "IMPERSONATION_ERROR"},
    {4117, 403, COAP(4, 3), "ORIGINATOR_HAS_ALREADY_REGISTERED"},
    {4126, 403, COAP(4, 3), "APP_RULE_VALIDATION_FAILED"},
    {5000, 500, COAP(5, 0), "INTERNAL_SERVER_ERROR"},
    {5001, 501, COAP(5, 1), "NOT_IMPLEMENTED"},
    {5103, 404, COAP(4, 4), "TARGET_NOT_REACHABLE"},
    {5106, 409, COAP(4, 3), "ALREADY_EXISTS"},
    {5207, 406, COAP(4, 6), "NOT_ACCEPTABLE"},
    {6010, 400, COAP(4, 0), "MAX_NUMBER_OF_MEMBER_EXCEEDED"},
};

static const rsc_entry_t *rsc_find(int rsc) {
    for (size_t i = 0; i < sizeof(rsc_table) / sizeof(rsc_table[0]); i++)
        if (rsc_table[i].rsc == rsc)
            return &rsc_table[i];
    return NULL;
}

int cse_rsc_to_http(int rsc) {
    const rsc_entry_t *e = rsc_find(rsc);
    return e ? e->http : 500;
}

int cse_rsc_to_coap(int rsc, int op) {
    const rsc_entry_t *e = rsc_find(rsc);
    if (!e)
        return COAP(5, 0);
    if (e->coap)
        return e->coap;
    /* 2000 OK: 2.05 Content, but 2.04 Changed for NOTIFY. */
    return op == CSE_OP_NOTIFY ? COAP(2, 4) : COAP(2, 5);
}

const char *cse_rsc_name(int rsc) {
    const rsc_entry_t *e = rsc_find(rsc);
    return e ? e->name : "UNKNOWN";
}
