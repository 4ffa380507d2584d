/* RADIUS codec: builder, parser, authenticators, hiding, Tunnel-Password.
 * Vectors: RFC 2865 §7.1, and packets computed independently by
 * tests/radius/gen_vectors.py (Python hashlib/hmac). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <mbedtls/md.h>

#include "plugin/aaa/radius_crypto.h"
#include "plugin/aaa/radius_message.h"
#include "plugin/aaa/radius_packet.h"

/* RFC 2865 §7.1: user nemo, password arctangent, secret xyzzy5461. */
static const uint8_t rfc_request[] = {
    0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83,
    0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12,
    0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a,
    0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03};
static const uint8_t rfc_accept[] = {0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24,
                                     0xba, 0x2a, 0x10, 0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2,
                                     0x06, 0x06, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x06, 0x00, 0x00,
                                     0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03};
#define RFC_SECRET ((const uint8_t *)"xyzzy5461")
#define RFC_SLEN 9

static const uint8_t vec_access_request[] = {
    0x01, 0x42, 0x00, 0x65, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x50, 0x12, 0xe5, 0x94, 0xa3, 0x55, 0x3a, 0x1c, 0x11, 0x15,
    0x5c, 0xb0, 0x16, 0x8a, 0xb2, 0x7e, 0x06, 0x91, 0x01, 0x07, 0x61, 0x6c, 0x69, 0x63, 0x65,
    0x02, 0x22, 0xf1, 0x8b, 0x6f, 0xb5, 0x45, 0xbf, 0x16, 0xd6, 0xba, 0x10, 0xeb, 0x39, 0x73,
    0x27, 0x3c, 0x85, 0xbc, 0xae, 0xaa, 0xd0, 0x4e, 0xb0, 0xf5, 0xcb, 0xe3, 0x6f, 0xeb, 0xc5,
    0xe1, 0x8e, 0xfb, 0xe9, 0x20, 0x0b, 0x63, 0x73, 0x73, 0x66, 0x2d, 0x74, 0x65, 0x73, 0x74,
    0x1f, 0x0b, 0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31};

static const uint8_t vec_access_accept[] = {
    0x02, 0x42, 0x00, 0x6a, 0xb0, 0x88, 0x21, 0xb0, 0x0a, 0x72, 0x55, 0x9a, 0xac, 0x91, 0x78, 0xc7,
    0xde, 0x7d, 0x5b, 0xb8, 0x50, 0x12, 0x92, 0x4d, 0x0b, 0x15, 0xed, 0x2e, 0x54, 0x38, 0xac, 0xc6,
    0xec, 0x9e, 0x50, 0x68, 0xb2, 0x39, 0x12, 0x04, 0x68, 0x69, 0x45, 0x35, 0x01, 0x81, 0x23, 0x97,
    0x09, 0x64, 0x0f, 0xdf, 0x94, 0x3b, 0x1a, 0xcc, 0x36, 0x8c, 0x29, 0x65, 0x2b, 0x49, 0xf2, 0xab,
    0x61, 0xdd, 0xb0, 0x47, 0xe2, 0xf2, 0x65, 0x5f, 0xd4, 0xc5, 0xeb, 0x21, 0x98, 0xc4, 0x80, 0xa5,
    0xbf, 0x3e, 0x8e, 0xd3, 0xd3, 0xbd, 0x52, 0xf1, 0xa0, 0xb0, 0xc3, 0x2d, 0x10, 0x38, 0xa1, 0x1b,
    0x06, 0x00, 0x00, 0x0e, 0x10, 0x19, 0x05, 0x63, 0x6c, 0x73};

