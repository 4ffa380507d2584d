/*
 * The protocol-neutral oneM2M request primitive and its response.
 * Bindings (HTTP, CoAP) fill a cse_request_t, call cse_pipeline_handle()
 * (cse/core/pipeline.h) and translate the cse_response_t back.
 */
#ifndef CSE_CORE_REQUEST_H
#define CSE_CORE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "cse/plugin.h"

#define CSE_MAX_TO 1024 /* longest target address accepted */
#define CSE_MAX_ID 256 /* longest originator / rqi / identity */
#define CSE_MAX_FILTER_TY 16
#define CSE_MAX_FILTER_LBL 16

/* Result content (rcn) values of TS-0004. */
enum cse_rcn {
    CSE_RCN_NOTHING = 0,
    CSE_RCN_ATTRIBUTES = 1,
    CSE_RCN_HIERARCHICAL_ADDRESS = 2,
    CSE_RCN_HIERARCHICAL_ADDRESS_ATTRIBUTES = 3,
    CSE_RCN_ATTRIBUTES_CHILD_RESOURCES = 4,
    CSE_RCN_ATTRIBUTES_CHILD_RESOURCE_REFS = 5,
    CSE_RCN_CHILD_RESOURCE_REFS = 6,
    CSE_RCN_ORIGINAL_RESOURCE = 7,
    CSE_RCN_CHILD_RESOURCES = 8,
    CSE_RCN_MODIFIED_ATTRIBUTES = 9,
};

/* Query parameters; -1 / empty string / 0 count = not given. */
typedef struct cse_query {
    int rcn;
    int fu; /* 1 = discovery, 2 = conditional retrieval */
    int drt; /* discovery result type: 1 structured, 2 unstructured */
    int lim, lvl, ofst;
    int ty[CSE_MAX_FILTER_TY];
    int nty;
    char *lbl[CSE_MAX_FILTER_LBL]; /* owned by the request */
    int nlbl;
    char crb[32], cra[32], ms[32], us[32], exb[32], exa[32]; /* oneM2M timestamps */
    long sts, stb; /* stateTag smaller / bigger */
} cse_query_t;

typedef struct cse_request {
    int op; /* enum cse_operation: CREATE..NOTIFY (discovery is RETRIEVE + fu=1) */
    char to[CSE_MAX_TO]; /* target address as sent, without query */
    char from[CSE_MAX_ID]; /* "" when absent */
    int has_from;
    char rqi[CSE_MAX_ID];
    char rvi[8];
    int ty; /* resource type of a CREATE (from Content-Type / TY option), 0 otherwise */
    const char *body; /* borrowed from the binding */
    size_t body_len;
    cse_query_t q;
    cse_security_context_t sec; /* filled by the binding */
    /* Filled by the pipeline after AUTHENTICATE. */
    char originator[CSE_MAX_ID];
    int authenticated;
    int is_admin;
} cse_request_t;

typedef struct cse_response {
    int rsc; /* oneM2M response status code */
    char *body; /* malloc'd JSON text or NULL; freed by cse_response_clear */
    size_t body_len;
    char location[CSE_MAX_TO]; /* Content-Location of a CREATE, "" otherwise */
    char *reason; /* malloc'd short reason on errors (also put in the body) */
    /* For accounting and audit. */
    int authorized; /* -1 not reached, 0 denied, 1 permitted */
    char decision[256];
    char *www_authenticate; /* malloc'd challenge of a plugin's denial (HTTP header), or NULL */
    char aei[80]; /* AE-ID assigned by a successful AE CREATE (ACCOUNTING), "" otherwise */
} cse_response_t;

void cse_request_init(cse_request_t *req);
void cse_request_clear(cse_request_t *req); /* frees owned lbl strings */
void cse_response_init(cse_response_t *resp);
void cse_response_clear(cse_response_t *resp);

/* Sets resp to an error: rsc and a body {"m2m:dbg": reason}. Returns rsc. */
int cse_response_error(cse_response_t *resp, int rsc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
