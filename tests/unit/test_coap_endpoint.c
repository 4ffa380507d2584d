/* CoAP message layer (cse/coap/coap_endpoint.c) with a recording handler in
 * place of the pipeline: piggybacked responses, duplicates, oneM2M options,
 * Block1 reassembly, Block2 slicing and errors. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cse/coap/coap_block.h"
#include "cse/coap/coap_endpoint.h"
#include "cse/coap/coap_onem2m.h"
#include "cse/core/rsc.h"

static int calls;
static cse_request_t last;
static char last_body[70000];
static char last_tokens[64];
static char big[3000];

static void handler(cse_request_t *req, cse_response_t *resp) {
    calls++;
    last = *req;
    memset(last.q.lbl, 0, sizeof(last.q.lbl)); /* owned by req */
    snprintf(last_body, sizeof(last_body), "%.*s", (int)req->body_len, req->body ? req->body : "");
    snprintf(last_tokens, sizeof(last_tokens), "%s",
             req->sec.onem2m_tokens ? req->sec.onem2m_tokens : "");
    if (!strcmp(req->to, "/deny")) {
        cse_response_error(resp, CSE_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "no privilege");
        return;
    }
    if (!strcmp(req->to, "/big")) {
        resp->rsc = CSE_RSC_OK;
        resp->body = malloc(sizeof(big));
        memcpy(resp->body, big, sizeof(big));
        resp->body_len = sizeof(big);
        return;
    }
    resp->rsc = req->op == CSE_OP_CREATE   ? CSE_RSC_CREATED
                : req->op == CSE_OP_DELETE ? CSE_RSC_DELETED
                : req->op == CSE_OP_UPDATE ? CSE_RSC_UPDATED
                                           : CSE_RSC_OK;
    if (req->op == CSE_OP_CREATE)
        strcpy(resp->location, "/cse-in/ae1");
    resp->body = strdup("{\"ok\":1}");
    resp->body_len = strlen(resp->body);
}

typedef struct rig {
    cse_coap_endpoint_t *ep;
    cse_security_context_t sec;
    uint8_t out[2048];
    size_t out_len;
    cse_coap_msg_t rsp;
} rig_t;

static int setup(void **state) {
    rig_t *r = calloc(1, sizeof(*r));
    cse_coap_endpoint_cfg_t cfg;
    cse_coap_endpoint_cfg_default(&cfg);
    cfg.handler = handler;
    cfg.max_body = 100;
    r->ep = cse_coap_endpoint_new(&cfg);
    r->sec.version = 1;
    r->sec.binding = CSE_BINDING_COAP;
    struct sockaddr_in *a = (struct sockaddr_in *)&r->sec.peer;
    a->sin_family = AF_INET;
    a->sin_port = htons(40000);
    a->sin_addr.s_addr = htonl(0x7f000001);
    r->sec.peer_len = sizeof(*a);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    calls = 0;
    *state = r;
    return 0;
}

static int teardown(void **state) {
    rig_t *r = *state;
    cse_coap_endpoint_free(r->ep);
    free(r);
    return 0;
}

static void req_init(cse_coap_msg_t *m, uint8_t type, uint8_t code, uint16_t mid) {
    cse_coap_msg_init(m);
    m->type = type;
    m->code = code;
    m->mid = mid;
    m->token_len = 2;
    m->token[0] = (uint8_t)(mid >> 8);
    m->token[1] = (uint8_t)mid;
    cse_coap_msg_add_str(m, CSE_COAP_OPT_M2M_RQI, "rq");
}

/* Sends m and parses the reply into r->rsp; returns the reply length. */
static size_t send_msg(rig_t *r, const cse_coap_msg_t *m) {
    uint8_t in[4096];
    long n = cse_coap_serialize(m, in, sizeof(in));
    assert_true(n > 0);
    r->out_len =
        cse_coap_endpoint_input(r->ep, &r->sec, in, (size_t)n, 1000, r->out, sizeof(r->out));
    if (r->out_len)
        assert_int_equal(cse_coap_parse(r->out, r->out_len, NULL, &r->rsp), CSE_COAP_OK);
    return r->out_len;
}

static uint32_t opt_u(const cse_coap_msg_t *m, uint16_t num) {
    const cse_coap_option_t *o = cse_coap_msg_find(m, num);
    uint32_t v = 0xffffffff;
    if (o)
        cse_coap_opt_uint(o, &v);
    return v;
}

static void assert_opt_str(const cse_coap_msg_t *m, uint16_t num, const char *s) {
    const cse_coap_option_t *o = cse_coap_msg_find(m, num);
    assert_non_null(o);
    assert_int_equal(o->len, strlen(s));
    assert_memory_equal(cse_coap_opt_value(o), s, o->len);
}

