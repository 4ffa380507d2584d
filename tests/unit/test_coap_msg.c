/* CoAP codec (cse/coap/coap_msg.c): wire format, extended option forms,
 * limits and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cse/coap/coap_msg.h"
#include "cse/coap/coap_onem2m.h"

/* RFC 7252 Appendix-style request: CON GET, token 4 bytes, Uri-Path "temperature". */
static void test_parse_basic(void **state) {
    static const uint8_t wire[] = {0x44, 0x01, 0x84, 0x9e, 0x51, 0x55, 0x77, 0xe8, 0xbb, 't',
                                   'e',  'm',  'p',  'e',  'r',  'a',  't',  'u',  'r',  'e'};
    cse_coap_msg_t m;
    assert_int_equal(cse_coap_parse(wire, sizeof(wire), NULL, &m), CSE_COAP_OK);
    assert_int_equal(m.type, CSE_COAP_CON);
    assert_int_equal(m.code, CSE_COAP_GET);
    assert_int_equal(m.mid, 0x849e);
    assert_int_equal(m.token_len, 4);
    assert_memory_equal(m.token, wire + 4, 4);
    assert_int_equal(m.nopts, 1);
    assert_int_equal(m.opts[0].num, CSE_COAP_OPT_URI_PATH);
    assert_int_equal(m.opts[0].len, 11);
    assert_memory_equal(cse_coap_opt_value(&m.opts[0]), "temperature", 11);
    assert_null(m.payload);
}

static void test_roundtrip_extended_forms(void **state) {
    cse_coap_msg_t m, p;
    uint8_t buf[2048], big[300];
    memset(big, 'x', sizeof(big));
    cse_coap_msg_init(&m);
    m.type = CSE_COAP_NON;
    m.code = CSE_COAP_POST;
    m.mid = 0xbeef;
    m.token_len = 8;
    memcpy(m.token, "12345678", 8);
    /* added out of order: serialize sorts, keeping repeated options in order */
    assert_int_equal(cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_RQI, "req-1"), 0); /* delta 14 */
    assert_int_equal(cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "cse-in"), 0);
    assert_int_equal(cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "ae1"), 0);
    assert_int_equal(cse_coap_msg_add_uint(&m, CSE_COAP_OPT_M2M_TY, 2), 0);
    assert_int_equal(cse_coap_msg_add(&m, CSE_COAP_OPT_SIZE1, big, 20), 0); /* delta 13, len 13 */
    assert_int_equal(cse_coap_msg_add(&m, 2000, big, sizeof(big)), 0);      /* len 14 form */
    assert_int_equal(cse_coap_msg_add_uint(&m, CSE_COAP_OPT_CONTENT_FORMAT, 0), 0);
    m.payload = (const uint8_t *)"{\"a\":1}";
    m.payload_len = 7;
    long n = cse_coap_serialize(&m, buf, sizeof(buf));
    assert_true(n > 0);
    cse_coap_limits_t lim;
    cse_coap_limits_default(&lim);
    lim.max_message = sizeof(buf);
    assert_int_equal(cse_coap_parse(buf, (size_t)n, &lim, &p), CSE_COAP_OK);
    assert_int_equal(p.type, CSE_COAP_NON);
    assert_int_equal(p.mid, 0xbeef);
    assert_int_equal(p.token_len, 8);
    assert_int_equal(p.nopts, 7);
    static const uint16_t order[] = {11, 11, 12, 60, 267, 283, 2000};
    for (int i = 0; i < 7; i++)
        assert_int_equal(p.opts[i].num, order[i]);
    assert_memory_equal(cse_coap_opt_value(&p.opts[0]), "cse-in", 6);
    assert_memory_equal(cse_coap_opt_value(&p.opts[1]), "ae1", 3);
    assert_int_equal(p.opts[2].len, 0); /* uint 0 is the empty value */
    assert_int_equal(p.opts[6].len, sizeof(big));
    uint32_t v;
    assert_int_equal(cse_coap_opt_uint(cse_coap_msg_find(&p, CSE_COAP_OPT_M2M_TY), &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(p.payload_len, 7);
    assert_memory_equal(p.payload, "{\"a\":1}", 7);
    /* serializing the parsed message gives the same bytes */
    uint8_t again[2048];
    assert_int_equal(cse_coap_serialize(&p, again, sizeof(again)), n);
    assert_memory_equal(again, buf, (size_t)n);
}

static void test_uint_encoding(void **state) {
    cse_coap_msg_t m;
    cse_coap_msg_init(&m);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_M2M_RSC, 2000);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_SIZE2, 0x01020304);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_MAX_AGE, 255);
    assert_int_equal(m.opts[0].len, 2);
    assert_int_equal(m.opts[1].len, 4);
    assert_int_equal(m.opts[2].len, 1);
    uint32_t v;
    assert_int_equal(cse_coap_opt_uint(&m.opts[1], &v), 0);
    assert_int_equal(v, 0x01020304);
    cse_coap_option_t five = {.num = 1, .len = 5, .val = (const uint8_t *)"12345"};
    assert_int_equal(cse_coap_opt_uint(&five, &v), -1);
}

