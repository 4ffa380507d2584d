/*
 * TS-0009 HTTP → oneM2M request primitive, as a pure function: no sockets,
 * no MHD, so unit tests and the fuzzer drive every branch. The server
 * (http_server.c) adapts MHD's header and argument accessors to it.
 *
 * Mapping (TS-0009 §6, §7):
 *   POST + "ty=N" in Content-Type → CREATE (req->ty = N); POST without → NOTIFY;
 *   GET → RETRIEVE; PUT → UPDATE; DELETE → DELETE; any other method → 4005.
 *   X-M2M-Origin → from (empty = absent), X-M2M-RI → rqi (mandatory),
 *   X-M2M-RVI → rvi: one of 2a, 3, 4, 5 (absent is accepted and not echoed).
 *   Content-Type: application/json, application/vnd.onem2m-res+json or
 *   application/vnd.onem2m-ntfy+json, parameters in any order with optional
 *   white space; anything else → 4015; a body without Content-Type → 4015.
 *   Accept that admits none of those (nor a wildcard) → 5207.
 *   Authorization: "Bearer T" → sec.bearer_token; a value without a scheme
 *   → sec.onem2m_tokens (JWS list joined by '+'); "Basic" → basic_user and
 *   basic_password when the connection is TLS, ignored otherwise; any other
 *   scheme → 4000.
 *
 * Target: req->to is the request path as sent, leading '/' included and
 * query excluded (MHD has already percent-decoded it). Its form is resolved
 * by the core: "/cse-in/..." structured CSE-relative, "/<ri>" unstructured,
 * "/~/<csi>/..." SP-relative, "/_/<spid>/<csi>/..." absolute.
 *
 * Query (TS-0009 §6.2.2.2, TS-0004 §8.1.2): rcn, fu, drt, lim, lvl, ofst, ty
 * and lbl (repeatable, also as one value split on '+', which arrives decoded
 * as a space), crb/cra/ms/us/exb/exa (oneM2M timestamps), sts/stb. Other
 * parameters are ignored. A bad value or a repeated single-valued parameter
 * → 4000 with the parameter named.
 */
#ifndef CSE_HTTP_HTTP_REQUEST_H
#define CSE_HTTP_HTTP_REQUEST_H

#include <stddef.h>
#include <sys/socket.h>

#include "cse/core/request.h"

/* Returns the value of header name (case-insensitive), or NULL if absent.
 * The value must stay valid until the request is finished: the request
 * borrows it (sec.bearer_token, sec.onem2m_tokens). */
typedef const char *(*cse_http_header_fn)(void *ctx, const char *name);

/* Visitor for one query argument; value is NULL for "?key" without '='.
 * Returns 0 to continue, non-zero to stop the iteration. */
typedef int (*cse_http_arg_fn)(void *cls, const char *key, const char *value);

/* Calls fn for every query argument, in order, until fn returns non-zero. */
typedef void (*cse_http_args_fn)(void *ctx, cse_http_arg_fn fn, void *cls);

typedef struct cse_http_input {
    const char *method; /* "GET", ... */
    const char *path;   /* decoded path, no query */
    cse_http_header_fn header;
    void *header_ctx;
    cse_http_args_fn args; /* NULL = no query */
    void *args_ctx;
    const char *body; /* borrowed into req->body */
    size_t body_len;
    int tls;                     /* 1 on an HTTPS connection: Basic credentials are accepted */
    const struct sockaddr *peer; /* copied into req->sec.peer; may be NULL */
    socklen_t peer_len;
    char *cred_buf; /* storage for decoded Basic credentials (borrowed by req) */
    size_t cred_cap;
} cse_http_input_t;

typedef struct cse_http_error {
    int rsc; /* oneM2M rsc of the failure */
    char reason[192];
} cse_http_error_t;

/*
 * Initialises req and fills it from in. Returns 0, or -1 with err set.
 * On either return req->rqi and req->rvi hold what could be echoed (valid
 * values only), and the caller must release req with cse_request_clear().
 * Strings in req->sec point into header values or in->cred_buf.
 */
int cse_http_request_parse(const cse_http_input_t *in, cse_request_t *req, cse_http_error_t *err);

/* Copies the X-M2M-RI and X-M2M-RVI an error response may echo (valid
 * values only) into req, which must be initialised. For errors found
 * before a request is parsed (size limits). */
void cse_http_request_echo(const cse_http_input_t *in, cse_request_t *req);

/* Fills the HTTP part of a security context (binding, peer, Authorization)
 * without touching its other fields; for a request that is no oneM2M
 * primitive (a plugin's REST route) as well. Returns 0, or -1 with err. */
int cse_http_security_fill(const cse_http_input_t *in, cse_security_context_t *sec,
                           cse_http_error_t *err);

/* Parses a Content-Type value. Returns 0 with *ty (0 = no ty parameter),
 * or the rsc of the failure (4015 unsupported media type, 4000 bad ty). */
int cse_http_content_type_parse(const char *value, int *ty);

/* 1 if an Accept value admits a JSON response (or is absent), else 0. */
int cse_http_accept_json(const char *value);

/* 1 if s is a oneM2M timestamp "YYYYMMDDTHHMMSS" with an optional
 * ",ffffff" fraction (1-6 digits), else 0. */
int cse_http_timestamp_valid(const char *s);

#endif
