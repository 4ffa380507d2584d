/* A signed Accounting-Response (RFC 2866) for the unit tests' RADIUS
 * responders: Message-Authenticator (RFC 3579) over a zero authenticator,
 * then the Response Authenticator over the request's. */
#ifndef TESTS_UNIT_RADIUS_TEST_REPLY_H
#define TESTS_UNIT_RADIUS_TEST_REPLY_H

#include <mbedtls/md.h>
#include <stdint.h>
#include <string.h>

#define RADIUS_TEST_REPLY_LEN 38

/* Writes the answer to request req under secret into out. */
static inline void radius_test_acct_reply(const uint8_t *req, const char *secret,
                                          uint8_t out[RADIUS_TEST_REPLY_LEN]) {
    const mbedtls_md_info_t *md5 = mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    uint8_t buf[RADIUS_TEST_REPLY_LEN + 128] = {5, req[1], 0, RADIUS_TEST_REPLY_LEN, 0};
    size_t slen = strlen(secret) < 128 ? strlen(secret) : 128;
    buf[20] = 80; /* Message-Authenticator */
    buf[21] = 18;
    uint8_t mac[16], ra[16];
    mbedtls_md_hmac(md5, (const uint8_t *)secret, slen, buf, RADIUS_TEST_REPLY_LEN, mac);
    memcpy(buf + 22, mac, 16);
    memcpy(buf + 4, req + 4, 16);
    memcpy(buf + RADIUS_TEST_REPLY_LEN, secret, slen);
    mbedtls_md(md5, buf, RADIUS_TEST_REPLY_LEN + slen, ra);
    memcpy(buf + 4, ra, 16);
    memcpy(out, buf, RADIUS_TEST_REPLY_LEN);
}

#endif