static int parse_hex(const uint8_t *b, size_t n, cse_coap_msg_t *m) {
    return cse_coap_parse(b, n, NULL, m);
}

static void test_malformed(void **state) {
    cse_coap_msg_t m;
    static const uint8_t short3[] = {0x40, 0x01, 0x00};
    assert_int_equal(parse_hex(short3, 3, &m), CSE_COAP_E_SHORT);
    assert_int_equal(parse_hex(NULL, 0, &m), CSE_COAP_E_SHORT);
    static const uint8_t v2[] = {0x80, 0x01, 0x00, 0x01};
    assert_int_equal(parse_hex(v2, 4, &m), CSE_COAP_E_VERSION);
    static const uint8_t tkl9[] = {0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_int_equal(parse_hex(tkl9, sizeof(tkl9), &m), CSE_COAP_E_FORMAT);
    assert_true(m.header_ok);
    assert_int_equal(m.mid, 1);
    static const uint8_t trunc_token[] = {0x44, 0x01, 0x00, 0x02, 1, 2};
    assert_int_equal(parse_hex(trunc_token, sizeof(trunc_token), &m), CSE_COAP_E_FORMAT);
    static const uint8_t delta15[] = {0x40, 0x01, 0x00, 0x01, 0xf1, 'a'};
    assert_int_equal(parse_hex(delta15, sizeof(delta15), &m), CSE_COAP_E_FORMAT);
    static const uint8_t len15[] = {0x40, 0x01, 0x00, 0x01, 0x1f, 'a'};
    assert_int_equal(parse_hex(len15, sizeof(len15), &m), CSE_COAP_E_FORMAT);
    static const uint8_t trunc_ext13[] = {0x40, 0x01, 0x00, 0x01, 0xd0};
    assert_int_equal(parse_hex(trunc_ext13, sizeof(trunc_ext13), &m), CSE_COAP_E_FORMAT);
    static const uint8_t trunc_ext14[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0x01};
    assert_int_equal(parse_hex(trunc_ext14, sizeof(trunc_ext14), &m), CSE_COAP_E_FORMAT);
    static const uint8_t overrun[] = {0x40, 0x01, 0x00, 0x01, 0xb5, 'a', 'b'};
    assert_int_equal(parse_hex(overrun, sizeof(overrun), &m), CSE_COAP_E_FORMAT);
    static const uint8_t empty_payload[] = {0x40, 0x02, 0x00, 0x01, 0xff};
    assert_int_equal(parse_hex(empty_payload, sizeof(empty_payload), &m), CSE_COAP_E_FORMAT);
    static const uint8_t empty_with_token[] = {0x41, 0x00, 0x00, 0x01, 0x01};
    assert_int_equal(parse_hex(empty_with_token, sizeof(empty_with_token), &m), CSE_COAP_E_FORMAT);
    static const uint8_t reserved_class[] = {0x40, 0x21, 0x00, 0x01}; /* 1.01 */
    assert_int_equal(parse_hex(reserved_class, sizeof(reserved_class), &m), CSE_COAP_E_FORMAT);
    /* option number above 65535: 65535 via 14-form twice */
    static const uint8_t numwrap[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0xfe, 0xf2, 0xe0, 0x00, 0x10};
    assert_int_equal(parse_hex(numwrap, sizeof(numwrap), &m), CSE_COAP_E_FORMAT);
    static const uint8_t ping[] = {0x40, 0x00, 0x12, 0x34};
    assert_int_equal(parse_hex(ping, sizeof(ping), &m), CSE_COAP_OK);
    assert_int_equal(m.code, 0);
}

static void test_limits(void **state) {
    uint8_t buf[4096];
    cse_coap_msg_t m, p;
    cse_coap_limits_t lim;
    cse_coap_limits_default(&lim);
    cse_coap_msg_init(&m);
    m.code = CSE_COAP_POST;
    static uint8_t payload[1200];
    m.payload = payload;
    m.payload_len = sizeof(payload);
    long n = cse_coap_serialize(&m, buf, sizeof(buf));
    assert_int_equal(cse_coap_parse(buf, (size_t)n, &lim, &p), CSE_COAP_E_TOO_BIG);
    assert_true(p.header_ok);

    cse_coap_msg_init(&m);
    m.code = CSE_COAP_GET;
    for (int i = 0; i < 41; i++)
        cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "a");
    n = cse_coap_serialize(&m, buf, sizeof(buf));
    assert_int_equal(cse_coap_parse(buf, (size_t)n, &lim, &p), CSE_COAP_E_OPTIONS);
    lim.max_options = 41;
    assert_int_equal(cse_coap_parse(buf, (size_t)n, &lim, &p), CSE_COAP_OK);

    cse_coap_msg_init(&m);
    m.code = CSE_COAP_GET;
    cse_coap_msg_add(&m, CSE_COAP_OPT_URI_QUERY, payload, 300);
    n = cse_coap_serialize(&m, buf, sizeof(buf));
    lim.max_option_len = 255;
    assert_int_equal(cse_coap_parse(buf, (size_t)n, &lim, &p), CSE_COAP_E_OPTION_LEN);
}

