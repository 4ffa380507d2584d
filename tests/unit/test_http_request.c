/* The pure HTTP → request translation (cse/http/http_request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "cse/core/rsc.h"
#include "cse/http/http_request.h"

#define MAX_PAIRS 40

typedef struct pairs {
    const char *k[MAX_PAIRS];
    const char *v[MAX_PAIRS];
    int n;
} pairs_t;

typedef struct fake {
    const char *method;
    const char *path;
    pairs_t hdr;
    pairs_t arg;
    const char *body;
    int tls;
    char cred[128];
    cse_request_t req;
    cse_http_error_t err;
} fake_t;

static const char *fake_header(void *ctx, const char *name) {
    pairs_t *h = ctx;
    for (int i = 0; i < h->n; i++)
        if (strcasecmp(h->k[i], name) == 0)
            return h->v[i];
    return NULL;
}

static void fake_args(void *ctx, cse_http_arg_fn fn, void *cls) {
    pairs_t *a = ctx;
    for (int i = 0; i < a->n; i++)
        if (fn(cls, a->k[i], a->v[i]))
            return;
}

static void put(pairs_t *p, const char *k, const char *v) {
    p->k[p->n] = k;
    p->v[p->n] = v;
    p->n++;
}

/* A valid GET /cse-in with RI and RVI; tests adjust it. */
static void fake_init(fake_t *f, const char *method, const char *path) {
    memset(f, 0, sizeof(*f));
    f->method = method;
    f->path = path;
    put(&f->hdr, "X-M2M-RI", "rq1");
    put(&f->hdr, "X-M2M-RVI", "3");
}

static void set_header(fake_t *f, const char *k, const char *v) {
    for (int i = 0; i < f->hdr.n; i++) {
        if (strcasecmp(f->hdr.k[i], k) == 0) {
            f->hdr.v[i] = v;
            return;
        }
    }
    put(&f->hdr, k, v);
}

static int run(fake_t *f) {
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(4242)};
    inet_pton(AF_INET, "127.0.0.9", &sin.sin_addr);
    cse_http_input_t in = {
        .method = f->method,
        .path = f->path,
        .header = fake_header,
        .header_ctx = &f->hdr,
        .args = fake_args,
        .args_ctx = &f->arg,
        .body = f->body,
        .body_len = f->body ? strlen(f->body) : 0,
        .tls = f->tls,
        .peer = (const struct sockaddr *)&sin,
        .peer_len = sizeof(sin),
        .cred_buf = f->cred,
        .cred_cap = sizeof(f->cred),
    };
    int rc = cse_http_request_parse(&in, &f->req, &f->err);
    return rc < 0 ? f->err.rsc : 0;
}

/* Runs f and expects failure rsc with `word` in the reason. */
static void expect_fail(fake_t *f, int rsc, const char *word) {
    assert_int_equal(run(f), rsc);
    if (word && !strstr(f->err.reason, word))
        fail_msg("reason '%s' does not name '%s'", f->err.reason, word);
    cse_request_clear(&f->req);
}

/* --- methods ----------------------------------------------------------- */

