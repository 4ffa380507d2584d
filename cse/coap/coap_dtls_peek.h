/*
 * Reads the PSK identity of a DTLS 1.2 ClientKeyExchange from a datagram
 * before mbedTLS sees it, so that a PSK lookup that would block the event
 * loop can run elsewhere while the datagram waits (coap_dtls.c). Pure
 * function over untrusted bytes: every length is checked against what is
 * there; anything unexpected (another record type, a later epoch, a
 * fragmented message) answers "none" and the datagram takes the ordinary
 * path. Owner: cse/coap.
 */
#ifndef CSE_COAP_DTLS_PEEK_H
#define CSE_COAP_DTLS_PEEK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Looks through the records of the datagram for an unfragmented epoch-0
 * ClientKeyExchange whose body starts with a psk_identity (PSK and
 * ECDHE-PSK key exchanges). Returns its length and copies it, NUL
 * terminated, into out; returns 0 when there is none or it does not fit
 * (cap includes the NUL) or holds a NUL byte.
 */
size_t cse_dtls_peek_psk_identity(const uint8_t *buf, size_t len, char *out, size_t cap);

#endif
