#include "cse/http/http_server.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cse/core/pipeline.h"
#include "cse/core/plugin_host.h"
#include "cse/core/rsc.h"
#include "cse/host.h"
#include "cse/http/http_offload.h"
#include "cse/http/http_request.h"

#define CONNECTION_TIMEOUT_S 30
/* Connection memory beyond max_header: request line, response headers and
 * the read buffer for body chunks. */
#define POOL_SPARE (6 * 1024)
/* Body buffers above this are freed after their request, smaller ones are
 * kept for the next request on the connection. */
#define BODY_KEEP_MAX (64 * 1024)
/* An oversized chunked body is read and dropped up to this many bytes so
 * the client gets its 413; past it the connection is closed. */
#define DISCARD_MAX (4 * 1024 * 1024)

/* Threads that run requests which may wait for a durable commit; they
 * mostly sleep, and their number bounds how many commits the store can
 * group into one transaction. */
#define OFFLOAD_THREADS 32

struct cse_http_server {
    struct MHD_Daemon *daemon;
    cse_http_offload_t *offload;
    cse_http_options_t opt;
    char host[INET6_ADDRSTRLEN];
    int ipv6;
    int port;
    int routes; /* a plugin serves CSE_EVT_HTTP_ROUTE */
};

/* Per-connection state, reused by the requests of a keep-alive connection
 * (MHD runs them one after the other), so a request costs no allocation of
 * its own unless its body outgrows the buffer. */
enum conn_phase { PHASE_IDLE = 0, PHASE_OFFLOADED, PHASE_DONE };

typedef struct http_conn {
    cse_http_job_t job; /* the pipeline run of a suspended request */
    struct MHD_Connection *conn;
    int phase; /* enum conn_phase */
    char *body;
    size_t body_len, body_cap;
    int too_large;
    size_t discarded;
    char *query; /* raw query of the current request, for plugin routes */
    size_t query_cap;
    int has_query;
    char cred[256];
    cse_http_tls_conn_t tls; /* the connection's association (HTTPS) */
    cse_request_t req;
    cse_response_t resp;
} http_conn_t;

static const char allowed_methods[] = "GET, POST, PUT, DELETE";

/* --- MHD accessors for the pure translation ---------------------------- */

static const char *conn_header(void *ctx, const char *name) {
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

typedef struct args_walk {
    cse_http_arg_fn fn;
    void *cls;
} args_walk_t;

static enum MHD_Result walk_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value) {
    (void)kind;
    args_walk_t *w = cls;
    return w->fn(w->cls, key, value) ? MHD_NO : MHD_YES;
}

static void conn_args(void *ctx, cse_http_arg_fn fn, void *cls) {
    args_walk_t w = {fn, cls};
    MHD_get_connection_values(ctx, MHD_GET_ARGUMENT_KIND, walk_arg, &w);
}

static void input_init(cse_http_input_t *in, struct MHD_Connection *c, http_conn_t *hc,
                       const char *method, const char *url) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *peer = ci ? ci->client_addr : NULL;
    *in = (cse_http_input_t){
        .method = method,
        .path = url,
        .header = conn_header,
        .header_ctx = c,
        .args = conn_args,
        .args_ctx = c,
        .body = hc->body,
        .body_len = hc->body_len,
        .tls = hc->tls.tls != NULL,
        .peer = peer,
        .peer_len = !peer                         ? 0
                    : peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in),
        .cred_buf = hc->cred,
        .cred_cap = sizeof(hc->cred),
    };
}

/* --- responses ------------------------------------------------------------ */

typedef struct reply {
    int status;
    int rsc;
    const cse_request_t *req; /* for the echoed headers; may be NULL */
    char *body;               /* ownership passes to MHD (released with free_fn) */
    size_t body_len;
    void (*free_fn)(void *);
    const char *content_type;
    const char *location;
    const char *www_authenticate; /* a plugin's challenge, or NULL */
} reply_t;