static void test_methods(void **state) {
    (void)state;
    static const struct {
        const char *method;
        const char *ct;
        int op, ty;
    } cases[] = {
        {"GET", NULL, CSE_OP_RETRIEVE, 0},
        {"PUT", "application/json", CSE_OP_UPDATE, 0},
        {"PUT", "application/json;ty=3", CSE_OP_UPDATE, 0}, /* ty only means CREATE */
        {"DELETE", NULL, CSE_OP_DELETE, 0},
        {"POST", "application/json;ty=2", CSE_OP_CREATE, 2},
        {"POST", "application/json", CSE_OP_NOTIFY, 0},
        {"POST", "application/vnd.onem2m-ntfy+json", CSE_OP_NOTIFY, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_t f;
        fake_init(&f, cases[i].method, "/cse-in");
        if (cases[i].ct) {
            set_header(&f, "Content-Type", cases[i].ct);
            f.body = "{}";
        }
        assert_int_equal(run(&f), 0);
        assert_int_equal(f.req.op, cases[i].op);
        assert_int_equal(f.req.ty, cases[i].ty);
        cse_request_clear(&f.req);
    }
}

static void test_method_not_allowed(void **state) {
    (void)state;
    const char *bad[] = {"PATCH", "HEAD", "OPTIONS", "get", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fake_t f;
        fake_init(&f, bad[i], "/cse-in");
        expect_fail(&f, CSE_RSC_OPERATION_NOT_ALLOWED, "not allowed");
        /* The error response still echoes RI and RVI. */
        assert_string_equal(f.req.rqi, "rq1");
        assert_string_equal(f.req.rvi, "3");
    }
}

/* --- oneM2M headers ---------------------------------------------------- */

static void test_request_identifier(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    assert_int_equal(run(&f), 0);
    assert_string_equal(f.req.rqi, "rq1");
    cse_request_clear(&f.req);

    fake_init(&f, "GET", "/cse-in");
    f.hdr.k[0] = "X-Other"; /* drop X-M2M-RI */
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "X-M2M-RI");

    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "X-M2M-RI", "");
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "X-M2M-RI");

    char longri[CSE_MAX_ID + 1];
    memset(longri, 'r', CSE_MAX_ID);
    longri[CSE_MAX_ID] = '\0';
    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "X-M2M-RI", longri);
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "X-M2M-RI");
    assert_string_equal(f.req.rqi, ""); /* never echoed truncated */

    longri[CSE_MAX_ID - 1] = '\0'; /* the longest that fits */
    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "X-M2M-RI", longri);
    assert_int_equal(run(&f), 0);
    assert_string_equal(f.req.rqi, longri);
    cse_request_clear(&f.req);
}

static void test_release_versions(void **state) {
    (void)state;
    const char *good[] = {"2a", "3", "4", "5"};
    for (size_t i = 0; i < 4; i++) {
        fake_t f;
        fake_init(&f, "GET", "/cse-in");
        set_header(&f, "X-M2M-RVI", good[i]);
        assert_int_equal(run(&f), 0);
        assert_string_equal(f.req.rvi, good[i]);
        cse_request_clear(&f.req);
    }
    const char *bad[] = {"1", "2", "6", "3 ", "", "2A", "33"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fake_t f;
        fake_init(&f, "GET", "/cse-in");
        set_header(&f, "X-M2M-RVI", bad[i]);
        expect_fail(&f, CSE_RSC_BAD_REQUEST, "X-M2M-RVI");
        assert_string_equal(f.req.rvi, "");
    }
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    f.hdr.k[1] = "X-Other"; /* no RVI at all */
    assert_int_equal(run(&f), 0);
    assert_string_equal(f.req.rvi, "");
    cse_request_clear(&f.req);
}

static void test_originator(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "X-M2M-Origin", "Cae1");
    assert_int_equal(run(&f), 0);
    assert_string_equal(f.req.from, "Cae1");
    assert_int_equal(f.req.has_from, 1);
    cse_request_clear(&f.req);

    fake_init(&f, "GET", "/cse-in");
    assert_int_equal(run(&f), 0);
    assert_int_equal(f.req.has_from, 0);
    cse_request_clear(&f.req);

    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "X-M2M-Origin", "");
    assert_int_equal(run(&f), 0);
    assert_int_equal(f.req.has_from, 0);
    cse_request_clear(&f.req);

    char longfr[CSE_MAX_ID + 1];
    memset(longfr, 'C', CSE_MAX_ID);
    longfr[CSE_MAX_ID] = '\0';
    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "X-M2M-Origin", longfr);
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "X-M2M-Origin");
}

/* --- Content-Type and Accept ------------------------------------------ */