static const uint8_t vec_accounting_request[] = {
    0x04, 0x43, 0x00, 0x70, 0xe6, 0x81, 0xd3, 0x84, 0xa6, 0xc3, 0xd5, 0x70, 0x40, 0xfc, 0x38, 0x25,
    0x21, 0xb0, 0xf7, 0xd8, 0x50, 0x12, 0x2f, 0xd6, 0xc1, 0xa8, 0x0c, 0x1b, 0x40, 0x77, 0x6b, 0x16,
    0x53, 0xfd, 0x34, 0x73, 0xd2, 0x2b, 0x28, 0x06, 0x00, 0x00, 0x00, 0x02, 0x2c, 0x08, 0x73, 0x65,
    0x73, 0x73, 0x2d, 0x31, 0x01, 0x07, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x20, 0x0b, 0x63, 0x73, 0x73,
    0x66, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2e, 0x06, 0x00, 0x00, 0x00, 0x3d, 0x2a, 0x06, 0x2a, 0x05,
    0xf2, 0x00, 0x34, 0x06, 0x00, 0x00, 0x00, 0x01, 0x2b, 0x06, 0x00, 0x00, 0x04, 0xd2, 0x2f, 0x06,
    0x00, 0x00, 0x00, 0x0a, 0x30, 0x06, 0x00, 0x00, 0x00, 0x14, 0x31, 0x06, 0x00, 0x00, 0x00, 0x01};

static const uint8_t vec_accounting_response[] = {
    0x05, 0x43, 0x00, 0x26, 0x5b, 0x36, 0x4a, 0xee, 0x83, 0xca, 0x05, 0xa4, 0x19,
    0x08, 0x50, 0xec, 0x45, 0x0c, 0x78, 0x6d, 0x50, 0x12, 0x89, 0x4c, 0x4a, 0x84,
    0xa5, 0x49, 0x9e, 0x1c, 0xd7, 0x68, 0x8f, 0x7f, 0xe6, 0x9d, 0x4a, 0x3f};

