/*
 * CERT_CHECK: the identity a client certificate that chained to the
 * binding's CA is bound to. The policy's `identities` then says which
 * AE-IDs that identity may use (docs/tls.md).
 */
#ifndef CSSF_AUTHN_CERT_BIND_H
#define CSSF_AUTHN_CERT_BIND_H

#include <stddef.h>

/* Length of "sha256:" and 64 hex digits, without the NUL. */
#define CSSF_CERT_FP_ID_LEN 71

/*
 * Writes the identity of a certificate into out (capacity cap): its first
 * URI subjectAltName (TS-0003: an AE-ID or CSE-ID certificate carries its
 * ID there), or without one "sha256:" and the lower-case hex SHA-256 of
 * the DER certificate (`openssl x509 -noout -fingerprint -sha256` without
 * the colons), so that devices without a SAN URI can be named too.
 * Returns 0, or -1 when there is nothing to bind or it does not fit.
 */
int cssf_cert_identity(const char *san_uri, const unsigned char *sha256, char *out, size_t cap);

#endif