static void test_content_types(void **state) {
    (void)state;
    static const struct {
        const char *ct;
        int rsc, ty;
    } cases[] = {
        {"application/json;ty=2", 0, 2},
        {"application/json; ty=2", 0, 2},
        {"application/vnd.onem2m-res+json; ty=3", 0, 3},
        {"application/vnd.onem2m-res+json;ty=4", 0, 4},
        {"application/json; charset=utf-8; ty=4", 0, 4},
        {"application/json;ty=23;charset=utf-8", 0, 23},
        {"application/json ; ty = 4 ", 0, 4},
        {"Application/JSON;TY=2", 0, 2},
        {"application/json;ty=\"2\"", 0, 2},
        {"\tapplication/json\t;\tty=9", 0, 9},
        {"application/json", 0, 0},
        {"application/json;charset=utf-8", 0, 0},
        {"text/plain;ty=2", CSE_RSC_UNSUPPORTED_MEDIA_TYPE, 0},
        {"application/xml;ty=2", CSE_RSC_UNSUPPORTED_MEDIA_TYPE, 0},
        {"application/vnd.onem2m-res+xml;ty=2", CSE_RSC_UNSUPPORTED_MEDIA_TYPE, 0},
        {"application/vnd.onem2m-res+cbor;ty=2", CSE_RSC_UNSUPPORTED_MEDIA_TYPE, 0},
        {"application/jsonx;ty=2", CSE_RSC_UNSUPPORTED_MEDIA_TYPE, 0},
        {"", CSE_RSC_UNSUPPORTED_MEDIA_TYPE, 0},
        {";ty=2", CSE_RSC_UNSUPPORTED_MEDIA_TYPE, 0},
        {"application/json;ty=abc", CSE_RSC_BAD_REQUEST, 0},
        {"application/json;ty=0", CSE_RSC_BAD_REQUEST, 0},
        {"application/json;ty=-2", CSE_RSC_BAD_REQUEST, 0},
        {"application/json;ty=", CSE_RSC_BAD_REQUEST, 0},
        {"application/json;ty", CSE_RSC_BAD_REQUEST, 0},
        {"application/json;ty=2;ty=3", CSE_RSC_BAD_REQUEST, 0},
        {"application/json;ty=2 3", CSE_RSC_BAD_REQUEST, 0},
        {"application/json;ty=999999", CSE_RSC_BAD_REQUEST, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_t f;
        fake_init(&f, "POST", "/cse-in");
        set_header(&f, "Content-Type", cases[i].ct);
        f.body = "{\"m2m:ae\":{}}";
        int rc = run(&f);
        if (rc != cases[i].rsc)
            fail_msg("Content-Type '%s': rsc %d, expected %d", cases[i].ct, rc, cases[i].rsc);
        if (rc == 0) {
            assert_int_equal(f.req.ty, cases[i].ty);
            assert_int_equal(f.req.op, cases[i].ty ? CSE_OP_CREATE : CSE_OP_NOTIFY);
            assert_ptr_equal(f.req.body, f.body);
            assert_int_equal(f.req.body_len, strlen(f.body));
        } else {
            assert_true(strstr(f.err.reason, "Content-Type") != NULL);
        }
        cse_request_clear(&f.req);
    }
}

static void test_body_needs_content_type(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "PUT", "/cse-in/ae1");
    f.body = "{}";
    expect_fail(&f, CSE_RSC_UNSUPPORTED_MEDIA_TYPE, "Content-Type");

    fake_init(&f, "POST", "/cse-in"); /* empty NOTIFY: the core judges it */
    assert_int_equal(run(&f), 0);
    assert_int_equal(f.req.op, CSE_OP_NOTIFY);
    cse_request_clear(&f.req);
}

