/*
 * RADIUS integrity and hiding: Request/Response Authenticators (RFC 2865
 * §3, RFC 2866 §3), Message-Authenticator (RFC 3579 §3.2, HMAC-MD5),
 * User-Password hiding (RFC 2865 §5.2) and Tunnel-Password salted
 * decryption (RFC 2868 §3.5). MD5 and HMAC-MD5 come from mbedTLS; every
 * comparison of a received digest is constant-time (mbedtls_ct_memcmp).
 * No I/O, no allocation: secrets are borrowed from the caller and every
 * intermediate keystream block is wiped before return.
 */
#ifndef CSSF_AAA_RADIUS_CRYPTO_H
#define CSSF_AAA_RADIUS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/aaa/radius_packet.h"

#define CSSF_RADIUS_PASSWORD_MAX 128 /* RFC 2865 §5.2 */

/* Fills buf with n bytes from the kernel CSPRNG. Returns 0 or -1. */
int cssf_radius_random(uint8_t *buf, size_t n);

/*
 * Appends User-Password: pw (pwlen bytes, at most 128) padded with zeros
 * to a multiple of 16 and hidden with MD5(secret + Request Authenticator)
 * chaining, using the authenticator already in p's header. Returns 0, or
 * -1 (too long, no room, crypto failure; p then unchanged).
 */
int cssf_radius_hide_password(cssf_radius_pkt_t *p, const uint8_t *pw, size_t pwlen,
                              const uint8_t *secret, size_t slen);

/* Reverses cssf_radius_hide_password for one hidden value (tests and
 * tooling). Writes the padded plaintext into out (cap >= hlen) and
 * returns its length without trailing zero padding, or -1. */
int cssf_radius_unhide_password(const uint8_t *hidden, size_t hlen, const uint8_t *req_auth,
                                const uint8_t *secret, size_t slen, uint8_t *out, size_t cap);

/*
 * Finishes a request in place: computes the Message-Authenticator if the
 * packet has one, and for an Accounting-Request the Request Authenticator
 * MD5(code|id|len|16 zero bytes|attributes|secret) (the HMAC is taken
 * first, over the zeroed authenticator, as FreeRADIUS does). Access-Request
 * and Status-Server keep the random authenticator they were built with.
 * Returns 0 or -1.
 */
int cssf_radius_pkt_sign(cssf_radius_pkt_t *p, const uint8_t *secret, size_t slen);

/*
 * Decides whether resp (rlen bytes as received) is an authentic answer to
 * the request req (a signed packet, its header at least): structure, the
 * identifier, a code that answers req's code, the Response Authenticator
 * MD5(code|id|len|request authenticator|attributes|secret), at most one
 * Message-Authenticator, and its HMAC-MD5. A missing Message-Authenticator
 * is an error when require_ma is set. Fills v on success. Returns 0, or -1
 * with *reason (static string) saying what was wrong.
 *
 * The Message-Authenticator of an Access-Accept/Reject/Challenge, and of
 * any answer to Status-Server, is keyed over the Request Authenticator; of
 * an Accounting-Response to an Accounting-Request over 16 zero bytes, as
 * the request's own was.
 */
int cssf_radius_verify_response(const uint8_t *resp, size_t rlen, const uint8_t *req,
                                const uint8_t *secret, size_t slen, int require_ma,
                                cssf_radius_view_t *v, const char **reason);

/*
 * Decrypts a Tunnel-Password value (tag, 2-byte salt with its high bit
 * set, then a multiple of 16 encrypted bytes) received in answer to a
 * request with authenticator req_auth. Writes the password (without the
 * length byte and padding) into out and its length into *outlen, the tag
 * into *tag. Returns 0, or -1 with *reason.
 */
int cssf_radius_tunnel_password_decrypt(const uint8_t *val, size_t vlen, const uint8_t *req_auth,
                                        const uint8_t *secret, size_t slen, uint8_t *out,
                                        size_t cap, size_t *outlen, uint8_t *tag,
                                        const char **reason);

/* Encrypts a Tunnel-Password value (the inverse, for tests and tooling).
 * out needs 3 + 16 * ceil((len + 1) / 16) bytes. Returns the value length
 * or -1. */
int cssf_radius_tunnel_password_encrypt(const uint8_t *pw, size_t len, uint8_t tag,
                                        const uint8_t salt[2], const uint8_t *req_auth,
                                        const uint8_t *secret, size_t slen, uint8_t *out,
                                        size_t cap);

#endif