static void test_piggybacked_retrieve(void **state) {
    rig_t *r = *state;
    cse_coap_msg_t m;
    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 0x1234);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "cse-in");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "ae1");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_FR, "Cae1");
    cse_coap_msg_remove(&m, CSE_COAP_OPT_M2M_RQI);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RQI, "rq-7");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RVI, "3");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "rcn=1");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "ty=3");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "ty=4");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "lbl=room");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "tkns=abc.def.ghi");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "other=ignored");
    assert_true(send_msg(r, &m) > 0);
    assert_int_equal(calls, 1);
    assert_int_equal(last.op, CSE_OP_RETRIEVE);
    assert_string_equal(last.to, "/cse-in/ae1");
    assert_string_equal(last.from, "Cae1");
    assert_int_equal(last.has_from, 1);
    assert_string_equal(last.rqi, "rq-7");
    assert_string_equal(last.rvi, "3");
    assert_int_equal(last.q.rcn, 1);
    assert_int_equal(last.q.nty, 2);
    assert_int_equal(last.q.ty[1], 4);
    assert_int_equal(last.q.nlbl, 1);
    assert_string_equal(last_tokens, "abc.def.ghi");
    assert_int_equal(last.sec.binding, CSE_BINDING_COAP);
    assert_int_equal(r->rsp.type, CSE_COAP_ACK);
    assert_int_equal(r->rsp.mid, 0x1234);
    assert_int_equal(r->rsp.token_len, 2);
    assert_memory_equal(r->rsp.token, m.token, 2);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 5));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 2000);
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_CONTENT_FORMAT), CSE_COAP_CF_JSON);
    assert_opt_str(&r->rsp, CSE_COAP_OPT_M2M_RQI, "rq-7");
    assert_opt_str(&r->rsp, CSE_COAP_OPT_M2M_RVI, "3");
    assert_int_equal(r->rsp.payload_len, 8);
}

static void test_duplicate_answered_once(void **state) {
    rig_t *r = *state;
    cse_coap_msg_t m;
    req_init(&m, CSE_COAP_CON, CSE_COAP_POST, 77);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "cse-in");
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_M2M_TY, 2);
    m.payload = (const uint8_t *)"{}";
    m.payload_len = 2;
    send_msg(r, &m);
    uint8_t first[2048];
    size_t first_len = r->out_len;
    memcpy(first, r->out, first_len);
    send_msg(r, &m);
    assert_int_equal(calls, 1);
    assert_int_equal(r->out_len, first_len);
    assert_memory_equal(r->out, first, first_len);
    cse_coap_endpoint_stats_t st;
    cse_coap_endpoint_stats(r->ep, &st);
    assert_int_equal(st.duplicates, 1);
    /* the same MID from another port is another exchange */
    ((struct sockaddr_in *)&r->sec.peer)->sin_port = htons(40001);
    send_msg(r, &m);
    assert_int_equal(calls, 2);
    /* and from another DTLS session of the same address too */
    r->sec.session_id = 9;
    send_msg(r, &m);
    assert_int_equal(calls, 3);
}

static void test_create_location(void **state) {
    rig_t *r = *state;
    cse_coap_msg_t m;
    req_init(&m, CSE_COAP_CON, CSE_COAP_POST, 5);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "cse-in");
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_M2M_TY, 2);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_CONTENT_FORMAT, CSE_COAP_CF_M2M_RES_JSON);
    m.payload = (const uint8_t *)"{\"m2m:ae\":{}}";
    m.payload_len = strlen((const char *)m.payload);
    send_msg(r, &m);
    assert_int_equal(last.op, CSE_OP_CREATE);
    assert_int_equal(last.ty, 2);
    assert_string_equal(last_body, "{\"m2m:ae\":{}}");
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 1));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 2001);
    /* the response answers in the request's oneM2M format */
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_CONTENT_FORMAT), CSE_COAP_CF_M2M_RES_JSON);
    const cse_coap_option_t *lp = cse_coap_msg_find(&r->rsp, CSE_COAP_OPT_LOCATION_PATH);
    assert_non_null(lp);
    assert_memory_equal(cse_coap_opt_value(lp), "cse-in", 6);
    lp = cse_coap_msg_next(&r->rsp, CSE_COAP_OPT_LOCATION_PATH, lp);
    assert_non_null(lp);
    assert_memory_equal(cse_coap_opt_value(lp), "ae1", 3);
}