static void test_accept(void **state) {
    (void)state;
    static const struct {
        const char *accept;
        int ok;
    } cases[] = {
        {"application/json", 1},
        {"application/vnd.onem2m-res+json", 1},
        {"*/*", 1},
        {"application/*", 1},
        {"application/xml, */*;q=0.1", 1},
        {"text/html, application/json;q=0.9", 1},
        {"", 1},
        {"application/xml", 0},
        {"application/vnd.onem2m-res+cbor, text/plain", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_t f;
        fake_init(&f, "GET", "/cse-in");
        set_header(&f, "Accept", cases[i].accept);
        if (cases[i].ok) {
            assert_int_equal(run(&f), 0);
            cse_request_clear(&f.req);
        } else {
            expect_fail(&f, CSE_RSC_NOT_ACCEPTABLE, "Accept");
        }
    }
}

/* --- Authorization ----------------------------------------------------- */

static void test_bearer(void **state) {
    (void)state;
    const char *forms[] = {"Bearer abc.def.ghi", "bearer abc.def.ghi", "  Bearer   abc.def.ghi"};
    for (size_t i = 0; i < 3; i++) {
        fake_t f;
        fake_init(&f, "GET", "/cse-in");
        set_header(&f, "Authorization", forms[i]);
        assert_int_equal(run(&f), 0);
        assert_string_equal(f.req.sec.bearer_token, "abc.def.ghi");
        assert_null(f.req.sec.onem2m_tokens);
        cse_request_clear(&f.req);
    }
    const char *bad[] = {"Bearer ", "Bearer a b", ""};
    for (size_t i = 0; i < 3; i++) {
        fake_t f;
        fake_init(&f, "GET", "/cse-in");
        set_header(&f, "Authorization", bad[i]);
        expect_fail(&f, CSE_RSC_BAD_REQUEST, "Authorization");
    }
}

static void test_onem2m_tokens(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "Authorization", "eyJh.eyJi.c2ln+eyJj.eyJk.c2ln");
    assert_int_equal(run(&f), 0);
    assert_string_equal(f.req.sec.onem2m_tokens, "eyJh.eyJi.c2ln+eyJj.eyJk.c2ln");
    assert_null(f.req.sec.bearer_token);
    cse_request_clear(&f.req);

    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "Authorization", "Digest username=x");
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "scheme");
}

static void test_basic(void **state) {
    (void)state;
    /* "dev1:s3cr:et" */
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    set_header(&f, "Authorization", "Basic ZGV2MTpzM2NyOmV0");
    assert_int_equal(run(&f), 0); /* plain HTTP: ignored */
    assert_null(f.req.sec.basic_user);
    assert_null(f.req.sec.basic_password);
    assert_int_equal(f.req.sec.binding, CSE_BINDING_HTTP);
    cse_request_clear(&f.req);

    fake_init(&f, "GET", "/cse-in");
    f.tls = 1;
    set_header(&f, "Authorization", "Basic ZGV2MTpzM2NyOmV0");
    assert_int_equal(run(&f), 0);
    assert_string_equal(f.req.sec.basic_user, "dev1");
    assert_string_equal(f.req.sec.basic_password, "s3cr:et");
    assert_int_equal(f.req.sec.binding, CSE_BINDING_HTTPS);
    cse_request_clear(&f.req);

    /* "u:" (empty password), one '=' of padding */
    fake_init(&f, "GET", "/cse-in");
    f.tls = 1;
    set_header(&f, "Authorization", "Basic dTo=");
    assert_int_equal(run(&f), 0);
    assert_string_equal(f.req.sec.basic_user, "u");
    assert_string_equal(f.req.sec.basic_password, "");
    cse_request_clear(&f.req);

    /* no colon, bad alphabet, bad length, embedded NUL ("a\0:b"), padding inside */
    const char *bad[] = {"Basic ZGV2MQ==", "Basic ZG*2MTpz", "Basic ZGV2M",
                         "Basic YQA6Yg==", "Basic ZG==MTpz", "Basic "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fake_init(&f, "GET", "/cse-in");
        f.tls = 1;
        set_header(&f, "Authorization", bad[i]);
        expect_fail(&f, CSE_RSC_BAD_REQUEST, "Authorization");
    }

    /* credentials longer than the buffer */
    char big[400] = "Basic ";
    for (int i = 0; i < 80; i++)
        strcat(big, "YWFh"); /* "aaa" */
    fake_init(&f, "GET", "/cse-in");
    f.tls = 1;
    set_header(&f, "Authorization", big);
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "Authorization");
}