static enum MHD_Result send_reply(struct MHD_Connection *c, const reply_t *r) {
    struct MHD_Response *mr =
        r->body
            ? MHD_create_response_from_buffer_with_free_callback(r->body_len, r->body, r->free_fn)
            : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!mr) {
        if (r->body)
            r->free_fn(r->body);
        return MHD_NO;
    }
    char rsc[16];
    snprintf(rsc, sizeof(rsc), "%d", r->rsc);
    int ok = MHD_add_response_header(mr, "X-M2M-RSC", rsc) == MHD_YES;
    if (r->req && r->req->rqi[0])
        ok &= MHD_add_response_header(mr, "X-M2M-RI", r->req->rqi) == MHD_YES;
    if (r->req && r->req->rvi[0])
        ok &= MHD_add_response_header(mr, "X-M2M-RVI", r->req->rvi) == MHD_YES;
    if (r->body)
        ok &= MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type) == MHD_YES;
    if (r->location && r->location[0])
        ok &= MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_LOCATION, r->location) == MHD_YES;
    if (r->www_authenticate)
        ok &= MHD_add_response_header(mr, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate) ==
              MHD_YES;
    if (r->rsc == CSE_RSC_OPERATION_NOT_ALLOWED)
        ok &= MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, allowed_methods) == MHD_YES;
    enum MHD_Result ret = ok ? MHD_queue_response(c, (unsigned)r->status, mr) : MHD_NO;
    MHD_destroy_response(mr);
    return ret;
}

/* Sends resp (its body moves to MHD) with the given HTTP status. */
static enum MHD_Result send_response(struct MHD_Connection *c, int status, const cse_request_t *req,
                                     cse_response_t *resp) {
    reply_t r = {
        .status = status,
        .rsc = resp->rsc,
        .req = req,
        .body = resp->body,
        .body_len = resp->body_len,
        .free_fn = free,
        .content_type = "application/json",
        .location = req->op == CSE_OP_CREATE ? resp->location : NULL,
        .www_authenticate = resp->www_authenticate,
    };
    resp->body = NULL;
    resp->body_len = 0;
    return send_reply(c, &r);
}

/* An error found by the binding: rsc with {"m2m:dbg": reason}. */
static enum MHD_Result send_error(struct MHD_Connection *c, http_conn_t *hc, int status, int rsc,
                                  const char *reason) {
    cse_response_init(&hc->resp);
    cse_response_error(&hc->resp, rsc, "%s", reason);
    enum MHD_Result ret = send_response(c, status, &hc->req, &hc->resp);
    cse_response_clear(&hc->resp);
    return ret;
}

/* An error found before the request is parsed: only RI/RVI are echoed. */
static enum MHD_Result send_early(struct MHD_Connection *c, http_conn_t *hc, const char *method,
                                  const char *url, int status, int rsc, const char *reason) {
    cse_http_input_t in;
    input_init(&in, c, hc, method, url);
    cse_request_init(&hc->req);
    cse_http_request_echo(&in, &hc->req);
    return send_error(c, hc, status, rsc, reason);
}

static enum MHD_Result send_early_error(struct MHD_Connection *c, http_conn_t *hc,
                                        const char *method, const char *url, int status,
                                        const char *reason) {
    return send_early(c, hc, method, url, status, CSE_RSC_BAD_REQUEST, reason);
}

/* --- plugin routes -------------------------------------------------------- */

static int rsc_of_status(int status) {
    switch (status) {
    case 200:
    case 204:
        return CSE_RSC_OK;
    case 201:
        return CSE_RSC_CREATED;
    case 401:
    case 403:
        return CSE_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
    case 404:
        return CSE_RSC_NOT_FOUND;
    case 405:
        return CSE_RSC_OPERATION_NOT_ALLOWED;
    case 409:
        return CSE_RSC_CONFLICT;
    case 415:
        return CSE_RSC_UNSUPPORTED_MEDIA_TYPE;
    default:
        if (status >= 200 && status < 300)
            return CSE_RSC_OK;
        if (status >= 400 && status < 500)
            return CSE_RSC_BAD_REQUEST;
        return CSE_RSC_INTERNAL_SERVER_ERROR;
    }
}

/* Offers the request to the plugins' HTTP_ROUTE chain. Returns 1 with *ret
 * set when a plugin answered, 0 when every plugin deferred. */
