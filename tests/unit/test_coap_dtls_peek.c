/* The PSK identity of a DTLS ClientKeyExchange, read before mbedTLS: found
 * in a flight of several records, and "none" for everything else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "cse/coap/coap_dtls_peek.h"

/* Appends one DTLS 1.2 record (type, epoch) with body to out. */
static size_t record(uint8_t *out, uint8_t type, uint16_t epoch, const uint8_t *body, size_t n) {
    uint8_t h[13] = {type, 0xfe, 0xfd, (uint8_t)(epoch >> 8), (uint8_t)epoch, 0, 0, 0,
                     0,    0,    7,    (uint8_t)(n >> 8),     (uint8_t)n};
    memcpy(out, h, 13);
    memcpy(out + 13, body, n);
    return 13 + n;
}

/* A ClientKeyExchange handshake message carrying identity (and extra
 * bytes after it, as ECDHE-PSK has); frag_off/frag_len as given. */
static size_t cke(uint8_t *out, const char *identity, size_t extra, uint32_t frag_off,
                  int short_frag) {
    size_t id = strlen(identity), body = 2 + id + extra;
    size_t frag = short_frag ? body - 1 : body;
    uint8_t h[12] = {16,
                     (uint8_t)(body >> 16),
                     (uint8_t)(body >> 8),
                     (uint8_t)body,
                     0,
                     3,
                     (uint8_t)(frag_off >> 16),
                     (uint8_t)(frag_off >> 8),
                     (uint8_t)frag_off,
                     (uint8_t)(frag >> 16),
                     (uint8_t)(frag >> 8),
                     (uint8_t)frag};
    memcpy(out, h, 12);
    out[12] = (uint8_t)(id >> 8);
    out[13] = (uint8_t)id;
    memcpy(out + 14, identity, id);
    memset(out + 14 + id, 0xab, extra);
    return 12 + frag;
}

static void test_found(void **state) {
    (void)state;
    uint8_t msg[512], dgram[1024];
    char out[64];
    size_t m = cke(msg, "dev-psk-1", 0, 0, 0);
    size_t n = record(dgram, 22, 0, msg, m);
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 9);
    assert_string_equal(out, "dev-psk-1");
    /* After a ChangeCipherSpec and an encrypted Finished in the same
     * datagram, and behind a record of another type. */
    uint8_t ccs = 1, fin[40] = {0};
    size_t k = record(dgram, 21, 0, &ccs, 1);     /* an alert-typed record first */
    m = cke(msg, "sensor@psk.example", 65, 0, 0); /* ECDHE-PSK: a point follows */
    k += record(dgram + k, 22, 0, msg, m);
    k += record(dgram + k, 20, 0, &ccs, 1);
    k += record(dgram + k, 22, 1, fin, sizeof(fin));
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, k, out, sizeof(out)), 18);
    assert_string_equal(out, "sensor@psk.example");
}

static void test_none(void **state) {
    (void)state;
    uint8_t msg[512], dgram[1024];
    char out[16];
    size_t m = cke(msg, "dev-psk-1", 0, 0, 0);
    size_t n = record(dgram, 22, 1, msg, m); /* a later epoch: encrypted, not ours */
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    n = record(dgram, 23, 0, msg, m); /* application data */
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    m = cke(msg, "dev-psk-1", 0, 4, 0); /* a later fragment */
    n = record(dgram, 22, 0, msg, m);
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    m = cke(msg, "dev-psk-1", 0, 0, 1); /* the first of two fragments */
    n = record(dgram, 22, 0, msg, m);
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    m = cke(msg, "a-much-longer-identity", 0, 0, 0); /* does not fit out */
    n = record(dgram, 22, 0, msg, m);
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    m = cke(msg, "ab", 0, 0, 0);
    msg[15] = 0; /* a NUL inside */
    n = record(dgram, 22, 0, msg, m);
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    msg[0] = 1; /* a ClientHello */
    n = record(dgram, 22, 0, msg, m);
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    /* Lengths that point past the datagram, at every cut. */
    m = cke(msg, "dev-psk-1", 0, 0, 0);
    n = record(dgram, 22, 0, msg, m);
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(cse_dtls_peek_psk_identity(dgram, cut, out, sizeof(out)), 0);
    dgram[12] = 0xff; /* record length beyond the datagram */
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, sizeof(out)), 0);
    assert_int_equal(cse_dtls_peek_psk_identity(NULL, 10, out, sizeof(out)), 0);
    assert_int_equal(cse_dtls_peek_psk_identity(dgram, n, out, 0), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found),
        cmocka_unit_test(test_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