/* --- target ------------------------------------------------------------ */

static void test_paths(void **state) {
    (void)state;
    const char *good[] = {"/cse-in",
                          "/cse-in/ae1/cnt1",
                          "/cae1",
                          "/~/id-in/cse-in/ae1",
                          "/_/example.net/id-in/cse-in",
                          "/"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        fake_t f;
        fake_init(&f, "GET", good[i]);
        assert_int_equal(run(&f), 0);
        assert_string_equal(f.req.to, good[i]); /* as sent: the core resolves the form */
        cse_request_clear(&f.req);
    }
    fake_t f;
    fake_init(&f, "GET", "cse-in");
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "target");
    fake_init(&f, "GET", "");
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "target");
    fake_init(&f, "GET", "/cse-in/a\nb");
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "control");

    char longpath[CSE_MAX_TO + 2];
    longpath[0] = '/';
    memset(longpath + 1, 'a', CSE_MAX_TO);
    longpath[CSE_MAX_TO + 1] = '\0';
    fake_init(&f, "GET", longpath);
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "longer");
    longpath[CSE_MAX_TO - 1] = '\0';
    fake_init(&f, "GET", longpath);
    assert_int_equal(run(&f), 0);
    cse_request_clear(&f.req);
}

static void test_security_context(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    assert_int_equal(run(&f), 0);
    assert_int_equal(f.req.sec.version, 1);
    assert_int_equal(f.req.sec.binding, CSE_BINDING_HTTP);
    assert_int_equal(f.req.sec.assoc_method, CSE_ASSOC_NONE);
    assert_null(f.req.sec.assoc_identity);
    assert_int_equal(f.req.sec.peer_len, sizeof(struct sockaddr_in));
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&f.req.sec.peer;
    assert_int_equal(ntohs(sin->sin_port), 4242);
    assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000009);
    cse_request_clear(&f.req);
}

/* --- query ------------------------------------------------------------- */

static void test_query_values(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    put(&f.arg, "rcn", "4");
    put(&f.arg, "fu", "1");
    put(&f.arg, "drt", "2");
    put(&f.arg, "lim", "10");
    put(&f.arg, "lvl", "3");
    put(&f.arg, "ofst", "5");
    put(&f.arg, "ty", "2");
    put(&f.arg, "ty", "3 4");
    put(&f.arg, "lbl", "a");
    put(&f.arg, "lbl", "b  c");
    put(&f.arg, "crb", "20240101T000000");
    put(&f.arg, "cra", "20231231T235960,123456");
    put(&f.arg, "ms", "20240229T120000,5");
    put(&f.arg, "us", "20240101T000000");
    put(&f.arg, "exb", "20990101T000000");
    put(&f.arg, "exa", "20000101T000000");
    put(&f.arg, "sts", "7");
    put(&f.arg, "stb", "0");
    put(&f.arg, "tids", "whatever"); /* unused parameters are ignored */
    put(&f.arg, "flag", NULL);
    assert_int_equal(run(&f), 0);
    cse_query_t *q = &f.req.q;
    assert_int_equal(q->rcn, 4);
    assert_int_equal(q->fu, 1);
    assert_int_equal(q->drt, 2);
    assert_int_equal(q->lim, 10);
    assert_int_equal(q->lvl, 3);
    assert_int_equal(q->ofst, 5);
    assert_int_equal(q->nty, 3);
    assert_int_equal(q->ty[0], 2);
    assert_int_equal(q->ty[1], 3);
    assert_int_equal(q->ty[2], 4);
    assert_int_equal(q->nlbl, 3);
    assert_string_equal(q->lbl[0], "a");
    assert_string_equal(q->lbl[1], "b");
    assert_string_equal(q->lbl[2], "c");
    assert_string_equal(q->crb, "20240101T000000");
    assert_string_equal(q->cra, "20231231T235960,123456");
    assert_string_equal(q->ms, "20240229T120000,5");
    assert_string_equal(q->us, "20240101T000000");
    assert_string_equal(q->exb, "20990101T000000");
    assert_string_equal(q->exa, "20000101T000000");
    assert_int_equal(q->sts, 7);
    assert_int_equal(q->stb, 0);
    cse_request_clear(&f.req);
    assert_int_equal(f.req.q.nlbl, 0);
}