static int try_route(struct MHD_Connection *c, http_conn_t *hc, const cse_http_input_t *in,
                     enum MHD_Result *ret) {
    cse_security_context_t sec;
    cse_http_error_t err;
    memset(&sec, 0, sizeof(sec));
    if (cse_http_security_fill(in, &sec, &err) < 0) {
        /* A malformed Authorization proves nothing: the route sees none. */
        sec.bearer_token = sec.onem2m_tokens = NULL;
        sec.basic_user = sec.basic_password = NULL;
    }
    if (hc->tls.tls)
        cse_http_tls_conn_apply(&hc->tls, &sec);
    cse_evt_http_route_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.sec = &sec;
    ev.origin = conn_header(c, "X-M2M-Origin");
    ev.method = in->method;
    ev.path = in->path;
    ev.query = hc->has_query ? hc->query : NULL;
    ev.body = in->body;
    ev.body_len = in->body_len;
    ev.content_type = conn_header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    int res = cse_plugin_host_run(CSE_EVT_HTTP_ROUTE, &ev);
    if (res == CSE_PLUGIN_DEFER) {
        cse_free(ev.response_body);
        return 0;
    }
    int status = ev.status >= 100 && ev.status <= 599 ? ev.status
                 : res == CSE_PLUGIN_DENY             ? 403
                                                      : 200;
    ev.response_content_type[sizeof(ev.response_content_type) - 1] = '\0';
    reply_t r = {
        .status = status,
        .rsc = rsc_of_status(status),
        .body = ev.response_body,
        .body_len = ev.response_body ? strlen(ev.response_body) : 0,
        .free_fn = cse_free,
        .content_type = ev.response_content_type[0] ? ev.response_content_type : "application/json",
    };
    *ret = send_reply(c, &r);
    return 1;
}

/* Keeps the raw query of each request for plugin routes (MHD hands the
 * handler only decoded arguments). Runs before the headers are parsed. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    http_conn_t *hc = ci ? ci->socket_context : NULL;
    if (!hc)
        return NULL;
    const char *q = strchr(uri, '?');
    hc->has_query = 0;
    if (!q)
        return NULL;
    size_t len = strlen(q + 1);
    if (len + 1 > hc->query_cap) {
        char *n = realloc(hc->query, len + 1);
        if (!n)
            return NULL;
        hc->query = n;
        hc->query_cap = len + 1;
    }
    memcpy(hc->query, q + 1, len + 1);
    hc->has_query = 1;
    return NULL;
}

/* --- the request ---------------------------------------------------------- */

/* Ends a request: the response goes out, per-request state is reset. */
static enum MHD_Result finish(struct MHD_Connection *c, http_conn_t *hc, enum MHD_Result ret) {
    if (hc->phase == PHASE_DONE) {
        ret = send_response(c, cse_rsc_to_http(hc->resp.rsc), &hc->req, &hc->resp);
        cse_response_clear(&hc->resp);
    }
    hc->phase = PHASE_IDLE;
    cse_request_clear(&hc->req);
    if (hc->body_cap > BODY_KEEP_MAX) {
        free(hc->body);
        hc->body = NULL;
        hc->body_cap = 0;
    }
    hc->body_len = 0;
    return ret;
}

/* On an offload thread: run the pipeline, then hand the connection back to
 * its event loop, which calls on_request again to send the response. hc
 * must not be touched after the resume (the connection may close). */
static void run_offloaded(cse_http_job_t *job) {
    http_conn_t *hc = (http_conn_t *)((char *)job - offsetof(http_conn_t, job));
    struct MHD_Connection *c = hc->conn;
    cse_pipeline_handle(&hc->req, &hc->resp);
    hc->phase = PHASE_DONE;
    MHD_resume_connection(c);
}

/* Runs a complete request (headers and body received). Reads run on the
 * event-loop thread; anything that may write is offloaded. */
static enum MHD_Result serve(cse_http_server_t *srv, struct MHD_Connection *c, http_conn_t *hc,
                             const char *method, const char *url) {
    cse_http_input_t in;
    input_init(&in, c, hc, method, url);
    enum MHD_Result ret = MHD_NO;
    if (srv->routes && try_route(c, hc, &in, &ret))
        return finish(c, hc, ret);

    cse_http_error_t err;
    if (cse_http_request_parse(&in, &hc->req, &err) < 0)
        return finish(c, hc, send_error(c, hc, cse_rsc_to_http(err.rsc), err.rsc, err.reason));
    if (hc->tls.tls)
        cse_http_tls_conn_apply(&hc->tls, &hc->req.sec);
    cse_response_init(&hc->resp);
    if (hc->req.op != CSE_OP_RETRIEVE && srv->offload) {
        hc->job.run = run_offloaded;
        hc->conn = c;
        hc->phase = PHASE_OFFLOADED;
        MHD_suspend_connection(c); /* before the job can resume it */
        if (cse_http_offload_submit(srv->offload, &hc->job) == 0)
            return MHD_YES;
        MHD_resume_connection(c); /* stopping: run it here */
    }
    cse_pipeline_handle(&hc->req, &hc->resp);
    hc->phase = PHASE_DONE;
    return finish(c, hc, MHD_YES);
}

