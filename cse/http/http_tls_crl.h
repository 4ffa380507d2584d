/*
 * Certificate revocation lists for HTTPS client certificates ([http]
 * tls_crl). libmicrohttpd owns the TLS credentials and cannot take a CRL,
 * so the listener checks the verified chain against the lists itself.
 * Loaded once at start: a list not signed by tls_ca, or already past its
 * next update, stops the start; a list that passes its next update later
 * refuses every certificate (fail closed) until a fresh one is loaded.
 * Owner: cse/http.
 */
#ifndef CSE_HTTP_TLS_CRL_H
#define CSE_HTTP_TLS_CRL_H

#include <gnutls/gnutls.h>
#include <stddef.h>

typedef struct cse_tls_crl cse_tls_crl_t;

/* Reads the PEM CRLs at path and checks them against the CAs in ca_pem.
 * NULL with a reason naming the file in err. */
cse_tls_crl_t *cse_tls_crl_load(const char *path, const char *ca_pem, char *err, size_t err_cap);

void cse_tls_crl_free(cse_tls_crl_t *c);

/* 0 when no certificate of the (already verified) chain is revoked and
 * every list is current; -1 with the reason in why otherwise. */
int cse_tls_crl_check(const cse_tls_crl_t *c, const gnutls_datum_t *chain, unsigned n, char *why,
                      size_t why_cap);

#endif