static void test_query_defaults(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    assert_int_equal(run(&f), 0);
    cse_query_t *q = &f.req.q;
    assert_int_equal(q->rcn, -1);
    assert_int_equal(q->fu, -1);
    assert_int_equal(q->lim, -1);
    assert_int_equal(q->nty, 0);
    assert_int_equal(q->nlbl, 0);
    assert_string_equal(q->crb, "");
    assert_int_equal(q->sts, -1);
    assert_int_equal(q->stb, -1);
    cse_request_clear(&f.req);
}

static void test_query_errors(void **state) {
    (void)state;
    static const struct {
        const char *k1, *v1, *k2, *v2;
        const char *named;
    } cases[] = {
        {"rcn", "12", NULL, NULL, "rcn"},
        {"rcn", "x", NULL, NULL, "rcn"},
        {"rcn", "", NULL, NULL, "rcn"},
        {"rcn", NULL, NULL, NULL, "rcn"},
        {"rcn", " 1", NULL, NULL, "rcn"},
        {"rcn", "1", "rcn", "1", "rcn"},
        {"fu", "0", NULL, NULL, "fu"},
        {"fu", "3", NULL, NULL, "fu"},
        {"drt", "3", NULL, NULL, "drt"},
        {"lim", "-1", NULL, NULL, "lim"},
        {"lim", "99999999999", NULL, NULL, "lim"},
        {"lvl", "1.5", NULL, NULL, "lvl"},
        {"ofst", "+1", NULL, NULL, "ofst"},
        {"ty", "0", NULL, NULL, "ty"},
        {"ty", "abc", NULL, NULL, "ty"},
        {"ty", "", NULL, NULL, "ty"},
        {"ty", NULL, NULL, NULL, "ty"},
        {"lbl", NULL, NULL, NULL, "lbl"},
        {"lbl", "", NULL, NULL, "lbl"},
        {"crb", "2024-01-01T00:00:00", NULL, NULL, "crb"},
        {"cra", "20241301T000000", NULL, NULL, "cra"},
        {"ms", "20240100T000000", NULL, NULL, "ms"},
        {"us", "20240101T240000", NULL, NULL, "us"},
        {"exb", "20240101T000000,1234567", NULL, NULL, "exb"},
        {"exa", "20240101T000000,", NULL, NULL, "exa"},
        {"exa", "20240101T000000Z", NULL, NULL, "exa"},
        {"crb", NULL, NULL, NULL, "crb"},
        {"crb", "20240101T000000", "crb", "20240101T000000", "crb"},
        {"sts", "-1", NULL, NULL, "sts"},
        {"stb", "x", NULL, NULL, "stb"},
        {"stb", "1", "stb", "2", "stb"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_t f;
        fake_init(&f, "GET", "/cse-in");
        put(&f.arg, "lbl", "allocated"); /* must be freed on error too */
        put(&f.arg, cases[i].k1, cases[i].v1);
        if (cases[i].k2)
            put(&f.arg, cases[i].k2, cases[i].v2);
        int rc = run(&f);
        if (rc != CSE_RSC_BAD_REQUEST || !strstr(f.err.reason, cases[i].named))
            fail_msg("%s=%s: rsc %d reason '%s'", cases[i].k1, cases[i].v1 ? cases[i].v1 : "(null)",
                     rc, f.err.reason);
        cse_request_clear(&f.req);
    }
}

static void test_query_list_limits(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    for (int i = 0; i < CSE_MAX_FILTER_TY; i++)
        put(&f.arg, "ty", "3");
    assert_int_equal(run(&f), 0);
    assert_int_equal(f.req.q.nty, CSE_MAX_FILTER_TY);
    cse_request_clear(&f.req);

    fake_init(&f, "GET", "/cse-in");
    for (int i = 0; i < CSE_MAX_FILTER_TY; i++)
        put(&f.arg, "ty", "3");
    put(&f.arg, "ty", "4");
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "ty");

    fake_init(&f, "GET", "/cse-in");
    put(&f.arg, "lbl", "a b c d e f g h i j k l m n o p q");
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "lbl");

    char longlbl[300];
    memset(longlbl, 'l', sizeof(longlbl) - 1);
    longlbl[sizeof(longlbl) - 1] = '\0';
    fake_init(&f, "GET", "/cse-in");
    put(&f.arg, "lbl", longlbl);
    expect_fail(&f, CSE_RSC_BAD_REQUEST, "lbl");
}