/* Bytes of the header fields as they were sent ("name: value\r\n"). */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* Grows the body buffer to hold want bytes (plus a NUL). */
static int body_reserve(http_conn_t *hc, size_t want, size_t max) {
    if (want + 1 <= hc->body_cap)
        return 0;
    size_t cap = hc->body_cap ? hc->body_cap : 1024;
    while (cap < want + 1)
        cap *= 2;
    if (cap > max + 1)
        cap = max + 1;
    char *n = realloc(hc->body, cap);
    if (!n)
        return -1;
    hc->body = n;
    hc->body_cap = cap;
    return 0;
}

static enum MHD_Result on_headers(cse_http_server_t *srv, struct MHD_Connection *c, http_conn_t *hc,
                                  const char *method, const char *url) {
    char reason[96];
    hc->body_len = 0;
    hc->too_large = 0;
    hc->discarded = 0;
    /* A refused TLS connection is answered before its body is read, so
     * MHD closes it after the response. */
    if (srv->opt.tls && cse_http_tls_conn_check(srv->opt.tls, c, &hc->tls) < 0)
        return send_early(c, hc, method, url, cse_rsc_to_http(hc->tls.refused_rsc),
                          hc->tls.refused_rsc, hc->tls.reason);

    size_t header_bytes = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &header_bytes);
    if (header_bytes > srv->opt.max_header) {
        snprintf(reason, sizeof(reason), "header fields exceed %zu bytes", srv->opt.max_header);
        return send_early_error(c, hc, method, url, 431, reason);
    }

    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    unsigned long long len = 0;
    if (cl) {
        char *end;
        errno = 0;
        len = strtoull(cl, &end, 10);
        if (errno || end == cl || *end)
            return send_early_error(c, hc, method, url, 400, "invalid Content-Length");
        if (len > srv->opt.max_body) {
            snprintf(reason, sizeof(reason), "body exceeds %zu bytes", srv->opt.max_body);
            return send_early_error(c, hc, method, url, 413, reason);
        }
    }
    /* Even without a body the response waits for the next call: one queued
     * now would make MHD close the connection (it assumes an unread body). */
    if (len && body_reserve(hc, (size_t)len, srv->opt.max_body) < 0)
        return MHD_NO;
    return MHD_YES;
}

static enum MHD_Result on_body(cse_http_server_t *srv, http_conn_t *hc, const char *data,
                               size_t size) {
    if (!hc->too_large && hc->body_len + size > srv->opt.max_body)
        hc->too_large = 1;
    if (hc->too_large) {
        hc->discarded += size;
        return hc->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    if (body_reserve(hc, hc->body_len + size, srv->opt.max_body) < 0)
        return MHD_NO;
    memcpy(hc->body + hc->body_len, data, size);
    hc->body_len += size;
    hc->body[hc->body_len] = '\0';
    return MHD_YES;
}

/* MHD calls this first with the headers, then once per body chunk, then
 * with *upload_data_size == 0 once the body is complete. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    cse_http_server_t *srv = cls;
    http_conn_t *hc = *con_cls;
    if (!hc) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        hc = ci ? ci->socket_context : NULL;
        if (!hc)
            return MHD_NO;
        *con_cls = hc;
        return on_headers(srv, c, hc, method, url);
    }
    if (hc->phase == PHASE_DONE) /* resumed after an offloaded run */
        return finish(c, hc, MHD_NO);
    if (*upload_data_size) {
        enum MHD_Result ret = on_body(srv, hc, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ret;
    }
    if (hc->too_large) {
        char reason[64];
        snprintf(reason, sizeof(reason), "body exceeds %zu bytes", srv->opt.max_body);
        hc->body_len = 0;
        return send_early_error(c, hc, method, url, 413, reason);
    }
    return serve(srv, c, hc, method, url);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    (void)cls;
    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(http_conn_t));
        return;
    }
    http_conn_t *hc = *socket_context;
    if (hc) {
        /* Closed between an offloaded run and its response (client gone,
         * or the daemon stopping): the response was never sent. */
        if (hc->phase == PHASE_DONE) {
            cse_response_clear(&hc->resp);
            cse_request_clear(&hc->req);
        }
        cse_http_tls_conn_closed(&hc->tls);
        free(hc->body);
        free(hc->query);
        free(hc);
    }
    *socket_context = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    cse_log(CSE_LOG_WARN, "http: %s", msg);
}