static void test_methods(void **state) {
    rig_t *r = *state;
    cse_coap_msg_t m;
    req_init(&m, CSE_COAP_NON, CSE_COAP_DELETE, 6);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "x");
    send_msg(r, &m);
    assert_int_equal(last.op, CSE_OP_DELETE);
    assert_int_equal(r->rsp.type, CSE_COAP_NON);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 2));
    req_init(&m, CSE_COAP_CON, CSE_COAP_PUT, 7);
    send_msg(r, &m);
    assert_int_equal(last.op, CSE_OP_UPDATE);
    assert_string_equal(last.to, "/");
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 4));
    req_init(&m, CSE_COAP_CON, CSE_COAP_POST, 8); /* POST without TY = NOTIFY */
    send_msg(r, &m);
    assert_int_equal(last.op, CSE_OP_NOTIFY);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 4));
    req_init(&m, CSE_COAP_CON, 5 /* FETCH */, 9);
    send_msg(r, &m);
    assert_int_equal(calls, 3);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 5));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4005);
}

static void test_errors(void **state) {
    rig_t *r = *state;
    cse_coap_msg_t m;
    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 10);
    cse_coap_msg_add_uint(&m, 355, 1); /* unknown critical */
    cse_coap_msg_remove(&m, CSE_COAP_OPT_M2M_RQI);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RQI, "r10");
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 2));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);
    assert_opt_str(&r->rsp, CSE_COAP_OPT_M2M_RQI, "r10");
    assert_non_null(strstr((const char *)r->rsp.payload, "355"));

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 11);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_PROXY_URI, "coap://elsewhere/");
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(5, 5));

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 12);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "deny");
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 3));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4103);

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 13);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "rcn=abc");
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 0));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 14);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "..");
    send_msg(r, &m);
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 15);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_ACCEPT, CSE_COAP_CF_CBOR);
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 6));

    req_init(&m, CSE_COAP_CON, CSE_COAP_PUT, 16);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_CONTENT_FORMAT, 0); /* text/plain */
    m.payload = (const uint8_t *)"x";
    m.payload_len = 1;
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 15));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4015);

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 18);
    cse_coap_msg_remove(&m, CSE_COAP_OPT_M2M_RQI);
    send_msg(r, &m);
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);
    assert_non_null(strstr((const char *)r->rsp.payload, "RQI"));

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 19);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RVI, "9");
    send_msg(r, &m);
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);

    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 21);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "rcn=1");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_QUERY, "rcn=2");
    send_msg(r, &m);
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);

    req_init(&m, CSE_COAP_CON, CSE_COAP_POST, 17);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_M2M_TY, 0);
    send_msg(r, &m);
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);
    assert_int_equal(calls, 1); /* only the request to /deny ran */
}

static void test_empty_and_stray_messages(void **state) {
    rig_t *r = *state;
    uint8_t ping[] = {0x40, 0x00, 0xab, 0xcd};
    uint8_t out[64];
    size_t n = cse_coap_endpoint_input(r->ep, &r->sec, ping, 4, 1, out, sizeof(out));
    assert_int_equal(n, 4);
    assert_int_equal(out[0], 0x70); /* RST */
    assert_int_equal(out[2], 0xab);
    uint8_t ack[] = {0x60, 0x45, 0x00, 0x01};
    assert_int_equal(cse_coap_endpoint_input(r->ep, &r->sec, ack, 4, 1, out, sizeof(out)), 0);
    uint8_t con_resp[] = {0x40, 0x45, 0x00, 0x02};
    assert_int_equal(cse_coap_endpoint_input(r->ep, &r->sec, con_resp, 4, 1, out, sizeof(out)), 4);
    uint8_t bad_con[] = {0x40, 0x01, 0x00, 0x03, 0xf0};
    assert_int_equal(cse_coap_endpoint_input(r->ep, &r->sec, bad_con, 5, 1, out, sizeof(out)), 4);
    assert_int_equal(out[0], 0x70);
    uint8_t bad_non[] = {0x50, 0x01, 0x00, 0x04, 0xf0};
    assert_int_equal(cse_coap_endpoint_input(r->ep, &r->sec, bad_non, 5, 1, out, sizeof(out)), 0);
    uint8_t v0[] = {0x00, 0x01, 0x00, 0x05};
    assert_int_equal(cse_coap_endpoint_input(r->ep, &r->sec, v0, 4, 1, out, sizeof(out)), 0);
    assert_int_equal(calls, 0);
}

static void test_too_big(void **state) {
    rig_t *r = *state;
    cse_coap_msg_t m;
    static uint8_t body[1300];
    req_init(&m, CSE_COAP_CON, CSE_COAP_PUT, 20);
    m.payload = body;
    m.payload_len = sizeof(body);
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 13));
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_SIZE1), 1152);
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 4000);
    assert_int_equal(calls, 0);
}