static void test_timestamp(void **state) {
    (void)state;
    assert_true(cse_http_timestamp_valid("20240101T000000"));
    assert_true(cse_http_timestamp_valid("20240101T235959,999999"));
    assert_false(cse_http_timestamp_valid("20240101T000000.1"));
    assert_false(cse_http_timestamp_valid("2024010T000000"));
    assert_false(cse_http_timestamp_valid("20240101 000000"));
    assert_false(cse_http_timestamp_valid(""));
}

/* Errors are checked in a fixed order: the method first, then headers. */
static void test_error_order(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "PATCH", "no-slash");
    set_header(&f, "Content-Type", "text/plain");
    expect_fail(&f, CSE_RSC_OPERATION_NOT_ALLOWED, NULL);

    fake_init(&f, "POST", "no-slash");
    set_header(&f, "Content-Type", "text/plain");
    expect_fail(&f, CSE_RSC_UNSUPPORTED_MEDIA_TYPE, NULL);
}

/* The helpers the server uses outside a full parse. */
static cse_http_input_t input_of(fake_t *f) {
    cse_http_input_t in = {
        .method = f->method,
        .path = f->path,
        .header = fake_header,
        .header_ctx = &f->hdr,
        .tls = f->tls,
        .cred_buf = f->cred,
        .cred_cap = sizeof(f->cred),
    };
    return in;
}

static void test_security_fill_alone(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "POST", "/cssf/v1/devices");
    set_header(&f, "Authorization", "Bearer admin.token.x");
    cse_http_input_t in = input_of(&f);
    cse_security_context_t sec;
    memset(&sec, 0, sizeof(sec));
    cse_http_error_t err;
    assert_int_equal(cse_http_security_fill(&in, &sec, &err), 0);
    assert_int_equal(sec.version, 1);
    assert_int_equal(sec.binding, CSE_BINDING_HTTP);
    assert_string_equal(sec.bearer_token, "admin.token.x");

    set_header(&f, "Authorization", "Negotiate abc");
    in = input_of(&f);
    memset(&sec, 0, sizeof(sec));
    assert_int_equal(cse_http_security_fill(&in, &sec, &err), -1);
    assert_int_equal(err.rsc, CSE_RSC_BAD_REQUEST);
}

static void test_echo_alone(void **state) {
    (void)state;
    fake_t f;
    fake_init(&f, "GET", "/cse-in");
    cse_http_input_t in = input_of(&f);
    cse_request_t req;
    cse_request_init(&req);
    cse_http_request_echo(&in, &req);
    assert_string_equal(req.rqi, "rq1");
    assert_string_equal(req.rvi, "3");

    set_header(&f, "X-M2M-RVI", "9");
    in = input_of(&f);
    cse_request_init(&req);
    cse_http_request_echo(&in, &req);
    assert_string_equal(req.rqi, "rq1");
    assert_string_equal(req.rvi, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_request_identifier),
        cmocka_unit_test(test_release_versions),
        cmocka_unit_test(test_originator),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_body_needs_content_type),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_onem2m_tokens),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_security_context),
        cmocka_unit_test(test_query_values),
        cmocka_unit_test(test_query_defaults),
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_query_list_limits),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_error_order),
        cmocka_unit_test(test_security_fill_alone),
        cmocka_unit_test(test_echo_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