#define SECRET ((const uint8_t *)"s3cr3t-shared")
#define SLEN 13
static const uint8_t RA[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static cssf_radius_nas_t test_nas(void) {
    cssf_radius_nas_t nas = {.identifier = "cssf-test"};
    return nas;
}

static void rfc2865_user_password_hiding(void **state) {
    (void)state;
    cssf_radius_pkt_t p;
    uint8_t ip[4] = {192, 168, 1, 16};
    cssf_radius_pkt_init(&p, CSSF_RADIUS_ACCESS_REQUEST, 0, rfc_request + 4);
    assert_int_equal(cssf_radius_pkt_put_str(&p, CSSF_RADIUS_A_USER_NAME, "nemo"), 0);
    assert_int_equal(
        cssf_radius_hide_password(&p, (const uint8_t *)"arctangent", 10, RFC_SECRET, RFC_SLEN), 0);
    assert_int_equal(cssf_radius_pkt_put(&p, CSSF_RADIUS_A_NAS_IP_ADDRESS, ip, 4), 0);
    assert_int_equal(cssf_radius_pkt_put_u32(&p, 5 /* NAS-Port */, 3), 0);
    assert_int_equal(cssf_radius_pkt_sign(&p, RFC_SECRET, RFC_SLEN), 0);
    assert_int_equal(p.len, sizeof rfc_request);
    assert_memory_equal(p.data, rfc_request, sizeof rfc_request);

    uint8_t out[16];
    assert_int_equal(cssf_radius_unhide_password(rfc_request + 28, 16, rfc_request + 4, RFC_SECRET,
                                                 RFC_SLEN, out, sizeof out),
                     10);
    assert_memory_equal(out, "arctangent", 10);
}

static void rfc2865_response_authenticator(void **state) {
    (void)state;
    cssf_radius_view_t v;
    const char *why = NULL;
    assert_int_equal(cssf_radius_verify_response(rfc_accept, sizeof rfc_accept, rfc_request,
                                                 RFC_SECRET, RFC_SLEN, 0, &v, &why),
                     0);
    assert_int_equal(v.code, CSSF_RADIUS_ACCESS_ACCEPT);
    /* The RFC example has no Message-Authenticator: refused when required. */
    assert_int_equal(cssf_radius_verify_response(rfc_accept, sizeof rfc_accept, rfc_request,
                                                 RFC_SECRET, RFC_SLEN, 1, &v, &why),
                     -1);
    assert_string_equal(why, "Message-Authenticator missing");
    assert_int_equal(cssf_radius_verify_response(rfc_accept, sizeof rfc_accept, rfc_request,
                                                 (const uint8_t *)"xyzzy5462", RFC_SLEN, 0, &v,
                                                 &why),
                     -1);
    assert_string_equal(why, "Response Authenticator mismatch");
}

static void access_request_layout(void **state) {
    (void)state;
    cssf_radius_pkt_t p;
    cssf_radius_nas_t nas = test_nas();
    assert_int_equal(cssf_radius_msg_access_request(&p, 0x42, RA, &nas, "alice",
                                                    (const uint8_t *)"correct horse battery", 21,
                                                    "127.0.0.1", SECRET, SLEN),
                     0);
    assert_int_equal(p.len, sizeof vec_access_request);
    assert_memory_equal(p.data, vec_access_request, sizeof vec_access_request);
    /* Message-Authenticator is the first attribute. */
    assert_int_equal(p.data[20], CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR);
    assert_int_equal(p.ma_off, 22);
}

static void access_accept_verified_and_decoded(void **state) {
    (void)state;
    cssf_radius_view_t v;
    const char *why = NULL;
    assert_int_equal(cssf_radius_verify_response(vec_access_accept, sizeof vec_access_accept,
                                                 vec_access_request, SECRET, SLEN, 1, &v, &why),
                     0);
    cssf_radius_reply_t r;
    cssf_radius_reply_clear(&r);
    assert_int_equal(cssf_radius_msg_decode_reply(&v, RA, SECRET, SLEN, &r, &why), 0);
    assert_int_equal(r.code, CSSF_RADIUS_ACCESS_ACCEPT);
    assert_string_equal(r.reply_message, "hi");
    assert_int_equal(r.session_timeout, 3600);
    assert_int_equal(r.class_len, 3);
    assert_memory_equal(r.class_attr, "cls", 3);
    assert_true(r.has_tunnel_password);
    assert_int_equal(r.tunnel_tag, 1);
    assert_int_equal(r.tunnel_password_len, 32);
    assert_memory_equal(r.tunnel_password, "0123456789abcdef0123456789abcdef", 32);
    cssf_radius_reply_clear(&r);
    assert_int_equal(r.tunnel_password_len, 0);
    assert_int_equal(r.tunnel_password[0], 0);
}

/* Every single-bit flip of an authentic answer must be refused. */
static void access_accept_any_bit_flip_refused(void **state) {
    (void)state;
    uint8_t buf[sizeof vec_access_accept];
    cssf_radius_view_t v;
    for (size_t i = 0; i < sizeof buf; i++) {
        for (int bit = 0; bit < 8; bit++) {
            const char *why = NULL;
            memcpy(buf, vec_access_accept, sizeof buf);
            buf[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(cssf_radius_verify_response(buf, sizeof buf, vec_access_request,
                                                         SECRET, SLEN, 1, &v, &why),
                             -1);
            assert_non_null(why);
        }
    }
}

/* Server-side signing, written against mbedTLS directly so it shares no
 * code with the client: fills the Message-Authenticator at ma_off (0:
 * none) keyed over req_auth, then the Response Authenticator. */
static void server_sign(uint8_t *pkt, size_t len, size_t ma_off, const uint8_t *req_auth) {
    const mbedtls_md_info_t *md5 = mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    memcpy(pkt + 4, req_auth, 16);
    if (ma_off) {
        memset(pkt + ma_off, 0, 16);
        uint8_t mac[16];
        assert_int_equal(mbedtls_md_hmac(md5, SECRET, SLEN, pkt, len, mac), 0);
        memcpy(pkt + ma_off, mac, 16);
    }
    uint8_t tmp[CSSF_RADIUS_MAX_LEN + 64];
    memcpy(tmp, pkt, len);
    memcpy(tmp + len, SECRET, SLEN);
    uint8_t ra[16];
    assert_int_equal(mbedtls_md(md5, tmp, len + SLEN, ra), 0);
    memcpy(pkt + 4, ra, 16);
}

/* Builds an answer to vec_access_request: header, then attrs verbatim. */
static size_t answer(uint8_t *out, uint8_t code, const uint8_t *attrs, size_t alen) {
    out[0] = code;
    out[1] = vec_access_request[1];
    out[2] = (uint8_t)((20 + alen) >> 8);
    out[3] = (uint8_t)(20 + alen);
    memcpy(out + 20, attrs, alen);
    return 20 + alen;
}

static void expect_refused(const uint8_t *buf, size_t n, const char *reason) {
    cssf_radius_view_t v;
    const char *why = NULL;
    assert_int_equal(
        cssf_radius_verify_response(buf, n, vec_access_request, SECRET, SLEN, 1, &v, &why), -1);
    assert_string_equal(why, reason);
}

/* The BlastRADIUS shape: a Response Authenticator that is right (the
 * attacker's MD5 collision) over a Message-Authenticator that is not. */
static void message_authenticator_checked_separately(void **state) {
    (void)state;
    uint8_t buf[sizeof vec_access_accept];
    memcpy(buf, vec_access_accept, sizeof buf);
    buf[22] ^= 0x01;
    server_sign(buf, sizeof buf, 0, vec_access_request + 4);
    expect_refused(buf, sizeof buf, "Message-Authenticator mismatch");

    /* A correct Response Authenticator and no Message-Authenticator. */
    uint8_t plain[] = {CSSF_RADIUS_A_REPLY_MESSAGE, 4, 'o', 'k'};
    size_t n = answer(buf, CSSF_RADIUS_ACCESS_ACCEPT, plain, sizeof plain);
    server_sign(buf, n, 0, vec_access_request + 4);
    expect_refused(buf, n, "Message-Authenticator missing");
    cssf_radius_view_t v;
    const char *why;
    assert_int_equal(
        cssf_radius_verify_response(buf, n, vec_access_request, SECRET, SLEN, 0, &v, &why), 0);

    /* The same answer correctly signed with a Message-Authenticator passes,
     * wherever the attribute sits. */
    uint8_t with_ma[22] = {CSSF_RADIUS_A_REPLY_MESSAGE,         4, 'o', 'k',
                           CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR, 18};
    n = answer(buf, CSSF_RADIUS_ACCESS_REJECT, with_ma, sizeof with_ma);
    server_sign(buf, n, 26, vec_access_request + 4);
    assert_int_equal(
        cssf_radius_verify_response(buf, n, vec_access_request, SECRET, SLEN, 1, &v, &why), 0);
    assert_int_equal(v.code, CSSF_RADIUS_ACCESS_REJECT);
}

static void ma_placement_rules(void **state) {
    (void)state;
    uint8_t buf[128];
    uint8_t two[36] = {CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR, 18};
    two[18] = CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR;
    two[19] = 18;
    size_t n = answer(buf, CSSF_RADIUS_ACCESS_ACCEPT, two, sizeof two);
    server_sign(buf, n, 22, vec_access_request + 4);
    expect_refused(buf, n, "more than one Message-Authenticator");

    uint8_t odd[10] = {CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR, 10};
    n = answer(buf, CSSF_RADIUS_ACCESS_ACCEPT, odd, sizeof odd);
    server_sign(buf, n, 0, vec_access_request + 4);
    expect_refused(buf, n, "Message-Authenticator has a wrong length");

    /* An Access-Accept whose MA was keyed over zeros (the accounting rule)
     * is refused: the key authenticator depends on the request type. */
    uint8_t one[18] = {CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR, 18};
    static const uint8_t zero[16];
    n = answer(buf, CSSF_RADIUS_ACCESS_ACCEPT, one, sizeof one);
    server_sign(buf, n, 22, zero);
    /* server_sign left a Response Authenticator keyed over zeros too:
     * redo it over the real request authenticator, keeping the MA. */
    server_sign(buf, n, 0, vec_access_request + 4);
    expect_refused(buf, n, "Message-Authenticator mismatch");
}

static void accounting_request_authenticator(void **state) {
    (void)state;
    cssf_radius_pkt_t p;
    cssf_radius_nas_t nas = test_nas();
    cssf_radius_acct_t rec = {.status_type = CSSF_RADIUS_ACCT_STOP,
                              .session_id = "sess-1",
                              .user_name = "alice",
                              .session_time = 61,
                              .input_octets = 5000000000ull,
                              .output_octets = 1234,
                              .input_packets = 10,
                              .output_packets = 20,
                              .terminate_cause = 1};
    assert_int_equal(cssf_radius_msg_accounting_request(&p, 0x43, &nas, &rec, SECRET, SLEN), 0);
    assert_int_equal(p.len, sizeof vec_accounting_request);
    assert_memory_equal(p.data, vec_accounting_request, sizeof vec_accounting_request);

    cssf_radius_view_t v;
    const char *why = NULL;
    assert_int_equal(cssf_radius_verify_response(vec_accounting_response,
                                                 sizeof vec_accounting_response,
                                                 vec_accounting_request, SECRET, SLEN, 1, &v, &why),
                     0);
    assert_int_equal(v.code, CSSF_RADIUS_ACCOUNTING_RESPONSE);
    /* An Accounting-Response does not answer an Access-Request. */
    uint8_t req[sizeof vec_access_request];
    memcpy(req, vec_access_request, sizeof req);
    req[1] = 0x43;
    assert_int_equal(cssf_radius_verify_response(vec_accounting_response,
                                                 sizeof vec_accounting_response, req, SECRET, SLEN,
                                                 1, &v, &why),
                     -1);
    assert_string_equal(why, "packet code does not answer the request");
}

static void accounting_status_types(void **state) {
    (void)state;
    cssf_radius_pkt_t p;
    cssf_radius_nas_t nas = test_nas();
    cssf_radius_acct_t rec = {.status_type = CSSF_RADIUS_ACCT_START, .session_id = "s"};
    assert_int_equal(cssf_radius_msg_accounting_request(&p, 1, &nas, &rec, SECRET, SLEN), 0);
    cssf_radius_view_t v;
    const char *why;
    assert_int_equal(cssf_radius_parse(p.data, p.len, &v, &why), 0);
    /* Start carries no counters. */
    assert_int_equal(cssf_radius_attr_count(&v, CSSF_RADIUS_A_ACCT_SESSION_TIME), 0);
    assert_int_equal(cssf_radius_attr_count(&v, CSSF_RADIUS_A_ACCT_TERMINATE_CAUSE), 0);
    rec.status_type = CSSF_RADIUS_ACCT_INTERIM;
    rec.terminate_cause = 4;
    rec.delay_time = 7;
    assert_int_equal(cssf_radius_msg_accounting_request(&p, 1, &nas, &rec, SECRET, SLEN), 0);
    assert_int_equal(cssf_radius_parse(p.data, p.len, &v, &why), 0);
    assert_int_equal(cssf_radius_attr_count(&v, CSSF_RADIUS_A_ACCT_SESSION_TIME), 1);
    assert_int_equal(cssf_radius_attr_count(&v, CSSF_RADIUS_A_ACCT_TERMINATE_CAUSE), 0);
    assert_int_equal(cssf_radius_attr_count(&v, CSSF_RADIUS_A_ACCT_INPUT_GIGAWORDS), 0);
    assert_int_equal(cssf_radius_attr_count(&v, CSSF_RADIUS_A_ACCT_DELAY_TIME), 1);
    rec.status_type = 9;
    assert_int_equal(cssf_radius_msg_accounting_request(&p, 1, &nas, &rec, SECRET, SLEN), -1);
    rec.status_type = CSSF_RADIUS_ACCT_STOP;
    rec.session_id = NULL;
    assert_int_equal(cssf_radius_msg_accounting_request(&p, 1, &nas, &rec, SECRET, SLEN), -1);
}

static void status_server_layout(void **state) {
    (void)state;
    cssf_radius_pkt_t p;
    cssf_radius_nas_t nas = {0};
    assert_int_equal(cssf_radius_nas_set_ip(&nas, "::1"), 0);
    assert_int_equal(nas.ip_family, AF_INET6);
    assert_int_equal(cssf_radius_msg_status_server(&p, 9, RA, &nas, SECRET, SLEN), 0);
    cssf_radius_view_t v;
    const char *why;
    assert_int_equal(cssf_radius_parse(p.data, p.len, &v, &why), 0);
    assert_int_equal(v.code, CSSF_RADIUS_STATUS_SERVER);
    size_t n;
    assert_non_null(cssf_radius_attr_find(&v, CSSF_RADIUS_A_NAS_IPV6_ADDRESS, &n));
    assert_int_equal(n, 16);
    assert_non_null(cssf_radius_attr_find(&v, CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR, &n));
    /* No NAS identification at all: refused. */
    cssf_radius_nas_t none = {0};
    assert_int_equal(cssf_radius_msg_status_server(&p, 9, RA, &none, SECRET, SLEN), -1);
    assert_int_equal(cssf_radius_nas_set_ip(&none, "not-an-ip"), -1);
}

static void password_lengths(void **state) {
    (void)state;
    uint8_t pw[129], out[128];
    memset(pw, 'x', sizeof pw);
    cssf_radius_pkt_t p;
    size_t lens[] = {0, 1, 15, 16, 17, 127, 128};
    size_t hidden[] = {16, 16, 16, 16, 32, 128, 128};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        cssf_radius_pkt_init(&p, CSSF_RADIUS_ACCESS_REQUEST, 1, RA);
        assert_int_equal(cssf_radius_hide_password(&p, pw, lens[i], SECRET, SLEN), 0);
        assert_int_equal(p.data[21], hidden[i] + 2);
        assert_int_equal(
            cssf_radius_unhide_password(p.data + 22, hidden[i], RA, SECRET, SLEN, out, sizeof out),
            (int)lens[i]);
        assert_memory_equal(out, pw, lens[i]);
    }
    cssf_radius_pkt_init(&p, CSSF_RADIUS_ACCESS_REQUEST, 1, RA);
    assert_int_equal(cssf_radius_hide_password(&p, pw, 129, SECRET, SLEN), -1);
    assert_int_equal(p.len, 20);
    cssf_radius_nas_t nas = test_nas();
    assert_int_equal(
        cssf_radius_msg_access_request(&p, 1, RA, &nas, "u", pw, 129, NULL, SECRET, SLEN), -1);
    assert_int_equal(cssf_radius_msg_access_request(&p, 1, RA, &nas, "", pw, 1, NULL, SECRET, SLEN),
                     -1);
}

static void builder_bounds(void **state) {
    (void)state;
    cssf_radius_pkt_t p;
    uint8_t big[254] = {0};
    cssf_radius_pkt_init(&p, CSSF_RADIUS_ACCESS_REQUEST, 1, NULL);
    assert_int_equal(cssf_radius_pkt_put(&p, 26, big, 254), -1);
    assert_int_equal(cssf_radius_pkt_put(&p, 26, big, 253), 0);
    assert_int_equal(p.len, 20 + 255);
    assert_int_equal(cssf_radius_pkt_put_str(&p, 18, ""), -1);
    assert_int_equal(cssf_radius_pkt_put_ma(&p), 0);
    assert_int_equal(cssf_radius_pkt_put_ma(&p), -1);
    /* Fill to the 4096-byte limit: the attribute that would cross it is refused. */
    while (cssf_radius_pkt_put(&p, 26, big, 253) == 0)
        ;
    assert_true(p.len <= CSSF_RADIUS_MAX_LEN);
    assert_true(p.len + 255 > CSSF_RADIUS_MAX_LEN);
    assert_int_equal((size_t)(p.data[2] << 8 | p.data[3]), p.len);
    size_t before = p.len;
    assert_int_equal(cssf_radius_pkt_put(&p, 26, big, CSSF_RADIUS_MAX_LEN - before - 1), -1);
    assert_int_equal(p.len, before);
}

static void expect_parse_error(const uint8_t *buf, size_t len, const char *reason) {
    cssf_radius_view_t v;
    const char *why = NULL;
    assert_int_equal(cssf_radius_parse(buf, len, &v, &why), -1);
    assert_string_equal(why, reason);
}

static void malformed_packets(void **state) {
    (void)state;
    uint8_t b[64] = {2, 7, 0, 20};
    expect_parse_error(b, 19, "packet shorter than the RADIUS header");
    b[3] = 19;
    expect_parse_error(b, 20, "Length field out of range");
    b[2] = 0x10;
    b[3] = 0x01; /* 4097 */
    expect_parse_error(b, 64, "Length field out of range");
    b[2] = 0;
    b[3] = 40;
    expect_parse_error(b, 39, "packet shorter than its Length field");
    b[3] = 22;
    b[20] = 18;
    b[21] = 1; /* attribute length below 2 */
    expect_parse_error(b, 22, "malformed attribute");
    b[21] = 0;
    expect_parse_error(b, 22, "malformed attribute");
    b[3] = 23;
    b[21] = 4; /* runs past the Length field */
    expect_parse_error(b, 64, "malformed attribute");
    b[3] = 21; /* a lone type byte */
    expect_parse_error(b, 64, "malformed attribute");

    /* Padding after the Length field is ignored (RFC 2865 §3). */
    cssf_radius_view_t v;
    const char *why;
    b[3] = 24;
    b[21] = 4;
    assert_int_equal(cssf_radius_parse(b, 64, &v, &why), 0);
    assert_int_equal(v.len, 24);
    assert_int_equal(v.attrs_len, 4);
}

static void identifier_and_code_checked(void **state) {
    (void)state;
    uint8_t buf[sizeof vec_access_accept];
    cssf_radius_view_t v;
    const char *why;
    memcpy(buf, vec_access_accept, sizeof buf);
    buf[1] ^= 1;
    assert_int_equal(
        cssf_radius_verify_response(buf, sizeof buf, vec_access_request, SECRET, SLEN, 1, &v, &why),
        -1);
    assert_string_equal(why, "identifier does not match the request");
    memcpy(buf, vec_access_accept, sizeof buf);
    buf[0] = CSSF_RADIUS_ACCESS_REQUEST;
    assert_int_equal(
        cssf_radius_verify_response(buf, sizeof buf, vec_access_request, SECRET, SLEN, 1, &v, &why),
        -1);
    assert_string_equal(why, "packet code does not answer the request");
}

static void tunnel_password(void **state) {
    (void)state;
    uint8_t val[256], out[253], tag;
    size_t outlen;
    const char *why = NULL;
    const uint8_t salt[2] = {0x80, 0x01};
    int n = cssf_radius_tunnel_password_encrypt((const uint8_t *)"psk", 3, 2, salt, RA, SECRET,
                                                SLEN, val, sizeof val);
    assert_int_equal(n, 3 + 16);
    assert_int_equal(cssf_radius_tunnel_password_decrypt(val, (size_t)n, RA, SECRET, SLEN, out,
                                                         sizeof out, &outlen, &tag, &why),
                     0);
    assert_int_equal(outlen, 3);
    assert_memory_equal(out, "psk", 3);
    assert_int_equal(tag, 2);

    /* 15 bytes + length byte fill one block; 16 need two. */
    uint8_t pw[240];
    memset(pw, 'k', sizeof pw);
    assert_int_equal(
        cssf_radius_tunnel_password_encrypt(pw, 15, 0, salt, RA, SECRET, SLEN, val, sizeof val),
        19);
    assert_int_equal(
        cssf_radius_tunnel_password_encrypt(pw, 16, 0, salt, RA, SECRET, SLEN, val, sizeof val),
        35);
    assert_int_equal(
        cssf_radius_tunnel_password_encrypt(pw, 240, 0, salt, RA, SECRET, SLEN, val, sizeof val),
        -1);

    n = cssf_radius_tunnel_password_encrypt((const uint8_t *)"psk", 3, 2, salt, RA, SECRET, SLEN,
                                            val, sizeof val);
    /* Wrong secret: the length byte is garbage, almost surely too big; in
     * any case the password must not come out. */
    int rc = cssf_radius_tunnel_password_decrypt(val, (size_t)n, RA, (const uint8_t *)"other", 5,
                                                 out, sizeof out, &outlen, &tag, &why);
    assert_true(rc == -1 || outlen != 3 || memcmp(out, "psk", 3) != 0);
    /* Salt without its high bit. */
    val[1] = 0x01;
    assert_int_equal(cssf_radius_tunnel_password_decrypt(val, (size_t)n, RA, SECRET, SLEN, out,
                                                         sizeof out, &outlen, &tag, &why),
                     -1);
    assert_string_equal(why, "Tunnel-Password salt lacks its high bit");
    val[1] = 0x80;
    /* Lengths that are not 3 + 16k. */
    assert_int_equal(cssf_radius_tunnel_password_decrypt(val, 18, RA, SECRET, SLEN, out, sizeof out,
                                                         &outlen, &tag, &why),
                     -1);
    assert_int_equal(cssf_radius_tunnel_password_decrypt(val, 2, RA, SECRET, SLEN, out, sizeof out,
                                                         &outlen, &tag, &why),
                     -1);
    /* Output buffer too small. */
    assert_int_equal(cssf_radius_tunnel_password_decrypt(val, (size_t)n, RA, SECRET, SLEN, out, 2,
                                                         &outlen, &tag, &why),
                     -1);
}

static void reply_decoding_rules(void **state) {
    (void)state;
    /* A text attribute with control bytes comes out sanitised; a
     * Session-Timeout of the wrong size is refused. */
    uint8_t attrs[] = {CSSF_RADIUS_A_REPLY_MESSAGE,   7, 'a', '\n', 'b', 0x7f, 'c',
                       CSSF_RADIUS_A_SESSION_TIMEOUT, 5, 0,   0,    1};
    uint8_t buf[64] = {CSSF_RADIUS_ACCESS_ACCEPT, 1, 0, 0};
    memcpy(buf + 20, attrs, sizeof attrs);
    buf[3] = (uint8_t)(20 + sizeof attrs);
    cssf_radius_view_t v;
    const char *why;
    assert_int_equal(cssf_radius_parse(buf, 20 + sizeof attrs, &v, &why), 0);
    cssf_radius_reply_t r;
    cssf_radius_reply_clear(&r);
    assert_int_equal(cssf_radius_msg_decode_reply(&v, RA, SECRET, SLEN, &r, &why), -1);
    assert_string_equal(why, "Session-Timeout has a wrong length");
    assert_string_equal(r.reply_message, "a?b?c");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc2865_user_password_hiding),
        cmocka_unit_test(rfc2865_response_authenticator),
        cmocka_unit_test(access_request_layout),
        cmocka_unit_test(access_accept_verified_and_decoded),
        cmocka_unit_test(access_accept_any_bit_flip_refused),
        cmocka_unit_test(message_authenticator_checked_separately),
        cmocka_unit_test(accounting_request_authenticator),
        cmocka_unit_test(accounting_status_types),
        cmocka_unit_test(status_server_layout),
        cmocka_unit_test(password_lengths),
        cmocka_unit_test(builder_bounds),
        cmocka_unit_test(malformed_packets),
        cmocka_unit_test(ma_placement_rules),
        cmocka_unit_test(identifier_and_code_checked),
        cmocka_unit_test(tunnel_password),
        cmocka_unit_test(reply_decoding_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