static void test_block2(void **state) {
    rig_t *r = *state;
    cse_coap_msg_t m;
    char got[sizeof(big)];
    size_t have = 0;
    for (uint16_t mid = 100;; mid++) {
        req_init(&m, CSE_COAP_CON, CSE_COAP_GET, mid);
        cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "big");
        cse_coap_msg_remove(&m, CSE_COAP_OPT_M2M_RQI);
        cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RQI, mid == 100 ? "first" : "next");
        if (mid > 100) {
            cse_coap_block_t b = {mid - 100, 0, 6};
            cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK2, cse_coap_block_value(&b));
        }
        send_msg(r, &m);
        assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 5));
        assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_M2M_RSC), 2000);
        assert_opt_str(&r->rsp, CSE_COAP_OPT_M2M_RQI, mid == 100 ? "first" : "next");
        assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_SIZE2), sizeof(big));
        cse_coap_block_t b;
        assert_int_equal(cse_coap_block_get(&r->rsp, CSE_COAP_OPT_BLOCK2, &b), 1);
        assert_int_equal(b.num, mid - 100);
        assert_int_equal(b.szx, 6);
        memcpy(got + have, r->rsp.payload, r->rsp.payload_len);
        have += r->rsp.payload_len;
        if (!b.more)
            break;
        assert_int_equal(r->rsp.payload_len, 1024);
    }
    assert_int_equal(have, sizeof(big));
    assert_memory_equal(got, big, sizeof(big));
    assert_int_equal(calls, 1); /* later blocks came from the cache */

    /* the client may ask for smaller blocks from the start */
    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 200);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "big");
    cse_coap_block_t b = {0, 0, 2};
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK2, cse_coap_block_value(&b));
    send_msg(r, &m);
    assert_int_equal(r->rsp.payload_len, 64);
    /* a block beyond the end */
    req_init(&m, CSE_COAP_CON, CSE_COAP_GET, 201);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "big");
    b = (cse_coap_block_t){3, 0, 6};
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK2, cse_coap_block_value(&b));
    send_msg(r, &m);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 2));
}

static void send_block1(rig_t *r, uint16_t mid, uint32_t num, int more, const char *data,
                        size_t len) {
    cse_coap_msg_t m;
    req_init(&m, CSE_COAP_CON, CSE_COAP_POST, mid);
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "cse-in");
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_M2M_TY, 4);
    cse_coap_block_t b = {num, more, 0}; /* 16-byte blocks */
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_BLOCK1, cse_coap_block_value(&b));
    m.payload = (const uint8_t *)data;
    m.payload_len = len;
    send_msg(r, &m);
}

static void test_block1(void **state) {
    rig_t *r = *state;
    const char *body = "0123456789abcdefGHIJKLMNOPQRSTUVwxyz!!!!"; /* 40 bytes */
    cse_coap_block_t b;
    send_block1(r, 300, 0, 1, body, 16);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 31));
    assert_int_equal(cse_coap_block_get(&r->rsp, CSE_COAP_OPT_BLOCK1, &b), 1);
    assert_int_equal(b.num, 0);
    assert_int_equal(b.more, 1);
    send_block1(r, 300, 0, 1, body, 16); /* duplicate: same reply, not stored twice */
    send_block1(r, 301, 1, 1, body + 16, 16);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 31));
    assert_int_equal(calls, 0);
    send_block1(r, 302, 2, 0, body + 32, 8);
    assert_int_equal(calls, 1);
    assert_string_equal(last_body, body);
    assert_int_equal(last.op, CSE_OP_CREATE);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(2, 1));
    assert_int_equal(cse_coap_block_get(&r->rsp, CSE_COAP_OPT_BLOCK1, &b), 1);
    assert_int_equal(b.num, 2);
    assert_int_equal(b.more, 0);

    /* out of sequence */
    send_block1(r, 310, 0, 1, body, 16);
    send_block1(r, 311, 2, 1, body, 16);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 8));
    /* wrong size for a non-final block */
    send_block1(r, 312, 0, 1, body, 10);
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 0));
    /* larger than max_body (100) */
    char chunk[16];
    memset(chunk, 'z', sizeof(chunk));
    uint16_t mid = 320;
    uint32_t num = 0;
    do {
        send_block1(r, mid++, num++, 1, chunk, 16);
    } while (r->rsp.code == CSE_COAP_CODE(2, 31));
    assert_int_equal(r->rsp.code, CSE_COAP_CODE(4, 13));
    assert_int_equal(num, 7); /* 6 blocks = 96 bytes fit, the 7th does not */
    assert_int_equal(opt_u(&r->rsp, CSE_COAP_OPT_SIZE1), 100);
    assert_int_equal(calls, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_piggybacked_retrieve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_answered_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_location, setup, teardown),
        cmocka_unit_test_setup_teardown(test_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_stray_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