static void test_serialize_capacity(void **state) {
    cse_coap_msg_t m;
    uint8_t buf[16];
    cse_coap_msg_init(&m);
    m.token_len = 8;
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "abcdefgh");
    assert_int_equal(cse_coap_serialize(&m, buf, sizeof(buf)), CSE_COAP_E_CAPACITY);
    assert_int_equal(cse_coap_serialize(&m, buf, 3), CSE_COAP_E_CAPACITY);
    m.token_len = 9;
    assert_int_equal(cse_coap_serialize(&m, buf, sizeof(buf)), CSE_COAP_E_FORMAT);
    cse_coap_msg_init(&m);
    for (int i = 0; i < CSE_COAP_MAX_OPTIONS; i++)
        assert_int_equal(cse_coap_msg_add_uint(&m, 12, 1), 0);
    assert_int_equal(cse_coap_msg_add_uint(&m, 12, 1), CSE_COAP_E_CAPACITY);
    cse_coap_msg_remove(&m, 12);
    assert_int_equal(m.nopts, 0);
}

static void test_unknown_critical(void **state) {
    cse_coap_msg_t m;
    cse_coap_msg_init(&m);
    m.code = CSE_COAP_GET;
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_URI_PATH, "cse-in");
    cse_coap_msg_add_str(&m, CSE_COAP_OPT_M2M_FR, "Cae");
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_M2M_MSU, 1);
    cse_coap_msg_add_uint(&m, CSE_COAP_OPT_OBSERVE, 0); /* elective: ignored */
    cse_coap_msg_add_uint(&m, 65000, 0);                /* elective (even) */
    assert_int_equal(cse_coap_onem2m_unknown_critical(&m), 0);
    cse_coap_msg_add_uint(&m, 355, 1);
    assert_int_equal(cse_coap_onem2m_unknown_critical(&m), 355);
    cse_coap_msg_remove(&m, 355);
    cse_coap_msg_add(&m, CSE_COAP_OPT_IF_MATCH, "x", 1);
    assert_int_equal(cse_coap_onem2m_unknown_critical(&m), CSE_COAP_OPT_IF_MATCH);
}

static void test_code_str(void **state) {
    char b[8];
    assert_string_equal(cse_coap_code_str(CSE_COAP_CODE(2, 5), b, sizeof(b)), "2.05");
    assert_string_equal(cse_coap_code_str(CSE_COAP_CODE(4, 13), b, sizeof(b)), "4.13");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic),      cmocka_unit_test(test_roundtrip_extended_forms),
        cmocka_unit_test(test_uint_encoding),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),           cmocka_unit_test(test_serialize_capacity),
        cmocka_unit_test(test_unknown_critical), cmocka_unit_test(test_code_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