/* --- lifetime ------------------------------------------------------------- */

static int resolve_listen(cse_http_server_t *srv, struct sockaddr_storage *ss, socklen_t *len,
                          char *err, size_t err_cap) {
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(srv->opt.listen, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_cap, "http: cannot resolve listen address '%s': %s", srv->opt.listen,
                 gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    srv->ipv6 = ss->ss_family == AF_INET6;
    if (srv->ipv6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)srv->opt.port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)srv->opt.port);
    getnameinfo((struct sockaddr *)ss, *len, srv->host, sizeof(srv->host), NULL, 0, NI_NUMERICHOST);
    return 0;
}

cse_http_server_t *cse_http_server_start(const cse_http_options_t *opt, char *err, size_t err_cap) {
    cse_http_server_t *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        snprintf(err, err_cap, "http: out of memory");
        return NULL;
    }
    srv->opt = *opt;
    if (opt->port < 0 || opt->port > 65535) {
        snprintf(err, err_cap, "http: invalid port %d", opt->port);
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (resolve_listen(srv, &ss, &sslen, err, err_cap) < 0)
        goto fail;
    srv->routes = cse_plugin_host_has(CSE_EVT_HTTP_ROUTE);

    unsigned threads = opt->threads > 0 ? (unsigned)opt->threads : 0;
    if (!threads) {
        /* A write blocks its thread until it is durable: enough threads let
         * concurrent writes wait together and share one group commit. */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 8 ? (unsigned)n * 4 : 32;
    }
    /* MHD parses headers inside this per-connection memory; leave room
     * above max_header so our own check (with X-M2M-RSC) answers first.
     * Not more: MHD clears the whole pool for every request. */
    size_t pool = opt->max_header + POOL_SPARE;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (srv->ipv6)
        flags |= MHD_USE_IPv6;
    if (opt->tls)
        flags |= MHD_USE_TLS;
    /* The logger comes first so that MHD reports everything through it;
     * function pointers travel in the value field. */
    struct MHD_OptionItem ops[10 + CSE_HTTP_TLS_MAX_OPTIONS] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL},
    };
    int nops = 5;
    if (threads > 1)
        ops[nops++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL};
    if (srv->routes)
        ops[nops++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, NULL};
    if (opt->tls)
        nops += cse_http_tls_mhd_options(opt->tls, ops + nops);
    ops[nops] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->offload = cse_http_offload_start(OFFLOAD_THREADS);
    if (!srv->offload) {
        snprintf(err, err_cap, "http: cannot start worker threads");
        goto fail;
    }
    errno = 0;
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, ops,
                                   MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, err_cap, "http: cannot listen on %s port %d%s%s", srv->host, opt->port,
                 errno ? ": " : "", errno ? strerror(errno) : "");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : opt->port;
    return srv;

fail:
    cse_http_offload_free(srv->offload);
    free(srv);
    return NULL;
}

int cse_http_server_port(const cse_http_server_t *srv) {
    return srv->port;
}

void cse_http_server_url(const cse_http_server_t *srv, char *buf, size_t cap) {
    snprintf(buf, cap, srv->ipv6 ? "%s://[%s]:%d" : "%s://%s:%d",
             srv->opt.tls ? cse_http_tls_scheme(srv->opt.tls) : "http", srv->host, srv->port);
}

void cse_http_server_stop(cse_http_server_t *srv) {
    if (!srv)
        return;
    /* Every offloaded request finishes and resumes its connection first:
     * MHD must not stop with suspended connections. Requests arriving
     * meanwhile run on the loop threads. */
    cse_http_offload_drain(srv->offload);
    MHD_stop_daemon(srv->daemon);
    cse_http_offload_free(srv->offload);
    free(srv);
}
